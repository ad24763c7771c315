/*
 * tests/fuzz/fuzz-p7s.c - a .p7s from anyone into the signing tool's
 * verifier (sv_verify_buf(), tools/sign_verify.h): the customs side
 * verifies what brokers send, so every byte is hostile.
 *
 * Input: byte 0 picks the options, the rest is the .p7s; the content it
 * is checked against is fixed (FZ_P7S_CONTENT, what gen-corpus signs).
 *   bit 0  stop after the signature checks (sig_only)
 *   bit 1  trust the self-signed certificates the .p7s itself carries
 *          (the seeds carry their test CA), so that the chain and time
 *          checks run; else nothing is trusted
 * Beyond "no crash": a verdict is one of the enum's, and a .p7s that
 * verifies as OK without trusting anything is an abort().
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "tools/sign_verify.h"
#include "fuzz.h"

#define OPT_SIG_ONLY	0x01u
#define OPT_TRUST_CA	0x02u

/* A store with the self-signed certificates of the .p7s (OpenSSL's
 * parser, before the verifier's own checks); NULL if it has none. */
static X509_STORE *
carried_cas(const uint8_t *p, size_t len)
{
	const unsigned char	*q = p;
	CMS_ContentInfo		*cms;
	STACK_OF(X509)		*certs = NULL;
	X509_STORE		*st = NULL;
	X509			*x;
	int			 i;

	if (len > LONG_MAX ||
	    (cms = d2i_CMS_ContentInfo(NULL, &q, (long)len)) == NULL)
		return NULL;
	if ((certs = CMS_get1_certs(cms)) == NULL)
		goto out;
	for (i = 0; i < sk_X509_num(certs); i++) {
		x = sk_X509_value(certs, i);
		if (X509_check_issued(x, x) != X509_V_OK)
			continue;
		if (st == NULL && (st = X509_STORE_new()) == NULL)
			goto out;
		(void)X509_STORE_add_cert(st, x);
	}
out:
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	return st;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 content[] = FZ_P7S_CONTENT;
	struct sv_result	*res;
	struct sv_opts		 o;
	struct ss_rd		 in;
	const uint8_t		*p7s;
	uint8_t			*copy, opt;
	size_t			 len;
	enum sv_verdict		 v;

	ss_rd_init(&in, data, size);
	opt = fz_u8(&in);
	len = fz_take(&in, ss_rd_left(&in), &p7s);
	memset(&o, 0, sizeof(o));
	o.sig_only = (opt & OPT_SIG_ONLY) != 0;
	o.store = (opt & OPT_TRUST_CA) ? carried_cas(p7s, len) : NULL;
	/* exactly len bytes, so ASan sees a read past the end */
	if ((copy = malloc(len > 0 ? len : 1)) == NULL ||
	    (res = calloc(1, sizeof(*res))) == NULL) {
		free(copy);
		return 0;
	}
	if (len > 0)
		memcpy(copy, p7s, len);
	v = sv_verify_buf(copy, len, (const uint8_t *)content,
	    sizeof(content) - 1, &o, res);
	if (v > SV_ERROR || v != res->verdict)
		abort();
	if (v == SV_OK && o.store == NULL && !o.sig_only)
		abort();
	X509_STORE_free(o.store);
	free(res);
	free(copy);
	ERR_clear_error();
	return 0;
}
