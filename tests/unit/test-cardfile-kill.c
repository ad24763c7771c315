/*
 * tests/unit/test-cardfile-kill.c - kill -9 during saves: a child changes
 * the card and saves it in a loop (new 3000-byte object, new 9A key and
 * certificate, new PIN tries); the parent kills it after 0-20 ms and loads
 * the file, which must hold one complete save: it loads, its serial, object
 * and tries agree, and its 9A key (P-256 or RSA-2048) signs and verifies
 * against the certificate in 5FC105, issued by the test CA.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "token-emu/card.h"
#include "token-emu/cardfile.h"
#include "token-emu/identity.h"

#define ROUNDS		100
#define MAX_DELAY_US	20000
#define OBJ_TAG		0x5fff10
#define OBJ_LEN		3000
#define ERRLEN		512

#define RSA_POOL	4

static char		 dir[64];
static char		 path[128];
static struct emu_ca	 ca;
static EVP_PKEY		*rsa_pool[RSA_POOL];
static uint64_t		 rng_state;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* the object written with serial s: s big-endian, then a pattern of s */
static void
obj_fill(uint8_t *p, uint32_t s)
{
	size_t i;

	p[0] = (uint8_t)(s >> 24);
	p[1] = (uint8_t)(s >> 16);
	p[2] = (uint8_t)(s >> 8);
	p[3] = (uint8_t)s;
	for (i = 4; i < OBJ_LEN; i++)
		p[i] = (uint8_t)(s * 31u + i);
}

static uint8_t
tries_for(uint32_t s)
{
	return (uint8_t)(s % (EMU_DEFAULT_TRIES + 1));
}

/* 9A gets one of the pre-made RSA keys (as IMPORT KEY would) and a new
 * certificate: RSA-2048 generation takes longer than a round */
static int
rsa_install(struct emu_card *card, const struct emu_id_opts *o, char *err)
{
	struct emu_key	*k = emu_card_key(card, 0x9a);
	EVP_PKEY	*pkey = rsa_pool[(card->serial / 8) % RSA_POOL];
	X509		*x;
	int		 rc;

	if ((x = emu_cert_issue(&ca, pkey, 0x9a, o, err, ERRLEN)) == NULL)
		return -1;
	rc = emu_cert_put(card, 0x9a, x);
	X509_free(x);
	if (rc < 0 || k == NULL || EVP_PKEY_up_ref(pkey) != 1)
		return -1;
	EVP_PKEY_free(k->pkey);
	k->pkey = pkey;
	k->alg = PIV_ALG_RSA2048;
	k->origin = EMU_ORIGIN_IMPORTED;
	return 0;
}

/* one change of everything, as the engine would do it: a new object, a
 * new 9A key (generated P-256 or imported RSA-2048) with its certificate,
 * new PIN tries */
static int
card_change(struct emu_card *card, uint8_t *obj, char *err)
{
	struct emu_id_opts o;

	card->serial++;
	obj_fill(obj, card->serial);
	if (emu_card_obj_set(card, OBJ_TAG, obj, OBJ_LEN) < 0)
		return -1;
	emu_id_opts_default(&o);
	if (card->serial % 8 == 0) {
		if (rsa_install(card, &o, err) < 0)
			return -1;
	} else if (emu_id_slot(card, &ca, 0x9a, PIV_ALG_ECCP256, &o, err,
	    ERRLEN) < 0)
		return -1;
	card->pin_tries_left = tries_for(card->serial);
	return 0;
}

static void __attribute__((noreturn))
child_loop(struct emu_card *card)
{
	uint8_t	obj[OBJ_LEN];
	char	err[ERRLEN];

	for (;;) {
		if (card_change(card, obj, err) < 0 ||
		    emu_cardfile_save(card, err, sizeof(err)) < 0) {
			fprintf(stderr, "child: %s\n", err);
			_exit(3);
		}
	}
}

static int
sign_verify(EVP_PKEY *key, X509 *cert)
{
	EVP_PKEY_CTX	*sctx = NULL, *vctx = NULL;
	uint8_t		 md[32], sig[1024];
	size_t		 siglen = sizeof(sig);
	int		 ok = 0;

	memset(md, 0x5a, sizeof(md));
	if ((sctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL ||
	    EVP_PKEY_sign_init(sctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(sctx, EVP_sha256()) != 1 ||
	    EVP_PKEY_sign(sctx, sig, &siglen, md, sizeof(md)) != 1)
		goto out;
	if ((vctx = EVP_PKEY_CTX_new_from_pkey(NULL, X509_get0_pubkey(cert),
	    NULL)) == NULL || EVP_PKEY_verify_init(vctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(vctx, EVP_sha256()) != 1)
		goto out;
	ok = EVP_PKEY_verify(vctx, sig, siglen, md, sizeof(md)) == 1;
out:
	EVP_PKEY_CTX_free(sctx);
	EVP_PKEY_CTX_free(vctx);
	return ok;
}

/* the file holds one whole save */
static void
check_card(const struct emu_card *card, uint32_t first)
{
	const struct emu_object	*obj;
	const struct emu_key	*k = &card->keys[0];
	uint8_t			 want[OBJ_LEN];
	X509			*x;

	assert_int_equal(k->ref, 0x9a);
	assert_non_null(k->pkey);
	assert_non_null(x = emu_cert_get(card, 0x9a));
	assert_int_equal(X509_verify(x, X509_get0_pubkey(ca.cert)), 1);
	assert_true(sign_verify(k->pkey, x));
	X509_free(x);
	assert_true(card->serial >= first);
	if (card->serial == first)
		return;
	assert_non_null(obj = emu_card_obj(card, OBJ_TAG));
	obj_fill(want, card->serial);
	assert_int_equal(obj->len, OBJ_LEN);
	assert_memory_equal(obj->data, want, OBJ_LEN);
	assert_int_equal(card->pin_tries_left, tries_for(card->serial));
	assert_int_equal(k->alg, card->serial % 8 == 0 ? PIV_ALG_RSA2048 :
	    PIV_ALG_ECCP256);
}

static size_t
tmp_sweep(void)
{
	struct dirent	*d;
	DIR		*dp;
	char		 p[512];
	size_t		 n = 0;

	assert_non_null(dp = opendir(dir));
	while ((d = readdir(dp)) != NULL)
		if (strstr(d->d_name, ".tmp-") != NULL) {
			snprintf(p, sizeof(p), "%s/%s", dir, d->d_name);
			unlink(p);
			n++;
		}
	closedir(dp);
	return n;
}

static void
initial_card(void)
{
	struct emu_card		card;
	struct emu_id_opts	o;
	char			err[ERRLEN];
	size_t			i;

	emu_card_init_empty(&card);
	emu_id_opts_default(&o);
	card.serial = 1000;
	assert_int_equal(emu_ca_create(&ca, err, sizeof(err)), 0);
	for (i = 0; i < RSA_POOL; i++)
		assert_non_null(rsa_pool[i] = emu_keygen(PIV_ALG_RSA2048));
	assert_int_equal(emu_id_slot(&card, &ca, 0x9a, PIV_ALG_ECCP256, &o,
	    err, sizeof(err)), 0);
	assert_non_null(card.path = strdup(path));
	assert_int_equal(emu_cardfile_save(&card, err, sizeof(err)), 0);
	emu_card_free(&card);
}

static void
test_kill_during_save(void **state)
{
	struct emu_card	 card;
	char		 err[ERRLEN];
	uint32_t	 first, saves, total = 0, max = 0, none = 0;
	size_t		 leftover = 0, r;
	uint64_t	 seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 20;
	pid_t		 pid;
	int		 status;

	(void)state;
	print_message("kill test: seed %llu\n", (unsigned long long)seed);
	rng_state = seed | 1;
	initial_card();
	for (r = 0; r < ROUNDS; r++) {
		if (emu_cardfile_load(path, &card, err, sizeof(err)) < 0) {
			print_error("round %zu: %s\n", r, err);
			fail();
		}
		first = card.serial;
		fflush(NULL);
		assert_true((pid = fork()) >= 0);
		if (pid == 0)
			child_loop(&card);
		usleep(rng() % (MAX_DELAY_US + 1));
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		emu_card_free(&card);

		if (emu_cardfile_load(path, &card, err, sizeof(err)) < 0) {
			print_error("round %zu after kill: %s\n", r, err);
			fail();
		}
		check_card(&card, first);
		saves = card.serial - first;
		total += saves;
		max = saves > max ? saves : max;
		none += saves == 0;
		emu_card_free(&card);
		leftover += tmp_sweep();
	}
	print_message("kill test: %d rounds, %u saves completed (max %u in "
	    "a round, %u rounds with none), %zu temporary files left by "
	    "killed saves, every load ok, every 9A key signed and "
	    "verified\n", ROUNDS, total, max, none, leftover);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ss-cardkill-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/card.bin", dir);
	return 0;
}

static int
teardown(void **state)
{
	size_t i;

	(void)state;
	tmp_sweep();
	unlink(path);
	emu_ca_free(&ca);
	for (i = 0; i < RSA_POOL; i++)
		EVP_PKEY_free(rsa_pool[i]);
	return rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_during_save),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
