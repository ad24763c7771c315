/*
 * pkcs11/piv_meta.c - YubiKey GET METADATA (00 F7 00 ref), firmware 5.3+.
 *
 * Key references answer a flat list of TLVs: 01 algorithm, 02 policy
 * (PIN, touch), 03 origin, 04 public key (81 modulus, 82 exponent for
 * RSA; 86 point for EC and 25519).  The PIN (80) answers 06 (tries max,
 * tries left) among others.  Unknown tags are skipped; a public key that
 * does not match the algorithm, or a point off the curve, is rejected.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "reader/buf.h"
#include "reader/tlv.h"
#include "piv_priv.h"

#define TAG_ALG		0x01u
#define TAG_POLICY	0x02u
#define TAG_ORIGIN	0x03u
#define TAG_PUBKEY	0x04u
#define TAG_RETRIES	0x06u
#define TAG_RSA_N	0x81u
#define TAG_RSA_E	0x82u
#define TAG_POINT	0x86u
#define META_MAX	1024	/* RSA-4096: 512-byte modulus + headers */
#define X25519_LEN	32

static int
tlv_u8(const struct ss_tlv *t, uint8_t *v)
{
	struct ss_rd r;

	ss_rd_init(&r, t->val, t->len);
	return t->len >= 1 ? ss_rd_u8(&r, v) : -1;
}

static EVP_PKEY *
pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	EVP_PKEY_CTX	*ctx = NULL;
	OSSL_PARAM	*params = NULL;
	EVP_PKEY	*pk = NULL;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pk;
}

static EVP_PKEY *
pub_rsa(const struct ss_tlv *pubkey)
{
	OSSL_PARAM_BLD	*bld = NULL;
	BIGNUM		*n = NULL, *e = NULL;
	EVP_PKEY	*pk = NULL;
	struct ss_tlv	 tn, te;

	if (ss_tlv_find(pubkey->val, pubkey->len, TAG_RSA_N, &tn) < 0 ||
	    ss_tlv_find(pubkey->val, pubkey->len, TAG_RSA_E, &te) < 0 ||
	    tn.len == 0 || tn.len > PIV_RSA_MAX_BYTES || te.len == 0 ||
	    te.len > 8)
		return NULL;
	if ((n = BN_bin2bn(tn.val, (int)tn.len, NULL)) == NULL ||
	    (e = BN_bin2bn(te.val, (int)te.len, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)
		goto fail;
	pk = pkey_fromdata("RSA", bld);
fail:
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pk;
}

static EVP_PKEY *
pub_ec(const struct ss_tlv *pubkey, const char *group, size_t field)
{
	OSSL_PARAM_BLD	*bld = NULL;
	EVP_PKEY	*pk = NULL;
	struct ss_tlv	 t;

	if (ss_tlv_find(pubkey->val, pubkey->len, TAG_POINT, &t) < 0 ||
	    t.len != 2 * field + 1)
		return NULL;
	if ((bld = OSSL_PARAM_BLD_new()) != NULL &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, 0) == 1 &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    t.val, t.len) == 1)
		pk = pkey_fromdata("EC", bld);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

static EVP_PKEY *
pub_25519(const struct ss_tlv *pubkey, int type)
{
	struct ss_tlv t;

	if (ss_tlv_find(pubkey->val, pubkey->len, TAG_POINT, &t) < 0 ||
	    t.len != X25519_LEN)
		return NULL;
	return EVP_PKEY_new_raw_public_key(type, NULL, t.val, t.len);
}

static EVP_PKEY *
pub_build(uint8_t alg, const struct ss_tlv *pubkey)
{
	switch (alg) {
	case PIV_ALG_RSA1024:
	case PIV_ALG_RSA2048:
	case PIV_ALG_RSA3072:
	case PIV_ALG_RSA4096:
		return pub_rsa(pubkey);
	case PIV_ALG_ECCP256:
		return pub_ec(pubkey, "prime256v1", 32);
	case PIV_ALG_ECCP384:
		return pub_ec(pubkey, "secp384r1", 48);
	case PIV_ALG_ED25519:
		return pub_25519(pubkey, EVP_PKEY_ED25519);
	case PIV_ALG_X25519:
		return pub_25519(pubkey, EVP_PKEY_X25519);
	default:
		return NULL;
	}
}

/* The size the algorithm promises: RSA modulus or field bits. */
static unsigned
alg_bits(uint8_t alg)
{
	switch (alg) {
	case PIV_ALG_RSA1024:
		return 1024;
	case PIV_ALG_RSA2048:
		return 2048;
	case PIV_ALG_RSA3072:
		return 3072;
	case PIV_ALG_RSA4096:
		return 4096;
	case PIV_ALG_ECCP384:
		return 384;
	default:
		return 256;
	}
}

/* Keep the public key only if it is what the algorithm says. */
static void
meta_pub(struct piv_meta *m, const struct ss_tlv *pubkey)
{
	enum drv_key_type	type;
	unsigned		bits = 0;

	if ((m->pub = pub_build(m->alg, pubkey)) == NULL)
		return;
	if (piv_key_classify(m->pub, &type, &bits) < 0 ||
	    bits != alg_bits(m->alg)) {
		EVP_PKEY_free(m->pub);
		m->pub = NULL;
	}
}

int
piv_meta_parse(const uint8_t *p, size_t len, struct piv_meta *m)
{
	struct ss_rd	r;
	struct ss_tlv	t, pubkey;
	bool		have_pub = false;

	memset(m, 0, sizeof(*m));
	memset(&pubkey, 0, sizeof(pubkey));
	ss_rd_init(&r, p, len);
	while (ss_rd_left(&r) > 0) {
		if (ss_tlv_next(&r, &t) < 0)
			return -1;
		if (t.tag == TAG_ALG && tlv_u8(&t, &m->alg) < 0)
			return -1;
		if (t.tag == TAG_POLICY && tlv_u8(&t, &m->pin_policy) < 0)
			return -1;
		if (t.tag == TAG_ORIGIN && tlv_u8(&t, &m->origin) < 0)
			return -1;
		if (t.tag == TAG_PUBKEY) {
			pubkey = t;
			have_pub = true;
		}
	}
	if (have_pub)
		meta_pub(m, &pubkey);
	return 0;
}

void
piv_meta_clear(struct piv_meta *m)
{
	if (m == NULL)
		return;
	EVP_PKEY_free(m->pub);
	memset(m, 0, sizeof(*m));
}

static int
meta_get(struct ss_chan *c, uint8_t ref, uint8_t *buf, size_t cap,
    size_t *len)
{
	struct ss_apdu	a;
	uint16_t	sw = 0;
	int		rc;

	piv_apdu_init(&a, PIV_INS_YK_METADATA, 0x00, ref, NULL, 0, true);
	piv_apdu_want_all(c, &a);
	if ((rc = piv_transmit(c, &a, 0, buf, cap, len, &sw)) != DRV_OK)
		return rc;
	return piv_sw_to_drv(sw);
}

int
piv_meta_read(struct ss_chan *c, uint8_t ref, struct piv_meta *m)
{
	uint8_t	buf[META_MAX];
	size_t	len = 0;
	int	rc;

	memset(m, 0, sizeof(*m));
	if ((rc = meta_get(c, ref, buf, sizeof(buf), &len)) != DRV_OK)
		return rc;
	if (piv_meta_parse(buf, len, m) < 0) {
		piv_meta_clear(m);
		return DRV_ERR_DEVICE;
	}
	return DRV_OK;
}

/* PIN (80): 06 { max, left }. */
int
piv_meta_pin_tries(struct ss_chan *c, int *max, int *left)
{
	uint8_t		buf[64];
	struct ss_tlv	t;
	struct ss_rd	r;
	uint8_t		mx, lf;
	size_t		len = 0;
	int		rc;

	if ((rc = meta_get(c, PIV_REF_PIN, buf, sizeof(buf), &len)) !=
	    DRV_OK)
		return rc;
	if (ss_tlv_find(buf, len, TAG_RETRIES, &t) < 0 || t.len != 2)
		return DRV_ERR_DEVICE;
	ss_rd_init(&r, t.val, t.len);
	if (ss_rd_u8(&r, &mx) < 0 || ss_rd_u8(&r, &lf) < 0)
		return DRV_ERR_DEVICE;
	*max = mx;
	*left = lf;
	return DRV_OK;
}

/* 7F49 of GENERATE ASYMMETRIC KEY PAIR holds what tag 04 holds here. */
EVP_PKEY *
piv_meta_pubkey(uint8_t alg, const uint8_t *p, size_t len)
{
	struct piv_meta	m;
	struct ss_tlv	t;

	memset(&m, 0, sizeof(m));
	t.tag = TAG_PUBKEY;
	t.val = p;
	t.len = len;
	m.alg = alg;
	meta_pub(&m, &t);
	return m.pub;
}
