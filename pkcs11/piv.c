/*
 * pkcs11/piv.c - the PIV card driver: probe, reselect, free and the ops
 * table.  The other operations live in piv_*.c (see piv_priv.h).
 *
 * Probe costs one APDU on a plain PIV card (SELECT) and two on a YubiKey
 * (SELECT, GET VERSION).  A YubiKey is recognised by its ATR, whose
 * historical bytes carry "YubiKey" / "Yubikey" (NEO, 4, 5): no YubiKey
 * command is ever sent to a card whose ATR does not say so.
 *
 * Choices where the specification leaves room:
 * - SELECT answered 9000 with no data is accepted (some pre-800-73-3 cards
 *   return no application property template); 9000 with data that is not
 *   a 61 template is not a PIV card.
 * - The algorithm list (AC / 80) is kept for information only; the key
 *   types come from the certificates or GET METADATA.
 */
#include <stdlib.h>
#include <string.h>

#include "reader/atr.h"
#include "reader/buf.h"
#include "reader/tlv.h"
#include "reader/wipe.h"
#include "piv.h"
#include "piv_priv.h"

#define TAG_APT		0x61u
#define TAG_ALGS	0xacu
#define TAG_ALG		0x80u
#define SELECT_MAX	512

static const char yk_name[] = "yubikey";

static int
ascii_lower(int ch)
{
	return (ch >= 'A' && ch <= 'Z') ? ch - 'A' + 'a' : ch;
}

/* Whether the ATR's historical bytes contain "yubikey" in any case. */
static bool
atr_is_yubikey(const uint8_t *atr, size_t atr_len)
{
	struct ss_atr	a;
	size_t		n = sizeof(yk_name) - 1, i, j;

	if (atr == NULL || atr_len == 0)
		return false;
	memset(&a, 0, sizeof(a));
	(void)ss_atr_parse(atr, atr_len, &a);	/* partial is fine */
	if (a.hist_len > sizeof(a.hist) || a.hist_len < n)
		return false;
	for (i = 0; i + n <= a.hist_len; i++) {
		for (j = 0; j < n; j++)
			if (ascii_lower(a.hist[i + j]) != yk_name[j])
				break;
		if (j == n)
			return true;
	}
	return false;
}

/* Keep the one-byte algorithm identifiers of AC { 80 alg ... }. */
static void
apt_algs(struct drv_card *card, const struct ss_tlv *ac)
{
	struct ss_rd	r, v;
	struct ss_tlv	t;
	uint8_t		alg;

	ss_rd_init(&r, ac->val, ac->len);
	while (ss_rd_left(&r) > 0 && ss_tlv_next(&r, &t) == 0) {
		if (t.tag != TAG_ALG || t.len != 1 ||
		    card->nalgs >= PIV_ALGS_MAX)
			continue;
		ss_rd_init(&v, t.val, t.len);
		if (ss_rd_u8(&v, &alg) == 0)
			card->algs[card->nalgs++] = alg;
	}
}

/* 0: PIV (template parsed or absent); -1: not an application template. */
static int
apt_parse(struct drv_card *card, const uint8_t *p, size_t len)
{
	struct ss_rd	r;
	struct ss_tlv	apt, ac;

	if (len == 0)
		return 0;
	ss_rd_init(&r, p, len);
	if (ss_tlv_next(&r, &apt) < 0 || apt.tag != TAG_APT)
		return -1;
	if (ss_tlv_find(apt.val, apt.len, TAG_ALGS, &ac) == 0)
		apt_algs(card, &ac);
	return 0;
}

/* YubiKey GET VERSION: 3 bytes.  Only an I/O error is an error. */
static int
yk_version(struct drv_card *card, struct ss_chan *c)
{
	uint8_t		buf[16];
	struct ss_apdu	a;
	struct ss_rd	r;
	size_t		len = 0;
	uint16_t	sw = 0;
	int		rc;

	piv_apdu_init(&a, PIV_INS_YK_VERSION, 0x00, 0x00, NULL, 0, true);
	if ((rc = piv_transmit(c, &a, 0, buf, sizeof(buf), &len, &sw)) !=
	    DRV_OK)
		return rc == DRV_ERR_DEVICE ? DRV_OK : rc;
	if (sw != SS_SW_OK || len != sizeof(card->version))
		return DRV_OK;
	ss_rd_init(&r, buf, len);
	if (ss_rd_bytes(&r, card->version, sizeof(card->version)) == 0)
		card->have_version = true;
	return DRV_OK;
}

static int
piv_probe(struct ss_chan *c, const uint8_t *atr, size_t atr_len,
    struct drv_card **out)
{
	struct drv_card	*card = NULL;
	uint8_t		*buf = NULL;
	size_t		 len = 0;
	uint16_t	 sw = 0;
	int		 rc = DRV_ERR_ARGS;

	if (c == NULL || out == NULL)
		goto fail;
	*out = NULL;
	rc = DRV_ERR_MEMORY;
	if ((card = calloc(1, sizeof(*card))) == NULL ||
	    (buf = malloc(SELECT_MAX)) == NULL)
		goto fail;
	card->pin_tries_max = -1;
	if ((rc = piv_select(c, buf, SELECT_MAX, &len, &sw)) != DRV_OK) {
		if (rc == DRV_ERR_DEVICE)
			rc = DRV_ERR_NOT_OURS;
		goto fail;
	}
	rc = DRV_ERR_NOT_OURS;
	if (sw != SS_SW_OK || apt_parse(card, buf, len) < 0)
		goto fail;
	card->yubikey = atr_is_yubikey(atr, atr_len);
	if (card->yubikey && (rc = yk_version(card, c)) != DRV_OK)
		goto fail;
	*out = card;
	card = NULL;
	rc = DRV_OK;
fail:
	free(buf);
	free(card);
	return rc;
}

static void
piv_free(struct drv_card **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	ss_wipe(*cp, sizeof(**cp));
	free(*cp);
	*cp = NULL;
}

/* The card was reset: select PIV again.  What was cached stays valid. */
static int
piv_reselect(struct drv_card *card, struct ss_chan *c)
{
	uint8_t		buf[SELECT_MAX];
	size_t		len = 0;
	uint16_t	sw = 0;
	int		rc;

	if (card == NULL || c == NULL)
		return DRV_ERR_ARGS;
	if ((rc = piv_select(c, buf, sizeof(buf), &len, &sw)) != DRV_OK)
		return rc;
	return sw == SS_SW_OK ? DRV_OK : DRV_ERR_DEVICE;
}

const struct drv_ops piv_driver_ops = {
	.name = "PIV",
	.probe = piv_probe,
	.free = piv_free,
	.reselect = piv_reselect,
	.token_info = piv_token_info,
	.key_refs = piv_key_refs,
	.key_id = piv_key_id,
	.load_key = piv_load_key,
	.pin_status = piv_pin_status,
	.login = piv_login,
	.logout = piv_logout,
	.sign = piv_sign,
	.decrypt = piv_decrypt,
	.derive = piv_derive,
	.change_pin = piv_change_pin,
	.unblock_pin = piv_unblock_pin,
	.admin_auth = piv_admin_auth,
	.generate_key = piv_generate_key,
	.import_key = piv_import_key,
	.write_cert = piv_write_cert,
	.delete_cert = piv_delete_cert,
};
