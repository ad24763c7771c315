/*
 * tools/diag_p11.c - load a PKCS#11 module the way a browser does
 * (dlopen, C_GetFunctionList, C_Initialize with OS locking) and find the
 * token, its private keys and their certificates.  Everything a module
 * returns is checked: lengths against our buffers, counts against caps.
 */
#include <ctype.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "tools/diag_p11.h"

#define SLOTS_MAX	64

static void
trim_padded(const CK_UTF8CHAR *s, size_t n, char *out, size_t cap)
{
	size_t	i;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\0'))
		n--;
	if (n >= cap)
		n = cap - 1;
	for (i = 0; i < n; i++)
		out[i] = (char)s[i];
	out[n] = '\0';
}

CK_RV
dp11_load(struct dp11 *p, const char *path, char *err, size_t cap)
{
	CK_C_GetFunctionList	get;
	CK_RV			rv;

	memset(p, 0, sizeof(*p));
	err[0] = '\0';
	if ((p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		(void)snprintf(err, cap, "%s", dlerror());
		return CKR_GENERAL_ERROR;
	}
	*(void **)&get = dlsym(p->dl, "C_GetFunctionList");
	if (get == NULL) {
		(void)snprintf(err, cap, "no C_GetFunctionList in %s", path);
		return CKR_GENERAL_ERROR;
	}
	if ((rv = get(&p->f)) != CKR_OK || p->f == NULL) {
		(void)snprintf(err, cap, "C_GetFunctionList failed");
		return rv != CKR_OK ? rv : CKR_GENERAL_ERROR;
	}
	return CKR_OK;
}

CK_RV
dp11_initialize(struct dp11 *p)
{
	CK_C_INITIALIZE_ARGS	args;
	CK_RV			rv;

	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = p->f->C_Initialize(&args);
	p->initialized = rv == CKR_OK;
	return rv;
}

static bool
contains_ci(const char *hay, const char *needle)
{
	size_t	i, j, n = strlen(needle);

	for (i = 0; hay[i] != '\0'; i++) {
		for (j = 0; j < n && hay[i + j] != '\0'; j++)
			if (tolower((unsigned char)hay[i + j]) !=
			    tolower((unsigned char)needle[j]))
				break;
		if (j == n)
			return true;
	}
	return false;
}

/* Whether slot s holds a token and matches the wanted reader. */
static bool
slot_fits(struct dp11 *p, CK_SLOT_ID s, const char *reader)
{
	CK_SLOT_INFO	si;
	char		desc[65];

	if (p->f->C_GetSlotInfo(s, &si) != CKR_OK ||
	    (si.flags & CKF_TOKEN_PRESENT) == 0)
		return false;
	trim_padded(si.slotDescription, sizeof(si.slotDescription), desc,
	    sizeof(desc));
	if (reader != NULL && strcmp(desc, reader) != 0 &&
	    !contains_ci(desc, reader))
		return false;
	(void)snprintf(p->reader, sizeof(p->reader), "%s", desc);
	return true;
}

CK_RV
dp11_pick_slot(struct dp11 *p, const char *reader)
{
	CK_SLOT_ID	slots[SLOTS_MAX];
	CK_ULONG	n = SLOTS_MAX, i;
	CK_RV		rv;

	if ((rv = p->f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK)
		return rv;
	if (n > SLOTS_MAX)
		n = SLOTS_MAX;
	for (i = 0; i < n; i++)
		if (slot_fits(p, slots[i], reader))
			break;
	if (i == n)
		return CKR_TOKEN_NOT_PRESENT;
	p->slot = slots[i];
	if ((rv = p->f->C_GetTokenInfo(p->slot, &p->token)) != CKR_OK)
		return rv;
	trim_padded(p->token.label, sizeof(p->token.label), p->label,
	    sizeof(p->label));
	return CKR_OK;
}

CK_RV
dp11_open_session(struct dp11 *p)
{
	CK_RV	rv;

	rv = p->f->C_OpenSession(p->slot, CKF_SERIAL_SESSION, NULL, NULL,
	    &p->sess);
	p->has_sess = rv == CKR_OK;
	return rv;
}

/* One attribute into buf; *len its length (checked against cap). */
static CK_RV
get_attr(struct dp11 *p, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t, void *buf,
    size_t cap, size_t *len)
{
	CK_ATTRIBUTE	a = { t, buf, (CK_ULONG)cap };
	CK_RV		rv;

	*len = 0;
	rv = p->f->C_GetAttributeValue(p->sess, h, &a, 1);
	if (rv != CKR_OK)
		return rv;
	if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > cap)
		return CKR_GENERAL_ERROR;
	*len = a.ulValueLen;
	return CKR_OK;
}

static bool
get_bool(struct dp11 *p, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t)
{
	CK_BBOOL	b = CK_FALSE;
	size_t		len;

	return get_attr(p, h, t, &b, sizeof(b), &len) == CKR_OK &&
	    len == sizeof(b) && b == CK_TRUE;
}

static CK_RV
find(struct dp11 *p, CK_ATTRIBUTE *tmpl, CK_ULONG nt, CK_OBJECT_HANDLE *out,
    size_t cap, size_t *n)
{
	CK_ULONG	got = 0;
	CK_RV		rv;

	*n = 0;
	if ((rv = p->f->C_FindObjectsInit(p->sess, tmpl, nt)) != CKR_OK)
		return rv;
	rv = p->f->C_FindObjects(p->sess, out, (CK_ULONG)cap, &got);
	(void)p->f->C_FindObjectsFinal(p->sess);
	*n = got > cap ? cap : got;
	return rv;
}

/* The certificate with the key's CKA_ID, DER, malloc'ed. */
static void
find_cert(struct dp11 *p, struct dp11_key *k)
{
	CK_OBJECT_CLASS		cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE		t[2] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, k->id, (CK_ULONG)k->id_len },
	};
	CK_ATTRIBUTE		v = { CKA_VALUE, NULL, 0 };
	CK_OBJECT_HANDLE	h;
	size_t			n;

	if (find(p, t, 2, &h, 1, &n) != CKR_OK || n == 0 ||
	    p->f->C_GetAttributeValue(p->sess, h, &v, 1) != CKR_OK ||
	    v.ulValueLen == CK_UNAVAILABLE_INFORMATION || v.ulValueLen == 0 ||
	    v.ulValueLen > (1u << 20) || (v.pValue = malloc(v.ulValueLen)) ==
	    NULL)
		return;
	if (p->f->C_GetAttributeValue(p->sess, h, &v, 1) != CKR_OK) {
		free(v.pValue);
		return;
	}
	k->cert = v.pValue;
	k->cert_len = v.ulValueLen;
}

static void
key_attrs(struct dp11 *p, struct dp11_key *k)
{
	size_t	len;

	if (get_attr(p, k->h, CKA_ID, k->id, sizeof(k->id), &k->id_len) !=
	    CKR_OK)
		k->id_len = 0;
	if (get_attr(p, k->h, CKA_LABEL, k->label, sizeof(k->label) - 1,
	    &len) != CKR_OK)
		len = 0;
	k->label[len] = '\0';
	if (get_attr(p, k->h, CKA_KEY_TYPE, &k->type, sizeof(k->type),
	    &len) != CKR_OK || len != sizeof(k->type))
		k->type = CK_UNAVAILABLE_INFORMATION;
	k->can_sign = get_bool(p, k->h, CKA_SIGN);
	k->always_auth = get_bool(p, k->h, CKA_ALWAYS_AUTHENTICATE);
	if (k->id_len > 0)
		find_cert(p, k);
}

CK_RV
dp11_find_keys(struct dp11 *p, struct dp11_key *keys, size_t cap, size_t *n)
{
	CK_OBJECT_CLASS		cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE		t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE	h[P11_KEYS_MAX];
	size_t			i;
	CK_RV			rv;

	*n = 0;
	if (cap > P11_KEYS_MAX)
		cap = P11_KEYS_MAX;
	if ((rv = find(p, &t, 1, h, cap, n)) != CKR_OK)
		return rv;
	for (i = 0; i < *n; i++) {
		memset(&keys[i], 0, sizeof(keys[i]));
		keys[i].h = h[i];
		key_attrs(p, &keys[i]);
	}
	return CKR_OK;
}

void
dp11_keys_free(struct dp11_key *keys, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(keys[i].cert);
		keys[i].cert = NULL;
	}
}

void
dp11_unload(struct dp11 *p)
{
	if (p->f != NULL && p->has_sess)
		(void)p->f->C_CloseSession(p->sess);
	if (p->f != NULL && p->initialized)
		(void)p->f->C_Finalize(NULL);
	if (p->dl != NULL)
		(void)dlclose(p->dl);
	p->has_sess = p->initialized = false;
	p->dl = NULL;
	p->f = NULL;
}

const char *
dp11_rv_name(CK_RV rv, char *buf, size_t cap)
{
	static const struct { CK_RV rv; const char *name; } names[] = {
		{ CKR_OK, "CKR_OK" },
		{ CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR" },
		{ CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD" },
		{ CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR" },
		{ CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED" },
		{ CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED" },
		{ CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT" },
		{ CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID" },
		{ CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT" },
		{ CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE" },
		{ CKR_PIN_LOCKED, "CKR_PIN_LOCKED" },
		{ CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID" },
		{ CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT" },
		{ CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED" },
		{ CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN" },
		{ CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN" },
		{ CKR_CRYPTOKI_NOT_INITIALIZED,
		    "CKR_CRYPTOKI_NOT_INITIALIZED" },
		{ CKR_FUNCTION_CANCELED, "CKR_FUNCTION_CANCELED" },
	};
	size_t	i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].rv == rv)
			return names[i].name;
	(void)snprintf(buf, cap, "CKR_0x%08lX", (unsigned long)rv);
	return buf;
}
