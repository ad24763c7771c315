/*
 * tools/diag_readers.c - `smartsign-diag readers`: every reader with its
 * state, card, ATR, active protocol, whether another process uses it,
 * and what the reader says about itself (vendor, model, firmware).
 */
#include <stdlib.h>
#include <string.h>

#include "tools/diag.h"

#define CHANNEL_USB	0x0020u

static const char usage_text[] =
"usage: smartsign-diag readers [--json] [--reader NAME]\n"
"\n"
"Lists every reader pcscd knows: whether a card is in it (and its ATR and\n"
"name from pcsc-tools' list), the protocol negotiated, whether another\n"
"process has it connected (in use) or locked (exclusive), and the\n"
"vendor, model, firmware and serial number where the reader reports them\n"
"(SCardGetAttrib).  --reader limits the list to one reader.\n"
"\n"
"Exit status: 0 ok, 3 pcscd unreachable, 4 no reader, 9 internal error.\n";

static const char *
state_name(const struct ss_reader_info *r)
{
	if (!r->card)
		return "empty";
	if (r->mute)
		return "card mute (does not answer reset)";
	return "card present";
}

static void
emit_version(struct diag_out *o, const struct diag_attr *a)
{
	if (!a->has_version) {
		out_str(o, "firmware", NULL);
		return;
	}
	out_strf(o, "firmware", "%u.%u build %u", a->version >> 24,
	    (a->version >> 16) & 0xffu, a->version & 0xffffu);
}

static void
emit_channel(struct diag_out *o, const struct diag_attr *a)
{
	if (!a->has_channel)
		return;
	if (a->channel >> 16 == CHANNEL_USB)
		out_strf(o, "connection", "USB bus %u device %u",
		    (a->channel >> 8) & 0xffu, a->channel & 0xffu);
	else
		out_strf(o, "connection", "channel 0x%08X", a->channel);
}

static void
emit_attrs(struct diag_out *o, const struct diag_pcsc *p,
    const struct ss_reader_info *r)
{
	struct diag_attr	a;

	diag_reader_attrs(p, r, &a);
	if (!a.connected) {
		out_strf(o, "connect", "failed: %s", ss_strerror(a.conn_err));
		if (a.conn_err == SS_ERR_SHARING)
			out_warn(o, "'%s' is held exclusively by another "
			    "process (close other smart-card programs)",
			    r->name);
		return;
	}
	if (r->card)
		out_str(o, "protocol", diag_proto_name(a.protocol));
	out_str(o, "vendor", a.vendor[0] ? a.vendor : NULL);
	out_str(o, "model", a.ifd_type[0] ? a.ifd_type : NULL);
	emit_version(o, &a);
	out_str(o, "serial", a.ifd_serial[0] ? a.ifd_serial : NULL);
	emit_channel(o, &a);
	if (a.has_maxinput)
		out_int(o, "max_apdu_input", a.maxinput);
}

static void
emit_card_name(struct diag_out *o, const struct ss_reader_info *r)
{
	char	*names[DIAG_NAMES_MAX];
	size_t	 n = 0;

	if (diag_cardlist_lookup(NULL, r->atr, r->atr_len, names,
	    DIAG_NAMES_MAX, &n) < 0)
		return;
	out_str(o, "card_name", n > 0 ? names[0] : NULL);
	diag_cardlist_free(names, n);
}

static void
emit_one(struct diag_out *o, const struct diag_pcsc *p,
    const struct ss_reader_info *r, bool attrs)
{
	out_obj(o, NULL, r->name);
	out_str(o, "name", r->name);
	out_str(o, "state", state_name(r));
	out_bool(o, "card", r->card);
	if (r->card && r->atr_len > 0) {
		out_hex(o, "atr", r->atr, r->atr_len);
		emit_card_name(o, r);
	}
	out_bool(o, "in_use", r->inuse);
	out_bool(o, "exclusive", r->exclusive);
	if (r->exclusive)
		out_warn(o, "another process holds '%s' exclusively", r->name);
	if (r->mute)
		out_warn(o, "the card in '%s' does not answer: is it inserted "
		    "the right way round, chip first?", r->name);
	if (attrs)
		emit_attrs(o, p, r);
	out_end(o);
}

int
diag_readers_emit(struct diag_out *o, const struct diag_pcsc *p, bool attrs)
{
	size_t	i;

	out_arr(o, "readers", NULL);
	for (i = 0; i < p->n; i++)
		emit_one(o, p, &p->info[i], attrs);
	out_end(o);
	if (p->n == 0) {
		out_line(o, "no reader attached");
		out_warn(o, "pcscd sees no reader: plug one in, or run "
		    "`smartsign-diag doctor` (driver, udev rules)");
		return DIAG_EXIT_NO_READER;
	}
	return DIAG_EXIT_OK;
}

int
diag_cmd_readers(int argc, char **argv)
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
		fprintf(stderr, "smartsign-diag readers: no operands\n");
		return DIAG_EXIT_USAGE;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return DIAG_EXIT_INTERNAL;
	if ((rc = diag_pcsc_open(p)) != SS_ERR_OK) {
		fprintf(stderr, "smartsign-diag: pcscd: %s (run "
		    "`smartsign-diag doctor`)\n", ss_strerror(rc));
		diag_pcsc_close(p);
		free(p);
		return diag_exit_for(rc);
	}
	if (opt.reader != NULL) {
		if ((rc = diag_pick_reader(p, opt.reader, false, &r)) == 0) {
			p->info[0] = *r;
			p->n = 1;
		}
	}
	if (rc == DIAG_EXIT_OK) {
		out_init(&o, stdout, opt.json);
		rc = diag_readers_emit(&o, p, true);
		out_finish(&o);
	}
	diag_pcsc_close(p);
	free(p);
	return rc;
}
