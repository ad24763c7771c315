/*
 * tests/fuzz/fuzz-cardfile.c - card files into emu_cardfile_parse()
 * (token-emu/cardfile.c): a card file is a state file a user or a script
 * may hand the emulator, so every byte is untrusted.
 *
 * Input: byte 0 is a set of repairs so that the fuzzer gets past the
 * envelope and into the records; the rest is the card file.
 *   bit 0  write the header's body length (bytes 12..15) to match the size
 *   bit 1  replace the last 32 bytes with the SHA-256 of what precedes them
 *   bit 2  check the round trip below (slow: every key is encoded and
 *          decoded twice more, so the fuzzer picks when)
 * Without repairs the envelope itself is fuzzed.
 *
 * Beyond "no crash" (bit 2): a card that parses must serialize, and that
 * file must parse again to a card that serializes to the same bytes (what
 * cardfile.c promises: a card that saves always loads).  abort() if not.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "reader/wipe.h"
#include "token-emu/card.h"
#include "token-emu/cardfile.h"
#include "fuzz.h"

#define FIX_BODY_LEN	0x01u
#define FIX_CHECKSUM	0x02u
#define ROUND_TRIP	0x04u
#define HDR_LEN		16
#define BODY_LEN_OFF	12
#define SUM_LEN		32

static void
repair(uint8_t *p, size_t len, uint8_t fix)
{
	unsigned int	mdlen = 0;
	size_t		blen;

	if ((fix & FIX_BODY_LEN) && len >= HDR_LEN + SUM_LEN) {
		blen = len - HDR_LEN - SUM_LEN;
		p[BODY_LEN_OFF] = (uint8_t)(blen >> 24);
		p[BODY_LEN_OFF + 1] = (uint8_t)(blen >> 16);
		p[BODY_LEN_OFF + 2] = (uint8_t)(blen >> 8);
		p[BODY_LEN_OFF + 3] = (uint8_t)blen;
	}
	if ((fix & FIX_CHECKSUM) && len >= SUM_LEN &&
	    EVP_Digest(p, len - SUM_LEN, p + len - SUM_LEN, &mdlen,
	    EVP_sha256(), NULL) != 1)
		abort();
}

/* The round trip a parsed card must survive. */
static void
round_trip(const struct emu_card *card)
{
	struct emu_card	 again;
	uint8_t		*a = NULL, *b = NULL;
	size_t		 alen = 0, blen = 0;
	char		 err[256];

	if (emu_cardfile_serialize(card, &a, &alen, err, sizeof(err)) < 0)
		abort();
	if (emu_cardfile_parse(a, alen, &again, err, sizeof(err)) < 0)
		abort();
	if (emu_cardfile_serialize(&again, &b, &blen, err, sizeof(err)) < 0 ||
	    alen != blen || memcmp(a, b, alen) != 0)
		abort();
	emu_card_free(&again);
	ss_free_secret(a, alen);
	ss_free_secret(b, blen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct emu_card	 card;
	struct ss_rd	 in;
	const uint8_t	*p;
	uint8_t		*file, fix;
	size_t		 len;
	char		 err[256];

	ss_rd_init(&in, data, size);
	fix = fz_u8(&in);
	len = fz_take(&in, ss_rd_left(&in), &p);
	/* exactly len bytes, so ASan sees a read past the end */
	if ((file = malloc(len > 0 ? len : 1)) == NULL)
		return 0;
	if (len > 0)
		memcpy(file, p, len);
	repair(file, len, fix);
	if (emu_cardfile_parse(file, len, &card, err, sizeof(err)) == 0) {
		if (fix & ROUND_TRIP)
			round_trip(&card);
		emu_card_free(&card);
	}
	free(file);
	ERR_clear_error();
	return 0;
}
