/*
 * tests/fuzz/fuzz-tlv-apdu.c - the reader layer's small parsers: BER-TLV
 * (reader/tlv.c), command APDUs and status words (reader/apdu.c), hex
 * text (reader/hex.c).  Small and fast.
 *
 * Input: byte 0 picks the tag that ss_tlv_find()/ss_tlv_expect() look
 * for (one of the tags PIV uses, or the input's own first tag); the rest
 * is parsed as a TLV sequence, as an APDU, as a response and as hex text.
 * Beyond "no crash", these promises are checked (abort() when broken):
 *   - every TLV's value lies inside the input;
 *   - a TLV rebuilt with ss_tlv_put() parses back to the same tag, length
 *     and value;
 *   - an APDU that parses encodes back to exactly the input bytes, and
 *     its data lies inside the input;
 *   - hex decoding never writes past the capacity it is given.
 */
#include <stdlib.h>
#include <string.h>

#include "reader/apdu.h"
#include "reader/hex.h"
#include "reader/tlv.h"
#include "fuzz.h"

#define REBUILD_MAX	(SS_APDU_EXT_MAX_DATA + 16)
#define HEX_CAP_MAX	64
#define HEX_TEXT_MAX	512

static const uint32_t piv_tags[] = {
	0x53, 0x5fc105, 0x5fc102, 0x7e, 0x7f49, 0x7c, 0x81, 0x82, 0x86,
	0x61, 0xac, 0x80, 0x70, 0x71, 0xfe, 0x4f, 0x79, 0x5fc10a,
};

static bool
inside(const uint8_t *p, size_t len, const uint8_t *in, size_t in_len)
{
	if (len == 0)
		return true;
	return p != NULL && p >= in && len <= in_len &&
	    (size_t)(p - in) <= in_len - len;
}

static void
tlv_rebuild(const struct ss_tlv *t)
{
	static uint8_t	buf[REBUILD_MAX];
	struct ss_wr	w;
	struct ss_tlv	u;

	if (t->len > SS_APDU_EXT_MAX_DATA)
		return;
	ss_wr_init(&w, buf, sizeof(buf));
	if (ss_tlv_put(&w, t->tag, t->val, t->len) < 0)
		abort();
	if (ss_tlv_expect(buf, w.len, t->tag, &u) < 0 || u.len != t->len ||
	    (t->len > 0 && memcmp(u.val, t->val, t->len) != 0))
		abort();
}

static void
tlv_walk(const uint8_t *p, size_t len, uint32_t want)
{
	struct ss_rd	r;
	struct ss_tlv	t;
	int		n = 0;

	ss_rd_init(&r, p, len);
	while (ss_rd_left(&r) > 0 && ss_tlv_next(&r, &t) == 0) {
		if (!inside(t.val, t.len, p, len))
			abort();
		if (n++ == 0 && want == 0)
			want = t.tag;
		tlv_rebuild(&t);
	}
	if (ss_tlv_find(p, len, want, &t) == 0 &&
	    (t.tag != want || !inside(t.val, t.len, p, len)))
		abort();
	if (ss_tlv_expect(p, len, want, &t) == 0 &&
	    (t.tag != want || !inside(t.val, t.len, p, len)))
		abort();
}

static void
apdu_round_trip(const uint8_t *p, size_t len)
{
	static uint8_t	buf[REBUILD_MAX];
	struct ss_apdu	a;
	struct ss_wr	w;
	uint16_t	sw;
	size_t		dl;

	if (ss_apdu_split_sw(p, len, &dl, &sw) == 0 && dl + 2 != len)
		abort();
	if (ss_apdu_parse(p, len, &a) < 0)
		return;
	if (!inside(a.data, a.lc, p, len))
		abort();
	ss_wr_init(&w, buf, sizeof(buf));
	if (ss_apdu_encode(&w, &a) < 0 || w.len != len ||
	    memcmp(buf, p, len) != 0)
		abort();
}

static void
hex_decode(const uint8_t *p, size_t len, size_t cap)
{
	char	text[HEX_TEXT_MAX + 1];
	uint8_t	*out;
	size_t	n = 0;

	if (len > HEX_TEXT_MAX)
		len = HEX_TEXT_MAX;
	memcpy(text, p, len);
	text[len] = '\0';
	/* exactly cap bytes, so ASan sees a write past it */
	if ((out = malloc(cap > 0 ? cap : 1)) == NULL)
		return;
	if (ss_hex_decode(text, out, cap, &n) == 0 && n > cap)
		abort();
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ss_rd	 in;
	const uint8_t	*p;
	uint8_t		 sel;
	size_t		 len;
	uint32_t	 want = 0;

	ss_rd_init(&in, data, size);
	sel = fz_u8(&in);
	if (sel < sizeof(piv_tags) / sizeof(piv_tags[0]))
		want = piv_tags[sel];
	len = fz_take(&in, ss_rd_left(&in), &p);
	tlv_walk(p, len, want);
	apdu_round_trip(p, len);
	hex_decode(p, len, sel % HEX_CAP_MAX);
	return 0;
}
