/*
 * pkcs11/mech_verify.c - software verification (C_Verify) with OpenSSL.
 *
 * PKCS#1 v1.5 and X.509 raw: the signature is raised to e (no padding)
 * and compared, in constant time, with the block mech_format() builds
 * for the same input (RFC 8017 8.2.2: encode and compare).  PSS: OpenSSL
 * verifies with the parameters' hash, MGF1 hash and exact salt length.
 * ECDSA: r || s is turned into DER and OpenSSL verifies the hash.
 * EdDSA: OpenSSL verifies the 64-byte signature over the message.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rsa.h>

#include "reader/buf.h"
#include "reader/tlv.h"
#include "reader/wipe.h"
#include "mech_priv.h"

#define TAG_SEQUENCE	0x30u
#define TAG_INTEGER	0x02u
#define EC_FIELD_MAX	66	/* P-521, the largest OpenSSL knows */
#define ECDSA_DER_MAX	(2 * (EC_FIELD_MAX + 4) + 4)

static int
key_from_pub(EVP_PKEY *pub, struct mech_key *mk)
{
	int bits = EVP_PKEY_get_bits(pub);

	memset(mk, 0, sizeof(*mk));
	if (bits <= 0)
		return CKR_KEY_TYPE_INCONSISTENT;
	switch (EVP_PKEY_get_base_id(pub)) {
	case EVP_PKEY_RSA:
		mk->type = DRV_KEY_RSA;
		break;
	case EVP_PKEY_EC:
		mk->type = DRV_KEY_EC;
		break;
	case EVP_PKEY_ED25519:
		mk->type = DRV_KEY_ED25519;
		break;
	default:
		return CKR_KEY_TYPE_INCONSISTENT;
	}
	mk->bits = (unsigned)bits;
	mk->pub = pub;
	return CKR_OK;
}

/* sig^e mod n, k bytes (no padding removed). */
static int
rsa_recover(EVP_PKEY *pub, const uint8_t *sig, size_t k, uint8_t *out)
{
	EVP_PKEY_CTX	*ctx = EVP_PKEY_CTX_new(pub, NULL);
	size_t		 n = k;
	int		 rc = CKR_SIGNATURE_INVALID;

	if (ctx == NULL)
		return CKR_HOST_MEMORY;
	if (EVP_PKEY_verify_recover_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1 &&
	    EVP_PKEY_verify_recover(ctx, out, &n, sig, k) == 1 && n <= k) {
		memmove(out + k - n, out, n);
		memset(out, 0, k - n);
		rc = CKR_OK;
	}
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static int
verify_encoded(const struct mech_def *d, const struct mech_key *mk,
    const uint8_t *in, size_t in_len, const uint8_t *sig)
{
	uint8_t		 want[MECH_RSA_MAX], got[MECH_RSA_MAX];
	struct mech_pss	 none;
	size_t		 k = mech_key_bytes(mk), wl = sizeof(want);
	int		 rc;

	memset(&none, 0, sizeof(none));
	if (k > MECH_RSA_MAX)
		return CKR_KEY_TYPE_INCONSISTENT;
	if ((rc = mech_format(d, mk, &none, in, in_len, want, &wl)) !=
	    CKR_OK)
		return rc;
	if ((rc = rsa_recover(mk->pub, sig, k, got)) == CKR_OK &&
	    (wl != k || CRYPTO_memcmp(want, got, k) != 0))
		rc = CKR_SIGNATURE_INVALID;
	ss_wipe(got, sizeof(got));
	return rc;
}

static int
verify_pss(const struct mech_key *mk, const struct mech_pss *pss,
    const uint8_t *in, size_t in_len, const uint8_t *sig, size_t siglen)
{
	EVP_PKEY_CTX	*ctx;
	int		 rc = CKR_HOST_MEMORY;

	if (in_len != (size_t)EVP_MD_get_size(pss->md))
		return CKR_DATA_LEN_RANGE;
	if ((ctx = EVP_PKEY_CTX_new(mk->pub, NULL)) == NULL)
		return rc;
	if (EVP_PKEY_verify_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, pss->md) == 1 &&
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, pss->mgf_md) == 1 &&
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, (int)pss->slen) == 1)
		rc = EVP_PKEY_verify(ctx, sig, siglen, in, in_len) == 1 ?
		    CKR_OK : CKR_SIGNATURE_INVALID;
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* One unsigned big-endian number as a DER INTEGER. */
static void
der_uint(struct ss_wr *w, const uint8_t *p, size_t n)
{
	while (n > 1 && p[0] == 0) {
		p++;
		n--;
	}
	if (p[0] & 0x80) {
		ss_tlv_put_hdr(w, TAG_INTEGER, n + 1);
		ss_wr_u8(w, 0x00);
		ss_wr_bytes(w, p, n);
	} else
		ss_tlv_put(w, TAG_INTEGER, p, n);
}

/* r || s (2 * fb bytes) as DER SEQUENCE { r, s }. */
static int
ecdsa_der(const uint8_t *sig, size_t fb, uint8_t *der, size_t cap,
    size_t *der_len)
{
	uint8_t		body[ECDSA_DER_MAX];
	struct ss_wr	w, b;

	ss_wr_init(&b, body, sizeof(body));
	der_uint(&b, sig, fb);
	der_uint(&b, sig + fb, fb);
	ss_wr_init(&w, der, cap);
	if (b.err || ss_tlv_put(&w, TAG_SEQUENCE, body, b.len) < 0)
		return -1;
	*der_len = w.len;
	return 0;
}

static int
verify_ecdsa(const struct mech_key *mk, const uint8_t *in, size_t in_len,
    const uint8_t *sig, size_t siglen)
{
	uint8_t		 der[ECDSA_DER_MAX + 4];
	EVP_PKEY_CTX	*ctx;
	size_t		 fb = mech_key_bytes(mk), der_len = 0;
	int		 rc = CKR_HOST_MEMORY;

	if (siglen != 2 * fb || fb > EC_FIELD_MAX)
		return CKR_SIGNATURE_LEN_RANGE;
	if (in_len == 0 || in_len > MECH_HASH_MAX)
		return CKR_DATA_LEN_RANGE;
	if (ecdsa_der(sig, fb, der, sizeof(der), &der_len) < 0)
		return CKR_SIGNATURE_INVALID;
	if ((ctx = EVP_PKEY_CTX_new(mk->pub, NULL)) == NULL)
		return rc;
	if (EVP_PKEY_verify_init(ctx) == 1)
		rc = EVP_PKEY_verify(ctx, der, der_len, in, in_len) == 1 ?
		    CKR_OK : CKR_SIGNATURE_INVALID;
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static int
verify_eddsa(const struct mech_key *mk, const uint8_t *in, size_t in_len,
    const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX	*ctx;
	int		 rc = CKR_HOST_MEMORY;

	if (siglen != 2 * mech_key_bytes(mk))
		return CKR_SIGNATURE_LEN_RANGE;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return rc;
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, mk->pub) == 1)
		rc = EVP_DigestVerify(ctx, sig, siglen, in, in_len) == 1 ?
		    CKR_OK : CKR_SIGNATURE_INVALID;
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* in: the digest for hashing mechanisms, else the data. */
static int
verify_in(const struct mech_def *d, const struct mech_key *mk,
    const struct mech_pss *pss, const uint8_t *in, size_t in_len,
    const uint8_t *sig, size_t siglen)
{
	if (d->kind == MK_ECDSA)
		return verify_ecdsa(mk, in, in_len, sig, siglen);
	if (d->kind == MK_EDDSA)
		return verify_eddsa(mk, in, in_len, sig, siglen);
	if (siglen != mech_key_bytes(mk))
		return CKR_SIGNATURE_LEN_RANGE;
	if (d->kind == MK_RSA_PSS)
		return verify_pss(mk, pss, in, in_len, sig, siglen);
	return verify_encoded(d, mk, in, in_len, sig);
}

static int
verify_setup(const CK_MECHANISM *m, EVP_PKEY *pub, const uint8_t *sig,
    struct mech_key *mk, const struct mech_def **d, struct mech_pss *pss)
{
	int rc;

	if (m == NULL || pub == NULL || sig == NULL)
		return CKR_ARGUMENTS_BAD;
	if (mech_find(m->mechanism) == NULL)
		return CKR_MECHANISM_INVALID;
	if ((rc = key_from_pub(pub, mk)) != CKR_OK)
		return rc;
	return mech_prep_check(m, mk, d, pss);
}

int
mech_verify(const CK_MECHANISM *m, EVP_PKEY *pub, const uint8_t *data,
    size_t len, const uint8_t *sig, size_t siglen)
{
	const struct mech_def	*d = NULL;
	struct mech_key		 mk;
	struct mech_pss		 pss;
	uint8_t			 hash[MECH_HASH_MAX];
	size_t			 hlen = 0;
	int			 rc;

	if (data == NULL && len > 0)
		return CKR_ARGUMENTS_BAD;
	if ((rc = verify_setup(m, pub, sig, &mk, &d, &pss)) != CKR_OK)
		return rc;
	if (d->hash == 0)
		return verify_in(d, &mk, &pss, data, len, sig, siglen);
	if ((rc = mech_digest(mech_hash_md(d->hash), data, len, hash,
	    &hlen)) != CKR_OK)
		return rc;
	return verify_in(d, &mk, &pss, hash, hlen, sig, siglen);
}

int
mech_verify_digest(const CK_MECHANISM *m, EVP_PKEY *pub,
    const uint8_t *digest, size_t dlen, const uint8_t *sig, size_t siglen)
{
	const struct mech_def	*d = NULL;
	struct mech_key		 mk;
	struct mech_pss		 pss;
	int			 rc;

	if (digest == NULL)
		return CKR_ARGUMENTS_BAD;
	if ((rc = verify_setup(m, pub, sig, &mk, &d, &pss)) != CKR_OK)
		return rc;
	if (d->hash == 0)
		return CKR_MECHANISM_INVALID;
	if (dlen != (size_t)EVP_MD_get_size(mech_hash_md(d->hash)))
		return CKR_DATA_LEN_RANGE;
	return verify_in(d, &mk, &pss, digest, dlen, sig, siglen);
}
