/*
 * token-emu/quirks.c - card behaviours switched on by --quirk (quirks.h).
 */
#include <stdbool.h>
#include <string.h>

#include "reader/buf.h"
#include "quirks.h"

#define INS_SELECT		0xa4
#define INS_GET_DATA		0xcb
#define INS_GET_RESPONSE	0xc0
#define INS_GENERAL_AUTH	0x87
#define INS_YK_VERSION		0xfd
#define INS_YK_SERIAL		0xf8
#define INS_YK_METADATA		0xf7
#define KEY_REF_ADMIN		0x9b

struct quirk_name {
	const char	*name;
	unsigned	 bit;
};

static const struct quirk_name quirk_names[] = {
	{ "short-only",	EMU_QUIRK_SHORT_ONLY },
	{ "le-exact",	EMU_QUIRK_LE_EXACT },
	{ "odd-6a80",	EMU_QUIRK_ODD_6A80 },
};

static int
quirk_lookup(const char *s, size_t len, unsigned *bit)
{
	size_t i;

	for (i = 0; i < sizeof(quirk_names) / sizeof(quirk_names[0]); i++)
		if (strlen(quirk_names[i].name) == len &&
		    memcmp(quirk_names[i].name, s, len) == 0) {
			*bit = quirk_names[i].bit;
			return 0;
		}
	return -1;
}

int
emu_quirks_parse(const char *list, unsigned *set)
{
	const char	*p = list, *end;
	unsigned	 bit;
	size_t		 len;

	if (list == NULL || set == NULL)
		return -1;
	for (;;) {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == 0 || quirk_lookup(p, len, &bit) < 0)
			return -1;
		*set |= bit;
		if (end == NULL)
			return 0;
		p = end + 1;
	}
}

uint16_t
emu_quirk_refuse(unsigned set, const struct ss_apdu *a)
{
	if ((set & EMU_QUIRK_SHORT_ONLY) && a->extended)
		return SS_SW_WRONG_LENGTH;
	return 0;
}

uint16_t
emu_quirk_reject(unsigned set, const struct ss_apdu *a)
{
	struct ss_rd	r;
	uint8_t		last;

	if (!(set & EMU_QUIRK_ODD_6A80) || a->ins != INS_GENERAL_AUTH ||
	    a->p2 == KEY_REF_ADMIN || a->lc == 0)
		return 0;
	ss_rd_init(&r, a->data, a->lc);
	if (ss_rd_skip(&r, a->lc - 1) < 0 || ss_rd_u8(&r, &last) < 0)
		return 0;
	return (last & 1u) ? SS_SW_WRONG_DATA : 0;
}

static bool
is_read(uint8_t ins)
{
	switch (ins) {
	case INS_SELECT:
	case INS_GET_DATA:
	case INS_GET_RESPONSE:
	case INS_YK_VERSION:
	case INS_YK_SERIAL:
	case INS_YK_METADATA:
		return true;
	default:
		return false;
	}
}

uint16_t
emu_quirk_le(unsigned set, const struct ss_apdu *a, size_t avail)
{
	if (!(set & EMU_QUIRK_LE_EXACT) || !is_read(a->ins) ||
	    !a->has_le || a->extended || avail == 0 || avail >= 256 ||
	    a->le == avail)
		return 0;
	return (uint16_t)(0x6c00u | avail);
}
