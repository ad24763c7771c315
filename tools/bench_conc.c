/*
 * tools/bench_conc.c - the concurrent flows.
 *
 *   threads  one module, C_Initialize with OS locking, one logged-in
 *            session that finds the 9A key; then T threads, each with its
 *            own session, find the 9A key and make N signatures.  Measured: from starting
 *            the threads to joining the last one.
 *   procs    P processes forked from this one before anything is
 *            initialized; each loads and initializes the module, logs in
 *            and finds the key, reports ready, waits for the common start
 *            and makes N signatures.  Measured: from the start signal to
 *            the last "done".  They end their sessions (C_CloseSession,
 *            C_Finalize) together after the last signature, or each on
 *            its own with --procs-early-exit (what two unrelated
 *            applications do; see README.md "Benchmark" for why that
 *            matters to smartsign).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/bench.h"

#define PROCS_MAX	16
#define THREADS_MAX	64

struct worker {
	struct bench_ctx	*c;
	struct bench_p11	*p;
	CK_SLOT_ID		 slot;
	struct bench_sig	*sigs;
	unsigned		 n;
	struct bench_result	 r;
};

static struct bench_sig *
make_sigs(unsigned w, unsigned n)
{
	struct bench_sig	*s;
	unsigned		 i;

	if ((s = calloc(n, sizeof(*s))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		bench_fill_data(s[i].data, sizeof(s[i].data), w + 1, i);
	return s;
}

static void *
thread_main(void *arg)
{
	struct worker		*w = arg;
	CK_SESSION_HANDLE	 s;
	CK_OBJECT_HANDLE	 key;
	CK_RV			 rv;

	w->r.ok = true;
	if ((rv = bench_p11_open(w->p, w->slot, &s)) != CKR_OK) {
		bench_p11_fail(&w->r, "C_OpenSession", rv);
		return NULL;
	}
	if (bench_p11_key(w->p, s, BENCH_CERT_9A, &key, &w->r) == CKR_OK &&
	    bench_sign_loop(w->p, s, key, BENCH_CERT_9A, NULL, w->sigs, w->n,
	    &w->r) == 0)
		w->p->f->C_CloseSession(s);
	else
		w->r.ok = false;
	return NULL;
}

static int
threads_run(struct worker *ws, unsigned nt, struct bench_result *r)
{
	pthread_t	tid[THREADS_MAX];
	unsigned	i, started = 0;
	int		rc = 0;

	for (i = 0; i < nt; i++) {
		if (pthread_create(&tid[i], NULL, thread_main, &ws[i]) != 0) {
			bench_notef(r, "pthread_create failed");
			rc = -1;
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	return rc;
}

/* Fold the workers' results into r; -1 if one failed. */
static int
threads_collect(struct bench_ctx *c, struct worker *ws, unsigned nt,
    struct bench_result *r)
{
	unsigned	i;
	int		rc = 0;

	for (i = 0; i < nt; i++) {
		r->sigs += ws[i].r.sigs;
		r->verified += bench_verify_all(c, BENCH_CERT_9A, ws[i].sigs,
		    ws[i].r.sigs);
		if (!ws[i].r.ok) {
			bench_notef(r, "thread %u: %s", i + 1, ws[i].r.note);
			rc = -1;
		}
	}
	return rc;
}

int
bench_flow_threads(struct bench_ctx *c, struct bench_result *r)
{
	struct worker			*ws;
	struct bench_p11		 p;
	struct bench_counters		 before, after;
	CK_SLOT_ID			 slot;
	CK_SESSION_HANDLE		 s;
	CK_OBJECT_HANDLE		 key;
	unsigned			 nt = c->o->threads, i;
	double				 t0;
	int				 rc = -1;

	if (nt == 0 || nt > THREADS_MAX ||
	    (ws = calloc(nt, sizeof(*ws))) == NULL)
		return -1;
	for (i = 0; i < nt; i++) {
		ws[i].c = c;
		ws[i].p = &p;
		ws[i].n = c->o->thread_sigs;
		if ((ws[i].sigs = make_sigs(i, ws[i].n)) == NULL)
			goto out;
	}
	/* as an application would: find the key once before the threads */
	if (bench_session_setup(c, &p, &slot, &s, r) < 0 ||
	    bench_p11_key(&p, s, BENCH_CERT_9A, &key, r) != CKR_OK)
		goto out;
	for (i = 0; i < nt; i++)
		ws[i].slot = slot;
	bench_counters_read(c->o->counters, &before);
	t0 = bench_now_ms();
	rc = threads_run(ws, nt, r);
	r->ms = bench_now_ms() - t0;
	bench_counters_read(c->o->counters, &after);
	bench_counters_diff(&before, &after, &r->d);
	if (bench_finish(&p, s, r) < 0)
		rc = -1;
	if (threads_collect(c, ws, nt, r) < 0)
		rc = -1;
out:
	for (i = 0; i < nt; i++)
		free(ws[i].sigs);
	free(ws);
	return rc;
}

/* --- procs ---------------------------------------------------------- */

struct proc {
	pid_t	pid;
	int	msg;		/* worker -> runner */
	int	go;		/* runner -> worker */
};

static int
read_byte(int fd)
{
	uint8_t	b;
	ssize_t	n;

	do
		n = read(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? b : -1;
}

static void
write_all(int fd, const void *p, size_t n)
{
	const uint8_t	*b = p;
	ssize_t		 k;

	while (n > 0) {
		k = write(fd, b, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		b += k;
		n -= (size_t)k;
	}
}

static int
proc_setup(struct bench_ctx *c, struct bench_p11 *p, CK_SESSION_HANDLE *s,
    CK_OBJECT_HANDLE *key, struct bench_result *r)
{
	CK_SLOT_ID	slot;

	if (bench_session_setup(c, p, &slot, s, r) < 0)
		return -1;
	return bench_p11_key(p, *s, BENCH_CERT_9A, key, r) == CKR_OK ? 0 : -1;
}

/*
 * The worker process; never returns.  Messages: R (ready) or F (set-up
 * failed), D (signatures done), then "ok sigs verified note\n".  It
 * waits for a byte on go before signing and, unless --procs-early-exit,
 * before C_CloseSession/C_Finalize (so that no process ends its session
 * while another still signs).
 */
static void
proc_main(struct bench_ctx *c, unsigned w, int go, int msg)
{
	struct bench_result	 r;
	struct bench_p11	 p;
	struct bench_sig	*sigs;
	CK_SESSION_HANDLE	 s = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE	 key = CK_INVALID_HANDLE;
	char			 line[BENCH_NOTE_MAX + 64];
	int			 ok;

	alarm(c->o->timeout_s);
	memset(&r, 0, sizeof(r));
	r.ok = true;
	sigs = make_sigs(w, c->o->proc_sigs);
	ok = sigs != NULL && proc_setup(c, &p, &s, &key, &r) == 0;
	write_all(msg, ok ? "R" : "F", 1);
	if (read_byte(go) < 0 || !ok)
		_exit(1);
	if (bench_sign_loop(&p, s, key, BENCH_CERT_9A, NULL, sigs,
	    c->o->proc_sigs, &r) < 0)
		ok = 0;
	write_all(msg, "D", 1);
	if (!c->o->procs_early_exit && read_byte(go) < 0)
		_exit(1);
	if (bench_finish(&p, s, &r) < 0)
		ok = 0;
	snprintf(line, sizeof(line), "%d %u %u %s\n", ok, r.sigs,
	    bench_verify_all(c, BENCH_CERT_9A, sigs, r.sigs), r.note);
	write_all(msg, line, strlen(line));
	_exit(0);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int
procs_start(struct bench_ctx *c, struct proc *ps, unsigned np)
{
	unsigned	i, j;
	int		m[2], g[2];

	for (i = 0; i < np; i++) {
		if (pipe(m) < 0)
			return -1;
		if (pipe(g) < 0) {
			close(m[0]);
			close(m[1]);
			return -1;
		}
		if ((ps[i].pid = fork()) < 0) {
			close(m[0]);
			close(m[1]);
			close(g[0]);
			close(g[1]);
			return -1;
		}
		if (ps[i].pid == 0) {
			for (j = 0; j < i; j++) {
				close_fd(&ps[j].msg);
				close_fd(&ps[j].go);
			}
			close(m[0]);
			close(g[1]);
			proc_main(c, i, g[0], m[1]);
		}
		close(m[1]);
		close(g[0]);
		ps[i].msg = m[0];
		ps[i].go = g[1];
	}
	return 0;
}

/* Wait for one byte from every worker; -1 unless all sent want. */
static int
procs_expect(struct proc *ps, unsigned np, int want, struct bench_result *r)
{
	unsigned	i;
	int		rc = 0, b;

	for (i = 0; i < np; i++) {
		if ((b = read_byte(ps[i].msg)) != want) {
			bench_notef(r, "process %u: %s", i + 1,
			    b == 'F' ? "set-up failed" : "stopped early");
			rc = -1;
		}
	}
	return rc;
}

/* One byte to every worker; with last, their go pipes are closed. */
static void
procs_go(struct proc *ps, unsigned np, bool last)
{
	unsigned	i;

	for (i = 0; i < np; i++) {
		if (ps[i].go >= 0)
			write_all(ps[i].go, "G", 1);
		if (last)
			close_fd(&ps[i].go);
	}
}

static int
procs_collect(struct proc *ps, unsigned np, struct bench_result *r)
{
	char		line[BENCH_NOTE_MAX + 64], note[BENCH_NOTE_MAX];
	unsigned	i, sigs, good;
	ssize_t		n;
	int		ok, rc = 0;

	for (i = 0; i < np; i++) {
		memset(line, 0, sizeof(line));
		n = read(ps[i].msg, line, sizeof(line) - 1);
		note[0] = '\0';
		if (n <= 0 || sscanf(line, "%d %u %u %239[^\n]", &ok, &sigs,
		    &good, note) < 3) {
			bench_notef(r, "process %u: no result", i + 1);
			rc = -1;
			continue;
		}
		r->sigs += sigs;
		r->verified += good;
		if (!ok || note[0] != '\0')
			bench_notef(r, "process %u: %s", i + 1, note);
		if (!ok)
			rc = -1;
	}
	return rc;
}

static void
procs_reap(struct proc *ps, unsigned np)
{
	unsigned	i;
	int		st;

	for (i = 0; i < np; i++) {
		close_fd(&ps[i].go);
		close_fd(&ps[i].msg);
		if (ps[i].pid > 0)
			while (waitpid(ps[i].pid, &st, 0) < 0 && errno == EINTR)
				;
	}
}

static int
procs_measured(struct bench_ctx *c, struct proc *ps, unsigned np,
    struct bench_result *r)
{
	struct bench_counters	before, after;
	double			t0;
	int			rc;

	bench_counters_read(c->o->counters, &before);
	t0 = bench_now_ms();
	procs_go(ps, np, c->o->procs_early_exit);
	rc = procs_expect(ps, np, 'D', r);
	r->ms = bench_now_ms() - t0;
	bench_counters_read(c->o->counters, &after);
	bench_counters_diff(&before, &after, &r->d);
	return rc;
}

int
bench_flow_procs(struct bench_ctx *c, struct bench_result *r)
{
	struct proc	ps[PROCS_MAX];
	unsigned	np = c->o->procs, i;
	int		rc = -1;

	if (np == 0 || np > PROCS_MAX)
		return -1;
	for (i = 0; i < PROCS_MAX; i++)
		ps[i] = (struct proc){ -1, -1, -1 };
	if (procs_start(c, ps, np) < 0)
		goto out;
	if (procs_expect(ps, np, 'R', r) < 0)
		goto out;
	rc = procs_measured(c, ps, np, r);
	procs_go(ps, np, true);
	if (procs_collect(ps, np, r) < 0)
		rc = -1;
out:
	procs_reap(ps, np);
	return rc;
}
