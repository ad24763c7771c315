/*
 * reader/pcsc.c - the reader transport over PC/SC (libpcsclite).
 *
 * Thin: each function converts types, calls one SCard* function and maps
 * its LONG result to SS_ERR_*.  No state, no locks: libpcsclite has them.
 * One exception: a transmit that fails the way a card pulled out in the
 * middle of an APDU makes it fail (a communication error, or a reply
 * without a status word) asks pcscd whether the card is still there
 * (pcsc_card_gone), so that the caller hears SS_ERR_CARD_REMOVED rather
 * than a vague SS_ERR_COMM.
 */
#include <string.h>
#include <time.h>

#include <winscard.h>

#include "pcsc.h"

_Static_assert(SS_PROTO_T0 == SCARD_PROTOCOL_T0, "T=0");
_Static_assert(SS_PROTO_T1 == SCARD_PROTOCOL_T1, "T=1");
_Static_assert(SS_SHARE_SHARED == SCARD_SHARE_SHARED, "shared");
_Static_assert(SS_SHARE_EXCLUSIVE == SCARD_SHARE_EXCLUSIVE, "exclusive");
_Static_assert(SS_SHARE_DIRECT == SCARD_SHARE_DIRECT, "direct");
_Static_assert(SS_LEAVE_CARD == SCARD_LEAVE_CARD, "leave");
_Static_assert(SS_RESET_CARD == SCARD_RESET_CARD, "reset");
_Static_assert(SS_UNPOWER_CARD == SCARD_UNPOWER_CARD, "unpower");
_Static_assert(SS_RS_CHANGED == SCARD_STATE_CHANGED, "changed");
_Static_assert(SS_RS_UNKNOWN == SCARD_STATE_UNKNOWN, "unknown");
_Static_assert(SS_RS_UNAVAILABLE == SCARD_STATE_UNAVAILABLE, "unavail");
_Static_assert(SS_RS_EMPTY == SCARD_STATE_EMPTY, "empty");
_Static_assert(SS_RS_PRESENT == SCARD_STATE_PRESENT, "present");
_Static_assert(SS_RS_EXCLUSIVE == SCARD_STATE_EXCLUSIVE, "exclusive");
_Static_assert(SS_RS_INUSE == SCARD_STATE_INUSE, "inuse");
_Static_assert(SS_RS_MUTE == SCARD_STATE_MUTE, "mute");
_Static_assert(SS_RS_UNPOWERED == SCARD_STATE_UNPOWERED, "unpowered");
_Static_assert(SS_ATR_MAX == MAX_ATR_SIZE, "ATR size");
_Static_assert(SS_READER_NAME_MAX == MAX_READERNAME, "reader name");
_Static_assert(SS_TSTATES_MAX == PCSCLITE_MAX_READERS_CONTEXTS, "states");

static SCARDCONTEXT
to_ctx(ss_tctx c)
{
	return (SCARDCONTEXT)(long)c;
}

static SCARDHANDLE
to_card(ss_tcard c)
{
	return (SCARDHANDLE)(long)c;
}

static int
map_service(int64_t rv, int *err)
{
	switch (rv) {
	case SCARD_E_NO_SERVICE:
	case SCARD_E_SERVICE_STOPPED:
	case SCARD_E_INVALID_HANDLE:
		*err = SS_ERR_NO_SERVICE;
		return 1;
	case SCARD_E_NO_READERS_AVAILABLE:
		*err = SS_ERR_NO_READER;
		return 1;
	case SCARD_E_UNKNOWN_READER:
	case SCARD_E_READER_UNAVAILABLE:
		*err = SS_ERR_READER_GONE;
		return 1;
	default:
		return 0;
	}
}

static int
map_card(int64_t rv, int *err)
{
	switch (rv) {
	case SCARD_E_NO_SMARTCARD:
	case SCARD_W_UNRESPONSIVE_CARD:
		*err = SS_ERR_NO_CARD;
		return 1;
	case SCARD_W_REMOVED_CARD:
		*err = SS_ERR_CARD_REMOVED;
		return 1;
	case SCARD_W_RESET_CARD:
		*err = SS_ERR_CARD_RESET;
		return 1;
	case SCARD_E_SHARING_VIOLATION:
		*err = SS_ERR_SHARING;
		return 1;
	default:
		return 0;
	}
}

static int
map_call(int64_t rv, int *err)
{
	switch (rv) {
	case SCARD_E_TIMEOUT:
		*err = SS_ERR_TIMEOUT;
		return 1;
	case SCARD_E_CANCELLED:
		*err = SS_ERR_CANCELLED;
		return 1;
	case SCARD_E_INSUFFICIENT_BUFFER:
		*err = SS_ERR_BUFFER;
		return 1;
	case SCARD_E_NO_MEMORY:
		*err = SS_ERR_NO_MEMORY;
		return 1;
	case SCARD_E_UNSUPPORTED_FEATURE:
		*err = SS_ERR_NOT_SUPPORTED;
		return 1;
	case SCARD_E_INVALID_PARAMETER:
	case SCARD_E_INVALID_VALUE:
		*err = SS_ERR_BAD_ARG;
		return 1;
	default:
		return 0;
	}
}

int
ss_pcsc_map_error(int64_t rv)
{
	int err = SS_ERR_COMM;

	if (rv == SCARD_S_SUCCESS)
		return SS_ERR_OK;
	if (map_service(rv, &err) || map_card(rv, &err) || map_call(rv, &err))
		return err;
	return SS_ERR_COMM;
}

static int
pcsc_establish(void *priv, ss_tctx *ctx)
{
	SCARDCONTEXT	c = 0;
	LONG		rv;

	(void)priv;
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c);
	if (rv == SCARD_S_SUCCESS)
		*ctx = (ss_tctx)(unsigned long)c;
	return ss_pcsc_map_error(rv);
}

static int
pcsc_release(void *priv, ss_tctx ctx)
{
	(void)priv;
	return ss_pcsc_map_error(SCardReleaseContext(to_ctx(ctx)));
}

static int
pcsc_list_readers(void *priv, ss_tctx ctx, char *buf, size_t cap,
    size_t *len)
{
	DWORD	n = (DWORD)cap;
	LONG	rv;
	int	err;

	(void)priv;
	rv = SCardListReaders(to_ctx(ctx), NULL, buf, &n);
	if (rv == SCARD_E_NO_READERS_AVAILABLE) {
		*len = 0;
		return SS_ERR_OK;
	}
	if ((err = ss_pcsc_map_error(rv)) == SS_ERR_OK) {
		if (n > cap)
			return SS_ERR_BUFFER;
		*len = n;
	}
	return err;
}

static void
states_in(SCARD_READERSTATE *rs, const struct ss_tstate *st, size_t n)
{
	size_t i;

	memset(rs, 0, n * sizeof(*rs));
	for (i = 0; i < n; i++) {
		rs[i].szReader = st[i].reader;
		rs[i].dwCurrentState = st[i].current_state;
	}
}

static void
states_out(const SCARD_READERSTATE *rs, struct ss_tstate *st, size_t n)
{
	size_t i, alen;

	for (i = 0; i < n; i++) {
		st[i].event_state = (uint32_t)rs[i].dwEventState;
		alen = rs[i].cbAtr;
		st[i].atr_len = (alen > SS_ATR_MAX) ? 0 : alen;
		memcpy(st[i].atr, rs[i].rgbAtr, st[i].atr_len);
	}
}

static int
pcsc_status_change(void *priv, ss_tctx ctx, uint32_t timeout_ms,
    struct ss_tstate *st, size_t n)
{
	SCARD_READERSTATE	rs[SS_TSTATES_MAX];
	DWORD			tmo;
	LONG			rv;

	(void)priv;
	if (n > SS_TSTATES_MAX || (n > 0 && st == NULL))
		return SS_ERR_BAD_ARG;
	tmo = (timeout_ms == SS_TIMEOUT_INFINITE) ? INFINITE : timeout_ms;
	states_in(rs, st, n);
	rv = SCardGetStatusChange(to_ctx(ctx), tmo, rs, (DWORD)n);
	if (rv == SCARD_S_SUCCESS || rv == SCARD_E_TIMEOUT)
		states_out(rs, st, n);
	return ss_pcsc_map_error(rv);
}

static int
pcsc_cancel(void *priv, ss_tctx ctx)
{
	(void)priv;
	return ss_pcsc_map_error(SCardCancel(to_ctx(ctx)));
}

static int
pcsc_connect(void *priv, ss_tctx ctx, const char *reader, uint32_t share,
    uint32_t protocols, ss_tcard *card, uint32_t *active)
{
	SCARDHANDLE	h = 0;
	DWORD		proto = 0;
	LONG		rv;

	(void)priv;
	rv = SCardConnect(to_ctx(ctx), reader, share, protocols, &h, &proto);
	if (rv == SCARD_S_SUCCESS) {
		*card = (ss_tcard)(unsigned long)h;
		*active = (uint32_t)proto;
	}
	return ss_pcsc_map_error(rv);
}

static int
pcsc_reconnect(void *priv, ss_tcard card, uint32_t share, uint32_t protocols,
    uint32_t init, uint32_t *active)
{
	DWORD	proto = 0;
	LONG	rv;

	(void)priv;
	rv = SCardReconnect(to_card(card), share, protocols, init, &proto);
	if (rv == SCARD_S_SUCCESS)
		*active = (uint32_t)proto;
	return ss_pcsc_map_error(rv);
}

static int
pcsc_disconnect(void *priv, ss_tcard card, uint32_t disposition)
{
	(void)priv;
	return ss_pcsc_map_error(SCardDisconnect(to_card(card), disposition));
}

static int
pcsc_begin(void *priv, ss_tcard card)
{
	(void)priv;
	return ss_pcsc_map_error(SCardBeginTransaction(to_card(card)));
}

static int
pcsc_end(void *priv, ss_tcard card, uint32_t disposition)
{
	(void)priv;
	return ss_pcsc_map_error(SCardEndTransaction(to_card(card),
	    disposition));
}

static int
pcsc_status(void *priv, ss_tcard card, uint32_t *state, uint8_t *atr,
    size_t atr_cap, size_t *atr_len)
{
	char	name[SS_READER_NAME_MAX * 2];
	BYTE	a[SS_ATR_MAX];
	DWORD	nlen = sizeof(name), st = 0, proto = 0, alen = sizeof(a);
	LONG	rv;

	(void)priv;
	rv = SCardStatus(to_card(card), name, &nlen, &st, &proto, a, &alen);
	if (rv != SCARD_S_SUCCESS)
		return ss_pcsc_map_error(rv);
	if (alen > sizeof(a) || alen > atr_cap)
		return SS_ERR_BUFFER;
	memcpy(atr, a, alen);
	*atr_len = alen;
	*state = (uint32_t)st;
	return SS_ERR_OK;
}

/* pcscd learns of a removal by polling the reader (every 400 ms for
 * most drivers): ask it every PCSC_GONE_STEP_MS, up to PCSC_GONE_WAIT_MS,
 * whether the card is still in.  SS_ERR_CARD_REMOVED (or the reader or
 * pcscd gone) when it went; fallback while it stays. */
#define PCSC_GONE_WAIT_MS	2000
#define PCSC_GONE_STEP_MS	50

static int
pcsc_card_gone(SCARDHANDLE h, int fallback)
{
	struct timespec	ts = { 0, PCSC_GONE_STEP_MS * 1000000L };
	char		name[SS_READER_NAME_MAX * 2];
	BYTE		atr[SS_ATR_MAX];
	DWORD		nlen, st, proto, alen;
	unsigned	waited;
	LONG		rv;

	for (waited = 0; waited <= PCSC_GONE_WAIT_MS;
	    waited += PCSC_GONE_STEP_MS) {
		nlen = sizeof(name);
		alen = sizeof(atr);
		st = proto = 0;
		rv = SCardStatus(h, name, &nlen, &st, &proto, atr, &alen);
		if (rv == SCARD_E_NO_SMARTCARD || (rv == SCARD_S_SUCCESS &&
		    (st & SCARD_ABSENT)))
			return SS_ERR_CARD_REMOVED;
		if (rv != SCARD_S_SUCCESS && rv != SCARD_E_INSUFFICIENT_BUFFER)
			return ss_pcsc_map_error(rv) == SS_ERR_COMM ? fallback :
			    ss_pcsc_map_error(rv);
		(void)nanosleep(&ts, NULL);
	}
	return fallback;
}

static int
pcsc_transmit(void *priv, ss_tcard card, uint32_t protocol,
    const uint8_t *cmd, size_t cmd_len, uint8_t *resp, size_t cap,
    size_t *resp_len)
{
	const SCARD_IO_REQUEST	*pci;
	DWORD			 n = (DWORD)cap;
	LONG			 rv;
	int			 err;

	(void)priv;
	pci = (protocol == SS_PROTO_T0) ? SCARD_PCI_T0 : SCARD_PCI_T1;
	rv = SCardTransmit(to_card(card), pci, cmd, (DWORD)cmd_len, NULL, resp,
	    &n);
	if (rv == SCARD_S_SUCCESS) {
		if (n > cap)
			return SS_ERR_BUFFER;
		if (n < 2 && (err = pcsc_card_gone(to_card(card),
		    SS_ERR_OK)) != SS_ERR_OK)
			return err;
		*resp_len = n;
	}
	if (ss_pcsc_map_error(rv) == SS_ERR_COMM)
		return pcsc_card_gone(to_card(card), SS_ERR_COMM);
	return ss_pcsc_map_error(rv);
}

static int
pcsc_control(void *priv, ss_tcard card, uint32_t code, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
	DWORD	n = 0;
	LONG	rv;

	(void)priv;
	rv = SCardControl(to_card(card), code, in, (DWORD)in_len, out,
	    (DWORD)cap, &n);
	if (rv == SCARD_S_SUCCESS) {
		if (n > cap)
			return SS_ERR_BUFFER;
		*out_len = n;
	}
	return ss_pcsc_map_error(rv);
}

static int
pcsc_get_attrib(void *priv, ss_tcard card, uint32_t attr, uint8_t *buf,
    size_t cap, size_t *len)
{
	DWORD	n = (DWORD)cap;
	LONG	rv;

	(void)priv;
	rv = SCardGetAttrib(to_card(card), attr, buf, &n);
	if (rv == SCARD_S_SUCCESS) {
		if (n > cap)
			return SS_ERR_BUFFER;
		*len = n;
	}
	return ss_pcsc_map_error(rv);
}

static const struct ss_transport_ops pcsc_ops = {
	.establish = pcsc_establish,
	.release = pcsc_release,
	.list_readers = pcsc_list_readers,
	.status_change = pcsc_status_change,
	.cancel = pcsc_cancel,
	.connect = pcsc_connect,
	.reconnect = pcsc_reconnect,
	.disconnect = pcsc_disconnect,
	.begin = pcsc_begin,
	.end = pcsc_end,
	.status = pcsc_status,
	.transmit = pcsc_transmit,
	.control = pcsc_control,
	.get_attrib = pcsc_get_attrib,
};

const struct ss_transport_ops *
ss_pcsc_ops(void)
{
	return &pcsc_ops;
}

void
ss_pcsc_transport(struct ss_transport *t)
{
	t->ops = &pcsc_ops;
	t->priv = NULL;
}
