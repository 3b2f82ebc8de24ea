/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_AUTOTEST_H
#define KEEL_AUTOTEST_H

/*
 * keel-autotest: tests register themselves from constructors with a name, a
 * suite and what they need. The runner (autotest.c) runs each test in a
 * process of its own (unless --no-fork), initialises the EAL with the user's
 * arguments before each test that needs it and cleans it up after, so every
 * test starts from a fresh EAL (this also proves re-init works) and nothing
 * a test leaves behind, not even a crash, reaches the next one.
 *
 * A test function returns TEST_SUCCESS, TEST_FAILED or TEST_SKIPPED; use the
 * TEST_ASSERT* macros, which print file:line and the message on failure.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define TEST_SUCCESS 0
#define TEST_FAILED  (-1)
#define TEST_SKIPPED 77

/* What a test needs; missing needs make it skip with a reason. */
#define TEST_NEED_ROOT      (1u << 0)  /* euid 0 */
#define TEST_NEED_HUGEPAGES (1u << 1)  /* free hugepages (or root to reserve) */
#define TEST_NEED_VFIO      (1u << 2)  /* /dev/vfio/vfio and a device bound */
#define TEST_NO_EAL         (1u << 3)  /* runner must not init the EAL */
/* Not a need: the test draws from keel_test_seed(), so CI runs it again
 * with several seeds (keel-autotest -- --random). A test that asks for the
 * seed without this flag fails. */
#define TEST_RANDOM         (1u << 4)

struct keel_test {
	const char *name;
	const char *suite;   /* "fast", "perf", "vfio", "slow" */
	unsigned int needs;
	int (*fn)(void);
	struct keel_test *next;
};

void keel_test_register(struct keel_test *t);

/* Set the reason printed for a skip; returns TEST_SKIPPED. */
int keel_test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* EAL arguments the user gave to keel-autotest (argv[0] included). */
int keel_test_eal_argc(void);
char **keel_test_eal_argv(void);

/* Seed for randomized tests (flag them TEST_RANDOM): --seed N, or
 * KEEL_TEST_SEED, or time; the same for every test of one run. */
uint64_t keel_test_seed(void);

#define KEEL_TEST(name_, suite_, needs_, fn_) \
	static struct keel_test keel_test_##name_ = { \
		.name = #name_, .suite = suite_, .needs = needs_, .fn = fn_, \
	}; \
	__attribute__((constructor)) static void keel_test_ctor_##name_(void) \
	{ \
		keel_test_register(&keel_test_##name_); \
	}

#define TEST_ASSERT(cond, ...) do { \
	if (!(cond)) { \
		printf("  %s:%d: assertion '%s' failed: ", __FILE__, __LINE__, \
		       #cond); \
		printf(__VA_ARGS__); \
		printf("\n"); \
		return TEST_FAILED; \
	} \
} while (0)

#define TEST_ASSERT_EQUAL(a, b, ...) do { \
	long long a__ = (long long)(a), b__ = (long long)(b); \
	if (a__ != b__) { \
		printf("  %s:%d: %s == %lld, expected %s == %lld: ", __FILE__, \
		       __LINE__, #a, a__, #b, b__); \
		printf(__VA_ARGS__); \
		printf("\n"); \
		return TEST_FAILED; \
	} \
} while (0)

#define TEST_ASSERT_SUCCESS(expr, ...) TEST_ASSERT_EQUAL((expr), 0, __VA_ARGS__)

/* Small deterministic PRNG (xorshift64*), for reproducible random tests. */
static inline uint64_t
test_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/*
 * Capture log output between test_log_capture_start() and _stop(); the
 * returned buffer is owned by the caller (free()). Lets tests check that an
 * error message names the bad value.
 */
void test_log_capture_start(void);
char *test_log_capture_stop(void);

#endif /* KEEL_AUTOTEST_H */
