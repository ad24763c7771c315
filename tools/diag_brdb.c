/*
 * tools/diag_brdb.c - find the browsers' NSS databases and tell whether
 * each loads the module; shared by `smartsign-diag browsers` and doctor.
 *
 * profiles.ini, pkcs11.txt and every path in them are untrusted input:
 * read whole up to a limit, walked line by line with bounds checks,
 * resolved with realpath(), and refused when they hold control bytes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/diag.h"
#include "tools/diag_browsers.h"

#define INI_MAX		(256u * 1024)
#define TXT_MAX		(1u << 20)

static const char *const ff_roots[] = {
	".mozilla/firefox",
	"snap/firefox/common/.mozilla/firefox",
	".var/app/org.mozilla.firefox/.mozilla/firefox",
};

static const char *
base_of(const char *path)
{
	const char	*s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

bool
br_clean(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool
is_dir(const char *p)
{
	struct stat	st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool
has(const char *dir, const char *name)
{
	char	p[BR_PATH + 32];

	return diag_join(p, sizeof(p), dir, name) && access(p, F_OK) == 0;
}

/* Add a Firefox profile folder (resolved, once). */
static void
add_profile(struct br_set *s, const char *path)
{
	char	real[PATH_MAX];
	size_t	i;

	if (!br_clean(path) || realpath(path, real) == NULL || !is_dir(real) ||
	    strlen(real) >= BR_PATH)
		return;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->db[i].dir, real) == 0)
			return;
	if (s->n == BR_MAX_DBS - 1) {	/* one left for Chromium */
		s->truncated = true;
		return;
	}
	memset(&s->db[s->n], 0, sizeof(s->db[0]));
	s->db[s->n].firefox = true;
	memcpy(s->db[s->n].dir, real, strlen(real) + 1);
	s->n++;
}

/* One [Profile*] section of profiles.ini ends. */
static void
ini_flush(struct br_set *s, const char *root, const char *path, bool rel)
{
	char	p[BR_PATH * 2];

	if (path[0] == '\0')
		return;
	if (rel && !diag_join(p, sizeof(p), root, path))
		return;
	add_profile(s, rel ? p : path);
}

static void
read_ini(struct br_set *s, const char *root)
{
	char		 ini[BR_PATH + 32], l[BR_PATH], path[BR_PATH] = "";
	uint8_t		*b;
	size_t		 n, len;
	const char	*line;
	struct ss_rd	 r;
	bool		 rel = true, prof = false;

	if (!diag_join(ini, sizeof(ini), root, "profiles.ini") ||
	    diag_read_file(ini, INI_MAX, &b, &n) < 0)
		return;
	ss_rd_init(&r, b, n);
	while (diag_next_line(&r, &line, &len)) {
		if (!diag_line_str(line, len, l, sizeof(l)))
			continue;
		if (l[0] == '[') {
			if (prof)
				ini_flush(s, root, path, rel);
			prof = strncmp(l, "[Profile", 8) == 0;
			path[0] = '\0';
			rel = true;
		} else if (prof && strncmp(l, "Path=", 5) == 0) {
			memcpy(path, l + 5, strlen(l + 5) + 1);
		} else if (prof && strncmp(l, "IsRelative=", 11) == 0) {
			rel = strcmp(l + 11, "0") != 0;
		}
	}
	if (prof)
		ini_flush(s, root, path, rel);
	free(b);
}

/* Folders under root holding an NSS database, listed in profiles.ini
 * or not. */
static void
scan_root(struct br_set *s, const char *root)
{
	DIR		*dh;
	struct dirent	*e;
	char		 p[BR_PATH + 260];

	if ((dh = opendir(root)) == NULL)
		return;
	while ((e = readdir(dh)) != NULL) {
		if (e->d_name[0] == '.' ||
		    !diag_join(p, sizeof(p), root, e->d_name) || !is_dir(p))
			continue;
		if (has(p, "cert9.db") || has(p, "pkcs11.txt"))
			add_profile(s, p);
	}
	(void)closedir(dh);
}

static int
by_dir(const void *a, const void *b)
{
	return strcmp(((const struct br_db *)a)->dir,
	    ((const struct br_db *)b)->dir);
}

int
br_find(const char *home, struct br_set *s)
{
	char	root[BR_PATH];
	size_t	i;

	memset(s, 0, sizeof(*s));
	if (home == NULL || home[0] != '/' || !br_clean(home) ||
	    strlen(home) > BR_PATH - 64)
		return -1;
	for (i = 0; i < sizeof(ff_roots) / sizeof(ff_roots[0]); i++) {
		if (!diag_join(root, sizeof(root), home, ff_roots[i]))
			continue;
		read_ini(s, root);
		scan_root(s, root);
	}
	qsort(s->db, s->n, sizeof(s->db[0]), by_dir);
	memset(&s->db[s->n], 0, sizeof(s->db[0]));
	(void)snprintf(s->db[s->n].dir, sizeof(s->db[0].dir), "%s/.pki/nssdb",
	    home);
	s->n++;
	return 0;
}

/* name=VALUE, without the quotes NSS may put around it. */
static void
set_value(char *dst, size_t cap, const char *v)
{
	size_t	len = strlen(v);

	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		v++;
		len -= 2;
	}
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

static void
parse_entries(const uint8_t *b, size_t n, struct br_entry *e, size_t cap,
    size_t *ne)
{
	struct ss_rd	 r;
	const char	*line;
	size_t		 len;
	char		 l[BR_PATH + 16];
	struct br_entry	*cur = NULL;
	bool		 lib = false, nm = false, is_lib, is_name;

	*ne = 0;
	ss_rd_init(&r, b, n);
	while (diag_next_line(&r, &line, &len)) {
		if (!diag_line_str(line, len, l, sizeof(l)))
			continue;
		if (l[0] == '\0') {
			cur = NULL;	/* a blank line ends an entry */
			continue;
		}
		is_lib = strncmp(l, "library=", 8) == 0;
		is_name = strncmp(l, "name=", 5) == 0;
		if (!is_lib && !is_name)
			continue;
		/* a key seen twice starts the next entry */
		if (cur == NULL || (is_lib && lib) || (is_name && nm)) {
			if (*ne == cap)
				return;
			cur = &e[(*ne)++];
			memset(cur, 0, sizeof(*cur));
			lib = nm = false;
		}
		if (is_lib)
			set_value(cur->library, sizeof(cur->library), l + 8);
		else
			set_value(cur->name, sizeof(cur->name), l + 5);
		lib = lib || is_lib;
		nm = nm || is_name;
	}
}

int
br_entries(const char *dir, struct br_entry *e, size_t cap, size_t *n)
{
	char	p[BR_PATH + 32];
	uint8_t	*b;
	size_t	 len;

	*n = 0;
	if (!diag_join(p, sizeof(p), dir, "pkcs11.txt") ||
	    diag_read_file(p, TXT_MAX, &b, &len) < 0)
		return -1;
	parse_entries(b, len, e, cap, n);
	free(b);
	return 0;
}

bool
br_same_module(const char *library, const char *module)
{
	char	a[PATH_MAX], b[PATH_MAX];

	if (library[0] == '\0')
		return false;
	if (strcmp(library, module) == 0)
		return true;
	return realpath(library, a) != NULL && realpath(module, b) != NULL &&
	    strcmp(a, b) == 0;
}

/* The pid in a lock symlink's target "ADDRESS:+PID" (or ":PID"), when
 * that process lives. */
static long
symlink_pid(const char *dir)
{
	char		 p[BR_PATH + 32], t[256], *c, *end;
	ssize_t		 k;
	long		 pid;

	if (!diag_join(p, sizeof(p), dir, "lock") ||
	    (k = readlink(p, t, sizeof(t) - 1)) <= 0)
		return 0;
	t[k] = '\0';
	if ((c = strrchr(t, ':')) == NULL)
		return 0;
	c += c[1] == '+' ? 2 : 1;
	errno = 0;
	pid = strtol(c, &end, 10);
	if (errno != 0 || *end != '\0' || pid <= 0 || pid > INT_MAX)
		return 0;
	if (kill((pid_t)pid, 0) == 0 || errno == EPERM)
		return pid;
	return 0;		/* stale: Firefox crashed */
}

/* The holder of an fcntl lock on .parentlock. */
static long
parentlock_pid(const char *dir)
{
	char		p[BR_PATH + 32];
	struct flock	fl;
	int		fd;
	long		pid = 0;

	if (!diag_join(p, sizeof(p), dir, ".parentlock") ||
	    (fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY)) < 0)
		return 0;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		pid = fl.l_pid > 0 ? (long)fl.l_pid : 1;
	(void)close(fd);
	return pid;
}

long
br_firefox_pid(const char *dir)
{
	long	pid = parentlock_pid(dir);

	return pid != 0 ? pid : symlink_pid(dir);
}

bool
br_stale(const struct br_entry *e, const char *module, const char *name)
{
	return (strcmp(e->name, name) == 0 ||
	    strcmp(base_of(e->library), BR_MODULE_BASE) == 0) &&
	    !br_same_module(e->library, module);
}

static void
set_found(struct br_db *db, enum br_state st, const struct br_entry *e)
{
	db->state = st;
	(void)snprintf(db->entry, sizeof(db->entry), "%s", e->name);
	(void)snprintf(db->library, sizeof(db->library), "%s", e->library);
}

void
br_check(struct br_db *db, const char *module, const char *name)
{
	struct br_entry	*e;
	size_t		 n = 0, i;
	bool		 txt = has(db->dir, "pkcs11.txt");

	db->state = BR_NOT_REGISTERED;
	db->entry[0] = db->library[0] = '\0';
	db->proxy = false;
	db->pid = db->firefox ? br_firefox_pid(db->dir) : 0;
	if (!is_dir(db->dir) || (!txt && !has(db->dir, "cert9.db"))) {
		db->state = BR_NO_DB;
		return;
	}
	if (!txt)
		return;
	if ((e = calloc(BR_MAX_ENTRIES, sizeof(*e))) == NULL ||
	    br_entries(db->dir, e, BR_MAX_ENTRIES, &n) < 0) {
		db->state = BR_UNREADABLE;
		free(e);
		return;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(base_of(e[i].library), BR_PROXY_BASE) == 0)
			db->proxy = true;
		if (br_same_module(e[i].library, module)) {
			set_found(db, BR_REGISTERED, &e[i]);
			break;
		}
		if (db->state == BR_NOT_REGISTERED &&
		    br_stale(&e[i], module, name))
			set_found(db, BR_DIFFERS, &e[i]);
	}
	free(e);
}

const char *
br_state_name(enum br_state st)
{
	switch (st) {
	case BR_REGISTERED:
		return "registered";
	case BR_NOT_REGISTERED:
		return "not_registered";
	case BR_DIFFERS:
		return "path_differs";
	case BR_NO_DB:
		return "no_database";
	default:
		return "unreadable";
	}
}

const char *
br_title(const struct br_db *db)
{
	return db->firefox ? "Firefox profile" : "Chromium NSS database";
}

static bool
first_file(const char *pattern, char *buf, size_t cap)
{
	glob_t		g;
	struct stat	st;
	size_t		i;
	bool		found = false;
	char		real[PATH_MAX];

	if (glob(pattern, 0, NULL, &g) != 0)
		return false;
	for (i = 0; i < g.gl_pathc && !found; i++)
		if (stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode) &&
		    realpath(g.gl_pathv[i], real) != NULL &&
		    (size_t)snprintf(buf, cap, "%s", real) < cap)
			found = true;
	globfree(&g);
	return found;
}

const char *
br_default_module(char *buf, size_t cap)
{
	static const char *const sys[] = {
		"/usr/local/lib/*/pkcs11/" BR_MODULE_BASE,
		"/usr/lib/*/pkcs11/" BR_MODULE_BASE,
	};
	const char	*env = getenv("SMARTSIGN_MODULE");
	char		 exe[PATH_MAX], pat[PATH_MAX + 64], *slash = NULL;
	ssize_t		 n;
	size_t		 i;

	if (env != NULL && *env != '\0') {
		(void)snprintf(buf, cap, "%s", env);
		return buf;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0 && (exe[n] = '\0', slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	if (slash != NULL) {
		(void)snprintf(pat, sizeof(pat), "%s/../lib/*/pkcs11/"
		    BR_MODULE_BASE, exe);
		if (first_file(pat, buf, cap))
			return buf;
	}
	for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		if (first_file(sys[i], buf, cap))
			return buf;
	if (slash != NULL) {
		(void)snprintf(pat, sizeof(pat), "%s/" BR_MODULE_BASE, exe);
		if (first_file(pat, buf, cap))
			return buf;
	}
	return NULL;
}
