/*
 * tests/fuzz/fz-hostile.h - a hostile card behind struct ss_transport
 * (reader/transport.h): one reader, one card whose ATR and whose every
 * answer come from the fuzz input.
 *
 * Script format (what the card says, in order):
 *   answer := len:u16be bytes[len]     an APDU response (data + SW) or a
 *                                      control() answer; fewer bytes when
 *                                      the input ends first
 *           | 0xF0..0xFF xx            the call fails with errs[xx % N]
 *                                      (fz-hostile.c: reset, removed,
 *                                      pcscd gone, ...)
 * transmit() and control() each take the next answer.  When the script
 * ends, a call fails with SS_ERR_CARD_REMOVED, or (repeat) gets the last
 * answer again, forever: a card that answers 61 00 for ever tests the
 * loops.  An answer longer than the caller's buffer is reported with its
 * full length after copying only what fits (a transport that lies; the
 * reader layer promises to check).
 *
 * The world never changes on its own: the reader is there with the card
 * in, status_change() reports that and never blocks.  Not thread safe.
 */
#ifndef FUZZ_FZ_HOSTILE_H
#define FUZZ_FZ_HOSTILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader/buf.h"
#include "reader/transport.h"

#define FZ_HOSTILE_READER	"Hostile Reader 0"
#define FZ_ERR_MARK		0xf0u	/* first byte of an error answer */
#define FZ_EXCHANGES_MAX	200000u	/* then the card is "removed" */

struct fz_hostile {
	struct ss_rd	 in;
	uint8_t		 atr[SS_ATR_MAX];
	size_t		 atr_len;
	uint32_t	 proto;		/* SS_PROTO_T0 or SS_PROTO_T1 */
	bool		 repeat;
	bool		 have_last;
	const uint8_t	*last;
	size_t		 last_len;
	int		 last_rc;
	unsigned	 exchanges;
};

void	fz_hostile_init(struct fz_hostile *, const uint8_t *script,
	    size_t len, const uint8_t *atr, size_t atr_len, uint32_t proto,
	    bool repeat);
void	fz_hostile_transport(struct fz_hostile *, struct ss_transport *);

/* The errors an answer can name, for writers of scripts (gen-corpus). */
size_t	fz_hostile_nerrs(void);
int	fz_hostile_err(size_t i);

#endif
