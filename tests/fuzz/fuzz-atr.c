/*
 * tests/fuzz/fuzz-atr.c - ATR bytes from a hostile card or reader into
 * reader/atr.c: the decoder, the interface parameters, the historical
 * bytes' structure, the compact-TLV walk and the extended-APDU and
 * chaining capability helpers the channel decides with.
 *
 * Input: byte 0 is the capacity given to ss_atr_protocols_str(), the
 * rest is the ATR (any length: the decoder must flag, not overrun, more
 * than 33 bytes).  Beyond "no crash", the decoder's promises are checked
 * (abort() when one is broken): it never claims more bytes than it got,
 * never more levels or historical bytes than fit, and a well-formed ATR
 * has no error bit.
 */
#include <stdlib.h>
#include <string.h>

#include "reader/atr.h"
#include "reader/err.h"
#include "fuzz.h"

#define STR_CAP_MAX	64

static void
check_atr(const struct ss_atr *a, size_t len, int rc)
{
	if (a->len > len || a->nlevels > SS_ATR_MAX_LEVELS ||
	    a->hist_len > SS_ATR_HIST_MAX)
		abort();
	if ((rc == SS_ERR_OK) != (a->errors == 0))
		abort();
	if (rc == SS_ERR_OK && (len > SS_ATR_MAX || a->len != len))
		abort();
}

static void
walk_hist(const uint8_t *hist, size_t len)
{
	struct ss_atr_hist	 h;
	struct ss_rd		 r;
	const uint8_t		*v;
	uint8_t			 caps[3], tag;
	size_t			 n = 0, l;

	(void)ss_atr_card_caps(hist, len, caps, &n);
	if (n > sizeof(caps))
		abort();
	if (ss_atr_hist_split(hist, len, &h) != SS_ERR_OK)
		return;
	if (h.tlv_len > len || (h.tlv_len > 0 && (h.tlv < hist ||
	    h.tlv + h.tlv_len > hist + len)))
		abort();
	ss_rd_init(&r, h.tlv, h.tlv_len);
	while (ss_rd_left(&r) > 0 &&
	    ss_atr_ctlv_next(&r, &tag, &v, &l) == SS_ERR_OK)
		if (l > 15 || tag > 15)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ss_atr_params	 p;
	struct ss_atr		 a;
	struct ss_rd		 in;
	const uint8_t		*atr;
	char			 str[STR_CAP_MAX];
	size_t			 cap, len;
	int			 rc;

	ss_rd_init(&in, data, size);
	cap = fz_u8(&in) % sizeof(str);
	len = fz_take(&in, ss_rd_left(&in), &atr);
	rc = ss_atr_parse(atr, len, &a);
	if (rc == SS_ERR_BAD_ARG)
		return 0;
	check_atr(&a, len, rc);
	memset(str, 'x', sizeof(str));
	ss_atr_protocols_str(&a, str, cap);
	if (cap > 0 && memchr(str, '\0', cap) == NULL)
		abort();
	ss_atr_get_params(&a, &p);
	(void)ss_atr_supports_extended(&a);
	(void)ss_atr_supports_chaining(&a);
	walk_hist(a.hist, a.hist_len);
	walk_hist(atr, len);	/* raw bytes as historical bytes */
	return 0;
}
