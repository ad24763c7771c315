/*
 * token-emu/trace.c - the APDU trace, with PINs, PUKs and keys redacted.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reader/apdu.h"
#include "reader/hex.h"
#include "trace.h"

#define INS_VERIFY		0x20
#define INS_CHANGE_REF		0x24
#define INS_RESET_RETRY		0x2c
#define INS_GENERAL_AUTH	0x87
#define INS_GET_RESPONSE	0xc0
#define INS_YK_IMPORT		0xfe
#define INS_YK_SET_MGMT		0xff
#define KEY_MGMT		0x9b

struct emu_trace {
	pthread_mutex_t	 lock;
	FILE		*fp;
	bool		 own;		/* fp is ours to close */
	struct timespec	 t0;
};

static void
trace_errf(char *err, size_t errlen, const char *path, int e)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "trace file %s: %s", path, strerror(e));
}

struct emu_trace *
emu_trace_open(const char *path, char *err, size_t errlen)
{
	struct emu_trace	*t;
	int			 fd = -1, e = ENOMEM;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto fail;
	if (strcmp(path, "-") == 0) {
		t->fp = stderr;
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || (t->fp = fdopen(fd, "w")) == NULL) {
			e = errno;
			goto fail;
		}
		t->own = true;
	}
	if ((e = pthread_mutex_init(&t->lock, NULL)) != 0)
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &t->t0);
	return t;
fail:
	trace_errf(err, errlen, path, e);
	if (t != NULL && t->fp != NULL && t->own)
		fclose(t->fp);
	else if (fd >= 0)
		close(fd);
	free(t);
	return NULL;
}

void
emu_trace_close(struct emu_trace **tp)
{
	struct emu_trace *t = *tp;

	if (t == NULL)
		return;
	if (t->own)
		fclose(t->fp);
	else
		fflush(t->fp);
	pthread_mutex_destroy(&t->lock);
	free(t);
	*tp = NULL;
}

bool
emu_trace_is_secret(const uint8_t *cmd, size_t len)
{
	if (cmd == NULL || len < 2)
		return false;
	switch (cmd[1]) {
	case INS_VERIFY:
	case INS_CHANGE_REF:
	case INS_RESET_RETRY:
	case INS_YK_IMPORT:
	case INS_YK_SET_MGMT:
		return true;
	case INS_GENERAL_AUTH:
		return len >= 4 && cmd[3] == KEY_MGMT;
	default:
		return false;
	}
}

/* Responses that are secrets although the command is not: decryption and
 * key agreement with the key-management keys (9D, retired 82..95). */
static bool
trace_rsp_is_secret(const uint8_t *cmd, size_t len)
{
	if (cmd == NULL || len < 4 || cmd[1] != INS_GENERAL_AUTH)
		return false;
	return cmd[3] == 0x9d || (cmd[3] >= 0x82 && cmd[3] <= 0x95);
}

/* hex of p[0..n) with [from, to) shown as "**" per byte; out: 2n+1 */
static void
trace_hex_masked(const uint8_t *p, size_t n, size_t from, size_t to,
    char *out)
{
	if (from > n)
		from = n;
	if (to > n || to < from)
		to = n;
	ss_hex_encode(p, from, out);
	memset(out + 2 * from, '*', 2 * (to - from));
	ss_hex_encode(p + to, n - to, out + 2 * to);
}

void
emu_trace_hex_cmd(const uint8_t *cmd, size_t len, char *out)
{
	struct ss_apdu	a;
	size_t		from;

	if (!emu_trace_is_secret(cmd, len)) {
		ss_hex_encode(cmd, len, out);
		return;
	}
	if (ss_apdu_parse(cmd, len, &a) == 0) {
		from = (a.lc > 0) ? (size_t)(a.data - cmd) : len;
		trace_hex_masked(cmd, len, from, from + a.lc, out);
		return;
	}
	/* malformed: keep CLA INS P1 P2 P3, hide everything after */
	trace_hex_masked(cmd, len, 5, len, out);
}

void
emu_trace_hex_rsp(const uint8_t *rsp, size_t len, bool redact, char *out)
{
	if (redact && len >= 2)
		trace_hex_masked(rsp, len, 0, len - 2, out);
	else if (redact)
		trace_hex_masked(rsp, len, 0, len, out);
	else
		ss_hex_encode(rsp, len, out);
}

/* caller holds the lock */
static void
trace_prefix(struct emu_trace *t, unsigned card, const char *dir)
{
	struct timespec	now;
	int64_t		us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (int64_t)(now.tv_sec - t->t0.tv_sec) * 1000000 +
	    (now.tv_nsec - t->t0.tv_nsec) / 1000;
	if (us < 0)
		us = 0;
	fprintf(t->fp, "%" PRId64 ".%03d card%u %s ", us / 1000,
	    (int)(us % 1000), card, dir);
}

static void
trace_line(struct emu_tracer *tr, const char *dir, const char *text)
{
	struct emu_trace *t = tr->trace;

	pthread_mutex_lock(&t->lock);
	trace_prefix(t, tr->card, dir);
	fputs(text, t->fp);
	fputc('\n', t->fp);
	fflush(t->fp);
	pthread_mutex_unlock(&t->lock);
}

/* "<kind> <hex>" in a fresh buffer; NULL when out of memory */
static char *
trace_alloc_hex(const char *kind, size_t n)
{
	size_t	 k = strlen(kind);
	char	*s;

	if (n > (SIZE_MAX - k - 2) / 2 || (s = malloc(k + 2 + 2 * n)) == NULL)
		return NULL;
	memcpy(s, kind, k);
	s[k] = ' ';
	s[k + 1] = '\0';
	return s;
}

void
emu_trace_cmd(struct emu_tracer *tr, const uint8_t *cmd, size_t len)
{
	bool	 getresp = len >= 2 && cmd[1] == INS_GET_RESPONSE;
	char	*s;

	tr->secret_rsp = emu_trace_is_secret(cmd, len) ||
	    trace_rsp_is_secret(cmd, len) || (tr->secret_chain && getresp);
	tr->secret_chain = false;
	if (tr->trace == NULL)
		return;
	if ((s = trace_alloc_hex("cmd", len)) == NULL)
		return;
	emu_trace_hex_cmd(cmd, len, s + 4);
	trace_line(tr, ">", s);
	free(s);
}

void
emu_trace_rsp(struct emu_tracer *tr, const uint8_t *rsp, size_t len)
{
	bool	 redact = tr->secret_rsp;
	char	*s;

	tr->secret_rsp = false;
	tr->secret_chain = redact && len >= 2 && rsp[len - 2] == 0x61;
	if (tr->trace == NULL)
		return;
	if ((s = trace_alloc_hex("rsp", len)) == NULL)
		return;
	emu_trace_hex_rsp(rsp, len, redact, s + 4);
	trace_line(tr, "<", s);
	free(s);
}

static const char *
trace_ctl_name(uint8_t code)
{
	switch (code) {
	case 0x00:
		return "power-off";
	case 0x01:
		return "power-on";
	case 0x02:
		return "reset";
	case 0x04:
		return "get-atr";
	default:
		return "unknown";
	}
}

void
emu_trace_ctl(struct emu_tracer *tr, uint8_t code)
{
	char s[32];

	tr->secret_rsp = tr->secret_chain = false;
	if (tr->trace == NULL)
		return;
	snprintf(s, sizeof(s), "ctl %02X %s", (unsigned)code,
	    trace_ctl_name(code));
	trace_line(tr, ">", s);
}

void
emu_trace_atr(struct emu_tracer *tr, const uint8_t *atr, size_t len)
{
	char *s;

	if (tr->trace == NULL || (s = trace_alloc_hex("atr", len)) == NULL)
		return;
	ss_hex_encode(atr, len, s + 4);
	trace_line(tr, "<", s);
	free(s);
}

void
emu_trace_event(struct emu_tracer *tr, const char *fmt, ...)
{
	struct emu_trace	*t = tr->trace;
	va_list			 ap;

	tr->secret_rsp = tr->secret_chain = false;
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	trace_prefix(t, tr->card, "-");
	va_start(ap, fmt);
	vfprintf(t->fp, fmt, ap);
	va_end(ap);
	fputc('\n', t->fp);
	fflush(t->fp);
	pthread_mutex_unlock(&t->lock);
}
