/*
 * reader/err.h - reader-layer error codes.
 *
 * Every public function of the reader layer (transport, pcsc, readers,
 * channel, pinpad, atr) returns an int that is either SS_ERR_OK (0) or one
 * of the positive SS_ERR_* codes below.  PC/SC's SCARD_* codes never leave
 * reader/pcsc.c; CKR_* codes exist only in the PKCS#11 module, which maps
 * these codes to them at its edge.
 */
#ifndef SS_ERR_H
#define SS_ERR_H

enum ss_err {
	SS_ERR_OK = 0,
	SS_ERR_NO_SERVICE,	/* pcscd not running, stopped or restarted */
	SS_ERR_NO_READER,	/* no such reader / no readers at all */
	SS_ERR_READER_GONE,	/* the reader was unplugged while in use */
	SS_ERR_NO_CARD,		/* the reader is empty (or the card is mute) */
	SS_ERR_CARD_REMOVED,	/* the card we talked to was removed/swapped */
	SS_ERR_CARD_RESET,	/* reset by someone else; volatile state lost */
	SS_ERR_SHARING,		/* another process holds the card exclusively */
	SS_ERR_TIMEOUT,		/* a wait ran out */
	SS_ERR_CANCELLED,	/* a wait was cancelled */
	SS_ERR_COMM,		/* transport/card communication failure */
	SS_ERR_MALFORMED,	/* the card or reader sent bytes that do not parse */
	SS_ERR_BUFFER,		/* the caller's buffer is too small */
	SS_ERR_NO_MEMORY,
	SS_ERR_NOT_SUPPORTED,	/* reader/card/transport lacks the feature */
	SS_ERR_BAD_ARG,		/* caller bug: NULL, length out of range, ... */
	SS_ERR_MAX_		/* not an error: one past the last code */
};

/* A static English description; never NULL, also for unknown codes. */
const char	*ss_strerror(int);

#endif
