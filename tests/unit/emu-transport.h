/*
 * tests/unit/emu-transport.h - an in-process PC/SC world behind struct
 * ss_transport whose cards are the emulator's engine (token-emu/engine.h),
 * so the PKCS#11 module runs in unit tests without pcscd.
 *
 * Readers can be added, unplugged, given or emptied of a card, and a card
 * can be reset "by another application" (every connection then sees
 * SS_ERR_CARD_RESET once).  Transactions are exclusive per reader: a
 * begin or transmit on another connection while one is held gets
 * SS_ERR_SHARING (pcsc-lite would block) and is counted in
 * emu_tr.interleaved.  A reader may have a PIN pad (PC/SC part 10
 * VERIFY_PIN_DIRECT) whose user "types" a configured PIN.
 *
 * Thread safe (one mutex); status_change() blocks on a condition that a
 * world change or cancel() wakes.  The cards are the caller's
 * (struct emu_card); each inserted card gets an engine context of its own.
 *
 * Include "emu-transport.c" from the test program (the Makefile builds
 * every tests/unit/test-*.c alone).
 */
#ifndef EMU_TRANSPORT_H
#define EMU_TRANSPORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "reader/transport.h"
#include "token-emu/engine.h"

#define EMU_TR_READERS	8
#define EMU_TR_CONNS	128
#define EMU_TR_PINPAD_CODE	0x42330006u

struct emu_tr_reader {
	char		 name[SS_READER_NAME_MAX];
	bool		 present;
	struct emu_ctx	*ctx;		/* card in the reader, or NULL */
	uint32_t	 card_gen;	/* bumped on every insert and remove */
	uint32_t	 reset_gen;	/* bumped on every reset */
	uint16_t	 counter;	/* pcsc-lite's event counter */
	uint64_t	 tx_owner;	/* connection holding the transaction */
	bool		 pinpad;
	char		 pinpad_pin[9];	/* what the user "types" */
};

struct emu_tr_conn {
	bool		 used;
	unsigned	 reader;
	uint32_t	 card_gen;
	uint32_t	 reset_gen;
};

struct emu_tr {
	pthread_mutex_t		mu;
	pthread_cond_t		cv;
	struct emu_tr_reader	rd[EMU_TR_READERS];
	unsigned		nrd;
	struct emu_tr_conn	conn[EMU_TR_CONNS];
	uint64_t		world;		/* bumped on every change */
	uint64_t		next_ctx;
	bool			cancelled;
	uint64_t		interleaved;	/* APDUs refused by a held tx */
	uint64_t		transmits;
	uint64_t		lists;		/* list_readers calls */
};

void	emu_tr_init(struct emu_tr *);
void	emu_tr_free(struct emu_tr *);
void	emu_tr_transport(struct emu_tr *, struct ss_transport *);
unsigned emu_tr_add_reader(struct emu_tr *, const char *name);
void	emu_tr_unplug(struct emu_tr *, unsigned r);
/* Insert card (not owned; must outlive its time in the reader). */
void	emu_tr_insert(struct emu_tr *, unsigned r, struct emu_card *card);
void	emu_tr_remove(struct emu_tr *, unsigned r);
/* Another application resets the card. */
void	emu_tr_reset(struct emu_tr *, unsigned r);
void	emu_tr_set_pinpad(struct emu_tr *, unsigned r, const char *pin);
/* A copy of the card's engine counters (zeros when empty). */
struct emu_counters emu_tr_counters(struct emu_tr *, unsigned r);
/* Another application's connection to reader r (0 on failure). */
uint64_t emu_tr_foreign_connect(struct emu_tr *, unsigned r);
int	emu_tr_foreign_begin(struct emu_tr *, uint64_t card);
int	emu_tr_foreign_end(struct emu_tr *, uint64_t card);
void	emu_tr_foreign_disconnect(struct emu_tr *, uint64_t card);

/* A test card in serialized form: key reference refs[i] gets a key of
 * PIV algorithm algs[i] with a certificate from a new test CA (its
 * certificate goes to *ca_der, free()).  emu_tr_card_parse() gives each
 * test a fresh copy.  0 or -1. */
int	emu_tr_card_blob(const uint8_t *refs, const uint8_t *algs, size_t n,
	    uint8_t **blob, size_t *len);
int	emu_tr_card_parse(struct emu_card *, const uint8_t *, size_t);

#endif
