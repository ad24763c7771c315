/*
 * token-emu/engine.h - the card's APDU engine: pure, no I/O.
 *
 * emu_process() takes one command APDU as received from the reader and
 * writes the full response APDU (data + SW1 SW2).  It never fails: every
 * malformed input gets the status word a real card would return.  The run
 * loop, unit tests and fuzzers all call it the same way.
 */
#ifndef EMU_ENGINE_H
#define EMU_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "card.h"

#define EMU_RESP_MAX	(16384 + 2)	/* largest response (extended Le) + SW */

struct emu_ctx {
	struct emu_card		*card;
	struct emu_session	 sess;
	struct emu_counters	 cnt;
	unsigned		 quirks;	/* EMU_QUIRK_* (quirks.h) */
	uint8_t			 keyop_alg;	/* PIV_ALG_* of the last key
						   operation counted */
};

void	emu_power_on(struct emu_ctx *);	/* reset volatile state */
/* resp must hold EMU_RESP_MAX bytes; *resplen gets the length written */
void	emu_process(struct emu_ctx *, const uint8_t *, size_t, uint8_t *,
	    size_t *);

#endif
