/*
 * token-emu/log.h - the emulator's log: one line per event on stderr,
 * prefixed "smartsign-emu: ".  Safe to call from any thread; never pass
 * PIN, PUK or key bytes.
 */
#ifndef EMU_LOG_H
#define EMU_LOG_H

#include <stdbool.h>

#define EMU_PRINTF(a, b)	__attribute__((format(printf, a, b)))

void	emu_log_set_quiet(bool);
/* errors and warnings: always printed */
void	emu_log(const char *, ...) EMU_PRINTF(1, 2);
/* progress (connected, pulled, ...): suppressed by --quiet */
void	emu_info(const char *, ...) EMU_PRINTF(1, 2);

#endif
