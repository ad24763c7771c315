/*
 * tests/unit/test-emu-counters.c - the emulator's counters file: names,
 * sorted lines, one file per card, replaced atomically.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "token-emu/counters.h"

static void
test_format_sorted(void **state)
{
	struct emu_counters	c;
	char			buf[EMU_COUNTERS_TEXT_MAX], *line, *prev = NULL;
	size_t			len = 0;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.apdus = 12;
	c.by_ins[0xa4] = 2;
	c.by_ins[0x20] = 3;
	c.by_ins[0xcb] = 6;
	c.by_ins[0x0a] = 1;
	c.verify = 3;
	c.verify_fail = 1;
	c.keyops = 4;
	c.resets = 5;
	assert_int_equal(emu_counters_format(&c, 7, buf, sizeof(buf) - 1,
	    &len), 0);
	buf[len] = '\0';
	assert_string_equal(buf,
	    "apdus 12\n"
	    "ins_0A 1\n"
	    "ins_20 3\n"
	    "ins_A4 2\n"
	    "ins_CB 6\n"
	    "keyops 4\n"
	    "pulls 7\n"
	    "resets 5\n"
	    "verify 3\n"
	    "verify_fail 1\n");
	for (line = strtok(buf, "\n"); line != NULL;
	    line = strtok(NULL, "\n")) {
		if (prev != NULL)
			assert_true(strcmp(prev, line) < 0);
		prev = line;
	}
}

static void
test_format_full(void **state)
{
	struct emu_counters	c;
	char			buf[EMU_COUNTERS_TEXT_MAX];
	size_t			len = 0;

	(void)state;
	memset(&c, 0xff, sizeof(c));	/* every INS, largest values */
	assert_int_equal(emu_counters_format(&c, UINT64_MAX, buf, sizeof(buf),
	    &len), 0);
	assert_true(len <= sizeof(buf));
	/* name, space, 20 digits, newline: 256 ins_XX + the 7 others */
	assert_int_equal(len, 256 * 28 + (5 + 6 + 5 + 6 + 6 + 11) + 6 * 22);
	assert_int_equal(emu_counters_format(&c, 0, buf, 10, &len), -1);
}

static void
test_paths(void **state)
{
	struct emu_counters_file f;

	(void)state;
	assert_int_equal(emu_counters_open(&f, "/x/counters", 1), 0);
	assert_string_equal(f.path, "/x/counters");
	assert_string_equal(f.tmp, "/x/counters.tmp");
	emu_counters_close(&f);
	assert_null(f.path);
	assert_int_equal(emu_counters_open(&f, "/x/counters", 3), 0);
	assert_string_equal(f.path, "/x/counters.3");
	assert_string_equal(f.tmp, "/x/counters.3.tmp");
	emu_counters_close(&f);
}

static void
test_write_replace(void **state)
{
	char			 dir[] = "/tmp/test-emu-counters.XXXXXX";
	char			 base[128], text[256];
	struct emu_counters_file f;
	struct emu_counters	 c;
	struct stat		 st;
	FILE			*fp;
	size_t			 n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(base, sizeof(base), "%s/counters", dir);
	assert_int_equal(emu_counters_open(&f, base, 1), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(emu_counters_write(&f, &c, 0), 0);
	c.apdus = 1;
	c.by_ins[0xa4] = 1;
	assert_int_equal(emu_counters_write(&f, &c, 1), 0);
	assert_int_equal(stat(f.tmp, &st), -1);		/* renamed away */
	fp = fopen(base, "r");
	assert_non_null(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	text[n] = '\0';
	fclose(fp);
	assert_string_equal(text, "apdus 1\nins_A4 1\nkeyops 0\npulls 1\n"
	    "resets 0\nverify 0\nverify_fail 0\n");
	unlink(base);
	emu_counters_close(&f);

	/* an unwritable place: -1, no stray file */
	snprintf(base, sizeof(base), "%s/missing/counters", dir);
	assert_int_equal(emu_counters_open(&f, base, 2), 0);
	assert_int_equal(emu_counters_write(&f, &c, 0), -1);
	emu_counters_close(&f);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_sorted),
		cmocka_unit_test(test_format_full),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_write_replace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
