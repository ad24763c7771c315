/*
 * tools/diag_card.c - `smartsign-diag card`: what is on the card, read
 * only, straight through the reader channel: the applet, the CHUID, each
 * key reference with its type and certificate, PIN and PUK retries (no
 * try is used), and the YubiKey version and serial.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reader/channel.h"
#include "reader/hex.h"
#include "reader/tlv.h"
#include "tools/diag.h"
#include "tools/diag_piv.h"

#define EXPIRY_WARN_DAYS	30
#define YK_METADATA_MAJOR	5
#define YK_METADATA_MINOR	3
#define TAG_CHUID		0x5fc102
#define CHUID_FASCN		0x30
#define CHUID_GUID		0x34
#define CHUID_EXPIRY		0x35
#define APT_TAG			0x61
#define APT_AID			0x4f
#define APT_LABEL		0x50

static const char usage_text[] =
"usage: smartsign-diag card [--json] [--reader NAME] [--pem]\n"
"\n"
"Reads the card in the reader (default: the first with a card) without\n"
"changing anything: the applet (PIV or unknown), the CHUID (GUID,\n"
"expiry), every key reference with its key type and size and its\n"
"certificate (subject, issuer, validity: expired or expiring within 30\n"
"days is flagged), the PIN and PUK retries left (VERIFY without data,\n"
"which costs no try; the PUK count only where the card reports it, as\n"
"YubiKeys do: no PUK is ever sent), and the YubiKey version and serial.\n"
"--pem adds each certificate in PEM form.\n"
"\n"
"Exit status: 0 ok, 1 a problem (expired or expiring certificate, PIN or\n"
"PUK blocked, not a PIV card), 3 pcscd unreachable, 4 no reader, 5 no\n"
"card, 6 the card did not answer properly.\n";

struct card_state {
	struct ss_chan	*c;
	bool		 yk;
	uint8_t		 ver[3];
	bool		 meta;		/* GET METADATA available */
	bool		 problem;
	uint8_t		 buf[PIV_OBJ_MAX];
};

static void
emit_apt(struct diag_out *o, const uint8_t *apt, size_t len)
{
	struct ss_tlv	t, v;
	char		label[128];

	if (ss_tlv_expect(apt, len, APT_TAG, &t) < 0)
		return;
	if (ss_tlv_find(t.val, t.len, APT_AID, &v) == 0)
		out_hex(o, "application_id", v.val, v.len);
	if (ss_tlv_find(t.val, t.len, APT_LABEL, &v) == 0 &&
	    v.len < sizeof(label)) {
		memcpy(label, v.val, v.len);
		label[v.len] = '\0';
		out_str(o, "application_label", label);
	}
}

static void
emit_guid(struct diag_out *o, const struct ss_tlv *g)
{
	char	h[33];

	if (g->len != 16) {
		out_hex(o, "guid", g->val, g->len);
		return;
	}
	ss_hex_encode(g->val, 16, h);
	out_strf(o, "guid", "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12,
	    h + 16, h + 20);
}

/* Expiry "YYYYMMDD": shown as a date; flagged when past. */
static void
emit_expiry(struct diag_out *o, const struct ss_tlv *e)
{
	char		d[9], today[9];
	struct tm	tm;
	time_t		now = time(NULL);
	size_t		i;

	for (i = 0; i < 8 && i < e->len; i++)
		if (e->val[i] < '0' || e->val[i] > '9')
			break;
	if (e->len != 8 || i != 8) {
		out_hex(o, "expiry", e->val, e->len);
		return;
	}
	memcpy(d, e->val, 8);
	d[8] = '\0';
	out_strf(o, "expiry", "%.4s-%.2s-%.2s", d, d + 4, d + 6);
	if (gmtime_r(&now, &tm) != NULL &&
	    strftime(today, sizeof(today), "%Y%m%d", &tm) == 8 &&
	    strcmp(d, today) < 0)
		out_warn(o, "the card's CHUID expired on %.4s-%.2s-%.2s", d,
		    d + 4, d + 6);
}

static void
emit_chuid(struct diag_out *o, struct card_state *s)
{
	struct ss_tlv	outer, t;
	size_t		len;
	uint16_t	sw;

	out_obj(o, "chuid", "CHUID");
	if (dpiv_get_data(s->c, TAG_CHUID, s->buf, sizeof(s->buf), &len,
	    &sw) != SS_ERR_OK || sw != 0x9000 ||
	    ss_tlv_expect(s->buf, len, 0x53, &outer) < 0) {
		out_strf(o, "status", "absent (%04X)", sw);
		out_end(o);
		return;
	}
	if (ss_tlv_find(outer.val, outer.len, CHUID_GUID, &t) == 0)
		emit_guid(o, &t);
	if (ss_tlv_find(outer.val, outer.len, CHUID_FASCN, &t) == 0)
		out_hex(o, "fasc_n", t.val, t.len);
	if (ss_tlv_find(outer.val, outer.len, CHUID_EXPIRY, &t) == 0)
		emit_expiry(o, &t);
	out_end(o);
}

static void
emit_yubikey(struct diag_out *o, struct card_state *s)
{
	uint32_t	serial = 0;
	uint16_t	sw = 0;

	if (dpiv_yk_version(s->c, s->ver, &sw) != SS_ERR_OK || sw != 0x9000) {
		out_str(o, "yubikey", NULL);
		return;
	}
	s->yk = true;
	s->meta = s->ver[0] > YK_METADATA_MAJOR || (s->ver[0] ==
	    YK_METADATA_MAJOR && s->ver[1] >= YK_METADATA_MINOR);
	out_obj(o, "yubikey", "YubiKey");
	out_strf(o, "version", "%u.%u.%u", s->ver[0], s->ver[1], s->ver[2]);
	if (dpiv_yk_serial(s->c, &serial, &sw) == SS_ERR_OK && sw == 0x9000)
		out_int(o, "serial", serial);
	else
		out_str(o, "serial", NULL);
	out_end(o);
}

static void
emit_pin(struct diag_out *o, struct card_state *s)
{
	struct dpiv_tries	t;
	struct dpiv_meta		m;

	out_obj(o, "pin", "PIN");
	if (dpiv_tries(s->c, PIV_REF_PIN, &t) != SS_ERR_OK) {
		out_str(o, "tries_left", NULL);
		out_end(o);
		return;
	}
	if (t.known)
		out_int(o, "tries_left", t.left);
	else
		out_str(o, "tries_left", NULL);
	out_str(o, "status", t.blocked ? "blocked" : t.verified ?
	    "verified (by another program, this card session)" :
	    t.known ? "ok" : "unknown");
	if (t.blocked) {
		s->problem = true;
		out_warn(o, "the PIN is blocked: unblock it with the PUK "
		    "(card issuer or `yubico-piv-tool -a unblock-pin`)");
	} else if (t.known && t.left == 1) {
		out_warn(o, "one PIN try left: the next wrong PIN blocks the "
		    "card");
	}
	if (s->meta && dpiv_metadata(s->c, PIV_REF_PIN, &m) == SS_ERR_OK &&
	    m.ok && m.has_default) {
		out_bool(o, "factory_default", m.is_default);
		if (m.is_default)
			out_warn(o, "the PIN is still the factory default");
	}
	out_end(o);
}

static void
emit_puk(struct diag_out *o, struct card_state *s)
{
	struct dpiv_meta	m;

	out_obj(o, "puk", "PUK");
	if (!s->meta || dpiv_metadata(s->c, PIV_REF_PUK, &m) != SS_ERR_OK ||
	    !m.ok || !m.has_retries) {
		out_str(o, "tries_left", NULL);
		out_str(o, "status", "unknown (the card does not report it; "
		    "a PUK is never sent to find out)");
		out_end(o);
		return;
	}
	out_int(o, "tries_left", m.retries_left);
	out_int(o, "tries_total", m.retries_total);
	out_str(o, "status", m.retries_left == 0 ? "blocked" : "ok");
	if (m.retries_left == 0) {
		s->problem = true;
		out_warn(o, "the PUK is blocked: the PIN cannot be unblocked "
		    "any more; the card must be reset and re-issued");
	}
	if (m.has_default)
		out_bool(o, "factory_default", m.is_default);
	out_end(o);
}

static void
emit_mgmt(struct diag_out *o, struct card_state *s)
{
	struct dpiv_meta	m;

	if (!s->meta || dpiv_metadata(s->c, PIV_REF_MGMT, &m) != SS_ERR_OK ||
	    !m.ok)
		return;
	out_obj(o, "management_key", "management key");
	if (m.has_alg)
		out_str(o, "algorithm", dpiv_alg_name(m.alg));
	if (m.has_default) {
		out_bool(o, "factory_default", m.is_default);
		if (m.is_default)
			out_warn(o, "the card management key is the factory "
			    "default: anyone with the card can replace its "
			    "keys and certificates");
	}
	out_end(o);
}

static void
emit_cert_status(struct diag_out *o, struct card_state *s,
    const struct dpiv_slotdef *d, const struct diag_cert *c)
{
	if (c->not_yet_valid) {
		out_str(o, "status", "not yet valid");
		out_warn(o, "key %02X: certificate not valid before %s (is the "
		    "computer's clock right?)", d->ref, c->not_before);
		s->problem = true;
	} else if (c->days_left < 0) {
		out_str(o, "status", "expired");
		out_warn(o, "key %02X: certificate EXPIRED on %s (%ld days "
		    "ago): the card must be renewed", d->ref, c->not_after,
		    -c->days_left);
		s->problem = true;
	} else if (c->days_left < EXPIRY_WARN_DAYS) {
		out_str(o, "status", "expiring");
		out_warn(o, "key %02X: certificate expires in %ld days (%s)",
		    d->ref, c->days_left, c->not_after);
		s->problem = true;
	} else {
		out_str(o, "status", "valid");
	}
}

static void
emit_cert(struct diag_out *o, struct card_state *s,
    const struct dpiv_slotdef *d, const struct diag_cert *cp)
{
	const struct diag_cert	c = *cp;

	out_obj(o, "certificate", "certificate");
	if (!c.ok) {
		out_str(o, "status", "unreadable (not X.509)");
		out_warn(o, "key %02X: the certificate does not parse",
		    d->ref);
		out_end(o);
		return;
	}
	out_str(o, "subject", c.subject);
	out_str(o, "issuer", c.issuer);
	out_str(o, "serial", c.serial);
	out_str(o, "not_before", c.not_before);
	out_str(o, "not_after", c.not_after);
	out_int(o, "days_left", c.days_left);
	emit_cert_status(o, s, d, &c);
	out_str(o, "public_key", c.key);
	out_str(o, "sha256", c.sha256);
	if (c.pem != NULL && o->json)
		out_str(o, "pem", c.pem);
	else if (c.pem != NULL)
		fputs(c.pem, o->f);
	out_end(o);
}

static const char *
policy_name(uint8_t p, bool touch)
{
	static const char *const pin[] = { "default", "never", "once",
	    "always", "match once", "match always" };
	static const char *const tch[] = { "default", "never", "always",
	    "cached" };

	if (touch)
		return p < 4 ? tch[p] : "?";
	return p < 6 ? pin[p] : "?";
}

static void
emit_meta(struct diag_out *o, const struct dpiv_meta *m)
{
	if (m->has_policy) {
		out_str(o, "pin_policy", policy_name(m->pin_policy, false));
		out_str(o, "touch_policy", policy_name(m->touch_policy,
		    true));
	}
	if (m->has_origin)
		out_str(o, "origin", m->origin == 1 ? "generated on the card" :
		    m->origin == 2 ? "imported" : "?");
}

/* The key's type: from GET METADATA, else from the certificate. */
static const char *
key_type(const struct dpiv_meta *m, const struct diag_cert *c)
{
	if (m->has_alg && dpiv_alg_name(m->alg) != NULL)
		return dpiv_alg_name(m->alg);
	return c->ok ? c->key : NULL;
}

/* The certificate object of a reference, parsed into c (c->ok false
 * when absent or unreadable); returns why a stored one was not parsed. */
static const char *
load_cert(struct card_state *s, const struct dpiv_slotdef *d, bool pem,
    struct diag_cert *c, bool *has_obj)
{
	const uint8_t	*der = NULL;
	size_t		 len = 0, dlen = 0;
	uint16_t	 sw = 0;
	bool		 gzip = false;

	memset(c, 0, sizeof(*c));
	*has_obj = dpiv_get_data(s->c, d->cert_tag, s->buf, sizeof(s->buf),
	    &len, &sw) == SS_ERR_OK && sw == 0x9000 && len > 2;
	if (!*has_obj)
		return NULL;
	if (dpiv_cert_from_container(s->buf, len, &der, &dlen, &gzip) !=
	    SS_ERR_OK)
		return "malformed container";
	if (gzip)
		return "compressed (not decoded here)";
	(void)diag_cert_parse(der, dlen, pem, c);
	return NULL;
}

/* One reference: present when METADATA knows it or a certificate is
 * stored.  Absent references are left out. */
static void
emit_key(struct diag_out *o, struct card_state *s,
    const struct dpiv_slotdef *d, bool pem)
{
	struct dpiv_meta		 m;
	struct diag_cert	 c;
	const char		*why;
	bool			 has_obj;
	char			 title[80];

	memset(&m, 0, sizeof(m));
	if (s->meta)
		(void)dpiv_metadata(s->c, d->ref, &m);
	why = load_cert(s, d, pem, &c, &has_obj);
	if (!m.ok && !has_obj)
		return;
	(void)snprintf(title, sizeof(title), "key %02X (%s)", d->ref,
	    d->role);
	out_obj(o, NULL, title);
	out_strf(o, "slot", "%02X", d->ref);
	out_str(o, "role", d->role);
	out_str(o, "key_type", key_type(&m, &c));
	emit_meta(o, &m);
	if (!has_obj || why != NULL)
		out_str(o, "certificate", why);
	else
		emit_cert(o, s, d, &c);
	out_end(o);
	diag_cert_clear(&c);
}

static void
emit_keys(struct diag_out *o, struct card_state *s, bool pem)
{
	const struct dpiv_slotdef	*d;
	size_t				 i, n = dpiv_slots(&d);

	out_arr(o, "keys", "keys");
	for (i = 0; i < n; i++)
		emit_key(o, s, &d[i], pem);
	out_end(o);
}

static int
emit_piv(struct diag_out *o, struct card_state *s,
    const struct diag_card_opts *co)
{
	size_t		len = 0;
	uint16_t	sw = 0;
	int		rc;

	rc = dpiv_select(s->c, s->buf, sizeof(s->buf), &len, &sw);
	if (rc != SS_ERR_OK) {
		out_strf(o, "applet", "no answer (%s)", ss_strerror(rc));
		return diag_exit_for(rc);
	}
	if (sw != 0x9000) {
		out_str(o, "applet", "unknown");
		out_strf(o, "select_piv", "%04X", sw);
		out_warn(o, "the card has no PIV applet (SELECT answered "
		    "%04X): not a card smartsign can use", sw);
		return DIAG_EXIT_PROBLEM;
	}
	out_str(o, "applet", "PIV");
	emit_apt(o, s->buf, len);
	emit_yubikey(o, s);
	emit_chuid(o, s);
	emit_pin(o, s);
	emit_puk(o, s);
	emit_mgmt(o, s);
	emit_keys(o, s, co->pem);
	return s->problem ? DIAG_EXIT_PROBLEM : DIAG_EXIT_OK;
}

int
diag_card_emit(struct diag_out *o, const struct diag_pcsc *p,
    const struct ss_reader_info *r, const struct diag_card_opts *co)
{
	struct card_state	*s;
	int			 rc, brc;

	out_str(o, "reader", r->name);
	out_hex(o, "atr", r->atr, r->atr_len);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return DIAG_EXIT_INTERNAL;
	rc = ss_chan_open(&s->c, &p->t, r->name, NULL);
	if (rc != SS_ERR_OK) {
		out_strf(o, "connect", "failed: %s", ss_strerror(rc));
		free(s);
		return diag_exit_for(rc);
	}
	out_str(o, "protocol", diag_proto_name(ss_chan_protocol(s->c)));
	brc = ss_chan_begin(s->c);
	rc = emit_piv(o, s, co);
	if (brc == SS_ERR_OK || brc == SS_ERR_CARD_RESET)
		(void)ss_chan_end(s->c);
	ss_chan_free(&s->c);
	free(s);
	return rc;
}

struct card_args {
	struct diag_card_opts	co;
};

static int
card_opt(void *arg, int id, const char *val)
{
	(void)id;
	(void)val;
	((struct card_args *)arg)->co.pem = true;
	return 0;
}

int
diag_cmd_card(int argc, char **argv)
{
	static const struct diag_optdef defs[] = {
		{ "--pem", false, 1 }, { NULL, false, 0 }
	};
	struct card_args		 args;
	struct diag_opts		 opt;
	struct diag_out			 o;
	struct diag_pcsc		*p;
	const struct ss_reader_info	*r;
	int				 n, rc;

	memset(&args, 0, sizeof(args));
	if ((rc = diag_parse(argc, argv, usage_text, defs, &opt, card_opt,
	    &args, &n)) != 0)
		return rc > 0 ? DIAG_EXIT_OK : DIAG_EXIT_USAGE;
	if (n > 0) {
		fprintf(stderr, "smartsign-diag card: no operands\n");
		return DIAG_EXIT_USAGE;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return DIAG_EXIT_INTERNAL;
	if ((rc = diag_pcsc_open(p)) != SS_ERR_OK) {
		fprintf(stderr, "smartsign-diag: pcscd: %s\n", ss_strerror(rc));
		rc = diag_exit_for(rc);
	} else if ((rc = diag_pick_reader(p, opt.reader, true, &r)) == 0) {
		out_init(&o, stdout, opt.json);
		rc = diag_card_emit(&o, p, r, &args.co);
		out_finish(&o);
	}
	diag_pcsc_close(p);
	free(p);
	return rc;
}
