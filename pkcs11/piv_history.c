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
 * - Absent (6A82) on a card that is not a YubiKey: no retired key, no
 *   GET DATA for 82..95 (as OpenSC).  This module keeps the object up to
 *   date when it writes into a retired reference (piv_history_add).
 * - Absent on a YubiKey, or unreadable: every retired reference is read.
 *   YubiKeys do not maintain the object and Yubico's tools fill retired
 *   references in any order.
 * - After a certificate write, key generation or import into a retired
 *   reference (under the management key), C1 is raised to cover it,
 *   C2 kept (lowered only if C1 + C2 would pass 20) and a URL (F3) kept;
 *   an unreadable object is left alone.  Best effort: the write itself
 *   has succeeded, a failed update only hides the key from other
 *   processes on non-YubiKey cards.
 * - A retired reference this process generated, imported or wrote a
 *   certificate into is always read.
 */
#include <string.h>

#include "reader/buf.h"
#include "reader/tlv.h"
#include "piv_priv.h"

#define TAG_KEYHISTORY	0x5fc10cu
#define TAG_CONTAINER	0x53u
#define TAG_ON_CARD	0xc1u
#define TAG_OFF_CARD	0xc2u
#define TAG_URL		0xf3u
#define TAG_EDC		0xfeu
#define REF_FIRST	0x82u
#define REF_LAST	0x95u
#define NRETIRED	(REF_LAST - REF_FIRST + 1u)
#define HIST_BUF	256
#define URL_MAX		118	/* SP 800-73-4 Part 1, Table 19 */

struct history {
	uint8_t		 on_card;	/* C1 */
	uint8_t		 off_card;	/* C2 */
	const uint8_t	*url;		/* F3, in the read buffer; NULL if none */
	size_t		 url_len;
};

static int
history_u8(const uint8_t *p, size_t len, uint32_t tag, bool need,
    uint8_t *v)
{
	struct ss_tlv	t;
	struct ss_rd	r;

	*v = 0;
	if (ss_tlv_find(p, len, tag, &t) < 0)
		return need ? -1 : 0;
	if (t.len != 1)
		return -1;
	ss_rd_init(&r, t.val, t.len);
	return ss_rd_u8(&r, v);
}

/* C1, C2 and F3 from the object's content; -1 if malformed. */
static int
history_parse(const uint8_t *p, size_t len, struct history *h)
{
	struct ss_tlv	outer, t;
	struct ss_rd	r;

	memset(h, 0, sizeof(*h));
	ss_rd_init(&r, p, len);
	if (ss_tlv_next(&r, &outer) < 0 || outer.tag != TAG_CONTAINER ||
	    history_u8(outer.val, outer.len, TAG_ON_CARD, true,
	    &h->on_card) < 0 ||
	    history_u8(outer.val, outer.len, TAG_OFF_CARD, false,
	    &h->off_card) < 0)
		return -1;
	if (ss_tlv_find(outer.val, outer.len, TAG_URL, &t) == 0) {
		if (t.len > URL_MAX)
			return -1;
		h->url = t.val;
		h->url_len = t.len;
	}
	return 0;
}

/* GET DATA 5FC10C: 1 parsed into *h, 0 absent (6A82), -1 unreadable;
 * DRV_ERR_* in *rc for a failure of the channel. */
static int
history_get(struct ss_chan *c, uint8_t *buf, size_t cap, struct history *h,
    int *rc)
{
	size_t		len = 0;
	uint16_t	sw = 0;

	*rc = piv_get_data(c, TAG_KEYHISTORY, buf, cap, &len, &sw);
	if (*rc != DRV_OK && *rc != DRV_ERR_DEVICE)
		return -1;
	*rc = DRV_OK;
	if (sw == SS_SW_NOT_FOUND)
		return 0;
	if (sw != SS_SW_OK || history_parse(buf, len, h) < 0)
		return -1;
	return 1;
}

static int
history_read(struct drv_card *card, struct ss_chan *c)
{
	uint8_t		buf[HIST_BUF];
	struct history	h;
	int		got, rc;

	card->retired_limit = NRETIRED;
	got = history_get(c, buf, sizeof(buf), &h, &rc);
	if (rc != DRV_OK)
		return rc;
	if (got == 1)
		card->retired_limit = h.on_card < NRETIRED ? h.on_card :
		    NRETIRED;
	else if (got == 0 && !card->yubikey)
		card->retired_limit = 0;
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

/* PUT DATA 5FC10C: 53 { C1 01 n, C2 01 m, [F3 url], FE 00 }. */
static int
history_put(struct ss_chan *c, const struct history *h)
{
	uint8_t		buf[3 + 3 + 2 + URL_MAX + 2];
	struct ss_wr	w;

	ss_wr_init(&w, buf, sizeof(buf));
	ss_tlv_put(&w, TAG_ON_CARD, &h->on_card, 1);
	ss_tlv_put(&w, TAG_OFF_CARD, &h->off_card, 1);
	if (h->url != NULL)
		ss_tlv_put(&w, TAG_URL, h->url, h->url_len);
	ss_tlv_put(&w, TAG_EDC, NULL, 0);
	if (w.err)
		return DRV_ERR_ARGS;
	return piv_put_object(c, TAG_KEYHISTORY, buf, w.len);
}

void
piv_history_add(struct drv_card *card, struct ss_chan *c, uint8_t ref)
{
	uint8_t		buf[HIST_BUF];
	struct history	h;
	unsigned	idx;
	int		got, rc;

	if (card == NULL || ref < REF_FIRST || ref > REF_LAST)
		return;
	idx = (unsigned)ref - REF_FIRST;
	card->retired_ours |= 1u << idx;
	if (c == NULL)
		return;
	memset(&h, 0, sizeof(h));
	got = history_get(c, buf, sizeof(buf), &h, &rc);
	if (got < 0 || (got == 1 && h.on_card > idx))
		return;		/* unreadable (leave it), or covered */
	h.on_card = (uint8_t)(idx + 1);
	if (h.off_card > NRETIRED - h.on_card)
		h.off_card = (uint8_t)(NRETIRED - h.on_card);
	if (history_put(c, &h) == DRV_OK && card->history_read &&
	    card->retired_limit < h.on_card)
		card->retired_limit = h.on_card;
}
