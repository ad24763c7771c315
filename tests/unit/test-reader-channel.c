/*
 * tests/unit/test-reader-channel.c - reader/channel.c against the scripted
 * mock transport: ISO 7816 framing, transactions, recovery, trace.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "reader/channel.h"
#include "mock-transport.h"

#define READER		"Mock Reader 00 00"
#define ATR_YK5		"3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 " \
			"62 69 4B 65 79 40"
#define ATR_GEMALTO	"3B 7D 96 00 00 80 31 80 65 B0 83 11 17 E5 83 00 90 00"

struct fix {
	struct mock		 m;
	struct ss_transport	 t;
	struct ss_chan		*c;
	uint8_t			 resp[8192];
	size_t			 len;
	uint16_t		 sw;
};

static struct fix *
fix_new(const char *atr, uint32_t proto, const struct ss_chan_opts *o)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	mock_init(&f->m);
	f->m.proto = proto;
	mock_insert(&f->m, READER, atr);
	f->t = mock_transport(&f->m);
	assert_int_equal(ss_chan_open(&f->c, &f->t, READER, o), SS_ERR_OK);
	return f;
}

static int
setup(void **state)
{
	*state = fix_new(ATR_YK5, SS_PROTO_T1, NULL);
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	if (f == NULL)
		return 0;
	ss_chan_free(&f->c);
	assert_null(f->c);
	mock_free(&f->m);
	free(f);
	return 0;
}

static void
apdu_set(struct ss_apdu *a, const char *hdr, const uint8_t *data, size_t lc,
    bool has_le, size_t le)
{
	uint8_t h[4];

	assert_int_equal(mock_hex(hdr, h, sizeof(h)), 4);
	memset(a, 0, sizeof(*a));
	a->cla = h[0];
	a->ins = h[1];
	a->p1 = h[2];
	a->p2 = h[3];
	a->data = data;
	a->lc = lc;
	a->has_le = has_le;
	a->le = le;
}

static int
xmit(struct fix *f, const struct ss_apdu *a, unsigned flags)
{
	return ss_chan_transmit(f->c, a, flags, f->resp, sizeof(f->resp),
	    &f->len, &f->sw);
}

static void
assert_script_done(const struct mock *m)
{
	if (m->fail[0] != '\0')
		fail_msg("mock: %s", m->fail);
	assert_int_equal(m->next, m->nsteps);
}

static void
fill_pattern(uint8_t *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

/* One scripted response: n data bytes of the object from off, then sw. */
static void
expect_piece(struct mock *m, const uint8_t *cmd, size_t cmd_len,
    const uint8_t *obj, size_t off, size_t n, uint16_t sw)
{
	uint8_t r[258];

	memcpy(r, obj + off, n);
	r[n] = (uint8_t)(sw >> 8);
	r[n + 1] = (uint8_t)sw;
	mock_expect(m, cmd, cmd_len, r, n + 2);
}

/* --- basic ------------------------------------------------------------ */

static void
test_open_reads_atr(void **state)
{
	struct fix	*f = *state;
	uint8_t		 atr[SS_ATR_MAX];
	size_t		 n = 0;

	assert_int_equal(ss_chan_atr(f->c, atr, sizeof(atr), &n), SS_ERR_OK);
	assert_int_equal(n, 23);
	assert_int_equal(atr[0], 0x3b);
	assert_int_equal(ss_chan_protocol(f->c), SS_PROTO_T1);
	assert_false(ss_chan_extended(f->c));	/* default: short */
	assert_string_equal(ss_chan_reader(f->c), READER);
}

static void
test_simple_case2(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;

	mock_expect_hex(&f->m, "00 FD 00 00 00", "05 07 01 90 00");
	apdu_set(&a, "00FD0000", NULL, 0, true, 256);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->sw, 0x9000);
	assert_int_equal(f->len, 3);
	assert_memory_equal(f->resp, "\x05\x07\x01", 3);
	assert_script_done(&f->m);
}

static void
test_error_sw_is_not_an_error(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;

	mock_expect_hex(&f->m, "00 A4 04 00 05 A0 00 00 03 09 00", "6A 82");
	apdu_set(&a, "00A40400", (const uint8_t *)"\xa0\x00\x00\x03\x09", 5,
	    true, 256);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->sw, 0x6a82);
	assert_int_equal(f->len, 0);
}

/* --- GET RESPONSE ------------------------------------------------------ */

static const uint8_t get_cert[] = {
	0x00, 0xcb, 0x3f, 0xff, 0x05, 0x5c, 0x03, 0x5f, 0xc1, 0x05, 0x00
};
static const uint8_t get_response_00[] = { 0x00, 0xc0, 0x00, 0x00, 0x00 };

/* 3 KB object: 12 pieces of 256 bytes, each announced with 61 00. */
static void
test_get_response_3k_61_00(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;
	uint8_t		 obj[3072];
	size_t		 i;

	fill_pattern(obj, sizeof(obj), 3);
	expect_piece(&f->m, get_cert, sizeof(get_cert), obj, 0, 256, 0x6100);
	for (i = 1; i < 12; i++)
		expect_piece(&f->m, get_response_00, sizeof(get_response_00),
		    obj, i * 256, 256, i == 11 ? 0x9000 : 0x6100);
	apdu_set(&a, "00CB3FFF", get_cert + 5, 5, true, 256);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->sw, 0x9000);
	assert_int_equal(f->len, sizeof(obj));
	assert_memory_equal(f->resp, obj, sizeof(obj));
	assert_int_equal(f->m.calls[MOP_TRANSMIT], 12);
	assert_script_done(&f->m);
}

/* 3000 bytes: the last announcement is 61 B8, GET RESPONSE asks Le=B8. */
static void
test_get_response_exact_tail(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;
	uint8_t		 obj[3000];
	const uint8_t	 gr_b8[] = { 0x00, 0xc0, 0x00, 0x00, 0xb8 };
	size_t		 i;

	fill_pattern(obj, sizeof(obj), 11);
	expect_piece(&f->m, get_cert, sizeof(get_cert), obj, 0, 256, 0x6100);
	for (i = 1; i < 11; i++)
		expect_piece(&f->m, get_response_00, sizeof(get_response_00),
		    obj, i * 256, 256, i == 10 ? 0x61b8 : 0x6100);
	expect_piece(&f->m, gr_b8, sizeof(gr_b8), obj, 2816, 184, 0x9000);
	apdu_set(&a, "00CB3FFF", get_cert + 5, 5, true, 256);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->len, sizeof(obj));
	assert_memory_equal(f->resp, obj, sizeof(obj));
	assert_script_done(&f->m);
}

/* OpenSC's Le=08 quirk: 8 bytes + 61xx, the rest is still collected. */
static void
test_get_response_after_small_le(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;

	mock_expect_hex(&f->m, "00 CB 3F FF 05 5C 03 5F C1 07 08",
	    "53 0A 01 02 03 04 05 06 61 04");
	mock_expect_hex(&f->m, "00 C0 00 00 04", "07 08 09 0A 90 00");
	apdu_set(&a, "00CB3FFF", (const uint8_t *)"\x5c\x03\x5f\xc1\x07", 5,
	    true, 8);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->len, 12);
	assert_int_equal(f->resp[11], 0x0a);
	assert_script_done(&f->m);
}

/* The response does not fit: SS_ERR_BUFFER, nothing past cap. */
static void
test_get_response_overflow(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;
	uint8_t		 obj[768], *small;
	size_t		 i;

	fill_pattern(obj, sizeof(obj), 5);
	expect_piece(&f->m, get_cert, sizeof(get_cert), obj, 0, 256, 0x6100);
	for (i = 1; i < 3; i++)
		expect_piece(&f->m, get_response_00, sizeof(get_response_00),
		    obj, i * 256, 256, i == 2 ? 0x9000 : 0x6100);
	small = malloc(600);	/* ASan catches a write past the end */
	assert_non_null(small);
	apdu_set(&a, "00CB3FFF", get_cert + 5, 5, true, 256);
	assert_int_equal(ss_chan_transmit(f->c, &a, 0, small, 600, &f->len,
	    &f->sw), SS_ERR_BUFFER);
	assert_true(f->len <= 600);
	assert_int_equal(f->len, 512);
	assert_memory_equal(small, obj, 512);
	free(small);
}

/* A card that announces more data forever is cut off. */
static void
test_get_response_endless(void **state)
{
	struct ss_chan_opts	 o = { .max_get_response = 16 };
	struct fix		*f = fix_new(ATR_YK5, SS_PROTO_T1, &o);
	struct ss_apdu		 a;
	size_t			 i;

	*state = f;
	mock_expect_hex(&f->m, "00 CB 3F FF 05 5C 03 5F C1 05 00", "61 00");
	for (i = 0; i < 16; i++)
		mock_expect_hex(&f->m, "00 C0 00 00 00", "61 00");
	apdu_set(&a, "00CB3FFF", get_cert + 5, 5, true, 256);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_MALFORMED);
	assert_int_equal(f->m.calls[MOP_TRANSMIT], 17);
}

/* A response that is not even a status word. */
static void
test_short_response_malformed(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;

	mock_expect_hex(&f->m, "00 FD 00 00 00", "90");
	apdu_set(&a, "00FD0000", NULL, 0, true, 256);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_MALFORMED);
}

/* --- 6Cxx --------------------------------------------------------------- */

static void
test_wrong_le_6c(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;

	mock_expect_hex(&f->m, "00 CA 01 02 00", "6C 03");
	mock_expect_hex(&f->m, "00 CA 01 02 03", "AA BB CC 90 00");
	apdu_set(&a, "00CA0102", NULL, 0, true, 256);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->sw, 0x9000);
	assert_int_equal(f->len, 3);
	assert_memory_equal(f->resp, "\xaa\xbb\xcc", 3);
	assert_script_done(&f->m);
}

/* 6C then 61: the re-sent command's answer is collected as usual. */
static void
test_wrong_le_then_more(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;

	mock_expect_hex(&f->m, "00 CA 01 02 05", "6C 00");
	mock_expect_hex(&f->m, "00 CA 01 02 00", "01 02 61 02");
	mock_expect_hex(&f->m, "00 C0 00 00 02", "03 04 90 00");
	apdu_set(&a, "00CA0102", NULL, 0, true, 5);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->len, 4);
	assert_script_done(&f->m);
}

/* --- chaining ------------------------------------------------------------ */

static void
expect_chunk(struct mock *m, uint8_t cla, uint8_t ins, const uint8_t *data,
    size_t n, bool le, const char *resp)
{
	uint8_t cmd[4 + 1 + 255 + 1];
	uint8_t r[300];
	size_t  cl = 0, rl = mock_hex(resp, r, sizeof(r));

	cmd[cl++] = cla;
	cmd[cl++] = ins;
	cmd[cl++] = 0x3f;
	cmd[cl++] = 0xff;
	cmd[cl++] = (uint8_t)n;
	memcpy(cmd + cl, data, n);
	cl += n;
	if (le)
		cmd[cl++] = 0x00;
	mock_expect(m, cmd, cl, r, rl);
}

/* 1000 bytes: 255 + 255 + 255 with CLA 10, then 235 with CLA 00. */
static void
test_chaining_1000(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;
	uint8_t		 data[1000];
	size_t		 i;

	fill_pattern(data, sizeof(data), 1);
	for (i = 0; i < 3; i++)
		expect_chunk(&f->m, 0x10, 0xdb, data + 255 * i, 255, false,
		    "90 00");
	expect_chunk(&f->m, 0x00, 0xdb, data + 765, 235, false, "90 00");
	apdu_set(&a, "00DB3FFF", data, sizeof(data), false, 0);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->sw, 0x9000);
	assert_script_done(&f->m);
	assert_int_equal(f->m.nsent, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(f->m.sent[i][0], i < 3 ? 0x10 : 0x00);
		assert_int_equal(f->m.sent[i][4], i < 3 ? 255 : 235);
	}
}

/* Chained GENERAL AUTHENTICATE: Le only on the last chunk, 61xx after. */
static void
test_chaining_with_response(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;
	uint8_t		 data[300];

	fill_pattern(data, sizeof(data), 9);
	expect_chunk(&f->m, 0x10, 0x87, data, 255, false, "90 00");
	expect_chunk(&f->m, 0x00, 0x87, data + 255, 45, true,
	    "7C 82 01 04 82 82 01 00 61 02");
	mock_expect_hex(&f->m, "00 C0 00 00 02", "AB CD 90 00");
	apdu_set(&a, "00870000", data, sizeof(data), true, 256);
	a.p1 = 0x3f;	/* reuse expect_chunk's P1 P2 */
	a.p2 = 0xff;
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->len, 10);
	assert_int_equal(f->resp[9], 0xcd);
	assert_script_done(&f->m);
}

/* An error on an intermediate chunk ends the command. */
static void
test_chaining_error_midway(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;
	uint8_t		 data[600];

	fill_pattern(data, sizeof(data), 2);
	expect_chunk(&f->m, 0x10, 0xdb, data, 255, false, "90 00");
	expect_chunk(&f->m, 0x10, 0xdb, data + 255, 255, false, "6A 80");
	apdu_set(&a, "00DB3FFF", data, sizeof(data), false, 0);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->sw, 0x6a80);
	assert_int_equal(f->len, 0);
	assert_int_equal(f->m.calls[MOP_TRANSMIT], 2);
}

/* --- T=0 and extended ----------------------------------------------------- */

/* T=0: a case 4 command goes without Le; 61xx is collected. */
static void
test_t0_case4(void **state)
{
	struct fix	*f = fix_new(ATR_GEMALTO, SS_PROTO_T0, NULL);
	struct ss_apdu	 a;

	*state = f;
	assert_int_equal(ss_chan_protocol(f->c), SS_PROTO_T0);
	mock_expect_hex(&f->m, "00 87 07 9A 04 7C 02 82 00", "61 03");
	mock_expect_hex(&f->m, "00 C0 00 00 03", "7C 01 00 90 00");
	apdu_set(&a, "0087079A", (const uint8_t *)"\x7c\x02\x82\x00", 4, true,
	    256);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->len, 3);
	assert_script_done(&f->m);
}

/* T=0 case 2 keeps its Le (P3). */
static void
test_t0_case2(void **state)
{
	struct fix	*f = fix_new(ATR_GEMALTO, SS_PROTO_T0, NULL);
	struct ss_apdu	 a;

	*state = f;
	mock_expect_hex(&f->m, "00 FD 00 00 03", "05 07 01 90 00");
	apdu_set(&a, "00FD0000", NULL, 0, true, 3);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->len, 3);
}

/* YubiKey ATR says extended Lc/Le; with the reader assumed able, one APDU. */
static void
test_extended_assumed(void **state)
{
	struct ss_chan_opts	 o = { .ext = SS_EXT_ASSUME_READER };
	struct fix		*f = fix_new(ATR_YK5, SS_PROTO_T1, &o);
	struct ss_apdu		 a;
	uint8_t			 data[1000], cmd[4 + 3 + 1000 + 2];

	*state = f;
	assert_true(ss_chan_extended(f->c));
	fill_pattern(data, sizeof(data), 4);
	memcpy(cmd, "\x00\xdb\x3f\xff\x00\x03\xe8", 7);
	memcpy(cmd + 7, data, sizeof(data));
	mock_expect(&f->m, cmd, 7 + sizeof(data), (const uint8_t *)"\x90\x00",
	    2);
	apdu_set(&a, "00DB3FFF", data, sizeof(data), false, 0);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->m.calls[MOP_TRANSMIT], 1);
	assert_script_done(&f->m);
}

/* AUTO: the reader's SCARD_ATTR_MAXINPUT decides. */
static void
test_extended_auto(void **state)
{
	struct ss_chan_opts	 o = { .ext = SS_EXT_AUTO };
	struct fix		*f = fix_new(ATR_YK5, SS_PROTO_T1, &o);
	struct ss_chan		*c2 = NULL;

	*state = f;
	assert_false(ss_chan_extended(f->c));	/* no attribute */
	f->m.has_maxinput = true;
	f->m.maxinput = 261;
	assert_int_equal(ss_chan_open(&c2, &f->t, READER, &o), SS_ERR_OK);
	assert_false(ss_chan_extended(c2));
	ss_chan_free(&c2);
	f->m.maxinput = 65544;
	assert_int_equal(ss_chan_open(&c2, &f->t, READER, &o), SS_ERR_OK);
	assert_true(ss_chan_extended(c2));
	ss_chan_free(&c2);
}

/* Never extended on T=0 or when the card does not announce it. */
static void
test_extended_refused(void **state)
{
	struct ss_chan_opts	 o = { .ext = SS_EXT_ASSUME_READER };
	struct fix		*f = fix_new(ATR_GEMALTO, SS_PROTO_T1, &o);
	struct ss_chan		*c2 = NULL;

	*state = f;
	assert_false(ss_chan_extended(f->c));	/* ATR: no tag 7 */
	mock_insert(&f->m, READER, ATR_YK5);
	f->m.proto = SS_PROTO_T0;
	assert_int_equal(ss_chan_open(&c2, &f->t, READER, &o), SS_ERR_OK);
	assert_false(ss_chan_extended(c2));
	ss_chan_free(&c2);
}

/* --- extended APDUs with fallback (SS_EXT_PREFER) ------------------------ */

/* An extended command as the channel must send it: header, 00 Lc1 Lc2,
 * data, Le1 Le2 (65536 as 00 00); no data: 00 Le1 Le2. */
static size_t
ext_cmd(uint8_t *out, const char *hdr, const uint8_t *data, size_t lc,
    size_t le)
{
	size_t n = 4;

	assert_int_equal(mock_hex(hdr, out, 4), 4);
	out[n++] = 0x00;
	if (lc > 0) {
		out[n++] = (uint8_t)(lc >> 8);
		out[n++] = (uint8_t)lc;
		memcpy(out + n, data, lc);
		n += lc;
	}
	out[n++] = (uint8_t)(le >> 8);
	out[n++] = (uint8_t)le;
	return n;
}

/* A short command as the channel sends it (le 256 as 00). */
static size_t
short_cmd(uint8_t *out, const char *hdr, const uint8_t *data, size_t lc,
    bool has_le, size_t le)
{
	size_t n = 4;

	assert_int_equal(mock_hex(hdr, out, 4), 4);
	if (lc > 0) {
		out[n++] = (uint8_t)lc;
		memcpy(out + n, data, lc);
		n += lc;
	}
	if (has_le)
		out[n++] = (uint8_t)le;
	return n;
}

/* Script: cmd answered by dlen bytes of the pattern seed, then sw. */
static void
expect_data(struct mock *m, const uint8_t *cmd, size_t n, size_t dlen,
    unsigned seed, uint16_t sw)
{
	uint8_t *r = malloc(dlen + 2);

	assert_non_null(r);
	fill_pattern(r, dlen, seed);
	r[dlen] = (uint8_t)(sw >> 8);
	r[dlen + 1] = (uint8_t)sw;
	mock_expect(m, cmd, n, r, dlen + 2);
	free(r);
}

static const uint8_t get_data_9a[] = { 0x5c, 0x03, 0x5f, 0xc1, 0x05 };

static struct fix *
fix_prefer(uint32_t proto)
{
	struct ss_chan_opts o = { .ext = SS_EXT_PREFER };

	return fix_new(ATR_YK5, proto, &o);
}

/* The module's default: a 700-byte object in one extended GET DATA, a
 * 300-byte GENERAL AUTHENTICATE with its 264-byte answer in one APDU. */
static void
test_prefer_extended_one_apdu(void **state)
{
	struct fix	*f = fix_prefer(SS_PROTO_T1);
	struct ss_apdu	 a;
	uint8_t		 obj[700], data[300], cmd[320];
	size_t		 n;

	*state = f;
	assert_true(ss_chan_extended(f->c));
	n = ext_cmd(cmd, "00CB3FFF", get_data_9a, sizeof(get_data_9a), 65536);
	assert_int_equal(n, 14);	/* 00CB3FFF 000005 5C035FC105 0000 */
	expect_data(&f->m, cmd, n, sizeof(obj), 1, SS_SW_OK);
	apdu_set(&a, "00CB3FFF", get_data_9a, sizeof(get_data_9a), true,
	    65536);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->sw, SS_SW_OK);
	fill_pattern(obj, sizeof(obj), 1);
	assert_int_equal(f->len, sizeof(obj));
	assert_memory_equal(f->resp, obj, sizeof(obj));
	fill_pattern(data, sizeof(data), 2);
	n = ext_cmd(cmd, "0087079A", data, sizeof(data), 65536);
	expect_data(&f->m, cmd, n, 264, 3, SS_SW_OK);
	apdu_set(&a, "0087079A", data, sizeof(data), true, 65536);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->len, 264);
	assert_int_equal(f->m.calls[MOP_TRANSMIT], 2);
	assert_true(ss_chan_extended(f->c));
	assert_script_done(&f->m);
}

/* 6700 to an extended command: the same command again as short APDUs
 * (chained, GET RESPONSE), and short from then on. */
static void
test_prefer_fallback_6700(void **state)
{
	struct fix	*f = fix_prefer(SS_PROTO_T1);
	struct ss_apdu	 a;
	uint8_t		 data[300], cmd[320];
	size_t		 n;

	*state = f;
	fill_pattern(data, sizeof(data), 5);
	n = ext_cmd(cmd, "0087079A", data, sizeof(data), 65536);
	mock_expect(&f->m, cmd, n, (const uint8_t *)"\x67\x00", 2);
	n = short_cmd(cmd, "1087079A", data, 255, false, 0);
	mock_expect(&f->m, cmd, n, (const uint8_t *)"\x90\x00", 2);
	n = short_cmd(cmd, "0087079A", data + 255, 45, true, 0);
	expect_data(&f->m, cmd, n, 256, 6, SS_SW_BYTES_REMAINING(8));
	mock_expect_hex(&f->m, "00 C0 00 00 08", "01 02 03 04 05 06 07 08 "
	    "90 00");
	apdu_set(&a, "0087079A", data, sizeof(data), true, 65536);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->sw, SS_SW_OK);
	assert_int_equal(f->len, 264);
	assert_int_equal(f->resp[263], 0x08);
	assert_false(ss_chan_extended(f->c));
	/* stays short: Le 65536 goes as 00, no second try with extended */
	n = short_cmd(cmd, "00CB3FFF", get_data_9a, sizeof(get_data_9a),
	    true, 0);
	expect_data(&f->m, cmd, n, 10, 7, SS_SW_OK);
	apdu_set(&a, "00CB3FFF", get_data_9a, sizeof(get_data_9a), true,
	    65536);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->len, 10);
	assert_int_equal(f->m.calls[MOP_TRANSMIT], 5);
	assert_script_done(&f->m);
}

/* A transport error on an extended command (a reader that cannot carry
 * it): sent again short, short from then on. */
static void
test_prefer_fallback_transport(void **state)
{
	struct fix	*f = fix_prefer(SS_PROTO_T1);
	struct ss_apdu	 a;
	uint8_t		 data[300], cmd[320];
	size_t		 n;

	*state = f;
	mock_inject(&f->m, MOP_TRANSMIT, 1, SS_ERR_COMM);
	n = short_cmd(cmd, "00CB3FFF", get_data_9a, sizeof(get_data_9a),
	    true, 0);
	expect_data(&f->m, cmd, n, 20, 8, SS_SW_OK);
	apdu_set(&a, "00CB3FFF", get_data_9a, sizeof(get_data_9a), true,
	    65536);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->len, 20);
	assert_int_equal(f->m.calls[MOP_TRANSMIT], 2);
	assert_false(ss_chan_extended(f->c));
	fill_pattern(data, sizeof(data), 9);
	n = short_cmd(cmd, "10DB3FFF", data, 255, false, 0);
	mock_expect(&f->m, cmd, n, (const uint8_t *)"\x90\x00", 2);
	n = short_cmd(cmd, "00DB3FFF", data + 255, 45, false, 0);
	mock_expect(&f->m, cmd, n, (const uint8_t *)"\x90\x00", 2);
	apdu_set(&a, "00DB3FFF", data, sizeof(data), false, 0);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->m.calls[MOP_TRANSMIT], 4);
	assert_script_done(&f->m);
}

/* Removal, reset, no service are not a refusal: nothing is resent. */
static void
test_prefer_no_fallback_on_removal(void **state)
{
	struct fix	*f = fix_prefer(SS_PROTO_T1);
	struct ss_apdu	 a;

	*state = f;
	mock_inject(&f->m, MOP_TRANSMIT, 1, SS_ERR_CARD_REMOVED);
	apdu_set(&a, "00CB3FFF", get_data_9a, sizeof(get_data_9a), true,
	    65536);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_CARD_REMOVED);
	assert_int_equal(f->m.calls[MOP_TRANSMIT], 1);
}

/* A reset forgets the fallback: the card may have been changed. */
static void
test_prefer_reset_forgets_fallback(void **state)
{
	struct fix	*f = fix_prefer(SS_PROTO_T1);
	struct ss_apdu	 a;
	uint8_t		 cmd[32];
	size_t		 n;

	*state = f;
	n = ext_cmd(cmd, "00CB3FFF", get_data_9a, sizeof(get_data_9a), 65536);
	mock_expect(&f->m, cmd, n, (const uint8_t *)"\x67\x00", 2);
	n = short_cmd(cmd, "00CB3FFF", get_data_9a, sizeof(get_data_9a),
	    true, 0);
	mock_expect(&f->m, cmd, n, (const uint8_t *)"\x6a\x82", 2);
	apdu_set(&a, "00CB3FFF", get_data_9a, sizeof(get_data_9a), true,
	    65536);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->sw, SS_SW_NOT_FOUND);
	assert_false(ss_chan_extended(f->c));
	f->m.reset_pending = true;
	assert_int_equal(xmit(f, &a, 0), SS_ERR_CARD_RESET);
	assert_true(ss_chan_extended(f->c));
	assert_script_done(&f->m);
}

/* A reader that reports a short-APDU MAXINPUT never gets extended ones;
 * a bigger one gets those that fit, longer commands are chained. */
static void
test_prefer_maxinput(void **state)
{
	struct ss_chan_opts	 o = { .ext = SS_EXT_PREFER };
	struct fix		*f = fix_prefer(SS_PROTO_T1);
	struct ss_chan		*c2 = NULL;
	struct ss_apdu		 a;
	uint8_t			 data[1000], cmd[320];
	size_t			 n, len = 0, off;
	uint16_t		 sw = 0;

	*state = f;
	f->m.has_maxinput = true;
	f->m.maxinput = 261;
	assert_int_equal(ss_chan_open(&c2, &f->t, READER, &o), SS_ERR_OK);
	assert_false(ss_chan_extended(c2));
	ss_chan_free(&c2);
	f->m.maxinput = 600;
	assert_int_equal(ss_chan_open(&c2, &f->t, READER, &o), SS_ERR_OK);
	assert_true(ss_chan_extended(c2));
	fill_pattern(data, sizeof(data), 10);
	for (off = 0; off + 255 < sizeof(data); off += 255) {
		n = short_cmd(cmd, "10DB3FFF", data + off, 255, false, 0);
		mock_expect(&f->m, cmd, n, (const uint8_t *)"\x90\x00", 2);
	}
	n = short_cmd(cmd, "00DB3FFF", data + off, sizeof(data) - off, false,
	    0);
	mock_expect(&f->m, cmd, n, (const uint8_t *)"\x90\x00", 2);
	apdu_set(&a, "00DB3FFF", data, sizeof(data), false, 0);
	assert_int_equal(ss_chan_transmit(c2, &a, 0, f->resp,
	    sizeof(f->resp), &len, &sw), SS_ERR_OK);
	assert_int_equal(sw, SS_SW_OK);
	n = ext_cmd(cmd, "0087079A", data, 300, 65536);
	expect_data(&f->m, cmd, n, 264, 11, SS_SW_OK);
	apdu_set(&a, "0087079A", data, 300, true, 65536);
	assert_int_equal(ss_chan_transmit(c2, &a, 0, f->resp,
	    sizeof(f->resp), &len, &sw), SS_ERR_OK);
	assert_int_equal(len, 264);
	assert_true(ss_chan_extended(c2));	/* not a refusal */
	ss_chan_free(&c2);
	assert_script_done(&f->m);
}

/* T=0: never extended, whatever the ATR says. */
static void
test_prefer_t0_short(void **state)
{
	struct fix	*f = fix_prefer(SS_PROTO_T0);
	struct ss_apdu	 a;
	uint8_t		 cmd[32];
	size_t		 n;

	*state = f;
	assert_false(ss_chan_extended(f->c));
	n = short_cmd(cmd, "00CB3FFF", get_data_9a, sizeof(get_data_9a),
	    false, 0);
	mock_expect(&f->m, cmd, n, (const uint8_t *)"\x61\x05", 2);
	mock_expect_hex(&f->m, "00 C0 00 00 05", "53 03 70 01 00 90 00");
	apdu_set(&a, "00CB3FFF", get_data_9a, sizeof(get_data_9a), true,
	    65536);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->len, 5);
	assert_script_done(&f->m);
}

/* An extended command still gets 61xx (GET RESPONSE) and 6Cxx (sent
 * again with Le = xx, still extended: Lc needs it) handled. */
static void
test_prefer_ext_61xx_6cxx(void **state)
{
	struct fix	*f = fix_prefer(SS_PROTO_T1);
	struct ss_apdu	 a;
	uint8_t		 data[300], cmd[320];
	size_t		 n;

	*state = f;
	n = ext_cmd(cmd, "00CB3FFF", get_data_9a, sizeof(get_data_9a), 65536);
	expect_data(&f->m, cmd, n, 256, 12, SS_SW_BYTES_REMAINING(0));
	expect_data(&f->m, (const uint8_t *)"\x00\xc0\x00\x00\x00", 5, 256,
	    13, SS_SW_BYTES_REMAINING(100));
	expect_data(&f->m, (const uint8_t *)"\x00\xc0\x00\x00\x64", 5, 100,
	    14, SS_SW_OK);
	apdu_set(&a, "00CB3FFF", get_data_9a, sizeof(get_data_9a), true,
	    65536);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->sw, SS_SW_OK);
	assert_int_equal(f->len, 612);
	fill_pattern(data, sizeof(data), 15);
	n = ext_cmd(cmd, "0087079A", data, sizeof(data), 65536);
	mock_expect(&f->m, cmd, n, (const uint8_t *)"\x6c\x10", 2);
	n = ext_cmd(cmd, "0087079A", data, sizeof(data), 0x10);
	expect_data(&f->m, cmd, n, 16, 16, SS_SW_OK);
	apdu_set(&a, "0087079A", data, sizeof(data), true, 65536);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->len, 16);
	assert_true(ss_chan_extended(f->c));
	assert_script_done(&f->m);
}

/* --- transactions and recovery ------------------------------------------- */

static void
test_nested_transactions(void **state)
{
	struct fix *f = *state;

	assert_int_equal(ss_chan_begin(f->c), SS_ERR_OK);
	assert_int_equal(ss_chan_begin(f->c), SS_ERR_OK);
	assert_int_equal(ss_chan_depth(f->c), 2);
	assert_int_equal(ss_chan_end(f->c), SS_ERR_OK);
	assert_int_equal(f->m.calls[MOP_END], 0);
	assert_int_equal(ss_chan_end(f->c), SS_ERR_OK);
	assert_int_equal(f->m.calls[MOP_BEGIN], 1);
	assert_int_equal(f->m.calls[MOP_END], 1);
	assert_int_equal(ss_chan_end(f->c), SS_ERR_BAD_ARG);
}

/* Another application reset the card before our transaction. */
static void
test_reset_at_begin(void **state)
{
	struct fix *f = *state;

	f->m.reset_pending = true;
	assert_int_equal(ss_chan_begin(f->c), SS_ERR_CARD_RESET);
	assert_int_equal(ss_chan_depth(f->c), 1);	/* held */
	assert_int_equal(f->m.calls[MOP_RECONNECT], 1);
	assert_int_equal(f->m.last_reconnect_init, SS_LEAVE_CARD);
	assert_int_equal(f->m.calls[MOP_BEGIN], 2);
	assert_int_equal(ss_chan_end(f->c), SS_ERR_OK);
	assert_int_equal(f->m.calls[MOP_END], 1);
	/* reported once: the next transaction is normal */
	assert_int_equal(ss_chan_begin(f->c), SS_ERR_OK);
	assert_int_equal(ss_chan_end(f->c), SS_ERR_OK);
}

/* Reset in the middle of VERIFY + GENERAL AUTHENTICATE. */
static void
test_reset_mid_operation(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;

	mock_expect_hex(&f->m, "00 20 00 80 08 31 32 33 34 35 36 FF FF",
	    "90 00");
	mock_expect_hex(&f->m, "00 A4 04 00 05 A0 00 00 03 08 00",
	    "61 11");
	mock_expect_hex(&f->m, "00 C0 00 00 11", "61 11 4F 06 00 00 10 00 "
	    "01 00 79 07 4F 05 A0 00 00 03 08 90 00");
	assert_int_equal(ss_chan_begin(f->c), SS_ERR_OK);
	apdu_set(&a, "00200080", (const uint8_t *)"123456\xff\xff", 8, false,
	    0);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	f->m.reset_pending = true;
	apdu_set(&a, "0087079A", (const uint8_t *)"\x7c\x02\x82\x00", 4, true,
	    256);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_CARD_RESET);
	assert_int_equal(f->m.calls[MOP_RECONNECT], 1);
	assert_int_equal(f->m.calls[MOP_BEGIN], 2);	/* re-taken */
	assert_int_equal(ss_chan_depth(f->c), 1);
	/* the caller re-selects inside the same transaction */
	apdu_set(&a, "00A40400", (const uint8_t *)"\xa0\x00\x00\x03\x08", 5,
	    true, 256);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->len, 0x13);
	assert_int_equal(ss_chan_end(f->c), SS_ERR_OK);
	assert_int_equal(f->m.calls[MOP_END], 1);
	assert_script_done(&f->m);
}

/* Reset reported by the Nth transmit through error injection. */
static void
test_reset_injected(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;

	mock_inject(&f->m, MOP_TRANSMIT, 2, SS_ERR_CARD_RESET);
	mock_expect_hex(&f->m, "00 FD 00 00 00", "05 07 01 90 00");
	mock_expect_hex(&f->m, "00 FD 00 00 00", "05 07 01 90 00");
	apdu_set(&a, "00FD0000", NULL, 0, true, 256);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_CARD_RESET);
	assert_int_equal(f->m.calls[MOP_RECONNECT], 1);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_script_done(&f->m);
}

static void
test_card_removed(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;
	unsigned	 before;

	assert_int_equal(ss_chan_begin(f->c), SS_ERR_OK);
	mock_remove(&f->m, READER);
	apdu_set(&a, "00FD0000", NULL, 0, true, 256);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_CARD_REMOVED);
	before = f->m.calls[MOP_TRANSMIT];
	/* dead: no more traffic, same answer, even after re-insertion */
	mock_insert(&f->m, READER, ATR_YK5);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_CARD_REMOVED);
	assert_int_equal(ss_chan_begin(f->c), SS_ERR_CARD_REMOVED);
	assert_int_equal(f->m.calls[MOP_TRANSMIT], before);
	assert_int_equal(ss_chan_end(f->c), SS_ERR_OK);
}

/* NO_SMARTCARD from the transport while connected = removed. */
static void
test_no_card_means_removed(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;

	mock_inject(&f->m, MOP_TRANSMIT, 1, SS_ERR_NO_CARD);
	apdu_set(&a, "00FD0000", NULL, 0, true, 256);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_CARD_REMOVED);
}

static void
test_reader_gone(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;

	mock_inject(&f->m, MOP_TRANSMIT, 1, SS_ERR_READER_GONE);
	apdu_set(&a, "00FD0000", NULL, 0, true, 256);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_READER_GONE);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_READER_GONE);
	assert_int_equal(f->m.calls[MOP_TRANSMIT], 1);
}

/* pcscd stops: NO_SERVICE until it is back, then one CARD_RESET. */
static void
test_pcscd_restart(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;

	apdu_set(&a, "00FD0000", NULL, 0, true, 256);
	mock_pcscd_stop(&f->m);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_NO_SERVICE);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_NO_SERVICE);
	assert_int_equal(ss_chan_begin(f->c), SS_ERR_NO_SERVICE);
	mock_pcscd_start(&f->m);
	assert_int_equal(ss_chan_begin(f->c), SS_ERR_CARD_RESET);
	assert_int_equal(f->m.calls[MOP_ESTABLISH], 4);	/* open + 3 tries */
	mock_expect_hex(&f->m, "00 FD 00 00 00", "05 07 01 90 00");
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(ss_chan_end(f->c), SS_ERR_OK);
	assert_script_done(&f->m);
}

/* pcscd stops inside a transaction; back with the transaction re-held. */
static void
test_pcscd_restart_in_transaction(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;

	apdu_set(&a, "00FD0000", NULL, 0, true, 256);
	assert_int_equal(ss_chan_begin(f->c), SS_ERR_OK);
	mock_pcscd_stop(&f->m);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_NO_SERVICE);
	mock_pcscd_start(&f->m);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_CARD_RESET);
	assert_int_equal(f->m.calls[MOP_BEGIN], 2);
	assert_int_equal(ss_chan_end(f->c), SS_ERR_OK);
	assert_int_equal(f->m.calls[MOP_END], 1);
}

/* A different card after the restart: the channel is dead. */
static void
test_pcscd_restart_card_swapped(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;

	apdu_set(&a, "00FD0000", NULL, 0, true, 256);
	mock_pcscd_stop(&f->m);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_NO_SERVICE);
	mock_insert(&f->m, READER, ATR_GEMALTO);
	mock_pcscd_start(&f->m);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_CARD_REMOVED);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_CARD_REMOVED);
}

/* pcscd back before the card: NO_CARD (still recoverable), then the same
 * card returns and the channel recovers with one CARD_RESET. */
static void
test_pcscd_restart_card_late(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;

	apdu_set(&a, "00FD0000", NULL, 0, true, 256);
	mock_pcscd_stop(&f->m);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_NO_SERVICE);
	mock_remove(&f->m, READER);
	mock_pcscd_start(&f->m);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_NO_CARD);
	assert_int_equal(ss_chan_begin(f->c), SS_ERR_NO_CARD);
	mock_insert(&f->m, READER, ATR_YK5);
	assert_int_equal(ss_chan_begin(f->c), SS_ERR_CARD_RESET);
	mock_expect_hex(&f->m, "00 FD 00 00 00", "05 07 01 90 00");
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(ss_chan_end(f->c), SS_ERR_OK);
	assert_script_done(&f->m);
}

static void
test_open_errors(void **state)
{
	struct fix	*f = *state;
	struct ss_chan	*c = NULL;

	assert_int_equal(ss_chan_open(&c, &f->t, "No Such Reader", NULL),
	    SS_ERR_READER_GONE);
	assert_null(c);
	f->m.connect_rc = SS_ERR_SHARING;
	assert_int_equal(ss_chan_open(&c, &f->t, READER, NULL),
	    SS_ERR_SHARING);
	f->m.connect_rc = SS_ERR_OK;
	mock_remove(&f->m, READER);
	assert_int_equal(ss_chan_open(&c, &f->t, READER, NULL),
	    SS_ERR_NO_CARD);
	mock_pcscd_stop(&f->m);
	assert_int_equal(ss_chan_open(&c, &f->t, READER, NULL),
	    SS_ERR_NO_SERVICE);
	assert_null(c);
	/* each failed open released its context (4th establish failed) */
	assert_int_equal(f->m.calls[MOP_ESTABLISH], 5);
	assert_int_equal(f->m.calls[MOP_RELEASE], 3);
}

static void
test_bad_args(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;
	char		 longname[300];

	apdu_set(&a, "00FD0000", NULL, 0, true, 256);
	assert_int_equal(ss_chan_transmit(NULL, &a, 0, f->resp, 10, &f->len,
	    &f->sw), SS_ERR_BAD_ARG);
	assert_int_equal(ss_chan_transmit(f->c, NULL, 0, f->resp, 10, &f->len,
	    &f->sw), SS_ERR_BAD_ARG);
	assert_int_equal(ss_chan_transmit(f->c, &a, 0, NULL, 10, &f->len,
	    &f->sw), SS_ERR_BAD_ARG);
	a.lc = 3;	/* data NULL */
	assert_int_equal(xmit(f, &a, 0), SS_ERR_BAD_ARG);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(ss_chan_open(&f->c, &f->t, longname, NULL),
	    SS_ERR_BAD_ARG);
	assert_int_equal(f->m.calls[MOP_TRANSMIT], 0);
	ss_chan_free(NULL);
}

/* --- trace and secrets ----------------------------------------------------- */

struct tr {
	unsigned	n;
	unsigned	redacted;
	bool		leak;
	size_t		last_cmd_len;
};

static bool
contains(const uint8_t *p, size_t n, const char *needle)
{
	size_t i, l = strlen(needle);

	for (i = 0; p != NULL && i + l <= n; i++)
		if (memcmp(p + i, needle, l) == 0)
			return true;
	return false;
}

static void
trace_cb(void *arg, const struct ss_trace_rec *r)
{
	struct tr *t = arg;

	t->n++;
	if (r->redacted)
		t->redacted++;
	if (contains(r->cmd, r->cmd_len, "123456") ||
	    contains(r->cmd, r->cmd_len, "87654321") ||
	    contains(r->resp, r->resp_len, "\x11\x22\x33\x44"))
		t->leak = true;
	t->last_cmd_len = r->cmd_len;
}

static void
test_trace_redacts_pin(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;
	struct tr	 t;

	memset(&t, 0, sizeof(t));
	ss_chan_set_trace(f->c, trace_cb, &t);
	mock_expect_hex(&f->m, "00 20 00 80 08 31 32 33 34 35 36 FF FF",
	    "63 C2");
	mock_expect_hex(&f->m, "00 24 00 80 10 31 32 33 34 35 36 FF FF "
	    "38 37 36 35 34 33 32 31", "90 00");
	apdu_set(&a, "00200080", (const uint8_t *)"123456\xff\xff", 8, false,
	    0);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);	/* auto-secret */
	assert_int_equal(f->sw, 0x63c2);
	assert_int_equal(t.last_cmd_len, 5);		/* header only */
	apdu_set(&a, "00240080",
	    (const uint8_t *)"123456\xff\xff" "87654321", 16, false, 0);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.redacted, 2);
	assert_false(t.leak);
	/* the PIN did reach the card */
	assert_true(contains(f->m.sent[0], f->m.sent_len[0], "123456"));
	assert_script_done(&f->m);
}

/* Management-key auth: chained, 61xx, response redacted too. */
static void
test_trace_redacts_mgmt_key(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;
	struct tr	 t;
	uint8_t		 data[260];

	memset(&t, 0, sizeof(t));
	memset(data, 0x5a, sizeof(data));
	memcpy(data + 100, "123456", 6);
	ss_chan_set_trace(f->c, trace_cb, &t);
	mock_expect(&f->m, NULL, 0, (const uint8_t *)"\x90\x00", 2);
	mock_expect_hex(&f->m, NULL, "11 22 33 44 61 04");
	mock_expect_hex(&f->m, "00 C0 00 00 04", "11 22 33 44 90 00");
	apdu_set(&a, "0087039B", data, sizeof(data), true, 256);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_int_equal(f->len, 8);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.redacted, 3);
	assert_false(t.leak);
}

/* Caller-flagged secret (a decryption) and a plain command traced whole. */
static void
test_trace_flags(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;
	struct tr	 t;

	memset(&t, 0, sizeof(t));
	ss_chan_set_trace(f->c, trace_cb, &t);
	mock_expect_hex(&f->m, "00 87 07 9D 04 7C 02 82 00 00",
	    "11 22 33 44 90 00");
	mock_expect_hex(&f->m, "00 FD 00 00 00", "11 22 33 44 90 00");
	apdu_set(&a, "0087079D", (const uint8_t *)"\x7c\x02\x82\x00", 4, true,
	    256);
	assert_int_equal(xmit(f, &a, SS_APDU_SECRET), SS_ERR_OK);
	assert_false(t.leak);
	apdu_set(&a, "00FD0000", NULL, 0, true, 256);
	assert_int_equal(xmit(f, &a, 0), SS_ERR_OK);
	assert_true(t.leak);	/* not secret: the trace sees the data */
	assert_int_equal(t.redacted, 1);
	ss_chan_set_trace(f->c, NULL, NULL);
}

/* RAW: one exchange, 61xx handed back untouched. */
static void
test_raw(void **state)
{
	struct fix	*f = *state;
	struct ss_apdu	 a;

	mock_expect_hex(&f->m, "00 CB 3F FF 05 5C 03 5F C1 05 00",
	    "01 02 61 00");
	apdu_set(&a, "00CB3FFF", get_cert + 5, 5, true, 256);
	assert_int_equal(xmit(f, &a, SS_APDU_RAW), SS_ERR_OK);
	assert_int_equal(f->sw, 0x6100);
	assert_int_equal(f->len, 2);
	assert_script_done(&f->m);
}

/* --- a hostile card -------------------------------------------------------- */

static uint32_t rng_state = 12345;

static uint32_t
rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

/* Random answers, biased to 61xx / 6Cxx and odd lengths. */
static int
random_transmit(void *priv, ss_tcard card, uint32_t protocol,
    const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
    size_t *resp_len)
{
	size_t	n = rng() % 300, i;
	uint8_t	sw1[] = { 0x61, 0x61, 0x6c, 0x90, 0x6a, 0x63 };

	(void)priv;
	(void)card;
	(void)protocol;
	(void)cmd;
	(void)len;
	if (rng() % 50 == 0)
		n = cap + 1 + rng() % 10;	/* too long for the buffer */
	if (n > cap)
		return SS_ERR_BUFFER;
	for (i = 0; i < n; i++)
		resp[i] = (uint8_t)rng();
	if (n >= 2 && rng() % 4 != 0)
		resp[n - 2] = sw1[rng() % sizeof(sw1)];
	*resp_len = n;
	return SS_ERR_OK;
}

static void
test_hostile_card_random(void **state)
{
	struct fix		*f = *state;
	struct ss_transport_ops	 ops = *f->t.ops;
	struct ss_transport	 t = { &ops, &f->m };
	struct ss_chan		*c = NULL;
	struct ss_apdu		 a;
	uint8_t			 data[700], *out;
	size_t			 cap, len;
	uint16_t		 sw;
	unsigned		 i;
	int			 rc;

	ops.transmit = random_transmit;
	assert_int_equal(ss_chan_open(&c, &t, READER, NULL), SS_ERR_OK);
	memset(data, 0x42, sizeof(data));
	for (i = 0; i < 3000; i++) {
		cap = rng() % 1200;
		out = malloc(cap ? cap : 1);
		assert_non_null(out);
		apdu_set(&a, "00CB3FFF", data, rng() % sizeof(data),
		    rng() % 2 == 0, 1 + rng() % 256);
		rc = ss_chan_transmit(c, &a, 0, out, cap, &len, &sw);
		assert_true(rc == SS_ERR_OK || rc == SS_ERR_MALFORMED ||
		    rc == SS_ERR_BUFFER);
		assert_true(len <= cap);
		free(out);
	}
	ss_chan_free(&c);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_reads_atr),
		T(test_simple_case2),
		T(test_error_sw_is_not_an_error),
		T(test_get_response_3k_61_00),
		T(test_get_response_exact_tail),
		T(test_get_response_after_small_le),
		T(test_get_response_overflow),
		cmocka_unit_test_teardown(test_get_response_endless, teardown),
		T(test_short_response_malformed),
		T(test_wrong_le_6c),
		T(test_wrong_le_then_more),
		T(test_chaining_1000),
		T(test_chaining_with_response),
		T(test_chaining_error_midway),
		cmocka_unit_test_teardown(test_t0_case4, teardown),
		cmocka_unit_test_teardown(test_t0_case2, teardown),
		cmocka_unit_test_teardown(test_extended_assumed, teardown),
		cmocka_unit_test_teardown(test_extended_auto, teardown),
		cmocka_unit_test_teardown(test_extended_refused, teardown),
		cmocka_unit_test_teardown(test_prefer_extended_one_apdu, teardown),
		cmocka_unit_test_teardown(test_prefer_fallback_6700, teardown),
		cmocka_unit_test_teardown(test_prefer_fallback_transport, teardown),
		cmocka_unit_test_teardown(test_prefer_no_fallback_on_removal, teardown),
		cmocka_unit_test_teardown(test_prefer_reset_forgets_fallback, teardown),
		cmocka_unit_test_teardown(test_prefer_maxinput, teardown),
		cmocka_unit_test_teardown(test_prefer_t0_short, teardown),
		cmocka_unit_test_teardown(test_prefer_ext_61xx_6cxx, teardown),
		T(test_nested_transactions),
		T(test_reset_at_begin),
		T(test_reset_mid_operation),
		T(test_reset_injected),
		T(test_card_removed),
		T(test_no_card_means_removed),
		T(test_reader_gone),
		T(test_pcscd_restart),
		T(test_pcscd_restart_in_transaction),
		T(test_pcscd_restart_card_swapped),
		T(test_pcscd_restart_card_late),
		T(test_open_errors),
		T(test_bad_args),
		T(test_trace_redacts_pin),
		T(test_trace_redacts_mgmt_key),
		T(test_trace_flags),
		T(test_raw),
		T(test_hostile_card_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
