/*
 * tests/fuzz/fuzz-piv-driver.c - a hostile card answering the PKCS#11
 * module: every response to every APDU (and to the reader's PIN pad
 * feature query) comes from the fuzz input, and the module is driven
 * through its C_* functions by the flow of fz-flow.h (probe, token
 * information, PIN status, every key reference loaded with its
 * certificate parsed, login, signatures, decryption, key agreement and,
 * with a flag, the card management calls).  So the PIV driver's parsing
 * of SELECT, GET DATA (CHUID, certificates, key history), GET METADATA,
 * GET VERSION/SERIAL, GENERAL AUTHENTICATE and GENERATE answers, the
 * reader layer's 61xx/6Cxx handling and the front end's handling of
 * whatever the driver makes of it are all in reach.
 *
 * Input:
 *   flags:u8      bit 0  the Security Officer's calls too (FZ_FLOW_SO)
 *                 bit 1  C_Login with a NULL PIN (PIN pad)
 *                 bit 2  the card speaks T=0 (else T=1)
 *                 bit 3  when the answers run out, repeat the last one
 *   atr_len:u8 atr[atr_len]   (at most 33 used)
 *   answers       the script of fz-hostile.h, in the order the module
 *                 asks
 * gen-corpus records the emulated card's real answers in this format.
 */
#include <stdbool.h>
#include <stdlib.h>

#include <openssl/err.h>

#include "pkcs11/p11.h"
#include "fuzz.h"
#include "fz-card.h"
#include "fz-flow.h"
#include "fz-hostile.h"

#define IN_SO		0x01u
#define IN_PINPAD	0x02u
#define IN_T0		0x04u
#define IN_REPEAT	0x08u

/* The certificate the SO flow writes: the test card's 9A certificate. */
static void
setup_once(void)
{
	static bool	 done;
	const uint8_t	*der;
	size_t		 len = 0;

	if (done)
		return;
	done = true;
	der = fz_card_cert_9a(&len);
	fz_flow_set_cert(der, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_hostile	 h;
	struct ss_transport	 t;
	struct ss_rd		 in;
	const uint8_t		*atr, *script;
	size_t			 atr_len, len;
	unsigned		 flow = 0;
	uint8_t			 flags;

	setup_once();
	ss_rd_init(&in, data, size);
	flags = fz_u8(&in);
	atr_len = fz_take(&in, fz_u8(&in), &atr);
	len = fz_take(&in, ss_rd_left(&in), &script);
	fz_hostile_init(&h, script, len, atr, atr_len,
	    (flags & IN_T0) ? SS_PROTO_T0 : SS_PROTO_T1,
	    (flags & IN_REPEAT) != 0);
	fz_hostile_transport(&h, &t);
	p11_set_transport(&t);
	if (flags & IN_SO)
		flow |= FZ_FLOW_SO;
	if (flags & IN_PINPAD)
		flow |= FZ_FLOW_PINPAD;
	fz_flow_run(flow);
	p11_set_transport(NULL);
	ERR_clear_error();
	return 0;
}
