/*
 * token-emu/handlers.h - one function per instruction, called by the
 * engine (engine.c) after it has parsed the APDU, checked CLA, joined
 * command chains (CLA 10) and before it splits long responses (61xx).
 *
 * A handler reads only through the ss_apdu it gets (data/lc already
 * joined), writes response data into out (up to 16 KB; the engine sends it
 * in 256-byte pieces), and returns the status word.  When it returns
 * anything but 9000 the engine discards out.  A handler that changes
 * persistent state sets ctx->card->dirty; one that uses a private or
 * secret key increments ctx->cnt.keyops.
 */
#ifndef EMU_HANDLERS_H
#define EMU_HANDLERS_H

#include <stdint.h>

#include "reader/apdu.h"
#include "reader/buf.h"
#include "engine.h"

typedef uint16_t emu_handler(struct emu_ctx *, const struct ss_apdu *,
    struct ss_wr *);

/* piv_data.c */
emu_handler	emu_select;		/* A4 */
emu_handler	emu_get_data;		/* CB */
emu_handler	emu_put_data;		/* DB */
/* piv_pin.c */
emu_handler	emu_verify;		/* 20 */
emu_handler	emu_change_ref;		/* 24 */
emu_handler	emu_reset_retry;	/* 2C */
/* piv_auth.c */
emu_handler	emu_general_auth;	/* 87 */
/* piv_keygen.c */
emu_handler	emu_generate;		/* 47 */
/* yk.c: YubiKey extensions */
emu_handler	emu_yk_version;		/* FD */
emu_handler	emu_yk_serial;		/* F8 */
emu_handler	emu_yk_metadata;	/* F7 */
emu_handler	emu_yk_attest;		/* F9 */
emu_handler	emu_yk_import;		/* FE */
emu_handler	emu_yk_set_mgmt;	/* FF */
emu_handler	emu_yk_reset;		/* FB */
emu_handler	emu_yk_set_retries;	/* FA */

#endif
