/*
 * tests/unit/emu-transport.c - see emu-transport.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu-transport.h"
#include "token-emu/card.h"

#define ETR_CTX_BASE	0x1000u
#define ETR_FEATURE_TLV_LEN	6

/* --- the world (caller holds tr->mu) ---------------------------------- */

static void
etr_changed(struct emu_tr *tr)
{
	tr->world++;
	pthread_cond_broadcast(&tr->cv);
}

static struct emu_tr_reader *
etr_reader(struct emu_tr *tr, unsigned r)
{
	return r < tr->nrd ? &tr->rd[r] : NULL;
}

static struct emu_tr_conn *
etr_conn(struct emu_tr *tr, uint64_t h)
{
	if (h == 0 || h > EMU_TR_CONNS || !tr->conn[h - 1].used)
		return NULL;
	return &tr->conn[h - 1];
}

/* The errors every call on a connection sees, in pcsc-lite's order. */
static int
etr_state(struct emu_tr *tr, uint64_t h, struct emu_tr_reader **rp)
{
	struct emu_tr_conn	*c = etr_conn(tr, h);
	struct emu_tr_reader	*r;

	if (c == NULL)
		return SS_ERR_NO_SERVICE;
	r = &tr->rd[c->reader];
	*rp = r;
	if (!r->present)
		return SS_ERR_READER_GONE;
	if (r->ctx == NULL || c->card_gen != r->card_gen)
		return SS_ERR_CARD_REMOVED;
	if (c->reset_gen != r->reset_gen)
		return SS_ERR_CARD_RESET;
	return SS_ERR_OK;
}

/* --- the transport ------------------------------------------------------ */

static int
etr_establish(void *priv, ss_tctx *ctx)
{
	struct emu_tr *tr = priv;

	pthread_mutex_lock(&tr->mu);
	*ctx = ETR_CTX_BASE + ++tr->next_ctx;
	pthread_mutex_unlock(&tr->mu);
	return SS_ERR_OK;
}

static int
etr_release(void *priv, ss_tctx ctx)
{
	(void)priv;
	(void)ctx;
	return SS_ERR_OK;
}

static int
etr_list(void *priv, ss_tctx ctx, char *buf, size_t cap, size_t *len)
{
	struct emu_tr	*tr = priv;
	size_t		 off = 0, l;
	unsigned	 i;
	int		 rc = SS_ERR_OK;

	(void)ctx;
	pthread_mutex_lock(&tr->mu);
	tr->lists++;
	for (i = 0; i < tr->nrd && rc == SS_ERR_OK; i++) {
		if (!tr->rd[i].present)
			continue;
		l = strlen(tr->rd[i].name) + 1;
		if (off + l + 1 > cap)
			rc = SS_ERR_BUFFER;
		else {
			memcpy(buf + off, tr->rd[i].name, l);
			off += l;
		}
	}
	if (rc == SS_ERR_OK && off > 0)
		buf[off++] = '\0';
	if (rc == SS_ERR_OK)
		*len = off;
	pthread_mutex_unlock(&tr->mu);
	return rc;
}

static struct emu_tr_reader *
etr_reader_named(struct emu_tr *tr, const char *name)
{
	unsigned i;

	for (i = 0; i < tr->nrd; i++)
		if (strcmp(tr->rd[i].name, name) == 0)
			return &tr->rd[i];
	return NULL;
}

static uint32_t
etr_event(const struct emu_tr_reader *r)
{
	uint32_t ev = r->ctx != NULL ? SS_RS_PRESENT : SS_RS_EMPTY;

	return ev | (uint32_t)r->counter << 16;
}

/* One entry; true when it differs from what the caller believes. */
static bool
etr_state_one(struct emu_tr *tr, struct ss_tstate *st, bool pnp_changed)
{
	struct emu_tr_reader	*r;
	uint32_t		 ev, cur = st->current_state;
	const uint32_t		 m = SS_RS_PRESENT | SS_RS_EMPTY;

	if (strcmp(st->reader, SS_PNP_READER) == 0) {
		st->event_state = pnp_changed ? SS_RS_CHANGED : 0;
		return pnp_changed;
	}
	r = etr_reader_named(tr, st->reader);
	if (r == NULL || !r->present) {
		st->event_state = SS_RS_UNKNOWN | SS_RS_CHANGED;
		st->atr_len = 0;
		return true;
	}
	ev = etr_event(r);
	st->atr_len = 0;
	if (r->ctx != NULL) {
		st->atr_len = r->ctx->card->atr_len;
		memcpy(st->atr, r->ctx->card->atr, st->atr_len);
	}
	if (cur == SS_RS_UNAWARE || (cur & m) != (ev & m) ||
	    ((cur >> 16) != 0 && (cur >> 16) != r->counter)) {
		st->event_state = ev | SS_RS_CHANGED;
		return true;
	}
	st->event_state = ev;
	return false;
}

static bool
etr_state_all(struct emu_tr *tr, struct ss_tstate *st, size_t n, bool pnp)
{
	bool	changed = false;
	size_t	i;

	for (i = 0; i < n; i++)
		if (etr_state_one(tr, &st[i], pnp))
			changed = true;
	return changed;
}

static void
etr_deadline(struct timespec *ts, uint32_t ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += (time_t)(ms / 1000u);
	ts->tv_nsec += (long)(ms % 1000u) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int
etr_status_change(void *priv, ss_tctx ctx, uint32_t ms, struct ss_tstate *st,
    size_t n)
{
	struct emu_tr	*tr = priv;
	struct timespec	 ts;
	uint64_t	 world;
	int		 rc = SS_ERR_TIMEOUT, w = 0;

	(void)ctx;
	if (n > SS_TSTATES_MAX)
		return SS_ERR_BAD_ARG;
	pthread_mutex_lock(&tr->mu);
	world = tr->world;
	if (etr_state_all(tr, st, n, false))
		rc = SS_ERR_OK;
	else if (ms > 0) {
		etr_deadline(&ts, ms > 2000 ? 2000 : ms);
		while (!tr->cancelled && tr->world == world && w == 0)
			w = pthread_cond_timedwait(&tr->cv, &tr->mu, &ts);
		if (tr->cancelled) {
			tr->cancelled = false;
			rc = SS_ERR_CANCELLED;
		} else if (tr->world != world) {
			(void)etr_state_all(tr, st, n, true);
			rc = SS_ERR_OK;
		}
	}
	pthread_mutex_unlock(&tr->mu);
	return rc;
}

static int
etr_cancel(void *priv, ss_tctx ctx)
{
	struct emu_tr *tr = priv;

	(void)ctx;
	pthread_mutex_lock(&tr->mu);
	tr->cancelled = true;
	pthread_cond_broadcast(&tr->cv);
	pthread_mutex_unlock(&tr->mu);
	return SS_ERR_OK;
}

static int
etr_connect_locked(struct emu_tr *tr, struct emu_tr_reader *r,
    ss_tcard *card)
{
	unsigned i;

	if (r == NULL || !r->present)
		return SS_ERR_READER_GONE;
	if (r->ctx == NULL)
		return SS_ERR_NO_CARD;
	for (i = 0; i < EMU_TR_CONNS; i++) {
		if (tr->conn[i].used)
			continue;
		tr->conn[i].used = true;
		tr->conn[i].reader = (unsigned)(r - tr->rd);
		tr->conn[i].card_gen = r->card_gen;
		tr->conn[i].reset_gen = r->reset_gen;
		*card = i + 1;
		return SS_ERR_OK;
	}
	return SS_ERR_NO_MEMORY;
}

static int
etr_connect(void *priv, ss_tctx ctx, const char *reader, uint32_t share,
    uint32_t protocols, ss_tcard *card, uint32_t *active)
{
	struct emu_tr	*tr = priv;
	int		 rc;

	(void)ctx;
	(void)share;
	if ((protocols & SS_PROTO_T1) == 0)
		return SS_ERR_NOT_SUPPORTED;
	pthread_mutex_lock(&tr->mu);
	rc = etr_connect_locked(tr, etr_reader_named(tr, reader), card);
	pthread_mutex_unlock(&tr->mu);
	if (rc == SS_ERR_OK)
		*active = SS_PROTO_T1;
	return rc;
}

static void
etr_reset_locked(struct emu_tr *tr, struct emu_tr_reader *r)
{
	if (r->ctx == NULL)
		return;
	emu_power_on(r->ctx);
	r->reset_gen++;
	r->tx_owner = 0;
	etr_changed(tr);
}

static int
etr_reconnect(void *priv, ss_tcard card, uint32_t share, uint32_t protocols,
    uint32_t init, uint32_t *active)
{
	struct emu_tr		*tr = priv;
	struct emu_tr_reader	*r = NULL;
	int			 rc;

	(void)share;
	(void)protocols;
	pthread_mutex_lock(&tr->mu);
	rc = etr_state(tr, card, &r);
	if (rc == SS_ERR_OK || rc == SS_ERR_CARD_RESET) {
		if (init == SS_RESET_CARD || init == SS_UNPOWER_CARD)
			etr_reset_locked(tr, r);
		tr->conn[card - 1].reset_gen = r->reset_gen;
		if (r->tx_owner == card)
			r->tx_owner = 0;
		*active = SS_PROTO_T1;
		rc = SS_ERR_OK;
	}
	pthread_mutex_unlock(&tr->mu);
	return rc;
}

static int
etr_disconnect(void *priv, ss_tcard card, uint32_t disposition)
{
	struct emu_tr		*tr = priv;
	struct emu_tr_conn	*c;

	pthread_mutex_lock(&tr->mu);
	if ((c = etr_conn(tr, card)) != NULL) {
		if (tr->rd[c->reader].tx_owner == card)
			tr->rd[c->reader].tx_owner = 0;
		if (disposition == SS_RESET_CARD &&
		    c->card_gen == tr->rd[c->reader].card_gen)
			etr_reset_locked(tr, &tr->rd[c->reader]);
		memset(c, 0, sizeof(*c));
	}
	pthread_mutex_unlock(&tr->mu);
	return c == NULL ? SS_ERR_NO_SERVICE : SS_ERR_OK;
}

static int
etr_begin(void *priv, ss_tcard card)
{
	struct emu_tr		*tr = priv;
	struct emu_tr_reader	*r = NULL;
	int			 rc;

	pthread_mutex_lock(&tr->mu);
	rc = etr_state(tr, card, &r);
	if (rc == SS_ERR_OK && r->tx_owner != 0 && r->tx_owner != card) {
		tr->interleaved++;
		rc = SS_ERR_SHARING;
	} else if (rc == SS_ERR_OK)
		r->tx_owner = card;
	pthread_mutex_unlock(&tr->mu);
	return rc;
}

static int
etr_end(void *priv, ss_tcard card, uint32_t disposition)
{
	struct emu_tr		*tr = priv;
	struct emu_tr_reader	*r = NULL;
	int			 rc;

	pthread_mutex_lock(&tr->mu);
	rc = etr_state(tr, card, &r);
	if (r != NULL && r->tx_owner == card)
		r->tx_owner = 0;
	if (rc == SS_ERR_OK && disposition == SS_RESET_CARD)
		etr_reset_locked(tr, r);
	pthread_mutex_unlock(&tr->mu);
	return rc;
}

static int
etr_status(void *priv, ss_tcard card, uint32_t *state, uint8_t *atr,
    size_t cap, size_t *len)
{
	struct emu_tr		*tr = priv;
	struct emu_tr_reader	*r = NULL;
	int			 rc;

	pthread_mutex_lock(&tr->mu);
	rc = etr_state(tr, card, &r);
	if (rc == SS_ERR_OK && r->ctx->card->atr_len > cap)
		rc = SS_ERR_BUFFER;
	if (rc == SS_ERR_OK) {
		*state = SS_RS_PRESENT;
		memcpy(atr, r->ctx->card->atr, r->ctx->card->atr_len);
		*len = r->ctx->card->atr_len;
	}
	pthread_mutex_unlock(&tr->mu);
	return rc;
}

/* One APDU through the card's engine (tr->mu held). */
static int
etr_process(struct emu_tr *tr, struct emu_tr_reader *r, const uint8_t *cmd,
    size_t len, uint8_t *resp, size_t cap, size_t *rlen)
{
	static uint8_t	buf[EMU_RESP_MAX];
	size_t		n = 0;

	tr->transmits++;
	emu_process(r->ctx, cmd, len, buf, &n);
	if (n > cap) {
		memset(buf, 0, n);
		return SS_ERR_BUFFER;
	}
	memcpy(resp, buf, n);
	memset(buf, 0, n);
	*rlen = n;
	return SS_ERR_OK;
}

static int
etr_transmit(void *priv, ss_tcard card, uint32_t proto, const uint8_t *cmd,
    size_t len, uint8_t *resp, size_t cap, size_t *rlen)
{
	struct emu_tr		*tr = priv;
	struct emu_tr_reader	*r = NULL;
	int			 rc;

	(void)proto;
	pthread_mutex_lock(&tr->mu);
	rc = etr_state(tr, card, &r);
	if (rc == SS_ERR_OK && r->tx_owner != 0 && r->tx_owner != card) {
		tr->interleaved++;
		rc = SS_ERR_SHARING;
	}
	if (rc == SS_ERR_OK)
		rc = etr_process(tr, r, cmd, len, resp, cap, rlen);
	pthread_mutex_unlock(&tr->mu);
	return rc;
}

/* The PIN pad: the PIN_VERIFY_STRUCTURE carries the VERIFY APDU at offset
 * 19; the "user" types the PIN over its FF padding. */
static int
etr_pinpad_verify(struct emu_tr *tr, struct emu_tr_reader *r,
    const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *n)
{
	uint8_t	apdu[13], resp[EMU_RESP_MAX];
	size_t	rl = 0, pl = strlen(r->pinpad_pin);
	int	rc;

	if (in_len != 32 || cap < 2 || pl > 8)
		return SS_ERR_BAD_ARG;
	memcpy(apdu, in + 19, sizeof(apdu));
	memcpy(apdu + 5, r->pinpad_pin, pl);
	rc = etr_process(tr, r, apdu, sizeof(apdu), resp, sizeof(resp), &rl);
	memset(apdu, 0, sizeof(apdu));
	if (rc != SS_ERR_OK || rl < 2)
		return SS_ERR_COMM;
	out[0] = resp[rl - 2];
	out[1] = resp[rl - 1];
	*n = 2;
	return SS_ERR_OK;
}

static int
etr_control_locked(struct emu_tr *tr, struct emu_tr_reader *r, uint32_t code,
    const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *n)
{
	static const uint8_t feat[ETR_FEATURE_TLV_LEN] = {
		0x06, 0x04, 0x42, 0x33, 0x00, 0x06
	};

	if (!r->pinpad)
		return SS_ERR_NOT_SUPPORTED;
	if (code == 0x42000d48u) {
		if (cap < sizeof(feat))
			return SS_ERR_BUFFER;
		memcpy(out, feat, sizeof(feat));
		*n = sizeof(feat);
		return SS_ERR_OK;
	}
	if (code == EMU_TR_PINPAD_CODE)
		return etr_pinpad_verify(tr, r, in, in_len, out, cap, n);
	return SS_ERR_NOT_SUPPORTED;
}

static int
etr_control(void *priv, ss_tcard card, uint32_t code, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, size_t *n)
{
	struct emu_tr		*tr = priv;
	struct emu_tr_reader	*r = NULL;
	int			 rc;

	pthread_mutex_lock(&tr->mu);
	rc = etr_state(tr, card, &r);
	if (rc == SS_ERR_OK)
		rc = etr_control_locked(tr, r, code, in, in_len, out, cap, n);
	pthread_mutex_unlock(&tr->mu);
	return rc;
}

static const struct ss_transport_ops etr_ops = {
	.establish = etr_establish,
	.release = etr_release,
	.list_readers = etr_list,
	.status_change = etr_status_change,
	.cancel = etr_cancel,
	.connect = etr_connect,
	.reconnect = etr_reconnect,
	.disconnect = etr_disconnect,
	.begin = etr_begin,
	.end = etr_end,
	.status = etr_status,
	.transmit = etr_transmit,
	.control = etr_control,
	.get_attrib = NULL,
};

/* --- the test's side ---------------------------------------------------- */

void
emu_tr_init(struct emu_tr *tr)
{
	memset(tr, 0, sizeof(*tr));
	pthread_mutex_init(&tr->mu, NULL);
	pthread_cond_init(&tr->cv, NULL);
}

void
emu_tr_free(struct emu_tr *tr)
{
	unsigned i;

	for (i = 0; i < tr->nrd; i++)
		free(tr->rd[i].ctx);
	pthread_cond_destroy(&tr->cv);
	pthread_mutex_destroy(&tr->mu);
	memset(tr, 0, sizeof(*tr));
}

void
emu_tr_transport(struct emu_tr *tr, struct ss_transport *t)
{
	t->ops = &etr_ops;
	t->priv = tr;
}

unsigned
emu_tr_add_reader(struct emu_tr *tr, const char *name)
{
	struct emu_tr_reader	*r;
	unsigned		 i;

	pthread_mutex_lock(&tr->mu);
	if ((r = etr_reader_named(tr, name)) == NULL) {
		if (tr->nrd == EMU_TR_READERS)
			abort();
		r = &tr->rd[tr->nrd++];
		snprintf(r->name, sizeof(r->name), "%s", name);
	}
	r->present = true;
	i = (unsigned)(r - tr->rd);
	etr_changed(tr);
	pthread_mutex_unlock(&tr->mu);
	return i;
}

static void
etr_remove_locked(struct emu_tr *tr, struct emu_tr_reader *r)
{
	if (r->ctx == NULL)
		return;
	free(r->ctx);
	r->ctx = NULL;
	r->card_gen++;
	r->counter++;
	r->tx_owner = 0;
	etr_changed(tr);
}

void
emu_tr_unplug(struct emu_tr *tr, unsigned i)
{
	struct emu_tr_reader *r;

	pthread_mutex_lock(&tr->mu);
	if ((r = etr_reader(tr, i)) != NULL) {
		etr_remove_locked(tr, r);
		r->present = false;
		etr_changed(tr);
	}
	pthread_mutex_unlock(&tr->mu);
}

void
emu_tr_insert(struct emu_tr *tr, unsigned i, struct emu_card *card)
{
	struct emu_tr_reader *r;

	pthread_mutex_lock(&tr->mu);
	if ((r = etr_reader(tr, i)) != NULL) {
		etr_remove_locked(tr, r);
		if ((r->ctx = calloc(1, sizeof(*r->ctx))) == NULL)
			abort();
		r->ctx->card = card;
		emu_power_on(r->ctx);
		r->card_gen++;
		r->counter++;
		etr_changed(tr);
	}
	pthread_mutex_unlock(&tr->mu);
}

void
emu_tr_remove(struct emu_tr *tr, unsigned i)
{
	struct emu_tr_reader *r;

	pthread_mutex_lock(&tr->mu);
	if ((r = etr_reader(tr, i)) != NULL)
		etr_remove_locked(tr, r);
	pthread_mutex_unlock(&tr->mu);
}

void
emu_tr_reset(struct emu_tr *tr, unsigned i)
{
	struct emu_tr_reader *r;

	pthread_mutex_lock(&tr->mu);
	if ((r = etr_reader(tr, i)) != NULL)
		etr_reset_locked(tr, r);
	pthread_mutex_unlock(&tr->mu);
}

void
emu_tr_set_pinpad(struct emu_tr *tr, unsigned i, const char *pin)
{
	struct emu_tr_reader *r;

	pthread_mutex_lock(&tr->mu);
	if ((r = etr_reader(tr, i)) != NULL) {
		r->pinpad = pin != NULL;
		snprintf(r->pinpad_pin, sizeof(r->pinpad_pin), "%s",
		    pin ? pin : "");
	}
	pthread_mutex_unlock(&tr->mu);
}

struct emu_counters
emu_tr_counters(struct emu_tr *tr, unsigned i)
{
	struct emu_counters	 c;
	struct emu_tr_reader	*r;

	memset(&c, 0, sizeof(c));
	pthread_mutex_lock(&tr->mu);
	if ((r = etr_reader(tr, i)) != NULL && r->ctx != NULL)
		c = r->ctx->cnt;
	pthread_mutex_unlock(&tr->mu);
	return c;
}

uint64_t
emu_tr_foreign_connect(struct emu_tr *tr, unsigned i)
{
	ss_tcard	card = 0;
	int		rc;

	pthread_mutex_lock(&tr->mu);
	rc = etr_connect_locked(tr, etr_reader(tr, i), &card);
	pthread_mutex_unlock(&tr->mu);
	return rc == SS_ERR_OK ? card : 0;
}

int
emu_tr_foreign_begin(struct emu_tr *tr, uint64_t card)
{
	return etr_begin(tr, card);
}

int
emu_tr_foreign_end(struct emu_tr *tr, uint64_t card)
{
	return etr_end(tr, card, SS_LEAVE_CARD);
}

void
emu_tr_foreign_disconnect(struct emu_tr *tr, uint64_t card)
{
	(void)etr_disconnect(tr, card, SS_LEAVE_CARD);
}

/* --- test cards ------------------------------------------------------------ */

#include "reader/wipe.h"
#include "token-emu/cardfile.h"
#include "token-emu/identity.h"

int
emu_tr_card_blob(const uint8_t *refs, const uint8_t *algs, size_t n,
    uint8_t **blob, size_t *len)
{
	struct emu_card		card;
	struct emu_ca		ca;
	struct emu_id_opts	o;
	uint8_t			a[EMU_NKEYS];
	char			err[256];
	size_t			i, j;
	int			ret = -1;

	memset(&ca, 0, sizeof(ca));
	memset(a, 0, sizeof(a));
	emu_card_init_empty(&card);
	emu_id_opts_default(&o);
	for (i = 0; i < n; i++)
		for (j = 0; j < EMU_NKEYS; j++)
			if (card.keys[j].ref == refs[i])
				a[j] = algs[i];
	if (emu_ca_create(&ca, err, sizeof(err)) < 0 ||
	    emu_id_build(&card, &ca, a, &o, err, sizeof(err)) < 0 ||
	    emu_cardfile_serialize(&card, blob, len, err, sizeof(err)) < 0) {
		fprintf(stderr, "emu_tr_card_blob: %s\n", err);
		goto fail;
	}
	ret = 0;
fail:
	emu_ca_free(&ca);
	emu_card_free(&card);
	return ret;
}

int
emu_tr_card_parse(struct emu_card *card, const uint8_t *blob, size_t len)
{
	char err[256];

	if (emu_cardfile_parse(blob, len, card, err, sizeof(err)) < 0) {
		fprintf(stderr, "emu_tr_card_parse: %s\n", err);
		return -1;
	}
	return 0;
}
