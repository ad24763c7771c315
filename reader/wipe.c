/*
 * reader/wipe.c - wipe secrets so the compiler cannot elide it.
 */
#include <stdlib.h>
#include <string.h>

#include "wipe.h"

void
ss_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

void
ss_free_secret(void *p, size_t n)
{
	ss_wipe(p, n);
	free(p);
}
