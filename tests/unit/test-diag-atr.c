/*
 * tests/unit/test-diag-atr.c - the ATR decoding smartsign-diag relies on
 * (reader/atr.c: ss_atr_parse, ss_atr_get_params, ss_atr_hist_split,
 * ss_atr_ctlv_next) on 50 real ATRs from pcsc-tools' smartcard_list.txt,
 * chosen to cover every shape (T=0 only, T=1, T=15, TA2 specific mode,
 * inverse convention, no interface bytes, 15 historical bytes...), and on
 * malformed ATRs.  Expected fields were worked out from ISO/IEC 7816-3 by
 * a separate decoder and checked by hand for a sample.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "reader/atr.h"
#include "reader/err.h"
#include "reader/hex.h"

#define P(t)	(1u << (t))

struct want {
	const char	*name;
	const char	*hex;
	size_t		 len;
	uint8_t		 ts;
	size_t		 nlevels;
	uint32_t	 protocols;
	unsigned	 fi, di;
	size_t		 hist_len;
	int		 tck;		/* -1: none */
	unsigned	 ifsc, bwi, cwi;
	bool		 crc;
	bool		 specific;	/* TA2 present */
	int		 class_bits;	/* -1: no T=15 TA */
};

/* name, ATR; length, TS, levels, protocols, Fi, Di, historical bytes,
 * TCK, IFSC, BWI, CWI, CRC, TA2, T=15 class */
static const struct want atrs[] = {
	{ "Schlumberger Payflex 1k SAM",
	  "3B 23 00 35 11 81",
	  6, 0x3b, 1, 0x0001, 372, 1, 3, -1, 32, 4, 13, false, false, -1 },
	{ "Croatia VIPNet Mobile Operator (Telecommunicatio",
	  "3B 3B 94 00 6A 38 20 00 00 00 A0 33 33 90 00",
	  15, 0x3b, 1, 0x0001, 512, 8, 11, -1, 32, 4, 13, false, false, -1 },
	{ "RSA SecurID SID800 token",
	  "3B 0F 80 22 15 E1 5A 00 20 00 30 21 03 31 21 03 00",
	  17, 0x3b, 0, 0x0001, 372, 1, 15, -1, 32, 4, 13, false, false, -1 },
	{ "GSM-SIM Sonera (from 2002)",
	  "3B 1F 94 80 6A 16 32 46 49 53 45 15 8C E6 FF 07 90 00",
	  18, 0x3b, 1, 0x0001, 512, 8, 15, -1, 32, 4, 13, false, false, -1 },
	{ "Sesam Vitale card CPS (Carte Profesionnel de San",
	  "3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00",
	  17, 0x3b, 2, 0x0001, 372, 1, 12, -1, 32, 4, 13, false, false, -1 },
	{ "GSM SIM (Tele2, Estonia)",
	  "3B BC 94 00 40 14 47 47 33 53 30 35 31 53 31 30 31 30",
	  18, 0x3b, 2, 0x0001, 512, 8, 12, -1, 32, 4, 13, false, false, -1 },
	{ "'La7 Cartapi' for DVB-T decoders, IRDETO access",
	  "3B 9F 11 40 60 49 52 44 45 54 4F 20 41 43 53 20 56 35 2E 30",
	  20, 0x3b, 2, 0x0001, 372, 1, 15, -1, 32, 4, 13, false, false, -1 },
	{ "altinn - Buypass",
	  "3B 9F 96 40 0A 80 31 E0 6B 04 21 05 02 61 55 55 55 55 55 55",
	  20, 0x3b, 2, 0x0001, 512, 32, 15, -1, 32, 4, 13, false, false, -1 },
	{ "Atmel memory card AT88SC0104C",
	  "3B B2 11 00 10 80 00 01",
	  8, 0x3b, 2, 0x0001, 372, 1, 2, -1, 32, 4, 13, false, true, -1 },
	{ "CLSAM (Transport)",
	  "3B BA 95 00 10 80 43 4C 5F 53 41 4D 00 01 38 11",
	  16, 0x3b, 2, 0x0001, 512, 16, 10, -1, 32, 4, 13, false, true, -1 },
	{ "Inside Secure VaultIC 460 Smart Object [ICCD 1.0",
	  "3B 9F 11 10 80 56 61 75 6C 74 49 43 20 34 36 30 31 2E 30 32",
	  20, 0x3b, 2, 0x0001, 372, 1, 15, -1, 32, 4, 13, false, true, -1 },
	{ "Tyfone's SideTap Card (NFC payments)",
	  "3B D9 18 00 C0 09 10 FE 54 59 46 4F 4E 45 00 00 00",
	  17, 0x3b, 3, 0x0001, 372, 12, 9, -1, 32, 4, 13, false, false, -1 },
	{ "Rompetrol Romania Fill&Go Fuel Card (Other)",
	  "3B 81 01 00 80",
	  5, 0x3b, 1, 0x0002, 372, 1, 1, 128, 32, 4, 13, false, false, -1 },
	{ "AVEST-SYSTEMS AvBign (PKI)",
	  "3B 8F 01 41 56 42 00 00 00 00 00 00 00 00 01 00 00 00 DA",
	  19, 0x3b, 1, 0x0002, 372, 1, 15, 218, 32, 4, 13, false, false, -1 },
	{ "XPlusTV & INXCT Access Card-9 (FIRECrypt)",
	  "3B 9C 13 11 81 64 72 65 61 6D 63 72 79 70 74 00 04 08",
	  18, 0x3b, 2, 0x0002, 372, 4, 12, 8, 32, 4, 13, false, true, -1 },
	{ "Chunghwa Post Co., Ltd. Visa Debit Card (Bank)",
	  "3B E7 00 00 81 31 FE 42 00 63 95 31 05 90 00 B9",
	  16, 0x3b, 3, 0x0002, 372, 1, 7, 185, 254, 4, 2, false, false, -1 },
	{ "NXP JCOP3 J3H082 Java Card 3.0.4 Dual-Interface ",
	  "3B FA 18 00 00 81 31 FE 45 50 56 4A 43 4F 50 33 45 4D 56 94",
	  20, 0x3b, 3, 0x0002, 372, 12, 10, 148, 254, 4, 5, false, false, -1 },
	{ "EC Card Sparkasse Mittelfranken Sued (Bank)",
	  "3B EF 00 FF 81 31 FE 45 65 63 11 15 62 02 50 00 10 0A 00 "
	  "2B 21 07 20 1E",
	  24, 0x3b, 3, 0x0002, 372, 1, 15, 30, 254, 4, 5, false, false, -1 },
	{ "HBCI-Karte (Sparkasse Altmark-West, Salzwedel, G",
	  "3B FF 18 00 FF 81 31 FE 45 65 63 11 08 43 02 50 00 10 46 "
	  "50 01 08 05 30 27",
	  25, 0x3b, 3, 0x0002, 372, 12, 15, 39, 254, 4, 5, false, false, -1 },
	{ "SkyperfecTV HD IC Card (Pay TV)",
	  "3B B0 33 00 91 81 31 6B 35 FC",
	  10, 0x3b, 3, 0x0002, 744, 4, 0, 252, 107, 3, 5, false, true, -1 },
	{ "Indonesian eID (eID)",
	  "3B FF 91 00 FF 91 81 71 FC 40 00 0A 65 4B 54 50 30 44 32 "
	  "65 4B 54 50 04 3D 5B 62",
	  27, 0x3b, 3, 0x0002, 512, 1, 15, 98, 252, 4, 0, false, true, -1 },
	{ "ACOS5-64 v3.00 is a FIPS 140-2 Level 3 Certified",
	  "3B 9E 96 80 01 41 05 41 00 00 00 00 00 00 00 00 00 90 00 1C",
	  20, 0x3b, 2, 0x0003, 512, 32, 14, 28, 32, 4, 13, false, false, -1 },
	{ "Public Distribution System",
	  "3B 85 C0 FA 21 63 80 63 01 01 05 1B",
	  12, 0x3b, 3, 0x0003, 372, 1, 5, 27, 32, 6, 3, false, false, -1 },
	{ "Infineon SECORA ID X (JavaCard)",
	  "3B B8 97 00 C0 08 31 FE 45 FF FF 14 82 30 50 23 00 B8",
	  18, 0x3b, 3, 0x0003, 512, 64, 8, 184, 254, 4, 5, false, false, -1 },
	{ "Giesecke&Devrient SmartCafe 1.1",
	  "3B BF 11 00 C0 10 31 FE 44 53 4D 40 52 54 20 43 41 46 45 "
	  "20 31 2E 31 43 C1",
	  25, 0x3b, 3, 0x0003, 372, 1, 15, 193, 254, 4, 4, false, false, -1 },
	{ "haruka (eID)",
	  "3B FF 96 00 00 80 31 FE 45 53 6D 40 72 74 43 61 66 65 20 "
	  "45 78 70 2E 37 4E",
	  25, 0x3b, 3, 0x0003, 512, 32, 15, 78, 254, 4, 5, false, false, -1 },
	{ "ETSI 102 230 Test case 5.2.5.3. Comprion IT3 SIM",
	  "3B 97 11 80 1F 42 80 31 A0 73 BE 21 00 A6",
	  14, 0x3b, 3, 0x8001, 372, 1, 7, 166, 32, 4, 13, false, false, 2 },
	{ "TATA Docomo UICC (Telecommunication)",
	  "3B FE 94 00 00 80 1F 42 80 31 80 66 47 50 20 45 83 01 83 "
	  "01 90 00 02",
	  23, 0x3b, 3, 0x8001, 512, 8, 14, 2, 32, 4, 13, false, false, 2 },
	{ "sysmoUSIM-SJS1 (Telecommunication)",
	  "3B 9F 96 80 1F C7 80 31 A0 73 BE 21 13 67 43 20 07 18 00 00 01 A5",
	  22, 0x3b, 3, 0x8001, 512, 32, 15, 165, 32, 4, 13, false, false, 7 },
	{ "Gnuk OpenPGP Token (PKI)",
	  "3B DA 11 FF 81 B1 FE 55 1F 03 00 31 84 73 80 01 80 00 90 00 E4",
	  21, 0x3b, 4, 0x8002, 372, 1, 10, 228, 254, 5, 5, false, false, 3 },
	{ "Philips DESFire SAM",
	  "3B D0 A8 FF 81 F1 FB 24 00 1F C3 F4",
	  12, 0x3b, 4, 0x8002, 768, 12, 0, 244, 251, 2, 4, false, false, 3 },
	{ "National Identity Card of Slovakia (eID) (eID)",
	  "3B DF 96 FF 81 B1 FE 45 1F 87 00 31 B9 64 09 37 72 13 73 "
	  "84 01 E0 00 00 00 00",
	  26, 0x3b, 4, 0x8002, 512, 32, 15, 0, 254, 4, 5, false, false, 7 },
	{ "Japanese Chijou Digital B-CAS Card (pay TV)",
	  "3B F0 12 00 FF 91 81 B1 7C 45 1F 03 99",
	  13, 0x3b, 4, 0x8002, 372, 2, 0, 153, 124, 4, 5, false, true, 3 },
	{ "Feitian Technologies Java Card A22CR (JavaCard)",
	  "3B 9C 95 80 81 1F 03 90 67 46 4A 01 00 54 04 F2 72 FE 00 C0",
	  20, 0x3b, 4, 0x8003, 512, 16, 12, 192, 32, 4, 13, false, false, 3 },
	{ "SIM (Telecommunication)",
	  "3B 9F 97 C0 0A B1 FE 45 3F C6 82 80 31 E0 73 FE 21 1B 65 "
	  "D0 02 3A 14 C9 81 0F 8B",
	  27, 0x3b, 4, 0x8003, 512, 64, 15, 139, 254, 4, 5, false, false, 6 },
	{ "Sodexo Pass Lunch Card. An employee benefits car",
	  "3F 36 11 00 53 49 5B 01 51 53",
	  10, 0x3f, 1, 0x0001, 372, 1, 6, -1, 32, 4, 13, false, false, -1 },
	{ "Elite HD10+ (Pay TV)",
	  "3F 77 18 00 00 C2 EB 41 02 6C 90 00",
	  12, 0x3f, 1, 0x0001, 372, 12, 7, -1, 32, 4, 13, false, false, -1 },
	{ "Sky Series 12 (DSS satellite TV card)",
	  "3F 7F 11 25 05 40 B0 0F 69 FF 4D 59 00 00 00 53 4B 0C 06 00",
	  20, 0x3f, 1, 0x0001, 372, 1, 15, -1, 32, 4, 13, false, false, -1 },
	{ "NDS Smartcard (Pay TV)",
	  "3F 7F 13 25 01 40 B0 10 69 FF 4A 50 01 47 4C 00 00 00 00 00",
	  20, 0x3f, 1, 0x0001, 372, 4, 15, -1, 32, 4, 13, false, false, -1 },
	{ "astro Pay TV Measat 91.5 E Caid: 0910 Provider: ",
	  "3F FD 15 25 02 50 80 0F 41 B0 05 69 FF 4A 50 F0 00 00 41 5A 03",
	  21, 0x3f, 2, 0x0001, 372, 16, 13, -1, 32, 4, 13, false, true, -1 },
	{ "airtel (Pay TV)",
	  "3F FF 14 25 03 10 80 41 B0 02 69 FF 4A 50 70 00 00 42 52 01 00 00",
	  22, 0x3f, 2, 0x0001, 372, 8, 15, -1, 32, 4, 13, false, true, -1 },
	{ "Atmel/Athena T0 Inverse Convention PC/SC Complia",
	  "3F 96 18 80 01 80 51 00 61 10 30 9F",
	  12, 0x3f, 2, 0x0003, 372, 12, 6, 159, 32, 4, 13, false, false, -1 },
	{ "GoldKey Security PIV Token",
	  "3B 94 18 81 B1 80 7D 1F 03 19 C8 00 50 DC",
	  14, 0x3b, 4, 0x8002, 372, 12, 4, 220, 128, 7, 13, false, false, 3 },
	{ "CB visa La Poste France (Oberthur)",
	  "3F 65 25 08 43 04 6C 90 00",
	  9, 0x3f, 1, 0x0001, 372, 1, 5, -1, 32, 4, 13, false, false, -1 },
	{ "GSM-SIM (900MHz) card of the carrier 'Mannesmann",
	  "3F 2F 00 80 59 AF 02 01 02 30 00 0C 0A 0E 83 1E 9F 16",
	  18, 0x3f, 1, 0x0001, 372, 1, 15, -1, 32, 4, 13, false, false, -1 },
	{ "Finnish SIM card from 'Radiolinja' now 'Elisa'",
	  "3F 3F 94 00 80 69 AF 03 07 01 59 00 00 0A 0E 83 3E 9F 16",
	  19, 0x3f, 1, 0x0001, 512, 8, 15, -1, 32, 4, 13, false, false, -1 },
	{ "Kabel Deutschland G02  (Pay TV)",
	  "3F FD 11 25 02 50 00 03 33 B0 15 69 FF 4A 50 F0 80 03 4B 4C 03",
	  21, 0x3f, 2, 0x0001, 372, 1, 13, -1, 32, 4, 13, false, true, -1 },
	{ "Sky (Germany) VideoGuard CAM card (www.sky.de)",
	  "3F FF 11 25 03 10 80 41 B0 07 69 FF 4A 50 70 00 00 50 31 01 00 11",
	  22, 0x3f, 2, 0x0001, 372, 1, 15, -1, 32, 4, 13, false, true, -1 },
	{ "Dish Network ROM552 (Pay TV)",
	  "3F FF 95 00 FF 91 81 71 FE 57 00 44 4E 41 53 50 35 35 32 "
	  "20 44 73 68 4E 30 39 1F",
	  27, 0x3f, 3, 0x0002, 512, 16, 15, 31, 254, 5, 7, false, true, -1 },
	{ "Premium joker card to see Spanish TDT premium (g",
	  "3F FF 3F 3F 3F 3F 00 3F 3F FF 3F 3F 3F 3F 3F FF 3F FF 95 "
	  "3F FF 95 3F FF",
	  24, 0x3f, 2, 0x8000, 744, 0, 15, 255, 32, 4, 13, false, true, -1 },
};

#define NATRS	(sizeof(atrs) / sizeof(atrs[0]))

static size_t
hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	assert_int_equal(ss_hex_decode(s, out, cap, &n), 0);
	return n;
}

/* Parse from an exact-size heap copy so ASan sees any over-read. */
static int
parse(const uint8_t *b, size_t n, struct ss_atr *a)
{
	uint8_t	*h = malloc(n ? n : 1);
	int	 rc;

	assert_non_null(h);
	if (n > 0)
		memcpy(h, b, n);
	rc = ss_atr_parse(h, n, a);
	free(h);
	return rc;
}

static void
check_params(const struct want *w, const struct ss_atr *a)
{
	struct ss_atr_params	p;

	ss_atr_get_params(a, &p);
	assert_int_equal(p.ifsc, w->ifsc);
	assert_int_equal(p.bwi, w->bwi);
	assert_int_equal(p.cwi, w->cwi);
	assert_int_equal(p.crc, w->crc);
	assert_int_equal(p.specific, w->specific);
	assert_int_equal(p.has_class, w->class_bits >= 0);
	if (w->class_bits >= 0)
		assert_int_equal(p.class_bits, w->class_bits);
	if (p.specific)
		assert_int_equal(p.specific_proto, a->levels[1].ta & 0x0f);
}

static void
check_one(const struct want *w)
{
	struct ss_atr	a;
	uint8_t		b[64];
	size_t		n = hex(w->hex, b, sizeof(b));

	print_message("  %s\n", w->name);
	assert_int_equal(n, w->len);
	assert_int_equal(parse(b, n, &a), SS_ERR_OK);
	assert_int_equal(a.errors, 0);
	assert_int_equal(a.len, n);
	assert_int_equal(a.ts, w->ts);
	assert_int_equal(a.t0, b[1]);
	assert_int_equal(a.nlevels, w->nlevels);
	assert_int_equal(a.protocols, w->protocols);
	assert_int_equal(a.fi, w->fi);
	assert_int_equal(a.di, w->di);
	assert_int_equal(a.hist_len, w->hist_len);
	assert_int_equal(a.has_tck, w->tck >= 0);
	if (w->tck >= 0)
		assert_int_equal(a.tck, w->tck);
	assert_memory_equal(a.hist, b + n - w->hist_len - (w->tck >= 0 ? 1 :
	    0), w->hist_len);
	check_params(w, &a);
}

static void
test_real_atrs(void **state)
{
	size_t	i;

	(void)state;
	assert_true(NATRS >= 30);
	for (i = 0; i < NATRS; i++)
		check_one(&atrs[i]);
}

/* Hand-checked details: TA2 specific mode, T=15 class, T=1 defaults. */
static void
test_params_detail(void **state)
{
	struct ss_atr		a;
	struct ss_atr_params	p;
	uint8_t			b[64];
	size_t			n;

	(void)state;
	/* Atmel AT88SC0104C: TA1 11, TB1 00, TD1 10, TA2 80: specific
	 * mode T=0, cannot change, Fi/Di from TA1; no TC1 */
	n = hex("3B B2 11 00 10 80 00 01", b, sizeof(b));
	assert_int_equal(parse(b, n, &a), SS_ERR_OK);
	ss_atr_get_params(&a, &p);
	assert_true(p.specific);
	assert_int_equal(p.specific_proto, 0);
	assert_false(p.specific_changeable);
	assert_false(p.specific_implicit);
	assert_false(p.has_guard);
	/* Acos-ID: TA1 18 TC1 FF TD1 91, TA2 01 (specific T=1, can
	 * change), TD2 31, TA3 FE TB3 46: IFSC 254, BWI 4, CWI 6 */
	n = hex("3B DF 18 FF 91 01 31 FE 46 80 31 90 52 41 02 64 05 02 00 AC "
	    "73 D6 22 C0 99", b, sizeof(b));
	assert_int_equal(parse(b, n, &a), SS_ERR_OK);
	ss_atr_get_params(&a, &p);
	assert_true(p.specific);
	assert_int_equal(p.specific_proto, 1);
	assert_true(p.specific_changeable);
	assert_false(p.specific_implicit);
	assert_int_equal(p.guard_n, 255);
	assert_int_equal(p.ifsc, 254);
	assert_int_equal(p.bwi, 4);
	assert_int_equal(p.cwi, 6);
	/* OpenPGP card: TC1 FF (minimum guard time), T=1 IFSC FE BWI 7
	 * CWI 5, T=15 TA 03: class A and B, no clock stop */
	n = hex("3B DA 18 FF 81 B1 FE 75 1F 03 00 31 C5 73 C0 01 40 00 90 00 "
	    "0C", b, sizeof(b));
	assert_int_equal(parse(b, n, &a), SS_ERR_OK);
	ss_atr_get_params(&a, &p);
	assert_int_equal(p.guard_n, 255);
	assert_true(p.has_ifsc);
	assert_int_equal(p.ifsc, 0xfe);
	assert_int_equal(p.bwi, 7);
	assert_int_equal(p.cwi, 5);
	assert_false(p.has_edc);
	assert_false(p.crc);
	assert_true(p.has_class);
	assert_int_equal(p.class_bits, 0x03);
	assert_int_equal(p.clock_stop, 0);
	assert_false(p.specific);
	/* no interface bytes at all: the defaults */
	n = hex("3B 00", b, sizeof(b));
	assert_int_equal(parse(b, n, &a), SS_ERR_OK);
	ss_atr_get_params(&a, &p);
	assert_false(p.has_ifsc);
	assert_int_equal(p.ifsc, 32);
	assert_int_equal(p.wi, 10);
	ss_atr_get_params(NULL, &p);
	assert_int_equal(p.bwi, 4);
	ss_atr_get_params(&a, NULL);	/* no crash */
}

static void
test_hist(void **state)
{
	struct ss_atr_hist	 h;
	struct ss_rd		 r;
	const uint8_t		*v;
	uint8_t			 b[32], tag;
	size_t			 n, len, count = 0;

	(void)state;
	/* YubiKey: category 80, capabilities (7), issuer data (5) */
	n = hex("80 73 C0 21 C0 57 59 75 62 69 4B 65 79", b, sizeof(b));
	assert_int_equal(ss_atr_hist_split(b, n, &h), SS_ERR_OK);
	assert_int_equal(h.category, 0x80);
	assert_false(h.has_status);
	ss_rd_init(&r, h.tlv, h.tlv_len);
	while (ss_rd_left(&r) > 0) {
		assert_int_equal(ss_atr_ctlv_next(&r, &tag, &v, &len),
		    SS_ERR_OK);
		if (count++ == 0) {
			assert_int_equal(tag, 7);
			assert_int_equal(len, 3);
			assert_memory_equal(v, "\xc0\x21\xc0", 3);
		} else {
			assert_int_equal(tag, 5);
			assert_memory_equal(v, "YubiKey", 7);
		}
	}
	assert_int_equal(count, 2);
	/* category 00: status indicator in the last three bytes */
	n = hex("00 31 C5 73 C0 01 40 00 90 00", b, sizeof(b));
	assert_int_equal(ss_atr_hist_split(b, n, &h), SS_ERR_OK);
	assert_true(h.has_status);
	assert_int_equal(h.lcs, 0x00);
	assert_int_equal(h.sw, 0x9000);
	assert_int_equal(h.tlv_len, 6);
	/* proprietary and DIR reference categories */
	n = hex("41 05 41", b, sizeof(b));
	assert_int_equal(ss_atr_hist_split(b, n, &h), SS_ERR_NOT_SUPPORTED);
	assert_int_equal(h.category, 0x41);
	n = hex("10 80", b, sizeof(b));
	assert_int_equal(ss_atr_hist_split(b, n, &h), SS_ERR_NOT_SUPPORTED);
	assert_int_equal(h.category, 0x10);
	/* category 00 too short; empty; overrunning object */
	n = hex("00 90 00", b, sizeof(b));
	assert_int_equal(ss_atr_hist_split(b, n, &h), SS_ERR_MALFORMED);
	assert_int_equal(ss_atr_hist_split(b, 0, &h), SS_ERR_BAD_ARG);
	assert_int_equal(ss_atr_hist_split(b, n, NULL), SS_ERR_BAD_ARG);
	n = hex("73 C0 21", b, sizeof(b));
	ss_rd_init(&r, b, n);
	assert_int_equal(ss_atr_ctlv_next(&r, &tag, &v, &len),
	    SS_ERR_MALFORMED);
	assert_int_equal(ss_atr_ctlv_next(NULL, &tag, &v, &len),
	    SS_ERR_BAD_ARG);
}

static void
expect_bad(const char *s, unsigned errors)
{
	struct ss_atr		a;
	struct ss_atr_params	p;
	uint8_t			b[80];
	size_t			n = hex(s, b, sizeof(b));

	assert_int_equal(parse(b, n, &a), SS_ERR_MALFORMED);
	assert_int_equal(a.errors, errors);
	assert_true(a.len <= n);
	assert_true(a.nlevels <= SS_ATR_MAX_LEVELS);
	ss_atr_get_params(&a, &p);	/* partial ATRs too */
}

static void
test_malformed(void **state)
{
	(void)state;
	/* truncated: T0 announces TA1..TD1 but the ATR stops */
	expect_bad("3B FA 18 00", SS_ATR_E_TRUNCATED);
	/* truncated in the historical bytes (K = 10) */
	expect_bad("3B FA 18 00 00 81 31 FE 45 50 56 4A", SS_ATR_E_TRUNCATED);
	/* TCK missing after T=1 */
	expect_bad("3B 81 01 00", SS_ATR_E_TCK_MISSING);
	/* TCK wrong */
	expect_bad("3B 81 01 00 81", SS_ATR_E_TCK_BAD);
	/* trailing byte after a T=0 ATR */
	expect_bad("3B 23 00 35 11 81 00", SS_ATR_E_TRAILING);
	/* TS invalid */
	expect_bad("3C 23 00 35 11 81", SS_ATR_E_TS);
	/* only TS */
	expect_bad("3B", SS_ATR_E_TRUNCATED);
	/* TS and TCK errors together */
	expect_bad("00 81 01 00 81", SS_ATR_E_TS | SS_ATR_E_TCK_BAD);
}

/* Every prefix and single-bit flip of every ATR: no over-read. */
static void
test_fuzz(void **state)
{
	struct ss_atr		a;
	struct ss_atr_params	p;
	uint8_t			b[64];
	size_t			i, k, n;
	unsigned		bit;

	(void)state;
	for (i = 0; i < NATRS; i++) {
		n = hex(atrs[i].hex, b, sizeof(b));
		for (k = 1; k < n; k++)
			assert_int_equal(parse(b, k, &a), SS_ERR_MALFORMED);
		for (k = 0; k < n; k++)
			for (bit = 0; bit < 8; bit++) {
				b[k] ^= (uint8_t)(1u << bit);
				(void)parse(b, n, &a);
				ss_atr_get_params(&a, &p);
				assert_true(a.len <= n);
				b[k] ^= (uint8_t)(1u << bit);
			}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_atrs),
		cmocka_unit_test(test_params_detail),
		cmocka_unit_test(test_hist),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
