/*
 * tools/sign_err.h - error messages of smartsign-sign's layers.
 *
 * Every function that can fail returns 0/-1 (or a verdict) and, on
 * failure, leaves one English sentence in a struct se_err for the caller
 * to print.  No message ever holds a PIN.
 */
#ifndef SIGN_ERR_H
#define SIGN_ERR_H

#include <stddef.h>

struct se_err {
	char	msg[512];
};

/* Set the message (printf format). */
void	se_set(struct se_err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Set the message and append OpenSSL's first queued reason, clearing the
 * queue. */
void	se_ssl(struct se_err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
