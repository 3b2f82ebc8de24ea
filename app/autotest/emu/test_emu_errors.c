/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Emulated IOMMU refusals: every bad argument gets -errno, errno, a log
 * line naming the value, and leaves the page table as it was (compared
 * leaf by leaf); the virtio-iommu unmap examples in strict and split mode;
 * allocation failure injected at every table allocation of a map and a
 * split.
 */
#include <stdlib.h>
#include <string.h>

#include "keel_log.h"
#include "test.h"
#include "emu_test_util.h"
#include "emu_internal.h"

#define VA emu_t_va_window() /* never dereferenced */

static int
same_leaves(struct keel_emu_domain *d, const struct emu_t_leaf *a, long na)
{
	struct emu_t_leaf *b;
	long nb = emu_t_leaves(d, &b), i;
	int ret = 0;

	if (nb != na)
		ret = -1;
	for (i = 0; ret == 0 && i < na; i++)
		if (a[i].iova != b[i].iova || a[i].size != b[i].size ||
		    a[i].va != b[i].va || a[i].prot != b[i].prot)
			ret = -1;
	free(b);
	return ret;
}

/* run @p call expecting -err, errno err, @p needle in the log and the
 * table unchanged */
#define REFUSE(d, call, err, needle) do { \
	struct emu_t_leaf *before_; \
	long nbefore_ = emu_t_leaves((d), &before_); \
	char *log_; \
	int r_, e_; \
	test_log_capture_start(); \
	errno = 0; \
	r_ = (call); \
	e_ = errno; \
	log_ = test_log_capture_stop(); \
	if (r_ != -(err) || e_ != (err) || !emu_t_log_has(log_, (needle)) || \
	    same_leaves((d), before_, nbefore_) != 0) { \
		printf("  %s: got %d errno %d, want %d; log '%s' should name " \
		       "'%s'; table %s\n", #call, r_, e_, -(err), \
		       log_ ? log_ : "", (needle), \
		       same_leaves((d), before_, nbefore_) ? "changed" : \
		       "unchanged"); \
		free(log_); \
		free(before_); \
		return TEST_FAILED; \
	} \
	free(log_); \
	free(before_); \
} while (0)

static int
test_emu_errors(void)
{
	struct keel_emu_domain_config cfg = {
		.addr_width = 39, .max_mappings = 3, .n_reserved = 1,
		.reserved = { { 0xfee00000, 0xfeefffff } },
	};
	struct keel_emu_domain *d;
	struct keel_emu_domain_config bad;
	char *log;

	d = keel_emu_domain_create(&cfg);
	TEST_ASSERT(d != NULL, "create");
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0x100000, VA, 0x4000,
			    KEEL_EMU_PROT_READ), "map");
	REFUSE(d, keel_emu_map(d, 0x200000, VA, 0, 1), EINVAL, "length 0");
	REFUSE(d, keel_emu_map(d, 0x201234, VA, 0x1000, 1), EINVAL, "0x201234");
	REFUSE(d, keel_emu_map(d, 0x200000, VA + 0x10, 0x1000, 1), EINVAL,
	       "0 not 4 KiB-aligned");
	REFUSE(d, keel_emu_map(d, 0x200000, VA, 0x1000, 4), EINVAL, "prot 0x4");
	REFUSE(d, keel_emu_map(d, 0x200000, VA, 0x1000, 0), EINVAL, "prot 0x0");
	REFUSE(d, keel_emu_map(d, 0xfffffffffffff000ULL, VA, 0x2000, 1), EINVAL,
	       "wraps");
	REFUSE(d, keel_emu_map(d, 1ULL << 39, VA, 0x1000, 1), ERANGE,
	       "0x8000000000");
	REFUSE(d, keel_emu_map(d, 0xfed00000, VA, 0x200000, 1), EPERM,
	       "0xfee00000");
	REFUSE(d, keel_emu_map(d, 0x102000, VA, 0x4000, 1), EEXIST, "0x102000");
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0x400000, VA, 0x1000, 1), "map 2");
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0x600000, VA, 0x1000, 1), "map 3");
	REFUSE(d, keel_emu_map(d, 0x800000, VA, 0x1000, 1), ENOSPC, "limit of 3");
	REFUSE(d, keel_emu_unmap(d, 0x100000, 0, NULL), EINVAL, "length 0");
	REFUSE(d, keel_emu_unmap(d, 0x100800, 0x1000, NULL), EINVAL, "0x100800");
	REFUSE(d, keel_emu_unmap(d, 0x101000, 0x1000, NULL), EINVAL,
	       "starts inside a mapping");
	REFUSE(d, keel_emu_unmap(d, 0x100000, 0x2000, NULL), EINVAL,
	       "ends inside a mapping");
	REFUSE(d, keel_emu_unmap(d, 0x7ffffff000ULL, 0x2000, NULL), ERANGE,
	       "0x7ffffff000");
	REFUSE(d, keel_emu_map(NULL, 0, VA, 0x1000, 1), EINVAL, "NULL domain");
	TEST_ASSERT_SUCCESS(keel_emu_domain_destroy(d), "destroy");

	/* bad configurations */
	memset(&bad, 0, sizeof(bad));
	bad.addr_width = 40;
	test_log_capture_start();
	errno = 0;
	TEST_ASSERT(keel_emu_domain_create(&bad) == NULL && errno == EINVAL,
		    "aw 40");
	log = test_log_capture_stop();
	TEST_ASSERT(emu_t_log_has(log, "width 40"), "log '%s'", log);
	free(log);
	bad.addr_width = 48;
	bad.pgsize_bitmap = 0x2000;
	test_log_capture_start();
	TEST_ASSERT(keel_emu_domain_create(&bad) == NULL && errno == EINVAL,
		    "pgsizes");
	log = test_log_capture_stop();
	TEST_ASSERT(emu_t_log_has(log, "0x2000"), "log '%s'", log);
	free(log);
	bad.pgsize_bitmap = 0;
	bad.n_reserved = 1;
	bad.reserved[0].first = 0x5000;
	bad.reserved[0].last = 0x4fff;
	test_log_capture_start();
	TEST_ASSERT(keel_emu_domain_create(&bad) == NULL && errno == EINVAL,
		    "reserved");
	log = test_log_capture_stop();
	TEST_ASSERT(emu_t_log_has(log, "0x5000-0x4fff"), "log '%s'", log);
	free(log);
	return TEST_SUCCESS;
}
KEEL_TEST(emu_errors, "fast", TEST_NO_EAL, test_emu_errors)

/* the virtio-iommu spec's unmap examples, in 4 KiB pages, on both modes */
static int
unmap_examples(enum keel_emu_unmap_mode mode)
{
	const uint64_t P = KB4;
	struct keel_emu_domain_config cfg = { .unmap_mode = mode };
	struct keel_emu_domain *d = keel_emu_domain_create(&cfg);
	struct keel_emu_domain_stats st;
	bool split = mode == KEEL_EMU_UNMAP_SPLIT;
	uint64_t un;

	TEST_ASSERT(d != NULL, "create");
	keel_log_set_level("iommu.emu", KEEL_LOG_CRIT);
	/* map(0,9); unmap(0,4): strict refuses, split removes 5 pages */
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0, VA, 10 * P, 3), "map 0-9");
	un = 77;
	TEST_ASSERT_EQUAL(keel_emu_unmap(d, 0, 5 * P, &un), split ? 0 : -EINVAL,
			  "unmap 0-4 of 0-9");
	TEST_ASSERT_EQUAL(un, split ? 5 * P : 77, "unmapped");
	TEST_ASSERT_SUCCESS(keel_emu_unmap(d, 0, 10 * P, &un), "unmap 0-9");
	TEST_ASSERT_EQUAL(un, split ? 5 * P : 10 * P, "unmapped");
	/* map(0,4); map(5,9); unmap(0,4) removes the first only */
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0, VA, 5 * P, 3), "map a");
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 5 * P, VA + 5 * P, 5 * P, 3), "b");
	TEST_ASSERT_SUCCESS(keel_emu_unmap(d, 0, 5 * P, &un), "unmap a");
	TEST_ASSERT_EQUAL(un, 5 * P, "unmapped a");
	TEST_ASSERT_SUCCESS(keel_emu_domain_stats_get(d, &st), "st");
	TEST_ASSERT_EQUAL(st.mapped_bytes, 5 * P, "b stays");
	TEST_ASSERT_SUCCESS(keel_emu_unmap(d, 5 * P, 5 * P, &un), "unmap b");
	/* map(0,4); unmap(0,9): holes are fine */
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0, VA, 5 * P, 3), "map");
	TEST_ASSERT_SUCCESS(keel_emu_unmap(d, 0, 10 * P, &un), "unmap 0-9");
	TEST_ASSERT_EQUAL(un, 5 * P, "unmapped");
	/* map(0,4); map(10,14); unmap(0,14) removes both */
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0, VA, 5 * P, 3), "map");
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 10 * P, VA, 5 * P, 3), "map");
	TEST_ASSERT_SUCCESS(keel_emu_unmap(d, 0, 15 * P, &un), "unmap 0-14");
	TEST_ASSERT_EQUAL(un, 10 * P, "unmapped");
	/* an empty range succeeds with 0 bytes */
	TEST_ASSERT_SUCCESS(keel_emu_unmap(d, 0, 15 * P, &un), "empty");
	TEST_ASSERT_EQUAL(un, 0, "unmapped");
	/* a 4 KiB hole punched in a 1 GiB leaf: strict refuses, split
	 * splits 1G -> 512 x 2M -> 512 x 4K */
	TEST_ASSERT_SUCCESS(keel_emu_map(d, GB1, VA + 4 * GB1, GB1, 3), "map 1G");
	TEST_ASSERT_EQUAL(keel_emu_unmap(d, GB1 + GB1 / 2 + P, P, &un),
			  split ? 0 : -EINVAL, "punch");
	TEST_ASSERT_SUCCESS(keel_emu_domain_stats_get(d, &st), "st");
	TEST_ASSERT_EQUAL(st.leaves_1g, split ? 0 : 1, "1G leaves");
	TEST_ASSERT_EQUAL(st.leaves_2m, split ? 511 : 0, "2M leaves");
	TEST_ASSERT_EQUAL(st.leaves_4k, split ? 511 : 0, "4K leaves");
	TEST_ASSERT_EQUAL(st.n_mappings, split ? 2 : 1, "mappings");
	TEST_ASSERT_EQUAL(st.mapped_bytes, split ? GB1 - P : GB1, "bytes");
	TEST_ASSERT_SUCCESS(keel_emu_unmap(d, GB1, GB1, &un), "unmap all");
	TEST_ASSERT_SUCCESS(keel_emu_domain_stats_get(d, &st), "st");
	TEST_ASSERT_EQUAL(st.table_pages, 1, "tables left");
	TEST_ASSERT_EQUAL(st.n_mappings, 0, "mappings left");
	keel_log_set_level("iommu.emu", KEEL_LOG_INFO);
	TEST_ASSERT_SUCCESS(keel_emu_domain_destroy(d), "destroy");
	return TEST_SUCCESS;
}

static int
test_emu_unmap_modes(void)
{
	uint64_t pages0 = keel_emu_pt_pages_alive();

	if (unmap_examples(KEEL_EMU_UNMAP_STRICT) != TEST_SUCCESS ||
	    unmap_examples(KEEL_EMU_UNMAP_SPLIT) != TEST_SUCCESS)
		return TEST_FAILED;
	TEST_ASSERT_EQUAL(keel_emu_pt_pages_alive(), pages0, "leak");
	return TEST_SUCCESS;
}
KEEL_TEST(emu_unmap_modes, "fast", TEST_NO_EAL, test_emu_unmap_modes)

/* fail every table allocation of a map and of a split in turn */
static int
test_emu_fail_nth(void)
{
	struct keel_emu_domain_config cfg = {
		.addr_width = 57, .unmap_mode = KEEL_EMU_UNMAP_SPLIT,
	};
	struct keel_emu_domain *d = keel_emu_domain_create(&cfg);
	uint64_t n, pages0, iova = 3 * GB1 - MB2 - KB4, len = GB1 + 2 * MB2 + 3 * KB4;
	struct emu_t_leaf *before;
	long nbefore;
	int r;

	TEST_ASSERT(d != NULL, "create");
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0x1000, VA, 0x1000, 1), "map");
	nbefore = emu_t_leaves(d, &before);
	keel_log_set_level("iommu.emu", KEEL_LOG_CRIT);
	for (n = 1;; n++) {
		pages0 = keel_emu_pt_pages_alive();
		atomic_store(&emu_pt_fail_nth, n);
		r = keel_emu_map(d, iova, VA + 16 * GB1 - MB2 - KB4, len, 3);
		atomic_store(&emu_pt_fail_nth, 0);
		if (r == 0)
			break;
		TEST_ASSERT_EQUAL(r, -ENOMEM, "fail %" PRIu64, n);
		TEST_ASSERT_SUCCESS(same_leaves(d, before, nbefore), "fail %" PRIu64
				    ": table changed", n);
		TEST_ASSERT_EQUAL(keel_emu_pt_pages_alive(), pages0,
				  "fail %" PRIu64 ": tables leaked", n);
	}
	TEST_ASSERT(n > 3, "only %" PRIu64 " allocations for a 5-level map", n);
	free(before);
	/* a split that cannot get its tables maps the same bytes after */
	{
		struct keel_emu_domain_stats a, b;

		TEST_ASSERT_SUCCESS(keel_emu_domain_stats_get(d, &a), "st");
		atomic_store(&emu_pt_fail_nth, 2);
		r = keel_emu_unmap(d, 3 * GB1 + GB1 / 2 + KB4, KB4, NULL);
		atomic_store(&emu_pt_fail_nth, 0);
		TEST_ASSERT_EQUAL(r, -ENOMEM, "split");
		TEST_ASSERT_SUCCESS(keel_emu_domain_stats_get(d, &b), "st");
		TEST_ASSERT_EQUAL(a.mapped_bytes, b.mapped_bytes, "bytes changed");
		TEST_ASSERT_EQUAL(a.n_mappings, b.n_mappings, "mappings changed");
	}
	keel_log_set_level("iommu.emu", KEEL_LOG_INFO);
	TEST_ASSERT_SUCCESS(keel_emu_domain_destroy(d), "destroy");
	return TEST_SUCCESS;
}
KEEL_TEST(emu_fail_nth, "fast", TEST_NO_EAL, test_emu_fail_nth)
