/*
 * tools/diag_features.c - `smartsign-diag features`: what the reader
 * offers through PC/SC v2 part 10 (SCardControl GET_FEATURE_REQUEST):
 * PIN pad verify and modify, PIN properties (display, validation,
 * timeout) and the TLV properties (PIN lengths, firmware, USB ids).
 * Parsing of the feature list and PIN properties is reader/pinpad.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "reader/pinpad.h"
#include "tools/diag.h"

#define FEATURE_ANSWER_MAX	256
#define FEATURE_TLV_PROPERTIES	0x12
#define TLV_LCD_LAYOUT		1
#define TLV_MIN_PIN		6
#define TLV_MAX_PIN		7
#define TLV_FIRMWARE_ID		8
#define TLV_PPDU		9
#define TLV_MAX_APDU		10
#define TLV_VENDOR		11
#define TLV_PRODUCT		12

static const char usage_text[] =
"usage: smartsign-diag features [--json] [--reader NAME]\n"
"\n"
"Asks the reader (SCardControl CM_IOCTL_GET_FEATURE_REQUEST, PC/SC v2\n"
"part 10) what it offers: PIN entry on its own keypad (verify, modify),\n"
"its display, PIN length limits and firmware.  A reader without a PIN\n"
"pad usually offers nothing; that is not an error.  No card is needed.\n"
"\n"
"Exit status: 0 ok, 3 pcscd unreachable, 4 no reader, 6 the reader\n"
"answered with garbage.\n";

static const char *const feature_names[] = {
	NULL, "VERIFY_PIN_START", "VERIFY_PIN_FINISH", "MODIFY_PIN_START",
	"MODIFY_PIN_FINISH", "GET_KEY_PRESSED", "VERIFY_PIN_DIRECT",
	"MODIFY_PIN_DIRECT", "MCT_READER_DIRECT", "MCT_UNIVERSAL",
	"IFD_PIN_PROPERTIES", "ABORT", "SET_SPE_MESSAGE",
	"VERIFY_PIN_DIRECT_APP_ID", "MODIFY_PIN_DIRECT_APP_ID",
	"WRITE_DISPLAY", "GET_KEY", "IFD_DISPLAY_PROPERTIES",
	"GET_TLV_PROPERTIES", "CCID_ESC_COMMAND",
};

#define NFEATURE_NAMES	(sizeof(feature_names) / sizeof(feature_names[0]))

/* Every feature TLV, named; returns the TLV properties control code. */
static uint32_t
emit_feature_list(struct diag_out *o, const uint8_t *b, size_t n)
{
	struct ss_rd	r;
	uint8_t		tag, len;
	uint32_t	code, tlv_code = 0;

	out_arr(o, "features", "features");
	ss_rd_init(&r, b, n);
	while (ss_rd_left(&r) > 0) {
		if (ss_rd_u8(&r, &tag) < 0 || ss_rd_u8(&r, &len) < 0 ||
		    len != 4 || ss_rd_u32be(&r, &code) < 0)
			break;
		if (tag == FEATURE_TLV_PROPERTIES)
			tlv_code = code;
		if (tag < NFEATURE_NAMES && feature_names[tag] != NULL)
			out_str(o, NULL, feature_names[tag]);
		else
			out_strf(o, NULL, "feature %02X", tag);
	}
	out_end(o);
	return tlv_code;
}

/* A little-endian value of 1, 2 or 4 bytes. */
static uint32_t
le_value(const uint8_t *v, size_t len)
{
	struct ss_rd	r;
	uint32_t	x = 0;
	uint8_t		b;
	size_t		i;

	ss_rd_init(&r, v, len > 4 ? 4 : len);
	for (i = 0; ss_rd_u8(&r, &b) == 0; i++)
		x |= (uint32_t)b << (8 * i);
	return x;
}

static void
emit_tlv_prop(struct diag_out *o, uint8_t tag, const uint8_t *v, size_t l)
{
	char	fw[64];

	switch (tag) {
	case TLV_MIN_PIN:
		out_int(o, "min_pin_length", le_value(v, l));
		break;
	case TLV_MAX_PIN:
		out_int(o, "max_pin_length", le_value(v, l));
		break;
	case TLV_FIRMWARE_ID:
		if (l >= sizeof(fw))
			l = sizeof(fw) - 1;
		memcpy(fw, v, l);
		fw[l] = '\0';
		out_str(o, "firmware_id", fw);
		break;
	case TLV_PPDU:
		out_int(o, "ppdu_support", le_value(v, l));
		break;
	case TLV_MAX_APDU:
		out_int(o, "max_apdu_data", le_value(v, l));
		break;
	case TLV_VENDOR:
		out_strf(o, "usb_vendor", "%04x", le_value(v, l));
		break;
	case TLV_PRODUCT:
		out_strf(o, "usb_product", "%04x", le_value(v, l));
		break;
	default:
		break;
	}
}

static void
emit_tlv_props(struct diag_out *o, const struct diag_pcsc *p,
    const struct ss_reader_info *r, uint32_t code)
{
	uint8_t		 b[FEATURE_ANSWER_MAX], tag, len;
	const uint8_t	*v;
	struct ss_rd	 rd;
	size_t		 n;

	if (diag_reader_control(p, r, code, NULL, 0, b, sizeof(b), &n) != 0)
		return;
	out_obj(o, "properties", "properties");
	ss_rd_init(&rd, b, n);
	while (ss_rd_left(&rd) > 0) {
		if (ss_rd_u8(&rd, &tag) < 0 || ss_rd_u8(&rd, &len) < 0 ||
		    ss_rd_ptr(&rd, &v, len) < 0)
			break;
		emit_tlv_prop(o, tag, v, len);
	}
	out_end(o);
}

static void
emit_pin_properties(struct diag_out *o, const struct diag_pcsc *p,
    const struct ss_reader_info *r, struct ss_pinpad *pp)
{
	uint8_t	b[FEATURE_ANSWER_MAX];
	size_t	n;

	if (pp->pin_properties == 0 || diag_reader_control(p, r,
	    pp->pin_properties, NULL, 0, b, sizeof(b), &n) != 0 ||
	    ss_pinpad_parse_properties(b, n, pp) != SS_ERR_OK)
		return;
	if (pp->lcd_layout == 0)
		out_str(o, "display", "none");
	else
		out_strf(o, "display", "%u lines of %u characters",
		    pp->lcd_layout >> 8, pp->lcd_layout & 0xffu);
	out_strf(o, "pin_entry_ends_on", "%s%s%s",
	    (pp->entry_validation & 1u) ? "max length " : "",
	    (pp->entry_validation & 2u) ? "key " : "",
	    (pp->entry_validation & 4u) ? "timeout" : "");
	out_int(o, "timeout_after_first_key", pp->timeout2);
}

int
diag_features_emit(struct diag_out *o, const struct diag_pcsc *p,
    const struct ss_reader_info *r)
{
	uint8_t		b[FEATURE_ANSWER_MAX];
	struct ss_pinpad pp;
	size_t		n = 0;
	uint32_t	tlv;
	int		rc;

	out_str(o, "reader", r->name);
	rc = diag_reader_control(p, r, SS_CM_IOCTL_GET_FEATURE_REQUEST, NULL,
	    0, b, sizeof(b), &n);
	if (rc != SS_ERR_OK)
		n = 0;	/* part 10 not supported: no features */
	memset(&pp, 0, sizeof(pp));
	if (n > 0 && ss_pinpad_parse_features(b, n, &pp) != SS_ERR_OK)
		out_warn(o, "the reader's feature list is malformed");
	tlv = emit_feature_list(o, b, n);
	out_bool(o, "pinpad_verify", pp.verify_direct != 0);
	out_bool(o, "pinpad_modify", pp.modify_direct != 0);
	if (pp.verify_direct == 0)
		out_line(o, "no PIN pad: the PIN is typed on the computer");
	emit_pin_properties(o, p, r, &pp);
	if (tlv != 0)
		emit_tlv_props(o, p, r, tlv);
	return rc == SS_ERR_NO_SERVICE ? DIAG_EXIT_NO_SERVICE : DIAG_EXIT_OK;
}

int
diag_cmd_features(int argc, char **argv)
{
	struct diag_opts		 opt;
	struct diag_out			 o;
	struct diag_pcsc		*p;
	const struct ss_reader_info	*r;
	int				 n, rc;

	if ((rc = diag_parse(argc, argv, usage_text, NULL, &opt, NULL, NULL,
	    &n)) != 0)
		return rc > 0 ? DIAG_EXIT_OK : DIAG_EXIT_USAGE;
	if (n > 0) {
		fprintf(stderr, "smartsign-diag features: no operands\n");
		return DIAG_EXIT_USAGE;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return DIAG_EXIT_INTERNAL;
	if ((rc = diag_pcsc_open(p)) != SS_ERR_OK) {
		fprintf(stderr, "smartsign-diag: pcscd: %s\n", ss_strerror(rc));
		rc = diag_exit_for(rc);
	} else if ((rc = diag_pick_reader(p, opt.reader, false, &r)) == 0) {
		out_init(&o, stdout, opt.json);
		rc = diag_features_emit(&o, p, r);
		out_finish(&o);
	}
	diag_pcsc_close(p);
	free(p);
	return rc;
}
