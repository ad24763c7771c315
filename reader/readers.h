/*
 * reader/readers.h - the list of smart-card readers, with stable ids.
 *
 * Every reader name ever seen gets an id: 0, 1, 2, ... in order of first
 * sight.  An id never changes meaning: a reader that is unplugged stays in
 * the list with present = false (the module keeps its slot, without a
 * token); when a reader with the same name comes back it gets the same id;
 * a reader with a new name gets the next id.  The list never shrinks, and
 * at most SS_READERS_MAX names are tracked (later ones are ignored).
 *
 * ss_readers_refresh() is cheap and never blocks: one reader list and one
 * status_change() with timeout 0 per 16 readers (about 50 us with
 * pcsc-lite 1.9.9).  The list is taken every time because pcsc-lite's PnP
 * pseudo-reader only reports arrivals that happen during a blocking call.
 * Call it from C_GetSlotList.  ss_readers_wait() blocks for changes (C_WaitForSlotEvent)
 * and ss_readers_cancel() wakes it from another thread (C_Finalize).
 *
 * Change tracking, for the module:
 * - ss_readers_seq() is a global sequence number, bumped on every visible
 *   change (a reader appears/disappears, a card is inserted, removed or
 *   swapped, the ATR changes).
 * - ss_reader_info.events is the same per reader: a slot had an event iff
 *   its events value differs from the one the module saw last.
 * - ss_reader_info.card_seq changes whenever the card in the reader may be
 *   a different one (insert, remove, swap seen through pcsc-lite's event
 *   counter even when both snapshots say "present").  A module that
 *   remembers card_seq at C_Login can tell that its card was swapped.
 *
 * Thread safety: a struct ss_readers has a mutex of its own; every function
 * may be called from any thread, concurrently.  ss_readers_wait() does not
 * hold the mutex while it blocks, so refresh/get from other threads go on.
 * Only one thread should wait at a time (a second waiter gets
 * SS_ERR_BAD_ARG).  ss_readers_free() must not race with any other call.
 */
#ifndef SS_READERS_H
#define SS_READERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport.h"

#define SS_READERS_MAX	64

struct ss_readers;

/* A snapshot of one reader, copied out under the lock. */
struct ss_reader_info {
	unsigned	id;
	char		name[SS_READER_NAME_MAX];
	bool		present;	/* the reader is attached */
	bool		card;		/* a card is in it (maybe mute) */
	bool		mute;		/* the card does not answer reset */
	bool		exclusive;	/* someone holds it exclusively */
	bool		inuse;		/* someone has it connected */
	uint8_t		atr[SS_ATR_MAX];
	size_t		atr_len;	/* 0 when no card */
	uint64_t	events;		/* bumped on every change of this reader */
	uint64_t	card_seq;	/* bumped when the card may be another */
};

/* Create an empty list; nothing is contacted until the first refresh.
 * The transport is copied; its ops/priv must outlive the list. */
int	ss_readers_new(struct ss_readers **, const struct ss_transport *);
/* Release the contexts and free; *rp is set to NULL. */
void	ss_readers_free(struct ss_readers **rp);

/* Re-read the reader list and every reader's state, without blocking.
 * Re-establishes the PC/SC context after a pcscd restart.  On
 * SS_ERR_NO_SERVICE every known reader is marked absent. */
int	ss_readers_refresh(struct ss_readers *);
/* Number of ids assigned so far (ids are 0 .. count-1). */
size_t	ss_readers_count(struct ss_readers *);
/* Copy reader id's state; SS_ERR_BAD_ARG for an id never assigned. */
int	ss_readers_get(struct ss_readers *, unsigned id,
	    struct ss_reader_info *);
/* Look a reader up by exact name; SS_ERR_NO_READER when never seen. */
int	ss_readers_find(struct ss_readers *, const char *name, unsigned *id);
/* The global change sequence number (see above). */
uint64_t ss_readers_seq(struct ss_readers *);

/*
 * Block until the global change sequence differs from *seq, or
 * timeout_ms passes (SS_TIMEOUT_INFINITE: never), or ss_readers_cancel().
 * Returns SS_ERR_OK (a change; *seq is updated to the new value),
 * SS_ERR_TIMEOUT or SS_ERR_CANCELLED (or a transport error such as
 * SS_ERR_COMM that retrying cannot fix).  Reader arrivals are seen through
 * the PnP pseudo-reader and a reader list taken every round; a round
 * blocks at most about a second.  When pcscd goes away every reader is
 * marked absent (a change), and while it stays down the wait retries about
 * every second until the timeout, so a pcscd restart is survived.
 * With timeout 0 it polls once.  Pass the value of ss_readers_seq() read
 * together with the snapshot the caller compared against, so that no
 * change can fall in between.  Only the first 15 present readers are
 * watched while blocking (pcsc-lite takes 16 states per call, one is
 * PnP); every reader is seen by ss_readers_refresh().
 */
int	ss_readers_wait(struct ss_readers *, uint32_t timeout_ms,
	    uint64_t *seq);
/*
 * Make the current (or the next) ss_readers_wait() return
 * SS_ERR_CANCELLED.  Safe from any thread (e.g. C_Finalize while another
 * thread waits in C_WaitForSlotEvent).  A cancel with no waiter is kept
 * for the next wait only.  Latency: immediate when the waiter is blocked
 * in the transport or pausing; at worst one round (about a second) if it
 * lands just as a round starts.
 */
int	ss_readers_cancel(struct ss_readers *);

#endif
