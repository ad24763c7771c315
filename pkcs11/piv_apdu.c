/*
 * pkcs11/piv_apdu.c - the PIV driver's commands on the wire: building
 * short APDUs, SELECT, GET DATA, and what a status word means.
 *
 * Every command asks for Le = 00 (256) so the card sends full pieces and
 * the channel collects the rest through GET RESPONSE.  Commands whose
 * answer is often longer (object reads, RSA key operations, key
 * generation, metadata) ask for everything at once with an extended Le
 * when the channel has extended APDUs (piv_apdu_want_all); if the card
 * refuses, the channel falls back to short APDUs by itself.  A reply
 * larger than the buffer, or one the channel could not frame, is the
 * card's fault: DRV_ERR_DEVICE.
 */
#include <string.h>

#include "reader/apdu.h"
#include "reader/buf.h"
#include "reader/err.h"
#include "piv_priv.h"

static const uint8_t piv_aid[] = {
	0xa0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00,
};

void
piv_apdu_init(struct ss_apdu *a, uint8_t ins, uint8_t p1, uint8_t p2,
    const uint8_t *data, size_t lc, bool le)
{
	memset(a, 0, sizeof(*a));
	a->ins = ins;
	a->p1 = p1;
	a->p2 = p2;
	a->data = data;
	a->lc = lc;
	a->has_le = le;
	a->le = 0;		/* 00: up to 256 bytes */
}

/* Extended Le 0000 (up to 65536 bytes) when the channel has extended
 * APDUs; the channel clamps it to 256 when it goes short. */
void
piv_apdu_want_all(const struct ss_chan *c, struct ss_apdu *a)
{
	if (a->has_le && ss_chan_extended(c))
		a->le = PIV_LE_ALL;
}

int
piv_transmit(struct ss_chan *c, const struct ss_apdu *a, unsigned flags,
    uint8_t *resp, size_t cap, size_t *len, uint16_t *sw)
{
	int rc;

	rc = ss_chan_transmit(c, a, flags, resp, cap, len, sw);
	if (rc == SS_ERR_BUFFER || rc == SS_ERR_MALFORMED)
		return DRV_ERR_DEVICE;
	return drv_from_ss(rc);
}

int
piv_select(struct ss_chan *c, uint8_t *resp, size_t cap, size_t *len,
    uint16_t *sw)
{
	struct ss_apdu a;

	piv_apdu_init(&a, PIV_INS_SELECT, 0x04, 0x00, piv_aid,
	    sizeof(piv_aid), true);
	return piv_transmit(c, &a, 0, resp, cap, len, sw);
}

/* GET DATA 00 CB 3F FF 05 5C 03 <tag> 00 */
int
piv_get_data(struct ss_chan *c, uint32_t tag, uint8_t *resp, size_t cap,
    size_t *len, uint16_t *sw)
{
	uint8_t		data[5];
	struct ss_apdu	a;

	data[0] = 0x5c;
	data[1] = 0x03;
	data[2] = (uint8_t)(tag >> 16);
	data[3] = (uint8_t)(tag >> 8);
	data[4] = (uint8_t)tag;
	piv_apdu_init(&a, PIV_INS_GET_DATA, 0x3f, 0xff, data, sizeof(data),
	    true);
	piv_apdu_want_all(c, &a);
	return piv_transmit(c, &a, 0, resp, cap, len, sw);
}

/* The status word of a key operation or a read, as a DRV_ERR_*. */
int
piv_sw_to_drv(uint16_t sw)
{
	switch (sw) {
	case SS_SW_OK:
		return DRV_OK;
	case SS_SW_SECURITY_STATUS:
		return DRV_ERR_NOT_LOGGED_IN;
	case SS_SW_AUTH_BLOCKED:
		return DRV_ERR_PIN_LOCKED;
	case SS_SW_WRONG_DATA:
	case SS_SW_DATA_INVALID:
	case SS_SW_WRONG_LENGTH:
		return DRV_ERR_DATA_INVALID;
	case SS_SW_NOT_FOUND:
	case SS_SW_REF_NOT_FOUND:
		return DRV_ERR_KEY_ABSENT;
	case SS_SW_INCORRECT_P1P2:
	case SS_SW_FUNC_NOT_SUPPORTED:
	case SS_SW_INS_NOT_SUPPORTED:
	case SS_SW_CONDITIONS:
		return DRV_ERR_NOT_SUPPORTED;
	default:
		return DRV_ERR_DEVICE;
	}
}

/* GET METADATA came with YubiKey firmware 5.3. */
bool
piv_has_metadata(const struct drv_card *card)
{
	const uint8_t *v = card->version;

	return card->yubikey && card->have_version &&
	    (v[0] > 5 || (v[0] == 5 && v[1] >= 3));
}

/* GET SERIAL: firmware 5 (ykpiv uses it from 5 on). */
bool
piv_has_serial(const struct drv_card *card)
{
	return card->yubikey && card->have_version && card->version[0] >= 5;
}
