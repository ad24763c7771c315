/*
 * reader/channel.c - one connection to a card: transactions, ISO 7816
 * framing (61xx, 6Cxx, chaining, extended, T=0 case 4), recovery, trace.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "atr.h"
#include "channel.h"
#include "err.h"
#include "wipe.h"

#define CHAN_CBUF_MAX		(4 + 3 + SS_APDU_EXT_MAX_DATA + 2)
#define CHAN_RBUF_EXT		(65536 + 2)
#define CHAN_RBUF_SHORT		(256 + 2)
#define CHAN_GETRESP_DEFAULT	1024
#define CHAN_INS_GET_RESPONSE	0xc0
#define CHAN_CLA_CHAIN		0x10
#define CHAN_ATTR_MAXINPUT	0x0007a007u	/* SCARD_ATTR_MAXINPUT */
#define CHAN_EXT_MIN_INPUT	CHAN_CBUF_MAX	/* reader takes any APDU */
#define CHAN_SHORT_MAX_INPUT	(4 + 1 + SS_APDU_SHORT_MAX_DATA + 1)
#define SW1(sw)			((uint8_t)((sw) >> 8))
#define SW2(sw)			((uint8_t)(sw))

struct ss_chan {
	struct ss_transport	 t;
	char			 reader[SS_READER_NAME_MAX];
	uint32_t		 protocols;	/* allowed at connect */
	uint32_t		 proto;		/* active */
	enum ss_ext_mode	 ext_mode;
	bool			 ext;		/* extended APDUs in use */
	uint32_t		 maxinput;	/* reader's, 0 = not reported */
	bool			 sent_ext;	/* last exchange was extended */
	unsigned		 max_getresp;
	ss_tctx			 ctx;
	ss_tcard		 card;
	bool			 have_ctx;
	bool			 have_card;
	bool			 lost;		/* context gone: reopen next */
	int			 dead;		/* terminal error, or 0 */
	unsigned		 depth;		/* transaction nesting */
	bool			 tx_held;	/* PC/SC transaction held */
	uint8_t			 atr[SS_ATR_MAX];
	size_t			 atr_len;
	ss_trace_fn		 trace;
	void			*trace_arg;
	uint8_t			*cbuf;		/* encoded command */
	uint8_t			*rbuf;		/* raw response */
};

/* One exchange on the wire, for the trace hook. */
struct chan_xfer {
	const uint8_t	*cmd;
	size_t		 cmd_len;
	size_t		 hdr_len;	/* bytes before the command data */
	const uint8_t	*resp;
	size_t		 resp_len;
	bool		 secret;
	uint32_t	 code;		/* control code, 0 for APDUs */
	int		 rc;
	uint64_t	 usec;
};

static uint64_t
now_usec(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void
chan_trace(const struct ss_chan *c, const struct chan_xfer *x)
{
	struct ss_trace_rec	r;
	size_t			rl = x->rc == SS_ERR_OK ? x->resp_len : 0;

	if (c->trace == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.kind = x->code ? SS_TRACE_CONTROL : SS_TRACE_APDU;
	r.reader = c->reader;
	r.control_code = x->code;
	r.cmd = x->cmd;
	r.cmd_full_len = x->cmd_len;
	r.cmd_len = x->secret ? x->hdr_len : x->cmd_len;
	r.resp_full_len = rl;
	r.resp_len = (x->secret && rl > 2) ? 2 : rl;
	r.resp = (x->secret && rl > 2) ? x->resp + rl - 2 : x->resp;
	if (x->code && x->secret)
		r.resp_len = 0;
	r.redacted = x->secret;
	r.rc = x->rc;
	r.usec = x->usec;
	c->trace(c->trace_arg, &r);
}

static bool
apdu_is_secret(const struct ss_apdu *a)
{
	switch (a->ins) {
	case 0x20:	/* VERIFY */
	case 0x24:	/* CHANGE REFERENCE DATA */
	case 0x2c:	/* RESET RETRY COUNTER */
	case 0xfe:	/* YubiKey IMPORT KEY */
	case 0xff:	/* YubiKey SET MANAGEMENT KEY */
		return true;
	case 0x87:	/* GENERAL AUTHENTICATE with the management key */
		return a->p2 == 0x9b;
	default:
		return false;
	}
}

/* --- connection management ------------------------------------------ */

static int
chan_read_atr(struct ss_chan *c, uint8_t *atr, size_t *len)
{
	uint32_t	state;
	int		rc;

	rc = c->t.ops->status(c->t.priv, c->card, &state, atr, SS_ATR_MAX,
	    len);
	if (rc == SS_ERR_OK && (*len == 0 || *len > SS_ATR_MAX))
		rc = SS_ERR_MALFORMED;
	return rc;
}

static uint32_t
chan_maxinput(struct ss_chan *c)
{
	uint8_t	b[4];
	size_t	n = 0;

	if (c->t.ops->get_attrib == NULL || c->t.ops->get_attrib(c->t.priv,
	    c->card, CHAN_ATTR_MAXINPUT, b, sizeof(b), &n) != SS_ERR_OK ||
	    n != sizeof(b))
		return 0;
	/* a DWORD in host order; every supported host is little endian */
	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[1] << 8 | b[0];
}

/* Decide at connect and after every reconnect (a reset or a new card
 * forgets an earlier fallback to short APDUs). */
static void
chan_detect_ext(struct ss_chan *c)
{
	struct ss_atr a;

	c->ext = false;
	c->maxinput = 0;
	if (c->ext_mode == SS_EXT_NEVER || c->proto != SS_PROTO_T1)
		return;
	(void)ss_atr_parse(c->atr, c->atr_len, &a);
	if (!ss_atr_supports_extended(&a))
		return;
	if (c->ext_mode == SS_EXT_ASSUME_READER) {
		c->ext = true;
		return;
	}
	c->maxinput = chan_maxinput(c);
	if (c->ext_mode == SS_EXT_AUTO)
		c->ext = c->maxinput >= CHAN_EXT_MIN_INPUT;
	else
		c->ext = c->maxinput == 0 ||
		    c->maxinput > CHAN_SHORT_MAX_INPUT;
}

static void
chan_drop(struct ss_chan *c)
{
	if (c->have_card)
		(void)c->t.ops->disconnect(c->t.priv, c->card, SS_LEAVE_CARD);
	if (c->have_ctx)
		(void)c->t.ops->release(c->t.priv, c->ctx);
	c->have_card = c->have_ctx = false;
	c->tx_held = false;
}

/* Establish a context and connect; on failure nothing is left open. */
static int
chan_connect(struct ss_chan *c)
{
	int rc;

	if ((rc = c->t.ops->establish(c->t.priv, &c->ctx)) != SS_ERR_OK)
		return rc;
	c->have_ctx = true;
	rc = c->t.ops->connect(c->t.priv, c->ctx, c->reader, SS_SHARE_SHARED,
	    c->protocols, &c->card, &c->proto);
	if (rc != SS_ERR_OK)
		goto fail;
	c->have_card = true;
	if (c->proto != SS_PROTO_T0 && c->proto != SS_PROTO_T1) {
		rc = SS_ERR_NOT_SUPPORTED;
		goto fail;
	}
	if ((rc = chan_read_atr(c, c->atr, &c->atr_len)) != SS_ERR_OK)
		goto fail;
	chan_detect_ext(c);
	return SS_ERR_OK;
fail:
	chan_drop(c);
	return rc;
}

/* Errors that end the channel or the context; no reset handling. */
static int
chan_fail_hard(struct ss_chan *c, int rc)
{
	switch (rc) {
	case SS_ERR_NO_SERVICE:
		c->lost = true;
		c->tx_held = false;
		break;
	case SS_ERR_NO_CARD:
	case SS_ERR_CARD_REMOVED:
		c->dead = rc = SS_ERR_CARD_REMOVED;
		c->tx_held = false;
		break;
	case SS_ERR_READER_GONE:
		c->dead = rc;
		c->tx_held = false;
		break;
	default:
		break;
	}
	return rc;
}

/* After a reconnect: same card?  Then re-take a lost transaction. */
static int
chan_after_reconnect(struct ss_chan *c, const uint8_t *atr, size_t len)
{
	int rc;

	c->tx_held = false;
	if (len != c->atr_len || memcmp(atr, c->atr, len) != 0) {
		c->dead = SS_ERR_CARD_REMOVED;
		return SS_ERR_CARD_REMOVED;
	}
	if (c->depth == 0)
		return SS_ERR_OK;
	rc = c->t.ops->begin(c->t.priv, c->card);
	if (rc != SS_ERR_OK)
		return chan_fail_hard(c, rc);
	c->tx_held = true;
	return SS_ERR_OK;
}

static int
chan_reconnect(struct ss_chan *c, uint32_t init)
{
	uint8_t	atr[SS_ATR_MAX];
	size_t	len = 0;
	int	rc;

	rc = c->t.ops->reconnect(c->t.priv, c->card, SS_SHARE_SHARED,
	    c->protocols, init, &c->proto);
	if (rc == SS_ERR_OK)
		rc = chan_read_atr(c, atr, &len);
	if (rc == SS_ERR_CARD_RESET)
		rc = SS_ERR_COMM;	/* reset again at once: give up */
	if (rc != SS_ERR_OK)
		return chan_fail_hard(c, rc);
	if ((rc = chan_after_reconnect(c, atr, len)) == SS_ERR_OK)
		chan_detect_ext(c);
	return rc;
}

/* Classify a transport error on the card; a reset is recovered here. */
static int
chan_fail(struct ss_chan *c, int rc)
{
	if (rc != SS_ERR_CARD_RESET)
		return chan_fail_hard(c, rc);
	rc = chan_reconnect(c, SS_LEAVE_CARD);
	return rc == SS_ERR_OK ? SS_ERR_CARD_RESET : rc;
}

/* pcscd went away earlier: a new context, a new connection, the same
 * card (same ATR) or the channel is dead.  While the reader or the card
 * is not back yet, stay lost and say SS_ERR_NO_CARD. */
static int
chan_reopen(struct ss_chan *c)
{
	uint8_t	old[SS_ATR_MAX], cur[SS_ATR_MAX];
	size_t	old_len = c->atr_len, cur_len;
	int	rc;

	memcpy(old, c->atr, old_len);
	chan_drop(c);
	rc = chan_connect(c);
	if (rc == SS_ERR_NO_CARD || rc == SS_ERR_READER_GONE)
		return SS_ERR_NO_CARD;	/* not back yet: stay lost */
	if (rc != SS_ERR_OK)
		return chan_fail_hard(c, rc);
	c->lost = false;
	cur_len = c->atr_len;
	memcpy(cur, c->atr, cur_len);
	memcpy(c->atr, old, old_len);
	c->atr_len = old_len;
	rc = chan_after_reconnect(c, cur, cur_len);
	return rc == SS_ERR_OK ? SS_ERR_CARD_RESET : rc;
}

/* Before any use: report a dead channel, recover a lost context, re-take
 * a transaction that a recovery could not re-take. */
static int
chan_ensure(struct ss_chan *c)
{
	int rc;

	if (c->dead)
		return c->dead;
	if (c->lost)
		return chan_reopen(c);
	if (c->depth > 0 && !c->tx_held) {
		if ((rc = c->t.ops->begin(c->t.priv, c->card)) != SS_ERR_OK)
			return chan_fail(c, rc);
		c->tx_held = true;
	}
	return SS_ERR_OK;
}

/* --- exchanges -------------------------------------------------------- */

/* Whether a goes out as one extended APDU: the channel uses them, a needs
 * one, and it fits in what the reader says it takes. */
static bool
chan_use_ext(const struct ss_chan *c, const struct ss_apdu *a)
{
	size_t n = 4;

	if (!c->ext || (a->lc <= SS_APDU_SHORT_MAX_DATA &&
	    (!a->has_le || a->le <= 256)))
		return false;
	if (a->lc > 0)
		n += 3 + a->lc;
	if (a->has_le)
		n += a->lc > 0 ? 2 : 3;
	return c->maxinput == 0 || n <= c->maxinput;
}

/* Encode a as sent on this channel: short unless extended APDUs are in
 * use, Le clamped to what the form carries, no Le on T=0 case 4. */
static int
chan_encode(const struct ss_chan *c, const struct ss_apdu *a,
    struct ss_wr *w, size_t *hdr_len, bool *ext)
{
	struct ss_apdu x = *a;

	if (!x.has_le || (c->proto == SS_PROTO_T0 && x.lc > 0)) {
		x.has_le = false;
		x.le = 0;
	} else if (x.le == 0)
		x.le = 256;
	if (x.le > 65536)
		return SS_ERR_BAD_ARG;
	x.extended = chan_use_ext(c, &x);
	if (!x.extended && x.le > 256)
		x.le = 256;
	if (!x.extended && x.lc > SS_APDU_SHORT_MAX_DATA)
		return SS_ERR_BAD_ARG;
	*hdr_len = x.lc == 0 ? 4 : x.extended ? 7 : 5;
	*ext = x.extended;
	return ss_apdu_encode(w, &x) < 0 ? SS_ERR_BAD_ARG : SS_ERR_OK;
}

/* One command/response on the wire; the response stays in c->rbuf. */
static int
chan_exchange(struct ss_chan *c, const struct ss_apdu *a, bool secret,
    size_t *dlen, uint16_t *sw)
{
	struct ss_wr		w;
	struct chan_xfer	x;
	size_t			rcap = c->ext ? CHAN_RBUF_EXT : CHAN_RBUF_SHORT;
	uint64_t		t0;

	memset(&x, 0, sizeof(x));
	ss_wr_init(&w, c->cbuf, CHAN_CBUF_MAX);
	c->sent_ext = false;
	if ((x.rc = chan_encode(c, a, &w, &x.hdr_len, &c->sent_ext)) !=
	    SS_ERR_OK)
		return x.rc;
	t0 = now_usec();
	x.rc = c->t.ops->transmit(c->t.priv, c->card, c->proto, c->cbuf,
	    w.len, c->rbuf, rcap, &x.resp_len);
	x.usec = now_usec() - t0;
	if (x.rc == SS_ERR_BUFFER || (x.rc == SS_ERR_OK &&
	    (x.resp_len < 2 || x.resp_len > rcap)))
		x.rc = SS_ERR_MALFORMED;
	x.cmd = c->cbuf;
	x.cmd_len = w.len;
	x.resp = c->rbuf;
	x.secret = secret;
	chan_trace(c, &x);
	if (secret)
		ss_wipe(c->cbuf, w.len);
	if (x.rc != SS_ERR_OK)
		return chan_fail(c, x.rc);
	(void)ss_apdu_split_sw(c->rbuf, x.resp_len, dlen, sw);
	return SS_ERR_OK;
}

/* Exchange; on 6Cxx send the same command once more with Le = xx. */
static int
chan_exchange_le(struct ss_chan *c, const struct ss_apdu *a, bool secret,
    size_t *dlen, uint16_t *sw)
{
	struct ss_apdu	x = *a;
	int		rc;

	rc = chan_exchange(c, &x, secret, dlen, sw);
	if (rc != SS_ERR_OK || SW1(*sw) != 0x6c)
		return rc;
	x.has_le = true;
	x.le = SW2(*sw) ? SW2(*sw) : 256;
	return chan_exchange(c, &x, secret, dlen, sw);
}

/* Move the data of the last response to the caller's buffer. */
static int
chan_take(struct ss_chan *c, size_t dlen, bool secret, struct ss_wr *out)
{
	int rc = SS_ERR_OK;

	if (ss_wr_bytes(out, c->rbuf, dlen) < 0)
		rc = SS_ERR_BUFFER;
	if (secret)
		ss_wipe(c->rbuf, dlen + 2);
	return rc;
}

/* GET RESPONSE goes on the command's logical channel, interindustry. */
static uint8_t
getresp_cla(uint8_t cla)
{
	if ((cla & 0xc0) == 0x40)
		return (uint8_t)(0x40 | (cla & 0x0f));
	if (cla & 0x80)
		return 0x00;
	return (uint8_t)(cla & 0x03);
}

/* Keep the data of the last response, then fetch the rest while 61xx. */
static int
chan_collect(struct ss_chan *c, uint8_t cla, bool secret, size_t dlen,
    struct ss_wr *out, uint16_t *sw)
{
	struct ss_apdu	gr;
	unsigned	n;
	int		rc;

	if ((rc = chan_take(c, dlen, secret, out)) != SS_ERR_OK)
		return rc;
	memset(&gr, 0, sizeof(gr));
	gr.cla = getresp_cla(cla);
	gr.ins = CHAN_INS_GET_RESPONSE;
	gr.has_le = true;
	for (n = 0; SW1(*sw) == 0x61; n++) {
		if (n == c->max_getresp)
			return SS_ERR_MALFORMED;
		gr.le = SW2(*sw) ? SW2(*sw) : 256;
		if ((rc = chan_exchange_le(c, &gr, secret, &dlen, sw)) !=
		    SS_ERR_OK)
			return rc;
		if ((rc = chan_take(c, dlen, secret, out)) != SS_ERR_OK)
			return rc;
	}
	return SS_ERR_OK;
}

static int
chan_command(struct ss_chan *c, const struct ss_apdu *a, bool secret,
    struct ss_wr *out, uint16_t *sw)
{
	size_t	dlen = 0;
	int	rc;

	if ((rc = chan_exchange_le(c, a, secret, &dlen, sw)) != SS_ERR_OK)
		return rc;
	return chan_collect(c, a->cla, secret, dlen, out, sw);
}

/* More than 255 data bytes on short APDUs: 255-byte chunks, CLA | 10 on
 * all but the last, which carries Le and gets the response. */
static int
chan_chained(struct ss_chan *c, const struct ss_apdu *a, bool secret,
    struct ss_wr *out, uint16_t *sw)
{
	struct ss_apdu	x = *a;
	size_t		off = 0, dlen = 0;
	int		rc;

	x.cla = (uint8_t)(a->cla | CHAN_CLA_CHAIN);
	x.has_le = x.extended = false;
	x.le = 0;
	x.lc = SS_APDU_SHORT_MAX_DATA;
	while (a->lc - off > SS_APDU_SHORT_MAX_DATA) {
		x.data = a->data + off;
		if ((rc = chan_exchange(c, &x, secret, &dlen, sw)) !=
		    SS_ERR_OK)
			return rc;
		if (secret)
			ss_wipe(c->rbuf, dlen + 2);
		if (*sw != SS_SW_OK)
			return SS_ERR_OK;
		off += SS_APDU_SHORT_MAX_DATA;
	}
	x = *a;
	x.data = a->data + off;
	x.lc = a->lc - off;
	return chan_command(c, &x, secret, out, sw);
}

/* One logical command: chained when it is too long for one APDU. */
static int
chan_send(struct ss_chan *c, const struct ss_apdu *a, bool secret,
    struct ss_wr *out, uint16_t *sw)
{
	struct ss_apdu x = *a;

	x.extended = chan_use_ext(c, a);
	if (a->lc > SS_APDU_SHORT_MAX_DATA && !x.extended)
		return chan_chained(c, a, secret, out, sw);
	return chan_command(c, a, secret, out, sw);
}

/* Did the reader or the card refuse the extended APDU just sent?  A
 * transport error that leaves the card and the service in place, or 6700
 * (a card that announces extended lengths but does not take them). */
static bool
chan_ext_refused(const struct ss_chan *c, int rc, uint16_t sw)
{
	if (!c->sent_ext || c->dead || c->lost)
		return false;
	switch (rc) {
	case SS_ERR_OK:
		return sw == SS_SW_WRONG_LENGTH;
	case SS_ERR_COMM:
	case SS_ERR_MALFORMED:
	case SS_ERR_TIMEOUT:
	case SS_ERR_NOT_SUPPORTED:
	case SS_ERR_BAD_ARG:
		return true;
	default:
		return false;
	}
}

/* Short APDUs from now on for this card; nothing of the refused answer
 * stays with the caller. */
static void
chan_fall_back(struct ss_chan *c, bool secret, struct ss_wr *out,
    uint16_t *sw)
{
	c->ext = false;
	c->sent_ext = false;
	if (secret && out->p != NULL)
		ss_wipe(out->p, out->len);
	out->len = 0;
	out->err = 0;
	*sw = 0;
}

static int
chan_raw(struct ss_chan *c, const struct ss_apdu *a, bool secret,
    struct ss_wr *out, uint16_t *sw)
{
	size_t	dlen = 0;
	int	rc;

	if ((rc = chan_exchange(c, a, secret, &dlen, sw)) != SS_ERR_OK)
		return rc;
	return chan_take(c, dlen, secret, out);
}

int
ss_chan_transmit(struct ss_chan *c, const struct ss_apdu *a, unsigned flags,
    uint8_t *resp, size_t cap, size_t *len, uint16_t *sw)
{
	struct ss_wr	out;
	bool		secret;
	int		rc;

	if (len != NULL)
		*len = 0;
	if (sw != NULL)
		*sw = 0;
	if (c == NULL || a == NULL || len == NULL || sw == NULL ||
	    (resp == NULL && cap > 0) || a->lc > SS_APDU_EXT_MAX_DATA ||
	    (a->lc > 0 && a->data == NULL))
		return SS_ERR_BAD_ARG;
	if ((rc = chan_ensure(c)) != SS_ERR_OK)
		return rc;
	secret = (flags & SS_APDU_SECRET) != 0 || apdu_is_secret(a);
	ss_wr_init(&out, resp, cap);
	if (flags & SS_APDU_RAW) {
		rc = chan_raw(c, a, secret, &out, sw);
		*len = out.len;
		return rc;
	}
	rc = chan_send(c, a, secret, &out, sw);
	if (chan_ext_refused(c, rc, *sw)) {
		chan_fall_back(c, secret, &out, sw);
		rc = chan_send(c, a, secret, &out, sw);
	}
	*len = out.len;
	return rc;
}

/* --- transactions ----------------------------------------------------- */

int
ss_chan_begin(struct ss_chan *c)
{
	bool	reset = false;
	int	rc;

	if (c == NULL)
		return SS_ERR_BAD_ARG;
	if (c->dead)
		return c->dead;
	if (c->depth > 0) {
		c->depth++;
		return SS_ERR_OK;
	}
	rc = chan_ensure(c);
	if (rc == SS_ERR_CARD_RESET)
		reset = true;
	else if (rc != SS_ERR_OK)
		return rc;
	rc = c->t.ops->begin(c->t.priv, c->card);
	if (rc == SS_ERR_CARD_RESET) {
		if ((rc = chan_fail(c, rc)) != SS_ERR_CARD_RESET)
			return rc;
		reset = true;
		rc = c->t.ops->begin(c->t.priv, c->card);
	}
	if (rc != SS_ERR_OK)
		return chan_fail_hard(c, rc);
	c->depth = 1;
	c->tx_held = true;
	return reset ? SS_ERR_CARD_RESET : SS_ERR_OK;
}

int
ss_chan_end(struct ss_chan *c)
{
	int rc;

	if (c == NULL || c->depth == 0)
		return SS_ERR_BAD_ARG;
	if (--c->depth > 0 || !c->tx_held)
		return SS_ERR_OK;
	c->tx_held = false;
	rc = c->t.ops->end(c->t.priv, c->card, SS_LEAVE_CARD);
	return rc == SS_ERR_OK ? rc : chan_fail_hard(c, rc);
}

unsigned
ss_chan_depth(const struct ss_chan *c)
{
	return c == NULL ? 0 : c->depth;
}

/* --- life cycle ------------------------------------------------------- */

static bool
ops_complete(const struct ss_transport_ops *o)
{
	return o != NULL && o->establish != NULL && o->release != NULL &&
	    o->connect != NULL && o->reconnect != NULL &&
	    o->disconnect != NULL && o->begin != NULL && o->end != NULL &&
	    o->status != NULL && o->transmit != NULL;
}

static int
chan_alloc(struct ss_chan **cp, const struct ss_transport *t,
    const char *reader, const struct ss_chan_opts *o)
{
	struct ss_chan *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SS_ERR_NO_MEMORY;
	*cp = c;
	c->t = *t;
	memcpy(c->reader, reader, strlen(reader) + 1);
	c->protocols = (o && o->protocols) ? o->protocols :
	    SS_PROTO_T0 | SS_PROTO_T1;
	c->ext_mode = o ? o->ext : SS_EXT_NEVER;
	c->max_getresp = (o && o->max_get_response) ? o->max_get_response :
	    CHAN_GETRESP_DEFAULT;
	c->cbuf = malloc(CHAN_CBUF_MAX);
	c->rbuf = malloc(CHAN_RBUF_EXT);
	if (c->cbuf == NULL || c->rbuf == NULL)
		return SS_ERR_NO_MEMORY;
	return SS_ERR_OK;
}

int
ss_chan_open(struct ss_chan **cp, const struct ss_transport *t,
    const char *reader, const struct ss_chan_opts *o)
{
	struct ss_chan	*c = NULL;
	int		 rc;

	if (cp == NULL || t == NULL || !ops_complete(t->ops) ||
	    reader == NULL || strlen(reader) >= SS_READER_NAME_MAX ||
	    (o && o->protocols & ~(SS_PROTO_T0 | SS_PROTO_T1)))
		return SS_ERR_BAD_ARG;
	*cp = NULL;
	if ((rc = chan_alloc(&c, t, reader, o)) != SS_ERR_OK)
		goto fail;
	if ((rc = chan_connect(c)) != SS_ERR_OK)
		goto fail;
	*cp = c;
	return SS_ERR_OK;
fail:
	ss_chan_free(&c);
	return rc;
}

void
ss_chan_free(struct ss_chan **cp)
{
	struct ss_chan *c;

	if (cp == NULL || (c = *cp) == NULL)
		return;
	if (c->tx_held && c->have_card)
		(void)c->t.ops->end(c->t.priv, c->card, SS_LEAVE_CARD);
	chan_drop(c);
	if (c->cbuf != NULL)
		ss_free_secret(c->cbuf, CHAN_CBUF_MAX);
	if (c->rbuf != NULL)
		ss_free_secret(c->rbuf, CHAN_RBUF_EXT);
	free(c);
	*cp = NULL;
}

int
ss_chan_reconnect(struct ss_chan *c, bool reset)
{
	int rc;

	if (c == NULL || c->depth > 0)
		return SS_ERR_BAD_ARG;
	rc = chan_ensure(c);
	if (rc != SS_ERR_OK && rc != SS_ERR_CARD_RESET)
		return rc;
	return chan_reconnect(c, reset ? SS_RESET_CARD : SS_LEAVE_CARD);
}

/* --- reader control and accessors ------------------------------------- */

int
ss_chan_control(struct ss_chan *c, uint32_t code, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len,
    unsigned flags)
{
	struct chan_xfer	x;
	uint64_t		t0;

	if (c == NULL || out_len == NULL || code == 0 ||
	    (in == NULL && in_len > 0) || (out == NULL && out_cap > 0))
		return SS_ERR_BAD_ARG;
	*out_len = 0;
	if (c->t.ops->control == NULL)
		return SS_ERR_NOT_SUPPORTED;
	memset(&x, 0, sizeof(x));
	if ((x.rc = chan_ensure(c)) != SS_ERR_OK)
		return x.rc;
	t0 = now_usec();
	x.rc = c->t.ops->control(c->t.priv, c->card, code, in, in_len, out,
	    out_cap, &x.resp_len);
	x.usec = now_usec() - t0;
	if (x.rc == SS_ERR_OK && x.resp_len > out_cap)
		x.rc = SS_ERR_MALFORMED;
	x.code = code;
	x.cmd = in;
	x.cmd_len = in_len;
	x.resp = out;
	x.secret = (flags & SS_APDU_SECRET) != 0;
	chan_trace(c, &x);
	if (x.rc != SS_ERR_OK)
		return chan_fail(c, x.rc);
	*out_len = x.resp_len;
	return SS_ERR_OK;
}

int
ss_chan_get_attrib(struct ss_chan *c, uint32_t attr, uint8_t *buf,
    size_t cap, size_t *len)
{
	size_t	n = 0;
	int	rc;

	if (c == NULL || len == NULL || (buf == NULL && cap > 0))
		return SS_ERR_BAD_ARG;
	*len = 0;
	if (c->t.ops->get_attrib == NULL)
		return SS_ERR_NOT_SUPPORTED;
	if ((rc = chan_ensure(c)) != SS_ERR_OK)
		return rc;
	rc = c->t.ops->get_attrib(c->t.priv, c->card, attr, buf, cap, &n);
	if (rc == SS_ERR_OK && n > cap)
		rc = SS_ERR_MALFORMED;
	if (rc != SS_ERR_OK)
		return chan_fail(c, rc);
	*len = n;
	return SS_ERR_OK;
}

int
ss_chan_atr(const struct ss_chan *c, uint8_t *buf, size_t cap, size_t *len)
{
	if (c == NULL || buf == NULL || len == NULL)
		return SS_ERR_BAD_ARG;
	if (cap < c->atr_len)
		return SS_ERR_BUFFER;
	memcpy(buf, c->atr, c->atr_len);
	*len = c->atr_len;
	return SS_ERR_OK;
}

uint32_t
ss_chan_protocol(const struct ss_chan *c)
{
	return c == NULL ? 0 : c->proto;
}

bool
ss_chan_extended(const struct ss_chan *c)
{
	return c != NULL && c->ext;
}

const char *
ss_chan_reader(const struct ss_chan *c)
{
	return c == NULL ? NULL : c->reader;
}

void
ss_chan_set_trace(struct ss_chan *c, ss_trace_fn fn, void *arg)
{
	if (c == NULL)
		return;
	c->trace = fn;
	c->trace_arg = fn ? arg : NULL;
}
