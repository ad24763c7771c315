/*
 * tests/tools/p11-faults.c - drive a PKCS#11 module one call per line, with
 * the time each call took, so a shell test can pull the card, kill pcscd
 * or slow the card down between (or during) the calls of one long-lived
 * process (tests/integration/p11-faults*.sh).
 *
 * usage: p11-faults MODULE.so
 *
 * The PIN comes from $SMARTSIGN_PIN and is never printed.  Every answer
 * is one flushed line; most are "RV MS [MORE]": the CKR_* name and the
 * wall time of the call in milliseconds.
 *
 * Commands                  Answers
 *   init | finalize         RV MS         (C_Initialize / C_Finalize)
 *   present SLOT            RV MS 0|1     (C_GetSlotInfo, CKF_TOKEN_PRESENT)
 *   token SLOT              RV MS         (C_GetTokenInfo)
 *   open SLOT               RV MS         (C_OpenSession: the session)
 *   login | ctxlogin        RV MS         (C_Login CKU_USER / CONTEXT_SPECIFIC)
 *   session                 RV MS         (C_GetSessionInfo)
 *   find ID                 RV MS N       (private keys with that hex CKA_ID)
 *   signinit rsa|ec         RV MS         (SHA256-RSA-PKCS / ECDSA-SHA256)
 *   sign IN OUT             RV MS         (C_Sign of file IN; OUT on CKR_OK,
 *                                          ECDSA as DER)
 *   flow SLOT ID KIND IN OUT              open, login, find, signinit,
 *                           ok MS | fail CALL RV MS
 *                                          (KIND rsa, ec, or ecctx: ec with
 *                                          a context login after C_SignInit;
 *                                          MS: the slowest call)
 *   race IN DELAY_MS        fin RV MS sign RV MS AFTER
 *                           C_Sign (signinit done) in a second thread,
 *                           C_Finalize from this one DELAY_MS later;
 *                           AFTER: ms from C_Finalize's start to the
 *                           signing thread's return
 *   wake                    fin RV MS wait RV AFTER
 *                           the same with a blocking C_WaitForSlotEvent
 *   cpu                     cpu UTIME_MS STIME_MS (this process)
 *   quit                    bye
 * Exit status: 0 after quit or end of input, 1 on a usage or load error.
 */
#include <sys/resource.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include "p11-client.h"

#define DATA_MAX	65536
#define SIG_MAX		1024
#define DER_MAX		(SIG_MAX + 16)
#define ID_MAX		32

static CK_FUNCTION_LIST_PTR	f;
static CK_SESSION_HANDLE	sess;
static CK_OBJECT_HANDLE		key;
static int			key_ec;		/* signinit ec */
static CK_BYTE			data[DATA_MAX];

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		continue;
}

static void
answer(CK_RV rv, int64_t ms, const char *more)
{
	printf("%s %lld%s%s\n", p11_rv_name(rv), (long long)ms,
	    more ? " " : "",
	    more ? more : "");
	fflush(stdout);
}

static CK_SLOT_ID
slot_arg(const char *s)
{
	return s == NULL ? 0 : strtoul(s, NULL, 10);
}

/* --- one call each; *ms gets its wall time ------------------------------ */

static CK_RV
do_open(CK_SLOT_ID slot, int64_t *ms)
{
	int64_t	t0 = now_ms();
	CK_RV	rv;

	sess = 0;
	rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &sess);
	*ms = now_ms() - t0;
	return rv;
}

static CK_RV
do_login(CK_USER_TYPE who, int64_t *ms)
{
	int64_t	t0 = now_ms();
	CK_RV	rv;

	rv = p11_login_env(f, sess, who);
	*ms = now_ms() - t0;
	return rv;
}

/* *call: the call that failed (or the last one). */
static CK_RV
do_find(const char *idhex, CK_ULONG *n, int64_t *ms, const char **call)
{
	CK_BYTE	id[ID_MAX];
	int64_t	t0 = now_ms();
	CK_RV	rv;

	*n = 0;
	key = 0;
	*call = "C_FindObjectsInit";
	if ((rv = p11_find_init(f, sess, CKO_PRIVATE_KEY, id,
	    p11_hex_id(idhex, id, sizeof(id)))) == CKR_OK) {
		*call = "C_FindObjects";
		rv = f->C_FindObjects(sess, &key, 1, n);
		if (rv == CKR_OK) {
			*call = "C_FindObjectsFinal";
			rv = f->C_FindObjectsFinal(sess);
		} else
			(void)f->C_FindObjectsFinal(sess);
	}
	*ms = now_ms() - t0;
	return rv;
}

static CK_RV
do_signinit(const char *kind, int64_t *ms)
{
	CK_MECHANISM	m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	int64_t		t0 = now_ms();
	CK_RV		rv;

	key_ec = kind != NULL && strncmp(kind, "ec", 2) == 0;
	if (key_ec)
		m.mechanism = CKM_ECDSA_SHA256;
	rv = f->C_SignInit(sess, &m, key);
	*ms = now_ms() - t0;
	return rv;
}

static int
file_read(const char *path, size_t *len)
{
	return p11_file_read(path, data, sizeof(data), len);
}

/* r || s -> DER ECDSA-Sig-Value, for openssl dgst -verify */
static size_t
ec_der(const CK_BYTE *sig, size_t len, unsigned char *der)
{
	ECDSA_SIG	*es;
	BIGNUM		*r, *s;
	unsigned char	*p = der;
	int		 n;

	if (len == 0 || len % 2 != 0 || len > SIG_MAX)
		return 0;
	r = BN_bin2bn(sig, (int)(len / 2), NULL);
	s = BN_bin2bn(sig + len / 2, (int)(len / 2), NULL);
	if ((es = ECDSA_SIG_new()) == NULL || r == NULL || s == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return 0;
	}
	n = i2d_ECDSA_SIG(es, NULL);
	if (n <= 0 || n > DER_MAX)
		n = 0;
	else
		n = i2d_ECDSA_SIG(es, &p);
	ECDSA_SIG_free(es);
	return n > 0 ? (size_t)n : 0;
}

static int
sig_write(const char *path, const CK_BYTE *sig, size_t len)
{
	unsigned char	 der[DER_MAX];
	const CK_BYTE	*out = sig;

	if (key_ec) {
		if ((len = ec_der(sig, len, der)) == 0)
			return -1;
		out = der;
	}
	return p11_file_write(path, out, len);
}

/* C_Sign of len bytes of data; out written on success. */
static CK_RV
do_sign(size_t len, const char *out, int64_t *ms)
{
	CK_BYTE		sig[SIG_MAX];
	CK_ULONG	siglen = sizeof(sig);
	int64_t		t0 = now_ms();
	CK_RV		rv;

	rv = f->C_Sign(sess, data, len, sig, &siglen);
	*ms = now_ms() - t0;
	if (rv == CKR_OK && out != NULL && sig_write(out, sig, siglen) < 0)
		rv = CKR_FUNCTION_FAILED;
	return rv;
}

/* --- the commands ------------------------------------------------------- */

static void
cmd_flow(char **a)
{
	const char	*call;
	int64_t		 ms = 0, worst = 0;
	size_t		 len = 0;
	CK_ULONG	 n = 0;
	CK_RV		 rv;
	char		 buf[128];

	if (a[0] == NULL || a[1] == NULL || a[2] == NULL || a[3] == NULL ||
	    a[4] == NULL || file_read(a[3], &len) < 0) {
		printf("usage: flow SLOT ID KIND IN OUT\n");
		fflush(stdout);
		return;
	}
#define STEP(name, expr) do {						\
		call = name;						\
		rv = (expr);	/* may name the call better */	\
		if (ms > worst)						\
			worst = ms;					\
		if (rv != CKR_OK)					\
			goto fail;					\
	} while (0)
	STEP("C_OpenSession", do_open(slot_arg(a[0]), &ms));
	STEP("C_Login", do_login(CKU_USER, &ms));
	STEP("C_FindObjects", do_find(a[1], &n, &ms, &call));
	if (n != 1) {
		rv = CKR_KEY_HANDLE_INVALID;
		goto fail;
	}
	STEP("C_SignInit", do_signinit(a[2], &ms));
	if (strcmp(a[2], "ecctx") == 0)
		STEP("C_Login(CONTEXT)", do_login(CKU_CONTEXT_SPECIFIC, &ms));
	STEP("C_Sign", do_sign(len, a[4], &ms));
#undef STEP
	printf("ok %lld\n", (long long)worst);
	fflush(stdout);
	return;
fail:
	snprintf(buf, sizeof(buf), "fail %s", call);
	printf("%s %s %lld\n", buf, p11_rv_name(rv), (long long)ms);
	fflush(stdout);
}

struct racer {
	int		 wait;		/* C_WaitForSlotEvent, else C_Sign */
	size_t		 len;
	CK_RV		 rv;
	int64_t		 end;		/* when it returned */
};

static void *
racer_main(void *arg)
{
	struct racer	*r = arg;
	CK_BYTE		 sig[SIG_MAX];
	CK_ULONG	 siglen = sizeof(sig);
	CK_SLOT_ID	 slot = 0;

	if (r->wait)
		r->rv = f->C_WaitForSlotEvent(0, &slot, NULL);
	else
		r->rv = f->C_Sign(sess, data, r->len, sig, &siglen);
	r->end = now_ms();
	return NULL;
}

/* C_Finalize while another thread is in the module. */
static void
cmd_race(int wait, const char *in, const char *delay)
{
	struct racer	r;
	pthread_t	th;
	int64_t		t0, fin_ms;
	CK_RV		rv;

	memset(&r, 0, sizeof(r));
	r.wait = wait;
	r.rv = CKR_GENERAL_ERROR;
	if ((!wait && file_read(in, &r.len) < 0) ||
	    pthread_create(&th, NULL, racer_main, &r) != 0) {
		printf("usage: race IN DELAY_MS | wake\n");
		fflush(stdout);
		return;
	}
	sleep_ms(delay != NULL ? strtol(delay, NULL, 10) : 300);
	t0 = now_ms();
	rv = f->C_Finalize(NULL);
	fin_ms = now_ms() - t0;
	pthread_join(th, NULL);
	printf("fin %s %lld ", p11_rv_name(rv), (long long)fin_ms);
	printf("%s %s %lld\n", wait ? "wait" : "sign", p11_rv_name(r.rv),
	    (long long)(r.end - t0));
	fflush(stdout);
	sess = 0;
}

static void
cmd_cpu(void)
{
	struct rusage ru;

	memset(&ru, 0, sizeof(ru));
	(void)getrusage(RUSAGE_SELF, &ru);
	printf("cpu %lld %lld\n",
	    (long long)ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000,
	    (long long)ru.ru_stime.tv_sec * 1000 + ru.ru_stime.tv_usec / 1000);
	fflush(stdout);
}

static void
cmd_slot(const char *what, const char *arg)
{
	CK_SLOT_INFO	si;
	CK_TOKEN_INFO	ti;
	int64_t		t0 = now_ms(), ms;
	CK_RV		rv;

	if (strcmp(what, "present") == 0) {
		memset(&si, 0, sizeof(si));
		rv = f->C_GetSlotInfo(slot_arg(arg), &si);
		ms = now_ms() - t0;
		answer(rv, ms, (si.flags & CKF_TOKEN_PRESENT) ? "1" : "0");
	} else {
		rv = f->C_GetTokenInfo(slot_arg(arg), &ti);
		answer(rv, now_ms() - t0, NULL);
	}
}

/* One command; 0 to go on, 1 to stop. */
static int
command(char *line)
{
	char		*cmd, *a[6] = { NULL }, *save = NULL;
	const char	*call = NULL;
	char		 more[32];
	int64_t		 ms = 0, t0;
	size_t		 i, len = 0;
	CK_SESSION_INFO	 si;
	CK_ULONG	 n = 0;
	CK_RV		 rv;

	line[strcspn(line, "\r\n")] = '\0';
	if ((cmd = strtok_r(line, " ", &save)) == NULL)
		return 0;
	for (i = 0; i < sizeof(a) / sizeof(a[0]); i++)
		a[i] = strtok_r(NULL, " ", &save);
	t0 = now_ms();
	if (strcmp(cmd, "init") == 0) {
		rv = f->C_Initialize(NULL);
		answer(rv, now_ms() - t0, NULL);
	} else if (strcmp(cmd, "finalize") == 0) {
		rv = f->C_Finalize(NULL);
		answer(rv, now_ms() - t0, NULL);
	} else if (strcmp(cmd, "present") == 0 || strcmp(cmd, "token") == 0)
		cmd_slot(cmd, a[0]);
	else if (strcmp(cmd, "open") == 0) {
		rv = do_open(slot_arg(a[0]), &ms);
		answer(rv, ms, NULL);
	} else if (strcmp(cmd, "login") == 0 || strcmp(cmd, "ctxlogin") == 0) {
		rv = do_login(cmd[0] == 'c' ? CKU_CONTEXT_SPECIFIC : CKU_USER,
		    &ms);
		answer(rv, ms, NULL);
	} else if (strcmp(cmd, "session") == 0) {
		rv = f->C_GetSessionInfo(sess, &si);
		answer(rv, now_ms() - t0, NULL);
	} else if (strcmp(cmd, "find") == 0) {
		rv = do_find(a[0], &n, &ms, &call);
		snprintf(more, sizeof(more), "%lu", (unsigned long)n);
		answer(rv, ms, more);
	} else if (strcmp(cmd, "signinit") == 0) {
		rv = do_signinit(a[0], &ms);
		answer(rv, ms, NULL);
	} else if (strcmp(cmd, "sign") == 0) {
		if (file_read(a[0], &len) < 0 || a[1] == NULL)
			printf("usage: sign IN OUT\n");
		else {
			rv = do_sign(len, a[1], &ms);
			answer(rv, ms, NULL);
		}
		fflush(stdout);
	} else if (strcmp(cmd, "flow") == 0)
		cmd_flow(a);
	else if (strcmp(cmd, "race") == 0)
		cmd_race(0, a[0], a[1]);
	else if (strcmp(cmd, "wake") == 0)
		cmd_race(1, NULL, a[0]);
	else if (strcmp(cmd, "cpu") == 0)
		cmd_cpu();
	else if (strcmp(cmd, "quit") == 0) {
		printf("bye\n");
		fflush(stdout);
		return 1;
	} else {
		printf("unknown command\n");
		fflush(stdout);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	return p11_line_client("p11-faults", argc, argv, &f, NULL, command);
}
