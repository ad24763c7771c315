/*
 * pkcs11/mech_unpad.c - RSA decryption on the host side: the mechanism
 * checks for C_DecryptInit and the removal of the padding from the raw
 * block the card returns (m = c^d mod n, k bytes):
 *   CKM_RSA_PKCS       EME-PKCS1-v1_5 (RFC 8017 7.2.2 step 3):
 *                      00 02 PS(>= 8 non-zero) 00 M
 *   CKM_RSA_PKCS_OAEP  EME-OAEP (RFC 8017 7.1.2 step 3) with any SHA-1 /
 *                      SHA-2 hashAlg, any MGF1 hash, an optional label
 *   CKM_RSA_X_509      the block as it is
 *
 * Constant time: the decoders look at every byte of the block whatever
 * it holds, keep their findings in masks (all ones / all zeros), never
 * branch or index memory on a byte of the block, and move the message
 * to the front of the output with a fixed sequence of masked shifts
 * (log2(k) passes over the whole buffer).  The only branch on the
 * result is the last one, which turns the validity mask into CKR_OK or
 * CKR_ENCRYPTED_DATA_INVALID; every padding failure gives that one code.
 * What OAEP hashes (MGF1 over fixed lengths, the label) does not depend
 * on the block's contents either.
 *
 * Choices where PKCS#11 leaves room:
 * - OAEP source: CKZ_DATA_SPECIFIED with pSourceData (the label), or
 *   0 with no data, which pkcs11-tool and libp11 send for "no label".
 * - Labels up to MECH_LABEL_MAX bytes.
 * - A hash too large for the key (k < 2 hLen + 2) is
 *   CKR_MECHANISM_PARAM_INVALID at C_DecryptInit.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "reader/wipe.h"
#include "mech_priv.h"

#define PKCS1_MIN_PAD	11	/* 00 02, 8 x PS, 00 */
#define PKCS1_PS_MIN	8

/* --- constant-time helpers (masks: 0 or SIZE_MAX) ------------------------ */

/* Keep the compiler from turning mask arithmetic back into branches. */
static size_t
ct_barrier(size_t x)
{
#if defined(__GNUC__)
	__asm__("" : "+r"(x));
#endif
	return x;
}

static size_t
ct_msb(size_t x)
{
	return (size_t)0 - (ct_barrier(x) >> (sizeof(size_t) * 8 - 1));
}

static size_t
ct_is_zero(size_t x)
{
	return ct_msb(~x & (x - 1));
}

static size_t
ct_eq(size_t a, size_t b)
{
	return ct_is_zero(a ^ b);
}

/* a < b (unsigned) */
static size_t
ct_lt(size_t a, size_t b)
{
	return ct_msb(a ^ ((a ^ b) | ((a - b) ^ b)));
}

static size_t
ct_sel(size_t mask, size_t a, size_t b)
{
	return (mask & a) | (~mask & b);
}

static uint8_t
ct_sel8(size_t mask, uint8_t a, uint8_t b)
{
	return (uint8_t)ct_sel(mask, a, b);
}

/*
 * buf holds len bytes; move them left by shift (<= len) positions,
 * filling with zeros, without revealing shift: one masked pass per bit
 * of len.
 */
static void
ct_shift_left(uint8_t *buf, size_t len, size_t shift)
{
	size_t i, step, m;

	for (step = 1; step <= len; step <<= 1) {
		m = ct_is_zero(shift & step) ^ SIZE_MAX;
		for (i = 0; i < len; i++)
			buf[i] = ct_sel8(m, i + step < len ? buf[i + step] : 0,
			    buf[i]);
	}
}

/* --- EME-PKCS1-v1_5 ---------------------------------------------------- */

/*
 * em: k bytes.  out: room for k - 11 bytes.  Returns the validity mask
 * and the message length in *mlen (meaningless when invalid).
 */
static size_t
pkcs1_decode(const uint8_t *em, size_t k, uint8_t *out, size_t *mlen)
{
	size_t good, found = 0, zidx = 0, z, i, len = k - PKCS1_MIN_PAD;

	good = ct_eq(em[0], 0x00) & ct_eq(em[1], 0x02);
	for (i = 2; i < k; i++) {
		z = ct_eq(em[i], 0x00);
		zidx = ct_sel(~found & z, i, zidx);
		found |= z;
	}
	/* the separator found, after at least 8 bytes of PS */
	good &= found & ~ct_lt(zidx, 2 + PKCS1_PS_MIN);
	memcpy(out, em + PKCS1_MIN_PAD, len);
	/* the message starts at zidx + 1, i.e. at out[zidx + 1 - 11] */
	ct_shift_left(out, len, ct_sel(good, zidx + 1 - PKCS1_MIN_PAD, 0));
	*mlen = ct_sel(good, k - zidx - 1, 0);
	return good;
}

/* --- EME-OAEP ---------------------------------------------------------- */

static int
oaep_lhash(const struct mech_dec *dec, uint8_t *lhash, size_t *hlen)
{
	return mech_digest(dec->md, dec->label, dec->label_len, lhash, hlen);
}

/* seed and DB unmasked in place (em is a copy). */
static int
oaep_unmask(const struct mech_dec *dec, uint8_t *em, size_t k, size_t hlen)
{
	uint8_t	*seed = em + 1, *db = em + 1 + hlen;
	size_t	 dblen = k - hlen - 1;
	int	 rc;

	if ((rc = mech_mgf1_xor(dec->mgf_md, db, dblen, seed, hlen)) !=
	    CKR_OK)
		return rc;
	return mech_mgf1_xor(dec->mgf_md, seed, hlen, db, dblen);
}

/*
 * DB = lHash' || 00 .. 00 || 01 || M; em already unmasked.  out: room for
 * k - 2 hLen - 2 bytes.  Returns the validity mask, *mlen as above.
 */
static size_t
oaep_scan(const uint8_t *em, size_t k, size_t hlen, const uint8_t *lhash,
    uint8_t *out, size_t *mlen)
{
	const uint8_t	*db = em + 1 + hlen;
	size_t		 dblen = k - hlen - 1, len = dblen - hlen - 1;
	size_t		 good, found = 0, bad = 0, oidx = 0, z, one, i;

	good = ct_eq(em[0], 0x00);
	good &= ct_is_zero((size_t)(unsigned)CRYPTO_memcmp(db, lhash, hlen));
	for (i = hlen; i < dblen; i++) {
		z = ct_eq(db[i], 0x00);
		one = ct_eq(db[i], 0x01);
		oidx = ct_sel(~found & one, i, oidx);
		bad |= ~found & ~z & ~one;
		found |= ~z;
	}
	good &= found & ~bad;
	memcpy(out, db + hlen + 1, len);
	ct_shift_left(out, len, ct_sel(good, oidx - hlen, 0));
	*mlen = ct_sel(good, dblen - oidx - 1, 0);
	return good;
}

static int
oaep_decode(const struct mech_dec *dec, const uint8_t *em, size_t k,
    uint8_t *out, size_t *mlen, size_t *good)
{
	uint8_t	buf[MECH_RSA_MAX], lhash[MECH_HASH_MAX];
	size_t	hlen = 0;
	int	rc;

	*good = 0;
	memcpy(buf, em, k);
	if ((rc = oaep_lhash(dec, lhash, &hlen)) == CKR_OK &&
	    (rc = oaep_unmask(dec, buf, k, hlen)) == CKR_OK)
		*good = oaep_scan(buf, k, hlen, lhash, out, mlen);
	ss_wipe(buf, sizeof(buf));
	return rc;
}

/* --- parameters -------------------------------------------------------- */

static const EVP_MD *
oaep_mgf(CK_RSA_PKCS_MGF_TYPE mgf)
{
	switch (mgf) {
	case CKG_MGF1_SHA1:
		return EVP_sha1();
	case CKG_MGF1_SHA224:
		return EVP_sha224();
	case CKG_MGF1_SHA256:
		return EVP_sha256();
	case CKG_MGF1_SHA384:
		return EVP_sha384();
	case CKG_MGF1_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

static int
oaep_source(const CK_RSA_PKCS_OAEP_PARAMS *p, struct mech_dec *dec)
{
	dec->label = NULL;
	dec->label_len = 0;
	if (p->source == 0 && p->pSourceData == NULL &&
	    p->ulSourceDataLen == 0)
		return CKR_OK;
	if (p->source != CKZ_DATA_SPECIFIED ||
	    (p->pSourceData == NULL && p->ulSourceDataLen > 0) ||
	    p->ulSourceDataLen > MECH_LABEL_MAX)
		return CKR_MECHANISM_PARAM_INVALID;
	dec->label = p->pSourceData;
	dec->label_len = (size_t)p->ulSourceDataLen;
	return CKR_OK;
}

int
mech_oaep_params(const CK_MECHANISM *m, const struct mech_key *k,
    struct mech_dec *dec)
{
	CK_RSA_PKCS_OAEP_PARAMS	p;
	size_t			hlen;

	if (m->pParameter == NULL ||
	    m->ulParameterLen != sizeof(CK_RSA_PKCS_OAEP_PARAMS))
		return CKR_MECHANISM_PARAM_INVALID;
	memcpy(&p, m->pParameter, sizeof(p));
	if ((dec->md = mech_hash_md(p.hashAlg)) == NULL ||
	    (dec->mgf_md = oaep_mgf(p.mgf)) == NULL)
		return CKR_MECHANISM_PARAM_INVALID;
	hlen = (size_t)EVP_MD_get_size(dec->md);
	if (mech_key_bytes(k) < 2 * hlen + 2)
		return CKR_MECHANISM_PARAM_INVALID;
	return oaep_source(&p, dec);
}

int
mech_dec_setup(const CK_MECHANISM *m, const struct drv_key *k,
    struct mech_dec *dec)
{
	struct mech_key	mk;
	int		rc;

	if (m == NULL || k == NULL || dec == NULL)
		return CKR_ARGUMENTS_BAD;
	memset(dec, 0, sizeof(*dec));
	if ((rc = mech_check(m, k, DRV_USE_DECRYPT)) != CKR_OK)
		return rc;
	dec->type = m->mechanism;
	dec->k = (k->bits + 7) / 8;
	if (dec->k < PKCS1_MIN_PAD || dec->k > MECH_RSA_MAX)
		return CKR_KEY_SIZE_RANGE;
	if (m->mechanism != CKM_RSA_PKCS_OAEP)
		return CKR_OK;
	mk.type = k->type;
	mk.bits = k->bits;
	mk.pub = k->pub;
	return mech_oaep_params(m, &mk, dec);
}

size_t
mech_dec_max(const struct mech_dec *dec)
{
	switch (dec->type) {
	case CKM_RSA_PKCS:
		return dec->k - PKCS1_MIN_PAD;
	case CKM_RSA_PKCS_OAEP:
		return dec->k - 2 * (size_t)EVP_MD_get_size(dec->md) - 2;
	default:
		return dec->k;
	}
}

int
mech_dec_unpad(const struct mech_dec *dec, const uint8_t *em, size_t k,
    uint8_t *out, size_t *out_len)
{
	size_t	good = 0, mlen = 0;
	int	rc = CKR_OK;

	if (dec == NULL || em == NULL || out == NULL || out_len == NULL ||
	    k != dec->k)
		return CKR_ARGUMENTS_BAD;
	switch (dec->type) {
	case CKM_RSA_X_509:
		memcpy(out, em, k);
		*out_len = k;
		return CKR_OK;
	case CKM_RSA_PKCS:
		good = pkcs1_decode(em, k, out, &mlen);
		break;
	case CKM_RSA_PKCS_OAEP:
		rc = oaep_decode(dec, em, k, out, &mlen, &good);
		break;
	default:
		return CKR_MECHANISM_INVALID;
	}
	if (rc != CKR_OK || good == 0) {
		ss_wipe(out, k);
		return rc != CKR_OK ? rc : (int)CKR_ENCRYPTED_DATA_INVALID;
	}
	*out_len = mlen;
	return CKR_OK;
}
