/*
 * token-emu/yk.c - YubiKey PIV extensions: GET VERSION (FD), GET SERIAL
 * (F8), GET METADATA (F7), ATTEST (F9), IMPORT KEY (FE), SET MANAGEMENT
 * KEY (FF), RESET (FB), SET PIN RETRIES (FA).  A card whose yubikey flag
 * is off answers 6D00 to all of them, like a plain PIV card.
 *
 * Status words where Yubico's documentation is silent:
 * - GET METADATA: P1 not 00 or P2 not a key, PIN, PUK or 9B: 6A86; empty
 *   slot 6A88.
 * - ATTEST: P1 not an attestable slot (F9 itself included) or P2 not 00:
 *   6A86; empty slot or no F9 key 6A88; imported key 6A80.
 * - IMPORT KEY: bad slot 6A86, every size, tag or consistency error 6A80.
 * - SET MANAGEMENT KEY: P1 not FF or P2 not FF/FE/FD 6A86.
 * - SET PIN RETRIES: counts outside 1..15 6A86 (63Cx cannot show more).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "reader/tlv.h"
#include "reader/wipe.h"
#include "emu_crypto.h"
#include "handlers.h"

#define KEY_REF_PIN		0x80
#define KEY_REF_PUK		0x81
#define KEY_REF_MGMT		0x9b
#define KEY_REF_ATTEST		0xf9
#define OBJ_ATTEST_CERT		0x5fff01
#define TAG_CERT		0x70

#define TAG_META_ALG		0x01
#define TAG_META_POLICY		0x02
#define TAG_META_ORIGIN		0x03
#define TAG_META_PUBKEY		0x04
#define TAG_META_DEFAULT	0x05
#define TAG_META_RETRIES	0x06
#define META_ALG_PIN		0xff

#define TAG_IMPORT_FIRST	0x01	/* 01..05 RSA CRT parts */
#define TAG_IMPORT_EC		0x06
#define TAG_IMPORT_ED25519	0x07
#define TAG_IMPORT_X25519	0x08
#define IMPORT_NTAGS		8
#define TAG_PIN_POLICY		0xaa
#define TAG_TOUCH_POLICY	0xab

#define PIN_TRIES_MAX		15	/* what 63Cx can report */
#define PUBKEY_BARE_MAX		(EMU_RSA_MAX_BYTES + 16)

#define OID_YK_FIRMWARE		"1.3.6.1.4.1.41482.3.3"
#define OID_YK_SERIAL		"1.3.6.1.4.1.41482.3.7"
#define OID_YK_POLICY		"1.3.6.1.4.1.41482.3.8"
#define OID_YK_FORM_FACTOR	"1.3.6.1.4.1.41482.3.9"
#define YK_FORM_USB_A_KEYCHAIN	0x01

static const uint8_t default_mgmt_key[24] = {
	1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8,
};

/* ---- FD, F8 ---- */

uint16_t
emu_yk_version(struct emu_ctx *ctx, const struct ss_apdu *a,
    struct ss_wr *out)
{
	(void)a;
	if (!ctx->card->yubikey)
		return SS_SW_INS_NOT_SUPPORTED;
	if (ss_wr_bytes(out, ctx->card->version,
	    sizeof(ctx->card->version)) < 0)
		return SS_SW_UNKNOWN;
	return SS_SW_OK;
}

uint16_t
emu_yk_serial(struct emu_ctx *ctx, const struct ss_apdu *a,
    struct ss_wr *out)
{
	(void)a;
	if (!ctx->card->yubikey)
		return SS_SW_INS_NOT_SUPPORTED;
	if (ss_wr_u32be(out, ctx->card->serial) < 0)
		return SS_SW_UNKNOWN;
	return SS_SW_OK;
}

/* ---- F7 GET METADATA ---- */

static int
meta_put_u8(struct ss_wr *out, uint32_t tag, uint8_t v)
{
	return ss_tlv_put(out, tag, &v, 1);
}

static int
meta_put_u8x2(struct ss_wr *out, uint32_t tag, uint8_t v0, uint8_t v1)
{
	uint8_t v[2] = { v0, v1 };

	return ss_tlv_put(out, tag, v, sizeof(v));
}

static uint16_t
meta_pin(struct ss_wr *out, bool is_default, uint8_t max, uint8_t left)
{
	if (meta_put_u8(out, TAG_META_ALG, META_ALG_PIN) < 0 ||
	    meta_put_u8(out, TAG_META_DEFAULT, is_default ? 1 : 0) < 0 ||
	    meta_put_u8x2(out, TAG_META_RETRIES, max, left) < 0)
		return SS_SW_UNKNOWN;
	return SS_SW_OK;
}

static uint16_t
meta_mgmt(const struct emu_card *card, struct ss_wr *out)
{
	if (meta_put_u8(out, TAG_META_ALG, card->mgmt_alg) < 0 ||
	    meta_put_u8x2(out, TAG_META_POLICY, EMU_PIN_POLICY_DEFAULT,
	    card->mgmt_touch_policy) < 0 ||
	    meta_put_u8(out, TAG_META_DEFAULT,
	    card->mgmt_is_default ? 1 : 0) < 0)
		return SS_SW_UNKNOWN;
	return SS_SW_OK;
}

static uint16_t
meta_key(const struct emu_key *key, struct ss_wr *out)
{
	uint8_t		pub[PUBKEY_BARE_MAX];
	struct ss_wr	pw;

	if (key->pkey == NULL || key->alg == 0)
		return SS_SW_REF_NOT_FOUND;
	ss_wr_init(&pw, pub, sizeof(pub));
	if (emu_pubkey_put(&pw, key->pkey, false) < 0 ||
	    meta_put_u8(out, TAG_META_ALG, key->alg) < 0 ||
	    meta_put_u8x2(out, TAG_META_POLICY, key->pin_policy,
	    key->touch_policy) < 0 ||
	    meta_put_u8(out, TAG_META_ORIGIN, key->origin) < 0 ||
	    ss_tlv_put(out, TAG_META_PUBKEY, pub, pw.len) < 0)
		return SS_SW_UNKNOWN;
	return SS_SW_OK;
}

uint16_t
emu_yk_metadata(struct emu_ctx *ctx, const struct ss_apdu *a,
    struct ss_wr *out)
{
	struct emu_card	*card = ctx->card;
	struct emu_key	*key;

	if (!card->yubikey)
		return SS_SW_INS_NOT_SUPPORTED;
	if (a->p1 != 0x00)
		return SS_SW_INCORRECT_P1P2;
	switch (a->p2) {
	case KEY_REF_PIN:
		return meta_pin(out, card->pin_is_default, card->pin_tries_max,
		    card->pin_tries_left);
	case KEY_REF_PUK:
		return meta_pin(out, card->puk_is_default, card->puk_tries_max,
		    card->puk_tries_left);
	case KEY_REF_MGMT:
		return meta_mgmt(card, out);
	default:
		break;
	}
	if ((key = emu_card_key(card, a->p2)) == NULL)
		return SS_SW_INCORRECT_P1P2;
	return meta_key(key, out);
}

/* ---- F9 ATTEST ---- */

/* the F9 certificate from object 5FFF01 (53 { 70 cert, ... }), if any */
static X509 *
attest_issuer_cert(const struct emu_card *card)
{
	const struct emu_object	*obj;
	const unsigned char	*p;
	struct ss_tlv		 t;

	if ((obj = emu_card_obj(card, OBJ_ATTEST_CERT)) == NULL ||
	    ss_tlv_find(obj->data, obj->len, TAG_CERT, &t) < 0 ||
	    t.len == 0 || t.len > EMU_OBJ_MAX)
		return NULL;
	p = t.val;
	return d2i_X509(NULL, &p, (long)t.len);
}

static int
attest_ext(X509 *x, const char *oid, const uint8_t *v, size_t len)
{
	ASN1_OBJECT		*obj = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING	*os = ASN1_OCTET_STRING_new();
	X509_EXTENSION		*ext = NULL;
	int			 rc = -1;

	if (obj != NULL && os != NULL &&
	    ASN1_OCTET_STRING_set(os, v, (int)len) == 1 &&
	    (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) != NULL &&
	    X509_add_ext(x, ext, -1) == 1)
		rc = 0;
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	return rc;
}

static int
attest_serial_ext(X509 *x, uint32_t serial)
{
	ASN1_INTEGER	*ai = ASN1_INTEGER_new();
	unsigned char	*der = NULL;
	int		 len, rc = -1;

	if (ai != NULL && ASN1_INTEGER_set_uint64(ai, serial) == 1 &&
	    (len = i2d_ASN1_INTEGER(ai, &der)) > 0)
		rc = attest_ext(x, OID_YK_SERIAL, der, (size_t)len);
	OPENSSL_free(der);
	ASN1_INTEGER_free(ai);
	return rc;
}

static int
attest_extensions(X509 *x, const struct emu_card *card,
    const struct emu_key *key)
{
	uint8_t policy[2] = { key->pin_policy, key->touch_policy };
	uint8_t form = YK_FORM_USB_A_KEYCHAIN;

	if (attest_ext(x, OID_YK_FIRMWARE, card->version,
	    sizeof(card->version)) < 0 ||
	    attest_serial_ext(x, card->serial) < 0 ||
	    attest_ext(x, OID_YK_POLICY, policy, sizeof(policy)) < 0 ||
	    attest_ext(x, OID_YK_FORM_FACTOR, &form, 1) < 0)
		return -1;
	return 0;
}

static int
attest_names(X509 *x, const X509 *issuer, uint8_t ref)
{
	X509_NAME	*subj = X509_get_subject_name(x);
	char		 cn[64];
	int		 ok;

	snprintf(cn, sizeof(cn), "YubiKey PIV Attestation %02x", ref);
	if (X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) != 1)
		return -1;
	if (issuer != NULL)
		ok = X509_set_issuer_name(x, X509_get_subject_name(issuer)) &&
		    X509_set1_notBefore(x, X509_get0_notBefore(issuer)) &&
		    X509_set1_notAfter(x, X509_get0_notAfter(issuer));
	else
		ok = X509_NAME_add_entry_by_txt(X509_get_issuer_name(x), "CN",
		    MBSTRING_ASC, (const unsigned char *)
		    "smartsign emulated PIV Attestation", -1, -1, 0) &&
		    X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL &&
		    ASN1_TIME_set_string(X509_getm_notAfter(x),
		    "99991231235959Z") == 1;
	return ok ? 0 : -1;
}

static int
attest_serial(X509 *x)
{
	uint8_t	 rnd[16];
	BIGNUM	*bn = NULL;
	int	 rc = -1;

	if (emu_rand(rnd, sizeof(rnd)) < 0)
		return -1;
	rnd[0] = (uint8_t)((rnd[0] & 0x7f) | 0x40);	/* positive, 16 bytes */
	if ((bn = BN_bin2bn(rnd, sizeof(rnd), NULL)) != NULL &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL)
		rc = 0;
	BN_free(bn);
	return rc;
}

static const EVP_MD *
attest_md(uint8_t alg)
{
	return alg == PIV_ALG_ED25519 ? NULL : EVP_sha256();
}

static X509 *
attest_build(const struct emu_card *card, const struct emu_key *key,
    const struct emu_key *ak)
{
	X509	*issuer = attest_issuer_cert(card);
	X509	*x = X509_new();

	if (x == NULL || X509_set_version(x, 2) != 1 || attest_serial(x) < 0 ||
	    attest_names(x, issuer, key->ref) < 0 ||
	    X509_set_pubkey(x, key->pkey) != 1 ||
	    attest_extensions(x, card, key) < 0 ||
	    X509_sign(x, ak->pkey, attest_md(ak->alg)) <= 0) {
		X509_free(x);
		x = NULL;
	}
	X509_free(issuer);
	return x;
}

uint16_t
emu_yk_attest(struct emu_ctx *ctx, const struct ss_apdu *a,
    struct ss_wr *out)
{
	struct emu_card	*card = ctx->card;
	struct emu_key	*key, *ak;
	unsigned char	*der = NULL;
	X509		*x;
	int		 len;
	uint16_t	 sw = SS_SW_UNKNOWN;

	if (!card->yubikey)
		return SS_SW_INS_NOT_SUPPORTED;
	if (a->p2 != 0x00 || a->p1 == KEY_REF_ATTEST ||
	    (key = emu_card_key(card, a->p1)) == NULL)
		return SS_SW_INCORRECT_P1P2;
	ak = emu_card_key(card, KEY_REF_ATTEST);
	if (key->pkey == NULL || ak == NULL || ak->pkey == NULL)
		return SS_SW_REF_NOT_FOUND;
	if (key->origin != EMU_ORIGIN_GENERATED)
		return SS_SW_WRONG_DATA;
	if ((x = attest_build(card, key, ak)) != NULL) {
		ctx->cnt.keyops++;		/* the F9 key signed */
		ctx->keyop_alg = ak->alg;
		if ((len = i2d_X509(x, &der)) > 0 &&
		    ss_wr_bytes(out, der, (size_t)len) == 0)
			sw = SS_SW_OK;
	}
	OPENSSL_free(der);
	X509_free(x);
	return sw;
}

/* ---- FE IMPORT KEY ---- */

struct import_req {
	struct ss_tlv	 part[IMPORT_NTAGS];	/* tags 01..08 */
	bool		 have[IMPORT_NTAGS];
	bool		 have_pin, have_touch;
	uint8_t		 pin, touch;
};

static int
import_byte(const struct ss_tlv *t, bool *have, uint8_t *v)
{
	if (*have || t->len != 1)
		return -1;
	*have = true;
	*v = t->val[0];
	return 0;
}

static int
import_item(struct import_req *req, const struct ss_tlv *t)
{
	size_t i;

	if (t->tag == TAG_PIN_POLICY)
		return import_byte(t, &req->have_pin, &req->pin);
	if (t->tag == TAG_TOUCH_POLICY)
		return import_byte(t, &req->have_touch, &req->touch);
	if (t->tag < TAG_IMPORT_FIRST ||
	    t->tag >= TAG_IMPORT_FIRST + IMPORT_NTAGS)
		return -1;
	i = t->tag - TAG_IMPORT_FIRST;
	if (req->have[i] || t->len == 0)
		return -1;
	req->have[i] = true;
	req->part[i] = *t;
	return 0;
}

/* exactly the key tags the algorithm needs, each of the right size */
static bool
import_has_exactly(const struct import_req *req, size_t first, size_t n,
    size_t len)
{
	size_t i;

	for (i = 0; i < IMPORT_NTAGS; i++) {
		bool want = i >= first && i < first + n;

		if (req->have[i] != want || (want && req->part[i].len != len))
			return false;
	}
	return true;
}

static EVP_PKEY *
import_key(uint8_t alg, const struct import_req *req)
{
	const uint8_t	*parts[EMU_RSA_CRT_PARTS];
	size_t		 size = emu_alg_size(alg), i, tag;

	if (emu_alg_is_rsa(alg)) {
		if (!import_has_exactly(req, 0, EMU_RSA_CRT_PARTS, size / 2))
			return NULL;
		for (i = 0; i < EMU_RSA_CRT_PARTS; i++)
			parts[i] = req->part[i].val;
		return emu_rsa_from_crt(alg, parts, size / 2);
	}
	if (emu_alg_is_ec(alg))
		tag = TAG_IMPORT_EC;
	else if (alg == PIV_ALG_ED25519)
		tag = TAG_IMPORT_ED25519;
	else if (alg == PIV_ALG_X25519)
		tag = TAG_IMPORT_X25519;
	else
		return NULL;
	i = tag - TAG_IMPORT_FIRST;
	if (!import_has_exactly(req, i, 1, size))
		return NULL;
	return emu_pkey_from_private(alg, req->part[i].val, size);
}

uint16_t
emu_yk_import(struct emu_ctx *ctx, const struct ss_apdu *a,
    struct ss_wr *out)
{
	struct import_req	 req;
	struct ss_tlv		 t;
	struct ss_rd		 r;
	struct emu_key		*key;
	EVP_PKEY		*pkey;
	uint8_t			 pin, touch;

	(void)out;
	if (!ctx->card->yubikey)
		return SS_SW_INS_NOT_SUPPORTED;
	if ((key = emu_card_key(ctx->card, a->p2)) == NULL)
		return SS_SW_INCORRECT_P1P2;
	if (!ctx->sess.mgmt_authed)
		return SS_SW_SECURITY_STATUS;
	memset(&req, 0, sizeof(req));
	ss_rd_init(&r, a->data, a->lc);
	while (ss_rd_left(&r) > 0)
		if (ss_tlv_next(&r, &t) < 0 || import_item(&req, &t) < 0)
			return SS_SW_WRONG_DATA;
	if (r.err || emu_slot_policies(key->ref, req.pin, req.touch, &pin,
	    &touch) < 0 || (pkey = import_key(a->p1, &req)) == NULL)
		return SS_SW_WRONG_DATA;
	emu_slot_install(ctx->card, key, pkey, a->p1, pin, touch,
	    EMU_ORIGIN_IMPORTED);
	return SS_SW_OK;
}

/* ---- FF SET MANAGEMENT KEY ---- */

static int
mgmt_touch(uint8_t p2, uint8_t *touch)
{
	switch (p2) {
	case 0xff:
		*touch = EMU_TOUCH_POLICY_NEVER;
		return 0;
	case 0xfe:
		*touch = EMU_TOUCH_POLICY_ALWAYS;
		return 0;
	case 0xfd:
		*touch = EMU_TOUCH_POLICY_CACHED;
		return 0;
	default:
		return -1;
	}
}

uint16_t
emu_yk_set_mgmt(struct emu_ctx *ctx, const struct ss_apdu *a,
    struct ss_wr *out)
{
	struct emu_card	*card = ctx->card;
	const uint8_t	*key;
	struct ss_rd	 r;
	uint8_t		 alg, ref, len, touch;

	(void)out;
	if (!card->yubikey)
		return SS_SW_INS_NOT_SUPPORTED;
	if (a->p1 != 0xff || mgmt_touch(a->p2, &touch) < 0)
		return SS_SW_INCORRECT_P1P2;
	if (!ctx->sess.mgmt_authed)
		return SS_SW_SECURITY_STATUS;
	ss_rd_init(&r, a->data, a->lc);
	if (ss_rd_u8(&r, &alg) < 0 || ss_rd_u8(&r, &ref) < 0 ||
	    ss_rd_u8(&r, &len) < 0 || ss_rd_ptr(&r, &key, len) < 0 ||
	    ss_rd_left(&r) != 0 || ref != KEY_REF_MGMT || len == 0 ||
	    len != emu_sym_key_len(alg) || len > sizeof(card->mgmt_key))
		return SS_SW_WRONG_DATA;
	ss_wipe(card->mgmt_key, sizeof(card->mgmt_key));
	memcpy(card->mgmt_key, key, len);
	card->mgmt_key_len = len;
	card->mgmt_alg = alg;
	card->mgmt_touch_policy = touch;
	card->mgmt_is_default = len == sizeof(default_mgmt_key) &&
	    memcmp(key, default_mgmt_key, len) == 0;
	card->dirty = true;
	return SS_SW_OK;
}

/* ---- FB RESET ---- */

/*
 * Factory state, keeping what a YubiKey keeps: identity (serial, version,
 * ATR, yubikey flag), the card file path, and the attestation key F9 with
 * its certificate 5FFF01 (a PIV reset does not erase them on a YubiKey).
 */
struct yk_keep {
	char		*path;
	uint32_t	 serial;
	uint8_t		 version[3];
	uint8_t		 atr[33];
	size_t		 atr_len;
	bool		 yubikey;
	struct emu_key	 attest;
	uint8_t		*attest_cert;
	size_t		 attest_cert_len;
};

static void
yk_keep_take(struct emu_card *card, struct yk_keep *k)
{
	const struct emu_object	*obj = emu_card_obj(card, OBJ_ATTEST_CERT);
	struct emu_key		*ak = emu_card_key(card, KEY_REF_ATTEST);

	memset(k, 0, sizeof(*k));
	k->path = card->path;
	card->path = NULL;
	k->serial = card->serial;
	memcpy(k->version, card->version, sizeof(k->version));
	memcpy(k->atr, card->atr, sizeof(k->atr));
	k->atr_len = card->atr_len;
	k->yubikey = card->yubikey;
	if (ak != NULL) {
		k->attest = *ak;
		ak->pkey = NULL;
	}
	if (obj != NULL && obj->len > 0 &&
	    (k->attest_cert = malloc(obj->len)) != NULL) {
		memcpy(k->attest_cert, obj->data, obj->len);
		k->attest_cert_len = obj->len;
	}
}

static void
yk_keep_give(struct emu_card *card, struct yk_keep *k)
{
	struct emu_key *ak = emu_card_key(card, KEY_REF_ATTEST);

	card->path = k->path;
	card->serial = k->serial;
	memcpy(card->version, k->version, sizeof(card->version));
	memcpy(card->atr, k->atr, sizeof(card->atr));
	card->atr_len = k->atr_len;
	card->yubikey = k->yubikey;
	if (ak != NULL && k->attest.pkey != NULL)
		*ak = k->attest;
	else
		EVP_PKEY_free(k->attest.pkey);
	if (k->attest_cert != NULL)
		(void)emu_card_obj_set(card, OBJ_ATTEST_CERT, k->attest_cert,
		    k->attest_cert_len);
	free(k->attest_cert);
	memset(k, 0, sizeof(*k));
}

static void
yk_session_logout(struct emu_session *s)
{
	s->pin_verified = false;
	s->pin_always_ok = false;
	s->mgmt_authed = false;
	s->mgmt_state = 0;
	ss_wipe(s->mgmt_expect, sizeof(s->mgmt_expect));
	s->mgmt_expect_len = 0;
}

uint16_t
emu_yk_reset(struct emu_ctx *ctx, const struct ss_apdu *a, struct ss_wr *out)
{
	struct emu_card	*card = ctx->card;
	struct yk_keep	 keep;

	(void)a;
	(void)out;
	if (!card->yubikey)
		return SS_SW_INS_NOT_SUPPORTED;
	if (card->pin_tries_left != 0 || card->puk_tries_left != 0)
		return SS_SW_CONDITIONS;
	yk_keep_take(card, &keep);
	emu_card_free(card);
	emu_card_init_empty(card);
	yk_keep_give(card, &keep);
	yk_session_logout(&ctx->sess);
	card->dirty = true;
	return SS_SW_OK;
}

/* ---- FA SET PIN RETRIES ---- */

uint16_t
emu_yk_set_retries(struct emu_ctx *ctx, const struct ss_apdu *a,
    struct ss_wr *out)
{
	struct emu_card *card = ctx->card;

	(void)out;
	if (!card->yubikey)
		return SS_SW_INS_NOT_SUPPORTED;
	if (!ctx->sess.mgmt_authed || !ctx->sess.pin_verified)
		return SS_SW_SECURITY_STATUS;
	if (a->p1 == 0 || a->p1 > PIN_TRIES_MAX || a->p2 == 0 ||
	    a->p2 > PIN_TRIES_MAX)
		return SS_SW_INCORRECT_P1P2;
	memset(card->pin, 0xff, sizeof(card->pin));
	memcpy(card->pin, "123456", 6);
	memcpy(card->puk, "12345678", 8);
	card->pin_tries_max = card->pin_tries_left = a->p1;
	card->puk_tries_max = card->puk_tries_left = a->p2;
	card->pin_is_default = card->puk_is_default = true;
	card->dirty = true;
	return SS_SW_OK;
}
