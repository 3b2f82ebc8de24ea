/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The trees' two leaf formats: compact leaves keep 32-bit deltas of keys
 * from a base; keys too far apart for that go to wide leaves (64-bit
 * keys). Entries whose IOVAs and VAs are scattered over the whole 64-bit
 * space force wide leaves, dense ones compact leaves, and random maps and
 * unmaps of both move elements between the formats through every split,
 * merge and balance. After every step the table self-check passes and
 * lookups agree with a plain array of what is mapped.
 */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "iommu_test_util.h"

#define N_SLOTS 3000

struct slot {
	uint64_t iova, va, len;
	bool mapped;
};

static int
check_slots(struct tb *tb, const struct slot *sl, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct keel_iommu_mapping m;
		int ri = iova_table_lookup_iova(tb->t, sl[i].iova + sl[i].len - 1,
						&m);
		int rv = iova_table_lookup_va(tb->t, sl[i].va, &m);

		if ((ri == 0) != sl[i].mapped || (rv == 0) != sl[i].mapped ||
		    (rv == 0 && (m.iova != sl[i].iova || m.len != sl[i].len))) {
			printf("  slot %u (iova 0x%" PRIx64 " va 0x%" PRIx64
			       "): lookups %d/%d, mapped %d\n", i, sl[i].iova,
			       sl[i].va, ri, rv, sl[i].mapped);
			return -1;
		}
	}
	return 0;
}

static int
test_iova_table_layout(void)
{
	struct keel_memback_cfg c = { .can_split = true, .pgsize_bitmap = PG,
		.addr_width = 64, .no_track = true };
	uint64_t s = keel_test_seed(), op;
	struct keel_iommu_stats st;
	struct slot *sl;
	unsigned int i;
	struct tb tb;

	sl = calloc(N_SLOTS, sizeof(*sl));
	TEST_ASSERT(sl != NULL, "no memory");
	TEST_ASSERT_SUCCESS(tb_open(&tb, &c), "open");
	for (i = 0; i < N_SLOTS; i++) {
		/* a third scattered over 2^64 (wide leaves), the rest
		 * dense near each other (compact leaves); never VA- and
		 * IOVA-adjacent, so nothing merges */
		if (i % 3 == 0) {
			sl[i].iova = ((uint64_t)(i + 1) << 50) +
				(test_rand(&s) % (1ULL << 30)) * 2 * PG;
			sl[i].va = ((uint64_t)(N_SLOTS - i + 1) << 50) +
				(test_rand(&s) % (1ULL << 30)) * 2 * PG;
		} else {
			sl[i].iova = 0x100000 + (uint64_t)i * 4 * PG;
			sl[i].va = 0x7000000000ULL + (uint64_t)i * 8 * PG;
		}
		sl[i].len = PG * (1 + i % 2);
	}
	/* maps in an order that mixes both kinds within leaves */
	for (op = 0; op < 6 * N_SLOTS; op++) {
		i = (unsigned int)(test_rand(&s) % N_SLOTS);
		if (!sl[i].mapped) {
			TEST_ASSERT_SUCCESS(iova_table_map(tb.t, sl[i].va,
					    sl[i].iova, sl[i].len,
					    KEEL_IOMMU_ACCESS_RW), "map %u", i);
		} else {
			TEST_ASSERT_SUCCESS(iova_table_unmap(tb.t, sl[i].va,
					    sl[i].iova, sl[i].len),
					    "unmap %u", i);
		}
		sl[i].mapped = !sl[i].mapped;
		if (op % 997 == 0) {
			TEST_ASSERT_SUCCESS(iova_table_check(tb.t), "check at %"
					    PRIu64 " (seed %" PRIu64 ")", op,
					    keel_test_seed());
			TEST_ASSERT_SUCCESS(check_slots(&tb, sl, N_SLOTS),
					    "lookups at %" PRIu64, op);
		}
	}
	TEST_ASSERT_SUCCESS(iova_table_check(tb.t), "check");
	TEST_ASSERT_SUCCESS(check_slots(&tb, sl, N_SLOTS), "lookups");
	iova_table_stats(tb.t, &st);
	printf("  %" PRIu64 " entries, %.1f bytes/entry (a third in wide "
	       "leaves)\n", st.entries, (double)st.node_bytes /
	       (double)(st.entries ? st.entries : 1));
	/* and back to nothing */
	for (i = 0; i < N_SLOTS; i++)
		if (sl[i].mapped)
			TEST_ASSERT_SUCCESS(iova_table_unmap(tb.t, sl[i].va,
					    sl[i].iova, sl[i].len),
					    "unmap %u", i);
	iova_table_stats(tb.t, &st);
	TEST_ASSERT_EQUAL(st.entries, 0, "empty");
	TEST_ASSERT_SUCCESS(iova_table_check(tb.t), "check empty");
	tb_close(&tb);
	free(sl);
	return TEST_SUCCESS;
}
KEEL_TEST(iova_table_layout, "fast", TEST_NO_EAL | TEST_RANDOM, test_iova_table_layout)
