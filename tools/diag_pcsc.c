/*
 * tools/diag_pcsc.c - the reader list, reader choice, and reader
 * attributes/control for smartsign-diag, over reader/readers.h,
 * reader/channel.h and the transport table.
 *
 * Attributes and SCardControl need a connection: a shared one through
 * the channel when a card is in, else a direct one (SCARD_SHARE_DIRECT,
 * no protocol), which pcsc-lite allows for an empty reader.
 */
#include <ctype.h>
#include <string.h>

#include "reader/channel.h"
#include "reader/pcsc.h"
#include "tools/diag.h"

#define ATTR_VENDOR_NAME	0x00010100u
#define ATTR_VENDOR_IFD_TYPE	0x00010101u
#define ATTR_VENDOR_IFD_VERSION	0x00010102u
#define ATTR_VENDOR_IFD_SERIAL	0x00010103u
#define ATTR_CHANNEL_ID		0x00020110u
#define ATTR_MAXINPUT		0x0007a007u
#define ATTR_BUF		256

struct conn {
	const struct ss_transport	*t;
	struct ss_chan			*chan;
	ss_tctx				 ctx;
	ss_tcard			 card;
	bool				 have_ctx, have_card;
	uint32_t			 proto;
};

int
diag_pcsc_open(struct diag_pcsc *p)
{
	size_t	i;
	int	rc;

	memset(p, 0, sizeof(*p));
	ss_pcsc_transport(&p->t);
	if ((rc = ss_readers_new(&p->rl, &p->t)) != SS_ERR_OK)
		return rc;
	if ((rc = ss_readers_refresh(p->rl)) != SS_ERR_OK)
		return rc;
	for (i = 0; i < ss_readers_count(p->rl) && p->n < SS_READERS_MAX;
	    i++)
		if (ss_readers_get(p->rl, (unsigned)i, &p->info[p->n]) ==
		    SS_ERR_OK && p->info[p->n].present)
			p->n++;
	return SS_ERR_OK;
}

void
diag_pcsc_close(struct diag_pcsc *p)
{
	ss_readers_free(&p->rl);
}

const char *
diag_proto_name(uint32_t proto)
{
	if (proto == SS_PROTO_T0)
		return "T=0";
	if (proto == SS_PROTO_T1)
		return "T=1";
	return "-";
}

static bool
name_contains(const char *hay, const char *needle)
{
	size_t	i, j, n = strlen(needle);

	for (i = 0; hay[i] != '\0'; i++) {
		for (j = 0; j < n && hay[i + j] != '\0'; j++)
			if (tolower((unsigned char)hay[i + j]) !=
			    tolower((unsigned char)needle[j]))
				break;
		if (j == n)
			return true;
	}
	return n == 0;
}

static const struct ss_reader_info *
find_named(const struct diag_pcsc *p, const char *name)
{
	size_t	i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->info[i].name, name) == 0)
			return &p->info[i];
	for (i = 0; i < p->n; i++)
		if (name_contains(p->info[i].name, name))
			return &p->info[i];
	return NULL;
}

int
diag_pick_reader(const struct diag_pcsc *p, const char *name,
    bool need_card, const struct ss_reader_info **out)
{
	const struct ss_reader_info	*r = NULL;
	size_t				 i;

	*out = NULL;
	if (p->n == 0) {
		fprintf(stderr, "smartsign-diag: no reader attached (is it "
		    "plugged in? see `smartsign-diag doctor`)\n");
		return DIAG_EXIT_NO_READER;
	}
	if (name != NULL) {
		if ((r = find_named(p, name)) == NULL) {
			fprintf(stderr, "smartsign-diag: no reader named "
			    "'%s' (see `smartsign-diag readers`)\n", name);
			return DIAG_EXIT_NO_READER;
		}
	} else {
		for (i = 0; i < p->n && r == NULL; i++)
			if (p->info[i].card || !need_card)
				r = &p->info[i];
		if (r == NULL)
			r = &p->info[0];
	}
	if (need_card && (!r->card || r->mute)) {
		fprintf(stderr, "smartsign-diag: %s in '%s'\n", r->card ?
		    "the card does not answer (mute; turn it round?)" :
		    "no card", r->name);
		return DIAG_EXIT_NO_CARD;
	}
	*out = r;
	return DIAG_EXIT_OK;
}

static int
conn_open(struct conn *c, const struct diag_pcsc *p,
    const struct ss_reader_info *r)
{
	const struct ss_transport_ops	*ops = p->t.ops;
	int				 rc;

	memset(c, 0, sizeof(*c));
	c->t = &p->t;
	if (r->card && !r->mute &&
	    ss_chan_open(&c->chan, &p->t, r->name, NULL) == SS_ERR_OK) {
		c->proto = ss_chan_protocol(c->chan);
		return SS_ERR_OK;
	}
	if ((rc = ops->establish(p->t.priv, &c->ctx)) != SS_ERR_OK)
		return rc;
	c->have_ctx = true;
	rc = ops->connect(p->t.priv, c->ctx, r->name, SS_SHARE_DIRECT, 0,
	    &c->card, &c->proto);
	c->have_card = rc == SS_ERR_OK;
	c->proto = 0;
	return rc;
}

static void
conn_close(struct conn *c)
{
	const struct ss_transport_ops *ops = c->t->ops;

	ss_chan_free(&c->chan);
	if (c->have_card)
		(void)ops->disconnect(c->t->priv, c->card, SS_LEAVE_CARD);
	if (c->have_ctx)
		(void)ops->release(c->t->priv, c->ctx);
	c->have_card = c->have_ctx = false;
}

static int
conn_attrib(struct conn *c, uint32_t attr, uint8_t *buf, size_t cap,
    size_t *len)
{
	int	rc;

	*len = 0;
	if (c->chan != NULL)
		rc = ss_chan_get_attrib(c->chan, attr, buf, cap, len);
	else
		rc = c->t->ops->get_attrib(c->t->priv, c->card, attr, buf, cap,
		    len);
	if (rc == SS_ERR_OK && *len > cap)
		rc = SS_ERR_MALFORMED;	/* a transport is untrusted */
	return rc;
}

/* A string attribute: up to the first NUL, printable or not (escaped at
 * output). */
static void
attr_string(struct conn *c, uint32_t attr, char *out, size_t cap)
{
	uint8_t		 b[ATTR_BUF];
	struct ss_rd	 r;
	const uint8_t	*s, *nul;
	size_t		 n;

	out[0] = '\0';
	if (conn_attrib(c, attr, b, sizeof(b), &n) != SS_ERR_OK || n == 0)
		return;
	if ((nul = memchr(b, '\0', n)) != NULL)
		n = (size_t)(nul - b);
	if (n >= cap)
		n = cap - 1;
	ss_rd_init(&r, b, n);
	if (ss_rd_ptr(&r, &s, n) == 0) {
		memcpy(out, s, n);
		out[n] = '\0';
	}
}

/* A DWORD attribute: 4 or 8 bytes in host order (pcsc-lite's DWORD). */
static bool
attr_dword(struct conn *c, uint32_t attr, uint32_t *v)
{
	uint8_t		b[ATTR_BUF];
	struct ss_rd	r;
	uint32_t	v32;
	uint64_t	v64;
	size_t		n;

	if (conn_attrib(c, attr, b, sizeof(b), &n) != SS_ERR_OK)
		return false;
	ss_rd_init(&r, b, n);
	if (n == sizeof(v32) && ss_rd_bytes(&r, (uint8_t *)&v32, n) == 0) {
		*v = v32;
		return true;
	}
	if (n == sizeof(v64) && ss_rd_bytes(&r, (uint8_t *)&v64, n) == 0) {
		*v = (uint32_t)v64;
		return true;
	}
	return false;
}

void
diag_reader_attrs(const struct diag_pcsc *p, const struct ss_reader_info *r,
    struct diag_attr *a)
{
	struct conn	c;

	memset(a, 0, sizeof(*a));
	a->conn_err = conn_open(&c, p, r);
	if (a->conn_err == SS_ERR_OK) {
		a->connected = true;
		a->protocol = c.proto;
		attr_string(&c, ATTR_VENDOR_NAME, a->vendor, sizeof(a->vendor));
		attr_string(&c, ATTR_VENDOR_IFD_TYPE, a->ifd_type,
		    sizeof(a->ifd_type));
		attr_string(&c, ATTR_VENDOR_IFD_SERIAL, a->ifd_serial,
		    sizeof(a->ifd_serial));
		a->has_version = attr_dword(&c, ATTR_VENDOR_IFD_VERSION,
		    &a->version);
		a->has_channel = attr_dword(&c, ATTR_CHANNEL_ID, &a->channel);
		a->has_maxinput = attr_dword(&c, ATTR_MAXINPUT, &a->maxinput);
	}
	conn_close(&c);
}

int
diag_reader_control(const struct diag_pcsc *p,
    const struct ss_reader_info *r, uint32_t code, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, size_t *len)
{
	struct conn	c;
	int		rc;

	*len = 0;
	if ((rc = conn_open(&c, p, r)) == SS_ERR_OK) {
		if (c.chan != NULL)
			rc = ss_chan_control(c.chan, code, in, in_len, out, cap,
			    len, 0);
		else
			rc = c.t->ops->control(c.t->priv, c.card, code, in,
			    in_len, out, cap, len);
		if (rc == SS_ERR_OK && *len > cap)
			rc = SS_ERR_MALFORMED;
	}
	conn_close(&c);
	return rc;
}
