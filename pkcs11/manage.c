/*
 * pkcs11/manage.c - C_SetPIN and C_InitPIN: the PIV PIN and PUK.
 *
 * What C_SetPIN(old, new) changes depends on who is logged in:
 *   the SO (management key or PUK)  the PUK: CHANGE REFERENCE DATA 81
 *   the user                        the PIN: CHANGE REFERENCE DATA 80
 *   nobody                          the PIN, as for the user (PIV takes
 *                                   the old PIN) - unless the card says
 *                                   the PIN is blocked: then old is the
 *                                   PUK and the PIN is reset to new
 *                                   (RESET RETRY COUNTER)
 * A blocked PIN cannot be changed, so the last rule takes nothing away;
 * it is what `pkcs11-tool --unlock-pin --puk PUK --new-pin NEW` sends.
 * The PIN state comes from the status query (VERIFY without data: no try
 * used).  C_InitPIN(new) needs the SO logged in with the PUK
 * (login_so.c): RESET RETRY COUNTER with that PUK, blocked or not
 * (`pkcs11-tool --login --init-pin --so-pin PUK --new-pin NEW`); with the
 * management key alone it is CKR_USER_NOT_LOGGED_IN (PIV cannot set a
 * PIN without the PUK).  Both need an R/W session.
 *
 * Errors: a wrong old PIN or PUK CKR_PIN_INCORRECT (the card used up a
 * try), blocked CKR_PIN_LOCKED, a value outside 6..8 bytes
 * CKR_PIN_LEN_RANGE (nothing sent), one the card refuses (6A80)
 * CKR_PIN_INVALID.  One command per call, never retried, never a VERIFY.
 * After a wrong old PIN the card has dropped the PIN's verified state:
 * a logged-in user is logged out.  A PUK the card refused in C_InitPIN
 * logs the SO out, so it is not sent again.
 * PIN pad: C_SetPIN(NULL, 0, NULL, 0) on a reader with one: the change is
 * typed on the pad.  The PINs are the caller's; nothing here copies them
 * except the new PUK kept for an SO logged in with the old one (wiped).
 */
#include <string.h>

#include "pkcs11/p11.h"
#include "reader/wipe.h"

enum setpin_mode { SET_PUK, SET_PIN, SET_PUBLIC };

static CK_RV
pin_len(const struct p11_slot *s, const CK_UTF8CHAR *p, CK_ULONG n)
{
	if (p == NULL)
		return CKR_ARGUMENTS_BAD;
	if ((s->tok.pin_min > 0 && n < s->tok.pin_min) ||
	    (s->tok.pin_max > 0 && n > s->tok.pin_max) || n > P11_PUK_MAX)
		return CKR_PIN_LEN_RANGE;
	return CKR_OK;
}

static CK_RV
manage_err(struct p11_slot *s, int rc)
{
	switch (rc) {
	case DRV_ERR_DATA_INVALID:
		return CKR_PIN_INVALID;
	case DRV_ERR_CANCELLED:
		return CKR_FUNCTION_CANCELED;
	case DRV_ERR_NOT_SUPPORTED:	/* no PIN pad change, card refused */
		return CKR_FUNCTION_NOT_SUPPORTED;
	default:
		return p11_slot_err(s, rc, P11_E_LOGIN);
	}
}

/* After a PIN command: the token flags are read again. */
static void
manage_done(struct p11_slot *s, bool pin_reset)
{
	s->pin_known = false;
	if (pin_reset) {
		s->pin_failed = false;
		s->pin_left_max = 0;
	}
}

/* Not logged in: change, or unblock when the card says it is blocked. */
static int
setpin_public(struct p11_slot *s, const CK_UTF8CHAR *old, size_t ol,
    const CK_UTF8CHAR *nw, size_t nl)
{
	struct drv_pin_status	st;
	int			rc;

	if ((rc = s->drv->pin_status(s->card, s->chan, &st)) != DRV_OK)
		return rc;
	if (!st.blocked && st.tries_left != 0)
		return s->drv->change_pin(s->card, s->chan, DRV_PIN_USER, old,
		    ol, nw, nl);
	if (s->drv->unblock_pin == NULL)
		return DRV_ERR_PIN_LOCKED;
	return s->drv->unblock_pin(s->card, s->chan, old, ol, nw, nl);
}

static int
setpin_card(struct p11_slot *s, enum setpin_mode mode,
    const CK_UTF8CHAR *old, size_t ol, const CK_UTF8CHAR *nw, size_t nl)
{
	switch (mode) {
	case SET_PUK:
		return s->drv->change_pin(s->card, s->chan, DRV_PIN_PUK, old,
		    ol, nw, nl);
	case SET_PIN:
		return s->drv->change_pin(s->card, s->chan, DRV_PIN_USER, old,
		    ol, nw, nl);
	default:
		if (old == NULL)	/* PIN pad */
			return s->drv->change_pin(s->card, s->chan,
			    DRV_PIN_USER, NULL, 0, NULL, 0);
		return setpin_public(s, old, ol, nw, nl);
	}
}

/* The SO logged in with the old PUK keeps the new one. */
static void
setpin_keep_puk(struct p11_slot *s, const CK_UTF8CHAR *nw, size_t nl)
{
	if (s->so != P11_SO_PUK || nw == NULL)
		return;
	ss_wipe(s->so_puk, sizeof(s->so_puk));
	memcpy(s->so_puk, nw, nl);
	s->so_puk_len = nl;
}

static CK_RV
setpin_run(struct p11_slot *s, const CK_UTF8CHAR *old, CK_ULONG ol,
    const CK_UTF8CHAR *nw, CK_ULONG nl)
{
	enum setpin_mode	mode;
	CK_RV			rv;
	int			rc;

	mode = s->so != P11_SO_NONE ? SET_PUK : s->logged_in ? SET_PIN :
	    SET_PUBLIC;
	if (old == NULL && nw == NULL && !s->pinpad)
		return CKR_ARGUMENTS_BAD;
	if ((old != NULL || nw != NULL) &&
	    ((rv = pin_len(s, old, ol)) != CKR_OK ||
	    (rv = pin_len(s, nw, nl)) != CKR_OK))
		return rv;
	if (s->drv->change_pin == NULL)
		return CKR_FUNCTION_NOT_SUPPORTED;
	if ((rv = p11_io_begin(s, P11_E_LOGIN)) != CKR_OK)
		return rv;
	rc = setpin_card(s, mode, old, (size_t)ol, nw, (size_t)nl);
	p11_io_end(s);
	manage_done(s, rc == DRV_OK && mode != SET_PUK);
	if (rc == DRV_OK && mode == SET_PUK)
		setpin_keep_puk(s, nw, (size_t)nl);
	if ((rc == DRV_ERR_PIN_INCORRECT || rc == DRV_ERR_PIN_LOCKED) &&
	    mode == SET_PIN)
		p11_slot_logged_out(s);
	return rc == DRV_OK ? CKR_OK : manage_err(s, rc);
}

CK_RV
C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin,
    CK_ULONG ulOldLen, CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	if (!p11_sess_rw(ss))
		rv = CKR_SESSION_READ_ONLY;
	else
		rv = setpin_run(s, pOldPin, ulOldLen, pNewPin, ulNewLen);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}

static CK_RV
initpin_run(struct p11_slot *s, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	CK_RV	rv;
	int	rc;

	if (s->so != P11_SO_PUK)
		return CKR_USER_NOT_LOGGED_IN;
	if ((rv = pin_len(s, pin, len)) != CKR_OK)
		return rv;
	if (s->drv->unblock_pin == NULL)
		return CKR_FUNCTION_NOT_SUPPORTED;
	if ((rv = p11_io_begin(s, P11_E_LOGIN)) != CKR_OK)
		return rv;
	if (s->so != P11_SO_PUK) {	/* a reset was found just now */
		p11_io_end(s);
		return CKR_USER_NOT_LOGGED_IN;
	}
	rc = s->drv->unblock_pin(s->card, s->chan, s->so_puk, s->so_puk_len,
	    pin, (size_t)len);
	p11_io_end(s);
	manage_done(s, rc == DRV_OK);
	if (rc == DRV_ERR_PIN_INCORRECT || rc == DRV_ERR_PIN_LOCKED)
		p11_so_forget(s);
	return rc == DRV_OK ? CKR_OK : manage_err(s, rc);
}

CK_RV
C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_sess_get(hSession, &s, &ss)) != CKR_OK)
		goto out;
	if (!p11_sess_rw(ss))
		rv = CKR_SESSION_READ_ONLY;
	else
		rv = initpin_run(s, pPin, ulPinLen);
	p11_sess_put(s);
out:
	return p11_log_rv(__func__, rv);
}
