/*
 * pkcs11/log.c - the debug log: only when SMARTSIGN_DEBUG names a file.
 *
 * The file is opened at C_Initialize with O_APPEND|O_CREAT|O_NOFOLLOW|
 * O_CLOEXEC, mode 0600, and never by a set-id process.  Each line is one
 * write(2), so lines from several threads do not mix.  Without the
 * variable nothing is written anywhere, not even to stderr.  What is
 * logged: call entry and exit with the CKR_* name, and the APDU trace the
 * channel hands over (it leaves out the data of PIN commands already; no
 * PIN ever reaches this file from here).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pkcs11/p11.h"
#include "reader/hex.h"

#define LOG_LINE_MAX	4096
#define LOG_HEX_MAX	((LOG_LINE_MAX - 256) / 4)

static atomic_int log_fd = -1;

void
p11_log_open(void)
{
	const char	*path;
	int		 fd;

	if (atomic_load(&log_fd) >= 0)
		return;
	if (getuid() != geteuid() || getgid() != getegid())
		return;
	if ((path = getenv("SMARTSIGN_DEBUG")) == NULL || *path == '\0')
		return;
	do {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	} while (fd < 0 && errno == EINTR);
	if (fd >= 0)
		atomic_store(&log_fd, fd);
}

void
p11_log_close(void)
{
	int fd = atomic_exchange(&log_fd, -1);

	if (fd >= 0)
		(void)close(fd);
}

bool
p11_log_on(void)
{
	return atomic_load(&log_fd) >= 0;
}

static void
log_write(const char *buf, size_t len)
{
	int	fd = atomic_load(&log_fd);
	ssize_t	n;

	if (fd < 0)
		return;
	do {
		n = write(fd, buf, len);
	} while (n < 0 && errno == EINTR);
}

void
p11_log(const char *fmt, ...)
{
	char	buf[LOG_LINE_MAX];
	va_list	ap;
	int	n, m;

	if (!p11_log_on())
		return;
	n = snprintf(buf, sizeof(buf), "smartsign[%ld]: ", (long)getpid());
	if (n < 0)
		return;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	log_write(buf, (size_t)n);
}

void
p11_log_enter(const char *fn)
{
	if (p11_log_on())
		p11_log("%s", fn);
}

CK_RV
p11_log_rv(const char *fn, CK_RV rv)
{
	if (p11_log_on())
		p11_log("%s -> %s", fn, p11_rv_name(rv));
	return rv;
}

static void
log_hex(char *out, const uint8_t *p, size_t len)
{
	if (p == NULL)
		len = 0;
	if (len > LOG_HEX_MAX)
		len = LOG_HEX_MAX;
	ss_hex_encode(p, len, out);
}

/* ss_trace_fn: one APDU or control exchange, as the channel redacted it. */
void
p11_log_trace(void *arg, const struct ss_trace_rec *r)
{
	char	cmd[2 * LOG_HEX_MAX + 1], rsp[2 * LOG_HEX_MAX + 1];

	(void)arg;
	if (!p11_log_on() || r == NULL)
		return;
	log_hex(cmd, r->cmd, r->cmd_len);
	log_hex(rsp, r->resp, r->resp_len);
	if (r->kind == SS_TRACE_CONTROL)
		p11_log("  ctl %08x %s -> %s%s (%s, %lu us)",
		    (unsigned)r->control_code, cmd, rsp,
		    r->redacted ? " [redacted]" : "", ss_strerror(r->rc),
		    (unsigned long)r->usec);
	else
		p11_log("  > %s%s", cmd, r->redacted ? " [data redacted]" : "");
	if (r->kind == SS_TRACE_APDU)
		p11_log("  < %s (%s, %lu us)", rsp, ss_strerror(r->rc),
		    (unsigned long)r->usec);
}
