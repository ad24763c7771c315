/*
 * tools/sign_check.c - "smartsign-sign verify": check a detached signature
 * as the customs side does, and say who signed what and when.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "tools/sign_cmd.h"
#include "tools/sign_trust.h"

void
usage_verify(int rc)
{
	fputs(
"usage: smartsign-sign verify --ca CA.pem [options] FILE [SIGNATURE]\n"
"\n"
"Verify the detached CMS signature SIGNATURE (default FILE.p7s) over FILE:\n"
"the content's digest, the signature, the chain from the signer's\n"
"certificate to a CA in CA.pem (intermediates may come from the .p7s),\n"
"every certificate's validity at the signing time, and the key usage\n"
"(digitalSignature or nonRepudiation).  Prints the signer's subject and\n"
"the signing time.  .p7s files must be DER (openssl cms -outform DER).\n"
"\n"
"options:\n"
"  --ca FILE       the trusted CA certificates (PEM bundle); required\n"
"  -q, --quiet     print nothing when the signature verifies\n"
"  -h, --help      this text\n"
"\n"
"Exit status:\n"
"  0 verified\n"
"  1 error (a file cannot be read, bad CA bundle)\n"
"  2 bad usage\n"
"  3 bad signature: the content or the signature was altered\n"
"  4 untrusted: no chain to the CA bundle, or key usage not for signing\n"
"  5 expired: a certificate was not valid at the signing time\n"
"  6 malformed: the .p7s is not a well-formed detached CMS signature\n",
	    rc == 0 ? stdout : stderr);
}

int
verdict_exit(enum sv_verdict v)
{
	switch (v) {
	case SV_OK:
		return SS_EXIT_OK;
	case SV_BAD_SIGNATURE:
		return SS_EXIT_BAD_SIGNATURE;
	case SV_UNTRUSTED:
		return SS_EXIT_UNTRUSTED;
	case SV_EXPIRED:
		return SS_EXIT_EXPIRED;
	case SV_MALFORMED:
		return SS_EXIT_MALFORMED;
	case SV_ERROR:
		break;
	}
	return SS_EXIT_ERROR;
}

int
read_file(const char *path, uint8_t **out, size_t *len, size_t max)
{
	FILE	*f;
	uint8_t	*buf;
	size_t	 n;
	int	 rc = -1;

	if ((buf = malloc(max + 1)) == NULL)
		return -1;
	if ((f = fopen(path, "rb")) == NULL)
		goto out;
	n = fread(buf, 1, max + 1, f);
	if (!ferror(f)) {
		*out = buf;
		*len = n;
		buf = NULL;
		rc = 0;
	}
	fclose(f);
out:
	free(buf);
	return rc;
}

static X509_STORE *
ca_store(const char *path)
{
	X509_STORE *st;

	if ((st = X509_STORE_new()) == NULL)
		return NULL;
	if (X509_STORE_load_file(st, path) != 1) {
		X509_STORE_free(st);
		return NULL;
	}
	return st;
}

static void
print_signer(FILE *f, const struct sv_signer *s)
{
	char when[64];

	if (s->subject[0] == '\0')
		return;
	if (s->has_when)
		st_time_str(s->when, when, sizeof(when));
	else
		snprintf(when, sizeof(when), "not stated (checked at the "
		    "current time)");
	fprintf(f, "  signer:    %s\n  signed at: %s\n  algorithm: %s\n",
	    s->subject, when, s->algorithm);
}

static void
report(const char *file, const char *sig, const struct sv_result *r,
    bool quiet)
{
	FILE	*f = r->verdict == SV_OK ? stdout : stderr;
	size_t	 i;

	if (r->verdict == SV_OK && quiet)
		return;
	if (r->verdict == SV_OK)
		fprintf(f, "verified: %s (signature %s)\n", file, sig);
	else
		fprintf(f, "smartsign-sign: %s: %s: %s\n", file,
		    sv_verdict_str(r->verdict), r->why.msg);
	for (i = 0; i < r->nsigners; i++)
		print_signer(f, &r->signer[i]);
}

static int
verify_files(const char *file, const char *sig, X509_STORE *store,
    bool quiet)
{
	struct sv_opts	 o = { store, false };
	struct sv_result r;
	uint8_t		*der = NULL;
	size_t		 len = 0;
	BIO		*content = NULL;
	int		 rc = SS_EXIT_ERROR;

	if (read_file(sig, &der, &len, SV_P7S_MAX) < 0) {
		fprintf(stderr, "smartsign-sign: %s: %s\n", sig,
		    strerror(errno));
		goto out;
	}
	if ((content = BIO_new_file(file, "rb")) == NULL) {
		fprintf(stderr, "smartsign-sign: %s: %s\n", file,
		    strerror(errno));
		goto out;
	}
	(void)sv_verify_bio(der, len, content, &o, &r);
	report(file, sig, &r, quiet);
	rc = verdict_exit(r.verdict);
out:
	BIO_free(content);
	free(der);
	ERR_clear_error();
	return rc;
}

int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ca",		required_argument,	NULL, 'c' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*ca = NULL;
	char		 sig[4096];
	const char	*sigpath = sig;
	X509_STORE	*store;
	bool		 quiet = false;
	int		 c, rc;

	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ca = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage_verify(0);
			return SS_EXIT_OK;
		default:
			usage_verify(SS_EXIT_USAGE);
			return SS_EXIT_USAGE;
		}
	}
	if (ca == NULL || argc - optind < 1 || argc - optind > 2) {
		fprintf(stderr, "smartsign-sign verify: %s\n", ca == NULL ?
		    "--ca CA.pem is required" : "give FILE [SIGNATURE]");
		usage_verify(SS_EXIT_USAGE);
		return SS_EXIT_USAGE;
	}
	if (argc - optind == 2)
		sigpath = argv[optind + 1];
	else if ((size_t)snprintf(sig, sizeof(sig), "%s.p7s", argv[optind]) >=
	    sizeof(sig))
		return SS_EXIT_USAGE;
	if ((store = ca_store(ca)) == NULL) {
		fprintf(stderr, "smartsign-sign: %s: cannot read a CA "
		    "certificate from it\n", ca);
		return SS_EXIT_ERROR;
	}
	rc = verify_files(argv[optind], sigpath, store, quiet);
	X509_STORE_free(store);
	return rc;
}
