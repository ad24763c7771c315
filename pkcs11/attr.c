/*
 * pkcs11/attr.c - attribute values of the three objects of a key
 * reference, derived once with OpenSSL from what the driver loaded
 * (drv_key.cert, drv_key.pub), and template matching for C_FindObjects.
 *
 * Secret parts of private keys (CKA_PRIVATE_EXPONENT, CKA_PRIME_*, EC
 * CKA_VALUE, ...) answer CKR_ATTRIBUTE_SENSITIVE; attributes not defined
 * for the object's class answer CKR_ATTRIBUTE_TYPE_INVALID.  Public parts
 * (modulus, exponent, EC parameters and point) are readable on the
 * private key too: clients read them there.
 *
 * Ed25519 and X25519 keys (PKCS#11 3.0): CKK_EC_EDWARDS and
 * CKK_EC_MONTGOMERY, CKA_EC_PARAMS the DER PrintableString of the curve
 * name ("edwards25519", "curve25519": the form 3.0 names first and
 * pkcs11-tool 0.23 reads), CKA_EC_POINT the 32-byte public key in a DER
 * OCTET STRING, as for the other curves.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "pkcs11/mech.h"
#include "pkcs11/p11.h"

#define CERT_CATEGORY_TOKEN_USER	1UL
#define EC_GROUP_NAME_MAX		80
#define EC_POINT_MAX			(1 + 2 * 66)
#define TAG_PRINTABLE_STRING		0x13u
#define CURVE_NAME_MAX			16

/* --- building ---------------------------------------------------------- */

static void
blob_free(struct p11_blob *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
}

void
p11_attrs_free(struct p11_keyattrs *a)
{
	blob_free(&a->subject);
	blob_free(&a->issuer);
	blob_free(&a->serial);
	blob_free(&a->spki);
	blob_free(&a->modulus);
	blob_free(&a->pubexp);
	blob_free(&a->ecparams);
	blob_free(&a->ecpoint);
	blob_free(&a->checkval);
	memset(a, 0, sizeof(*a));
}

static int
blob_set(struct p11_blob *b, const void *p, size_t len)
{
	if ((b->p = malloc(len ? len : 1)) == NULL)
		return -1;
	if (len > 0)
		memcpy(b->p, p, len);
	b->len = len;
	return 0;
}

/* Take the result of an i2d_*() call (OpenSSL memory) into a blob. */
static int
blob_i2d(struct p11_blob *b, unsigned char *der, int len)
{
	int ret = -1;

	if (der != NULL && len > 0)
		ret = blob_set(b, der, (size_t)len);
	OPENSSL_free(der);
	return ret;
}

static int
blob_bn(struct p11_blob *b, const EVP_PKEY *pk, const char *param)
{
	BIGNUM	*bn = NULL;
	int	 ret = -1, n;

	if (EVP_PKEY_get_bn_param(pk, param, &bn) != 1)
		goto fail;
	n = BN_num_bytes(bn);
	if (n <= 0 || (b->p = malloc((size_t)n)) == NULL)
		goto fail;
	b->len = (size_t)BN_bn2bin(bn, b->p);
	ret = 0;
fail:
	BN_free(bn);
	return ret;
}

static int
attrs_cert(struct p11_keyattrs *a, const uint8_t *der, size_t len)
{
	const unsigned char	*p = der;
	unsigned char		*out = NULL;
	unsigned char		 md[SHA_DIGEST_LENGTH];
	X509			*x = NULL;
	int			 ret = -1, n;

	if (len > LONG_MAX || (x = d2i_X509(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		ret = 0;	/* not shown (cert_ok stays false) */
		goto fail;
	}
	n = i2d_X509_NAME(X509_get_subject_name(x), &out);
	if (blob_i2d(&a->subject, out, n) < 0)
		goto fail;
	out = NULL;
	n = i2d_X509_NAME(X509_get_issuer_name(x), &out);
	if (blob_i2d(&a->issuer, out, n) < 0)
		goto fail;
	out = NULL;
	n = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &out);
	if (blob_i2d(&a->serial, out, n) < 0)
		goto fail;
	SHA1(der, len, md);
	if (blob_set(&a->checkval, md, 3) < 0)
		goto fail;
	a->cert_ok = true;
	ret = 0;
fail:
	X509_free(x);
	return ret;
}

static int
attrs_rsa(struct p11_keyattrs *a, const EVP_PKEY *pk)
{
	if (blob_bn(&a->modulus, pk, OSSL_PKEY_PARAM_RSA_N) < 0 ||
	    blob_bn(&a->pubexp, pk, OSSL_PKEY_PARAM_RSA_E) < 0)
		return -1;
	a->ktype = CKK_RSA;
	return 0;
}

static int
attrs_ec_params(struct p11_keyattrs *a, const EVP_PKEY *pk)
{
	char		 name[EC_GROUP_NAME_MAX];
	unsigned char	*out = NULL;
	ASN1_OBJECT	*obj;
	size_t		 len = 0;
	int		 nid, n;

	if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
	    name, sizeof(name), &len) != 1)
		return -1;
	if ((nid = OBJ_sn2nid(name)) == NID_undef &&
	    (nid = OBJ_txt2nid(name)) == NID_undef)
		return -1;
	if ((obj = OBJ_nid2obj(nid)) == NULL)
		return -1;
	n = i2d_ASN1_OBJECT(obj, &out);
	return blob_i2d(&a->ecparams, out, n);
}

static int
attrs_ec_point(struct p11_keyattrs *a, const EVP_PKEY *pk)
{
	unsigned char		 pt[EC_POINT_MAX];
	unsigned char		*out = NULL;
	ASN1_OCTET_STRING	*os = NULL;
	size_t			 len = 0;
	int			 ret = -1, n;

	if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, pt,
	    sizeof(pt), &len) != 1 || len > INT_MAX)
		goto fail;
	if ((os = ASN1_OCTET_STRING_new()) == NULL ||
	    ASN1_OCTET_STRING_set(os, pt, (int)len) != 1)
		goto fail;
	n = i2d_ASN1_OCTET_STRING(os, &out);
	ret = blob_i2d(&a->ecpoint, out, n);
fail:
	ASN1_OCTET_STRING_free(os);
	return ret;
}

/* CKA_EC_PARAMS of the 25519 curves: PrintableString name. */
static int
attrs_25519(struct p11_keyattrs *a, const EVP_PKEY *pk, CK_KEY_TYPE kt,
    const char *curve)
{
	uint8_t	der[2 + CURVE_NAME_MAX];
	size_t	n = strlen(curve);

	if (n > CURVE_NAME_MAX)
		return -1;
	der[0] = TAG_PRINTABLE_STRING;
	der[1] = (uint8_t)n;
	memcpy(der + 2, curve, n);
	if (blob_set(&a->ecparams, der, 2 + n) < 0 ||
	    attrs_ec_point(a, pk) < 0)
		return -1;
	a->ktype = kt;
	return 0;
}

static bool
mech_for_key(CK_MECHANISM_TYPE m, CK_KEY_TYPE kt)
{
	switch (m) {
	case CKM_RSA_PKCS: case CKM_RSA_X_509: case CKM_RSA_PKCS_PSS:
	case CKM_SHA1_RSA_PKCS: case CKM_SHA224_RSA_PKCS:
	case CKM_SHA256_RSA_PKCS: case CKM_SHA384_RSA_PKCS:
	case CKM_SHA512_RSA_PKCS: case CKM_SHA1_RSA_PKCS_PSS:
	case CKM_SHA224_RSA_PKCS_PSS: case CKM_SHA256_RSA_PKCS_PSS:
	case CKM_SHA384_RSA_PKCS_PSS: case CKM_SHA512_RSA_PKCS_PSS:
	case CKM_RSA_PKCS_OAEP:
		return kt == CKK_RSA;
	case CKM_ECDSA: case CKM_ECDSA_SHA1: case CKM_ECDSA_SHA224:
	case CKM_ECDSA_SHA256: case CKM_ECDSA_SHA384: case CKM_ECDSA_SHA512:
		return kt == CKK_EC;
	case CKM_EDDSA:
		return kt == CKK_EC_EDWARDS;
	case CKM_ECDH1_DERIVE: case CKM_ECDH1_COFACTOR_DERIVE:
		return kt == CKK_EC || kt == CKK_EC_MONTGOMERY;
	default:
		return false;
	}
}

/* One of the mechanism's operations is one the key may do. */
static bool
mech_for_usage(CK_MECHANISM_TYPE m, unsigned usage)
{
	CK_MECHANISM_INFO mi;

	if (mech_info(m, &mi) != CKR_OK)
		return false;
	return ((mi.flags & CKF_SIGN) && (usage & DRV_USE_SIGN)) ||
	    ((mi.flags & CKF_DECRYPT) && (usage & DRV_USE_DECRYPT)) ||
	    ((mi.flags & CKF_DERIVE) && (usage & DRV_USE_DERIVE));
}

static void
attrs_allowed(struct p11_keyattrs *a, unsigned usage)
{
	const CK_MECHANISM_TYPE	*l;
	size_t			 i, n = 0;

	l = mech_list(&n);
	for (i = 0; l != NULL && i < n; i++)
		if (mech_for_key(l[i], a->ktype) &&
		    mech_for_usage(l[i], usage) &&
		    a->nallowed < sizeof(a->allowed) / sizeof(a->allowed[0]))
			a->allowed[a->nallowed++] = l[i];
}

static int
attrs_pub(struct p11_keyattrs *a, const struct drv_key *k)
{
	unsigned char *out = NULL;
	int n;

	a->ktype = CK_UNAVAILABLE_INFORMATION;
	n = i2d_PUBKEY(k->pub, &out);
	if (blob_i2d(&a->spki, out, n) < 0)
		return -1;
	a->bits = (CK_ULONG)EVP_PKEY_get_bits(k->pub);
	if (k->type == DRV_KEY_RSA && EVP_PKEY_is_a(k->pub, "RSA"))
		return attrs_rsa(a, k->pub);
	if (k->type == DRV_KEY_EC && EVP_PKEY_is_a(k->pub, "EC")) {
		if (attrs_ec_params(a, k->pub) < 0 ||
		    attrs_ec_point(a, k->pub) < 0)
			return -1;
		a->ktype = CKK_EC;
	}
	if (k->type == DRV_KEY_ED25519 && EVP_PKEY_is_a(k->pub, "ED25519"))
		return attrs_25519(a, k->pub, CKK_EC_EDWARDS, "edwards25519");
	if (k->type == DRV_KEY_X25519 && EVP_PKEY_is_a(k->pub, "X25519"))
		return attrs_25519(a, k->pub, CKK_EC_MONTGOMERY, "curve25519");
	return 0;	/* other types: certificate only */
}

CK_RV
p11_attrs_build(struct p11_key *key)
{
	struct p11_keyattrs *a = &key->a;

	memset(a, 0, sizeof(*a));
	if (attrs_pub(a, &key->k) < 0)
		goto fail;
	if (key->k.cert != NULL &&
	    attrs_cert(a, key->k.cert, key->k.cert_len) < 0)
		goto fail;
	attrs_allowed(a, key->k.usage);
	return CKR_OK;
fail:
	p11_attrs_free(a);
	return CKR_HOST_MEMORY;
}

/* --- values -------------------------------------------------------------- */

static CK_RV
val_ul(struct p11_aval *v, CK_ULONG x)
{
	v->ul = x;
	v->p = &v->ul;
	v->len = sizeof(v->ul);
	return CKR_OK;
}

static CK_RV
val_bool(struct p11_aval *v, bool x)
{
	v->b = x ? CK_TRUE : CK_FALSE;
	v->p = &v->b;
	v->len = sizeof(v->b);
	return CKR_OK;
}

static CK_RV
val_bytes(struct p11_aval *v, const void *p, size_t len)
{
	v->p = p;
	v->len = len;
	return CKR_OK;
}

static CK_RV
val_blob(struct p11_aval *v, const struct p11_blob *b)
{
	return val_bytes(v, b->p, b->len);
}

static CK_RV
val_str(struct p11_aval *v, const char *s)
{
	return val_bytes(v, s, strnlen(s, DRV_LABEL_MAX));
}

/* Attributes every object has. */
static CK_RV
val_common(const struct p11_key *key, enum p11_kind kind,
    CK_ATTRIBUTE_TYPE t, struct p11_aval *v)
{
	static const CK_OBJECT_CLASS cls[] = {
		CKO_CERTIFICATE, CKO_PUBLIC_KEY, CKO_PRIVATE_KEY
	};

	switch (t) {
	case CKA_CLASS:
		return val_ul(v, cls[kind]);
	case CKA_TOKEN:
		return val_bool(v, true);
	case CKA_PRIVATE:
		return val_bool(v, kind == P11_PRIV && !key->k.no_pin);
	case CKA_MODIFIABLE:
	case CKA_COPYABLE:
		return val_bool(v, false);
	case CKA_DESTROYABLE:		/* create.c: certificates only */
		return val_bool(v, kind == P11_CERT);
	case CKA_LABEL:
		return val_str(v, kind == P11_CERT ? key->k.cert_label :
		    key->k.key_label);
	case CKA_ID:
		return val_bytes(v, key->id, key->id_len);
	case CKA_SUBJECT:
		return val_blob(v, &key->a.subject);
	case CKA_PUBLIC_KEY_INFO:
		return val_blob(v, &key->a.spki);
	case CKA_START_DATE:
	case CKA_END_DATE:
		return val_bytes(v, NULL, 0);
	default:
		return CKR_ATTRIBUTE_TYPE_INVALID;
	}
}

static CK_RV
val_cert(const struct p11_key *key, CK_ATTRIBUTE_TYPE t, struct p11_aval *v)
{
	switch (t) {
	case CKA_CERTIFICATE_TYPE:
		return val_ul(v, CKC_X_509);
	case CKA_TRUSTED:
		return val_bool(v, false);
	case CKA_CERTIFICATE_CATEGORY:
		return val_ul(v, CERT_CATEGORY_TOKEN_USER);
	case CKA_CHECK_VALUE:
		return val_blob(v, &key->a.checkval);
	case CKA_ISSUER:
		return val_blob(v, &key->a.issuer);
	case CKA_SERIAL_NUMBER:
		return val_blob(v, &key->a.serial);
	case CKA_VALUE:
		return val_bytes(v, key->k.cert, key->k.cert_len);
	case CKA_URL:
	case CKA_HASH_OF_SUBJECT_PUBLIC_KEY:
	case CKA_HASH_OF_ISSUER_PUBLIC_KEY:
		return val_bytes(v, NULL, 0);
	case CKA_JAVA_MIDP_SECURITY_DOMAIN:
		return val_ul(v, 0);
	case CKA_NAME_HASH_ALGORITHM:
		return val_ul(v, CKM_SHA_1);
	default:
		return CKR_ATTRIBUTE_TYPE_INVALID;
	}
}

/* The public parts, on both keys. */
static CK_RV
val_pubparts(const struct p11_key *key, CK_ATTRIBUTE_TYPE t,
    struct p11_aval *v)
{
	bool rsa = key->a.ktype == CKK_RSA;

	switch (t) {
	case CKA_MODULUS:
		return rsa ? val_blob(v, &key->a.modulus) :
		    CKR_ATTRIBUTE_TYPE_INVALID;
	case CKA_MODULUS_BITS:
		return rsa ? val_ul(v, key->a.bits) :
		    CKR_ATTRIBUTE_TYPE_INVALID;
	case CKA_PUBLIC_EXPONENT:
		return rsa ? val_blob(v, &key->a.pubexp) :
		    CKR_ATTRIBUTE_TYPE_INVALID;
	case CKA_EC_PARAMS:
		return !rsa ? val_blob(v, &key->a.ecparams) :
		    CKR_ATTRIBUTE_TYPE_INVALID;
	case CKA_EC_POINT:
		return !rsa ? val_blob(v, &key->a.ecpoint) :
		    CKR_ATTRIBUTE_TYPE_INVALID;
	default:
		return CKR_ATTRIBUTE_TYPE_INVALID;
	}
}

/* Attributes of both key objects. */
static CK_RV
val_key(const struct p11_key *key, enum p11_kind kind, CK_ATTRIBUTE_TYPE t,
    struct p11_aval *v)
{
	switch (t) {
	case CKA_KEY_TYPE:
		return val_ul(v, key->a.ktype);
	case CKA_DERIVE:
		return val_bool(v, kind == P11_PRIV &&
		    (key->k.usage & DRV_USE_DERIVE));
	case CKA_LOCAL:
		return val_bool(v, key->k.local);
	case CKA_KEY_GEN_MECHANISM:
		if (key->k.local && key->a.ktype == CKK_RSA)
			return val_ul(v, CKM_RSA_PKCS_KEY_PAIR_GEN);
		if (key->k.local && key->a.ktype == CKK_EC)
			return val_ul(v, CKM_EC_KEY_PAIR_GEN);
		return val_ul(v, CK_UNAVAILABLE_INFORMATION);
	case CKA_ALLOWED_MECHANISMS:
		return val_bytes(v, key->a.allowed,
		    key->a.nallowed * sizeof(key->a.allowed[0]));
	default:
		return val_pubparts(key, t, v);
	}
}

static CK_RV
val_pub(const struct p11_key *key, CK_ATTRIBUTE_TYPE t, struct p11_aval *v)
{
	switch (t) {
	case CKA_ENCRYPT:
		return val_bool(v, key->a.ktype == CKK_RSA &&
		    (key->k.usage & DRV_USE_DECRYPT));
	case CKA_VERIFY:
		return val_bool(v, (key->k.usage & DRV_USE_SIGN) != 0);
	case CKA_VERIFY_RECOVER:
	case CKA_WRAP:
	case CKA_TRUSTED:
		return val_bool(v, false);
	default:
		return val_key(key, P11_PUB, t, v);
	}
}

static bool
attr_secret(CK_KEY_TYPE kt, CK_ATTRIBUTE_TYPE t)
{
	switch (t) {
	case CKA_PRIVATE_EXPONENT: case CKA_PRIME_1: case CKA_PRIME_2:
	case CKA_EXPONENT_1: case CKA_EXPONENT_2: case CKA_COEFFICIENT:
		return kt == CKK_RSA;
	case CKA_VALUE:
		return kt == CKK_EC || kt == CKK_EC_EDWARDS ||
		    kt == CKK_EC_MONTGOMERY;
	default:
		return false;
	}
}

static CK_RV
val_priv(const struct p11_key *key, CK_ATTRIBUTE_TYPE t, struct p11_aval *v)
{
	if (attr_secret(key->a.ktype, t))
		return CKR_ATTRIBUTE_SENSITIVE;
	switch (t) {
	case CKA_SENSITIVE:
	case CKA_ALWAYS_SENSITIVE:
	case CKA_NEVER_EXTRACTABLE:
		return val_bool(v, true);
	case CKA_EXTRACTABLE:
	case CKA_SIGN_RECOVER:
	case CKA_UNWRAP:
	case CKA_WRAP_WITH_TRUSTED:
		return val_bool(v, false);
	case CKA_DECRYPT:
		return val_bool(v, key->a.ktype == CKK_RSA &&
		    (key->k.usage & DRV_USE_DECRYPT));
	case CKA_SIGN:
		return val_bool(v, (key->k.usage & DRV_USE_SIGN) != 0);
	case CKA_ALWAYS_AUTHENTICATE:
		return val_bool(v, key->k.always_auth);
	default:
		return val_key(key, P11_PRIV, t, v);
	}
}

CK_RV
p11_attr_value(const struct p11_key *key, enum p11_kind kind,
    CK_ATTRIBUTE_TYPE t, struct p11_aval *v)
{
	CK_RV rv;

	memset(v, 0, sizeof(*v));
	if ((rv = val_common(key, kind, t, v)) != CKR_ATTRIBUTE_TYPE_INVALID)
		return rv;
	switch (kind) {
	case P11_CERT:
		return val_cert(key, t, v);
	case P11_PUB:
		return val_pub(key, t, v);
	case P11_PRIV:
		return val_priv(key, t, v);
	}
	return CKR_ATTRIBUTE_TYPE_INVALID;
}

bool
p11_attr_match(const struct p11_key *key, enum p11_kind kind,
    const CK_ATTRIBUTE *tpl, CK_ULONG n)
{
	struct p11_aval	v;
	CK_ULONG	i;

	for (i = 0; i < n; i++) {
		if (p11_attr_value(key, kind, tpl[i].type, &v) != CKR_OK)
			return false;
		if (v.len != tpl[i].ulValueLen || (v.len > 0 &&
		    memcmp(v.p, tpl[i].pValue, v.len) != 0))
			return false;
	}
	return true;
}

/* --- C_GetAttributeValue ------------------------------------------------- */

/* One template entry; the spec's cases in order. */
static CK_RV
attr_get_one(const struct p11_key *key, enum p11_kind kind, CK_ATTRIBUTE *a)
{
	struct p11_aval	v;
	CK_RV		rv;

	rv = p11_attr_value(key, kind, a->type, &v);
	if (rv != CKR_OK) {
		a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return rv;
	}
	if (a->pValue == NULL) {
		a->ulValueLen = v.len;
		return CKR_OK;
	}
	if (a->ulValueLen < v.len) {
		a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return CKR_BUFFER_TOO_SMALL;
	}
	if (v.len > 0)
		memcpy(a->pValue, v.p, v.len);
	a->ulValueLen = v.len;
	return CKR_OK;
}

/* Every entry is processed; when several fail, the code returned is the
 * first in the spec's order: sensitive, type invalid, buffer too small. */
static CK_RV
attr_get(const struct p11_key *key, enum p11_kind kind, CK_ATTRIBUTE *tpl,
    CK_ULONG n)
{
	bool	sens = false, inval = false, small = false;
	CK_ULONG i;
	CK_RV	rv;

	for (i = 0; i < n; i++) {
		rv = attr_get_one(key, kind, &tpl[i]);
		sens |= rv == CKR_ATTRIBUTE_SENSITIVE;
		inval |= rv == CKR_ATTRIBUTE_TYPE_INVALID;
		small |= rv == CKR_BUFFER_TOO_SMALL;
	}
	if (sens)
		return CKR_ATTRIBUTE_SENSITIVE;
	if (inval)
		return CKR_ATTRIBUTE_TYPE_INVALID;
	return small ? CKR_BUFFER_TOO_SMALL : CKR_OK;
}

CK_RV
C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
    CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	struct p11_key		*key;
	enum p11_kind		 kind = P11_CERT;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_check_init()) != CKR_OK)
		goto out;
	if (pTemplate == NULL && ulCount > 0) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	if (p11_secret_handle(hObject))
		rv = p11_secret_attrs(s, hObject, pTemplate, ulCount);
	else if ((rv = p11_obj_lookup(s, hObject, false, &key, &kind)) ==
	    CKR_OK)
		rv = attr_get(key, kind, pTemplate, ulCount);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}
