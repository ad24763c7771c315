/*
 * pkcs11/tmpl.c - reading the templates of C_GenerateKeyPair and
 * C_CreateObject (keygen.c, create.c, create_key.c).
 *
 * What the objects of a PIV card can be decides what a template may ask:
 * - checked, a different value CKR_ATTRIBUTE_VALUE_INVALID: CKA_TOKEN
 *   (TRUE: no session objects), CKA_PRIVATE (TRUE for private keys only),
 *   CKA_MODIFIABLE and CKA_COPYABLE (FALSE), CKA_DESTROYABLE (TRUE for
 *   certificates only), CKA_SENSITIVE (TRUE) and CKA_EXTRACTABLE (FALSE)
 *   on private keys; CKA_CLASS another class CKR_TEMPLATE_INCONSISTENT;
 * - accepted and not stored (a PIV card has nowhere to keep them; the
 *   objects show the key reference's fixed names and usage): CKA_LABEL,
 *   CKA_SUBJECT, CKA_START_DATE, CKA_END_DATE, and on keys the usage
 *   flags CKA_SIGN, CKA_VERIFY, CKA_DECRYPT, CKA_ENCRYPT, CKA_WRAP,
 *   CKA_UNWRAP, CKA_DERIVE, CKA_SIGN_RECOVER, CKA_VERIFY_RECOVER;
 * - set by the token, CKR_ATTRIBUTE_READ_ONLY: CKA_LOCAL,
 *   CKA_KEY_GEN_MECHANISM, CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE,
 *   CKA_ALLOWED_MECHANISMS, CKA_PUBLIC_KEY_INFO, CKA_CHECK_VALUE;
 * - anything else CKR_ATTRIBUTE_TYPE_INVALID.
 * Policies (private keys): CKA_ALWAYS_AUTHENTICATE TRUE is PIN policy
 * "always", FALSE "not always" (the reference's default, or "once" where
 * that is "always"); CKA_SMARTSIGN_PIN_POLICY (1 never, 2 once,
 * 3 always) and CKA_SMARTSIGN_TOUCH_POLICY (1 never, 2 always, 3 cached)
 * set them exactly; a PIN policy that contradicts CKA_ALWAYS_AUTHENTICATE
 * is CKR_TEMPLATE_INCONSISTENT.
 */
#include <string.h>

#include "pkcs11/p11.h"
#include "reader/buf.h"
#include "reader/tlv.h"

#define TAG_OID		0x06u
#define TAG_PRINTABLE	0x13u
#define PIN_POLICY_MAX	3
#define TOUCH_POLICY_MAX 3
#define PIN_ALWAYS	3

static const uint8_t oid_p256[] = {
	0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
};
static const uint8_t oid_p384[] = {
	0x2b, 0x81, 0x04, 0x00, 0x22,
};

static const struct {
	const char	*name;
	unsigned	 bits;
} curve_names[] = {
	{ "prime256v1", 256 }, { "secp256r1", 256 }, { "P-256", 256 },
	{ "secp384r1", 384 }, { "P-384", 384 },
};

CK_RV
p11_tpl_check(const CK_ATTRIBUTE *tpl, CK_ULONG n)
{
	CK_ULONG i;

	if (tpl == NULL && n > 0)
		return CKR_ARGUMENTS_BAD;
	for (i = 0; i < n; i++)
		if (tpl[i].pValue == NULL && tpl[i].ulValueLen > 0)
			return CKR_ARGUMENTS_BAD;
	return CKR_OK;
}

CK_RV
p11_tpl_ulong(const CK_ATTRIBUTE *a, CK_ULONG *v)
{
	if (a->ulValueLen != sizeof(*v))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(v, a->pValue, sizeof(*v));
	return CKR_OK;
}

CK_RV
p11_tpl_want(const CK_ATTRIBUTE *a, bool want)
{
	CK_BBOOL b;

	if (a->ulValueLen != sizeof(b))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(&b, a->pValue, sizeof(b));
	return (b != CK_FALSE) == want ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
}

CK_RV
p11_tpl_id(const struct p11_slot *s, const CK_ATTRIBUTE *a, size_t *i)
{
	if (a->ulValueLen == 0 ||
	    !p11_key_find_id(s, a->pValue, (size_t)a->ulValueLen, i))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	return CKR_OK;
}

static bool
bytes_eq(const struct ss_tlv *t, const void *p, size_t len)
{
	return t->len == len && memcmp(t->val, p, len) == 0;
}

CK_RV
p11_tpl_curve(const CK_ATTRIBUTE *a, unsigned *bits)
{
	struct ss_tlv	t;
	size_t		i;

	if (ss_tlv_expect(a->pValue, (size_t)a->ulValueLen, TAG_OID, &t) ==
	    0) {
		if (bytes_eq(&t, oid_p256, sizeof(oid_p256)))
			*bits = 256;
		else if (bytes_eq(&t, oid_p384, sizeof(oid_p384)))
			*bits = 384;
		else
			return CKR_ATTRIBUTE_VALUE_INVALID;
		return CKR_OK;
	}
	if (ss_tlv_expect(a->pValue, (size_t)a->ulValueLen, TAG_PRINTABLE,
	    &t) < 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	for (i = 0; i < sizeof(curve_names) / sizeof(curve_names[0]); i++) {
		if (bytes_eq(&t, curve_names[i].name,
		    strlen(curve_names[i].name))) {
			*bits = curve_names[i].bits;
			return CKR_OK;
		}
	}
	return CKR_ATTRIBUTE_VALUE_INVALID;
}

CK_RV
p11_tpl_policy(const CK_ATTRIBUTE *a, struct p11_policy *p, bool *done)
{
	CK_BBOOL	b;
	CK_RV		rv;

	*done = true;
	switch (a->type) {
	case CKA_ALWAYS_AUTHENTICATE:
		if (a->ulValueLen != sizeof(b))
			return CKR_ATTRIBUTE_VALUE_INVALID;
		memcpy(&b, a->pValue, sizeof(b));
		p->always = b != CK_FALSE;
		return CKR_OK;
	case CKA_SMARTSIGN_PIN_POLICY:
		if ((rv = p11_tpl_ulong(a, &p->pin)) != CKR_OK)
			return rv;
		return p->pin <= PIN_POLICY_MAX ? CKR_OK :
		    CKR_ATTRIBUTE_VALUE_INVALID;
	case CKA_SMARTSIGN_TOUCH_POLICY:
		if ((rv = p11_tpl_ulong(a, &p->touch)) != CKR_OK)
			return rv;
		return p->touch <= TOUCH_POLICY_MAX ? CKR_OK :
		    CKR_ATTRIBUTE_VALUE_INVALID;
	default:
		*done = false;
		return CKR_OK;
	}
}

CK_RV
p11_tpl_policy_end(const struct p11_policy *p, struct drv_keyspec *spec)
{
	spec->touch_policy = (uint8_t)p->touch;
	spec->pin_policy = (uint8_t)p->pin;
	if (p->always < 0)
		return CKR_OK;
	if (p->pin != 0)
		return (p->pin == PIN_ALWAYS) == (p->always == 1) ? CKR_OK :
		    CKR_TEMPLATE_INCONSISTENT;
	spec->pin_policy = (uint8_t)(p->always ? PIN_ALWAYS :
	    DRV_PIN_NOT_ALWAYS);
	return CKR_OK;
}

/* Attributes the token sets itself. */
static bool
tpl_token_set(CK_ATTRIBUTE_TYPE t)
{
	switch (t) {
	case CKA_LOCAL: case CKA_KEY_GEN_MECHANISM:
	case CKA_ALWAYS_SENSITIVE: case CKA_NEVER_EXTRACTABLE:
	case CKA_ALLOWED_MECHANISMS: case CKA_PUBLIC_KEY_INFO:
	case CKA_CHECK_VALUE:
		return true;
	default:
		return false;
	}
}

/* Usage flags of keys: accepted, the key reference decides. */
static bool
tpl_usage(CK_ATTRIBUTE_TYPE t)
{
	switch (t) {
	case CKA_SIGN: case CKA_VERIFY: case CKA_DECRYPT: case CKA_ENCRYPT:
	case CKA_WRAP: case CKA_UNWRAP: case CKA_DERIVE:
	case CKA_SIGN_RECOVER: case CKA_VERIFY_RECOVER:
		return true;
	default:
		return false;
	}
}

static CK_RV
tpl_class(const CK_ATTRIBUTE *a, CK_OBJECT_CLASS cls)
{
	CK_ULONG v = 0;

	if (p11_tpl_ulong(a, &v) != CKR_OK)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	return v == cls ? CKR_OK : CKR_TEMPLATE_INCONSISTENT;
}

CK_RV
p11_tpl_common(const CK_ATTRIBUTE *a, CK_OBJECT_CLASS cls)
{
	bool key = cls != CKO_CERTIFICATE, priv = cls == CKO_PRIVATE_KEY;

	if (tpl_token_set(a->type))
		return CKR_ATTRIBUTE_READ_ONLY;
	if (key && tpl_usage(a->type))
		return a->ulValueLen == sizeof(CK_BBOOL) ? CKR_OK :
		    CKR_ATTRIBUTE_VALUE_INVALID;
	switch (a->type) {
	case CKA_CLASS:
		return tpl_class(a, cls);
	case CKA_TOKEN:
		return p11_tpl_want(a, true);
	case CKA_PRIVATE:
		return p11_tpl_want(a, priv);
	case CKA_MODIFIABLE:
	case CKA_COPYABLE:
		return p11_tpl_want(a, false);
	case CKA_DESTROYABLE:
		return p11_tpl_want(a, !key);
	case CKA_SENSITIVE:
		return priv ? p11_tpl_want(a, true) : CKR_ATTRIBUTE_TYPE_INVALID;
	case CKA_EXTRACTABLE:
		return priv ? p11_tpl_want(a, false) :
		    CKR_ATTRIBUTE_TYPE_INVALID;
	case CKA_LABEL:
	case CKA_SUBJECT:
	case CKA_START_DATE:
	case CKA_END_DATE:
		return CKR_OK;
	default:
		return CKR_ATTRIBUTE_TYPE_INVALID;
	}
}
