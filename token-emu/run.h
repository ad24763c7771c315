/*
 * token-emu/run.h - "smartsign-emu run": serve card files to pcscd's vpcd
 * driver until SIGTERM or SIGINT.
 *
 * One thread per card.  Each connects to vpcd at host:port (retrying every
 * 200 ms while nobody listens, and again whenever the connection drops),
 * answers control messages and APDUs through the engine, saves the card
 * file before a response that follows a change leaves, and keeps the
 * counters file current.  The main thread only waits for signals:
 * SIGUSR1 pulls every card (closes its connection: pcscd sees it removed),
 * SIGUSR2 inserts them again, SIGTERM/SIGINT stop cleanly.
 */
#ifndef EMU_RUN_H
#define EMU_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "keyop_delay.h"

#define EMU_RUN_RETRY_MS	200	/* between connection attempts */
#define EMU_RUN_HELLO_MS	2000	/* new connection must hear vpcd by then */
#define EMU_RUN_DELAY_MAX_MS	3600000u

struct emu_run_card_arg {
	const char	*path;		/* card file */
	uint16_t	 port;		/* vpcd port */
};

struct emu_run_opts {
	const char	*host;		/* vpcd host */
	const char	*trace;		/* --trace FILE or "-"; NULL: off */
	const char	*counters;	/* card 1: FILE, card N: FILE.N */
	const char	*pidfile;	/* NULL: none */
	unsigned	 apdu_delay_ms;	/* before every response */
	struct emu_keyop_delay keyop_delay; /* per private-key operation */
	unsigned	 quirks;	/* EMU_QUIRK_* (quirks.h) */
	uint64_t	 pull_after;	/* pull at the Nth APDU; 0: never */
	const struct emu_run_card_arg *cards;
	size_t		 ncards;
};

/* Returns the process exit status: 0 after a clean stop, 1 on error. */
int	emu_run(const struct emu_run_opts *);

#endif
