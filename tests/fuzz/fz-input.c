/*
 * tests/fuzz/fz-input.c - reading fuzz input (fuzz.h).
 */
#include "fuzz.h"

uint8_t
fz_u8(struct ss_rd *r)
{
	uint8_t v = 0;

	(void)ss_rd_u8(r, &v);
	return v;
}

uint16_t
fz_u16(struct ss_rd *r)
{
	uint16_t v = 0;

	(void)ss_rd_u16be(r, &v);
	return v;
}

uint32_t
fz_u32(struct ss_rd *r)
{
	uint32_t v = 0;

	(void)ss_rd_u32be(r, &v);
	return v;
}

size_t
fz_take(struct ss_rd *r, size_t n, const uint8_t **p)
{
	static const uint8_t	empty[1];
	size_t			left = ss_rd_left(r);

	if (n > left)
		n = left;
	/* never NULL, even for no bytes: callers may memcpy() from it */
	if (n == 0 || ss_rd_ptr(r, p, n) < 0) {
		*p = empty;
		return 0;
	}
	return n;
}

size_t
fz_chunk(struct ss_rd *r, const uint8_t **p)
{
	return fz_take(r, fz_u16(r), p);
}
