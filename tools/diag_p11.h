/*
 * tools/diag_p11.h - the PKCS#11 side of the self-test: load a module
 * with dlopen (as a browser does), find the token, its keys and their
 * certificates (diag_p11.c); read the PIN (diag_pin.c); follow the
 * module's debug log for `trace` (diag_tracelog.c).
 */
#ifndef SS_DIAG_P11_H
#define SS_DIAG_P11_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <p11-kit/pkcs11.h>

#include "tools/diag.h"

#define P11_ID_MAX	64
#define P11_LABEL_MAX	128
#define P11_KEYS_MAX	32
#define PIN_MAX		64

struct dp11 {
	void			*dl;
	CK_FUNCTION_LIST	*f;
	bool			 initialized;
	CK_SLOT_ID		 slot;
	CK_SESSION_HANDLE	 sess;
	bool			 has_sess;
	CK_TOKEN_INFO		 token;
	char			 reader[65];	/* slot description, trimmed */
	char			 label[33];	/* token label, trimmed */
};

struct dp11_key {
	CK_OBJECT_HANDLE	h;
	uint8_t			id[P11_ID_MAX];
	size_t			id_len;
	char			label[P11_LABEL_MAX];
	CK_KEY_TYPE		type;
	bool			can_sign;
	bool			always_auth;
	uint8_t			*cert;		/* DER, malloc'ed; NULL: none */
	size_t			cert_len;
};

/* dlopen + C_GetFunctionList; err gets the reason. */
CK_RV	dp11_load(struct dp11 *, const char *path, char *err, size_t cap);
CK_RV	dp11_initialize(struct dp11 *);
/* The slot whose description matches reader (exact or part), else the
 * first slot with a token; fills token, reader and label. */
CK_RV	dp11_pick_slot(struct dp11 *, const char *reader);
CK_RV	dp11_open_session(struct dp11 *);
/* Private keys (call after C_Login) with their certificates (by CKA_ID). */
CK_RV	dp11_find_keys(struct dp11 *, struct dp11_key *keys, size_t cap,
	    size_t *n);
void	dp11_keys_free(struct dp11_key *keys, size_t n);
/* Close the session, C_Finalize, dlclose. */
void	dp11_unload(struct dp11 *);
/* "CKR_PIN_INCORRECT", or "CKR_0x..." */
const char *dp11_rv_name(CK_RV, char *buf, size_t cap);

/* The PIN: from fd (--pin-fd) or the terminal without echo.  buf gets
 * the PIN, NUL terminated; returns its length, -1 on failure (said on
 * stderr).  The caller wipes buf with ss_wipe(). */
ssize_t	diag_pin_read(int fd, const char *prompt, char *buf, size_t cap);

/* The module's debug log, for `trace`. */
struct tracelog {
	char	dir[256];
	char	path[288];
	off_t	off;
	char	pin[PIN_MAX + 1];	/* to redact, if the log ever had it */
	char	pinhex[2 * PIN_MAX + 1];
};

/* Make a private directory and point SMARTSIGN_DEBUG at a file in it
 * (before C_Initialize). */
int	tracelog_start(struct tracelog *);
/* Remember the PIN (ASCII and hex) so that the printer can redact it. */
void	tracelog_set_pin(struct tracelog *, const char *pin, size_t len);
/* Emit what the module logged since the last call: human lines, or a
 * JSON array "apdus". */
void	tracelog_drain(struct tracelog *, struct diag_out *);
/* Remove the file and directory, wipe the PIN copies. */
void	tracelog_stop(struct tracelog *);

#endif
