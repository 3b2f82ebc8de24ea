/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iova_map_perf: ns per map, unmap, lookup by IOVA and lookup by VA at
 * 256 .. 1,048,576 entries, and bytes of memory per entry. The backend is
 * memback without records; its own cost per call is measured apart and
 * subtracted. B/entry is the table's own count of the memory it holds;
 * the resident growth of the process is printed for 2^20 entries. Times
 * are thread CPU time (clock_gettime), so other load on the machine does
 * not inflate them much. Prints figures only; asserts nothing about speed.
 *
 * The "chase ns" column is the physical reference: one dependent load at a
 * random cache line of a buffer as big as the table (2 MiB pages asked for,
 * as the table's own chunks), in the same run. A lookup in a table that no
 * longer fits the caches pays at least one such load.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "keel_cycles.h"
#include "test.h"
#include "iommu_test_util.h"

/* thread CPU time: figures stay meaningful on a loaded machine */
static uint64_t
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* resident memory of the process (/proc/self/statm), bytes */
static uint64_t
rss_bytes(void)
{
	unsigned long long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f != NULL) {
		if (fscanf(f, "%llu %llu", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

#define IOB 0x100000000ULL
#define VAB 0x7e0000000000ULL

static uint64_t
perm(uint64_t i, uint64_t n)
{
	return (i * 0x9e3779b1ULL) & (n - 1);   /* n is a power of two */
}

static double
backend_ns(void)
{
	struct keel_memback_cfg c = { .pgsize_bitmap = PG, .addr_width = 48,
		.no_track = true };
	void *mb = keel_memback_create(&c);
	const uint64_t n = 1000000;
	uint64_t i, t0, u;

	if (mb == NULL)
		return 0;
	t0 = cpu_ns();
	for (i = 0; i < n; i++) {
		keel_memback_ops.map(mb, VAB + i * PG, IOB + i * PG, PG, 3);
		keel_memback_ops.unmap(mb, IOB + i * PG, PG, &u);
	}
	t0 = cpu_ns() - t0;
	keel_memback_ops.destroy(mb);
	return (double)t0 / (double)(2 * n);
}

static volatile uint64_t chase_sink;

/* ns per dependent load at a random 64-byte line of @p bytes of memory */
static double
chase_ns(uint64_t bytes, uint64_t *seed)
{
	uint64_t lines = bytes / 64, i, j, t, steps = 2000000, t0;
	uint64_t *buf, at = 0;
	size_t len;

	if (lines < 2)
		return 0;
	len = (size_t)((lines * 64 + (2u << 20) - 1) & ~((uint64_t)(2u << 20) - 1));
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 0;
	madvise(buf, len, MADV_HUGEPAGE);
	/* one random cycle through every line (Sattolo's algorithm) */
	for (i = 0; i < lines; i++)
		buf[i * 8] = i;
	for (i = lines - 1; i > 0; i--) {
		j = test_rand(seed) % i;
		t = buf[i * 8];
		buf[i * 8] = buf[j * 8];
		buf[j * 8] = t;
	}
	for (i = 0; i < lines; i++)     /* warm up: touch the whole cycle */
		at = buf[at * 8];
	t0 = cpu_ns();
	for (i = 0; i < steps; i++)
		at = buf[at * 8];
	t0 = cpu_ns() - t0;
	munmap(buf, len);
	chase_sink = at;
	return (double)t0 / (double)steps;
}

static int
perf_at(uint64_t n, double be, double *bytes_per_entry)
{
	struct keel_memback_cfg c = { .pgsize_bitmap = PG, .addr_width = 48,
		.no_track = true };
	uint64_t m = n / 4 < 16384 ? n / 4 : 16384;
	uint64_t rounds = 262144 / m, r, i, t_map = 0, t_unmap = 0, t0;
	uint64_t s = keel_test_seed(), lookups = 1000000, *pick;
	struct keel_iommu_mapping e;
	struct keel_iommu_stats st;
	double ns_io, ns_va;
	struct tb tb;
	uint64_t rss0;

	if (rounds == 0)
		rounds = 1;
	rss0 = rss_bytes();
	TEST_ASSERT_SUCCESS(tb_open(&tb, &c), "open");
	pick = malloc(m * sizeof(*pick));
	TEST_ASSERT(pick != NULL, "no memory");
	for (i = 0; i < n; i++) {
		uint64_t k = perm(i, n);

		TEST_ASSERT_SUCCESS(iova_table_map(tb.t, VAB + perm(k, n) * 2 * PG,
						   IOB + k * 2 * PG, PG, KEEL_IOMMU_ACCESS_RW), "fill");
	}
	iova_table_stats(tb.t, &st);
	TEST_ASSERT_EQUAL(st.entries, n, "entries");
	*bytes_per_entry = (double)(rss_bytes() - rss0) / (double)n;

	for (r = 0; r < rounds; r++) {
		for (i = 0; i < m; i++)   /* m distinct entries */
			pick[i] = (test_rand(&s) % (n / m)) * m + i;
		t0 = cpu_ns();
		for (i = 0; i < m; i++) {
			uint64_t k = pick[i];

			iova_table_unmap(tb.t, VAB + perm(k, n) * 2 * PG,
					 IOB + k * 2 * PG, PG);
		}
		t_unmap += cpu_ns() - t0;
		t0 = cpu_ns();
		for (i = 0; i < m; i++) {
			uint64_t k = pick[i];

			iova_table_map(tb.t, VAB + perm(k, n) * 2 * PG,
				       IOB + k * 2 * PG, PG, KEEL_IOMMU_ACCESS_RW);
		}
		t_map += cpu_ns() - t0;
	}
	iova_table_stats(tb.t, &st);
	TEST_ASSERT_EQUAL(st.entries, n, "entries after the rounds");

	t0 = cpu_ns();
	for (i = 0; i < lookups; i++) {
		uint64_t k = test_rand(&s) & (n - 1);

		if (iova_table_lookup_iova(tb.t, IOB + k * 2 * PG + 64, &e) != 0)
			return TEST_FAILED;
	}
	ns_io = (double)(cpu_ns() - t0) / (double)lookups;
	t0 = cpu_ns();
	for (i = 0; i < lookups; i++) {
		uint64_t k = test_rand(&s) & (n - 1);

		if (iova_table_lookup_va(tb.t, VAB + k * 2 * PG + 64, &e) != 0)
			return TEST_FAILED;
	}
	ns_va = (double)(cpu_ns() - t0) / (double)lookups;

	printf("  %8" PRIu64 " | %7.1f | %7.1f | %8.1f | %8.1f | %6.1f | %8.1f\n",
	       n, (double)t_map / (double)(rounds * m) - be,
	       (double)t_unmap / (double)(rounds * m) - be, ns_io, ns_va,
	       (double)st.node_bytes / (double)n, chase_ns(st.node_bytes, &s));
	free(pick);
	tb_close(&tb);
	return TEST_SUCCESS;
}

static int
test_iova_map_perf(void)
{
	static const uint64_t sizes[] = { 256, 4096, 65536, 1048576 };
	double be = backend_ns(), bpe = 0;
	unsigned int i;

	printf("  backend (memback, no records): %.1f ns per call, subtracted\n",
	       be);
	printf("  entries  | map ns  | unmap ns| IOVA ns  | VA ns    | B/entry | chase ns (table-sized)\n");
	for (i = 0; i < 4; i++)
		TEST_ASSERT_SUCCESS(perf_at(sizes[i], be, &bpe), "size %" PRIu64,
				    sizes[i]);
	printf("  resident bytes per entry at 1,048,576 entries (RSS growth): "
	       "%.1f\n", bpe);
	return TEST_SUCCESS;
}
KEEL_TEST(iova_map_perf, "perf", TEST_NO_EAL | TEST_RANDOM, test_iova_map_perf)
