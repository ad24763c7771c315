/*
 * tests/unit/mock-transport.h - a scripted stand-in for PC/SC behind
 * struct ss_transport, for the reader-layer unit tests.
 *
 * It models a small PC/SC world: readers (present or not, card or not,
 * ATR, pcsc-lite's per-reader event counter), a daemon that can be stopped
 * and restarted (contexts and handles from before a restart stay invalid),
 * a card that another application can reset or that can be removed.
 * APDUs and control calls follow a script: a queue of expected commands
 * (checked byte for byte unless "any") and canned answers.  Any call can
 * also be made to fail with a given SS_ERR_* on its Nth occurrence.
 *
 * Header-only (static inline) so each test program includes it as is.
 */
#ifndef MOCK_TRANSPORT_H
#define MOCK_TRANSPORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reader/err.h"
#include "reader/hex.h"
#include "reader/transport.h"

#define MOCK_MAX_STEPS		256
#define MOCK_MAX_READERS	24
#define MOCK_MAX_INJECT		16
#define MOCK_MAX_SENT		256

enum mock_op {
	MOP_ESTABLISH, MOP_RELEASE, MOP_LIST, MOP_STATUS_CHANGE, MOP_CANCEL,
	MOP_CONNECT, MOP_RECONNECT, MOP_DISCONNECT, MOP_BEGIN, MOP_END,
	MOP_STATUS, MOP_TRANSMIT, MOP_CONTROL, MOP_ATTRIB, MOP_N
};

struct mock_step {
	bool		 control;	/* a control call, not an APDU */
	uint32_t	 code;
	bool		 any;		/* do not check the command */
	uint8_t		*cmd;
	size_t		 cmd_len;
	uint8_t		*resp;
	size_t		 resp_len;
	int		 rc;
};

struct mock_reader {
	char		name[SS_READER_NAME_MAX];
	bool		present;
	bool		card;
	bool		mute;
	uint8_t		atr[SS_ATR_MAX];
	size_t		atr_len;
	uint16_t	counter;
};

struct mock_inject {
	enum mock_op	op;
	unsigned	nth;
	int		rc;
};

struct mock;
typedef void	(*mock_block_fn)(struct mock *, void *);

struct mock {
	unsigned		calls[MOP_N];
	struct mock_inject	inj[MOCK_MAX_INJECT];
	size_t			ninj;
	struct mock_step	steps[MOCK_MAX_STEPS];
	size_t			nsteps, next;
	uint8_t			*sent[MOCK_MAX_SENT];
	size_t			sent_len[MOCK_MAX_SENT];
	size_t			nsent;
	struct mock_reader	rd[MOCK_MAX_READERS];
	size_t			nrd;
	uint32_t		proto;
	bool			down;		/* pcscd stopped */
	uint32_t		gen;		/* bumps on every stop */
	uint32_t		serial;
	bool			reset_pending;	/* another app reset the card */
	bool			removed;	/* the connected card went away */
	int			connect_rc;	/* forced connect() result */
	bool			has_maxinput;
	uint32_t		maxinput;
	unsigned		last_reconnect_init;
	size_t			max_states_seen;
	/* blocking status_change: real waiting, cancel wakes it */
	pthread_mutex_t		mu;
	pthread_cond_t		cv;
	bool			cancelled;
	mock_block_fn		on_block;
	void			*on_block_arg;
	char			fail[256];	/* first script mismatch */
};

static inline void
mock_init(struct mock *m)
{
	memset(m, 0, sizeof(*m));
	m->proto = SS_PROTO_T1;
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
}

static inline void
mock_free(struct mock *m)
{
	size_t i;

	for (i = 0; i < m->nsteps; i++) {
		free(m->steps[i].cmd);
		free(m->steps[i].resp);
	}
	for (i = 0; i < m->nsent; i++)
		free(m->sent[i]);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
}

static inline uint8_t *
mock_dup(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);

	if (d != NULL && n > 0)
		memcpy(d, p, n);
	return d;
}

/* --- scripting ------------------------------------------------------- */

static inline struct mock_step *
mock_expect(struct mock *m, const uint8_t *cmd, size_t cmd_len,
    const uint8_t *resp, size_t resp_len)
{
	struct mock_step *s;

	if (m->nsteps == MOCK_MAX_STEPS)
		abort();
	s = &m->steps[m->nsteps++];
	memset(s, 0, sizeof(*s));
	s->any = (cmd == NULL);
	s->cmd = mock_dup(cmd, cmd_len);
	s->cmd_len = cmd_len;
	s->resp = mock_dup(resp, resp_len);
	s->resp_len = resp_len;
	return s;
}

static inline size_t
mock_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	if (hex == NULL)
		return 0;
	if (ss_hex_decode(hex, out, cap, &n) < 0)
		abort();
	return n;
}

/* cmd NULL: any command. */
static inline struct mock_step *
mock_expect_hex(struct mock *m, const char *cmd, const char *resp)
{
	static uint8_t	c[70000], r[70000];
	size_t		cl = mock_hex(cmd, c, sizeof(c));
	size_t		rl = mock_hex(resp, r, sizeof(r));

	return mock_expect(m, cmd ? c : NULL, cl, r, rl);
}

static inline struct mock_step *
mock_expect_control(struct mock *m, uint32_t code, const char *in,
    const char *out)
{
	struct mock_step *s = mock_expect_hex(m, in, out);

	s->control = true;
	s->code = code;
	return s;
}

static inline void
mock_inject(struct mock *m, enum mock_op op, unsigned nth, int rc)
{
	if (m->ninj == MOCK_MAX_INJECT)
		abort();
	m->inj[m->ninj].op = op;
	m->inj[m->ninj].nth = nth;
	m->inj[m->ninj++].rc = rc;
}

/* --- the world -------------------------------------------------------- */

static inline struct mock_reader *
mock_reader_find(struct mock *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nrd; i++)
		if (strcmp(m->rd[i].name, name) == 0)
			return &m->rd[i];
	return NULL;
}

static inline struct mock_reader *
mock_add_reader(struct mock *m, const char *name)
{
	struct mock_reader *r = mock_reader_find(m, name);

	if (r == NULL) {
		if (m->nrd == MOCK_MAX_READERS)
			abort();
		r = &m->rd[m->nrd++];
		memset(r, 0, sizeof(*r));
		snprintf(r->name, sizeof(r->name), "%s", name);
	}
	r->present = true;
	return r;
}

static inline void
mock_unplug(struct mock *m, const char *name)
{
	struct mock_reader *r = mock_reader_find(m, name);

	if (r != NULL) {
		r->present = false;
		if (r->card)
			m->removed = true;
	}
}

static inline void
mock_insert(struct mock *m, const char *name, const char *atr_hex)
{
	struct mock_reader *r = mock_add_reader(m, name);

	r->card = true;
	r->atr_len = mock_hex(atr_hex, r->atr, sizeof(r->atr));
	r->counter++;
}

static inline void
mock_remove(struct mock *m, const char *name)
{
	struct mock_reader *r = mock_reader_find(m, name);

	if (r != NULL && r->card) {
		r->card = false;
		r->atr_len = 0;
		r->counter++;
		m->removed = true;
	}
}

static inline void
mock_pcscd_stop(struct mock *m)
{
	m->down = true;
	m->gen++;
}

static inline void
mock_pcscd_start(struct mock *m)
{
	m->down = false;
}

/* --- the transport ---------------------------------------------------- */

static inline int
mock_enter(struct mock *m, enum mock_op op)
{
	unsigned	n = ++m->calls[op];
	size_t		i;

	for (i = 0; i < m->ninj; i++)
		if (m->inj[i].op == op && m->inj[i].nth == n)
			return m->inj[i].rc;
	return SS_ERR_OK;
}

static inline uint64_t
mock_handle(struct mock *m)
{
	return (uint64_t)m->gen << 32 | ++m->serial;
}

static inline int
mock_valid(const struct mock *m, uint64_t h)
{
	if (m->down || (uint32_t)(h >> 32) != m->gen)
		return SS_ERR_NO_SERVICE;
	return SS_ERR_OK;
}

/* Errors every card call sees, in pcsc-lite's order. */
static inline int
mock_card_state(const struct mock *m, uint64_t h)
{
	int rc;

	if ((rc = mock_valid(m, h)) != SS_ERR_OK)
		return rc;
	if (m->removed)
		return SS_ERR_CARD_REMOVED;
	if (m->reset_pending)
		return SS_ERR_CARD_RESET;
	return SS_ERR_OK;
}

static inline int
mock_establish(void *priv, ss_tctx *ctx)
{
	struct mock	*m = priv;
	int		 rc;

	if ((rc = mock_enter(m, MOP_ESTABLISH)) != SS_ERR_OK)
		return rc;
	if (m->down)
		return SS_ERR_NO_SERVICE;
	*ctx = mock_handle(m);
	return SS_ERR_OK;
}

static inline int
mock_release(void *priv, ss_tctx ctx)
{
	struct mock *m = priv;
	int rc;

	if ((rc = mock_enter(m, MOP_RELEASE)) != SS_ERR_OK)
		return rc;
	return mock_valid(m, ctx);
}

static inline int
mock_list(void *priv, ss_tctx ctx, char *buf, size_t cap, size_t *len)
{
	struct mock	*m = priv;
	size_t		 i, off = 0, l;
	int		 rc;

	if ((rc = mock_enter(m, MOP_LIST)) != SS_ERR_OK ||
	    (rc = mock_valid(m, ctx)) != SS_ERR_OK)
		return rc;
	for (i = 0; i < m->nrd; i++) {
		if (!m->rd[i].present)
			continue;
		l = strlen(m->rd[i].name) + 1;
		if (off + l + 1 > cap)
			return SS_ERR_BUFFER;
		memcpy(buf + off, m->rd[i].name, l);
		off += l;
	}
	if (off == 0)
		return SS_ERR_NO_READER;
	buf[off++] = '\0';
	*len = off;
	return SS_ERR_OK;
}

static inline uint32_t
mock_event(const struct mock_reader *r)
{
	uint32_t ev = r->card ? SS_RS_PRESENT : SS_RS_EMPTY;

	if (r->card && r->mute)
		ev |= SS_RS_MUTE;
	return ev | (uint32_t)r->counter << 16;
}

/* pcsc-lite's comparison, reduced to what readers.c relies on. */
static inline bool
mock_state_one(struct mock *m, struct ss_tstate *st)
{
	struct mock_reader	*r = mock_reader_find(m, st->reader);
	uint32_t		 ev, cur = st->current_state;

	if (strcmp(st->reader, SS_PNP_READER) == 0) {
		st->event_state = 0;
		return false;
	}
	if (r == NULL || !r->present) {
		st->event_state = SS_RS_UNKNOWN | SS_RS_CHANGED;
		st->atr_len = 0;
		return true;
	}
	ev = mock_event(r);
	st->atr_len = r->card ? r->atr_len : 0;
	memcpy(st->atr, r->atr, st->atr_len);
	if (cur == SS_RS_UNAWARE ||
	    (cur & (SS_RS_PRESENT | SS_RS_EMPTY | SS_RS_MUTE)) !=
	    (ev & (SS_RS_PRESENT | SS_RS_EMPTY | SS_RS_MUTE)) ||
	    ((cur >> 16) != 0 && (cur >> 16) != r->counter)) {
		st->event_state = ev | SS_RS_CHANGED;
		return true;
	}
	st->event_state = ev;
	return false;
}

static inline int
mock_check_names(struct mock *m, struct ss_tstate *st, size_t n)
{
	struct mock_reader	*r;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (strcmp(st[i].reader, SS_PNP_READER) == 0)
			continue;
		r = mock_reader_find(m, st[i].reader);
		if (r == NULL || !r->present)
			return SS_ERR_READER_GONE;
	}
	return SS_ERR_OK;
}

static inline bool
mock_state_all(struct mock *m, struct ss_tstate *st, size_t n)
{
	bool	changed = false;
	size_t	i;

	for (i = 0; i < n; i++)
		if (mock_state_one(m, &st[i]))
			changed = true;
	return changed;
}

/* Wait up to ms for a cancel (the world does not change by itself). */
static inline bool
mock_block(struct mock *m, uint32_t ms)
{
	struct timespec	ts;
	bool		cancelled;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ms / 1000u);
	ts.tv_nsec += (long)(ms % 1000u) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&m->mu);
	while (!m->cancelled &&
	    pthread_cond_timedwait(&m->cv, &m->mu, &ts) == 0)
		;
	cancelled = m->cancelled;
	m->cancelled = false;
	pthread_mutex_unlock(&m->mu);
	return cancelled;
}

static inline int
mock_status_change(void *priv, ss_tctx ctx, uint32_t ms,
    struct ss_tstate *st, size_t n)
{
	struct mock	*m = priv;
	size_t		 i;
	int		 rc;

	if ((rc = mock_enter(m, MOP_STATUS_CHANGE)) != SS_ERR_OK ||
	    (rc = mock_valid(m, ctx)) != SS_ERR_OK)
		return rc;
	if (n > SS_TSTATES_MAX)
		return SS_ERR_BAD_ARG;
	if (n > m->max_states_seen)
		m->max_states_seen = n;
	if ((rc = mock_check_names(m, st, n)) != SS_ERR_OK)
		return rc;
	if (mock_state_all(m, st, n))
		return SS_ERR_OK;
	if (ms == 0)
		return SS_ERR_TIMEOUT;
	if (m->on_block != NULL) {	/* one shot: the world changes now */
		mock_block_fn fn = m->on_block;

		m->on_block = NULL;
		fn(m, m->on_block_arg);
		(void)mock_state_all(m, st, n);
		for (i = 0; i < n; i++)
			if (strcmp(st[i].reader, SS_PNP_READER) == 0)
				st[i].event_state = SS_RS_CHANGED;
		return SS_ERR_OK;
	}
	if (mock_block(m, ms > 2000 ? 2000 : ms))
		return SS_ERR_CANCELLED;
	return SS_ERR_TIMEOUT;
}

static inline int
mock_cancel(void *priv, ss_tctx ctx)
{
	struct mock *m = priv;

	(void)ctx;
	pthread_mutex_lock(&m->mu);
	m->calls[MOP_CANCEL]++;
	m->cancelled = true;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	return SS_ERR_OK;
}

static inline int
mock_connect(void *priv, ss_tctx ctx, const char *reader, uint32_t share,
    uint32_t protocols, ss_tcard *card, uint32_t *active)
{
	struct mock		*m = priv;
	struct mock_reader	*r;
	int			 rc;

	(void)share;
	if ((rc = mock_enter(m, MOP_CONNECT)) != SS_ERR_OK ||
	    (rc = mock_valid(m, ctx)) != SS_ERR_OK)
		return rc;
	if (m->connect_rc != SS_ERR_OK)
		return m->connect_rc;
	r = mock_reader_find(m, reader);
	if (r == NULL || !r->present)
		return SS_ERR_READER_GONE;
	if (!r->card)
		return SS_ERR_NO_CARD;
	if ((protocols & m->proto) == 0)
		return SS_ERR_NOT_SUPPORTED;
	m->removed = m->reset_pending = false;
	*card = mock_handle(m);
	*active = m->proto;
	return SS_ERR_OK;
}

static inline int
mock_reconnect(void *priv, ss_tcard card, uint32_t share, uint32_t protocols,
    uint32_t init, uint32_t *active)
{
	struct mock	*m = priv;
	int		 rc;

	(void)share;
	(void)protocols;
	if ((rc = mock_enter(m, MOP_RECONNECT)) != SS_ERR_OK ||
	    (rc = mock_valid(m, card)) != SS_ERR_OK)
		return rc;
	if (m->removed)
		return SS_ERR_CARD_REMOVED;
	m->reset_pending = false;
	m->last_reconnect_init = init;
	*active = m->proto;
	return SS_ERR_OK;
}

static inline int
mock_disconnect(void *priv, ss_tcard card, uint32_t disposition)
{
	struct mock *m = priv;
	int rc;

	(void)disposition;
	if ((rc = mock_enter(m, MOP_DISCONNECT)) != SS_ERR_OK)
		return rc;
	return mock_valid(m, card);
}

static inline int
mock_begin(void *priv, ss_tcard card)
{
	struct mock *m = priv;
	int rc;

	if ((rc = mock_enter(m, MOP_BEGIN)) != SS_ERR_OK)
		return rc;
	return mock_card_state(m, card);
}

static inline int
mock_end(void *priv, ss_tcard card, uint32_t disposition)
{
	struct mock *m = priv;
	int rc;

	(void)disposition;
	if ((rc = mock_enter(m, MOP_END)) != SS_ERR_OK)
		return rc;
	return mock_card_state(m, card);
}

/* The ATR of the first reader holding a card. */
static inline int
mock_status(void *priv, ss_tcard card, uint32_t *state, uint8_t *atr,
    size_t cap, size_t *len)
{
	struct mock	*m = priv;
	size_t		 i;
	int		 rc;

	if ((rc = mock_enter(m, MOP_STATUS)) != SS_ERR_OK ||
	    (rc = mock_card_state(m, card)) != SS_ERR_OK)
		return rc;
	for (i = 0; i < m->nrd; i++) {
		if (!m->rd[i].card || m->rd[i].atr_len > cap)
			continue;
		memcpy(atr, m->rd[i].atr, m->rd[i].atr_len);
		*len = m->rd[i].atr_len;
		*state = 0x34;
		return SS_ERR_OK;
	}
	return SS_ERR_NO_CARD;
}

static inline void
mock_record(struct mock *m, const uint8_t *cmd, size_t len)
{
	if (m->nsent == MOCK_MAX_SENT)
		return;
	m->sent[m->nsent] = mock_dup(cmd, len);
	m->sent_len[m->nsent++] = len;
}

/* Take the next scripted step; it must be of this kind and match. */
static inline int
mock_step(struct mock *m, bool control, uint32_t code, const uint8_t *cmd,
    size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	struct mock_step *s;

	if (m->next == m->nsteps) {
		snprintf(m->fail, sizeof(m->fail), "unexpected call #%zu",
		    m->next);
		return SS_ERR_COMM;
	}
	s = &m->steps[m->next++];
	if (s->control != control || s->code != code || (!s->any &&
	    (s->cmd_len != len || (len > 0 && memcmp(s->cmd, cmd, len) != 0)))) {
		if (m->fail[0] == '\0')
			snprintf(m->fail, sizeof(m->fail),
			    "step %zu: command mismatch", m->next - 1);
		return SS_ERR_COMM;
	}
	if (s->rc != SS_ERR_OK)
		return s->rc;
	if (s->resp_len > cap)
		return SS_ERR_BUFFER;
	memcpy(out, s->resp, s->resp_len);
	*out_len = s->resp_len;
	return SS_ERR_OK;
}

static inline int
mock_transmit(void *priv, ss_tcard card, uint32_t protocol,
    const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
    size_t *resp_len)
{
	struct mock *m = priv;
	int rc;

	if ((rc = mock_enter(m, MOP_TRANSMIT)) != SS_ERR_OK ||
	    (rc = mock_card_state(m, card)) != SS_ERR_OK)
		return rc;
	if (protocol != m->proto)
		return SS_ERR_BAD_ARG;
	mock_record(m, cmd, len);
	return mock_step(m, false, 0, cmd, len, resp, cap, resp_len);
}

static inline int
mock_control(void *priv, ss_tcard card, uint32_t code, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
	struct mock *m = priv;
	int rc;

	if ((rc = mock_enter(m, MOP_CONTROL)) != SS_ERR_OK ||
	    (rc = mock_card_state(m, card)) != SS_ERR_OK)
		return rc;
	mock_record(m, in, in_len);
	return mock_step(m, true, code, in, in_len, out, cap, out_len);
}

static inline int
mock_get_attrib(void *priv, ss_tcard card, uint32_t attr, uint8_t *buf,
    size_t cap, size_t *len)
{
	struct mock *m = priv;
	int rc;

	if ((rc = mock_enter(m, MOP_ATTRIB)) != SS_ERR_OK ||
	    (rc = mock_card_state(m, card)) != SS_ERR_OK)
		return rc;
	if (attr != 0x0007a007u || !m->has_maxinput)
		return SS_ERR_NOT_SUPPORTED;
	if (cap < 4)
		return SS_ERR_BUFFER;
	buf[0] = (uint8_t)m->maxinput;
	buf[1] = (uint8_t)(m->maxinput >> 8);
	buf[2] = (uint8_t)(m->maxinput >> 16);
	buf[3] = (uint8_t)(m->maxinput >> 24);
	*len = 4;
	return SS_ERR_OK;
}

static const struct ss_transport_ops mock_ops = {
	.establish = mock_establish,
	.release = mock_release,
	.list_readers = mock_list,
	.status_change = mock_status_change,
	.cancel = mock_cancel,
	.connect = mock_connect,
	.reconnect = mock_reconnect,
	.disconnect = mock_disconnect,
	.begin = mock_begin,
	.end = mock_end,
	.status = mock_status,
	.transmit = mock_transmit,
	.control = mock_control,
	.get_attrib = mock_get_attrib,
};

static inline struct ss_transport
mock_transport(struct mock *m)
{
	struct ss_transport t = { &mock_ops, m };

	return t;
}

#endif
