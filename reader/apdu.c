/*
 * reader/apdu.c - command APDU parsing and encoding (ISO 7816-3/-4 cases).
 */
#include "apdu.h"

static int
apdu_parse_short(const uint8_t *b, size_t len, struct ss_apdu *a)
{
	size_t p3 = b[4];

	if (len == 5) {			/* case 2S */
		a->has_le = true;
		a->le = p3 ? p3 : 256;
		return 0;
	}
	if (p3 == 0)
		return -1;
	a->lc = p3;
	a->data = b + 5;
	if (len == 5 + p3)		/* case 3S */
		return 0;
	if (len == 6 + p3) {		/* case 4S */
		a->has_le = true;
		a->le = b[len - 1] ? b[len - 1] : 256;
		return 0;
	}
	return -1;
}

static int
apdu_parse_ext(const uint8_t *b, size_t len, struct ss_apdu *a)
{
	size_t n = (size_t)b[5] << 8 | b[6];

	a->extended = true;
	if (len == 7) {			/* case 2E */
		a->has_le = true;
		a->le = n ? n : 65536;
		return 0;
	}
	if (n == 0)
		return -1;
	a->lc = n;
	a->data = b + 7;
	if (len == 7 + n)		/* case 3E */
		return 0;
	if (len == 9 + n) {		/* case 4E */
		n = (size_t)b[len - 2] << 8 | b[len - 1];
		a->has_le = true;
		a->le = n ? n : 65536;
		return 0;
	}
	return -1;
}

int
ss_apdu_parse(const uint8_t *b, size_t len, struct ss_apdu *a)
{
	int rc;

	a->cla = a->ins = a->p1 = a->p2 = 0;
	a->data = NULL;
	a->lc = a->le = 0;
	a->has_le = a->extended = false;
	if (b == NULL || len < 4)
		return -1;
	a->cla = b[0];
	a->ins = b[1];
	a->p1 = b[2];
	a->p2 = b[3];
	if (len == 4)			/* case 1 */
		rc = 0;
	else if (b[4] != 0 || len == 5)
		rc = apdu_parse_short(b, len, a);
	else if (len >= 7)
		rc = apdu_parse_ext(b, len, a);
	else
		rc = -1;
	if (rc < 0) {
		a->data = NULL;
		a->lc = 0;
	}
	return rc;
}

static int
apdu_put_len(struct ss_wr *w, size_t n, bool ext, size_t max)
{
	if (n > max)
		return -1;
	if (!ext)
		return ss_wr_u8(w, (uint8_t)(n == max ? 0 : n));
	return ss_wr_u16be(w, (uint16_t)(n == max ? 0 : n));
}

int
ss_apdu_encode(struct ss_wr *w, const struct ss_apdu *a)
{
	bool	ext = a->extended || a->lc > SS_APDU_SHORT_MAX_DATA ||
		    (a->has_le && a->le > 256);

	if (a->lc > SS_APDU_EXT_MAX_DATA || (a->lc > 0 && a->data == NULL))
		return -1;
	ss_wr_u8(w, a->cla);
	ss_wr_u8(w, a->ins);
	ss_wr_u8(w, a->p1);
	ss_wr_u8(w, a->p2);
	if (ext && (a->lc > 0 || a->has_le))
		ss_wr_u8(w, 0);
	if (a->lc > 0 && (apdu_put_len(w, a->lc, ext, 0x10000) < 0 ||
	    ss_wr_bytes(w, a->data, a->lc) < 0))
		return -1;
	if (a->has_le && apdu_put_len(w, a->le, ext, ext ? 65536 : 256) < 0)
		return -1;
	return w->err ? -1 : 0;
}

int
ss_apdu_split_sw(const uint8_t *resp, size_t len, size_t *datalen,
    uint16_t *sw)
{
	if (resp == NULL || len < 2)
		return -1;
	*datalen = len - 2;
	*sw = (uint16_t)((unsigned)resp[len - 2] << 8 | resp[len - 1]);
	return 0;
}
