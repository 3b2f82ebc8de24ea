/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvargs parser tests. The parser takes untrusted input, so besides the
 * fixed cases there is a seeded fuzz test: random well-formed lists (whose
 * parse must give back exactly the generated pairs), the same lists with
 * one random mutation (the oracle below decides whether the result is still
 * valid), and random byte strings (must parse or be refused, never crash,
 * and a successful parse must round-trip).
 */
#include <stdlib.h>
#include <string.h>

#include "keel_kvargs.h"
#include "keel_log.h"
#include "test.h"

static int
test_kvargs_basic(void)
{
	static const char *const keys[] = { "mode", "lcore", "n", NULL };
	static const char *const modes[] = { "a", "b", NULL };
	struct keel_kvargs *kv;
	uint64_t x = 0;
	char *log;

	kv = keel_kvargs_parse("mode=b,lcore=0x1f,n=42", keys);
	TEST_ASSERT(kv != NULL, "parse");
	TEST_ASSERT_EQUAL(keel_kvargs_count(kv), 3, "count");
	TEST_ASSERT(strcmp(keel_kvargs_get(kv, "mode"), "b") == 0, "mode");
	TEST_ASSERT_EQUAL(keel_kvargs_get_choice(kv, "mode", modes), 1, "b");
	TEST_ASSERT_SUCCESS(keel_kvargs_get_u64(kv, "lcore", 0, 64, &x), "u64");
	TEST_ASSERT_EQUAL(x, 31, "hex");
	TEST_ASSERT_EQUAL(keel_kvargs_get_u64(kv, "n", 0, 10, &x), -EINVAL,
			  "out of range");
	TEST_ASSERT_EQUAL(x, 31, "unchanged on error");
	TEST_ASSERT_EQUAL(keel_kvargs_get_u64(kv, "zz", 0, 10, &x), -ENOENT,
			  "absent");
	TEST_ASSERT(keel_kvargs_key(kv, 3) == NULL, "key out of range");
	keel_kvargs_free(kv);

	/* DPDK's drivers spell some keys with '-' (net_null's no-rx) */
	kv = keel_kvargs_parse("no-rx=1", NULL);
	TEST_ASSERT(kv != NULL && strcmp(keel_kvargs_get(kv, "no-rx"), "1") == 0,
		    "key with '-'");
	keel_kvargs_free(kv);

	kv = keel_kvargs_parse("", keys);
	TEST_ASSERT(kv != NULL && keel_kvargs_count(kv) == 0, "empty");
	keel_kvargs_free(kv);
	kv = keel_kvargs_parse(NULL, NULL);
	TEST_ASSERT(kv != NULL && keel_kvargs_count(kv) == 0, "NULL");
	keel_kvargs_free(kv);

	static const char *const bad[] = {
		"mode", "mode=", "=x", "mode=a,", ",mode=a", "mode=a,,n=1",
		"mode=a=b", "mode=a b", "mode=a,mode=b", "bogus=1",
		"mo de=a", "mode=\x01", "n=1;lcore=2",
	};
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		test_log_capture_start();
		kv = keel_kvargs_parse(bad[i], keys);
		log = test_log_capture_stop();
		TEST_ASSERT(kv == NULL && errno == EINVAL, "'%s' accepted",
			    bad[i]);
		TEST_ASSERT(strstr(log, "kvargs") != NULL, "no log for '%s'",
			    bad[i]);
		free(log);
	}
	/* key errors name the key and list the valid ones */
	static const struct {
		const char *args, *needle;
	} key_msgs[] = {
		{ "bogus=1", "unknown key 'bogus'" },
		{ "mode=a,mode=b", "repeated key 'mode'" },
		{ "mo de=a", "expected '=' after key at offset 2" },
		{ "=a", "missing or bad key" },
		{ "n", "expected '='" },
	};
	for (unsigned int i = 0; i < sizeof(key_msgs) / sizeof(key_msgs[0]);
	     i++) {
		test_log_capture_start();
		kv = keel_kvargs_parse(key_msgs[i].args, keys);
		log = test_log_capture_stop();
		TEST_ASSERT(kv == NULL, "'%s' accepted", key_msgs[i].args);
		TEST_ASSERT(strstr(log, key_msgs[i].needle) != NULL &&
			    strstr(log, "(valid keys: mode, lcore, n)") != NULL,
			    "'%s': log lacks \"%s\" or the valid keys: %s",
			    key_msgs[i].args, key_msgs[i].needle, log);
		free(log);
	}
	/* without a key list there is none to print */
	test_log_capture_start();
	kv = keel_kvargs_parse("a=1,a=2", NULL);
	log = test_log_capture_stop();
	TEST_ASSERT(kv == NULL && strstr(log, "repeated key 'a'") != NULL &&
		    strstr(log, "valid keys") == NULL, "no list: %s", log);
	free(log);

	/* a bad choice lists the choices, a bad number the range */
	kv = keel_kvargs_parse("mode=c,n=42", keys);
	TEST_ASSERT(kv != NULL, "parse");
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_kvargs_get_choice(kv, "mode", modes), -EINVAL,
			  "bad choice");
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "mode=c is not one of: a, b") != NULL,
		    "choices listed: %s", log);
	free(log);
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_kvargs_get_u64(kv, "n", 1, 8, &x), -EINVAL,
			  "out of range");
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "n=42 is not an integer in 1..8") != NULL,
		    "range named: %s", log);
	free(log);
	keel_kvargs_free(kv);

	/* limits */
	char big[KEEL_KVARGS_MAX_LEN + 8];

	memset(big, 'a', sizeof(big));
	big[0] = 'k';
	big[1] = '=';
	big[sizeof(big) - 1] = '\0';
	TEST_ASSERT(keel_kvargs_parse(big, NULL) == NULL, "too long");
	big[2 + KEEL_KVARGS_VALUE_MAX] = '\0';
	kv = keel_kvargs_parse(big, NULL);
	TEST_ASSERT(kv != NULL, "longest value");
	keel_kvargs_free(kv);
	big[2 + KEEL_KVARGS_VALUE_MAX] = 'a';
	big[3 + KEEL_KVARGS_VALUE_MAX] = '\0';
	TEST_ASSERT(keel_kvargs_parse(big, NULL) == NULL, "value too long");
	return TEST_SUCCESS;
}
KEEL_TEST(kvargs_basic, "fast", TEST_NO_EAL, test_kvargs_basic)

/* ---------------------------------------------------------------- fuzz */

#define FZ_KEYS 6
static const char *const fz_keys[FZ_KEYS + 1] = {
	"a", "b2", "mode", "lcore", "x_y", "zzz", NULL,
};

/* Oracle: is @p s valid for the grammar with keys fz_keys? */
static int
oracle_valid(const char *s)
{
	char seen[FZ_KEYS] = { 0 };
	size_t len = strlen(s), i = 0;
	unsigned int pairs = 0;

	if (len == 0)
		return 1;
	if (len > KEEL_KVARGS_MAX_LEN)
		return 0;
	for (;;) {
		size_t k0 = i, v0;
		int found = -1;

		while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		       (s[i] >= '0' && s[i] <= '9') || s[i] == '_')
			i++;
		if (i == k0 || i - k0 > KEEL_KVARGS_KEY_MAX || s[i] != '=')
			return 0;
		for (int k = 0; k < FZ_KEYS; k++)
			if (strlen(fz_keys[k]) == i - k0 &&
			    memcmp(fz_keys[k], s + k0, i - k0) == 0)
				found = k;
		if (found < 0 || seen[found])
			return 0;
		seen[found] = 1;
		v0 = ++i;
		while (s[i] > ' ' && s[i] < 0x7f && s[i] != ',' && s[i] != '=')
			i++;
		if (i == v0 || i - v0 > KEEL_KVARGS_VALUE_MAX)
			return 0;
		if (++pairs > KEEL_KVARGS_MAX_PAIRS)
			return 0;
		if (s[i] == '\0')
			return 1;
		if (s[i] != ',' || s[i + 1] == '\0')
			return 0;
		i++;
	}
}

static const char fz_chars[] = "abz09_=, ;\x01\x7f\xff-.:/";

static int
kvargs_fuzz(void)
{
	uint64_t seed = keel_test_seed(), rs = seed | 1;
	char s[512], keys[FZ_KEYS][8], vals[FZ_KEYS][64], rt[1024];
	unsigned int accepted = 0, refused = 0;

	for (int iter = 0; iter < 20000; iter++) {
		unsigned int np = (unsigned int)(test_rand(&rs) % (FZ_KEYS + 1));
		int used[FZ_KEYS] = { 0 };
		size_t pos = 0;
		struct keel_kvargs *kv;

		/* a well-formed list */
		s[0] = '\0';
		for (unsigned int p = 0; p < np; p++) {
			int k;
			unsigned int vl = 1 + (unsigned int)(test_rand(&rs) % 20);

			do {
				k = (int)(test_rand(&rs) % FZ_KEYS);
			} while (used[k]);
			used[k] = 1;
			snprintf(keys[p], sizeof(keys[p]), "%s", fz_keys[k]);
			for (unsigned int c = 0; c < vl; c++)
				vals[p][c] = (char)('!' + test_rand(&rs) % 94);
			vals[p][vl] = '\0';
			for (unsigned int c = 0; c < vl; c++)
				if (vals[p][c] == ',' || vals[p][c] == '=')
					vals[p][c] = 'v';
			pos += (size_t)snprintf(s + pos, sizeof(s) - pos, "%s%s=%s",
						p ? "," : "", keys[p], vals[p]);
		}
		kv = keel_kvargs_parse(s, fz_keys);
		TEST_ASSERT(kv != NULL, "valid '%s' refused (seed %" PRIu64 ")",
			    s, seed);
		TEST_ASSERT_EQUAL(keel_kvargs_count(kv), np, "count of '%s'", s);
		for (unsigned int p = 0; p < np; p++)
			TEST_ASSERT(strcmp(keel_kvargs_key(kv, p), keys[p]) == 0 &&
				    strcmp(keel_kvargs_value(kv, p), vals[p]) == 0,
				    "pair %u of '%s' (seed %" PRIu64 ")", p, s,
				    seed);
		keel_kvargs_free(kv);

		/* one mutation: replace, insert or delete a character */
		size_t len = strlen(s);
		int m = (int)(test_rand(&rs) % 3);
		size_t at = len ? (size_t)(test_rand(&rs) % len) : 0;
		char c = fz_chars[test_rand(&rs) % (sizeof(fz_chars) - 1)];

		if (m == 0 && len > 0) {
			s[at] = c;
		} else if (m == 1 && len + 1 < sizeof(s)) {
			memmove(s + at + 1, s + at, len - at + 1);
			s[at] = c;
		} else if (len > 0) {
			memmove(s + at, s + at + 1, len - at);
		}
		kv = keel_kvargs_parse(s, fz_keys);
		TEST_ASSERT((kv != NULL) == oracle_valid(s),
			    "mutated '%s': parser %s, oracle %s (seed %" PRIu64 ")",
			    s, kv ? "accepts" : "refuses",
			    oracle_valid(s) ? "accepts" : "refuses", seed);
		keel_kvargs_free(kv);

		/* random bytes, any keys: round-trip when accepted */
		len = (size_t)(test_rand(&rs) % 64);
		for (size_t i = 0; i < len; i++) {
			uint64_t r = test_rand(&rs);

			s[i] = (r & 1) ? fz_chars[(r >> 8) % (sizeof(fz_chars) - 1)] :
				(char)(1 + (r >> 8) % 255);
		}
		s[len] = '\0';
		kv = keel_kvargs_parse(s, NULL);
		if (kv == NULL) {
			refused++;
			continue;
		}
		accepted++;
		pos = 0;
		rt[0] = '\0';
		for (unsigned int p = 0; p < keel_kvargs_count(kv); p++)
			pos += (size_t)snprintf(rt + pos, sizeof(rt) - pos,
						"%s%s=%s", p ? "," : "",
						keel_kvargs_key(kv, p),
						keel_kvargs_value(kv, p));
		TEST_ASSERT(strcmp(rt, s) == 0, "round trip '%s' -> '%s'", s, rt);
		keel_kvargs_free(kv);
	}
	printf("  random strings: %u accepted, %u refused (seed %" PRIu64 ")\n",
	       accepted, refused, seed);
	return TEST_SUCCESS;
}
/* the refusals would log ~20000 lines: keep only critical ones */
static int
test_kvargs_fuzz(void)
{
	int ret;

	keel_log_set_level("kvargs", KEEL_LOG_CRIT);
	ret = kvargs_fuzz();
	keel_log_set_level("kvargs", KEEL_LOG_INFO);
	return ret;
}
KEEL_TEST(kvargs_fuzz, "fast", TEST_NO_EAL | TEST_RANDOM, test_kvargs_fuzz)
