/*
 * tools/diag_pin.c - read the PIN: from a file descriptor (--pin-fd N,
 * for scripts: the first line) or from the terminal with echo off.
 * Never from the command line.  Terminal settings are restored on every
 * path, also when Ctrl-C interrupts the prompt.  The caller wipes the
 * buffer with ss_wipe().
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "reader/wipe.h"
#include "tools/diag_p11.h"

static volatile sig_atomic_t pin_interrupted;

static void
on_int(int sig)
{
	(void)sig;
	pin_interrupted = 1;
}

/* Read up to a newline or EOF; the newline is not kept.  -1 when the
 * input is longer than cap - 1 or reading fails. */
static ssize_t
read_line(int fd, char *buf, size_t cap)
{
	size_t	n = 0;
	ssize_t	r;
	char	c;

	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR && !pin_interrupted)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0 || c == '\n')
			break;
		if (n + 1 >= cap)
			goto fail;
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	ss_wipe(&c, sizeof(c));
	return (ssize_t)n;
fail:
	ss_wipe(buf, cap);
	ss_wipe(&c, sizeof(c));
	return -1;
}

static void
say(int fd, const char *s)
{
	size_t	off = 0, n = strlen(s);
	ssize_t	w;

	while (off < n) {
		w = write(fd, s + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

static ssize_t
read_tty(const char *prompt, char *buf, size_t cap)
{
	struct termios		 old, quiet;
	struct sigaction	 sa, oint, oterm;
	ssize_t			 n;
	int			 fd;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "smartsign-diag: no terminal for the PIN "
		    "prompt (use --pin-fd N)\n");
		return -1;
	}
	if (tcgetattr(fd, &old) < 0) {
		(void)close(fd);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_int;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, &oint);
	(void)sigaction(SIGTERM, &sa, &oterm);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	say(fd, prompt);
	(void)tcsetattr(fd, TCSAFLUSH, &quiet);
	n = read_line(fd, buf, cap);
	(void)tcsetattr(fd, TCSAFLUSH, &old);
	say(fd, "\n");
	(void)close(fd);
	(void)sigaction(SIGINT, &oint, NULL);
	(void)sigaction(SIGTERM, &oterm, NULL);
	if (pin_interrupted) {
		ss_wipe(buf, cap);
		return -1;
	}
	return n;
}

ssize_t
diag_pin_read(int fd, const char *prompt, char *buf, size_t cap)
{
	ssize_t	n;

	if (cap < 2)
		return -1;
	if (fd < 0)
		return read_tty(prompt, buf, cap);
	n = read_line(fd, buf, cap);
	if (n < 0)
		fprintf(stderr, "smartsign-diag: cannot read the PIN from fd "
		    "%d (at most %zu characters, one line)\n", fd, cap - 1);
	return n;
}
