/*
 * tools/diag_atr.c - `smartsign-diag atr`: decode an ATR with reader/atr.c
 * (ISO/IEC 7816-3 section 8, historical bytes per 7816-4 12.1.1) and name
 * the card from pcsc-tools' list.
 */
#include <stdlib.h>
#include <string.h>

#include "reader/atr.h"
#include "reader/hex.h"
#include "tools/diag.h"

#define ATR_HEX_MAX	256

static const char usage_text[] =
"usage: smartsign-diag atr [--json] [--list FILE] [HEX...]\n"
"       smartsign-diag atr [--json] [--list FILE] [--reader NAME]\n"
"\n"
"Decodes an Answer-To-Reset: TS, T0, the interface bytes of each level\n"
"with their meaning (Fi/Di, guard time, specific mode, T=1 IFSC, BWI/CWI\n"
"and error detection, T=15 voltage class and clock stop), the historical\n"
"bytes (compact-TLV objects, status) and the TCK check, and names the\n"
"card from pcsc-tools' list (~/.cache/smartcard_list.txt or\n"
DIAG_CARDLIST ", or --list FILE).\n"
"The ATR is given as hex (spaces and colons allowed) or, without one,\n"
"read from the reader (--reader, default: the first with a card).\n"
"\n"
"Exit status: 0 well-formed, 1 malformed ATR, 2 bad usage, 3 pcscd\n"
"unreachable, 4 no reader, 5 no card.\n";

static const char *const ctlv_names[16] = {
	NULL, "country code", "issuer identification", "card service data",
	"initial access data", "card issuer's data", "pre-issuing data",
	"card capabilities", "status indicator", NULL, NULL, NULL, NULL,
	NULL, NULL, "application identifier",
};

static void
emit_byte(struct diag_out *o, const char *name, unsigned i, uint8_t v,
    const char *meaning)
{
	char	label[8];

	(void)snprintf(label, sizeof(label), "%s%u", name, i);
	if (!o->json) {
		out_line(o, "%-4s %02X  %s", label, v, meaning);
		return;
	}
	out_obj(o, NULL, NULL);
	out_str(o, "byte", label);
	out_strf(o, "value", "%02X", v);
	out_str(o, "meaning", meaning);
	out_end(o);
}

static void
ta_meaning(const struct ss_atr *a, const struct ss_atr_level *l, unsigned i,
    char *m, size_t cap)
{
	if (i == 1) {
		(void)snprintf(m, cap, "Fi=%u Di=%u (f max %u.%u MHz)%s",
		    a->fi, a->di, a->fmax_khz / 1000, a->fmax_khz % 1000 / 100,
		    a->fi == 0 || a->di == 0 ? " RFU value" : "");
	} else if (i == 2) {
		(void)snprintf(m, cap, "specific mode T=%u, %s, %s",
		    l->ta & 0x0fu, (l->ta & 0x80u) ? "cannot change" :
		    "can change", (l->ta & 0x10u) ? "implicit Fi/Di" :
		    "Fi/Di from TA1");
	} else if (l->protocol == 1) {
		(void)snprintf(m, cap, "T=1 IFSC=%u", l->ta);
	} else if (l->protocol == 15) {
		(void)snprintf(m, cap, "T=15 class%s%s%s, clock stop %s",
		    (l->ta & 1u) ? " A (5 V)" : "", (l->ta & 2u) ? " B (3 V)" :
		    "", (l->ta & 4u) ? " C (1.8 V)" : "",
		    (const char *const[]){ "not supported", "state L",
		    "state H", "L or H" }[l->ta >> 6]);
	} else {
		(void)snprintf(m, cap, "T=%u specific", l->protocol);
	}
}

static void
tb_meaning(const struct ss_atr_level *l, unsigned i, char *m, size_t cap)
{
	if (i <= 2)
		(void)snprintf(m, cap, "programming voltage (deprecated)%s",
		    l->tb == 0 ? ": none" : "");
	else if (l->protocol == 1)
		(void)snprintf(m, cap, "T=1 BWI=%u CWI=%u", l->tb >> 4,
		    l->tb & 0x0fu);
	else if (l->protocol == 15)
		(void)snprintf(m, cap, "T=15 SPU %02X", l->tb);
	else
		(void)snprintf(m, cap, "T=%u specific", l->protocol);
}

static void
tc_meaning(const struct ss_atr_level *l, unsigned i, char *m, size_t cap)
{
	if (i == 1)
		(void)snprintf(m, cap, "extra guard time N=%u%s", l->tc,
		    l->tc == 255 ? " (minimum)" : "");
	else if (i == 2)
		(void)snprintf(m, cap, "T=0 waiting integer WI=%u", l->tc);
	else if (l->protocol == 1)
		(void)snprintf(m, cap, "T=1 error detection %s",
		    (l->tc & 1u) ? "CRC" : "LRC");
	else
		(void)snprintf(m, cap, "T=%u specific", l->protocol);
}

static void
emit_level(struct diag_out *o, const struct ss_atr *a, unsigned i)
{
	const struct ss_atr_level	*l = &a->levels[i - 1];
	char				 m[160];

	if (l->has_ta) {
		ta_meaning(a, l, i, m, sizeof(m));
		emit_byte(o, "TA", i, l->ta, m);
	}
	if (l->has_tb) {
		tb_meaning(l, i, m, sizeof(m));
		emit_byte(o, "TB", i, l->tb, m);
	}
	if (l->has_tc) {
		tc_meaning(l, i, m, sizeof(m));
		emit_byte(o, "TC", i, l->tc, m);
	}
	if (l->has_td) {
		(void)snprintf(m, sizeof(m), "protocol T=%u, next level:%s%s"
		    "%s%s%s", l->td & 0x0fu, (l->td & 0x10u) ? " TA" : "",
		    (l->td & 0x20u) ? " TB" : "", (l->td & 0x40u) ? " TC" : "",
		    (l->td & 0x80u) ? " TD" : "", (l->td & 0xf0u) ? "" :
		    " none");
		emit_byte(o, "TD", i, l->td, m);
	}
}

static void
emit_interface(struct diag_out *o, const struct ss_atr *a)
{
	size_t	i;

	out_arr(o, "interface_bytes", "interface bytes");
	for (i = 0; i < a->nlevels; i++)
		emit_level(o, a, (unsigned)(i + 1));
	out_end(o);
}

static void
emit_params(struct diag_out *o, const struct ss_atr *a)
{
	struct ss_atr_params	p;
	char			s[64];

	ss_atr_get_params(a, &p);
	ss_atr_protocols_str(a, s, sizeof(s));
	out_str(o, "protocols", s);
	out_strf(o, "fi_di", "Fi=%u Di=%u%s", a->fi, a->di,
	    p.specific && p.specific_implicit ? " (not used: implicit)" : "");
	if (p.specific)
		out_strf(o, "specific_mode", "T=%u", p.specific_proto);
	if (a->protocols & (1u << 1))
		out_strf(o, "t1", "IFSC=%u BWI=%u CWI=%u %s", p.ifsc, p.bwi,
		    p.cwi, p.crc ? "CRC" : "LRC");
	if (p.has_class)
		out_strf(o, "voltage_class", "%s%s%s", (p.class_bits & 1u) ?
		    "A " : "", (p.class_bits & 2u) ? "B " : "",
		    (p.class_bits & 4u) ? "C" : "");
}

static void
emit_ctlv(struct diag_out *o, const struct ss_atr_hist *h)
{
	struct ss_rd	 r;
	const uint8_t	*v;
	uint8_t		 tag;
	size_t		 len;
	char		 hex[2 * 16 + 1];

	out_arr(o, "objects", "compact-TLV objects");
	ss_rd_init(&r, h->tlv, h->tlv_len);
	while (ss_rd_left(&r) > 0) {
		if (ss_atr_ctlv_next(&r, &tag, &v, &len) != SS_ERR_OK) {
			out_warn(o, "historical bytes: a compact-TLV object "
			    "runs past the end");
			break;
		}
		ss_hex_encode(v, len, hex);
		if (!o->json) {
			out_line(o, "%X%zX %s  %s", tag, len, hex,
			    ctlv_names[tag] ? ctlv_names[tag] : "?");
			continue;
		}
		out_obj(o, NULL, NULL);
		out_int(o, "tag", tag);
		out_str(o, "name", ctlv_names[tag]);
		out_str(o, "value", hex);
		out_end(o);
	}
	out_end(o);
}

static void
emit_hist(struct diag_out *o, const struct ss_atr *a)
{
	struct ss_atr_hist	h;
	char			text[SS_ATR_HIST_MAX + 1];
	size_t			i;
	int			rc;

	out_obj(o, "historical_bytes", "historical bytes");
	out_hex(o, "bytes", a->hist, a->hist_len);
	for (i = 0; i < a->hist_len; i++)
		text[i] = (a->hist[i] >= 0x20 && a->hist[i] < 0x7f) ?
		    (char)a->hist[i] : '.';
	text[i] = '\0';
	out_str(o, "text", text);
	rc = ss_atr_hist_split(a->hist, a->hist_len, &h);
	if (a->hist_len > 0)
		out_strf(o, "category", "%02X%s", h.category,
		    rc == SS_ERR_OK ? " (compact-TLV)" : h.category == 0x10 ?
		    " (DIR data reference)" : " (proprietary)");
	if (rc == SS_ERR_OK)
		emit_ctlv(o, &h);
	if (rc == SS_ERR_OK && h.has_status)
		out_strf(o, "status", "LCS %02X SW %04X", h.lcs, h.sw);
	out_end(o);
}

static void
emit_errors(struct diag_out *o, unsigned e)
{
	static const struct { unsigned bit; const char *what; } errs[] = {
		{ SS_ATR_E_TRUNCATED, "truncated: ends inside the bytes T0 "
		    "and TDi announce" },
		{ SS_ATR_E_TCK_MISSING, "TCK missing: a protocol other than "
		    "T=0 is offered, so a check byte must follow" },
		{ SS_ATR_E_TCK_BAD, "TCK wrong: XOR of T0..TCK is not 0" },
		{ SS_ATR_E_TRAILING, "extra bytes after the end of the ATR" },
		{ SS_ATR_E_TS, "TS is neither 3B (direct) nor 3F (inverse)" },
		{ SS_ATR_E_TOO_LONG, "too long: more than 33 bytes or 8 "
		    "levels" },
	};
	size_t	i;

	out_arr(o, "errors", e ? "errors" : NULL);
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (e & errs[i].bit)
			out_str(o, NULL, errs[i].what);
	out_end(o);
}

static void
emit_names(struct diag_out *o, const uint8_t *atr, size_t len,
    const char *list)
{
	char	*names[DIAG_NAMES_MAX];
	size_t	 n = 0, i;
	int	 rc;

	rc = diag_cardlist_lookup(list, atr, len, names, DIAG_NAMES_MAX, &n);
	out_arr(o, "card_names", "card (pcsc-tools' list)");
	for (i = 0; i < n; i++)
		out_str(o, NULL, names[i]);
	if (rc == 0)
		out_line(o, "not in the list");
	else if (rc < 0)
		out_line(o, "no list: apt-get install pcsc-tools");
	out_end(o);
	diag_cardlist_free(names, n);
}

bool
diag_atr_emit(struct diag_out *o, const uint8_t *atr, size_t len,
    const char *list)
{
	struct ss_atr	a;
	int		rc = ss_atr_parse(atr, len, &a);

	out_hex(o, "atr", atr, len);
	out_strf(o, "ts", "%02X %s", a.ts, a.ts == 0x3b ? "direct convention" :
	    a.ts == 0x3f ? "inverse convention" : "invalid");
	if (len > 1)
		out_strf(o, "t0", "%02X (K=%u historical bytes)", a.t0,
		    a.t0 & 0x0fu);
	emit_interface(o, &a);
	emit_params(o, &a);
	emit_hist(o, &a);
	if (a.has_tck)
		out_strf(o, "tck", "%02X %s", a.tck,
		    (a.errors & SS_ATR_E_TCK_BAD) ? "WRONG" : "correct");
	else
		out_str(o, "tck", (a.errors & SS_ATR_E_TCK_MISSING) ?
		    "missing" : "absent (T=0 only)");
	out_bool(o, "well_formed", rc == SS_ERR_OK);
	emit_errors(o, a.errors);
	if (rc != SS_ERR_OK)
		out_warn(o, "malformed ATR (see errors): a reader or pcscd "
		    "may refuse this card");
	emit_names(o, atr, len, list);
	return rc == SS_ERR_OK;
}

struct atr_args {
	const char	*list;
};

static int
atr_opt(void *arg, int id, const char *val)
{
	(void)id;
	((struct atr_args *)arg)->list = val;
	return 0;
}

/* Join the operands and decode them as hex. */
static int
atr_from_args(int n, char **argv, uint8_t *atr, size_t *len)
{
	char	buf[ATR_HEX_MAX * 3];
	size_t	off = 0, l;
	int	i;

	buf[0] = '\0';
	for (i = 1; i <= n; i++) {
		l = strlen(argv[i]);
		if (off + l + 2 > sizeof(buf))
			return -1;
		memcpy(buf + off, argv[i], l);
		off += l;
		buf[off++] = ' ';
		buf[off] = '\0';
	}
	if (ss_hex_decode(buf, atr, ATR_HEX_MAX, len) < 0 || *len == 0) {
		fprintf(stderr, "smartsign-diag atr: '%s' is not an ATR in "
		    "hex\n", buf);
		return -1;
	}
	return 0;
}

static int
atr_from_reader(const char *name, uint8_t *atr, size_t *len)
{
	struct diag_pcsc		*p;
	const struct ss_reader_info	*r;
	int				 rc;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return DIAG_EXIT_INTERNAL;
	if ((rc = diag_pcsc_open(p)) != SS_ERR_OK) {
		fprintf(stderr, "smartsign-diag: pcscd: %s\n", ss_strerror(rc));
		rc = diag_exit_for(rc);
	} else if ((rc = diag_pick_reader(p, name, true, &r)) == 0) {
		memcpy(atr, r->atr, r->atr_len);
		*len = r->atr_len;
	}
	diag_pcsc_close(p);
	free(p);
	return rc;
}

int
diag_cmd_atr(int argc, char **argv)
{
	static const struct diag_optdef defs[] = {
		{ "--list", true, 1 }, { NULL, false, 0 }
	};
	struct atr_args		args = { NULL };
	struct diag_opts	opt;
	struct diag_out		o;
	uint8_t			atr[ATR_HEX_MAX];
	size_t			len = 0;
	int			n, rc;
	bool			ok;

	if ((rc = diag_parse(argc, argv, usage_text, defs, &opt, atr_opt,
	    &args, &n)) != 0)
		return rc > 0 ? DIAG_EXIT_OK : DIAG_EXIT_USAGE;
	if (n > 0 && opt.reader != NULL) {
		fprintf(stderr, "smartsign-diag atr: give HEX or --reader, "
		    "not both\n");
		return DIAG_EXIT_USAGE;
	}
	if (n > 0 && atr_from_args(n, argv, atr, &len) < 0)
		return DIAG_EXIT_USAGE;
	if (n == 0 && (rc = atr_from_reader(opt.reader, atr, &len)) != 0)
		return rc;
	out_init(&o, stdout, opt.json);
	ok = diag_atr_emit(&o, atr, len, args.list);
	out_finish(&o);
	return ok ? DIAG_EXIT_OK : DIAG_EXIT_PROBLEM;
}
