/*
 * tests/unit/test-engine-pin.c - VERIFY, CHANGE REFERENCE DATA and RESET
 * RETRY COUNTER (piv_pin.c) driven through emu_process(): retry counting
 * to blocked, PUK unblock, PIN and PUK change, log out, the query forms,
 * every malformed form, persistence across power off, counters.
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

/* PIN / PUK blocks, FF padded */
#define PIN_DEFAULT	"313233343536FFFF"	/* 123456 */
#define PIN_WRONG	"313233343537FFFF"	/* 123457 */
#define PIN_NEW		"363534333231FFFF"	/* 654321 */
#define PIN_8		"3837363534333231"	/* 87654321 */
#define PUK_DEFAULT	"3132333435363738"	/* 12345678 */
#define PUK_WRONG	"3132333435363739"
#define PUK_NEW		"393939393939FFFF"	/* 999999 */

/* the concatenation of up to three hex strings as one APDU */
static uint16_t
xhex3(struct t *t, const char *a, const char *b, const char *c)
{
	char	hex[1024];
	uint8_t	apdu[512];
	size_t	n;

	assert_true(strlen(a) + strlen(b) + strlen(c) < sizeof(hex));
	strcpy(hex, a);
	strcat(hex, b);
	strcat(hex, c);
	assert_int_equal(ss_hex_decode(hex, apdu, sizeof(apdu), &n), 0);
	return xfer(t, apdu, n);
}

static uint16_t
verify(struct t *t, const char *pin)
{
	return xhex3(t, "0020008008", pin, "");
}

static uint16_t
change(struct t *t, const char *ref, const char *oldv, const char *newv)
{
	char hdr[16];

	strcpy(hdr, "002400");
	strcat(hdr, ref);
	strcat(hdr, "10");
	return xhex3(t, hdr, oldv, newv);
}

static uint16_t
unblock(struct t *t, const char *puk, const char *pin)
{
	return xhex3(t, "002C008010", puk, pin);
}

/* SELECT by the short AID (A0 00 00 03 08), no Le */
static void
select_piv_short(struct t *t)
{
	assert_int_equal(xhex(t, "00A4040005A000000308"), 0x9000);
}

/* ---- VERIFY ---- */

static void
test_verify_right(void **state)
{
	struct t *t = *state;

	select_piv_short(t);
	assert_int_equal(verify(t, PIN_DEFAULT), 0x9000);
	assert_int_equal(t->resplen, 2);
	assert_true(t->ctx.sess.pin_verified);
	assert_true(t->ctx.sess.pin_always_ok);
	assert_int_equal(t->ctx.cnt.verify, 1);
	assert_int_equal(t->ctx.cnt.verify_fail, 0);
	assert_int_equal(t->ctx.cnt.by_ins[0x20], 1);
	/* tries were at the maximum: nothing to save */
	assert_false(t->card.dirty);
	/* a chained VERIFY works, and the joined PIN is wiped */
	emu_power_on(&t->ctx);
	select_piv_short(t);
	assert_int_equal(xhex(t, "1020008004 31323334"), 0x9000);
	assert_true(t->ctx.sess.chain_active);
	assert_int_equal(xhex(t, "0020008004 3536FFFF"), 0x9000);
	assert_true(t->ctx.sess.pin_verified);
	assert_false(t->ctx.sess.chain_active);
	assert_int_equal(t->ctx.sess.chain_len, 0);
	assert_memory_equal(t->ctx.sess.chain_buf, "\0\0\0\0\0\0\0\0", 8);
}

static void
test_verify_query_forms(void **state)
{
	struct t *t = *state;

	select_piv_short(t);
	assert_int_equal(xhex(t, "00200080"), 0x63c3);
	assert_int_equal(xhex(t, "0020008000"), 0x63c3);	/* Le 256 */
	assert_int_equal(t->resplen, 2);
	assert_int_equal(verify(t, PIN_DEFAULT), 0x9000);
	assert_int_equal(xhex(t, "00200080"), 0x9000);
	assert_int_equal(xhex(t, "0020008000"), 0x9000);
	/* queries cost nothing and are not counted as PIN checks */
	assert_int_equal(t->ctx.cnt.verify, 1);
	assert_int_equal(t->card.pin_tries_left, 3);
	assert_int_equal(t->ctx.cnt.by_ins[0x20], 5);
}

static void
test_verify_logout(void **state)
{
	struct t *t = *state;

	select_piv_short(t);
	assert_int_equal(verify(t, PIN_DEFAULT), 0x9000);
	assert_int_equal(xhex(t, "0020FF80"), 0x9000);
	assert_false(t->ctx.sess.pin_verified);
	assert_false(t->ctx.sess.pin_always_ok);
	assert_int_equal(xhex(t, "00200080"), 0x63c3);
	/* the 5-byte form too, and logging out twice is fine */
	assert_int_equal(verify(t, PIN_DEFAULT), 0x9000);
	assert_int_equal(xhex(t, "0020FF8000"), 0x9000);
	assert_int_equal(xhex(t, "0020FF80"), 0x9000);
	assert_false(t->ctx.sess.pin_verified);
	/* log out with data, or of another reference */
	assert_int_equal(xhex3(t, "0020FF8008", PIN_DEFAULT, ""), 0x6a80);
	assert_int_equal(xhex(t, "0020FF81"), 0x6a88);
	assert_int_equal(xhex(t, "0020FF00"), 0x6a88);
	/* the management-key authentication is not the PIN's */
	assert_int_equal(verify(t, PIN_DEFAULT), 0x9000);
	t->ctx.sess.mgmt_authed = true;
	assert_int_equal(xhex(t, "0020FF80"), 0x9000);
	assert_true(t->ctx.sess.mgmt_authed);
	assert_int_equal(t->card.pin_tries_left, 3);
}

static void
test_verify_wrong_to_blocked(void **state)
{
	struct t *t = *state;

	select_piv_short(t);
	assert_int_equal(verify(t, PIN_WRONG), 0x63c2);
	assert_true(t->card.dirty);
	assert_int_equal(t->card.pin_tries_left, 2);
	assert_int_equal(xhex(t, "00200080"), 0x63c2);
	assert_int_equal(verify(t, PIN_WRONG), 0x63c1);
	assert_int_equal(verify(t, PIN_WRONG), 0x6983);
	assert_int_equal(t->card.pin_tries_left, 0);
	assert_int_equal(xhex(t, "00200080"), 0x6983);
	/* blocked: even the right PIN is refused, not compared */
	assert_int_equal(verify(t, PIN_DEFAULT), 0x6983);
	assert_int_equal(verify(t, PIN_WRONG), 0x6983);
	assert_false(t->ctx.sess.pin_verified);
	assert_int_equal(t->ctx.cnt.verify, 5);
	assert_int_equal(t->ctx.cnt.verify_fail, 3);
	assert_int_equal(t->card.pin_tries_left, 0);
	/* the PUK is untouched */
	assert_int_equal(t->card.puk_tries_left, 3);
}

static void
test_verify_right_resets_tries(void **state)
{
	struct t *t = *state;

	select_piv_short(t);
	assert_int_equal(verify(t, PIN_WRONG), 0x63c2);
	assert_int_equal(verify(t, PIN_WRONG), 0x63c1);
	t->card.dirty = false;
	assert_int_equal(verify(t, PIN_DEFAULT), 0x9000);
	assert_int_equal(t->card.pin_tries_left, 3);
	assert_true(t->card.dirty);
	/* a wrong PIN after a right one logs out */
	assert_int_equal(verify(t, PIN_WRONG), 0x63c2);
	assert_false(t->ctx.sess.pin_verified);
	assert_false(t->ctx.sess.pin_always_ok);
	assert_int_equal(xhex(t, "00200080"), 0x63c2);
}

static void
test_verify_many_tries(void **state)
{
	struct t *t = *state;

	/* more than 15 tries left still fits in 63Cx */
	t->card.pin_tries_max = t->card.pin_tries_left = 20;
	select_piv_short(t);
	assert_int_equal(xhex(t, "00200080"), 0x63cf);
	assert_int_equal(verify(t, PIN_WRONG), 0x63cf);
	assert_int_equal(t->card.pin_tries_left, 19);
}

static void
test_verify_persists_across_power(void **state)
{
	struct t *t = *state;

	select_piv_short(t);
	assert_int_equal(verify(t, PIN_DEFAULT), 0x9000);
	assert_int_equal(verify(t, PIN_WRONG), 0x63c2);
	/* pull the card: the session is gone, the counter is not */
	emu_power_on(&t->ctx);
	assert_false(t->ctx.sess.pin_verified);
	assert_int_equal(xhex(t, "00200080"), 0x6d00);	/* not selected */
	select_piv_short(t);
	assert_int_equal(xhex(t, "00200080"), 0x63c2);
	assert_int_equal(verify(t, PIN_WRONG), 0x63c1);
	emu_power_on(&t->ctx);
	select_piv_short(t);
	assert_int_equal(verify(t, PIN_WRONG), 0x6983);
	emu_power_on(&t->ctx);
	select_piv_short(t);
	assert_int_equal(xhex(t, "00200080"), 0x6983);
	assert_int_equal(t->ctx.cnt.resets, 4);
}

static void
test_verify_malformed(void **state)
{
	struct t	*t = *state;
	const char	*bad[] = {
		"00200080073132333435363738",		/* 7 bytes */
		"002000800931323334353637383930",	/* 9 bytes */
		"00200080083132333435FFFFFF",		/* 5 digits */
		"002000800831FFFFFFFFFFFFFF",		/* 1 digit */
		"0020008008FFFFFFFFFFFFFFFF",		/* empty */
		"0020008008313233FF343536FF",		/* FF inside */
		"0020008008FF31323334353637",		/* FF first */
		"00200080083132333435363738 00",	/* Le: fine */
		"002000801031323334353637383132333435363738",	/* 16 */
	};
	size_t		 i;

	select_piv_short(t);
	/* P1 other than 00 / FF */
	assert_int_equal(xhex3(t, "0020018008", PIN_DEFAULT, ""), 0x6a86);
	assert_int_equal(xhex3(t, "0020808008", PIN_DEFAULT, ""), 0x6a86);
	assert_int_equal(xhex(t, "00200180"), 0x6a86);
	/* references other than the PIV PIN */
	assert_int_equal(xhex3(t, "0020008108", PUK_DEFAULT, ""), 0x6a88);
	assert_int_equal(xhex3(t, "0020000008", PIN_DEFAULT, ""), 0x6a88);
	assert_int_equal(xhex3(t, "0020009B08", PIN_DEFAULT, ""), 0x6a88);
	assert_int_equal(xhex3(t, "0020009608", PIN_DEFAULT, ""), 0x6a88);
	assert_int_equal(xhex(t, "00200081"), 0x6a88);
	assert_int_equal(xhex(t, "00200000"), 0x6a88);
	/* PIN blocks that are not 6 to 8 bytes padded with FF */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint16_t sw = xhex(t, bad[i]);

		if (i == 7) {			/* the well-formed one */
			assert_int_equal(sw, 0x63c2);
			continue;
		}
		assert_int_equal(sw, 0x6a80);
	}
	/* a wrong Lc is a wrong length */
	assert_int_equal(xhex(t, "0020008008313233343536"), 0x6700);
	assert_int_equal(xhex3(t, "0020008009", PIN_DEFAULT, ""), 0x6700);
	/* only the well-formed wrong PIN cost a try */
	assert_int_equal(t->card.pin_tries_left, 2);
	assert_int_equal(t->ctx.cnt.verify, 1);
	assert_int_equal(t->ctx.cnt.verify_fail, 1);
	assert_false(t->ctx.sess.pin_verified);
}

static void
test_verify_8_digit_pin(void **state)
{
	struct t *t = *state;

	select_piv_short(t);
	assert_int_equal(change(t, "80", PIN_DEFAULT, PIN_8), 0x9000);
	assert_int_equal(verify(t, PIN_8), 0x9000);
	assert_int_equal(verify(t, "3837363534333231"), 0x9000);
	assert_int_equal(verify(t, "38373635343332FF"), 0x63c2);
}

/* ---- CHANGE REFERENCE DATA ---- */

static void
test_change_pin(void **state)
{
	struct t *t = *state;

	select_piv_short(t);
	assert_true(t->card.pin_is_default);
	assert_int_equal(change(t, "80", PIN_DEFAULT, PIN_NEW), 0x9000);
	assert_int_equal(t->resplen, 2);
	assert_true(t->card.dirty);
	assert_false(t->card.pin_is_default);
	assert_true(t->card.puk_is_default);
	assert_memory_equal(t->card.pin, "654321\xff\xff", 8);
	assert_int_equal(verify(t, PIN_DEFAULT), 0x63c2);
	assert_int_equal(verify(t, PIN_NEW), 0x9000);
	/* a wrong old PIN costs a try and logs out */
	assert_int_equal(change(t, "80", PIN_WRONG, PIN_DEFAULT), 0x63c2);
	assert_false(t->ctx.sess.pin_verified);
	assert_memory_equal(t->card.pin, "654321\xff\xff", 8);
	assert_int_equal(change(t, "80", PIN_WRONG, PIN_DEFAULT), 0x63c1);
	/* a right one gives the tries back */
	assert_int_equal(change(t, "80", PIN_NEW, PIN_DEFAULT), 0x9000);
	assert_int_equal(t->card.pin_tries_left, 3);
	assert_memory_equal(t->card.pin, "123456\xff\xff", 8);
	/* the CHANGE is not a VERIFY */
	assert_int_equal(t->ctx.cnt.verify, 2);
	assert_int_equal(t->ctx.cnt.by_ins[0x24], 4);
}

static void
test_change_pin_to_blocked(void **state)
{
	struct t *t = *state;

	select_piv_short(t);
	assert_int_equal(change(t, "80", PIN_WRONG, PIN_NEW), 0x63c2);
	assert_int_equal(change(t, "80", PIN_WRONG, PIN_NEW), 0x63c1);
	assert_int_equal(change(t, "80", PIN_WRONG, PIN_NEW), 0x6983);
	assert_int_equal(change(t, "80", PIN_DEFAULT, PIN_NEW), 0x6983);
	assert_int_equal(xhex(t, "00200080"), 0x6983);
	assert_memory_equal(t->card.pin, "123456\xff\xff", 8);
	assert_true(t->card.pin_is_default);
}

static void
test_change_puk(void **state)
{
	struct t *t = *state;

	select_piv_short(t);
	assert_int_equal(change(t, "81", PUK_DEFAULT, PUK_NEW), 0x9000);
	assert_false(t->card.puk_is_default);
	assert_true(t->card.pin_is_default);
	assert_memory_equal(t->card.puk, "999999\xff\xff", 8);
	/* the PIV PIN is not the PUK */
	assert_int_equal(t->card.pin_tries_left, 3);
	assert_int_equal(change(t, "81", PUK_DEFAULT, PUK_NEW), 0x63c2);
	assert_int_equal(t->card.puk_tries_left, 2);
	assert_int_equal(t->card.pin_tries_left, 3);
	assert_int_equal(change(t, "81", PUK_NEW, PUK_DEFAULT), 0x9000);
	assert_int_equal(t->card.puk_tries_left, 3);
	/* the new PUK unblocks */
	assert_int_equal(change(t, "81", PUK_DEFAULT, PUK_NEW), 0x9000);
	assert_int_equal(verify(t, PIN_WRONG), 0x63c2);
	assert_int_equal(verify(t, PIN_WRONG), 0x63c1);
	assert_int_equal(verify(t, PIN_WRONG), 0x6983);
	assert_int_equal(unblock(t, PUK_DEFAULT, PIN_NEW), 0x63c2);
	assert_int_equal(unblock(t, PUK_NEW, PIN_NEW), 0x9000);
	assert_int_equal(verify(t, PIN_NEW), 0x9000);
}

static void
test_change_malformed(void **state)
{
	struct t *t = *state;

	select_piv_short(t);
	assert_int_equal(xhex3(t, "0024018010", PIN_DEFAULT, PIN_NEW), 0x6a86);
	assert_int_equal(xhex3(t, "0024FF8010", PIN_DEFAULT, PIN_NEW), 0x6a86);
	assert_int_equal(xhex3(t, "0024008210", PIN_DEFAULT, PIN_NEW), 0x6a88);
	assert_int_equal(xhex3(t, "0024000010", PIN_DEFAULT, PIN_NEW), 0x6a88);
	assert_int_equal(xhex3(t, "0024009B10", PIN_DEFAULT, PIN_NEW), 0x6a88);
	/* lengths: one block, 15, 17, none */
	assert_int_equal(xhex3(t, "0024008008", PIN_DEFAULT, ""), 0x6a80);
	assert_int_equal(xhex3(t, "002400800F", PIN_DEFAULT,
	    "36353433323131"), 0x6a80);
	assert_int_equal(xhex3(t, "0024008011", PIN_DEFAULT,
	    "363534333231FFFFFF"), 0x6a80);
	assert_int_equal(xhex(t, "00240080"), 0x6a80);
	/* new (or old) value not 6 to 8 bytes padded with FF */
	assert_int_equal(change(t, "80", PIN_DEFAULT, "3132333435FFFFFF"),
	    0x6a80);
	assert_int_equal(change(t, "80", PIN_DEFAULT, "FFFFFFFFFFFFFFFF"),
	    0x6a80);
	assert_int_equal(change(t, "80", PIN_DEFAULT, "31FF323334353637"),
	    0x6a80);
	assert_int_equal(change(t, "80", "31323334FFFFFFFF", PIN_NEW),
	    0x6a80);
	assert_int_equal(change(t, "81", PUK_DEFAULT, "3132333435FFFFFF"),
	    0x6a80);
	/* none of it cost a try or changed anything */
	assert_int_equal(t->card.pin_tries_left, 3);
	assert_int_equal(t->card.puk_tries_left, 3);
	assert_true(t->card.pin_is_default);
	assert_true(t->card.puk_is_default);
	assert_false(t->card.dirty);
}

/* ---- RESET RETRY COUNTER ---- */

static void
block_pin(struct t *t)
{
	assert_int_equal(verify(t, PIN_WRONG), 0x63c2);
	assert_int_equal(verify(t, PIN_WRONG), 0x63c1);
	assert_int_equal(verify(t, PIN_WRONG), 0x6983);
}

static void
test_unblock(void **state)
{
	struct t *t = *state;

	select_piv_short(t);
	block_pin(t);
	t->card.dirty = false;
	assert_int_equal(unblock(t, PUK_WRONG, PIN_NEW), 0x63c2);
	assert_true(t->card.dirty);
	assert_int_equal(t->card.puk_tries_left, 2);
	assert_int_equal(t->card.pin_tries_left, 0);
	assert_int_equal(unblock(t, PUK_DEFAULT, PIN_NEW), 0x9000);
	assert_int_equal(t->resplen, 2);
	assert_int_equal(t->card.pin_tries_left, 3);
	assert_int_equal(t->card.puk_tries_left, 3);
	assert_false(t->card.pin_is_default);
	assert_true(t->card.puk_is_default);
	assert_int_equal(xhex(t, "00200080"), 0x63c3);
	assert_int_equal(verify(t, PIN_DEFAULT), 0x63c2);
	assert_int_equal(verify(t, PIN_NEW), 0x9000);
	/* RESET RETRY COUNTER works on a PIN that is not blocked too */
	assert_int_equal(unblock(t, PUK_DEFAULT, PIN_DEFAULT), 0x9000);
	assert_int_equal(verify(t, PIN_DEFAULT), 0x9000);
}

static void
test_unblock_puk_blocked(void **state)
{
	struct t *t = *state;

	select_piv_short(t);
	block_pin(t);
	assert_int_equal(unblock(t, PUK_WRONG, PIN_NEW), 0x63c2);
	assert_int_equal(unblock(t, PUK_WRONG, PIN_NEW), 0x63c1);
	assert_int_equal(unblock(t, PUK_WRONG, PIN_NEW), 0x6983);
	assert_int_equal(t->card.puk_tries_left, 0);
	assert_int_equal(unblock(t, PUK_DEFAULT, PIN_NEW), 0x6983);
	assert_int_equal(change(t, "81", PUK_DEFAULT, PUK_NEW), 0x6983);
	assert_int_equal(t->card.pin_tries_left, 0);
	assert_memory_equal(t->card.pin, "123456\xff\xff", 8);
	/* both survive a power cycle */
	emu_power_on(&t->ctx);
	select_piv_short(t);
	assert_int_equal(xhex(t, "00200080"), 0x6983);
	assert_int_equal(unblock(t, PUK_DEFAULT, PIN_NEW), 0x6983);
}

static void
test_unblock_malformed(void **state)
{
	struct t *t = *state;

	select_piv_short(t);
	block_pin(t);
	assert_int_equal(xhex3(t, "002C018010", PUK_DEFAULT, PIN_NEW), 0x6a86);
	assert_int_equal(xhex3(t, "002C008110", PUK_DEFAULT, PIN_NEW), 0x6a88);
	assert_int_equal(xhex3(t, "002C000010", PUK_DEFAULT, PIN_NEW), 0x6a88);
	assert_int_equal(xhex3(t, "002C008008", PUK_DEFAULT, ""), 0x6a80);
	assert_int_equal(xhex(t, "002C0080"), 0x6a80);
	assert_int_equal(xhex3(t, "002C008011", PUK_DEFAULT,
	    "363534333231FFFF00"), 0x6a80);
	assert_int_equal(unblock(t, PUK_DEFAULT, "3635343332FFFFFF"), 0x6a80);
	assert_int_equal(unblock(t, PUK_DEFAULT, "36FF343332313130"), 0x6a80);
	assert_int_equal(unblock(t, "31323334FFFFFFFF", PIN_NEW), 0x6a80);
	assert_int_equal(xhex3(t, "002C008010", PUK_DEFAULT, "3635"), 0x6700);
	assert_int_equal(t->card.puk_tries_left, 3);
	assert_int_equal(t->card.pin_tries_left, 0);
}

/* ---- engine around the PIN commands ---- */

static void
test_pin_commands_need_selection(void **state)
{
	struct t *t = *state;

	assert_int_equal(verify(t, PIN_DEFAULT), 0x6d00);
	assert_int_equal(change(t, "80", PIN_DEFAULT, PIN_NEW), 0x6d00);
	assert_int_equal(unblock(t, PUK_DEFAULT, PIN_NEW), 0x6d00);
	assert_int_equal(xhex(t, "0020FF80"), 0x6d00);
	assert_false(t->ctx.sess.pin_verified);
	assert_int_equal(t->ctx.cnt.verify, 0);
	assert_int_equal(t->ctx.cnt.apdus, 4);
	assert_int_equal(t->ctx.cnt.by_ins[0x20], 2);
	assert_int_equal(t->ctx.cnt.by_ins[0x24], 1);
	assert_int_equal(t->ctx.cnt.by_ins[0x2c], 1);
	assert_memory_equal(t->card.pin, "123456\xff\xff", 8);
}

static void
test_pin_bad_cla(void **state)
{
	struct t *t = *state;

	select_piv_short(t);
	assert_int_equal(xhex3(t, "8020008008", PIN_DEFAULT, ""), 0x6e00);
	assert_int_equal(xhex3(t, "0C20008008", PIN_DEFAULT, ""), 0x6e00);
	assert_int_equal(xhex3(t, "8424008010", PIN_DEFAULT, PIN_NEW), 0x6e00);
	assert_false(t->ctx.sess.pin_verified);
	assert_int_equal(t->ctx.cnt.verify, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_verify_right, engine_setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_verify_query_forms,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_verify_logout,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_verify_wrong_to_blocked,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_verify_right_resets_tries,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_verify_many_tries,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(
		    test_verify_persists_across_power, engine_setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_verify_malformed,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_verify_8_digit_pin,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_change_pin, engine_setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_change_pin_to_blocked,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_change_puk, engine_setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_change_malformed,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_unblock, engine_setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_unblock_puk_blocked,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_unblock_malformed,
		    engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(
		    test_pin_commands_need_selection, engine_setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_pin_bad_cla, engine_setup,
		    engine_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
