/*
 * tools/diag_trace.c - `smartsign-diag trace`: the self-test with the
 * APDUs of every step, as the module's debug log records them (see
 * diag_tracelog.c: PIN data is left out by the module and redacted again
 * here).
 */
#include "tools/diag.h"

static const char usage_text[] =
"usage: smartsign-diag trace [--json] [--reader NAME] [--module PATH]\n"
"                            [--pin-fd N]\n"
"\n"
"Runs the self-test (see `smartsign-diag selftest --help`) with the\n"
"module's APDU log switched on (SMARTSIGN_DEBUG, in a private temporary\n"
"directory removed afterwards) and prints, under each step, every\n"
"command and response APDU the module exchanged, with the time each\n"
"took.  The data of PIN commands never appears: the module leaves it\n"
"out, and any line that would still hold the PIN (ASCII or hex) is\n"
"masked here.\n"
"\n"
"Exit status: as for selftest.\n";

int
diag_cmd_trace(int argc, char **argv)
{
	return diag_st_main(argc, argv, usage_text, true);
}
