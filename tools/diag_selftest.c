/*
 * tools/diag_selftest.c - `smartsign-diag selftest` (and `trace`): log in
 * through the PKCS#11 module (the code path a browser uses), sign a fresh
 * message with every signing key, verify each signature with OpenSSL
 * against the key's certificate, and time every step.
 *
 * The PIN comes from --pin-fd or the terminal (no echo), or is typed on
 * the reader's PIN pad when the token says so; it lives in one buffer
 * that is wiped on every path, and is never printed.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "reader/hex.h"
#include "reader/wipe.h"
#include "tools/diag_p11.h"
#include "tools/diag_piv.h"
#include "tools/diag_verify.h"

#define MSG_RANDOM	16
#define SIG_MAX		1024

static const char usage_text[] =
"usage: smartsign-diag selftest [--json] [--reader NAME] [--module PATH]\n"
"                               [--pin-fd N]\n"
"\n"
"Loads the PKCS#11 module (--module, else $SMARTSIGN_MODULE, else\n"
"smartsign-pkcs11.so next to this program or in the usual pkcs11\n"
"directories), finds the token (--reader: in that reader), asks the PIN\n"
"and logs in, then signs a fresh message with every key that can sign\n"
"(RSA: PKCS#1 v1.5 and PSS over SHA-256; EC: ECDSA over SHA-256;\n"
"Ed25519: EdDSA), re-authenticating where the key demands it (PIV 9C),\n"
"and verifies each signature with OpenSSL against the key's\n"
"certificate.  Every step is timed.\n"
"\n"
"The PIN is asked on the terminal without echo, or read from file\n"
"descriptor N (--pin-fd N, first line; for scripts: never give a PIN on\n"
"the command line).  On a PIN-pad reader it is typed on the reader.\n"
"\n"
"Exit status: 0 every signing key signed and verified, 1 a signature\n"
"failed or no key could sign, 5 no token, 7 the module failed, 8 PIN\n"
"wrong, blocked or not given.\n";

struct key_result {
	char		 id[2 * P11_ID_MAX + 1];
	char		 label[P11_LABEL_MAX];
	const char	*type;
	char		 subject[512];
	bool		 can_sign;
	bool		 has_cert;
	unsigned	 signed_ok, verified_ok, tried;
	char		 mechs[128];
};

struct st {
	struct diag_out			*o;
	const struct diag_st_opts	*opt;
	struct dp11			 p;
	struct tracelog			 tl;
	bool				 tracing;
	char				 pin[PIN_MAX + 1];
	size_t				 pin_len;
	bool				 pinpad;
	uint8_t				 msg[64];
	size_t				 mlen;
	struct key_result		 res[P11_KEYS_MAX];
	size_t				 nres;
	unsigned			 failed;
	bool				 have_token;
};

struct mech {
	CK_MECHANISM_TYPE	 type;
	const char		*name;
	enum diag_sigkind	 kind;
	bool			 prehash;
};

static const struct mech rsa_mechs[] = {
	{ CKM_SHA256_RSA_PKCS, "CKM_SHA256_RSA_PKCS", DIAG_SIG_RSA_PKCS,
	    false },
	{ CKM_SHA256_RSA_PKCS_PSS, "CKM_SHA256_RSA_PKCS_PSS",
	    DIAG_SIG_RSA_PSS, false },
};
static const struct mech ec_mechs[] = {
	{ CKM_ECDSA, "CKM_ECDSA", DIAG_SIG_ECDSA, true },
};
static const struct mech ed_mechs[] = {
	{ CKM_EDDSA, "CKM_EDDSA", DIAG_SIG_EDDSA, false },
};

static void
step(struct st *s, const char *name, double ms, bool ok, const char *detail)
{
	struct diag_out	*o = s->o;

	if (o->json) {
		out_obj(o, NULL, NULL);
		out_str(o, "step", name);
		out_int(o, "us", (long long)(ms * 1000.0));
		out_bool(o, "ok", ok);
		out_str(o, "detail", detail);
		if (s->tracing)
			tracelog_drain(&s->tl, o);
		out_end(o);
		return;
	}
	out_line(o, "%-44s %9.2f ms  %s%s%s", name, ms, ok ? "ok" : "FAILED",
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
	if (s->tracing)
		tracelog_drain(&s->tl, o);
	fflush(o->f);	/* progress shows at once, also through a pipe */
}

/* Run one PKCS#11 call as a step; the call's CK_RV decides. */
#define STEP(s, name, call, rvp) do {					\
	double	t0_ = diag_now_ms();					\
	char	b_[48];							\
	*(rvp) = (call);						\
	step((s), (name), diag_now_ms() - t0_, *(rvp) == CKR_OK,	\
	    *(rvp) == CKR_OK ? NULL : dp11_rv_name(*(rvp), b_,		\
	    sizeof(b_)));						\
} while (0)

static int
load(struct st *s)
{
	char	err[512];
	double	t0 = diag_now_ms();
	CK_RV	rv;

	rv = dp11_load(&s->p, s->opt->module, err, sizeof(err));
	step(s, "load module", diag_now_ms() - t0, rv == CKR_OK,
	    rv == CKR_OK ? NULL : err);
	if (rv != CKR_OK)
		return DIAG_EXIT_MODULE;
	STEP(s, "C_Initialize", dp11_initialize(&s->p), &rv);
	return rv == CKR_OK ? DIAG_EXIT_OK : DIAG_EXIT_MODULE;
}

static void
emit_token(struct st *s)
{
	CK_FLAGS	f = s->p.token.flags;

	out_obj(s->o, "token", "token");
	out_str(s->o, "label", s->p.label);
	out_str(s->o, "reader", s->p.reader);
	out_bool(s->o, "pin_pad", (f & CKF_PROTECTED_AUTHENTICATION_PATH) !=
	    0);
	out_str(s->o, "pin_state", (f & CKF_USER_PIN_LOCKED) ? "blocked" :
	    (f & CKF_USER_PIN_FINAL_TRY) ? "one try left" :
	    (f & CKF_USER_PIN_COUNT_LOW) ? "tries running low" : "ok");
	out_end(s->o);
}

static int
find_token(struct st *s)
{
	CK_RV	rv;

	STEP(s, "find token (C_GetSlotList, C_GetTokenInfo)",
	    dp11_pick_slot(&s->p, s->opt->reader), &rv);
	if (rv != CKR_OK) {
		out_warn(s->o, "the module sees no token%s%s: check "
		    "`smartsign-diag readers` and `card`", s->opt->reader ?
		    " in " : "", s->opt->reader ? s->opt->reader : "");
		return rv == CKR_TOKEN_NOT_PRESENT ? DIAG_EXIT_NO_CARD :
		    DIAG_EXIT_MODULE;
	}
	s->have_token = true;
	STEP(s, "C_OpenSession", dp11_open_session(&s->p), &rv);
	return rv == CKR_OK ? DIAG_EXIT_OK : DIAG_EXIT_MODULE;
}

static int
get_pin(struct st *s)
{
	char	prompt[256];
	ssize_t	n;

	if (s->p.token.flags & CKF_USER_PIN_LOCKED) {
		out_warn(s->o, "the PIN is blocked: unblock it with the PUK");
		return DIAG_EXIT_PIN;
	}
	if (s->p.token.flags & CKF_PROTECTED_AUTHENTICATION_PATH) {
		s->pinpad = true;
		out_line(s->o, "enter the PIN on the reader's PIN pad");
		return DIAG_EXIT_OK;
	}
	(void)snprintf(prompt, sizeof(prompt), "PIN for %s (%s): ",
	    s->p.label, s->p.reader);
	n = diag_pin_read(s->opt->pin_fd, prompt, s->pin, sizeof(s->pin));
	if (n <= 0) {
		out_warn(s->o, "no PIN given");
		return DIAG_EXIT_PIN;
	}
	s->pin_len = (size_t)n;
	if (s->tracing)
		tracelog_set_pin(&s->tl, s->pin, s->pin_len);
	return DIAG_EXIT_OK;
}

static CK_RV
do_login(struct st *s, CK_USER_TYPE who)
{
	return s->p.f->C_Login(s->p.sess, who, s->pinpad ? NULL :
	    (CK_UTF8CHAR_PTR)s->pin, s->pinpad ? 0 : (CK_ULONG)s->pin_len);
}

static void
explain_login(struct st *s, CK_RV rv)
{
	CK_TOKEN_INFO	ti;
	CK_FLAGS	f = 0;

	if (s->p.f->C_GetTokenInfo(s->p.slot, &ti) == CKR_OK)
		f = ti.flags;
	if (rv == CKR_PIN_LOCKED || (f & CKF_USER_PIN_LOCKED))
		out_warn(s->o, "the PIN is now blocked: unblock it with the "
		    "PUK");
	else if (rv == CKR_PIN_INCORRECT)
		out_warn(s->o, "wrong PIN%s", (f & CKF_USER_PIN_FINAL_TRY) ?
		    ": ONE try left before the card blocks" :
		    (f & CKF_USER_PIN_COUNT_LOW) ? ": tries are running low" :
		    "");
	else if (rv == CKR_PIN_LEN_RANGE)
		out_warn(s->o, "the PIN has the wrong length (PIV: 6 to 8 "
		    "characters)");
}

static int
login(struct st *s)
{
	CK_RV	rv;

	STEP(s, "C_Login (user)", do_login(s, CKU_USER), &rv);
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)
		return DIAG_EXIT_OK;
	explain_login(s, rv);
	return rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED ||
	    rv == CKR_PIN_LEN_RANGE ? DIAG_EXIT_PIN : DIAG_EXIT_MODULE;
}

static CK_RV
sign_once(struct st *s, const struct dp11_key *k, const struct mech *m,
    uint8_t *data, size_t dlen, uint8_t *sig, size_t *slen)
{
	CK_RSA_PKCS_PSS_PARAMS	pss = { CKM_SHA256, CKG_MGF1_SHA256,
				    DIAG_PSS_SALT };
	CK_MECHANISM		mech = { m->type, NULL, 0 };
	CK_ULONG		n = SIG_MAX;
	CK_RV			rv;

	*slen = 0;
	if (m->kind == DIAG_SIG_RSA_PSS) {
		mech.pParameter = &pss;
		mech.ulParameterLen = sizeof(pss);
	}
	if ((rv = s->p.f->C_SignInit(s->p.sess, &mech, k->h)) != CKR_OK)
		return rv;
	if (k->always_auth &&
	    (rv = do_login(s, CKU_CONTEXT_SPECIFIC)) != CKR_OK)
		goto fail;
	rv = s->p.f->C_Sign(s->p.sess, data, (CK_ULONG)dlen, sig, &n);
	if (rv != CKR_OK)
		goto fail;
	if (n > SIG_MAX)
		return CKR_GENERAL_ERROR;
	*slen = n;
	return CKR_OK;
fail:
	/* end the operation whatever state the module left it in */
	(void)s->p.f->C_SignInit(s->p.sess, NULL, k->h);
	return rv;
}

static void
test_mech(struct st *s, const struct dp11_key *k, EVP_PKEY *pub,
    const struct mech *m, struct key_result *kr)
{
	uint8_t		sig[SIG_MAX], md[EVP_MAX_MD_SIZE];
	unsigned	mdlen = 0;
	size_t		slen = 0;
	char		name[128], b[48], detail[64];
	double		t0;
	CK_RV		rv;
	bool		ok;

	kr->tried++;
	(void)EVP_Digest(s->msg, s->mlen, md, &mdlen, EVP_sha256(), NULL);
	(void)snprintf(name, sizeof(name), "sign, key %s, %s%s", kr->id,
	    m->name, k->always_auth ? " (+ context login)" : "");
	t0 = diag_now_ms();
	rv = sign_once(s, k, m, m->prehash ? md : s->msg, m->prehash ?
	    mdlen : s->mlen, sig, &slen);
	(void)snprintf(detail, sizeof(detail), "%zu bytes", slen);
	step(s, name, diag_now_ms() - t0, rv == CKR_OK, rv == CKR_OK ? detail :
	    dp11_rv_name(rv, b, sizeof(b)));
	if (rv != CKR_OK) {
		s->failed++;
		return;
	}
	kr->signed_ok++;
	(void)snprintf(name, sizeof(name), "verify, key %s, against its "
	    "certificate", kr->id);
	t0 = diag_now_ms();
	ok = diag_verify(pub, m->kind, s->msg, s->mlen, sig, slen);
	step(s, name, diag_now_ms() - t0, ok, pub == NULL ? "no certificate" :
	    ok ? NULL : "signature does not match the certificate");
	if (ok)
		kr->verified_ok++;
	else
		s->failed++;
}

static const struct mech *
mechs_for(CK_KEY_TYPE t, size_t *n, const char **type)
{
	if (t == CKK_RSA) {
		*type = "RSA";
		*n = sizeof(rsa_mechs) / sizeof(rsa_mechs[0]);
		return rsa_mechs;
	}
	if (t == CKK_EC) {
		*type = "EC";
		*n = sizeof(ec_mechs) / sizeof(ec_mechs[0]);
		return ec_mechs;
	}
	if (t == CKK_EC_EDWARDS) {
		*type = "EdDSA";
		*n = sizeof(ed_mechs) / sizeof(ed_mechs[0]);
		return ed_mechs;
	}
	*type = "unknown";
	*n = 0;
	return NULL;
}

static void
test_key(struct st *s, const struct dp11_key *k, struct key_result *kr)
{
	const struct mech	*m;
	struct diag_cert	 c;
	EVP_PKEY		*pub;
	size_t			 n, i, off = 0;

	ss_hex_encode(k->id, k->id_len, kr->id);
	(void)snprintf(kr->label, sizeof(kr->label), "%s", k->label);
	m = mechs_for(k->type, &n, &kr->type);
	kr->can_sign = k->can_sign && n > 0;
	kr->has_cert = k->cert != NULL;
	if (k->cert != NULL && diag_cert_parse(k->cert, k->cert_len, false,
	    &c) == 0)
		(void)snprintf(kr->subject, sizeof(kr->subject), "%s",
		    c.subject);
	if (!kr->can_sign)
		return;
	pub = diag_cert_pubkey(k->cert, k->cert_len);
	for (i = 0; i < n; i++) {
		test_mech(s, k, pub, &m[i], kr);
		off += (size_t)snprintf(kr->mechs + off, sizeof(kr->mechs) -
		    off, "%s%s", i ? " " : "", m[i].name);
		if (off >= sizeof(kr->mechs))
			off = sizeof(kr->mechs) - 1;
	}
	EVP_PKEY_free(pub);
}

static int
test_keys(struct st *s)
{
	struct dp11_key	*keys;
	size_t		 n = 0, i;
	CK_RV		 rv;

	if ((keys = calloc(P11_KEYS_MAX, sizeof(*keys))) == NULL)
		return DIAG_EXIT_INTERNAL;
	STEP(s, "find private keys and certificates",
	    dp11_find_keys(&s->p, keys, P11_KEYS_MAX, &n), &rv);
	for (i = 0; rv == CKR_OK && i < n; i++)
		test_key(s, &keys[i], &s->res[s->nres++]);
	dp11_keys_free(keys, n);
	free(keys);
	return rv == CKR_OK ? DIAG_EXIT_OK : DIAG_EXIT_MODULE;
}

static void
emit_key_result(struct diag_out *o, const struct key_result *r)
{
	char	title[256];

	(void)snprintf(title, sizeof(title), "key %s (%s)", r->id, r->label);
	out_obj(o, NULL, title);
	out_str(o, "id", r->id);
	out_str(o, "label", r->label);
	out_str(o, "type", r->type);
	out_str(o, "certificate_subject", r->has_cert ? r->subject : NULL);
	out_bool(o, "can_sign", r->can_sign);
	if (r->can_sign) {
		out_str(o, "mechanisms", r->mechs);
		out_int(o, "signed", r->signed_ok);
		out_int(o, "verified", r->verified_ok);
		out_str(o, "result", r->verified_ok == r->tried ?
		    "signed and verified" : "FAILED");
	} else {
		out_str(o, "result", "skipped: not a signing key (decrypt or "
		    "key agreement only)");
	}
	out_end(o);
}

static int
summarize(struct st *s)
{
	unsigned	good = 0;
	size_t		i;

	out_arr(s->o, "keys", "keys");
	for (i = 0; i < s->nres; i++) {
		emit_key_result(s->o, &s->res[i]);
		if (s->res[i].can_sign && s->res[i].verified_ok ==
		    s->res[i].tried)
			good++;
	}
	out_end(s->o);
	if (good == 0 && s->failed == 0)
		out_warn(s->o, "no key on the token can sign");
	out_str(s->o, "result", s->failed == 0 && good > 0 ? "PASS" : "FAIL");
	out_int(s->o, "keys_signed_and_verified", good);
	return s->failed == 0 && good > 0 ? DIAG_EXIT_OK : DIAG_EXIT_PROBLEM;
}

static int
run_steps(struct st *s)
{
	CK_RV	rv;
	int	rc;

	s->mlen = (size_t)snprintf((char *)s->msg, sizeof(s->msg),
	    "smartsign-diag self-test ");
	if (RAND_bytes(s->msg + s->mlen, MSG_RANDOM) != 1)
		return DIAG_EXIT_INTERNAL;
	s->mlen += MSG_RANDOM;
	if ((rc = load(s)) != 0 || (rc = find_token(s)) != 0 ||
	    (rc = get_pin(s)) != 0 || (rc = login(s)) != 0)
		return rc;
	rc = test_keys(s);
	STEP(s, "C_Logout", s->p.f->C_Logout(s->p.sess), &rv);
	return rc;
}

int
diag_selftest_emit(struct diag_out *o, const struct diag_st_opts *opt)
{
	struct diag_st_opts	 o2 = *opt;
	struct st		*s;
	char			 mod[4096];
	int			 rc, depth = o->depth;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return DIAG_EXIT_INTERNAL;
	if (o2.module == NULL)
		o2.module = diag_default_module(mod, sizeof(mod));
	s->o = o;
	s->opt = &o2;
	out_str(o, "module", o2.module);
	if (opt->trace && tracelog_start(&s->tl) == 0)
		s->tracing = true;
	out_arr(o, "steps", "steps");
	rc = run_steps(s);
	ss_wipe(s->pin, sizeof(s->pin));
	while (o->depth > depth)
		out_end(o);
	if (s->have_token)
		emit_token(s);
	if (rc == DIAG_EXIT_OK)
		rc = summarize(s);
	else
		out_str(o, "result", "FAIL");
	dp11_unload(&s->p);
	if (s->tracing)
		tracelog_stop(&s->tl);
	free(s);
	return rc;
}

static int
st_opt(void *arg, int id, const char *val)
{
	struct diag_st_opts	*so = arg;
	unsigned long		 fd;

	if (id == 1) {
		so->module = val;
		return 0;
	}
	if (diag_parse_uint(val, 1024, &fd) < 0 || fcntl((int)fd, F_GETFD) <
	    0) {
		fprintf(stderr, "smartsign-diag: --pin-fd %s is not an open "
		    "file descriptor\n", val);
		return -1;
	}
	so->pin_fd = (int)fd;
	return 0;
}

int
diag_st_main(int argc, char **argv, const char *usage, bool trace)
{
	static const struct diag_optdef defs[] = {
		{ "--module", true, 1 }, { "--pin-fd", true, 2 },
		{ NULL, false, 0 }
	};
	struct diag_st_opts	so;
	struct diag_opts	opt;
	struct diag_out		o;
	int			n, rc;

	memset(&so, 0, sizeof(so));
	so.pin_fd = -1;
	so.trace = trace;
	diag_no_core();
	if ((rc = diag_parse(argc, argv, usage, defs, &opt, st_opt, &so,
	    &n)) != 0)
		return rc > 0 ? DIAG_EXIT_OK : DIAG_EXIT_USAGE;
	if (n > 0) {
		fprintf(stderr, "smartsign-diag: no operands (the PIN is "
		    "never given on the command line: use --pin-fd)\n");
		return DIAG_EXIT_USAGE;
	}
	so.reader = opt.reader;
	out_init(&o, stdout, opt.json);
	rc = diag_selftest_emit(&o, &so);
	out_finish(&o);
	return rc;
}

int
diag_cmd_selftest(int argc, char **argv)
{
	return diag_st_main(argc, argv, usage_text, false);
}
