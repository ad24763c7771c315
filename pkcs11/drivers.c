/*
 * pkcs11/drivers.c - the card drivers the front end offers a card to, in
 * order, and the helpers driver.h promises.
 */
#include <stdlib.h>
#include <string.h>

#include "reader/err.h"
#include "reader/wipe.h"
#include "driver.h"
#include "piv.h"

const struct drv_ops *const drv_table[] = {
	&piv_driver_ops,
	NULL
};

void
drv_key_clear(struct drv_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pub);
	free(k->cert);
	memset(k, 0, sizeof(*k));
}

int
drv_from_ss(int ss_err)
{
	switch (ss_err) {
	case SS_ERR_OK:
		return DRV_OK;
	case SS_ERR_CARD_RESET:
		return DRV_ERR_CARD_RESET;
	case SS_ERR_NO_SERVICE:	/* pcscd gone: so is the card for us */
	case SS_ERR_CARD_REMOVED:
	case SS_ERR_NO_CARD:
	case SS_ERR_READER_GONE:
	case SS_ERR_NO_READER:
		return DRV_ERR_REMOVED;
	case SS_ERR_NO_MEMORY:
		return DRV_ERR_MEMORY;
	case SS_ERR_BUFFER:
		return DRV_ERR_BUFFER;
	case SS_ERR_NOT_SUPPORTED:
		return DRV_ERR_NOT_SUPPORTED;
	case SS_ERR_BAD_ARG:
		return DRV_ERR_ARGS;
	default:	/* no service, sharing, timeout, comm, malformed... */
		return DRV_ERR_DEVICE;
	}
}
