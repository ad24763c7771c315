/*
 * token-emu/counters.h - the counters file read by tests and benchmarks.
 *
 * One "name value" line each, sorted by name: apdus, ins_XX (one per INS
 * seen, XX upper-case hex), keyops, pulls, resets, verify, verify_fail.
 * Rewritten after every APDU as a whole: written to "FILE.tmp" in the same
 * folder and renamed over FILE, so a reader sees the old or the new file,
 * never a half-written one.  No fsync: the file is for live observation,
 * not for surviving a crash.
 */
#ifndef EMU_COUNTERS_H
#define EMU_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "card.h"

/* enough for every line with 20-digit values */
#define EMU_COUNTERS_TEXT_MAX	(7 * 32 + 256 * 28)

struct emu_counters_file {
	char	*path;
	char	*tmp;
};

/*
 * The file of card number cardno (1-based): base itself for card 1,
 * "base.N" for card N >= 2.  0, or -1 on allocation failure.
 */
int	emu_counters_open(struct emu_counters_file *, const char *base,
	    unsigned cardno);
void	emu_counters_close(struct emu_counters_file *);
/* Format into buf; 0 and *len set, or -1 if cap is too small. */
int	emu_counters_format(const struct emu_counters *, uint64_t pulls,
	    char *buf, size_t cap, size_t *len);
/* Replace the file atomically; 0, or -1 with errno set. */
int	emu_counters_write(const struct emu_counters_file *,
	    const struct emu_counters *, uint64_t pulls);

#endif
