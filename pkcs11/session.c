/*
 * pkcs11/session.c - sessions: open, close, information, and the lookup
 * every session call starts with.
 *
 * A session handle is (sequence << 8) | slot ID: the slot is found without
 * a global table, and a handle is never reused within the process.  A
 * session belongs to the token bound when it was opened; when that card
 * goes, slot.c closes it: the call that notices the removal gets
 * CKR_DEVICE_REMOVED, later calls CKR_SESSION_HANDLE_INVALID.
 * Session calls refresh the reader list at most every P11_REFRESH_MS
 * (module.c); in between a removal or reset is noticed by the card I/O
 * itself (SS_ERR_CARD_REMOVED / reset from the channel).
 *
 * A context-specific login (login.c) holds the channel transaction from
 * its VERIFY to the signature; other processes wait for it in pcscd.  The
 * sessions of this process share our PC/SC handle: their calls go on
 * (the card keeps the login for the key through them), but a second
 * context login waits here until the first one's signature is made, or
 * its VERIFY would come before the first GENERAL AUTHENTICATE and leave
 * none for its own (the card refuses it).  A context login left unused
 * for SESS_CTX_HOLD_MS while another waits (an application that never
 * signs, or one thread logging in on two sessions) is withdrawn: its
 * signature then gets CKR_USER_NOT_LOGGED_IN.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkcs11/p11.h"

#define SESS_SLOT_BITS	8
#define SESS_SLOT_MASK	0xffu
#define SESS_CTX_HOLD_MS 2000
#define SESS_CTX_POLL_NS 200000L	/* first wait; doubles up to: */
#define SESS_CTX_POLL_MAX_NS 20000000L

bool
p11_sess_rw(const struct p11_session *ss)
{
	return (ss->flags & CKF_RW_SESSION) != 0;
}

static struct p11_session *
sess_find(struct p11_slot *s, CK_SESSION_HANDLE h)
{
	struct p11_session *ss;

	for (ss = s->sessions; ss != NULL; ss = ss->next)
		if (ss->h == h)
			return ss;
	return NULL;
}

static struct p11_sigop *
sess_ctx_held(struct p11_slot *s, CK_SESSION_HANDLE self)
{
	struct p11_session *ss;

	for (ss = s->sessions; ss != NULL; ss = ss->next) {
		if (ss->h == self)
			continue;
		if (ss->sign.tx_held)
			return &ss->sign;
		if (ss->decrypt.op.tx_held)
			return &ss->decrypt.op;
	}
	return NULL;
}

static long
sess_ms_since(const struct timespec *t0)
{
	struct timespec now;

	if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
		return SESS_CTX_HOLD_MS;
	return (long)(now.tv_sec - t0->tv_sec) * 1000 +
	    (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Slot mutex held (released while waiting): until no other session
 * holds a context login's transaction.  CKR_SESSION_HANDLE_INVALID when
 * self was closed meanwhile. */
CK_RV
p11_sess_wait_ctx(struct p11_slot *s, CK_SESSION_HANDLE self)
{
	struct timespec		 poll = { 0, SESS_CTX_POLL_NS };
	struct timespec		 t0;
	struct p11_sigop	*op;

	if (sess_ctx_held(s, self) == NULL ||
	    clock_gettime(CLOCK_MONOTONIC, &t0) != 0)
		return CKR_OK;
	while ((op = sess_ctx_held(s, self)) != NULL) {
		if (sess_ms_since(&t0) >= SESS_CTX_HOLD_MS) {
			p11_log("slot %lu: context login unused; withdrawn",
			    (unsigned long)s->id);
			op->tx_held = false;
			op->ctx_auth = false;
			p11_io_end(s);
			continue;
		}
		p11_mutex_unlock(s->mu);
		(void)nanosleep(&poll, NULL);
		p11_mutex_lock(s->mu);
		/* a real card's signature takes 50-500 ms: back off, no spin */
		if (poll.tv_nsec < SESS_CTX_POLL_MAX_NS / 2)
			poll.tv_nsec *= 2;
	}
	return sess_find(s, self) != NULL ? CKR_OK :
	    CKR_SESSION_HANDLE_INVALID;
}

CK_RV
p11_sess_get(CK_SESSION_HANDLE h, struct p11_slot **sp,
    struct p11_session **ssp)
{
	struct p11_slot	*s;
	CK_RV		 rv;

	*sp = NULL;
	*ssp = NULL;
	if ((rv = p11_check_init()) != CKR_OK)
		return rv;
	if (h == CK_INVALID_HANDLE || (s = p11_slot_get(h & SESS_SLOT_MASK))
	    == NULL)
		return CKR_SESSION_HANDLE_INVALID;
	p11_refresh(false);
	p11_mutex_lock(s->mu);
	if (sess_find(s, h) == NULL) {
		p11_mutex_unlock(s->mu);
		return CKR_SESSION_HANDLE_INVALID;
	}
	p11_slot_sync(s);
	if ((*ssp = sess_find(s, h)) == NULL) {
		p11_mutex_unlock(s->mu);
		return CKR_DEVICE_REMOVED;
	}
	*sp = s;
	return CKR_OK;
}

void
p11_sess_put(struct p11_slot *s)
{
	if (s == NULL)
		return;
	if (s->gone)
		p11_slot_unbind(s);
	p11_mutex_unlock(s->mu);
}

void
p11_sess_end_ops(struct p11_slot *s, struct p11_session *ss)
{
	p11_sigop_clear(s, &ss->sign);
	p11_sigop_clear(s, &ss->verify);
	p11_decop_clear(s, &ss->decrypt);
	p11_digop_clear(&ss->digest);
	memset(&ss->find, 0, sizeof(ss->find));
}

static void
sess_close(struct p11_slot *s, struct p11_session *ss)
{
	struct p11_session **pp;

	p11_sess_end_ops(s, ss);
	p11_secret_drop(s, ss->h);
	for (pp = &s->sessions; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == ss) {
			*pp = ss->next;
			break;
		}
	}
	s->nsess--;
	if (p11_sess_rw(ss))
		s->nrw--;
	free(ss);
}

void
p11_sess_close_all(struct p11_slot *s)
{
	while (s->sessions != NULL)
		sess_close(s, s->sessions);
}

CK_RV
C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication,
    CK_NOTIFY Notify, CK_SESSION_HANDLE_PTR phSession)
{
	struct p11_session	*ss = NULL;
	struct p11_slot		*s;
	CK_RV			 rv;

	(void)pApplication;
	(void)Notify;
	p11_log_enter(__func__);
	if ((rv = p11_check_init()) != CKR_OK)
		goto out;
	if (phSession == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	p11_refresh(true);
	if ((s = p11_slot_get(slotID)) == NULL) {
		rv = CKR_SLOT_ID_INVALID;
		goto out;
	}
	if (!(flags & CKF_SERIAL_SESSION)) {
		rv = CKR_SESSION_PARALLEL_NOT_SUPPORTED;
		goto out;
	}
	p11_mutex_lock(s->mu);
	if ((rv = p11_slot_token(s)) == CKR_OK &&
	    !(flags & CKF_RW_SESSION) && s->so != P11_SO_NONE)
		rv = CKR_SESSION_READ_WRITE_SO_EXISTS;
	if (rv == CKR_OK && (ss = calloc(1, sizeof(*ss))) == NULL)
		rv = CKR_HOST_MEMORY;
	if (rv == CKR_OK) {
		p11_mutex_lock(p11_m.mu);
		ss->h = p11_m.next_sess++ << SESS_SLOT_BITS | slotID;
		p11_mutex_unlock(p11_m.mu);
		ss->flags = flags & (CKF_SERIAL_SESSION | CKF_RW_SESSION);
		ss->next = s->sessions;
		s->sessions = ss;
		s->nsess++;
		if (p11_sess_rw(ss))
			s->nrw++;
		*phSession = ss->h;
	}
	p11_mutex_unlock(s->mu);
out:
	return p11_log_rv(__func__, rv);
}

CK_RV
C_CloseSession(CK_SESSION_HANDLE hSession)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	sess_close(s, ss);
	if (s->sessions == NULL)
		p11_login_drop(s);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}

CK_RV
C_CloseAllSessions(CK_SLOT_ID slotID)
{
	struct p11_slot	*s;
	CK_RV		 rv;

	p11_log_enter(__func__);
	if ((rv = p11_check_init()) != CKR_OK)
		goto out;
	p11_refresh(false);
	if ((s = p11_slot_get(slotID)) == NULL) {
		rv = CKR_SLOT_ID_INVALID;
		goto out;
	}
	p11_mutex_lock(s->mu);
	p11_slot_sync(s);
	if (s->drv == NULL)
		rv = CKR_TOKEN_NOT_PRESENT;
	else {
		p11_sess_close_all(s);
		p11_login_drop(s);
	}
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}

CK_RV
C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_check_init()) != CKR_OK)
		goto out;
	if (pInfo == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	memset(pInfo, 0, sizeof(*pInfo));
	pInfo->slotID = s->id;
	pInfo->flags = ss->flags;
	if (s->so != P11_SO_NONE)
		pInfo->state = CKS_RW_SO_FUNCTIONS;
	else if (s->logged_in)
		pInfo->state = p11_sess_rw(ss) ? CKS_RW_USER_FUNCTIONS :
		    CKS_RO_USER_FUNCTIONS;
	else
		pInfo->state = p11_sess_rw(ss) ? CKS_RW_PUBLIC_SESSION :
		    CKS_RO_PUBLIC_SESSION;
	pInfo->ulDeviceError = 0;
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}
