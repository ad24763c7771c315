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
 *   DRV_USE_DECRYPT allows only CKM_RSA_PKCS, CKM_RSA_X_509 and
 *   CKM_RSA_PKCS_OAEP; DRV_USE_DERIVE only the ECDH mechanisms, which no
 *   other use allows.
 * - CKM_EDDSA: pure Ed25519 only (what the card does): no parameter, or
 *   CK_EDDSA_PARAMS with phFlag FALSE and no context.
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
	{ CKM_EDDSA, MK_EDDSA, 0 },
	{ CKM_RSA_PKCS_OAEP, MK_RSA_OAEP, 0 },
	{ CKM_ECDH1_DERIVE, MK_ECDH, 0 },
	{ CKM_ECDH1_COFACTOR_DERIVE, MK_ECDH, 0 },
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
	CKM_EDDSA, CKM_RSA_PKCS_OAEP, CKM_ECDH1_DERIVE,
	CKM_ECDH1_COFACTOR_DERIVE,
	CKM_SHA_1, CKM_SHA224, CKM_SHA256, CKM_SHA384, CKM_SHA512,
};

_Static_assert(sizeof(mech_types) / sizeof(mech_types[0]) == NMECH,
    "mech_types and mech_table differ");

#define RSA_MIN_BITS	1024
#define RSA_MAX_BITS	4096
#define EC_MIN_BITS	256
#define EC_MAX_BITS	384
#define ED25519_BITS	256
#define ED25519_SIG_LEN	64

/* CK_EDDSA_PARAMS (PKCS#11 3.0; not in p11-kit's 2.40 header). */
struct mech_eddsa_params {
	CK_BBOOL	 phFlag;
	CK_ULONG	 ulContextDataLen;
	CK_BYTE_PTR	 pContextData;
};

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
	if (k->bits == 0)
		return false;
	switch (d->kind) {
	case MK_ECDSA:
		return k->type == DRV_KEY_EC;
	case MK_EDDSA:
		return k->type == DRV_KEY_ED25519;
	case MK_ECDH:
		return k->type == DRV_KEY_EC || k->type == DRV_KEY_X25519;
	default:
		return k->type == DRV_KEY_RSA;
	}
}

int
mech_eddsa_params(const CK_MECHANISM *m)
{
	struct mech_eddsa_params p;

	if (m->ulParameterLen == 0)
		return CKR_OK;
	if (m->pParameter == NULL || m->ulParameterLen != sizeof(p))
		return CKR_MECHANISM_PARAM_INVALID;
	memcpy(&p, m->pParameter, sizeof(p));
	if (p.phFlag != CK_FALSE || p.ulContextDataLen != 0)
		return CKR_MECHANISM_PARAM_INVALID;
	return CKR_OK;
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

/* The parameters of the mechanisms that have some. */
static int
params_check(const CK_MECHANISM *m, const struct mech_def *d,
    const struct mech_key *k, struct mech_pss *pss)
{
	struct mech_dec dec;

	switch (d->kind) {
	case MK_RSA_PSS:
		return pss_params(m, d, k, pss);
	case MK_RSA_OAEP:
		return mech_oaep_params(m, k, &dec);
	case MK_ECDH:
		return mech_ecdh_params_ok(m);
	case MK_EDDSA:
		return mech_eddsa_params(m);
	default:
		return m->ulParameterLen != 0 ? CKR_MECHANISM_PARAM_INVALID :
		    CKR_OK;
	}
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
	return params_check(m, d, k, pss);
}

static bool
kind_decrypts(const struct mech_def *d)
{
	return (d->kind == MK_RSA_PKCS && d->hash == 0) ||
	    d->kind == MK_RSA_X509 || d->kind == MK_RSA_OAEP;
}

/* The mechanism is one for this use (DRV_USE_*, 0: verification). */
static bool
kind_allows(const struct mech_def *d, unsigned use)
{
	bool derive = d->kind == MK_ECDH, oaep = d->kind == MK_RSA_OAEP;

	if ((use & DRV_USE_DERIVE) != 0 ? !derive : derive)
		return false;
	return (use & DRV_USE_DECRYPT) != 0 ? kind_decrypts(d) : !oaep;
}

/* In the spec's order: a mechanism for another operation, key type,
 * parameters, what the key may be used for. */
int
mech_check(const CK_MECHANISM *m, const struct drv_key *k, unsigned use)
{
	const struct mech_def	*d = NULL;
	struct mech_key		 mk;
	struct mech_pss		 pss;
	int			 rc;

	if (m == NULL || k == NULL)
		return CKR_ARGUMENTS_BAD;
	if ((d = mech_find(m->mechanism)) != NULL && d->kind != MK_DIGEST &&
	    !kind_allows(d, use))
		return CKR_MECHANISM_INVALID;
	mk.type = k->type;
	mk.bits = k->bits;
	mk.pub = k->pub;
	if ((rc = mech_prep_check(m, &mk, &d, &pss)) != CKR_OK)
		return rc;
	if ((k->usage & use) != use)
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	return CKR_OK;
}

size_t
mech_sig_len(const CK_MECHANISM *m, const struct drv_key *k)
{
	const struct mech_def	*d;
	size_t			 n;

	if (m == NULL || k == NULL || (d = mech_find(m->mechanism)) == NULL)
		return 0;
	n = (k->bits + 7) / 8;
	switch (d->kind) {
	case MK_ECDSA:
		return k->type == DRV_KEY_EC ? 2 * n : 0;
	case MK_EDDSA:
		return k->type == DRV_KEY_ED25519 ? ED25519_SIG_LEN : 0;
	case MK_DIGEST:
	case MK_RSA_OAEP:
	case MK_ECDH:
		return 0;
	default:
		return k->type == DRV_KEY_RSA ? n : 0;
	}
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
	case MK_EDDSA:
		info->ulMinKeySize = ED25519_BITS;
		info->ulMaxKeySize = ED25519_BITS;
		info->flags = CKF_SIGN | CKF_VERIFY | CKF_HW;
		break;
	case MK_ECDH:
		info->ulMinKeySize = EC_MIN_BITS;
		info->ulMaxKeySize = EC_MAX_BITS;
		info->flags = CKF_DERIVE | CKF_HW | CKF_EC_F_P |
		    CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;
		break;
	case MK_RSA_OAEP:
		info->ulMinKeySize = RSA_MIN_BITS;
		info->ulMaxKeySize = RSA_MAX_BITS;
		info->flags = CKF_DECRYPT | CKF_HW;
		break;
	default:
		info->ulMinKeySize = RSA_MIN_BITS;
		info->ulMaxKeySize = RSA_MAX_BITS;
		info->flags = CKF_SIGN | CKF_VERIFY | CKF_HW;
		if (kind_decrypts(d))
			info->flags |= CKF_DECRYPT;
		break;
	}
	return CKR_OK;
}
