/*
 * reader/atr.c - Answer-To-Reset decoding over the bounds-checked cursor.
 */
#include <stdio.h>
#include <string.h>

#include "atr.h"
#include "buf.h"
#include "err.h"

#define ATR_DEFAULT_FI_DI	0x11
#define HIST_CAT_STATUS_LAST	0x00	/* compact-TLV, status at the end */
#define HIST_CAT_COMPACT_TLV	0x80	/* compact-TLV */
#define HIST_TAG_CARD_CAPS	0x7

static const unsigned fi_table[16] = {
	372, 372, 558, 744, 1116, 1488, 1860, 0,
	0, 512, 768, 1024, 1536, 2048, 0, 0
};
static const unsigned fmax_table[16] = {
	4000, 5000, 6000, 8000, 12000, 16000, 20000, 0,
	0, 5000, 7500, 10000, 15000, 20000, 0, 0
};
static const unsigned di_table[16] = {
	0, 1, 2, 4, 8, 16, 32, 64, 12, 20, 0, 0, 0, 0, 0, 0
};

/* Read the interface bytes announced by the high nibble y. */
static int
atr_read_level(struct ss_rd *r, uint8_t y, struct ss_atr_level *l)
{
	if (y & 0x1) {
		if (ss_rd_u8(r, &l->ta) < 0)
			return -1;
		l->has_ta = true;
	}
	if (y & 0x2) {
		if (ss_rd_u8(r, &l->tb) < 0)
			return -1;
		l->has_tb = true;
	}
	if (y & 0x4) {
		if (ss_rd_u8(r, &l->tc) < 0)
			return -1;
		l->has_tc = true;
	}
	if (y & 0x8) {
		if (ss_rd_u8(r, &l->td) < 0)
			return -1;
		l->has_td = true;
	}
	return 0;
}

/* Interface bytes of every level; false when TCK is required. */
static void
atr_read_levels(struct ss_rd *r, struct ss_atr *a, bool *need_tck)
{
	struct ss_atr_level	*l;
	uint8_t			 y = a->t0 >> 4, proto = 0;

	*need_tck = false;
	while (y != 0) {
		if (a->nlevels == SS_ATR_MAX_LEVELS) {
			a->errors |= SS_ATR_E_TOO_LONG;
			return;
		}
		l = &a->levels[a->nlevels++];
		l->protocol = proto;
		if (atr_read_level(r, y, l) < 0) {
			a->errors |= SS_ATR_E_TRUNCATED;
			return;
		}
		y = l->has_td ? (uint8_t)(l->td >> 4) : 0;
		if (!l->has_td)
			break;
		proto = l->td & 0x0f;
		a->protocols |= 1u << proto;
		if (proto != 0)
			*need_tck = true;
	}
}

static void
atr_read_hist(struct ss_rd *r, struct ss_atr *a)
{
	size_t	k = a->t0 & 0x0f, left = ss_rd_left(r);

	a->hist_len = (k > left) ? left : k;
	if (ss_rd_bytes(r, a->hist, a->hist_len) < 0 || a->hist_len < k)
		a->errors |= SS_ATR_E_TRUNCATED;
}

static void
atr_read_tck(struct ss_rd *r, struct ss_atr *a, const uint8_t *p,
    bool need_tck)
{
	uint8_t	x = 0;
	size_t	i;

	if (!need_tck)
		return;
	if (ss_rd_u8(r, &a->tck) < 0) {
		a->errors |= SS_ATR_E_TCK_MISSING;
		return;
	}
	a->has_tck = true;
	for (i = 1; i < r->off; i++)
		x ^= p[i];
	if (x != 0)
		a->errors |= SS_ATR_E_TCK_BAD;
}

static void
atr_set_rates(struct ss_atr *a)
{
	if (a->nlevels > 0 && a->levels[0].has_ta)
		a->fi_di = a->levels[0].ta;
	else
		a->fi_di = ATR_DEFAULT_FI_DI;
	a->fi = fi_table[a->fi_di >> 4];
	a->fmax_khz = fmax_table[a->fi_di >> 4];
	a->di = di_table[a->fi_di & 0x0f];
	if (a->protocols == 0)
		a->protocols = 1u << 0;	/* no TD1: T=0 implicitly */
}

int
ss_atr_parse(const uint8_t *p, size_t len, struct ss_atr *a)
{
	struct ss_rd	r;
	bool		need_tck = false;

	if (a == NULL)
		return SS_ERR_BAD_ARG;
	memset(a, 0, sizeof(*a));
	if (p == NULL || len == 0)
		return SS_ERR_BAD_ARG;
	ss_rd_init(&r, p, len);
	(void)ss_rd_u8(&r, &a->ts);
	if (a->ts != 0x3b && a->ts != 0x3f)
		a->errors |= SS_ATR_E_TS;
	if (ss_rd_u8(&r, &a->t0) < 0)
		a->errors |= SS_ATR_E_TRUNCATED;
	else
		atr_read_levels(&r, a, &need_tck);
	if ((a->errors & (SS_ATR_E_TRUNCATED | SS_ATR_E_TOO_LONG)) == 0)
		atr_read_hist(&r, a);
	if ((a->errors & (SS_ATR_E_TRUNCATED | SS_ATR_E_TOO_LONG)) == 0)
		atr_read_tck(&r, a, p, need_tck);
	a->len = r.off;
	if (a->len < len)
		a->errors |= SS_ATR_E_TRAILING;
	if (len > SS_ATR_MAX)
		a->errors |= SS_ATR_E_TOO_LONG;
	atr_set_rates(a);
	return a->errors ? SS_ERR_MALFORMED : SS_ERR_OK;
}

void
ss_atr_protocols_str(const struct ss_atr *a, char *buf, size_t cap)
{
	size_t	off = 0;
	int	n;
	unsigned t;

	if (buf == NULL || cap == 0)
		return;
	buf[0] = '\0';
	for (t = 0; t < 16; t++) {
		if ((a->protocols & (1u << t)) == 0)
			continue;
		n = snprintf(buf + off, cap - off, "%sT=%u", off ? " " : "", t);
		if (n < 0 || (size_t)n >= cap - off)
			break;
		off += (size_t)n;
	}
}

int
ss_atr_ctlv_next(struct ss_rd *r, uint8_t *tag, const uint8_t **val,
    size_t *len)
{
	uint8_t	b;

	if (r == NULL || tag == NULL || val == NULL || len == NULL)
		return SS_ERR_BAD_ARG;
	if (ss_rd_u8(r, &b) < 0 || ss_rd_ptr(r, val, b & 0x0fu) < 0)
		return SS_ERR_MALFORMED;
	*tag = (uint8_t)(b >> 4);
	*len = b & 0x0fu;
	return SS_ERR_OK;
}

int
ss_atr_hist_split(const uint8_t *hist, size_t len, struct ss_atr_hist *h)
{
	if (h == NULL)
		return SS_ERR_BAD_ARG;
	memset(h, 0, sizeof(*h));
	if (hist == NULL || len == 0)
		return SS_ERR_BAD_ARG;
	h->category = hist[0];
	if (hist[0] == HIST_CAT_COMPACT_TLV) {
		h->tlv = hist + 1;
		h->tlv_len = len - 1;
		return SS_ERR_OK;
	}
	if (hist[0] != HIST_CAT_STATUS_LAST)
		return SS_ERR_NOT_SUPPORTED;
	if (len < 4)
		return SS_ERR_MALFORMED;
	h->tlv = hist + 1;
	h->tlv_len = len - 4;
	h->has_status = true;
	h->lcs = hist[len - 3];
	h->sw = (uint16_t)((unsigned)hist[len - 2] << 8 | hist[len - 1]);
	return SS_ERR_OK;
}

/* Walk compact-TLV objects; copy the card capabilities (tag 7). */
static int
atr_find_caps(struct ss_rd *r, uint8_t caps[3], size_t *n)
{
	const uint8_t	*v;
	uint8_t		 tag;
	size_t		 l;
	int		 rc = SS_ERR_NOT_SUPPORTED;

	while (ss_rd_left(r) > 0) {
		if (ss_atr_ctlv_next(r, &tag, &v, &l) != SS_ERR_OK)
			return SS_ERR_MALFORMED;
		if (tag != HIST_TAG_CARD_CAPS || rc == SS_ERR_OK)
			continue;
		*n = (l > 3) ? 3 : l;
		memcpy(caps, v, *n);
		rc = SS_ERR_OK;
	}
	return rc;
}

int
ss_atr_card_caps(const uint8_t *hist, size_t hist_len, uint8_t caps[3],
    size_t *n)
{
	struct ss_atr_hist	h;
	struct ss_rd		r;
	int			rc;

	if (caps == NULL || n == NULL)
		return SS_ERR_BAD_ARG;
	memset(caps, 0, 3);
	*n = 0;
	if (hist == NULL || hist_len == 0)
		return SS_ERR_NOT_SUPPORTED;
	if ((rc = ss_atr_hist_split(hist, hist_len, &h)) != SS_ERR_OK)
		return rc;
	ss_rd_init(&r, h.tlv, h.tlv_len);
	return atr_find_caps(&r, caps, n);
}

static uint8_t
atr_caps3(const struct ss_atr *a)
{
	uint8_t	caps[3];
	size_t	n;

	if (a == NULL || ss_atr_card_caps(a->hist, a->hist_len, caps,
	    &n) != SS_ERR_OK || n < 3)
		return 0;
	return caps[2];
}

bool
ss_atr_supports_extended(const struct ss_atr *a)
{
	return (atr_caps3(a) & 0x40) != 0;
}

bool
ss_atr_supports_chaining(const struct ss_atr *a)
{
	return (atr_caps3(a) & 0x80) != 0;
}

/* Level 2: TA2 specific mode, TC2 the T=0 waiting integer. */
static void
atr_params_level2(const struct ss_atr_level *l, struct ss_atr_params *p)
{
	if (l->has_ta) {
		p->specific = true;
		p->specific_proto = l->ta & 0x0fu;
		p->specific_changeable = (l->ta & 0x80u) == 0;
		p->specific_implicit = (l->ta & 0x10u) != 0;
	}
	if (l->has_tc) {
		p->has_wi = true;
		p->wi = l->tc;
	}
}

/* Levels 3 and up: the first TA/TB/TC after a TD that names T=1. */
static void
atr_params_t1(const struct ss_atr_level *l, struct ss_atr_params *p)
{
	if (l->has_ta && !p->has_ifsc) {
		p->has_ifsc = true;
		p->ifsc = l->ta;
	}
	if (l->has_tb && !p->has_bwi_cwi) {
		p->has_bwi_cwi = true;
		p->bwi = l->tb >> 4;
		p->cwi = l->tb & 0x0fu;
	}
	if (l->has_tc && !p->has_edc) {
		p->has_edc = true;
		p->crc = (l->tc & 0x01u) != 0;
	}
}

/* Levels 3 and up: the first TA/TB after a TD that names T=15. */
static void
atr_params_t15(const struct ss_atr_level *l, struct ss_atr_params *p)
{
	if (l->has_ta && !p->has_class) {
		p->has_class = true;
		p->class_bits = l->ta & 0x3fu;
		p->clock_stop = (uint8_t)(l->ta >> 6);
	}
	if (l->has_tb && !p->has_spu) {
		p->has_spu = true;
		p->spu = l->tb;
	}
}

void
ss_atr_get_params(const struct ss_atr *a, struct ss_atr_params *p)
{
	size_t	i;

	if (p == NULL)
		return;
	memset(p, 0, sizeof(*p));
	p->wi = 10;
	p->ifsc = 32;
	p->bwi = 4;
	p->cwi = 13;
	if (a == NULL)
		return;
	if (a->nlevels > 0 && a->levels[0].has_tc) {
		p->has_guard = true;
		p->guard_n = a->levels[0].tc;
	}
	if (a->nlevels > 1)
		atr_params_level2(&a->levels[1], p);
	for (i = 2; i < a->nlevels && i < SS_ATR_MAX_LEVELS; i++) {
		if (a->levels[i].protocol == 1)
			atr_params_t1(&a->levels[i], p);
		else if (a->levels[i].protocol == 15)
			atr_params_t15(&a->levels[i], p);
	}
}
