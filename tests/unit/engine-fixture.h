/*
 * tests/unit/engine-fixture.h - the emulated card behind emu_process(), as
 * the test-engine-*.c programs drive it: an empty card powered on
 * (engine_setup/engine_teardown as cmocka fixtures, state a struct t),
 * one APDU in and its status word out (xfer, xhex), and a command as a
 * host sends it, chained in 255-byte pieces with GET RESPONSE to the end
 * (cmd, cmd_hex: the response data joined in t->data).
 *
 * Header only (one source per test program): include it after cmocka.h's
 * prerequisites; a program uses what it needs.
 */
#ifndef TESTS_UNIT_ENGINE_FIXTURE_H
#define TESTS_UNIT_ENGINE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reader/hex.h"
#include "token-emu/card.h"
#include "token-emu/engine.h"

/* resp: the last response APDU; data: cmd()'s response data, joined,
 * from pieces response APDUs */
struct t {
	struct emu_card	 card;
	struct emu_ctx	 ctx;
	uint8_t		 resp[EMU_RESP_MAX];
	size_t		 resplen;
	uint8_t		 data[16384];
	size_t		 dlen;
	size_t		 pieces;
};

/* An empty card, powered on; the caller may change it before the test. */
static inline int
engine_setup(void **state)
{
	struct t *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	emu_card_init_empty(&t->card);
	t->ctx.card = &t->card;
	emu_power_on(&t->ctx);
	*state = t;
	return 0;
}

static inline int
engine_teardown(void **state)
{
	struct t *t = *state;

	emu_card_free(&t->card);
	free(t);
	return 0;
}

/* One APDU; its status word (the response in t->resp). */
static inline uint16_t
xfer(struct t *t, const uint8_t *apdu, size_t len)
{
	t->resplen = 0;
	emu_process(&t->ctx, apdu, len, t->resp, &t->resplen);
	assert_true(t->resplen >= 2 && t->resplen <= EMU_RESP_MAX);
	return (uint16_t)(t->resp[t->resplen - 2] << 8 |
	    t->resp[t->resplen - 1]);
}

static inline uint16_t
xhex(struct t *t, const char *hex)
{
	uint8_t	b[512];
	size_t	n;

	assert_int_equal(ss_hex_decode(hex, b, sizeof(b), &n), 0);
	return xfer(t, b, n);
}

/* SELECT of the PIV application by its full AID, Le 00. */
static inline void
select_piv(struct t *t)
{
	static const uint8_t sel[] = { 0x00, 0xa4, 0x04, 0x00, 0x09, 0xa0,
	    0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x00 };

	assert_int_equal(xfer(t, sel, sizeof(sel)), 0x9000);
}

static inline void
take_data(struct t *t)
{
	size_t n = t->resplen - 2;

	assert_true(t->dlen + n <= sizeof(t->data));
	memcpy(t->data + t->dlen, t->resp, n);
	t->dlen += n;
	t->pieces++;
}

/* One command as a host sends it: chained, then GET RESPONSE to the end. */
static inline uint16_t
cmd(struct t *t, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
    size_t len)
{
	static const uint8_t getresp[] = { 0x00, 0xc0, 0x00, 0x00, 0x00 };
	uint8_t		apdu[5 + 255 + 1];
	size_t		off = 0, n, alen;
	uint16_t	sw;

	t->dlen = t->pieces = 0;
	do {
		n = len - off > 255 ? 255 : len - off;
		apdu[0] = off + n < len ? 0x10 : 0x00;
		apdu[1] = ins;
		apdu[2] = p1;
		apdu[3] = p2;
		alen = 4;
		if (n > 0) {
			apdu[4] = (uint8_t)n;
			memcpy(apdu + 5, data + off, n);
			alen = 5 + n;
		}
		apdu[alen++] = 0x00;
		sw = xfer(t, apdu, alen);
		off += n;
		if (off < len)
			assert_int_equal(sw, 0x9000);
	} while (off < len);
	take_data(t);
	while ((sw & 0xff00) == 0x6100) {
		sw = xfer(t, getresp, sizeof(getresp));
		take_data(t);
	}
	return sw;
}

static inline uint16_t
cmd_hex(struct t *t, uint8_t ins, uint8_t p1, uint8_t p2, const char *hex)
{
	uint8_t	b[1024];
	size_t	n;

	assert_int_equal(ss_hex_decode(hex, b, sizeof(b), &n), 0);
	return cmd(t, ins, p1, p2, b, n);
}

#endif
