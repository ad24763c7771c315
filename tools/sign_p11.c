/*
 * tools/sign_p11.c - load a PKCS#11 module, pick the token, log in.
 *
 * PIN rules: one C_Login(CKU_USER) per run, one C_Login(CKU_CONTEXT_
 * SPECIFIC) per signature with a CKA_ALWAYS_AUTHENTICATE key, nothing
 * retried: a wrong PIN stops the run at once, so a batch can never use up
 * the card's tries.  A PIN whose length the token rejects is not tried.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tools/sign_p11.h"

#ifndef SS_MULTIARCH
#define SS_MULTIARCH	"x86_64-linux-gnu"
#endif
#define MODULE_NAME	"smartsign-pkcs11.so"

int
sp11_default_module(char *buf, size_t len, struct se_err *err)
{
	char	exe[PATH_MAX], *slash;
	ssize_t	n;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0) {
		se_set(err, "cannot find where smartsign-sign runs from: use "
		    "--module PATH");
		return -1;
	}
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	/* run from the build tree: the module sits beside the program */
	if ((size_t)snprintf(buf, len, "%s/%s", exe, MODULE_NAME) < len &&
	    access(buf, R_OK) == 0)
		return 0;
	/* installed: PREFIX/bin/smartsign-sign, PREFIX/lib/TRIPLET/pkcs11/ */
	if ((size_t)snprintf(buf, len, "%s/../lib/%s/pkcs11/%s", exe,
	    SS_MULTIARCH, MODULE_NAME) < len && access(buf, R_OK) == 0)
		return 0;
	se_set(err, "no %s beside %s nor in %s/../lib/%s/pkcs11: use "
	    "--module PATH", MODULE_NAME, exe, exe, SS_MULTIARCH);
	return -1;
}

int
sp11_load(struct sp11 *s, const char *path, struct se_err *err)
{
	CK_C_GetFunctionList	get;
	CK_RV			rv;

	if ((s->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		se_set(err, "cannot load the PKCS#11 module: %s", dlerror());
		return -1;
	}
	get = (CK_C_GetFunctionList)dlsym(s->dl, "C_GetFunctionList");
	if (get == NULL || get(&s->f) != CKR_OK || s->f == NULL ||
	    s->f->C_Initialize == NULL) {
		se_set(err, "%s is not a PKCS#11 module (no usable "
		    "C_GetFunctionList)", path);
		return -1;
	}
	rv = s->f->C_Initialize(NULL);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		se_set(err, "C_Initialize: %s", sp11_rv_str(rv));
		return -1;
	}
	s->inited = rv == CKR_OK;
	return 0;
}

/* A blank-padded CK_UTF8CHAR field as a trimmed C string; control
 * characters become '?'. */
static void
pad_str(const CK_UTF8CHAR *f, size_t flen, char *out, size_t cap)
{
	size_t i, n = flen < cap - 1 ? flen : cap - 1;

	while (n > 0 && (f[n - 1] == ' ' || f[n - 1] == '\0'))
		n--;
	for (i = 0; i < n; i++)
		out[i] = (f[i] < 0x20 || f[i] == 0x7f) ? '?' : (char)f[i];
	out[n] = '\0';
}

static bool
token_matches(const CK_TOKEN_INFO *t, const struct su_sel *sel)
{
	char label[sizeof(t->label) + 1], serial[sizeof(t->serialNumber) + 1];

	pad_str(t->label, sizeof(t->label), label, sizeof(label));
	pad_str(t->serialNumber, sizeof(t->serialNumber), serial,
	    sizeof(serial));
	return (!sel->has_token || strcmp(label, sel->token) == 0) &&
	    (!sel->has_serial || strcmp(serial, sel->serial) == 0);
}

static int
slot_list(struct sp11 *s, CK_SLOT_ID *slots, CK_ULONG *n, struct se_err *err)
{
	CK_RV rv;

	*n = SP11_SLOTS_MAX;
	rv = s->f->C_GetSlotList(CK_TRUE, slots, n);
	if (rv == CKR_BUFFER_TOO_SMALL)
		se_set(err, "more than %d tokens present", SP11_SLOTS_MAX);
	else if (rv != CKR_OK)
		se_set(err, "C_GetSlotList: %s", sp11_rv_str(rv));
	else if (*n > SP11_SLOTS_MAX)
		se_set(err, "the module reports %lu slots", (unsigned long)*n);
	else
		return 0;
	return -1;
}

static int
token_pick(struct sp11 *s, const struct su_sel *sel, struct se_err *err)
{
	CK_SLOT_ID	slots[SP11_SLOTS_MAX];
	CK_TOKEN_INFO	t;
	CK_ULONG	n, i, found = 0, mute = 0;
	CK_RV		rv = CKR_OK, mute_rv = CKR_OK;

	if (slot_list(s, slots, &n, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if ((rv = s->f->C_GetTokenInfo(slots[i], &t)) != CKR_OK) {
			mute++;
			mute_rv = rv;
			continue;
		}
		if (!token_matches(&t, sel))
			continue;
		if (found++ == 0) {
			s->slot = slots[i];
			s->tok = t;
		}
	}
	if (found == 1)
		return 0;
	if (n == 0)
		se_set(err, "no token present (is the card in the reader?)");
	else if (found == 0 && mute > 0)
		se_set(err, "the token does not answer (C_GetTokenInfo: %s); "
		    "was the card just inserted?", sp11_rv_str(mute_rv));
	else if (found == 0)
		se_set(err, "no token matches the URI's token/serial");
	else
		se_set(err, "%lu tokens match: choose one with "
		    "pkcs11:token=...;serial=...", (unsigned long)found);
	return -1;
}

int
sp11_token(struct sp11 *s, const struct su_sel *sel, struct se_err *err)
{
	CK_RV rv;

	if (token_pick(s, sel, err) < 0)
		return -1;
	pad_str(s->tok.label, sizeof(s->tok.label), s->tok_label,
	    sizeof(s->tok_label));
	rv = s->f->C_OpenSession(s->slot, CKF_SERIAL_SESSION, NULL, NULL,
	    &s->sess);
	if (rv != CKR_OK) {
		se_set(err, "C_OpenSession: %s", sp11_rv_str(rv));
		return -1;
	}
	s->sess_open = true;
	return 0;
}

/* A message for a failed C_Login; PIN failures set s->pin_error. */
static void
login_err(struct sp11 *s, CK_RV rv, struct se_err *err)
{
	CK_TOKEN_INFO	t;
	CK_FLAGS	flags;

	s->pin_error = true;
	switch (rv) {
	case CKR_PIN_INCORRECT:
		flags = s->f->C_GetTokenInfo(s->slot, &t) == CKR_OK ?
		    t.flags : 0;
		if (flags & CKF_USER_PIN_LOCKED)
			se_set(err, "wrong PIN: the PIN is now blocked "
			    "(unblock it with the PUK)");
		else if (flags & CKF_USER_PIN_FINAL_TRY)
			se_set(err, "wrong PIN: one try left before the PIN "
			    "is blocked");
		else
			se_set(err, "wrong PIN (the run stops here so that no "
			    "further try is used)");
		break;
	case CKR_PIN_LOCKED:
		se_set(err, "the PIN is blocked (unblock it with the PUK)");
		break;
	case CKR_PIN_LEN_RANGE:
		se_set(err, "the token rejects the PIN's length");
		break;
	case CKR_FUNCTION_CANCELED:
		se_set(err, "PIN entry cancelled");
		break;
	default:
		s->pin_error = false;
		se_set(err, "C_Login: %s", sp11_rv_str(rv));
		break;
	}
}

static int
pin_len_ok(struct sp11 *s, const struct sp_pin *pin, struct se_err *err)
{
	if (pin->pinpad)
		return 0;
	if ((s->tok.ulMinPinLen > 0 && pin->len < s->tok.ulMinPinLen) ||
	    (s->tok.ulMaxPinLen > 0 && pin->len > s->tok.ulMaxPinLen)) {
		s->pin_error = true;
		se_set(err, "the PIN must have %lu to %lu characters (not "
		    "tried, no try used)", (unsigned long)s->tok.ulMinPinLen,
		    (unsigned long)s->tok.ulMaxPinLen);
		return -1;
	}
	return 0;
}

static CK_RV
login_call(struct sp11 *s, CK_USER_TYPE who)
{
	const struct sp_pin *p = s->pin;

	if (p->pinpad)
		return s->f->C_Login(s->sess, who, NULL, 0);
	return s->f->C_Login(s->sess, who, (CK_UTF8CHAR_PTR)p->buf,
	    (CK_ULONG)p->len);
}

int
sp11_login(struct sp11 *s, const struct sp_pin *pin, struct se_err *err)
{
	CK_RV rv;

	s->pin = pin;
	if (!(s->tok.flags & CKF_LOGIN_REQUIRED))
		return 0;
	if (s->tok.flags & CKF_USER_PIN_LOCKED) {
		s->pin_error = true;
		se_set(err, "the PIN is blocked (unblock it with the PUK)");
		return -1;
	}
	if (pin_len_ok(s, pin, err) < 0)
		return -1;
	if (pin->pinpad)
		fprintf(stderr, "Enter the PIN on the reader's PIN pad.\n");
	rv = login_call(s, CKU_USER);
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		login_err(s, rv, err);
		return -1;
	}
	s->logged_in = true;
	return 0;
}

int
sp11_login_context(struct sp11 *s, struct se_err *err)
{
	CK_RV rv;

	if (s->pin->pinpad)
		fprintf(stderr, "Confirm signature %u with the PIN on the "
		    "reader's PIN pad.\n", s->nsigs + 1);
	rv = login_call(s, CKU_CONTEXT_SPECIFIC);
	if (rv != CKR_OK) {
		login_err(s, rv, err);
		return -1;
	}
	return 0;
}

void
sp11_close(struct sp11 *s)
{
	if (s->f != NULL && s->logged_in)
		(void)s->f->C_Logout(s->sess);
	if (s->f != NULL && s->sess_open)
		(void)s->f->C_CloseSession(s->sess);
	if (s->f != NULL && s->inited)
		(void)s->f->C_Finalize(NULL);
	if (s->dl != NULL)
		(void)dlclose(s->dl);
	X509_free(s->cert);
	memset(s, 0, sizeof(*s));
}
