/*
 * reader/readers.c - reader tracking with stable ids, refresh and wait.
 *
 * One mutex guards the table.  refresh() holds it for its two
 * non-blocking transport calls; wait() drops it while it blocks in
 * status_change() on a context of its own, so that refresh() and get()
 * from other threads go on meanwhile.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "readers.h"

#define RD_LIST_MAX	(SS_TSTATES_MAX * SS_READER_NAME_MAX * 2)
#define RD_SLICE_MS	1000u	/* longest single blocking call */
#define RD_RETRY_MS	1000u	/* pause while pcscd is down */
#define RD_SPIN_MS	100u	/* pause after a racing reader removal */
#define RD_VISIBLE	(SS_RS_PRESENT | SS_RS_MUTE)

struct rd_entry {
	char		name[SS_READER_NAME_MAX];
	bool		present;
	uint32_t	state;		/* last event state, CHANGED cleared */
	uint8_t		atr[SS_ATR_MAX];
	size_t		atr_len;
	uint64_t	events;
	uint64_t	card_seq;
};

struct ss_readers {
	struct ss_transport	t;
	pthread_mutex_t		mu;
	pthread_cond_t		cv;
	ss_tctx			ctx;		/* refresh() */
	bool			have_ctx;
	ss_tctx			wctx;		/* wait() */
	bool			have_wctx;
	bool			waiting;
	bool			cancel;
	uint64_t		seq;
	size_t			n;
	struct rd_entry		ent[SS_READERS_MAX];
};

/* One batch of states for status_change(), with the ids they belong to. */
struct rd_batch {
	struct ss_tstate	st[SS_TSTATES_MAX];
	unsigned		id[SS_TSTATES_MAX];
	size_t			n;
	bool			pnp;	/* st[n - 1] is the PnP reader */
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* --- the table (caller holds r->mu) ----------------------------------- */

static void
rd_bump(struct ss_readers *r, struct rd_entry *e, bool card)
{
	e->events++;
	if (card)
		e->card_seq++;
	r->seq++;
}

static void
rd_set_absent(struct ss_readers *r, struct rd_entry *e)
{
	if (!e->present)
		return;
	rd_bump(r, e, (e->state & SS_RS_PRESENT) != 0);
	e->present = false;
	e->state = SS_RS_UNAWARE;
	e->atr_len = 0;
}

static void
rd_all_absent(struct ss_readers *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		rd_set_absent(r, &r->ent[i]);
}

static struct rd_entry *
rd_lookup(struct ss_readers *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->ent[i].name, name) == 0)
			return &r->ent[i];
	return NULL;
}

/* Find or add; NULL when the table is full. */
static struct rd_entry *
rd_intern(struct ss_readers *r, const char *name, size_t len)
{
	struct rd_entry *e;

	if ((e = rd_lookup(r, name)) != NULL || r->n == SS_READERS_MAX)
		return e;
	e = &r->ent[r->n++];
	memcpy(e->name, name, len + 1);
	return e;
}

static bool
rd_same_card(const struct rd_entry *e, const struct ss_tstate *st,
    uint32_t ev)
{
	if ((ev & SS_RS_PRESENT) != (e->state & SS_RS_PRESENT))
		return false;
	if (!(ev & SS_RS_PRESENT))
		return true;
	if (st->atr_len != e->atr_len || memcmp(st->atr, e->atr,
	    e->atr_len) != 0)
		return false;
	/* pcsc-lite counts insertions and removals (others report 0) */
	return SS_RS_COUNTER(ev) == SS_RS_COUNTER(e->state);
}

/* Fold one reader's new state into the table. */
static void
rd_merge(struct ss_readers *r, struct rd_entry *e, const struct ss_tstate *st)
{
	uint32_t	ev = st->event_state & ~SS_RS_CHANGED;
	bool		same_card;

	if (!e->present)
		return;
	if (ev & (SS_RS_UNKNOWN | SS_RS_IGNORE)) {
		rd_set_absent(r, e);
		return;
	}
	if (st->atr_len > SS_ATR_MAX)
		ev &= ~(uint32_t)SS_RS_PRESENT;	/* a lying transport */
	same_card = rd_same_card(e, st, ev);
	if (!same_card || ((ev ^ e->state) & RD_VISIBLE) != 0)
		rd_bump(r, e, !same_card);
	e->atr_len = (ev & SS_RS_PRESENT) ? st->atr_len : 0;
	memcpy(e->atr, st->atr, e->atr_len);
	e->state = ev;
}

/* --- transport calls (caller holds r->mu) ----------------------------- */

static int
rd_ensure_ctx(struct ss_readers *r, ss_tctx *ctx, bool *have)
{
	int rc;

	if (*have)
		return SS_ERR_OK;
	if ((rc = r->t.ops->establish(r->t.priv, ctx)) == SS_ERR_OK)
		*have = true;
	return rc;
}

static void
rd_drop_ctx(struct ss_readers *r, ss_tctx ctx, bool *have)
{
	if (*have)
		(void)r->t.ops->release(r->t.priv, ctx);
	*have = false;
}

/* Mark the readers named in a multi-string; the others are absent. */
static void
rd_apply_list(struct ss_readers *r, const char *buf, size_t len)
{
	bool	seen[SS_READERS_MAX] = { false };
	size_t	off = 0, l, i;
	struct rd_entry *e;

	while (off < len && buf[off] != '\0') {
		l = strnlen(buf + off, len - off);
		if (l == len - off)
			break;			/* not terminated: ignore */
		if (l < SS_READER_NAME_MAX &&
		    (e = rd_intern(r, buf + off, l)) != NULL) {
			seen[e - r->ent] = true;
			if (!e->present) {
				e->present = true;
				rd_bump(r, e, false);
			}
		}
		off += l + 1;
	}
	for (i = 0; i < r->n; i++)
		if (!seen[i])
			rd_set_absent(r, &r->ent[i]);
}

static int
rd_list(struct ss_readers *r, ss_tctx ctx)
{
	char	*buf;
	size_t	 len = 0;
	int	 rc;

	if ((buf = malloc(RD_LIST_MAX)) == NULL)
		return SS_ERR_NO_MEMORY;
	rc = r->t.ops->list_readers(r->t.priv, ctx, buf, RD_LIST_MAX, &len);
	if (rc == SS_ERR_NO_READER) {
		rc = SS_ERR_OK;
		len = 0;
	}
	if (rc == SS_ERR_OK && len > RD_LIST_MAX)
		rc = SS_ERR_MALFORMED;
	if (rc == SS_ERR_OK)
		rd_apply_list(r, buf, len);
	free(buf);
	return rc;
}

/* Present readers from id *next on, at most one batch; PnP if room. */
static void
rd_batch_fill(struct ss_readers *r, struct rd_batch *b, size_t *next,
    bool aware, bool pnp)
{
	struct rd_entry *e;

	memset(b, 0, sizeof(*b));
	for (; *next < r->n && b->n < SS_TSTATES_MAX; (*next)++) {
		e = &r->ent[*next];
		if (!e->present)
			continue;
		b->id[b->n] = (unsigned)*next;
		b->st[b->n].reader = e->name;
		b->st[b->n++].current_state = aware ? e->state : SS_RS_UNAWARE;
	}
	if (pnp && *next == r->n && b->n < SS_TSTATES_MAX) {
		b->st[b->n++].reader = SS_PNP_READER;
		b->pnp = true;
	}
}

static void
rd_batch_merge(struct ss_readers *r, const struct rd_batch *b, bool all)
{
	size_t i, n = b->pnp ? b->n - 1 : b->n;

	for (i = 0; i < n; i++)
		if (all || (b->st[i].event_state & SS_RS_CHANGED))
			rd_merge(r, &r->ent[b->id[i]], &b->st[i]);
}

/* The current state of every present reader, without waiting. */
static int
rd_poll(struct ss_readers *r, ss_tctx ctx)
{
	struct rd_batch	b;
	size_t		next = 0;
	int		rc = SS_ERR_OK;

	while (rc == SS_ERR_OK && next < r->n) {
		rd_batch_fill(r, &b, &next, false, false);
		if (b.n == 0)
			break;
		rc = r->t.ops->status_change(r->t.priv, ctx, 0, b.st, b.n);
		if (rc == SS_ERR_OK || rc == SS_ERR_TIMEOUT) {
			rd_batch_merge(r, &b, true);
			rc = SS_ERR_OK;
		}
	}
	return rc;
}

static int
rd_refresh_once(struct ss_readers *r)
{
	int rc;

	if ((rc = rd_ensure_ctx(r, &r->ctx, &r->have_ctx)) != SS_ERR_OK)
		goto fail;
	if ((rc = rd_list(r, r->ctx)) != SS_ERR_OK)
		goto fail;
	rc = rd_poll(r, r->ctx);
	if (rc == SS_ERR_READER_GONE && (rc = rd_list(r, r->ctx)) ==
	    SS_ERR_OK)
		rc = rd_poll(r, r->ctx);	/* a reader left meanwhile */
fail:
	/* pcsc-lite says "comm error" when pcscd dies under a call */
	if (rc == SS_ERR_NO_SERVICE || rc == SS_ERR_COMM)
		rd_drop_ctx(r, r->ctx, &r->have_ctx);
	if (rc == SS_ERR_NO_SERVICE)
		rd_all_absent(r);
	return rc;
}

/* A context made before pcscd restarted fails at once: the first refresh
 * after the restart must not report the readers gone, so a failure on an
 * old context is retried once on a new one. */
static int
rd_refresh_locked(struct ss_readers *r)
{
	bool	had = r->have_ctx;
	int	rc = rd_refresh_once(r);

	if (had && !r->have_ctx)
		rc = rd_refresh_once(r);
	return rc;
}

/* --- public: life cycle and queries ----------------------------------- */

static bool
ops_complete(const struct ss_transport_ops *o)
{
	return o != NULL && o->establish != NULL && o->release != NULL &&
	    o->list_readers != NULL && o->status_change != NULL;
}

static int
rd_init_sync(struct ss_readers *r)
{
	pthread_condattr_t	ca;
	int			rc = SS_ERR_NO_MEMORY;

	if (pthread_condattr_init(&ca) != 0)
		return rc;
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
	    pthread_cond_init(&r->cv, &ca) == 0) {
		if (pthread_mutex_init(&r->mu, NULL) == 0)
			rc = SS_ERR_OK;
		else
			pthread_cond_destroy(&r->cv);
	}
	pthread_condattr_destroy(&ca);
	return rc;
}

int
ss_readers_new(struct ss_readers **rp, const struct ss_transport *t)
{
	struct ss_readers *r;

	if (rp == NULL || t == NULL || !ops_complete(t->ops))
		return SS_ERR_BAD_ARG;
	*rp = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return SS_ERR_NO_MEMORY;
	if (rd_init_sync(r) != SS_ERR_OK) {
		free(r);
		return SS_ERR_NO_MEMORY;
	}
	r->t = *t;
	*rp = r;
	return SS_ERR_OK;
}

void
ss_readers_free(struct ss_readers **rp)
{
	struct ss_readers *r;

	if (rp == NULL || (r = *rp) == NULL)
		return;
	rd_drop_ctx(r, r->ctx, &r->have_ctx);
	rd_drop_ctx(r, r->wctx, &r->have_wctx);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
	*rp = NULL;
}

int
ss_readers_refresh(struct ss_readers *r)
{
	int rc;

	if (r == NULL)
		return SS_ERR_BAD_ARG;
	pthread_mutex_lock(&r->mu);
	rc = rd_refresh_locked(r);
	pthread_mutex_unlock(&r->mu);
	return rc;
}

size_t
ss_readers_count(struct ss_readers *r)
{
	size_t n;

	if (r == NULL)
		return 0;
	pthread_mutex_lock(&r->mu);
	n = r->n;
	pthread_mutex_unlock(&r->mu);
	return n;
}

static void
rd_info(const struct rd_entry *e, unsigned id, struct ss_reader_info *info)
{
	memset(info, 0, sizeof(*info));
	info->id = id;
	memcpy(info->name, e->name, sizeof(info->name));
	info->present = e->present;
	info->card = (e->state & SS_RS_PRESENT) != 0;
	info->mute = (e->state & SS_RS_MUTE) != 0;
	info->exclusive = (e->state & SS_RS_EXCLUSIVE) != 0;
	info->inuse = (e->state & SS_RS_INUSE) != 0;
	info->atr_len = e->atr_len;
	memcpy(info->atr, e->atr, e->atr_len);
	info->events = e->events;
	info->card_seq = e->card_seq;
}

int
ss_readers_get(struct ss_readers *r, unsigned id, struct ss_reader_info *info)
{
	int rc = SS_ERR_BAD_ARG;

	if (r == NULL || info == NULL)
		return rc;
	pthread_mutex_lock(&r->mu);
	if (id < r->n) {
		rd_info(&r->ent[id], id, info);
		rc = SS_ERR_OK;
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

int
ss_readers_find(struct ss_readers *r, const char *name, unsigned *id)
{
	struct rd_entry	*e;
	int		 rc = SS_ERR_NO_READER;

	if (r == NULL || name == NULL || id == NULL)
		return SS_ERR_BAD_ARG;
	pthread_mutex_lock(&r->mu);
	if ((e = rd_lookup(r, name)) != NULL) {
		*id = (unsigned)(e - r->ent);
		rc = SS_ERR_OK;
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

uint64_t
ss_readers_seq(struct ss_readers *r)
{
	uint64_t seq;

	if (r == NULL)
		return 0;
	pthread_mutex_lock(&r->mu);
	seq = r->seq;
	pthread_mutex_unlock(&r->mu);
	return seq;
}

/* --- public: waiting -------------------------------------------------- */

/* Sleep up to ms with r->mu released; ss_readers_cancel() wakes it. */
static void
rd_pause(struct ss_readers *r, uint32_t ms)
{
	struct timespec ts;

	if (ms == 0 || clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return;
	ts.tv_sec += (time_t)(ms / 1000u);
	ts.tv_nsec += (long)(ms % 1000u) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	(void)pthread_cond_timedwait(&r->cv, &r->mu, &ts);
}

/* Merge what a blocking round saw, unless a refresh() that ran while we
 * were blocked already stored something at least as new. */
static void
rd_wait_merge(struct ss_readers *r, const struct rd_batch *b)
{
	size_t		i, n = b->pnp ? b->n - 1 : b->n;
	struct rd_entry	*e;

	for (i = 0; i < n; i++) {
		e = &r->ent[b->id[i]];
		if ((b->st[i].event_state & SS_RS_CHANGED) &&
		    e->state == b->st[i].current_state)
			rd_merge(r, e, &b->st[i]);
	}
}

/*
 * One round, called and returning with r->mu held: list the readers
 * (arrivals and removals), then block up to ms in status_change() on the
 * wait context with r->mu released.  The names passed stay valid: table
 * entries are never removed or renamed.  Only the first SS_TSTATES_MAX
 * present readers are watched (PnP needs one of the places).
 */
static int
rd_wait_round(struct ss_readers *r, uint32_t ms, uint64_t seq)
{
	struct rd_batch	b;
	size_t		next = 0;
	ss_tctx		ctx;
	int		rc;

	if ((rc = rd_ensure_ctx(r, &r->wctx, &r->have_wctx)) != SS_ERR_OK)
		return rc;
	if ((rc = rd_list(r, r->wctx)) != SS_ERR_OK || r->seq != seq ||
	    r->cancel)
		return rc;
	rd_batch_fill(r, &b, &next, true, true);
	ctx = r->wctx;
	pthread_mutex_unlock(&r->mu);
	rc = r->t.ops->status_change(r->t.priv, ctx, ms, b.st, b.n);
	pthread_mutex_lock(&r->mu);
	if (rc == SS_ERR_OK)
		rd_wait_merge(r, &b);
	return rc;
}

/* Pause up to cap ms (and no longer than what is left), unless something
 * changed already. */
static void
rd_backoff(struct ss_readers *r, uint64_t seq, uint32_t ms, uint32_t cap)
{
	if (r->seq == seq)
		rd_pause(r, ms < cap ? ms : cap);
}

/* After a round: SS_ERR_OK to go on, anything else ends the wait. */
static int
rd_wait_error(struct ss_readers *r, int rc, uint32_t ms, uint64_t seq)
{
	switch (rc) {
	case SS_ERR_OK:
	case SS_ERR_TIMEOUT:
		return SS_ERR_OK;
	case SS_ERR_CANCELLED:
		r->cancel = true;
		return SS_ERR_OK;
	case SS_ERR_NO_SERVICE:
		rd_drop_ctx(r, r->wctx, &r->have_wctx);
		rd_all_absent(r);
		rd_backoff(r, seq, ms, RD_RETRY_MS);
		return SS_ERR_OK;
	case SS_ERR_COMM:	/* e.g. pcscd died under the call: retry */
		rd_drop_ctx(r, r->wctx, &r->have_wctx);
		rd_backoff(r, seq, ms, RD_SPIN_MS);
		return SS_ERR_OK;
	case SS_ERR_READER_GONE:
		rd_backoff(r, seq, ms, RD_SPIN_MS);
		return SS_ERR_OK;
	default:
		return rc;
	}
}

static uint32_t
rd_left(uint64_t deadline, uint32_t timeout_ms)
{
	uint64_t now = now_ms();

	if (timeout_ms == SS_TIMEOUT_INFINITE)
		return RD_SLICE_MS;
	if (now >= deadline)
		return 0;
	return (uint32_t)(deadline - now);
}

static int
rd_wait_locked(struct ss_readers *r, uint32_t timeout_ms, uint64_t *seq)
{
	uint64_t	deadline = now_ms() + timeout_ms;
	uint32_t	ms;
	bool		once = false;
	int		rc;

	for (;;) {
		if (r->cancel) {
			r->cancel = false;
			return SS_ERR_CANCELLED;
		}
		if (r->seq != *seq) {
			*seq = r->seq;
			return SS_ERR_OK;
		}
		ms = rd_left(deadline, timeout_ms);
		if (once && ms == 0)
			return SS_ERR_TIMEOUT;
		once = true;
		rc = rd_wait_round(r, ms < RD_SLICE_MS ? ms : RD_SLICE_MS, *seq);
		if ((rc = rd_wait_error(r, rc, ms, *seq)) != SS_ERR_OK)
			return rc;
	}
}

int
ss_readers_wait(struct ss_readers *r, uint32_t timeout_ms, uint64_t *seq)
{
	int rc = SS_ERR_BAD_ARG;

	if (r == NULL || seq == NULL)
		return rc;
	pthread_mutex_lock(&r->mu);
	if (!r->waiting) {
		r->waiting = true;
		rc = rd_wait_locked(r, timeout_ms, seq);
		r->waiting = false;
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

int
ss_readers_cancel(struct ss_readers *r)
{
	if (r == NULL)
		return SS_ERR_BAD_ARG;
	pthread_mutex_lock(&r->mu);
	r->cancel = true;
	if (r->waiting && r->have_wctx && r->t.ops->cancel != NULL)
		(void)r->t.ops->cancel(r->t.priv, r->wctx);
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return SS_ERR_OK;
}
