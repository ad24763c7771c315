/*
 * tools/diag.c - smartsign-diag: main and subcommand dispatch (the shared
 * option parser is diag_opts.c, each subcommand has a file of its own).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/diag.h"

struct diag_cmd {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*what;
};

static const struct diag_cmd cmds[] = {
	{ "readers", diag_cmd_readers,
	    "every reader: state, card, ATR, protocol, in use, vendor" },
	{ "atr", diag_cmd_atr,
	    "decode an ATR (hex argument or from a reader), name the card" },
	{ "features", diag_cmd_features,
	    "reader features: PIN pad verify/modify, display, PIN lengths" },
	{ "card", diag_cmd_card,
	    "what is on the card: applet, CHUID, keys, certificates, tries" },
	{ "watch", diag_cmd_watch,
	    "print reader and card events with timestamps until stopped" },
	{ "selftest", diag_cmd_selftest,
	    "log in and sign/verify with each key through the PKCS#11 module" },
	{ "trace", diag_cmd_trace,
	    "the self-test with every APDU and its timing (PIN redacted)" },
	{ "doctor", diag_cmd_doctor,
	    "check the installation; print the fix for every failed check" },
	{ "browsers", diag_cmd_browsers,
	    "status/register/unregister the module in Firefox, Chromium" },
	{ "report", diag_cmd_report,
	    "everything above (no PIN) in one text file for support" },
};

#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f,
"usage: smartsign-diag COMMAND [options]\n"
"\n"
"Diagnostics for smart-card signing: is it the reader, the driver, pcscd,\n"
"permissions, the card, the PIN, the certificate or the browser set-up?\n"
"\n"
"Commands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].what);
	fprintf(f,
"\n"
"Every command takes --help, and --json for output a program can read.\n"
"Start with `smartsign-diag doctor`, then `readers` and `card`.\n"
"\n"
"Exit status (every command):\n"
"  0 ok                 1 a problem was found   2 bad usage\n"
"  3 pcscd unreachable  4 no (such) reader      5 no card\n"
"  6 card/reader error  7 PKCS#11 module error  8 PIN wrong/blocked/missing\n"
"  9 internal error     10 Firefox runs on a profile (browsers)\n");
}

int
main(int argc, char **argv)
{
	size_t	i;

	if (argc < 2) {
		usage(stderr);
		return DIAG_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return DIAG_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("smartsign-diag %s\n", DIAG_VERSION);
		return DIAG_EXIT_OK;
	}
	for (i = 0; i < NCMDS; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "smartsign-diag: unknown command '%s' (see "
	    "smartsign-diag --help)\n", argv[1]);
	return DIAG_EXIT_USAGE;
}
