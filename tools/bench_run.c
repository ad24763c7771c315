/*
 * tools/bench_run.c - the runner: one fresh process (fork + exec of this
 * program with --child) per run of every flow with every module.
 *
 * Order: for each flow, for each run, every module in turn, so that a
 * slow drift of the machine (other jobs on it) spreads over all modules
 * alike.  The PIN reaches the child through a pipe (--pin-fd), the
 * result comes back through another (--result-fd); the child's stdout
 * goes to stderr so that modules that print cannot spoil the report.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reader/wipe.h"
#include "tools/bench.h"

#define ARGV_MAX	64
#define NUM_MAX		24

struct child_args {
	const char	*v[ARGV_MAX];
	char		 num[16][NUM_MAX];
	size_t		 n, nnum;
};

static void
arg(struct child_args *a, const char *s)
{
	if (a->n < ARGV_MAX - 1)
		a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void
arg_u(struct child_args *a, const char *opt, long v)
{
	if (a->nnum >= 16)
		return;
	snprintf(a->num[a->nnum], NUM_MAX, "%ld", v);
	arg(a, opt);
	arg(a, a->num[a->nnum++]);
}

static void
child_argv(const struct bench_opts *o, int flow, const char *module,
    const char *certdir, int res_fd, int pin_fd, struct child_args *a)
{
	memset(a, 0, sizeof(*a));
	arg(a, "smartsign-bench");
	arg(a, "--child");
	arg(a, bench_flow_name(flow));
	arg(a, "--child-module");
	arg(a, module);
	arg(a, "--certdir");
	arg(a, certdir);
	arg_u(a, "--result-fd", res_fd);
	arg_u(a, "--pin-fd", pin_fd);
	arg_u(a, "--sigs", o->sigs);
	arg_u(a, "--threads", o->threads);
	arg_u(a, "--thread-sigs", o->thread_sigs);
	arg_u(a, "--procs", o->procs);
	arg_u(a, "--proc-sigs", o->proc_sigs);
	arg_u(a, "--timeout", o->timeout_s);
	arg_u(a, "--slot-index", o->slot.index);
	if (o->procs_early_exit)
		arg(a, "--procs-early-exit");
	if (o->counters != NULL) {
		arg(a, "--counters");
		arg(a, o->counters);
	}
	if (o->slot.reader != NULL) {
		arg(a, "--reader");
		arg(a, o->slot.reader);
	}
	if (o->slot.label != NULL) {
		arg(a, "--token-label");
		arg(a, o->slot.label);
	}
}

static void
exec_child(struct child_args *a)
{
	dup2(STDERR_FILENO, STDOUT_FILENO);
	execv("/proc/self/exe", (char *const *)(uintptr_t)a->v);
	fprintf(stderr, "smartsign-bench: exec: %s\n", strerror(errno));
	_exit(127);
}

static size_t
read_all(int fd, char *buf, size_t cap)
{
	size_t	used = 0;
	ssize_t	n;

	while (used < cap - 1) {
		n = read(fd, buf + used, cap - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	return used;
}

static void
child_status(const struct bench_opts *o, int st, struct bench_result *r)
{
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		bench_notef(r, "no result within %u s (timeout)", o->timeout_s);
	else if (WIFSIGNALED(st))
		bench_notef(r, "process killed by signal %d", WTERMSIG(st));
	else
		bench_notef(r, "process exited with status %d, no result",
		    WEXITSTATUS(st));
}

static int
pin_pipe(const struct bench_pin *pin, int fds[2])
{
	if (pipe(fds) < 0)
		return -1;
	if (write(fds[1], pin->v, pin->len) != (ssize_t)pin->len) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	close(fds[1]);
	return 0;
}

/* One run in a fresh process. */
static void
run_child(const struct bench_opts *o, const struct bench_pin *pin, int flow,
    const char *module, const char *certdir, struct bench_result *r)
{
	struct child_args	a;
	char			line[4096];
	int			res[2], pinfd[2], st = 0;
	pid_t			pid;

	memset(r, 0, sizeof(*r));
	if (pipe(res) < 0 || pin_pipe(pin, pinfd) < 0) {
		bench_notef(r, "pipe: %s", strerror(errno));
		return;
	}
	child_argv(o, flow, module, certdir, res[1], pinfd[0], &a);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		close(res[0]);
		exec_child(&a);
	}
	close(res[1]);
	close(pinfd[0]);
	read_all(res[0], line, sizeof(line));
	close(res[0]);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (pid < 0 || bench_result_parse(line, r) < 0)
		child_status(o, st, r);
}

static void
progress(const struct bench_opts *o, int flow, const char *mod,
    unsigned run, unsigned runs, const struct bench_result *r)
{
	if (o->quiet)
		return;
	fprintf(stderr, "bench: %-8s %-10s run %u/%u: %5llu APDUs %9.1f ms "
	    "%s%s%s\n", bench_flow_name(flow), mod, run + 1, runs,
	    (unsigned long long)r->d.apdus, r->ms, r->ok ? "ok" : "FAILED",
	    r->note[0] != '\0' ? ": " : "", r->note);
}

static void
run_flow(const struct bench_opts *o, const struct bench_pin *pin, int flow,
    const char *certdir, FILE *tsv)
{
	struct bench_result	r;
	unsigned		runs, i;
	size_t			m;

	runs = flow == FLOW_COLD || flow == FLOW_BROWSER ? o->runs :
	    o->sig_runs;
	for (i = 0; i < runs; i++) {
		for (m = 0; m < o->nmods; m++) {
			run_child(o, pin, flow, o->mods[m].path, certdir, &r);
			bench_tsv_row(tsv, o, flow, o->mods[m].name, &r, i);
			progress(o, flow, o->mods[m].name, i, runs, &r);
		}
	}
}

static void
rm_certdir(const char *dir)
{
	char	path[PATH_MAX];
	int	i;

	for (i = 0; i < BENCH_NCERTS; i++) {
		snprintf(path, sizeof(path), "%s/cert%d.der", dir, i);
		unlink(path);
	}
	rmdir(dir);
}

static int
setup_floor(const struct bench_opts *o, const char *dir,
    struct bench_floor *f)
{
	memset(f, 0, sizeof(*f));
	if (bench_card_certs(o->pcsc_reader, dir, f->cert_apdus,
	    &f->extended) < 0) {
		fprintf(stderr, "smartsign-bench: cannot read the 9A and 9C "
		    "certificates from the card in '%s'\n", o->pcsc_reader);
		return -1;
	}
	bench_floor_measure(o, f);
	return 0;
}

static FILE *
open_tsv(const struct bench_opts *o, const char *dir, char *path, size_t cap)
{
	FILE	*fp;

	if (o->raw != NULL)
		snprintf(path, cap, "%s", o->raw);
	else
		snprintf(path, cap, "%s/results.tsv", dir);
	if ((fp = fopen(path, o->raw != NULL ? "ae" : "we")) == NULL)
		fprintf(stderr, "smartsign-bench: %s: %s\n", path,
		    strerror(errno));
	return fp;
}

static int
report_file(const char *path)
{
	const char	*files[1] = { path };

	return bench_report(files, 1);
}

int
bench_run_all(struct bench_opts *o, struct bench_pin *pin)
{
	struct bench_floor	f;
	char			dir[] = "/tmp/smartsign-bench.XXXXXX";
	char			path[PATH_MAX];
	FILE			*tsv = NULL;
	int			flow, rc = 1;

	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "smartsign-bench: mkdtemp: %s\n",
		    strerror(errno));
		return 1;
	}
	if (setup_floor(o, dir, &f) < 0 ||
	    (tsv = open_tsv(o, dir, path, sizeof(path))) == NULL)
		goto out;
	bench_tsv_meta(tsv, o, &f);
	for (flow = 0; flow < FLOW_COUNT; flow++)
		if (o->flows & (1u << flow))
			run_flow(o, pin, flow, dir, tsv);
	fclose(tsv);
	tsv = NULL;
	rc = report_file(path);
	if (o->raw == NULL)
		unlink(path);
out:
	if (tsv != NULL)
		fclose(tsv);
	rm_certdir(dir);
	return rc;
}
