/*
 * tools/diag_browsers.c - `smartsign-diag browsers`: the module in every
 * Firefox profile of the user and in Chromium's NSS database: status,
 * register, unregister, each idempotent, through NSS's own modutil.
 *
 * Registering adds "-mechanisms FRIENDLY": the token's slots are marked
 * as having public certificates, so NSS lists the card's certificates
 * without a login (certutil -L, cmsutil, and the browsers' certificate
 * choosers before the PIN is asked).  Browsers log in when they need to
 * either way; NSS's command-line tools cannot find the certificates
 * non-interactively without it.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/diag.h"
#include "tools/diag_browsers.h"

enum br_action { ACT_STATUS, ACT_REGISTER, ACT_UNREGISTER };

struct br_opts {
	const char	*module;
	const char	*name;
	bool		 force;
};

/* What happened to one database. */
struct br_result {
	const char	*result;	/* NULL for status */
	char		 detail[1024];
	int		 exit;		/* its share of the exit status */
};

static const char usage_text[] =
"usage: smartsign-diag browsers [status|register|unregister] [--module PATH]\n"
"           [--name NAME] [--force] [--json]\n"
"\n"
"The module in the user's browsers: every Firefox profile (profiles.ini and\n"
"folders holding an NSS database under ~/.mozilla/firefox, the snap's\n"
"~/snap/firefox/common/.mozilla/firefox and the flatpak's) and Chromium's\n"
"NSS database ~/.pki/nssdb (also Chrome's).\n"
"  status      (default) for each database: registered (path), not\n"
"              registered, module path differs, no database, unreadable\n"
"  register    add the module with modutil (-mechanisms FRIENDLY: the\n"
"              card's certificates are listed without a PIN); skips the\n"
"              databases that already load it (\"already registered\"),\n"
"              replaces an entry NAME (or smartsign-pkcs11.so) that\n"
"              points elsewhere; makes ~/.pki/nssdb (certutil -N) if needed\n"
"  unregister  remove the entry NAME, and any entry loading the module\n"
"--module PATH  the module (default: $SMARTSIGN_MODULE, the installed one,\n"
"               else the one beside this program)\n"
"--name NAME    the entry's name (default " BR_DEFAULT_NAME ")\n"
"--force        also change profiles a running Firefox holds (it may\n"
"               overwrite the change; close Firefox instead)\n"
"\n"
"Exit status: 0 every database is (now) as asked; 1 some database is not\n"
"(status), or modutil/certutil failed on one; 2 bad usage; 7 no module\n"
"file to register; 10 a profile was left alone because Firefox is running\n"
"on it (close Firefox, or --force).\n";

static int
br_opt(void *arg, int id, const char *val)
{
	struct br_opts	*bo = arg;

	if (id == 1)
		bo->module = val;
	else if (id == 2)
		bo->name = val;
	else
		bo->force = true;
	return 0;
}

/* A name modutil takes as a value, and pkcs11.txt as one line. */
static bool
good_name(const char *s)
{
	size_t	n = strlen(s), i;

	if (n == 0 || n >= BR_NAME || s[0] == '-')
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e ||
		    s[i] == '"')
			return false;
	return true;
}

static void
say(struct br_result *r, const char *result, int ex, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
say(struct br_result *r, const char *result, int ex, const char *fmt, ...)
{
	va_list	ap;

	r->result = result;
	r->exit = ex;
	va_start(ap, fmt);
	(void)vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

/* The last line of a tool's output, for the message. */
static const char *
last_line(char *out)
{
	size_t	n = strlen(out);
	char	*nl;

	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = '\0';
	nl = strrchr(out, '\n');
	return nl != NULL ? nl + 1 : out;
}

/* modutil or certutil on sql:dir; false (and r filled) when it fails. */
static bool
tool(struct br_result *r, const char *const *args)
{
	char	out[2048];
	int	rc = br_run(args, out, sizeof(out));

	if (rc == 0)
		return true;
	if (rc == 127)
		say(r, "failed", DIAG_EXIT_PROBLEM, "%s not found: sudo "
		    "apt-get install libnss3-tools", args[0]);
	else
		say(r, "failed", DIAG_EXIT_PROBLEM, "%s %s failed (%d): %s",
		    args[0], strcmp(args[0], "certutil") == 0 ? args[1] :
		    args[3], rc, last_line(out));
	return false;
}

static bool
create_db(struct br_result *r, const struct br_db *db, const char *sql)
{
	char			 pki[BR_PATH];
	const char *const	 args[] = { "certutil", "-N", "-d", sql,
	    "--empty-password", NULL };
	size_t			 n = strlen(db->dir);

	if (!db->firefox && n > 6) {	/* HOME/.pki, then HOME/.pki/nssdb */
		memcpy(pki, db->dir, n - 6);
		pki[n - 6] = '\0';
		if ((mkdir(pki, 0700) < 0 && errno != EEXIST) ||
		    (mkdir(db->dir, 0700) < 0 && errno != EEXIST)) {
			say(r, "failed", DIAG_EXIT_PROBLEM, "cannot make %s: "
			    "%s", db->dir, strerror(errno));
			return false;
		}
	}
	return tool(r, args);
}

static bool
delete_entry(struct br_result *r, const char *sql, const char *entry)
{
	const char *const	args[] = { "modutil", "-dbdir", sql, "-delete",
	    entry, "-force", NULL };

	if (!good_name(entry)) {
		say(r, "failed", DIAG_EXIT_PROBLEM, "an entry named \"%s\" "
		    "cannot be given to modutil: remove it by hand", entry);
		return false;
	}
	return tool(r, args);
}

/* Delete the entries match() picks; how many into *n. */
static bool
delete_matching(struct br_result *r, const struct br_db *db, const char *sql,
    const struct br_opts *o, bool stale, size_t *nd)
{
	struct br_entry	*e;
	size_t		 n, i;
	bool		 ok = true, hit;

	*nd = 0;
	if ((e = calloc(BR_MAX_ENTRIES, sizeof(*e))) == NULL)
		return false;
	if (br_entries(db->dir, e, BR_MAX_ENTRIES, &n) < 0)
		n = 0;
	for (i = 0; i < n && ok; i++) {
		hit = stale ? br_stale(&e[i], o->module, o->name) :
		    (strcmp(e[i].name, o->name) == 0 ||
		    br_same_module(e[i].library, o->module));
		if (hit && (ok = delete_entry(r, sql, e[i].name)))
			(*nd)++;
	}
	free(e);
	return ok;
}

static void
do_register(struct br_db *db, const struct br_opts *o, struct br_result *r,
    const char *sql)
{
	const char *const	args[] = { "modutil", "-dbdir", sql, "-add",
	    o->name, "-libfile", o->module, "-mechanisms", "FRIENDLY",
	    "-force", NULL };
	size_t			nd = 0;

	if (db->state == BR_REGISTERED) {
		say(r, "already_registered", DIAG_EXIT_OK, "already registered "
		    "as \"%s\"", db->entry);
		return;
	}
	if (db->state == BR_UNREADABLE) {
		say(r, "failed", DIAG_EXIT_PROBLEM, "%s/pkcs11.txt cannot be "
		    "read", db->dir);
		return;
	}
	if (db->state == BR_NO_DB && !create_db(r, db, sql))
		return;
	if (!delete_matching(r, db, sql, o, true, &nd) || !tool(r, args))
		return;
	br_check(db, o->module, o->name);
	if (db->state != BR_REGISTERED)
		say(r, "failed", DIAG_EXIT_PROBLEM, "modutil succeeded but "
		    "pkcs11.txt does not load the module");
	else if (nd > 0)
		say(r, "replaced", DIAG_EXIT_OK, "registered as \"%s\", "
		    "replacing %zu entr%s that pointed elsewhere", o->name, nd,
		    nd == 1 ? "y" : "ies");
	else
		say(r, "registered", DIAG_EXIT_OK, "registered as \"%s\"",
		    o->name);
}

static void
do_unregister(struct br_db *db, const struct br_opts *o,
    struct br_result *r, const char *sql)
{
	size_t	nd = 0;

	if (db->state == BR_NO_DB) {
		say(r, "not_registered", DIAG_EXIT_OK, "no NSS database");
		return;
	}
	if (!delete_matching(r, db, sql, o, false, &nd))
		return;
	br_check(db, o->module, o->name);
	if (db->state == BR_REGISTERED)
		say(r, "failed", DIAG_EXIT_PROBLEM, "modutil succeeded but "
		    "\"%s\" still loads the module", db->entry);
	else if (nd > 0)
		say(r, "removed", DIAG_EXIT_OK, "removed %zu entr%s", nd,
		    nd == 1 ? "y" : "ies");
	else
		say(r, "not_registered", DIAG_EXIT_OK, "not registered: "
		    "nothing to remove");
}

static void
act(struct br_db *db, const struct br_opts *o, enum br_action a,
    struct br_result *r)
{
	char	sql[BR_PATH + 8];

	memset(r, 0, sizeof(*r));
	br_check(db, o->module, o->name);
	if (a == ACT_STATUS) {
		r->exit = db->state == BR_REGISTERED ? DIAG_EXIT_OK :
		    DIAG_EXIT_PROBLEM;
		return;
	}
	if (db->pid != 0 && !o->force) {
		say(r, "refused", DIAG_EXIT_BUSY, "Firefox is running on this "
		    "profile (pid %ld): close it and run this again (or "
		    "--force)", db->pid);
		return;
	}
	(void)snprintf(sql, sizeof(sql), "sql:%s", db->dir);
	if (a == ACT_REGISTER)
		do_register(db, o, r, sql);
	else
		do_unregister(db, o, r, sql);
}

static void
state_text(const struct br_db *db, char *buf, size_t cap)
{
	switch (db->state) {
	case BR_REGISTERED:
		(void)snprintf(buf, cap, "registered (%s)", db->library);
		break;
	case BR_DIFFERS:
		(void)snprintf(buf, cap, "module path differs: \"%s\" loads %s",
		    db->entry, db->library);
		break;
	case BR_NOT_REGISTERED:
		(void)snprintf(buf, cap, "not registered%s", db->proxy ?
		    " (loads p11-kit-proxy)" : "");
		break;
	case BR_NO_DB:
		(void)snprintf(buf, cap, "no NSS database");
		break;
	default:
		(void)snprintf(buf, cap, "unreadable (pkcs11.txt)");
		break;
	}
}

static void
emit(struct diag_out *o, const struct br_db *db, const struct br_result *r)
{
	char	st[BR_PATH + 256];

	if (!o->json) {
		state_text(db, st, sizeof(st));
		out_line(o, "%s %s: %s%s%s", br_title(db), db->dir,
		    r->result != NULL ? r->detail : st,
		    r->result != NULL ? "; now " : "",
		    r->result != NULL ? st : "");
		return;
	}
	out_obj(o, NULL, NULL);
	out_str(o, "browser", db->firefox ? "firefox" : "chromium");
	out_str(o, "dir", db->dir);
	out_str(o, "state", br_state_name(db->state));
	out_str(o, "entry", db->entry[0] != '\0' ? db->entry : NULL);
	out_str(o, "library", db->library[0] != '\0' ? db->library : NULL);
	out_bool(o, "p11kit_proxy", db->proxy);
	if (db->pid != 0)
		out_int(o, "firefox_pid", db->pid);
	else
		out_str(o, "firefox_pid", NULL);
	out_str(o, "result", r->result);
	out_str(o, "detail", r->result != NULL ? r->detail : NULL);
	out_end(o);
}

/* The worst share: a failure over a refusal over a problem found. */
static int
worse(int a, int b)
{
	static const int	order[] = { DIAG_EXIT_OK, DIAG_EXIT_PROBLEM,
	    DIAG_EXIT_BUSY };
	size_t			i, ia = 0, ib = 0;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (order[i] == a)
			ia = i;
		if (order[i] == b)
			ib = i;
	}
	return ib > ia ? b : a;
}

static int
run_all(struct br_set *s, const struct br_opts *o, enum br_action a,
    bool json)
{
	static const char *const	names[] = { "status", "register",
	    "unregister" };
	struct diag_out			out;
	struct br_result		r;
	size_t				i;
	int				ex = DIAG_EXIT_OK, failed = 0;

	out_init(&out, stdout, json);
	out_str(&out, "action", names[a]);
	out_str(&out, "module", o->module);
	out_str(&out, "name", o->name);
	out_arr(&out, "databases", NULL);
	for (i = 0; i < s->n; i++) {
		act(&s->db[i], o, a, &r);
		emit(&out, &s->db[i], &r);
		failed += r.result != NULL && strcmp(r.result, "failed") == 0;
		ex = worse(ex, r.exit);
	}
	out_end(&out);
	if (failed > 0)
		ex = DIAG_EXIT_PROBLEM;
	if (s->truncated)
		out_warn(&out, "more than %d Firefox profiles: the rest were "
		    "not looked at", BR_MAX_DBS - 1);
	out_finish(&out);
	return ex;
}

static int
resolve_module(struct br_opts *o, enum br_action a, char *buf, size_t cap)
{
	char	real[PATH_MAX];

	if (o->module == NULL && (o->module = br_default_module(buf, cap)) ==
	    NULL) {
		fprintf(stderr, "smartsign-diag browsers: no installed "
		    BR_MODULE_BASE " found: give it with --module PATH\n");
		return DIAG_EXIT_MODULE;
	}
	if (realpath(o->module, real) != NULL && strlen(real) < cap) {
		memcpy(buf, real, strlen(real) + 1);
		o->module = buf;
	} else if (a == ACT_REGISTER) {
		fprintf(stderr, "smartsign-diag browsers: %s: %s\n", o->module,
		    strerror(errno));
		return DIAG_EXIT_MODULE;
	}
	if (!br_clean(o->module) || (a == ACT_REGISTER &&
	    access(o->module, R_OK) < 0)) {
		fprintf(stderr, "smartsign-diag browsers: unusable module "
		    "path\n");
		return a == ACT_REGISTER ? DIAG_EXIT_MODULE : DIAG_EXIT_USAGE;
	}
	return DIAG_EXIT_OK;
}

static int
parse_action(int n, char **argv, enum br_action *a)
{
	*a = ACT_STATUS;
	if (n == 0)
		return 0;
	if (n == 1 && strcmp(argv[1], "status") == 0)
		return 0;
	if (n == 1 && strcmp(argv[1], "register") == 0)
		*a = ACT_REGISTER;
	else if (n == 1 && strcmp(argv[1], "unregister") == 0)
		*a = ACT_UNREGISTER;
	else {
		fprintf(stderr, "smartsign-diag browsers: one of status, "
		    "register, unregister (see --help)\n");
		return -1;
	}
	return 0;
}

int
diag_cmd_browsers(int argc, char **argv)
{
	static const struct diag_optdef defs[] = {
		{ "--module", true, 1 }, { "--name", true, 2 },
		{ "--force", false, 3 }, { NULL, false, 0 }
	};
	struct br_opts		 bo = { NULL, BR_DEFAULT_NAME, false };
	struct diag_opts	 opt;
	struct br_set		*s;
	enum br_action		 a;
	char			 mod[PATH_MAX];
	int			 n, rc;

	if ((rc = diag_parse(argc, argv, usage_text, defs, &opt, br_opt, &bo,
	    &n)) != 0)
		return rc > 0 ? DIAG_EXIT_OK : DIAG_EXIT_USAGE;
	if (parse_action(n, argv, &a) < 0)
		return DIAG_EXIT_USAGE;
	if (!good_name(bo.name)) {
		fprintf(stderr, "smartsign-diag browsers: --name: printable "
		    "ASCII, no quote, not starting with '-'\n");
		return DIAG_EXIT_USAGE;
	}
	if ((rc = resolve_module(&bo, a, mod, sizeof(mod))) != 0)
		return rc;
	if ((s = malloc(sizeof(*s))) == NULL)
		return DIAG_EXIT_INTERNAL;
	if (br_find(getenv("HOME"), s) < 0) {
		fprintf(stderr, "smartsign-diag browsers: HOME is not an "
		    "absolute path\n");
		free(s);
		return DIAG_EXIT_USAGE;
	}
	rc = run_all(s, &bo, a, opt.json);
	free(s);
	return rc;
}
