/*
 * pkcs11/find.c - C_FindObjectsInit, C_FindObjects, C_FindObjectsFinal.
 *
 * The result is taken at C_FindObjectsInit.  Lazy loading for the APDU
 * budget: a template that fixes CKA_ID loads only the references with
 * that id (the driver gives ids without I/O); a template whose CKA_CLASS
 * no reference can produce (data objects, secret keys) loads nothing;
 * anything else loads every reference not loaded yet.  Private keys
 * before login (the user's, or the SO's with the management key) are
 * those the driver marked no_pin (object.c), known only once loaded.  Loaded
 * references stay cached for the card's lifetime (card management
 * updates the cache, object.c).
 * The session secret keys (secret.c) that match come after the card's
 * objects.
 */
#include <string.h>

#include "pkcs11/p11.h"

struct find_filter {
	const CK_ATTRIBUTE	*id;
	bool			 kinds[3];	/* which kinds may match */
};

static CK_RV
find_check_template(const CK_ATTRIBUTE *tpl, CK_ULONG n)
{
	CK_ULONG i;

	if (tpl == NULL && n > 0)
		return CKR_ARGUMENTS_BAD;
	for (i = 0; i < n; i++)
		if (tpl[i].pValue == NULL && tpl[i].ulValueLen > 0)
			return CKR_ARGUMENTS_BAD;
	return CKR_OK;
}

static void
find_filter(const CK_ATTRIBUTE *tpl, CK_ULONG n,
    struct find_filter *f)
{
	CK_OBJECT_CLASS	cls;
	CK_ULONG	i;

	f->id = NULL;
	f->kinds[P11_CERT] = f->kinds[P11_PUB] = true;
	f->kinds[P11_PRIV] = true;	/* p11_obj_exists decides */
	for (i = 0; i < n; i++) {
		if (tpl[i].type == CKA_ID)
			f->id = &tpl[i];
		if (tpl[i].type != CKA_CLASS)
			continue;
		if (tpl[i].ulValueLen != sizeof(cls)) {
			f->kinds[0] = f->kinds[1] = f->kinds[2] = false;
			continue;
		}
		memcpy(&cls, tpl[i].pValue, sizeof(cls));
		f->kinds[P11_CERT] &= cls == CKO_CERTIFICATE;
		f->kinds[P11_PUB] &= cls == CKO_PUBLIC_KEY;
		f->kinds[P11_PRIV] &= cls == CKO_PRIVATE_KEY;
	}
}

static bool
find_wants(const struct find_filter *f, const struct p11_key *key)
{
	if (!f->kinds[P11_CERT] && !f->kinds[P11_PUB] && !f->kinds[P11_PRIV])
		return false;
	if (f->id == NULL)
		return true;
	return f->id->ulValueLen == key->id_len && (key->id_len == 0 ||
	    memcmp(f->id->pValue, key->id, key->id_len) == 0);
}

static CK_RV
find_collect(struct p11_slot *s, struct p11_find *fo,
    const CK_ATTRIBUTE *tpl, CK_ULONG n)
{
	struct find_filter	f;
	size_t			i;
	unsigned		k;
	CK_RV			rv;

	find_filter(tpl, n, &f);
	fo->n = fo->pos = 0;
	for (i = 0; i < s->nkeys; i++) {
		if (!find_wants(&f, &s->keys[i]))
			continue;
		if ((rv = p11_key_load(s, i)) != CKR_OK)
			return rv;
		for (k = P11_CERT; k <= P11_PRIV; k++)
			if (f.kinds[k] && p11_obj_exists(s, &s->keys[i],
			    (enum p11_kind)k, false) &&
			    p11_attr_match(&s->keys[i], (enum p11_kind)k,
			    tpl, n))
				fo->h[fo->n++] = p11_obj_handle(s, i,
				    (enum p11_kind)k);
	}
	fo->n += p11_secret_find(s, tpl, n, fo->h + fo->n, P11_FIND_MAX -
	    fo->n);
	return CKR_OK;
}

CK_RV
C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate,
    CK_ULONG ulCount)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_check_init()) != CKR_OK ||
	    (rv = find_check_template(pTemplate, ulCount)) != CKR_OK)
		goto out;
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	if (ss->find.active)
		rv = CKR_OPERATION_ACTIVE;
	else if ((rv = find_collect(s, &ss->find, pTemplate, ulCount)) ==
	    CKR_OK)
		ss->find.active = true;
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}

CK_RV
C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject,
    CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	struct p11_find		*f;
	size_t			 n;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_check_init()) != CKR_OK)
		goto out;
	if (phObject == NULL || pulObjectCount == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	f = &ss->find;
	if (!f->active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else {
		n = f->n - f->pos;
		if (n > ulMaxObjectCount)
			n = (size_t)ulMaxObjectCount;
		memcpy(phObject, f->h + f->pos, n * sizeof(f->h[0]));
		f->pos += n;
		*pulObjectCount = n;
	}
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}

CK_RV
C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	if (!ss->find.active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else
		memset(&ss->find, 0, sizeof(ss->find));
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}
