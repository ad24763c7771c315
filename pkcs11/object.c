/*
 * pkcs11/object.c - the token's objects: one certificate, public key and
 * private key per populated key reference, sharing its CKA_ID.
 *
 * The references come from the driver at binding (key_refs and key_id:
 * no I/O).  A reference is loaded (certificate and public key read from
 * the card) only when a search or a handle needs it, and the result, or
 * its absence, is kept until the card goes: each certificate is read at
 * most once per process and card.
 *
 * Handles: gen * 65536 + ver * 256 + reference index * 3 + kind, where
 * gen is a number given to each binding (never reused in the process),
 * so a handle is stable while the card stays and never names another
 * card's object; ver counts the replacements of that object by card
 * management (keygen.c, create*.c: a generated or imported key, a
 * written or deleted certificate), so the handle of a replaced or
 * destroyed object goes invalid at once (after 256 replacements of one
 * object in one process a number comes back).  The cache is updated in
 * the same call; other processes see the change when they next bind the
 * card.
 *
 * Visibility: private keys (CKA_PRIVATE TRUE) are shown only while the
 * user is logged in, as the spec says for private objects and as ykcs11
 * does, and to the SO logged in with the management key (who generates
 * and imports them; signing still needs the user); certificates and
 * public keys always.  A private key the card uses without a PIN (the
 * driver's no_pin: PIV 9E, PIN policy "never") is CKA_PRIVATE FALSE,
 * always shown and used without login (no VERIFY).
 */
#include <stdlib.h>
#include <string.h>

#include "pkcs11/p11.h"

void
p11_keys_init(struct p11_slot *s)
{
	uint8_t	refs[P11_REFS_MAX];
	size_t	i, n;

	memset(s->keys, 0, sizeof(s->keys));
	n = s->drv->key_refs(s->card, refs, P11_REFS_MAX);
	if (n > P11_REFS_MAX)
		n = P11_REFS_MAX;
	for (i = 0; i < n; i++) {
		s->keys[i].ref = refs[i];
		s->keys[i].id_len = sizeof(s->keys[i].id);
		if (s->drv->key_id(s->card, refs[i], s->keys[i].id,
		    &s->keys[i].id_len) != DRV_OK ||
		    s->keys[i].id_len > sizeof(s->keys[i].id))
			s->keys[i].id_len = 0;
	}
	s->nkeys = n;
}

void
p11_keys_free(struct p11_slot *s)
{
	size_t i;

	for (i = 0; i < s->nkeys; i++) {
		if (s->keys[i].state == P11_KEY_LOADED) {
			drv_key_clear(&s->keys[i].k);
			p11_attrs_free(&s->keys[i].a);
		}
	}
	memset(s->keys, 0, sizeof(s->keys));
	s->nkeys = 0;
}

/* One load_key call in its own bracket. */
static int
key_load_once(struct p11_slot *s, struct p11_key *key, CK_RV *rv)
{
	int rc;

	if ((*rv = p11_io_begin(s, P11_E_SESSION)) != CKR_OK)
		return DRV_ERR_DEVICE;
	memset(&key->k, 0, sizeof(key->k));
	rc = s->drv->load_key(s->card, s->chan, key->ref, &key->k);
	p11_io_end(s);
	if (rc != DRV_OK)
		drv_key_clear(&key->k);
	return rc;
}

static CK_RV
key_loaded(struct p11_key *key)
{
	CK_RV rv;

	if (key->k.pub == NULL) {
		drv_key_clear(&key->k);
		key->state = P11_KEY_ABSENT;
		return CKR_OK;
	}
	if ((rv = p11_attrs_build(key)) != CKR_OK) {
		drv_key_clear(&key->k);
		p11_attrs_free(&key->a);
		return rv;
	}
	key->state = P11_KEY_LOADED;
	return CKR_OK;
}

CK_RV
p11_key_load(struct p11_slot *s, size_t i)
{
	struct p11_key	*key = &s->keys[i];
	CK_RV		 rv = CKR_OK;
	int		 rc;

	if (key->state != P11_KEY_UNKNOWN)
		return CKR_OK;
	rc = key_load_once(s, key, &rv);
	if (rv != CKR_OK)
		return rv;
	if (rc == DRV_ERR_CARD_RESET) {	/* reselect, then once more */
		(void)p11_slot_err(s, rc, P11_E_SESSION);
		rc = key_load_once(s, key, &rv);
		if (rv != CKR_OK)
			return rv;
	}
	switch (rc) {
	case DRV_OK:
		return key_loaded(key);
	case DRV_ERR_DEVICE:
		/* an odd answer hides that one key; a card, reader or
		 * pcscd gone, or C_Finalize, is an error of the call */
		if (atomic_load(&p11_m.finalizing) || p11_slot_card_went(s))
			return p11_slot_err(s, rc, P11_E_SESSION);
		/* FALLTHROUGH */
	case DRV_ERR_KEY_ABSENT:
	case DRV_ERR_DATA_INVALID:
	case DRV_ERR_NOT_SUPPORTED:
		if (rc != DRV_ERR_KEY_ABSENT)
			p11_log("key %02X unreadable (%d): not shown",
			    key->ref, rc);
		key->state = P11_KEY_ABSENT;
		return CKR_OK;
	default:
		return p11_slot_err(s, rc, P11_E_SESSION);
	}
}

bool
p11_key_usable(const struct p11_slot *s, const struct p11_key *key)
{
	return s->logged_in || key->k.no_pin;
}

CK_OBJECT_HANDLE
p11_obj_handle(const struct p11_slot *s, size_t i, enum p11_kind kind)
{
	return (CK_OBJECT_HANDLE)s->gen * P11_OBJ_PER_GEN +
	    (CK_ULONG)s->keys[i].ver[kind] * P11_OBJ_PER_VER + i * 3 +
	    (CK_ULONG)kind;
}

bool
p11_obj_exists(const struct p11_slot *s, const struct p11_key *key,
    enum p11_kind kind, bool any)
{
	if (key->state != P11_KEY_LOADED)
		return false;
	switch (kind) {
	case P11_CERT:
		return key->k.cert != NULL && key->a.cert_ok;
	case P11_PUB:
		return key->a.ktype != CK_UNAVAILABLE_INFORMATION;
	case P11_PRIV:
		return key->a.ktype != CK_UNAVAILABLE_INFORMATION &&
		    (any || s->logged_in || s->so == P11_SO_ADMIN ||
		    key->k.no_pin);
	}
	return false;
}

CK_RV
p11_obj_lookup(struct p11_slot *s, CK_OBJECT_HANDLE h, bool any,
    struct p11_key **kp, enum p11_kind *kindp)
{
	CK_ULONG	idx;
	size_t		i;
	enum p11_kind	kind;

	*kp = NULL;
	if (s->gen == 0 || h / P11_OBJ_PER_GEN != s->gen)
		return CKR_OBJECT_HANDLE_INVALID;
	idx = h % P11_OBJ_PER_VER;
	i = (size_t)(idx / 3);
	kind = (enum p11_kind)(idx % 3);
	if (i >= s->nkeys || h != p11_obj_handle(s, i, kind) ||
	    !p11_obj_exists(s, &s->keys[i], kind, any))
		return CKR_OBJECT_HANDLE_INVALID;
	*kp = &s->keys[i];
	*kindp = kind;
	return CKR_OK;
}

/* --- after card management ------------------------------------------------ */

bool
p11_key_find_id(const struct p11_slot *s, const void *id, size_t len,
    size_t *i)
{
	size_t k;

	for (k = 0; k < s->nkeys; k++) {
		if (s->keys[k].id_len == len && len > 0 &&
		    memcmp(s->keys[k].id, id, len) == 0) {
			*i = k;
			return true;
		}
	}
	return false;
}

static void
key_bump(struct p11_key *key, unsigned chg)
{
	unsigned k;

	for (k = P11_CERT; k <= P11_PRIV; k++)
		if (chg & (1u << k))
			key->ver[k]++;
}

static void
key_drop(struct p11_key *key)
{
	if (key->state == P11_KEY_LOADED) {
		drv_key_clear(&key->k);
		p11_attrs_free(&key->a);
	}
	key->state = P11_KEY_UNKNOWN;
	key->pub_exact = false;
}

void
p11_key_forget(struct p11_slot *s, size_t i, unsigned chg)
{
	key_drop(&s->keys[i]);
	key_bump(&s->keys[i], chg);
}

CK_RV
p11_key_set(struct p11_slot *s, size_t i, struct drv_key *k, unsigned chg)
{
	struct p11_key	*key = &s->keys[i];
	CK_RV		 rv;

	p11_key_forget(s, i, chg);
	key->k = *k;
	memset(k, 0, sizeof(*k));
	if ((rv = key_loaded(key)) != CKR_OK) {
		key->state = P11_KEY_UNKNOWN;
		return rv;
	}
	key->pub_exact = key->state == P11_KEY_LOADED;
	return CKR_OK;
}

CK_RV
p11_key_set_cert(struct p11_slot *s, size_t i, const uint8_t *der,
    size_t len)
{
	struct p11_key	*key = &s->keys[i];
	uint8_t		*copy = NULL;
	CK_RV		 rv;

	if (key->state != P11_KEY_LOADED)
		return CKR_GENERAL_ERROR;
	if (der != NULL && (copy = malloc(len)) == NULL)
		return CKR_HOST_MEMORY;
	if (der != NULL)
		memcpy(copy, der, len);
	free(key->k.cert);
	key->k.cert = copy;
	key->k.cert_len = der != NULL ? len : 0;
	key_bump(key, P11_CHG_CERT);
	p11_attrs_free(&key->a);
	if ((rv = key_loaded(key)) != CKR_OK)
		key_drop(key);
	return rv;
}
