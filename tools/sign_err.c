/*
 * tools/sign_err.c - error messages of smartsign-sign's layers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "tools/sign_err.h"

void
se_set(struct se_err *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

void
se_ssl(struct se_err *e, const char *fmt, ...)
{
	unsigned long	code = ERR_peek_error();
	size_t		n;
	va_list		ap;

	if (e != NULL) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
		n = strlen(e->msg);
		if (code != 0 && n < sizeof(e->msg))
			snprintf(e->msg + n, sizeof(e->msg) - n, " (%s)",
			    ERR_reason_error_string(code) != NULL ?
			    ERR_reason_error_string(code) : "OpenSSL error");
	}
	ERR_clear_error();
}
