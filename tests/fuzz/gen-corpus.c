/*
 * tests/fuzz/gen-corpus.c - writes the fuzzers' seed corpus:
 *
 *   build/asan/gen-corpus DIR     (make fuzz-corpus: DIR = tests/fuzz/corpus)
 *
 * into DIR/fuzz-NAME/, one small file per seed, named for what it holds:
 *   fuzz-piv-driver  the emulated card's real answers to the flow of
 *                    fz-flow.h (recorded through a transport that passes
 *                    every call to tests/unit/emu-transport.c and writes
 *                    down what came back), with a YubiKey ATR and a plain
 *                    PIV one, with and without the SO calls, T=0, repeat;
 *   fuzz-emu-apdu    the commands the module sent in those flows, cut
 *                    into pieces, plus YubiKey commands the flow does not
 *                    send (attestation, reset, retries, every key type
 *                    generated);
 *   fuzz-tlv-apdu    some of those commands and answers;
 *   fuzz-atr         ATRs of real cards and broken ones;
 *   fuzz-cardfile    card files (the test card, small and empty ones);
 *   fuzz-p11-calls   short programs of fz-p11ops.h: the common client
 *                    sequences (find and sign, decrypt, derive, the SO
 *                    generating a key, card pulled mid-operation);
 *   fuzz-p7s         .p7s files over FZ_P7S_CONTENT signed by the test
 *                    card's keys (OpenSSL CMS_sign), carrying their CA.
 * Output depends on fresh keys, so every run writes different bytes;
 * commit what one run wrote.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "pkcs11/p11.h"
#include "reader/hex.h"
#include "reader/wipe.h"
#include "tests/unit/emu-transport.h"
#include "token-emu/cardfile.h"
#include "token-emu/emu_crypto.h"
#include "token-emu/identity.h"
#include "fuzz.h"
#include "fz-card.h"
#include "fz-flow.h"
#include "fz-hostile.h"
#include "fz-p11ops.h"

#define APDUS_PER_SEED	24
#define TLV_SEEDS_MAX	24

/* --- a growing byte buffer ----------------------------------------------- */

struct wbuf {
	uint8_t	*p;
	size_t	 len, cap;
};

static void
wb_put(struct wbuf *b, const void *p, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;

	while (cap - b->len < n)
		cap *= 2;
	if (cap != b->cap) {
		if ((b->p = realloc(b->p, cap)) == NULL)
			abort();
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
wb_u8(struct wbuf *b, uint8_t v)
{
	wb_put(b, &v, 1);
}

static void
wb_u16(struct wbuf *b, size_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	wb_put(b, x, 2);
}

static void
wb_chunk(struct wbuf *b, const uint8_t *p, size_t n)
{
	wb_u16(b, n);
	wb_put(b, p, n);
}

static void
wb_free(struct wbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* --- files ------------------------------------------------------------------ */

static const char *out_root;

static void
write_seed(const char *target, const char *name, const uint8_t *p, size_t n)
{
	char	 path[4096];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", out_root, target);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", out_root, target, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void
write_wb(const char *target, const char *name, const struct wbuf *b)
{
	write_seed(target, name, b->p, b->len);
}

/* --- the recording transport ------------------------------------------- */

struct rec {
	struct ss_transport	 inner;
	struct wbuf		 answers;	/* fz-hostile.h script */
	struct wbuf		 cmds[256];	/* commands, chunked */
	size_t			 ncmds;
	struct wbuf		 resps;		/* some answers, for tlv-apdu */
	size_t			 nresps;
};

static void
rec_answer(struct rec *r, int rc, const uint8_t *p, size_t n)
{
	size_t i;

	if (rc == SS_ERR_OK) {
		wb_chunk(&r->answers, p, n);
		return;
	}
	for (i = 0; i < fz_hostile_nerrs(); i++)
		if (fz_hostile_err(i) == rc)
			break;
	wb_u8(&r->answers, FZ_ERR_MARK);
	wb_u8(&r->answers, (uint8_t)i);
}

static int
r_establish(void *priv, ss_tctx *ctx)
{
	struct rec *r = priv;

	return r->inner.ops->establish(r->inner.priv, ctx);
}

static int
r_release(void *priv, ss_tctx ctx)
{
	struct rec *r = priv;

	return r->inner.ops->release(r->inner.priv, ctx);
}

static int
r_list(void *priv, ss_tctx ctx, char *buf, size_t cap, size_t *len)
{
	static const char names[] = FZ_HOSTILE_READER "\0";

	(void)priv;
	(void)ctx;
	if (cap < sizeof(names))
		return SS_ERR_BUFFER;
	memcpy(buf, names, sizeof(names));
	*len = sizeof(names);
	return SS_ERR_OK;
}

static int
r_status_change(void *priv, ss_tctx ctx, uint32_t ms, struct ss_tstate *st,
    size_t n)
{
	struct rec	*r = priv;
	const char	*names[SS_TSTATES_MAX];
	size_t		 i;
	int		 rc;

	if (n > SS_TSTATES_MAX)
		return SS_ERR_BAD_ARG;
	for (i = 0; i < n; i++) {
		names[i] = st[i].reader;
		if (strcmp(st[i].reader, FZ_HOSTILE_READER) == 0)
			st[i].reader = "Emu Reader 0";
	}
	rc = r->inner.ops->status_change(r->inner.priv, ctx, ms, st, n);
	for (i = 0; i < n; i++)
		st[i].reader = names[i];
	return rc;
}

static int
r_cancel(void *priv, ss_tctx ctx)
{
	struct rec *r = priv;

	return r->inner.ops->cancel(r->inner.priv, ctx);
}

static int
r_connect(void *priv, ss_tctx ctx, const char *reader, uint32_t share,
    uint32_t protocols, ss_tcard *card, uint32_t *active)
{
	struct rec *r = priv;

	(void)reader;
	return r->inner.ops->connect(r->inner.priv, ctx, "Emu Reader 0",
	    share, protocols, card, active);
}

static int
r_reconnect(void *priv, ss_tcard card, uint32_t share, uint32_t protocols,
    uint32_t init, uint32_t *active)
{
	struct rec *r = priv;

	return r->inner.ops->reconnect(r->inner.priv, card, share, protocols,
	    init, active);
}

static int
r_disconnect(void *priv, ss_tcard card, uint32_t disposition)
{
	struct rec *r = priv;

	return r->inner.ops->disconnect(r->inner.priv, card, disposition);
}

static int
r_begin(void *priv, ss_tcard card)
{
	struct rec *r = priv;

	return r->inner.ops->begin(r->inner.priv, card);
}

static int
r_end(void *priv, ss_tcard card, uint32_t disposition)
{
	struct rec *r = priv;

	return r->inner.ops->end(r->inner.priv, card, disposition);
}

static int
r_status(void *priv, ss_tcard card, uint32_t *state, uint8_t *atr,
    size_t cap, size_t *len)
{
	struct rec *r = priv;

	return r->inner.ops->status(r->inner.priv, card, state, atr, cap,
	    len);
}

static int
r_transmit(void *priv, ss_tcard card, uint32_t proto, const uint8_t *cmd,
    size_t cmd_len, uint8_t *resp, size_t cap, size_t *len)
{
	struct rec	*r = priv;
	int		 rc;

	rc = r->inner.ops->transmit(r->inner.priv, card, proto, cmd, cmd_len,
	    resp, cap, len);
	rec_answer(r, rc, resp, rc == SS_ERR_OK ? *len : 0);
	if (r->ncmds < 256)
		wb_chunk(&r->cmds[r->ncmds / APDUS_PER_SEED], cmd, cmd_len);
	r->ncmds++;
	if (rc == SS_ERR_OK && *len > 4 && r->nresps++ % 7 == 0)
		wb_chunk(&r->resps, resp, *len - 2);
	return rc;
}

static int
r_control(void *priv, ss_tcard card, uint32_t code, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, size_t *len)
{
	struct rec	*r = priv;
	int		 rc;

	rc = r->inner.ops->control(r->inner.priv, card, code, in, in_len, out,
	    cap, len);
	rec_answer(r, rc, out, rc == SS_ERR_OK ? *len : 0);
	return rc;
}

static const struct ss_transport_ops rec_ops = {
	.establish = r_establish,
	.release = r_release,
	.list_readers = r_list,
	.status_change = r_status_change,
	.cancel = r_cancel,
	.connect = r_connect,
	.reconnect = r_reconnect,
	.disconnect = r_disconnect,
	.begin = r_begin,
	.end = r_end,
	.status = r_status,
	.transmit = r_transmit,
	.control = r_control,
	.get_attrib = NULL,
};

/* --- fuzz-piv-driver, fuzz-emu-apdu, fuzz-tlv-apdu ----------------------- */

static const uint8_t yk_atr[] = {
	0x3b, 0xfd, 0x13, 0x00, 0x00, 0x81, 0x31, 0xfe, 0x15, 0x80, 0x73,
	0xc0, 0x21, 0xc0, 0x57, 0x59, 0x75, 0x62, 0x69, 0x4b, 0x65, 0x79,
	0x40,
};

struct flow_case {
	const char	*name;
	bool		 yubikey;
	uint8_t		 in_flags;	/* fuzz-piv-driver's byte 0 */
	unsigned	 flow;
	const char	*pinpad;	/* the reader has one, the user types */
};

static const struct flow_case flow_cases[] = {
	{ "yk-user", true, 0x00, 0, NULL },
	{ "yk-so", true, 0x01, FZ_FLOW_SO, NULL },
	{ "piv-user", false, 0x00, 0, NULL },
	{ "piv-so", false, 0x01, FZ_FLOW_SO, NULL },
	{ "yk-pinpad", true, 0x02, FZ_FLOW_PINPAD, FZ_FLOW_PIN },
};

static void
seeds_emu_apdu(const struct flow_case *fc, struct rec *r)
{
	struct wbuf	b;
	char		name[128];
	size_t		i, n = (r->ncmds + APDUS_PER_SEED - 1) / APDUS_PER_SEED;

	for (i = 0; i < n && i < 256 / APDUS_PER_SEED; i++) {
		memset(&b, 0, sizeof(b));
		/* the first piece from power-on, the others as if the PIN
		 * and the management key had been given already */
		wb_u8(&b, i == 0 ? 0x00 : 0x07);
		wb_put(&b, r->cmds[i].p, r->cmds[i].len);
		snprintf(name, sizeof(name), "%s-%02zu", fc->name, i);
		write_wb("fuzz-emu-apdu", name, &b);
		wb_free(&b);
	}
}

static void
seeds_tlv(const struct flow_case *fc, struct rec *r)
{
	struct ss_rd	 rd;
	struct wbuf	 b;
	const uint8_t	*p;
	char		 name[128];
	size_t		 n, i = 0;

	ss_rd_init(&rd, r->resps.p, r->resps.len);
	while (ss_rd_left(&rd) > 0 && i < TLV_SEEDS_MAX) {
		n = fz_chunk(&rd, &p);
		if (n > 1024)
			continue;
		memset(&b, 0, sizeof(b));
		wb_u8(&b, (uint8_t)(0xff - i));
		wb_put(&b, p, n);
		snprintf(name, sizeof(name), "%s-resp-%02zu", fc->name, i++);
		write_wb("fuzz-tlv-apdu", name, &b);
		wb_free(&b);
	}
	ss_rd_init(&rd, r->cmds[0].p, r->cmds[0].len);
	for (i = 0; ss_rd_left(&rd) > 0 && i < 8; i++) {
		n = fz_chunk(&rd, &p);
		memset(&b, 0, sizeof(b));
		wb_u8(&b, (uint8_t)i);
		wb_put(&b, p, n);
		snprintf(name, sizeof(name), "%s-cmd-%02zu", fc->name, i);
		write_wb("fuzz-tlv-apdu", name, &b);
		wb_free(&b);
	}
}

static void
seeds_driver_file(const struct flow_case *fc, const uint8_t *atr,
    size_t atr_len, const struct rec *r, uint8_t extra, const char *suffix)
{
	struct wbuf	b;
	char		name[128];

	memset(&b, 0, sizeof(b));
	wb_u8(&b, (uint8_t)(fc->in_flags | extra));
	wb_u8(&b, (uint8_t)atr_len);
	wb_put(&b, atr, atr_len);
	wb_put(&b, r->answers.p, r->answers.len);
	snprintf(name, sizeof(name), "%s%s", fc->name, suffix);
	write_wb("fuzz-piv-driver", name, &b);
	wb_free(&b);
}

static void
record_flow(const struct flow_case *fc)
{
	struct emu_card		card;
	struct emu_tr		tr;
	struct rec		r;
	struct ss_transport	t;
	unsigned		rd;
	size_t			i;

	memset(&r, 0, sizeof(r));
	if (fz_card_clone(&card, fz_card_template()) < 0)
		abort();
	if (fc->yubikey) {
		memcpy(card.atr, yk_atr, sizeof(yk_atr));
		card.atr_len = sizeof(yk_atr);
	}
	emu_tr_init(&tr);
	rd = emu_tr_add_reader(&tr, "Emu Reader 0");
	emu_tr_insert(&tr, rd, &card);
	if (fc->pinpad != NULL)
		emu_tr_set_pinpad(&tr, rd, fc->pinpad);
	emu_tr_transport(&tr, &r.inner);
	t.ops = &rec_ops;
	t.priv = &r;
	p11_set_transport(&t);
	fz_flow_run(fc->flow);
	p11_set_transport(NULL);

	seeds_driver_file(fc, card.atr, card.atr_len, &r, 0, "");
	if (fc->flow == 0) {
		seeds_driver_file(fc, card.atr, card.atr_len, &r, 0x04, "-t0");
		seeds_driver_file(fc, card.atr, card.atr_len, &r, 0x08,
		    "-repeat");
	}
	seeds_emu_apdu(fc, &r);
	seeds_tlv(fc, &r);

	wb_free(&r.answers);
	wb_free(&r.resps);
	for (i = 0; i < 256 / APDUS_PER_SEED + 1; i++)
		wb_free(&r.cmds[i]);
	emu_tr_free(&tr);
	emu_card_free(&card);
}

/* Commands the flow does not send. */
static void
seeds_emu_extra(void)
{
	static const struct {
		const char	*name;
		uint8_t		 state;
		const char	*hex;	/* APDUs, space separated */
	} cases[] = {
		{ "yk-attest", 0x01, "00F99A0000 00F9F90000 00F9820000" },
		{ "yk-meta", 0x01, "00F700800000 00F700810000 00F7009B0000 "
		    "00F7009A0000 00F700820000 00F700F90000" },
		{ "yk-serial-version", 0x01, "00F8000000 00FD000000" },
		{ "yk-reset", 0x21, "0020008008313131313131FFFF "
		    "0020008008313131313131FFFF 0020008008313131313131FFFF "
		    "002C008010313131313131FFFF3131313131313131 "
		    "002C008010313131313131FFFF3131313131313131 "
		    "002C008010313131313131FFFF3131313131313131 00FB000000" },
		{ "yk-retries", 0x07, "00FA0505" },
		{ "yk-set-mgmt", 0x27, "00FFFFFF1B039B18010203040506070801020304"
		    "0506070801020304050607FF" },
		{ "gen-all", 0x27, "0047009A05AC03800106 0047009A05AC03800107 "
		    "0047009A05AC03800105 0047009A05AC03800116 "
		    "0047009C05AC03800111 0047009C05AC03800114 "
		    "0047009D05AC038001E0 0047009D05AC038001E1 "
		    "0047009E0BAC09800111AA0103AB0102" },
		{ "get-data", 0x01, "00CB3FFF055C035FC10200 00CB3FFF055C035FC105"
		    "00 00CB3FFF055C035FC10700 00CB3FFF035C017E00 "
		    "00CB3FFF055C035FC10C00 00CB3FFF055C035FC10600" },
		{ "put-chain", 0x25, "10DB3FFF0A5C035FC10953035A5A5A "
		    "00DB3FFF055C035FC10900 00C0000000" },
		{ "mgmt-auth", 0x01, "0087039B047C028000 "
		    "0087039B167C1480080102030405060708810801020304050607"
		    "08" },
		{ "sign-ec", 0x03, "0087119C267C24820081200102030405060708091011"
		    "121314151617181920212223242526272829303132" },
		{ "ecdh-x25519", 0x03, "0087E1822A7C2882008520090000000000000000"
		    "000000000000000000000000000000000000000000000000" },
		{ "change-pin", 0x21, "0024008010313233343536FFFF3635343332"
		    "31FFFF 002C008010313233343536373831323334353" "6FFFF" },
	};
	struct wbuf	 b;
	uint8_t		 apdu[512];
	char		 hex[1100];
	const char	*s, *e;
	size_t		 i, n, l;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&b, 0, sizeof(b));
		wb_u8(&b, cases[i].state);
		for (s = cases[i].hex; *s != '\0'; s = *e ? e + 1 : e) {
			if ((e = strchr(s, ' ')) == NULL)
				e = s + strlen(s);
			l = (size_t)(e - s);
			if (l >= sizeof(hex))
				abort();
			memcpy(hex, s, l);
			hex[l] = '\0';
			if (ss_hex_decode(hex, apdu, sizeof(apdu), &n) < 0)
				abort();
			wb_chunk(&b, apdu, n);
		}
		write_wb("fuzz-emu-apdu", cases[i].name, &b);
		wb_free(&b);
	}
}

/* --- fuzz-atr ---------------------------------------------------------------- */

static void
seeds_atr(void)
{
	static const struct {
		const char	*name;
		const char	*hex;
	} atrs[] = {
		{ "yubikey5", "3BFD1300008131FE158073C021C057597562694B657940" },
		{ "yubikey5-nfc", "3B8D80018073C021C057597562694B6579F9" },
		{ "idprime-t0", "3B7D96000080318065B0831117E583009000" },
		{ "acos5", "3B9E96800141054100000000000000000090001C" },
		{ "openpgp", "3BDA18FF81B1FE751F030031C573C001400090000C" },
		{ "cardos", "3BD2180081 31FE58C90114" },
		{ "estonia-cat00", "3BDB960080B1FE451F830012233F536549440F9000F1" },
		{ "no-td1", "3B6700000000000000009000" },
		{ "inverse", "3F6525081204689000" },
		{ "truncated", "3BFD1300008131FE15" },
		{ "too-long", "3B8F8001 804F0CA000000306030001000000006A5A5A5A5A5A5A5A"
		    "5A5A" },
		{ "bad-tck", "3B8D80018073C021C057597562694B6579FA" },
		{ "ts-only", "3B" },
		{ "t15-class", "3BD81800801F078031C1640806920F" },
	};
	struct wbuf	b;
	uint8_t		atr[64];
	char		hex[128];
	size_t		i, j, k, n;

	for (i = 0; i < sizeof(atrs) / sizeof(atrs[0]); i++) {
		for (j = k = 0; atrs[i].hex[j] != '\0' && k + 1 < sizeof(hex);
		    j++)
			if (atrs[i].hex[j] != ' ')
				hex[k++] = atrs[i].hex[j];
		hex[k] = '\0';
		if (ss_hex_decode(hex, atr, sizeof(atr), &n) < 0)
			abort();
		memset(&b, 0, sizeof(b));
		wb_u8(&b, (uint8_t)(16 + i * 3));
		wb_put(&b, atr, n);
		write_wb("fuzz-atr", atrs[i].name, &b);
		wb_free(&b);
	}
}

/* --- fuzz-cardfile ------------------------------------------------------------ */

static void
write_card(const char *name, const struct emu_card *card, uint8_t fix)
{
	struct wbuf	 b;
	uint8_t		*file = NULL;
	size_t		 len = 0;
	char		 err[256];

	if (emu_cardfile_serialize(card, &file, &len, err, sizeof(err)) < 0) {
		fprintf(stderr, "gen-corpus: %s: %s\n", name, err);
		exit(1);
	}
	memset(&b, 0, sizeof(b));
	wb_u8(&b, fix);
	wb_put(&b, file, len);
	write_wb("fuzz-cardfile", name, &b);
	wb_free(&b);
	ss_free_secret(file, len);
}

static void
seeds_cardfile(void)
{
	struct emu_card	 card;
	struct emu_key	*k;
	size_t		 i;

	emu_card_init_empty(&card);
	write_card("factory", &card, 0x00);
	write_card("factory-round-trip", &card, 0x07);
	k = emu_card_key(&card, 0x9a);
	emu_slot_install(&card, k, fz_key(PIV_ALG_ECCP256), PIV_ALG_ECCP256,
	    EMU_PIN_POLICY_ONCE, EMU_TOUCH_POLICY_NEVER, EMU_ORIGIN_GENERATED);
	k = emu_card_key(&card, 0x82);
	emu_slot_install(&card, k, fz_key(PIV_ALG_X25519), PIV_ALG_X25519,
	    EMU_PIN_POLICY_ONCE, EMU_TOUCH_POLICY_NEVER, EMU_ORIGIN_IMPORTED);
	k = emu_card_key(&card, 0x83);
	emu_slot_install(&card, k, fz_key(PIV_ALG_ED25519), PIV_ALG_ED25519,
	    EMU_PIN_POLICY_ALWAYS, EMU_TOUCH_POLICY_CACHED,
	    EMU_ORIGIN_GENERATED);
	(void)emu_card_obj_set(&card, 0x5fc102, (const uint8_t *)"\x30\x00",
	    2);
	card.mgmt_alg = PIV_ALG_AES128;
	card.mgmt_key_len = 16;
	write_card("small-keys", &card, 0x07);
	emu_card_free(&card);
	if (fz_card_clone(&card, fz_card_template()) < 0)
		abort();
	for (i = 0; i < EMU_NKEYS; i++)	/* keep the certificates only */
		if (emu_pkey_alg(card.keys[i].pkey) == PIV_ALG_RSA2048)
			emu_slot_install(&card, &card.keys[i], NULL, 0, 0, 0, 0);
	write_card("test-card", &card, 0x03);
	emu_card_free(&card);
}

/* --- fuzz-p11-calls ---------------------------------------------------------- */

static void
prog(const char *name, const uint8_t *p, size_t n)
{
	write_seed("fuzz-p11-calls", name, p, n);
}

/* Log in, find the private keys (9A 9C 9D 9E 82 83 84 F9), decrypt with
 * 9D (RSA-1024, CKM_RSA_X_509), derive with 82 (X25519, CKD_NULL, 16
 * bytes) and read the secret. */
static void
seed_decrypt_derive(void)
{
	static const uint8_t head[] = {
		0x00,
		P11OP_OPEN, 0x00, 0x02,
		P11OP_LOGIN, 0x00, 0x00, 0x00,
		P11OP_FIND, 0x00, 0x00, 0x01, 0x00, 0x01, 0x02,
		P11OP_FIND, 0x00, 0x01, 0x10,
		P11OP_DECRYPT, 0x00, 0x00, 0x02, 0x01, 0x00,
		P11OP_DECRYPT, 0x00, 0x01, 0x00, 0x80,
	};
	static const uint8_t tail[] = {
		0x00, 0x00, 0x80,
		P11OP_DERIVE, 0x00, 0x04, 0x00, 0x13, 0x00, 0x01, 0x01,
		0x03, 0x00, 0x01, 0x03, 0x06, 0x01, 0x09, 0x18, 0x01, 0x12,
		P11OP_ATTRS, 0x00, 0x08, 0x00, 0x01, 0x05, 0x00, 0x10,
	};
	struct wbuf	b;
	size_t		i;

	memset(&b, 0, sizeof(b));
	wb_put(&b, head, sizeof(head));
	for (i = 0; i < 128; i++)
		wb_u8(&b, (uint8_t)(i == 0 ? 0 : 0x11 * i));
	wb_put(&b, tail, sizeof(tail));
	write_wb("fuzz-p11-calls", "decrypt-derive", &b);
	wb_free(&b);
}

static void
seeds_p11_calls(void)
{
	/* open RW, login, find private keys (CKA_CLASS CKO_PRIVATE_KEY),
	 * objects, sign init ECDSA-SHA256 on object 1 (9C), context login,
	 * sign one-shot, get attributes, logout, close */
	static const uint8_t find_sign[] = {
		0x00,
		P11OP_OPEN, 0x00, 0x02,
		P11OP_LOGIN, 0x00, 0x00, 0x00,
		P11OP_FIND, 0x00, 0x00, 0x01, 0x00, 0x01, 0x02,
		P11OP_FIND, 0x00, 0x01, 0x10,
		P11OP_FIND, 0x00, 0x02,
		P11OP_ATTRS, 0x00, 0x00, 0x00, 0x03, 0x06, 0x00, 0x08,
		0x05, 0x00, 0x20, 0x0e, 0x80, 0x00,
		P11OP_SIGN, 0x00, 0x00, 0x01, 14, 0x00,
		P11OP_LOGIN, 0x00, 0x02, 0x00,
		P11OP_SIGN, 0x00, 0x01, 0x00, 0x10, 'h', 'e', 'l', 'l', 'o',
		' ', 'w', 'o', 'r', 'l', 'd', '!', '!', '!', '!', '!', 0x00,
		0x80, 0x00,
		P11OP_SIGN, 0x00, 0x01, 0x00, 0x04, 'd', 'a', 't', 'a', 0x00,
		0x01, 0x00,
		P11OP_LOGIN, 0x00, 0x80,
		P11OP_CLOSE, 0x00, 0x00,
	};
	/* all objects, attributes of several, digest, verify */
	static const uint8_t objects[] = {
		0x01,
		P11OP_SLOTS, 0x01, 0x04,
		P11OP_SLOT_INFO, 0x00, 0x00,
		P11OP_SLOT_INFO, 0x00, 0x01,
		P11OP_MECHS, 0x00, 0x00, 0x40,
		P11OP_MECHS, 0x00, 0x01, 0x13,
		P11OP_OPEN, 0x00, 0x00,
		P11OP_FIND, 0x00, 0x00, 0x00,
		P11OP_FIND, 0x00, 0x01, 0x1f,
		P11OP_ATTRS, 0x00, 0x03, 0x00, 0x04, 0x05, 0x80, 0x00, 0x11,
		0x00, 0x10, 0x0f, 0x00, 0x40, 0x1d, 0x00, 0x00,
		P11OP_ATTRS, 0x00, 0x05, 0x02, 0x00,
		P11OP_DIGEST, 0x00, 0x00, 0x17, 0x00,
		P11OP_DIGEST, 0x00, 0x01, 0x00, 0x03, 'a', 'b', 'c', 0x00,
		0x40, 0x00,
		P11OP_VERIFY, 0x00, 0x00, 0x02, 0x04, 0x00,
		P11OP_SESS_INFO, 0x00, 0x00,
		P11OP_MISC, 0x00, 0x00, 0x00,
		P11OP_MISC, 0x00, 0x00, 0x02,
	};
	/* SO login with the management key, generate P-256 in 9C
	 * (CKA_EC_PARAMS blob 0, CKA_ID blob "02"), create a certificate */
	static const uint8_t so_keygen[] = {
		0x00,
		P11OP_OPEN, 0x00, 0x02,
		P11OP_LOGIN, 0x00, 0x01, 0x02,
		P11OP_KEYGEN, 0x00, 0x00, 0x1b, 0x00,
		0x02, 0x0e, 0x04, 0x00, 0x04, 0x04, 0x04, 0x01,
		0x01, 0x04, 0x04, 0x04, 0x01,
		P11OP_ATTRS, 0x00, 0x00, 0x00, 0x02, 0x0f, 0x00, 0x80, 0x0e,
		0x00, 0x20,
		P11OP_CREATE, 0x00, 0x00, 0x04, 0x00, 0x01, 0x00, 0x07, 0x01,
		0x0b, 0x04, 0x04, 0x04, 0x01, 0x05, 0x04, 0x03,
		P11OP_CREATE, 0x00, 0x01, 0x00,
		P11OP_LOGIN, 0x00, 0x80,
	};
	/* an operation, then the card is pulled, put back, reset */
	static const uint8_t world[] = {
		0x00,
		P11OP_OPEN, 0x00, 0x00,
		P11OP_LOGIN, 0x00, 0x00, 0x00,
		P11OP_FIND, 0x00, 0x00, 0x00,
		P11OP_FIND, 0x00, 0x01, 0x08,
		P11OP_SIGN, 0x00, 0x00, 0x00, 0x00, 0x00,
		P11OP_WORLD, 0x00,
		P11OP_SIGN, 0x00, 0x01, 0x00, 0x01, 'x', 0x00, 0x80, 0x00,
		P11OP_WORLD, 0x01,
		P11OP_SLOT_INFO, 0x00, 0x00,
		P11OP_WORLD, 0x02,
		P11OP_OPEN, 0x00, 0x00,
		P11OP_WORLD, 0x03,
		P11OP_SLOTS, 0x00, 0x04,
		P11OP_WORLD, 0x04,
		P11OP_WORLD, 0x02,
		P11OP_SLOTS, 0x01, 0x04,
		P11OP_REINIT, 0x01,
		P11OP_OPEN, 0x00, 0x00,
	};

	prog("find-sign", find_sign, sizeof(find_sign));
	prog("objects", objects, sizeof(objects));
	prog("so-keygen", so_keygen, sizeof(so_keygen));
	seed_decrypt_derive();
	prog("world", world, sizeof(world));
}

/* --- fuzz-p7s ------------------------------------------------------------------ */

static void
seed_p7s(const char *name, uint8_t ref, unsigned flags, uint8_t opt)
{
	static const char	 content[] = FZ_P7S_CONTENT;
	const struct emu_card	*card = fz_card_template();
	const struct emu_key	*k = NULL;
	CMS_ContentInfo		*cms;
	STACK_OF(X509)		*chain;
	struct wbuf		 b;
	EVP_PKEY		*key;
	X509			*x;
	BIO			*in;
	uint8_t			*der = NULL;
	int			 n;
	size_t			 i;

	for (i = 0; i < EMU_NKEYS; i++)
		if (card->keys[i].ref == ref)
			k = &card->keys[i];
	if (k == NULL || (key = k->pkey) == NULL ||
	    (x = emu_cert_get(card, ref)) == NULL ||
	    (in = BIO_new_mem_buf(content, sizeof(content) - 1)) == NULL)
		abort();
	if ((chain = sk_X509_new_null()) == NULL ||
	    sk_X509_push(chain, fz_card_ca()) <= 0)
		abort();
	cms = CMS_sign(x, key, chain, in, CMS_DETACHED | CMS_BINARY | flags);
	if (cms == NULL || (n = i2d_CMS_ContentInfo(cms, &der)) <= 0)
		abort();
	sk_X509_free(chain);
	memset(&b, 0, sizeof(b));
	wb_u8(&b, opt);
	wb_put(&b, der, (size_t)n);
	write_wb("fuzz-p7s", name, &b);
	wb_free(&b);
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	X509_free(x);
}

static void
seeds_p7s(void)
{
	seed_p7s("ec-p256", 0x9c, 0, 0x02);
	seed_p7s("ec-p384-sigonly", 0x9e, 0, 0x01);
	seed_p7s("rsa2048", 0x9a, 0, 0x02);
	seed_p7s("rsa2048-cades", 0x9a, CMS_CADES, 0x02);
	seed_p7s("ec-nosmimecap", 0x9c, CMS_NOSMIMECAP, 0x00);
}

int
main(int argc, char **argv)
{
	const uint8_t	*der;
	size_t		 i, len = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: gen-corpus DIR\n");
		return 2;
	}
	out_root = argv[1];
	der = fz_card_cert_9a(&len);
	fz_flow_set_cert(der, len);
	if (mkdir(out_root, 0755) < 0 && errno != EEXIST) {
		perror(out_root);
		return 1;
	}
	for (i = 0; i < sizeof(flow_cases) / sizeof(flow_cases[0]); i++)
		record_flow(&flow_cases[i]);
	seeds_emu_extra();
	seeds_atr();
	seeds_cardfile();
	seeds_p11_calls();
	seeds_p7s();
	ERR_clear_error();
	return 0;
}
