/*
 * pkcs11/create_key.c - C_CreateObject of a private key: the key is
 * imported into the key reference its CKA_ID names (driver import_key;
 * PIV: the YubiKey IMPORT KEY, piv_import.c).
 *
 * Template (besides tmpl.c's common attributes and policies):
 * - CKA_KEY_TYPE CKK_RSA: CKA_MODULUS, CKA_PUBLIC_EXPONENT (65537, the
 *   only exponent the card knows), CKA_PRIVATE_EXPONENT, CKA_PRIME_1,
 *   CKA_PRIME_2, CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT, all
 *   required and consistent (checked with OpenSSL before anything is
 *   sent: CKR_ATTRIBUTE_VALUE_INVALID);
 * - CKA_KEY_TYPE CKK_EC: CKA_EC_PARAMS (P-256, P-384) and CKA_VALUE (the
 *   private scalar, in [1, n-1]);
 * - CKA_ID required.  Missing parts: CKR_TEMPLATE_INCOMPLETE.
 * A card that cannot import (every card but a YubiKey), or a key size it
 * does not take: CKR_TEMPLATE_INCONSISTENT, nothing sent.
 *
 * The reference's certificate stays when it certifies the imported key,
 * else it is deleted (as after C_GenerateKeyPair).  The key objects are
 * there at once under new handles (CKA_LOCAL FALSE).
 * Secrets: the template's values are the caller's; every BIGNUM made
 * from them is secure and cleared (BN_secure_new, BN_clear_free), so the
 * parameter arrays keep them in OpenSSL's secure block that
 * OSSL_PARAM_free() clears; the EVP_PKEY is freed (OpenSSL clears RSA
 * and EC private parts on free).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "pkcs11/p11.h"

#define RSA_NPARTS	8
#define EC_POINT_MAX	(1 + 2 * 48)
#define F4		65537UL

/* CKA_* of the RSA parts, in OSSL order below. */
static const CK_ATTRIBUTE_TYPE rsa_attrs[RSA_NPARTS] = {
	CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT, CKA_PRIME_1,
	CKA_PRIME_2, CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT,
};
static const char *const rsa_names[RSA_NPARTS] = {
	OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
	OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
	OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
	OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

struct keyreq {
	CK_KEY_TYPE		 ktype;		/* CK_UNAVAILABLE_INFORMATION: unset */
	const CK_ATTRIBUTE	*id;
	const CK_ATTRIBUTE	*rsa[RSA_NPARTS];
	const CK_ATTRIBUTE	*ec_params;
	const CK_ATTRIBUTE	*ec_value;
	unsigned		 ec_bits;
	struct p11_policy	 pol;
	struct drv_keyspec	 spec;
};

/* --- the template ----------------------------------------------------------- */

static bool
key_rsa_part(struct keyreq *r, const CK_ATTRIBUTE *a)
{
	size_t i;

	for (i = 0; i < RSA_NPARTS; i++) {
		if (rsa_attrs[i] == a->type) {
			r->rsa[i] = a;
			return true;
		}
	}
	return false;
}

static CK_RV
key_attr(struct keyreq *r, const CK_ATTRIBUTE *a)
{
	bool	done = false;
	CK_RV	rv;

	if (key_rsa_part(r, a))
		return CKR_OK;
	switch (a->type) {
	case CKA_KEY_TYPE:
		return p11_tpl_ulong(a, &r->ktype);
	case CKA_ID:
		r->id = a;
		return CKR_OK;
	case CKA_EC_PARAMS:
		r->ec_params = a;
		return p11_tpl_curve(a, &r->ec_bits);
	case CKA_VALUE:
		r->ec_value = a;
		return CKR_OK;
	default:
		break;
	}
	if ((rv = p11_tpl_policy(a, &r->pol, &done)) != CKR_OK || done)
		return rv;
	return p11_tpl_common(a, CKO_PRIVATE_KEY);
}

static CK_RV
key_complete(const struct keyreq *r)
{
	size_t i;

	if (r->id == NULL || r->ktype == CK_UNAVAILABLE_INFORMATION)
		return CKR_TEMPLATE_INCOMPLETE;
	if (r->ktype == CKK_EC) {
		for (i = 0; i < RSA_NPARTS; i++)
			if (r->rsa[i] != NULL)
				return CKR_TEMPLATE_INCONSISTENT;
		return r->ec_params != NULL && r->ec_value != NULL ? CKR_OK :
		    CKR_TEMPLATE_INCOMPLETE;
	}
	if (r->ktype != CKK_RSA)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (r->ec_params != NULL || r->ec_value != NULL)
		return CKR_TEMPLATE_INCONSISTENT;
	for (i = 0; i < RSA_NPARTS; i++)
		if (r->rsa[i] == NULL)
			return CKR_TEMPLATE_INCOMPLETE;
	return CKR_OK;
}

static CK_RV
key_template(const CK_ATTRIBUTE *tpl, CK_ULONG n, struct keyreq *r)
{
	CK_ULONG	i;
	CK_RV		rv = CKR_OK;

	memset(r, 0, sizeof(*r));
	r->ktype = CK_UNAVAILABLE_INFORMATION;
	r->pol.always = -1;
	for (i = 0; i < n && rv == CKR_OK; i++)
		rv = key_attr(r, &tpl[i]);
	if (rv == CKR_OK && (rv = key_complete(r)) == CKR_OK)
		rv = p11_tpl_policy_end(&r->pol, &r->spec);
	return rv;
}

/* --- the key in OpenSSL ---------------------------------------------------- */

/* Marked secure: OSSL_PARAM_free() clears what it copied of it. */
static BIGNUM *
key_bn(const CK_ATTRIBUTE *a)
{
	BIGNUM *bn;

	if (a->ulValueLen == 0 || a->ulValueLen > INT_MAX ||
	    (bn = BN_secure_new()) == NULL)
		return NULL;
	if (BN_bin2bn(a->pValue, (int)a->ulValueLen, bn) == NULL) {
		BN_clear_free(bn);
		return NULL;
	}
	return bn;
}

static EVP_PKEY *
key_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	EVP_PKEY_CTX	*ctx = NULL;
	OSSL_PARAM	*params = NULL;
	EVP_PKEY	*pk = NULL;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_KEYPAIR, params) != 1) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pk;
}

/* The private and public halves agree. */
static bool
key_pairwise(EVP_PKEY *pk)
{
	EVP_PKEY_CTX	*ctx;
	bool		 ok;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL)
		return false;
	ok = EVP_PKEY_pairwise_check(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static EVP_PKEY *
key_rsa(const struct keyreq *r)
{
	OSSL_PARAM_BLD	*bld;
	BIGNUM		*bn[RSA_NPARTS] = { NULL };
	EVP_PKEY	*pk = NULL;
	size_t		 i;
	bool		 ok;

	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		return NULL;
	for (ok = true, i = 0; i < RSA_NPARTS && ok; i++)
		ok = (bn[i] = key_bn(r->rsa[i])) != NULL &&
		    OSSL_PARAM_BLD_push_BN(bld, rsa_names[i], bn[i]) == 1;
	if (ok && BN_is_word(bn[1], F4))
		pk = key_fromdata("RSA", bld);
	if (pk != NULL && !key_pairwise(pk)) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	for (i = 0; i < RSA_NPARTS; i++)
		BN_clear_free(bn[i]);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

/* The public point of scalar d, uncompressed; 0 if d is out of range. */
static size_t
key_ec_point(int nid, const BIGNUM *d, uint8_t *pt, size_t cap)
{
	EC_GROUP	*g = NULL;
	EC_POINT	*p = NULL;
	size_t		 len = 0;

	if ((g = EC_GROUP_new_by_curve_name(nid)) == NULL ||
	    BN_is_zero(d) || BN_is_negative(d) ||
	    BN_cmp(d, EC_GROUP_get0_order(g)) >= 0 ||
	    (p = EC_POINT_new(g)) == NULL ||
	    EC_POINT_mul(g, p, d, NULL, NULL, NULL) != 1)
		goto fail;
	len = EC_POINT_point2oct(g, p, POINT_CONVERSION_UNCOMPRESSED, pt, cap,
	    NULL);
fail:
	EC_POINT_free(p);
	EC_GROUP_free(g);
	return len;
}

static EVP_PKEY *
key_ec(const struct keyreq *r)
{
	const char	*group = r->ec_bits == 384 ? "secp384r1" : "prime256v1";
	int		 nid = r->ec_bits == 384 ? NID_secp384r1 :
			    NID_X9_62_prime256v1;
	uint8_t		 pt[EC_POINT_MAX];
	OSSL_PARAM_BLD	*bld = NULL;
	BIGNUM		*d = NULL;
	EVP_PKEY	*pk = NULL;
	size_t		 len;

	if ((d = key_bn(r->ec_value)) == NULL ||
	    (len = key_ec_point(nid, d, pt, sizeof(pt))) == 0 ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt,
	    len) != 1)
		goto fail;
	pk = key_fromdata("EC", bld);
fail:
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	return pk;
}

/* --- the card ---------------------------------------------------------------- */

/* Does the reference's certificate certify pk? */
static bool
key_cert_matches(const struct p11_key *key, EVP_PKEY *pk)
{
	const unsigned char	*p = key->k.cert;
	X509			*x;
	bool			 eq = false;

	if (key->state != P11_KEY_LOADED || key->k.cert == NULL ||
	    key->k.cert_len > LONG_MAX)
		return false;
	if ((x = d2i_X509(NULL, &p, (long)key->k.cert_len)) != NULL)
		eq = EVP_PKEY_eq(X509_get0_pubkey(x), pk) == 1;
	X509_free(x);
	return eq;
}

static CK_RV
key_card(struct p11_slot *s, size_t i, EVP_PKEY *pk,
    const struct drv_keyspec *spec, struct drv_key *k, bool *keep)
{
	struct p11_key	*key = &s->keys[i];
	CK_RV		 rv;
	int		 rc, drc;

	if (s->drv->import_key == NULL || s->drv->delete_cert == NULL)
		return CKR_TEMPLATE_INCONSISTENT;
	if ((rv = p11_key_load(s, i)) != CKR_OK)
		return rv;
	*keep = key_cert_matches(key, pk);
	if ((rv = p11_so_io_begin(s)) != CKR_OK)
		return rv;
	rc = s->drv->import_key(s->card, s->chan, key->ref, pk, spec, k);
	if (rc == DRV_OK && !*keep && key->state != P11_KEY_ABSENT &&
	    (drc = s->drv->delete_cert(s->card, s->chan, key->ref)) != DRV_OK)
		p11_log("key %02X: old certificate not deleted (%d)",
		    key->ref, drc);
	p11_io_end(s);
	if (rc != DRV_OK)
		return p11_so_err(s, rc, CKR_TEMPLATE_INCONSISTENT,
		    CKR_ATTRIBUTE_VALUE_INVALID);
	return CKR_OK;
}

/* The new key in the cache, with the old certificate if it stays. */
static CK_RV
key_cache(struct p11_slot *s, size_t i, struct drv_key *k, bool keep)
{
	const struct p11_key *key = &s->keys[i];

	if (keep) {
		if ((k->cert = malloc(key->k.cert_len)) == NULL)
			return CKR_HOST_MEMORY;
		memcpy(k->cert, key->k.cert, key->k.cert_len);
		k->cert_len = key->k.cert_len;
	}
	return p11_key_set(s, i, k, keep ? P11_CHG_KEYS : P11_CHG_ALL);
}

CK_RV
p11_create_key(struct p11_slot *s, const CK_ATTRIBUTE *tpl, CK_ULONG n,
    CK_OBJECT_HANDLE *h)
{
	struct keyreq	 r;
	struct drv_key	 k;
	EVP_PKEY	*pk = NULL;
	bool		 keep = false;
	size_t		 i = 0;
	CK_RV		 rv;

	memset(&k, 0, sizeof(k));
	if ((rv = key_template(tpl, n, &r)) != CKR_OK ||
	    (rv = p11_tpl_id(s, r.id, &i)) != CKR_OK)
		goto fail;
	rv = CKR_ATTRIBUTE_VALUE_INVALID;
	if ((pk = r.ktype == CKK_RSA ? key_rsa(&r) : key_ec(&r)) == NULL)
		goto fail;
	if ((rv = key_card(s, i, pk, &r.spec, &k, &keep)) != CKR_OK)
		goto fail;
	if ((rv = key_cache(s, i, &k, keep)) != CKR_OK)
		goto fail;
	*h = p11_obj_handle(s, i, P11_PRIV);
fail:
	drv_key_clear(&k);
	EVP_PKEY_free(pk);
	return rv;
}
