/*
 * token-emu/card.c - the card's in-memory state: key slots, data objects,
 * factory defaults.  No I/O here; cardfile.c loads and saves.
 */
#include <stdlib.h>
#include <string.h>

#include "reader/wipe.h"
#include "card.h"

static const uint8_t key_refs[EMU_NKEYS] = {
	0x9a, 0x9c, 0x9d, 0x9e,
	0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b,
	0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95,
	0xf9,
};

static const uint8_t default_mgmt_key[24] = {
	1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8,
};

/* historical bytes: category 80, card capabilities (chaining, extended
 * Lc/Le), issuer data "SSIGNPIV" */
static const uint8_t default_hist[] = {
	0x80, 0x73, 0xc0, 0x21, 0xc0,
	0x58, 'S', 'S', 'I', 'G', 'N', 'P', 'I', 'V',
};

struct emu_key *
emu_card_key(struct emu_card *card, uint8_t ref)
{
	size_t i;

	for (i = 0; i < EMU_NKEYS; i++)
		if (card->keys[i].ref == ref)
			return &card->keys[i];
	return NULL;
}

const struct emu_object *
emu_card_obj(const struct emu_card *card, uint32_t tag)
{
	size_t i;

	for (i = 0; i < card->nobjs; i++)
		if (card->objs[i].tag == tag)
			return &card->objs[i];
	return NULL;
}

static void
card_obj_remove(struct emu_card *card, size_t i)
{
	free(card->objs[i].data);
	card->nobjs--;
	if (i != card->nobjs)
		card->objs[i] = card->objs[card->nobjs];
	memset(&card->objs[card->nobjs], 0, sizeof(card->objs[0]));
}

int
emu_card_obj_set(struct emu_card *card, uint32_t tag, const uint8_t *p,
    size_t len)
{
	uint8_t	*copy = NULL;
	size_t	 i;

	if (len > EMU_OBJ_MAX)
		return -1;
	for (i = 0; i < card->nobjs; i++)
		if (card->objs[i].tag == tag)
			break;
	if (len == 0) {
		if (i < card->nobjs)
			card_obj_remove(card, i);
		return 0;
	}
	if (i == card->nobjs && card->nobjs == EMU_NOBJS_MAX)
		return -1;
	if ((copy = malloc(len)) == NULL)
		return -1;
	memcpy(copy, p, len);
	if (i == card->nobjs)
		card->nobjs++;
	else
		free(card->objs[i].data);
	card->objs[i].tag = tag;
	card->objs[i].data = copy;
	card->objs[i].len = len;
	return 0;
}

static uint8_t
default_pin_policy(uint8_t ref)
{
	switch (ref) {
	case 0x9c:
		return EMU_PIN_POLICY_ALWAYS;
	case 0x9e:
	case 0xf9:
		return EMU_PIN_POLICY_NEVER;
	default:
		return EMU_PIN_POLICY_ONCE;
	}
}

static void
card_default_atr(struct emu_card *card)
{
	size_t	i, n = 0;
	uint8_t	tck = 0;

	card->atr[n++] = 0x3b;			/* TS: direct convention */
	card->atr[n++] = (uint8_t)(0x80 | sizeof(default_hist)); /* TD1 */
	card->atr[n++] = 0x80;			/* TD1: T=0, TD2 follows */
	card->atr[n++] = 0x01;			/* TD2: T=1 */
	memcpy(card->atr + n, default_hist, sizeof(default_hist));
	n += sizeof(default_hist);
	for (i = 1; i < n; i++)
		tck ^= card->atr[i];
	card->atr[n++] = tck;
	card->atr_len = n;
}

void
emu_card_init_empty(struct emu_card *card)
{
	size_t i;

	memset(card, 0, sizeof(*card));
	memset(card->pin, 0xff, sizeof(card->pin));
	memcpy(card->pin, "123456", 6);
	memcpy(card->puk, "12345678", 8);
	card->pin_tries_max = card->pin_tries_left = EMU_DEFAULT_TRIES;
	card->puk_tries_max = card->puk_tries_left = EMU_DEFAULT_TRIES;
	card->pin_is_default = card->puk_is_default = true;
	card->mgmt_alg = PIV_ALG_3DES;
	memcpy(card->mgmt_key, default_mgmt_key, sizeof(default_mgmt_key));
	card->mgmt_key_len = sizeof(default_mgmt_key);
	card->mgmt_is_default = true;
	card->mgmt_touch_policy = EMU_TOUCH_POLICY_NEVER;
	card->version[0] = 5;
	card->version[1] = 4;
	card->version[2] = 3;
	card->yubikey = true;
	for (i = 0; i < EMU_NKEYS; i++) {
		card->keys[i].ref = key_refs[i];
		card->keys[i].pin_policy = default_pin_policy(key_refs[i]);
		card->keys[i].touch_policy = EMU_TOUCH_POLICY_NEVER;
	}
	card_default_atr(card);
}

void
emu_card_free(struct emu_card *card)
{
	size_t i;

	for (i = 0; i < EMU_NKEYS; i++) {
		EVP_PKEY_free(card->keys[i].pkey);
		card->keys[i].pkey = NULL;
	}
	for (i = 0; i < card->nobjs; i++)
		free(card->objs[i].data);
	free(card->path);
	ss_wipe(card, sizeof(*card));
}

void
emu_session_reset(struct emu_session *s)
{
	ss_wipe(s, sizeof(*s));
}
