/*
 * tests/unit/test-diag-tools.c - smartsign-diag's parsers and output on
 * untrusted input, under ASan+UBSan: the JSON/human emitter (escaping of
 * control bytes and invalid UTF-8), the line reader, pcsc-tools' card
 * list lookup (regular expressions, descriptions, broken entries), the
 * ATR section for malformed ATRs, the PIV certificate container, and the
 * trace printer's PIN redaction.
 * The tool's sources are compiled in (they are not in a library).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/diag_out.c"
#include "tools/diag_opts.c"
#include "tools/diag_util.c"
#include "tools/diag_cardlist.c"
#include "tools/diag_pcsc.c"
#include "tools/diag_atr.c"
#include "tools/diag_piv.c"
#include "tools/diag_cert.c"
#include "tools/diag_tracelog.c"

struct membuf {
	char	*p;
	size_t	 n;
	FILE	*f;
};

static void
mem_open(struct membuf *m)
{
	m->p = NULL;
	m->n = 0;
	m->f = open_memstream(&m->p, &m->n);
	assert_non_null(m->f);
}

static char *
mem_close(struct membuf *m)
{
	assert_int_equal(fclose(m->f), 0);
	return m->p;
}

static void
test_json_document(void **state)
{
	struct membuf	m;
	struct diag_out	o;
	uint8_t		b[3] = { 0x3b, 0x00, 0xff };
	char		*s;

	(void)state;
	mem_open(&m);
	out_init(&o, m.f, true);
	out_str(&o, "a", "x");
	out_obj(&o, "o", "title");
	out_int(&o, "n", -5);
	out_bool(&o, "t", true);
	out_str(&o, "null", NULL);
	out_end(&o);
	out_arr(&o, "list", NULL);
	out_str(&o, NULL, "1");
	out_hex(&o, NULL, b, sizeof(b));
	out_end(&o);
	out_arr(&o, "empty", NULL);
	out_end(&o);
	out_line(&o, "not in JSON");
	out_warn(&o, "w %d", 1);
	out_finish(&o);
	s = mem_close(&m);
	assert_string_equal(s, "{\n"
	    "  \"a\": \"x\",\n"
	    "  \"o\": {\n"
	    "    \"n\": -5,\n"
	    "    \"t\": true,\n"
	    "    \"null\": null\n"
	    "  },\n"
	    "  \"list\": [\n"
	    "    \"1\",\n"
	    "    \"3B00FF\"\n"
	    "  ],\n"
	    "  \"empty\": [],\n"
	    "  \"warnings\": [\n"
	    "    \"w 1\"\n"
	    "  ]\n"
	    "}\n");
	free(s);
}

static void
test_json_escaping(void **state)
{
	struct membuf	m;
	const char	in[] = "q\"b\\n\n\t\x01\x7f" "\xc3\xa9" "\xff" "\xc3"
			    "\xe2\x82\xac" "\xed\xa0\x80" "\xf0\x9f\x98\x80";
	char		*s;

	(void)state;
	mem_open(&m);
	out_json_str(m.f, in, sizeof(in) - 1);
	s = mem_close(&m);
	/* é and € and the emoji kept; FF, a lone C3 and a UTF-16
	 * surrogate (ED A0 80) replaced */
	assert_string_equal(s, "\"q\\\"b\\\\n\\n\\u0009\\u0001\\u007f"
	    "\xc3\xa9\\ufffd\\ufffd\xe2\x82\xac\\ufffd\\ufffd\\ufffd"
	    "\xf0\x9f\x98\x80\"");
	free(s);
}

static void
test_human_escaping(void **state)
{
	struct membuf	m;
	struct diag_out	o;
	char		*s;

	(void)state;
	mem_open(&m);
	out_init(&o, m.f, false);
	out_str(&o, "reader_name", "evil\x1b[31m\xff" "\xc3\xa9");
	out_obj(&o, "sub", "section");
	out_str(&o, "k", NULL);
	out_end(&o);
	out_warn(&o, "careful");
	out_finish(&o);
	s = mem_close(&m);
	assert_non_null(strstr(s, "reader name:"));
	assert_non_null(strstr(s, "evil\\x1B[31m\\xFF\xc3\xa9\n"));
	assert_null(strchr(s, 0x1b));
	assert_non_null(strstr(s, "section:\n  k:"));
	assert_non_null(strstr(s, "WARNING: careful"));
	assert_non_null(strstr(s, "1 warning:\n  - careful"));
	free(s);
}

static void
test_lines(void **state)
{
	const char	 text[] = "one\r\n\n  two  \nthree";
	struct ss_rd	 r;
	const char	*l;
	size_t		 n;
	char		 buf[8];

	(void)state;
	ss_rd_init(&r, (const uint8_t *)text, sizeof(text) - 1);
	assert_true(diag_next_line(&r, &l, &n));
	assert_int_equal(n, 3);
	assert_memory_equal(l, "one", 3);
	assert_true(diag_next_line(&r, &l, &n));
	assert_int_equal(n, 0);
	assert_true(diag_next_line(&r, &l, &n));
	assert_true(diag_line_str(l, n, buf, sizeof(buf)));
	assert_string_equal(buf, "two");
	assert_true(diag_next_line(&r, &l, &n));
	assert_int_equal(n, 5);
	assert_false(diag_next_line(&r, &l, &n));
	assert_false(diag_line_str("123456789", 9, buf, sizeof(buf)));
	assert_false(diag_line_str("x", 1, buf, 0));
}

static char *
write_list(const char *text)
{
	char	*path = strdup("/tmp/test-diag-list.XXXXXX");
	int	 fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	return path;
}

static const char list_text[] =
"# a comment\n"
"#\n"
"3B 8E 80 01 80 73 C0 21 C0 .. 53 53 49 47 4E 50 49 56 ..\n"
"\tSmartsign emulated PIV\n"
"\thttps://example.test/emu\n"
"\n"
"3B 8E 80 01 (80|81) 73 C0 21 C0 58 53 53 49 47 4E 50 49 56 8A\n"
"\tsecond entry, alternation\n"
"\n"
"3B [ broken regex\n"
"\tmust be skipped\n"
"\n"
"3B 8E\n"
"\tprefix only: must not match\n"
"3f ff .*\n"
"\tlower-case pattern, inverse convention\n";

static void
test_cardlist(void **state)
{
	const uint8_t	emu[] = { 0x3b, 0x8e, 0x80, 0x01, 0x80, 0x73,
			    0xc0, 0x21, 0xc0, 0x58, 0x53, 0x53, 0x49, 0x47,
			    0x4e, 0x50, 0x49, 0x56, 0x8a };
	const uint8_t	inv[] = { 0x3f, 0xff, 0x11 };
	const uint8_t	none[] = { 0x3b, 0x00 };
	char		*names[DIAG_NAMES_MAX], *path = write_list(list_text);
	size_t		 n;

	(void)state;
	assert_int_equal(diag_cardlist_lookup(path, emu, sizeof(emu), names,
	    DIAG_NAMES_MAX, &n), 3);
	assert_string_equal(names[0], "Smartsign emulated PIV");
	assert_string_equal(names[1], "https://example.test/emu");
	assert_string_equal(names[2], "second entry, alternation");
	diag_cardlist_free(names, n);
	/* the cap is respected */
	assert_int_equal(diag_cardlist_lookup(path, emu, sizeof(emu), names,
	    1, &n), 1);
	diag_cardlist_free(names, n);
	assert_int_equal(diag_cardlist_lookup(path, inv, sizeof(inv), names,
	    DIAG_NAMES_MAX, &n), 1);
	assert_string_equal(names[0], "lower-case pattern, inverse convention");
	diag_cardlist_free(names, n);
	assert_int_equal(diag_cardlist_lookup(path, none, sizeof(none), names,
	    DIAG_NAMES_MAX, &n), 0);
	assert_int_equal(diag_cardlist_lookup("/nonexistent/list", none,
	    sizeof(none), names, DIAG_NAMES_MAX, &n), -1);
	unlink(path);
	free(path);
}

/* The real list, where pcsc-tools is installed. */
static void
test_cardlist_installed(void **state)
{
	const uint8_t	yk[] = { 0x3b, 0xfd, 0x13, 0x00, 0x00, 0x81, 0x31,
			    0xfe, 0x15, 0x80, 0x73, 0xc0, 0x21, 0xc0, 0x57,
			    0x59, 0x75, 0x62, 0x69, 0x4b, 0x65, 0x79, 0x40 };
	char		*names[DIAG_NAMES_MAX];
	size_t		 n;

	(void)state;
	if (access(DIAG_CARDLIST, R_OK) != 0)
		skip();
	assert_true(diag_cardlist_lookup(DIAG_CARDLIST, yk, sizeof(yk), names,
	    DIAG_NAMES_MAX, &n) > 0);
	assert_non_null(strstr(names[0], "YubiKey 5"));
	diag_cardlist_free(names, n);
}

static char *
atr_json(const char *hexs, bool *ok)
{
	struct membuf	m;
	struct diag_out	o;
	uint8_t		b[64];
	size_t		n;

	assert_int_equal(ss_hex_decode(hexs, b, sizeof(b), &n), 0);
	mem_open(&m);
	out_init(&o, m.f, true);
	*ok = diag_atr_emit(&o, b, n, "/nonexistent/list");
	out_finish(&o);
	return mem_close(&m);
}

static void
test_atr_section(void **state)
{
	char	*s;
	bool	 ok;

	(void)state;
	s = atr_json("3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 "
	    "4B 65 79 40", &ok);
	assert_true(ok);
	assert_non_null(strstr(s, "\"tck\": \"40 correct\""));
	assert_non_null(strstr(s, "\"meaning\": \"T=1 IFSC=254\""));
	assert_non_null(strstr(s, "\"text\": \".s.!.WYubiKey\""));
	assert_non_null(strstr(s, "\"errors\": []"));
	free(s);
	s = atr_json("3B 81 01 00 81", &ok);
	assert_false(ok);
	assert_non_null(strstr(s, "TCK wrong"));
	assert_non_null(strstr(s, "\"well_formed\": false"));
	free(s);
	s = atr_json("3B FA 18 00", &ok);
	assert_false(ok);
	assert_non_null(strstr(s, "truncated"));
	free(s);
	s = atr_json("3B", &ok);
	assert_false(ok);
	free(s);
	s = atr_json("12 34 56", &ok);
	assert_false(ok);
	assert_non_null(strstr(s, "TS is neither"));
	free(s);
}

static void
test_cert_container(void **state)
{
	const uint8_t	 good[] = { 0x53, 0x09, 0x70, 0x02, 0x30, 0x00, 0x71,
			    0x01, 0x01, 0xfe, 0x00 };
	const uint8_t	 lying[] = { 0x53, 0x08, 0x70, 0x09, 0x30, 0x00 };
	const uint8_t	 nocert[] = { 0x53, 0x03, 0x71, 0x01, 0x00 };
	const uint8_t	*der;
	size_t		 len;
	bool		 gz;
	struct diag_cert c;

	(void)state;
	assert_int_equal(dpiv_cert_from_container(good, sizeof(good), &der,
	    &len, &gz), SS_ERR_OK);
	assert_int_equal(len, 2);
	assert_true(gz);
	assert_int_equal(diag_cert_parse(der, len, false, &c), -1);
	assert_int_equal(dpiv_cert_from_container(lying, sizeof(lying), &der,
	    &len, &gz), SS_ERR_MALFORMED);
	assert_int_equal(dpiv_cert_from_container(nocert, sizeof(nocert), &der,
	    &len, &gz), SS_ERR_MALFORMED);
	assert_int_equal(dpiv_cert_from_container(good, 1, &der, &len, &gz),
	    SS_ERR_MALFORMED);
	assert_null(dpiv_alg_name(0x42));
	assert_string_equal(dpiv_alg_name(0x11), "ECC P-256");
}

/* Whatever the module's log holds, the PIN never reaches the output. */
static void
test_trace_redaction(void **state)
{
	static const char log[] =
	    "smartsign[42]: C_Login\n"
	    "smartsign[42]:   > 0020008008313233343536ffff\n"
	    "smartsign[42]:   > 0020008008313233343536FFFF [leak]\n"
	    "smartsign[42]: a PIN 123456 in ASCII\n"
	    "not a prefixed line\n";
	struct tracelog	 t;
	struct membuf	 m;
	struct diag_out	 o;
	char		 tmpl[] = "/tmp/test-diag-trace.XXXXXX", *s;
	FILE		*f;
	const char	*dbg;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	assert_int_equal(setenv("TMPDIR", tmpl, 1), 0);
	assert_int_equal(tracelog_start(&t), 0);
	dbg = getenv("SMARTSIGN_DEBUG");
	assert_non_null(dbg);
	assert_string_equal(dbg, t.path);
	assert_int_equal(strncmp(t.dir, tmpl, strlen(tmpl)), 0);
	tracelog_set_pin(&t, "123456", 6);
	assert_non_null(f = fopen(t.path, "w"));
	assert_int_equal(fputs(log, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	mem_open(&m);
	out_init(&o, m.f, false);
	tracelog_drain(&t, &o);
	tracelog_drain(&t, &o);		/* nothing new: nothing printed */
	out_finish(&o);
	s = mem_close(&m);
	assert_null(strstr(s, "123456"));
	assert_null(strstr(s, "313233343536"));
	assert_non_null(strstr(s, "| C_Login\n"));
	assert_non_null(strstr(s, "|   > 0020008008************ffff\n"));
	assert_non_null(strstr(s, "| a PIN ****** in ASCII"));
	assert_non_null(strstr(s, "| not a prefixed line"));
	/* the second drain started where the first ended */
	assert_null(strstr(strstr(s, "C_Login") + 1, "C_Login"));
	free(s);
	tracelog_stop(&t);
	assert_null(getenv("SMARTSIGN_DEBUG"));
	assert_int_equal(access(t.path, F_OK), -1);
	assert_int_equal(rmdir(tmpl), 0);	/* empty: the log dir is gone */
	assert_int_equal(t.pin[0], 0);
	assert_int_equal(unsetenv("TMPDIR"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_document),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_human_escaping),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_cardlist),
		cmocka_unit_test(test_cardlist_installed),
		cmocka_unit_test(test_atr_section),
		cmocka_unit_test(test_cert_container),
		cmocka_unit_test(test_trace_redaction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
