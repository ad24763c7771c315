/*
 * pkcs11/piv_pin.c - the PIV PIN (key reference 80): status, VERIFY,
 * logout.
 *
 * The status query is VERIFY without data (00 20 00 80): 9000 verified,
 * 63Cx x tries left, 6983 blocked; it never uses a try.  On a YubiKey
 * 5.3+ GET METADATA of 80 is asked once per card for the maximum.
 *
 * Choices where the specification leaves room:
 * - A card that answers the query with anything else (some older cards
 *   do not support it) gives DRV_OK with everything unknown (-1).
 * - 63C0 after a VERIFY means no try is left: DRV_ERR_PIN_LOCKED.
 * - 6A80 to a VERIFY (a PIN the card finds malformed, e.g. with FF
 *   bytes) is DRV_ERR_DATA_INVALID; no try was used.
 * - A PIN pad that times out or is cancelled (6400, 6401) gives
 *   DRV_ERR_DEVICE: driver.h has no "cancelled" result yet.
 * - Logout (00 20 FF 80) refused by the card is still DRV_OK: there is
 *   nothing else a driver can do inside the front end's transaction, and
 *   the card forgets the PIN at its next reset anyway.
 */
#include <string.h>

#include "reader/pinpad.h"
#include "reader/wipe.h"
#include "piv_priv.h"

#define PIN_PAD_BYTE	0xff
#define P1_LOGOUT	0xff
#define SW_TRIES_MASK	0xfff0u
#define SW_TRIES	0x63c0u

static bool
sw_is_tries(uint16_t sw)
{
	return (sw & SW_TRIES_MASK) == SW_TRIES;
}

static void
status_from_sw(uint16_t sw, struct drv_pin_status *st)
{
	if (sw == SS_SW_OK) {
		st->verified = true;
		st->tries_left = st->tries_max;
	} else if (sw_is_tries(sw)) {
		st->tries_left = sw & 0x0f;
		st->blocked = st->tries_left == 0;
	} else if (sw == SS_SW_AUTH_BLOCKED) {
		st->tries_left = 0;
		st->blocked = true;
	}
}

/* The maximum, once per card, where GET METADATA tells it. */
static int
tries_max(struct drv_card *card, struct ss_chan *c)
{
	int	max = -1, left = -1;
	int	rc;

	if (card->pin_tries_max >= 0 || !piv_has_metadata(card))
		return DRV_OK;
	rc = piv_meta_pin_tries(c, &max, &left);
	if (rc == DRV_OK && max > 0)
		card->pin_tries_max = max;
	else if (rc != DRV_OK && rc != DRV_ERR_DEVICE &&
	    rc != DRV_ERR_NOT_SUPPORTED && rc != DRV_ERR_KEY_ABSENT &&
	    rc != DRV_ERR_DATA_INVALID)
		return rc;
	return DRV_OK;
}

int
piv_pin_status(struct drv_card *card, struct ss_chan *c,
    struct drv_pin_status *st)
{
	struct ss_apdu	a;
	uint8_t		buf[16];
	size_t		len = 0;
	uint16_t	sw = 0;
	int		rc;

	if (card == NULL || c == NULL || st == NULL)
		return DRV_ERR_ARGS;
	memset(st, 0, sizeof(*st));
	st->tries_left = st->tries_max = -1;
	piv_apdu_init(&a, PIV_INS_VERIFY, 0x00, PIV_REF_PIN, NULL, 0, false);
	if ((rc = piv_transmit(c, &a, 0, buf, sizeof(buf), &len, &sw)) !=
	    DRV_OK)
		return rc;
	if ((rc = tries_max(card, c)) != DRV_OK)
		return rc;
	/* A plain PIV card cannot tell its retry limit; PIV cards and
	 * YubiKeys ship with 3, so that is the best guess for "count low". */
	st->tries_max = card->pin_tries_max >= 0 ? card->pin_tries_max :
	    PIV_DEFAULT_PIN_TRIES;
	status_from_sw(sw, st);
	return DRV_OK;
}

static int
verify_result(uint16_t sw)
{
	if (sw == SS_SW_OK)
		return DRV_OK;
	if (sw_is_tries(sw))
		return (sw & 0x0f) == 0 ? DRV_ERR_PIN_LOCKED :
		    DRV_ERR_PIN_INCORRECT;
	switch (sw) {
	case SS_SW_AUTH_BLOCKED:
		return DRV_ERR_PIN_LOCKED;
	case SS_SW_WRONG_DATA:
		return DRV_ERR_DATA_INVALID;
	default:
		return DRV_ERR_DEVICE;
	}
}

static int
login_pinpad(struct drv_card *card, struct ss_chan *c)
{
	uint16_t	sw = 0;
	int		rc;

	if (!card->pinpad_known) {
		rc = ss_pinpad_discover(c, &card->pinpad);
		if (rc == SS_ERR_MALFORMED)
			memset(&card->pinpad, 0, sizeof(card->pinpad));
		else if (rc != SS_ERR_OK)
			return drv_from_ss(rc);
		card->pinpad_known = true;
	}
	if (!ss_pinpad_can_verify(&card->pinpad))
		return DRV_ERR_NOT_SUPPORTED;
	rc = ss_pinpad_verify(c, &card->pinpad, PIV_REF_PIN, 0, &sw);
	if (rc == SS_ERR_MALFORMED)
		return DRV_ERR_DEVICE;
	if (rc != SS_ERR_OK)
		return drv_from_ss(rc);
	return verify_result(sw);
}

int
piv_login(struct drv_card *card, struct ss_chan *c, const uint8_t *pin,
    size_t pin_len)
{
	uint8_t		block[PIV_PIN_MAX], resp[16];
	struct ss_apdu	a;
	size_t		len = 0;
	uint16_t	sw = 0;
	int		rc;

	if (card == NULL || c == NULL)
		return DRV_ERR_ARGS;
	if (pin == NULL)
		return login_pinpad(card, c);
	if (pin_len < PIV_PIN_MIN || pin_len > PIV_PIN_MAX)
		return DRV_ERR_PIN_LEN;
	memset(block, PIN_PAD_BYTE, sizeof(block));
	memcpy(block, pin, pin_len);
	piv_apdu_init(&a, PIV_INS_VERIFY, 0x00, PIV_REF_PIN, block,
	    sizeof(block), false);
	rc = piv_transmit(c, &a, SS_APDU_SECRET, resp, sizeof(resp), &len,
	    &sw);
	ss_wipe(block, sizeof(block));
	ss_wipe(resp, sizeof(resp));
	if (rc != DRV_OK)
		return rc;
	return verify_result(sw);
}

int
piv_logout(struct drv_card *card, struct ss_chan *c)
{
	struct ss_apdu	a;
	uint8_t		buf[16];
	size_t		len = 0;
	uint16_t	sw = 0;

	if (card == NULL || c == NULL)
		return DRV_ERR_ARGS;
	piv_apdu_init(&a, PIV_INS_VERIFY, P1_LOGOUT, PIV_REF_PIN, NULL, 0,
	    false);
	return piv_transmit(c, &a, 0, buf, sizeof(buf), &len, &sw);
}
