/*
 * pkcs11/secret.c - session secret-key objects: what C_DeriveKey makes
 * (CKO_SECRET_KEY, CKK_GENERIC_SECRET or CKK_AES), kept in host memory
 * for the life of the session that made it, and shown to C_FindObjects,
 * C_GetAttributeValue and C_DestroyObject next to the card's objects
 * (see p11.h for the handles).
 *
 * The value is wiped when the object goes: C_DestroyObject, the
 * session's close (also when the card goes), C_Finalize.  CKA_VALUE is
 * readable only while CKA_SENSITIVE is FALSE and CKA_EXTRACTABLE TRUE.
 *
 * Choices where PKCS#11 leaves room (template of C_DeriveKey):
 * - defaults: CKA_PRIVATE TRUE, CKA_SENSITIVE FALSE, CKA_EXTRACTABLE TRUE
 *   (so `pkcs11-tool --derive` can read the result), CKA_DESTROYABLE TRUE,
 *   the usage flags (CKA_ENCRYPT ...) FALSE; they are recorded, the module
 *   itself offers no operation with a secret key;
 * - CKA_TOKEN TRUE, CKA_MODIFIABLE TRUE, CKA_COPYABLE TRUE, CKA_VALUE, a
 *   class or key type other than the above: CKR_TEMPLATE_INCONSISTENT
 *   (the card cannot store secret keys, the objects cannot be changed);
 * - CKA_LOCAL, CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE,
 *   CKA_KEY_GEN_MECHANISM: CKR_ATTRIBUTE_READ_ONLY; unknown attributes
 *   and dates: CKR_ATTRIBUTE_TYPE_INVALID;
 * - CKA_ALWAYS_SENSITIVE = CKA_SENSITIVE and CKA_NEVER_EXTRACTABLE =
 *   !CKA_EXTRACTABLE (the base key on the card is both);
 * - CKK_AES needs CKA_VALUE_LEN 16, 24 or 32;
 * - at most P11_SECRETS_MAX objects per token (CKR_DEVICE_MEMORY).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11/p11.h"
#include "reader/wipe.h"

#define SECRET_LOW	0xffu
#define SECRET_SHIFT	8

_Static_assert(P11_REFS_MAX * 3 <= SECRET_LOW,
    "card object indexes reach the secret handles' low byte");

/* Boolean attributes (p11_secret_spec.flags). */
#define SK_PRIVATE	0x0001u
#define SK_SENSITIVE	0x0002u
#define SK_EXTRACTABLE	0x0004u
#define SK_DESTROYABLE	0x0008u
#define SK_ENCRYPT	0x0010u
#define SK_DECRYPT	0x0020u
#define SK_SIGN		0x0040u
#define SK_VERIFY	0x0080u
#define SK_WRAP		0x0100u
#define SK_UNWRAP	0x0200u
#define SK_DERIVE	0x0400u
#define SK_TRUSTED	0x0800u
#define SK_WRAP_TRUSTED	0x1000u
#define SK_DEFAULTS	(SK_PRIVATE | SK_EXTRACTABLE | SK_DESTROYABLE)

#define AES_128		16
#define AES_192		24
#define AES_256		32

struct p11_secret {
	CK_OBJECT_HANDLE	 h;
	CK_SESSION_HANDLE	 owner;
	struct p11_secret_spec	 spec;
	uint8_t			*val;
	size_t			 len;
	struct p11_secret	*next;
};

static const struct {
	CK_ATTRIBUTE_TYPE	type;
	unsigned		flag;
} bool_attrs[] = {
	{ CKA_PRIVATE, SK_PRIVATE }, { CKA_SENSITIVE, SK_SENSITIVE },
	{ CKA_EXTRACTABLE, SK_EXTRACTABLE },
	{ CKA_DESTROYABLE, SK_DESTROYABLE }, { CKA_ENCRYPT, SK_ENCRYPT },
	{ CKA_DECRYPT, SK_DECRYPT }, { CKA_SIGN, SK_SIGN },
	{ CKA_VERIFY, SK_VERIFY }, { CKA_WRAP, SK_WRAP },
	{ CKA_UNWRAP, SK_UNWRAP }, { CKA_DERIVE, SK_DERIVE },
	{ CKA_TRUSTED, SK_TRUSTED }, { CKA_WRAP_WITH_TRUSTED, SK_WRAP_TRUSTED },
};

#define NBOOL	(sizeof(bool_attrs) / sizeof(bool_attrs[0]))

static atomic_ulong secret_seq;

/* --- the template --------------------------------------------------------- */

static unsigned
bool_flag(CK_ATTRIBUTE_TYPE t)
{
	size_t i;

	for (i = 0; i < NBOOL; i++)
		if (bool_attrs[i].type == t)
			return bool_attrs[i].flag;
	return 0;
}

static CK_RV
tpl_ulong(const CK_ATTRIBUTE *a, CK_ULONG *v)
{
	if (a->pValue == NULL || a->ulValueLen != sizeof(*v))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(v, a->pValue, sizeof(*v));
	return CKR_OK;
}

static CK_RV
tpl_bool(const CK_ATTRIBUTE *a, bool *v)
{
	CK_BBOOL b;

	if (a->pValue == NULL || a->ulValueLen != sizeof(b))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(&b, a->pValue, sizeof(b));
	*v = b != CK_FALSE;
	return CKR_OK;
}

static CK_RV
tpl_bytes(const CK_ATTRIBUTE *a, uint8_t *dst, size_t *len)
{
	if (a->ulValueLen > P11_SECRET_TEXT_MAX ||
	    (a->pValue == NULL && a->ulValueLen > 0))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	*len = (size_t)a->ulValueLen;
	if (*len > 0)
		memcpy(dst, a->pValue, *len);
	return CKR_OK;
}

/* CKA_TOKEN, CKA_MODIFIABLE, CKA_COPYABLE: only FALSE is possible. */
static CK_RV
tpl_false(const CK_ATTRIBUTE *a)
{
	bool	v = false;
	CK_RV	rv;

	if ((rv = tpl_bool(a, &v)) != CKR_OK)
		return rv;
	return v ? CKR_TEMPLATE_INCONSISTENT : CKR_OK;
}

static CK_RV
tpl_flag(const CK_ATTRIBUTE *a, unsigned flag, struct p11_secret_spec *sp)
{
	bool	v = false;
	CK_RV	rv;

	if ((rv = tpl_bool(a, &v)) != CKR_OK)
		return rv;
	sp->flags = v ? sp->flags | flag : sp->flags & ~flag;
	return CKR_OK;
}

static CK_RV
tpl_class(const CK_ATTRIBUTE *a)
{
	CK_ULONG	v = 0;
	CK_RV		rv;

	if ((rv = tpl_ulong(a, &v)) != CKR_OK)
		return rv;
	return v == CKO_SECRET_KEY ? CKR_OK : CKR_TEMPLATE_INCONSISTENT;
}

static CK_RV
tpl_one(const CK_ATTRIBUTE *a, struct p11_secret_spec *sp)
{
	unsigned flag = bool_flag(a->type);

	if (flag != 0)
		return tpl_flag(a, flag, sp);
	switch (a->type) {
	case CKA_CLASS:
		return tpl_class(a);
	case CKA_KEY_TYPE:
		return tpl_ulong(a, &sp->ktype);
	case CKA_VALUE_LEN:
		return tpl_ulong(a, &sp->value_len);
	case CKA_TOKEN:
	case CKA_MODIFIABLE:
	case CKA_COPYABLE:
		return tpl_false(a);
	case CKA_LABEL:
		return tpl_bytes(a, sp->label, &sp->label_len);
	case CKA_ID:
		return tpl_bytes(a, sp->id, &sp->id_len);
	case CKA_VALUE:
		return CKR_TEMPLATE_INCONSISTENT;
	case CKA_LOCAL:
	case CKA_ALWAYS_SENSITIVE:
	case CKA_NEVER_EXTRACTABLE:
	case CKA_KEY_GEN_MECHANISM:
		return CKR_ATTRIBUTE_READ_ONLY;
	default:
		return CKR_ATTRIBUTE_TYPE_INVALID;
	}
}

/* Key type and length agree. */
static CK_RV
tpl_consistent(const struct p11_secret_spec *sp)
{
	CK_ULONG n = sp->value_len;

	if (n > P11_SECRET_LEN_MAX)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	switch (sp->ktype) {
	case CKK_GENERIC_SECRET:
		return CKR_OK;
	case CKK_AES:
		return n == AES_128 || n == AES_192 || n == AES_256 ? CKR_OK :
		    CKR_TEMPLATE_INCONSISTENT;
	default:
		return CKR_TEMPLATE_INCONSISTENT;
	}
}

CK_RV
p11_secret_template(const CK_ATTRIBUTE *tpl, CK_ULONG n,
    struct p11_secret_spec *sp)
{
	CK_ULONG	i;
	bool		len_given = false;
	CK_RV		rv;

	memset(sp, 0, sizeof(*sp));
	sp->ktype = CKK_GENERIC_SECRET;
	sp->flags = SK_DEFAULTS;
	if (tpl == NULL && n > 0)
		return CKR_ARGUMENTS_BAD;
	for (i = 0; i < n; i++) {
		if ((rv = tpl_one(&tpl[i], sp)) != CKR_OK)
			return rv;
		len_given |= tpl[i].type == CKA_VALUE_LEN;
	}
	if (len_given && sp->value_len == 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	return tpl_consistent(sp);
}

/* --- the store ------------------------------------------------------------ */

bool
p11_secret_handle(CK_OBJECT_HANDLE h)
{
	return (h & SECRET_LOW) == SECRET_LOW && (h >> SECRET_SHIFT) != 0;
}

static void
secret_free(struct p11_secret *sec)
{
	ss_free_secret(sec->val, sec->len);
	ss_wipe(sec, sizeof(*sec));
	free(sec);
}

CK_RV
p11_secret_add(struct p11_slot *s, CK_SESSION_HANDLE owner,
    const struct p11_secret_spec *sp, const uint8_t *value, size_t len,
    CK_OBJECT_HANDLE *h)
{
	struct p11_secret *sec;

	if (len == 0 || len > P11_SECRET_LEN_MAX)
		return CKR_GENERAL_ERROR;
	if (s->nsecrets >= P11_SECRETS_MAX)
		return CKR_DEVICE_MEMORY;
	if ((sec = calloc(1, sizeof(*sec))) == NULL ||
	    (sec->val = malloc(len)) == NULL) {
		free(sec);
		return CKR_HOST_MEMORY;
	}
	memcpy(sec->val, value, len);
	sec->len = len;
	sec->spec = *sp;
	sec->spec.value_len = len;
	sec->owner = owner;
	sec->h = (CK_OBJECT_HANDLE)(atomic_fetch_add(&secret_seq, 1) + 1) <<
	    SECRET_SHIFT | SECRET_LOW;
	sec->next = s->secrets;
	s->secrets = sec;
	s->nsecrets++;
	*h = sec->h;
	return CKR_OK;
}

static struct p11_secret *
secret_lookup(struct p11_slot *s, CK_OBJECT_HANDLE h)
{
	struct p11_secret *sec;

	if (!p11_secret_handle(h))
		return NULL;
	for (sec = s->secrets; sec != NULL; sec = sec->next)
		if (sec->h == h)
			break;
	if (sec != NULL && (sec->spec.flags & SK_PRIVATE) && !s->logged_in)
		return NULL;
	return sec;
}

CK_RV
p11_secret_check(struct p11_slot *s, CK_OBJECT_HANDLE h)
{
	return secret_lookup(s, h) != NULL ? CKR_OK :
	    CKR_OBJECT_HANDLE_INVALID;
}

static void
secret_unlink(struct p11_slot *s, struct p11_secret *sec)
{
	struct p11_secret **pp;

	for (pp = &s->secrets; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == sec) {
			*pp = sec->next;
			s->nsecrets--;
			secret_free(sec);
			return;
		}
	}
}

CK_RV
p11_secret_destroy(struct p11_slot *s, CK_OBJECT_HANDLE h)
{
	struct p11_secret *sec;

	if ((sec = secret_lookup(s, h)) == NULL)
		return CKR_OBJECT_HANDLE_INVALID;
	if (!(sec->spec.flags & SK_DESTROYABLE))
		return CKR_ACTION_PROHIBITED;
	secret_unlink(s, sec);
	return CKR_OK;
}

void
p11_secret_drop(struct p11_slot *s, CK_SESSION_HANDLE owner)
{
	struct p11_secret **pp = &s->secrets, *sec;

	while ((sec = *pp) != NULL) {
		if (owner != 0 && sec->owner != owner) {
			pp = &sec->next;
			continue;
		}
		*pp = sec->next;
		s->nsecrets--;
		secret_free(sec);
	}
}

/* --- attributes ----------------------------------------------------------- */

static CK_RV
sv_ul(struct p11_aval *v, CK_ULONG x)
{
	v->ul = x;
	v->p = &v->ul;
	v->len = sizeof(v->ul);
	return CKR_OK;
}

static CK_RV
sv_bool(struct p11_aval *v, bool x)
{
	v->b = x ? CK_TRUE : CK_FALSE;
	v->p = &v->b;
	v->len = sizeof(v->b);
	return CKR_OK;
}

static CK_RV
sv_bytes(struct p11_aval *v, const void *p, size_t len)
{
	v->p = p;
	v->len = len;
	return CKR_OK;
}

static bool
sec_readable(const struct p11_secret *sec)
{
	return !(sec->spec.flags & SK_SENSITIVE) &&
	    (sec->spec.flags & SK_EXTRACTABLE);
}

/* The attributes that are not one of bool_attrs. */
static CK_RV
sec_value(const struct p11_secret *sec, CK_ATTRIBUTE_TYPE t,
    struct p11_aval *v)
{
	const struct p11_secret_spec *sp = &sec->spec;

	switch (t) {
	case CKA_CLASS:
		return sv_ul(v, CKO_SECRET_KEY);
	case CKA_KEY_TYPE:
		return sv_ul(v, sp->ktype);
	case CKA_VALUE_LEN:
		return sv_ul(v, (CK_ULONG)sec->len);
	case CKA_VALUE:
		return sec_readable(sec) ? sv_bytes(v, sec->val, sec->len) :
		    CKR_ATTRIBUTE_SENSITIVE;
	case CKA_TOKEN:
	case CKA_MODIFIABLE:
	case CKA_COPYABLE:
	case CKA_LOCAL:
		return sv_bool(v, false);
	case CKA_ALWAYS_SENSITIVE:
		return sv_bool(v, (sp->flags & SK_SENSITIVE) != 0);
	case CKA_NEVER_EXTRACTABLE:
		return sv_bool(v, !(sp->flags & SK_EXTRACTABLE));
	case CKA_LABEL:
		return sv_bytes(v, sp->label, sp->label_len);
	case CKA_ID:
		return sv_bytes(v, sp->id, sp->id_len);
	case CKA_KEY_GEN_MECHANISM:
		return sv_ul(v, CK_UNAVAILABLE_INFORMATION);
	case CKA_START_DATE:
	case CKA_END_DATE:
	case CKA_ALLOWED_MECHANISMS:
		return sv_bytes(v, NULL, 0);
	default:
		return CKR_ATTRIBUTE_TYPE_INVALID;
	}
}

static CK_RV
sec_attr(const struct p11_secret *sec, CK_ATTRIBUTE_TYPE t,
    struct p11_aval *v)
{
	unsigned flag = bool_flag(t);

	memset(v, 0, sizeof(*v));
	if (flag != 0)
		return sv_bool(v, (sec->spec.flags & flag) != 0);
	return sec_value(sec, t, v);
}

/* One template entry, as attr.c does it. */
static CK_RV
sec_get_one(const struct p11_secret *sec, CK_ATTRIBUTE *a)
{
	struct p11_aval	v;
	CK_RV		rv;

	if ((rv = sec_attr(sec, a->type, &v)) != CKR_OK) {
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

CK_RV
p11_secret_attrs(struct p11_slot *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *tpl,
    CK_ULONG n)
{
	struct p11_secret	*sec;
	bool			 sens = false, inval = false, small = false;
	CK_ULONG		 i;
	CK_RV			 rv;

	if ((sec = secret_lookup(s, h)) == NULL)
		return CKR_OBJECT_HANDLE_INVALID;
	for (i = 0; i < n; i++) {
		rv = sec_get_one(sec, &tpl[i]);
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

/* --- search --------------------------------------------------------------- */

static bool
sec_match(const struct p11_secret *sec, const CK_ATTRIBUTE *tpl, CK_ULONG n)
{
	struct p11_aval	v;
	CK_ULONG	i;

	for (i = 0; i < n; i++) {
		if (sec_attr(sec, tpl[i].type, &v) != CKR_OK ||
		    v.len != tpl[i].ulValueLen || (v.len > 0 &&
		    memcmp(v.p, tpl[i].pValue, v.len) != 0))
			return false;
	}
	return true;
}

size_t
p11_secret_find(struct p11_slot *s, const CK_ATTRIBUTE *tpl, CK_ULONG n,
    CK_OBJECT_HANDLE *out, size_t cap)
{
	struct p11_secret	*sec;
	size_t			 k = 0;

	for (sec = s->secrets; sec != NULL && k < cap; sec = sec->next)
		if (secret_lookup(s, sec->h) == sec && sec_match(sec, tpl, n))
			out[k++] = sec->h;
	return k;
}
