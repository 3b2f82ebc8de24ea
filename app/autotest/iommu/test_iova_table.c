/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOVA map table: every rule and every refusal (errno + a log line naming
 * the value + table and backend unchanged), the seed's case on both kinds,
 * merges and splits, lookups, fail-the-Nth, the edges of the 64-bit space,
 * the allocator. Threads and 2^20 entries: test_iova_scale.c.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "iova_alloc.h"
#include "test.h"
#include "iommu_test_util.h"

#define MB(x) ((uint64_t)(x) << 20)

static int
check_try(struct tb *tb, const char *what, int r, int e, char *log, int want,
	  uint64_t calls0, uint64_t dcalls, struct snap *before,
	  const char *n1, const char *n2)
{
	struct snap after;
	int ret = TEST_FAILED;

	snap_take(tb->t, &after);
	if (r != want) {
		printf("  %s returned %d (%s), expected %d (%s)\n  log: %s", what,
		       r, strerror(-r), want, strerror(-want), log ? log : "");
		goto out;
	}
	if (want < 0 && e != -want) {
		printf("  %s: errno %d, expected %d\n", what, e, -want);
		goto out;
	}
	if (keel_memback_calls(tb->mb) - calls0 != dcalls) {
		printf("  %s: %" PRIu64 " backend calls, expected %" PRIu64 "\n",
		       what, keel_memback_calls(tb->mb) - calls0, dcalls);
		goto out;
	}
	if (want < 0 && !snap_equal(before, &after)) {
		printf("  %s: failed but the table changed\n", what);
		goto out;
	}
	if ((n1 && !log_has(log, n1)) || (n2 && !log_has(log, n2))) {
		printf("  %s: log '%s' does not name '%s' / '%s'\n", what,
		       log ? log : "", n1 ? n1 : "", n2 ? n2 : "");
		goto out;
	}
	if (tb_agree(tb) != 0) {
		printf("  %s: table and backend disagree\n", what);
		goto out;
	}
	ret = TEST_SUCCESS;
out:
	snap_free(&after);
	snap_free(before);
	free(log);
	return ret;
}

#define TRY(tbp, call, want, dcalls, n1, n2) do { \
	struct snap b_; \
	uint64_t c_ = keel_memback_calls((tbp)->mb); \
	int r_, e_; \
	char *l_; \
	snap_take((tbp)->t, &b_); \
	test_log_capture_start(); \
	errno = 0; \
	r_ = (call); \
	e_ = errno; \
	l_ = test_log_capture_stop(); \
	if (check_try(tbp, #call, r_, e_, l_, want, c_, dcalls, &b_, \
		      n1, n2) != 0) \
		return TEST_FAILED; \
} while (0)

static const struct keel_memback_cfg strict39 = {
	.can_split = false, .pgsize_bitmap = 0x40201000, .addr_width = 39,
	.max_mappings = 4, .n_resv = 1,
	.resv = { { 0xfee00000, 0xfeefffff } },
};

static int
test_iova_table_errors(void)
{
	static const int distinct[] = { EINVAL, EDOM, EOVERFLOW, ERANGE,
		EADDRNOTAVAIL, EEXIST, ENOENT, EFAULT, ENOTSUP, ENOSPC };
	struct tb tb;
	unsigned int i, j;
	struct iova_table *t;

	for (i = 0; i < sizeof(distinct) / sizeof(distinct[0]); i++)
		for (j = i + 1; j < sizeof(distinct) / sizeof(distinct[0]); j++)
			TEST_ASSERT(distinct[i] != distinct[j], "errnos %u %u", i, j);
	TEST_ASSERT_SUCCESS(tb_open(&tb, &strict39), "open");
	t = tb.t;

	/* map: parameters */
	TRY(&tb, iova_table_map(t, 0x10000, 0x100000, 0, KEEL_IOMMU_ACCESS_RW), -EINVAL, 0,
	    "length is 0", "0x100000");
	TRY(&tb, iova_table_map(t, 0x10001, 0x100000, PG, KEEL_IOMMU_ACCESS_RW), -EDOM, 0,
	    "0x10001", "minimum page 0x1000");
	TRY(&tb, iova_table_map(t, 0x10000, 0x100800, PG, KEEL_IOMMU_ACCESS_RW), -EDOM, 0,
	    "0x100800", "iova not aligned");
	TRY(&tb, iova_table_map(t, 0x10000, 0x100000, 0x1800, KEEL_IOMMU_ACCESS_RW), -EDOM, 0,
	    "len 0x1800", "len not aligned");
	TRY(&tb, iova_table_map(t, 0x10000, 0xfffffffffffff000ULL, 0x2000, KEEL_IOMMU_ACCESS_RW),
	    -EOVERFLOW, 0, "0xfffffffffffff000", "iova + len overflows");
	TRY(&tb, iova_table_map(t, 0xfffffffffffff000ULL, 0x100000, 0x2000, KEEL_IOMMU_ACCESS_RW),
	    -EOVERFLOW, 0, "va 0xfffffffffffff000", "va + len overflows");
	TRY(&tb, iova_table_map(t, 0x10000, 0x8000000000ULL, PG, KEEL_IOMMU_ACCESS_RW), -ERANGE, 0,
	    "0x8000000000", "39-bit");
	TRY(&tb, iova_table_map(t, 0x10000, 0x7ffffff000ULL, 2 * PG, KEEL_IOMMU_ACCESS_RW), -ERANGE,
	    0, "0x7ffffff000-0x8000000fff", "39-bit");
	TRY(&tb, iova_table_map(t, 0x10000, 0xfee00000, PG, KEEL_IOMMU_ACCESS_RW), -EADDRNOTAVAIL,
	    0, "0xfee00000", "reserved 0xfee00000-0xfeefffff");
	TRY(&tb, iova_table_map(t, 0x10000, 0xfedff000, 2 * PG, KEEL_IOMMU_ACCESS_RW),
	    -EADDRNOTAVAIL, 0, "0xfedff000", "reserved 0xfee00000-0xfeefffff");
	/* just outside the reserved region is fine */
	TRY(&tb, iova_table_map(t, 0x10000, 0xfef00000, PG, KEEL_IOMMU_ACCESS_RW), 0, 1, NULL, NULL);
	TRY(&tb, iova_table_unmap(t, 0x10000, 0xfef00000, PG), 0, 1, NULL, NULL);

	/* A = 4 pages at 0x100000 */
	TRY(&tb, iova_table_map(t, 0x40000000, 0x100000, 4 * PG, KEEL_IOMMU_ACCESS_RW), 0, 1,
	    NULL, NULL);
	TRY(&tb, iova_table_map(t, 0x50000000, 0x103000, 2 * PG, KEEL_IOMMU_ACCESS_RW), -EEXIST, 0,
	    "0x103000", "overlaps entry iova 0x100000 len 0x4000");
	TRY(&tb, iova_table_map(t, 0x50000000, 0xff000, 2 * PG, KEEL_IOMMU_ACCESS_RW), -EEXIST, 0,
	    "0xff000", "overlaps entry iova 0x100000");

	/* unmap: parameters, unmapped, disagreement, bisection */
	TRY(&tb, iova_table_unmap(t, 0x40000000, 0x100000, 0), -EINVAL, 0,
	    "length is 0", "0x100000");
	TRY(&tb, iova_table_unmap(t, 0x40000000, 0x100010, PG), -EDOM, 0,
	    "0x100010", NULL);
	TRY(&tb, iova_table_unmap(t, 0x40000000, 0xfffffffffffff000ULL,
				  0x2000), -EOVERFLOW, 0, "0xfffffffffffff000",
	    NULL);
	TRY(&tb, iova_table_unmap(t, 0x40000000, 0x200000, PG), -ENOENT, 0,
	    "IOVA 0x200000 is not mapped", NULL);
	TRY(&tb, iova_table_unmap(t, 0x40000000, 0xff000, 2 * PG), -ENOENT,
	    0, "IOVA 0xff000 is not mapped", NULL);
	TRY(&tb, iova_table_unmap(t, 0x40001000, 0x100000, 4 * PG), -EFAULT,
	    0, "mapped to va 0x40000000, not 0x40001000", NULL);
	TRY(&tb, iova_table_unmap(t, 0x40000000, 0x100000, 2 * PG), -ENOTSUP,
	    0, "end 0x102000", "0x4000-byte chunk");
	TRY(&tb, iova_table_unmap(t, 0x40001000, 0x101000, 3 * PG), -ENOTSUP,
	    0, "start 0x101000", "cannot split");

	/* a hole between A and B: nothing is removed */
	TRY(&tb, iova_table_map(t, 0x40006000, 0x106000, 2 * PG, KEEL_IOMMU_ACCESS_RW), 0, 1,
	    NULL, NULL);
	TRY(&tb, iova_table_unmap(t, 0x40000000, 0x100000, 8 * PG), -ENOENT,
	    0, "IOVA 0x104000 is not mapped (hole", NULL);
	/* B mapped to another VA: disagreement in the middle of the range */
	TRY(&tb, iova_table_map(t, 0x70000000, 0x104000, 2 * PG, KEEL_IOMMU_ACCESS_RW), 0, 1,
	    NULL, NULL);
	TRY(&tb, iova_table_unmap(t, 0x40000000, 0x100000, 8 * PG), -EFAULT,
	    0, "IOVA 0x104000 is mapped to va 0x70000000, not 0x40004000",
	    NULL);

	/* the limit: 3 mappings + 1 = 4; the 5th is refused with counts */
	TRY(&tb, iova_table_map(t, 0x80000000, 0x200000, PG, KEEL_IOMMU_ACCESS_RW), 0, 1,
	    NULL, NULL);
	TRY(&tb, iova_table_map(t, 0x90000000, 0x300000, PG, KEEL_IOMMU_ACCESS_RW), -ENOSPC, 0,
	    "4 mappings exist, limit 4", "0x300000");
	/* a backend error propagates and changes nothing */
	TRY(&tb, iova_table_unmap(t, 0x80000000, 0x200000, PG), 0, 1,
	    NULL, NULL);
	keel_memback_fail_nth(tb.mb, 1, ENOMEM);
	TRY(&tb, iova_table_map(t, 0x90000000, 0x300000, PG, KEEL_IOMMU_ACCESS_RW), -ENOMEM, 1,
	    "backend memback failed", "0x300000");
	keel_memback_fail_nth(tb.mb, 1, EBUSY);
	TRY(&tb, iova_table_unmap(t, 0x40000000, 0x100000, 4 * PG), -EBUSY,
	    1, "backend memback failed", NULL);
	tb_close(&tb);

	/* a short unmap (the backend stops at its last mapping, as type1 at
	 * another process's): EIO, and the table drops exactly what the
	 * backend dropped, so both parts can be handled again */
	{
		struct keel_memback_cfg c = { .pgsize_bitmap = PG,
			.addr_width = 48 };
		struct keel_iommu_mapping m;

		TEST_ASSERT_SUCCESS(tb_open(&tb, &c), "open");
		t = tb.t;
		TRY(&tb, iova_table_map(t, 0x40000000, 0x100000, 2 * PG, KEEL_IOMMU_ACCESS_RW), 0, 1,
		    NULL, NULL);
		TRY(&tb, iova_table_map(t, 0x40002000, 0x102000, 2 * PG, KEEL_IOMMU_ACCESS_RW), 0, 1,
		    NULL, NULL);
		TRY(&tb, iova_table_map(t, 0x40004000, 0x104000, 2 * PG, KEEL_IOMMU_ACCESS_RW), 0, 1,
		    NULL, NULL);
		keel_memback_short_unmap_nth(tb.mb, 1);
		test_log_capture_start();
		TEST_ASSERT_EQUAL(iova_table_unmap(t, 0x40000000, 0x100000,
						   6 * PG), -EIO, "short");
		{
			char *l = test_log_capture_stop();

			TEST_ASSERT(log_has(l, "unmapped 0x4000 bytes, not "
					    "0x6000; the table removes "
					    "[0x100000, 0x104000)"),
				    "log: %s", l);
			free(l);
		}
		TEST_ASSERT_SUCCESS(tb_agree(&tb), "after the short unmap");
		TEST_ASSERT_EQUAL(iova_table_lookup_iova(t, 0x103fff, &m),
				  -ENOENT, "removed part gone");
		TEST_ASSERT_SUCCESS(iova_table_lookup_iova(t, 0x104000, &m),
				    "kept part");
		TEST_ASSERT(m.iova == 0x104000 && m.len == 2 * PG &&
			    m.chunk == 2 * PG, "kept: len 0x%" PRIx64, m.len);
		TRY(&tb, iova_table_map(t, 0x40000000, 0x100000, 2 * PG, KEEL_IOMMU_ACCESS_RW), 0, 1,
		    NULL, NULL);
		/* a short unmap that removes nothing */
		keel_memback_short_unmap_nth(tb.mb, 1);
		test_log_capture_start();
		TEST_ASSERT_EQUAL(iova_table_unmap(t, 0x40004000, 0x104000,
						   2 * PG), -EIO, "nothing");
		free(test_log_capture_stop());
		TEST_ASSERT_SUCCESS(tb_agree(&tb), "after the empty short unmap");
		TRY(&tb, iova_table_unmap(t, 0x40004000, 0x104000, 2 * PG), 0,
		    1, NULL, NULL);
		TRY(&tb, iova_table_unmap(t, 0x40000000, 0x100000, 2 * PG), 0,
		    1, NULL, NULL);
		TEST_ASSERT_EQUAL(keel_memback_count(tb.mb), 0, "empty");
	}
	tb_close(&tb);

	/* a splitting backend at its limit refuses the split (ENOSPC) */
	{
		struct keel_memback_cfg c = { .can_split = true,
			.pgsize_bitmap = PG, .addr_width = 48,
			.max_mappings = 1 };

		TEST_ASSERT_SUCCESS(tb_open(&tb, &c), "open");
		TRY(&tb, iova_table_map(tb.t, 0x40000000, 0x100000, 4 * PG, KEEL_IOMMU_ACCESS_RW), 0,
		    1, NULL, NULL);
		TRY(&tb, iova_table_unmap(tb.t, 0x40001000, 0x101000, PG),
		    -ENOSPC, 1, "1 mappings exist, limit 1", "0x101000");
		TRY(&tb, iova_table_unmap(tb.t, 0x40000000, 0x100000, PG), 0,
		    1, NULL, NULL);
		tb_close(&tb);
	}
	return TEST_SUCCESS;
}
KEEL_TEST(iova_table_errors, "fast", TEST_NO_EAL, test_iova_table_errors)

/* map A, map B adjacent, unmap A: on a strict and a splitting backend */
static int
seed_case(bool can_split, uint64_t la, uint64_t lb)
{
	struct keel_memback_cfg c = { .can_split = can_split,
		.pgsize_bitmap = 0x40201000, .addr_width = 48 };
	uint64_t va = 0x7f0000000000ULL, iova = 0x10000000;
	struct keel_iommu_mapping m;
	struct tb tb;

	TEST_ASSERT_SUCCESS(tb_open(&tb, &c), "open");
	TRY(&tb, iova_table_map(tb.t, va, iova, la, KEEL_IOMMU_ACCESS_RW), 0, 1, NULL, NULL);
	TRY(&tb, iova_table_map(tb.t, va + la, iova + la, lb, KEEL_IOMMU_ACCESS_RW), 0, 1, NULL,
	    NULL);
	/* half of A: refused on the strict kind, fine when it can split */
	if (!can_split)
		TRY(&tb, iova_table_unmap(tb.t, va, iova, la / 2), -ENOTSUP, 0,
		    "cannot split", NULL);
	TRY(&tb, iova_table_unmap(tb.t, va, iova, la), 0, 1, NULL, NULL);
	TEST_ASSERT_EQUAL(iova_table_lookup_iova(tb.t, iova, &m), -ENOENT,
			  "A still mapped");
	TEST_ASSERT_SUCCESS(iova_table_lookup_iova(tb.t, iova + la, &m),
			    "B gone");
	TEST_ASSERT(m.iova == iova + la && m.len == lb && m.va == va + la,
		    "B is iova 0x%" PRIx64 " len 0x%" PRIx64, m.iova, m.len);
	TEST_ASSERT_EQUAL(m.chunk, can_split ? 0 : lb, "chunk of B");
	TEST_ASSERT_EQUAL(keel_memback_count(tb.mb), 1, "backend holds B");
	TRY(&tb, iova_table_unmap(tb.t, va + la, iova + la, lb), 0, 1, NULL,
	    NULL);
	TEST_ASSERT_EQUAL(keel_memback_count(tb.mb), 0, "backend empty");
	tb_close(&tb);
	return TEST_SUCCESS;
}

static int
test_iova_table_seed_case(void)
{
	uint64_t sizes[][2] = { { MB(2), MB(2) }, { MB(2), MB(4) },
				{ MB(4), MB(2) }, { 4 * PG, 4 * PG } };
	unsigned int i;

	for (i = 0; i < 4; i++) {
		TEST_ASSERT_SUCCESS(seed_case(false, sizes[i][0], sizes[i][1]),
				    "strict, case %u", i);
		TEST_ASSERT_SUCCESS(seed_case(true, sizes[i][0], sizes[i][1]),
				    "can split, case %u", i);
	}
	return TEST_SUCCESS;
}
KEEL_TEST(iova_table_seed_case, "fast", TEST_NO_EAL, test_iova_table_seed_case)

static int
test_iova_table_merge_split(void)
{
	struct keel_memback_cfg c = { .pgsize_bitmap = PG, .addr_width = 48 };
	struct keel_iommu_stats st;
	struct keel_iommu_mapping m;
	uint64_t va = 0x500000000ULL, io = 0x100000, k;
	struct tb tb;

	/* strict: four adjacent 2-page maps -> one entry, chunk 2 pages */
	TEST_ASSERT_SUCCESS(tb_open(&tb, &c), "open");
	for (k = 0; k < 4; k++)
		TRY(&tb, iova_table_map(tb.t, va + k * 2 * PG, io + k * 2 * PG,
					2 * PG, KEEL_IOMMU_ACCESS_RW), 0, 1, NULL, NULL);
	iova_table_stats(tb.t, &st);
	TEST_ASSERT_EQUAL(st.entries, 1, "merged");
	TEST_ASSERT_EQUAL(st.merges, 3, "merges");
	TEST_ASSERT_EQUAL(st.backend_mappings, 4, "backend mappings");
	TEST_ASSERT_SUCCESS(iova_table_lookup_iova(tb.t, io + 5 * PG, &m), "x");
	TEST_ASSERT(m.iova == io && m.len == 8 * PG && m.chunk == 2 * PG,
		    "entry len 0x%" PRIx64 " chunk 0x%" PRIx64, m.len, m.chunk);
	/* a different chunk size next to it does not merge */
	TRY(&tb, iova_table_map(tb.t, va + 8 * PG, io + 8 * PG, 3 * PG, KEEL_IOMMU_ACCESS_RW), 0, 1,
	    NULL, NULL);
	/* VA not contiguous: no merge */
	TRY(&tb, iova_table_map(tb.t, va + 100 * PG, io + 11 * PG, 3 * PG, KEEL_IOMMU_ACCESS_RW), 0,
	    1, NULL, NULL);
	iova_table_stats(tb.t, &st);
	TEST_ASSERT_EQUAL(st.entries, 3, "entries");
	/* the middle chunks: one backend call, two remainders */
	TRY(&tb, iova_table_unmap(tb.t, va + 2 * PG, io + 2 * PG, 4 * PG), 0,
	    1, NULL, NULL);
	iova_table_stats(tb.t, &st);
	TEST_ASSERT_EQUAL(st.entries, 4, "entries after split");
	TEST_ASSERT_EQUAL(st.splits, 1, "splits");
	TEST_ASSERT_EQUAL(st.backend_mappings, 4, "2 + 1 + 1");
	/* spanning three entries of different chunks in one backend call,
	 * from a chunk boundary to the end of the last entry */
	TRY(&tb, iova_table_unmap(tb.t, va + 6 * PG, io + 6 * PG, 5 * PG), 0,
	    1, NULL, NULL);
	TRY(&tb, iova_table_unmap(tb.t, va + 100 * PG, io + 11 * PG, 3 * PG),
	    0, 1, NULL, NULL);
	TRY(&tb, iova_table_unmap(tb.t, va, io, 2 * PG), 0, 1, NULL, NULL);
	iova_table_stats(tb.t, &st);
	TEST_ASSERT(st.entries == 0 && st.bytes == 0 &&
		    st.backend_mappings == 0, "empty: %" PRIu64, st.entries);
	tb_close(&tb);

	/* splitting backend: any page-aligned part */
	c.can_split = true;
	TEST_ASSERT_SUCCESS(tb_open(&tb, &c), "open");
	TRY(&tb, iova_table_map(tb.t, va, io, 8 * PG, KEEL_IOMMU_ACCESS_RW), 0, 1, NULL, NULL);
	TRY(&tb, iova_table_map(tb.t, va + 8 * PG, io + 8 * PG, 3 * PG, KEEL_IOMMU_ACCESS_RW), 0, 1,
	    NULL, NULL);
	iova_table_stats(tb.t, &st);
	TEST_ASSERT_EQUAL(st.entries, 1, "chunk 0 merges any size");
	TRY(&tb, iova_table_unmap(tb.t, va + 3 * PG, io + 3 * PG, PG), 0, 1,
	    NULL, NULL);
	TRY(&tb, iova_table_unmap(tb.t, va + 7 * PG, io + 7 * PG, 2 * PG), 0,
	    1, NULL, NULL);
	iova_table_stats(tb.t, &st);
	TEST_ASSERT_EQUAL(st.entries, 3, "three pieces");
	TEST_ASSERT_EQUAL(st.bytes, 8 * PG, "bytes");
	/* re-mapping the hole merges back */
	TRY(&tb, iova_table_map(tb.t, va + 3 * PG, io + 3 * PG, PG, KEEL_IOMMU_ACCESS_RW), 0, 1,
	    NULL, NULL);
	iova_table_stats(tb.t, &st);
	TEST_ASSERT_EQUAL(st.entries, 2, "merged back");
	tb_close(&tb);
	return TEST_SUCCESS;
}
KEEL_TEST(iova_table_merge_split, "fast", TEST_NO_EAL,
	  test_iova_table_merge_split)

static int
test_iova_table_lookup(void)
{
	struct keel_memback_cfg c = { .pgsize_bitmap = PG, .addr_width = 48 };
	struct keel_iommu_mapping m;
	struct tb tb;

	TEST_ASSERT_SUCCESS(tb_open(&tb, &c), "open");
	/* one VA at two IOVAs; a big VA range that encloses a small one */
	TEST_ASSERT_SUCCESS(iova_table_map(tb.t, 0x1000000, 0x100000, 4 * PG, KEEL_IOMMU_ACCESS_RW),
			    "a");
	TEST_ASSERT_SUCCESS(iova_table_map(tb.t, 0x1000000, 0x900000, 4 * PG, KEEL_IOMMU_ACCESS_RW),
			    "b");
	TEST_ASSERT_SUCCESS(iova_table_map(tb.t, 0x800000, 0x200000, 64 * PG, KEEL_IOMMU_ACCESS_RW),
			    "big");
	TEST_ASSERT_SUCCESS(iova_table_map(tb.t, 0x810000, 0x300000, PG, KEEL_IOMMU_ACCESS_RW),
			    "small");
	TEST_ASSERT_SUCCESS(iova_table_lookup_iova(tb.t, 0x903fff, &m), "io");
	TEST_ASSERT(m.iova == 0x900000 && m.va == 0x1000000, "b");
	TEST_ASSERT_EQUAL(iova_table_lookup_iova(tb.t, 0x904000, &m), -ENOENT,
			  "past b");
	TEST_ASSERT_EQUAL(iova_table_lookup_iova(tb.t, 0xfffff, &m), -ENOENT,
			  "before a");
	TEST_ASSERT_SUCCESS(iova_table_lookup_va(tb.t, 0x1002000, &m), "va");
	TEST_ASSERT(m.va == 0x1000000 && (m.iova == 0x100000 ||
					  m.iova == 0x900000), "a or b");
	/* 0x83f000 is only in "big", whose start sorts before "small" */
	TEST_ASSERT_SUCCESS(iova_table_lookup_va(tb.t, 0x83f000, &m), "va big");
	TEST_ASSERT(m.iova == 0x200000, "big: iova 0x%" PRIx64, m.iova);
	TEST_ASSERT_EQUAL(iova_table_lookup_va(tb.t, 0x840000, &m), -ENOENT,
			  "past big");
	TEST_ASSERT_SUCCESS(iova_table_next(tb.t, 0x104000, &m), "next");
	TEST_ASSERT_EQUAL(m.iova, 0x200000, "next entry");
	TEST_ASSERT_SUCCESS(iova_table_next(tb.t, 0x200010, &m), "next in");
	TEST_ASSERT_EQUAL(m.iova, 0x200000, "holding entry");
	TEST_ASSERT_EQUAL(iova_table_next(tb.t, 0x904000, &m), -ENOENT, "end");
	{
		char *buf = NULL;
		size_t sz = 0;
		FILE *f = open_memstream(&buf, &sz);

		iova_table_dump(tb.t, f);
		fclose(f);
		TEST_ASSERT(log_has(buf, "entries 4") &&
			    log_has(buf, "iova 0x0000000000900000-0x0000000000903fff"),
			    "dump: %s", buf);
		free(buf);
	}
	TEST_ASSERT_EQUAL(iova_table_unmap_all(tb.t), 4, "unmap all");
	TEST_ASSERT_EQUAL(keel_memback_count(tb.mb), 0, "backend empty");
	tb_close(&tb);
	return TEST_SUCCESS;
}
KEEL_TEST(iova_table_lookup, "fast", TEST_NO_EAL, test_iova_table_lookup)

/*
 * Fail-the-Nth: a scenario of maps and unmaps (merges, splits, spans) is
 * replayed with backend call n failing, for every n; after each call the
 * table equals the backend, and exactly the failed call has no effect.
 * Then with unmap n stopping short in the backend, for every n: exactly
 * that call returns EIO and the table keeps following the backend. Then
 * with allocation n of table memory failing, for every n: exactly that
 * call returns ENOMEM, without having called the backend, and with no
 * effect.
 */
struct op {
	bool map;
	uint64_t va, iova, len;
};

static const struct op scenario[] = {
	{ true, 0x10000000, 0x100000, 2 * PG },
	{ true, 0x10002000, 0x102000, 2 * PG },
	{ true, 0x10004000, 0x104000, 2 * PG },
	{ true, 0x10006000, 0x106000, 3 * PG },
	{ true, 0x20000000, 0x109000, 2 * PG },
	{ false, 0x10002000, 0x102000, 2 * PG },
	{ true, 0x30000000, 0x102000, 2 * PG },
	{ false, 0x10000000, 0x100000, 2 * PG },
	{ false, 0x10004000, 0x104000, 5 * PG },
	{ true, 0x10000000, 0x100000, 2 * PG },
	{ false, 0x20000000, 0x109000, 2 * PG },
	{ false, 0x30000000, 0x102000, 2 * PG },
	{ false, 0x10000000, 0x100000, 2 * PG },
};
#define N_SCEN (sizeof(scenario) / sizeof(scenario[0]))

enum fail_kind { FAIL_BACKEND, FAIL_SHORT, FAIL_ALLOC };

/* @p fail-th: backend call fails (EIO), unmap stops short in the backend,
 * or allocation of table memory fails (ENOMEM) */
static int
run_scenario(bool can_split, uint64_t fail, enum fail_kind kind, int *results,
	     uint64_t *calls)
{
	bool short_nth = kind == FAIL_SHORT;
	struct keel_memback_cfg c = { .can_split = can_split,
		.pgsize_bitmap = PG, .addr_width = 48 };
	struct tb tb;
	unsigned int i;

	TEST_ASSERT_SUCCESS(tb_open(&tb, &c), "open");
	if (kind == FAIL_SHORT)
		keel_memback_short_unmap_nth(tb.mb, fail);
	else if (kind == FAIL_ALLOC)
		iova_table_fail_alloc_nth(tb.t, fail);
	else
		keel_memback_fail_nth(tb.mb, fail, EIO);
	test_log_capture_start();
	for (i = 0; i < N_SCEN; i++) {
		const struct op *o = &scenario[i];
		struct snap before, after;
		uint64_t c0 = keel_memback_calls(tb.mb);

		snap_take(tb.t, &before);
		results[i] = o->map ?
			iova_table_map(tb.t, o->va, o->iova, o->len, KEEL_IOMMU_ACCESS_RW) :
			iova_table_unmap(tb.t, o->va, o->iova, o->len);
		snap_take(tb.t, &after);
		/* a failure changes nothing; a short unmap (EIO) changes
		 * exactly what the backend did (checked by tb_agree) */
		if (results[i] < 0 && !short_nth &&
		    !snap_equal(&before, &after)) {
			free(test_log_capture_stop());
			printf("  fail %" PRIu64 ": op %u failed (%d) but changed"
			       " the table\n", fail, i, results[i]);
			return TEST_FAILED;
		}
		snap_free(&before);
		snap_free(&after);
		if (results[i] == -ENOMEM &&
		    keel_memback_calls(tb.mb) != c0) {
			free(test_log_capture_stop());
			printf("  fail %" PRIu64 ": op %u ran out of memory "
			       "after calling the backend\n", fail, i);
			return TEST_FAILED;
		}
		if (fail && kind == FAIL_BACKEND && c0 < fail &&
		    keel_memback_calls(tb.mb) >= fail && results[i] != -EIO) {
			free(test_log_capture_stop());
			printf("  fail %" PRIu64 ": op %u got %d, not -EIO\n",
			       fail, i, results[i]);
			return TEST_FAILED;
		}
		if (tb_agree(&tb) != 0) {
			free(test_log_capture_stop());
			printf("  fail %" PRIu64 ": after op %u\n", fail, i);
			return TEST_FAILED;
		}
	}
	free(test_log_capture_stop());
	*calls = keel_memback_calls(tb.mb);
	tb_close(&tb);
	return TEST_SUCCESS;
}

static int
test_iova_table_fail_nth(void)
{
	int base[N_SCEN], res[N_SCEN];
	int kind;

	for (kind = 0; kind < 2; kind++) {
		uint64_t calls, c2, n, n_unmaps = 0;
		unsigned int i, n_fail;

		TEST_ASSERT_SUCCESS(run_scenario(kind, 0, FAIL_BACKEND, base,
						 &calls), "baseline");
		for (i = 0; i < N_SCEN; i++)
			TEST_ASSERT_SUCCESS(base[i], "baseline op %u (%s)", i,
					    kind ? "split" : "strict");
		TEST_ASSERT(calls >= N_SCEN, "every op calls the backend");
		for (n = 1; n <= calls; n++) {
			TEST_ASSERT_SUCCESS(run_scenario(kind, n, FAIL_BACKEND,
							 res, &c2),
					    "fail call %" PRIu64, n);
			for (i = 0, n_fail = 0; i < N_SCEN; i++)
				n_fail += res[i] == -EIO;
			TEST_ASSERT_EQUAL(n_fail, 1, "call %" PRIu64, n);
		}
		/* each unmap in turn stops short in the backend: the table
		 * follows it, and everything after still agrees */
		for (i = 0; i < N_SCEN; i++)
			n_unmaps += !scenario[i].map;
		for (n = 1; n <= n_unmaps; n++) {
			TEST_ASSERT_SUCCESS(run_scenario(kind, n, FAIL_SHORT,
							 res, &c2),
					    "short unmap %" PRIu64, n);
			for (i = 0, n_fail = 0; i < N_SCEN; i++)
				n_fail += res[i] == -EIO;
			TEST_ASSERT_EQUAL(n_fail, 1, "short unmap %" PRIu64, n);
		}
		/* each allocation of table memory in turn fails: exactly
		 * that call returns ENOMEM, before the backend is asked, and
		 * changes nothing; until n passes the last allocation */
		for (n = 1; ; n++) {
			TEST_ASSERT_SUCCESS(run_scenario(kind, n, FAIL_ALLOC,
							 res, &c2),
					    "allocation %" PRIu64, n);
			for (i = 0, n_fail = 0; i < N_SCEN; i++)
				n_fail += res[i] == -ENOMEM;
			if (n_fail == 0)
				break;
			TEST_ASSERT_EQUAL(n_fail, 1, "allocation %" PRIu64, n);
			TEST_ASSERT(n < 10000, "allocations do not end");
		}
		TEST_ASSERT(n > N_SCEN, "only %" PRIu64 " allocations", n - 1);
		printf("  %s: %" PRIu64 " backend calls, %" PRIu64
		       " allocations, each failed once\n",
		       kind ? "split" : "strict", calls, n - 1);
	}
	return TEST_SUCCESS;
}
KEEL_TEST(iova_table_fail_nth, "fast", TEST_NO_EAL, test_iova_table_fail_nth)

/* the edges of the 64-bit space: last byte UINT64_MAX, VA wrap, IOVA 0 */
static int
test_iova_table_edges(void)
{
	struct keel_memback_cfg c = { .can_split = false, .pgsize_bitmap = PG,
		.addr_width = 64 };
	const uint64_t top = UINT64_MAX - PG + 1;     /* last page */
	struct keel_iommu_stats st;
	struct keel_iommu_mapping m;
	struct tb tb;

	TEST_ASSERT_SUCCESS(tb_open(&tb, &c), "open");
	TRY(&tb, iova_table_map(tb.t, 0x100000, top - 3 * PG, 2 * PG, KEEL_IOMMU_ACCESS_RW), 0, 1,
	    NULL, NULL);
	TRY(&tb, iova_table_map(tb.t, 0x102000, top - PG, 2 * PG, KEEL_IOMMU_ACCESS_RW), 0, 1,
	    NULL, NULL);
	TEST_ASSERT_SUCCESS(iova_table_lookup_iova(tb.t, UINT64_MAX, &m), "top");
	TEST_ASSERT(m.iova == top - 3 * PG && m.len == 4 * PG, "merged at top");
	TRY(&tb, iova_table_map(tb.t, 0x200000, top, PG, KEEL_IOMMU_ACCESS_RW), -EEXIST, 0,
	    "0xfffffffffffff000", NULL);
	TRY(&tb, iova_table_unmap(tb.t, 0x102000, top - PG, 2 * PG), 0, 1,
	    NULL, NULL);
	TRY(&tb, iova_table_unmap(tb.t, 0x100000, top - 3 * PG, 2 * PG), 0, 1,
	    NULL, NULL);
	/* VA up to the last byte, then VA 0 right after in IOVA: no merge
	 * across the wrap */
	TRY(&tb, iova_table_map(tb.t, top - PG, 0, 2 * PG, KEEL_IOMMU_ACCESS_RW), 0, 1, NULL, NULL);
	TRY(&tb, iova_table_map(tb.t, 0, 2 * PG, 2 * PG, KEEL_IOMMU_ACCESS_RW), 0, 1, NULL, NULL);
	iova_table_stats(tb.t, &st);
	TEST_ASSERT_EQUAL(st.entries, 2, "no merge across the VA wrap");
	TEST_ASSERT_SUCCESS(iova_table_lookup_va(tb.t, UINT64_MAX, &m), "va");
	TEST_ASSERT_EQUAL(m.iova, 0, "IOVA 0 entry");
	TRY(&tb, iova_table_unmap(tb.t, top - PG, 0, 4 * PG), -EOVERFLOW, 0,
	    "va + len overflows", NULL);
	TRY(&tb, iova_table_unmap(tb.t, top - 3 * PG, 0, 4 * PG), -EFAULT, 0,
	    "mapped to va 0xffffffffffffe000, not 0xffffffffffffc000", NULL);
	TRY(&tb, iova_table_unmap(tb.t, top - PG, 0, 2 * PG), 0, 1, NULL,
	    NULL);
	TRY(&tb, iova_table_unmap(tb.t, 0, 2 * PG, 2 * PG), 0, 1, NULL, NULL);
	tb_close(&tb);
	return TEST_SUCCESS;
}
KEEL_TEST(iova_table_edges, "fast", TEST_NO_EAL, test_iova_table_edges)

/* the IOVA allocator alone: first fit, alignment, bounds, never IOVA 0 */
static int
test_iova_alloc(void)
{
	struct keel_memback_cfg c = { .can_split = true, .pgsize_bitmap = PG,
		.addr_width = 32, .n_resv = 1,
		.resv = { { 0x100000, 0x1fffff } } };
	struct keel_iommu_caps caps;
	uint64_t io;
	struct tb tb;

	TEST_ASSERT_SUCCESS(tb_open(&tb, &c), "open");
	iova_table_caps(tb.t, &caps);
	TEST_ASSERT_SUCCESS(iova_alloc_find(tb.t, &caps, PG, PG, 0, UINT64_MAX,
					    &io), "empty");
	TEST_ASSERT_EQUAL(io, PG, "never IOVA 0");
	TEST_ASSERT_SUCCESS(iova_table_map(tb.t, 0x10000000, PG, 4 * PG, KEEL_IOMMU_ACCESS_RW), "m");
	TEST_ASSERT_SUCCESS(iova_table_map(tb.t, 0x20000000, 8 * PG, PG, KEEL_IOMMU_ACCESS_RW), "m");
	TEST_ASSERT_SUCCESS(iova_alloc_find(tb.t, &caps, 2 * PG, PG, 0,
					    UINT64_MAX, &io), "gap");
	TEST_ASSERT_EQUAL(io, 5 * PG, "fits between the entries");
	TEST_ASSERT_SUCCESS(iova_alloc_find(tb.t, &caps, 4 * PG, PG, 0,
					    UINT64_MAX, &io), "after");
	TEST_ASSERT_EQUAL(io, 9 * PG, "too big for the gap: after entry 2");
	TEST_ASSERT_SUCCESS(iova_alloc_find(tb.t, &caps, PG, 0x10000, 0,
					    UINT64_MAX, &io), "aligned");
	TEST_ASSERT_EQUAL(io, 0x10000, "64K aligned");
	TEST_ASSERT_SUCCESS(iova_alloc_find(tb.t, &caps, PG, PG, 0x30000,
					    UINT64_MAX, &io), "min");
	TEST_ASSERT_EQUAL(io, 0x30000, "at min_iova");
	/* the reserved range [1M, 2M) is skipped */
	TEST_ASSERT_SUCCESS(iova_alloc_find(tb.t, &caps, 0x100000, 0x100000, 0,
					    UINT64_MAX, &io), "1M");
	TEST_ASSERT_EQUAL(io, 0x200000, "after the reserved range");
	TEST_ASSERT_SUCCESS(iova_alloc_find(tb.t, &caps, 0x80000, PG, 0xf0000,
					    UINT64_MAX, &io), "straddle");
	TEST_ASSERT_EQUAL(io, 0x200000, "not straddling the reserved range");
	TEST_ASSERT_EQUAL(iova_alloc_find(tb.t, &caps, 0x100000, PG, 0,
					  0xfffff, &io), -ENOSPC, "max_last");
	TEST_ASSERT_EQUAL(iova_alloc_find(tb.t, &caps, 1ULL << 32, PG, 0,
					  UINT64_MAX, &io), -ENOSPC, "> width");
	TEST_ASSERT_SUCCESS(iova_alloc_find(tb.t, &caps, 0xffe00000ULL, PG, 0,
					    UINT64_MAX, &io), "the rest");
	TEST_ASSERT_EQUAL(io, 0x200000, "all of the second range");
	TEST_ASSERT_EQUAL(iova_alloc_find(tb.t, &caps, PG, 3 * PG, 0,
					  UINT64_MAX, &io), -EINVAL, "align");
	TEST_ASSERT_EQUAL(iova_alloc_find(tb.t, &caps, 0, PG, 0, UINT64_MAX,
					  &io), -EINVAL, "len 0");
	tb_close(&tb);
	return TEST_SUCCESS;
}
KEEL_TEST(iova_alloc, "fast", TEST_NO_EAL, test_iova_alloc)
