/*
 * tools/diag_report.c - `smartsign-diag report`: every section (system,
 * doctor, readers, and for each reader its features, ATR and card with
 * certificates; optionally the self-test) in one file for support.
 * No PIN ever enters the report: the self-test reads it into its own
 * buffer, wipes it, and prints only results.  Nothing private beyond the
 * card's certificates is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "tools/diag.h"

#define DPKG_STATUS	"/var/lib/dpkg/status"
#define DPKG_MAX	(64u << 20)
#define OS_RELEASE	"/etc/os-release"

static const char usage_text[] =
"usage: smartsign-diag report [--json] [-o FILE] [--reader NAME]\n"
"                             [--selftest [--pin-fd N]] [--module PATH]\n"
"\n"
"Writes one file for support with everything the other commands find:\n"
"the system (OS, kernel, versions of the smart-card packages), `doctor`,\n"
"`readers`, and for each reader `features`, `atr` and `card` (with the\n"
"certificates in PEM).  With --selftest the self-test runs too (it asks\n"
"the PIN, or reads it from --pin-fd); its results go in the report, the\n"
"PIN never does.  -o FILE (default smartsign-report-DATE-TIME.txt, or\n"
".json with --json; - for standard output).  The file is created new,\n"
"mode 0600.\n"
"\n"
"Exit status: 0 written (the problems found are in it), 2 bad usage,\n"
"9 the file could not be written.\n";

static const char *const packages[] = {
	"pcscd", "libpcsclite1", "libccid", "pcsc-tools", "opensc",
	"p11-kit", "libnss3", "firefox-esr", "firefox", "chromium",
	"vsmartcard-vpcd", "libifd-cyberjack6", "libacsccid1",
};

struct report_args {
	const char		*file;
	bool			 selftest;
	struct diag_st_opts	 st;
};

static void
emit_os(struct diag_out *o)
{
	uint8_t		*b;
	size_t		 n;
	struct ss_rd	 r;
	const char	*line;
	char		 v[256];

	if (diag_read_file(OS_RELEASE, 1u << 16, &b, &n) < 0)
		return;
	ss_rd_init(&r, b, n);
	while (diag_next_line(&r, &line, &n))
		if (n > 14 && strncmp(line, "PRETTY_NAME=\"", 13) == 0 &&
		    diag_line_str(line + 13, n - 14, v, sizeof(v))) {
			out_str(o, "os", v);
			break;
		}
	free(b);
}

/* "Package: p" ... "Version: v" in dpkg's status file. */
static void
emit_versions(struct diag_out *o)
{
	uint8_t		*b;
	size_t		 n, i, len;
	struct ss_rd	 r;
	const char	*line, *pkg = NULL;
	char		 v[128];

	out_obj(o, "packages", "packages");
	if (diag_read_file(DPKG_STATUS, DPKG_MAX, &b, &n) < 0) {
		out_end(o);
		return;
	}
	ss_rd_init(&r, b, n);
	while (diag_next_line(&r, &line, &len)) {
		if (len == 0)
			pkg = NULL;
		for (i = 0; len > 9 && strncmp(line, "Package: ", 9) == 0 &&
		    i < sizeof(packages) / sizeof(packages[0]); i++)
			if (len - 9 == strlen(packages[i]) &&
			    strncmp(line + 9, packages[i], len - 9) == 0)
				pkg = packages[i];
		if (pkg != NULL && len > 9 && strncmp(line, "Version: ", 9) ==
		    0 && diag_line_str(line + 9, len - 9, v, sizeof(v)))
			out_str(o, pkg, v);
	}
	free(b);
	out_end(o);
}

static void
emit_system(struct diag_out *o)
{
	struct utsname	 u;
	struct passwd	*pw = getpwuid(getuid());
	char		 ts[48];

	diag_timestamp(ts, sizeof(ts));
	out_obj(o, "system", "system");
	out_str(o, "date", ts);
	out_str(o, "smartsign_diag", DIAG_VERSION);
	if (uname(&u) == 0) {
		out_str(o, "host", u.nodename);
		out_strf(o, "kernel", "%s %s %s", u.sysname, u.release,
		    u.machine);
	}
	emit_os(o);
	out_strf(o, "user", "%s (uid %u)", pw != NULL ? pw->pw_name : "?",
	    (unsigned)getuid());
	emit_versions(o);
	out_end(o);
}

static void
emit_reader(struct diag_out *o, const struct diag_pcsc *p,
    const struct ss_reader_info *r)
{
	struct diag_card_opts	co = { true };

	out_obj(o, NULL, r->name);
	out_obj(o, "features", "features");
	(void)diag_features_emit(o, p, r);
	out_end(o);
	if (r->card && !r->mute && r->atr_len > 0) {
		out_obj(o, "atr", "ATR");
		(void)diag_atr_emit(o, r->atr, r->atr_len, NULL);
		out_end(o);
		out_obj(o, "card", "card");
		(void)diag_card_emit(o, p, r, &co);
		out_end(o);
	}
	out_end(o);
}

static void
emit_pcsc(struct diag_out *o, const char *name)
{
	struct diag_pcsc	*p = calloc(1, sizeof(*p));
	size_t			 i;
	int			 rc;

	if (p == NULL)
		return;
	if ((rc = diag_pcsc_open(p)) != SS_ERR_OK) {
		out_strf(o, "pcsc", "pcscd not reachable: %s", ss_strerror(rc));
		diag_pcsc_close(p);
		free(p);
		return;
	}
	out_obj(o, "readers", "readers");
	(void)diag_readers_emit(o, p, true);
	out_end(o);
	out_arr(o, "details", "reader details");
	for (i = 0; i < p->n; i++)
		if (name == NULL || strstr(p->info[i].name, name) != NULL)
			emit_reader(o, p, &p->info[i]);
	out_end(o);
	diag_pcsc_close(p);
	free(p);
}

static void
emit_report(struct diag_out *o, const struct report_args *a,
    const char *reader)
{
	struct diag_doctor_opts	dop = { "", a->st.module, NULL };
	char			mod[4096];

	if (dop.module == NULL)
		dop.module = diag_default_module(mod, sizeof(mod));
	out_line(o, "smartsign-diag report (no PIN; certificates only)");
	emit_system(o);
	out_obj(o, "doctor", "installation (doctor)");
	(void)diag_doctor_emit(o, &dop);
	out_end(o);
	emit_pcsc(o, reader);
	if (a->selftest) {
		out_obj(o, "selftest", "self-test");
		(void)diag_selftest_emit(o, &a->st);
		out_end(o);
	}
}

static FILE *
open_report(const char *file, bool json, char *name, size_t cap)
{
	char		ts[32];
	time_t		now = time(NULL);
	struct tm	tm;
	int		fd;
	FILE		*f;

	if (file != NULL && strcmp(file, "-") == 0) {
		(void)snprintf(name, cap, "-");
		return stdout;
	}
	if (file == NULL) {
		(void)localtime_r(&now, &tm);
		(void)strftime(ts, sizeof(ts), "%Y%m%d-%H%M%S", &tm);
		(void)snprintf(name, cap, "smartsign-report-%s.%s", ts,
		    json ? "json" : "txt");
	} else {
		(void)snprintf(name, cap, "%s", file);
	}
	fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "smartsign-diag report: cannot create %s: %s\n",
		    name, strerror(errno));
		if (fd >= 0)
			(void)close(fd);
		return NULL;
	}
	return f;
}

static int
report_opt(void *arg, int id, const char *val)
{
	struct report_args	*a = arg;
	unsigned long		 fd;

	switch (id) {
	case 1:
		a->file = val;
		return 0;
	case 2:
		a->selftest = true;
		return 0;
	case 3:
		if (diag_parse_uint(val, 1024, &fd) < 0 ||
		    fcntl((int)fd, F_GETFD) < 0) {
			fprintf(stderr, "smartsign-diag: --pin-fd %s is not an "
			    "open file descriptor\n", val);
			return -1;
		}
		a->st.pin_fd = (int)fd;
		return 0;
	default:
		a->st.module = val;
		return 0;
	}
}

int
diag_cmd_report(int argc, char **argv)
{
	static const struct diag_optdef defs[] = {
		{ "-o", true, 1 }, { "--output", true, 1 },
		{ "--selftest", false, 2 }, { "--pin-fd", true, 3 },
		{ "--module", true, 4 }, { NULL, false, 0 }
	};
	struct report_args	a;
	struct diag_opts	opt;
	struct diag_out		o;
	char			name[4096];
	FILE			*f;
	int			n, rc;

	memset(&a, 0, sizeof(a));
	a.st.pin_fd = -1;
	diag_no_core();
	if ((rc = diag_parse(argc, argv, usage_text, defs, &opt, report_opt,
	    &a, &n)) != 0)
		return rc > 0 ? DIAG_EXIT_OK : DIAG_EXIT_USAGE;
	if (n > 0) {
		fprintf(stderr, "smartsign-diag report: no operands\n");
		return DIAG_EXIT_USAGE;
	}
	a.st.reader = opt.reader;
	if ((f = open_report(a.file, opt.json, name, sizeof(name))) == NULL)
		return DIAG_EXIT_INTERNAL;
	out_init(&o, f, opt.json);
	emit_report(&o, &a, opt.reader);
	out_finish(&o);
	if (f != stdout && (ferror(f) || fclose(f) != 0)) {
		fprintf(stderr, "smartsign-diag report: writing %s failed\n",
		    name);
		return DIAG_EXIT_INTERNAL;
	}
	if (f != stdout)
		fprintf(stderr, "smartsign-diag: report written to %s\n", name);
	return DIAG_EXIT_OK;
}
