/*
 * tools/sign_p11obj.c - the signing key and its certificate on the token.
 *
 * The certificate is looked for before login (certificates are public
 * objects, so a wrong key reference fails before the PIN is asked for),
 * the private key after it.  Attribute values are fetched with the
 * two-call convention into buffers of a fixed size; a value that does not
 * fit, or a length the module reports that exceeds what it was given, is
 * an error.
 */
#include <stdlib.h>
#include <string.h>

#include "reader/hex.h"
#include "reader/tlv.h"
#include "tools/sign_p11.h"

#define FIND_MAX	8

int
sp11_get_attr(struct sp11 *s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
    uint8_t *buf, size_t cap, size_t *len)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };

	if (s->f->C_GetAttributeValue(s->sess, o, &a, 1) != CKR_OK ||
	    a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > cap)
		return -1;
	a.pValue = buf;
	if (s->f->C_GetAttributeValue(s->sess, o, &a, 1) != CKR_OK ||
	    a.ulValueLen > cap)
		return -1;
	*len = (size_t)a.ulValueLen;
	return 0;
}

static int
get_bool(struct sp11 *s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
    bool *v)
{
	CK_BBOOL	b = CK_FALSE;
	size_t		len = 0;

	if (sp11_get_attr(s, o, type, &b, sizeof(b), &len) < 0 ||
	    len != sizeof(b))
		return -1;
	*v = b == CK_TRUE;
	return 0;
}

static int
get_ulong(struct sp11 *s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
    CK_ULONG *v)
{
	size_t len = 0;

	if (sp11_get_attr(s, o, type, (uint8_t *)v, sizeof(*v), &len) < 0 ||
	    len != sizeof(*v))
		return -1;
	return 0;
}

/* "02 (9C)" for messages. */
static void
id_str(const uint8_t *id, size_t len, char *out, size_t cap)
{
	char		hex[2 * SU_ID_MAX + 1];
	const char	*piv = su_piv_name(id, len);

	if (len > SU_ID_MAX)
		len = SU_ID_MAX;
	ss_hex_encode(id, len, hex);
	snprintf(out, cap, "%s%s%s%s", hex, piv ? " (" : "", piv ? piv : "",
	    piv ? ")" : "");
}

static int
find(struct sp11 *s, CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE *out,
    CK_ULONG *found, struct se_err *err)
{
	CK_RV rv;

	*found = 0;
	if ((rv = s->f->C_FindObjectsInit(s->sess, tmpl, n)) != CKR_OK) {
		se_set(err, "C_FindObjectsInit: %s", sp11_rv_str(rv));
		return -1;
	}
	rv = s->f->C_FindObjects(s->sess, out, FIND_MAX, found);
	(void)s->f->C_FindObjectsFinal(s->sess);
	if (rv != CKR_OK || *found > FIND_MAX) {
		se_set(err, "C_FindObjects: %s", sp11_rv_str(rv));
		return -1;
	}
	return 0;
}

/* A template: class, then id and label when given. */
static CK_ULONG
tmpl_fill(CK_ATTRIBUTE *t, CK_OBJECT_CLASS *cls, const uint8_t *id,
    size_t idlen, const char *label)
{
	CK_ULONG n = 0;

	t[n++] = (CK_ATTRIBUTE){ CKA_CLASS, cls, sizeof(*cls) };
	if (id != NULL)
		t[n++] = (CK_ATTRIBUTE){ CKA_ID, (void *)(uintptr_t)id,
		    (CK_ULONG)idlen };
	if (label != NULL)
		t[n++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)(uintptr_t)label,
		    (CK_ULONG)strlen(label) };
	return n;
}

static int
cert_read(struct sp11 *s, CK_OBJECT_HANDLE o, struct se_err *err)
{
	const unsigned char	*p;
	struct ss_tlv		 t;
	uint8_t			*der;
	size_t			 len = 0;
	int			 rc = -1;

	if ((der = malloc(SP11_CERT_MAX)) == NULL) {
		se_set(err, "out of memory");
		return -1;
	}
	p = der;
	if (sp11_get_attr(s, o, CKA_VALUE, der, SP11_CERT_MAX, &len) < 0 ||
	    ss_tlv_expect(der, len, 0x30, &t) < 0 ||
	    (s->cert = d2i_X509(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		X509_free(s->cert);
		s->cert = NULL;
		se_set(err, "the token's certificate cannot be read or "
		    "decoded");
		goto out;
	}
	rc = 0;
out:
	free(der);
	return rc;
}

/* The object's CKA_ID into s->id. */
static int
id_read(struct sp11 *s, CK_OBJECT_HANDLE o)
{
	if (sp11_get_attr(s, o, CKA_ID, s->id, sizeof(s->id), &s->idlen) < 0)
		return -1;
	s->have_id = true;
	return 0;
}

int
sp11_find_cert(struct sp11 *s, const struct su_sel *sel, struct se_err *err)
{
	CK_OBJECT_CLASS		cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE		t[3];
	CK_OBJECT_HANDLE	h[FIND_MAX];
	CK_ULONG		n;
	const char		*label = NULL;

	if (!s->have_id && sel->has_id) {
		memcpy(s->id, sel->id, sel->idlen);
		s->idlen = sel->idlen;
		s->have_id = true;
	}
	if (s->cert != NULL)
		return 0;		/* given with --cert */
	if (sel->type == SU_TYPE_CERT && sel->has_object)
		label = sel->object;
	if (!s->have_id && label == NULL)
		return 0;		/* found through the key, after login */
	if (find(s, t, tmpl_fill(t, &cls, s->have_id ? s->id : NULL,
	    s->idlen, label), h, &n, err) < 0)
		return -1;
	if (n > 1) {
		se_set(err, "%lu certificates match: add id= or object= to "
		    "the URI", (unsigned long)n);
		return -1;
	}
	if (n == 0)
		return 0;
	if (!s->have_id && id_read(s, h[0]) < 0) {
		se_set(err, "the certificate has no readable CKA_ID");
		return -1;
	}
	return cert_read(s, h[0], err);
}

static int
key_attrs(struct sp11 *s, CK_OBJECT_HANDLE h, struct se_err *err)
{
	char	idtxt[2 * SU_ID_MAX + 8];
	bool	can_sign = true;

	if (!s->have_id && id_read(s, h) < 0) {
		se_set(err, "the key has no readable CKA_ID");
		return -1;
	}
	id_str(s->id, s->idlen, idtxt, sizeof(idtxt));
	if (get_ulong(s, h, CKA_KEY_TYPE, &s->ktype) < 0) {
		se_set(err, "key %s: no readable CKA_KEY_TYPE", idtxt);
		return -1;
	}
	if (get_bool(s, h, CKA_SIGN, &can_sign) == 0 && !can_sign) {
		se_set(err, "key %s is not for signing (CKA_SIGN false)", idtxt);
		return -1;
	}
	if (get_bool(s, h, CKA_ALWAYS_AUTHENTICATE, &s->always_auth) < 0)
		s->always_auth = false;
	s->key = h;
	s->have_key = true;
	return 0;
}

/* The certificate with the key's CKA_ID, if not found before login. */
static int
key_cert(struct sp11 *s, struct se_err *err)
{
	struct su_sel	by_id;
	char		idtxt[2 * SU_ID_MAX + 8];

	if (s->cert != NULL)
		return 0;
	memset(&by_id, 0, sizeof(by_id));
	if (sp11_find_cert(s, &by_id, err) < 0)
		return -1;
	if (s->cert == NULL) {
		id_str(s->id, s->idlen, idtxt, sizeof(idtxt));
		se_set(err, "no certificate for key %s on the token (give one "
		    "with --cert FILE)", idtxt);
		return -1;
	}
	return 0;
}

int
sp11_find_key(struct sp11 *s, const struct su_sel *sel, struct se_err *err)
{
	CK_OBJECT_CLASS		cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE		t[3];
	CK_OBJECT_HANDLE	h[FIND_MAX];
	CK_ULONG		n;
	const char		*label = NULL;
	char			idtxt[2 * SU_ID_MAX + 8] = "";

	if (sel->has_object && sel->type != SU_TYPE_CERT)
		label = sel->object;
	if (find(s, t, tmpl_fill(t, &cls, s->have_id ? s->id : NULL,
	    s->idlen, label), h, &n, err) < 0)
		return -1;
	if (s->have_id)
		id_str(s->id, s->idlen, idtxt, sizeof(idtxt));
	if (n == 0) {
		se_set(err, "no private key %s%s%s%s on token \"%s\"",
		    s->have_id ? "with id " : "", idtxt,
		    label ? " labelled " : "", label ? label : "",
		    s->tok_label);
		return -1;
	}
	if (n > 1) {
		se_set(err, "%lu private keys match: add id= or object= to the "
		    "URI", (unsigned long)n);
		return -1;
	}
	if (key_attrs(s, h[0], err) < 0)
		return -1;
	return key_cert(s, err);
}
