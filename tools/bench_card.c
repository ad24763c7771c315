/*
 * tools/bench_card.c - the runner's own PC/SC work, outside every
 * measured part: read the card's PIV certificates (the reference the
 * signatures are verified against, and the floor of a certificate read
 * in APDUs, with extended APDUs when the card and reader take them), and
 * time one APDU round trip through libpcsclite, pcscd and
 * the reader driver.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader/apdu.h"
#include "reader/channel.h"
#include "reader/pcsc.h"
#include "reader/tlv.h"
#include "tools/bench.h"

#define RESP_MAX	8192

static const uint8_t	piv_aid[] = {
	0xa0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
};

/* 9A, 9C, 9D, 9E (BENCH_CERT_* order). */
static const uint8_t	cert_tags[BENCH_NCERTS][3] = {
	{ 0x5f, 0xc1, 0x05 }, { 0x5f, 0xc1, 0x0a }, { 0x5f, 0xc1, 0x0b },
	{ 0x5f, 0xc1, 0x01 },
};

static void
count_apdu(void *arg, const struct ss_trace_rec *rec)
{
	size_t	*n = arg;

	if (rec->kind == SS_TRACE_APDU)
		(*n)++;
}

static int
chan_open(const char *reader, struct ss_chan **ch)
{
	static struct ss_transport	t;
	struct ss_chan_opts		o = { .ext = SS_EXT_PREFER };
	int				rc;

	ss_pcsc_transport(&t);
	if ((rc = ss_chan_open(ch, &t, reader, &o)) != SS_ERR_OK) {
		fprintf(stderr, "smartsign-bench: reader '%s': %s\n", reader,
		    ss_strerror(rc));
		return -1;
	}
	return 0;
}

static int
select_piv(struct ss_chan *ch, unsigned flags)
{
	struct ss_apdu	a = { .cla = 0x00, .ins = 0xa4, .p1 = 0x04, .p2 = 0x00,
		.data = piv_aid, .lc = sizeof(piv_aid), .le = 256,
		.has_le = true };
	uint8_t		resp[512];
	size_t		len;
	uint16_t	sw;

	if (ss_chan_transmit(ch, &a, flags, resp, sizeof(resp), &len, &sw) !=
	    SS_ERR_OK)
		return -1;
	return sw == SS_SW_OK ? 0 : -1;
}

static int
write_der(const char *dir, int i, const uint8_t *p, size_t n)
{
	char	path[4096];
	FILE	*fp;
	int	rc = 0;

	snprintf(path, sizeof(path), "%s/cert%d.der", dir, i);
	if ((fp = fopen(path, "wb")) == NULL)
		return -1;
	if (fwrite(p, 1, n, fp) != n)
		rc = -1;
	if (fclose(fp) != 0)
		rc = -1;
	return rc;
}

/* GET DATA of one certificate object; its DER goes to DIR/cert<i>.der. */
static int
read_cert(struct ss_chan *ch, int i, const char *dir)
{
	uint8_t		req[5] = { 0x5c, 0x03 }, *resp;
	struct ss_apdu	a = { .cla = 0x00, .ins = 0xcb, .p1 = 0x3f, .p2 = 0xff,
		.data = req, .lc = sizeof(req), .le = 256, .has_le = true };
	struct ss_tlv	obj, cert;
	size_t		len;
	uint16_t	sw;
	int		rc = -1;

	memcpy(req + 2, cert_tags[i], 3);
	if (ss_chan_extended(ch))
		a.le = 65536;		/* the whole object at once */
	if ((resp = malloc(RESP_MAX)) == NULL)
		return -1;
	if (ss_chan_transmit(ch, &a, 0, resp, RESP_MAX, &len, &sw) ==
	    SS_ERR_OK && sw == SS_SW_OK &&
	    ss_tlv_expect(resp, len, 0x53, &obj) == 0 &&
	    ss_tlv_find(obj.val, obj.len, 0x70, &cert) == 0 &&
	    cert.len < BENCH_CERT_MAX)
		rc = write_der(dir, i, cert.val, cert.len);
	free(resp);
	return rc;
}

/*
 * Read the four PIV certificates into DIR; apdus[i] is the number of
 * APDUs certificate i took (one with an extended Le, when the card's ATR
 * offers extended APDUs and the reader takes them; else GET DATA + GET
 * RESPONSEs), 0 if the card has none; *extended whether extended APDUs
 * were in use at the end.  -1 if the reader or the 9A/9C certificates
 * fail.
 */
int
bench_card_certs(const char *reader, const char *dir, size_t *apdus,
    bool *extended)
{
	struct ss_chan	*ch = NULL;
	size_t		 n = 0;
	int		 i, rc = -1;

	if (chan_open(reader, &ch) < 0)
		return -1;
	if (ss_chan_begin(ch) != SS_ERR_OK)
		goto out;
	if (select_piv(ch, 0) < 0)
		goto end;
	ss_chan_set_trace(ch, count_apdu, &n);
	rc = 0;
	for (i = 0; i < BENCH_NCERTS; i++) {
		n = 0;
		if (read_cert(ch, i, dir) < 0) {
			apdus[i] = 0;
			if (i == BENCH_CERT_9A || i == BENCH_CERT_9C)
				rc = -1;
		} else
			apdus[i] = n;
	}
	ss_chan_set_trace(ch, NULL, NULL);
	*extended = ss_chan_extended(ch);
end:
	ss_chan_end(ch);
out:
	ss_chan_free(&ch);
	return rc;
}

/*
 * n SELECTs of the PIV application, one raw exchange each, in one
 * transaction; ms[i] is the wall time of exchange i.
 */
int
bench_card_rtt(const char *reader, unsigned n, double *ms)
{
	struct ss_chan	*ch = NULL;
	unsigned	 i;
	double		 t0;
	int		 rc = -1;

	if (chan_open(reader, &ch) < 0)
		return -1;
	if (ss_chan_begin(ch) != SS_ERR_OK)
		goto out;
	for (i = 0; i < n; i++) {
		t0 = bench_now_ms();
		if (select_piv(ch, SS_APDU_RAW) < 0)
			break;
		ms[i] = bench_now_ms() - t0;
	}
	rc = i == n ? 0 : -1;
	ss_chan_end(ch);
out:
	ss_chan_free(&ch);
	return rc;
}
