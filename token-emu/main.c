/*
 * token-emu/main.c - smartsign-emu: create, show and run emulated PIV cards.
 *
 * Exit status: 0 success, 1 runtime error, 2 usage error.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "create.h"
#include "log.h"
#include "quirks.h"
#include "run.h"
#include "vpcd.h"

#ifndef SS_VERSION
#define SS_VERSION	"0.1.0"
#endif

#define EXIT_USAGE	2

static const char overview[] =
"usage: smartsign-emu COMMAND [ARGS...]\n"
"\n"
"An emulated PIV smart card (with YubiKey extensions) for testing\n"
"smartsign: the card lives in a card file, pcscd sees it through the\n"
"vsmartcard vpcd reader driver.\n"
"\n"
"commands:\n"
"  create     make a new card file       (smartsign-emu create --help)\n"
"  show       print what a card file holds (smartsign-emu show --help)\n"
"  run        connect card files to vpcd  (smartsign-emu run --help)\n"
"  help       this text\n"
"  --version  print the version\n"
"\n"
"Exit status: 0 success, 1 runtime error, 2 usage error.\n";

static const char run_usage[] =
"usage: smartsign-emu run [options] CARDFILE[@PORT] [CARDFILE[@PORT]...]\n"
"\n"
"Serve each card file to pcscd's vpcd driver until SIGTERM or SIGINT.\n"
"Card N (1-based) connects to port P+N-1 unless @PORT is given; it\n"
"reconnects whenever vpcd is not there (yet) or pcscd restarts.\n"
"\n"
"options:\n"
"  --host H          vpcd host (default 127.0.0.1)\n"
"  --port P          vpcd port of card 1 (default 35963 = 0x8C7B)\n"
"  --trace FILE      trace control messages and APDUs to FILE (\"-\":\n"
"                    stderr); PIN, PUK and key bytes shown as **\n"
"  --counters FILE   counters of card 1 in FILE, card N in FILE.N;\n"
"                    rewritten atomically after every APDU\n"
"  --apdu-delay MS   wait MS milliseconds before every response\n"
"  --keyop-delay D   wait more per private-key operation: D is MS for\n"
"                    every algorithm, or a list such as\n"
"                    rsa2048=150,p256=60 (others 0) or 20,rsa4096=900\n"
"                    (others 20); names as in 'create --key'\n"
"  --quirk Q[,Q...]  behave like some real cards (default: none):\n"
"                    short-only  extended APDUs answer 6700 although\n"
"                                the ATR announces them\n"
"                    le-exact    a read command (SELECT, GET DATA, GET\n"
"                                RESPONSE, YubiKey GET VERSION/SERIAL/\n"
"                                METADATA) whose short Le (00 = 256)\n"
"                                is not the length it has (< 256)\n"
"                                answers 6Cxx with the right length\n"
"                    odd-6a80    GENERAL AUTHENTICATE with a slot key\n"
"                                whose data ends in an odd byte\n"
"                                answers 6A80, no key operation\n"
"  --pull-after N    pull the card at its Nth APDU (left unanswered) and\n"
"                    keep it out until SIGUSR2\n"
"  --pidfile FILE    write the process id to FILE (removed at exit)\n"
"  --quiet           log errors only\n"
"  --help            this text\n"
"\n"
"signals: SIGUSR1 pulls every card (its connection closes: pcscd sees\n"
"it removed), SIGUSR2 inserts them again, SIGTERM and SIGINT save\n"
"changed cards, write the counters and exit 0.\n";

enum {
	OPT_HOST = 256, OPT_PORT, OPT_TRACE, OPT_COUNTERS, OPT_APDU_DELAY,
	OPT_KEYOP_DELAY, OPT_PULL_AFTER, OPT_PIDFILE, OPT_QUIET, OPT_HELP,
	OPT_QUIRK,
};

static const struct option run_options[] = {
	{ "host",	 required_argument, NULL, OPT_HOST },
	{ "port",	 required_argument, NULL, OPT_PORT },
	{ "trace",	 required_argument, NULL, OPT_TRACE },
	{ "counters",	 required_argument, NULL, OPT_COUNTERS },
	{ "apdu-delay",	 required_argument, NULL, OPT_APDU_DELAY },
	{ "keyop-delay", required_argument, NULL, OPT_KEYOP_DELAY },
	{ "pull-after",	 required_argument, NULL, OPT_PULL_AFTER },
	{ "quirk",	 required_argument, NULL, OPT_QUIRK },
	{ "pidfile",	 required_argument, NULL, OPT_PIDFILE },
	{ "quiet",	 no_argument,	    NULL, OPT_QUIET },
	{ "help",	 no_argument,	    NULL, OPT_HELP },
	{ NULL,		 0,		    NULL, 0 },
};

/* a decimal number in [min, max], nothing else */
static int
parse_num(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < min)
		return -1;
	*out = v;
	return 0;
}

static int
usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "smartsign-emu: run: %s%s%s\n", msg,
	    arg != NULL ? ": " : "", arg != NULL ? arg : "");
	fprintf(stderr, "try 'smartsign-emu run --help'\n");
	return EXIT_USAGE;
}

struct run_args {
	struct emu_run_opts	 o;
	uint64_t		 port;
	struct emu_run_card_arg	*cards;
	char			**paths;
	size_t			 n;
};

static int
run_option(struct run_args *ra, int c, const char *arg)
{
	struct emu_run_opts	*o = &ra->o;
	uint64_t		 v;

	switch (c) {
	case OPT_HOST:
		o->host = arg;
		return 0;
	case OPT_PORT:
		return parse_num(arg, 1, 65535, &ra->port);
	case OPT_TRACE:
		o->trace = arg;
		return 0;
	case OPT_COUNTERS:
		o->counters = arg;
		return 0;
	case OPT_PIDFILE:
		o->pidfile = arg;
		return 0;
	case OPT_QUIET:
		emu_log_set_quiet(true);
		return 0;
	case OPT_PULL_AFTER:
		return parse_num(arg, 1, UINT64_MAX, &o->pull_after);
	case OPT_QUIRK:
		return emu_quirks_parse(arg, &o->quirks);
	case OPT_KEYOP_DELAY:
		return emu_keyop_delay_parse(arg, EMU_RUN_DELAY_MAX_MS,
		    &o->keyop_delay);
	default:
		break;
	}
	if (parse_num(arg, 0, EMU_RUN_DELAY_MAX_MS, &v) < 0)
		return -1;
	o->apdu_delay_ms = (unsigned)v;
	return 0;
}

/* CARDFILE or CARDFILE@PORT (only when what follows the last '@' is a
 * port number: a path may contain '@') */
static int
run_card_arg(struct run_args *ra, size_t i, const char *arg)
{
	const char	*at = strrchr(arg, '@');
	uint64_t	 port = ra->port + i;
	size_t		 len = strlen(arg);

	if (at != NULL && parse_num(at + 1, 1, 65535, &port) == 0)
		len = (size_t)(at - arg);
	else if (port > 65535)
		return usage_error("no port left for card", arg);
	if (len == 0)
		return usage_error("empty card file name", arg);
	if ((ra->paths[i] = strndup(arg, len)) == NULL) {
		fprintf(stderr, "smartsign-emu: out of memory\n");
		return 1;
	}
	ra->cards[i].path = ra->paths[i];
	ra->cards[i].port = (uint16_t)port;
	return 0;
}

static int
run_cards(struct run_args *ra, int argc, char **argv)
{
	size_t	i, j;
	int	rc;

	ra->n = (size_t)argc;
	ra->cards = calloc(ra->n, sizeof(*ra->cards));
	ra->paths = calloc(ra->n, sizeof(*ra->paths));
	if (ra->cards == NULL || ra->paths == NULL) {
		fprintf(stderr, "smartsign-emu: out of memory\n");
		return 1;
	}
	for (i = 0; i < ra->n; i++)
		if ((rc = run_card_arg(ra, i, argv[i])) != 0)
			return rc;
	for (i = 0; i < ra->n; i++)
		for (j = i + 1; j < ra->n; j++)
			if (ra->cards[i].port == ra->cards[j].port)
				return usage_error("two cards on one port",
				    argv[j]);
	ra->o.cards = ra->cards;
	ra->o.ncards = ra->n;
	return 0;
}

static int
run_parse(struct run_args *ra, int argc, char **argv)
{
	char	opt[64];
	int	c, li = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", run_options, &li)) != -1) {
		if (c == OPT_HELP) {
			fputs(run_usage, stdout);
			return -1;
		}
		if (c == ':')
			return usage_error("option needs a value",
			    argv[optind - 1]);
		if (c == '?')
			return usage_error("unknown option", argv[optind - 1]);
		if (run_option(ra, c, optarg) < 0) {
			snprintf(opt, sizeof(opt), "bad value for --%s",
			    run_options[li].name);
			return usage_error(opt, optarg);
		}
	}
	if (optind >= argc)
		return usage_error("no card file given", NULL);
	return run_cards(ra, argc - optind, argv + optind);
}

static int
cmd_run(int argc, char **argv)
{
	struct run_args	ra;
	size_t		i;
	int		rc;

	memset(&ra, 0, sizeof(ra));
	ra.o.host = "127.0.0.1";
	ra.port = EMU_VPCD_DEFAULT_PORT;
	rc = run_parse(&ra, argc, argv);
	if (rc == 0)
		rc = emu_run(&ra.o);
	else if (rc < 0)		/* --help */
		rc = 0;
	for (i = 0; ra.paths != NULL && i < ra.n; i++)
		free(ra.paths[i]);
	free(ra.paths);
	free(ra.cards);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (strcmp(cmd, "create") == 0)
		return emu_cmd_create(argc - 1, argv + 1);
	if (strcmp(cmd, "show") == 0)
		return emu_cmd_show(argc - 1, argv + 1);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		fputs(overview, stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("smartsign-emu %s\n", SS_VERSION);
		return 0;
	}
	if (*cmd != '\0')
		fprintf(stderr, "smartsign-emu: unknown command: %s\n", cmd);
	fputs(overview, stderr);
	return EXIT_USAGE;
}
