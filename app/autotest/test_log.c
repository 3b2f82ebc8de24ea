/* SPDX-License-Identifier: BSD-3-Clause */
/* log components, levels, glob patterns, streams. */
#include <stdlib.h>

#include "keel_log.h"
#include "test.h"

static int
test_log_levels(void)
{
	int a = keel_log_register("test.log.a", KEEL_LOG_INFO);
	int b = keel_log_register("test.log.b", KEEL_LOG_INFO);
	char *out;

	TEST_ASSERT(a >= 0 && b >= 0 && a != b, "register");
	TEST_ASSERT_EQUAL(keel_log_register("test.log.a", KEEL_LOG_ERR), a,
			  "same name, same id");
	TEST_ASSERT_EQUAL(keel_log_register("", KEEL_LOG_ERR), -EINVAL, "empty");
	TEST_ASSERT_EQUAL(keel_log_register("x", 0), -EINVAL, "level 0");
	TEST_ASSERT_EQUAL(keel_log_level_parse("debug"), KEEL_LOG_DEBUG, "parse");
	TEST_ASSERT_EQUAL(keel_log_level_parse("ERR"), KEEL_LOG_ERR, "parse");
	TEST_ASSERT_EQUAL(keel_log_level_parse("4"), 4, "number");
	TEST_ASSERT_EQUAL(keel_log_level_parse("9"), -EINVAL, "range");
	TEST_ASSERT_EQUAL(keel_log_level_parse("loud"), -EINVAL, "name");

	TEST_ASSERT_EQUAL(keel_log_set_level("test.log.*", KEEL_LOG_ERR), 2,
			  "glob hits both");
	TEST_ASSERT_EQUAL(keel_log_get_level(a), KEEL_LOG_ERR, "a");
	TEST_ASSERT_EQUAL(keel_log_set_level("test.log.z*", KEEL_LOG_DEBUG), 0,
			  "none yet");
	TEST_ASSERT_EQUAL(keel_log_get_level(
		keel_log_register("test.log.zed", KEEL_LOG_INFO)), KEEL_LOG_DEBUG,
		"pattern applies to later registration");

	test_log_capture_start();
	keel_log(KEEL_LOG_INFO, a, "hidden %d", 1);
	keel_log(KEEL_LOG_ERR, a, "shown %d", 2);
	out = test_log_capture_stop();
	TEST_ASSERT(strstr(out, "hidden") == NULL, "filtered: %s", out);
	TEST_ASSERT(strstr(out, "test.log.a ERR: shown 2") != NULL, "format: %s",
		    out);
	free(out);
	keel_log_set_level("test.log.*", KEEL_LOG_INFO);
	TEST_ASSERT(keel_log_can_log(b, KEEL_LOG_INFO), "info now");
	TEST_ASSERT(!keel_log_can_log(b, KEEL_LOG_DEBUG), "not debug");
	return TEST_SUCCESS;
}
KEEL_TEST(log_levels, "fast", TEST_NO_EAL, test_log_levels)
