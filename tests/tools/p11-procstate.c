/*
 * tests/tools/p11-procstate.c - prove that a PKCS#11 module changes no
 * process-wide setting.  Snapshots the process before dlopen(), runs the
 * module's flows, and compares the process with that snapshot after every
 * step; any difference is printed, precisely, and the exit status is 1.
 *
 * usage: p11-procstate [options] MODULE.so
 *   --init MODES     comma-separated C_Initialize variants, one load/unload
 *                    cycle each (default null,os,mutex,os+mutex):
 *                      null      C_Initialize(NULL)
 *                      none      args, no flags, no callbacks
 *                      os        CKF_OS_LOCKING_OK
 *                      mutex     the application's mutex callbacks
 *                      os+mutex  both
 *   --data FILE      the data to sign (default: a fixed message)
 *   --cipher FILE    a ciphertext for the 9D key (CKA_ID 03, RSA-PKCS)
 *   --out DIR        write sig-9a.bin (SHA256-RSA-PKCS), sig-9c.der
 *                    (ECDSA-SHA256, DER) and plain-9d.bin there, from the
 *                    last cycle
 *   --no-finalize    skip C_Finalize (dlclose only): a client's fault that
 *                    leaves the module's memory behind, for valgrind's test
 *   --dump           print the first snapshot and stop
 * The PIN is read from $SMARTSIGN_PIN and never printed.
 *
 * What is compared: every signal's disposition (handler, flags, mask,
 * 1..NSIG-1 incl. the realtime ones), the thread's signal mask and
 * alternate stack, every rlimit, prctl's dumpable/no-new-privs/pdeathsig/
 * keepcaps/subreaper/timerslack/name, the umask, the global locale (LC_ALL
 * and each category) and whether the thread uses it, cwd, every
 * environment variable, every open file descriptor (target, FD_CLOEXEC,
 * status flags), the thread count, nice value, scheduling policy, process
 * group and session, the interval timers, and stdin/stdout/stderr (FILE
 * pointer, descriptor, orientation, buffering mode).  Between C_Initialize
 * and C_Finalize the module may hold sockets (PC/SC) and its debug log
 * ($SMARTSIGN_DEBUG) open, close-on-exec; nothing else may differ, at any
 * step, and after C_Finalize and dlclose nothing at all.
 *
 * Self-check: P11_PROCSTATE_SELFCHECK=KIND makes this program change the
 * thing itself right after C_Login of the first cycle, so a test can see
 * the change reported.  KIND: umask signal sigmask rlimit dumpable locale
 * cwd env fd stdio thread.
 *
 * Exit status: 0 nothing changed, 1 something changed, 2 usage, 3 a
 * PKCS#11 call failed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <wchar.h>

#include "p11-client.h"

#define MAX_FDS		256
#define TARGET_MAX	256
#define LOCALE_MAX	256
#define NCATS		13
#define SIG_MAX		1024
#define IN_MAX		4096
#define DIFF_LINE	1024

extern char **environ;

/* ---- the snapshot -------------------------------------------------------- */

struct sig_state {
	int		err;		/* sigaction's errno, 0 when it worked */
	uintptr_t	handler;
	unsigned long	flags;
	unsigned char	mask[NSIG];	/* 1 where the signal is in sa_mask */
};

struct fd_state {
	int	fd, fdflags, flflags;
	char	target[TARGET_MAX];
};

struct stdio_state {
	const FILE	*fp;
	int		 fd, wide, mode;
};

struct snap {
	struct sig_state	sig[NSIG];
	unsigned char		blocked[NSIG];
	int			ss_flags;
	size_t			ss_size;
	int			rl_err[RLIM_NLIMITS];
	struct rlimit		rl[RLIM_NLIMITS];
	int			dumpable, no_new_privs, pdeathsig, keepcaps;
	int			subreaper;
	long			timerslack;
	char			comm[17];
	unsigned		umask;
	char			loc_all[LOCALE_MAX];
	char			loc[NCATS][LOCALE_MAX];
	int			loc_global;
	char			cwd[PATH_MAX];
	char			**env;
	size_t			nenv;
	struct fd_state		fds[MAX_FDS];
	size_t			nfds;
	int			threads;
	int			nice, sched;
	pid_t			pgrp, sid;
	struct itimerval	it[3];
	struct stdio_state	io[3];
};

static const struct {
	int		 cat;
	const char	*name;
} cats[NCATS] = {
	{ LC_CTYPE, "LC_CTYPE" }, { LC_NUMERIC, "LC_NUMERIC" },
	{ LC_TIME, "LC_TIME" }, { LC_COLLATE, "LC_COLLATE" },
	{ LC_MONETARY, "LC_MONETARY" }, { LC_MESSAGES, "LC_MESSAGES" },
	{ LC_PAPER, "LC_PAPER" }, { LC_NAME, "LC_NAME" },
	{ LC_ADDRESS, "LC_ADDRESS" }, { LC_TELEPHONE, "LC_TELEPHONE" },
	{ LC_MEASUREMENT, "LC_MEASUREMENT" },
	{ LC_IDENTIFICATION, "LC_IDENTIFICATION" }, { LC_ALL, "LC_ALL" },
};

static const char *rl_names[RLIM_NLIMITS] = {
	[RLIMIT_CPU] = "RLIMIT_CPU", [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
	[RLIMIT_DATA] = "RLIMIT_DATA", [RLIMIT_STACK] = "RLIMIT_STACK",
	[RLIMIT_CORE] = "RLIMIT_CORE", [RLIMIT_RSS] = "RLIMIT_RSS",
	[RLIMIT_NPROC] = "RLIMIT_NPROC", [RLIMIT_NOFILE] = "RLIMIT_NOFILE",
	[RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK", [RLIMIT_AS] = "RLIMIT_AS",
	[RLIMIT_LOCKS] = "RLIMIT_LOCKS", [RLIMIT_SIGPENDING] =
	"RLIMIT_SIGPENDING", [RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE",
	[RLIMIT_NICE] = "RLIMIT_NICE", [RLIMIT_RTPRIO] = "RLIMIT_RTPRIO",
	[RLIMIT_RTTIME] = "RLIMIT_RTTIME",
};

static void
copy_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src != NULL ? src : "(null)");
}

static void
snap_signals(struct snap *s)
{
	struct sigaction	sa;
	sigset_t		cur;
	int			i, j;

	for (i = 1; i < NSIG; i++) {
		struct sig_state *g = &s->sig[i];

		memset(&sa, 0, sizeof(sa));
		g->err = sigaction(i, NULL, &sa) == 0 ? 0 : errno;
		memcpy(&g->handler, &sa.sa_handler, sizeof(g->handler));
		g->flags = (unsigned long)(unsigned)sa.sa_flags;
		for (j = 1; j < NSIG; j++)
			g->mask[j] = g->err == 0 &&
			    sigismember(&sa.sa_mask, j) == 1;
	}
	sigemptyset(&cur);
	(void)pthread_sigmask(SIG_BLOCK, NULL, &cur);
	for (i = 1; i < NSIG; i++)
		s->blocked[i] = sigismember(&cur, i) == 1;
}

static void
snap_prctl(struct snap *s)
{
	int	v = 0;
	char	name[17] = { 0 };

	s->dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	s->no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	s->pdeathsig = prctl(PR_GET_PDEATHSIG, &v, 0, 0, 0) == 0 ? v : -1;
	s->keepcaps = prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0);
	v = 0;
	s->subreaper = prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0) == 0 ?
	    v : -1;
	s->timerslack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	(void)prctl(PR_GET_NAME, name, 0, 0, 0);
	memcpy(s->comm, name, sizeof(s->comm));
}

/* The umask from /proc (reading it with umask(2) would change it). */
static unsigned
read_umask(void)
{
	char	 line[256];
	FILE	*f;
	unsigned m = 07777, v;
	mode_t	 old;

	if ((f = fopen("/proc/self/status", "re")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "Umask: %o", &v) == 1)
				m = v;
		fclose(f);
	}
	if (m == 07777) {		/* no Umask: line: old kernel */
		old = umask(022);
		(void)umask(old);
		m = (unsigned)old;
	}
	return m;
}

static void
snap_locale(struct snap *s)
{
	size_t i;

	copy_str(s->loc_all, sizeof(s->loc_all), setlocale(LC_ALL, NULL));
	for (i = 0; i < NCATS; i++)
		copy_str(s->loc[i], sizeof(s->loc[i]),
		    setlocale(cats[i].cat, NULL));
	s->loc_global = uselocale((locale_t)0) == LC_GLOBAL_LOCALE;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
snap_env(struct snap *s)
{
	size_t n = 0, i;

	while (environ != NULL && environ[n] != NULL)
		n++;
	s->env = calloc(n + 1, sizeof(*s->env));
	s->nenv = 0;
	if (s->env == NULL)
		return;
	for (i = 0; i < n; i++)
		if ((s->env[s->nenv] = strdup(environ[i])) != NULL)
			s->nenv++;
	qsort(s->env, s->nenv, sizeof(*s->env), cmp_str);
}

static void
snap_fds(struct snap *s)
{
	DIR		*d;
	struct dirent	*e;
	char		 path[64];
	long		 v;
	char		*end;
	ssize_t		 n;

	s->nfds = 0;
	if ((d = opendir("/proc/self/fd")) == NULL)
		return;
	while ((e = readdir(d)) != NULL && s->nfds < MAX_FDS) {
		struct fd_state *f = &s->fds[s->nfds];

		errno = 0;
		v = strtol(e->d_name, &end, 10);
		if (*e->d_name == '\0' || *end != '\0' || errno != 0 ||
		    v < 0 || v > INT_MAX || v == dirfd(d))
			continue;
		f->fd = (int)v;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", f->fd);
		n = readlink(path, f->target, sizeof(f->target) - 1);
		f->target[n > 0 ? n : 0] = '\0';
		f->fdflags = fcntl(f->fd, F_GETFD);
		f->flflags = fcntl(f->fd, F_GETFL);
		s->nfds++;
	}
	closedir(d);
}

static int
count_threads(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir("/proc/self/task")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Buffering mode of a stream: glibc keeps it in _flags. */
static int
stdio_mode(FILE *fp)
{
#ifdef __GLIBC__
	return fp->_flags & (0x0002 | 0x0200);	/* UNBUFFERED, LINE_BUF */
#else
	(void)fp;
	return 0;
#endif
}

static void
snap_stdio(struct snap *s)
{
	FILE	*fps[3] = { stdin, stdout, stderr };
	int	 i;

	for (i = 0; i < 3; i++) {
		s->io[i].fp = fps[i];
		s->io[i].fd = fileno(fps[i]);
		s->io[i].wide = fwide(fps[i], 0);
		s->io[i].mode = stdio_mode(fps[i]);
	}
}

static void
snap_free(struct snap *s)
{
	size_t i;

	for (i = 0; i < s->nenv; i++)
		free(s->env[i]);
	free(s->env);
	s->env = NULL;
	s->nenv = 0;
}

static void
snap_take(struct snap *s)
{
	int i;

	snap_free(s);
	memset(s, 0, sizeof(*s));
	snap_signals(s);
	stack_t ss;
	memset(&ss, 0, sizeof(ss));
	(void)sigaltstack(NULL, &ss);
	s->ss_flags = ss.ss_flags;
	s->ss_size = ss.ss_size;
	for (i = 0; i < RLIM_NLIMITS; i++)
		s->rl_err[i] = getrlimit((__rlimit_resource_t)i, &s->rl[i]) ==
		    0 ? 0 : errno;
	snap_prctl(s);
	s->umask = read_umask();
	snap_locale(s);
	if (getcwd(s->cwd, sizeof(s->cwd)) == NULL)
		copy_str(s->cwd, sizeof(s->cwd), strerror(errno));
	snap_env(s);
	snap_fds(s);
	s->threads = count_threads();
	errno = 0;
	s->nice = getpriority(PRIO_PROCESS, 0);
	s->sched = sched_getscheduler(0);
	s->pgrp = getpgrp();
	s->sid = getsid(0);
	for (i = 0; i < 3; i++)
		(void)getitimer(i, &s->it[i]);
	snap_stdio(s);
}

/* ---- the comparison ------------------------------------------------------ */

static const char	*stage = "";
static char		 debug_log[PATH_MAX];	/* realpath of $SMARTSIGN_DEBUG */
static unsigned		 ndiffs;

static void diff(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
diff(const char *fmt, ...)
{
	char	line[DIFF_LINE];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "procstate: after %s: %s\n", stage, line);
	ndiffs++;
}

static const char *
sig_name(int sig, char *buf, size_t cap)
{
	const char *n = sigabbrev_np(sig);

	if (n != NULL)
		snprintf(buf, cap, "%d (SIG%s)", sig, n);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, cap, "%d (SIGRTMIN+%d)", sig, sig - SIGRTMIN);
	else
		snprintf(buf, cap, "%d (reserved by libc)", sig);
	return buf;
}

static const char *
handler_name(uintptr_t h, char *buf, size_t cap)
{
	Dl_info	info;
	void	*p;

	if (h == (uintptr_t)0)
		return "SIG_DFL";
	if (h == (uintptr_t)1)
		return "SIG_IGN";
	memcpy(&p, &h, sizeof(p));
	if (dladdr(p, &info) != 0 && info.dli_fname != NULL)
		snprintf(buf, cap, "%#lx (%s in %s)", (unsigned long)h,
		    info.dli_sname != NULL ? info.dli_sname : "?",
		    info.dli_fname);
	else
		snprintf(buf, cap, "%#lx", (unsigned long)h);
	return buf;
}

static void
sigset_str(const unsigned char *m, char *buf, size_t cap)
{
	size_t	off = 0;
	int	i;

	buf[0] = '\0';
	for (i = 1; i < NSIG && off + 8 < cap; i++)
		if (m[i])
			off += (size_t)snprintf(buf + off, cap - off, "%s%d",
			    off ? "," : "", i);
	if (off == 0)
		snprintf(buf, cap, "{}");
}

static void
cmp_signals(const struct snap *a, const struct snap *b)
{
	char	n[48], h1[PATH_MAX + 64], h2[PATH_MAX + 64];
	char	m1[NSIG * 4], m2[NSIG * 4];
	int	i;

	for (i = 1; i < NSIG; i++) {
		const struct sig_state *x = &a->sig[i], *y = &b->sig[i];

		sig_name(i, n, sizeof(n));
		if (x->err != y->err)
			diff("signal %s: sigaction errno %d -> %d", n, x->err,
			    y->err);
		if (x->handler != y->handler)
			diff("signal %s: handler %s -> %s", n,
			    handler_name(x->handler, h1, sizeof(h1)),
			    handler_name(y->handler, h2, sizeof(h2)));
		if (x->flags != y->flags)
			diff("signal %s: sa_flags %#lx -> %#lx", n, x->flags,
			    y->flags);
		if (memcmp(x->mask, y->mask, sizeof(x->mask)) != 0) {
			sigset_str(x->mask, m1, sizeof(m1));
			sigset_str(y->mask, m2, sizeof(m2));
			diff("signal %s: sa_mask %s -> %s", n, m1, m2);
		}
	}
	if (memcmp(a->blocked, b->blocked, sizeof(a->blocked)) != 0) {
		sigset_str(a->blocked, m1, sizeof(m1));
		sigset_str(b->blocked, m2, sizeof(m2));
		diff("thread signal mask %s -> %s", m1, m2);
	}
	if (a->ss_flags != b->ss_flags || a->ss_size != b->ss_size)
		diff("sigaltstack flags %d size %zu -> flags %d size %zu",
		    a->ss_flags, a->ss_size, b->ss_flags, b->ss_size);
}

static void
cmp_rlimits(const struct snap *a, const struct snap *b)
{
	int i;

	for (i = 0; i < RLIM_NLIMITS; i++) {
		const char *n = rl_names[i] != NULL ? rl_names[i] : "rlimit";

		if (a->rl_err[i] != b->rl_err[i] ||
		    a->rl[i].rlim_cur != b->rl[i].rlim_cur ||
		    a->rl[i].rlim_max != b->rl[i].rlim_max)
			diff("%s (%d): soft %llu hard %llu -> soft %llu hard "
			    "%llu (rlim_infinity %llu)", n, i,
			    (unsigned long long)a->rl[i].rlim_cur,
			    (unsigned long long)a->rl[i].rlim_max,
			    (unsigned long long)b->rl[i].rlim_cur,
			    (unsigned long long)b->rl[i].rlim_max,
			    (unsigned long long)RLIM_INFINITY);
	}
}

#define CMP_INT(field, what) do {					\
	if (a->field != b->field)					\
		diff("%s %ld -> %ld", what, (long)a->field, (long)b->field); \
} while (0)

static void
cmp_process(const struct snap *a, const struct snap *b)
{
	size_t	i;
	int	t;

	CMP_INT(dumpable, "prctl(PR_GET_DUMPABLE)");
	CMP_INT(no_new_privs, "prctl(PR_GET_NO_NEW_PRIVS)");
	CMP_INT(pdeathsig, "prctl(PR_GET_PDEATHSIG)");
	CMP_INT(keepcaps, "prctl(PR_GET_KEEPCAPS)");
	CMP_INT(subreaper, "prctl(PR_GET_CHILD_SUBREAPER)");
	CMP_INT(timerslack, "prctl(PR_GET_TIMERSLACK)");
	if (strcmp(a->comm, b->comm) != 0)
		diff("thread name (PR_GET_NAME) '%s' -> '%s'", a->comm,
		    b->comm);
	if (a->umask != b->umask)
		diff("umask %04o -> %04o", a->umask, b->umask);
	if (strcmp(a->loc_all, b->loc_all) != 0)
		diff("setlocale(LC_ALL) '%s' -> '%s'", a->loc_all, b->loc_all);
	for (i = 0; i < NCATS; i++)
		if (strcmp(a->loc[i], b->loc[i]) != 0)
			diff("locale %s '%s' -> '%s'", cats[i].name, a->loc[i],
			    b->loc[i]);
	CMP_INT(loc_global, "thread uses the global locale");
	if (strcmp(a->cwd, b->cwd) != 0)
		diff("cwd '%s' -> '%s'", a->cwd, b->cwd);
	CMP_INT(threads, "threads");
	CMP_INT(nice, "nice value");
	CMP_INT(sched, "scheduling policy");
	CMP_INT(pgrp, "process group");
	CMP_INT(sid, "session");
	for (t = 0; t < 3; t++)
		if (a->it[t].it_interval.tv_sec != b->it[t].it_interval.tv_sec ||
		    a->it[t].it_interval.tv_usec !=
		    b->it[t].it_interval.tv_usec ||
		    (a->it[t].it_value.tv_sec || a->it[t].it_value.tv_usec) !=
		    (b->it[t].it_value.tv_sec || b->it[t].it_value.tv_usec))
			diff("interval timer %d changed (armed %d -> %d)", t,
			    a->it[t].it_value.tv_sec || a->it[t].it_value.tv_usec,
			    b->it[t].it_value.tv_sec || b->it[t].it_value.tv_usec);
}

static void
cmp_env(const struct snap *a, const struct snap *b)
{
	size_t	i = 0, j = 0;
	int	c;

	while (i < a->nenv || j < b->nenv) {
		if (i == a->nenv)
			c = 1;
		else if (j == b->nenv)
			c = -1;
		else
			c = strcmp(a->env[i], b->env[j]);
		/* print names only: the environment may hold secrets */
		if (c < 0)
			diff("environment: '%.*s' removed or changed",
			    (int)strcspn(a->env[i], "="), a->env[i]);
		else if (c > 0)
			diff("environment: '%.*s' added or changed",
			    (int)strcspn(b->env[j], "="), b->env[j]);
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
}

static const struct fd_state *
fd_find(const struct snap *s, int fd)
{
	size_t i;

	for (i = 0; i < s->nfds; i++)
		if (s->fds[i].fd == fd)
			return &s->fds[i];
	return NULL;
}

/* May the module hold this descriptor while initialized? */
static bool
fd_allowed(const struct fd_state *f)
{
	const char *dbg = getenv("SMARTSIGN_DEBUG");

	/* the log is created by C_Initialize: resolve its name then */
	if (debug_log[0] == '\0' && dbg != NULL && *dbg != '\0' &&
	    realpath(dbg, debug_log) == NULL)
		debug_log[0] = '\0';
	if ((f->fdflags & FD_CLOEXEC) == 0)
		return false;
	if (strncmp(f->target, "socket:", 7) == 0)
		return true;
	return debug_log[0] != '\0' && strcmp(f->target, debug_log) == 0;
}

static unsigned	module_fds_max;	/* most descriptors held while initialized */
static unsigned	unloaded;	/* cycles after which dlclose unloaded it */

static void
cmp_fds(const struct snap *a, const struct snap *b, bool initialized)
{
	const struct fd_state	*x, *y;
	size_t			 i;
	unsigned		 held = 0;

	for (i = 0; i < a->nfds; i++) {
		x = &a->fds[i];
		if ((y = fd_find(b, x->fd)) == NULL) {
			diff("fd %d (%s) closed", x->fd, x->target);
			continue;
		}
		if (strcmp(x->target, y->target) != 0)
			diff("fd %d: '%s' -> '%s'", x->fd, x->target,
			    y->target);
		if (x->fdflags != y->fdflags)
			diff("fd %d (%s): F_GETFD %#x -> %#x", x->fd,
			    x->target, (unsigned)x->fdflags,
			    (unsigned)y->fdflags);
		if (x->flflags != y->flflags)
			diff("fd %d (%s): F_GETFL %#o -> %#o", x->fd,
			    x->target, (unsigned)x->flflags,
			    (unsigned)y->flflags);
	}
	for (i = 0; i < b->nfds; i++) {
		y = &b->fds[i];
		if (fd_find(a, y->fd) != NULL)
			continue;
		if (initialized && fd_allowed(y)) {
			held++;
			continue;
		}
		diff("fd %d (%s, %s) opened%s", y->fd, y->target,
		    (y->fdflags & FD_CLOEXEC) ? "cloexec" : "NOT cloexec",
		    initialized ? "" : " and left open");
	}
	if (held > module_fds_max)
		module_fds_max = held;
}

static void
cmp_stdio(const struct snap *a, const struct snap *b)
{
	static const char *names[3] = { "stdin", "stdout", "stderr" };
	int i;

	for (i = 0; i < 3; i++) {
		const struct stdio_state *x = &a->io[i], *y = &b->io[i];

		if (x->fp != y->fp)
			diff("%s: FILE pointer changed", names[i]);
		if (x->fd != y->fd)
			diff("%s: fileno %d -> %d", names[i], x->fd, y->fd);
		if (x->wide != y->wide)
			diff("%s: orientation %d -> %d", names[i], x->wide,
			    y->wide);
		if (x->mode != y->mode)
			diff("%s: buffering flags %#x -> %#x", names[i],
			    (unsigned)x->mode, (unsigned)y->mode);
	}
}

static struct snap	base, now;
static unsigned		nstages;

/* Compare the process with the baseline after a step named WHAT. */
static void
check(const char *what, bool initialized)
{
	stage = what;
	snap_take(&now);
	cmp_signals(&base, &now);
	cmp_rlimits(&base, &now);
	cmp_process(&base, &now);
	cmp_env(&base, &now);
	cmp_fds(&base, &now, initialized);
	cmp_stdio(&base, &now);
	nstages++;
}

/* ---- self-check: change one thing on purpose ----------------------------- */

static void
selfcheck_handler(int sig)
{
	(void)sig;
}

static void *
selfcheck_thread(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

static int
selfcheck(const char *kind)
{
	struct sigaction	sa;
	struct rlimit		rl;
	sigset_t		set;
	pthread_t		t;

	if (strcmp(kind, "umask") == 0) {
		(void)umask(umask(0) ^ 0002);
	} else if (strcmp(kind, "signal") == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = selfcheck_handler;
		(void)sigaction(SIGRTMIN + 3, &sa, NULL);
	} else if (strcmp(kind, "sigmask") == 0) {
		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		(void)pthread_sigmask(SIG_BLOCK, &set, NULL);
	} else if (strcmp(kind, "rlimit") == 0) {
		if (getrlimit(RLIMIT_CORE, &rl) == 0) {
			rl.rlim_cur = rl.rlim_cur == 0 ? 1 : 0;
			if (rl.rlim_max != RLIM_INFINITY &&
			    rl.rlim_cur > rl.rlim_max)
				rl.rlim_cur = 0;
			(void)setrlimit(RLIMIT_CORE, &rl);
		}
	} else if (strcmp(kind, "dumpable") == 0) {
		(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	} else if (strcmp(kind, "locale") == 0) {
		(void)setlocale(LC_ALL, "");
	} else if (strcmp(kind, "cwd") == 0) {
		if (chdir("/") != 0)
			return -1;
	} else if (strcmp(kind, "env") == 0) {
		(void)setenv("P11_PROCSTATE_TAMPERED", "1", 1);
	} else if (strcmp(kind, "fd") == 0) {
		(void)open("/dev/null", O_RDONLY);	/* left open */
	} else if (strcmp(kind, "stdio") == 0) {
		(void)setvbuf(stdin, NULL, _IONBF, 0);
	} else if (strcmp(kind, "thread") == 0) {
		if (pthread_create(&t, NULL, selfcheck_thread, NULL) != 0)
			return -1;
		(void)pthread_detach(t);
	} else {
		return -1;
	}
	return 0;
}

/* ---- the module's flows -------------------------------------------------- */

struct opts {
	const char	*module, *data, *cipher, *out, *modes;
	bool		 no_finalize, dump;
};

static CK_FUNCTION_LIST_PTR	f;
static const char		*selfcheck_kind;
static unsigned			 mutexes_live, mutex_calls;
static unsigned char		 data[IN_MAX], cipher[IN_MAX];
static size_t			 data_len, cipher_len;
static unsigned char		 sig9a[SIG_MAX], sig9c[SIG_MAX];
static unsigned char		 plain9d[SIG_MAX];
static CK_ULONG			 sig9a_len, sig9c_len, plain9d_len;

static CK_RV
mx_create(CK_VOID_PTR_PTR mp)
{
	pthread_mutex_t *m;

	if (mp == NULL || (m = malloc(sizeof(*m))) == NULL)
		return CKR_HOST_MEMORY;
	pthread_mutex_init(m, NULL);
	*mp = m;
	mutexes_live++;
	mutex_calls++;
	return CKR_OK;
}

static CK_RV
mx_destroy(CK_VOID_PTR m)
{
	if (m == NULL)
		return CKR_MUTEX_BAD;
	pthread_mutex_destroy(m);
	free(m);
	mutexes_live--;
	return CKR_OK;
}

static CK_RV
mx_lock(CK_VOID_PTR m)
{
	if (m == NULL)
		return CKR_MUTEX_BAD;
	mutex_calls++;
	return pthread_mutex_lock(m) == 0 ? CKR_OK : CKR_GENERAL_ERROR;
}

static CK_RV
mx_unlock(CK_VOID_PTR m)
{
	if (m == NULL)
		return CKR_MUTEX_BAD;
	return pthread_mutex_unlock(m) == 0 ? CKR_OK : CKR_MUTEX_NOT_LOCKED;
}

static int
fail(const char *call, CK_RV rv)
{
	fprintf(stderr, "procstate: %s: %s failed: rv 0x%lx\n", stage, call,
	    (unsigned long)rv);
	return 3;
}

/* Sign DATA with the private key of CKA_ID id; context login if asked. */
static CK_RV
sign_with(CK_SESSION_HANDLE s, unsigned char id, CK_MECHANISM_TYPE mt,
    bool ctx_login, unsigned char *sig, CK_ULONG *sig_len)
{
	CK_MECHANISM		m = { mt, NULL, 0 };
	CK_OBJECT_HANDLE	k;
	CK_ULONG		 n = 0;
	CK_RV			 rv;

	if ((rv = p11_find_one(f, s, CKO_PRIVATE_KEY, &id, 1, &k)) != CKR_OK)
		return rv;
	if ((rv = f->C_SignInit(s, &m, k)) != CKR_OK)
		return rv;
	if (ctx_login &&
	    (rv = p11_login_env(f, s, CKU_CONTEXT_SPECIFIC)) != CKR_OK)
		return rv;
	/* the length first, then the signature (two-call convention) */
	if ((rv = f->C_Sign(s, data, (CK_ULONG)data_len, NULL, &n)) != CKR_OK)
		return rv;
	if (n > SIG_MAX)
		return CKR_BUFFER_TOO_SMALL;
	*sig_len = n;
	return f->C_Sign(s, data, (CK_ULONG)data_len, sig, sig_len);
}

static CK_RV
decrypt_9d(CK_SESSION_HANDLE s)
{
	static const CK_BYTE	id = 0x03;
	CK_MECHANISM		m = { CKM_RSA_PKCS, NULL, 0 };
	CK_OBJECT_HANDLE	k;
	CK_RV			rv;

	if ((rv = p11_find_one(f, s, CKO_PRIVATE_KEY, &id, 1, &k)) != CKR_OK)
		return rv;
	if ((rv = f->C_DecryptInit(s, &m, k)) != CKR_OK)
		return rv;
	plain9d_len = sizeof(plain9d);
	return f->C_Decrypt(s, cipher, (CK_ULONG)cipher_len, plain9d,
	    &plain9d_len);
}

static int
init_args(const char *mode, CK_C_INITIALIZE_ARGS *a, CK_C_INITIALIZE_ARGS **ap)
{
	memset(a, 0, sizeof(*a));
	*ap = a;
	if (strcmp(mode, "null") == 0)
		*ap = NULL;
	else if (strcmp(mode, "none") == 0)
		;
	else if (strcmp(mode, "os") == 0)
		a->flags = CKF_OS_LOCKING_OK;
	else if (strcmp(mode, "mutex") == 0 || strcmp(mode, "os+mutex") == 0) {
		a->CreateMutex = mx_create;
		a->DestroyMutex = mx_destroy;
		a->LockMutex = mx_lock;
		a->UnlockMutex = mx_unlock;
		if (strcmp(mode, "os+mutex") == 0)
			a->flags = CKF_OS_LOCKING_OK;
	} else
		return -1;
	return 0;
}

/* The session part of a cycle: everything between C_Initialize and
 * C_Finalize. */
static int
session_flows(const char *mode)
{
	static char		 st[8][96];
	CK_SLOT_ID		 slots[16];
	CK_ULONG		 nslots = 16;
	CK_TOKEN_INFO		 ti;
	CK_SESSION_HANDLE	 s;
	CK_RV			 rv;

#define STEP(i, name) (snprintf(st[i], sizeof(st[i]), "%s [%s]", name, mode), \
	stage = st[i])
	STEP(0, "C_GetSlotList");
	if ((rv = f->C_GetSlotList(CK_TRUE, slots, &nslots)) != CKR_OK)
		return fail("C_GetSlotList", rv);
	if (nslots == 0)
		return fail("C_GetSlotList (no token)", CKR_TOKEN_NOT_PRESENT);
	check(stage, true);
	STEP(1, "C_GetTokenInfo");
	if ((rv = f->C_GetTokenInfo(slots[0], &ti)) != CKR_OK)
		return fail("C_GetTokenInfo", rv);
	check(stage, true);
	STEP(2, "C_OpenSession+C_Login");
	if ((rv = f->C_OpenSession(slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &s)) != CKR_OK)
		return fail("C_OpenSession", rv);
	if ((rv = p11_login_env(f, s, CKU_USER)) != CKR_OK)
		return fail("C_Login", rv);
	if (selfcheck_kind != NULL && selfcheck(selfcheck_kind) != 0) {
		fprintf(stderr, "procstate: unknown self-check '%s'\n",
		    selfcheck_kind);
		return 2;
	}
	selfcheck_kind = NULL;		/* once */
	check(stage, true);
	STEP(3, "sign 9A SHA256-RSA-PKCS");
	if ((rv = sign_with(s, 0x01, CKM_SHA256_RSA_PKCS, false, sig9a,
	    &sig9a_len)) != CKR_OK)
		return fail("9A C_Sign", rv);
	check(stage, true);
	STEP(4, "sign 9C ECDSA-SHA256 (context login)");
	if ((rv = sign_with(s, 0x02, CKM_ECDSA_SHA256, true, sig9c,
	    &sig9c_len)) != CKR_OK)
		return fail("9C C_Sign", rv);
	check(stage, true);
	if (cipher_len > 0) {
		STEP(5, "decrypt 9D RSA-PKCS");
		if ((rv = decrypt_9d(s)) != CKR_OK)
			return fail("9D C_Decrypt", rv);
		check(stage, true);
	}
	STEP(6, "C_Logout");
	if ((rv = f->C_Logout(s)) != CKR_OK)
		return fail("C_Logout", rv);
	check(stage, true);
	STEP(7, "C_CloseSession");
	if ((rv = f->C_CloseSession(s)) != CKR_OK)
		return fail("C_CloseSession", rv);
	check(stage, true);
#undef STEP
	return 0;
}

/* One cycle: dlopen, C_Initialize(mode), the flows, C_Finalize, dlclose. */
static int
cycle(const struct opts *o, const char *mode)
{
	static char		 st[4][96];
	CK_C_INITIALIZE_ARGS	 a, *ap;
	void			*h;
	CK_RV			 rv;
	int			 r;

	if (init_args(mode, &a, &ap) != 0) {
		fprintf(stderr, "procstate: unknown --init mode '%s'\n", mode);
		return 2;
	}
	snprintf(st[0], sizeof(st[0]), "dlopen [%s]", mode);
	stage = st[0];
	if ((h = p11_load("procstate", o->module, &f)) == NULL)
		return 3;
	check(stage, false);
	snprintf(st[1], sizeof(st[1]), "C_Initialize [%s]", mode);
	stage = st[1];
	if ((rv = f->C_Initialize(ap)) != CKR_OK) {
		dlclose(h);
		return fail("C_Initialize", rv);
	}
	check(stage, true);
	r = session_flows(mode);
	snprintf(st[2], sizeof(st[2]), "C_Finalize [%s]", mode);
	stage = st[2];
	if (!o->no_finalize) {
		if ((rv = f->C_Finalize(NULL)) != CKR_OK && r == 0)
			r = fail("C_Finalize", rv);
		check(stage, false);
		if (mutexes_live != 0) {
			diff("%u application mutexes not destroyed",
			    mutexes_live);
		}
	}
	snprintf(st[3], sizeof(st[3]), "dlclose [%s]", mode);
	stage = st[3];
	f = NULL;
	if (dlclose(h) != 0)
		diff("dlclose failed: %s", dlerror());
	if ((h = dlopen(o->module, RTLD_NOW | RTLD_NOLOAD)) == NULL)
		unloaded++;		/* else the checks below see less */
	else
		dlclose(h);
	check(stage, o->no_finalize);
	return r;
}

/* ---- files and main ------------------------------------------------------ */

static int
write_file(const char *dir, const char *name, const unsigned char *p,
    size_t n)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return p11_file_write(path, p, n);
}

/* DER INTEGER of an unsigned big-endian number. */
static size_t
der_int(unsigned char *out, const unsigned char *p, size_t n)
{
	size_t i = 0, o = 0;

	while (i + 1 < n && p[i] == 0)
		i++;
	out[o++] = 0x02;
	out[o++] = (unsigned char)(n - i + (p[i] & 0x80 ? 1 : 0));
	if (p[i] & 0x80)
		out[o++] = 0x00;
	memcpy(out + o, p + i, n - i);
	return o + n - i;
}

/* PKCS#11 ECDSA r||s to a DER ECDSA-Sig-Value (curves up to P-384). */
static size_t
ecdsa_der(unsigned char *out, const unsigned char *rs, size_t n)
{
	unsigned char	body[2 * (48 + 3)];
	size_t		len;

	if (n == 0 || n % 2 != 0 || n > 96)
		return 0;
	len = der_int(body, rs, n / 2);
	len += der_int(body + len, rs + n / 2, n / 2);
	out[0] = 0x30;
	out[1] = (unsigned char)len;
	memcpy(out + 2, body, len);
	return len + 2;
}

static int
write_outputs(const char *dir)
{
	unsigned char	der[2 + 2 * (48 + 3)];
	size_t		n = ecdsa_der(der, sig9c, sig9c_len);

	if (n == 0 || write_file(dir, "sig-9a.bin", sig9a, sig9a_len) != 0 ||
	    write_file(dir, "sig-9c.der", der, n) != 0 ||
	    (cipher_len > 0 && write_file(dir, "plain-9d.bin", plain9d,
	    plain9d_len) != 0)) {
		fprintf(stderr, "procstate: cannot write to %s\n", dir);
		return 1;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: p11-procstate [--init null,none,os,mutex,"
	    "os+mutex] [--data FILE] [--cipher FILE] [--out DIR] "
	    "[--no-finalize] [--dump] MODULE.so\n");
}

static int
parse(int argc, char **argv, struct opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->modes = "null,os,mutex,os+mutex";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--no-finalize") == 0)
			o->no_finalize = true;
		else if (strcmp(a, "--dump") == 0)
			o->dump = true;
		else if (v != NULL && strcmp(a, "--init") == 0)
			o->modes = argv[++i];
		else if (v != NULL && strcmp(a, "--data") == 0)
			o->data = argv[++i];
		else if (v != NULL && strcmp(a, "--cipher") == 0)
			o->cipher = argv[++i];
		else if (v != NULL && strcmp(a, "--out") == 0)
			o->out = argv[++i];
		else if (a[0] != '-' && o->module == NULL)
			o->module = a;
		else
			return -1;
	}
	return o->module != NULL ? 0 : -1;
}

static void
dump(const struct snap *s)
{
	char	n[48], h[PATH_MAX + 64], m[NSIG * 4];
	size_t	i;
	int	k;

	for (k = 1; k < NSIG; k++) {
		sigset_str(s->sig[k].mask, m, sizeof(m));
		printf("signal %s: err %d handler %s flags %#lx mask %s\n",
		    sig_name(k, n, sizeof(n)), s->sig[k].err,
		    handler_name(s->sig[k].handler, h, sizeof(h)),
		    s->sig[k].flags, m);
	}
	sigset_str(s->blocked, m, sizeof(m));
	printf("blocked %s\numask %04o\nlocale %s\ncwd %s\nthreads %d\n"
	    "dumpable %d\n", m, s->umask, s->loc_all, s->cwd, s->threads,
	    s->dumpable);
	for (k = 0; k < RLIM_NLIMITS; k++)
		printf("%s %llu %llu\n", rl_names[k] ? rl_names[k] : "?",
		    (unsigned long long)s->rl[k].rlim_cur,
		    (unsigned long long)s->rl[k].rlim_max);
	for (i = 0; i < s->nfds; i++)
		printf("fd %d %s fd %#x fl %#o\n", s->fds[i].fd,
		    s->fds[i].target, (unsigned)s->fds[i].fdflags,
		    (unsigned)s->fds[i].flflags);
	printf("%zu environment variables\n", s->nenv);
}

int
main(int argc, char **argv)
{
	struct opts	 o;
	char		*modes = NULL, *m, *save = NULL;
	int		 r = 0, cycles = 0;

	if (parse(argc, argv, &o) != 0) {
		usage();
		return 2;
	}
	if (o.data == NULL) {
		data_len = strlen("p11-procstate: a message to sign");
		memcpy(data, "p11-procstate: a message to sign", data_len);
	} else if (p11_file_read(o.data, data, sizeof(data), &data_len) != 0) {
		fprintf(stderr, "procstate: cannot read %s\n", o.data);
		return 2;
	}
	if (o.cipher != NULL &&
	    p11_file_read(o.cipher, cipher, sizeof(cipher), &cipher_len) != 0) {
		fprintf(stderr, "procstate: cannot read %s\n", o.cipher);
		return 2;
	}
	/* a mixed locale, so that any setlocale() by the module shows: with
	 * LC_ALL=C.UTF-8 in the environment, setlocale(LC_ALL, "") changes
	 * LC_NUMERIC.., setlocale(LC_ALL, "C") changes LC_CTYPE */
	(void)setlocale(LC_CTYPE, "C.UTF-8");
	/* our own diagnostics orient stdout and stderr: do it now */
	(void)fwide(stdout, -1);
	(void)fwide(stderr, -1);
	selfcheck_kind = getenv("P11_PROCSTATE_SELFCHECK");
	if (selfcheck_kind != NULL && *selfcheck_kind == '\0')
		selfcheck_kind = NULL;
	snap_take(&base);
	if (o.dump) {
		dump(&base);
		snap_free(&base);
		return 0;
	}
	if ((modes = strdup(o.modes)) == NULL)
		return 3;
	for (m = strtok_r(modes, ",", &save); m != NULL && r == 0;
	    m = strtok_r(NULL, ",", &save)) {
		r = cycle(&o, m);
		cycles++;
	}
	free(modes);
	stage = "the end";
	if (r == 0 && o.out != NULL)
		r = write_outputs(o.out);
	snap_free(&base);
	snap_free(&now);
	if (r != 0)
		return r;
	printf("procstate: %d cycles, %u steps compared, %u differences, "
	    "%u application mutex calls, at most %u descriptors held by the "
	    "module, unloaded by dlclose %u times\n", cycles, nstages, ndiffs,
	    mutex_calls, module_fds_max, unloaded);
	return ndiffs == 0 ? 0 : 1;
}
