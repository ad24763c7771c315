/*
 * tools/diag_doctor.c - `smartsign-diag doctor`: check the installation
 * from the bottom up and print the fix for everything that is wrong.
 * This file: the check printer, and the PC/SC service (pcscd installed,
 * its socket, its process, reachable) and the user's groups.
 */
#include <dirent.h>
#include <limits.h>
#include <grp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/diag_browsers.h"
#include "tools/diag_doctor.h"

#define PCSCD_BIN	"/usr/sbin/pcscd"
#define PCSCD_SOCK	"/run/pcscd/pcscd.comm"
#define PCSCD_PIDFILE	"/run/pcscd/pcscd.pid"
#define POLKIT_POLICY	\
	"/usr/share/polkit-1/actions/org.debian.pcsc-lite.policy"
#define GROUPS_MAX	64

static const char usage_text[] =
"usage: smartsign-diag doctor [--json] [--module PATH] [--root DIR]\n"
"\n"
"Checks the installation, bottom up, and prints for every failed check\n"
"the exact command that fixes it:\n"
"  pcscd installed, its socket " PCSCD_SOCK " (and who may use it),\n"
"  its process, and whether it answers; the CCID driver; the USB readers\n"
"  attached (against the table in udev/readers.tsv), their drivers and\n"
"  the smartsign udev rules; the user's groups and pcscd's access\n"
"  control; the PKCS#11 module, its p11-kit registration, and whether\n"
"  Firefox's profiles and Chromium's NSS database load it (the check of\n"
"  `smartsign-diag browsers status`).\n"
"--module PATH names the module to look for (default: as selftest; in\n"
"  the browsers, the one `browsers register` adds).\n"
"--root DIR reads installed files (sysfs, drivers, udev rules, p11-kit,\n"
"browser policies) under DIR, for tests and offline images; the pcscd\n"
"socket, its process and $HOME stay the live ones.\n"
"\n"
"Exit status: 0 no check failed (warnings allowed), 1 a check failed.\n";

static const char *const chk_names[CHK_NSTATES] = {
	"ok", "info", "skip", "warn", "fail"
};
static const char *const chk_tags[CHK_NSTATES] = {
	"[ OK ]", "[INFO]", "[SKIP]", "[WARN]", "[FAIL]"
};

void
doc_check(struct doctor *d, const char *id, const char *title, enum chk st,
    const char *fix, const char *fmt, ...)
{
	char	detail[1024];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	d->count[st]++;
	if (d->o->json) {
		out_obj(d->o, NULL, NULL);
		out_str(d->o, "check", id);
		out_str(d->o, "title", title);
		out_str(d->o, "status", chk_names[st]);
		out_str(d->o, "detail", detail);
		out_str(d->o, "fix", st >= CHK_WARN ? fix : NULL);
		out_end(d->o);
		return;
	}
	out_line(d->o, "%s %s: %s", chk_tags[st], title, detail);
	if (st >= CHK_WARN && fix != NULL)
		out_line(d->o, "       fix: %s", fix);
}

const char *
doc_path(const struct doctor *d, const char *path, char *buf, size_t cap)
{
	(void)snprintf(buf, cap, "%s%s", d->opt->root, path);
	return buf;
}

bool
doc_exists(const struct doctor *d, const char *path)
{
	char		p[4096];
	struct stat	st;

	return stat(doc_path(d, path, p, sizeof(p)), &st) == 0;
}

static void
check_installed(struct doctor *d)
{
	char	p[4096];

	if (access(doc_path(d, PCSCD_BIN, p, sizeof(p)), X_OK) == 0)
		doc_check(d, "pcscd_installed", "pcscd installed", CHK_OK, NULL,
		    "%s", PCSCD_BIN);
	else
		doc_check(d, "pcscd_installed", "pcscd installed", CHK_FAIL,
		    "sudo apt-get install pcscd", "%s missing", PCSCD_BIN);
}

static void
check_socket(struct doctor *d)
{
	struct stat	st;
	const char	*fix = "sudo systemctl enable --now pcscd.socket";

	if (stat(PCSCD_SOCK, &st) < 0) {
		doc_check(d, "pcscd_socket", "pcscd socket", CHK_FAIL, fix,
		    "%s missing: pcscd is not running and not socket-activated",
		    PCSCD_SOCK);
		return;
	}
	if (!S_ISSOCK(st.st_mode)) {
		doc_check(d, "pcscd_socket", "pcscd socket", CHK_FAIL,
		    "sudo systemctl restart pcscd.socket", "%s is not a socket",
		    PCSCD_SOCK);
		return;
	}
	if (access(PCSCD_SOCK, R_OK | W_OK) < 0) {
		doc_check(d, "pcscd_socket", "pcscd socket", CHK_FAIL,
		    "sudo chmod 0666 " PCSCD_SOCK " (pcscd.socket sets "
		    "SocketMode=0666)", "%s mode %04o: this user may not "
		    "connect", PCSCD_SOCK, (unsigned)(st.st_mode & 07777));
		return;
	}
	doc_check(d, "pcscd_socket", "pcscd socket", CHK_OK, NULL,
	    "%s mode %04o, usable by this user", PCSCD_SOCK,
	    (unsigned)(st.st_mode & 07777));
}

/* Is pid a pcscd (its comm)? */
static bool
is_pcscd(long pid)
{
	char		 p[64], comm[32];
	uint8_t		*b;
	size_t		 n;
	struct ss_rd	 r;
	const char	*line;
	bool		 yes;

	(void)snprintf(p, sizeof(p), "/proc/%ld/comm", pid);
	if (diag_read_file(p, 64, &b, &n) < 0)
		return false;
	ss_rd_init(&r, b, n);
	yes = diag_next_line(&r, &line, &n) &&
	    diag_line_str(line, n, comm, sizeof(comm)) &&
	    strcmp(comm, "pcscd") == 0;
	free(b);
	return yes;
}

/* The pcscd serving our /run/pcscd: its pid file, else a process in our
 * mount namespace. */
static long
find_pcscd(void)
{
	uint8_t		*b;
	size_t		 n;
	long		 pid = 0;
	char		 me[64], it[64], p[64];
	DIR		*dir;
	struct dirent	*e;
	ssize_t		 k;

	if (diag_read_file(PCSCD_PIDFILE, 32, &b, &n) == 0) {
		pid = strtol((const char *)b, NULL, 10);
		free(b);
		if (pid > 0 && is_pcscd(pid))
			return pid;
	}
	if ((k = readlink("/proc/self/ns/mnt", me, sizeof(me) - 1)) <= 0 ||
	    (dir = opendir("/proc")) == NULL)
		return 0;
	me[k] = '\0';
	pid = 0;
	while (pid == 0 && (e = readdir(dir)) != NULL) {
		long	x = strtol(e->d_name, NULL, 10);

		if (x <= 0 || !is_pcscd(x))
			continue;
		(void)snprintf(p, sizeof(p), "/proc/%ld/ns/mnt", x);
		k = readlink(p, it, sizeof(it) - 1);
		if (k < 0 || (it[k] = '\0', strcmp(it, me) == 0))
			pid = x;	/* unreadable (not root): assume ours */
	}
	(void)closedir(dir);
	return pid;
}

static void
check_process(struct doctor *d)
{
	long	pid = find_pcscd();

	if (pid > 0)
		doc_check(d, "pcscd_running", "pcscd running", CHK_OK, NULL,
		    "pid %ld", pid);
	else if (access(PCSCD_SOCK, F_OK) == 0)
		doc_check(d, "pcscd_running", "pcscd running", CHK_INFO, NULL,
		    "not running now; systemd starts it on the first "
		    "connection (pcscd.socket)");
	else
		doc_check(d, "pcscd_running", "pcscd running", CHK_FAIL,
		    "sudo systemctl restart pcscd.socket pcscd.service",
		    "pcscd is not running");
}

static void
check_reachable(struct doctor *d)
{
	struct diag_pcsc	*p = calloc(1, sizeof(*p));
	int			 rc;

	if (p == NULL)
		return;
	rc = diag_pcsc_open(p);
	if (rc == SS_ERR_OK) {
		d->pcsc_ok = true;
		d->pcsc_readers = p->n;
		doc_check(d, "pcscd_reachable", "pcscd reachable", CHK_OK, NULL,
		    "answers; %zu reader%s", p->n, p->n == 1 ? "" : "s");
	} else {
		doc_check(d, "pcscd_reachable", "pcscd reachable", CHK_FAIL,
		    "sudo systemctl restart pcscd.socket pcscd.service "
		    "(then: journalctl -u pcscd -b)",
		    "pcscd does not answer (%s): the PC/SC daemon is stopped "
		    "or hung", ss_strerror(rc));
	}
	diag_pcsc_close(p);
	free(p);
}

static void
check_driver(struct doctor *d)
{
	if (doc_exists(d, "/usr/lib/pcsc/drivers/ifd-ccid.bundle/Contents/"
	    "Info.plist") && doc_exists(d, "/usr/lib/pcsc/drivers/"
	    "ifd-ccid.bundle/Contents/Linux/libccid.so"))
		doc_check(d, "ccid_driver", "CCID driver", CHK_OK, NULL,
		    "/usr/lib/pcsc/drivers/ifd-ccid.bundle");
	else
		doc_check(d, "ccid_driver", "CCID driver", CHK_FAIL,
		    "sudo apt-get install libccid && sudo systemctl restart "
		    "pcscd", "libccid is not installed: pcscd cannot talk to "
		    "USB readers");
}

/* The user's groups, and pcscd's access control. */
static void
check_groups(struct doctor *d)
{
	gid_t		 g[GROUPS_MAX];
	char		 list[1024] = "";
	struct group	*gr;
	size_t		 off = 0;
	int		 n, i;

	n = getgroups(GROUPS_MAX, g);
	for (i = 0; i < n && off < sizeof(list) - 1; i++) {
		gr = getgrgid(g[i]);
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
		    i ? " " : "", gr != NULL ? gr->gr_name : "?");
	}
	doc_check(d, "groups", "user's groups", CHK_INFO, NULL, "%s",
	    n > 0 ? list : "(none)");
	if (doc_exists(d, POLKIT_POLICY))
		doc_check(d, "access_control", "pcscd access control",
		    CHK_INFO, NULL, "polkit decides (%s): an active local "
		    "session is allowed; remote (ssh) sessions need a polkit "
		    "rule, not a group", POLKIT_POLICY);
	else
		doc_check(d, "access_control", "pcscd access control",
		    CHK_INFO, NULL, "no polkit in pcscd (Debian 12): pcscd "
		    "runs as root and anyone who can open its socket may use "
		    "it; no group is needed (getent group pcscd: %s)",
		    getgrnam("pcscd") != NULL ? "exists" : "none");
}

int
diag_doctor_emit(struct diag_out *o, const struct diag_doctor_opts *opt)
{
	struct doctor	d;

	memset(&d, 0, sizeof(d));
	d.o = o;
	d.opt = opt;
	out_arr(o, "checks", NULL);
	check_installed(&d);
	check_socket(&d);
	check_process(&d);
	check_reachable(&d);
	check_driver(&d);
	doc_usb(&d);
	check_groups(&d);
	doc_clients(&d);
	out_end(o);
	if (o->json) {
		out_obj(o, "summary", NULL);
		out_int(o, "ok", d.count[CHK_OK]);
		out_int(o, "warnings", d.count[CHK_WARN]);
		out_int(o, "failed", d.count[CHK_FAIL]);
		out_end(o);
	}
	out_line(o, "%u failed, %u warning%s, %u ok", d.count[CHK_FAIL],
	    d.count[CHK_WARN], d.count[CHK_WARN] == 1 ? "" : "s",
	    d.count[CHK_OK]);
	return d.count[CHK_FAIL] > 0 ? DIAG_EXIT_PROBLEM : DIAG_EXIT_OK;
}

static int
doctor_opt(void *arg, int id, const char *val)
{
	struct diag_doctor_opts	*dop = arg;

	if (id == 1)
		dop->module = val;
	else
		dop->root = val;
	return 0;
}

int
diag_cmd_doctor(int argc, char **argv)
{
	static const struct diag_optdef defs[] = {
		{ "--module", true, 1 }, { "--root", true, 2 },
		{ NULL, false, 0 }
	};
	struct diag_doctor_opts	dop = { "", NULL, NULL };
	struct diag_opts	opt;
	struct diag_out		o;
	char			mod[4096], brmod[PATH_MAX];
	int			n, rc;

	if ((rc = diag_parse(argc, argv, usage_text, defs, &opt, doctor_opt,
	    &dop, &n)) != 0)
		return rc > 0 ? DIAG_EXIT_OK : DIAG_EXIT_USAGE;
	if (n > 0) {
		fprintf(stderr, "smartsign-diag doctor: no operands\n");
		return DIAG_EXIT_USAGE;
	}
	if (dop.module == NULL) {
		dop.module = diag_default_module(mod, sizeof(mod));
		/* the module `browsers register` would add */
		dop.br_module = br_default_module(brmod, sizeof(brmod));
	}
	out_init(&o, stdout, opt.json);
	rc = diag_doctor_emit(&o, &dop);
	out_finish(&o);
	return rc;
}
