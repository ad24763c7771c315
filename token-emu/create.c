/*
 * token-emu/create.c - "smartsign-emu create FILE" (a new card file with a
 * test identity) and "smartsign-emu show FILE" (a summary that never shows
 * PIN, PUK or management key).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "reader/hex.h"
#include "reader/wipe.h"
#include "card.h"
#include "cardfile.h"
#include "create.h"
#include "identity.h"

#define EXIT_USAGE	2
#define HELP_SHOWN	(-1)
#define ERRLEN		512
#define NAME_MAX_LEN	64	/* X.520 upper bound for CN and O */

enum {
	OPT_VARIANT = 256, OPT_KEY, OPT_NAME, OPT_ORG, OPT_COUNTRY, OPT_PIN,
	OPT_PUK, OPT_MGMT_KEY, OPT_MGMT_ALG, OPT_TRIES, OPT_SERIAL,
	OPT_VERSION, OPT_NO_YUBIKEY, OPT_EMPTY, OPT_CA_CERT, OPT_CA_KEY,
	OPT_CERT_DAYS, OPT_CERT_START, OPT_FORCE,
};

static const struct option create_longopts[] = {
	{ "variant",		required_argument, NULL, OPT_VARIANT },
	{ "key",		required_argument, NULL, OPT_KEY },
	{ "name",		required_argument, NULL, OPT_NAME },
	{ "org",		required_argument, NULL, OPT_ORG },
	{ "country",		required_argument, NULL, OPT_COUNTRY },
	{ "pin",		required_argument, NULL, OPT_PIN },
	{ "puk",		required_argument, NULL, OPT_PUK },
	{ "mgmt-key",		required_argument, NULL, OPT_MGMT_KEY },
	{ "mgmt-alg",		required_argument, NULL, OPT_MGMT_ALG },
	{ "tries",		required_argument, NULL, OPT_TRIES },
	{ "serial",		required_argument, NULL, OPT_SERIAL },
	{ "version",		required_argument, NULL, OPT_VERSION },
	{ "no-yubikey",		no_argument,	   NULL, OPT_NO_YUBIKEY },
	{ "empty",		no_argument,	   NULL, OPT_EMPTY },
	{ "ca-cert",		required_argument, NULL, OPT_CA_CERT },
	{ "ca-key",		required_argument, NULL, OPT_CA_KEY },
	{ "cert-days",		required_argument, NULL, OPT_CERT_DAYS },
	{ "cert-start-days",	required_argument, NULL, OPT_CERT_START },
	{ "force",		no_argument,	   NULL, OPT_FORCE },
	{ "help",		no_argument,	   NULL, 'h' },
	{ NULL,			0,		   NULL, 0 },
};

static const char create_help[] =
"usage: smartsign-emu create FILE [options]\n"
"\n"
"Write a new card file FILE (mode 0600) holding an emulated PIV card with a\n"
"test identity: keys in 9A, 9C, 9D and 9E with certificates from a test CA,\n"
"a CHUID, a CCC and a discovery object.\n"
"\n"
"Identity:\n"
"  --variant rsa|ec|mixed  key types: mixed (default) = RSA-2048 in 9A and\n"
"                          9D, P-256 in 9C and 9E; rsa = RSA-2048 in all\n"
"                          four; ec = P-256 in all four\n"
"  --key REF=TYPE          override one slot (repeatable).  REF: 9a 9c 9d 9e\n"
"                          or a retired slot 82..95.  TYPE: rsa1024 rsa2048\n"
"                          rsa3072 rsa4096 p256 p384 ed25519 x25519, or\n"
"                          none to leave the slot empty\n"
"  --name CN               certificate subject CN (default \"" EMU_ID_DEFAULT_NAME "\")\n"
"  --org O                 subject O (default \"" EMU_ID_DEFAULT_ORG "\")\n"
"  --country CC            subject C, two letters (default " EMU_ID_DEFAULT_COUNTRY ")\n"
"  --ca-cert FILE          test CA certificate (PEM) and key (PEM): reused\n"
"  --ca-key FILE           when both exist, else both created (key 0600);\n"
"                          without them a throw-away CA signs and is lost\n"
"  --cert-days N           certificate validity in days (default 730)\n"
"  --cert-start-days N     start of validity in days from now (default -1;\n"
"                          negative is in the past: --cert-start-days -800\n"
"                          --cert-days 730 gives expired certificates)\n"
"  --empty                 factory card: no keys, no objects\n"
"\n"
"Card:\n"
"  --pin PIN               6 to 8 printable characters (default 123456)\n"
"  --puk PUK               6 to 8 printable characters (default 12345678)\n"
"  --mgmt-alg ALG          management key algorithm: 3des (default),\n"
"                          aes128, aes192, aes256\n"
"  --mgmt-key HEX          management key; default 010203..08 three times\n"
"                          (3des, aes192); required for aes128 and aes256\n"
"  --tries N               PIN and PUK retry limit, 1 to 15 (default 3)\n"
"  --serial N              serial number (default: random 8 digits)\n"
"  --version X.Y.Z         YubiKey firmware version (default 5.4.3)\n"
"  --no-yubikey            answer YubiKey-only commands with 6D00\n"
"  --force                 replace FILE if it exists\n"
"  -h, --help              this text\n"
"\n"
"Exit status: 0 ok, 1 error, 2 bad usage.\n";

static const char show_help[] =
"usage: smartsign-emu show FILE\n"
"\n"
"Summarize a card file: serial, version, retries left, which credentials\n"
"are still the defaults, each key with its algorithm and certificate.\n"
"PIN, PUK and management key values are never shown.\n"
"\n"
"Exit status: 0 ok, 1 error, 2 bad usage.\n";

static const uint8_t default_mgmt_key[24] = {
	1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8,
};

struct create_opts {
	struct emu_card		 card;	/* PIN, tries, ... set directly */
	const char		*file;
	const char		*ca_cert;
	const char		*ca_key;
	struct emu_id_opts	 id;
	uint8_t			 variant[4];	/* 9A 9C 9D 9E */
	uint8_t			 key_alg[EMU_NKEYS];
	bool			 key_set[EMU_NKEYS];
	bool			 empty;
	bool			 force;
	bool			 identity_opt;	/* conflicts with --empty */
	bool			 serial_set;
	uint8_t			 mgmt_alg;
	uint8_t			 mgmt_key[EMU_MGMT_KEY_MAX];
	size_t			 mgmt_key_len;	/* 0: not given */
};

static int
usage_err(const char *cmd, const char *msg, const char *arg)
{
	fprintf(stderr, "smartsign-emu %s: %s%s%s\n", cmd, msg,
	    arg != NULL ? ": " : "", arg != NULL ? arg : "");
	fprintf(stderr, "try 'smartsign-emu %s --help'\n", cmd);
	return EXIT_USAGE;
}

static int
num_parse(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* PIN or PUK: 6 to 8 printable ASCII characters, padded with FF */
static int
pin_parse(const char *s, uint8_t out[EMU_PIN_LEN])
{
	size_t n = strlen(s), i;

	if (n < 6 || n > EMU_PIN_LEN)
		return -1;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return -1;
	memset(out, 0xff, EMU_PIN_LEN);
	memcpy(out, s, n);
	return 0;
}

static int
version_parse(const char *s, uint8_t v[3])
{
	unsigned long	 n;
	char		*end;
	int		 i;

	for (i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		n = strtoul(s, &end, 10);
		if (errno != 0 || n > 255 || *end != (i < 2 ? '.' : '\0'))
			return -1;
		v[i] = (uint8_t)n;
		s = end + 1;
	}
	return 0;
}

static int
variant_parse(const char *s, uint8_t v[4])
{
	uint8_t rsa = PIV_ALG_RSA2048, ec = PIV_ALG_ECCP256;

	if (strcmp(s, "mixed") == 0) {
		v[0] = rsa, v[1] = ec, v[2] = rsa, v[3] = ec;
	} else if (strcmp(s, "rsa") == 0) {
		v[0] = v[1] = v[2] = v[3] = rsa;
	} else if (strcmp(s, "ec") == 0) {
		v[0] = v[1] = v[2] = v[3] = ec;
	} else
		return -1;
	return 0;
}

static int
mgmt_alg_parse(const char *s, uint8_t *alg)
{
	if (strcmp(s, "3des") == 0)
		*alg = PIV_ALG_3DES;
	else if (strcmp(s, "aes128") == 0)
		*alg = PIV_ALG_AES128;
	else if (strcmp(s, "aes192") == 0)
		*alg = PIV_ALG_AES192;
	else if (strcmp(s, "aes256") == 0)
		*alg = PIV_ALG_AES256;
	else
		return -1;
	return 0;
}

static const char *
mgmt_alg_name(uint8_t alg)
{
	switch (alg) {
	case PIV_ALG_3DES:
		return "3DES";
	case PIV_ALG_AES128:
		return "AES-128";
	case PIV_ALG_AES192:
		return "AES-192";
	case PIV_ALG_AES256:
		return "AES-256";
	default:
		return "?";
	}
}

/* REF=TYPE: a key slot of the card (not F9) and a key type or none */
static int
key_opt_parse(struct create_opts *o, const char *arg)
{
	const char	*eq = strchr(arg, '=');
	struct emu_key	*k;
	unsigned long	 ref;
	char		*end;
	uint8_t		 alg;

	if (eq == NULL || !isxdigit((unsigned char)arg[0]))
		return -1;
	ref = strtoul(arg, &end, 16);
	if (end != eq || ref > 0xff || ref == 0xf9 ||
	    (k = emu_card_key(&o->card, (uint8_t)ref)) == NULL ||
	    emu_keytype_parse(eq + 1, &alg) < 0)
		return -1;
	o->key_alg[k - o->card.keys] = alg;
	o->key_set[k - o->card.keys] = true;
	return 0;
}

static int
name_opt(const char **dst, const char *arg, size_t max)
{
	size_t n = strlen(arg);

	if (n == 0 || n > max)
		return -1;
	*dst = arg;
	return 0;
}

/* one option; returns 0, or an exit status */
static int
create_opt(struct create_opts *o, int c, const char *arg)
{
	long v = 0;

	if (c != OPT_PIN && c != OPT_PUK && c != OPT_MGMT_KEY &&
	    c != OPT_TRIES && c != OPT_SERIAL && c != OPT_VERSION &&
	    c != OPT_NO_YUBIKEY && c != OPT_FORCE && c != OPT_MGMT_ALG &&
	    c != OPT_EMPTY)
		o->identity_opt = true;
	switch (c) {
	case OPT_VARIANT:
		if (variant_parse(arg, o->variant) < 0)
			return usage_err("create", "--variant must be rsa, ec "
			    "or mixed", arg);
		return 0;
	case OPT_KEY:
		if (key_opt_parse(o, arg) < 0)
			return usage_err("create", "--key wants REF=TYPE, REF "
			    "one of 9a 9c 9d 9e 82..95, TYPE a key type or "
			    "none", arg);
		return 0;
	case OPT_NAME:
		if (name_opt(&o->id.name, arg, NAME_MAX_LEN) < 0)
			return usage_err("create", "--name must be 1 to 64 "
			    "characters", NULL);
		return 0;
	case OPT_ORG:
		if (name_opt(&o->id.org, arg, NAME_MAX_LEN) < 0)
			return usage_err("create", "--org must be 1 to 64 "
			    "characters", NULL);
		return 0;
	case OPT_COUNTRY:
		if (strlen(arg) != 2 || !isalpha((unsigned char)arg[0]) ||
		    !isalpha((unsigned char)arg[1]))
			return usage_err("create", "--country must be two "
			    "letters", arg);
		o->id.country = arg;
		return 0;
	case OPT_PIN:
		if (pin_parse(arg, o->card.pin) < 0)
			return usage_err("create", "--pin must be 6 to 8 "
			    "printable characters", NULL);
		return 0;
	case OPT_PUK:
		if (pin_parse(arg, o->card.puk) < 0)
			return usage_err("create", "--puk must be 6 to 8 "
			    "printable characters", NULL);
		return 0;
	case OPT_MGMT_KEY:
		if (ss_hex_decode(arg, o->mgmt_key, sizeof(o->mgmt_key),
		    &o->mgmt_key_len) < 0 || o->mgmt_key_len == 0)
			return usage_err("create", "--mgmt-key must be 16, 24 "
			    "or 32 bytes in hex", NULL);
		return 0;
	case OPT_MGMT_ALG:
		if (mgmt_alg_parse(arg, &o->mgmt_alg) < 0)
			return usage_err("create", "--mgmt-alg must be 3des, "
			    "aes128, aes192 or aes256", arg);
		return 0;
	case OPT_TRIES:
		if (num_parse(arg, 1, 15, &v) < 0)
			return usage_err("create", "--tries must be 1 to 15",
			    arg);
		o->card.pin_tries_max = o->card.pin_tries_left = (uint8_t)v;
		o->card.puk_tries_max = o->card.puk_tries_left = (uint8_t)v;
		return 0;
	case OPT_SERIAL:
		if (num_parse(arg, 0, 0xffffffffL, &v) < 0)
			return usage_err("create", "--serial must be 0 to "
			    "4294967295", arg);
		o->card.serial = (uint32_t)v;
		o->serial_set = true;
		return 0;
	case OPT_VERSION:
		if (version_parse(arg, o->card.version) < 0)
			return usage_err("create", "--version must be X.Y.Z, "
			    "each 0 to 255", arg);
		return 0;
	case OPT_NO_YUBIKEY:
		o->card.yubikey = false;
		return 0;
	case OPT_EMPTY:
		o->empty = true;
		return 0;
	case OPT_FORCE:
		o->force = true;
		return 0;
	case OPT_CA_CERT:
		o->ca_cert = arg;
		return 0;
	case OPT_CA_KEY:
		o->ca_key = arg;
		return 0;
	case OPT_CERT_DAYS:
		if (num_parse(arg, 1, 36500, &o->id.cert_days) < 0)
			return usage_err("create", "--cert-days must be 1 to "
			    "36500", arg);
		return 0;
	case OPT_CERT_START:
		if (num_parse(arg, -36500, 36500, &o->id.cert_start_days) < 0)
			return usage_err("create", "--cert-start-days must be "
			    "-36500 to 36500", arg);
		return 0;
	default:
		return usage_err("create", "unknown option", NULL);
	}
}

static size_t
mgmt_want_len(uint8_t alg)
{
	if (alg == PIV_ALG_AES128)
		return 16;
	return alg == PIV_ALG_AES256 ? 32 : 24;
}

/* the management key after all options are known */
static int
mgmt_finish(struct create_opts *o)
{
	struct emu_card	*card = &o->card;
	size_t		 want = mgmt_want_len(o->mgmt_alg);

	if (o->mgmt_key_len == 0 && want != 24)
		return usage_err("create", "this --mgmt-alg needs --mgmt-key",
		    NULL);
	if (o->mgmt_key_len != 0 && o->mgmt_key_len != want) {
		fprintf(stderr, "smartsign-emu create: --mgmt-key has %zu "
		    "bytes, %s needs %zu\n", o->mgmt_key_len,
		    mgmt_alg_name(o->mgmt_alg), want);
		return EXIT_USAGE;
	}
	if (o->mgmt_key_len != 0) {
		memcpy(card->mgmt_key, o->mgmt_key, want);
		card->mgmt_key_len = want;
	}
	card->mgmt_alg = o->mgmt_alg;
	card->mgmt_is_default = card->mgmt_key_len == 24 &&
	    memcmp(card->mgmt_key, default_mgmt_key, 24) == 0 &&
	    (card->mgmt_alg == PIV_ALG_3DES || card->mgmt_alg == PIV_ALG_AES192);
	return 0;
}

static bool
pin_equals(const uint8_t pin[EMU_PIN_LEN], const char *s)
{
	uint8_t ref[EMU_PIN_LEN];

	memset(ref, 0xff, sizeof(ref));
	memcpy(ref, s, strlen(s));
	return memcmp(pin, ref, sizeof(ref)) == 0;
}

static int
create_finish(struct create_opts *o)
{
	uint8_t	rnd[4];
	int	rc;

	if (o->file == NULL)
		return usage_err("create", "no card FILE given", NULL);
	if (o->empty && o->identity_opt)
		return usage_err("create", "--empty takes no identity options "
		    "(--variant --key --name --org --country --ca-* --cert-*)",
		    NULL);
	if ((o->ca_cert == NULL) != (o->ca_key == NULL))
		return usage_err("create", "give both --ca-cert and --ca-key",
		    NULL);
	if ((rc = mgmt_finish(o)) != 0)
		return rc;
	o->card.pin_is_default = pin_equals(o->card.pin, "123456");
	o->card.puk_is_default = pin_equals(o->card.puk, "12345678");
	if (!o->serial_set) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return 1;
		o->card.serial = 10000000u + ((uint32_t)rnd[0] << 24 |
		    (uint32_t)rnd[1] << 16 | (uint32_t)rnd[2] << 8 | rnd[3]) %
		    90000000u;
	}
	return 0;
}

static int
create_parse(struct create_opts *o, int argc, char **argv)
{
	int c, rc;

	optind = 0;	/* glibc: full re-initialisation */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", create_longopts, NULL)) !=
	    -1 || optind < argc) {
		if (c == -1) {		/* a non-option: the card file */
			if (o->file != NULL)
				return usage_err("create", "more than one "
				    "FILE", argv[optind]);
			o->file = argv[optind++];
			continue;
		}
		if (c == 'h') {
			fputs(create_help, stdout);
			return HELP_SHOWN;
		}
		if (c == '?' || c == ':')
			return usage_err("create", optopt >= OPT_VARIANT ?
			    "an option is missing its value" :
			    "unknown option", argv[optind - 1]);
		if ((rc = create_opt(o, c, optarg)) != 0)
			return rc;
	}
	return create_finish(o);
}

static void
create_init(struct create_opts *o)
{
	memset(o, 0, sizeof(*o));
	emu_card_init_empty(&o->card);
	emu_id_opts_default(&o->id);
	variant_parse("mixed", o->variant);
	o->mgmt_alg = PIV_ALG_3DES;
}

static void
algs_resolve(const struct create_opts *o, uint8_t algs[EMU_NKEYS])
{
	size_t i;

	for (i = 0; i < EMU_NKEYS; i++) {
		algs[i] = 0;
		switch (o->card.keys[i].ref) {
		case 0x9a:
			algs[i] = o->variant[0];
			break;
		case 0x9c:
			algs[i] = o->variant[1];
			break;
		case 0x9d:
			algs[i] = o->variant[2];
			break;
		case 0x9e:
			algs[i] = o->variant[3];
			break;
		default:
			break;
		}
		if (o->key_set[i])
			algs[i] = o->key_alg[i];
	}
}

static int
ca_setup(const struct create_opts *o, struct emu_ca *ca, bool *created,
    char *err)
{
	*created = false;
	if (o->ca_cert == NULL)
		return emu_ca_create(ca, err, ERRLEN);
	return emu_ca_open(ca, o->ca_cert, o->ca_key, created, err, ERRLEN);
}

static void
create_summary(const struct create_opts *o, bool ca_created)
{
	const struct emu_card	*card = &o->card;
	size_t			 i, nkeys = 0;

	printf("smartsign-emu: created %s: serial %u, version %u.%u.%u, keys",
	    o->file, card->serial, card->version[0], card->version[1],
	    card->version[2]);
	for (i = 0; i < EMU_NKEYS; i++)
		if (card->keys[i].pkey != NULL && nkeys++ < 8)
			printf(" %02X=%s", card->keys[i].ref,
			    emu_keytype_name(card->keys[i].alg));
	if (nkeys > 8)
		printf(" (+%zu more)", nkeys - 8);
	if (nkeys == 0)
		printf(" none");
	if (!o->empty)
		printf(", CA %s%s", o->ca_cert != NULL ? o->ca_cert :
		    "not saved", ca_created ? " (new)" : "");
	printf("\n");
}

static int
create_run(struct create_opts *o, struct emu_ca *ca, char *err)
{
	uint8_t		algs[EMU_NKEYS];
	struct stat	st;
	bool		ca_created = false;

	if (!o->force && lstat(o->file, &st) == 0) {
		snprintf(err, ERRLEN, "%s exists (use --force to replace it)",
		    o->file);
		return 1;
	}
	algs_resolve(o, algs);
	if (!o->empty && (ca_setup(o, ca, &ca_created, err) < 0 ||
	    emu_id_build(&o->card, ca, algs, &o->id, err, ERRLEN) < 0))
		return 1;
	if ((o->card.path = strdup(o->file)) == NULL) {
		snprintf(err, ERRLEN, "out of memory");
		return 1;
	}
	if (emu_cardfile_save(&o->card, err, ERRLEN) < 0)
		return 1;
	create_summary(o, ca_created);
	return 0;
}

int
emu_cmd_create(int argc, char **argv)
{
	struct create_opts	*o;
	struct emu_ca		 ca = { NULL, NULL };
	char			 err[ERRLEN] = "";
	int			 rc;

	if ((o = malloc(sizeof(*o))) == NULL) {
		fprintf(stderr, "smartsign-emu create: out of memory\n");
		return 1;
	}
	create_init(o);
	if ((rc = create_parse(o, argc, argv)) == HELP_SHOWN)
		rc = 0;
	else if (rc == 0 && (rc = create_run(o, &ca, err)) != 0)
		fprintf(stderr, "smartsign-emu create: %s\n", err);
	emu_ca_free(&ca);
	emu_card_free(&o->card);
	ss_free_secret(o, sizeof(*o));
	return rc;
}

/* --- show --- */

static const char *
obj_name(uint32_t tag, char *buf, size_t len)
{
	size_t i;

	switch (tag) {
	case 0x5fc102:
		return "CHUID";
	case 0x5fc107:
		return "CCC";
	case 0x7e:
		return "discovery";
	case 0x5fc10c:
		return "key history";
	case 0x5fc103:
		return "fingerprints";
	case 0x5fc106:
		return "security object";
	case 0x5fc108:
		return "facial image";
	case 0x5fc109:
		return "printed information";
	default:
		break;
	}
	for (i = 0; i < 256; i++)
		if (emu_cert_tag((uint8_t)i) == tag) {
			snprintf(buf, len, "certificate %02zX", i);
			return buf;
		}
	return "other";
}

static void
name_print(const char *label, const X509_NAME *n)
{
	BIO	*b = BIO_new(BIO_s_mem());
	char	*s = NULL;
	long	 len;

	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0 &&
	    (len = BIO_get_mem_data(b, &s)) >= 0)
		printf("      %-9s %.*s\n", label, (int)len, s);
	BIO_free(b);
}

static void
time_fmt(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(buf, len, "?");
}

static void
validity_print(X509 *x)
{
	const ASN1_TIME	*nb = X509_get0_notBefore(x), *na = X509_get0_notAfter(x);
	char		 from[32], to[32];
	int		 days = 0, secs = 0;

	time_fmt(nb, from, sizeof(from));
	time_fmt(na, to, sizeof(to));
	printf("      %-9s %s to %s", "valid", from, to);
	if (X509_cmp_current_time(nb) > 0)
		printf(" (NOT YET VALID)\n");
	else if (X509_cmp_current_time(na) < 0)
		printf(" (EXPIRED)\n");
	else if (ASN1_TIME_diff(&days, &secs, NULL, na) == 1)
		printf(" (expires in %d days)\n", days);
	else
		printf("\n");
}

static const char *
pin_policy_name(uint8_t p)
{
	static const char *const names[] = { "default", "never", "once",
	    "always" };

	return p < 4 ? names[p] : "?";
}

static const char *
touch_policy_name(uint8_t p)
{
	static const char *const names[] = { "default", "never", "always",
	    "cached" };

	return p < 4 ? names[p] : "?";
}

static void
key_print(const struct emu_card *card, const struct emu_key *k)
{
	X509 *x = emu_cert_get(card, k->ref);

	if (k->pkey == NULL && x == NULL)
		return;
	if (k->pkey != NULL)
		printf("  %02X  %-8s PIN %s, touch %s, %s\n", k->ref,
		    emu_keytype_name(k->alg), pin_policy_name(k->pin_policy),
		    touch_policy_name(k->touch_policy),
		    k->origin == EMU_ORIGIN_IMPORTED ? "imported" : "generated");
	else
		printf("  %02X  (no key)\n", k->ref);
	if (x == NULL) {
		if (emu_card_obj(card, emu_cert_tag(k->ref)) != NULL)
			printf("      certificate object is not readable\n");
		else
			printf("      no certificate\n");
		return;
	}
	name_print("subject", X509_get_subject_name(x));
	name_print("issuer", X509_get_issuer_name(x));
	validity_print(x);
	if (k->pkey != NULL && X509_check_private_key(x, k->pkey) != 1)
		printf("      WARNING: certificate does not match the key\n");
	X509_free(x);
}

static void
card_print(const struct emu_card *card)
{
	char	 name[32];
	size_t	 i;

	printf("card file   %s\n", card->path);
	printf("serial      %u\n", card->serial);
	printf("version     %u.%u.%u%s\n", card->version[0], card->version[1],
	    card->version[2], card->yubikey ? " (YubiKey commands on)" :
	    " (YubiKey commands off)");
	printf("PIN         %u of %u tries left%s\n", card->pin_tries_left,
	    card->pin_tries_max, card->pin_is_default ? ", DEFAULT PIN" : "");
	printf("PUK         %u of %u tries left%s\n", card->puk_tries_left,
	    card->puk_tries_max, card->puk_is_default ? ", DEFAULT PUK" : "");
	printf("mgmt key    %s, touch %s%s\n", mgmt_alg_name(card->mgmt_alg),
	    touch_policy_name(card->mgmt_touch_policy),
	    card->mgmt_is_default ? ", DEFAULT KEY" : "");
	printf("keys\n");
	for (i = 0; i < EMU_NKEYS; i++)
		key_print(card, &card->keys[i]);
	printf("objects    ");
	for (i = 0; i < card->nobjs; i++)
		printf(" %X %s (%zu)%s", card->objs[i].tag,
		    obj_name(card->objs[i].tag, name, sizeof(name)),
		    card->objs[i].len, i + 1 < card->nobjs ? "," : "");
	printf("%s\n", card->nobjs == 0 ? " none" : "");
}

int
emu_cmd_show(int argc, char **argv)
{
	struct emu_card	 card;
	char		 err[ERRLEN];

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		fputs(show_help, stdout);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-')
		return usage_err("show", "expected one card FILE", NULL);
	if (emu_cardfile_load(argv[1], &card, err, sizeof(err)) < 0) {
		fprintf(stderr, "smartsign-emu show: %s\n", err);
		return 1;
	}
	card_print(&card);
	emu_card_free(&card);
	return 0;
}
