/*
 * reader/transport.h - the reader layer's transport interface.
 *
 * Everything above this file (readers.c, channel.c, pinpad.c) talks to
 * smart-card readers only through a struct ss_transport: a table of
 * functions shaped like the PC/SC calls it abstracts, plus one opaque
 * pointer handed back to every call.  reader/pcsc.c is the real
 * implementation; unit tests and fuzzers plug in scripted ones.
 *
 * Conventions for implementations:
 * - Every function returns SS_ERR_OK or an SS_ERR_* code (reader/err.h).
 *   Map, at least: no service / service stopped / invalid handle ->
 *   SS_ERR_NO_SERVICE; unknown reader / reader unavailable ->
 *   SS_ERR_READER_GONE; no smartcard -> SS_ERR_NO_CARD; removed card ->
 *   SS_ERR_CARD_REMOVED; reset card -> SS_ERR_CARD_RESET; sharing
 *   violation -> SS_ERR_SHARING; timeout -> SS_ERR_TIMEOUT; cancelled ->
 *   SS_ERR_CANCELLED; insufficient buffer -> SS_ERR_BUFFER; unsupported
 *   feature -> SS_ERR_NOT_SUPPORTED; "no readers available" from
 *   list_readers -> SS_ERR_OK with an empty list.
 * - Output lengths are set only on SS_ERR_OK and never exceed the
 *   capacity passed in.  The callers re-check this anyway (a transport is
 *   untrusted input, for fuzzing's sake).
 * - Contexts and card handles are opaque 64-bit values chosen by the
 *   transport.  A context may be used from several threads only as far as
 *   the implementation allows; reader/pcsc.c: any thread, calls on one
 *   context are serialised by libpcsclite, and cancel() may be called from
 *   another thread while status_change() blocks on the same context.
 */
#ifndef SS_TRANSPORT_H
#define SS_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef uint64_t	ss_tctx;	/* a transport context (SCARDCONTEXT) */
typedef uint64_t	ss_tcard;	/* a card connection (SCARDHANDLE) */

/* Protocols (same values as SCARD_PROTOCOL_T0/T1). */
#define SS_PROTO_T0		0x0001u
#define SS_PROTO_T1		0x0002u

/* Share modes (same values as SCARD_SHARE_*). */
#define SS_SHARE_EXCLUSIVE	1u
#define SS_SHARE_SHARED		2u
#define SS_SHARE_DIRECT		3u

/* Dispositions for disconnect/end/reconnect (same as SCARD_*_CARD). */
#define SS_LEAVE_CARD		0u
#define SS_RESET_CARD		1u
#define SS_UNPOWER_CARD		2u

/* Reader state bits for status_change (same values as SCARD_STATE_*). */
#define SS_RS_UNAWARE		0x0000u
#define SS_RS_IGNORE		0x0001u
#define SS_RS_CHANGED		0x0002u
#define SS_RS_UNKNOWN		0x0004u
#define SS_RS_UNAVAILABLE	0x0008u
#define SS_RS_EMPTY		0x0010u
#define SS_RS_PRESENT		0x0020u
#define SS_RS_ATRMATCH		0x0040u
#define SS_RS_EXCLUSIVE		0x0080u
#define SS_RS_INUSE		0x0100u
#define SS_RS_MUTE		0x0200u
#define SS_RS_UNPOWERED		0x0400u
/* pcsc-lite keeps a per-reader card event counter in the upper 16 bits. */
#define SS_RS_COUNTER(ev)	(((ev) >> 16) & 0xffffu)

#define SS_TIMEOUT_INFINITE	UINT32_MAX
#define SS_TSTATES_MAX		16	/* entries per status_change() call
					   (pcsc-lite's limit) */
#define SS_ATR_MAX		33	/* ISO 7816-3 maximum, = MAX_ATR_SIZE */
#define SS_READER_NAME_MAX	128	/* bytes including the NUL */
/* The pseudo-reader that reports reader arrivals/removals. */
#define SS_PNP_READER		"\\\\?PnP?\\Notification"

/* One entry of status_change(): reader and current_state in, rest out. */
struct ss_tstate {
	const char	*reader;
	uint32_t	 current_state;	/* what the caller believes (SS_RS_*) */
	uint32_t	 event_state;	/* what it is now (SS_RS_* | counter) */
	uint8_t		 atr[SS_ATR_MAX];
	size_t		 atr_len;
};

struct ss_transport_ops {
	int	(*establish)(void *priv, ss_tctx *ctx);
	int	(*release)(void *priv, ss_tctx ctx);
	/* Reader names as a PC/SC multi-string: "a\0b\0\0" (len counts all
	 * bytes); an empty list may be returned as len 0 or "\0". */
	int	(*list_readers)(void *priv, ss_tctx ctx, char *buf, size_t cap,
		    size_t *len);
	/* Block up to timeout_ms (SS_TIMEOUT_INFINITE: forever) until a state
	 * differs from current_state; SS_ERR_TIMEOUT when none did. */
	int	(*status_change)(void *priv, ss_tctx ctx, uint32_t timeout_ms,
		    struct ss_tstate *states, size_t n);
	/* Make a status_change() blocked on ctx return SS_ERR_CANCELLED. */
	int	(*cancel)(void *priv, ss_tctx ctx);
	int	(*connect)(void *priv, ss_tctx ctx, const char *reader,
		    uint32_t share, uint32_t protocols, ss_tcard *card,
		    uint32_t *active_protocol);
	int	(*reconnect)(void *priv, ss_tcard card, uint32_t share,
		    uint32_t protocols, uint32_t init, uint32_t *active_protocol);
	int	(*disconnect)(void *priv, ss_tcard card, uint32_t disposition);
	int	(*begin)(void *priv, ss_tcard card);
	int	(*end)(void *priv, ss_tcard card, uint32_t disposition);
	/* Current state and ATR of a connected card (SCardStatus). */
	int	(*status)(void *priv, ss_tcard card, uint32_t *state,
		    uint8_t *atr, size_t atr_cap, size_t *atr_len);
	/* One raw APDU exchange; protocol is the active SS_PROTO_T0/T1. */
	int	(*transmit)(void *priv, ss_tcard card, uint32_t protocol,
		    const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
		    size_t resp_cap, size_t *resp_len);
	int	(*control)(void *priv, ss_tcard card, uint32_t code,
		    const uint8_t *in, size_t in_len, uint8_t *out,
		    size_t out_cap, size_t *out_len);
	int	(*get_attrib)(void *priv, ss_tcard card, uint32_t attr,
		    uint8_t *buf, size_t cap, size_t *len);
};

struct ss_transport {
	const struct ss_transport_ops	*ops;
	void				*priv;
};

#endif
