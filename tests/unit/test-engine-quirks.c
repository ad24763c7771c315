/*
 * tests/unit/test-engine-quirks.c - the emulator's card quirks
 * (token-emu/quirks.c, "smartsign-emu run --quirk") through emu_process():
 * short-only refuses every extended APDU with 6700 and nothing else,
 * le-exact answers 6Cxx to an inexact short Le of a read command and
 * keeps a pending GET RESPONSE; the --quirk and --keyop-delay parsers.
 * (odd-6a80 needs keys: test-engine-auth.c.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "token-emu/keyop_delay.h"
#include "token-emu/quirks.h"
#include "engine-fixture.h"

#define SELECT_LE00	"00A4040009A0000003080000100000"

/* the fixture's card with a 300-byte object in 5FC105, 20 bytes in 5FC10A */
static int
setup(void **state)
{
	struct t	*t;
	uint8_t		 obj[300];
	size_t		 i;

	if (engine_setup(state) != 0)
		return -1;
	t = *state;
	for (i = 0; i < sizeof(obj); i++)
		obj[i] = (uint8_t)(i * 3 + 1);
	if (emu_card_obj_set(&t->card, 0x5fc105, obj, sizeof(obj)) != 0 ||
	    emu_card_obj_set(&t->card, 0x5fc10a, obj, 20) != 0) {
		(void)engine_teardown(state);
		return -1;
	}
	return 0;
}

static void
test_short_only(void **state)
{
	struct t *t = *state;

	t->ctx.quirks = EMU_QUIRK_SHORT_ONLY;
	assert_int_equal(xhex(t, SELECT_LE00), 0x9000);
	/* extended Le: refused, counted, nothing sent */
	assert_int_equal(xhex(t, "00CB3FFF0000055C035FC1050000"), 0x6700);
	assert_int_equal(t->resplen, 2);
	assert_int_equal(t->ctx.cnt.by_ins[0xcb], 1);
	/* extended Lc too, even without Le */
	assert_int_equal(xhex(t, "00CB3FFF0000055C035FC105"), 0x6700);
	/* short: served, GET RESPONSE for the rest */
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10500"), 0x6100 | 48);
	assert_int_equal(t->resplen, 258);
	assert_int_equal(xhex(t, "00C0000030"), 0x9000);
	assert_int_equal(t->resplen, 48 + 2);
	/* without the quirk the same extended APDU is served at once */
	t->ctx.quirks = 0;
	assert_int_equal(xhex(t, "00CB3FFF0000055C035FC1050000"), 0x9000);
	assert_int_equal(t->resplen, 304 + 2);
}

static void
test_le_exact(void **state)
{
	struct t	*t = *state;
	char		 hex[64];
	uint16_t	 sw;
	size_t		 n;

	t->ctx.quirks = EMU_QUIRK_LE_EXACT;
	/* SELECT with Le 00: the exact length, no data */
	sw = xhex(t, SELECT_LE00);
	assert_int_equal(sw & 0xff00, 0x6c00);
	assert_int_equal(t->resplen, 2);
	n = sw & 0xff;
	assert_true(n > 0);
	snprintf(hex, sizeof(hex), "00A4040009A00000030800001000%02zX", n);
	assert_int_equal(xhex(t, hex), 0x9000);
	assert_int_equal(t->resplen, n + 2);
	/* a 24-byte object (53 14 + 20) asked with Le 08: 6C18 */
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10A08"), 0x6c16);
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10A16"), 0x9000);
	assert_int_equal(t->resplen, 0x16 + 2);
	/* 304 bytes: the first 256 go (not below 256), GET RESPONSE with
	 * Le 00 gets 6C30 and the rest stays pending */
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10500"), 0x6130);
	assert_int_equal(xhex(t, "00C0000000"), 0x6c30);
	assert_int_equal(xhex(t, "00C0000030"), 0x9000);
	assert_int_equal(t->resplen, 0x30 + 2);
	/* extended Le is never inexact */
	assert_int_equal(xhex(t, "00CB3FFF0000055C035FC10A0000"), 0x9000);
	/* error answers stay as they are */
	assert_int_equal(xhex(t, "00CB3FFF055C035FC10B00"), 0x6a82);
}

static void
test_quirk_names(void **state)
{
	unsigned set = 0;

	(void)state;
	assert_int_equal(emu_quirks_parse("short-only", &set), 0);
	assert_int_equal(set, EMU_QUIRK_SHORT_ONLY);
	assert_int_equal(emu_quirks_parse("le-exact,odd-6a80", &set), 0);
	assert_int_equal(set, EMU_QUIRK_SHORT_ONLY | EMU_QUIRK_LE_EXACT |
	    EMU_QUIRK_ODD_6A80);
	set = 0;
	assert_int_equal(emu_quirks_parse("", &set), -1);
	assert_int_equal(emu_quirks_parse("short-only,", &set), -1);
	assert_int_equal(emu_quirks_parse("short", &set), -1);
	assert_int_equal(emu_quirks_parse("short-only-x", &set), -1);
	assert_int_equal(emu_quirks_parse(",le-exact", &set), -1);
}

static void
test_keyop_delay(void **state)
{
	struct emu_keyop_delay d;

	(void)state;
	memset(&d, 0, sizeof(d));
	assert_int_equal(emu_keyop_delay_parse("150", 1000, &d), 0);
	assert_int_equal(emu_keyop_delay_ms(&d, PIV_ALG_RSA2048), 150);
	assert_int_equal(emu_keyop_delay_ms(&d, PIV_ALG_ECCP256), 150);
	assert_int_equal(emu_keyop_delay_parse("rsa2048=150,p256=60", 1000,
	    &d), 0);
	assert_int_equal(emu_keyop_delay_ms(&d, PIV_ALG_RSA2048), 150);
	assert_int_equal(emu_keyop_delay_ms(&d, PIV_ALG_ECCP256), 60);
	assert_int_equal(emu_keyop_delay_ms(&d, PIV_ALG_RSA4096), 0);
	assert_int_equal(emu_keyop_delay_parse("20,rsa4096=900", 1000, &d),
	    0);
	assert_int_equal(emu_keyop_delay_ms(&d, PIV_ALG_RSA4096), 900);
	assert_int_equal(emu_keyop_delay_ms(&d, PIV_ALG_ED25519), 20);
	/* refused: d is left as it was */
	assert_int_equal(emu_keyop_delay_parse("rsa2048=1001", 1000, &d), -1);
	assert_int_equal(emu_keyop_delay_parse("rsa9999=1", 1000, &d), -1);
	assert_int_equal(emu_keyop_delay_parse("none=1", 1000, &d), -1);
	assert_int_equal(emu_keyop_delay_parse("p256=", 1000, &d), -1);
	assert_int_equal(emu_keyop_delay_parse("=5", 1000, &d), -1);
	assert_int_equal(emu_keyop_delay_parse("5,", 1000, &d), -1);
	assert_int_equal(emu_keyop_delay_parse("", 1000, &d), -1);
	assert_int_equal(emu_keyop_delay_parse("-1", 1000, &d), -1);
	assert_int_equal(emu_keyop_delay_ms(&d, PIV_ALG_RSA4096), 900);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_short_only, setup,
		    engine_teardown),
		cmocka_unit_test_setup_teardown(test_le_exact, setup,
		    engine_teardown),
		cmocka_unit_test(test_quirk_names),
		cmocka_unit_test(test_keyop_delay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
