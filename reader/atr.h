/*
 * reader/atr.h - Answer-To-Reset decoding (ISO/IEC 7816-3 section 8,
 * historical bytes per ISO/IEC 7816-4 section 12.1.1).
 *
 * Pure functions over untrusted bytes, bounds-checked, for the channel
 * (extended-APDU support) and the diagnostics tool.  Safe from any thread.
 */
#ifndef SS_ATR_H
#define SS_ATR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "transport.h"	/* SS_ATR_MAX */

#define SS_ATR_MAX_LEVELS	8	/* interface byte groups kept (i=1..8) */
#define SS_ATR_HIST_MAX		15

/* Interface bytes TAi, TBi, TCi, TDi of one level i (levels[i - 1]). */
struct ss_atr_level {
	bool		has_ta, has_tb, has_tc, has_td;
	uint8_t		ta, tb, tc, td;
	uint8_t		protocol;	/* T of the TD(i-1) that announced it;
					   level 1: 0 */
};

/* What ss_atr_parse() found wrong (bits); 0 for a well-formed ATR. */
#define SS_ATR_E_TRUNCATED	0x01u	/* ends inside the bytes T0/TDi
					   announced */
#define SS_ATR_E_TCK_MISSING	0x02u	/* a protocol other than T=0 was
					   offered but no TCK follows */
#define SS_ATR_E_TCK_BAD	0x04u	/* XOR of T0..TCK is not 0 */
#define SS_ATR_E_TRAILING	0x08u	/* bytes after the ATR's end */
#define SS_ATR_E_TS		0x10u	/* TS is neither 3B nor 3F */
#define SS_ATR_E_TOO_LONG	0x20u	/* more than 33 bytes / 8 levels */

struct ss_atr {
	uint8_t		ts;		/* 3B direct, 3F inverse convention */
	uint8_t		t0;
	size_t		nlevels;	/* levels[0 .. nlevels-1] are valid */
	struct ss_atr_level levels[SS_ATR_MAX_LEVELS];
	uint32_t	protocols;	/* bit n set: T=n offered (T=0 when no
					   TD1: implicit) */
	uint8_t		fi_di;		/* TA1 or the default 0x11 */
	unsigned	fi;		/* clock rate conversion factor; 0 RFU */
	unsigned	di;		/* baud rate adjustment factor; 0 RFU */
	unsigned	fmax_khz;	/* 0 RFU */
	uint8_t		hist[SS_ATR_HIST_MAX];
	size_t		hist_len;	/* as many as were present */
	bool		has_tck;
	uint8_t		tck;
	size_t		len;		/* bytes the ATR occupies (<= input) */
	unsigned	errors;		/* SS_ATR_E_* */
};

/*
 * Decode an ATR.  Returns SS_ERR_OK for a well-formed ATR, and
 * SS_ERR_MALFORMED otherwise, with a->errors telling why and every field
 * that could be decoded still filled in (for the diagnostics tool).
 * SS_ERR_BAD_ARG for NULL arguments or an empty input.
 */
int	ss_atr_parse(const uint8_t *, size_t, struct ss_atr *a);
/* "T=0 T=1", "T=1 T=15" ...: into buf (NUL terminated, truncated). */
void	ss_atr_protocols_str(const struct ss_atr *, char *buf, size_t cap);

/*
 * Card capabilities from the compact-TLV historical bytes (category
 * indicator 00 or 80; tag 7, "card capabilities", 1 to 3 bytes).  caps[]
 * gets the three software function tables (missing ones are 0), *n how
 * many were present.  SS_ERR_NOT_SUPPORTED when the historical bytes are
 * not compact-TLV or carry no tag 7; SS_ERR_MALFORMED when the compact-TLV
 * objects overrun the historical bytes.
 */
int	ss_atr_card_caps(const uint8_t *hist, size_t hist_len,
	    uint8_t caps[3], size_t *n);
/* Third software function table, bit 7: extended Lc and Le fields. */
bool	ss_atr_supports_extended(const struct ss_atr *);
/* Third software function table, bit 8: command chaining. */
bool	ss_atr_supports_chaining(const struct ss_atr *);

/*
 * What the interface bytes mean (ISO/IEC 7816-3 8.3), with the defaults
 * of the standard where a byte is absent (the has_* flags tell which
 * values came from the ATR).  For the diagnostics tool.
 */
struct ss_atr_params {
	bool		has_guard;	/* TC1 */
	unsigned	guard_n;	/* extra guard time N; 255: minimum */
	bool		specific;	/* TA2 present: specific mode */
	uint8_t		specific_proto;	/* TA2 bits 4-1: the protocol T */
	bool		specific_changeable; /* TA2 bit 8 clear */
	bool		specific_implicit; /* TA2 bit 5 set: TA1 not used */
	bool		has_wi;		/* TC2 */
	unsigned	wi;		/* T=0 waiting integer, default 10 */
	bool		has_ifsc;	/* first TA for T=1 */
	unsigned	ifsc;		/* default 32 */
	bool		has_bwi_cwi;	/* first TB for T=1 */
	unsigned	bwi, cwi;	/* defaults 4, 13 */
	bool		has_edc;	/* first TC for T=1 */
	bool		crc;		/* bit 1: CRC, else LRC */
	bool		has_class;	/* first TA for T=15 */
	uint8_t		class_bits;	/* bit 1 A (5 V), 2 B (3 V), 3 C (1.8 V) */
	uint8_t		clock_stop;	/* 0 no, 1 state L, 2 state H, 3 either */
	bool		has_spu;	/* first TB for T=15 */
	uint8_t		spu;
};

/* Fill p from a parsed ATR (as far as it was decoded). */
void	ss_atr_get_params(const struct ss_atr *, struct ss_atr_params *p);

/*
 * The historical bytes' structure (ISO/IEC 7816-4 12.1.1).  Category
 * 00 and 80: compact-TLV objects (00: followed by a status indicator in
 * the last three bytes, LCS SW1 SW2); 10: one DIR data reference byte;
 * anything else is proprietary.
 */
struct ss_atr_hist {
	uint8_t		 category;	/* hist[0] */
	const uint8_t	*tlv;		/* compact-TLV objects (00, 80) */
	size_t		 tlv_len;
	bool		 has_status;	/* category 00 */
	uint8_t		 lcs;
	uint16_t	 sw;
};

/* SS_ERR_OK for categories 00 and 80; SS_ERR_NOT_SUPPORTED for others
 * (h->category still set); SS_ERR_MALFORMED when category 00 lacks its
 * status bytes; SS_ERR_BAD_ARG for NULL/empty. */
int	ss_atr_hist_split(const uint8_t *hist, size_t len,
	    struct ss_atr_hist *h);
/* Read one compact-TLV object (tag: high nibble, length: low nibble) at
 * the cursor; SS_ERR_MALFORMED when its value overruns. */
int	ss_atr_ctlv_next(struct ss_rd *, uint8_t *tag, const uint8_t **val,
	    size_t *len);

#endif
