/*
 * tests/unit/test-sign-uri.c - smartsign-sign's key selection (PKCS#11
 * URIs, RFC 7512, and PIV key references) and its PIN holder.
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

#include "tools/sign_pin.h"
#include "tools/sign_uri.h"

static void
test_uri_ok(void **state)
{
	struct su_sel	s;
	struct se_err	e;

	(void)state;
	assert_int_equal(su_parse_uri("pkcs11:token=PIV%20Card%20%23AB;"
	    "serial=AB277FBB;id=%02;object=SIGN%20key;type=private", &s, &e),
	    0);
	assert_true(s.has_token && s.has_serial && s.has_id && s.has_object);
	assert_string_equal(s.token, "PIV Card #AB");
	assert_string_equal(s.serial, "AB277FBB");
	assert_int_equal(s.idlen, 1);
	assert_int_equal(s.id[0], 0x02);
	assert_string_equal(s.object, "SIGN key");
	assert_int_equal(s.type, SU_TYPE_PRIVATE);

	assert_int_equal(su_parse_uri("PKCS11:id=%01%ff;type=cert", &s, &e), 0);
	assert_int_equal(s.idlen, 2);
	assert_int_equal(s.id[1], 0xff);
	assert_int_equal(s.type, SU_TYPE_CERT);
	assert_false(s.has_token);

	assert_int_equal(su_parse_uri("pkcs11:", &s, &e), 0);
	assert_false(s.has_id || s.has_token || s.has_object);
	/* sub-delims and ':' '@' unencoded */
	assert_int_equal(su_parse_uri("pkcs11:object=a:b@c(d)*+,=", &s, &e), 0);
	assert_string_equal(s.object, "a:b@c(d)*+,=");
}

static void
expect_bad(const char *uri, const char *words)
{
	struct su_sel	s;
	struct se_err	e;

	memset(&e, 0, sizeof(e));
	if (su_parse_uri(uri, &s, &e) != -1)
		fail_msg("accepted: %s", uri);
	if (strstr(e.msg, words) == NULL)
		fail_msg("%s: message \"%s\" lacks \"%s\"", uri, e.msg, words);
}

static void
test_uri_rejected(void **state)
{
	char	long_uri[SU_URI_MAX + 16], id65[10 + 3 * 65 + 1];
	size_t	i;

	(void)state;
	expect_bad("pkcs12:id=%02", "not a PKCS#11 URI");
	expect_bad("pkcs11", "not a PKCS#11 URI");
	expect_bad("pkcs11:color=blue", "unknown attribute 'color'");
	expect_bad("pkcs11:x-vendor=1", "unknown attribute 'x-vendor'");
	expect_bad("pkcs11:manufacturer=Yubico", "'manufacturer' is not "
	    "supported");
	expect_bad("pkcs11:slot-id=1", "'slot-id' is not supported");
	expect_bad("pkcs11:id=%02?pin-value=123456", "pin-value is refused");
	expect_bad("pkcs11:id=%02?module-name=x&pin-value=1", "pin-value");
	expect_bad("pkcs11:id=%02?module-path=/x.so", "--module");
	expect_bad("pkcs11:id=%02?pin-source=file:/p", "query attributes");
	expect_bad("pkcs11:id=%02;id=%03", "given twice");
	expect_bad("pkcs11:type=cert;type=private", "given twice");
	expect_bad("pkcs11:token=a;token=b", "given twice");
	expect_bad("pkcs11:id=%0", "id:");
	expect_bad("pkcs11:id=%G1", "id:");
	expect_bad("pkcs11:id=", "id:");
	expect_bad("pkcs11:token=a b", "percent-encoded");
	expect_bad("pkcs11:token=%00x", "NUL");
	expect_bad("pkcs11:token=", "empty");
	expect_bad("pkcs11:token=%41%42%43%44%45%46%47%48%49%4a%4b%4c%4d%4e"
	    "%4f%50%51%52%53%54%55%56%57%58%59%5a%41%42%43%44%45%46%47",
	    "too long");			/* 33 characters */
	expect_bad("pkcs11:serial=12345678901234567", "too long");
	expect_bad("pkcs11:id=%02;", "stray ';'");
	expect_bad("pkcs11:id=%02;;type=cert", "stray ';'");
	expect_bad("pkcs11:id", "without '='");
	expect_bad("pkcs11:=x", "bad attribute name");
	expect_bad("pkcs11:type=public", "names no signing key");
	expect_bad("pkcs11:type=secret-key", "names no signing key");
	expect_bad("pkcs11:type=key", "unknown object type");

	strcpy(id65, "pkcs11:id=");
	for (i = 0; i < 65; i++)
		strcat(id65, "%41");
	expect_bad(id65, "longer than 64");
	memset(long_uri, 'a', sizeof(long_uri) - 1);
	long_uri[sizeof(long_uri) - 1] = '\0';
	memcpy(long_uri, "pkcs11:object=", 14);
	expect_bad(long_uri, "longer than 1024");
}

static void
test_key_ref(void **state)
{
	struct su_sel	s;
	struct se_err	e;

	(void)state;
	assert_int_equal(su_parse_key("9a", &s, &e), 0);
	assert_int_equal(s.id[0], 0x01);
	assert_int_equal(su_parse_key("9C", &s, &e), 0);
	assert_int_equal(s.id[0], 0x02);
	assert_int_equal(su_parse_key("9d", &s, &e), 0);
	assert_int_equal(s.id[0], 0x03);
	assert_int_equal(su_parse_key("9e", &s, &e), 0);
	assert_int_equal(s.id[0], 0x04);
	assert_int_equal(su_parse_key("05", &s, &e), 0);
	assert_int_equal(s.idlen, 1);
	assert_int_equal(s.id[0], 0x05);
	assert_int_equal(su_parse_key("0a0b", &s, &e), 0);
	assert_int_equal(s.idlen, 2);
	assert_int_equal(su_parse_key("zz", &s, &e), -1);
	assert_int_equal(su_parse_key("", &s, &e), -1);
	assert_int_equal(su_parse_key("abc", &s, &e), -1);
	su_default(&s);
	assert_true(s.has_id);
	assert_int_equal(s.id[0], 0x02);
	assert_string_equal(su_piv_name(s.id, s.idlen), "9C");
	assert_null(su_piv_name((const uint8_t *)"\x05", 1));
}

/* A pipe holding text, its read end returned. */
static int
pipe_with(const char *text, size_t len)
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], text, len), (ssize_t)len);
	close(fds[1]);
	return fds[0];
}

static void
test_pin_fd(void **state)
{
	struct sp_pin	p;
	struct se_err	e;
	char		big[SP_PIN_MAX + 3];

	(void)state;
	assert_int_equal(sp_pin_init(&p, &e), 0);
	assert_int_equal(sp_pin_from_fd(&p, pipe_with("123456\n", 7), &e), 0);
	assert_int_equal(p.len, 6);
	assert_memory_equal(p.buf, "123456", 7);
	assert_int_equal(sp_pin_from_fd(&p, pipe_with("654321\r\nrest", 12),
	    &e), 0);
	assert_string_equal(p.buf, "654321");
	assert_int_equal(sp_pin_from_fd(&p, pipe_with("111111", 6), &e), 0);
	assert_int_equal(p.len, 6);
	assert_int_equal(sp_pin_from_fd(&p, pipe_with("\n", 1), &e), -1);
	assert_non_null(strstr(e.msg, "empty"));
	assert_int_equal(sp_pin_from_fd(&p, pipe_with("12\0" "34\n", 6), &e),
	    -1);
	assert_int_equal(p.len, 0);
	memset(big, '7', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	assert_int_equal(sp_pin_from_fd(&p, pipe_with(big, sizeof(big)), &e),
	    -1);
	assert_non_null(strstr(e.msg, "longer"));
	assert_int_equal(sp_pin_from_fd(&p, 987, &e), -1);
	/* a failed read leaves nothing of the PIN behind */
	assert_int_equal(p.buf[0], 0);
	sp_pin_free(&p);
	assert_null(p.buf);
	sp_pin_free(&p);			/* twice is fine */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_ok),
		cmocka_unit_test(test_uri_rejected),
		cmocka_unit_test(test_key_ref),
		cmocka_unit_test(test_pin_fd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
