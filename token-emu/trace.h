/*
 * token-emu/trace.h - the APDU trace (--trace FILE, "-" = stderr).
 *
 * One line per event, each starting with the milliseconds since the trace
 * was opened (monotonic clock) and the card number:
 *
 *	12.345 card1 > ctl 01 power-on
 *	12.398 card1 < atr 3B8F8001...
 *	13.002 card1 > cmd 0020008008****************
 *	13.010 card1 < rsp 9000
 *	20.771 card1 - pulled (SIGUSR1)
 *
 * ">" is reader to card, "<" card to reader, "-" an event of the emulator.
 * The data field of VERIFY (20), CHANGE REFERENCE DATA (24), RESET RETRY
 * COUNTER (2C), IMPORT KEY (FE), SET MANAGEMENT KEY (FF) and GENERAL
 * AUTHENTICATE with the management key (87, P2 9B), chained or not, is
 * shown as "**" per byte, and so is the data of their responses (and of
 * the GET RESPONSE answers that continue them).  Header, Lc, Le and status
 * words stay visible.
 */
#ifndef EMU_TRACE_H
#define EMU_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

struct emu_trace;		/* the output, shared by all cards */

struct emu_tracer {		/* one per card */
	struct emu_trace	*trace;		/* NULL: tracing off */
	unsigned		 card;		/* 1-based */
	bool			 secret_rsp;	/* redact the next response */
	bool			 secret_chain;	/* ... and its GET RESPONSEs */
};

struct emu_trace *emu_trace_open(const char *path, char *err, size_t errlen);
void	emu_trace_close(struct emu_trace **);

void	emu_trace_cmd(struct emu_tracer *, const uint8_t *, size_t);
void	emu_trace_rsp(struct emu_tracer *, const uint8_t *, size_t);
void	emu_trace_ctl(struct emu_tracer *, uint8_t code);
void	emu_trace_atr(struct emu_tracer *, const uint8_t *, size_t);
void	emu_trace_event(struct emu_tracer *, const char *, ...)
	    EMU_PRINTF(2, 3);

/* exposed for tests: does this command carry a PIN, PUK or key? */
bool	emu_trace_is_secret(const uint8_t *, size_t);
/* hex of a command with its data redacted when secret; out: 2n+1 bytes */
void	emu_trace_hex_cmd(const uint8_t *, size_t, char *out);
/* hex of a response, data redacted when asked, SW kept; out: 2n+1 bytes */
void	emu_trace_hex_rsp(const uint8_t *, size_t, bool redact, char *out);

#endif
