/*
 * token-emu/run.c - the emulator's runtime: one thread per card between
 * vpcd and the engine, a main thread that turns signals into requests.
 *
 * Signals are blocked in every thread and read from a signalfd by the
 * main thread, so no work happens in a signal handler.  The main thread
 * passes requests to a card thread through atomics and wakes it with a
 * byte on the card's pipe; a card thread only ever blocks in poll() on
 * that pipe (plus its socket), so stop and pull requests are seen at once.
 */
#include <sys/signalfd.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reader/apdu.h"
#include "reader/wipe.h"
#include "cardfile.h"
#include "counters.h"
#include "engine.h"
#include "log.h"
#include "run.h"
#include "trace.h"
#include "vpcd.h"

struct run_card {
	unsigned		 no;		/* 1-based, as in logs */
	const struct emu_run_opts *opts;
	struct emu_card		 card;
	bool			 loaded;
	struct emu_ctx		 ctx;
	struct emu_vpcd		 vpcd;
	struct emu_tracer	 tracer;
	struct emu_counters_file cfile;
	bool			 has_cfile;
	bool			 cfile_failed;	/* logged once */
	bool			 save_failing;	/* logged once */
	uint64_t		 pulls;
	uint64_t		 received;	/* APDUs, for --pull-after */
	bool			 pulled;	/* removed: stay disconnected */
	bool			 waiting;	/* "waiting for vpcd" logged */
	bool			 odd_ctl;	/* unknown control logged */
	bool			 heard;		/* vpcd spoke since we connected */
	int64_t			 connected_ms;
	unsigned		 seen_gen;
	int			 wake[2];	/* main -> card thread */
	atomic_bool		 stop;
	atomic_uint		 ev;		/* (generation << 1) | insert */
	pthread_t		 thread;
	bool			 started;
	uint8_t			 resp[EMU_RESP_MAX];
};

struct run {
	const struct emu_run_opts *opts;
	struct emu_trace	*trace;
	struct run_card		**cards;
	size_t			 ncards;
	int			 sigfd;
	bool			 pidfile_written;
};

/* ---- card thread: waiting ---- */

static void
card_drain_wake(struct run_card *rc)
{
	uint8_t buf[64];

	while (read(rc->wake[0], buf, sizeof(buf)) > 0)
		continue;
}

/* sleep up to ms (-1: until woken); returns early when woken */
static void
card_wait(struct run_card *rc, int ms)
{
	struct pollfd pfd;

	pfd.fd = rc->wake[0];
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, ms) > 0)
		card_drain_wake(rc);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* the full delay, unless a stop request comes in */
static void
card_delay(struct run_card *rc, uint64_t ms)
{
	int64_t end, left;

	if (ms == 0)
		return;
	if (ms > EMU_RUN_DELAY_MAX_MS)
		ms = EMU_RUN_DELAY_MAX_MS;
	end = now_ms() + (int64_t)ms;
	while (!atomic_load(&rc->stop) && (left = end - now_ms()) > 0)
		card_wait(rc, (int)left);
}

/* ---- card thread: state changes ---- */

static void
card_write_counters(struct run_card *rc)
{
	if (!rc->has_cfile)
		return;
	if (emu_counters_write(&rc->cfile, &rc->ctx.cnt, rc->pulls) == 0) {
		rc->cfile_failed = false;
		return;
	}
	if (!rc->cfile_failed)
		emu_log("card %u: counters file %s: %s", rc->no,
		    rc->cfile.path, strerror(errno));
	rc->cfile_failed = true;
}

static void
card_lost(struct run_card *rc)
{
	if (rc->vpcd.bad_peer)		/* a protocol error: always logged */
		emu_log("card %u: dropped connection: %s", rc->no,
		    rc->vpcd.why);
	else
		emu_info("card %u: disconnected: %s", rc->no, rc->vpcd.why);
	emu_trace_event(&rc->tracer, "disconnected: %s", rc->vpcd.why);
	emu_vpcd_close(&rc->vpcd);
	emu_session_reset(&rc->ctx.sess);
	card_wait(rc, EMU_RUN_RETRY_MS);	/* no reconnect storm */
}

static void
card_pull(struct run_card *rc, const char *why)
{
	emu_vpcd_close(&rc->vpcd);
	emu_session_reset(&rc->ctx.sess);
	rc->pulled = true;
	rc->pulls++;
	card_write_counters(rc);
	emu_info("card %u: pulled (%s)", rc->no, why);
	emu_trace_event(&rc->tracer, "pulled (%s)", why);
}

static void
card_insert(struct run_card *rc)
{
	rc->pulled = false;
	rc->waiting = false;
	emu_info("card %u: inserted (SIGUSR2)", rc->no);
	emu_trace_event(&rc->tracer, "inserted (SIGUSR2)");
}

/* pull/insert requests posted by the main thread; the latest one wins,
 * but a pull and an insert both missed still bounce the card */
static void
card_apply_requests(struct run_card *rc)
{
	unsigned e = atomic_load(&rc->ev), gen = e >> 1, n;

	if (gen == rc->seen_gen)
		return;
	n = (gen - rc->seen_gen) & 0x7fffffffu;
	rc->seen_gen = gen;
	if ((e & 1) == 0) {
		if (!rc->pulled)
			card_pull(rc, "SIGUSR1");
		return;
	}
	if (n > 1 && !rc->pulled)
		card_pull(rc, "SIGUSR1");
	if (rc->pulled)
		card_insert(rc);
}

static void
card_connect(struct run_card *rc)
{
	const struct emu_vpcd *v = &rc->vpcd;

	if (emu_vpcd_connect(&rc->vpcd, rc->wake[0]) == 0) {
		emu_info("card %u: connected to vpcd at %s:%s", rc->no,
		    v->host, v->port);
		emu_trace_event(&rc->tracer, "connected to %s:%s", v->host,
		    v->port);
		rc->waiting = false;
		rc->odd_ctl = false;
		rc->heard = false;
		rc->connected_ms = now_ms();
		return;
	}
	if (!rc->waiting)
		emu_info("card %u: waiting for vpcd (%s)", rc->no, v->why);
	rc->waiting = true;
	card_wait(rc, EMU_RUN_RETRY_MS);
}

/* ---- card thread: serving ---- */

static void
card_send(struct run_card *rc, const uint8_t *p, size_t n)
{
	if (emu_vpcd_send(&rc->vpcd, p, n) == 0)
		return;
	if (emu_vpcd_connected(&rc->vpcd))	/* ours: nothing was sent */
		emu_log("card %u: %s", rc->no, rc->vpcd.why);
	else
		card_lost(rc);
}

static void
card_control(struct run_card *rc, uint8_t code)
{
	emu_trace_ctl(&rc->tracer, code);
	switch (code) {
	case EMU_VPCD_CTL_OFF:		/* volatile state gone, not a reset */
		emu_session_reset(&rc->ctx.sess);
		break;
	case EMU_VPCD_CTL_ON:
	case EMU_VPCD_CTL_RESET:
		emu_power_on(&rc->ctx);
		card_write_counters(rc);
		break;
	case EMU_VPCD_CTL_ATR:
		emu_trace_atr(&rc->tracer, rc->card.atr, rc->card.atr_len);
		card_send(rc, rc->card.atr, rc->card.atr_len);
		break;
	default:
		if (!rc->odd_ctl)
			emu_log("card %u: unknown control message %02X "
			    "ignored", rc->no, (unsigned)code);
		rc->odd_ctl = true;
		break;
	}
}

/* a failed save turns the response into 6581: never acknowledge a change
 * that is not on disk.  The card stays dirty, so every later APDU retries
 * the save and gets 6581 too until one succeeds. */
static size_t
card_save(struct run_card *rc, size_t rlen)
{
	char err[256];

	if (!rc->card.dirty)
		return rlen;
	if (emu_cardfile_save(&rc->card, err, sizeof(err)) == 0) {
		if (rc->save_failing)
			emu_log("card %u: saved again", rc->no);
		rc->save_failing = false;
		return rlen;
	}
	if (!rc->save_failing)
		emu_log("card %u: saving failed, answering 6581 until a save "
		    "succeeds: %s", rc->no, err);
	rc->save_failing = true;
	ss_wipe(rc->resp, rlen);
	rc->resp[0] = (uint8_t)(SS_SW_MEMORY_FAILURE >> 8);
	rc->resp[1] = (uint8_t)SS_SW_MEMORY_FAILURE;
	return 2;
}

static void
card_apdu(struct run_card *rc, const uint8_t *cmd, size_t len)
{
	const struct emu_run_opts	*o = rc->opts;
	uint64_t			 keyops = rc->ctx.cnt.keyops;
	size_t				 rlen = 0;

	rc->received++;
	emu_trace_cmd(&rc->tracer, cmd, len);
	if (o->pull_after != 0 && rc->received == o->pull_after) {
		card_pull(rc, "--pull-after");
		return;
	}
	emu_process(&rc->ctx, cmd, len, rc->resp, &rlen);
	if (rlen < 2 || rlen > sizeof(rc->resp)) {	/* engine contract */
		emu_log("card %u: engine returned %zu bytes", rc->no, rlen);
		rc->resp[0] = (uint8_t)(SS_SW_UNKNOWN >> 8);
		rc->resp[1] = (uint8_t)SS_SW_UNKNOWN;
		rlen = 2;
	}
	card_delay(rc, o->apdu_delay_ms + (uint64_t)emu_keyop_delay_ms(
	    &o->keyop_delay, rc->ctx.keyop_alg) *
	    (rc->ctx.cnt.keyops - keyops));
	rlen = card_save(rc, rlen);
	card_write_counters(rc);
	emu_trace_rsp(&rc->tracer, rc->resp, rlen);
	card_send(rc, rc->resp, rlen);
	ss_wipe(rc->resp, rlen);
}

/*
 * pcscd asks vpcd for the ATR every 400 ms, so a new connection that hears
 * nothing for EMU_RUN_HELLO_MS was queued on a listening socket vpcd no
 * longer serves (it happens when a card reconnects right after a kill -9):
 * drop it and connect again.  Once vpcd has spoken, silence is legitimate.
 */
static int
card_hello_timeout(const struct run_card *rc)
{
	int64_t waited = now_ms() - rc->connected_ms;

	if (rc->heard)
		return -1;
	return waited >= EMU_RUN_HELLO_MS ? 0 :
	    (int)(EMU_RUN_HELLO_MS - waited);
}

static void
card_serve(struct run_card *rc)
{
	const uint8_t	*p;
	size_t		 n;
	int		 timeout = card_hello_timeout(rc);

	if (timeout == 0) {
		snprintf(rc->vpcd.why, sizeof(rc->vpcd.why),
		    "vpcd silent for %d ms after connect", EMU_RUN_HELLO_MS);
		card_lost(rc);
		return;
	}
	switch (emu_vpcd_recv(&rc->vpcd, rc->wake[0], timeout, &p, &n)) {
	case EMU_VPCD_FRAME:
		rc->heard = true;
		if (n == 1)
			card_control(rc, p[0]);
		else
			card_apdu(rc, p, n);
		break;
	case EMU_VPCD_IDLE:
		card_drain_wake(rc);
		break;
	default:
		card_lost(rc);
		break;
	}
}

static void *
card_thread(void *arg)
{
	struct run_card *rc = arg;

	while (!atomic_load(&rc->stop)) {
		card_apply_requests(rc);
		if (rc->pulled)
			card_wait(rc, -1);
		else if (!emu_vpcd_connected(&rc->vpcd))
			card_connect(rc);
		else
			card_serve(rc);
	}
	emu_vpcd_close(&rc->vpcd);
	return NULL;
}

/* ---- main thread: cards ---- */

static int
pipe_nonblock(int fd[2])
{
	int i, fl;

	if (pipe(fd) < 0)
		return -1;
	for (i = 0; i < 2; i++)
		if ((fl = fcntl(fd[i], F_GETFL)) < 0 ||
		    fcntl(fd[i], F_SETFL, fl | O_NONBLOCK) < 0 ||
		    fcntl(fd[i], F_SETFD, FD_CLOEXEC) < 0)
			return -1;
	return 0;
}

static void
card_free(struct run_card **rcp)
{
	struct run_card *rc = *rcp;

	if (rc == NULL)
		return;
	if (rc->loaded)
		emu_card_free(&rc->card);
	emu_session_reset(&rc->ctx.sess);
	emu_counters_close(&rc->cfile);
	if (rc->wake[0] >= 0)
		close(rc->wake[0]);
	if (rc->wake[1] >= 0)
		close(rc->wake[1]);
	ss_wipe(rc->resp, sizeof(rc->resp));
	emu_vpcd_close(&rc->vpcd);
	free(rc);
	*rcp = NULL;
}

static int
card_load(struct run_card *rc, const char *path)
{
	char err[512];

	rc->loaded = true;	/* even a failed load leaves it safe to free */
	if (emu_cardfile_load(path, &rc->card, err, sizeof(err)) < 0) {
		emu_log("%s", err);
		return -1;
	}
	if (rc->card.path == NULL && (rc->card.path = strdup(path)) == NULL) {
		emu_log("%s: out of memory", path);
		return -1;
	}
	return 0;
}

static struct run_card *
card_new(struct run *r, size_t i)
{
	const struct emu_run_opts	*o = r->opts;
	const struct emu_run_card_arg	*a = &o->cards[i];
	struct run_card			*rc;

	if ((rc = calloc(1, sizeof(*rc))) == NULL) {
		emu_log("out of memory");
		return NULL;
	}
	rc->no = (unsigned)i + 1;
	rc->opts = o;
	rc->wake[0] = rc->wake[1] = -1;
	rc->ctx.card = &rc->card;
	rc->ctx.quirks = o->quirks;
	rc->tracer.trace = r->trace;
	rc->tracer.card = rc->no;
	atomic_init(&rc->stop, false);
	atomic_init(&rc->ev, 0);
	if (emu_vpcd_init(&rc->vpcd, o->host, a->port) < 0) {
		emu_log("bad vpcd address %s:%u", o->host, (unsigned)a->port);
		goto fail;
	}
	if (card_load(rc, a->path) < 0)
		goto fail;
	if (o->counters != NULL) {
		if (emu_counters_open(&rc->cfile, o->counters, rc->no) < 0) {
			emu_log("out of memory");
			goto fail;
		}
		rc->has_cfile = true;
	}
	if (pipe_nonblock(rc->wake) < 0) {
		emu_log("pipe: %s", strerror(errno));
		goto fail;
	}
	return rc;
fail:
	card_free(&rc);
	return NULL;
}

static void
card_poke(struct run_card *rc)
{
	uint8_t b = 1;

	/* a full pipe is already readable: nothing lost */
	(void)!write(rc->wake[1], &b, 1);
}

static void
card_post(struct run_card *rc, bool insert)
{
	unsigned e = atomic_load(&rc->ev);

	atomic_store(&rc->ev, (((e >> 1) + 1) << 1) | (insert ? 1u : 0u));
	card_poke(rc);
}

/* final save and counters; -1 if the card could not be saved */
static int
card_finish(struct run_card *rc)
{
	char	err[256];
	int	rc_ = 0;

	if (rc->card.dirty &&
	    emu_cardfile_save(&rc->card, err, sizeof(err)) < 0) {
		emu_log("card %u: final save failed: %s", rc->no, err);
		rc_ = -1;
	}
	card_write_counters(rc);
	return rc_;
}

/* ---- main thread: process ---- */

static int
run_signals(struct run *r)
{
	sigset_t set;
	int e;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	if ((e = pthread_sigmask(SIG_BLOCK, &set, NULL)) != 0) {
		emu_log("pthread_sigmask: %s", strerror(e));
		return -1;
	}
	if ((r->sigfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
		emu_log("signalfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
run_pidfile(struct run *r)
{
	const char	*path = r->opts->pidfile;
	char		 tmp[4096];
	FILE		*fp;
	int		 n;

	if (path == NULL)
		return 0;
	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		emu_log("pid file name too long");
		return -1;
	}
	if ((fp = fopen(tmp, "w")) == NULL)
		goto fail;
	fprintf(fp, "%ld\n", (long)getpid());
	if (fclose(fp) != 0 || rename(tmp, path) < 0)
		goto fail;
	r->pidfile_written = true;
	return 0;
fail:
	emu_log("pid file %s: %s", path, strerror(errno));
	(void)unlink(tmp);
	return -1;
}

static int
run_setup(struct run *r)
{
	const struct emu_run_opts	*o = r->opts;
	char				 err[512];
	size_t				 i;

	if (o->trace != NULL &&
	    (r->trace = emu_trace_open(o->trace, err, sizeof(err))) == NULL) {
		emu_log("%s", err);
		return -1;
	}
	if ((r->cards = calloc(o->ncards, sizeof(*r->cards))) == NULL) {
		emu_log("out of memory");
		return -1;
	}
	for (i = 0; i < o->ncards; i++) {
		if ((r->cards[i] = card_new(r, i)) == NULL)
			return -1;
		r->ncards = i + 1;
		card_write_counters(r->cards[i]);
	}
	return 0;
}

static int
run_start(struct run *r)
{
	struct run_card	*rc;
	size_t		 i;
	int		 e;

	for (i = 0; i < r->ncards; i++) {
		rc = r->cards[i];
		emu_info("card %u: %s on vpcd %s:%s", rc->no, rc->card.path,
		    rc->vpcd.host, rc->vpcd.port);
		if ((e = pthread_create(&rc->thread, NULL, card_thread,
		    rc)) != 0) {
			emu_log("pthread_create: %s", strerror(e));
			return -1;
		}
		rc->started = true;
	}
	return 0;
}

/* wait for SIGTERM/SIGINT; pass SIGUSR1/SIGUSR2 on to the cards */
static int
run_wait(struct run *r)
{
	struct signalfd_siginfo	si;
	ssize_t			n;
	size_t			i;

	for (;;) {
		n = read(r->sigfd, &si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(si)) {
			emu_log("signalfd read: %s", strerror(errno));
			return -1;
		}
		if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
			emu_info("stopping (%s)", si.ssi_signo == SIGINT ?
			    "SIGINT" : "SIGTERM");
			return 0;
		}
		for (i = 0; i < r->ncards; i++)
			card_post(r->cards[i], si.ssi_signo == SIGUSR2);
	}
}

static int
run_stop(struct run *r)
{
	struct run_card	*rc;
	size_t		 i;
	int		 ret = 0;

	for (i = 0; i < r->ncards; i++) {
		rc = r->cards[i];
		atomic_store(&rc->stop, true);
		if (rc->started)
			card_poke(rc);
	}
	for (i = 0; i < r->ncards; i++) {
		rc = r->cards[i];
		if (rc->started)
			pthread_join(rc->thread, NULL);
		rc->started = false;
		if (card_finish(rc) < 0)
			ret = -1;
	}
	return ret;
}

static void
run_free(struct run *r)
{
	size_t i;

	for (i = 0; i < r->ncards; i++)
		card_free(&r->cards[i]);
	free(r->cards);
	r->cards = NULL;
	if (r->sigfd >= 0)
		close(r->sigfd);
	if (r->pidfile_written)
		(void)unlink(r->opts->pidfile);
	emu_trace_close(&r->trace);
}

int
emu_run(const struct emu_run_opts *o)
{
	struct run	r;
	int		status = 1;

	memset(&r, 0, sizeof(r));
	r.opts = o;
	r.sigfd = -1;
	if (o->ncards == 0) {
		emu_log("no card file given");
		goto out;
	}
	if (run_setup(&r) < 0 || run_signals(&r) < 0 || run_pidfile(&r) < 0)
		goto out;
	if (run_start(&r) == 0 && run_wait(&r) == 0)
		status = 0;
	if (run_stop(&r) < 0)
		status = 1;
out:
	run_free(&r);
	return status;
}
