/*
 * reader/wipe.h - the one helper that wipes secrets (PINs, PUKs, keys,
 * APDU buffers that held them).  Every secret in smartsign goes through it.
 */
#ifndef SS_WIPE_H
#define SS_WIPE_H

#include <stddef.h>

void	ss_wipe(void *, size_t);
void	ss_free_secret(void *, size_t);

#endif
