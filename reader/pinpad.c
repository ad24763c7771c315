/*
 * reader/pinpad.c - PIN-pad readers: PC/SC v2 part 10 feature discovery
 * and the VERIFY / MODIFY PIN DIRECT structures for PIV.
 */
#include <string.h>

#include "err.h"
#include "pinpad.h"

#define PP_FEATURE_LEN		4	/* every feature value is a u32 */
#define PP_PROPERTIES_LEN	4	/* PIN_PROPERTIES_STRUCTURE */
#define PP_FORMAT_ASCII_BYTES	0x82	/* byte units, offset 0, left, ASCII */
#define PP_BLOCK_8		0x08	/* no length field, 8-byte block */
#define PP_VALIDATE_OK_KEY	0x02
#define PP_LANG_EN_US		0x0409
#define PP_CONFIRM_OLD_NEW	0x03	/* ask the current PIN, confirm new */
#define PP_PIN_BLOCK		8
#define PP_ANSWER_MAX		258

static uint16_t
pp_min_max(void)
{
	return (uint16_t)(SS_PIV_PIN_MIN << 8 | SS_PIV_PIN_MAX);
}

static void
pp_wr_u16le(struct ss_wr *w, uint16_t v)
{
	ss_wr_u8(w, (uint8_t)v);
	ss_wr_u8(w, (uint8_t)(v >> 8));
}

static void
pp_wr_u32le(struct ss_wr *w, uint32_t v)
{
	pp_wr_u16le(w, (uint16_t)v);
	pp_wr_u16le(w, (uint16_t)(v >> 16));
}

static void
pp_keep(struct ss_pinpad *p, uint8_t tag, uint32_t code)
{
	switch (tag) {
	case SS_FEATURE_VERIFY_PIN_DIRECT:
		p->verify_direct = code;
		break;
	case SS_FEATURE_MODIFY_PIN_DIRECT:
		p->modify_direct = code;
		break;
	case SS_FEATURE_IFD_PIN_PROPERTIES:
		p->pin_properties = code;
		break;
	default:
		break;
	}
}

int
ss_pinpad_parse_features(const uint8_t *b, size_t len, struct ss_pinpad *p)
{
	struct ss_rd	r;
	uint8_t		tag, l;
	uint32_t	code;

	if (p == NULL || (b == NULL && len > 0))
		return SS_ERR_BAD_ARG;
	memset(p, 0, sizeof(*p));
	ss_rd_init(&r, b, len);
	while (ss_rd_left(&r) > 0) {
		if (ss_rd_u8(&r, &tag) < 0 || ss_rd_u8(&r, &l) < 0 ||
		    l != PP_FEATURE_LEN || ss_rd_u32be(&r, &code) < 0)
			return SS_ERR_MALFORMED;
		pp_keep(p, tag, code);
	}
	return SS_ERR_OK;
}

int
ss_pinpad_parse_properties(const uint8_t *b, size_t len, struct ss_pinpad *p)
{
	struct ss_rd	r;
	uint8_t		lo, hi;

	if (p == NULL || (b == NULL && len > 0))
		return SS_ERR_BAD_ARG;
	p->has_properties = false;
	if (len != PP_PROPERTIES_LEN)
		return SS_ERR_MALFORMED;
	ss_rd_init(&r, b, len);
	(void)ss_rd_u8(&r, &lo);
	(void)ss_rd_u8(&r, &hi);
	(void)ss_rd_u8(&r, &p->entry_validation);
	if (ss_rd_u8(&r, &p->timeout2) < 0)
		return SS_ERR_MALFORMED;
	p->lcd_layout = (uint16_t)(hi << 8 | lo);
	p->has_properties = true;
	return SS_ERR_OK;
}

/* "The reader has no part 10 support" is not an error for discovery. */
static bool
pp_absent(int rc)
{
	return rc == SS_ERR_NOT_SUPPORTED || rc == SS_ERR_COMM ||
	    rc == SS_ERR_BAD_ARG;
}

int
ss_pinpad_discover(struct ss_chan *c, struct ss_pinpad *p)
{
	uint8_t	buf[PP_ANSWER_MAX];
	size_t	n = 0;
	int	rc;

	if (c == NULL || p == NULL)
		return SS_ERR_BAD_ARG;
	memset(p, 0, sizeof(*p));
	rc = ss_chan_control(c, SS_CM_IOCTL_GET_FEATURE_REQUEST, NULL, 0, buf,
	    sizeof(buf), &n, 0);
	if (rc != SS_ERR_OK)
		return pp_absent(rc) ? SS_ERR_OK : rc;
	if ((rc = ss_pinpad_parse_features(buf, n, p)) != SS_ERR_OK ||
	    p->pin_properties == 0)
		return rc;
	rc = ss_chan_control(c, p->pin_properties, NULL, 0, buf, sizeof(buf),
	    &n, 0);
	if (rc != SS_ERR_OK)
		return pp_absent(rc) ? SS_ERR_OK : rc;
	return ss_pinpad_parse_properties(buf, n, p);
}

bool
ss_pinpad_can_verify(const struct ss_pinpad *p)
{
	return p != NULL && p->verify_direct != 0;
}

/* bTimerOut .. bmPINLengthFormat, shared by both structures. */
static void
pp_put_format(struct ss_wr *w, uint8_t timeout)
{
	ss_wr_u8(w, timeout);		/* bTimerOut */
	ss_wr_u8(w, timeout);		/* bTimerOut2 */
	ss_wr_u8(w, PP_FORMAT_ASCII_BYTES);
	ss_wr_u8(w, PP_BLOCK_8);	/* bmPINBlockString */
	ss_wr_u8(w, 0x00);		/* bmPINLengthFormat: none */
}

/* CLA INS P1 P2 Lc and n PIN blocks of FF, after ulDataLength. */
static void
pp_put_apdu(struct ss_wr *w, uint8_t ins, uint8_t ref, size_t blocks)
{
	size_t lc = blocks * PP_PIN_BLOCK;

	pp_wr_u32le(w, (uint32_t)(5 + lc));	/* ulDataLength */
	ss_wr_u8(w, 0x00);
	ss_wr_u8(w, ins);
	ss_wr_u8(w, 0x00);
	ss_wr_u8(w, ref);
	ss_wr_u8(w, (uint8_t)lc);
	ss_wr_fill(w, 0xff, lc);
}

int
ss_pinpad_build_verify(struct ss_wr *w, uint8_t ref, uint8_t timeout)
{
	if (w == NULL)
		return SS_ERR_BAD_ARG;
	pp_put_format(w, timeout);
	pp_wr_u16le(w, pp_min_max());	/* wPINMaxExtraDigit */
	ss_wr_u8(w, PP_VALIDATE_OK_KEY);
	ss_wr_u8(w, 0x01);		/* bNumberMessage */
	pp_wr_u16le(w, PP_LANG_EN_US);
	ss_wr_u8(w, 0x00);		/* bMsgIndex */
	ss_wr_fill(w, 0x00, 3);		/* bTeoPrologue */
	pp_put_apdu(w, 0x20, ref, 1);
	return w->err ? SS_ERR_BUFFER : SS_ERR_OK;
}

int
ss_pinpad_build_modify(struct ss_wr *w, uint8_t ref, uint8_t timeout)
{
	if (w == NULL)
		return SS_ERR_BAD_ARG;
	pp_put_format(w, timeout);
	ss_wr_u8(w, 0x00);		/* bInsertionOffsetOld */
	ss_wr_u8(w, PP_PIN_BLOCK);	/* bInsertionOffsetNew */
	pp_wr_u16le(w, pp_min_max());
	ss_wr_u8(w, PP_CONFIRM_OLD_NEW);
	ss_wr_u8(w, PP_VALIDATE_OK_KEY);
	ss_wr_u8(w, 0x03);		/* bNumberMessage */
	pp_wr_u16le(w, PP_LANG_EN_US);
	ss_wr_u8(w, 0x00);		/* bMsgIndex1..3 */
	ss_wr_u8(w, 0x01);
	ss_wr_u8(w, 0x02);
	ss_wr_fill(w, 0x00, 3);		/* bTeoPrologue */
	pp_put_apdu(w, 0x24, ref, 2);
	return w->err ? SS_ERR_BUFFER : SS_ERR_OK;
}

/* Send a built structure; the answer must be exactly SW1 SW2. */
static int
pp_send(struct ss_chan *c, uint32_t code, const uint8_t *s, size_t len,
    uint16_t *sw)
{
	uint8_t	out[PP_ANSWER_MAX];
	size_t	n = 0;
	int	rc;

	rc = ss_chan_control(c, code, s, len, out, sizeof(out), &n, 0);
	if (rc != SS_ERR_OK)
		return rc;
	if (n != 2)
		return SS_ERR_MALFORMED;
	*sw = (uint16_t)(out[0] << 8 | out[1]);
	return SS_ERR_OK;
}

int
ss_pinpad_verify(struct ss_chan *c, const struct ss_pinpad *p, uint8_t ref,
    uint8_t timeout, uint16_t *sw)
{
	uint8_t		s[SS_PINPAD_VERIFY_LEN];
	struct ss_wr	w;

	if (c == NULL || p == NULL || sw == NULL)
		return SS_ERR_BAD_ARG;
	*sw = 0;
	if (p->verify_direct == 0)
		return SS_ERR_NOT_SUPPORTED;
	ss_wr_init(&w, s, sizeof(s));
	if (ss_pinpad_build_verify(&w, ref, timeout) != SS_ERR_OK)
		return SS_ERR_BUFFER;
	return pp_send(c, p->verify_direct, s, w.len, sw);
}

int
ss_pinpad_modify(struct ss_chan *c, const struct ss_pinpad *p, uint8_t ref,
    uint8_t timeout, uint16_t *sw)
{
	uint8_t		s[SS_PINPAD_MODIFY_LEN];
	struct ss_wr	w;

	if (c == NULL || p == NULL || sw == NULL)
		return SS_ERR_BAD_ARG;
	*sw = 0;
	if (p->modify_direct == 0)
		return SS_ERR_NOT_SUPPORTED;
	ss_wr_init(&w, s, sizeof(s));
	if (ss_pinpad_build_modify(&w, ref, timeout) != SS_ERR_OK)
		return SS_ERR_BUFFER;
	return pp_send(c, p->modify_direct, s, w.len, sw);
}
