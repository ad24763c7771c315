/*
 * pkcs11/login_so.c - the Security Officer (CKU_SO) of a PIV card.
 *
 * PIV has no SO PIN.  C_Login(CKU_SO, secret) takes one of two secrets,
 * told apart by length (README "Card management through PKCS#11"):
 * - the card management key (9B) as hex digits: 32, 48 or 64 of them
 *   (AES-128, 3DES or AES-192, AES-256), spaces and colons allowed.  The
 *   driver authenticates (admin_auth, mutual); a wrong key is
 *   CKR_PIN_INCORRECT, a value that is not hex CKR_PIN_INCORRECT with
 *   nothing sent, another number of digits CKR_PIN_LEN_RANGE.  The key is
 *   decoded into a local buffer wiped before the call returns: nothing
 *   of it is kept.  Key generation, key import, certificate writes and
 *   deletes need this login.
 * - the PUK: 6 to 8 characters.  Nothing is sent (PIV cannot check a PUK
 *   without changing something); the PUK is kept in the slot, wiped at
 *   logout, when the last session closes, on a card reset or removal,
 *   and after the card refused it.  C_InitPIN unblocks the PIN with it,
 *   C_SetPIN changes it (manage.c); the card checks it then.
 * The two never overlap: a management key has at least 32 digits.
 *
 * C_Logout and the implicit ends (last session closed, C_Finalize) drop
 * the management-key authentication on the card (admin_auth(NULL): PIV
 * has no command for it, see piv_admin.c) and forget everything: unlike
 * the user's PIN state, an administrator's authentication must not outlive
 * the session that made it (login.c).  A card reset makes the card forget
 * it: slot.c then calls p11_so_forget().
 */
#include <string.h>

#include "pkcs11/p11.h"
#include "reader/hex.h"
#include "reader/wipe.h"

#define SO_HEX_MAX	128	/* 64 digits and separators */
#define SO_KEY_MAX	32

static CK_RV
so_puk(struct p11_slot *s, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	if (s->drv->unblock_pin == NULL && s->drv->change_pin == NULL)
		return CKR_USER_TYPE_INVALID;
	memcpy(s->so_puk, pin, (size_t)len);
	s->so_puk_len = (size_t)len;
	s->so = P11_SO_PUK;
	return CKR_OK;
}

/* Hex text to key bytes: CKR_OK, CKR_PIN_INCORRECT, CKR_PIN_LEN_RANGE. */
static CK_RV
so_decode(const CK_UTF8CHAR *pin, CK_ULONG len, uint8_t *key, size_t *klen)
{
	char	hex[SO_HEX_MAX + 1];
	CK_RV	rv = CKR_PIN_LEN_RANGE;

	if (len > SO_HEX_MAX)
		return rv;
	memcpy(hex, pin, (size_t)len);
	hex[len] = '\0';
	rv = CKR_PIN_INCORRECT;
	if (strlen(hex) != (size_t)len ||
	    ss_hex_decode(hex, key, SO_KEY_MAX, klen) < 0)
		goto out;
	rv = CKR_PIN_LEN_RANGE;
	if (*klen == 16 || *klen == 24 || *klen == 32)
		rv = CKR_OK;
out:
	ss_wipe(hex, sizeof(hex));
	return rv;
}

static CK_RV
so_admin(struct p11_slot *s, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	uint8_t	key[SO_KEY_MAX];
	size_t	klen = 0;
	CK_RV	rv;
	int	rc;

	if (s->drv->admin_auth == NULL)
		return CKR_USER_TYPE_INVALID;
	if ((rv = so_decode(pin, len, key, &klen)) != CKR_OK ||
	    (rv = p11_io_begin(s, P11_E_LOGIN)) != CKR_OK)
		goto out;
	rc = s->drv->admin_auth(s->card, s->chan, key, klen);
	p11_io_end(s);
	if (rc != DRV_OK)
		rv = p11_slot_err(s, rc, P11_E_LOGIN);
	else
		s->so = P11_SO_ADMIN;
out:
	ss_wipe(key, sizeof(key));
	return rv;
}

CK_RV
p11_so_login(struct p11_slot *s, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	if (pin == NULL)
		return CKR_ARGUMENTS_BAD;
	if (len >= P11_PUK_MIN && len <= P11_PUK_MAX)
		return so_puk(s, pin, len);
	return so_admin(s, pin, len);
}

void
p11_so_forget(struct p11_slot *s)
{
	ss_wipe(s->so_puk, sizeof(s->so_puk));
	s->so_puk_len = 0;
	s->so = P11_SO_NONE;
}

void
p11_so_logout(struct p11_slot *s)
{
	if (s->so == P11_SO_ADMIN && s->drv != NULL && !s->gone &&
	    p11_io_begin(s, P11_E_SESSION) == CKR_OK) {
		if (s->so == P11_SO_ADMIN)
			(void)s->drv->admin_auth(s->card, s->chan, NULL, 0);
		p11_io_end(s);
	}
	p11_so_forget(s);
}

CK_RV
p11_so_check(const struct p11_slot *s, const struct p11_session *ss)
{
	if (!p11_sess_rw(ss))
		return CKR_SESSION_READ_ONLY;
	return s->so == P11_SO_ADMIN ? CKR_OK : CKR_USER_NOT_LOGGED_IN;
}

CK_RV
p11_so_io_begin(struct p11_slot *s)
{
	CK_RV rv;

	if ((rv = p11_io_begin(s, P11_E_KEYOP)) != CKR_OK)
		return rv;
	if (s->so != P11_SO_ADMIN) {	/* a reset was found just now */
		p11_io_end(s);
		return CKR_USER_NOT_LOGGED_IN;
	}
	return CKR_OK;
}

CK_RV
p11_so_err(struct p11_slot *s, int drv_err, CK_RV unsupported,
    CK_RV invalid)
{
	switch (drv_err) {
	case DRV_ERR_NO_SPACE:
		return CKR_DEVICE_MEMORY;
	case DRV_ERR_NOT_SUPPORTED:
		return unsupported;
	case DRV_ERR_DATA_INVALID:
		return invalid;
	default:
		return p11_slot_err(s, drv_err, P11_E_KEYOP);
	}
}
