/*
 * pkcs11/cancel.c - the module's transport: the reader transport it was
 * given (PC/SC, or a test's), with C_Finalize's cancellation put in front
 * of every exchange with a card.
 *
 * C_Finalize has to wait for a call that is talking to the card (it holds
 * its slot mutex, and its channel is freed with the slot).  A slow card
 * makes that a whole multi-APDU operation; with this wrapper it is at
 * most the APDU on the wire: from p11_cancel_others(true) on, every
 * further connect, transmit, control or new transaction of any thread but
 * the one in C_Finalize returns SS_ERR_CANCELLED without reaching the
 * card, so the call in flight fails at its next APDU boundary (slot.c
 * reports CKR_CRYPTOKI_NOT_INITIALIZED for it) and lets C_Finalize go on;
 * C_Finalize's own I/O (the SO logout of p11_slot_unbind) still goes out.
 * An APDU already sent is not interrupted (PC/SC cannot cancel
 * SCardTransmit).
 */
#include <pthread.h>

#include "pkcs11/p11.h"

static struct ss_transport	inner;
static pthread_t		finalizer;	/* written before cancel_on */
static atomic_bool		cancel_on;

void
p11_cancel_others(bool on)
{
	if (on)
		finalizer = pthread_self();
	atomic_store(&cancel_on, on);
}

bool
p11_io_cancelled(void)
{
	return atomic_load(&cancel_on) &&
	    !pthread_equal(pthread_self(), finalizer);
}

static bool
cancelled(void)
{
	return p11_io_cancelled();
}

static int
x_establish(void *priv, ss_tctx *ctx)
{
	(void)priv;
	return inner.ops->establish(inner.priv, ctx);
}

static int
x_release(void *priv, ss_tctx ctx)
{
	(void)priv;
	return inner.ops->release(inner.priv, ctx);
}

static int
x_list_readers(void *priv, ss_tctx ctx, char *buf, size_t cap, size_t *len)
{
	(void)priv;
	return inner.ops->list_readers(inner.priv, ctx, buf, cap, len);
}

static int
x_status_change(void *priv, ss_tctx ctx, uint32_t timeout_ms,
    struct ss_tstate *st, size_t n)
{
	(void)priv;
	return inner.ops->status_change(inner.priv, ctx, timeout_ms, st, n);
}

static int
x_cancel(void *priv, ss_tctx ctx)
{
	(void)priv;
	if (inner.ops->cancel == NULL)
		return SS_ERR_NOT_SUPPORTED;
	return inner.ops->cancel(inner.priv, ctx);
}

static int
x_connect(void *priv, ss_tctx ctx, const char *reader, uint32_t share,
    uint32_t protocols, ss_tcard *card, uint32_t *active)
{
	(void)priv;
	if (cancelled())
		return SS_ERR_CANCELLED;
	return inner.ops->connect(inner.priv, ctx, reader, share, protocols,
	    card, active);
}

static int
x_reconnect(void *priv, ss_tcard card, uint32_t share, uint32_t protocols,
    uint32_t init, uint32_t *active)
{
	(void)priv;
	if (cancelled())
		return SS_ERR_CANCELLED;
	return inner.ops->reconnect(inner.priv, card, share, protocols, init,
	    active);
}

static int
x_disconnect(void *priv, ss_tcard card, uint32_t disposition)
{
	(void)priv;
	return inner.ops->disconnect(inner.priv, card, disposition);
}

static int
x_begin(void *priv, ss_tcard card)
{
	(void)priv;
	if (cancelled())
		return SS_ERR_CANCELLED;
	return inner.ops->begin(inner.priv, card);
}

static int
x_end(void *priv, ss_tcard card, uint32_t disposition)
{
	(void)priv;
	return inner.ops->end(inner.priv, card, disposition);
}

static int
x_status(void *priv, ss_tcard card, uint32_t *state, uint8_t *atr,
    size_t cap, size_t *len)
{
	(void)priv;
	return inner.ops->status(inner.priv, card, state, atr, cap, len);
}

static int
x_transmit(void *priv, ss_tcard card, uint32_t protocol, const uint8_t *cmd,
    size_t cmd_len, uint8_t *resp, size_t cap, size_t *resp_len)
{
	(void)priv;
	if (cancelled())
		return SS_ERR_CANCELLED;
	return inner.ops->transmit(inner.priv, card, protocol, cmd, cmd_len,
	    resp, cap, resp_len);
}

static int
x_control(void *priv, ss_tcard card, uint32_t code, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
	(void)priv;
	if (cancelled())
		return SS_ERR_CANCELLED;
	if (inner.ops->control == NULL)
		return SS_ERR_NOT_SUPPORTED;
	return inner.ops->control(inner.priv, card, code, in, in_len, out,
	    cap, out_len);
}

static int
x_get_attrib(void *priv, ss_tcard card, uint32_t attr, uint8_t *buf,
    size_t cap, size_t *len)
{
	(void)priv;
	if (inner.ops->get_attrib == NULL)
		return SS_ERR_NOT_SUPPORTED;
	return inner.ops->get_attrib(inner.priv, card, attr, buf, cap, len);
}

static const struct ss_transport_ops cancel_ops = {
	.establish = x_establish,
	.release = x_release,
	.list_readers = x_list_readers,
	.status_change = x_status_change,
	.cancel = x_cancel,
	.connect = x_connect,
	.reconnect = x_reconnect,
	.disconnect = x_disconnect,
	.begin = x_begin,
	.end = x_end,
	.status = x_status,
	.transmit = x_transmit,
	.control = x_control,
	.get_attrib = x_get_attrib,
};

void
p11_cancel_transport(const struct ss_transport *in, struct ss_transport *out)
{
	inner = *in;
	out->ops = &cancel_ops;
	out->priv = NULL;
}
