/*
 * pkcs11/mech.c - the mechanism table, parameter and key checks,
 * C_GetMechanismList / C_GetMechanismInfo answers.
 *
 * Choices where PKCS#11 leaves room:
 * - Mechanisms without parameters accept pParameter with
 *   ulParameterLen 0 (some applications pass a pointer anyway); any
 *   length but 0 is CKR_MECHANISM_PARAM_INVALID.
 * - PSS: hashAlg SHA-1 .. SHA-512, mgf CKG_MGF1_SHA1 .. SHA512 (any
 *   pairing), sLen up to emLen - hLen - 2 for the key; the hashing PSS
 *   mechanisms require hashAlg to be their own hash.
 * - mech_check with use 0 checks no key usage (software verification);
 *   DRV_USE_DECRYPT allows only CKM_RSA_PKCS and CKM_RSA_X_509;
 *   DRV_USE_DERIVE allows none of these mechanisms.
 * - Key sizes in C_GetMechanismInfo are what PIV cards hold: RSA 1024 to
 *   4096 bits, EC P-256 and P-384.
 */
#include <string.h>

#include "mech_priv.h"

static const struct mech_def mech_table[] = {
	{ CKM_RSA_PKCS, MK_RSA_PKCS, 0 },
	{ CKM_RSA_X_509, MK_RSA_X509, 0 },
	{ CKM_RSA_PKCS_PSS, MK_RSA_PSS, 0 },
	{ CKM_SHA1_RSA_PKCS, MK_RSA_PKCS, CKM_SHA_1 },
	{ CKM_SHA224_RSA_PKCS, MK_RSA_PKCS, CKM_SHA224 },
	{ CKM_SHA256_RSA_PKCS, MK_RSA_PKCS, CKM_SHA256 },
	{ CKM_SHA384_RSA_PKCS, MK_RSA_PKCS, CKM_SHA384 },
	{ CKM_SHA512_RSA_PKCS, MK_RSA_PKCS, CKM_SHA512 },
	{ CKM_SHA1_RSA_PKCS_PSS, MK_RSA_PSS, CKM_SHA_1 },
	{ CKM_SHA224_RSA_PKCS_PSS, MK_RSA_PSS, CKM_SHA224 },
	{ CKM_SHA256_RSA_PKCS_PSS, MK_RSA_PSS, CKM_SHA256 },
	{ CKM_SHA384_RSA_PKCS_PSS, MK_RSA_PSS, CKM_SHA384 },
	{ CKM_SHA512_RSA_PKCS_PSS, MK_RSA_PSS, CKM_SHA512 },
	{ CKM_ECDSA, MK_ECDSA, 0 },
	{ CKM_ECDSA_SHA1, MK_ECDSA, CKM_SHA_1 },
	{ CKM_ECDSA_SHA224, MK_ECDSA, CKM_SHA224 },
	{ CKM_ECDSA_SHA256, MK_ECDSA, CKM_SHA256 },
	{ CKM_ECDSA_SHA384, MK_ECDSA, CKM_SHA384 },
	{ CKM_ECDSA_SHA512, MK_ECDSA, CKM_SHA512 },
	{ CKM_SHA_1, MK_DIGEST, CKM_SHA_1 },
	{ CKM_SHA224, MK_DIGEST, CKM_SHA224 },
	{ CKM_SHA256, MK_DIGEST, CKM_SHA256 },
	{ CKM_SHA384, MK_DIGEST, CKM_SHA384 },
	{ CKM_SHA512, MK_DIGEST, CKM_SHA512 },
};

#define NMECH	(sizeof(mech_table) / sizeof(mech_table[0]))

/* The same, in the same order, for C_GetMechanismList (a test checks). */
static const CK_MECHANISM_TYPE mech_types[] = {
	CKM_RSA_PKCS, CKM_RSA_X_509, CKM_RSA_PKCS_PSS,
	CKM_SHA1_RSA_PKCS, CKM_SHA224_RSA_PKCS, CKM_SHA256_RSA_PKCS,
	CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS,
	CKM_SHA1_RSA_PKCS_PSS, CKM_SHA224_RSA_PKCS_PSS,
	CKM_SHA256_RSA_PKCS_PSS, CKM_SHA384_RSA_PKCS_PSS,
	CKM_SHA512_RSA_PKCS_PSS,
	CKM_ECDSA, CKM_ECDSA_SHA1, CKM_ECDSA_SHA224, CKM_ECDSA_SHA256,
	CKM_ECDSA_SHA384, CKM_ECDSA_SHA512,
	CKM_SHA_1, CKM_SHA224, CKM_SHA256, CKM_SHA384, CKM_SHA512,
};

_Static_assert(sizeof(mech_types) / sizeof(mech_types[0]) == NMECH,
    "mech_types and mech_table differ");

#define RSA_MIN_BITS	1024
#define RSA_MAX_BITS	4096
#define EC_MIN_BITS	256
#define EC_MAX_BITS	384

const struct mech_def *
mech_find(CK_MECHANISM_TYPE type)
{
	size_t i;

	for (i = 0; i < NMECH; i++)
		if (mech_table[i].type == type)
			return &mech_table[i];
	return NULL;
}

const EVP_MD *
mech_hash_md(CK_MECHANISM_TYPE hash)
{
	switch (hash) {
	case CKM_SHA_1:
		return EVP_sha1();
	case CKM_SHA224:
		return EVP_sha224();
	case CKM_SHA256:
		return EVP_sha256();
	case CKM_SHA384:
		return EVP_sha384();
	case CKM_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

static const EVP_MD *
mgf_md(CK_RSA_PKCS_MGF_TYPE mgf)
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

size_t
mech_key_bytes(const struct mech_key *k)
{
	return (k->bits + 7) / 8;
}

bool
mech_is_hashing(CK_MECHANISM_TYPE type)
{
	const struct mech_def *d = mech_find(type);

	return d != NULL && d->kind != MK_DIGEST && d->hash != 0;
}

const EVP_MD *
mech_md(CK_MECHANISM_TYPE type)
{
	const struct mech_def *d = mech_find(type);

	return d == NULL ? NULL : mech_hash_md(d->hash);
}

static bool
key_fits(const struct mech_def *d, const struct mech_key *k)
{
	if (d->kind == MK_ECDSA)
		return k->type == DRV_KEY_EC && k->bits > 0;
	return k->type == DRV_KEY_RSA && k->bits > 0;
}

/* CK_RSA_PKCS_PSS_PARAMS against the mechanism and the key size. */
static int
pss_params(const CK_MECHANISM *m, const struct mech_def *d,
    const struct mech_key *k, struct mech_pss *pss)
{
	CK_RSA_PKCS_PSS_PARAMS	p;
	size_t			hlen, emlen;

	if (m->pParameter == NULL ||
	    m->ulParameterLen != sizeof(CK_RSA_PKCS_PSS_PARAMS))
		return CKR_MECHANISM_PARAM_INVALID;
	memcpy(&p, m->pParameter, sizeof(p));
	if (d->hash != 0 && p.hashAlg != d->hash)
		return CKR_MECHANISM_PARAM_INVALID;
	if ((pss->md = mech_hash_md(p.hashAlg)) == NULL ||
	    (pss->mgf_md = mgf_md(p.mgf)) == NULL)
		return CKR_MECHANISM_PARAM_INVALID;
	hlen = (size_t)EVP_MD_get_size(pss->md);
	emlen = (k->bits + 6) / 8;		/* ceil((modBits - 1) / 8) */
	if (k->bits < 2 || emlen < hlen + 2 || p.sLen > emlen - hlen - 2)
		return CKR_MECHANISM_PARAM_INVALID;
	pss->slen = (size_t)p.sLen;
	return CKR_OK;
}

int
mech_prep_check(const CK_MECHANISM *m, const struct mech_key *k,
    const struct mech_def **dp, struct mech_pss *pss)
{
	const struct mech_def *d;

	memset(pss, 0, sizeof(*pss));
	if (m == NULL || k == NULL)
		return CKR_ARGUMENTS_BAD;
	if ((d = mech_find(m->mechanism)) == NULL || d->kind == MK_DIGEST)
		return CKR_MECHANISM_INVALID;
	*dp = d;
	if (!key_fits(d, k))
		return CKR_KEY_TYPE_INCONSISTENT;
	if (d->kind == MK_RSA_PSS)
		return pss_params(m, d, k, pss);
	if (m->ulParameterLen != 0)
		return CKR_MECHANISM_PARAM_INVALID;
	return CKR_OK;
}

static int
usage_check(const struct mech_def *d, const struct drv_key *k, unsigned use)
{
	bool raw_rsa = d->kind == MK_RSA_PKCS && d->hash == 0;

	if (use & DRV_USE_DERIVE)
		return CKR_MECHANISM_INVALID;
	if ((use & DRV_USE_DECRYPT) && !raw_rsa && d->kind != MK_RSA_X509)
		return CKR_MECHANISM_INVALID;
	if ((k->usage & use) != use)
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	return CKR_OK;
}

int
mech_check(const CK_MECHANISM *m, const struct drv_key *k, unsigned use)
{
	const struct mech_def	*d = NULL;
	struct mech_key		 mk;
	struct mech_pss		 pss;
	int			 rc;

	if (m == NULL || k == NULL)
		return CKR_ARGUMENTS_BAD;
	mk.type = k->type;
	mk.bits = k->bits;
	mk.pub = k->pub;
	if ((rc = mech_prep_check(m, &mk, &d, &pss)) != CKR_OK)
		return rc;
	return usage_check(d, k, use);
}

size_t
mech_sig_len(const CK_MECHANISM *m, const struct drv_key *k)
{
	const struct mech_def	*d;
	size_t			 n;

	if (m == NULL || k == NULL || (d = mech_find(m->mechanism)) == NULL)
		return 0;
	n = (k->bits + 7) / 8;
	if (d->kind == MK_ECDSA)
		return k->type == DRV_KEY_EC ? 2 * n : 0;
	if (d->kind == MK_DIGEST)
		return 0;
	return k->type == DRV_KEY_RSA ? n : 0;
}

const CK_MECHANISM_TYPE *
mech_list(size_t *n)
{
	if (n != NULL)
		*n = NMECH;
	return mech_types;
}

int
mech_info(CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info)
{
	const struct mech_def *d = mech_find(type);

	if (d == NULL)
		return CKR_MECHANISM_INVALID;
	if (info == NULL)
		return CKR_ARGUMENTS_BAD;
	memset(info, 0, sizeof(*info));
	switch (d->kind) {
	case MK_DIGEST:
		info->flags = CKF_DIGEST;
		break;
	case MK_ECDSA:
		info->ulMinKeySize = EC_MIN_BITS;
		info->ulMaxKeySize = EC_MAX_BITS;
		info->flags = CKF_SIGN | CKF_VERIFY | CKF_HW | CKF_EC_F_P |
		    CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;
		break;
	default:
		info->ulMinKeySize = RSA_MIN_BITS;
		info->ulMaxKeySize = RSA_MAX_BITS;
		info->flags = CKF_SIGN | CKF_VERIFY | CKF_HW;
		break;
	}
	return CKR_OK;
}
