/*
 * token-emu/counters.c - write the counters file: temporary file + rename.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader/buf.h"
#include "counters.h"

static char *
counters_strdupf(const char *base, const char *suffix, unsigned n)
{
	char	*s;
	size_t	 cap = strlen(base) + strlen(suffix) + 16;

	if ((s = malloc(cap)) == NULL)
		return NULL;
	if (n >= 2)
		snprintf(s, cap, "%s.%u%s", base, n, suffix);
	else
		snprintf(s, cap, "%s%s", base, suffix);
	return s;
}

int
emu_counters_open(struct emu_counters_file *f, const char *base,
    unsigned cardno)
{
	f->path = counters_strdupf(base, "", cardno);
	f->tmp = counters_strdupf(base, ".tmp", cardno);
	if (f->path == NULL || f->tmp == NULL) {
		emu_counters_close(f);
		return -1;
	}
	return 0;
}

void
emu_counters_close(struct emu_counters_file *f)
{
	free(f->path);
	free(f->tmp);
	f->path = NULL;
	f->tmp = NULL;
}

static void
counters_line(struct ss_wr *w, const char *name, uint64_t value)
{
	char	line[64];
	int	n;

	n = snprintf(line, sizeof(line), "%s %" PRIu64 "\n", name, value);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		w->err = 1;
		return;
	}
	ss_wr_bytes(w, line, (size_t)n);
}

/* the lines are emitted in sorted order: "apdus" < "ins_00".."ins_FF" <
 * "keyops" < "pulls" < "resets" < "verify" < "verify_fail" */
int
emu_counters_format(const struct emu_counters *c, uint64_t pulls, char *buf,
    size_t cap, size_t *len)
{
	struct ss_wr	w;
	char		name[8];
	unsigned	ins;

	ss_wr_init(&w, (uint8_t *)buf, cap);
	counters_line(&w, "apdus", c->apdus);
	for (ins = 0; ins < 256; ins++) {
		if (c->by_ins[ins] == 0)
			continue;
		snprintf(name, sizeof(name), "ins_%02X", ins);
		counters_line(&w, name, c->by_ins[ins]);
	}
	counters_line(&w, "keyops", c->keyops);
	counters_line(&w, "pulls", pulls);
	counters_line(&w, "resets", c->resets);
	counters_line(&w, "verify", c->verify);
	counters_line(&w, "verify_fail", c->verify_fail);
	if (w.err)
		return -1;
	*len = w.len;
	return 0;
}

static int
counters_write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
emu_counters_write(const struct emu_counters_file *f,
    const struct emu_counters *c, uint64_t pulls)
{
	char	text[EMU_COUNTERS_TEXT_MAX];
	size_t	len = 0;
	int	fd = -1, err;

	if (emu_counters_format(c, pulls, text, sizeof(text), &len) < 0) {
		errno = ENOBUFS;
		return -1;
	}
	fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	if (counters_write_all(fd, text, len) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(f->tmp, f->path) < 0)
		goto fail;
	return 0;
fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	(void)unlink(f->tmp);
	errno = err;
	return -1;
}
