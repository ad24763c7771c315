/*
 * tools/sign_cmd.h - smartsign-sign's subcommands and exit codes.
 */
#ifndef SIGN_CMD_H
#define SIGN_CMD_H

#include "tools/sign_verify.h"

/* Exit codes: documented in --help, the man page and README. */
enum ss_exit {
	SS_EXIT_OK		= 0,
	SS_EXIT_ERROR		= 1,	/* file, module, token or key problem */
	SS_EXIT_USAGE		= 2,
	SS_EXIT_BAD_SIGNATURE	= 3,	/* verify */
	SS_EXIT_UNTRUSTED	= 4,	/* verify */
	SS_EXIT_EXPIRED		= 5,	/* verify */
	SS_EXIT_MALFORMED	= 6,	/* verify */
	SS_EXIT_PIN		= 7	/* sign: wrong, blocked, cancelled PIN */
};

int	cmd_sign(int, char **);
int	cmd_verify(int, char **);
void	usage_sign(int);
void	usage_verify(int);
int	verdict_exit(enum sv_verdict);
/* Read a whole file of at most max bytes; *len = max + 1 when larger. */
int	read_file(const char *, uint8_t **, size_t *, size_t);

#endif
