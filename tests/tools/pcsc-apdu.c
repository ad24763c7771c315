/*
 * tests/tools/pcsc-apdu.c - send raw APDUs to a reader through libpcsclite,
 * byte for byte (no GET RESPONSE, no fixing of lengths), for tests that
 * must reach the card with malformed commands.
 *
 * Usage: pcsc-apdu [-n] READER HEX [HEX...]
 *        pcsc-apdu -R [-n] READER [HEX...]
 * Prints one line per command: the response in hex (data then SW), or
 * "ERR <pcsc error>" when PC/SC refused it.  All commands run in one
 * connection (shared) and, unless -n is given, one transaction.
 * -R resets the card first, as another application would
 * (SCardReconnect with SCARD_RESET_CARD: every other connection to the
 * card then gets SCARD_W_RESET_CARD once), and prints "reset" or
 * "ERR <pcsc error>" before the responses.
 * Exit: 0 when every command got a response (and the reset worked),
 * 1 otherwise, 2 usage.
 */
#include <stdio.h>
#include <string.h>

#include <winscard.h>

#include "reader/hex.h"

#define APDU_MAX	(65536 + 16)

static uint8_t	cmd[APDU_MAX], resp[APDU_MAX];
static char	text[2 * APDU_MAX + 1];

static int
send_one(SCARDHANDLE h, DWORD proto, const char *hex)
{
	const SCARD_IO_REQUEST	*pci;
	size_t			 n;
	DWORD			 rlen = sizeof(resp);
	LONG			 rv;

	pci = proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	if (ss_hex_decode(hex, cmd, sizeof(cmd), &n) < 0) {
		fprintf(stderr, "pcsc-apdu: bad hex '%s'\n", hex);
		return -1;
	}
	rv = SCardTransmit(h, pci, cmd, (DWORD)n, NULL, resp, &rlen);
	if (rv != SCARD_S_SUCCESS) {
		printf("ERR %s\n", pcsc_stringify_error(rv));
		return -1;
	}
	ss_hex_encode(resp, rlen, text);
	printf("%s\n", text);
	return 0;
}

static int
reset_card(SCARDHANDLE h, DWORD *proto)
{
	LONG rv;

	rv = SCardReconnect(h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 |
	    SCARD_PROTOCOL_T1, SCARD_RESET_CARD, proto);
	if (rv != SCARD_S_SUCCESS) {
		printf("ERR %s\n", pcsc_stringify_error(rv));
		return -1;
	}
	printf("reset\n");
	return 0;
}

int
main(int argc, char **argv)
{
	SCARDCONTEXT	ctx;
	SCARDHANDLE	h;
	DWORD		proto;
	LONG		rv;
	int		i = 1, rc = 0, txn = 1, reset = 0;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-n") == 0)
			txn = 0;
		else if (strcmp(argv[i], "-R") == 0)
			reset = 1;
		else
			break;
	}
	if (argc - i < (reset ? 1 : 2) || (i < argc && argv[i][0] == '-')) {
		fprintf(stderr, "usage: pcsc-apdu [-n] READER HEX [HEX...]\n"
		    "       pcsc-apdu -R [-n] READER [HEX...]\n");
		return 2;
	}
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv == SCARD_S_SUCCESS)
		rv = SCardConnect(ctx, argv[i], SCARD_SHARE_SHARED,
		    SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto);
	if (rv != SCARD_S_SUCCESS) {
		fprintf(stderr, "pcsc-apdu: %s\n", pcsc_stringify_error(rv));
		return 1;
	}
	if (reset && reset_card(h, &proto) < 0)
		rc = 1;
	if (txn)
		SCardBeginTransaction(h);
	for (i++; i < argc; i++)
		if (send_one(h, proto, argv[i]) < 0)
			rc = 1;
	if (txn)
		SCardEndTransaction(h, SCARD_LEAVE_CARD);
	SCardDisconnect(h, SCARD_LEAVE_CARD);
	SCardReleaseContext(ctx);
	return rc;
}
