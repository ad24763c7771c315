/*
 * tests/tools/p11-events.c - load a PKCS#11 module and report slot events
 * and what a session can do, one command per line on stdin, one answer
 * line per command on stdout (flushed), so a shell test can pull and
 * re-insert cards between the steps of one long-lived process.
 *
 * usage: p11-events MODULE.so
 *
 * Commands                 Answers
 *   poll                   event SLOT | none | rv NAME
 *                          (C_WaitForSlotEvent with CKF_DONT_BLOCK)
 *   wait                   event SLOT | rv NAME  (blocking)
 *   slots                  slots ID:PRESENT ...  (C_GetSlotList(FALSE))
 *   login SLOT PIN         ok | rv NAME  (C_OpenSession + C_Login)
 *   session                ok | rv NAME  (C_GetSessionInfo)
 *   sign ID IN OUT         ok | rv NAME  (SHA256-RSA-PKCS with the
 *                          private key of that hex CKA_ID, IN to OUT)
 *   finalize-wake          woken rv NAME  (C_Finalize from this thread
 *                          while another blocks in C_WaitForSlotEvent;
 *                          then C_Initialize again)
 *   quit                   bye
 * Exit status: 0 after quit or end of input, 1 on a usage or load error.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "p11-client.h"

#define DATA_MAX	65536
#define SIG_MAX		1024
#define ID_MAX		32
#define SLOTS_MAX	64
#define SETTLE_NS	300000000L

static CK_FUNCTION_LIST_PTR	f;
static CK_SESSION_HANDLE	sess;

static void
say(const char *line)
{
	printf("%s\n", line);
	fflush(stdout);
}

static void
say_rv(const char *prefix, CK_RV rv)
{
	printf("%s%s\n", prefix, p11_rv_name(rv));
	fflush(stdout);
}

static void
do_event(CK_FLAGS flags)
{
	CK_SLOT_ID	slot = 0;
	CK_RV		rv;
	char		buf[32];

	rv = f->C_WaitForSlotEvent(flags, &slot, NULL);
	if (rv == CKR_OK) {
		snprintf(buf, sizeof(buf), "event %lu", (unsigned long)slot);
		say(buf);
	} else if (rv == CKR_NO_EVENT)
		say("none");
	else
		say_rv("rv ", rv);
}

static void
do_slots(void)
{
	CK_SLOT_ID	ids[SLOTS_MAX];
	CK_SLOT_INFO	si;
	CK_ULONG	n = SLOTS_MAX, i;
	CK_RV		rv;

	if ((rv = f->C_GetSlotList(CK_FALSE, ids, &n)) != CKR_OK) {
		say_rv("rv ", rv);
		return;
	}
	printf("slots");
	for (i = 0; i < n; i++) {
		if (f->C_GetSlotInfo(ids[i], &si) != CKR_OK)
			si.flags = 0;
		printf(" %lu:%d", (unsigned long)ids[i],
		    (si.flags & CKF_TOKEN_PRESENT) != 0);
	}
	printf("\n");
	fflush(stdout);
}

static void
do_login(const char *slot, char *pin)
{
	CK_SESSION_HANDLE	h = 0;
	CK_RV			rv;

	if (slot == NULL || pin == NULL) {
		say("usage: login SLOT PIN");
		return;
	}
	rv = f->C_OpenSession(strtoul(slot, NULL, 10), CKF_SERIAL_SESSION,
	    NULL, NULL, &h);
	if (rv == CKR_OK) {
		rv = f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)pin,
		    strlen(pin));
		if (rv == CKR_USER_ALREADY_LOGGED_IN)
			rv = CKR_OK;
		if (rv == CKR_OK)
			sess = h;
		else
			(void)f->C_CloseSession(h);
	}
	say_rv("", rv);
}

static void
do_session(void)
{
	CK_SESSION_INFO si;

	say_rv("", f->C_GetSessionInfo(sess, &si));
}

static CK_RV
find_key(const char *idhex, CK_OBJECT_HANDLE *k)
{
	CK_BYTE	id[ID_MAX];

	return p11_find_one(f, sess, CKO_PRIVATE_KEY, id,
	    p11_hex_id(idhex, id, sizeof(id)), k);
}

static void
do_sign(const char *id, const char *in, const char *out)
{
	static CK_BYTE		data[DATA_MAX];
	CK_BYTE			sig[SIG_MAX];
	CK_MECHANISM		m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_OBJECT_HANDLE	k = 0;
	CK_ULONG		siglen = sizeof(sig);
	size_t			len = 0;
	CK_RV			rv;

	if (id == NULL || in == NULL || out == NULL ||
	    p11_file_read(in, data, sizeof(data), &len) < 0) {
		say("usage: sign ID IN OUT");
		return;
	}
	if ((rv = find_key(id, &k)) == CKR_OK &&
	    (rv = f->C_SignInit(sess, &m, k)) == CKR_OK &&
	    (rv = f->C_Sign(sess, data, len, sig, &siglen)) == CKR_OK &&
	    p11_file_write(out, sig, siglen) < 0)
		rv = CKR_FUNCTION_FAILED;
	say_rv("", rv);
}

struct waiter {
	CK_SLOT_ID	slot;
	CK_RV		rv;
};

static void *
waiter_main(void *arg)
{
	struct waiter *w = arg;

	w->rv = f->C_WaitForSlotEvent(0, &w->slot, NULL);
	return NULL;
}

static void
do_finalize_wake(void)
{
	struct timespec	ts = { 0, SETTLE_NS };
	struct waiter	w = { 0, CKR_GENERAL_ERROR };
	pthread_t	th;
	CK_RV		rv;

	if (pthread_create(&th, NULL, waiter_main, &w) != 0) {
		say("cannot start a thread");
		return;
	}
	nanosleep(&ts, NULL);
	rv = f->C_Finalize(NULL);
	pthread_join(th, NULL);
	if (rv != CKR_OK)
		say_rv("finalize rv ", rv);
	else if ((rv = f->C_Initialize(NULL)) != CKR_OK)
		say_rv("initialize rv ", rv);
	else
		say_rv("woken rv ", w.rv);
	sess = 0;
}

/* One command; 0 to go on, 1 to stop. */
static int
command(char *line)
{
	char *cmd, *a1, *a2, *a3, *save = NULL;

	line[strcspn(line, "\r\n")] = '\0';
	if ((cmd = strtok_r(line, " ", &save)) == NULL)
		return 0;
	a1 = strtok_r(NULL, " ", &save);
	a2 = strtok_r(NULL, " ", &save);
	a3 = strtok_r(NULL, " ", &save);
	if (strcmp(cmd, "poll") == 0)
		do_event(CKF_DONT_BLOCK);
	else if (strcmp(cmd, "wait") == 0)
		do_event(0);
	else if (strcmp(cmd, "slots") == 0)
		do_slots();
	else if (strcmp(cmd, "login") == 0)
		do_login(a1, a2);
	else if (strcmp(cmd, "session") == 0)
		do_session();
	else if (strcmp(cmd, "sign") == 0)
		do_sign(a1, a2, a3);
	else if (strcmp(cmd, "finalize-wake") == 0)
		do_finalize_wake();
	else if (strcmp(cmd, "quit") == 0) {
		say("bye");
		return 1;
	} else
		say("unknown command");
	return 0;
}

int
main(int argc, char **argv)
{
	CK_C_INITIALIZE_ARGS ia;

	memset(&ia, 0, sizeof(ia));
	ia.flags = CKF_OS_LOCKING_OK;
	return p11_line_client("p11-events", argc, argv, &f, &ia, command);
}
