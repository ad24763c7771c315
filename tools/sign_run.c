/*
 * tools/sign_run.c - "smartsign-sign sign": FILE -> FILE.p7s for a batch
 * of files with one PIN entry.
 *
 * Order of a run: everything that can fail without the card is checked
 * first (options, outputs that would be overwritten, --cert/--chain
 * files), then the module, the token and the certificate (before login),
 * then the PIN is read once, C_Login, the key, and one signature per file.
 * Each signature is verified against the certificate before its .p7s is
 * written (a token that signs with another key than its certificate's is
 * caught here, not at customs), and each .p7s appears atomically.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "reader/hex.h"
#include "tools/sign_cmd.h"
#include "tools/sign_p11.h"
#include "tools/sign_trust.h"

struct run {
	struct su_sel	 sel;
	const char	*module;
	const char	*cert_path;
	const char	*chain_path;
	const char	*output;
	const EVP_MD	*md;
	int		 pin_fd;
	bool		 pss;
	bool		 force;
	bool		 quiet;
	char		**files;
	int		 nfiles;
	char		**outs;

	char		 module_buf[4096];
	STACK_OF(X509)	*chain;
	struct sp11	 p11;
	struct sp_pin	 pin;
	int		 usage;		/* a usage error found late */
};

void
usage_sign(int rc)
{
	fputs(
"usage: smartsign-sign sign [options] FILE...\n"
"\n"
"Sign each FILE into FILE.p7s: a detached CMS SignedData (DER) with the\n"
"signed attributes content type, signing time, message digest and ESS\n"
"signing-certificate-v2, holding the signer's certificate (and --chain).\n"
"The PIN is asked once for the whole batch; a key that wants the PIN\n"
"before every signature (PIV 9C) gets it from memory.  A wrong PIN stops\n"
"the run at once.\n"
"\n"
"options:\n"
"  -k, --key KEY     the key: a PKCS#11 URI (pkcs11:token=..;serial=..;\n"
"                    id=%02;object=..;type=private|cert), or a PIV key\n"
"                    9a 9c 9d 9e, or a CKA_ID in hex (default 9c, the\n"
"                    digital-signature key, CKA_ID 02)\n"
"  --module PATH     the PKCS#11 module (default smartsign-pkcs11.so\n"
"                    beside this program, else the installed one)\n"
"  --pin-fd N        read the PIN (one line) from file descriptor N, for\n"
"                    automation.  Without it the PIN is asked on the\n"
"                    terminal with echo off, or on the reader's PIN pad\n"
"                    when it has one.  The PIN is never an argument.\n"
"  --digest ALG      sha256 (default), sha384 or sha512\n"
"  --pss             RSA keys: RSASSA-PSS instead of PKCS#1 v1.5\n"
"  --chain FILE      more certificates (PEM) to include, e.g. the CA's\n"
"  --cert FILE       the signer's certificate (PEM) when the token has none\n"
"  -o, --output FILE the signature file (one FILE only; default FILE.p7s)\n"
"  -f, --force       replace signature files that exist\n"
"  -q, --quiet       print nothing but errors\n"
"  -h, --help        this text\n"
"\n"
"Exit status: 0 all files signed; 1 error (file, module, token, key); 2 bad\n"
"usage; 7 PIN wrong, blocked or cancelled.  Files signed before an error\n"
"keep their signatures; no partial .p7s is ever written.\n",
	    rc == 0 ? stdout : stderr);
}

static void
fail(const char *what, const struct se_err *e)
{
	fprintf(stderr, "smartsign-sign: %s%s%s\n", what != NULL ? what : "",
	    what != NULL ? ": " : "", e->msg);
}

static const EVP_MD *
digest_arg(const char *s)
{
	if (strcmp(s, "sha256") == 0 || strcmp(s, "sha-256") == 0)
		return EVP_sha256();
	if (strcmp(s, "sha384") == 0 || strcmp(s, "sha-384") == 0)
		return EVP_sha384();
	if (strcmp(s, "sha512") == 0 || strcmp(s, "sha-512") == 0)
		return EVP_sha512();
	return NULL;
}

static int
fd_arg(const char *s)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 65535)
		return -1;
	return (int)v;
}

static int
key_arg(struct run *r, const char *s)
{
	struct se_err e;

	if (strncasecmp(s, "pkcs11:", 7) == 0 ? su_parse_uri(s, &r->sel, &e) :
	    su_parse_key(s, &r->sel, &e)) {
		fail("--key", &e);
		return -1;
	}
	return 0;
}

static int
opt_one(struct run *r, int c)
{
	switch (c) {
	case 'k':
		return key_arg(r, optarg);
	case 'm':
		r->module = optarg;
		return 0;
	case 'p':
		if ((r->pin_fd = fd_arg(optarg)) < 0)
			fprintf(stderr, "smartsign-sign: --pin-fd %s: not a "
			    "file descriptor number\n", optarg);
		return r->pin_fd < 0 ? -1 : 0;
	case 'd':
		if ((r->md = digest_arg(optarg)) == NULL)
			fprintf(stderr, "smartsign-sign: --digest %s: use "
			    "sha256, sha384 or sha512\n", optarg);
		return r->md == NULL ? -1 : 0;
	case 'P':
		r->pss = true;
		return 0;
	case 'C':
		r->chain_path = optarg;
		return 0;
	case 'c':
		r->cert_path = optarg;
		return 0;
	case 'o':
		r->output = optarg;
		return 0;
	case 'f':
		r->force = true;
		return 0;
	case 'q':
		r->quiet = true;
		return 0;
	default:
		return -1;
	}
}

/* 0 go on, 1 help printed, -1 usage error. */
static int
parse_opts(struct run *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key",	required_argument,	NULL, 'k' },
		{ "module",	required_argument,	NULL, 'm' },
		{ "pin-fd",	required_argument,	NULL, 'p' },
		{ "digest",	required_argument,	NULL, 'd' },
		{ "pss",	no_argument,		NULL, 'P' },
		{ "chain",	required_argument,	NULL, 'C' },
		{ "cert",	required_argument,	NULL, 'c' },
		{ "output",	required_argument,	NULL, 'o' },
		{ "force",	no_argument,		NULL, 'f' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	su_default(&r->sel);
	r->md = EVP_sha256();
	r->pin_fd = -1;
	while ((c = getopt_long(argc, argv, "k:o:fqh", opts, NULL)) != -1) {
		if (c == 'h')
			return 1;
		if (opt_one(r, c) < 0)
			return -1;
	}
	r->files = argv + optind;
	r->nfiles = argc - optind;
	if (r->nfiles < 1 || (r->output != NULL && r->nfiles != 1)) {
		fprintf(stderr, "smartsign-sign sign: %s\n", r->nfiles < 1 ?
		    "no FILE to sign" : "--output takes one FILE only");
		return -1;
	}
	return 0;
}

/* Output names, checked before the card is touched. */
static int
outputs(struct run *r)
{
	struct stat	st;
	size_t		len;
	int		i;

	if ((r->outs = calloc((size_t)r->nfiles, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < r->nfiles; i++) {
		len = strlen(r->output != NULL ? r->output : r->files[i]) + 5;
		if ((r->outs[i] = malloc(len)) == NULL)
			return -1;
		if (r->output != NULL)
			snprintf(r->outs[i], len, "%s", r->output);
		else
			snprintf(r->outs[i], len, "%s.p7s", r->files[i]);
		if (access(r->files[i], R_OK) != 0) {
			fprintf(stderr, "smartsign-sign: %s: %s\n",
			    r->files[i], strerror(errno));
			return -1;
		}
		if (!r->force && stat(r->outs[i], &st) == 0) {
			fprintf(stderr, "smartsign-sign: %s exists (use "
			    "--force to replace it)\n", r->outs[i]);
			return -1;
		}
	}
	return 0;
}

static STACK_OF(X509) *
pem_certs(const char *path)
{
	STACK_OF(X509)	*sk;
	BIO		*b;
	X509		*x;

	if ((b = BIO_new_file(path, "r")) == NULL ||
	    (sk = sk_X509_new_null()) == NULL) {
		BIO_free(b);
		return NULL;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(sk, x) <= 0) {
			X509_free(x);
			break;
		}
	BIO_free(b);
	ERR_clear_error();
	if (sk_X509_num(sk) == 0) {
		sk_X509_free(sk);
		return NULL;
	}
	return sk;
}

static int
load_certs(struct run *r)
{
	STACK_OF(X509) *one;

	if (r->chain_path != NULL &&
	    (r->chain = pem_certs(r->chain_path)) == NULL) {
		fprintf(stderr, "smartsign-sign: %s: no PEM certificate in it\n",
		    r->chain_path);
		return -1;
	}
	if (r->cert_path == NULL)
		return 0;
	if ((one = pem_certs(r->cert_path)) == NULL) {
		fprintf(stderr, "smartsign-sign: %s: no PEM certificate in it\n",
		    r->cert_path);
		return -1;
	}
	r->p11.cert = sk_X509_shift(one);
	sk_X509_pop_free(one, X509_free);
	return 0;
}

static int
open_token(struct run *r)
{
	struct se_err e;

	if (r->module == NULL) {
		if (sp11_default_module(r->module_buf, sizeof(r->module_buf),
		    &e) < 0) {
			fail(NULL, &e);
			return -1;
		}
		r->module = r->module_buf;
	}
	if (sp11_load(&r->p11, r->module, &e) < 0 ||
	    sp11_token(&r->p11, &r->sel, &e) < 0 ||
	    sp11_find_cert(&r->p11, &r->sel, &e) < 0) {
		fail(NULL, &e);
		return -1;
	}
	return 0;
}

/* The scheme for the key; --pss on an EC key is a usage error. */
static int
pick_scheme(struct run *r, EVP_PKEY *pub, enum sc_scheme *scheme)
{
	bool ec = EVP_PKEY_is_a(pub, "EC"), rsa = EVP_PKEY_is_a(pub, "RSA");

	if (!ec && !rsa) {
		fprintf(stderr, "smartsign-sign: the key is neither RSA nor "
		    "EC: not supported\n");
		return -1;
	}
	if (ec && r->pss) {
		fprintf(stderr, "smartsign-sign: --pss is for RSA keys; this "
		    "key is EC (ECDSA)\n");
		r->usage = 1;
		return -1;
	}
	*scheme = ec ? SC_ECDSA : r->pss ? SC_RSA_PSS : SC_RSA_PKCS1;
	return 0;
}

static int
get_pin(struct run *r)
{
	const CK_TOKEN_INFO	*t = &r->p11.tok;
	char			 prompt[96];
	struct se_err		 e;

	if (sp_pin_init(&r->pin, &e) < 0)
		goto fail;
	if (!r->pin.locked && !r->quiet)
		fprintf(stderr, "smartsign-sign: warning: cannot lock the PIN "
		    "page in memory\n");
	if (r->pin_fd >= 0) {
		if (sp_pin_from_fd(&r->pin, r->pin_fd, &e) == 0)
			return 0;
		goto fail;
	}
	if (t->flags & CKF_PROTECTED_AUTHENTICATION_PATH) {
		sp_pin_set_pinpad(&r->pin);
		return 0;
	}
	if (!(t->flags & CKF_LOGIN_REQUIRED))
		return 0;
	snprintf(prompt, sizeof(prompt), "PIN for \"%s\": ",
	    r->p11.tok_label);
	if (sp_pin_from_tty(&r->pin, prompt, &e) == 0)
		return 0;
fail:
	fail(NULL, &e);
	return -1;
}

static int
key_ready(struct run *r, enum sc_scheme *scheme)
{
	struct se_err	e;
	bool		ec;

	if (sp11_login(&r->p11, &r->pin, &e) < 0 ||
	    sp11_find_key(&r->p11, &r->sel, &e) < 0) {
		fail(NULL, &e);
		return -1;
	}
	if (pick_scheme(r, X509_get0_pubkey(r->p11.cert), scheme) < 0)
		return -1;
	ec = *scheme == SC_ECDSA;
	if ((ec && r->p11.ktype != CKK_EC) || (!ec && r->p11.ktype != CKK_RSA)) {
		fprintf(stderr, "smartsign-sign: the certificate's key type "
		    "differs from the private key's\n");
		return -1;
	}
	if (sp11_prepare(&r->p11, *scheme, r->md, &e) < 0) {
		fail(NULL, &e);
		return -1;
	}
	return 0;
}

static void
warn_validity(const struct run *r)
{
	time_t now = time(NULL);

	if (X509_cmp_time(X509_get0_notAfter(r->p11.cert), &now) < 0)
		fprintf(stderr, "smartsign-sign: warning: the certificate has "
		    "expired: verifiers will reject these signatures\n");
	else if (X509_cmp_time(X509_get0_notBefore(r->p11.cert), &now) > 0)
		fprintf(stderr, "smartsign-sign: warning: the certificate is "
		    "not valid yet: verifiers will reject these signatures\n");
}

static void
print_header(const struct run *r)
{
	char		 subject[256], idhex[2 * SU_ID_MAX + 1];
	const char	*piv = su_piv_name(r->p11.id, r->p11.idlen);

	if (r->quiet)
		return;
	st_name(X509_get_subject_name(r->p11.cert), subject, sizeof(subject));
	ss_hex_encode(r->p11.id, r->p11.idlen, idhex);
	printf("signer: %s\nkey:    %s%s%s%s on token \"%s\", %s with %s "
	    "(%s)\n", subject, piv ? piv : "", piv ? " (id " : "id ", idhex,
	    piv ? ")" : "", r->p11.tok_label, r->p11.scheme == SC_ECDSA ?
	    "ECDSA" : r->p11.scheme == SC_RSA_PSS ? "RSA-PSS" :
	    "RSA PKCS#1 v1.5", EVP_MD_get0_name(r->md),
	    sp11_mech_str(r->p11.mech));
	fflush(stdout);
}

/* Write der to path atomically; without force, never replace a file. */
static int
write_out(const char *path, const uint8_t *der, size_t len, bool force,
    struct se_err *e)
{
	char	tmp[4096];
	size_t	off = 0;
	ssize_t	n;
	int	fd, rc = -1;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    sizeof(tmp) || (fd = mkstemp(tmp)) < 0) {
		se_set(e, "%s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	while (off < len && ((n = write(fd, der + off, len - off)) > 0 ||
	    (n < 0 && errno == EINTR)))
		off += n > 0 ? (size_t)n : 0;
	if (off == len && fchmod(fd, 0644) == 0 && fsync(fd) == 0 &&
	    close(fd) == 0) {
		fd = -1;
		rc = force ? rename(tmp, path) : link(tmp, path);
	}
	if (rc < 0)
		se_set(e, "%s: cannot write: %s", path, strerror(errno));
	if (fd >= 0)
		(void)close(fd);
	if (rc < 0 || !force)
		(void)unlink(tmp);
	return rc;
}

/* Sign one file, check the signature, write it. */
static int
sign_one(struct run *r, enum sc_scheme scheme, const char *in,
    const char *out, struct se_err *e)
{
	struct sc_req	 req = { r->p11.cert, r->chain, r->md, scheme,
			    time(NULL), sp11_sign, &r->p11 };
	struct sv_opts	 vo = { NULL, true };
	struct sv_result vr;
	uint8_t		*der = NULL;
	size_t		 len = 0;
	BIO		*b;
	int		 rc = -1;

	memset(&vr, 0, sizeof(vr));
	if ((b = BIO_new_file(in, "rb")) == NULL) {
		se_set(e, "%s: %s", in, strerror(errno));
		return -1;
	}
	if (sc_sign_bio(&req, b, &der, &len, e) < 0)
		goto out;
	if (BIO_reset(b) < 0 || sv_verify_bio(der, len, b, &vo, &vr) != SV_OK) {
		se_set(e, "%s: the signature the token made does not verify "
		    "with its certificate (%s); nothing written", in,
		    vr.why.msg);
		goto out;
	}
	rc = write_out(out, der, len, r->force, e);
out:
	OPENSSL_free(der);
	BIO_free(b);
	return rc;
}

static int
sign_all(struct run *r, enum sc_scheme scheme)
{
	struct se_err	e;
	const char	*out;
	int		i;

	for (i = 0; i < r->nfiles; i++) {
		out = r->outs[i];
		if (sign_one(r, scheme, r->files[i], out, &e) < 0) {
			fail(NULL, &e);
			if (i > 0)
				fprintf(stderr, "smartsign-sign: %d of %d files "
				    "signed before the error\n", i, r->nfiles);
			return -1;
		}
		if (!r->quiet) {
			printf("signed: %s -> %s\n", r->files[i], out);
			fflush(stdout);
		}
	}
	if (!r->quiet && r->nfiles > 1)
		printf("%d files signed with one PIN entry\n", r->nfiles);
	return 0;
}

static int
run_sign(struct run *r)
{
	enum sc_scheme scheme;

	if (outputs(r) < 0 || load_certs(r) < 0 || open_token(r) < 0)
		return SS_EXIT_ERROR;
	if (r->p11.cert != NULL &&
	    pick_scheme(r, X509_get0_pubkey(r->p11.cert), &scheme) < 0)
		return r->usage ? SS_EXIT_USAGE : SS_EXIT_ERROR;
	if (get_pin(r) < 0)
		return SS_EXIT_PIN;
	if (key_ready(r, &scheme) < 0)
		return r->p11.pin_error ? SS_EXIT_PIN :
		    r->usage ? SS_EXIT_USAGE : SS_EXIT_ERROR;
	warn_validity(r);
	print_header(r);
	if (sign_all(r, scheme) < 0)
		return r->p11.pin_error ? SS_EXIT_PIN : SS_EXIT_ERROR;
	return SS_EXIT_OK;
}

static void
run_free(struct run *r)
{
	int i;

	sp11_close(&r->p11);
	sp_pin_free(&r->pin);
	sk_X509_pop_free(r->chain, X509_free);
	for (i = 0; r->outs != NULL && i < r->nfiles; i++)
		free(r->outs[i]);
	free(r->outs);
}

int
cmd_sign(int argc, char **argv)
{
	struct run	r;
	int		rc;

	memset(&r, 0, sizeof(r));
	/* no core dumps, no ptrace by the same user: the PIN is in memory */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if ((rc = parse_opts(&r, argc, argv)) != 0) {
		usage_sign(rc > 0 ? 0 : SS_EXIT_USAGE);
		return rc > 0 ? SS_EXIT_OK : SS_EXIT_USAGE;
	}
	rc = run_sign(&r);
	run_free(&r);
	return rc;
}
