/*
 * pkcs11/login.c - C_Login and C_Logout.
 *
 * The PIN rules: VERIFY goes to the card only from C_Login, once per
 * call, never retried and never replayed.  The PIN is passed to the
 * driver straight from the caller's buffer: this file makes no copy, so
 * there is nothing of it left to wipe here (the driver wipes its APDU).
 * Nothing here formats or logs a PIN.
 *
 * The login state is per token (all sessions of the application share
 * it) and per application: only C_Logout logs the card out (VERIFY
 * P1=FF, and the management-key drop for the SO).  The implicit ends -
 * the last session closed, C_CloseAllSessions, C_Finalize, a reset or
 * removal - forget our state and send nothing, since the card's
 * security status is shared with every other process using it.  CKU_CONTEXT_SPECIFIC re-authenticates for the active signing
 * operation of the session (keys with CKA_ALWAYS_AUTHENTICATE, PIV 9C):
 * the channel transaction begun for its VERIFY is kept held until the
 * operation ends, so no other process can send an APDU between the
 * VERIFY and the GENERAL AUTHENTICATE; in this process a second context
 * login waits for the first one's signature (p11_sess_wait_ctx).
 *
 * CKU_SO: after the checks the spec orders first (read-only sessions,
 * another user logged in) login_so.c takes it: the PIV management key
 * (hex) or the PUK.  The user and the SO exclude each other.
 */
#include <stddef.h>

#include "pkcs11/p11.h"

static CK_RV
login_pin_check(const struct p11_slot *s, const CK_UTF8CHAR *pin,
    CK_ULONG len)
{
	if (pin == NULL)
		return s->pinpad ? CKR_OK : CKR_ARGUMENTS_BAD;
	if ((s->tok.pin_min > 0 && len < s->tok.pin_min) ||
	    (s->tok.pin_max > 0 && len > s->tok.pin_max))
		return CKR_PIN_LEN_RANGE;
	return CKR_OK;
}

static int
login_verify(struct p11_slot *s, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	return s->drv->login(s->card, s->chan, pin, pin == NULL ? 0 :
	    (size_t)len);
}

static CK_RV
login_user(struct p11_slot *s, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	CK_RV	rv;
	int	rc;

	if (s->so != P11_SO_NONE)
		return CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
	if (s->logged_in)
		return CKR_USER_ALREADY_LOGGED_IN;
	if ((rv = login_pin_check(s, pin, len)) != CKR_OK)
		return rv;
	if ((rv = p11_io_begin(s, P11_E_LOGIN)) != CKR_OK)
		return rv;
	rc = login_verify(s, pin, len);
	p11_io_end(s);
	s->pin_known = false;
	s->pin_failed = rc == DRV_ERR_PIN_INCORRECT;
	if (rc != DRV_OK)
		return p11_slot_err(s, rc, P11_E_LOGIN);
	s->pin_left_max = 0;
	s->logged_in = true;
	return CKR_OK;
}

/* VERIFY for the session's signing operation, in a transaction that
 * stays held (op->tx_held) when it worked. */
static CK_RV
login_context(struct p11_slot *s, struct p11_session *ss,
    const CK_UTF8CHAR *pin, CK_ULONG len)
{
	struct p11_sigop	*op = p11_ctx_op(ss);
	CK_RV			 rv;
	int			 rc;

	if (op == NULL)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (!s->logged_in)
		return CKR_USER_NOT_LOGGED_IN;
	if ((rv = login_pin_check(s, pin, len)) != CKR_OK)
		return rv;
	if ((rv = p11_io_begin(s, P11_E_LOGIN)) != CKR_OK)
		return rv;
	if (!s->logged_in) {		/* a reset was found just now */
		p11_io_end(s);
		return CKR_USER_NOT_LOGGED_IN;
	}
	op->ctx_auth = false;
	rc = login_verify(s, pin, len);
	s->pin_known = false;
	s->pin_failed = rc == DRV_ERR_PIN_INCORRECT;
	if (rc != DRV_OK) {
		p11_io_end(s);
		return p11_slot_err(s, rc, P11_E_LOGIN);
	}
	if (op->tx_held)
		p11_io_end(s);		/* one held level is enough */
	op->tx_held = true;
	op->ctx_auth = true;
	return CKR_OK;
}

static bool
sess_any_ro(const struct p11_slot *s)
{
	const struct p11_session *ss;

	for (ss = s->sessions; ss != NULL; ss = ss->next)
		if (!p11_sess_rw(ss))
			return true;
	return false;
}

static CK_RV
login_so(struct p11_slot *s, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	if (sess_any_ro(s))
		return CKR_SESSION_READ_ONLY_EXISTS;
	if (s->logged_in)
		return CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
	if (s->so != P11_SO_NONE)
		return CKR_USER_ALREADY_LOGGED_IN;
	return p11_so_login(s, pin, len);
}

CK_RV
C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType,
    CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	switch (userType) {
	case CKU_USER:
		rv = login_user(s, pPin, ulPinLen);
		break;
	case CKU_CONTEXT_SPECIFIC:	/* one at a time (session.c) */
		if ((rv = p11_sess_wait_ctx(s, hSession)) == CKR_OK)
			rv = login_context(s, ss, pPin, ulPinLen);
		break;
	case CKU_SO:
		rv = login_so(s, pPin, ulPinLen);
		break;
	default:
		rv = CKR_USER_TYPE_INVALID;
		break;
	}
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}

/* The implicit end of our login (last session closed, C_CloseAllSessions,
 * C_Finalize).  The user's PIN state is shared by every process using the
 * card, so it is only forgotten here: sending a logout would log them all
 * out.  A management-key (SO) authentication is dropped on the card too:
 * it lets anyone rewrite the card, and nobody else relies on ours. */
void
p11_login_drop(struct p11_slot *s)
{
	if (s->so == P11_SO_ADMIN)
		p11_so_logout(s);
	p11_slot_logged_out(s);
}

/* C_Logout: the application asked, so the card is logged out too. */
static void
login_logout(struct p11_slot *s)
{
	if (s->so != P11_SO_NONE)
		p11_so_logout(s);
	if (!s->logged_in)
		return;
	if (s->drv != NULL && !s->gone && p11_io_begin(s, P11_E_SESSION) ==
	    CKR_OK) {
		if (s->logged_in)
			(void)s->drv->logout(s->card, s->chan);
		p11_io_end(s);
	}
	p11_slot_logged_out(s);
}

CK_RV
C_Logout(CK_SESSION_HANDLE hSession)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	if (!s->logged_in && s->so == P11_SO_NONE)
		rv = CKR_USER_NOT_LOGGED_IN;
	else {
		for (ss = s->sessions; ss != NULL; ss = ss->next) {
			p11_sigop_clear(s, &ss->sign);
			p11_decop_clear(s, &ss->decrypt);
		}
		login_logout(s);
		if (s->gone)
			rv = CKR_DEVICE_REMOVED;
	}
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}
