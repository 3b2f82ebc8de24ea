/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL perf tests: print figures, assert nothing about time.
 *   malloc_perf:   ns per keel_malloc+keel_free pair (and libc for scale)
 *   memzone_perf:  ns per reserve+free pair
 *   eal_init_perf: init+cleanup time and RSS for --no-huge -m 64
 */
#include <stdlib.h>

#include "keel_eal.h"
#include "keel_malloc.h"
#include "keel_memzone.h"
#include "test.h"
#include "test_util.h"

static int
test_malloc_perf(void)
{
	static const size_t sizes[] = { 64, 256, 1024, 4096, 65536, 1 << 20 };
	unsigned int i;

	printf("  %10s %14s %14s\n", "size", "keel ns/pair", "libc ns/pair");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int n = sizes[i] >= 65536 ? 2000 : 100000, k;
		uint64_t t0, t1, t2;
		void *p;

		/* keep one allocation live so the heap does not shrink */
		void *keep = keel_malloc("keep", sizes[i], 0);

		t0 = keel_time_ns();
		for (k = 0; k < n; k++) {
			p = keel_malloc("perf", sizes[i], 0);
			TEST_ASSERT(p != NULL, "malloc");
			*(volatile char *)p = 1;
			keel_free(p);
		}
		t1 = keel_time_ns();
		for (k = 0; k < n; k++) {
			p = malloc(sizes[i]);
			*(volatile char *)p = 1;
			free(p);
		}
		t2 = keel_time_ns();
		keel_free(keep);
		printf("  %10zu %14.1f %14.1f\n", sizes[i],
		       (double)(t1 - t0) / n, (double)(t2 - t1) / n);
	}
	return TEST_SUCCESS;
}
KEEL_TEST(malloc_perf, "perf", 0, test_malloc_perf)

static int
test_memzone_perf(void)
{
	int n = 20000, k;
	uint64_t t0;

	t0 = keel_time_ns();
	for (k = 0; k < n; k++) {
		const struct keel_memzone *mz =
			keel_memzone_reserve("perf", 4096, -1, 0);

		TEST_ASSERT(mz != NULL, "reserve");
		keel_memzone_free(mz);
	}
	printf("  memzone reserve+free 4 KiB: %.1f ns/pair\n",
	       (double)(keel_time_ns() - t0) / n);
	return TEST_SUCCESS;
}
KEEL_TEST(memzone_perf, "perf", 0, test_memzone_perf)

static int
test_eal_init_perf(void)
{
	int n = 20, k;
	uint64_t t0, best = UINT64_MAX, sum = 0;
	long rss0 = test_rss_kb(), rss = 0;

	for (k = 0; k < n; k++) {
		uint64_t t;

		t0 = keel_time_ns();
		TEST_ASSERT(test_eal_init_str("--no-huge -m 64") >= 0, "init");
		t = keel_time_ns() - t0;
		if (k == n - 1)
			rss = test_rss_kb();
		TEST_ASSERT_SUCCESS(keel_eal_cleanup(), "cleanup");
		t = keel_time_ns() - t0;
		sum += t;
		if (t < best)
			best = t;
	}
	printf("  eal init+cleanup (--no-huge -m 64): mean %.2f ms, best %.2f ms; "
	       "RSS after init %ld kB (process before: %ld kB)\n",
	       (double)sum / n / 1e6, (double)best / 1e6, rss, rss0);
	return TEST_SUCCESS;
}
KEEL_TEST(eal_init_perf, "perf", TEST_NO_EAL, test_eal_init_perf)
