/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOVA map table at scale: writer threads on disjoint ranges with readers
 * checking every answer (table == backend == each writer's view at the
 * end), and 2^20 entries (self-check, lookups both ways, unmap of every
 * 16th).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "iommu_test_util.h"

/*
 * Threads: each writer maps/unmaps pages of its own region (VA = IOVA +
 * its delta), readers look up random IOVAs and VAs and check what they
 * find is consistent. At the end, table == backend == each writer's view.
 */
#define N_WRITERS 3
#define N_READERS 2
#define REGION_PAGES 256

struct thr {
	struct tb *tb;
	unsigned int id;
	uint64_t seed;
	uint64_t ops;
	uint8_t mapped[REGION_PAGES];
	int err;
	volatile int *stop;
};

static uint64_t
region_iova(unsigned int id)
{
	return 0x1000000ULL * (id + 1);
}

static uint64_t
region_delta(unsigned int id)
{
	return 0x7000000000ULL + 0x100000000ULL * id;
}

static void *
writer(void *arg)
{
	struct thr *w = arg;
	uint64_t i, s = w->seed;

	for (i = 0; i < w->ops && !w->err; i++) {
		/* fixed slots: pages [4k, 4k + 1 + k % 4), whole-slot ops, so
		 * a strict backend never sees a bisection */
		uint64_t slot = test_rand(&s) % (REGION_PAGES / 4);
		uint64_t p = slot * 4, n = 1 + slot % 4, k;
		uint64_t io = region_iova(w->id) + p * PG;
		bool all = true, none = true;
		int r;

		if (p + n > REGION_PAGES)
			n = REGION_PAGES - p;
		for (k = 0; k < n; k++) {
			all &= w->mapped[p + k];
			none &= !w->mapped[p + k];
		}
		if (none) {
			r = iova_table_map(w->tb->t, io + region_delta(w->id),
					   io, n * PG, KEEL_IOMMU_ACCESS_RW);
			if (r == 0)
				memset(&w->mapped[p], 1, n);
			else
				w->err = r;
		} else if (all) {
			r = iova_table_unmap(w->tb->t, io + region_delta(w->id),
					     io, n * PG);
			if (r == 0)
				memset(&w->mapped[p], 0, n);
			else
				w->err = r;
		}
	}
	return NULL;
}

static void *
reader(void *arg)
{
	struct thr *rd = arg;
	uint64_t s = rd->seed;

	while (!*rd->stop && !rd->err) {
		unsigned int id = test_rand(&s) % N_WRITERS;
		uint64_t io = region_iova(id) +
			(test_rand(&s) % REGION_PAGES) * PG + 0x123;
		struct keel_iommu_mapping m;

		if (iova_table_lookup_iova(rd->tb->t, io, &m) == 0) {
			if (io < m.iova || io - m.iova >= m.len ||
			    m.va - m.iova != region_delta(id))
				rd->err = -EUCLEAN;
		}
		if (iova_table_lookup_va(rd->tb->t, io + region_delta(id),
					 &m) == 0) {
			uint64_t va = io + region_delta(id);

			if (va < m.va || va - m.va >= m.len ||
			    m.va - m.iova != region_delta(id))
				rd->err = -EUCLEAN;
		}
		rd->ops++;
	}
	return NULL;
}

static int
concurrent(bool can_split)
{
	struct keel_memback_cfg c = { .can_split = can_split,
		.pgsize_bitmap = PG, .addr_width = 48 };
	struct thr w[N_WRITERS], r[N_READERS];
	pthread_t tw[N_WRITERS], tr[N_READERS];
	volatile int stop = 0;
	uint64_t seed = keel_test_seed();
	unsigned int i, p;
	struct tb tb;

	TEST_ASSERT_SUCCESS(tb_open(&tb, &c), "open");
	memset(w, 0, sizeof(w));
	memset(r, 0, sizeof(r));
	for (i = 0; i < N_READERS; i++) {
		r[i].tb = &tb;
		r[i].seed = seed * 31 + i + 100;
		r[i].stop = &stop;
		pthread_create(&tr[i], NULL, reader, &r[i]);
	}
	for (i = 0; i < N_WRITERS; i++) {
		w[i].tb = &tb;
		w[i].id = i;
		w[i].seed = seed * 17 + i + 1;
		w[i].ops = 20000;
		pthread_create(&tw[i], NULL, writer, &w[i]);
	}
	for (i = 0; i < N_WRITERS; i++)
		pthread_join(tw[i], NULL);
	stop = 1;
	for (i = 0; i < N_READERS; i++)
		pthread_join(tr[i], NULL);
	for (i = 0; i < N_WRITERS; i++)
		TEST_ASSERT_SUCCESS(w[i].err, "writer %u (seed %" PRIu64 ")", i,
				    seed);
	for (i = 0; i < N_READERS; i++) {
		TEST_ASSERT_SUCCESS(r[i].err, "reader %u (seed %" PRIu64 ")", i,
				    seed);
		printf("  reader %u: %" PRIu64 " lookups\n", i, r[i].ops);
	}
	TEST_ASSERT_SUCCESS(tb_agree(&tb), "table == backend");
	for (i = 0; i < N_WRITERS; i++) {
		for (p = 0; p < REGION_PAGES; p++) {
			struct keel_iommu_mapping m;
			int found = iova_table_lookup_iova(tb.t,
					region_iova(i) + p * PG, &m) == 0;

			TEST_ASSERT_EQUAL(found, w[i].mapped[p],
					  "writer %u page %u", i, p);
		}
	}
	tb_close(&tb);
	return TEST_SUCCESS;
}

static int
test_iova_table_concurrent(void)
{
	TEST_ASSERT_SUCCESS(concurrent(false), "strict backend");
	TEST_ASSERT_SUCCESS(concurrent(true), "splitting backend");
	return TEST_SUCCESS;
}
KEEL_TEST(iova_table_concurrent, "fast", TEST_NO_EAL | TEST_RANDOM, test_iova_table_concurrent)

/* 2^20 entries: none merge (VA order differs from IOVA order) */
static int
test_iova_table_1m(void)
{
	struct keel_memback_cfg c = { .can_split = false, .pgsize_bitmap = PG,
		.addr_width = 48, .no_track = true };
#ifdef __SANITIZE_ADDRESS__
	const uint64_t n = 1 << 17;     /* sanitizer builds run ~10x slower */
#else
	const uint64_t n = 1 << 20;
#endif
	struct keel_iommu_stats st;
	struct keel_iommu_mapping m;
	uint64_t i, s = keel_test_seed();
	struct tb tb;

	TEST_ASSERT_SUCCESS(tb_open(&tb, &c), "open");
	for (i = 0; i < n; i++) {
		/* iova: every other page; va: bit-reversed-ish permutation */
		uint64_t k = (i * 0x9e3779b1ULL) & (n - 1);

		TEST_ASSERT_SUCCESS(iova_table_map(tb.t, 0x100000000ULL +
				    k * 2 * PG, 0x10000000ULL + i * 2 * PG,
				    PG, KEEL_IOMMU_ACCESS_RW), "map %" PRIu64, i);
	}
	iova_table_stats(tb.t, &st);
	TEST_ASSERT_EQUAL(st.entries, n, "entries");
	TEST_ASSERT_EQUAL(st.backend_mappings, n, "mappings");
	printf("  %" PRIu64 " entries, %.1f bytes/entry\n", st.entries,
	       (double)st.node_bytes / (double)st.entries);
	TEST_ASSERT_SUCCESS(iova_table_check(tb.t), "check");
	for (i = 0; i < 20000; i++) {
		uint64_t j = test_rand(&s) & (n - 1);
		uint64_t k = (j * 0x9e3779b1ULL) & (n - 1);

		TEST_ASSERT_SUCCESS(iova_table_lookup_iova(tb.t,
				    0x10000000ULL + j * 2 * PG + 5, &m),
				    "lookup %" PRIu64 " (seed %" PRIu64 ")", j,
				    keel_test_seed());
		TEST_ASSERT_EQUAL(m.va, 0x100000000ULL + k * 2 * PG, "va");
		TEST_ASSERT_SUCCESS(iova_table_lookup_va(tb.t, m.va + 7, &m),
				    "lookup va");
		TEST_ASSERT_EQUAL(m.iova, 0x10000000ULL + j * 2 * PG, "iova");
		TEST_ASSERT_EQUAL(iova_table_lookup_iova(tb.t,
				  0x10000000ULL + j * 2 * PG + PG, &m), -ENOENT,
				  "gap");
	}
	/* unmap every 16th entry, then check again */
	for (i = 0; i < n; i += 16) {
		uint64_t k = (i * 0x9e3779b1ULL) & (n - 1);

		TEST_ASSERT_SUCCESS(iova_table_unmap(tb.t, 0x100000000ULL +
				    k * 2 * PG, 0x10000000ULL + i * 2 * PG,
				    PG), "unmap %" PRIu64, i);
	}
	iova_table_stats(tb.t, &st);
	TEST_ASSERT_EQUAL(st.entries, n - n / 16, "entries after unmap");
	TEST_ASSERT_SUCCESS(iova_table_check(tb.t), "check");
	tb_close(&tb);
	return TEST_SUCCESS;
}
KEEL_TEST(iova_table_1m, "fast", TEST_NO_EAL | TEST_RANDOM, test_iova_table_1m)
