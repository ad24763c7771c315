/*
 * tools/diag_doctor.h - the checks of `smartsign-diag doctor`, split by
 * concern: the PC/SC service (diag_doctor.c), USB readers, drivers and
 * udev rules (diag_usb.c), the PKCS#11 module and its registration with
 * p11-kit, Firefox and Chromium (diag_clients.c).
 *
 * Every check reports one line: status, title, what was found and, when
 * it failed, the exact command that fixes it.
 */
#ifndef SS_DIAG_DOCTOR_H
#define SS_DIAG_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/diag.h"

enum chk {
	CHK_OK = 0,
	CHK_INFO,	/* a fact, neither good nor bad */
	CHK_SKIP,	/* does not apply here */
	CHK_WARN,	/* works, but will bite */
	CHK_FAIL,	/* this is why it does not work */
	CHK_NSTATES
};

struct doctor {
	struct diag_out			*o;
	const struct diag_doctor_opts	*opt;
	unsigned			 count[CHK_NSTATES];
	size_t				 pcsc_readers;	/* -1: unknown */
	bool				 pcsc_ok;
	size_t				 usb_readers;	/* attached, known */
	bool				 p11kit_ok;	/* registered */
};

/* A USB reader model from udev/readers.tsv (tools/diag_usbtab.h). */
struct diag_usb_reader {
	uint16_t	 vendor, product;
	const char	*name;
	bool		 pinpad;
	const char	*driver;	/* "ccid" or a non-CCID driver */
};

/* One check; fix may be NULL; detail is printf-like. */
void	doc_check(struct doctor *, const char *id, const char *title,
	    enum chk, const char *fix, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
/* opt->root + path into buf. */
const char *doc_path(const struct doctor *, const char *path, char *buf,
	    size_t cap);
bool	doc_exists(const struct doctor *, const char *path);

void	doc_usb(struct doctor *);
void	doc_clients(struct doctor *);

/* The known reader with these ids, or NULL. */
const struct diag_usb_reader *diag_usb_lookup(uint16_t vendor,
	    uint16_t product);

#endif
