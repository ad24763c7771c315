/*
 * tools/bench_floor.c - the physical limit beside each flow.
 *
 * Measured once per runner (outside every flow):
 *   - one APDU round trip: N SELECTs through libpcsclite -> pcscd -> vpcd
 *     -> emulator (with the profile's --apdu-delay in it);
 *   - the emulator's own cost of a private-key operation: N raw RSA-2048
 *     (no padding, CRT) and N P-256 ECDSA signatures in-process with
 *     OpenSSL, the library the emulator computes with;
 *   - how many APDUs each certificate read takes (bench_card.c: one
 *     with an extended Le when the card's ATR offers extended APDUs and
 *     the reader takes them, else GET DATA + GET RESPONSEs).
 * The floor of a flow is the least APDUs it needs times the round trip,
 * plus its private-key operations times (OpenSSL time + the profile's
 * --keyop-delay).  Least APDUs: SELECT 1, a certificate as read above,
 * VERIFY 1, an RSA-2048 GENERAL AUTHENTICATE 1 with extended APDUs
 * (extended Lc and Le) or 3 without (two chained chunks, one GET
 * RESPONSE), a P-256 one 1.  Whether extended APDUs count is what the
 * certificate read found out about this card and reader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "tools/bench.h"

#define GA_RSA_APDUS_SHORT	3
#define GA_RSA_APDUS_EXT	1
#define GA_EC_APDUS	1

static EVP_PKEY *
keygen(int id, int bits_or_nid)
{
	EVP_PKEY_CTX	*kc;
	EVP_PKEY	*k = NULL;
	int		 ok;

	if ((kc = EVP_PKEY_CTX_new_id(id, NULL)) == NULL)
		return NULL;
	ok = EVP_PKEY_keygen_init(kc) == 1;
	if (ok && id == EVP_PKEY_RSA)
		ok = EVP_PKEY_CTX_set_rsa_keygen_bits(kc, bits_or_nid) == 1;
	if (ok && id == EVP_PKEY_EC)
		ok = EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kc,
		    bits_or_nid) == 1;
	if (ok)
		ok = EVP_PKEY_keygen(kc, &k) == 1;
	EVP_PKEY_CTX_free(kc);
	return ok ? k : NULL;
}

/* Median ms of n private-key operations on in (raw RSA or ECDSA). */
static double
time_ops(EVP_PKEY *k, bool rsa, unsigned n)
{
	EVP_PKEY_CTX	*sc;
	uint8_t		 in[256], out[512];
	size_t		 outlen;
	double		*ms, med = 0, t0;
	unsigned	 i;

	memset(in, 0x5a, sizeof(in));
	in[0] = 0x00;
	in[1] = 0x01;
	if ((ms = calloc(n, sizeof(*ms))) == NULL ||
	    (sc = EVP_PKEY_CTX_new(k, NULL)) == NULL) {
		free(ms);
		return 0;
	}
	if (EVP_PKEY_sign_init(sc) == 1 && (!rsa ||
	    EVP_PKEY_CTX_set_rsa_padding(sc, RSA_NO_PADDING) == 1)) {
		for (i = 0; i < n; i++) {
			outlen = sizeof(out);
			t0 = bench_now_ms();
			if (EVP_PKEY_sign(sc, out, &outlen, in, rsa ? 256 :
			    32) != 1)
				break;
			ms[i] = bench_now_ms() - t0;
		}
		if (i == n)
			med = bench_median(ms, n);
	}
	EVP_PKEY_CTX_free(sc);
	free(ms);
	return med;
}

static void
floor_keyops(unsigned n, struct bench_floor *f)
{
	EVP_PKEY	*rsa, *ec;

	rsa = keygen(EVP_PKEY_RSA, 2048);
	ec = keygen(EVP_PKEY_EC, NID_X9_62_prime256v1);
	if (rsa != NULL && ec != NULL) {
		f->rsa_ms = time_ops(rsa, true, n);
		f->ec_ms = time_ops(ec, false, n);
		f->keyop_n = n;
		f->have_keyop = f->rsa_ms > 0 && f->ec_ms > 0;
	}
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
}

static void
floor_rtt(const char *reader, unsigned n, struct bench_floor *f)
{
	double	*ms;

	if (reader == NULL || n == 0 || (ms = calloc(n, sizeof(*ms))) == NULL)
		return;
	if (bench_card_rtt(reader, n, ms) == 0) {
		bench_minmax(ms, n, &f->rtt_min, &f->rtt_max);
		f->rtt_med = bench_median(ms, n);
		f->rtt_n = n;
		f->have_rtt = true;
	}
	free(ms);
}

void
bench_floor_measure(const struct bench_opts *o, struct bench_floor *f)
{
	floor_rtt(o->pcsc_reader, o->rtt_n, f);
	if (o->keyop_n > 0)
		floor_keyops(o->keyop_n, f);
}

static size_t
all_certs(const struct bench_floor *f)
{
	size_t	n = 0;
	int	i;

	for (i = 0; i < BENCH_NCERTS; i++)
		n += f->cert_apdus[i];
	return n;
}

/* Least APDUs and the floor in ms of a flow as configured in o. */
void
bench_floor_flow(const struct bench_opts *o, const struct bench_floor *f,
    int flow, unsigned *apdus, double *ms)
{
	unsigned	nrsa = 0, nec = 0;
	size_t		n = 0, ga_rsa;

	ga_rsa = f->extended ? GA_RSA_APDUS_EXT : GA_RSA_APDUS_SHORT;
	switch (flow) {
	case FLOW_COLD:
		n = 1 + f->cert_apdus[BENCH_CERT_9A] + 1 + ga_rsa;
		nrsa = 1;
		break;
	case FLOW_BROWSER:
		n = 1 + all_certs(f);
		break;
	case FLOW_RSA:
		nrsa = o->sigs;
		break;
	case FLOW_EC:
		nec = o->sigs;
		break;
	case FLOW_THREADS:
		nrsa = o->threads * o->thread_sigs;
		break;
	case FLOW_PROCS:
		nrsa = o->procs * o->proc_sigs;
		break;
	default:
		break;
	}
	if (flow != FLOW_COLD)
		n += (size_t)nrsa * ga_rsa + (size_t)nec *
		    (1 + GA_EC_APDUS);
	*apdus = (unsigned)n;
	*ms = (double)n * f->rtt_med + nrsa * (f->rsa_ms +
	    o->keyop_delay_rsa_ms) + nec * (f->ec_ms + o->keyop_delay_ec_ms);
}
