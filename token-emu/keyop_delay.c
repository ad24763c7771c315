/*
 * token-emu/keyop_delay.c - per-algorithm private-key operation delays
 * (keyop_delay.h).
 */
#include <string.h>

#include "identity.h"
#include "keyop_delay.h"

#define ITEM_MAX	32

/* A decimal number of len characters in [0, max]. */
static int
delay_num(const char *s, size_t len, unsigned max, unsigned *out)
{
	unsigned long	v = 0;
	size_t		i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > max)
			return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* "MS" or "NAME=MS" of len characters. */
static int
delay_item(const char *s, size_t len, unsigned max,
    struct emu_keyop_delay *d)
{
	const char	*eq = memchr(s, '=', len);
	char		 name[ITEM_MAX];
	size_t		 nlen;
	uint8_t		 alg = 0;
	unsigned	 v;

	if (eq == NULL)
		return delay_num(s, len, max, &d->all_ms);
	nlen = (size_t)(eq - s);
	if (nlen == 0 || nlen >= sizeof(name))
		return -1;
	memcpy(name, s, nlen);
	name[nlen] = '\0';
	if (emu_keytype_parse(name, &alg) < 0 || alg == 0 ||
	    delay_num(eq + 1, len - nlen - 1, max, &v) < 0)
		return -1;
	d->ms[alg] = v;
	d->named[alg] = true;
	return 0;
}

int
emu_keyop_delay_parse(const char *s, unsigned max_ms,
    struct emu_keyop_delay *d)
{
	struct emu_keyop_delay	 n;
	const char		*end;
	size_t			 len;

	if (s == NULL || d == NULL)
		return -1;
	memset(&n, 0, sizeof(n));
	for (;;) {
		end = strchr(s, ',');
		len = end != NULL ? (size_t)(end - s) : strlen(s);
		if (delay_item(s, len, max_ms, &n) < 0)
			return -1;
		if (end == NULL)
			break;
		s = end + 1;
	}
	*d = n;
	return 0;
}

unsigned
emu_keyop_delay_ms(const struct emu_keyop_delay *d, uint8_t alg)
{
	return d->named[alg] ? d->ms[alg] : d->all_ms;
}
