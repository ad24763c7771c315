/*
 * token-emu/keyop_delay.h - "--keyop-delay": how long the card takes per
 * private-key operation, for all algorithms or per algorithm:
 *
 *   150                    every algorithm 150 ms
 *   rsa2048=150,p256=60    those two; others 0
 *   20,rsa4096=900         RSA-4096 900 ms, every other algorithm 20
 *
 * Names are the key types of "smartsign-emu create --key" (rsa1024 ..
 * rsa4096, p256, p384, ed25519, x25519).
 */
#ifndef EMU_KEYOP_DELAY_H
#define EMU_KEYOP_DELAY_H

#include <stdbool.h>
#include <stdint.h>

struct emu_keyop_delay {
	unsigned	all_ms;		/* algorithms not named */
	unsigned	ms[256];	/* by PIV algorithm id, when named */
	bool		named[256];
};

/* Parse s (each value at most max_ms); -1 on a bad item, *d unchanged
 * then. */
int	emu_keyop_delay_parse(const char *s, unsigned max_ms,
	    struct emu_keyop_delay *d);
/* The delay of one operation with algorithm alg (PIV_ALG_*). */
unsigned emu_keyop_delay_ms(const struct emu_keyop_delay *, uint8_t alg);

#endif
