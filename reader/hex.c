/*
 * reader/hex.c - hexadecimal text <-> bytes.
 */
#include "hex.h"

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
ss_hex_decode(const char *s, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t	n = 0;
	int	hi = -1, d;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == ':')
			continue;
		if ((d = hex_digit(*s)) < 0)
			return -1;
		if (hi < 0) {
			hi = d;
			continue;
		}
		if (n >= cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | d);
		hi = -1;
	}
	if (hi >= 0)
		return -1;
	*outlen = n;
	return 0;
}

void
ss_hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0f];
	}
	out[2 * n] = '\0';
}
