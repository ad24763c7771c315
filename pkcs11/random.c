/*
 * pkcs11/random.c - C_GenerateRandom and C_SeedRandom.
 *
 * The token's random number generator is the card's: a driver that has
 * a command returning random bytes fills drv_ops.random, the token then
 * shows CKF_RNG (slot.c) and C_GenerateRandom asks the card.  The module
 * never substitutes host randomness for the card's.
 *
 * The PIV card edge (SP 800-73-4) has no GET CHALLENGE, and neither do
 * the YubiKey PIV extensions.  The only card-generated random value a
 * PIV card hands out is the management-key witness of GENERAL
 * AUTHENTICATE (9B), and that comes encrypted under the management key,
 * costs a step of an authentication protocol and is not offered as a
 * random source by the card: it is not used.  So on PIV cards CKF_RNG is
 * clear and both calls answer CKR_RANDOM_NO_RNG (after the session and
 * argument checks), the code PKCS#11 gives for a token without a
 * generator and the one clients such as pkcs11-tool --test accept.
 * C_SeedRandom with a generator: CKR_RANDOM_SEED_NOT_SUPPORTED (a card
 * cannot be seeded).
 */
#include <stddef.h>

#include "pkcs11/p11.h"

/* Random bytes from the card (slot mutex held). */
static CK_RV
rng_card(struct p11_slot *s, CK_BYTE *out, CK_ULONG len)
{
	CK_RV	rv;
	int	rc;

	if (s->drv == NULL || s->drv->random == NULL)
		return CKR_RANDOM_NO_RNG;
	if (len == 0)
		return CKR_OK;
	if ((rv = p11_io_begin(s, P11_E_SESSION)) != CKR_OK)
		return rv;
	rc = s->drv->random(s->card, s->chan, out, (size_t)len);
	p11_io_end(s);
	return rc == DRV_OK ? CKR_OK : p11_slot_err(s, rc, P11_E_SESSION);
}

static CK_RV
rng_call(CK_SESSION_HANDLE h, CK_BYTE *p, CK_ULONG n, bool seed)
{
	struct p11_session	*ss;
	struct p11_slot		*s;
	CK_RV			 rv;

	if ((rv = p11_sess_get(h, &s, &ss)) != CKR_OK)
		return rv;
	if (p == NULL && n > 0)
		rv = CKR_ARGUMENTS_BAD;
	else if (s->drv == NULL || s->drv->random == NULL)
		rv = CKR_RANDOM_NO_RNG;
	else if (seed)
		rv = CKR_RANDOM_SEED_NOT_SUPPORTED;
	else
		rv = rng_card(s, p, n);
	p11_sess_put(s);
	return rv;
}

CK_RV
C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed,
    CK_ULONG ulSeedLen)
{
	p11_log_enter(__func__);
	return p11_log_rv(__func__, rng_call(hSession, pSeed, ulSeedLen,
	    true));
}

CK_RV
C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR RandomData,
    CK_ULONG ulRandomLen)
{
	p11_log_enter(__func__);
	return p11_log_rv(__func__, rng_call(hSession, RandomData,
	    ulRandomLen, false));
}
