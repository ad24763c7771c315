/*
 * tests/unit/p11-emu-fixture.h - the module against one emulated card in
 * process, for the test-p11-* programs (include after emu-transport.c).
 * The including file defines card_refs[] and card_algs[] (the keys of
 * its card); the card is made once per group (RSA keys take time) and
 * parsed fresh for every test, so each test starts from a new card.
 */
#ifndef P11_EMU_FIXTURE_H
#define P11_EMU_FIXTURE_H

static uint8_t	*card_blob;
static size_t	 card_blob_len;

static int
group_setup(void **state)
{
	(void)state;
	return emu_tr_card_blob(card_refs, card_algs, sizeof(card_refs),
	    &card_blob, &card_blob_len);
}

static int
group_teardown(void **state)
{
	(void)state;
	ss_free_secret(card_blob, card_blob_len);
	return 0;
}

/* A fresh card in reader "Emu Reader 0" (*rd), the module's transport. */
static inline int
p11fx_card_in(struct emu_tr *tr, struct emu_card *card, unsigned *rd)
{
	struct ss_transport t;

	emu_tr_init(tr);
	if (emu_tr_card_parse(card, card_blob, card_blob_len) < 0)
		return -1;
	*rd = emu_tr_add_reader(tr, "Emu Reader 0");
	emu_tr_insert(tr, *rd, card);
	emu_tr_transport(tr, &t);
	p11_set_transport(&t);
	return 0;
}

/* C_Finalize, the transport and the card gone. */
static inline void
p11fx_card_out(struct emu_tr *tr, struct emu_card *card)
{
	(void)C_Finalize(NULL);
	p11_set_transport(NULL);
	emu_tr_free(tr);
	emu_card_free(card);
}

#endif
