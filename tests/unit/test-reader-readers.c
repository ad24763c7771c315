/*
 * tests/unit/test-reader-readers.c - reader/readers.c against the mock
 * PC/SC world: stable ids, card events, pcscd restarts, wait and cancel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <unistd.h>

#include "reader/readers.h"
#include "mock-transport.h"

#define RA	"Virtual PCD 00 00"
#define RB	"Virtual PCD 00 01"
#define RC	"Yubico YubiKey OTP+FIDO+CCID 00 00"
#define ATR1	"3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 " \
		"4B 65 79 40"
#define ATR2	"3B 7D 96 00 00 80 31 80 65 B0 83 11 17 E5 83 00 90 00"

struct fix {
	struct mock		 m;
	struct ss_transport	 t;
	struct ss_readers	*r;
};

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	mock_init(&f->m);
	f->t = mock_transport(&f->m);
	assert_int_equal(ss_readers_new(&f->r, &f->t), SS_ERR_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	ss_readers_free(&f->r);
	assert_null(f->r);
	mock_free(&f->m);
	free(f);
	return 0;
}

static struct ss_reader_info
info(struct fix *f, unsigned id)
{
	struct ss_reader_info i;

	assert_int_equal(ss_readers_get(f->r, id, &i), SS_ERR_OK);
	return i;
}

static void
test_empty(void **state)
{
	struct fix *f = *state;

	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	assert_int_equal(ss_readers_count(f->r), 0);
	assert_int_equal(ss_readers_seq(f->r), 0);
}

/* Two vpcd readers, no card. */
static void
test_two_readers_no_card(void **state)
{
	struct fix		*f = *state;
	struct ss_reader_info	 i;
	unsigned		 id = 99;

	mock_add_reader(&f->m, RA);
	mock_add_reader(&f->m, RB);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	assert_int_equal(ss_readers_count(f->r), 2);
	i = info(f, 0);
	assert_string_equal(i.name, RA);
	assert_true(i.present);
	assert_false(i.card);
	assert_int_equal(i.atr_len, 0);
	i = info(f, 1);
	assert_string_equal(i.name, RB);
	assert_int_equal(ss_readers_find(f->r, RB, &id), SS_ERR_OK);
	assert_int_equal(id, 1);
	assert_int_equal(ss_readers_find(f->r, RC, &id), SS_ERR_NO_READER);
	assert_int_equal(ss_readers_get(f->r, 2, &i), SS_ERR_BAD_ARG);
}

/* A reader leaves and keeps its id; it comes back to the same id; a new
 * reader gets a new id. */
static void
test_stable_ids(void **state)
{
	struct fix		*f = *state;
	struct ss_reader_info	 i;
	uint64_t		 ev0, seq;

	mock_add_reader(&f->m, RA);
	mock_add_reader(&f->m, RB);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	ev0 = info(f, 0).events;
	seq = ss_readers_seq(f->r);

	mock_unplug(&f->m, RA);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	assert_int_equal(ss_readers_count(f->r), 2);
	i = info(f, 0);
	assert_false(i.present);
	assert_string_equal(i.name, RA);
	assert_true(i.events > ev0);
	assert_true(ss_readers_seq(f->r) > seq);
	assert_true(info(f, 1).present);

	mock_add_reader(&f->m, RC);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	assert_int_equal(ss_readers_count(f->r), 3);
	assert_string_equal(info(f, 2).name, RC);

	mock_add_reader(&f->m, RA);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	assert_int_equal(ss_readers_count(f->r), 3);
	i = info(f, 0);
	assert_true(i.present);
	assert_string_equal(i.name, RA);
}

/* Nothing changes: no events, the sequence number stays. */
static void
test_refresh_idempotent(void **state)
{
	struct fix	*f = *state;
	uint64_t	 seq, ev;

	mock_insert(&f->m, RA, ATR1);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	seq = ss_readers_seq(f->r);
	ev = info(f, 0).events;
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	assert_int_equal(ss_readers_seq(f->r), seq);
	assert_int_equal(info(f, 0).events, ev);
}

static void
test_card_events(void **state)
{
	struct fix		*f = *state;
	struct ss_reader_info	 i;
	uint64_t		 cs;

	mock_add_reader(&f->m, RA);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	cs = info(f, 0).card_seq;
	mock_insert(&f->m, RA, ATR1);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	i = info(f, 0);
	assert_true(i.card);
	assert_int_equal(i.atr_len, 23);
	assert_int_equal(i.atr[1], 0xfd);
	assert_true(i.card_seq > cs);
	cs = i.card_seq;
	mock_remove(&f->m, RA);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	i = info(f, 0);
	assert_false(i.card);
	assert_int_equal(i.atr_len, 0);
	assert_true(i.card_seq > cs);
}

/* Removed and re-inserted between two refreshes: both snapshots say
 * "card present, same ATR", pcsc-lite's event counter tells. */
static void
test_card_swap_same_atr(void **state)
{
	struct fix	*f = *state;
	uint64_t	 cs;

	mock_insert(&f->m, RA, ATR1);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	cs = info(f, 0).card_seq;
	mock_remove(&f->m, RA);
	mock_insert(&f->m, RA, ATR1);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	assert_true(info(f, 0).card);
	assert_true(info(f, 0).card_seq > cs);
}

/* A card present from the start (counter 0) swapped: counter 0 -> 2. */
static void
test_card_swap_from_counter_zero(void **state)
{
	struct fix	*f = *state;
	uint64_t	 cs;

	mock_insert(&f->m, RA, ATR1);
	f->m.rd[0].counter = 0;
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	cs = info(f, 0).card_seq;
	mock_remove(&f->m, RA);
	mock_insert(&f->m, RA, ATR1);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	assert_true(info(f, 0).card_seq > cs);
}

/* A different card (ATR) in the same reader. */
static void
test_card_swap_other_atr(void **state)
{
	struct fix	*f = *state;
	uint64_t	 cs;

	mock_insert(&f->m, RA, ATR1);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	cs = info(f, 0).card_seq;
	mock_insert(&f->m, RA, ATR2);	/* no removal seen */
	f->m.rd[0].counter = (uint16_t)(f->m.rd[0].counter - 1);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	assert_true(info(f, 0).card_seq > cs);
	assert_int_equal(info(f, 0).atr_len, 18);
}

/* pcscd goes away: all absent, ids kept; back: same ids, context anew. */
static void
test_pcscd_restart(void **state)
{
	struct fix *f = *state;

	mock_add_reader(&f->m, RA);
	mock_insert(&f->m, RB, ATR1);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	mock_pcscd_stop(&f->m);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_NO_SERVICE);
	assert_int_equal(ss_readers_count(f->r), 2);
	assert_false(info(f, 0).present);
	assert_false(info(f, 1).present);
	assert_false(info(f, 1).card);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_NO_SERVICE);
	mock_pcscd_start(&f->m);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	assert_true(info(f, 0).present);
	assert_true(info(f, 1).card);
	assert_int_equal(ss_readers_count(f->r), 2);
	/* 1 + the retry on a new context at the stop + 1 while down + 1 */
	assert_int_equal(f->m.calls[MOP_ESTABLISH], 4);
	/* restarted between two refreshes: the old context fails, the
	 * first refresh after the restart still sees the readers */
	mock_pcscd_stop(&f->m);
	mock_pcscd_start(&f->m);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	assert_true(info(f, 0).present);
	assert_true(info(f, 1).card);
}

/* More readers than one status_change() takes: polled in batches. */
static void
test_many_readers(void **state)
{
	struct fix	*f = *state;
	char		 name[32];
	unsigned	 i;

	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "Reader %02u", i);
		mock_insert(&f->m, name, ATR2);
	}
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	assert_int_equal(ss_readers_count(f->r), 20);
	for (i = 0; i < 20; i++)
		assert_true(info(f, i).card);
	assert_true(f->m.max_states_seen <= SS_TSTATES_MAX);
}

/* A hostile transport: names too long, no terminator, empty names. */
static int
hostile_list(void *priv, ss_tctx ctx, char *buf, size_t cap, size_t *len)
{
	static const char l[] = "ok\0\0";
	char	long_name[300];

	(void)priv;
	(void)ctx;
	memset(long_name, 'L', sizeof(long_name));
	if (cap < sizeof(long_name) + sizeof(l) + 8)
		return SS_ERR_BUFFER;
	memcpy(buf, l, 3);			/* "ok\0" */
	memcpy(buf + 3, long_name, sizeof(long_name));
	buf[3 + sizeof(long_name) - 1] = '\0';	/* 299 chars: skipped */
	memcpy(buf + 3 + sizeof(long_name), "tail", 4);	/* unterminated */
	*len = 3 + sizeof(long_name) + 4;
	return SS_ERR_OK;
}

static int
hostile_status(void *priv, ss_tctx ctx, uint32_t ms, struct ss_tstate *st,
    size_t n)
{
	size_t i;

	(void)priv;
	(void)ctx;
	(void)ms;
	for (i = 0; i < n; i++) {
		st[i].event_state = SS_RS_PRESENT | SS_RS_CHANGED;
		st[i].atr_len = 1000;		/* lies */
	}
	return SS_ERR_OK;
}

static void
test_hostile_transport(void **state)
{
	struct fix		*f = *state;
	struct ss_transport_ops	 ops = *f->t.ops;
	struct ss_transport	 t = { &ops, &f->m };
	struct ss_readers	*r = NULL;
	struct ss_reader_info	 i;

	ops.list_readers = hostile_list;
	ops.status_change = hostile_status;
	assert_int_equal(ss_readers_new(&r, &t), SS_ERR_OK);
	assert_int_equal(ss_readers_refresh(r), SS_ERR_OK);
	assert_int_equal(ss_readers_count(r), 1);
	assert_int_equal(ss_readers_get(r, 0, &i), SS_ERR_OK);
	assert_string_equal(i.name, "ok");
	assert_false(i.card);		/* an impossible ATR length */
	assert_int_equal(i.atr_len, 0);
	ss_readers_free(&r);
}

/* --- wait / cancel ------------------------------------------------------ */

static void
plug_rc(struct mock *m, void *arg)
{
	(void)arg;
	mock_add_reader(m, RC);
}

static void
insert_card(struct mock *m, void *arg)
{
	(void)arg;
	mock_insert(m, RA, ATR1);
}

/* A reader arrives while we block (seen via PnP). */
static void
test_wait_reader_arrival(void **state)
{
	struct fix	*f = *state;
	uint64_t	 seq;

	mock_add_reader(&f->m, RA);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	seq = ss_readers_seq(f->r);
	f->m.on_block = plug_rc;
	assert_int_equal(ss_readers_wait(f->r, 5000, &seq), SS_ERR_OK);
	assert_int_equal(seq, ss_readers_seq(f->r));
	assert_int_equal(ss_readers_count(f->r), 2);
	assert_string_equal(info(f, 1).name, RC);
	assert_true(info(f, 1).present);
}

static void
test_wait_card_insert(void **state)
{
	struct fix	*f = *state;
	uint64_t	 seq, ev;

	mock_add_reader(&f->m, RA);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	seq = ss_readers_seq(f->r);
	ev = info(f, 0).events;
	f->m.on_block = insert_card;
	assert_int_equal(ss_readers_wait(f->r, 5000, &seq), SS_ERR_OK);
	assert_true(info(f, 0).card);
	assert_true(info(f, 0).events > ev);
}

/* A stale sequence number returns at once, without blocking. */
static void
test_wait_stale_seq(void **state)
{
	struct fix	*f = *state;
	uint64_t	 seq = 0;

	mock_add_reader(&f->m, RA);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	assert_int_equal(ss_readers_wait(f->r, SS_TIMEOUT_INFINITE, &seq),
	    SS_ERR_OK);
	assert_int_equal(seq, ss_readers_seq(f->r));
	assert_int_equal(f->m.calls[MOP_STATUS_CHANGE], 1);	/* refresh */
}

static void
test_wait_timeout(void **state)
{
	struct fix	*f = *state;
	uint64_t	 seq;

	mock_add_reader(&f->m, RA);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	seq = ss_readers_seq(f->r);
	assert_int_equal(ss_readers_wait(f->r, 50, &seq), SS_ERR_TIMEOUT);
	assert_int_equal(ss_readers_wait(f->r, 0, &seq), SS_ERR_TIMEOUT);
}

struct waiter {
	struct ss_readers	*r;
	uint64_t		 seq;
	int			 rc;
};

static void *
wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->rc = ss_readers_wait(w->r, SS_TIMEOUT_INFINITE, &w->seq);
	return NULL;
}

/* C_Finalize cancels a C_WaitForSlotEvent blocked in another thread. */
static void
test_wait_cancel_thread(void **state)
{
	struct fix	*f = *state;
	struct waiter	 w;
	pthread_t	 th;

	mock_add_reader(&f->m, RA);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	w.r = f->r;
	w.seq = ss_readers_seq(f->r);
	w.rc = -1;
	assert_int_equal(pthread_create(&th, NULL, wait_thread, &w), 0);
	usleep(100 * 1000);
	assert_int_equal(ss_readers_cancel(f->r), SS_ERR_OK);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(w.rc, SS_ERR_CANCELLED);
}

static void
test_cancel_before_wait(void **state)
{
	struct fix	*f = *state;
	uint64_t	 seq;

	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	seq = ss_readers_seq(f->r);
	assert_int_equal(ss_readers_cancel(f->r), SS_ERR_OK);
	assert_int_equal(ss_readers_wait(f->r, SS_TIMEOUT_INFINITE, &seq),
	    SS_ERR_CANCELLED);
	/* consumed: the next wait times out normally */
	assert_int_equal(ss_readers_wait(f->r, 10, &seq), SS_ERR_TIMEOUT);
}

/* pcscd stops during a wait: the readers vanish, which is a change. */
static void
stop_pcscd(struct mock *m, void *arg)
{
	(void)arg;
	mock_pcscd_stop(m);
}

static void
test_wait_pcscd_stop(void **state)
{
	struct fix	*f = *state;
	uint64_t	 seq;

	mock_add_reader(&f->m, RA);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	seq = ss_readers_seq(f->r);
	f->m.on_block = stop_pcscd;
	assert_int_equal(ss_readers_wait(f->r, 5000, &seq), SS_ERR_OK);
	assert_false(info(f, 0).present);
	/* still down: the wait keeps retrying until its timeout */
	assert_int_equal(ss_readers_wait(f->r, 300, &seq), SS_ERR_TIMEOUT);
	mock_pcscd_start(&f->m);
	assert_int_equal(ss_readers_wait(f->r, 5000, &seq), SS_ERR_OK);
	assert_true(info(f, 0).present);
}

/* pcsc-lite reports a comm error when pcscd dies under a blocking call:
 * the wait drops its context and goes on. */
static void
test_wait_comm_error_retries(void **state)
{
	struct fix	*f = *state;
	uint64_t	 seq;
	unsigned	 est;

	mock_add_reader(&f->m, RA);
	assert_int_equal(ss_readers_refresh(f->r), SS_ERR_OK);
	seq = ss_readers_seq(f->r);
	est = f->m.calls[MOP_ESTABLISH];
	mock_inject(&f->m, MOP_STATUS_CHANGE, 2, SS_ERR_COMM);
	f->m.on_block = insert_card;
	assert_int_equal(ss_readers_wait(f->r, 5000, &seq), SS_ERR_OK);
	assert_true(info(f, 0).card);
	assert_int_equal(f->m.calls[MOP_ESTABLISH], est + 2);
}

static void
test_bad_args(void **state)
{
	struct fix		*f = *state;
	struct ss_readers	*r = NULL;
	struct ss_transport	 t = { NULL, NULL };

	assert_int_equal(ss_readers_new(&r, &t), SS_ERR_BAD_ARG);
	assert_int_equal(ss_readers_new(NULL, &f->t), SS_ERR_BAD_ARG);
	assert_int_equal(ss_readers_refresh(NULL), SS_ERR_BAD_ARG);
	assert_int_equal(ss_readers_wait(f->r, 0, NULL), SS_ERR_BAD_ARG);
	ss_readers_free(NULL);
	ss_readers_free(&r);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_empty),
		T(test_two_readers_no_card),
		T(test_stable_ids),
		T(test_refresh_idempotent),
		T(test_card_events),
		T(test_card_swap_same_atr),
		T(test_card_swap_from_counter_zero),
		T(test_card_swap_other_atr),
		T(test_pcscd_restart),
		T(test_many_readers),
		T(test_hostile_transport),
		T(test_wait_reader_arrival),
		T(test_wait_card_insert),
		T(test_wait_stale_seq),
		T(test_wait_timeout),
		T(test_wait_cancel_thread),
		T(test_cancel_before_wait),
		T(test_wait_pcscd_stop),
		T(test_wait_comm_error_retries),
		T(test_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
