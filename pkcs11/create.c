/*
 * pkcs11/create.c - C_CreateObject, C_DestroyObject, C_SetAttributeValue
 * on a PIV card.
 *
 * C_CreateObject (an R/W session and the SO logged in with the management
 * key: CKR_SESSION_READ_ONLY, CKR_USER_NOT_LOGGED_IN):
 * - CKO_CERTIFICATE: CKA_CERTIFICATE_TYPE CKC_X_509, CKA_VALUE (one DER
 *   certificate, nothing after it) and CKA_ID (the key reference, as for
 *   C_GenerateKeyPair) required (CKR_TEMPLATE_INCOMPLETE); written with
 *   PUT DATA into the reference's certificate object, replacing what was
 *   there.  CKA_SUBJECT, CKA_ISSUER, CKA_SERIAL_NUMBER are accepted and
 *   derived from CKA_VALUE; the rest: tmpl.c.  Too big for the card:
 *   CKR_DEVICE_MEMORY.  The certificate need not match the key; where
 *   the module knows the key exactly (generated or imported here, or a
 *   YubiKey that reports it) the key objects keep that public key.
 * - CKO_PRIVATE_KEY: create_key.c (YubiKey import).
 * - other classes: CKR_TEMPLATE_INCONSISTENT (a PIV card stores neither
 *   lone public keys nor data or secret keys).
 * C_DestroyObject: certificates (CKA_DESTROYABLE TRUE), same rules, PUT
 * DATA with an empty object; keys cannot be removed from a PIV card:
 * CKR_ACTION_PROHIBITED (CKA_DESTROYABLE FALSE).  Session secret keys:
 * secret.c.
 * C_SetAttributeValue: the objects are not modifiable (CKA_MODIFIABLE
 * FALSE): a PIV card stores no labels or IDs, and a label kept in this
 * process only would differ in every other application.  A template
 * whose values are all the object's own changes nothing: CKR_OK; an
 * attribute the object does not have: CKR_ATTRIBUTE_TYPE_INVALID; any
 * other value: CKR_ACTION_PROHIBITED, the code PKCS#11 gives for an
 * object with CKA_MODIFIABLE FALSE, whatever the session or login.
 *
 * The object cache (object.c) changes in the same call: a written
 * certificate gets a new handle, a destroyed one's handle goes invalid.
 */
#include <limits.h>
#include <string.h>

#include <openssl/x509.h>

#include "pkcs11/p11.h"

struct cert_req {
	const CK_ATTRIBUTE	*value;
	const CK_ATTRIBUTE	*id;
	bool			 x509;
};

static CK_RV
cert_attr(struct cert_req *c, const CK_ATTRIBUTE *a)
{
	CK_ULONG v = 0;

	switch (a->type) {
	case CKA_CERTIFICATE_TYPE:
		if (p11_tpl_ulong(a, &v) != CKR_OK || v != CKC_X_509)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		c->x509 = true;
		return CKR_OK;
	case CKA_VALUE:
		c->value = a;
		return CKR_OK;
	case CKA_ID:
		c->id = a;
		return CKR_OK;
	case CKA_ISSUER:
	case CKA_SERIAL_NUMBER:
	case CKA_CERTIFICATE_CATEGORY:
		return CKR_OK;
	case CKA_TRUSTED:
		return p11_tpl_want(a, false);
	default:
		return p11_tpl_common(a, CKO_CERTIFICATE);
	}
}

/* Exactly one DER certificate. */
static CK_RV
cert_value(const CK_ATTRIBUTE *a)
{
	const unsigned char	*p = a->pValue;
	X509			*x;
	CK_RV			 rv = CKR_ATTRIBUTE_VALUE_INVALID;

	if (a->ulValueLen == 0 || a->ulValueLen > LONG_MAX)
		return rv;
	if ((x = d2i_X509(NULL, &p, (long)a->ulValueLen)) != NULL &&
	    p == (const unsigned char *)a->pValue + a->ulValueLen)
		rv = CKR_OK;
	X509_free(x);
	return rv;
}

static CK_RV
cert_template(const struct p11_slot *s, const CK_ATTRIBUTE *tpl,
    CK_ULONG n, struct cert_req *c, size_t *i)
{
	CK_ULONG	k;
	CK_RV		rv = CKR_OK;

	memset(c, 0, sizeof(*c));
	for (k = 0; k < n && rv == CKR_OK; k++)
		rv = cert_attr(c, &tpl[k]);
	if (rv != CKR_OK)
		return rv;
	if (c->value == NULL || c->id == NULL || !c->x509)
		return CKR_TEMPLATE_INCOMPLETE;
	if ((rv = cert_value(c->value)) != CKR_OK)
		return rv;
	return p11_tpl_id(s, c->id, i);
}

/* The cache after a write: keep an exactly known key, else read again. */
static CK_RV
cert_cached(struct p11_slot *s, size_t i, const CK_ATTRIBUTE *value)
{
	struct p11_key	*key = &s->keys[i];
	CK_RV		 rv;

	if (key->state == P11_KEY_LOADED && key->pub_exact)
		return p11_key_set_cert(s, i, value->pValue,
		    (size_t)value->ulValueLen);
	p11_key_forget(s, i, P11_CHG_ALL);
	if ((rv = p11_key_load(s, i)) != CKR_OK)
		return rv;
	return p11_obj_exists(s, key, P11_CERT, true) ? CKR_OK :
	    CKR_FUNCTION_FAILED;
}

static CK_RV
create_cert(struct p11_slot *s, const CK_ATTRIBUTE *tpl, CK_ULONG n,
    CK_OBJECT_HANDLE *h)
{
	struct cert_req	c;
	size_t		i = 0;
	CK_RV		rv;
	int		rc;

	if ((rv = cert_template(s, tpl, n, &c, &i)) != CKR_OK)
		return rv;
	if (s->drv->write_cert == NULL)
		return CKR_TEMPLATE_INCONSISTENT;
	if ((rv = p11_so_io_begin(s)) != CKR_OK)
		return rv;
	rc = s->drv->write_cert(s->card, s->chan, s->keys[i].ref,
	    c.value->pValue, (size_t)c.value->ulValueLen);
	p11_io_end(s);
	if (rc != DRV_OK)
		return p11_so_err(s, rc, CKR_TEMPLATE_INCONSISTENT,
		    CKR_ATTRIBUTE_VALUE_INVALID);
	if ((rv = cert_cached(s, i, c.value)) != CKR_OK)
		return rv;
	*h = p11_obj_handle(s, i, P11_CERT);
	return CKR_OK;
}

static CK_RV
create_class(const CK_ATTRIBUTE *tpl, CK_ULONG n, CK_OBJECT_CLASS *cls)
{
	CK_ULONG i;

	for (i = 0; i < n; i++)
		if (tpl[i].type == CKA_CLASS)
			return p11_tpl_ulong(&tpl[i], cls);
	return CKR_TEMPLATE_INCOMPLETE;
}

static CK_RV
create_run(struct p11_slot *s, struct p11_session *ss,
    const CK_ATTRIBUTE *tpl, CK_ULONG n, CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_CLASS	cls = 0;
	CK_RV		rv;

	if ((rv = p11_so_check(s, ss)) != CKR_OK ||
	    (rv = create_class(tpl, n, &cls)) != CKR_OK)
		return rv;
	switch (cls) {
	case CKO_CERTIFICATE:
		return create_cert(s, tpl, n, h);
	case CKO_PRIVATE_KEY:
		return p11_create_key(s, tpl, n, h);
	default:
		return CKR_TEMPLATE_INCONSISTENT;
	}
}

CK_RV
C_CreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate,
    CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phObject)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_check_init()) != CKR_OK)
		goto out;
	if (phObject == NULL || p11_tpl_check(pTemplate, ulCount) != CKR_OK) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	rv = create_run(s, ss, pTemplate, ulCount, phObject);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}

/* --- C_DestroyObject -------------------------------------------------------- */

static CK_RV
destroy_cert(struct p11_slot *s, struct p11_session *ss, struct p11_key *key)
{
	size_t	i = (size_t)(key - s->keys);
	CK_RV	rv;
	int	rc;

	if ((rv = p11_so_check(s, ss)) != CKR_OK)
		return rv;
	if (s->drv->delete_cert == NULL)
		return CKR_ACTION_PROHIBITED;
	if ((rv = p11_so_io_begin(s)) != CKR_OK)
		return rv;
	rc = s->drv->delete_cert(s->card, s->chan, key->ref);
	p11_io_end(s);
	if (rc != DRV_OK)
		return p11_so_err(s, rc, CKR_ACTION_PROHIBITED,
		    CKR_DEVICE_ERROR);
	return p11_key_set_cert(s, i, NULL, 0);
}

static CK_RV
destroy_run(struct p11_slot *s, struct p11_session *ss, CK_OBJECT_HANDLE h)
{
	struct p11_key	*key;
	enum p11_kind	 kind = P11_CERT;
	CK_RV		 rv;

	if (p11_secret_handle(h))
		return p11_secret_destroy(s, h);
	if ((rv = p11_obj_lookup(s, h, false, &key, &kind)) != CKR_OK)
		return rv;
	if (kind != P11_CERT)
		return CKR_ACTION_PROHIBITED;
	return destroy_cert(s, ss, key);
}

CK_RV
C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	rv = destroy_run(s, ss, hObject);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}

/* --- C_SetAttributeValue ---------------------------------------------------- */

/* CKR_OK when every value is the object's own. */
static CK_RV
setattr_same(const struct p11_key *key, enum p11_kind kind,
    const CK_ATTRIBUTE *tpl, CK_ULONG n)
{
	struct p11_aval	v;
	CK_ULONG	i;
	CK_RV		rv, res = CKR_OK;

	for (i = 0; i < n; i++) {
		rv = p11_attr_value(key, kind, tpl[i].type, &v);
		if (rv == CKR_ATTRIBUTE_TYPE_INVALID)
			return rv;
		if (rv != CKR_OK || v.len != tpl[i].ulValueLen ||
		    (v.len > 0 && memcmp(v.p, tpl[i].pValue, v.len) != 0))
			res = CKR_ACTION_PROHIBITED;
	}
	return res;
}

static CK_RV
setattr_run(struct p11_slot *s, CK_OBJECT_HANDLE h, const CK_ATTRIBUTE *tpl,
    CK_ULONG n)
{
	struct p11_key	*key;
	enum p11_kind	 kind = P11_CERT;
	CK_RV		 rv;

	if (p11_secret_handle(h)) {
		if ((rv = p11_secret_check(s, h)) != CKR_OK)
			return rv;
		return n == 0 ? CKR_OK : CKR_ACTION_PROHIBITED;
	}
	if ((rv = p11_obj_lookup(s, h, false, &key, &kind)) != CKR_OK)
		return rv;
	return setattr_same(key, kind, tpl, n);
}

CK_RV
C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
    CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_check_init()) != CKR_OK)
		goto out;
	if (p11_tpl_check(pTemplate, ulCount) != CKR_OK) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	rv = setattr_run(s, hObject, pTemplate, ulCount);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}
