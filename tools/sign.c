/*
 * tools/sign.c - smartsign-sign: sign declarations with the card (detached
 * CMS, through PKCS#11) and verify them as the customs side does.
 *
 *   sign_run.c    the "sign" subcommand     sign_check.c   "verify"
 *   sign_uri.c    key selection             sign_pin.c     the PIN
 *   sign_p11*.c   PKCS#11 (the only way to the card)
 *   sign_cms.c    CMS SignedData            sign_verify.c  verification:
 *   sign_err.c    error messages              sign_der.c (shape),
 *                                             sign_strict.c (exact
 *                                             encodings), sign_trust.c
 *                                             (chain, usage, time)
 */
#include <stdio.h>
#include <string.h>

#include "tools/sign_cmd.h"

#define VERSION	"0.1"

static void
usage(int rc)
{
	FILE *f = rc == 0 ? stdout : stderr;

	fputs(
"usage: smartsign-sign COMMAND [options] ARGS...\n"
"\n"
"Sign files (customs declarations) with the key on a smart card, as\n"
"detached CMS signatures (FILE.p7s), and verify such signatures.  The card\n"
"is reached only through a PKCS#11 module: smartsign's own by default,\n"
"any other with --module.\n"
"\n"
"commands:\n"
"  sign FILE...            sign each FILE into FILE.p7s with one PIN entry\n"
"                          (smartsign-sign sign --help)\n"
"  verify FILE [FILE.p7s]  check a signature against a CA bundle\n"
"                          (smartsign-sign verify --help)\n"
"  help                    this text\n"
"  --version               print the version\n"
"\n"
"Exit status:\n"
"  0 success (signed / verified)\n"
"  1 error: a file, the module, the token or the key\n"
"  2 bad usage\n"
"  3 verify: bad signature (content or signature altered)\n"
"  4 verify: untrusted (no chain to the CA bundle, or key usage not for\n"
"    signing)\n"
"  5 verify: expired (a certificate was not valid at the signing time)\n"
"  6 verify: malformed .p7s\n"
"  7 sign: PIN wrong, blocked or cancelled (the run stops at once)\n"
"\n"
"See smartsign-sign(1).\n", f);
}

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (cmd == NULL) {
		usage(SS_EXIT_USAGE);
		return SS_EXIT_USAGE;
	}
	if (strcmp(cmd, "sign") == 0)
		return cmd_sign(argc - 1, argv + 1);
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "--help") == 0) {
		usage(SS_EXIT_OK);
		return SS_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("smartsign-sign %s\n", VERSION);
		return SS_EXIT_OK;
	}
	fprintf(stderr, "smartsign-sign: unknown command '%s'\n\n", cmd);
	usage(SS_EXIT_USAGE);
	return SS_EXIT_USAGE;
}
