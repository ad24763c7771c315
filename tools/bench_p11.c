/*
 * tools/bench_p11.c - load a PKCS#11 module by path and the calls every
 * flow shares: initialize, pick the slot, log in, find the key, sign.
 *
 * Keys are found as a PKCS#11 application would: CKA_CLASS private key +
 * CKA_ID (01 = PIV 9A, 02 = PIV 9C, the ids OpenSC, ykcs11 and smartsign
 * all give those slots).  When a module has no such key the label is
 * tried instead and the result says so.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "reader/wipe.h"
#include "tools/bench.h"

#define FIND_BATCH	32

struct key_ref {
	uint8_t		 id;
	const char	*labels[4];	/* substrings, fallback only */
};

static const struct key_ref key_refs[] = {
	{ 0x01, { "PIV AUTH", "PIV Authentication", NULL } },
	{ 0x02, { "SIGN key", "Digital Signature", NULL } },
};

struct rv_name {
	CK_RV		 rv;
	const char	*name;
};

static const struct rv_name rv_names[] = {
	{ CKR_OK, "CKR_OK" },
	{ CKR_HOST_MEMORY, "CKR_HOST_MEMORY" },
	{ CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID" },
	{ CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR" },
	{ CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED" },
	{ CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD" },
	{ CKR_CANT_LOCK, "CKR_CANT_LOCK" },
	{ CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID" },
	{ CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE" },
	{ CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR" },
	{ CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY" },
	{ CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED" },
	{ CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED" },
	{ CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID" },
	{ CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT" },
	{ CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED" },
	{ CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID" },
	{ CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID" },
	{ CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID" },
	{ CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE" },
	{ CKR_OPERATION_NOT_INITIALIZED, "CKR_OPERATION_NOT_INITIALIZED" },
	{ CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT" },
	{ CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE" },
	{ CKR_PIN_LOCKED, "CKR_PIN_LOCKED" },
	{ CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID" },
	{ CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT" },
	{ CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED" },
	{ CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN" },
	{ CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN" },
	{ CKR_USER_TYPE_INVALID, "CKR_USER_TYPE_INVALID" },
	{ CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL" },
	{ CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED" },
	{ CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED" },
};

const char *
bench_rv_name(CK_RV rv)
{
	size_t	i;

	for (i = 0; i < sizeof(rv_names) / sizeof(rv_names[0]); i++)
		if (rv_names[i].rv == rv)
			return rv_names[i].name;
	return "CKR_?";
}

/* Record a failed call in r; returns -1 for "return bench_p11_fail()". */
int
bench_p11_fail(struct bench_result *r, const char *call, CK_RV rv)
{
	r->ok = false;
	bench_notef(r, "%s: %s (0x%lx)", call, bench_rv_name(rv),
	    (unsigned long)rv);
	return -1;
}

int
bench_p11_load(struct bench_p11 *p, const char *path, struct bench_result *r)
{
	CK_C_GetFunctionList	 get;
	void			*sym;
	CK_RV			 rv;

	memset(p, 0, sizeof(*p));
	if ((p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		bench_notef(r, "dlopen: %s", dlerror());
		return -1;
	}
	if ((sym = dlsym(p->dl, "C_GetFunctionList")) == NULL) {
		bench_notef(r, "no C_GetFunctionList in %s", path);
		return -1;
	}
	memcpy(&get, &sym, sizeof(get));
	if ((rv = get(&p->f)) != CKR_OK || p->f == NULL)
		return bench_p11_fail(r, "C_GetFunctionList", rv);
	return 0;
}

/* C_Initialize as NSS and p11-kit call it: OS locking allowed. */
CK_RV
bench_p11_init(struct bench_p11 *p)
{
	CK_C_INITIALIZE_ARGS	args;

	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	return p->f->C_Initialize(&args);
}

/* Length of a blank-padded PKCS#11 string without the padding. */
static size_t
padded_len(const CK_UTF8CHAR *s, size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\0'))
		n--;
	return n;
}

static bool
padded_starts(const CK_UTF8CHAR *s, size_t n, const char *want, bool exact)
{
	size_t	len = padded_len(s, n), wl = strlen(want);

	if (wl > len || (exact && wl != len))
		return false;
	return memcmp(s, want, wl) == 0;
}

static CK_RV
slot_matches(struct bench_p11 *p, CK_SLOT_ID id,
    const struct bench_slotsel *sel, bool *match)
{
	CK_SLOT_INFO	si;
	CK_TOKEN_INFO	ti;
	CK_RV		rv;

	*match = true;
	if (sel->reader != NULL) {
		if ((rv = p->f->C_GetSlotInfo(id, &si)) != CKR_OK)
			return rv;
		*match = padded_starts(si.slotDescription,
		    sizeof(si.slotDescription), sel->reader, false);
	}
	if (*match && sel->label != NULL) {
		if ((rv = p->f->C_GetTokenInfo(id, &ti)) != CKR_OK)
			return rv;
		*match = padded_starts(ti.label, sizeof(ti.label), sel->label,
		    true);
	}
	return CKR_OK;
}

/* The slot chosen by reader name / token label / index among slots
 * with a token. */
CK_RV
bench_p11_slot(struct bench_p11 *p, const struct bench_slotsel *sel,
    CK_SLOT_ID *out, struct bench_result *r)
{
	CK_SLOT_ID	ids[64];
	CK_ULONG	n = 64, i;
	long		seen = 0;
	bool		match;
	CK_RV		rv;

	if ((rv = p->f->C_GetSlotList(CK_TRUE, ids, &n)) != CKR_OK) {
		bench_p11_fail(r, "C_GetSlotList", rv);
		return rv;
	}
	for (i = 0; i < n; i++) {
		if ((rv = slot_matches(p, ids[i], sel, &match)) != CKR_OK)
			continue;
		if (match && (sel->index < 0 || seen++ == sel->index)) {
			*out = ids[i];
			return CKR_OK;
		}
	}
	bench_notef(r, "no slot with a token matches (of %lu with a token)",
	    (unsigned long)n);
	r->ok = false;
	return CKR_SLOT_ID_INVALID;
}

CK_RV
bench_p11_open(struct bench_p11 *p, CK_SLOT_ID slot, CK_SESSION_HANDLE *s)
{
	return p->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, s);
}

CK_RV
bench_p11_login(struct bench_p11 *p, CK_SESSION_HANDLE s, CK_USER_TYPE who,
    const struct bench_pin *pin)
{
	CK_UTF8CHAR	buf[BENCH_PIN_MAX];
	CK_RV		rv;

	memcpy(buf, pin->v, pin->len);
	rv = p->f->C_Login(s, who, buf, (CK_ULONG)pin->len);
	ss_wipe(buf, sizeof(buf));
	return rv;
}

static CK_RV
find_objects(struct bench_p11 *p, CK_SESSION_HANDLE s, CK_ATTRIBUTE *t,
    CK_ULONG nt, CK_OBJECT_HANDLE *objs, CK_ULONG cap, CK_ULONG *n)
{
	CK_RV	rv, rv2;

	*n = 0;
	if ((rv = p->f->C_FindObjectsInit(s, t, nt)) != CKR_OK)
		return rv;
	rv = p->f->C_FindObjects(s, objs, cap, n);
	rv2 = p->f->C_FindObjectsFinal(s);
	return rv != CKR_OK ? rv : rv2;
}

static bool
label_matches(struct bench_p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    const struct key_ref *k)
{
	char		label[256];
	CK_ATTRIBUTE	a = { CKA_LABEL, label, sizeof(label) - 1 };
	size_t		i;

	if (p->f->C_GetAttributeValue(s, o, &a, 1) != CKR_OK ||
	    a.ulValueLen >= sizeof(label))
		return false;
	label[a.ulValueLen] = '\0';
	for (i = 0; k->labels[i] != NULL; i++)
		if (strstr(label, k->labels[i]) != NULL)
			return true;
	return false;
}

static CK_RV
key_by_label(struct bench_p11 *p, CK_SESSION_HANDLE s,
    const struct key_ref *k, CK_OBJECT_HANDLE *key)
{
	CK_OBJECT_CLASS		cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE		t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE	objs[FIND_BATCH];
	CK_ULONG		n, i;
	CK_RV			rv;

	if ((rv = find_objects(p, s, &t, 1, objs, FIND_BATCH, &n)) != CKR_OK)
		return rv;
	for (i = 0; i < n; i++) {
		if (label_matches(p, s, objs[i], k)) {
			*key = objs[i];
			return CKR_OK;
		}
	}
	return CKR_OBJECT_HANDLE_INVALID;
}

/* The private key of PIV key which (BENCH_CERT_9A / BENCH_CERT_9C). */
CK_RV
bench_p11_key(struct bench_p11 *p, CK_SESSION_HANDLE s, int which,
    CK_OBJECT_HANDLE *key, struct bench_result *r)
{
	const struct key_ref	*k = &key_refs[which];
	CK_OBJECT_CLASS		 cls = CKO_PRIVATE_KEY;
	CK_BYTE			 id = k->id;
	CK_ATTRIBUTE		 t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, &id, sizeof(id) },
	};
	CK_ULONG		 n;
	CK_RV			 rv;

	rv = find_objects(p, s, t, 2, key, 1, &n);
	if (rv == CKR_OK && n == 1)
		return CKR_OK;
	if (rv != CKR_OK) {
		bench_p11_fail(r, "C_FindObjects(private key by CKA_ID)", rv);
		return rv;
	}
	if ((rv = key_by_label(p, s, k, key)) == CKR_OK) {
		bench_notef(r, "private key %02X found by label, not by CKA_ID",
		    k->id);
		return CKR_OK;
	}
	bench_notef(r, "no private key with CKA_ID %02X (nor by label)",
	    k->id);
	r->ok = false;
	return CKR_OBJECT_HANDLE_INVALID;
}

/*
 * One signature: C_SignInit, [C_Login(CKU_CONTEXT_SPECIFIC) when cs_pin],
 * C_Sign into sig->sig.  The caller fills sig->data.
 */
CK_RV
bench_p11_sign(struct bench_p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key,
    CK_MECHANISM_TYPE mech, const struct bench_pin *cs_pin,
    struct bench_sig *sig)
{
	CK_MECHANISM	m = { mech, NULL, 0 };
	CK_ULONG	len = sizeof(sig->sig);
	CK_RV		rv;

	if ((rv = p->f->C_SignInit(s, &m, key)) != CKR_OK)
		return rv;
	if (cs_pin != NULL && (rv = bench_p11_login(p, s,
	    CKU_CONTEXT_SPECIFIC, cs_pin)) != CKR_OK)
		return rv;
	rv = p->f->C_Sign(s, sig->data, sizeof(sig->data), sig->sig, &len);
	sig->len = rv == CKR_OK ? len : 0;
	return rv;
}
