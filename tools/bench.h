/*
 * tools/bench.h - smartsign-bench: PKCS#11 modules measured on one card.
 *
 * The program runs in three roles:
 *   runner   (bench.c, bench_run.c) parses the options, reads the card's
 *            certificates and the floor figures through PC/SC, then starts
 *            one fresh process per run of a flow and module, and writes
 *            the results (a TSV file and a markdown table);
 *   child    (bench_child.c) the exec'd process: loads one module, runs
 *            one flow, reads the emulator's counters around the measured
 *            part, verifies every signature and writes one result line;
 *   report   (bench_report.c) merges TSV files into the markdown report.
 *
 * Files: bench_p11.c module loading and PKCS#11 helpers, bench_flows.c
 * the single-session flows, bench_conc.c the threads and processes
 * flows, bench_stats.c counters, clock and medians, bench_verify.c
 * OpenSSL verification, bench_card.c raw PC/SC (certificates, APDU round
 * trip), bench_floor.c the floor figures, bench_tsv.c the raw results.
 */
#ifndef SS_BENCH_H
#define SS_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <p11-kit/pkcs11.h>

enum bench_flow {
	FLOW_COLD = 0,
	FLOW_BROWSER,
	FLOW_RSA,
	FLOW_EC,
	FLOW_THREADS,
	FLOW_PROCS,
	FLOW_COUNT
};

#define BENCH_MODS_MAX		8
#define BENCH_RUNS_MAX		100
#define BENCH_NOTE_MAX		240
#define BENCH_NAME_MAX		32
#define BENCH_PIN_MAX		64
#define BENCH_SIG_MAX		512
#define BENCH_DATA_LEN		64	/* bytes signed per signature */
#define BENCH_CERT_MAX		4096
#define BENCH_NCERTS		4	/* 9A 9C 9D 9E */
#define BENCH_CERT_9A		0
#define BENCH_CERT_9C		1

/* Emulator counters (from its counters file) or their difference. */
struct bench_counters {
	uint64_t	apdus;
	uint64_t	verify;
	uint64_t	keyops;
	uint64_t	ins[256];
};

/* One run of one flow with one module. */
struct bench_result {
	bool			ok;
	double			ms;
	struct bench_counters	d;		/* counted part only */
	unsigned		sigs;		/* signatures made */
	unsigned		verified;	/* of them verified */
	unsigned		certs;		/* browser: certificates seen */
	unsigned		privkeys;	/* browser: private keys seen */
	char			note[BENCH_NOTE_MAX];
};

struct bench_module {
	char		 name[BENCH_NAME_MAX];
	const char	*path;
};

/* How the child picks its slot. */
struct bench_slotsel {
	const char	*reader;	/* slot description starts with this */
	const char	*label;		/* token label equals this */
	long		 index;		/* n-th slot with a token, or -1 */
};

struct bench_opts {
	struct bench_module	mods[BENCH_MODS_MAX];
	size_t			nmods;
	struct bench_slotsel	slot;
	const char		*pcsc_reader;	/* PC/SC name for the floor */
	const char		*counters;
	const char		*profile;
	const char		*raw;		/* TSV output (appended) */
	const char		*desc;		/* the profile in words */
	bool			 bar_time;	/* check the time bar here */
	const char		*baseline;	/* ratio column: this module */
	const char		*subject;	/* the bar is checked for it */
	const char		*pin_env;
	int			 pin_fd;
	unsigned		 flows;		/* bit per enum bench_flow */
	unsigned		 runs;		/* cold, browser */
	unsigned		 sig_runs;	/* the signing flows */
	unsigned		 sigs;		/* rsa, ec */
	unsigned		 threads, thread_sigs;
	unsigned		 procs, proc_sigs;
	unsigned		 rtt_n;		/* SELECTs for the round trip */
	unsigned		 keyop_n;	/* OpenSSL operations per key */
	double			 apdu_delay_ms;	/* the profile's, for the text */
	double			 keyop_delay_rsa_ms, keyop_delay_ec_ms;
	unsigned		 timeout_s;	/* per child process */
	bool			 quiet;
	bool			 procs_early_exit;
	/* child role */
	int			 child_flow;	/* -1: not a child */
	const char		*child_module;
	const char		*certdir;
	int			 result_fd;
};

/* The PIN, wiped by bench_pin_clear(). */
struct bench_pin {
	char	v[BENCH_PIN_MAX];
	size_t	len;
};

/* One loaded module in a child. */
struct bench_p11 {
	void			*dl;
	CK_FUNCTION_LIST_PTR	 f;
};

/* Everything a flow needs (child side). */
struct bench_ctx {
	const struct bench_opts	*o;
	struct bench_pin	*pin;
	const char		*module;
	void			*pub[BENCH_NCERTS];	/* EVP_PKEY *, or NULL */
	uint8_t			*cert[BENCH_NCERTS];	/* reference DER */
	size_t			 certlen[BENCH_NCERTS];
};

/* A signature kept for verification after the measured part. */
struct bench_sig {
	uint8_t		data[BENCH_DATA_LEN];
	uint8_t		sig[BENCH_SIG_MAX];
	size_t		len;
};

/* The floor, measured once per runner. */
struct bench_floor {
	double		rtt_med, rtt_min, rtt_max;	/* ms per SELECT */
	unsigned	rtt_n;
	double		rsa_ms, ec_ms;			/* OpenSSL, ms per op */
	unsigned	keyop_n;
	size_t		cert_apdus[BENCH_NCERTS];	/* APDUs to read */
	bool		extended;	/* the card and reader took extended
					   APDUs when the certificates were
					   read */
	bool		have_rtt, have_keyop;
};

/* --- bench.c ----------------------------------------------------------- */
const char	*bench_flow_name(int);
int		 bench_flow_parse(const char *);

/* --- bench_stats.c ----------------------------------------------------- */
double	bench_now_ms(void);
int	bench_counters_read(const char *, struct bench_counters *);
void	bench_counters_diff(const struct bench_counters *,
	    const struct bench_counters *, struct bench_counters *);
double	bench_median(double *, size_t);
void	bench_minmax(const double *, size_t, double *, double *);
void	bench_fill_data(uint8_t *, size_t, unsigned, unsigned);
void	bench_notef(struct bench_result *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* --- bench_p11.c ------------------------------------------------------- */
int	bench_p11_load(struct bench_p11 *, const char *, struct bench_result *);
CK_RV	bench_p11_init(struct bench_p11 *);
CK_RV	bench_p11_slot(struct bench_p11 *, const struct bench_slotsel *,
	    CK_SLOT_ID *, struct bench_result *);
CK_RV	bench_p11_open(struct bench_p11 *, CK_SLOT_ID, CK_SESSION_HANDLE *);
CK_RV	bench_p11_login(struct bench_p11 *, CK_SESSION_HANDLE, CK_USER_TYPE,
	    const struct bench_pin *);
CK_RV	bench_p11_key(struct bench_p11 *, CK_SESSION_HANDLE, int,
	    CK_OBJECT_HANDLE *, struct bench_result *);
CK_RV	bench_p11_sign(struct bench_p11 *, CK_SESSION_HANDLE, CK_OBJECT_HANDLE,
	    CK_MECHANISM_TYPE, const struct bench_pin *, struct bench_sig *);
const char *bench_rv_name(CK_RV);
int	bench_p11_fail(struct bench_result *, const char *, CK_RV);

/* --- bench_verify.c ---------------------------------------------------- */
int	bench_load_certs(struct bench_ctx *, const char *);
void	bench_free_certs(struct bench_ctx *);
unsigned bench_verify_all(struct bench_ctx *, int,
	    const struct bench_sig *, size_t);

/* --- bench_flows.c / bench_conc.c -------------------------------------- */
int	bench_flow_cold(struct bench_ctx *, struct bench_result *);
int	bench_flow_browser(struct bench_ctx *, struct bench_result *);
int	bench_flow_rsa(struct bench_ctx *, struct bench_result *);
int	bench_flow_ec(struct bench_ctx *, struct bench_result *);
int	bench_flow_threads(struct bench_ctx *, struct bench_result *);
int	bench_flow_procs(struct bench_ctx *, struct bench_result *);
int	bench_session_setup(struct bench_ctx *, struct bench_p11 *,
	    CK_SLOT_ID *, CK_SESSION_HANDLE *, struct bench_result *);
int	bench_finish(struct bench_p11 *, CK_SESSION_HANDLE,
	    struct bench_result *);
int	bench_sign_loop(struct bench_p11 *, CK_SESSION_HANDLE,
	    CK_OBJECT_HANDLE, int, const struct bench_pin *,
	    struct bench_sig *, unsigned, struct bench_result *);

/* --- bench_child.c ----------------------------------------------------- */
int	bench_child_main(struct bench_opts *);
int	bench_result_format(const struct bench_result *, char *, size_t);
int	bench_result_parse(const char *, struct bench_result *);

/* --- bench_run.c ------------------------------------------------------- */
int	bench_run_all(struct bench_opts *, struct bench_pin *);

/* --- bench_card.c ------------------------------------------------------ */
int	bench_card_certs(const char *, const char *, size_t *, bool *);
int	bench_card_rtt(const char *, unsigned, double *);

/* --- bench_floor.c ----------------------------------------------------- */
void	bench_floor_measure(const struct bench_opts *, struct bench_floor *);
void	bench_floor_flow(const struct bench_opts *, const struct bench_floor *,
	    int, unsigned *, double *);

/* --- bench_tsv.c ------------------------------------------------------- */
void	bench_tsv_meta(FILE *, const struct bench_opts *,
	    const struct bench_floor *);
void	bench_tsv_row(FILE *, const struct bench_opts *, int,
	    const char *, const struct bench_result *, size_t);

/* --- bench_report.c ---------------------------------------------------- */
int	bench_report(const char *const *, size_t);

/* --- bench_pin (bench.c) ----------------------------------------------- */
int	bench_pin_read(const struct bench_opts *, struct bench_pin *);
void	bench_pin_clear(struct bench_pin *);

#endif
