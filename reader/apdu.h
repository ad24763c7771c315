/*
 * reader/apdu.h - ISO 7816-4 command APDUs (short and extended) and status
 * words, shared by the module (building) and the emulator (parsing).
 */
#ifndef SS_APDU_H
#define SS_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SS_SW_OK			0x9000
#define SS_SW_BYTES_REMAINING(n)	(0x6100 | ((n) & 0xff))
#define SS_SW_VERIFY_FAIL(n)		(0x63c0 | ((n) & 0x0f))
#define SS_SW_MEMORY_FAILURE		0x6581
#define SS_SW_WRONG_LENGTH		0x6700
#define SS_SW_SECURITY_STATUS		0x6982
#define SS_SW_AUTH_BLOCKED		0x6983
#define SS_SW_DATA_INVALID		0x6984
#define SS_SW_CONDITIONS		0x6985
#define SS_SW_WRONG_DATA		0x6a80
#define SS_SW_FUNC_NOT_SUPPORTED	0x6a81
#define SS_SW_NOT_FOUND			0x6a82
#define SS_SW_NO_SPACE			0x6a84
#define SS_SW_INCORRECT_P1P2		0x6a86
#define SS_SW_REF_NOT_FOUND		0x6a88
#define SS_SW_INS_NOT_SUPPORTED		0x6d00
#define SS_SW_CLA_NOT_SUPPORTED		0x6e00
#define SS_SW_UNKNOWN			0x6f00

#define SS_APDU_SHORT_MAX_DATA	255
#define SS_APDU_EXT_MAX_DATA	65535

struct ss_apdu {
	uint8_t		 cla;
	uint8_t		 ins;
	uint8_t		 p1;
	uint8_t		 p2;
	const uint8_t	*data;	/* points into the parsed buffer, or caller's */
	size_t		 lc;
	size_t		 le;	/* 0 = none; 256 or 65536 encode as 00 */
	bool		 has_le;
	bool		 extended;
};

/* Parse a command APDU (cases 1, 2, 3, 4; short or extended). */
int	ss_apdu_parse(const uint8_t *, size_t, struct ss_apdu *);
/* Encode a command APDU; extended form when a->extended or lengths need it. */
int	ss_apdu_encode(struct ss_wr *, const struct ss_apdu *);
/* Split a response into data and status word; -1 if shorter than 2. */
int	ss_apdu_split_sw(const uint8_t *, size_t, size_t *, uint16_t *);

#endif
