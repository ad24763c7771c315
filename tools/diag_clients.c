/*
 * tools/diag_clients.c - doctor's checks above PC/SC: the PKCS#11 module
 * file, its registration with p11-kit (*.module files), and whether
 * Firefox's profiles and Chromium's NSS database load it (their
 * pkcs11.txt, or an enterprise policy).  Browsers on Debian 12 do not
 * load p11-kit-registered modules by themselves.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/diag_browsers.h"
#include "tools/diag_doctor.h"

#define TEXT_MAX	(1u << 20)
#define MODULE_BASE	"smartsign-pkcs11.so"
#define PROXY_BASE	"p11-kit-proxy.so"

static const char *const p11kit_dirs[] = {
	"/usr/share/p11-kit/modules", "/etc/pkcs11/modules",
};
static const char *const firefox_policies[] = {
	"/etc/firefox/policies/policies.json",
	"/etc/firefox-esr/policies/policies.json",
	"/usr/lib/firefox-esr/distribution/policies.json",
	"/usr/lib/firefox/distribution/policies.json",
};

static const char *
base_of(const char *path)
{
	const char	*s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

/* Whether the value after "key" on some line of the text names the
 * module (same path, or same file name). */
static bool
text_names(const uint8_t *b, size_t n, const char *key, const char *module,
    bool *proxy)
{
	struct ss_rd	 r;
	const char	*line;
	size_t		 len, kl = strlen(key);
	char		 l[4096], v[4096];

	ss_rd_init(&r, b, n);
	while (diag_next_line(&r, &line, &len)) {
		if (!diag_line_str(line, len, l, sizeof(l)) ||
		    strncmp(l, key, kl) != 0 ||
		    !diag_line_str(l + kl, strlen(l + kl), v, sizeof(v)))
			continue;
		if (strcmp(v, module) == 0 ||
		    strcmp(base_of(v), MODULE_BASE) == 0)
			return true;
		if (proxy != NULL && strcmp(base_of(v), PROXY_BASE) == 0)
			*proxy = true;
	}
	return false;
}

static bool
file_names(const char *path, const char *key, const char *module,
    bool *proxy)
{
	uint8_t	*b;
	size_t	 n;
	bool	 yes;

	if (diag_read_file(path, TEXT_MAX, &b, &n) < 0)
		return false;
	yes = text_names(b, n, key, module, proxy);
	free(b);
	return yes;
}

static void
check_module(struct doctor *d)
{
	struct stat	st;

	if (stat(d->opt->module, &st) == 0 && S_ISREG(st.st_mode))
		doc_check(d, "module", "PKCS#11 module", CHK_OK, NULL, "%s",
		    d->opt->module);
	else
		doc_check(d, "module", "PKCS#11 module", CHK_FAIL,
		    "build it (make) and give its path with --module, or "
		    "install it", "%s not found", d->opt->module);
}

static void
check_p11kit(struct doctor *d)
{
	char		 dir[4096], p[4096 + 260], where[4096] = "";
	char		 fix[4096 + 128];
	DIR		*dh;
	struct dirent	*e;
	size_t		 i, l;

	for (i = 0; i < sizeof(p11kit_dirs) / sizeof(p11kit_dirs[0]); i++) {
		if ((dh = opendir(doc_path(d, p11kit_dirs[i], dir,
		    sizeof(dir)))) == NULL)
			continue;
		while (where[0] == '\0' && (e = readdir(dh)) != NULL) {
			l = strlen(e->d_name);
			if (l < 8 || strcmp(e->d_name + l - 7, ".module") != 0)
				continue;
			if (diag_join(p, sizeof(p), dir, e->d_name) &&
			    file_names(p, "module:", d->opt->module, NULL))
				(void)snprintf(where, sizeof(where), "%s/%s",
				    p11kit_dirs[i], e->d_name);
		}
		(void)closedir(dh);
	}
	d->p11kit_ok = where[0] != '\0';
	(void)snprintf(fix, sizeof(fix), "echo 'module: %s' | sudo tee "
	    "/etc/pkcs11/modules/smartsign.module", d->opt->module);
	if (d->p11kit_ok)
		doc_check(d, "p11kit", "p11-kit registration", CHK_OK, NULL,
		    "%s", where);
	else
		doc_check(d, "p11kit", "p11-kit registration", CHK_WARN, fix,
		    "not registered: OpenSSL, GnuTLS and p11-kit-proxy users "
		    "will not see the token");
}

static bool
firefox_policy(struct doctor *d, char *where, size_t cap)
{
	char	p[4096];
	uint8_t	*b;
	size_t	 i, n;
	bool	 yes;

	for (i = 0; i < sizeof(firefox_policies) /
	    sizeof(firefox_policies[0]); i++) {
		if (diag_read_file(doc_path(d, firefox_policies[i], p,
		    sizeof(p)), TEXT_MAX, &b, &n) < 0)
			continue;
		yes = strstr((const char *)b, "SecurityDevices") != NULL &&
		    (strstr((const char *)b, MODULE_BASE) != NULL ||
		    strstr((const char *)b, d->opt->module) != NULL);
		free(b);
		if (yes) {
			(void)snprintf(where, cap, "%s", firefox_policies[i]);
			return true;
		}
	}
	return false;
}

/* One NSS database: the check `smartsign-diag browsers status` makes
 * (diag_brdb.c), with doctor's verdict and fix. */
static void
check_nssdb(struct doctor *d, struct br_db *db, const char *module)
{
	const char	*id = db->firefox ? "firefox" : "chromium";
	const char	*title = br_title(db);
	char		 fix[2 * BR_PATH + 256];
	struct stat	 st;

	br_check(db, module, BR_DEFAULT_NAME);
	(void)snprintf(fix, sizeof(fix), "smartsign-diag browsers register "
	    "--module %s   (or: modutil -dbdir sql:%s -add " BR_DEFAULT_NAME
	    " -libfile %s -force; with the browser closed)", module, db->dir,
	    module);
	switch (db->state) {
	case BR_REGISTERED:
		doc_check(d, id, title, CHK_OK, NULL, "%s/pkcs11.txt loads "
		    "the module", db->dir);
		return;
	case BR_DIFFERS:
		doc_check(d, id, title, stat(db->library, &st) == 0 ? CHK_WARN :
		    CHK_FAIL, fix, "%s/pkcs11.txt loads %s (\"%s\"), not %s",
		    db->dir, db->library, db->entry, module);
		return;
	case BR_NOT_REGISTERED:
		if (db->proxy && d->p11kit_ok)
			doc_check(d, id, title, CHK_OK, NULL, "%s/pkcs11.txt "
			    "loads p11-kit-proxy, which loads the module",
			    db->dir);
		else
			doc_check(d, id, title, CHK_FAIL, fix, "%s/pkcs11.txt "
			    "does not load the module: the browser will not "
			    "see the card", db->dir);
		return;
	case BR_UNREADABLE:
		doc_check(d, id, title, CHK_FAIL, fix, "%s/pkcs11.txt cannot "
		    "be read", db->dir);
		return;
	case BR_NO_DB:
		break;
	}
	if (db->firefox) {
		doc_check(d, id, title, CHK_SKIP, NULL, "%s: no NSS database "
		    "yet (Firefox makes it on first start)", db->dir);
		return;
	}
	(void)snprintf(fix, sizeof(fix), "smartsign-diag browsers register "
	    "--module %s   (or: mkdir -p %s && certutil -N -d sql:%s "
	    "--empty-password && modutil -dbdir sql:%s -add " BR_DEFAULT_NAME
	    " -libfile %s -force)", module, db->dir, db->dir, db->dir, module);
	doc_check(d, id, title, CHK_WARN, fix, "%s does not exist (Chromium "
	    "and Chrome read modules from there)", db->dir);
}

static void
check_browsers(struct doctor *d, const char *home)
{
	const char	*module = d->opt->br_module != NULL ?
	    d->opt->br_module : d->opt->module;
	char		 where[4096];
	struct br_set	*s;
	size_t		 i;

	if (firefox_policy(d, where, sizeof(where)))
		doc_check(d, "firefox_policy", "Firefox policy", CHK_OK, NULL,
		    "%s adds the module (SecurityDevices)", where);
	if ((s = malloc(sizeof(*s))) == NULL || br_find(home, s) < 0) {
		doc_check(d, "browsers", "browsers", CHK_SKIP, NULL,
		    "HOME is not an absolute path");
		free(s);
		return;
	}
	if (s->n == 1)	/* Chromium's only */
		doc_check(d, "firefox", "Firefox profile", CHK_SKIP, NULL,
		    "no Firefox profile in %s/.mozilla (Firefox not used by "
		    "this user yet)", home);
	for (i = 0; i < s->n; i++)
		check_nssdb(d, &s->db[i], module);
	free(s);
}

void
doc_clients(struct doctor *d)
{
	const char	*home = getenv("HOME");

	check_module(d);
	check_p11kit(d);
	if (home == NULL || *home == '\0') {
		doc_check(d, "browsers", "browsers", CHK_SKIP, NULL,
		    "HOME is not set");
		return;
	}
	check_browsers(d, home);
}
