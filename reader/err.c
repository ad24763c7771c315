/*
 * reader/err.c - reader-layer error messages.
 */
#include <stddef.h>

#include "err.h"

static const char *const err_msg[SS_ERR_MAX_] = {
	[SS_ERR_OK] = "success",
	[SS_ERR_NO_SERVICE] = "smart card service (pcscd) not available",
	[SS_ERR_NO_READER] = "no such smart card reader",
	[SS_ERR_READER_GONE] = "smart card reader removed",
	[SS_ERR_NO_CARD] = "no smart card in the reader",
	[SS_ERR_CARD_REMOVED] = "smart card removed",
	[SS_ERR_CARD_RESET] = "smart card was reset",
	[SS_ERR_SHARING] = "smart card in exclusive use by another program",
	[SS_ERR_TIMEOUT] = "timed out",
	[SS_ERR_CANCELLED] = "cancelled",
	[SS_ERR_COMM] = "communication error with the reader or card",
	[SS_ERR_MALFORMED] = "malformed response from the reader or card",
	[SS_ERR_BUFFER] = "buffer too small",
	[SS_ERR_NO_MEMORY] = "out of memory",
	[SS_ERR_NOT_SUPPORTED] = "not supported",
	[SS_ERR_BAD_ARG] = "invalid argument",
};

const char *
ss_strerror(int err)
{
	if (err < 0 || err >= SS_ERR_MAX_ || err_msg[err] == NULL)
		return "unknown reader-layer error";
	return err_msg[err];
}
