/*
 * reader/tlv.c - BER-TLV parsing and building over the bounds-checked cursors.
 */
#include "tlv.h"

#define TLV_MAX_LEN	0xffffffu	/* three length bytes at most */

static int
tlv_read_tag(struct ss_rd *r, uint32_t *tag)
{
	uint8_t	b;
	int	n = 0;

	if (ss_rd_u8(r, &b) < 0)
		return -1;
	*tag = b;
	if ((b & 0x1f) != 0x1f)
		return 0;
	do {
		if (++n > 2 || ss_rd_u8(r, &b) < 0)
			return -1;
		*tag = *tag << 8 | b;
	} while (b & 0x80);
	return 0;
}

static int
tlv_read_len(struct ss_rd *r, size_t *len)
{
	uint8_t	b;
	size_t	n;

	if (ss_rd_u8(r, &b) < 0)
		return -1;
	if (b < 0x80) {
		*len = b;
		return 0;
	}
	n = b & 0x7f;
	if (n == 0 || n > 3)
		return -1;
	*len = 0;
	while (n-- > 0) {
		if (ss_rd_u8(r, &b) < 0)
			return -1;
		*len = *len << 8 | b;
	}
	return 0;
}

int
ss_tlv_next(struct ss_rd *r, struct ss_tlv *t)
{
	if (tlv_read_tag(r, &t->tag) < 0 || tlv_read_len(r, &t->len) < 0 ||
	    ss_rd_ptr(r, &t->val, t->len) < 0) {
		r->err = 1;
		t->val = NULL;
		t->len = 0;
		return -1;
	}
	return 0;
}

int
ss_tlv_find(const uint8_t *p, size_t len, uint32_t tag, struct ss_tlv *out)
{
	struct ss_rd	r;
	struct ss_tlv	t;

	ss_rd_init(&r, p, len);
	while (ss_rd_left(&r) > 0) {
		if (ss_tlv_next(&r, &t) < 0)
			return -1;
		if (t.tag == tag) {
			*out = t;
			return 0;
		}
	}
	return -1;
}

int
ss_tlv_expect(const uint8_t *p, size_t len, uint32_t tag, struct ss_tlv *out)
{
	struct ss_rd r;

	ss_rd_init(&r, p, len);
	if (ss_tlv_next(&r, out) < 0 || out->tag != tag || ss_rd_left(&r) != 0)
		return -1;
	return 0;
}

size_t
ss_tlv_tag_len(uint32_t tag)
{
	if (tag > 0xffff)
		return 3;
	return tag > 0xff ? 2 : 1;
}

size_t
ss_tlv_len_len(size_t len)
{
	if (len < 0x80)
		return 1;
	if (len <= 0xff)
		return 2;
	return len <= 0xffff ? 3 : 4;
}

int
ss_tlv_put_hdr(struct ss_wr *w, uint32_t tag, size_t len)
{
	size_t	n = ss_tlv_tag_len(tag), ll = ss_tlv_len_len(len);

	if (tag > 0xffffff || len > TLV_MAX_LEN) {
		w->err = 1;
		return -1;
	}
	while (n-- > 0)
		ss_wr_u8(w, (uint8_t)(tag >> (8 * n)));
	if (ll == 1)
		return ss_wr_u8(w, (uint8_t)len);
	ss_wr_u8(w, (uint8_t)(0x80 | (ll - 1)));
	while (--ll > 0)
		ss_wr_u8(w, (uint8_t)(len >> (8 * (ll - 1))));
	return w->err ? -1 : 0;
}

int
ss_tlv_put(struct ss_wr *w, uint32_t tag, const void *val, size_t len)
{
	if (ss_tlv_put_hdr(w, tag, len) < 0)
		return -1;
	return ss_wr_bytes(w, val, len);
}
