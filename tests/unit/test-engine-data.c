/*
 * tests/unit/test-engine-data.c - the emulated card's APDU engine
 * (engine.c) and its data commands (piv_data.c), driven through
 * emu_process() exactly as the run loop drives them: SELECT forms,
 * GET DATA with Le 08 / no Le / extended Le and GET RESPONSE reassembly,
 * PUT DATA with command chaining, every malformed form, counters, and a
 * robustness loop of random and bit-flipped APDUs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reader/apdu.h"
#include "engine-fixture.h"

static size_t
dlen(const struct t *t)
{
	return t->resplen - 2;
}

static void
fill_pattern(uint8_t *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

/* a 3000-byte certificate container in 5FC105 */
static uint8_t big[3000];

static void
store_big(struct t *t)
{
	fill_pattern(big, sizeof(big), 3);
	assert_int_equal(emu_card_obj_set(&t->card, 0x5fc105, big,
	    sizeof(big)), 0);
}

/* 53 82 0B B8 <big> */
static void
assert_big_response(const uint8_t *p, size_t n)
{
	assert_int_equal(n, 4 + sizeof(big));
	assert_int_equal(p[0], 0x53);
	assert_int_equal(p[1], 0x82);
	assert_int_equal(p[2], 0x0b);
	assert_int_equal(p[3], 0xb8);
	assert_memory_equal(p + 4, big, sizeof(big));
}

/* ---- selection ---- */

static const uint8_t app_template[] = {
	0x61, 0x2e,
	0x4f, 0x06, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
	0x79, 0x07, 0x4f, 0x05, 0xa0, 0x00, 0x00, 0x03, 0x08,
	0xac, 0x1b,
	0x80, 0x01, 0x03, 0x80, 0x01, 0x08, 0x80, 0x01, 0x0a,
	0x80, 0x01, 0x0c, 0x80, 0x01, 0x06, 0x80, 0x01, 0x07,
	0x80, 0x01, 0x11, 0x80, 0x01, 0x14,
	0x06, 0x01, 0x00,
};

static void
test_select_forms(void **state)
{
	struct t	*t = *state;
	const char	*forms[] = {
		"00A4040005A000000308",			/* ykpiv */
		"00A4040009A00000030800001000 00",	/* OpenSC */
		"00A404000BA000000308000010000100",	/* full AID */
		"00A404000BA000000308000010000100 00",
		"00A4040007A0000003080000",
	};
	size_t		 i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		emu_power_on(&t->ctx);
		assert_int_equal(xhex(t, forms[i]), 0x9000);
		assert_int_equal(dlen(t), sizeof(app_template));
		assert_memory_equal(t->resp, app_template,
		    sizeof(app_template));
		assert_true(t->ctx.sess.selected);
	}
	/* Le 08 gets the template in pieces like any response */
	assert_int_equal(xhex(t, "00A4040005A000000308 08"), 0x6128);
	assert_int_equal(dlen(t), 8);
	assert_memory_equal(t->resp, app_template, 8);
	assert_int_equal(xhex(t, "00C0000028"), 0x9000);
	assert_memory_equal(t->resp, app_template + 8, 0x28);
}

static void
test_select_unknown(void **state)
{
	struct t	*t = *state;
	const char	*bad[] = {
		"00A4040006D27600012401",		/* OpenPGP */
		"00A4040004A0000003",			/* RID cut */
		"00A4040005A000000309",			/* wrong RID */
		"00A404000CA00000030800001000010000",	/* AID + 1 byte */
		"00A404000AA0000003080000100002",	/* wrong PIX */
		"00A40400",				/* no AID */
	};
	size_t		 i;

	/* not selected yet: unknown AIDs leave it unselected */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(xhex(t, bad[i]), 0x6a82);
		assert_int_equal(dlen(t), 0);
		assert_false(t->ctx.sess.selected);
	}
	assert_int_equal(xhex(t, "00CB3FFF035C017E"), 0x6d00);

	/* selected and PIN verified: an unknown AID keeps both */
	select_piv(t);
	assert_int_equal(xhex(t, "0020008008313233343536FFFF"), 0x9000);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(xhex(t, bad[i]), 0x6a82);
	assert_true(t->ctx.sess.selected);
	assert_int_equal(xhex(t, "0020008000"), 0x9000);
	/* re-selecting PIV keeps the security status too */
	t->ctx.sess.mgmt_authed = true;
	assert_int_equal(xhex(t, "00A4040005A000000308"), 0x9000);
	assert_true(t->ctx.sess.pin_verified);
	assert_true(t->ctx.sess.mgmt_authed);
}

static void
test_select_bad_p1p2(void **state)
{
	struct t *t = *state;

	assert_int_equal(xhex(t, "00A4000005A000000308"), 0x6a86);
	assert_int_equal(xhex(t, "00A4040C05A000000308"), 0x6a86);
	assert_int_equal(xhex(t, "00A4020005A000000308"), 0x6a86);
	assert_int_equal(dlen(t), 0);
	assert_false(t->ctx.sess.selected);
}

static void
test_not_selected(void **state)
{
	struct t *t = *state;

	/* power on: only SELECT and GET RESPONSE are known */
	assert_int_equal(xhex(t, "00CB3FFF035C017E00"), 0x6d00);
	assert_int_equal(xhex(t, "00200080"), 0x6d00);
	assert_int_equal(xhex(t, "00DB3FFF055C017E7E00"), 0x6d00);
	assert_int_equal(xhex(t, "10DB3FFF055C017E7E00"), 0x6d00);
	assert_false(t->ctx.sess.chain_active);
	assert_int_equal(xhex(t, "00C0000000"), 0x6985);
	assert_int_equal(xhex(t, "00FD0000"), 0x6d00);
	select_piv(t);
	assert_int_equal(xhex(t, "00CB3FFF035C017E00"), 0x9000);
}

/* ---- GET DATA ---- */

static const uint8_t discovery[] = {
	0x7e, 0x12, 0x4f, 0x0b, 0xa0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00,
	0x10, 0x00, 0x01, 0x00, 0x5f, 0x2f, 0x02, 0x40, 0x00,
};

static void
test_get_data_discovery(void **state)
{
	struct t *t = *state;

	select_piv(t);
	assert_int_equal(xhex(t, "00CB3FFF035C017E00"), 0x9000);
	assert_int_equal(dlen(t), sizeof(discovery));
	assert_memory_equal(t->resp, discovery, sizeof(discovery));
	/* OpenSC's first read: Le 08 */
	assert_int_equal(xhex(t, "00CB3FFF035C017E08"), 0x610c);
	assert_int_equal(dlen(t), 8);
	assert_memory_equal(t->resp, discovery, 8);
	assert_int_equal(xhex(t, "00C000000C"), 0x9000);
	assert_memory_equal(t->resp, discovery + 8, 12);
}

static void
test_get_data_le8_reassembly(void **state)
{
	struct t	*t = *state;
	uint8_t		 all[4 + sizeof(big)];
	size_t		 n = 0, left = sizeof(all);
	uint16_t	 sw;
	int		 rounds = 0;

	store_big(t);
	select_piv(t);
	sw = xhex(t, "00CB3FFF055C035FC10508");
	assert_int_equal(dlen(t), 8);
	memcpy(all, t->resp, 8);
	n = 8;
	left -= 8;
	assert_int_equal(sw, 0x6100);		/* 2996 left: >= 256 */
	while (sw != 0x9000) {
		size_t expect = left < 256 ? left : 256;

		assert_int_equal(sw & 0xff00, 0x6100);
		assert_int_equal(sw & 0xff, left >= 256 ? 0 : left);
		sw = xhex(t, "00C0000000");
		assert_int_equal(dlen(t), expect);
		assert_true(n + expect <= sizeof(all));
		memcpy(all + n, t->resp, expect);
		n += expect;
		left -= expect;
		rounds++;
	}
	assert_int_equal(rounds, 12);		/* 11 x 256 + 180 */
	assert_big_response(all, n);
	/* nothing left */
	assert_int_equal(xhex(t, "00C0000000"), 0x6985);
	assert_int_equal(dlen(t), 0);
}

static void
test_get_response_le(void **state)
{
	struct t *t = *state;

	store_big(t);
	select_piv(t);
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10508"), 0x6100);
	/* a smaller Le takes less, the rest stays */
	assert_int_equal(xhex(t, "00C0000010"), 0x6100);
	assert_int_equal(dlen(t), 16);
	assert_memory_equal(t->resp, big + 4, 16);
	/* no Le at all: a full piece */
	assert_int_equal(xhex(t, "00C00000"), 0x6100);
	assert_int_equal(dlen(t), 256);
	assert_memory_equal(t->resp, big + 20, 256);
	/* bad P1P2 and data drop the response */
	assert_int_equal(xhex(t, "00C0010000"), 0x6a86);
	assert_int_equal(xhex(t, "00C0000000"), 0x6985);
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10508"), 0x6100);
	assert_int_equal(xhex(t, "00C000000101"), 0x6700);
	assert_int_equal(xhex(t, "00C0000000"), 0x6985);
	/* chained GET RESPONSE makes no sense */
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10508"), 0x6100);
	assert_int_equal(xhex(t, "10C0000000"), 0x6884);
	assert_int_equal(xhex(t, "00C0000000"), 0x6100);
}

static void
test_get_data_no_le(void **state)
{
	struct t	*t = *state;
	uint8_t		 small[100];

	store_big(t);
	fill_pattern(small, sizeof(small), 9);
	assert_int_equal(emu_card_obj_set(&t->card, 0x5fc10a, small,
	    sizeof(small)), 0);
	select_piv(t);
	/* ykpiv: no Le, the data comes anyway */
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10A"), 0x9000);
	assert_int_equal(dlen(t), 2 + sizeof(small));
	assert_int_equal(t->resp[0], 0x53);
	assert_int_equal(t->resp[1], sizeof(small));
	assert_memory_equal(t->resp + 2, small, sizeof(small));
	/* and up to 256 bytes of a longer one */
	assert_int_equal(xhex(t, "00CB3FFF055C035FC105"), 0x6100);
	assert_int_equal(dlen(t), 256);
	assert_memory_equal(t->resp + 4, big, 252);
}

static void
test_get_data_extended(void **state)
{
	struct t *t = *state;

	store_big(t);
	select_piv(t);
	/* extended Le 4096: everything at once */
	assert_int_equal(xhex(t, "00CB3FFF0000055C035FC1051000"), 0x9000);
	assert_big_response(t->resp, dlen(t));
	/* extended Le 0000 = 65536 */
	assert_int_equal(xhex(t, "00CB3FFF0000055C035FC1050000"), 0x9000);
	assert_big_response(t->resp, dlen(t));
	/* extended Le 1000 bytes: 1000 + 61xx, the rest by GET RESPONSE */
	assert_int_equal(xhex(t, "00CB3FFF0000055C035FC10503E8"), 0x6100);
	assert_int_equal(dlen(t), 1000);
	assert_int_equal(xhex(t, "00C000000007D0"), 0x6104);
	assert_int_equal(dlen(t), 2000);
	assert_int_equal(xhex(t, "00C0000000"), 0x9000);
	assert_int_equal(dlen(t), 4);
	assert_memory_equal(t->resp, big + sizeof(big) - 4, 4);
}

static void
test_pending_response_discarded(void **state)
{
	struct t *t = *state;

	store_big(t);
	select_piv(t);
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10508"), 0x6100);
	assert_int_equal(xhex(t, "00200080"), 0x63c3);
	assert_int_equal(xhex(t, "00C0000000"), 0x6985);
	/* also by a malformed APDU, an unknown INS, a bad CLA */
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10508"), 0x6100);
	assert_int_equal(xhex(t, "00CB"), 0x6700);
	assert_int_equal(xhex(t, "00C0000000"), 0x6985);
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10508"), 0x6100);
	assert_int_equal(xhex(t, "00120000"), 0x6d00);
	assert_int_equal(xhex(t, "00C0000000"), 0x6985);
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10508"), 0x6100);
	assert_int_equal(xhex(t, "80CB3FFF055C035FC10508"), 0x6e00);
	assert_int_equal(xhex(t, "00C0000000"), 0x6985);
	/* and by power off */
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10508"), 0x6100);
	emu_power_on(&t->ctx);
	assert_int_equal(xhex(t, "00C0000000"), 0x6985);
}

static void
test_get_data_malformed(void **state)
{
	struct t *t = *state;

	store_big(t);
	select_piv(t);
	assert_int_equal(xhex(t, "00CB3FFE055C035FC10500"), 0x6a86);
	assert_int_equal(xhex(t, "00CB0000055C035FC10500"), 0x6a86);
	assert_int_equal(xhex(t, "00CB3FFF"), 0x6a80);	/* no data */
	assert_int_equal(xhex(t, "00CB3FFF00"), 0x6a80);	/* Le only */
	assert_int_equal(xhex(t, "00CB3FFF025C0000"), 0x6a80);
	assert_int_equal(xhex(t, "00CB3FFF065C045FC1050100"), 0x6a80);
	assert_int_equal(xhex(t, "00CB3FFF055D035FC10500"), 0x6a80);
	assert_int_equal(xhex(t, "00CB3FFF065C035FC1050000"), 0x6a80);
	assert_int_equal(xhex(t, "00CB3FFF045C055FC100"), 0x6a80);
	assert_int_equal(xhex(t, "00CB3FFF025C8100"), 0x6a80);
	assert_int_equal(xhex(t, "00CB3FFF035C8101"), 0x6a80);
	assert_int_equal(xhex(t, "00CB3FFF015C00"), 0x6a80);
	assert_int_equal(dlen(t), 0);
	/* well formed, but no such object */
	assert_int_equal(xhex(t, "00CB3FFF055C035FC12400"), 0x6a82);
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10000"), 0x6a82);
	assert_int_equal(xhex(t, "00CB3FFF055C035FC20500"), 0x6a82);
	assert_int_equal(xhex(t, "00CB3FFF045C025FC100"), 0x6a82);
	assert_int_equal(xhex(t, "00CB3FFF035C017F00"), 0x6a82);
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10A00"), 0x6a82);
	assert_int_equal(xhex(t, "00CB3FFF045C027F6100"), 0x6a82);
	assert_int_equal(dlen(t), 0);
	/* wrong lengths in the APDU itself */
	assert_int_equal(xhex(t, "00CB3FFF055C035FC1"), 0x6700);
	assert_int_equal(xhex(t, "00CB3FFF055C035FC1050000"), 0x6700);
	assert_int_equal(xhex(t, "00CB3FFF0000"), 0x6700);
	assert_int_equal(xhex(t, "00CB3FFF00000500"), 0x6700);
}

static void
test_get_data_yubikey_objects(void **state)
{
	struct t	*t = *state;
	const uint8_t	 attest[] = { 0x70, 0x01, 0xaa };

	select_piv(t);
	assert_int_equal(xhex(t, "00CB3FFF055C035FFF0100"), 0x6a82);
	assert_int_equal(emu_card_obj_set(&t->card, 0x5fff01, attest,
	    sizeof(attest)), 0);
	assert_int_equal(xhex(t, "00CB3FFF055C035FFF0100"), 0x9000);
	assert_int_equal(dlen(t), 5);
	assert_int_equal(t->resp[0], 0x53);
	/* not a YubiKey: the name is not a PIV object */
	t->card.yubikey = false;
	assert_int_equal(xhex(t, "00CB3FFF055C035FFF0100"), 0x6a82);
	assert_int_equal(xhex(t, "00CB3FFF055C035FFF1600"), 0x6a82);
}

static void
test_get_data_protected(void **state)
{
	struct t	*t = *state;
	const uint8_t	 face[] = { 0xbc, 0x02, 0x01, 0x02 };
	const char	*prot[] = {
		"00CB3FFF055C035FC10300", "00CB3FFF055C035FC10800",
		"00CB3FFF055C035FC10900", "00CB3FFF055C035FC12100",
	};
	size_t		 i;

	assert_int_equal(emu_card_obj_set(&t->card, 0x5fc108, face,
	    sizeof(face)), 0);
	select_piv(t);
	for (i = 0; i < sizeof(prot) / sizeof(prot[0]); i++) {
		assert_int_equal(xhex(t, prot[i]), 0x6982);
		assert_int_equal(dlen(t), 0);
	}
	assert_int_equal(xhex(t, "0020008008313233343536FFFF"), 0x9000);
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10800"), 0x9000);
	assert_int_equal(dlen(t), 2 + sizeof(face));
	assert_memory_equal(t->resp + 2, face, sizeof(face));
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10300"), 0x6a82);
	/* log out: protected again */
	assert_int_equal(xhex(t, "0020FF80"), 0x9000);
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10800"), 0x6982);
}

static void
test_get_data_bitgt(void **state)
{
	struct t	*t = *state;
	const uint8_t	 bit[] = { 0x02, 0x01, 0x00 };

	assert_int_equal(emu_card_obj_set(&t->card, 0x7f61, bit,
	    sizeof(bit)), 0);
	select_piv(t);
	assert_int_equal(xhex(t, "00CB3FFF045C027F6100"), 0x9000);
	assert_int_equal(dlen(t), 6);
	assert_int_equal(t->resp[0], 0x7f);
	assert_int_equal(t->resp[1], 0x61);
	assert_int_equal(t->resp[2], 3);
	assert_memory_equal(t->resp + 3, bit, sizeof(bit));
}

/* ---- PUT DATA ---- */

static void
test_put_data_auth(void **state)
{
	struct t			*t = *state;
	const struct emu_object		*obj;

	select_piv(t);
	assert_int_equal(xhex(t, "00DB3FFF0A5C035FC1025303AABBCC"), 0x6982);
	assert_null(emu_card_obj(&t->card, 0x5fc102));
	assert_false(t->card.dirty);
	/* management-key auth lives in piv_auth.c: set the result */
	t->ctx.sess.mgmt_authed = true;
	assert_int_equal(xhex(t, "00DB3FFF0A5C035FC1025303AABBCC"), 0x9000);
	assert_int_equal(dlen(t), 0);
	assert_true(t->card.dirty);
	assert_non_null(obj = emu_card_obj(&t->card, 0x5fc102));
	assert_int_equal(obj->len, 3);
	assert_memory_equal(obj->data, "\xaa\xbb\xcc", 3);
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10200"), 0x9000);
	assert_memory_equal(t->resp, "\x53\x03\xaa\xbb\xcc", 5);
	/* replace, then delete with 53 00 */
	assert_int_equal(xhex(t, "00DB3FFF085C035FC1025301DD"), 0x9000);
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10200"), 0x9000);
	assert_memory_equal(t->resp, "\x53\x01\xdd", 3);
	t->card.dirty = false;
	assert_int_equal(xhex(t, "00DB3FFF075C035FC1025300"), 0x9000);
	assert_true(t->card.dirty);
	assert_null(emu_card_obj(&t->card, 0x5fc102));
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10200"), 0x6a82);
	/* deleting what is not there is fine too */
	assert_int_equal(xhex(t, "00DB3FFF075C035FC1025300"), 0x9000);
	/* power off forgets the authentication */
	emu_power_on(&t->ctx);
	select_piv(t);
	assert_int_equal(xhex(t, "00DB3FFF085C035FC1025301DD"), 0x6982);
}

/*
 * Send data as PUT DATA in chunks of at most chunk bytes, the last one
 * with CLA 00 when finish is set (else every one with CLA 10); last SW.
 */
static uint16_t
put_chunks(struct t *t, const uint8_t *data, size_t len, size_t chunk,
    int finish)
{
	uint8_t		apdu[5 + 255];
	size_t		off = 0, n;
	uint16_t	sw = 0;

	while (off < len) {
		n = len - off < chunk ? len - off : chunk;
		apdu[0] = off + n < len || !finish ? 0x10 : 0x00;
		apdu[1] = 0xdb;
		apdu[2] = 0x3f;
		apdu[3] = 0xff;
		apdu[4] = (uint8_t)n;
		memcpy(apdu + 5, data + off, n);
		sw = xfer(t, apdu, 5 + n);
		off += n;
		if (off < len || !finish) {
			if (sw != 0x9000)
				return sw;
			assert_int_equal(dlen(t), 0);
			assert_true(t->ctx.sess.chain_active);
		}
	}
	return sw;
}

static uint16_t
put_chained(struct t *t, const uint8_t *data, size_t len, size_t chunk)
{
	return put_chunks(t, data, len, chunk, 1);
}

static uint16_t
put_open(struct t *t, const uint8_t *data, size_t len)
{
	return put_chunks(t, data, len, 255, 0);
}

static size_t
build_put(uint8_t *p, uint32_t tag, const uint8_t *content, size_t len)
{
	size_t n = 0;

	p[n++] = 0x5c;
	p[n++] = 3;
	p[n++] = (uint8_t)(tag >> 16);
	p[n++] = (uint8_t)(tag >> 8);
	p[n++] = (uint8_t)tag;
	p[n++] = 0x53;
	p[n++] = 0x82;
	p[n++] = (uint8_t)(len >> 8);
	p[n++] = (uint8_t)len;
	memcpy(p + n, content, len);
	return n + len;
}

static void
test_put_data_chained_3000(void **state)
{
	struct t			*t = *state;
	static uint8_t			 data[16 + 3000];
	const struct emu_object		*obj;
	size_t				 n;
	uint8_t				 all[4 + 3000];
	size_t				 got = 0;
	uint16_t			 sw;

	fill_pattern(big, sizeof(big), 5);
	n = build_put(data, 0x5fc105, big, sizeof(big));
	assert_int_equal(n, 3009);
	select_piv(t);
	t->ctx.sess.mgmt_authed = true;
	assert_int_equal(put_chained(t, data, n, 255), 0x9000);
	assert_false(t->ctx.sess.chain_active);
	assert_int_equal(t->ctx.sess.chain_len, 0);
	/* 11 x 255 + 204 */
	assert_int_equal(t->ctx.cnt.by_ins[0xdb], 12);
	assert_non_null(obj = emu_card_obj(&t->card, 0x5fc105));
	assert_int_equal(obj->len, sizeof(big));
	assert_memory_equal(obj->data, big, sizeof(big));
	/* read it back */
	sw = xhex(t, "00CB3FFF055C035FC10500");
	for (;;) {
		assert_true(got + dlen(t) <= sizeof(all));
		memcpy(all + got, t->resp, dlen(t));
		got += dlen(t);
		if (sw == 0x9000)
			break;
		assert_int_equal(sw & 0xff00, 0x6100);
		sw = xhex(t, "00C0000000");
	}
	assert_big_response(all, got);
}

static void
test_put_data_too_large(void **state)
{
	struct t	*t = *state;
	static uint8_t	 content[EMU_OBJ_MAX + 1];
	static uint8_t	 data[16 + EMU_OBJ_MAX + 1];
	size_t		 n;

	select_piv(t);
	t->ctx.sess.mgmt_authed = true;
	n = build_put(data, 0x5fc105, content, EMU_OBJ_MAX + 1);
	assert_int_equal(put_chained(t, data, n, 255), 0x6a84);
	assert_null(emu_card_obj(&t->card, 0x5fc105));
	assert_false(t->card.dirty);
	/* exactly EMU_OBJ_MAX fits */
	n = build_put(data, 0x5fc105, content, EMU_OBJ_MAX);
	assert_int_equal(put_chained(t, data, n, 255), 0x9000);
	assert_non_null(emu_card_obj(&t->card, 0x5fc105));
}

static void
test_put_data_malformed(void **state)
{
	struct t *t = *state;

	select_piv(t);
	t->ctx.sess.mgmt_authed = true;
	assert_int_equal(xhex(t, "00DB3FFE0A5C035FC1025303AABBCC"), 0x6a86);
	assert_int_equal(xhex(t, "00DB00000A5C035FC1025303AABBCC"), 0x6a86);
	assert_int_equal(xhex(t, "00DB3FFF"), 0x6a80);	/* no data */
	/* names that are not PIV objects */
	assert_int_equal(xhex(t, "00DB3FFF0A5C035FC1245303AABBCC"), 0x6a80);
	assert_int_equal(xhex(t, "00DB3FFF0A5C035FC1005303AABBCC"), 0x6a80);
	assert_int_equal(xhex(t, "00DB3FFF095C025FC15303AABBCC"), 0x6a80);
	assert_int_equal(xhex(t, "00DB3FFF0B5C045FC102005303AABBCC"), 0x6a80);
	assert_int_equal(xhex(t, "00DB3FFF075C005303AABBCC"), 0x6a80);
	/* structure */
	assert_int_equal(xhex(t, "00DB3FFF0A5D035FC1025303AABBCC"), 0x6a80);
	assert_int_equal(xhex(t, "00DB3FFF0A5C035FC1025403AABBCC"), 0x6a80);
	assert_int_equal(xhex(t, "00DB3FFF0A5C035FC1025304AABBCC"), 0x6a80);
	assert_int_equal(xhex(t, "00DB3FFF0B5C035FC1025303AABBCC00"), 0x6a80);
	assert_int_equal(xhex(t, "00DB3FFF055C035FC102"), 0x6a80);
	assert_int_equal(xhex(t, "00DB3FFF065C035FC10253"), 0x6a80);
	assert_int_equal(xhex(t, "00DB3FFF075C035FC1025384"), 0x6a80);
	assert_int_equal(xhex(t, "00DB3FFF085C035FC102538101"), 0x6a80);
	/* discovery and BIT group template travel under their own tag */
	assert_int_equal(xhex(t, "00DB3FFF075C017E5302AABB"), 0x6a80);
	assert_int_equal(xhex(t, "00DB3FFF0A5C035FC1027E03AABBCC"), 0x6a80);
	/* wrong lengths in the APDU */
	assert_int_equal(xhex(t, "00DB3FFF0A5C035FC1025303AABB"), 0x6700);
	assert_int_equal(xhex(t, "00DB3FFF0A5C035FC1025303AABBCCDDEE"),
	    0x6700);
	assert_int_equal(t->card.nobjs, 0);
	assert_false(t->card.dirty);
}

static void
test_put_data_discovery_bitgt(void **state)
{
	struct t *t = *state;

	select_piv(t);
	t->ctx.sess.mgmt_authed = true;
	assert_int_equal(xhex(t, "00DB3FFF075C017E7E024F00"), 0x9000);
	assert_int_equal(xhex(t, "00CB3FFF035C017E00"), 0x9000);
	assert_int_equal(dlen(t), 4);
	assert_memory_equal(t->resp, "\x7e\x02\x4f\x00", 4);
	assert_int_equal(xhex(t, "00DB3FFF095C027F617F6102AABB"), 0x9000);
	assert_int_equal(xhex(t, "00CB3FFF045C027F6100"), 0x9000);
	assert_memory_equal(t->resp, "\x7f\x61\x02\xaa\xbb", 5);
	/* deleting the stored discovery brings the built-in one back */
	assert_int_equal(xhex(t, "00DB3FFF055C017E7E00"), 0x9000);
	assert_int_equal(xhex(t, "00CB3FFF035C017E00"), 0x9000);
	assert_int_equal(dlen(t), sizeof(discovery));
}

static void
test_put_data_yubikey_objects(void **state)
{
	struct t *t = *state;

	select_piv(t);
	t->ctx.sess.mgmt_authed = true;
	assert_int_equal(xhex(t, "00DB3FFF085C035FFF005301AA"), 0x9000);
	assert_int_equal(xhex(t, "00DB3FFF085C035FFF155301AA"), 0x9000);
	assert_int_equal(xhex(t, "00DB3FFF085C035FFF165301AA"), 0x6a80);
	t->card.yubikey = false;
	assert_int_equal(xhex(t, "00DB3FFF085C035FFF005301AA"), 0x6a80);
}

/* ---- chaining ---- */

static void
test_chain_overflow(void **state)
{
	struct t	*t = *state;
	uint8_t		 apdu[5 + 255];
	int		 i;

	select_piv(t);
	t->ctx.sess.mgmt_authed = true;
	memset(apdu, 0x11, sizeof(apdu));
	apdu[0] = 0x10;
	apdu[1] = 0xdb;
	apdu[2] = 0x3f;
	apdu[3] = 0xff;
	apdu[4] = 255;
	for (i = 0; i < 64; i++)		/* 16320 bytes */
		assert_int_equal(xfer(t, apdu, sizeof(apdu)), 0x9000);
	assert_int_equal(t->ctx.sess.chain_len, 64 * 255);
	assert_int_equal(xfer(t, apdu, sizeof(apdu)), 0x6700);
	assert_false(t->ctx.sess.chain_active);
	assert_int_equal(t->ctx.sess.chain_len, 0);
	/* the last chunk then stands alone */
	apdu[0] = 0x00;
	assert_int_equal(xfer(t, apdu, sizeof(apdu)), 0x6a80);
	assert_int_equal(t->card.nobjs, 0);
}

static void
test_chain_interrupted(void **state)
{
	struct t	*t = *state;
	uint8_t		 data[16 + 600];
	size_t		 n;

	fill_pattern(big, 600, 1);
	n = build_put(data, 0x5fc10a, big, 600);
	select_piv(t);
	t->ctx.sess.mgmt_authed = true;
	/* two chunks, then another command: the chain is gone */
	assert_int_equal(put_open(t, data, 510), 0x9000);
	assert_true(t->ctx.sess.chain_active);
	assert_int_equal(t->ctx.sess.chain_len, 510);
	assert_int_equal(xhex(t, "00CB3FFF035C017E00"), 0x9000);
	assert_int_equal(dlen(t), sizeof(discovery));
	assert_false(t->ctx.sess.chain_active);
	assert_int_equal(t->ctx.sess.chain_len, 0);
	/* the final chunk alone is not a PUT DATA */
	assert_int_equal(xfer(t, (const uint8_t []){ 0x00, 0xdb, 0x3f, 0xff,
	    0x02, 0xaa, 0xbb }, 7), 0x6a80);
	assert_null(emu_card_obj(&t->card, 0x5fc10a));
	/* same INS, other P1P2 in the middle of a chain: dropped too */
	assert_int_equal(put_open(t, data, 510), 0x9000);
	assert_int_equal(xhex(t, "00DB3FFE025C00"), 0x6a86);
	assert_false(t->ctx.sess.chain_active);
	/* a chunk without data, a malformed APDU, a bad CLA: dropped */
	assert_int_equal(put_open(t, data, 300), 0x9000);
	assert_int_equal(xhex(t, "10DB3FFF"), 0x6700);
	assert_false(t->ctx.sess.chain_active);
	assert_int_equal(put_open(t, data, 300), 0x9000);
	assert_int_equal(xhex(t, "10DB3FFF05"), 0x6700);	/* Le only */
	assert_false(t->ctx.sess.chain_active);
	assert_int_equal(put_open(t, data, 300), 0x9000);
	assert_int_equal(xhex(t, "10DB"), 0x6700);
	assert_false(t->ctx.sess.chain_active);
	assert_int_equal(put_open(t, data, 300), 0x9000);
	assert_int_equal(xhex(t, "90DB3FFF0111"), 0x6e00);
	assert_false(t->ctx.sess.chain_active);
	/* after all that a whole chain still works */
	assert_int_equal(put_chained(t, data, n, 255), 0x9000);
	assert_non_null(emu_card_obj(&t->card, 0x5fc10a));
	/* and power off */
	assert_int_equal(put_open(t, data, 300), 0x9000);
	emu_power_on(&t->ctx);
	assert_false(t->ctx.sess.chain_active);
}

/* ---- CLA, INS, lengths, counters ---- */

static void
test_bad_cla(void **state)
{
	struct t	*t = *state;
	const char	*bad[] = {
		"80CB3FFF035C017E00", "01CB3FFF035C017E00",
		"03CB3FFF035C017E00", "0CCB3FFF035C017E00",
		"20CB3FFF035C017E00", "FFCB3FFF035C017E00",
		"40CB3FFF035C017E00", "84A4040005A000000308",
		"01A4040005A000000308",
	};
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(xhex(t, bad[i]), 0x6e00);
		assert_int_equal(dlen(t), 0);
	}
	assert_false(t->ctx.sess.selected);
	select_piv(t);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(xhex(t, bad[i]), 0x6e00);
}

static void
test_unknown_ins(void **state)
{
	struct t	*t = *state;
	const char	*unknown[] = {
		"00120000", "00B0000000", "00D6000001AA", "00CA3FFF00",
		"00220000", "00840000", "00000000", "00C2000000",
	};
	const char	*yk[] = {
		"00FD0000", "00F80000", "00F7009A", "00F99A00",
		"00FE079A", "00FFFFFF", "00FB0000", "00FA0303",
	};
	size_t		 i;

	select_piv(t);
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		assert_int_equal(xhex(t, unknown[i]), 0x6d00);
	/* not a YubiKey: its instructions do not exist */
	t->card.yubikey = false;
	for (i = 0; i < sizeof(yk) / sizeof(yk[0]); i++) {
		assert_int_equal(xhex(t, yk[i]), 0x6d00);
		assert_int_equal(dlen(t), 0);
	}
	assert_false(t->card.dirty);
}

static void
test_malformed_apdus(void **state)
{
	struct t	*t = *state;
	const char	*bad[] = {
		"00CB3FFF055C035FC1",		/* Lc 5, 3 bytes */
		"00CB3FFF025C035FC105",		/* Lc 2, 5 bytes */
		"00CB3FFF035C017E0000",		/* Lc 3, 2 more */
		"00A4040009A000000308",		/* Lc 9, 5 bytes */
		"00A40400000005A0000003",	/* ext Lc 5, 4 bytes */
		"00A404000000",			/* ext, cut */
		"0020008000000831",		/* ext Lc 8, 1 byte */
		"002000800000",			/* 6 bytes */
	};
	size_t		 i;

	for (i = 0; i < 4; i++) {
		uint8_t b[3] = { 0, 0xa4, 4 };

		assert_int_equal(xfer(t, b, i), 0x6700);
		assert_int_equal(dlen(t), 0);
	}
	emu_process(&t->ctx, NULL, 0, t->resp, &t->resplen);
	assert_int_equal(t->resplen, 2);
	/* a context without a card answers, and counts nothing */
	t->ctx.card = NULL;
	assert_int_equal(xhex(t, "00A4040005A000000308"), 0x6f00);
	t->ctx.card = &t->card;
	assert_int_equal(t->ctx.cnt.apdus, 5);
	select_piv(t);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(xhex(t, bad[i]), 0x6700);
		assert_int_equal(dlen(t), 0);
	}
	/* nothing spent */
	assert_int_equal(xhex(t, "00200080"), 0x63c3);
}

static void
test_counters(void **state)
{
	struct t *t = *state;

	assert_int_equal(t->ctx.cnt.resets, 1);
	assert_int_equal(t->ctx.cnt.apdus, 0);
	select_piv(t);
	xhex(t, "00CB3FFF035C017E00");
	xhex(t, "00CB3FFF035C017E08");
	xhex(t, "00C0000000");
	xhex(t, "00CB");		/* malformed: counted */
	xhex(t, "80CB3FFF035C017E00");	/* bad CLA: counted */
	xhex(t, "00");			/* no INS: counted as an APDU */
	assert_int_equal(t->ctx.cnt.apdus, 7);
	assert_int_equal(t->ctx.cnt.by_ins[0xa4], 1);
	assert_int_equal(t->ctx.cnt.by_ins[0xcb], 4);
	assert_int_equal(t->ctx.cnt.by_ins[0xc0], 1);
	assert_int_equal(t->ctx.cnt.by_ins[0x00], 0);
	assert_int_equal(t->ctx.cnt.keyops, 0);
	emu_power_on(&t->ctx);
	assert_int_equal(t->ctx.cnt.resets, 2);
	assert_int_equal(t->ctx.cnt.apdus, 7);	/* counters survive */
	assert_false(t->ctx.sess.selected);
}

/* ---- robustness ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static const char *seeds[] = {
	"00A4040005A000000308",
	"00A4040009A00000030800001000 00",
	"00CB3FFF035C017E00",
	"00CB3FFF035C017E08",
	"00A4040005A000000308 08",
	"00CB3FFF055C035FC10508",
	"00CB3FFF055C035FC105",
	"00CB3FFF0000055C035FC1051000",
	"00C0000000",
	"00C0000008",
	"00DB3FFF0A5C035FC1025303AABBCC",
	"10DB3FFF055C035FC105",
	"00DB3FFF085382000300AABB",
	"00DB3FFF075C017E7E024F00",
	"0020008008313233343536FFFF",
	"0020008008313233343537FFFF",
	"00200080",
	"0020FF80",
	"0024008010313233343536FFFF313233343536FFFF",
	"00240081103132333435363738313233343536FFFF",
	"002C0080103132333435363738313233343536FFFF",
	"00FD0000",
	"0087079B047C028100",
	"0047009A05AC03800111",		/* P-256: keep the loop fast */
};

static size_t
make_random_apdu(uint8_t *b, size_t cap)
{
	size_t	n, i;
	uint8_t	ins[] = { 0xa4, 0xcb, 0xdb, 0xc0, 0x20, 0x24, 0x2c, 0x87,
	    0x47, 0xfd };

	switch (rng() % 4) {
	case 0:				/* a seed, maybe bits flipped */
		if (ss_hex_decode(seeds[rng() % (sizeof(seeds) /
		    sizeof(seeds[0]))], b, cap, &n) < 0)
			return 0;
		for (i = rng() % 4; i > 0 && n > 0; i--)
			b[rng() % n] ^= (uint8_t)(1u << (rng() % 8));
		if (rng() % 4 == 0 && n > 0)
			n = rng() % n;		/* truncated */
		return n;
	case 1:				/* a valid header, random body */
		n = 4 + rng() % 300;
		if (n > cap)
			n = cap;
		for (i = 0; i < n; i++)
			b[i] = (uint8_t)rng();
		b[0] = (uint8_t)(rng() % 2 ? 0x00 : 0x10);
		b[1] = ins[rng() % sizeof(ins)];
		if (n > 4 && rng() % 2)
			b[4] = (uint8_t)(n - 5);	/* consistent Lc */
		return n;
	default:			/* anything */
		n = rng() % 270;
		if (n > cap)
			n = cap;
		for (i = 0; i < n; i++)
			b[i] = (uint8_t)rng();
		return n;
	}
}

static void
test_robustness(void **state)
{
	struct t	*t = *state;
	uint8_t		 apdu[600], sw1 = 0;
	size_t		 n;
	long		 i;

	for (i = 0; i < 200000; i++) {
		if (i % 20000 == 0) {	/* a fresh card now and then */
			emu_card_free(&t->card);
			emu_card_init_empty(&t->card);
		}
		if (i % 5000 == 0)
			emu_power_on(&t->ctx);
		if (i % 3 == 0)
			t->ctx.sess.selected = true;
		if (i % 7 == 0)
			t->ctx.sess.mgmt_authed = (rng() % 2) != 0;
		if (sw1 == 0x61 && rng() % 4 != 0) {	/* follow up */
			memcpy(apdu, "\x00\xc0\x00\x00", 4);
			apdu[4] = (uint8_t)rng();
			n = 4 + rng() % 2;
		} else
			n = make_random_apdu(apdu, sizeof(apdu));
		t->resplen = 0;
		emu_process(&t->ctx, apdu, n, t->resp, &t->resplen);
		sw1 = t->resp[t->resplen - 2];
		assert_true(t->resplen >= 2 && t->resplen <= EMU_RESP_MAX);
		assert_true(t->ctx.sess.chain_len <=
		    sizeof(t->ctx.sess.chain_buf));
		assert_true(t->ctx.sess.resp_off <= t->ctx.sess.resp_len);
		assert_true(t->ctx.sess.resp_len <=
		    sizeof(t->ctx.sess.resp_buf));
		assert_true(t->card.pin_tries_left <= t->card.pin_tries_max);
		assert_true(t->card.puk_tries_left <= t->card.puk_tries_max);
	}
	assert_int_equal(t->ctx.cnt.apdus, 200000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_select_forms, engine_setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_select_unknown,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_select_bad_p1p2,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_not_selected, engine_setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_get_data_discovery,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_get_data_le8_reassembly,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_get_response_le,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_get_data_no_le,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_get_data_extended,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_pending_response_discarded,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_get_data_malformed,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_get_data_yubikey_objects,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_get_data_protected,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_get_data_bitgt,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_put_data_auth,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_put_data_chained_3000,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_put_data_too_large,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_put_data_malformed,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_put_data_discovery_bitgt,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_put_data_yubikey_objects,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_chain_overflow,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_chain_interrupted,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_bad_cla, engine_setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_ins, engine_setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_apdus,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_counters, engine_setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_robustness, engine_setup,
		    engine_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
