/*
 * tests/unit/test-emu-trace.c - the emulator's APDU trace: PIN, PUK and
 * key bytes never reach the file, the shape of every APDU does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "token-emu/trace.h"

static void
hex_cmd_is(const uint8_t *cmd, size_t n, const char *want)
{
	char out[600];

	assert_true(2 * n + 1 <= sizeof(out));
	emu_trace_hex_cmd(cmd, n, out);
	assert_string_equal(out, want);
}

static void
test_verify_redacted(void **state)
{
	const uint8_t verify[] = { 0x00, 0x20, 0x00, 0x80, 0x08,
	    '1', '2', '3', '4', '5', '6', 0xff, 0xff };
	const uint8_t query[] = { 0x00, 0x20, 0x00, 0x80 };
	const uint8_t query_le[] = { 0x00, 0x20, 0x00, 0x80, 0x00 };

	(void)state;
	hex_cmd_is(verify, sizeof(verify), "0020008008****************");
	hex_cmd_is(query, sizeof(query), "00200080");
	hex_cmd_is(query_le, sizeof(query_le), "0020008000");
}

static void
test_each_secret_ins(void **state)
{
	const uint8_t ins[] = { 0x20, 0x24, 0x2c, 0xfe, 0xff };
	uint8_t cmd[] = { 0x00, 0x00, 0x00, 0x80, 0x02, 0x31, 0x32, 0x00 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ins); i++) {
		cmd[1] = ins[i];
		assert_true(emu_trace_is_secret(cmd, sizeof(cmd)));
		cmd[0] = 0x10;			/* chained too */
		assert_true(emu_trace_is_secret(cmd, sizeof(cmd)));
		cmd[0] = 0x00;
	}
	cmd[1] = 0x24;
	hex_cmd_is(cmd, sizeof(cmd), "0024008002****00");	/* Le kept */
	cmd[1] = 0xcb;
	assert_false(emu_trace_is_secret(cmd, sizeof(cmd)));
	hex_cmd_is(cmd, sizeof(cmd), "00CB008002313200");
}

static void
test_general_auth(void **state)
{
	uint8_t ga[] = { 0x10, 0x87, 0x03, 0x9b, 0x04, 0x7c, 0x02, 0x80, 0x00 };

	(void)state;
	assert_true(emu_trace_is_secret(ga, sizeof(ga)));
	hex_cmd_is(ga, sizeof(ga), "1087039B04********");
	ga[3] = 0x9a;			/* a signature: not secret */
	assert_false(emu_trace_is_secret(ga, sizeof(ga)));
	hex_cmd_is(ga, sizeof(ga), "1087039A047C028000");
}

static void
test_malformed_secret(void **state)
{
	/* Lc says 8, only 3 bytes follow: everything after P3 hidden */
	const uint8_t bad[] = { 0x00, 0x20, 0x00, 0x80, 0x08, 0x31, 0x32, 0x33 };
	const uint8_t tiny[] = { 0x00, 0x20, 0x00 };

	(void)state;
	hex_cmd_is(bad, sizeof(bad), "0020008008******");
	hex_cmd_is(tiny, sizeof(tiny), "002000");
}

static void
test_extended_secret(void **state)
{
	const uint8_t ext[] = { 0x00, 0xfe, 0x07, 0x9a, 0x00, 0x00, 0x03,
	    0x01, 0x01, 0xaa, 0x01, 0x00 };

	(void)state;
	hex_cmd_is(ext, sizeof(ext), "00FE079A000003******0100");
}

static void
test_response_redaction(void **state)
{
	const uint8_t rsp[] = { 0x7c, 0x0a, 0x80, 0x08, 1, 2, 3, 4, 5, 6, 7,
	    8, 0x90, 0x00 };
	char out[64];

	(void)state;
	emu_trace_hex_rsp(rsp, sizeof(rsp), true, out);
	assert_string_equal(out, "************************9000");
	emu_trace_hex_rsp(rsp, sizeof(rsp), false, out);
	assert_string_equal(out, "7C0A800801020304050607089000");
	emu_trace_hex_rsp(rsp, 1, true, out);
	assert_string_equal(out, "**");
}

static char *
slurp(const char *path)
{
	FILE	*fp = fopen(path, "r");
	char	*s = calloc(1, 65536);
	size_t	 n;

	assert_non_null(fp);
	assert_non_null(s);
	n = fread(s, 1, 65535, fp);
	s[n] = '\0';
	fclose(fp);
	return s;
}

/* through the file: a management-key response that continues with GET
 * RESPONSE stays hidden, the next ordinary response does not */
static void
test_trace_file(void **state)
{
	char			 path[] = "/tmp/test-emu-trace.XXXXXX";
	char			 err[256], *s;
	struct emu_tracer	 tr = { .card = 2 };
	const uint8_t		 ctl = 0x01;
	const uint8_t		 ga[] = { 0x00, 0x87, 0x03, 0x9b, 0x04, 0x7c,
	    0x02, 0x80, 0x00 };
	const uint8_t		 part[] = { 0x7c, 0x0a, 0x61, 0x02 };
	const uint8_t		 getresp[] = { 0x00, 0xc0, 0x00, 0x00, 0x02 };
	const uint8_t		 rest[] = { 0xa5, 0x5a, 0x90, 0x00 };
	const uint8_t		 sel[] = { 0x00, 0xa4, 0x04, 0x00 };
	const uint8_t		 selrsp[] = { 0x61, 0x11 };
	const uint8_t		 atr[] = { 0x3b, 0x01 };
	int			 fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	tr.trace = emu_trace_open(path, err, sizeof(err));
	assert_non_null(tr.trace);
	emu_trace_ctl(&tr, ctl);
	emu_trace_atr(&tr, atr, sizeof(atr));
	emu_trace_cmd(&tr, ga, sizeof(ga));
	emu_trace_rsp(&tr, part, sizeof(part));
	emu_trace_cmd(&tr, getresp, sizeof(getresp));
	emu_trace_rsp(&tr, rest, sizeof(rest));
	emu_trace_cmd(&tr, sel, sizeof(sel));
	emu_trace_rsp(&tr, selrsp, sizeof(selrsp));
	emu_trace_event(&tr, "pulled (%s)", "SIGUSR1");
	emu_trace_close(&tr.trace);
	assert_null(tr.trace);

	s = slurp(path);
	assert_non_null(strstr(s, " card2 > ctl 01 power-on\n"));
	assert_non_null(strstr(s, " card2 < atr 3B01\n"));
	assert_non_null(strstr(s, " card2 > cmd 0087039B04********\n"));
	assert_non_null(strstr(s, " card2 < rsp ****6102\n"));
	assert_non_null(strstr(s, " card2 > cmd 00C0000002\n"));
	assert_non_null(strstr(s, " card2 < rsp ****9000\n"));
	assert_non_null(strstr(s, " card2 > cmd 00A40400\n"));
	assert_non_null(strstr(s, " card2 < rsp 6111\n"));
	assert_non_null(strstr(s, " card2 - pulled (SIGUSR1)\n"));
	assert_null(strstr(s, "7C02"));
	assert_null(strstr(s, "A55A"));
	/* every line starts with "<ms>.<3 digits> " */
	assert_true(s[0] >= '0' && s[0] <= '9');
	assert_non_null(strchr(s, '.'));
	free(s);
	unlink(path);
}

/* decryption with 9D: the command is shown, the plaintext is not */
static void
test_decrypt_response_hidden(void **state)
{
	char			 path[] = "/tmp/test-emu-trace.XXXXXX";
	char			 err[256], *s;
	struct emu_tracer	 tr = { .card = 1 };
	const uint8_t		 ga[] = { 0x00, 0x87, 0x07, 0x9d, 0x04, 0x7c,
	    0x02, 0x82, 0x00 };
	const uint8_t		 plain[] = { 0x7c, 0x04, 0x82, 0x02, 0xc3, 0x3c,
	    0x90, 0x00 };
	const uint8_t		 sig[] = { 0x00, 0x87, 0x07, 0x9a, 0x04, 0x7c,
	    0x02, 0x82, 0x00 };
	const uint8_t		 sigrsp[] = { 0x7c, 0x02, 0xd7, 0x7d, 0x90, 0x00 };
	int			 fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	tr.trace = emu_trace_open(path, err, sizeof(err));
	assert_non_null(tr.trace);
	emu_trace_cmd(&tr, ga, sizeof(ga));
	emu_trace_rsp(&tr, plain, sizeof(plain));
	emu_trace_cmd(&tr, sig, sizeof(sig));
	emu_trace_rsp(&tr, sigrsp, sizeof(sigrsp));
	emu_trace_close(&tr.trace);
	s = slurp(path);
	assert_non_null(strstr(s, " card1 > cmd 0087079D047C028200\n"));
	assert_null(strstr(s, "C33C"));
	assert_non_null(strstr(s, " card1 < rsp ************9000\n"));
	assert_non_null(strstr(s, " card1 < rsp 7C02D77D9000\n"));
	free(s);
	unlink(path);
}

static void
test_open_error(void **state)
{
	char err[256] = "";

	(void)state;
	assert_null(emu_trace_open("/nonexistent-dir/trace", err,
	    sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent-dir/trace"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_redacted),
		cmocka_unit_test(test_each_secret_ins),
		cmocka_unit_test(test_general_auth),
		cmocka_unit_test(test_malformed_secret),
		cmocka_unit_test(test_extended_secret),
		cmocka_unit_test(test_response_redaction),
		cmocka_unit_test(test_trace_file),
		cmocka_unit_test(test_decrypt_response_hidden),
		cmocka_unit_test(test_open_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
