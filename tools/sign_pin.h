/*
 * tools/sign_pin.h - the PIN for one run of smartsign-sign.
 *
 * The PIN is read once (a no-echo prompt on the terminal, or a file
 * descriptor for automation; never the command line) into one page of its
 * own that is locked in memory (mlock) and left out of core dumps
 * (MADV_DONTDUMP), used for every C_Login of the run, and wiped with
 * ss_wipe when the run ends - or when INT, TERM, HUP or QUIT kill it (a
 * handler wipes the page, restores the terminal's echo if the prompt was
 * on, and re-raises the signal).  A reader with a PIN pad needs no PIN here:
 * sp_pin_set_pinpad() marks it, and C_Login then gets NULL.
 */
#ifndef SIGN_PIN_H
#define SIGN_PIN_H

#include <stdbool.h>
#include <stddef.h>

#include "tools/sign_err.h"

#define SP_PIN_MAX	64	/* longest PIN accepted (PIV: 8) */

struct sp_pin {
	char	*buf;		/* one mmap'd page, or NULL */
	size_t	 cap;
	size_t	 len;
	bool	 pinpad;	/* C_Login(NULL): the reader asks for it */
	bool	 locked;	/* mlock worked */
};

int	sp_pin_init(struct sp_pin *, struct se_err *);
/* Read one line (at most SP_PIN_MAX bytes, no NUL) from fd, then close it
 * unless it is 0, 1 or 2. */
int	sp_pin_from_fd(struct sp_pin *, int, struct se_err *);
/* Ask on /dev/tty with echo off. */
int	sp_pin_from_tty(struct sp_pin *, const char *, struct se_err *);
void	sp_pin_set_pinpad(struct sp_pin *);
/* Wipe, unlock and unmap; safe to call twice. */
void	sp_pin_free(struct sp_pin *);

#endif
