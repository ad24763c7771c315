/*
 * tests/unit/test-bytes.c - the shared bounds-checked helpers: cursors,
 * BER-TLV, APDU parse/encode, hex.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reader/apdu.h"
#include "reader/buf.h"
#include "reader/hex.h"
#include "reader/tlv.h"
#include "reader/wipe.h"

static void
test_rd_bounds(void **state)
{
	const uint8_t	b[] = { 1, 2, 3, 4, 5 };
	struct ss_rd	r;
	uint16_t	v16;
	uint32_t	v32;
	uint8_t		v8, out[8];

	(void)state;
	ss_rd_init(&r, b, sizeof(b));
	assert_int_equal(ss_rd_u16be(&r, &v16), 0);
	assert_int_equal(v16, 0x0102);
	assert_int_equal(ss_rd_left(&r), 3);
	assert_int_equal(ss_rd_u32be(&r, &v32), -1);	/* only 3 left */
	assert_int_equal(ss_rd_u8(&r, &v8), -1);	/* sticky */
	assert_int_equal(ss_rd_left(&r), 0);

	ss_rd_init(&r, b, sizeof(b));
	assert_int_equal(ss_rd_bytes(&r, out, 5), 0);
	assert_memory_equal(out, b, 5);
	assert_int_equal(ss_rd_skip(&r, 1), -1);
	ss_rd_init(&r, b, sizeof(b));
	assert_int_equal(ss_rd_skip(&r, SIZE_MAX), -1);	/* no overflow */
	ss_rd_init(&r, NULL, 10);
	assert_int_equal(ss_rd_left(&r), 0);
	assert_int_equal(ss_rd_peek_u8(&r, &v8), -1);
}

static void
test_wr_bounds(void **state)
{
	uint8_t		b[4];
	struct ss_wr	w;

	(void)state;
	ss_wr_init(&w, b, sizeof(b));
	assert_int_equal(ss_wr_u16be(&w, 0xa1b2), 0);
	assert_int_equal(ss_wr_u8(&w, 0xc3), 0);
	assert_int_equal(ss_wr_u16be(&w, 0xd4e5), -1);	/* 1 byte left */
	assert_int_equal(ss_wr_u8(&w, 0), -1);		/* sticky */
	assert_int_equal(w.len, 3);
	assert_int_equal(b[0], 0xa1);
	ss_wr_init(&w, b, sizeof(b));
	assert_int_equal(ss_wr_fill(&w, 0xff, SIZE_MAX), -1);
}

static void
test_tlv_parse(void **state)
{
	/* 53 82 01 00 <256 bytes>, 5FC102 03 aabbcc, 7F49 00 */
	uint8_t		b[4 + 256 + 7 + 3];
	struct ss_rd	r;
	struct ss_tlv	t;

	(void)state;
	memset(b, 0x11, sizeof(b));
	b[0] = 0x53; b[1] = 0x82; b[2] = 0x01; b[3] = 0x00;
	b[260] = 0x5f; b[261] = 0xc1; b[262] = 0x02; b[263] = 3;
	b[267] = 0x7f; b[268] = 0x49; b[269] = 0;
	ss_rd_init(&r, b, 270);
	assert_int_equal(ss_tlv_next(&r, &t), 0);
	assert_int_equal(t.tag, 0x53);
	assert_int_equal(t.len, 256);
	assert_int_equal(ss_tlv_next(&r, &t), 0);
	assert_int_equal(t.tag, 0x5fc102);
	assert_int_equal(t.len, 3);
	assert_int_equal(ss_tlv_next(&r, &t), 0);
	assert_int_equal(t.tag, 0x7f49);
	assert_int_equal(t.len, 0);
	assert_int_equal(ss_rd_left(&r), 0);
	assert_int_equal(ss_tlv_find(b, 270, 0x7f49, &t), 0);
	assert_int_equal(ss_tlv_find(b, 270, 0x99, &t), -1);
	/* truncated value */
	assert_int_equal(ss_tlv_find(b, 200, 0x7f49, &t), -1);
	assert_int_equal(ss_tlv_expect(b + 267, 3, 0x7f49, &t), 0);
	assert_int_equal(ss_tlv_expect(b + 260, 10, 0x5fc102, &t), -1);
}

static void
test_tlv_malformed(void **state)
{
	static const uint8_t bad[][6] = {
		{ 0x53, 0x80 },				/* indefinite */
		{ 0x53, 0x84, 0, 0, 0, 1 },		/* 4 length bytes */
		{ 0x53, 0x82, 0x01 },			/* short length */
		{ 0x5f },				/* tag cut */
		{ 0x5f, 0xc1 },				/* tag cut */
		{ 0x5f, 0xc1, 0x82, 0x81, 0x00, 0x00 },	/* 4-byte tag */
		{ 0x53, 0x05, 1, 2 },			/* value cut */
	};
	static const size_t lens[] = { 2, 6, 3, 1, 2, 6, 4 };
	struct ss_rd	r;
	struct ss_tlv	t;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		ss_rd_init(&r, bad[i], lens[i]);
		assert_int_equal(ss_tlv_next(&r, &t), -1);
		assert_null(t.val);
	}
}

static void
test_tlv_build(void **state)
{
	uint8_t		b[600], val[300];
	struct ss_wr	w;
	struct ss_tlv	t;
	size_t		lens[] = { 0, 1, 127, 128, 255, 256, 300 };
	size_t		i;

	(void)state;
	memset(val, 0xab, sizeof(val));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		ss_wr_init(&w, b, sizeof(b));
		assert_int_equal(ss_tlv_put(&w, 0x5fc105, val, lens[i]), 0);
		assert_int_equal(w.len, 3 + ss_tlv_len_len(lens[i]) + lens[i]);
		assert_int_equal(ss_tlv_expect(b, w.len, 0x5fc105, &t), 0);
		assert_int_equal(t.len, lens[i]);
	}
	ss_wr_init(&w, b, 10);
	assert_int_equal(ss_tlv_put(&w, 0x53, val, 20), -1);
	ss_wr_init(&w, b, sizeof(b));
	assert_int_equal(ss_tlv_put_hdr(&w, 0x1000000, 1), -1);
}

static void
test_tlv_fuzz(void **state)
{
	uint8_t		b[64];
	struct ss_rd	r;
	struct ss_tlv	t;
	int		i, n;
	size_t		j, len;

	(void)state;
	srand(1);
	for (i = 0; i < 200000; i++) {
		len = (size_t)rand() % sizeof(b);
		for (j = 0; j < len; j++)
			b[j] = (uint8_t)rand();
		ss_rd_init(&r, b, len);
		for (n = 0; n < 70 && ss_tlv_next(&r, &t) == 0; n++)
			assert_true(t.val + t.len <= b + len);
	}
}

static void
test_apdu_cases(void **state)
{
	static const uint8_t c1[] = { 0, 0xa4, 4, 0 };
	static const uint8_t c2[] = { 0, 0xc0, 0, 0, 0 };
	static const uint8_t c3[] = { 0, 0x20, 0, 0x80, 2, 1, 2 };
	static const uint8_t c4[] = { 0, 0xcb, 0x3f, 0xff, 1, 0x7e, 8 };
	static const uint8_t e2[] = { 0, 0xcb, 0, 0, 0, 0x10, 0 };
	static const uint8_t e4[] = { 0, 0x87, 7, 0x9a, 0, 0, 2, 9, 9, 0, 0 };
	static const uint8_t bad1[] = { 0, 0x20, 0, 0x80, 3, 1, 2 };
	static const uint8_t bad2[] = { 0, 0x20, 0, 0x80, 0, 1 };
	static const uint8_t bad3[] = { 0, 0x20, 0 };
	static const uint8_t bad4[] = { 0, 0x20, 0, 0x80, 1, 1, 2, 3 };
	struct ss_apdu a;

	(void)state;
	assert_int_equal(ss_apdu_parse(c1, sizeof(c1), &a), 0);
	assert_int_equal(a.lc, 0);
	assert_false(a.has_le);
	assert_int_equal(ss_apdu_parse(c2, sizeof(c2), &a), 0);
	assert_true(a.has_le);
	assert_int_equal(a.le, 256);
	assert_int_equal(ss_apdu_parse(c3, sizeof(c3), &a), 0);
	assert_int_equal(a.lc, 2);
	assert_false(a.has_le);
	assert_int_equal(ss_apdu_parse(c4, sizeof(c4), &a), 0);
	assert_int_equal(a.lc, 1);
	assert_int_equal(a.le, 8);
	assert_int_equal(ss_apdu_parse(e2, sizeof(e2), &a), 0);
	assert_true(a.extended);
	assert_int_equal(a.le, 0x1000);
	assert_int_equal(ss_apdu_parse(e4, sizeof(e4), &a), 0);
	assert_int_equal(a.lc, 2);
	assert_int_equal(a.le, 65536);
	assert_int_equal(ss_apdu_parse(bad1, sizeof(bad1), &a), -1);
	assert_int_equal(ss_apdu_parse(bad2, sizeof(bad2), &a), -1);
	assert_int_equal(ss_apdu_parse(bad3, sizeof(bad3), &a), -1);
	assert_int_equal(ss_apdu_parse(bad4, sizeof(bad4), &a), -1);
	assert_null(a.data);
	assert_int_equal(ss_apdu_parse(NULL, 4, &a), -1);
}

static void
test_apdu_encode_roundtrip(void **state)
{
	uint8_t		data[300], buf[400];
	struct ss_apdu	a, b;
	struct ss_wr	w;
	size_t		lcs[] = { 0, 1, 255, 256, 300 };
	size_t		les[] = { 0, 1, 256, 257 };
	size_t		i, j;

	(void)state;
	memset(data, 0x5a, sizeof(data));
	for (i = 0; i < 5; i++) {
		for (j = 0; j < 4; j++) {
			memset(&a, 0, sizeof(a));
			a.ins = 0xdb;
			a.data = lcs[i] ? data : NULL;
			a.lc = lcs[i];
			a.has_le = les[j] > 0;
			a.le = les[j];
			ss_wr_init(&w, buf, sizeof(buf));
			assert_int_equal(ss_apdu_encode(&w, &a), 0);
			assert_int_equal(ss_apdu_parse(buf, w.len, &b), 0);
			assert_int_equal(b.lc, a.lc);
			assert_int_equal(b.le, a.le);
			assert_int_equal(b.has_le, a.has_le);
		}
	}
	memset(&a, 0, sizeof(a));
	a.lc = 5;
	ss_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(ss_apdu_encode(&w, &a), -1);	/* lc without data */
}

static void
test_apdu_sw(void **state)
{
	const uint8_t	r[] = { 1, 2, 0x61, 0x10 };
	size_t		n;
	uint16_t	sw;

	(void)state;
	assert_int_equal(ss_apdu_split_sw(r, sizeof(r), &n, &sw), 0);
	assert_int_equal(n, 2);
	assert_int_equal(sw, 0x6110);
	assert_int_equal(ss_apdu_split_sw(r, 1, &n, &sw), -1);
}

static void
test_hex(void **state)
{
	uint8_t	b[4];
	char	s[9];
	size_t	n;

	(void)state;
	assert_int_equal(ss_hex_decode("01:0a FF", b, sizeof(b), &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(b[1], 0x0a);
	assert_int_equal(b[2], 0xff);
	ss_hex_encode(b, 3, s);
	assert_string_equal(s, "010AFF");
	assert_int_equal(ss_hex_decode("0", b, sizeof(b), &n), -1);
	assert_int_equal(ss_hex_decode("0g", b, sizeof(b), &n), -1);
	assert_int_equal(ss_hex_decode("0102030405", b, sizeof(b), &n), -1);
}

static void
test_wipe(void **state)
{
	uint8_t	b[16];
	uint8_t	*p;

	(void)state;
	memset(b, 0x31, sizeof(b));
	ss_wipe(b, sizeof(b));
	for (size_t i = 0; i < sizeof(b); i++)
		assert_int_equal(b[i], 0);
	ss_wipe(NULL, 5);
	p = malloc(8);
	assert_non_null(p);
	memset(p, 0x31, 8);
	ss_free_secret(p, 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rd_bounds),
		cmocka_unit_test(test_wr_bounds),
		cmocka_unit_test(test_tlv_parse),
		cmocka_unit_test(test_tlv_malformed),
		cmocka_unit_test(test_tlv_build),
		cmocka_unit_test(test_tlv_fuzz),
		cmocka_unit_test(test_apdu_cases),
		cmocka_unit_test(test_apdu_encode_roundtrip),
		cmocka_unit_test(test_apdu_sw),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_wipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
