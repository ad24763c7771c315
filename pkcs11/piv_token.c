/*
 * pkcs11/piv_token.c - token_info: label, serial, model, firmware.
 *
 * Read once per card and cached (the card struct lives as long as the
 * card is in the reader).  Costs on a plain PIV card one GET DATA of the
 * CHUID; on a YubiKey 5 one GET SERIAL (and the CHUID only if that
 * fails).  Without a channel (c == NULL) and before that read, only
 * what needs no I/O: serial and label empty (the front end binds a card
 * that way and reads the rest when C_GetTokenInfo asks).
 *
 * Choices where the specification leaves room:
 * - Serial: the YubiKey serial in decimal; else the CHUID GUID (tag 34)
 *   in upper-case hex, its first 8 bytes (16 characters, what fits
 *   CK_TOKEN_INFO); an all-zero GUID falls back to the last 8 bytes of
 *   the FASC-N (tag 30); no CHUID at all gives "0".
 * - Label: "YubiKey PIV #<serial>" (as ykcs11 names it), else
 *   "PIV Card #<serial>" so two cards in two readers differ; the
 *   cardholder's name needs the PIN and is not used.
 */
#include <stdio.h>
#include <string.h>

#include "reader/buf.h"
#include "reader/hex.h"
#include "reader/tlv.h"
#include "piv_priv.h"

#define TAG_CHUID	0x5fc102u
#define TAG_CONTAINER	0x53u
#define TAG_GUID	0x34u
#define TAG_FASCN	0x30u
#define GUID_LEN	16
#define SERIAL_BYTES	8	/* 16 hex characters */

static void
copy_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t	i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* Hex of n bytes of a TLV value, starting at off; -1 if it is short. */
static int
serial_from(const struct ss_tlv *t, size_t off, char *serial)
{
	uint8_t		b[SERIAL_BYTES];
	struct ss_rd	r;

	ss_rd_init(&r, t->val, t->len);
	if (ss_rd_skip(&r, off) < 0 || ss_rd_bytes(&r, b, sizeof(b)) < 0)
		return -1;
	ss_hex_encode(b, sizeof(b), serial);
	return 0;
}

/* The serial from a CHUID container's content; -1 if none usable. */
static int
chuid_parse(const uint8_t *p, size_t len, char *serial)
{
	struct ss_tlv	outer, t;
	struct ss_rd	r;
	uint8_t		guid[GUID_LEN];

	ss_rd_init(&r, p, len);
	if (ss_tlv_next(&r, &outer) < 0 || outer.tag != TAG_CONTAINER)
		return -1;
	if (ss_tlv_find(outer.val, outer.len, TAG_GUID, &t) == 0 &&
	    t.len == GUID_LEN) {
		ss_rd_init(&r, t.val, t.len);
		if (ss_rd_bytes(&r, guid, sizeof(guid)) == 0 &&
		    !all_zero(guid, sizeof(guid)))
			return serial_from(&t, 0, serial);
	}
	if (ss_tlv_find(outer.val, outer.len, TAG_FASCN, &t) == 0 &&
	    t.len >= SERIAL_BYTES)
		return serial_from(&t, t.len - SERIAL_BYTES, serial);
	return -1;
}

static int
chuid_serial(struct ss_chan *c, char *serial, size_t cap)
{
	uint8_t		buf[PIV_OBJ_MAX];
	char		hex[2 * SERIAL_BYTES + 1];
	size_t		len = 0;
	uint16_t	sw = 0;
	int		rc;

	copy_str(serial, cap, "0");
	rc = piv_get_data(c, TAG_CHUID, buf, sizeof(buf), &len, &sw);
	if (rc == DRV_ERR_DEVICE)
		return DRV_OK;	/* garbage: no serial, not fatal */
	if (rc != DRV_OK)
		return rc;
	if (sw == SS_SW_OK && chuid_parse(buf, len, hex) == 0)
		copy_str(serial, cap, hex);
	return DRV_OK;
}

/* YubiKey GET SERIAL: 4 bytes big endian; *ok when it answered. */
static int
yk_serial(struct ss_chan *c, uint32_t *serial, bool *ok)
{
	uint8_t		buf[16];
	struct ss_apdu	a;
	struct ss_rd	r;
	size_t		len = 0;
	uint16_t	sw = 0;
	int		rc;

	*ok = false;
	piv_apdu_init(&a, PIV_INS_YK_SERIAL, 0x00, 0x00, NULL, 0, true);
	rc = piv_transmit(c, &a, 0, buf, sizeof(buf), &len, &sw);
	if (rc == DRV_ERR_DEVICE)
		return DRV_OK;
	if (rc != DRV_OK || sw != SS_SW_OK || len != 4)
		return rc;
	ss_rd_init(&r, buf, len);
	*ok = ss_rd_u32be(&r, serial) == 0;
	return DRV_OK;
}

static void
yk_model(const struct drv_card *card, struct drv_token *t)
{
	if (!card->have_version)
		copy_str(t->model, sizeof(t->model), "YubiKey");
	else if (card->version[0] == 3)
		copy_str(t->model, sizeof(t->model), "YubiKey NEO");
	else
		snprintf(t->model, sizeof(t->model), "YubiKey %u",
		    card->version[0]);
	if (card->have_version) {
		t->fw_major = card->version[0];
		t->fw_minor = card->version[1];
	}
}

/* What needs no I/O: PIN limits, manufacturer, model, firmware. */
static void
token_static(const struct drv_card *card, struct drv_token *t)
{
	memset(t, 0, sizeof(*t));
	t->pin_min = PIV_PIN_MIN;
	t->pin_max = PIV_PIN_MAX;
	if (card->yubikey) {
		copy_str(t->manufacturer, sizeof(t->manufacturer), "Yubico");
		yk_model(card, t);
	} else {
		copy_str(t->manufacturer, sizeof(t->manufacturer), "Unknown");
		copy_str(t->model, sizeof(t->model), "PIV II");
	}
}

static int
token_read(struct drv_card *card, struct ss_chan *c, struct drv_token *t)
{
	uint32_t	ykserial = 0;
	bool		have_yk = false;
	int		rc;

	token_static(card, t);
	if (piv_has_serial(card) &&
	    (rc = yk_serial(c, &ykserial, &have_yk)) != DRV_OK)
		return rc;
	if (have_yk)
		snprintf(t->serial, sizeof(t->serial), "%u", ykserial);
	else if ((rc = chuid_serial(c, t->serial, sizeof(t->serial))) !=
	    DRV_OK)
		return rc;
	snprintf(t->label, sizeof(t->label), "%s #%s", card->yubikey ?
	    "YubiKey PIV" : "PIV Card", t->serial);
	return DRV_OK;
}

int
piv_token_info(struct drv_card *card, struct ss_chan *c, struct drv_token *t)
{
	int rc;

	if (card == NULL || t == NULL)
		return DRV_ERR_ARGS;
	if (c == NULL && !card->token_cached) {
		token_static(card, t);
		return DRV_OK;
	}
	if (!card->token_cached) {
		if ((rc = token_read(card, c, &card->token)) != DRV_OK)
			return rc;
		card->token_cached = true;
	}
	*t = card->token;
	return DRV_OK;
}
