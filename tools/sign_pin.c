/*
 * tools/sign_pin.c - the PIN for one run: locked page, no-echo prompt,
 * file descriptor, wiped at the end.
 *
 * The PIN's bytes go from read(2) straight into the locked page, one byte
 * at a time: no stdio buffer, no copy elsewhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#include "reader/wipe.h"
#include "tools/sign_pin.h"

#define GUARD_NSIGS	4

/* What a fatal signal must undo (async-signal-safe only): the page is
 * wiped whenever the run is killed by INT, TERM, HUP or QUIT, and the
 * terminal's echo is restored during the prompt. */
static const int		 guard_sigs[GUARD_NSIGS] = { SIGINT, SIGTERM,
				    SIGHUP, SIGQUIT };
static struct sigaction		 guard_old[GUARD_NSIGS];
static char			*volatile guard_buf;
static size_t			 guard_cap;
static volatile sig_atomic_t	 tty_active;
static int			 tty_fd = -1;
static struct termios		 tty_saved;

/* Terminal output whose failure changes nothing. */
static void
tty_put(int fd, const char *s)
{
	ssize_t n = write(fd, s, strlen(s));

	(void)n;
}

static void
guard_signal(int sig)
{
	if (tty_active) {
		(void)tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
		tty_put(tty_fd, "\n");
	}
	if (guard_buf != NULL)
		ss_wipe(guard_buf, guard_cap);
	(void)signal(sig, SIG_DFL);
	(void)raise(sig);
}

static void
guard_set(char *buf, size_t cap)
{
	struct sigaction	sa;
	size_t			i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = guard_signal;
	sigemptyset(&sa.sa_mask);
	guard_cap = cap;
	guard_buf = buf;
	for (i = 0; i < GUARD_NSIGS; i++)
		(void)sigaction(guard_sigs[i], &sa, &guard_old[i]);
}

static void
guard_clear(void)
{
	size_t i;

	if (guard_buf == NULL)
		return;
	for (i = 0; i < GUARD_NSIGS; i++)
		(void)sigaction(guard_sigs[i], &guard_old[i], NULL);
	guard_buf = NULL;
}

int
sp_pin_init(struct sp_pin *p, struct se_err *err)
{
	long	page = sysconf(_SC_PAGESIZE);
	void	*m;

	memset(p, 0, sizeof(*p));
	if (page < 4096)
		page = 4096;
	m = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		se_set(err, "cannot allocate the PIN page: %s", strerror(errno));
		return -1;
	}
	p->buf = m;
	p->cap = (size_t)page;
	p->locked = mlock(m, p->cap) == 0;
	(void)madvise(m, p->cap, MADV_DONTDUMP);
	guard_set(p->buf, p->cap);
	return 0;
}

void
sp_pin_set_pinpad(struct sp_pin *p)
{
	p->pinpad = true;
	p->len = 0;
}

void
sp_pin_free(struct sp_pin *p)
{
	if (p->buf != NULL) {
		guard_clear();
		ss_wipe(p->buf, p->cap);
		if (p->locked)
			(void)munlock(p->buf, p->cap);
		(void)munmap(p->buf, p->cap);
	}
	memset(p, 0, sizeof(*p));
}

/* Read one line into p->buf; 0 ok, -1 error (message set). */
static int
pin_read_line(struct sp_pin *p, int fd, struct se_err *err)
{
	ssize_t	n;

	p->len = 0;
	for (;;) {
		if (p->len > SP_PIN_MAX) {
			se_set(err, "the PIN is longer than %d characters",
			    SP_PIN_MAX);
			goto fail;
		}
		n = read(fd, p->buf + p->len, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			se_set(err, "cannot read the PIN: %s", strerror(errno));
			goto fail;
		}
		if (n == 0 || p->buf[p->len] == '\n')
			break;
		if (p->buf[p->len] == '\0') {
			se_set(err, "the PIN holds a NUL byte");
			goto fail;
		}
		p->len++;
	}
	p->buf[p->len] = '\0';
	if (p->len > 0 && p->buf[p->len - 1] == '\r')
		p->buf[--p->len] = '\0';
	if (p->len == 0) {
		se_set(err, "empty PIN");
		goto fail;
	}
	return 0;
fail:
	ss_wipe(p->buf, p->cap);
	p->len = 0;
	return -1;
}

int
sp_pin_from_fd(struct sp_pin *p, int fd, struct se_err *err)
{
	int rc;

	if (fcntl(fd, F_GETFD) < 0) {
		se_set(err, "--pin-fd %d: not an open file descriptor", fd);
		return -1;
	}
	p->pinpad = false;
	rc = pin_read_line(p, fd, err);
	if (fd > 2)
		(void)close(fd);
	return rc;
}

int
sp_pin_from_tty(struct sp_pin *p, const char *prompt, struct se_err *err)
{
	struct sigaction	old_tstp, ign;
	struct termios		t;
	int			fd, rc = -1;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		se_set(err, "no terminal to ask for the PIN (use --pin-fd N "
		    "for automation)");
		return -1;
	}
	if (tcgetattr(fd, &tty_saved) < 0) {
		se_set(err, "cannot switch the terminal's echo off: %s",
		    strerror(errno));
		goto out;
	}
	/* no stop in the middle of the prompt with echo off */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	(void)sigaction(SIGTSTP, &ign, &old_tstp);
	tty_fd = fd;
	tty_active = 1;
	t = tty_saved;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	t.c_lflag |= ICANON;
	if (tcsetattr(fd, TCSAFLUSH, &t) < 0) {
		se_set(err, "cannot switch the terminal's echo off: %s",
		    strerror(errno));
	} else {
		tty_put(fd, prompt);
		p->pinpad = false;
		rc = pin_read_line(p, fd, err);
		tty_put(fd, "\n");
	}
	(void)tcsetattr(fd, TCSAFLUSH, &tty_saved);
	tty_active = 0;
	tty_fd = -1;
	(void)sigaction(SIGTSTP, &old_tstp, NULL);
out:
	(void)close(fd);
	return rc;
}
