/*
 * reader/channel.h - a connection to the card in one reader.
 *
 * A channel owns a transport context and a shared (T=0 or T=1)
 * connection.  It turns one logical command APDU into as many exchanges as
 * ISO 7816-3/-4 needs and gives back one response:
 *   - 61xx: GET RESPONSE until done, accumulated into the caller's buffer;
 *   - 6Cxx: the command is sent again once with Le = xx;
 *   - commands with more than 255 data bytes are split into 255-byte
 *     chunks, CLA | 0x10 on every chunk but the last (command chaining),
 *     unless extended APDUs are enabled (see ss_chan_opts.ext);
 *   - extended APDUs that the reader or the card refuses (a transport
 *     error other than removal/reset/no service, or 6700 "wrong length")
 *     are sent again at once as short APDUs, and the channel stays short
 *     until the card is reset or reconnected (ss_chan_extended() false);
 *   - T=0: a case 4 command is sent without its Le (the card answers
 *     61xx, handled as above); extended APDUs are never used on T=0.
 *
 * Transactions: ss_chan_begin()/ss_chan_end() bracket one logical card
 * operation (e.g. VERIFY + GENERAL AUTHENTICATE) in a PC/SC transaction so
 * that no other process can send APDUs in between.  They nest: only the
 * outermost pair reaches PC/SC.  Rule: call ss_chan_end() exactly once for
 * every ss_chan_begin() that returned SS_ERR_OK or SS_ERR_CARD_RESET,
 * whatever happened in between.
 *
 * Recovery, as seen by the caller:
 *   SS_ERR_CARD_RESET   someone reset the card (or pcscd restarted): the
 *                       channel has reconnected already and, if a
 *                       transaction was open, holds it again.  Volatile
 *                       card state is gone: re-SELECT the applet, treat
 *                       the login as lost, redo the operation.  Reported
 *                       once per reset, by whichever call (begin,
 *                       transmit, control, get_attrib) notices it first;
 *                       in the middle of a command the rest of it was not
 *                       sent.
 *   SS_ERR_NO_SERVICE   pcscd went away; nothing is retried now.  The next
 *                       call re-establishes the context and reconnects; if
 *                       that works it returns SS_ERR_CARD_RESET, and if the
 *                       card's ATR changed meanwhile, SS_ERR_CARD_REMOVED.
 *   SS_ERR_NO_CARD      (only after SS_ERR_NO_SERVICE) pcscd is back but
 *                       the reader or the card is not, yet: the channel
 *                       keeps trying on each call.  Treat the token as
 *                       absent meanwhile, or free the channel.
 *                       A card swapped for one with the same ATR while
 *                       pcscd was down cannot be told apart here: after
 *                       SS_ERR_CARD_RESET the module should re-check the
 *                       card's identity (e.g. serial, CHUID).
 *   SS_ERR_CARD_REMOVED the card was removed (or swapped): the channel is
 *   SS_ERR_READER_GONE  dead and returns this error from now on.  Free it
 *                       and open a new channel when a card is back.
 *
 * Thread safety: none inside.  One channel must be used by one thread at a
 * time (the module holds its per-slot mutex around every channel call,
 * including begin ... end).  Different channels are independent.
 *
 * Secrets: commands flagged SS_APDU_SECRET, and always VERIFY (20), CHANGE
 * REFERENCE DATA (24), RESET RETRY COUNTER (2C), GENERAL AUTHENTICATE (87)
 * with key reference 9B, and the YubiKey IMPORT KEY (FE) and SET
 * MANAGEMENT KEY (FF), are never traced with their data or response data,
 * and the channel's internal copies are wiped with ss_wipe() after use.
 * Flag decryption and key agreement (GENERAL AUTHENTICATE with 9D/82..95)
 * SS_APDU_SECRET yourself: their responses are secrets.  The caller still
 * owns (and wipes) its own APDU data and response buffer.
 */
#ifndef SS_CHANNEL_H
#define SS_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apdu.h"
#include "transport.h"

struct ss_chan;

/* Flags for ss_chan_transmit() / ss_chan_control(). */
#define SS_APDU_SECRET	0x0001u	/* data/response must not be logged */
#define SS_APDU_RAW	0x0002u	/* one exchange, as is: no 61xx/6Cxx
				   handling, no chaining (diagnostics) */

/* When to use extended-length APDUs (never on T=0). */
enum ss_ext_mode {
	SS_EXT_NEVER = 0,	/* default: short APDUs + chaining */
	SS_EXT_AUTO,		/* if the ATR says the card supports them and
				   the reader's SCARD_ATTR_MAXINPUT is at
				   least 65544 (any extended APDU fits) */
	SS_EXT_ASSUME_READER,	/* if the ATR says the card supports them;
				   assume any reader does */
	SS_EXT_PREFER		/* if the ATR says the card supports them,
				   unless the reader reports a
				   SCARD_ATTR_MAXINPUT of a short APDU
				   (<= 261); a command longer than a
				   reported MAXINPUT goes short */
};

struct ss_chan_opts {
	uint32_t		protocols;	/* 0 = SS_PROTO_T0|SS_PROTO_T1 */
	enum ss_ext_mode	ext;
	unsigned		max_get_response; /* 0 = default (1024)
					   rounds of 61xx per command */
};

/* One traced exchange or control call; pointers valid during the call. */
enum ss_trace_kind {
	SS_TRACE_APDU = 1,	/* one command/response on the wire */
	SS_TRACE_CONTROL	/* one SCardControl() */
};

struct ss_trace_rec {
	enum ss_trace_kind	 kind;
	const char		*reader;
	uint32_t		 control_code;	/* SS_TRACE_CONTROL only */
	/* The command as sent; when redacted, only the header (CLA INS P1
	 * P2 and the length bytes) is here, and the data is left out. */
	const uint8_t		*cmd;
	size_t			 cmd_len;
	size_t			 cmd_full_len;	/* length actually sent */
	/* The response with SW1 SW2 (APDU) or the reader's answer (control);
	 * when redacted only SW1 SW2 is here. */
	const uint8_t		*resp;
	size_t			 resp_len;
	size_t			 resp_full_len;
	bool			 redacted;
	int			 rc;		/* SS_ERR_* of the exchange */
	uint64_t		 usec;		/* wall time of the exchange */
};

typedef void	(*ss_trace_fn)(void *arg, const struct ss_trace_rec *);

/*
 * Connect (shared) to the card in the named reader.  opts may be NULL.
 * The transport is copied; its ops/priv must outlive the channel.
 * Errors: SS_ERR_NO_SERVICE, SS_ERR_READER_GONE, SS_ERR_NO_CARD,
 * SS_ERR_SHARING, SS_ERR_NO_MEMORY, SS_ERR_BAD_ARG, SS_ERR_COMM.
 */
int	ss_chan_open(struct ss_chan **, const struct ss_transport *,
	    const char *reader, const struct ss_chan_opts *opts);
/* End any open transaction, disconnect (leave the card), release the
 * context and free; *cp is set to NULL.  NULL-safe. */
void	ss_chan_free(struct ss_chan **cp);

/* Begin a (possibly nested) transaction.  SS_ERR_OK or SS_ERR_CARD_RESET
 * mean it is held; any other error means it is not. */
int	ss_chan_begin(struct ss_chan *);
/* End one nesting level; the outermost releases the PC/SC transaction
 * (leaving the card as it is).  Errors are informational only: the level
 * is dropped in every case. */
int	ss_chan_end(struct ss_chan *);
/* Current nesting depth (0 = no transaction). */
unsigned ss_chan_depth(const struct ss_chan *);

/*
 * Send one logical command APDU and collect the whole response.
 * resp/cap receive the response data (without SW); *len is its length and
 * *sw the final status word.  A non-9000 status word is not an error:
 * the return value is SS_ERR_OK and *sw tells.  A response larger than
 * cap gives SS_ERR_BUFFER (nothing is written past cap; *len is then what
 * was stored before the piece that did not fit).  A card that never stops
 * sending 61xx, or answers a short APDU with more than 256 bytes, gives
 * SS_ERR_MALFORMED.  resp may be NULL when cap is 0.
 * Le: as in struct ss_apdu (has_le, le 1..256, or up to 65536 when
 * extended APDUs are in use; larger values are clamped to 256 otherwise).
 * Whatever Le says, all the data the card offers through 61xx is
 * collected.  In the middle of a chained command a status word other than
 * 9000 ends the command; it is returned in *sw with no data.
 * Before anything is sent, a pending recovery may return
 * SS_ERR_CARD_RESET (nothing was sent: re-select and retry).
 */
int	ss_chan_transmit(struct ss_chan *, const struct ss_apdu *,
	    unsigned flags, uint8_t *resp, size_t cap, size_t *len,
	    uint16_t *sw);
/* SCardControl() on the connection (PIN pad, feature discovery). */
int	ss_chan_control(struct ss_chan *, uint32_t code, const uint8_t *in,
	    size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len,
	    unsigned flags);
/* SCardGetAttrib() on the connection. */
int	ss_chan_get_attrib(struct ss_chan *, uint32_t attr, uint8_t *buf,
	    size_t cap, size_t *len);

/* Reconnect now; with reset, the card is reset (all other connections to
 * it then see SS_ERR_CARD_RESET once); this channel reports SS_ERR_OK.
 * Not inside a transaction (SS_ERR_BAD_ARG). */
int	ss_chan_reconnect(struct ss_chan *, bool reset);

/* The ATR seen at connect (or at the last reconnect). */
int	ss_chan_atr(const struct ss_chan *, uint8_t *buf, size_t cap,
	    size_t *len);
/* SS_PROTO_T0 or SS_PROTO_T1. */
uint32_t ss_chan_protocol(const struct ss_chan *);
/* Whether extended APDUs are used on this channel. */
bool	ss_chan_extended(const struct ss_chan *);
const char *ss_chan_reader(const struct ss_chan *);

/* Install (fn != NULL) or remove the trace hook.  Called synchronously on
 * the thread that uses the channel, for every exchange. */
void	ss_chan_set_trace(struct ss_chan *, ss_trace_fn fn, void *arg);

#endif
