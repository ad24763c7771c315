/*
 * tools/bench.c - smartsign-bench: main, options, the PIN.
 *
 * Runs named flows with PKCS#11 modules (loaded by path) against the card
 * in one reader, counts the card's APDUs, VERIFYs and private-key
 * operations with the emulator's counters file, times each run in a fresh
 * process and prints a markdown table.  See usage() and README.md
 * ("Benchmark").
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader/wipe.h"
#include "tools/bench.h"

static const char *const flow_names[FLOW_COUNT] = {
	"cold", "browser", "rsa", "ec", "threads", "procs",
};

static const char usage_text[] =
"usage: smartsign-bench [options] --module NAME=PATH [--module ...]\n"
"       smartsign-bench --report FILE...\n"
"\n"
"Measure PKCS#11 modules on the same card: for every flow, every run,\n"
"every module, a fresh process loads the module (dlopen +\n"
"C_GetFunctionList) and runs the flow; the emulator's counters file gives\n"
"the card's APDUs, VERIFYs and private-key operations (keyops) of the\n"
"measured part; every signature is verified with OpenSSL against the\n"
"certificate read from the card beforehand.  Prints a markdown table.\n"
"\n"
"flows (--flows, comma-separated; default all):\n"
"  cold      dlopen, C_Initialize ... one SHA256-RSA-PKCS signature with\n"
"            the 9A key (CKA_ID 01) ... C_Finalize, all measured\n"
"  browser   what NSS does at start-up, no login: slots, token,\n"
"            mechanisms, session, all objects, CKA_CLASS of each,\n"
"            CKA_ID/LABEL/VALUE of certificates, CKA_KEY_TYPE of\n"
"            private keys; all measured\n"
"  rsa       --sigs signatures with 9A in one session (loop measured)\n"
"  ec        --sigs ECDSA-SHA256 signatures with 9C (CKA_ID 02), each\n"
"            C_SignInit, C_Login(CKU_CONTEXT_SPECIFIC), C_Sign\n"
"  threads   --threads threads x --thread-sigs 9A signatures, a session\n"
"            each (from first thread start to last join)\n"
"  procs     --procs processes x --proc-sigs 9A signatures, forked\n"
"            before anything is initialized (from the common start to\n"
"            the last signature)\n"
"\n"
"slot and card:\n"
"  --module NAME=PATH     a module to measure (repeatable, up to 8)\n"
"  --reader NAME          slot whose description starts with NAME, and\n"
"                         the PC/SC reader of the floor measurement\n"
"                         (default $SMARTSIGN_READER)\n"
"  --token-label LABEL    slot whose token has this label\n"
"  --slot-index N         N-th matching slot with a token (default 0)\n"
"  --counters FILE        emulator counters (default\n"
"                         $SMARTSIGN_EMU_COUNTERS)\n"
"  --pin-env VAR          the PIN is in environment variable VAR\n"
"                         (default SMARTSIGN_PIN); it is never printed\n"
"  --pin-fd N             read the PIN from file descriptor N instead\n"
"\n"
"sizes:\n"
"  --runs N               runs of cold and browser (default 5)\n"
"  --sig-runs N           runs of the signing flows (default 5)\n"
"  --sigs N               signatures of rsa and ec (default 100)\n"
"  --threads N --thread-sigs N   (default 4 x 25)\n"
"  --procs N --proc-sigs N       (default 2 x 25)\n"
"  --procs-early-exit     each process of procs ends its session as soon\n"
"                         as its own signatures are done (default: all\n"
"                         end together after the last signature)\n"
"  --rtt N                SELECTs for the APDU round trip (default 1000)\n"
"  --keyop-n N            OpenSSL operations per key type (default 200)\n"
"  --timeout S            limit per process (default 300)\n"
"\n"
"report:\n"
"  --profile NAME         name of this card profile (default \"full "
"speed\")\n"
"  --desc TEXT            the profile in words (printed above its table)\n"
"  --apdu-delay MS --keyop-delay-rsa MS --keyop-delay-ec MS\n"
"                         the emulator's delays in this run (for the\n"
"                         floor; the rig sets the emulator itself)\n"
"  --baseline NAME        ratio column against this module (opensc)\n"
"  --subject NAME         the module the bar is checked for (smartsign)\n"
"  --bar-time             also check its cold and browser time <= 0.5x\n"
"  --raw FILE             append the raw results (TSV) to FILE\n"
"  --report FILE...       print the report of raw result files\n"
"  --quiet                no progress lines on stderr\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 done (see the table for failed flows), 1 error, 2 usage.\n";

enum {
	O_MODULE = 256, O_READER, O_LABEL, O_INDEX, O_COUNTERS, O_PIN_ENV,
	O_PIN_FD, O_FLOWS, O_RUNS, O_SIG_RUNS, O_SIGS, O_THREADS,
	O_THREAD_SIGS, O_PROCS, O_PROC_SIGS, O_RTT, O_KEYOP_N, O_TIMEOUT,
	O_PROFILE, O_DESC, O_APDU_DELAY, O_KD_RSA, O_KD_EC, O_BASELINE,
	O_SUBJECT, O_BAR_TIME, O_RAW, O_REPORT, O_QUIET, O_CHILD,
	O_CHILD_MODULE, O_CERTDIR, O_RESULT_FD, O_EARLY_EXIT,
};

static const struct option long_opts[] = {
	{ "module", required_argument, NULL, O_MODULE },
	{ "reader", required_argument, NULL, O_READER },
	{ "token-label", required_argument, NULL, O_LABEL },
	{ "slot-index", required_argument, NULL, O_INDEX },
	{ "counters", required_argument, NULL, O_COUNTERS },
	{ "pin-env", required_argument, NULL, O_PIN_ENV },
	{ "pin-fd", required_argument, NULL, O_PIN_FD },
	{ "flows", required_argument, NULL, O_FLOWS },
	{ "runs", required_argument, NULL, O_RUNS },
	{ "sig-runs", required_argument, NULL, O_SIG_RUNS },
	{ "sigs", required_argument, NULL, O_SIGS },
	{ "threads", required_argument, NULL, O_THREADS },
	{ "thread-sigs", required_argument, NULL, O_THREAD_SIGS },
	{ "procs", required_argument, NULL, O_PROCS },
	{ "proc-sigs", required_argument, NULL, O_PROC_SIGS },
	{ "rtt", required_argument, NULL, O_RTT },
	{ "keyop-n", required_argument, NULL, O_KEYOP_N },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "profile", required_argument, NULL, O_PROFILE },
	{ "desc", required_argument, NULL, O_DESC },
	{ "apdu-delay", required_argument, NULL, O_APDU_DELAY },
	{ "keyop-delay-rsa", required_argument, NULL, O_KD_RSA },
	{ "keyop-delay-ec", required_argument, NULL, O_KD_EC },
	{ "baseline", required_argument, NULL, O_BASELINE },
	{ "subject", required_argument, NULL, O_SUBJECT },
	{ "bar-time", no_argument, NULL, O_BAR_TIME },
	{ "raw", required_argument, NULL, O_RAW },
	{ "report", no_argument, NULL, O_REPORT },
	{ "quiet", no_argument, NULL, O_QUIET },
	{ "procs-early-exit", no_argument, NULL, O_EARLY_EXIT },
	{ "child", required_argument, NULL, O_CHILD },
	{ "child-module", required_argument, NULL, O_CHILD_MODULE },
	{ "certdir", required_argument, NULL, O_CERTDIR },
	{ "result-fd", required_argument, NULL, O_RESULT_FD },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

const char *
bench_flow_name(int flow)
{
	return flow >= 0 && flow < FLOW_COUNT ? flow_names[flow] : "?";
}

int
bench_flow_parse(const char *s)
{
	int	i;

	for (i = 0; i < FLOW_COUNT; i++)
		if (strcmp(s, flow_names[i]) == 0)
			return i;
	return -1;
}

static int
usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "smartsign-bench: %s%s%s%s (see smartsign-bench "
	    "--help)\n", what, arg != NULL ? " '" : "", arg != NULL ? arg : "",
	    arg != NULL ? "'" : "");
	return 2;
}

static int
parse_uint(const char *s, unsigned max, unsigned *out)
{
	char		*end;
	unsigned long	 v;

	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int
parse_ms(const char *s, double *out)
{
	char	*end;

	*out = strtod(s, &end);
	return *s == '\0' || *end != '\0' || *out < 0 ? -1 : 0;
}

static int
parse_flows(const char *s, unsigned *mask)
{
	char	buf[256], *tok, *save = NULL;
	int	f;

	snprintf(buf, sizeof(buf), "%s", s);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((f = bench_flow_parse(tok)) < 0)
			return -1;
		*mask |= 1u << f;
	}
	return *mask != 0 ? 0 : -1;
}

static int
add_module(struct bench_opts *o, const char *s)
{
	const char	*eq = strchr(s, '=');
	size_t		 n;

	if (eq == NULL || eq == s || eq[1] == '\0' ||
	    o->nmods >= BENCH_MODS_MAX)
		return -1;
	n = (size_t)(eq - s);
	if (n >= BENCH_NAME_MAX || strcspn(s, "\t |") < n)
		return -1;
	memcpy(o->mods[o->nmods].name, s, n);
	o->mods[o->nmods].name[n] = '\0';
	o->mods[o->nmods++].path = eq + 1;
	return 0;
}

static void
defaults(struct bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->slot.reader = getenv("SMARTSIGN_READER");
	o->slot.index = 0;
	o->counters = getenv("SMARTSIGN_EMU_COUNTERS");
	o->profile = "full speed";
	o->baseline = "opensc";
	o->subject = "smartsign";
	o->pin_env = "SMARTSIGN_PIN";
	o->pin_fd = -1;
	o->flows = (1u << FLOW_COUNT) - 1;
	o->runs = o->sig_runs = 5;
	o->sigs = 100;
	o->threads = 4;
	o->thread_sigs = 25;
	o->procs = 2;
	o->proc_sigs = 25;
	o->rtt_n = 1000;
	o->keyop_n = 200;
	o->timeout_s = 300;
	o->child_flow = -1;
	o->result_fd = -1;
}

static int
opt_number(struct bench_opts *o, int c, const char *a)
{
	unsigned	v;
	double		d;

	if (c == O_APDU_DELAY || c == O_KD_RSA || c == O_KD_EC) {
		if (parse_ms(a, &d) < 0)
			return -1;
		if (c == O_APDU_DELAY)
			o->apdu_delay_ms = d;
		else if (c == O_KD_RSA)
			o->keyop_delay_rsa_ms = d;
		else
			o->keyop_delay_ec_ms = d;
		return 0;
	}
	if (parse_uint(a, 1000000, &v) < 0)
		return -1;
	switch (c) {
	case O_INDEX:		o->slot.index = (long)v; break;
	case O_PIN_FD:		o->pin_fd = (int)v; break;
	case O_RUNS:		o->runs = v; break;
	case O_SIG_RUNS:	o->sig_runs = v; break;
	case O_SIGS:		o->sigs = v; break;
	case O_THREADS:		o->threads = v; break;
	case O_THREAD_SIGS:	o->thread_sigs = v; break;
	case O_PROCS:		o->procs = v; break;
	case O_PROC_SIGS:	o->proc_sigs = v; break;
	case O_RTT:		o->rtt_n = v; break;
	case O_KEYOP_N:		o->keyop_n = v; break;
	case O_TIMEOUT:		o->timeout_s = v; break;
	case O_RESULT_FD:	o->result_fd = (int)v; break;
	default:		return -1;
	}
	return 0;
}

static int
opt_string(struct bench_opts *o, int c, const char *a)
{
	switch (c) {
	case O_MODULE:		return add_module(o, a);
	case O_READER:		o->slot.reader = a; break;
	case O_LABEL:		o->slot.label = a; break;
	case O_COUNTERS:	o->counters = a; break;
	case O_PIN_ENV:		o->pin_env = a; break;
	case O_FLOWS:		return parse_flows(a, &o->flows);
	case O_PROFILE:		o->profile = a; break;
	case O_DESC:		o->desc = a; break;
	case O_BASELINE:	o->baseline = a; break;
	case O_SUBJECT:		o->subject = a; break;
	case O_RAW:		o->raw = a; break;
	case O_CHILD_MODULE:	o->child_module = a; break;
	case O_CERTDIR:		o->certdir = a; break;
	case O_CHILD:
		return (o->child_flow = bench_flow_parse(a)) < 0 ? -1 : 0;
	default:
		return opt_number(o, c, a);
	}
	return 0;
}

/* Parse argv; 0 run, 1 help shown, 2 usage error; *report set for
 * --report. */
static int
parse_args(int argc, char **argv, struct bench_opts *o, bool *report)
{
	int	c;

	defaults(o);
	*report = false;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			return 1;
		} else if (c == O_REPORT)
			*report = true;
		else if (c == O_BAR_TIME)
			o->bar_time = true;
		else if (c == O_QUIET)
			o->quiet = true;
		else if (c == O_EARLY_EXIT)
			o->procs_early_exit = true;
		else if (c == '?' || opt_string(o, c, optarg) < 0)
			return c == '?' ? 2 : usage_error("bad value",
			    optarg);
	}
	return 0;
}

static int
check_runner(const struct bench_opts *o)
{
	if (o->nmods == 0)
		return usage_error("no --module NAME=PATH given", NULL);
	if (o->slot.reader == NULL)
		return usage_error("no --reader (nor SMARTSIGN_READER)", NULL);
	if (o->runs == 0 || o->runs > BENCH_RUNS_MAX || o->sig_runs == 0 ||
	    o->sig_runs > BENCH_RUNS_MAX)
		return usage_error("runs must be 1..100", NULL);
	if (o->sigs == 0 || o->threads == 0 || o->procs == 0 ||
	    o->thread_sigs == 0 || o->proc_sigs == 0)
		return usage_error("signature counts must be > 0", NULL);
	if (o->counters == NULL)
		fprintf(stderr, "smartsign-bench: no --counters: APDUs are "
		    "not counted\n");
	return 0;
}

int
bench_pin_read(const struct bench_opts *o, struct bench_pin *pin)
{
	const char	*env;
	ssize_t		 n;

	memset(pin, 0, sizeof(*pin));
	if (o->pin_fd >= 0) {
		n = read(o->pin_fd, pin->v, sizeof(pin->v) - 1);
		if (n <= 0)
			return -1;
		pin->len = (size_t)n;
		while (pin->len > 0 && (pin->v[pin->len - 1] == '\n' ||
		    pin->v[pin->len - 1] == '\r'))
			pin->len--;
	} else {
		if ((env = getenv(o->pin_env)) == NULL ||
		    strlen(env) >= sizeof(pin->v))
			return -1;
		pin->len = strlen(env);
		memcpy(pin->v, env, pin->len);
	}
	return pin->len > 0 ? 0 : -1;
}

void
bench_pin_clear(struct bench_pin *pin)
{
	ss_wipe(pin, sizeof(*pin));
}

static int
run_main(struct bench_opts *o)
{
	struct bench_pin	pin;
	int			rc;

	if ((rc = check_runner(o)) != 0)
		return rc;
	if (bench_pin_read(o, &pin) < 0) {
		fprintf(stderr, "smartsign-bench: no PIN (set %s or give "
		    "--pin-fd)\n", o->pin_env);
		return 2;
	}
	o->pcsc_reader = o->slot.reader;
	rc = bench_run_all(o, &pin);
	bench_pin_clear(&pin);
	return rc;
}

int
main(int argc, char **argv)
{
	struct bench_opts	o;
	bool			report;
	int			rc;

	if ((rc = parse_args(argc, argv, &o, &report)) != 0)
		return rc == 1 ? 0 : rc;
	if (report) {
		if (optind >= argc)
			return usage_error("--report needs files", NULL);
		return bench_report((const char *const *)(uintptr_t)
		    (argv + optind), (size_t)(argc - optind));
	}
	if (o.child_flow >= 0)
		return bench_child_main(&o);
	return run_main(&o);
}
