/*
 * token-emu/log.c - log lines on stderr, whole lines under stdio's lock.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

#include "log.h"

static atomic_bool quiet;

static void	log_line(const char *, va_list) EMU_PRINTF(1, 0);

void
emu_log_set_quiet(bool on)
{
	atomic_store(&quiet, on);
}

static void
log_line(const char *fmt, va_list ap)
{
	flockfile(stderr);
	fputs("smartsign-emu: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void
emu_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(fmt, ap);
	va_end(ap);
}

void
emu_info(const char *fmt, ...)
{
	va_list ap;

	if (atomic_load(&quiet))
		return;
	va_start(ap, fmt);
	log_line(fmt, ap);
	va_end(ap);
}
