/*
 * reader/pinpad.h - PIN-pad readers (PC/SC v2 part 10).
 *
 * Discovery: SCardControl(CM_IOCTL_GET_FEATURE_REQUEST) returns a list of
 * TLVs { tag (1 byte), length (1 byte, must be 4), control code (4 bytes,
 * big endian) }.  We keep the codes of FEATURE_VERIFY_PIN_DIRECT,
 * FEATURE_MODIFY_PIN_DIRECT and FEATURE_IFD_PIN_PROPERTIES and then read
 * the PIN properties (wLcdLayout, bEntryValidationCondition, bTimeOut2).
 *
 * VERIFY on the PIN pad: the PIN never passes through the host.  The
 * reader gets a PIN_VERIFY_STRUCTURE whose APDU is the PIV VERIFY
 * "00 20 00 <ref> 08 FF FF FF FF FF FF FF FF" and writes the PIN typed on
 * its keypad, in ASCII, left-justified over the FF padding.  The
 * structure's multi-byte fields are little endian, as CCID carries them.
 *
 * The parsing functions are pure and take untrusted bytes; the others use
 * a channel (so: the caller's per-slot lock, and a transaction around
 * ss_pinpad_verify()).
 */
#ifndef SS_PINPAD_H
#define SS_PINPAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "channel.h"

#define SS_CM_IOCTL_GET_FEATURE_REQUEST	0x42000d48u	/* SCARD_CTL_CODE(3400) */

#define SS_FEATURE_VERIFY_PIN_DIRECT	0x06
#define SS_FEATURE_MODIFY_PIN_DIRECT	0x07
#define SS_FEATURE_IFD_PIN_PROPERTIES	0x0a

#define SS_PIV_PIN_MIN		6
#define SS_PIV_PIN_MAX		8
#define SS_PINPAD_VERIFY_LEN	32	/* 19-byte header + 13-byte APDU */
#define SS_PINPAD_MODIFY_LEN	45	/* 24-byte header + 21-byte APDU */

struct ss_pinpad {
	uint32_t	verify_direct;	/* control codes; 0 = not offered */
	uint32_t	modify_direct;
	uint32_t	pin_properties;
	bool		has_properties;	/* the three below are valid */
	uint16_t	lcd_layout;	/* 0 = no display */
	uint8_t		entry_validation; /* bit 1 max size, 2 key, 3 timeout */
	uint8_t		timeout2;
};

/* Parse a GET_FEATURE_REQUEST answer into p (zeroed first).  Unknown
 * features are skipped; a truncated or malformed TLV gives
 * SS_ERR_MALFORMED (p keeps what parsed before it). */
int	ss_pinpad_parse_features(const uint8_t *, size_t, struct ss_pinpad *p);
/* Parse a FEATURE_IFD_PIN_PROPERTIES answer (4 bytes, little endian). */
int	ss_pinpad_parse_properties(const uint8_t *, size_t,
	    struct ss_pinpad *p);

/* Ask the reader: GET_FEATURE_REQUEST, then PIN properties if offered.
 * A reader without part 10 support gives SS_ERR_OK and an empty p. */
int	ss_pinpad_discover(struct ss_chan *, struct ss_pinpad *p);
bool	ss_pinpad_can_verify(const struct ss_pinpad *);

/* Write the PIN_VERIFY_STRUCTURE for PIV VERIFY of key reference ref
 * (0x80 PIN, 0x81 PUK): exactly SS_PINPAD_VERIFY_LEN bytes.  timeout in
 * seconds (0 = reader default). */
int	ss_pinpad_build_verify(struct ss_wr *, uint8_t ref, uint8_t timeout);
/* Same for PIN_MODIFY_STRUCTURE: CHANGE REFERENCE DATA 00 24 00 ref 10,
 * old PIN at offset 0, new at 8, new PIN asked twice. */
int	ss_pinpad_build_modify(struct ss_wr *, uint8_t ref, uint8_t timeout);

/* Let the user type the PIN on the reader; *sw is the card's status word
 * (9000, 63Cx, 6983) or the reader's (6400 timeout, 6401 cancelled, 6B80
 * bad parameters).  SS_ERR_NOT_SUPPORTED without VERIFY_PIN_DIRECT. */
int	ss_pinpad_verify(struct ss_chan *, const struct ss_pinpad *,
	    uint8_t ref, uint8_t timeout, uint16_t *sw);
int	ss_pinpad_modify(struct ss_chan *, const struct ss_pinpad *,
	    uint8_t ref, uint8_t timeout, uint16_t *sw);

#endif
