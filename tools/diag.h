/*
 * tools/diag.h - smartsign-diag, diagnostics for field engineers: shared
 * declarations of the subcommands (one file each) and their helpers.
 *
 * Output: every subcommand writes through struct diag_out (diag_out.c),
 * which prints either human text or one JSON document, so that `report`
 * can put the same sections into one file.  Strings that came from a
 * card, a reader or a file are escaped on the way out in both forms.
 */
#ifndef SS_DIAG_H
#define SS_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "reader/buf.h"
#include "reader/readers.h"
#include "reader/transport.h"

#define DIAG_VERSION	"0.1"
#define DIAG_MODULE_NAME "smartsign-pkcs11.so"

/* Exit status of every subcommand (README, --help). */
enum diag_exit {
	DIAG_EXIT_OK = 0,	/* done, nothing wrong found */
	DIAG_EXIT_PROBLEM = 1,	/* ran, and found a problem (failed check,
				   expired certificate, failed signature,
				   malformed ATR, watch ran out of time) */
	DIAG_EXIT_USAGE = 2,	/* bad command line */
	DIAG_EXIT_NO_SERVICE = 3, /* pcscd not reachable */
	DIAG_EXIT_NO_READER = 4,  /* no reader, or not the one named */
	DIAG_EXIT_NO_CARD = 5,	/* no card in the reader */
	DIAG_EXIT_CARD = 6,	/* the card or reader failed to answer */
	DIAG_EXIT_MODULE = 7,	/* the PKCS#11 module failed */
	DIAG_EXIT_PIN = 8,	/* PIN not given, wrong or blocked */
	DIAG_EXIT_INTERNAL = 9,	/* out of memory, I/O error */
	DIAG_EXIT_BUSY = 10	/* browsers: Firefox runs on a profile */
};

/* ---- output (diag_out.c) ---- */
#define DIAG_OUT_DEPTH	16
#define DIAG_WARN_MAX	64

struct diag_out {
	FILE	*f;
	bool	 json;
	int	 depth;
	bool	 first[DIAG_OUT_DEPTH];	/* nothing written yet at depth */
	bool	 array[DIAG_OUT_DEPTH];	/* depth is an array */
	int	 indent[DIAG_OUT_DEPTH]; /* human indentation at depth */
	char	*warn[DIAG_WARN_MAX];
	size_t	 nwarn;
};

void	out_init(struct diag_out *, FILE *, bool json);
/* Print the collected warnings, close the JSON document; frees. */
void	out_finish(struct diag_out *);
/* Begin an object or array; key NULL inside arrays; title is the human
 * heading (NULL: none, the contents stay at the same indentation). */
void	out_obj(struct diag_out *, const char *key, const char *title);
void	out_arr(struct diag_out *, const char *key, const char *title);
void	out_end(struct diag_out *);
/* Members: human "label: value" (label = key, '_' shown as ' ').  A
 * NULL string is JSON null and human "-". */
void	out_str(struct diag_out *, const char *key, const char *val);
void	out_strf(struct diag_out *, const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	out_int(struct diag_out *, const char *key, long long);
void	out_bool(struct diag_out *, const char *key, bool);
/* Bytes: human "3B 8E 80", JSON "3B8E80". */
void	out_hex(struct diag_out *, const char *key, const uint8_t *,
	    size_t);
/* A warning: shown at once (human) and listed at the end (both). */
void	out_warn(struct diag_out *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* A free line of human text (nothing in JSON), indented. */
void	out_line(struct diag_out *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Write s with control and invalid bytes escaped (human form). */
void	out_safe(FILE *, const char *s, size_t len);
/* JSON string literal with quotes; invalid UTF-8 becomes U+FFFD. */
void	out_json_str(FILE *, const char *s, size_t len);

/* ---- common options and helpers (diag.c, diag_util.c) ---- */
struct diag_opts {
	bool		 json;
	const char	*reader;	/* --reader: name or part of it */
};

/* Parse the options every subcommand shares (--json, --reader/-r,
 * --help); the others (defs) are handed to more(); returns -1 on a usage
 * error (printed), 1 for --help (usage printed), 0 to go on.  Operands
 * are moved to argv[1 .. *nops]. */
struct diag_optdef {
	const char	*name;		/* "--count" */
	bool		 arg;		/* takes a value */
	int		 id;
};
int	diag_parse(int argc, char **argv, const char *usage,
	    const struct diag_optdef *defs, struct diag_opts *o,
	    int (*more)(void *, int id, const char *val), void *arg,
	    int *nops);
int	diag_parse_uint(const char *s, unsigned long max, unsigned long *v);

/* Read a whole (small) file into a new buffer with a NUL after it;
 * -1 when missing or larger than max. */
int	diag_read_file(const char *path, size_t max, uint8_t **buf,
	    size_t *len);
/* Next line of the buffer behind the cursor (without '\n'); false at the
 * end.  The line is not NUL terminated. */
bool	diag_next_line(struct ss_rd *, const char **line, size_t *len);
/* Copy a line into a NUL-terminated buffer, trimmed; false if too long. */
bool	diag_line_str(const char *line, size_t len, char *buf, size_t cap);
/* dir + "/" + name into buf; false when it does not fit. */
bool	diag_join(char *buf, size_t cap, const char *dir, const char *name);
/* Local time now, "2026-11-27T09:55:01.123+0100". */
void	diag_timestamp(char *buf, size_t cap);
/* Monotonic milliseconds, for timing steps. */
double	diag_now_ms(void);
/* The exit status for a reader-layer error. */
int	diag_exit_for(int ss_err);
/* Refuse core dumps (the process may hold a PIN). */
void	diag_no_core(void);

/* ---- PC/SC (diag_pcsc.c) ---- */
struct diag_pcsc {
	struct ss_transport	 t;
	struct ss_readers	*rl;
	size_t			 n;
	struct ss_reader_info	 info[SS_READERS_MAX];
};

/* Take the reader list; SS_ERR_NO_SERVICE when pcscd is unreachable. */
int	diag_pcsc_open(struct diag_pcsc *);
void	diag_pcsc_close(struct diag_pcsc *);
/* Choose a present reader: by name (exact, else a case-insensitive
 * part), else the first with a card (need_card) or the first at all.
 * Prints why on failure and returns a DIAG_EXIT_* status. */
int	diag_pick_reader(const struct diag_pcsc *, const char *name,
	    bool need_card, const struct ss_reader_info **out);
/* Reader attributes (SCardGetAttrib) through a shared connection when a
 * card is in, else a direct one. */
struct diag_attr {
	bool		connected;
	int		conn_err;	/* SS_ERR_* of the connection */
	uint32_t	protocol;	/* 0 without a card */
	char		vendor[128];
	char		ifd_type[128];
	char		ifd_serial[128];
	bool		has_version;
	uint32_t	version;	/* SCARD_ATTR_VENDOR_IFD_VERSION */
	bool		has_channel;
	uint32_t	channel;
	bool		has_maxinput;
	uint32_t	maxinput;
};
void	diag_reader_attrs(const struct diag_pcsc *,
	    const struct ss_reader_info *, struct diag_attr *);
/* SCardControl through a connection as above. */
int	diag_reader_control(const struct diag_pcsc *,
	    const struct ss_reader_info *, uint32_t code, const uint8_t *in,
	    size_t in_len, uint8_t *out, size_t cap, size_t *len);
/* "T=1", "T=0", "-" */
const char *diag_proto_name(uint32_t);

/* ---- ATR (diag_atr.c, diag_cardlist.c) ---- */
#define DIAG_CARDLIST	"/usr/share/pcsc/smartcard_list.txt"
#define DIAG_NAMES_MAX	8

/* Look the ATR up in pcsc-tools' list (the user's updated copy in
 * ~/.cache first, then path or DIAG_CARDLIST).  names get malloc'ed
 * description lines; returns how many, -1 when no list is installed. */
int	diag_cardlist_lookup(const char *path, const uint8_t *atr,
	    size_t len, char **names, size_t cap, size_t *nlines);
void	diag_cardlist_free(char **names, size_t n);
/* Emit the decoded ATR into the current object; false if malformed. */
bool	diag_atr_emit(struct diag_out *, const uint8_t *atr, size_t len,
	    const char *list);

/* ---- sections shared with `report` ---- */
struct diag_card_opts {
	bool	pem;			/* include the certificates as PEM */
};
int	diag_readers_emit(struct diag_out *, const struct diag_pcsc *,
	    bool attrs);
int	diag_features_emit(struct diag_out *, const struct diag_pcsc *,
	    const struct ss_reader_info *);
int	diag_card_emit(struct diag_out *, const struct diag_pcsc *,
	    const struct ss_reader_info *, const struct diag_card_opts *);
struct diag_doctor_opts {
	const char	*root;		/* "" or a prefix for every path */
	const char	*module;	/* the module path to look for */
	const char	*br_module;	/* the browsers' (NULL: module) */
};
int	diag_doctor_emit(struct diag_out *, const struct diag_doctor_opts *);

/* ---- self-test (diag_selftest.c, diag_p11.c, diag_pin.c) ---- */
struct diag_st_opts {
	const char	*module;	/* NULL: default search */
	const char	*reader;
	int		 pin_fd;	/* -1: the terminal */
	bool		 trace;		/* print the APDUs of each step */
};
int	diag_selftest_emit(struct diag_out *, const struct diag_st_opts *);
/* The command line of `selftest` and `trace`. */
int	diag_st_main(int argc, char **argv, const char *usage, bool trace);
/* The module to load: --module, $SMARTSIGN_MODULE, next to this program,
 * or the usual install directories. */
const char *diag_default_module(char *buf, size_t cap);

/* ---- subcommands ---- */
int	diag_cmd_readers(int, char **);
int	diag_cmd_atr(int, char **);
int	diag_cmd_features(int, char **);
int	diag_cmd_card(int, char **);
int	diag_cmd_watch(int, char **);
int	diag_cmd_selftest(int, char **);
int	diag_cmd_trace(int, char **);
int	diag_cmd_doctor(int, char **);
int	diag_cmd_report(int, char **);
int	diag_cmd_browsers(int, char **);

#endif
