/*
 * tests/unit/test-reader-atr.c - reader/atr.c on real ATRs (from
 * /usr/share/pcsc/smartcard_list.txt), expected fields worked out by hand
 * from ISO/IEC 7816-3, and on malformed ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "reader/atr.h"
#include "reader/err.h"
#include "reader/hex.h"

#define P(t)	(1u << (t))
#define NO_TCK	(-1)

struct want {
	const char	*name;
	const char	*hex;
	size_t		 len;
	uint8_t		 ts;
	size_t		 nlevels;
	const char	*ta;		/* "TA1 TA2 ..." as hex, -- absent */
	uint32_t	 protocols;
	uint8_t		 fi_di;
	unsigned	 fi, di, fmax_khz;
	size_t		 hist_len;
	uint8_t		 hist0;
	int		 tck;
	int		 caps_rc;	/* ss_atr_card_caps() */
	bool		 ext;
	bool		 chaining;
};

static const struct want atrs[] = {
	{ "YubiKey 5 NFC (PKI)",
	  "3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 4B 65 "
	  "79 40", 23, 0x3b, 3, "13 -- FE", P(1), 0x13, 372, 4, 5000, 13,
	  0x80, 0x40, SS_ERR_OK, true, true },
	{ "YubiKey 5 NFC (via NFC)",
	  "3B 8D 80 01 80 73 C0 21 C0 57 59 75 62 69 4B 65 79 F9", 18, 0x3b,
	  2, "-- --", P(0) | P(1), 0x11, 372, 1, 5000, 13, 0x80, 0xf9,
	  SS_ERR_OK, true, true },
	{ "Gemalto IDPrime PIV Card 2.0 (T=0 only)",
	  "3B 7D 96 00 00 80 31 80 65 B0 83 11 17 E5 83 00 90 00", 18, 0x3b,
	  1, "96", P(0), 0x96, 512, 32, 5000, 13, 0x80, NO_TCK,
	  SS_ERR_NOT_SUPPORTED, false, false },
	{ "Gemalto IDPrime, 15 historical bytes",
	  "3B 7F 96 00 00 80 31 80 65 B0 84 23 27 E5 12 0F FE 82 90 00", 20,
	  0x3b, 1, "96", P(0), 0x96, 512, 32, 5000, 15, 0x80, NO_TCK,
	  SS_ERR_NOT_SUPPORTED, false, false },
	{ "ACOS5-64 v3.00",
	  "3B 9E 96 80 01 41 05 41 00 00 00 00 00 00 00 00 00 90 00 1C", 20,
	  0x3b, 2, "96 --", P(0) | P(1), 0x96, 512, 32, 5000, 14, 0x41,
	  0x1c, SS_ERR_NOT_SUPPORTED, false, false },
	{ "OpenPGP Card V2",
	  "3B DA 18 FF 81 B1 FE 75 1F 03 00 31 C5 73 C0 01 40 00 90 00 0C",
	  21, 0x3b, 4, "18 -- FE 03", P(1) | P(15), 0x18, 372, 12, 5000, 10,
	  0x00, 0x0c, SS_ERR_OK, true, false },
	{ "Atos CardOS 5",
	  "3B D2 18 00 81 31 FE 58 C9 01 14", 11, 0x3b, 3, "18 -- FE", P(1),
	  0x18, 372, 12, 5000, 2, 0xc9, 0x14, SS_ERR_NOT_SUPPORTED, false,
	  false },
	{ "IDEMIA Cosmo V8 PIV (contactless)",
	  "3B 86 80 01 80 31 C1 52 11 18 2C", 11, 0x3b, 2, "-- --",
	  P(0) | P(1), 0x11, 372, 1, 5000, 6, 0x80, 0x2c,
	  SS_ERR_NOT_SUPPORTED, false, false },
	{ "Estonia ID-card (category 00, status 0F 90 00)",
	  "3B DB 96 00 80 B1 FE 45 1F 83 00 12 23 3F 53 65 49 44 0F 90 00 F1",
	  22, 0x3b, 4, "96 -- FE 83", P(0) | P(1) | P(15), 0x96, 512, 32,
	  5000, 11, 0x00, 0xf1, SS_ERR_NOT_SUPPORTED, false, false },
	{ "Axa Bank Belgium (T=0, no TD1)",
	  "3B 67 00 00 00 00 00 00 00 90 00", 11, 0x3b, 1, "--", P(0), 0x11,
	  372, 1, 5000, 7, 0x00, NO_TCK, SS_ERR_NOT_SUPPORTED, false, false },
	{ "Taglio PIVKey C980",
	  "3B 88 80 01 00 00 00 11 77 81 83 00 6D", 13, 0x3b, 2, "-- --",
	  P(0) | P(1), 0x11, 372, 1, 5000, 8, 0x00, 0x6d,
	  SS_ERR_NOT_SUPPORTED, false, false },
	{ "SIMEMU (inverse convention; compact-TLV 03 overruns)",
	  "3F 28 00 00 11 14 00 03 68 90 00", 11, 0x3f, 1, "--", P(0), 0x11,
	  372, 1, 5000, 8, 0x00, NO_TCK, SS_ERR_MALFORMED, false, false },
};

static size_t
hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	assert_int_equal(ss_hex_decode(s, out, cap, &n), 0);
	return n;
}

/* Parse from an exact-size heap copy so ASan sees any over-read. */
static int
parse(const uint8_t *b, size_t n, struct ss_atr *a)
{
	uint8_t	*h = malloc(n ? n : 1);
	int	 rc;

	assert_non_null(h);
	if (n > 0)
		memcpy(h, b, n);
	rc = ss_atr_parse(h, n, a);
	free(h);
	return rc;
}

static void
check_ta(const struct want *w, const struct ss_atr *a)
{
	const char	*p = w->ta;
	size_t		 i = 0;
	uint8_t		 v;

	while (*p != '\0') {
		assert_true(i < a->nlevels);
		if (p[0] == '-') {
			assert_false(a->levels[i].has_ta);
		} else {
			assert_int_equal(hex((char[3]){ p[0], p[1], 0 }, &v, 1),
			    1);
			assert_true(a->levels[i].has_ta);
			assert_int_equal(a->levels[i].ta, v);
		}
		p += (p[2] == ' ') ? 3 : 2;
		i++;
	}
	assert_int_equal(i, w->nlevels);
}

static void
check_one(const struct want *w)
{
	struct ss_atr	a;
	uint8_t		b[64], caps[3];
	size_t		n = hex(w->hex, b, sizeof(b)), nc;

	print_message("  %s\n", w->name);
	assert_int_equal(n, w->len);
	assert_int_equal(parse(b, n, &a), SS_ERR_OK);
	assert_int_equal(a.errors, 0);
	assert_int_equal(a.len, n);
	assert_int_equal(a.ts, w->ts);
	assert_int_equal(a.t0, b[1]);
	assert_int_equal(a.nlevels, w->nlevels);
	check_ta(w, &a);
	assert_int_equal(a.protocols, w->protocols);
	assert_int_equal(a.fi_di, w->fi_di);
	assert_int_equal(a.fi, w->fi);
	assert_int_equal(a.di, w->di);
	assert_int_equal(a.fmax_khz, w->fmax_khz);
	assert_int_equal(a.hist_len, w->hist_len);
	assert_int_equal(a.hist[0], w->hist0);
	assert_memory_equal(a.hist, b + n - w->hist_len -
	    (w->tck == NO_TCK ? 0 : 1), w->hist_len);
	assert_int_equal(a.has_tck, w->tck != NO_TCK);
	if (w->tck != NO_TCK)
		assert_int_equal(a.tck, w->tck);
	assert_int_equal(ss_atr_card_caps(a.hist, a.hist_len, caps, &nc),
	    w->caps_rc);
	assert_int_equal(ss_atr_supports_extended(&a), w->ext);
	assert_int_equal(ss_atr_supports_chaining(&a), w->chaining);
}

static void
test_real_atrs(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(atrs) / sizeof(atrs[0]); i++)
		check_one(&atrs[i]);
}

static void
test_interface_bytes_detail(void **state)
{
	struct ss_atr	a;
	uint8_t		b[64];
	size_t		n = hex(atrs[5].hex, b, sizeof(b));	/* OpenPGP */
	char		s[32];

	(void)state;
	assert_int_equal(parse(b, n, &a), SS_ERR_OK);
	assert_true(a.levels[0].has_tc);
	assert_int_equal(a.levels[0].tc, 0xff);	/* extra guard time */
	assert_false(a.levels[0].has_tb);
	assert_int_equal(a.levels[0].td, 0x81);
	assert_int_equal(a.levels[1].protocol, 1);
	assert_int_equal(a.levels[2].tb, 0x75);	/* T=1 BWI/CWI */
	assert_int_equal(a.levels[3].protocol, 15);
	ss_atr_protocols_str(&a, s, sizeof(s));
	assert_string_equal(s, "T=1 T=15");
	ss_atr_protocols_str(&a, s, 4);		/* truncated, terminated */
	assert_true(strlen(s) < 4);
}

static void
test_card_caps(void **state)
{
	uint8_t	caps[3], h[16];
	size_t	n, nc;

	(void)state;
	/* YubiKey: category 80, 73 C0 21 C0 */
	n = hex("80 73 C0 21 C0", h, sizeof(h));
	assert_int_equal(ss_atr_card_caps(h, n, caps, &nc), SS_ERR_OK);
	assert_int_equal(nc, 3);
	assert_memory_equal(caps, "\xc0\x21\xc0", 3);
	/* one-byte capabilities: third table absent, no extended */
	n = hex("80 71 C0", h, sizeof(h));
	assert_int_equal(ss_atr_card_caps(h, n, caps, &nc), SS_ERR_OK);
	assert_int_equal(nc, 1);
	assert_int_equal(caps[2], 0);
	/* an object overrunning the end */
	n = hex("80 73 C0 21", h, sizeof(h));
	assert_int_equal(ss_atr_card_caps(h, n, caps, &nc), SS_ERR_MALFORMED);
	/* category 00 needs its 3 status bytes */
	n = hex("00 90 00", h, sizeof(h));
	assert_int_equal(ss_atr_card_caps(h, n, caps, &nc), SS_ERR_MALFORMED);
	/* proprietary category */
	n = hex("41 05 41", h, sizeof(h));
	assert_int_equal(ss_atr_card_caps(h, n, caps, &nc),
	    SS_ERR_NOT_SUPPORTED);
	assert_int_equal(ss_atr_card_caps(NULL, 0, caps, &nc),
	    SS_ERR_NOT_SUPPORTED);
	assert_int_equal(ss_atr_card_caps(h, n, NULL, &nc), SS_ERR_BAD_ARG);
}

static void
expect_bad(const char *s, unsigned errors)
{
	struct ss_atr	a;
	uint8_t		b[80];
	size_t		n = hex(s, b, sizeof(b));

	assert_int_equal(parse(b, n, &a), SS_ERR_MALFORMED);
	assert_int_equal(a.errors, errors);
	assert_true(a.len <= n);
	assert_true(a.hist_len <= SS_ATR_HIST_MAX);
	assert_true(a.nlevels <= SS_ATR_MAX_LEVELS);
}

static void
test_malformed(void **state)
{
	(void)state;
	/* truncated in the historical bytes */
	expect_bad("3B FD 13 00 00 81 31 FE 15 80", SS_ATR_E_TRUNCATED);
	/* truncated in the interface bytes */
	expect_bad("3B FD 13 00", SS_ATR_E_TRUNCATED);
	expect_bad("3B", SS_ATR_E_TRUNCATED);
	/* T=1 announced, TCK missing */
	expect_bad("3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 "
	    "4B 65 79", SS_ATR_E_TCK_MISSING);
	/* bad TCK */
	expect_bad("3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 "
	    "4B 65 79 41", SS_ATR_E_TCK_BAD);
	/* T=0 only with a byte after the end */
	expect_bad("3B 67 00 00 00 00 00 00 00 90 00 00", SS_ATR_E_TRAILING);
	/* overlong: 34 bytes */
	expect_bad("3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 "
	    "4B 65 79 40 00 00 00 00 00 00 00 00 00 00 00",
	    SS_ATR_E_TRAILING | SS_ATR_E_TOO_LONG);
	/* TS neither 3B nor 3F */
	expect_bad("00 67 00 00 00 00 00 00 00 90 00", SS_ATR_E_TS);
	/* TD chain longer than any real ATR */
	expect_bad("3B 80 80 80 80 80 80 80 80 80 80 80 01",
	    SS_ATR_E_TOO_LONG | SS_ATR_E_TRAILING);
}

/* Every prefix and every single-byte corruption of every real ATR:
 * no crash, no over-read, sane fields. */
static void
test_fuzz_truncate_and_flip(void **state)
{
	struct ss_atr	a;
	uint8_t		b[64];
	size_t		i, n, k;
	unsigned	bit;
	int		rc;

	(void)state;
	for (i = 0; i < sizeof(atrs) / sizeof(atrs[0]); i++) {
		n = hex(atrs[i].hex, b, sizeof(b));
		for (k = 1; k < n; k++)
			assert_int_equal(parse(b, k, &a), SS_ERR_MALFORMED);
		for (k = 0; k < n; k++) {
			for (bit = 0; bit < 8; bit++) {
				b[k] ^= (uint8_t)(1u << bit);
				rc = parse(b, n, &a);
				assert_true(rc == SS_ERR_OK ||
				    rc == SS_ERR_MALFORMED);
				assert_true(a.len <= n);
				(void)ss_atr_supports_extended(&a);
				b[k] ^= (uint8_t)(1u << bit);
			}
		}
	}
}

static void
test_bad_args(void **state)
{
	struct ss_atr	a;
	uint8_t		b[1] = { 0x3b };

	(void)state;
	assert_int_equal(ss_atr_parse(NULL, 3, &a), SS_ERR_BAD_ARG);
	assert_int_equal(ss_atr_parse(b, 0, &a), SS_ERR_BAD_ARG);
	assert_int_equal(ss_atr_parse(b, 1, NULL), SS_ERR_BAD_ARG);
	assert_false(ss_atr_supports_extended(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_atrs),
		cmocka_unit_test(test_interface_bytes_detail),
		cmocka_unit_test(test_card_caps),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_fuzz_truncate_and_flip),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
