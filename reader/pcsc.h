/*
 * reader/pcsc.h - the PC/SC (libpcsclite) implementation of the reader
 * transport.  The only file in smartsign that includes <winscard.h>.
 *
 * Thread safety: stateless; every function may be called from any thread.
 * libpcsclite serialises calls on one context, so a status_change() that
 * blocks on a context delays every other call on that same context:
 * readers.c and each channel therefore use contexts of their own.
 */
#ifndef SS_PCSC_H
#define SS_PCSC_H

#include <stdint.h>

#include "transport.h"

/* The PC/SC function table (static storage, never NULL). */
const struct ss_transport_ops	*ss_pcsc_ops(void);
/* Fill t with the PC/SC transport (priv = NULL). */
void	ss_pcsc_transport(struct ss_transport *t);
/* Map a PC/SC LONG return value to SS_ERR_*; exposed for tests/tools. */
int	ss_pcsc_map_error(int64_t rv);

#endif
