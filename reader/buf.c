/*
 * reader/buf.c - bounds-checked cursors over untrusted bytes.
 */
#include <string.h>

#include "buf.h"

void
ss_rd_init(struct ss_rd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = (p == NULL) ? 0 : len;
	r->off = 0;
	r->err = 0;
}

size_t
ss_rd_left(const struct ss_rd *r)
{
	return r->err ? 0 : r->len - r->off;
}

int
ss_rd_ptr(struct ss_rd *r, const uint8_t **pp, size_t n)
{
	if (r->err || n > r->len - r->off) {
		r->err = 1;
		*pp = NULL;
		return -1;
	}
	*pp = r->p + r->off;
	r->off += n;
	return 0;
}

int
ss_rd_bytes(struct ss_rd *r, uint8_t *dst, size_t n)
{
	const uint8_t *src;

	if (ss_rd_ptr(r, &src, n) < 0)
		return -1;
	if (n > 0)
		memcpy(dst, src, n);
	return 0;
}

int
ss_rd_skip(struct ss_rd *r, size_t n)
{
	const uint8_t *src;

	return ss_rd_ptr(r, &src, n);
}

int
ss_rd_u8(struct ss_rd *r, uint8_t *v)
{
	return ss_rd_bytes(r, v, 1);
}

int
ss_rd_peek_u8(const struct ss_rd *r, uint8_t *v)
{
	if (r->err || r->off >= r->len)
		return -1;
	*v = r->p[r->off];
	return 0;
}

int
ss_rd_u16be(struct ss_rd *r, uint16_t *v)
{
	uint8_t b[2];

	if (ss_rd_bytes(r, b, sizeof(b)) < 0)
		return -1;
	*v = (uint16_t)((unsigned)b[0] << 8 | b[1]);
	return 0;
}

int
ss_rd_u32be(struct ss_rd *r, uint32_t *v)
{
	uint8_t b[4];

	if (ss_rd_bytes(r, b, sizeof(b)) < 0)
		return -1;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	return 0;
}

void
ss_wr_init(struct ss_wr *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = (p == NULL) ? 0 : cap;
	w->len = 0;
	w->err = 0;
}

static int
wr_reserve(struct ss_wr *w, size_t n, uint8_t **dst)
{
	if (w->err || n > w->cap - w->len) {
		w->err = 1;
		return -1;
	}
	*dst = w->p + w->len;
	w->len += n;
	return 0;
}

int
ss_wr_bytes(struct ss_wr *w, const void *src, size_t n)
{
	uint8_t *dst;

	if (wr_reserve(w, n, &dst) < 0)
		return -1;
	if (n > 0)
		memmove(dst, src, n);
	return 0;
}

int
ss_wr_fill(struct ss_wr *w, uint8_t v, size_t n)
{
	uint8_t *dst;

	if (wr_reserve(w, n, &dst) < 0)
		return -1;
	if (n > 0)
		memset(dst, v, n);
	return 0;
}

int
ss_wr_u8(struct ss_wr *w, uint8_t v)
{
	return ss_wr_bytes(w, &v, 1);
}

int
ss_wr_u16be(struct ss_wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return ss_wr_bytes(w, b, sizeof(b));
}

int
ss_wr_u32be(struct ss_wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	return ss_wr_bytes(w, b, sizeof(b));
}
