/*
 * pkcs11/derive.c - C_DeriveKey: ECDH with a key on the card
 * (CKM_ECDH1_DERIVE, CKM_ECDH1_COFACTOR_DERIVE on P-256, P-384 and X25519
 * keys whose usage allows derivation: 9D, the retired keys).
 *
 * Order: the base key, the mechanism and its parameters (mech_ecdh.c),
 * and the template (secret.c) are all checked before the card is asked,
 * so a bad call costs no APDU.  The card returns the shared secret Z
 * (the X coordinate, or the X25519 output); the KDF turns it into the
 * key value; the result is a session object (secret.c).  Z and the value
 * are wiped on every path; the driver flags the APDU SS_APDU_SECRET.
 *
 * Choices where PKCS#11 leaves room:
 * - length: CKA_VALUE_LEN when given (CKD_NULL: at most |Z|, the leading
 *   bytes of Z), else |Z| (32 or 48);
 * - an all-zero X25519 result (a low-order peer value) is refused with
 *   CKR_MECHANISM_PARAM_INVALID (RFC 7748 section 6.1);
 * - the card refusing the peer's value (6A80) is
 *   CKR_MECHANISM_PARAM_INVALID too;
 * - a key with CKA_ALWAYS_AUTHENTICATE cannot derive: C_DeriveKey is one
 *   call, there is no operation a context-specific login could precede.
 */
#include <string.h>

#include "pkcs11/mech.h"
#include "pkcs11/p11.h"
#include "reader/wipe.h"

#define Z_MAX	64

static CK_RV
derive_key(struct p11_slot *s, CK_OBJECT_HANDLE h, struct p11_key **kp)
{
	enum p11_kind kind = P11_CERT;

	if (p11_obj_lookup(s, h, true, kp, &kind) != CKR_OK ||
	    kind == P11_CERT)
		return CKR_KEY_HANDLE_INVALID;
	if (kind == P11_PUB)
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	if (!p11_key_usable(s, *kp))
		return CKR_USER_NOT_LOGGED_IN;
	return CKR_OK;
}

/* The key length: what the template asks, within what the KDF gives. */
static CK_RV
derive_len(const struct mech_ecdh *e, const struct p11_secret_spec *sp,
    size_t *len)
{
	*len = sp->value_len != 0 ? (size_t)sp->value_len : e->z_len;
	if (e->kdf_md == NULL && *len > e->z_len)
		return CKR_KEY_SIZE_RANGE;
	return CKR_OK;
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	uint8_t	acc = 0;
	size_t	i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* Z from the card. */
static CK_RV
derive_card(struct p11_slot *s, const struct p11_key *key,
    const struct mech_ecdh *e, uint8_t *z)
{
	size_t	zlen = Z_MAX;
	CK_RV	rv;
	int	rc;

	if ((rv = p11_io_begin(s, P11_E_KEYOP)) != CKR_OK)
		return rv;
	if (!p11_key_usable(s, key)) {	/* the card was reset meanwhile */
		p11_io_end(s);
		return CKR_USER_NOT_LOGGED_IN;
	}
	rc = s->drv->derive(s->card, s->chan, &key->k, e->peer, e->peer_len,
	    z, &zlen);
	p11_io_end(s);
	if (rc == DRV_ERR_DATA_INVALID)
		return CKR_MECHANISM_PARAM_INVALID;
	if (rc != DRV_OK)
		return p11_slot_err(s, rc, P11_E_KEYOP);
	if (zlen != e->z_len)
		return CKR_DEVICE_ERROR;
	if (key->k.type == DRV_KEY_X25519 && all_zero(z, zlen))
		return CKR_MECHANISM_PARAM_INVALID;
	return CKR_OK;
}

static CK_RV
derive_run(struct p11_slot *s, const struct p11_session *ss,
    const CK_MECHANISM *m, CK_OBJECT_HANDLE base, const CK_ATTRIBUTE *tpl,
    CK_ULONG n, CK_OBJECT_HANDLE *out)
{
	struct p11_secret_spec	 sp;
	struct mech_ecdh	 e;
	struct p11_key		*key;
	uint8_t			 z[Z_MAX], val[P11_SECRET_LEN_MAX];
	size_t			 len = 0;
	CK_RV			 rv;

	if ((rv = derive_key(s, base, &key)) != CKR_OK ||
	    (rv = (CK_RV)mech_ecdh_setup(m, &key->k, &e)) != CKR_OK ||
	    (rv = p11_secret_template(tpl, n, &sp)) != CKR_OK ||
	    (rv = derive_len(&e, &sp, &len)) != CKR_OK)
		goto out;
	if (key->k.always_auth) {
		rv = CKR_USER_NOT_LOGGED_IN;
		goto out;
	}
	if ((rv = derive_card(s, key, &e, z)) != CKR_OK ||
	    (rv = (CK_RV)mech_ecdh_kdf(&e, z, val, len)) != CKR_OK)
		goto out;
	rv = p11_secret_add(s, ss->h, &sp, val, len, out);
out:
	ss_wipe(z, sizeof(z));
	ss_wipe(val, sizeof(val));
	return rv;
}

CK_RV
C_DeriveKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
    CK_OBJECT_HANDLE hBaseKey, CK_ATTRIBUTE_PTR pTemplate,
    CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_check_init()) != CKR_OK)
		goto out;
	if (pMechanism == NULL || phKey == NULL ||
	    (pTemplate == NULL && ulAttributeCount > 0)) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	rv = derive_run(s, ss, pMechanism, hBaseKey, pTemplate,
	    ulAttributeCount, phKey);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}
