/*
 * tests/fuzz/fz-hostile.c - see fz-hostile.h.
 */
#include <string.h>

#include "fuzz.h"
#include "fz-hostile.h"

#define HOSTILE_CTX	0x4855u
#define HOSTILE_CARD	0x4331u
#define HOSTILE_EVENTS	(1u << 16)	/* pcsc-lite's event counter: 1 */

static const int errs[] = {
	SS_ERR_CARD_RESET, SS_ERR_CARD_REMOVED, SS_ERR_NO_SERVICE,
	SS_ERR_COMM, SS_ERR_TIMEOUT, SS_ERR_SHARING, SS_ERR_BUFFER,
	SS_ERR_NOT_SUPPORTED, SS_ERR_NO_CARD, SS_ERR_READER_GONE,
	SS_ERR_MALFORMED, SS_ERR_BAD_ARG, SS_ERR_CANCELLED,
};
#define NERRS	(sizeof(errs) / sizeof(errs[0]))

size_t
fz_hostile_nerrs(void)
{
	return NERRS;
}

int
fz_hostile_err(size_t i)
{
	return errs[i % NERRS];
}

void
fz_hostile_init(struct fz_hostile *h, const uint8_t *script, size_t len,
    const uint8_t *atr, size_t atr_len, uint32_t proto, bool repeat)
{
	memset(h, 0, sizeof(*h));
	ss_rd_init(&h->in, script, len);
	if (atr_len > sizeof(h->atr))
		atr_len = sizeof(h->atr);
	if (atr_len > 0)
		memcpy(h->atr, atr, atr_len);
	h->atr_len = atr_len;
	h->proto = proto;
	h->repeat = repeat;
}

/* The next answer: SS_ERR_OK with its bytes, or the error the script
 * names. */
static int
next_answer(struct fz_hostile *h, const uint8_t **p, size_t *n)
{
	uint8_t mark;

	if (++h->exchanges > FZ_EXCHANGES_MAX)
		return SS_ERR_CARD_REMOVED;
	if (ss_rd_left(&h->in) == 0) {
		if (!h->repeat || !h->have_last)
			return SS_ERR_CARD_REMOVED;
		*p = h->last;
		*n = h->last_len;
		return h->last_rc;
	}
	h->have_last = true;
	h->last = NULL;
	h->last_len = 0;
	if (ss_rd_peek_u8(&h->in, &mark) == 0 && mark >= FZ_ERR_MARK) {
		(void)fz_u8(&h->in);
		h->last_rc = fz_hostile_err(fz_u8(&h->in));
		return h->last_rc;
	}
	h->last_len = fz_chunk(&h->in, &h->last);
	h->last_rc = SS_ERR_OK;
	*p = h->last;
	*n = h->last_len;
	return SS_ERR_OK;
}

/* Copy what fits; report the full length (the caller must check it). */
static int
answer(struct fz_hostile *h, uint8_t *out, size_t cap, size_t *len)
{
	const uint8_t	*p = NULL;
	size_t		 n = 0;
	int		 rc;

	if ((rc = next_answer(h, &p, &n)) != SS_ERR_OK)
		return rc;
	if (out != NULL && n > 0)
		memcpy(out, p, n < cap ? n : cap);
	*len = n;
	return SS_ERR_OK;
}

static int
h_establish(void *priv, ss_tctx *ctx)
{
	(void)priv;
	*ctx = HOSTILE_CTX;
	return SS_ERR_OK;
}

static int
h_release(void *priv, ss_tctx ctx)
{
	(void)priv;
	(void)ctx;
	return SS_ERR_OK;
}

static int
h_list(void *priv, ss_tctx ctx, char *buf, size_t cap, size_t *len)
{
	static const char names[] = FZ_HOSTILE_READER "\0";

	(void)priv;
	(void)ctx;
	if (cap < sizeof(names))
		return SS_ERR_BUFFER;
	memcpy(buf, names, sizeof(names));
	*len = sizeof(names);
	return SS_ERR_OK;
}

static int
h_status_change(void *priv, ss_tctx ctx, uint32_t ms, struct ss_tstate *st,
    size_t n)
{
	struct fz_hostile	*h = priv;
	const uint32_t		 ev = SS_RS_PRESENT | HOSTILE_EVENTS;
	bool			 changed = false;
	size_t			 i;

	(void)ctx;
	(void)ms;
	for (i = 0; i < n; i++) {
		st[i].atr_len = 0;
		if (strcmp(st[i].reader, SS_PNP_READER) == 0) {
			st[i].event_state = 0;
			continue;
		}
		if (strcmp(st[i].reader, FZ_HOSTILE_READER) != 0) {
			st[i].event_state = SS_RS_UNKNOWN | SS_RS_CHANGED;
			changed = true;
			continue;
		}
		memcpy(st[i].atr, h->atr, h->atr_len);
		st[i].atr_len = h->atr_len;
		st[i].event_state = ev;
		if ((st[i].current_state & ~SS_RS_CHANGED) != ev) {
			st[i].event_state |= SS_RS_CHANGED;
			changed = true;
		}
	}
	return changed ? SS_ERR_OK : SS_ERR_TIMEOUT;
}

static int
h_cancel(void *priv, ss_tctx ctx)
{
	(void)priv;
	(void)ctx;
	return SS_ERR_OK;
}

static int
h_connect(void *priv, ss_tctx ctx, const char *reader, uint32_t share,
    uint32_t protocols, ss_tcard *card, uint32_t *active)
{
	struct fz_hostile *h = priv;

	(void)ctx;
	(void)share;
	if (strcmp(reader, FZ_HOSTILE_READER) != 0)
		return SS_ERR_READER_GONE;
	if ((protocols & h->proto) == 0)
		return SS_ERR_NOT_SUPPORTED;
	*card = HOSTILE_CARD;
	*active = h->proto;
	return SS_ERR_OK;
}

static int
h_reconnect(void *priv, ss_tcard card, uint32_t share, uint32_t protocols,
    uint32_t init, uint32_t *active)
{
	struct fz_hostile *h = priv;

	(void)card;
	(void)share;
	(void)protocols;
	(void)init;
	*active = h->proto;
	return SS_ERR_OK;
}

static int
h_disconnect(void *priv, ss_tcard card, uint32_t disposition)
{
	(void)priv;
	(void)card;
	(void)disposition;
	return SS_ERR_OK;
}

static int
h_begin(void *priv, ss_tcard card)
{
	(void)priv;
	(void)card;
	return SS_ERR_OK;
}

static int
h_end(void *priv, ss_tcard card, uint32_t disposition)
{
	(void)priv;
	(void)card;
	(void)disposition;
	return SS_ERR_OK;
}

static int
h_status(void *priv, ss_tcard card, uint32_t *state, uint8_t *atr,
    size_t cap, size_t *len)
{
	struct fz_hostile *h = priv;

	(void)card;
	if (h->atr_len > cap)
		return SS_ERR_BUFFER;
	*state = SS_RS_PRESENT;
	if (h->atr_len > 0)
		memcpy(atr, h->atr, h->atr_len);
	*len = h->atr_len;
	return SS_ERR_OK;
}

static int
h_transmit(void *priv, ss_tcard card, uint32_t proto, const uint8_t *cmd,
    size_t cmd_len, uint8_t *resp, size_t cap, size_t *len)
{
	(void)card;
	(void)proto;
	(void)cmd;
	(void)cmd_len;
	return answer(priv, resp, cap, len);
}

static int
h_control(void *priv, ss_tcard card, uint32_t code, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, size_t *len)
{
	(void)card;
	(void)code;
	(void)in;
	(void)in_len;
	return answer(priv, out, cap, len);
}

static int
h_get_attrib(void *priv, ss_tcard card, uint32_t attr, uint8_t *buf,
    size_t cap, size_t *len)
{
	(void)priv;
	(void)card;
	(void)attr;
	(void)buf;
	(void)cap;
	(void)len;
	return SS_ERR_NOT_SUPPORTED;
}

static const struct ss_transport_ops hostile_ops = {
	.establish = h_establish,
	.release = h_release,
	.list_readers = h_list,
	.status_change = h_status_change,
	.cancel = h_cancel,
	.connect = h_connect,
	.reconnect = h_reconnect,
	.disconnect = h_disconnect,
	.begin = h_begin,
	.end = h_end,
	.status = h_status,
	.transmit = h_transmit,
	.control = h_control,
	.get_attrib = h_get_attrib,
};

void
fz_hostile_transport(struct fz_hostile *h, struct ss_transport *t)
{
	t->ops = &hostile_ops;
	t->priv = h;
}
