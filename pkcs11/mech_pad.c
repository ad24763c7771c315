/*
 * pkcs11/mech_pad.c - the block the card signs (RFC 8017):
 *   PKCS#1 v1.5  00 01 FF..FF 00 T, T = DigestInfo || hash for the
 *                hashing mechanisms, the caller's data for CKM_RSA_PKCS
 *                (at most k - 11 bytes);
 *   EMSA-PSS     with MGF1 (section 9.1.1, B.2.1), the salt from
 *                RAND_bytes, emBits = modBits - 1;
 *   X.509 raw    the data zero-padded on the left, numerically below n;
 *   ECDSA        the hash as it is (the driver fits it to the field);
 *   EdDSA        the message as it is (1 to MECH_EDDSA_MAX bytes).
 * The padding is done on the host because the card only raises to d.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>

#include "reader/wipe.h"
#include "mech_priv.h"

#define PKCS1_MIN_PAD	11	/* 00 01, 8 x FF, 00 */
#define PSS_TRAILER	0xbc
#define PSS_ZEROS	8
#define ECDSA_RAW_MAX	MECH_HASH_MAX

/* DER DigestInfo headers (RFC 8017 section 9.2, note 1). */
static const uint8_t di_sha1[] = {
	0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a,
	0x05, 0x00, 0x04, 0x14,
};
static const uint8_t di_sha224[] = {
	0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
	0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c,
};
static const uint8_t di_sha256[] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
	0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
};
static const uint8_t di_sha384[] = {
	0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
	0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30,
};
static const uint8_t di_sha512[] = {
	0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
	0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40,
};

static const uint8_t *
digest_info(CK_MECHANISM_TYPE hash, size_t *len)
{
	switch (hash) {
	case CKM_SHA_1:
		*len = sizeof(di_sha1);
		return di_sha1;
	case CKM_SHA224:
		*len = sizeof(di_sha224);
		return di_sha224;
	case CKM_SHA256:
		*len = sizeof(di_sha256);
		return di_sha256;
	case CKM_SHA384:
		*len = sizeof(di_sha384);
		return di_sha384;
	case CKM_SHA512:
		*len = sizeof(di_sha512);
		return di_sha512;
	default:
		*len = 0;
		return NULL;
	}
}

int
mech_digest(const EVP_MD *md, const uint8_t *in, size_t len, uint8_t *out,
    size_t *out_len)
{
	unsigned n = 0;

	if (EVP_Digest(in, len, out, &n, md, NULL) != 1)
		return CKR_HOST_MEMORY;
	*out_len = n;
	return CKR_OK;
}

/* 00 01 FF .. FF 00 t (k bytes). */
static int
pkcs1_type1(const uint8_t *t, size_t tlen, size_t k, uint8_t *block)
{
	if (k < PKCS1_MIN_PAD || tlen > k - PKCS1_MIN_PAD)
		return CKR_DATA_LEN_RANGE;
	block[0] = 0x00;
	block[1] = 0x01;
	memset(block + 2, 0xff, k - tlen - 3);
	block[k - tlen - 1] = 0x00;
	if (tlen > 0)	/* raw CKM_RSA_PKCS may sign empty data (t NULL) */
		memcpy(block + k - tlen, t, tlen);
	return CKR_OK;
}

static int
fmt_pkcs1(const struct mech_def *d, size_t k, const uint8_t *in,
    size_t in_len, uint8_t *block)
{
	uint8_t		 t[32 + MECH_HASH_MAX];
	const uint8_t	*di;
	size_t		 dilen;

	if (d->hash == 0)
		return pkcs1_type1(in, in_len, k, block);
	if ((di = digest_info(d->hash, &dilen)) == NULL ||
	    in_len > sizeof(t) - dilen)
		return CKR_MECHANISM_INVALID;
	memcpy(t, di, dilen);
	memcpy(t + dilen, in, in_len);
	return pkcs1_type1(t, dilen + in_len, k, block);
}

/* The block must be numerically below the modulus. */
static int
below_modulus(EVP_PKEY *pub, const uint8_t *block, size_t k)
{
	BIGNUM	*n = NULL, *x = NULL;
	int	 rc = CKR_HOST_MEMORY;

	if (pub == NULL)
		return CKR_OK;
	if (EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
	    (x = BN_bin2bn(block, (int)k, NULL)) == NULL)
		goto fail;
	rc = BN_cmp(x, n) < 0 ? CKR_OK : CKR_DATA_LEN_RANGE;
fail:
	BN_free(n);
	BN_clear_free(x);
	return rc;
}

static int
fmt_x509(const struct mech_key *mk, size_t k, const uint8_t *in,
    size_t in_len, uint8_t *block)
{
	if (in_len > k)
		return CKR_DATA_LEN_RANGE;
	memset(block, 0, k - in_len);
	if (in_len > 0)
		memcpy(block + k - in_len, in, in_len);
	return below_modulus(mk->pub, block, k);
}

/* out ^= MGF1(seed, outlen) */
int
mech_mgf1_xor(const EVP_MD *md, const uint8_t *seed, size_t seedlen,
    uint8_t *out, size_t outlen)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	uint8_t		 h[EVP_MAX_MD_SIZE], cnt[4];
	unsigned	 hl = 0;
	uint32_t	 i;
	size_t		 done = 0, j;
	int		 rc = CKR_HOST_MEMORY;

	for (i = 0; ctx != NULL && done < outlen; i++) {
		cnt[0] = (uint8_t)(i >> 24);
		cnt[1] = (uint8_t)(i >> 16);
		cnt[2] = (uint8_t)(i >> 8);
		cnt[3] = (uint8_t)i;
		if (EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
		    EVP_DigestUpdate(ctx, seed, seedlen) != 1 ||
		    EVP_DigestUpdate(ctx, cnt, sizeof(cnt)) != 1 ||
		    EVP_DigestFinal_ex(ctx, h, &hl) != 1)
			goto fail;
		for (j = 0; j < hl && done < outlen; j++)
			out[done++] ^= h[j];
	}
	if (ctx != NULL)
		rc = CKR_OK;
fail:
	EVP_MD_CTX_free(ctx);
	ss_wipe(h, sizeof(h));
	return rc;
}

/* H = Hash(00 x 8 || mHash || salt) */
static int
pss_hash(const EVP_MD *md, const uint8_t *mhash, size_t hlen,
    const uint8_t *salt, size_t slen, uint8_t *h)
{
	static const uint8_t	 zeros[PSS_ZEROS];
	EVP_MD_CTX		*ctx = EVP_MD_CTX_new();
	int			 rc = CKR_HOST_MEMORY;

	if (ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, zeros, sizeof(zeros)) == 1 &&
	    EVP_DigestUpdate(ctx, mhash, hlen) == 1 &&
	    EVP_DigestUpdate(ctx, salt, slen) == 1 &&
	    EVP_DigestFinal_ex(ctx, h, NULL) == 1)
		rc = CKR_OK;
	EVP_MD_CTX_free(ctx);
	return rc;
}

/*
 * EMSA-PSS-ENCODE into a modulus-sized block: a leading 00 when
 * modBits = 8k + 1 (emLen = k - 1), then maskedDB || H || BC.
 */
int
mech_pss_encode(const struct mech_pss *pss, unsigned mod_bits,
    const uint8_t *mhash, size_t hlen, uint8_t *block)
{
	size_t	 k = (mod_bits + 7) / 8, embits = mod_bits - 1;
	size_t	 emlen = (embits + 7) / 8, dblen, off = k - emlen;
	uint8_t	*db, *h;
	int	 rc;

	if (mod_bits < 2 || hlen != (size_t)EVP_MD_get_size(pss->md) ||
	    emlen < hlen + pss->slen + 2)
		return CKR_MECHANISM_PARAM_INVALID;
	dblen = emlen - hlen - 1;
	memset(block, 0, k);
	db = block + off;
	h = db + dblen;
	db[dblen - pss->slen - 1] = 0x01;
	if (pss->slen > 0 &&
	    RAND_bytes(db + dblen - pss->slen, (int)pss->slen) != 1)
		return CKR_HOST_MEMORY;
	if ((rc = pss_hash(pss->md, mhash, hlen, db + dblen - pss->slen,
	    pss->slen, h)) != CKR_OK ||
	    (rc = mech_mgf1_xor(pss->mgf_md, h, hlen, db, dblen)) != CKR_OK)
		return rc;
	db[0] &= (uint8_t)(0xffu >> (8 * emlen - embits));
	block[k - 1] = PSS_TRAILER;
	return CKR_OK;
}

/* The length the formatted block will have, or 0 when in is wrong. */
static size_t
block_size(const struct mech_def *d, const struct mech_key *mk,
    size_t in_len)
{
	if (d->kind == MK_EDDSA)
		return (in_len > 0 && in_len <= MECH_EDDSA_MAX) ? in_len : 0;
	if (d->kind != MK_ECDSA)
		return mech_key_bytes(mk);
	return (in_len > 0 && in_len <= ECDSA_RAW_MAX) ? in_len : 0;
}

int
mech_format(const struct mech_def *d, const struct mech_key *mk,
    const struct mech_pss *pss, const uint8_t *in, size_t in_len,
    uint8_t *block, size_t *block_len)
{
	size_t	need = block_size(d, mk, in_len);
	bool	msg = d->kind == MK_ECDSA || d->kind == MK_EDDSA;

	if (need == 0 || (!msg && need > MECH_RSA_MAX))
		return msg ? CKR_DATA_LEN_RANGE : CKR_KEY_TYPE_INCONSISTENT;
	if (d->kind == MK_RSA_PSS &&
	    in_len != (size_t)EVP_MD_get_size(pss->md))
		return CKR_DATA_LEN_RANGE;
	if (block == NULL || *block_len < need) {
		*block_len = need;
		return CKR_BUFFER_TOO_SMALL;
	}
	*block_len = need;
	switch (d->kind) {
	case MK_RSA_PKCS:
		return fmt_pkcs1(d, need, in, in_len, block);
	case MK_RSA_X509:
		return fmt_x509(mk, need, in, in_len, block);
	case MK_RSA_PSS:
		return mech_pss_encode(pss, mk->bits, in, in_len, block);
	case MK_ECDSA:
	case MK_EDDSA:
		memcpy(block, in, in_len);
		return CKR_OK;
	default:
		return CKR_MECHANISM_INVALID;
	}
}

static void
key_from_drv(const struct drv_key *k, struct mech_key *mk)
{
	mk->type = k->type;
	mk->bits = k->bits;
	mk->pub = k->pub;
}

int
mech_sign_prepare(const CK_MECHANISM *m, const struct drv_key *k,
    const uint8_t *data, size_t len, uint8_t *block, size_t *block_len)
{
	const struct mech_def	*d = NULL;
	struct mech_key		 mk;
	struct mech_pss		 pss;
	uint8_t			 hash[MECH_HASH_MAX];
	size_t			 hlen = 0;
	int			 rc;

	if (m == NULL || k == NULL || block_len == NULL ||
	    (data == NULL && len > 0))
		return CKR_ARGUMENTS_BAD;
	key_from_drv(k, &mk);
	if ((rc = mech_prep_check(m, &mk, &d, &pss)) != CKR_OK)
		return rc;
	if (d->hash == 0)
		return mech_format(d, &mk, &pss, data, len, block, block_len);
	if ((rc = mech_digest(mech_hash_md(d->hash), data, len, hash,
	    &hlen)) == CKR_OK)
		rc = mech_format(d, &mk, &pss, hash, hlen, block, block_len);
	ss_wipe(hash, sizeof(hash));
	return rc;
}

int
mech_sign_prepare_digest(const CK_MECHANISM *m, const struct drv_key *k,
    const uint8_t *digest, size_t dlen, uint8_t *block, size_t *block_len)
{
	const struct mech_def	*d = NULL;
	struct mech_key		 mk;
	struct mech_pss		 pss;
	int			 rc;

	if (m == NULL || k == NULL || block_len == NULL || digest == NULL)
		return CKR_ARGUMENTS_BAD;
	key_from_drv(k, &mk);
	if ((rc = mech_prep_check(m, &mk, &d, &pss)) != CKR_OK)
		return rc;
	if (d->hash == 0)
		return CKR_MECHANISM_INVALID;
	if (dlen != (size_t)EVP_MD_get_size(mech_hash_md(d->hash)))
		return CKR_DATA_LEN_RANGE;
	return mech_format(d, &mk, &pss, digest, dlen, block, block_len);
}
