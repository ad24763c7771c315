/*
 * token-emu/cardfile.h - the card file: one file per card holding keys,
 * objects, PIN/PUK/management key and counters.  Saved atomically
 * (temporary file in the same folder, fsync, rename, fsync of the folder;
 * mode 0600; never follows a symlink), so a kill -9 at any instant leaves
 * the old or the new card.
 */
#ifndef EMU_CARDFILE_H
#define EMU_CARDFILE_H

#include <stddef.h>

#include "card.h"

/*
 * Load a card.  On failure returns -1 and writes a message that names the
 * file and says what is wrong (missing, not a card file, truncated,
 * corrupt, unsupported version) into err.
 */
int	emu_cardfile_load(const char *path, struct emu_card *card, char *err,
	    size_t errlen);
/* Save atomically to card->path; clears card->dirty on success. */
int	emu_cardfile_save(struct emu_card *card, char *err, size_t errlen);

#define EMU_CARDFILE_VERSION	1
#define EMU_CARDFILE_MAX	(1024 * 1024)	/* largest file accepted */

/*
 * The parser behind load, for tests and fuzzers: any bytes in, never
 * crashes.  On success card holds the card (card->path NULL); on failure
 * it is wiped (emu_card_free is still safe) and err says why, without a
 * path.
 */
int	emu_cardfile_parse(const uint8_t *, size_t, struct emu_card *,
	    char *err, size_t errlen);
/*
 * The bytes save writes, after the same checks load applies.  *out holds
 * PIN, PUK and keys: release it with ss_free_secret(*out, *outlen).
 */
int	emu_cardfile_serialize(const struct emu_card *, uint8_t **out,
	    size_t *outlen, char *err, size_t errlen);

#endif
