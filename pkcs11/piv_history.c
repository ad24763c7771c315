/*
 * pkcs11/piv_history.c - which retired key references (82..95) are worth
 * a GET DATA, from the Key History object (5FC10C).
 *
 * SP 800-73-4 Part 1 (3.3.3): the Key History object is present when the
 * card holds retired key management keys; C1 (keysWithOnCardCerts) says
 * how many of them have their certificate on the card, and those come
 * first, in the retired references from 82 upward (Retired X.509
 * Certificate for Key Management 1..n, 5FC10D upward); the C2 keys after
 * them have their certificates elsewhere and cannot be shown without one.
 * The object is read once per card (one GET DATA), the first time a
 * retired reference is asked for.
 *
 * Choices where the specification leaves room:
 * - Present: only the first C1 retired references are read; the others
 *   are absent without an APDU.
 * - Absent (6A82) or unreadable: every retired reference is read, as
 *   before.  The spec would allow "no retired key" (OpenSC shows none),
 *   but YubiKeys do not maintain the object, their tools fill retired
 *   references in any order, and this module's own certificate writes
 *   (piv_manage.c) do not update the object yet: other processes would
 *   not see a retired key written through us.
 * - A retired reference this process generated, imported or wrote a
 *   certificate into is always read (piv_history_note).
 */
#include <string.h>

#include "reader/buf.h"
#include "reader/tlv.h"
#include "piv_priv.h"

#define TAG_KEYHISTORY	0x5fc10cu
#define TAG_CONTAINER	0x53u
#define TAG_ON_CARD	0xc1u
#define REF_FIRST	0x82u
#define REF_LAST	0x95u
#define NRETIRED	(REF_LAST - REF_FIRST + 1u)
#define HIST_BUF	256

/* C1 from the object's content; -1 if malformed. */
static int
history_parse(const uint8_t *p, size_t len, uint8_t *on_card)
{
	struct ss_tlv	outer, t;
	struct ss_rd	r;

	ss_rd_init(&r, p, len);
	if (ss_tlv_next(&r, &outer) < 0 || outer.tag != TAG_CONTAINER ||
	    ss_tlv_find(outer.val, outer.len, TAG_ON_CARD, &t) < 0 ||
	    t.len != 1)
		return -1;
	ss_rd_init(&r, t.val, t.len);
	return ss_rd_u8(&r, on_card);
}

static int
history_read(struct drv_card *card, struct ss_chan *c)
{
	uint8_t		buf[HIST_BUF], on_card = 0;
	size_t		len = 0;
	uint16_t	sw = 0;
	int		rc;

	card->retired_limit = NRETIRED;
	rc = piv_get_data(c, TAG_KEYHISTORY, buf, sizeof(buf), &len, &sw);
	if (rc != DRV_OK && rc != DRV_ERR_DEVICE)
		return rc;
	if (rc == DRV_OK && sw == SS_SW_OK &&
	    history_parse(buf, len, &on_card) == 0)
		card->retired_limit = on_card < NRETIRED ? on_card : NRETIRED;
	card->history_read = true;
	return DRV_OK;
}

int
piv_retired_absent(struct drv_card *card, struct ss_chan *c, uint8_t ref,
    bool *absent)
{
	unsigned	idx = (unsigned)ref - REF_FIRST;
	int		rc;

	*absent = false;
	if (ref < REF_FIRST || ref > REF_LAST ||
	    (card->retired_ours & (1u << idx)) != 0)
		return DRV_OK;
	if (!card->history_read && (rc = history_read(card, c)) != DRV_OK)
		return rc;
	*absent = idx >= card->retired_limit;
	return DRV_OK;
}

void
piv_history_note(struct drv_card *card, uint8_t ref)
{
	if (card != NULL && ref >= REF_FIRST && ref <= REF_LAST)
		card->retired_ours |= 1u << (ref - REF_FIRST);
}
