/*
 * tests/fuzz/fz-flow.h - what a PKCS#11 application does with a card, in
 * one fixed order, through the module's C_* functions: the flow the
 * hostile-card fuzzer (fuzz-piv-driver) drives the PIV driver with, and
 * that gen-corpus runs against the emulated card to record real answers
 * as its seeds.
 *
 * The flow: C_Initialize, C_GetSlotList, C_GetSlotInfo, C_GetTokenInfo
 * (the driver's probe and token information), C_GetMechanismList,
 * C_OpenSession, every object and its attributes (every key reference
 * loaded: certificates, GET METADATA), C_Login, then with each private key
 * a signature (single- and multi-part, a context login when the key wants
 * one), a decryption (RSA) or a key agreement (EC, X25519), and with
 * FZ_FLOW_SO the card management of the Security Officer (management key
 * login, key generation, certificate write and delete, key import, PIN
 * unblock and change); C_Logout, C_CloseAllSessions, C_Finalize.
 *
 * The module must already have its transport (p11_set_transport()).
 * A result the PKCS#11 rules forbid whatever the card said (a length that
 * changes between the size query and the call that fills the buffer) is
 * an abort().
 */
#ifndef FUZZ_FZ_FLOW_H
#define FUZZ_FZ_FLOW_H

#include <stddef.h>
#include <stdint.h>

#define FZ_FLOW_SO	0x01u	/* the Security Officer's calls too */
#define FZ_FLOW_PINPAD	0x02u	/* C_Login with a NULL PIN (PIN pad) */

#define FZ_FLOW_PIN	"123456"
#define FZ_FLOW_PUK	"12345678"
#define FZ_FLOW_MGMT	"010203040506070801020304050607080102030405060708"

/* A DER certificate the SO calls write (set before the first run). */
void	fz_flow_set_cert(const uint8_t *der, size_t len);
void	fz_flow_run(unsigned flags);

#endif
