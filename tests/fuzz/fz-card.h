/*
 * tests/fuzz/fz-card.h - the emulated card the fuzzers run against, and
 * cheap key generation.
 *
 * The card is built once per process (fz_card_template()) with a key in
 * most kinds of slot, certificates from a throw-away CA and the card-level
 * objects; each input works on a copy (fz_card_clone(), cheap: keys are
 * shared by reference count, objects copied) so runs do not depend on
 * earlier inputs.
 *
 * Key generation: the fuzz programs link with -Wl,--wrap=emu_crypto_keygen,
 * so the emulator's GENERATE (and anything else calling
 * emu_crypto_keygen()) gets fz_key(alg): one key per algorithm, handed
 * out again and again.  RSA keys are fixed (fz-keys.c: no RSA-4096
 * generation ever), the others generated on first use; a GENERATE
 * answers the same public key every time (deterministic runs).
 */
#ifndef FUZZ_FZ_CARD_H
#define FUZZ_FZ_CARD_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "token-emu/card.h"

/* fz-keys.c: a fixed RSA private key of this size, PEM; NULL if none. */
const char	*fz_rsa_pem(unsigned bits);
/* A new reference to the process's key of this PIV algorithm, or NULL. */
EVP_PKEY	*fz_key(uint8_t alg);
EVP_PKEY	*__wrap_emu_crypto_keygen(uint8_t alg);

/* The card, built on first call (abort() on failure); never freed. */
const struct emu_card *fz_card_template(void);
/* The throw-away CA that issued its certificates (not a new reference). */
X509		*fz_card_ca(void);
/* Its 9A certificate, DER (built once, never freed). */
const uint8_t	*fz_card_cert_9a(size_t *len);
/* A copy to work on; release with emu_card_free().  0 or -1. */
int		 fz_card_clone(struct emu_card *dst, const struct emu_card *);

#endif
