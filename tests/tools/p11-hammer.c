/*
 * tests/tools/p11-hammer.c - load a PKCS#11 module and use one card hard,
 * from several threads, while other processes do the same, verifying
 * every signature with libcrypto against the certificate read from the
 * card (CKA_VALUE of the certificate with the key's CKA_ID) beforehand.
 *
 * usage: p11-hammer [-t THREADS] [-n COUNT] [-p MS] [-u STOPFILE]
 *                   [-r READYFILE] [-g GOFILE] MODULE ROLE
 *
 * ROLE (each thread its own session; the login, CKU_USER, is made once
 * by the main thread before any thread starts):
 *   rsa     COUNT SHA256-RSA-PKCS signatures with the key CKA_ID 01 (9A)
 *   ec      COUNT ECDSA-SHA256 signatures with CKA_ID 02 (9C), each
 *           C_SignInit, C_Login(CKU_CONTEXT_SPECIFIC), C_Sign
 *   mix     even threads rsa, odd threads ec
 *   noise   COUNT rounds, no login: C_Initialize, C_GetTokenInfo, a
 *           session, every object, CKA_VALUE of every certificate,
 *           C_Finalize (each round reads the card afresh)
 *   script  one command per line on stdin, one answer line each:
 *             login | logout      ok | rv NAME       (CKU_USER)
 *             state               state NAME | rv NAME (C_GetSessionInfo)
 *             init ID             ok | rv NAME  (C_SignInit, ID 01 or 02)
 *             ctx                 ok | rv NAME  (CKU_CONTEXT_SPECIFIC)
 *             sign                verified | BAD | rv NAME  (C_Sign)
 *             quit                bye
 * -p: pause MS milliseconds after each signature (pacing, so that
 * others get the card between our signatures: pcscd makes a client
 * whose transaction was refused retry only every 100 ms);
 * -u: stop early once STOPFILE exists (COUNT stays the upper bound);
 * -r: create READYFILE after the set-up; -g: wait for GOFILE to exist
 * before the first operation (so that processes start together).
 * The PIN comes from $SMARTSIGN_PIN and is never printed.
 *
 * Prints per thread "ROLE tN done D signed S verified V errors E [first
 * CKR_... at CALL]" and "total ROLE pid P threads T signed S verified V
 * errors E" (noise: "noise t0 done D errors E"); exit 0 when every
 * operation worked and every signature verified, 1 otherwise, 2 on usage.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "p11-client.h"

#define THREADS_MAX	64
#define SIG_MAX		1024
#define CERT_MAX	8192
#define OBJS_MAX	64
#define LINE_LEN	256
#define WAIT_STEPS	12000		/* x 10 ms: 120 s */

enum role { R_RSA, R_EC, R_MIX, R_NOISE, R_SCRIPT };

struct keyref {
	CK_BYTE		 id;
	CK_MECHANISM_TYPE mech;
	EVP_PKEY	*pub;
};

struct worker {
	pthread_t	 th;
	unsigned	 n;
	const char	*role;
	unsigned long	 done, sig, ok, err;
	CK_RV		 first;
	const char	*step;		/* of the first error */
};

static CK_FUNCTION_LIST_PTR	f;
static CK_SLOT_ID		slot;
static struct keyref		k9a = { 1, CKM_SHA256_RSA_PKCS, NULL };
static struct keyref		k9c = { 2, CKM_ECDSA_SHA256, NULL };
static unsigned long		count = 10, pause_ms;
static const char		*stopfile, *readyfile, *gofile;

/* The CKR_* name; a signature that does not verify is BAD_SIGNATURE. */
static const char *
rv_name(CK_RV rv)
{
	return rv == CKR_SIGNATURE_INVALID ? "BAD_SIGNATURE" : p11_rv_name(rv);
}

static const char *
state_name(CK_STATE st)
{
	switch (st) {
	case CKS_RO_PUBLIC_SESSION:
		return "CKS_RO_PUBLIC_SESSION";
	case CKS_RO_USER_FUNCTIONS:
		return "CKS_RO_USER_FUNCTIONS";
	case CKS_RW_PUBLIC_SESSION:
		return "CKS_RW_PUBLIC_SESSION";
	case CKS_RW_USER_FUNCTIONS:
		return "CKS_RW_USER_FUNCTIONS";
	case CKS_RW_SO_FUNCTIONS:
		return "CKS_RW_SO_FUNCTIONS";
	default:
		return "unknown";
	}
}

static int
wait_file(const char *path)
{
	struct timespec	ts = { 0, 10000000L };
	int		i;

	for (i = 0; path != NULL && access(path, F_OK) != 0; i++) {
		if (i >= WAIT_STEPS)
			return -1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

static void
touch(const char *path)
{
	FILE *fp;

	if (path != NULL && (fp = fopen(path, "w")) != NULL)
		fclose(fp);
}

/* C_Initialize (threads allowed) and the first slot with a token */
static CK_RV
start(void)
{
	CK_C_INITIALIZE_ARGS	args;
	CK_SLOT_ID		ids[16];
	CK_ULONG		n = 16;
	CK_RV			rv;

	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	if ((rv = f->C_Initialize(&args)) != CKR_OK ||
	    (rv = f->C_GetSlotList(CK_TRUE, ids, &n)) != CKR_OK)
		return rv;
	if (n == 0)
		return CKR_TOKEN_NOT_PRESENT;
	slot = ids[0];
	return CKR_OK;
}

/* The public key of the certificate that goes with the key. */
static int
load_cert(CK_SESSION_HANDLE h, struct keyref *k)
{
	CK_BYTE			 der[CERT_MAX];
	CK_ATTRIBUTE		 a = { CKA_VALUE, der, sizeof(der) };
	CK_OBJECT_HANDLE	 o;
	const unsigned char	*p = der;
	X509			*x = NULL;

	if (p11_find_one(f, h, CKO_CERTIFICATE, &k->id, 1, &o) != CKR_OK ||
	    f->C_GetAttributeValue(h, o, &a, 1) != CKR_OK ||
	    (x = d2i_X509(NULL, &p, (long)a.ulValueLen)) == NULL ||
	    (k->pub = X509_get_pubkey(x)) == NULL) {
		fprintf(stderr, "p11-hammer: no certificate %02x\n", k->id);
		X509_free(x);
		return -1;
	}
	X509_free(x);
	return 0;
}

/* r || s (PKCS#11) to the DER form libcrypto verifies */
static int
ec_der(const CK_BYTE *sig, CK_ULONG len, unsigned char **der, int *dlen)
{
	ECDSA_SIG	*es = ECDSA_SIG_new();
	BIGNUM		*r, *s;
	int		 half = (int)(len / 2);

	*der = NULL;
	r = BN_bin2bn(sig, half, NULL);
	s = BN_bin2bn(sig + half, half, NULL);
	if (es == NULL || r == NULL || s == NULL || len % 2 != 0 ||
	    ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return -1;
	}
	*dlen = i2d_ECDSA_SIG(es, der);
	ECDSA_SIG_free(es);
	return *dlen > 0 ? 0 : -1;
}

static bool
verify(const struct keyref *k, const CK_BYTE *data, size_t dlen,
    const CK_BYTE *sig, CK_ULONG slen)
{
	EVP_MD_CTX	*c = EVP_MD_CTX_new();
	unsigned char	*der = NULL;
	int		 derlen = 0, rc = 0;

	if (c == NULL || EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL,
	    k->pub) != 1)
		goto out;
	if (k->mech == CKM_ECDSA_SHA256) {
		if (ec_der(sig, slen, &der, &derlen) == 0)
			rc = EVP_DigestVerify(c, der, (size_t)derlen, data,
			    dlen);
	} else
		rc = EVP_DigestVerify(c, sig, slen, data, dlen);
out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(c);
	return rc == 1;
}

static CK_RV
sign_init(CK_SESSION_HANDLE h, const struct keyref *k)
{
	CK_MECHANISM		m = { k->mech, NULL, 0 };
	CK_OBJECT_HANDLE	o;
	CK_RV			rv;

	if ((rv = p11_find_one(f, h, CKO_PRIVATE_KEY, &k->id, 1, &o)) != CKR_OK)
		return rv;
	return f->C_SignInit(h, &m, o);
}

/* C_Sign of the active operation; CKR_SIGNATURE_INVALID when the
 * signature does not verify. */
static CK_RV
sign_verify(CK_SESSION_HANDLE h, const struct keyref *k, const char *tag)
{
	CK_BYTE		sig[SIG_MAX], data[128];
	CK_ULONG	slen = sizeof(sig);
	struct timespec	ts;
	int		n;
	CK_RV		rv;

	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf((char *)data, sizeof(data), "p11-hammer %s %ld %ld.%09ld",
	    tag, (long)getpid(), (long)ts.tv_sec, ts.tv_nsec);
	if (n <= 0 || (size_t)n >= sizeof(data))
		return CKR_GENERAL_ERROR;
	rv = f->C_Sign(h, data, (CK_ULONG)n, sig, &slen);
	if (rv == CKR_OK && !verify(k, data, (size_t)n, sig, slen))
		rv = CKR_SIGNATURE_INVALID;
	return rv;
}

/* One signature: init, context login for the 9C key, sign, verify;
 * *step: the call that failed. */
static CK_RV
sign_once(CK_SESSION_HANDLE h, const struct keyref *k, const char *tag,
    const char **step)
{
	CK_MECHANISM		m = { k->mech, NULL, 0 };
	CK_OBJECT_HANDLE	o;
	CK_RV			rv;

	*step = "C_FindObjects";
	if ((rv = p11_find_one(f, h, CKO_PRIVATE_KEY, &k->id, 1, &o)) != CKR_OK)
		return rv;
	*step = "C_SignInit";
	if ((rv = f->C_SignInit(h, &m, o)) != CKR_OK)
		return rv;
	*step = "C_Login(CONTEXT_SPECIFIC)";
	if (k == &k9c && (rv = p11_login_env(f, h,
	    CKU_CONTEXT_SPECIFIC)) != CKR_OK) {
		(void)f->C_SignInit(h, NULL, 0);	/* end the operation */
		return rv;
	}
	*step = "C_Sign";
	return sign_verify(h, k, tag);
}

static void
note(struct worker *w, CK_RV rv, const char *step)
{
	w->done++;
	if (rv == CKR_OK)
		return;
	if (w->err++ == 0) {
		w->first = rv;
		w->step = step;
	}
}

static bool
stop_now(const struct worker *w)
{
	return w->done >= count || (stopfile != NULL &&
	    access(stopfile, F_OK) == 0);
}

static void
pace(void)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(pause_ms / 1000);
	ts.tv_nsec = (long)(pause_ms % 1000) * 1000000L;
	(void)nanosleep(&ts, NULL);
}

static void *
signer(void *arg)
{
	struct worker		*w = arg;
	const struct keyref	*k = strcmp(w->role, "rsa") == 0 ? &k9a : &k9c;
	CK_SESSION_HANDLE	 h;
	const char		*step = "C_OpenSession";
	CK_RV			 rv;

	rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &h);
	if (rv != CKR_OK) {
		note(w, rv, step);
		return NULL;
	}
	while (!stop_now(w)) {
		rv = sign_once(h, k, w->role, &step);
		w->sig++;
		if (rv == CKR_OK)
			w->ok++;
		note(w, rv, step);
		if (pause_ms > 0)
			pace();
	}
	(void)f->C_CloseSession(h);
	return NULL;
}

/* One round of what a browser does at start-up, from a cold module. */
static CK_RV
noise_round(void)
{
	CK_TOKEN_INFO		ti;
	CK_OBJECT_HANDLE	objs[OBJS_MAX];
	CK_OBJECT_CLASS		cls;
	CK_BYTE			der[CERT_MAX];
	CK_ATTRIBUTE		a;
	CK_SESSION_HANDLE	h;
	CK_ULONG		n = 0, i;
	CK_RV			rv;

	if ((rv = f->C_GetTokenInfo(slot, &ti)) != CKR_OK ||
	    (rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &h))
	    != CKR_OK)
		return rv;
	if ((rv = f->C_FindObjectsInit(h, NULL, 0)) == CKR_OK) {
		rv = f->C_FindObjects(h, objs, OBJS_MAX, &n);
		(void)f->C_FindObjectsFinal(h);
	}
	for (i = 0; rv == CKR_OK && i < n; i++) {
		a = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
		if ((rv = f->C_GetAttributeValue(h, objs[i], &a, 1)) != CKR_OK ||
		    cls != CKO_CERTIFICATE)
			continue;
		a = (CK_ATTRIBUTE){ CKA_VALUE, der, sizeof(der) };
		rv = f->C_GetAttributeValue(h, objs[i], &a, 1);
	}
	(void)f->C_CloseSession(h);
	return rv;
}

static int
run_noise(void)
{
	struct worker	w;
	CK_RV		rv;

	memset(&w, 0, sizeof(w));
	(void)f->C_Finalize(NULL);
	touch(readyfile);
	if (wait_file(gofile) < 0)
		return 1;
	while (!stop_now(&w)) {
		if ((rv = start()) == CKR_OK)
			rv = noise_round();
		(void)f->C_Finalize(NULL);
		note(&w, rv, "noise");
	}
	printf("noise t0 done %lu errors %lu%s%s\n", w.done, w.err,
	    w.err ? " first " : "", w.err ? rv_name(w.first) : "");
	return w.err == 0 && w.done > 0 ? 0 : 1;
}

static int
report(struct worker *w, unsigned nw, const char *role)
{
	unsigned long	done = 0, sig = 0, ok = 0, err = 0;
	unsigned	i;

	for (i = 0; i < nw; i++) {
		printf("%s t%u done %lu signed %lu verified %lu errors %lu",
		    w[i].role, i, w[i].done, w[i].sig, w[i].ok, w[i].err);
		if (w[i].err)
			printf(" first %s at %s", rv_name(w[i].first),
			    w[i].step);
		printf("\n");
		done += w[i].done;
		sig += w[i].sig;
		ok += w[i].ok;
		err += w[i].err;
	}
	printf("total %s pid %ld threads %u signed %lu verified %lu "
	    "errors %lu\n", role, (long)getpid(), nw, sig, ok, err);
	return err == 0 && ok == sig && done > 0 ? 0 : 1;
}

static int
run_signers(enum role r, const char *role, unsigned nthreads)
{
	struct worker	w[THREADS_MAX];
	unsigned	i;

	memset(w, 0, sizeof(w));
	touch(readyfile);
	if (wait_file(gofile) < 0)
		return 1;
	for (i = 0; i < nthreads; i++) {
		w[i].role = r == R_MIX ? (i % 2 ? "ec" : "rsa") : role;
		if (pthread_create(&w[i].th, NULL, signer, &w[i]) != 0)
			return 1;
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(w[i].th, NULL);
	return report(w, nthreads, role);
}

/* --- script ------------------------------------------------------------- */

static void
say_rv(CK_RV rv)
{
	printf("%s\n", rv == CKR_OK ? "ok" : rv_name(rv));
	fflush(stdout);
}

static void
script_line(CK_SESSION_HANDLE h, char *line, const struct keyref **k)
{
	CK_SESSION_INFO	si;
	CK_RV		rv;

	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, "login") == 0)
		say_rv(p11_login_env(f, h, CKU_USER));
	else if (strcmp(line, "logout") == 0)
		say_rv(f->C_Logout(h));
	else if (strcmp(line, "state") == 0) {
		if ((rv = f->C_GetSessionInfo(h, &si)) == CKR_OK)
			printf("state %s\n", state_name(si.state));
		else
			printf("%s\n", rv_name(rv));
	} else if (strncmp(line, "init ", 5) == 0) {
		*k = strcmp(line + 5, "02") == 0 ? &k9c : &k9a;
		say_rv(sign_init(h, *k));
	} else if (strcmp(line, "ctx") == 0)
		say_rv(p11_login_env(f, h, CKU_CONTEXT_SPECIFIC));
	else if (strcmp(line, "sign") == 0) {
		rv = sign_verify(h, *k, "script");
		printf("%s\n", rv == CKR_OK ? "verified" : rv_name(rv));
	} else
		printf("unknown command\n");
	fflush(stdout);
}

static int
run_script(void)
{
	const struct keyref	*k = &k9a;
	CK_SESSION_HANDLE	 h;
	char			 line[LINE_LEN];

	if (f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &h) !=
	    CKR_OK)
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (strncmp(line, "quit", 4) == 0)
			break;
		script_line(h, line, &k);
	}
	printf("bye\n");
	fflush(stdout);
	(void)f->C_CloseSession(h);
	return 0;
}

/* --- main --------------------------------------------------------------- */

/* Read both certificates; log in once for every thread (login). */
static int
setup(CK_SESSION_HANDLE *h, bool login)
{
	CK_RV rv;

	if ((rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, h))
	    != CKR_OK)
		goto fail;
	rv = login ? p11_login_env(f, *h, CKU_USER) : CKR_OK;
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		goto fail;
	if (load_cert(*h, &k9a) < 0 || load_cert(*h, &k9c) < 0)
		return -1;
	return 0;
fail:
	fprintf(stderr, "p11-hammer: set-up: %s\n", rv_name(rv));
	return -1;
}

static int
parse_role(const char *s, enum role *r)
{
	static const char *roles[] = { "rsa", "ec", "mix", "noise", "script" };
	unsigned i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		if (strcmp(s, roles[i]) == 0) {
			*r = (enum role)i;
			return 0;
		}
	}
	return -1;
}

static int
usage(void)
{
	fprintf(stderr, "usage: p11-hammer [-t THREADS] [-n COUNT] [-p MS] "
	    "[-u STOPFILE] [-r READYFILE] [-g GOFILE] MODULE "
	    "rsa|ec|mix|noise|script\n");
	return 2;
}

int
main(int argc, char **argv)
{
	CK_SESSION_HANDLE	h = 0;
	unsigned long		nthreads = 1;
	enum role		r;
	int			c, rc;
	CK_RV			rv;

	while ((c = getopt(argc, argv, "t:n:p:u:r:g:")) != -1) {
		switch (c) {
		case 't': nthreads = strtoul(optarg, NULL, 10); break;
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 'p': pause_ms = strtoul(optarg, NULL, 10); break;
		case 'u': stopfile = optarg; break;
		case 'r': readyfile = optarg; break;
		case 'g': gofile = optarg; break;
		default: return usage();
		}
	}
	if (argc - optind != 2 || parse_role(argv[optind + 1], &r) < 0 ||
	    nthreads == 0 || nthreads > THREADS_MAX)
		return usage();
	if (p11_load("p11-hammer", argv[optind], &f) == NULL ||
	    (rv = start()) != CKR_OK) {
		fprintf(stderr, "p11-hammer: cannot start the module\n");
		return 1;
	}
	if (r == R_NOISE)
		return run_noise();
	if (setup(&h, r != R_SCRIPT) < 0)
		return 1;
	if (r == R_SCRIPT)
		rc = run_script();	/* logs in itself */
	else
		rc = run_signers(r, argv[optind + 1], (unsigned)nthreads);
	(void)f->C_CloseSession(h);
	EVP_PKEY_free(k9a.pub);
	EVP_PKEY_free(k9c.pub);
	(void)f->C_Finalize(NULL);
	return rc;
}
