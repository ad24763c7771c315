/*
 * pkcs11/piv_manage.c - card management through the PIV driver: PIN and
 * PUK, key generation, certificate objects.  The management key is in
 * piv_admin.c, key import in piv_import.c.
 *
 *   24  00 24 00 ref 10 <old 8> <new 8>         ref 80 PIN, 81 PUK
 *   2C  00 2C 00 80 10 <PUK 8> <new PIN 8>
 *   47  00 47 00 ref AC { 80 alg [AA pin] [AB touch] } -> 7F49 { ... }
 *   DB  00 DB 3F FF 5C 03 tag 53 { 70 cert, 71 00, FE 00 }   (53 00 deletes)
 *
 * Choices where the specification leaves room:
 * - A PIN or PUK outside 6..8 bytes is refused before anything is sent
 *   (DRV_ERR_PIN_LEN); FF padding as for VERIFY.  63Cx with x > 0 is a
 *   wrong PIN/PUK, 63C0 and 6983 blocked, 6A80 a value the card refuses
 *   (DRV_ERR_DATA_INVALID, no try used).
 * - PIN and touch policies (AA, AB) are YubiKey extensions: sent only to
 *   a card whose ATR says YubiKey, and only when asked for; asked of
 *   another card they give DRV_ERR_NOT_SUPPORTED with nothing sent.
 * - 6A84 to PUT DATA (no room) is DRV_ERR_NO_SPACE; 6982 to PUT DATA or
 *   GENERATE (no management-key authentication) DRV_ERR_NOT_LOGGED_IN.
 * - Certificates are written uncompressed (71 00) with an empty error
 *   detection code (FE 00), as yubico-piv-tool and OpenSC write them.
 * - The generated key's public part comes from the card's answer; it must
 *   be of the algorithm asked for (else DRV_ERR_DEVICE).
 */
#include <stdlib.h>
#include <string.h>

#include "reader/buf.h"
#include "reader/tlv.h"
#include "reader/wipe.h"
#include "piv_priv.h"

#define PIN_PAD_BYTE	0xff
#define SW_TRIES_MASK	0xfff0u
#define SW_TRIES	0x63c0u
#define SW_PAD_TIMEOUT	0x6400u
#define SW_PAD_CANCEL	0x6401u
#define TAG_OBJ_ID	0x5cu
#define TAG_CONTAINER	0x53u
#define TAG_CERT	0x70u
#define TAG_CERTINFO	0x71u
#define TAG_EDC		0xfeu
#define TAG_GEN		0xacu
#define TAG_GEN_ALG	0x80u
#define TAG_PIN_POLICY	0xaau
#define TAG_TOUCH_POLICY 0xabu
#define TAG_PUBKEY	0x7f49u
#define GEN_RESP_MAX	1024	/* RSA-4096: 512-byte modulus + headers */
#define GEN_TPL_MAX	16
#define POLICY_MAX	3	/* YubiKey: 1 never, 2 once, 3 always */
#define TOUCH_MAX	3	/* 1 never, 2 always, 3 cached */

/* ---- status words ---- */

static int
pin_result(uint16_t sw)
{
	if ((sw & SW_TRIES_MASK) == SW_TRIES)
		return (sw & 0x0f) == 0 ? DRV_ERR_PIN_LOCKED :
		    DRV_ERR_PIN_INCORRECT;
	switch (sw) {
	case SS_SW_OK:
		return DRV_OK;
	case SS_SW_AUTH_BLOCKED:
		return DRV_ERR_PIN_LOCKED;
	case SW_PAD_TIMEOUT:
	case SW_PAD_CANCEL:
		return DRV_ERR_CANCELLED;
	default:
		return piv_sw_to_drv(sw);
	}
}

/* What a management command's status word means. */
int
piv_manage_sw(uint16_t sw)
{
	return sw == SS_SW_NO_SPACE ? DRV_ERR_NO_SPACE : piv_sw_to_drv(sw);
}

/* ---- PIN and PUK ---- */

static int
pin_block(const uint8_t *pin, size_t len, uint8_t *block)
{
	if (pin == NULL || len < PIV_PIN_MIN || len > PIV_PIN_MAX)
		return DRV_ERR_PIN_LEN;
	memset(block, PIN_PAD_BYTE, PIV_PIN_MAX);
	memcpy(block, pin, len);
	return DRV_OK;
}

/* INS ins, P2 ref, data: two padded blocks a || b. */
static int
pin_pair(struct ss_chan *c, uint8_t ins, uint8_t ref, const uint8_t *a,
    size_t alen, const uint8_t *b, size_t blen)
{
	uint8_t		data[2 * PIV_PIN_MAX], resp[16];
	struct ss_apdu	apdu;
	size_t		len = 0;
	uint16_t	sw = 0;
	int		rc;

	if ((rc = pin_block(a, alen, data)) != DRV_OK ||
	    (rc = pin_block(b, blen, data + PIV_PIN_MAX)) != DRV_OK)
		goto fail;
	piv_apdu_init(&apdu, ins, 0x00, ref, data, sizeof(data), false);
	if ((rc = piv_transmit(c, &apdu, SS_APDU_SECRET, resp, sizeof(resp),
	    &len, &sw)) != DRV_OK)
		goto fail;
	rc = pin_result(sw);
fail:
	ss_wipe(data, sizeof(data));
	ss_wipe(resp, sizeof(resp));
	return rc;
}

/* CHANGE REFERENCE DATA typed on the reader's PIN pad. */
static int
change_pinpad(struct drv_card *card, struct ss_chan *c, uint8_t ref)
{
	uint16_t	sw = 0;
	int		rc;

	if (!card->pinpad_known) {
		rc = ss_pinpad_discover(c, &card->pinpad);
		if (rc == SS_ERR_MALFORMED)
			memset(&card->pinpad, 0, sizeof(card->pinpad));
		else if (rc != SS_ERR_OK)
			return drv_from_ss(rc);
		card->pinpad_known = true;
	}
	if (card->pinpad.modify_direct == 0)
		return DRV_ERR_NOT_SUPPORTED;
	rc = ss_pinpad_modify(c, &card->pinpad, ref, 0, &sw);
	if (rc == SS_ERR_MALFORMED)
		return DRV_ERR_DEVICE;
	if (rc != SS_ERR_OK)
		return drv_from_ss(rc);
	return pin_result(sw);
}

int
piv_change_pin(struct drv_card *card, struct ss_chan *c,
    enum drv_pin_ref which, const uint8_t *old, size_t old_len,
    const uint8_t *new_pin, size_t new_len)
{
	uint8_t ref = which == DRV_PIN_PUK ? PIV_REF_PUK : PIV_REF_PIN;

	if (card == NULL || c == NULL)
		return DRV_ERR_ARGS;
	if (old == NULL && new_pin == NULL)
		return change_pinpad(card, c, ref);
	return pin_pair(c, PIV_INS_CHANGE_REF, ref, old, old_len, new_pin,
	    new_len);
}

int
piv_unblock_pin(struct drv_card *card, struct ss_chan *c, const uint8_t *puk,
    size_t puk_len, const uint8_t *new_pin, size_t new_len)
{
	if (card == NULL || c == NULL)
		return DRV_ERR_ARGS;
	return pin_pair(c, PIV_INS_RESET_RETRY, PIV_REF_PIN, puk, puk_len,
	    new_pin, new_len);
}

/* ---- policies ---- */

static uint8_t
ref_default_policy(uint8_t ref)
{
	return ref == 0x9c ? PIV_YK_PIN_ALWAYS : 0;
}

/* The AA and AB bytes to send (0: none).  -1: asked of a card that
 * cannot take them, or out of range. */
int
piv_pin_policy(const struct drv_card *card, uint8_t ref,
    const struct drv_keyspec *spec, uint8_t *pin, uint8_t *touch)
{
	*pin = spec->pin_policy;
	*touch = spec->touch_policy;
	if (*pin == DRV_PIN_NOT_ALWAYS)
		*pin = ref_default_policy(ref) == PIV_YK_PIN_ALWAYS ?
		    PIV_YK_PIN_ONCE : 0;
	if (*pin > POLICY_MAX || *touch > TOUCH_MAX)
		return -1;
	if ((*pin != 0 || *touch != 0) && !card->yubikey)
		return -1;
	return 0;
}

/* ---- GENERATE ASYMMETRIC KEY PAIR ---- */

static int
gen_alg(const struct drv_keyspec *spec, uint8_t *alg)
{
	struct drv_key k;

	memset(&k, 0, sizeof(k));
	k.type = spec->type;
	k.bits = spec->bits;
	return piv_alg_id(&k, alg) == 0 ? DRV_OK : DRV_ERR_NOT_SUPPORTED;
}

/* AC { 80 01 alg [AA 01 pin] [AB 01 touch] } */
static int
gen_template(uint8_t alg, uint8_t pin, uint8_t touch, uint8_t *buf,
    size_t cap, size_t *len)
{
	struct ss_wr	w;
	size_t		inner = 3u + (pin ? 3u : 0u) + (touch ? 3u : 0u);

	ss_wr_init(&w, buf, cap);
	ss_tlv_put_hdr(&w, TAG_GEN, inner);
	ss_tlv_put(&w, TAG_GEN_ALG, &alg, 1);
	if (pin)
		ss_tlv_put(&w, TAG_PIN_POLICY, &pin, 1);
	if (touch)
		ss_tlv_put(&w, TAG_TOUCH_POLICY, &touch, 1);
	*len = w.len;
	return w.err ? DRV_ERR_ARGS : DRV_OK;
}

/* 7F49 { 81 n, 82 e } or 7F49 { 86 point } -> a public key of alg. */
static int
gen_parse(uint8_t alg, const uint8_t *p, size_t len, EVP_PKEY **pub)
{
	struct ss_tlv t;

	if (ss_tlv_expect(p, len, TAG_PUBKEY, &t) < 0 ||
	    (*pub = piv_meta_pubkey(alg, t.val, t.len)) == NULL)
		return DRV_ERR_DEVICE;
	return DRV_OK;
}

int
piv_generate_key(struct drv_card *card, struct ss_chan *c, uint8_t ref,
    const struct drv_keyspec *spec, struct drv_key *out)
{
	uint8_t		 tpl[GEN_TPL_MAX], alg = 0, pin = 0, touch = 0;
	uint8_t		*resp = NULL;
	struct ss_apdu	 a;
	EVP_PKEY	*pub = NULL;
	size_t		 tlen = 0, len = 0;
	uint16_t	 sw = 0;
	int		 rc = DRV_ERR_ARGS;

	if (card == NULL || c == NULL || spec == NULL || out == NULL ||
	    piv_cert_tag(ref) == 0)
		goto fail;
	memset(out, 0, sizeof(*out));
	rc = DRV_ERR_NOT_SUPPORTED;
	if (gen_alg(spec, &alg) != DRV_OK ||
	    piv_pin_policy(card, ref, spec, &pin, &touch) < 0)
		goto fail;
	if ((rc = gen_template(alg, pin, touch, tpl, sizeof(tpl), &tlen)) !=
	    DRV_OK)
		goto fail;
	rc = DRV_ERR_MEMORY;
	if ((resp = malloc(GEN_RESP_MAX)) == NULL)
		goto fail;
	piv_apdu_init(&a, PIV_INS_GENERATE, 0x00, ref, tpl, tlen, true);
	piv_apdu_want_all(c, &a);
	if ((rc = piv_transmit(c, &a, 0, resp, GEN_RESP_MAX, &len, &sw)) !=
	    DRV_OK || (rc = piv_manage_sw(sw)) != DRV_OK ||
	    (rc = gen_parse(alg, resp, len, &pub)) != DRV_OK ||
	    (rc = piv_key_describe(ref, &pub, pin, out)) != DRV_OK)
		goto fail;
	out->local = true;
	piv_history_add(card, c, ref);
fail:
	EVP_PKEY_free(pub);
	free(resp);
	return rc;
}

/* ---- certificate objects (PUT DATA) ---- */

/* 5C 03 tag 53 L content, content built by the caller into w. */
static size_t
put_size(size_t content)
{
	return 5 + 1 + ss_tlv_len_len(content) + content;
}

static void
put_head(struct ss_wr *w, uint32_t tag, size_t content)
{
	uint8_t id[3];

	id[0] = (uint8_t)(tag >> 16);
	id[1] = (uint8_t)(tag >> 8);
	id[2] = (uint8_t)tag;
	ss_tlv_put(w, TAG_OBJ_ID, id, sizeof(id));
	ss_tlv_put_hdr(w, TAG_CONTAINER, content);
}

static int
put_data(struct ss_chan *c, const uint8_t *data, size_t len)
{
	struct ss_apdu	a;
	uint8_t		resp[16];
	size_t		rlen = 0;
	uint16_t	sw = 0;
	int		rc;

	piv_apdu_init(&a, PIV_INS_PUT_DATA, 0x3f, 0xff, data, len, false);
	if ((rc = piv_transmit(c, &a, 0, resp, sizeof(resp), &rlen, &sw)) !=
	    DRV_OK)
		return rc;
	return piv_manage_sw(sw);
}

/* PUT DATA of a small object: 5C 03 tag 53 L content. */
int
piv_put_object(struct ss_chan *c, uint32_t tag, const uint8_t *content,
    size_t len)
{
	uint8_t		buf[PIV_PUT_SMALL_MAX];
	struct ss_wr	w;

	if (len > sizeof(buf) || put_size(len) > sizeof(buf))
		return DRV_ERR_ARGS;
	ss_wr_init(&w, buf, sizeof(buf));
	put_head(&w, tag, len);
	ss_wr_bytes(&w, content, len);
	if (w.err || w.len != put_size(len))
		return DRV_ERR_ARGS;
	return put_data(c, buf, w.len);
}

int
piv_write_cert(struct drv_card *card, struct ss_chan *c, uint8_t ref,
    const uint8_t *der, size_t der_len)
{
	static const uint8_t	 info = 0x00;
	uint8_t			*buf = NULL;
	struct ss_wr		 w;
	uint32_t		 tag = piv_cert_tag(ref);
	size_t			 content, total;
	int			 rc = DRV_ERR_ARGS;

	if (card == NULL || c == NULL || der == NULL || der_len == 0 ||
	    tag == 0)
		goto fail;
	rc = DRV_ERR_NO_SPACE;
	if (der_len > PIV_OBJ_MAX)
		goto fail;
	content = 1 + ss_tlv_len_len(der_len) + der_len + 3 + 2;
	total = put_size(content);
	rc = DRV_ERR_MEMORY;
	if ((buf = malloc(total)) == NULL)
		goto fail;
	ss_wr_init(&w, buf, total);
	put_head(&w, tag, content);
	ss_tlv_put(&w, TAG_CERT, der, der_len);
	ss_tlv_put(&w, TAG_CERTINFO, &info, 1);
	ss_tlv_put(&w, TAG_EDC, NULL, 0);
	rc = DRV_ERR_ARGS;
	if (w.err || w.len != total)
		goto fail;
	if ((rc = put_data(c, buf, total)) == DRV_OK)
		piv_history_add(card, c, ref);
fail:
	free(buf);
	return rc;
}

int
piv_delete_cert(struct drv_card *card, struct ss_chan *c, uint8_t ref)
{
	uint8_t		buf[8];
	struct ss_wr	w;
	uint32_t	tag = piv_cert_tag(ref);

	if (card == NULL || c == NULL || tag == 0)
		return DRV_ERR_ARGS;
	ss_wr_init(&w, buf, sizeof(buf));
	put_head(&w, tag, 0);
	if (w.err || w.len != put_size(0))
		return DRV_ERR_ARGS;
	return put_data(c, buf, w.len);
}
