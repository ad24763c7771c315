/*
 * tests/unit/test-cardfile.c - the card file: round trip of a full
 * identity, every corruption class, symlinks, modes, and a random-input
 * loop through emu_cardfile_parse().
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "reader/buf.h"
#include "reader/tlv.h"
#include "reader/wipe.h"
#include "token-emu/card.h"
#include "token-emu/cardfile.h"
#include "token-emu/identity.h"

#define HDR_LEN		16
#define SUM_LEN		32
#define ERRLEN		512
#ifndef RANDOM_ROUNDS
#define RANDOM_ROUNDS	100000
#endif

static char	 dir[64];
static char	 path[128];

/* --- helpers --- */

static void
path_set(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", dir, name);
}

static void
file_put(const char *p, const uint8_t *buf, size_t len)
{
	FILE *f;

	unlink(p);
	assert_non_null(f = fopen(p, "wb"));
	if (len > 0)
		assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static uint8_t *
file_get(const char *p, size_t *len)
{
	uint8_t	*buf;
	FILE	*f;
	long	 n;

	assert_non_null(f = fopen(p, "rb"));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	assert_non_null(buf = malloc((size_t)n + 1));
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* the message must start with "<path>: " */
static void
assert_names_file(const char *err, const char *p)
{
	size_t n = strlen(p);

	if (strncmp(err, p, n) != 0 || err[n] != ':') {
		print_error("message does not name %s: %s\n", p, err);
		fail();
	}
}

static void
assert_contains(const char *s, const char *sub)
{
	if (strstr(s, sub) == NULL) {
		print_error("\"%s\" does not contain \"%s\"\n", s, sub);
		fail();
	}
}

static void
sum_fix(uint8_t *buf, size_t len)
{
	unsigned int n = 0;

	assert_true(len >= SUM_LEN);
	assert_int_equal(EVP_Digest(buf, len - SUM_LEN, buf + len - SUM_LEN,
	    &n, EVP_sha256(), NULL), 1);
}

/* header + body + checksum around a body built by a test */
static uint8_t *
wrap_body(const uint8_t *body, size_t blen, uint16_t version, size_t *len)
{
	struct ss_wr	 w;
	uint8_t		*buf;

	*len = HDR_LEN + blen + SUM_LEN;
	assert_non_null(buf = malloc(*len));
	ss_wr_init(&w, buf, *len);
	ss_wr_bytes(&w, "SSEMUCARD", 10);
	ss_wr_u16be(&w, version);
	ss_wr_u32be(&w, (uint32_t)blen);
	ss_wr_bytes(&w, body, blen);
	ss_wr_fill(&w, 0, SUM_LEN);
	assert_false(w.err);
	sum_fix(buf, *len);
	return buf;
}

static size_t
tmp_count(void)
{
	struct dirent	*d;
	DIR		*dp;
	size_t		 n = 0;

	assert_non_null(dp = opendir(dir));
	while ((d = readdir(dp)) != NULL)
		if (strstr(d->d_name, ".tmp-") != NULL)
			n++;
	closedir(dp);
	return n;
}

static void
card_small(struct emu_card *card)
{
	static const uint8_t obj[] = { 0x01, 0x02, 0x03 };
	char err[ERRLEN];

	emu_card_init_empty(card);
	assert_int_equal(emu_id_slot(card, NULL, 0x9e, PIV_ALG_ECCP256, NULL,
	    err, sizeof(err)), 0);
	assert_int_equal(emu_card_obj_set(card, 0x5fc109, obj, sizeof(obj)), 0);
}

static uint8_t *
card_bytes(const struct emu_card *card, size_t *len)
{
	uint8_t	*buf = NULL;
	char	 err[ERRLEN];

	if (emu_cardfile_serialize(card, &buf, len, err, sizeof(err)) < 0) {
		print_error("%s\n", err);
		fail();
	}
	return buf;
}

static uint8_t *
small_bytes(size_t *len)
{
	struct emu_card	 card;
	uint8_t		*buf;

	card_small(&card);
	buf = card_bytes(&card, len);
	emu_card_free(&card);
	return buf;
}

/* every field of struct emu_card but the runtime ones */
static void
assert_cards_equal(const struct emu_card *a, const struct emu_card *b)
{
	size_t i;

	assert_memory_equal(a->pin, b->pin, sizeof(a->pin));
	assert_memory_equal(a->puk, b->puk, sizeof(a->puk));
	assert_int_equal(a->pin_tries_max, b->pin_tries_max);
	assert_int_equal(a->pin_tries_left, b->pin_tries_left);
	assert_int_equal(a->puk_tries_max, b->puk_tries_max);
	assert_int_equal(a->puk_tries_left, b->puk_tries_left);
	assert_int_equal(a->pin_is_default, b->pin_is_default);
	assert_int_equal(a->puk_is_default, b->puk_is_default);
	assert_int_equal(a->mgmt_alg, b->mgmt_alg);
	assert_int_equal(a->mgmt_key_len, b->mgmt_key_len);
	assert_memory_equal(a->mgmt_key, b->mgmt_key, a->mgmt_key_len);
	assert_int_equal(a->mgmt_is_default, b->mgmt_is_default);
	assert_int_equal(a->mgmt_touch_policy, b->mgmt_touch_policy);
	assert_memory_equal(a->version, b->version, sizeof(a->version));
	assert_int_equal(a->serial, b->serial);
	assert_int_equal(a->yubikey, b->yubikey);
	assert_int_equal(a->atr_len, b->atr_len);
	assert_memory_equal(a->atr, b->atr, a->atr_len);
	for (i = 0; i < EMU_NKEYS; i++) {
		assert_int_equal(a->keys[i].ref, b->keys[i].ref);
		assert_int_equal(a->keys[i].alg, b->keys[i].alg);
		assert_int_equal(a->keys[i].pin_policy, b->keys[i].pin_policy);
		assert_int_equal(a->keys[i].touch_policy,
		    b->keys[i].touch_policy);
		assert_int_equal(a->keys[i].origin, b->keys[i].origin);
		assert_int_equal(a->keys[i].pkey == NULL,
		    b->keys[i].pkey == NULL);
		if (a->keys[i].pkey != NULL)
			assert_int_equal(EVP_PKEY_eq(a->keys[i].pkey,
			    b->keys[i].pkey), 1);
	}
	assert_int_equal(a->nobjs, b->nobjs);
	for (i = 0; i < a->nobjs; i++) {
		const struct emu_object *o = emu_card_obj(b, a->objs[i].tag);

		assert_non_null(o);
		assert_int_equal(o->len, a->objs[i].len);
		assert_memory_equal(o->data, a->objs[i].data, o->len);
	}
}

/* every field away from its factory value, every key type */
static void
card_full(struct emu_card *card)
{
	static const uint8_t	 algs[][2] = {
		{ 0x9a, PIV_ALG_RSA2048 }, { 0x9c, PIV_ALG_ECCP256 },
		{ 0x9d, PIV_ALG_ECCP384 }, { 0x9e, PIV_ALG_ED25519 },
		{ 0x82, PIV_ALG_RSA1024 }, { 0x83, PIV_ALG_X25519 },
		{ 0x84, PIV_ALG_ECCP256 },
	};
	static const uint8_t	 atr[] = { 0x3b, 0x8c, 0x80, 0x01, 0x50, 0x53,
	    0x53, 0x49, 0x47, 0x4e, 0x20, 0x54, 0x45, 0x53, 0x54, 0x21, 0x42 };
	uint8_t			 kalgs[EMU_NKEYS] = { 0 };
	struct emu_id_opts	 o;
	struct emu_ca		 ca;
	struct emu_key		*k;
	char			 err[ERRLEN];
	size_t			 i, j;

	emu_card_init_empty(card);
	memcpy(card->pin, "87654321", 8);
	memcpy(card->puk, "abc-XYZ\xff", 8);
	card->pin_tries_max = 5;
	card->pin_tries_left = 2;
	card->puk_tries_max = 4;
	card->puk_tries_left = 0;
	card->pin_is_default = false;
	card->puk_is_default = false;
	card->mgmt_alg = PIV_ALG_AES256;
	for (i = 0; i < 32; i++)
		card->mgmt_key[i] = (uint8_t)(0xa0 + i);
	card->mgmt_key_len = 32;
	card->mgmt_is_default = false;
	card->mgmt_touch_policy = EMU_TOUCH_POLICY_CACHED;
	card->version[0] = 5;
	card->version[1] = 7;
	card->version[2] = 1;
	card->serial = 0xdeadbeef;
	card->yubikey = false;
	memcpy(card->atr, atr, sizeof(atr));
	card->atr_len = sizeof(atr);
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		for (j = 0; j < EMU_NKEYS; j++)
			if (card->keys[j].ref == algs[i][0])
				kalgs[j] = algs[i][1];
	emu_id_opts_default(&o);
	o.name = "Zoë Broker";
	assert_int_equal(emu_ca_create(&ca, err, sizeof(err)), 0);
	assert_int_equal(emu_id_build(card, &ca, kalgs, &o, err, sizeof(err)),
	    0);
	emu_ca_free(&ca);
	assert_non_null(k = emu_card_key(card, 0x82));
	k->pin_policy = EMU_PIN_POLICY_ALWAYS;
	k->touch_policy = EMU_TOUCH_POLICY_ALWAYS;
	k->origin = EMU_ORIGIN_IMPORTED;
	assert_non_null(emu_card_obj(card, 0x5fc10c));	/* key history */
}

/* --- tests --- */

static void
test_fascn(void **state)
{
	static const uint8_t pacs[EMU_FASCN_LEN] = {
		0xd0, 0x43, 0x94, 0x58, 0x21, 0x0c, 0x2c, 0x19, 0xa0, 0x84,
		0x6d, 0x83, 0x68, 0x5a, 0x10, 0x82, 0x10, 0x8c, 0xe7, 0x39,
		0x84, 0x10, 0x8c, 0xa3, 0xfc,
	};
	static const uint8_t nonfed[EMU_FASCN_LEN] = {
		0xd4, 0xe7, 0x39, 0xda, 0x73, 0x9c, 0xed, 0x39, 0xce, 0x73,
		0x9d, 0x83, 0x68, 0x58, 0x21, 0x08, 0x42, 0x10, 0x84, 0x21,
		0xc8, 0x42, 0x10, 0xc3, 0xeb,
	};
	uint8_t out[EMU_FASCN_LEN];

	(void)state;
	assert_int_equal(emu_fascn_encode("00320001092446011112223333112232",
	    out), 0);
	assert_memory_equal(out, pacs, sizeof(out));
	assert_int_equal(emu_fascn_encode("99999999999999010000000000300001",
	    out), 0);
	assert_memory_equal(out, nonfed, sizeof(out));
	assert_int_equal(emu_fascn_encode("123", out), -1);
	assert_int_equal(emu_fascn_encode("9999999999999901000000000030000x",
	    out), -1);
}

static void
test_roundtrip_full(void **state)
{
	struct emu_card	 a, b;
	struct stat	 st;
	uint8_t		*file, *again;
	size_t		 flen, alen;
	char		 err[ERRLEN];

	(void)state;
	path_set("full.card");
	card_full(&a);
	assert_non_null(a.path = strdup(path));
	a.dirty = true;
	assert_int_equal(emu_cardfile_save(&a, err, sizeof(err)), 0);
	assert_false(a.dirty);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(tmp_count(), 0);
	if (emu_cardfile_load(path, &b, err, sizeof(err)) < 0) {
		print_error("%s\n", err);
		fail();
	}
	assert_string_equal(b.path, path);
	assert_false(b.dirty);
	assert_cards_equal(&a, &b);
	/* serializing the loaded card gives the same bytes */
	file = file_get(path, &flen);
	again = card_bytes(&b, &alen);
	assert_int_equal(flen, alen);
	assert_memory_equal(file, again, flen);
	print_message("full card: %zu bytes, %zu objects\n", flen, a.nobjs);
	ss_free_secret(file, flen);
	ss_free_secret(again, alen);
	emu_card_free(&a);
	emu_card_free(&b);
}

static void
test_roundtrip_factory(void **state)
{
	struct emu_card a, b;
	char		err[ERRLEN];

	(void)state;
	path_set("factory.card");
	emu_card_init_empty(&a);
	assert_non_null(a.path = strdup(path));
	assert_int_equal(emu_cardfile_save(&a, err, sizeof(err)), 0);
	assert_int_equal(emu_cardfile_load(path, &b, err, sizeof(err)), 0);
	assert_cards_equal(&a, &b);
	emu_card_free(&a);
	emu_card_free(&b);
}

static void
test_truncate_every_length(void **state)
{
	struct emu_card	 c;
	uint8_t		*buf;
	size_t		 len, n;
	char		 err[ERRLEN];

	(void)state;
	path_set("trunc.card");
	buf = small_bytes(&len);
	for (n = 0; n < len; n++) {
		file_put(path, buf, n);
		err[0] = '\0';
		assert_int_equal(emu_cardfile_load(path, &c, err, sizeof(err)),
		    -1);
		assert_names_file(err, path);
		assert_contains(err, "truncated card file");
		emu_card_free(&c);	/* safe after a failed load */
	}
	file_put(path, buf, len);
	assert_int_equal(emu_cardfile_load(path, &c, err, sizeof(err)), 0);
	emu_card_free(&c);
	print_message("truncated a %zu-byte card at all %zu lengths: all "
	    "refused\n", len, len);
	ss_free_secret(buf, len);
}

static void
test_flip_every_byte(void **state)
{
	static const uint8_t	 masks[] = { 0x01, 0x80, 0xff };
	struct emu_card		 c;
	uint8_t			*buf;
	size_t			 len, i, m, nmagic = 0, nver = 0, nlen = 0,
				 nsum = 0;
	char			 err[ERRLEN];

	(void)state;
	path_set("flip.card");
	buf = small_bytes(&len);
	for (i = 0; i < len; i++)
		for (m = 0; m < sizeof(masks); m++) {
			buf[i] ^= masks[m];
			file_put(path, buf, len);
			assert_int_equal(emu_cardfile_load(path, &c, err,
			    sizeof(err)), -1);
			assert_names_file(err, path);
			nmagic += strstr(err, "not a smartsign") != NULL;
			nver += strstr(err, "version") != NULL;
			nlen += strstr(err, "truncated") != NULL ||
			    strstr(err, "after the end") != NULL ||
			    strstr(err, "over the limit") != NULL;
			nsum += strstr(err, "checksum mismatch") != NULL;
			buf[i] ^= masks[m];
		}
	assert_int_equal(nmagic + nver + nlen + nsum, len * sizeof(masks));
	print_message("%zu flips: magic %zu, version %zu, length %zu, "
	    "checksum %zu\n", len * sizeof(masks), nmagic, nver, nlen, nsum);
	ss_free_secret(buf, len);
}

/* what was accepted saves and loads back to the same card */
static size_t
assert_stable(const struct emu_card *c, const uint8_t *buf, size_t len)
{
	struct emu_card	 d;
	uint8_t		*again;
	size_t		 alen, same;
	char		 err[ERRLEN];

	again = card_bytes(c, &alen);
	assert_int_equal(emu_cardfile_parse(again, alen, &d, err,
	    sizeof(err)), 0);
	assert_cards_equal(c, &d);
	same = alen == len && memcmp(again, buf, len) == 0;
	emu_card_free(&d);
	ss_free_secret(again, alen);
	return same;
}

/* a flipped body with a recomputed checksum: parsed, never a crash; what
 * is accepted is a valid card */
static void
test_flip_body_valid_sum(void **state)
{
	static const uint8_t	 masks[] = { 0x01, 0x02, 0x10, 0x80, 0xff };
	struct emu_card		 c;
	uint8_t			*buf;
	size_t			 len, i, m, ok = 0, bad = 0, same = 0;
	char			 err[ERRLEN];

	(void)state;
	buf = small_bytes(&len);
	for (i = HDR_LEN; i < len - SUM_LEN; i++)
		for (m = 0; m < sizeof(masks); m++) {
			buf[i] ^= masks[m];
			sum_fix(buf, len);
			if (emu_cardfile_parse(buf, len, &c, err,
			    sizeof(err)) == 0) {
				same += assert_stable(&c, buf, len);
				ok++;
			} else
				bad++;
			emu_card_free(&c);
			buf[i] ^= masks[m];
		}
	print_message("%zu body flips with a valid checksum: %zu refused, %zu "
	    "accepted as still-valid values (%zu re-save byte-identical)\n",
	    bad + ok, bad, ok, same);
	ss_free_secret(buf, len);
}

static void
test_wrong_magic(void **state)
{
	struct emu_card	 c;
	uint8_t		*buf;
	size_t		 len;
	char		 err[ERRLEN];

	(void)state;
	path_set("magic.card");
	buf = small_bytes(&len);
	buf[0] = 'X';
	file_put(path, buf, len);
	assert_int_equal(emu_cardfile_load(path, &c, err, sizeof(err)), -1);
	assert_names_file(err, path);
	assert_contains(err, "not a smartsign card file");
	file_put(path, (const uint8_t *)"hello, world\n", 13);
	assert_int_equal(emu_cardfile_load(path, &c, err, sizeof(err)), -1);
	assert_contains(err, "not a smartsign card file");
	ss_free_secret(buf, len);
}

static void
test_future_version(void **state)
{
	struct emu_card	 c;
	uint8_t		*buf;
	size_t		 len;
	char		 err[ERRLEN];

	(void)state;
	path_set("future.card");
	buf = small_bytes(&len);
	buf[11] = 2;
	sum_fix(buf, len);
	file_put(path, buf, len);
	assert_int_equal(emu_cardfile_load(path, &c, err, sizeof(err)), -1);
	assert_names_file(err, path);
	assert_contains(err, "unsupported card file version 2");
	ss_free_secret(buf, len);
}

static void
test_bad_checksum(void **state)
{
	struct emu_card	 c;
	uint8_t		*buf;
	size_t		 len;
	char		 err[ERRLEN];

	(void)state;
	path_set("sum.card");
	buf = small_bytes(&len);
	buf[len - 1] ^= 0x40;
	file_put(path, buf, len);
	assert_int_equal(emu_cardfile_load(path, &c, err, sizeof(err)), -1);
	assert_names_file(err, path);
	assert_contains(err, "corrupt card file (checksum mismatch)");
	ss_free_secret(buf, len);
}

static void
test_trailing_bytes(void **state)
{
	struct emu_card	 c;
	uint8_t		*buf;
	size_t		 len;
	char		 err[ERRLEN];

	(void)state;
	path_set("trail.card");
	buf = small_bytes(&len);
	buf = realloc(buf, len + 1);
	assert_non_null(buf);
	buf[len] = 0;
	file_put(path, buf, len + 1);
	assert_int_equal(emu_cardfile_load(path, &c, err, sizeof(err)), -1);
	assert_names_file(err, path);
	assert_contains(err, "after the end");
	ss_free_secret(buf, len + 1);
}

static void
test_missing_and_not_regular(void **state)
{
	struct emu_card	c;
	char		err[ERRLEN];

	(void)state;
	path_set("does-not-exist.card");
	assert_int_equal(emu_cardfile_load(path, &c, err, sizeof(err)), -1);
	assert_names_file(err, path);
	assert_contains(err, "No such file");
	emu_card_free(&c);
	assert_int_equal(emu_cardfile_load(dir, &c, err, sizeof(err)), -1);
	assert_names_file(err, dir);
	assert_contains(err, "not a regular file");
	emu_card_free(&c);
}

static void
test_symlink_refused(void **state)
{
	struct emu_card	 c;
	struct stat	 st;
	uint8_t		*before, *after;
	size_t		 blen, alen;
	char		 target[160], err[ERRLEN];

	(void)state;
	snprintf(target, sizeof(target), "%s/target.card", dir);
	path_set("link.card");
	card_small(&c);
	assert_non_null(c.path = strdup(target));
	assert_int_equal(emu_cardfile_save(&c, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(symlink(target, path), 0);
	before = file_get(target, &blen);

	emu_card_free(&c);
	assert_int_equal(emu_cardfile_load(path, &c, err, sizeof(err)), -1);
	assert_names_file(err, path);
	assert_contains(err, "symbolic link");

	card_small(&c);
	assert_non_null(c.path = strdup(path));
	c.serial = 42;
	assert_int_equal(emu_cardfile_save(&c, err, sizeof(err)), -1);
	assert_names_file(err, path);
	assert_contains(err, "symbolic link");
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	after = file_get(target, &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(before, after, alen);
	assert_int_equal(tmp_count(), 0);
	emu_card_free(&c);
	ss_free_secret(before, blen);
	ss_free_secret(after, alen);
}

static void
test_mode_0600(void **state)
{
	struct emu_card	c;
	struct stat	st;
	mode_t		old;
	char		err[ERRLEN];

	(void)state;
	path_set("mode.card");
	file_put(path, (const uint8_t *)"x", 1);
	assert_int_equal(chmod(path, 0666), 0);
	old = umask(0);
	emu_card_init_empty(&c);
	assert_non_null(c.path = strdup(path));
	assert_int_equal(emu_cardfile_save(&c, err, sizeof(err)), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	emu_card_free(&c);
}

static void
touch_file(const char *p, time_t age)
{
	struct timespec ts[2];

	file_put(p, (const uint8_t *)"secret", 6);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - age;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
}

/* load removes temporary files of long-dead saves of this card only */
static void
test_stale_tmp_sweep(void **state)
{
	static const char *const names[] = {
		"sweep.card.tmp-0123456789ab",	/* stale: removed */
		"sweep.card.tmp-aaaaaaaaaaaa",	/* young: kept */
		"sweep.card.tmp-zz",		/* not our name: kept */
		"sweep.card2.tmp-0123456789ab",	/* another card: kept */
	};
	static const time_t ages[] = { 7200, 5, 7200, 7200 };
	static const int kept[] = { 0, 1, 1, 1 };
	struct emu_card	c;
	struct stat	st;
	char		p[4][192], err[ERRLEN];
	size_t		i;

	(void)state;
	path_set("sweep.card");
	emu_card_init_empty(&c);
	assert_non_null(c.path = strdup(path));
	assert_int_equal(emu_cardfile_save(&c, err, sizeof(err)), 0);
	emu_card_free(&c);
	for (i = 0; i < 4; i++) {
		snprintf(p[i], sizeof(p[i]), "%s/%s", dir, names[i]);
		touch_file(p[i], ages[i]);
	}
	assert_int_equal(emu_cardfile_load(path, &c, err, sizeof(err)), 0);
	emu_card_free(&c);
	for (i = 0; i < 4; i++) {
		assert_int_equal(lstat(p[i], &st) == 0, kept[i]);
		unlink(p[i]);
	}
}

static void
test_save_refuses_invalid(void **state)
{
	struct emu_card	c;
	struct stat	st;
	char		err[ERRLEN];

	(void)state;
	path_set("invalid.card");
	unlink(path);
	emu_card_init_empty(&c);
	assert_non_null(c.path = strdup(path));
	c.pin_tries_left = 9;
	assert_int_equal(emu_cardfile_save(&c, err, sizeof(err)), -1);
	assert_names_file(err, path);
	assert_contains(err, "tries left");
	c.pin_tries_left = 3;
	memcpy(c.pin, "12\xff\xff\xff\xff\xff\xff", 8);
	assert_int_equal(emu_cardfile_save(&c, err, sizeof(err)), -1);
	assert_contains(err, "PIN");
	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(tmp_count(), 0);
	emu_card_free(&c);
	assert_int_equal(emu_cardfile_save(&c, err, sizeof(err)), -1);
	assert_contains(err, "no file path");
}

/* --- hand-built bodies: each semantic check --- */

struct body {
	uint8_t		buf[8192];
	struct ss_wr	w;
};

enum { SKIP_NONE = 0 };

static void
body_scalars(struct body *b, uint32_t skip)
{
	static const uint8_t atr[] = { 0x3b, 0x00 };
	static const uint8_t key24[24] = { 1 };

	ss_wr_init(&b->w, b->buf, sizeof(b->buf));
	if (skip != 0x01)
		ss_tlv_put(&b->w, 0x01, "123456\xff\xff", 8);
	if (skip != 0x02)
		ss_tlv_put(&b->w, 0x02, "12345678", 8);
	if (skip != 0x03)
		ss_tlv_put(&b->w, 0x03, "\x03\x03\x03\x03", 4);
	if (skip != 0x04)
		ss_tlv_put(&b->w, 0x04, "\x07", 1);
	if (skip != 0x05) {
		ss_tlv_put_hdr(&b->w, 0x05, 26);
		ss_wr_bytes(&b->w, "\x03\x01", 2);
		ss_wr_bytes(&b->w, key24, 24);
	}
	if (skip != 0x06)
		ss_tlv_put(&b->w, 0x06, "\x05\x04\x03", 3);
	if (skip != 0x07)
		ss_tlv_put(&b->w, 0x07, "\x00\x00\x00\x01", 4);
	if (skip != 0x08)
		ss_tlv_put(&b->w, 0x08, "\x01", 1);
	if (skip != 0x09)
		ss_tlv_put(&b->w, 0x09, atr, sizeof(atr));
}

static void
body_key(struct body *b, uint8_t ref, uint8_t alg, uint8_t pinp,
    EVP_PKEY *pkey, size_t extra)
{
	PKCS8_PRIV_KEY_INFO	*p8;
	unsigned char		*der = NULL;
	int			 n;

	assert_non_null(p8 = EVP_PKEY2PKCS8(pkey));
	n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	PKCS8_PRIV_KEY_INFO_free(p8);
	assert_true(n > 0);
	ss_tlv_put_hdr(&b->w, 0x0a, 5 + (size_t)n + extra);
	ss_wr_u8(&b->w, ref);
	ss_wr_u8(&b->w, alg);
	ss_wr_u8(&b->w, pinp);
	ss_wr_u8(&b->w, 1);
	ss_wr_u8(&b->w, 1);
	ss_wr_bytes(&b->w, der, (size_t)n);
	ss_wr_fill(&b->w, 0, extra);
	OPENSSL_clear_free(der, (size_t)n);
}

static void
body_obj(struct body *b, uint32_t tag, size_t len)
{
	ss_tlv_put_hdr(&b->w, 0x0b, 4 + len);
	ss_wr_u32be(&b->w, tag);
	ss_wr_fill(&b->w, 0x5a, len);
}

static void
expect_body(struct body *b, int want, const char *msg)
{
	struct emu_card	 c;
	uint8_t		*buf;
	size_t		 len;
	char		 err[ERRLEN] = "";

	assert_false(b->w.err);
	buf = wrap_body(b->buf, b->w.len, 1, &len);
	if (emu_cardfile_parse(buf, len, &c, err, sizeof(err)) != want) {
		print_error("want %d (%s), got: %s\n", want, msg, err);
		fail();
	}
	if (want < 0)
		assert_contains(err, msg);
	emu_card_free(&c);
	free(buf);
}

static EVP_PKEY *
pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	EVP_PKEY_CTX	*ctx;
	OSSL_PARAM	*params;
	EVP_PKEY	*pkey = NULL;

	assert_non_null(params = OSSL_PARAM_BLD_to_param(bld));
	assert_non_null(ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL));
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR,
	    params), 1);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/* rsa's key with its CRT exponents dp and dq swapped */
static EVP_PKEY *
rsa_bad_crt(EVP_PKEY *rsa)
{
	static const char *const names[] = {
		OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E,
		OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_FACTOR1,
		OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_EXPONENT2,
		OSSL_PKEY_PARAM_RSA_EXPONENT1,
		OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	};
	static const char *const as[] = {
		OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E,
		OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_FACTOR1,
		OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_EXPONENT1,
		OSSL_PKEY_PARAM_RSA_EXPONENT2,
		OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	};
	OSSL_PARAM_BLD	*bld;
	BIGNUM		*v[8] = { NULL };
	EVP_PKEY	*bad;
	size_t		 i;

	assert_non_null(bld = OSSL_PARAM_BLD_new());
	for (i = 0; i < 8; i++) {
		assert_int_equal(EVP_PKEY_get_bn_param(rsa, names[i], &v[i]),
		    1);
		assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, as[i], v[i]), 1);
	}
	bad = pkey_fromdata("RSA", bld);
	for (i = 0; i < 8; i++)
		BN_clear_free(v[i]);
	return bad;
}

/* the private scalar of a with the public point of b */
static EVP_PKEY *
ec_mixed(EVP_PKEY *a, EVP_PKEY *b)
{
	OSSL_PARAM_BLD	*bld;
	BIGNUM		*priv = NULL;
	EVP_PKEY	*bad;
	uint8_t		 pub[133];
	size_t		 publen = 0;

	assert_int_equal(EVP_PKEY_get_bn_param(a, OSSL_PKEY_PARAM_PRIV_KEY,
	    &priv), 1);
	assert_int_equal(EVP_PKEY_get_octet_string_param(b,
	    OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &publen), 1);
	assert_non_null(bld = OSSL_PARAM_BLD_new());
	assert_int_equal(OSSL_PARAM_BLD_push_utf8_string(bld,
	    OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY,
	    priv), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_octet_string(bld,
	    OSSL_PKEY_PARAM_PUB_KEY, pub, publen), 1);
	bad = pkey_fromdata("EC", bld);
	BN_clear_free(priv);
	return bad;
}

static void
test_inconsistent_keys(void **state)
{
	struct body	*b;
	EVP_PKEY	*rsa, *ec1, *ec2, *bad;

	(void)state;
	assert_non_null(b = malloc(sizeof(*b)));
	assert_non_null(rsa = emu_keygen(PIV_ALG_RSA1024));
	assert_non_null(ec1 = emu_keygen(PIV_ALG_ECCP256));
	assert_non_null(ec2 = emu_keygen(PIV_ALG_ECCP256));
	assert_true(emu_key_consistent(rsa));
	assert_true(emu_key_consistent(ec1));

	bad = rsa_bad_crt(rsa);
	assert_false(emu_key_consistent(bad));
	body_scalars(b, SKIP_NONE);
	body_key(b, 0x9d, PIV_ALG_RSA1024, 2, bad, 0);
	expect_body(b, -1, "key 9D: public and private parts do not match");
	EVP_PKEY_free(bad);

	bad = ec_mixed(ec1, ec2);
	assert_false(emu_key_consistent(bad));
	body_scalars(b, SKIP_NONE);
	body_key(b, 0x9a, PIV_ALG_ECCP256, 2, bad, 0);
	expect_body(b, -1, "key 9A: public and private parts do not match");
	EVP_PKEY_free(bad);

	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec1);
	EVP_PKEY_free(ec2);
	free(b);
}

static void
test_semantic_checks(void **state)
{
	static const uint8_t	 recs[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct body		*b;
	EVP_PKEY		*ec, *rsa;
	size_t			 i;

	(void)state;
	assert_non_null(b = malloc(sizeof(*b)));
	assert_non_null(ec = emu_keygen(PIV_ALG_ECCP256));
	assert_non_null(rsa = emu_keygen(PIV_ALG_RSA1024));

	body_scalars(b, SKIP_NONE);
	expect_body(b, 0, "");
	for (i = 0; i < sizeof(recs); i++) {
		body_scalars(b, recs[i]);
		expect_body(b, -1, "record");
	}
	body_scalars(b, SKIP_NONE);
	ss_tlv_put(&b->w, 0x01, "123456\xff\xff", 8);
	expect_body(b, -1, "PIN record appears twice");
	body_scalars(b, SKIP_NONE);
	ss_tlv_put(&b->w, 0x0c, "", 0);
	expect_body(b, -1, "unknown record C");
	body_scalars(b, SKIP_NONE);
	ss_wr_u8(&b->w, 0x01);	/* a record cut short */
	expect_body(b, -1, "bad record");
	body_scalars(b, 0x01);
	ss_tlv_put(&b->w, 0x01, "12345\xff\xff\xff", 8);
	expect_body(b, -1, "PIN is not 6 to 8");
	body_scalars(b, 0x02);
	ss_tlv_put(&b->w, 0x02, "123456\xff\x31", 8);
	expect_body(b, -1, "PUK is not 6 to 8");
	body_scalars(b, 0x01);
	ss_tlv_put(&b->w, 0x01, "1234567", 7);
	expect_body(b, -1, "PIN record of 7 bytes");
	body_scalars(b, 0x03);
	ss_tlv_put(&b->w, 0x03, "\x03\x04\x03\x03", 4);
	expect_body(b, -1, "PIN tries left (4) above the limit (3)");
	body_scalars(b, 0x03);
	ss_tlv_put(&b->w, 0x03, "\x03\x03\x00\x00", 4);
	expect_body(b, -1, "PUK retry limit is 0");
	body_scalars(b, 0x04);
	ss_tlv_put(&b->w, 0x04, "\x08", 1);
	expect_body(b, -1, "unknown flags");
	body_scalars(b, 0x05);
	ss_tlv_put(&b->w, 0x05, "\x08\x01" "0123456789abcdef0123", 22);
	expect_body(b, -1, "management key of 20 bytes");
	body_scalars(b, 0x05);
	ss_tlv_put(&b->w, 0x05, "\x99\x01" "0123456789abcdef", 18);
	expect_body(b, -1, "unknown management key algorithm 99");
	body_scalars(b, 0x08);
	ss_tlv_put(&b->w, 0x08, "\x02", 1);
	expect_body(b, -1, "YubiKey flag");
	body_scalars(b, 0x09);
	ss_tlv_put(&b->w, 0x09, "\x3b", 1);
	expect_body(b, -1, "bad ATR");
	body_scalars(b, 0x09);
	ss_tlv_put(&b->w, 0x09, "\x12\x34", 2);
	expect_body(b, -1, "bad ATR");

	body_scalars(b, SKIP_NONE);
	body_key(b, 0x9a, PIV_ALG_ECCP256, 2, ec, 0);
	expect_body(b, 0, "");
	body_scalars(b, SKIP_NONE);
	body_key(b, 0x9a, PIV_ALG_RSA2048, 2, ec, 0);
	expect_body(b, -1, "key 9A: not a PKCS#8 rsa2048 private key");
	body_scalars(b, SKIP_NONE);
	body_key(b, 0x9a, PIV_ALG_RSA2048, 2, rsa, 0);
	expect_body(b, -1, "key 9A: the key is not rsa2048");
	body_scalars(b, SKIP_NONE);
	body_key(b, 0x9a, PIV_ALG_ECCP384, 2, ec, 0);
	expect_body(b, -1, "key 9A: the key is not p384");
	body_scalars(b, SKIP_NONE);
	body_key(b, 0x9a, 0x42, 2, ec, 0);
	expect_body(b, -1, "unknown algorithm 42");
	body_scalars(b, SKIP_NONE);
	body_key(b, 0x9a, PIV_ALG_ECCP256, 2, ec, 0);
	body_key(b, 0x9a, PIV_ALG_RSA1024, 2, rsa, 0);
	expect_body(b, -1, "key 9A appears twice");
	body_scalars(b, SKIP_NONE);
	body_key(b, 0x9b, PIV_ALG_ECCP256, 2, ec, 0);
	expect_body(b, -1, "unknown key reference 9B");
	body_scalars(b, SKIP_NONE);
	body_key(b, 0x9a, PIV_ALG_ECCP256, 0, ec, 0);
	expect_body(b, -1, "bad PIN policy 0");
	body_scalars(b, SKIP_NONE);
	body_key(b, 0x9a, PIV_ALG_ECCP256, 2, ec, 1);
	expect_body(b, -1, "not a PKCS#8 p256 private key");
	body_scalars(b, SKIP_NONE);
	ss_tlv_put(&b->w, 0x0a, "\x9a\x11\x02\x01\x01\x30\x03\x02\x01\x00",
	    10);
	expect_body(b, -1, "not a PKCS#8 p256 private key");
	body_scalars(b, SKIP_NONE);
	ss_tlv_put(&b->w, 0x0a, "\x9a\x11\x02\x01", 4);
	expect_body(b, -1, "short key record");

	body_scalars(b, SKIP_NONE);
	body_obj(b, 0x5fc102, 10);
	body_obj(b, 0x7e, 10);
	expect_body(b, 0, "");
	body_scalars(b, SKIP_NONE);
	body_obj(b, 0x5fc102, 10);
	body_obj(b, 0x5fc102, 12);
	expect_body(b, -1, "object 5FC102 appears twice");
	body_scalars(b, SKIP_NONE);
	body_obj(b, 0x5f, 10);
	expect_body(b, -1, "not a BER tag");
	body_scalars(b, SKIP_NONE);
	body_obj(b, 0x5fc182, 10);
	expect_body(b, -1, "not a BER tag");
	body_scalars(b, SKIP_NONE);
	body_obj(b, 0x5fc102, 0);
	expect_body(b, -1, "0 bytes");
	body_scalars(b, SKIP_NONE);
	body_obj(b, 0x5fc102, EMU_OBJ_MAX + 1);
	expect_body(b, -1, "3073 bytes");
	body_scalars(b, SKIP_NONE);
	for (i = 0; i <= EMU_NOBJS_MAX; i++)
		body_obj(b, 0x5fff00 + (uint32_t)(i & 0x0f) +
		    (uint32_t)(i >> 4) * 0x10, 1);
	expect_body(b, -1, "more than 64 objects");
	body_scalars(b, SKIP_NONE);
	ss_tlv_put(&b->w, 0x0b, "\x00\x5f", 2);
	expect_body(b, -1, "short object record");

	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
	free(b);
}

/* --- random input --- */

static uint64_t rng_state;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static void
rand_fill(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rng();
}

/* a valid small card with a few random edits, checksum fixed */
static size_t
mutate_valid(uint8_t *buf, const uint8_t *good, size_t glen, size_t cap)
{
	size_t len = glen, k, nedit = 1 + rng() % 4, pos;

	memcpy(buf, good, glen);
	for (k = 0; k < nedit; k++) {
		pos = HDR_LEN + rng() % (len - HDR_LEN - SUM_LEN);
		switch (rng() % 4) {
		case 0:
		case 1:
			buf[pos] = (uint8_t)rng();
			break;
		case 2:
			buf[pos] ^= (uint8_t)(1u << (rng() % 8));
			break;
		default:	/* insert a byte */
			if (len + 1 < cap) {
				memmove(buf + pos + 1, buf + pos, len - pos);
				len++;
			}
			break;
		}
	}
	if (rng() % 2 == 0) {	/* keep the header's length consistent */
		buf[12] = (uint8_t)((len - HDR_LEN - SUM_LEN) >> 24);
		buf[13] = (uint8_t)((len - HDR_LEN - SUM_LEN) >> 16);
		buf[14] = (uint8_t)((len - HDR_LEN - SUM_LEN) >> 8);
		buf[15] = (uint8_t)(len - HDR_LEN - SUM_LEN);
	}
	sum_fix(buf, len);
	return len;
}

/* random records after a valid header, checksum fixed */
static size_t
random_body(uint8_t *buf, size_t cap)
{
	struct ss_wr	w;
	size_t		n = rng() % 12, i, vlen;
	uint8_t		val[64];

	ss_wr_init(&w, buf, cap);
	ss_wr_bytes(&w, "SSEMUCARD", 10);
	ss_wr_u16be(&w, 1);
	ss_wr_u32be(&w, 0);
	for (i = 0; i < n; i++) {
		vlen = rng() % sizeof(val);
		rand_fill(val, vlen);
		ss_tlv_put(&w, 1 + rng() % 12, val, vlen);
	}
	ss_wr_fill(&w, 0, SUM_LEN);
	buf[12] = (uint8_t)((w.len - HDR_LEN - SUM_LEN) >> 24);
	buf[13] = (uint8_t)((w.len - HDR_LEN - SUM_LEN) >> 16);
	buf[14] = (uint8_t)((w.len - HDR_LEN - SUM_LEN) >> 8);
	buf[15] = (uint8_t)(w.len - HDR_LEN - SUM_LEN);
	sum_fix(buf, w.len);
	return w.len;
}

static void
test_random_parse(void **state)
{
	struct emu_card	 c;
	uint8_t		*good, *buf;
	size_t		 glen, cap, len, i, ok = 0, kind[3] = { 0 };
	char		 err[ERRLEN];
	uint64_t	 seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 20;

	(void)state;
	print_message("random parse: seed %llu\n", (unsigned long long)seed);
	rng_state = seed | 1;
	good = small_bytes(&glen);
	cap = glen + 1024;
	assert_non_null(buf = malloc(cap));
	for (i = 0; i < RANDOM_ROUNDS; i++) {
		switch (rng() % 3) {
		case 0:
			len = rng() % 600;
			rand_fill(buf, len);
			if (len > 10 && rng() % 2 == 0)
				memcpy(buf, "SSEMUCARD", 10);
			kind[0]++;
			break;
		case 1:
			len = random_body(buf, cap);
			kind[1]++;
			break;
		default:
			len = mutate_valid(buf, good, glen, cap);
			kind[2]++;
			break;
		}
		if (emu_cardfile_parse(buf, len, &c, err, sizeof(err)) == 0)
			ok++;
		emu_card_free(&c);
	}
	assert_int_equal(emu_cardfile_parse(NULL, 5, &c, err, sizeof(err)),
	    -1);
	emu_card_free(&c);
	print_message("random parse: %d buffers (%zu random, %zu random "
	    "records, %zu mutated cards), %zu accepted, no crash\n",
	    RANDOM_ROUNDS, kind[0], kind[1], kind[2], ok);
	free(buf);
	ss_free_secret(good, glen);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ss-cardfile-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	struct dirent	*d;
	DIR		*dp;
	char		 p[512];

	(void)state;
	if ((dp = opendir(dir)) == NULL)
		return -1;
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.' && (d->d_name[1] == '\0' ||
		    (d->d_name[1] == '.' && d->d_name[2] == '\0')))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, d->d_name);
		unlink(p);
	}
	closedir(dp);
	return rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fascn),
		cmocka_unit_test(test_roundtrip_full),
		cmocka_unit_test(test_roundtrip_factory),
		cmocka_unit_test(test_truncate_every_length),
		cmocka_unit_test(test_flip_every_byte),
		cmocka_unit_test(test_flip_body_valid_sum),
		cmocka_unit_test(test_wrong_magic),
		cmocka_unit_test(test_future_version),
		cmocka_unit_test(test_bad_checksum),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_missing_and_not_regular),
		cmocka_unit_test(test_symlink_refused),
		cmocka_unit_test(test_mode_0600),
		cmocka_unit_test(test_save_refuses_invalid),
		cmocka_unit_test(test_stale_tmp_sweep),
		cmocka_unit_test(test_semantic_checks),
		cmocka_unit_test(test_inconsistent_keys),
		cmocka_unit_test(test_random_parse),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
