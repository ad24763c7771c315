/*
 * pkcs11/slot.c - slots (one per reader, slot ID = the reader's stable id)
 * and the token in them.
 *
 * Binding: the first call that needs the token after a card went in opens
 * a channel, offers it to the drivers of drv_table in order, and keeps
 * the driver, its card state and the channel until the card goes.  The
 * card is known by the reader's card_seq; when it changes (or the channel
 * reports the card removed) the binding is dropped: the token's sessions
 * are closed, its objects forgotten, and the next call binds the new card.
 * A card no driver takes is remembered as unrecognized until it changes.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pkcs11/p11.h"
#include "reader/pinpad.h"

#define SLOT_MANUFACTURER	"smartsign"

/* --- the slot table ---------------------------------------------------- */

static struct p11_slot *
slot_new(CK_SLOT_ID id)
{
	struct p11_slot *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (p11_mutex_new(&s->mu) != CKR_OK) {
		free(s);
		return NULL;
	}
	s->id = id;
	return s;
}

struct p11_slot *
p11_slot_get(CK_SLOT_ID id)
{
	struct p11_slot *s = NULL;

	if (id >= SS_READERS_MAX || id >= ss_readers_count(p11_m.readers))
		return NULL;
	p11_mutex_lock(p11_m.mu);
	if (p11_m.slots[id] == NULL)
		p11_m.slots[id] = slot_new(id);
	s = p11_m.slots[id];
	p11_mutex_unlock(p11_m.mu);
	return s;
}

void
p11_slots_free(void)
{
	struct p11_slot	*s;
	size_t		 i;

	for (i = 0; i < SS_READERS_MAX; i++) {
		if ((s = p11_m.slots[i]) == NULL)
			continue;
		p11_mutex_lock(s->mu);
		p11_slot_unbind(s);
		p11_mutex_unlock(s->mu);
		p11_mutex_free(&s->mu);
		free(s);
		p11_m.slots[i] = NULL;
	}
}

/* --- binding ----------------------------------------------------------- */

void
p11_slot_logged_out(struct p11_slot *s)
{
	struct p11_session *ss;

	s->logged_in = false;
	s->pin_known = false;
	p11_so_forget(s);
	for (ss = s->sessions; ss != NULL; ss = ss->next) {
		ss->sign.ctx_auth = false;
		ss->decrypt.op.ctx_auth = false;
	}
}

void
p11_slot_unbind(struct p11_slot *s)
{
	if (s->so == P11_SO_ADMIN)
		p11_so_logout(s);	/* no administrator left behind */
	p11_so_forget(s);	/* the user's PIN state: ours only, shared card */
	p11_sess_close_all(s);
	p11_secret_drop(s, 0);
	p11_keys_free(s);
	if (s->drv != NULL && s->card != NULL)
		s->drv->free(&s->card);
	ss_chan_free(&s->chan);
	s->drv = NULL;
	s->card = NULL;
	s->gen = 0;
	s->gone = false;
	s->reselect = false;
	s->pinpad = false;
	s->pin_known = false;
	s->pin_left_max = 0;
	s->pin_failed = false;
	s->logged_in = false;
	s->tok_full = false;
	memset(&s->tok, 0, sizeof(s->tok));
}

static bool
slot_info(const struct p11_slot *s, struct ss_reader_info *info)
{
	return ss_readers_get(p11_m.readers, (unsigned)s->id, info) ==
	    SS_ERR_OK;
}

void
p11_slot_sync(struct p11_slot *s)
{
	struct ss_reader_info	info;
	bool			have = slot_info(s, &info);
	bool			same = have && info.present && info.card &&
				    info.card_seq == s->card_seq;

	if (s->gone || (s->drv != NULL && !same))
		p11_slot_unbind(s);
	if (s->unrecognized && !same)
		s->unrecognized = false;
}

/* Offer the card to each driver; DRV_OK with s->drv/s->card set. */
static int
slot_probe(struct p11_slot *s)
{
	uint8_t	atr[SS_ATR_MAX];
	size_t	atr_len = 0, i;
	int	rc;

	if (ss_chan_atr(s->chan, atr, sizeof(atr), &atr_len) != SS_ERR_OK)
		return DRV_ERR_DEVICE;
	for (i = 0; drv_table[i] != NULL; i++) {
		rc = drv_table[i]->probe(s->chan, atr, atr_len, &s->card);
		if (rc == DRV_OK) {
			s->drv = drv_table[i];
			return DRV_OK;
		}
		if (rc != DRV_ERR_NOT_OURS)
			return rc;
	}
	return DRV_ERR_NOT_OURS;
}

static void
slot_pinpad(struct p11_slot *s)
{
	struct ss_pinpad pp;

	memset(&pp, 0, sizeof(pp));
	s->pinpad = ss_pinpad_discover(s->chan, &pp) == SS_ERR_OK &&
	    ss_pinpad_can_verify(&pp);
}

/* In one transaction: probe, PIN pad; the token information that needs
 * I/O (serial, label) waits for C_GetTokenInfo (slot_token_full). */
static int
slot_bind_card(struct p11_slot *s)
{
	int rc;

	rc = ss_chan_begin(s->chan);
	if (rc != SS_ERR_OK && rc != SS_ERR_CARD_RESET)
		return drv_from_ss(rc);
	if ((rc = slot_probe(s)) == DRV_OK &&
	    (rc = s->drv->token_info(s->card, NULL, &s->tok)) == DRV_OK)
		slot_pinpad(s);
	(void)ss_chan_end(s->chan);
	return rc;
}

/* SMARTSIGN_APDU: "short" never sends extended APDUs, "extended" uses
 * them whenever the ATR offers them, whatever the reader reports; unset
 * or anything else: extended when the ATR offers them and the reader
 * does not say it takes only short ones, short again if refused.  Like
 * SMARTSIGN_DEBUG, not taken from the environment of a set-id process. */
static enum ss_ext_mode
slot_ext_mode(void)
{
	const char *v;

	if (getuid() != geteuid() || getgid() != getegid() ||
	    (v = getenv("SMARTSIGN_APDU")) == NULL)
		return SS_EXT_PREFER;
	if (strcmp(v, "short") == 0)
		return SS_EXT_NEVER;
	if (strcmp(v, "extended") == 0)
		return SS_EXT_ASSUME_READER;
	return SS_EXT_PREFER;
}

static CK_RV
slot_bind(struct p11_slot *s, const struct ss_reader_info *info)
{
	struct ss_chan_opts	o;
	int			rc;
	CK_RV			rv;

	memset(&o, 0, sizeof(o));
	o.ext = slot_ext_mode();
	rc = ss_chan_open(&s->chan, &p11_m.t, info->name, &o);
	if (rc != SS_ERR_OK)
		return p11_ckr_ss(rc, P11_E_SLOT);
	if (p11_log_on())
		ss_chan_set_trace(s->chan, p11_log_trace, NULL);
	s->card_seq = info->card_seq;
	if ((rc = slot_bind_card(s)) != DRV_OK) {
		rv = p11_ckr(rc, P11_E_SLOT);
		if (rc == DRV_ERR_NOT_OURS)
			s->unrecognized = true;
		p11_slot_unbind(s);
		return rv;
	}
	p11_mutex_lock(p11_m.mu);
	s->gen = p11_m.next_gen++;
	p11_mutex_unlock(p11_m.mu);
	p11_keys_init(s);
	p11_log("slot %lu: %s card bound", (unsigned long)s->id,
	    s->drv->name);
	return CKR_OK;
}

CK_RV
p11_slot_token(struct p11_slot *s)
{
	struct ss_reader_info info;

	p11_slot_sync(s);
	if (s->drv != NULL)
		return CKR_OK;
	if (!slot_info(s, &info) || !info.present || !info.card)
		return CKR_TOKEN_NOT_PRESENT;
	if (s->unrecognized)
		return CKR_TOKEN_NOT_RECOGNIZED;
	return slot_bind(s, &info);
}

/* --- card I/O ------------------------------------------------------------ */

/* A device error may be the card, the reader or pcscd gone: ask the
 * reader layer now rather than at the next periodic refresh. */
bool
p11_slot_card_went(const struct p11_slot *s)
{
	struct ss_reader_info info;

	p11_refresh(true);
	return !slot_info(s, &info) || !info.present || !info.card ||
	    info.card_seq != s->card_seq;
}

CK_RV
p11_slot_err(struct p11_slot *s, int drv_err, enum p11_ectx ctx)
{
	/* C_Finalize cut the card I/O short (cancel.c): the module is
	 * going away under this call, as for C_WaitForSlotEvent */
	if (p11_io_cancelled())
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (drv_err == DRV_ERR_DEVICE && p11_slot_card_went(s))
		drv_err = DRV_ERR_REMOVED;
	switch (drv_err) {
	case DRV_ERR_REMOVED:
		s->gone = true;
		break;
	case DRV_ERR_CARD_RESET:
		s->reselect = true;
		p11_slot_logged_out(s);
		break;
	case DRV_ERR_NOT_LOGGED_IN:
		p11_slot_logged_out(s);
		break;
	case DRV_ERR_PIN_INCORRECT:
	case DRV_ERR_PIN_LOCKED:
		s->pin_known = false;
		break;
	default:
		break;
	}
	return p11_ckr(drv_err, ctx);
}

CK_RV
p11_io_begin(struct p11_slot *s, enum p11_ectx ctx)
{
	int rc;

	if (s->drv == NULL || s->gone)
		return ctx == P11_E_SLOT ? CKR_TOKEN_NOT_PRESENT :
		    CKR_DEVICE_REMOVED;
	rc = ss_chan_begin(s->chan);
	if (rc == SS_ERR_CARD_RESET) {
		p11_log("slot %lu: card reset by someone else; logged out",
		    (unsigned long)s->id);
		s->reselect = true;
		p11_slot_logged_out(s);
	} else if (rc != SS_ERR_OK)
		return p11_slot_err(s, drv_from_ss(rc), ctx);
	if (s->reselect) {
		if ((rc = s->drv->reselect(s->card, s->chan)) != DRV_OK) {
			(void)ss_chan_end(s->chan);
			return p11_slot_err(s, rc, ctx);
		}
		s->reselect = false;
	}
	return CKR_OK;
}

void
p11_io_end(struct p11_slot *s)
{
	if (s->chan != NULL && ss_chan_depth(s->chan) > 0)
		(void)ss_chan_end(s->chan);
}

/* --- C_GetSlotList, C_GetSlotInfo, C_GetTokenInfo ------------------------ */

static bool
slot_has_card(unsigned id)
{
	struct ss_reader_info info;

	return ss_readers_get(p11_m.readers, id, &info) == SS_ERR_OK &&
	    info.present && info.card;
}

CK_RV
C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList,
    CK_ULONG_PTR pulCount)
{
	CK_SLOT_ID	ids[SS_READERS_MAX];
	CK_ULONG	n = 0;
	size_t		i, count;
	CK_RV		rv;

	p11_log_enter(__func__);
	if ((rv = p11_check_init()) != CKR_OK)
		goto out;
	if (pulCount == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	p11_refresh(true);
	count = ss_readers_count(p11_m.readers);
	for (i = 0; i < count && i < SS_READERS_MAX; i++) {
		if (tokenPresent && !slot_has_card((unsigned)i))
			continue;
		if (p11_slot_get(i) != NULL)
			ids[n++] = i;
	}
	if (pSlotList != NULL && *pulCount < n)
		rv = CKR_BUFFER_TOO_SMALL;
	else if (pSlotList != NULL)
		memcpy(pSlotList, ids, n * sizeof(ids[0]));
	*pulCount = n;
out:
	return p11_log_rv(__func__, rv);
}

static void
slot_fill_info(CK_SLOT_INFO *pi, const struct ss_reader_info *info)
{
	memset(pi, 0, sizeof(*pi));
	p11_pad(pi->slotDescription, sizeof(pi->slotDescription),
	    info->name);
	p11_pad(pi->manufacturerID, sizeof(pi->manufacturerID),
	    SLOT_MANUFACTURER);
	pi->flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT;
	if (info->present && info->card)
		pi->flags |= CKF_TOKEN_PRESENT;
}

CK_RV
C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
	struct ss_reader_info	 info;
	struct p11_slot		*s;
	CK_RV			 rv;

	p11_log_enter(__func__);
	if ((rv = p11_check_init()) != CKR_OK)
		goto out;
	if (pInfo == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	p11_refresh(true);
	if ((s = p11_slot_get(slotID)) == NULL) {
		rv = CKR_SLOT_ID_INVALID;
		goto out;
	}
	p11_mutex_lock(s->mu);
	p11_slot_sync(s);
	if (!slot_info(s, &info))
		rv = CKR_SLOT_ID_INVALID;
	else
		slot_fill_info(pInfo, &info);
	p11_mutex_unlock(s->mu);
out:
	return p11_log_rv(__func__, rv);
}

/* Serial and label, read once per binding. */
static void
slot_token_full(struct p11_slot *s)
{
	int rc;

	if (s->tok_full || p11_io_begin(s, P11_E_SLOT) != CKR_OK)
		return;
	rc = s->drv->token_info(s->card, s->chan, &s->tok);
	p11_io_end(s);
	if (rc == DRV_OK)
		s->tok_full = true;
	else
		(void)p11_slot_err(s, rc, P11_E_SLOT);
}

/* PIN state for the token flags, read once per binding (no try used). */
static void
slot_pin_status(struct p11_slot *s)
{
	int rc;

	if (s->pin_known || p11_io_begin(s, P11_E_SLOT) != CKR_OK)
		return;
	rc = s->drv->pin_status(s->card, s->chan, &s->pin);
	p11_io_end(s);
	if (rc == DRV_OK) {
		s->pin_known = true;
		if (s->pin.tries_left > s->pin_left_max)
			s->pin_left_max = s->pin.tries_left;
	} else
		(void)p11_slot_err(s, rc, P11_E_SLOT);
}

static CK_FLAGS
slot_pin_flags(const struct p11_slot *s)
{
	const struct drv_pin_status *p = &s->pin;

	if (!s->pin_known)
		return 0;
	if (p->blocked || p->tries_left == 0)
		return CKF_USER_PIN_LOCKED;
	if (p->tries_left == 1)
		return CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_COUNT_LOW;
	/* COUNT_LOW: a wrong PIN since the last good one.  Without the
	 * card's maximum, the most tries left seen on this card stands in,
	 * and our own failed VERIFY counts. */
	if (p->tries_left > 0 && ((p->tries_max > 0 &&
	    p->tries_left < p->tries_max) || p->tries_left < s->pin_left_max))
		return CKF_USER_PIN_COUNT_LOW;
	return s->pin_failed ? CKF_USER_PIN_COUNT_LOW : 0;
}

static void
slot_fill_token(const struct p11_slot *s, CK_TOKEN_INFO *ti)
{
	memset(ti, 0, sizeof(*ti));
	p11_pad(ti->label, sizeof(ti->label), s->tok.label);
	p11_pad(ti->manufacturerID, sizeof(ti->manufacturerID),
	    s->tok.manufacturer);
	p11_pad(ti->model, sizeof(ti->model), s->tok.model);
	p11_pad(ti->serialNumber, sizeof(ti->serialNumber), s->tok.serial);
	ti->flags = CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED |
	    CKF_TOKEN_INITIALIZED | slot_pin_flags(s);
	if (s->pinpad)
		ti->flags |= CKF_PROTECTED_AUTHENTICATION_PATH;
	if (s->drv->random != NULL)		/* random.c */
		ti->flags |= CKF_RNG;
	ti->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
	ti->ulSessionCount = s->nsess;
	ti->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
	ti->ulRwSessionCount = s->nrw;
	ti->ulMaxPinLen = s->tok.pin_max;
	ti->ulMinPinLen = s->tok.pin_min;
	ti->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
	ti->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
	ti->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
	ti->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
	ti->hardwareVersion.major = s->tok.hw_major;
	ti->hardwareVersion.minor = s->tok.hw_minor;
	ti->firmwareVersion.major = s->tok.fw_major;
	ti->firmwareVersion.minor = s->tok.fw_minor;
	memset(ti->utcTime, ' ', sizeof(ti->utcTime));
}

CK_RV
C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
	struct p11_slot	*s;
	CK_RV		 rv;

	p11_log_enter(__func__);
	if ((rv = p11_check_init()) != CKR_OK)
		goto out;
	if (pInfo == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	p11_refresh(true);
	if ((s = p11_slot_get(slotID)) == NULL) {
		rv = CKR_SLOT_ID_INVALID;
		goto out;
	}
	p11_mutex_lock(s->mu);
	if ((rv = p11_slot_token(s)) == CKR_OK) {
		slot_token_full(s);
		slot_pin_status(s);
		if (s->gone) {
			p11_slot_unbind(s);
			rv = CKR_TOKEN_NOT_PRESENT;
		} else
			slot_fill_token(s, pInfo);
	}
	p11_mutex_unlock(s->mu);
out:
	return p11_log_rv(__func__, rv);
}
