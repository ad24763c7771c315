/*
 * tests/unit/test-reader-pinpad.c - reader/pinpad.c: part 10 feature
 * parsing (also hostile input), the exact PIN_VERIFY/MODIFY structures,
 * and discovery/verify through the mock transport.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "reader/pinpad.h"
#include "mock-transport.h"

#define READER	"Pinpad Reader 00 00"
#define ATR	"3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 " \
		"4B 65 79 40"

/* What a CCID pinpad reader answers to GET_FEATURE_REQUEST. */
#define FEATURES_HEX	"06 04 42 33 00 06  07 04 42 33 00 07 " \
			"0A 04 42 33 00 0A  12 04 42 33 00 12 " \
			"13 04 42 00 00 01"

static void
test_parse_features(void **state)
{
	struct ss_pinpad	p;
	uint8_t			b[64];
	size_t			n = mock_hex(FEATURES_HEX, b, sizeof(b));

	(void)state;
	assert_int_equal(ss_pinpad_parse_features(b, n, &p), SS_ERR_OK);
	assert_int_equal(p.verify_direct, 0x42330006);
	assert_int_equal(p.modify_direct, 0x42330007);
	assert_int_equal(p.pin_properties, 0x4233000a);
	assert_false(p.has_properties);
	assert_true(ss_pinpad_can_verify(&p));
	/* an empty answer: a reader without PIN pad */
	assert_int_equal(ss_pinpad_parse_features(b, 0, &p), SS_ERR_OK);
	assert_int_equal(p.verify_direct, 0);
	assert_false(ss_pinpad_can_verify(&p));
}

/* Every truncation: OK exactly at TLV boundaries, else MALFORMED, and
 * never a read past the (heap, ASan-guarded) end. */
static void
test_parse_features_truncated(void **state)
{
	struct ss_pinpad	 p;
	uint8_t			 b[64], *h;
	size_t			 n = mock_hex(FEATURES_HEX, b, sizeof(b)), i;
	int			 rc;

	(void)state;
	for (i = 0; i <= n; i++) {
		h = malloc(i ? i : 1);
		assert_non_null(h);
		memcpy(h, b, i);
		rc = ss_pinpad_parse_features(h, i, &p);
		assert_int_equal(rc, i % 6 == 0 ? SS_ERR_OK :
		    SS_ERR_MALFORMED);
		free(h);
	}
}

static void
test_parse_features_hostile(void **state)
{
	struct ss_pinpad	p;
	uint8_t			b[64];
	size_t			n;

	(void)state;
	/* length byte says 5: a feature value is always 4 bytes */
	n = mock_hex("06 05 42 33 00 06 00", b, sizeof(b));
	assert_int_equal(ss_pinpad_parse_features(b, n, &p),
	    SS_ERR_MALFORMED);
	/* length byte 0xFF, far past the end */
	n = mock_hex("06 FF 42 33", b, sizeof(b));
	assert_int_equal(ss_pinpad_parse_features(b, n, &p),
	    SS_ERR_MALFORMED);
	/* a good TLV, then a lone tag */
	n = mock_hex("06 04 42 33 00 06 07", b, sizeof(b));
	assert_int_equal(ss_pinpad_parse_features(b, n, &p),
	    SS_ERR_MALFORMED);
	assert_int_equal(p.verify_direct, 0x42330006);	/* kept so far */
	/* unknown features are skipped */
	n = mock_hex("55 04 01 02 03 04 06 04 42 33 00 06", b, sizeof(b));
	assert_int_equal(ss_pinpad_parse_features(b, n, &p), SS_ERR_OK);
	assert_int_equal(p.verify_direct, 0x42330006);
	assert_int_equal(ss_pinpad_parse_features(NULL, 3, &p),
	    SS_ERR_BAD_ARG);
	assert_int_equal(ss_pinpad_parse_features(b, n, NULL),
	    SS_ERR_BAD_ARG);
}

static void
test_parse_properties(void **state)
{
	struct ss_pinpad	p;
	uint8_t			b[8];
	size_t			n;

	(void)state;
	memset(&p, 0, sizeof(p));
	n = mock_hex("02 10 07 00", b, sizeof(b));	/* 2x16 display */
	assert_int_equal(ss_pinpad_parse_properties(b, n, &p), SS_ERR_OK);
	assert_true(p.has_properties);
	assert_int_equal(p.lcd_layout, 0x1002);
	assert_int_equal(p.entry_validation, 0x07);
	assert_int_equal(p.timeout2, 0);
	assert_int_equal(ss_pinpad_parse_properties(b, 3, &p),
	    SS_ERR_MALFORMED);
	assert_false(p.has_properties);
	assert_int_equal(ss_pinpad_parse_properties(b, 5, &p),
	    SS_ERR_MALFORMED);
}

/* The exact PIN_VERIFY_STRUCTURE for PIV VERIFY of the PIN (80). */
static void
test_build_verify_exact(void **state)
{
	uint8_t		out[SS_PINPAD_VERIFY_LEN], want[64];
	struct ss_wr	w;
	size_t		n;

	(void)state;
	n = mock_hex(
	    "00 00"		/* bTimerOut, bTimerOut2 */
	    "82"		/* bmFormatString: bytes, pos 0, left, ASCII */
	    "08"		/* bmPINBlockString: 8-byte block */
	    "00"		/* bmPINLengthFormat */
	    "08 06"		/* wPINMaxExtraDigit 0x0608: min 6, max 8 */
	    "02"		/* bEntryValidationCondition: OK key */
	    "01"		/* bNumberMessage */
	    "09 04"		/* wLangId 0x0409 */
	    "00"		/* bMsgIndex */
	    "00 00 00"		/* bTeoPrologue */
	    "0D 00 00 00"	/* ulDataLength 13 */
	    "00 20 00 80 08 FF FF FF FF FF FF FF FF", want, sizeof(want));
	assert_int_equal(n, SS_PINPAD_VERIFY_LEN);
	ss_wr_init(&w, out, sizeof(out));
	assert_int_equal(ss_pinpad_build_verify(&w, 0x80, 0), SS_ERR_OK);
	assert_int_equal(w.len, n);
	assert_memory_equal(out, want, n);
	/* one byte short: refused, nothing past the end */
	ss_wr_init(&w, out, sizeof(out) - 1);
	assert_int_equal(ss_pinpad_build_verify(&w, 0x80, 0), SS_ERR_BUFFER);
}

static void
test_build_modify_exact(void **state)
{
	uint8_t		out[SS_PINPAD_MODIFY_LEN], want[64];
	struct ss_wr	w;
	size_t		n;

	(void)state;
	n = mock_hex(
	    "1E 1E 82 08 00"	/* timeouts 30 s, format, block, length */
	    "00 08"		/* insertion offsets old 0, new 8 */
	    "08 06"		/* min 6, max 8 */
	    "03"		/* bConfirmPIN: current PIN + confirmation */
	    "02 03 09 04"	/* OK key, 3 messages, 0x0409 */
	    "00 01 02"		/* message indexes */
	    "00 00 00"
	    "15 00 00 00"	/* ulDataLength 21 */
	    "00 24 00 80 10 FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF",
	    want, sizeof(want));
	assert_int_equal(n, SS_PINPAD_MODIFY_LEN);
	ss_wr_init(&w, out, sizeof(out));
	assert_int_equal(ss_pinpad_build_modify(&w, 0x80, 30), SS_ERR_OK);
	assert_int_equal(w.len, n);
	assert_memory_equal(out, want, n);
}

/* --- through the channel -------------------------------------------------- */

struct fix {
	struct mock		 m;
	struct ss_transport	 t;
	struct ss_chan		*c;
};

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	mock_init(&f->m);
	mock_insert(&f->m, READER, ATR);
	f->t = mock_transport(&f->m);
	assert_int_equal(ss_chan_open(&f->c, &f->t, READER, NULL), SS_ERR_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	ss_chan_free(&f->c);
	mock_free(&f->m);
	free(f);
	return 0;
}

static void
test_discover_and_verify(void **state)
{
	struct fix		*f = *state;
	struct ss_pinpad	 p;
	uint16_t		 sw = 0;

	mock_expect_control(&f->m, SS_CM_IOCTL_GET_FEATURE_REQUEST, "",
	    FEATURES_HEX);
	mock_expect_control(&f->m, 0x4233000a, "", "00 00 02 00");
	mock_expect_control(&f->m, 0x42330006,
	    "00 00 82 08 00 08 06 02 01 09 04 00 00 00 00 0D 00 00 00 "
	    "00 20 00 80 08 FF FF FF FF FF FF FF FF", "90 00");
	assert_int_equal(ss_pinpad_discover(f->c, &p), SS_ERR_OK);
	assert_int_equal(p.verify_direct, 0x42330006);
	assert_true(p.has_properties);
	assert_int_equal(p.entry_validation, 0x02);
	assert_int_equal(ss_chan_begin(f->c), SS_ERR_OK);
	assert_int_equal(ss_pinpad_verify(f->c, &p, 0x80, 0, &sw), SS_ERR_OK);
	assert_int_equal(ss_chan_end(f->c), SS_ERR_OK);
	assert_int_equal(sw, 0x9000);
	assert_int_equal(f->m.next, f->m.nsteps);
	assert_string_equal(f->m.fail, "");
}

/* The user cancels on the keypad: the reader answers 64 01. */
static void
test_verify_cancelled_and_wrong(void **state)
{
	struct fix		*f = *state;
	struct ss_pinpad	 p;
	uint16_t		 sw = 0;

	memset(&p, 0, sizeof(p));
	p.verify_direct = 0x42330006;
	mock_expect_control(&f->m, 0x42330006, NULL, "64 01");
	mock_expect_control(&f->m, 0x42330006, NULL, "63 C2");
	mock_expect_control(&f->m, 0x42330006, NULL, "63 C2 00");
	assert_int_equal(ss_pinpad_verify(f->c, &p, 0x80, 0, &sw), SS_ERR_OK);
	assert_int_equal(sw, 0x6401);
	assert_int_equal(ss_pinpad_verify(f->c, &p, 0x80, 0, &sw), SS_ERR_OK);
	assert_int_equal(sw, 0x63c2);
	assert_int_equal(ss_pinpad_verify(f->c, &p, 0x80, 0, &sw),
	    SS_ERR_MALFORMED);
}

/* A plain reader: no part 10, nothing offered, verify refused. */
static void
test_no_pinpad(void **state)
{
	struct fix		*f = *state;
	struct ss_pinpad	 p;
	uint16_t		 sw = 0;

	mock_inject(&f->m, MOP_CONTROL, 1, SS_ERR_NOT_SUPPORTED);
	assert_int_equal(ss_pinpad_discover(f->c, &p), SS_ERR_OK);
	assert_false(ss_pinpad_can_verify(&p));
	assert_int_equal(ss_pinpad_verify(f->c, &p, 0x80, 0, &sw),
	    SS_ERR_NOT_SUPPORTED);
	assert_int_equal(ss_pinpad_modify(f->c, &p, 0x80, 0, &sw),
	    SS_ERR_NOT_SUPPORTED);
}

/* A card reset during discovery is the caller's business. */
static void
test_discover_reset(void **state)
{
	struct fix		*f = *state;
	struct ss_pinpad	 p;

	f->m.reset_pending = true;
	assert_int_equal(ss_pinpad_discover(f->c, &p), SS_ERR_CARD_RESET);
}

/* A hostile feature list through the channel. */
static void
test_discover_hostile(void **state)
{
	struct fix		*f = *state;
	struct ss_pinpad	 p;

	mock_expect_control(&f->m, SS_CM_IOCTL_GET_FEATURE_REQUEST, "",
	    "06 04 42 33 00");
	assert_int_equal(ss_pinpad_discover(f->c, &p), SS_ERR_MALFORMED);
	assert_false(ss_pinpad_can_verify(&p));
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_features),
		cmocka_unit_test(test_parse_features_truncated),
		cmocka_unit_test(test_parse_features_hostile),
		cmocka_unit_test(test_parse_properties),
		cmocka_unit_test(test_build_verify_exact),
		cmocka_unit_test(test_build_modify_exact),
		T(test_discover_and_verify),
		T(test_verify_cancelled_and_wrong),
		T(test_no_pinpad),
		T(test_discover_reset),
		T(test_discover_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
