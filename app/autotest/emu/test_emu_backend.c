/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulated IOMMU as the container's "emulated" backend: registration,
 * arguments (and each bad one), capabilities, the domain behind a
 * container; the container's IOVA map table driven at random against a
 * per-page model, in strict and split mode, with the emulated page table
 * (read back leaf by leaf) as an independent referee; the default
 * container under --iommu=emulated.
 */
#include <stdlib.h>
#include <string.h>

#include "keel_eal.h"
#include "keel_iommu.h"
#include "keel_log.h"
#include "iommu_backend.h"
#include "test.h"
#include "emu_test_util.h"

static int
test_emu_backend_args(void)
{
	keel_iommu_backend_create_t create;
	const struct keel_iommu_backend_ops *ops;
	struct keel_iommu_caps caps;
	const char *name = NULL;
	void *priv;
	static const struct { const char *args, *needle; } bad[] = {
		{ "aw=40", "aw=40" },
		{ "aw=x", "'x'" },
		{ "mode=loose", "mode=loose" },
		{ "inflight=never", "inflight=never" },
		{ "limit=12k", "limit=12k" },
		{ "tables=0", "tables=0" },
		{ "tables=9z", "tables=9z" },
		{ "reserved=0x5000-0x4fff", "0x5000-0x4fff" },
		{ "reserved=0x5000", "0x5000" },
		{ "color=blue", "'color'" },
		{ "aw", "'aw'" },
	};
	unsigned int i;

	create = keel_iommu_backend_find(KEEL_IOMMU_EMULATED, NULL, &name);
	TEST_ASSERT(create != NULL, "no backend registered for kind emulated");
	TEST_ASSERT(strcmp(name, "emulated") == 0, "registered as '%s'", name);

	TEST_ASSERT_SUCCESS(create("aw=39,mode=split,limit=4,tables=3,"
			    "reserved=0xfee00000-0xfeefffff,reserved=0-0xfff",
			    &ops, &priv), "create");
	TEST_ASSERT(strcmp(ops->name, "emulated") == 0, "ops name");
	TEST_ASSERT_SUCCESS(ops->get_caps(priv, &caps), "caps");
	TEST_ASSERT(caps.can_split, "split mode can split");
	TEST_ASSERT_EQUAL(caps.pgsize_bitmap, KEEL_EMU_PGSIZES, "page sizes");
	TEST_ASSERT_EQUAL(caps.addr_width, 39, "aw");
	TEST_ASSERT_EQUAL(caps.max_mappings, 4, "limit");
	TEST_ASSERT_EQUAL(caps.n_ranges, 2, "ranges");
	TEST_ASSERT_EQUAL(caps.ranges[0].start, 0x1000, "range 0");
	TEST_ASSERT_EQUAL(caps.ranges[0].last, 0xfedfffff, "range 0 last");
	TEST_ASSERT_EQUAL(caps.ranges[1].start, 0xfef00000, "range 1");
	TEST_ASSERT_EQUAL(caps.ranges[1].last, (1ULL << 39) - 1, "range 1 last");
	TEST_ASSERT(keel_emu_backend_domain(priv) != NULL, "domain of priv");
	TEST_ASSERT(keel_emu_backend_domain(&caps) == NULL, "not a priv");
	TEST_ASSERT(keel_emu_backend_domain(NULL) == NULL, "NULL");
	/* the reserved window is refused by the domain itself too */
	TEST_ASSERT_EQUAL(ops->map(priv, 0x200000000000ULL, 0xfee00000, 0x1000,
			  KEEL_IOMMU_PROT_READ), -EPERM, "reserved");
	/* tables=3: root + 2 for a first 4 KiB map, none for a third level */
	TEST_ASSERT_SUCCESS(ops->map(priv, emu_t_va_window(), 0x1000, 0x1000,
				     KEEL_IOMMU_PROT_READ), "within tables=3");
	test_log_capture_start();
	TEST_ASSERT_EQUAL(ops->map(priv, emu_t_va_window(), 0x40000000, 0x1000,
				   KEEL_IOMMU_PROT_READ), -ENOSPC, "tables=3");
	free(test_log_capture_stop());
	ops->destroy(priv);

	TEST_ASSERT_SUCCESS(create(NULL, &ops, &priv), "defaults");
	TEST_ASSERT_SUCCESS(ops->get_caps(priv, &caps), "caps");
	TEST_ASSERT(!caps.can_split && caps.addr_width == 48 &&
		    caps.max_mappings == 0 && caps.n_ranges == 1 &&
		    caps.ranges[0].last == (1ULL << 48) - 1, "default caps");
	ops->destroy(priv);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *log;
		int r;

		test_log_capture_start();
		r = create(bad[i].args, &ops, &priv);
		log = test_log_capture_stop();
		TEST_ASSERT(r == -EINVAL && emu_t_log_has(log, bad[i].needle),
			    "'%s' gave %d, log '%s'", bad[i].args, r, log);
		free(log);
	}
	return TEST_SUCCESS;
}
KEEL_TEST(emu_backend_args, "fast", TEST_NO_EAL, test_emu_backend_args)

#define NPAGES 1024
#define VA_BASE emu_t_va_window() /* never dereferenced */
#define IOVA_BASE 0x40000000ULL

/* referee: the emulated page table maps exactly the model's pages */
static int
referee(struct keel_emu_domain *d, const int *chunk)
{
	struct emu_t_leaf *l;
	long n = emu_t_leaves(d, &l), i;
	static uint8_t seen[NPAGES];
	uint64_t p, k;

	TEST_ASSERT(n >= 0, "leaves");
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < n; i++) {
		for (k = 0; k < l[i].size / KB4; k++) {
			p = (l[i].iova - IOVA_BASE) / KB4 + k;
			if (l[i].iova < IOVA_BASE || p >= NPAGES ||
			    l[i].va + k * KB4 != VA_BASE + p * KB4) {
				printf("  leaf 0x%" PRIx64 " maps what the table "
				       "does not\n", l[i].iova);
				free(l);
				return TEST_FAILED;
			}
			seen[p] = 1;
		}
	}
	free(l);
	for (p = 0; p < NPAGES; p++)
		TEST_ASSERT_EQUAL(seen[p], chunk[p] != 0, "page %" PRIu64, p);
	return TEST_SUCCESS;
}

static int
container_model(const char *args, bool split)
{
	struct keel_iommu_container *c = keel_iommu_container_create(
		KEEL_IOMMU_EMULATED, args);
	uint64_t seed = keel_test_seed(), st = seed, op;
	static int chunk[NPAGES]; /* 0 unmapped, else id of its map call */
	struct keel_emu_domain *d;
	int next_id = 1;

	TEST_ASSERT(c != NULL, "container over '%s': %s", args, strerror(errno));
	TEST_ASSERT_EQUAL(keel_iommu_container_kind(c), KEEL_IOMMU_EMULATED,
			  "kind");
	d = keel_emu_backend_domain(keel_iommu_container_backend_priv(c));
	TEST_ASSERT(d != NULL, "domain of the container");
	memset(chunk, 0, sizeof(chunk));
	keel_log_set_level("*", KEEL_LOG_CRIT);
	for (op = 0; op < 3000; op++) {
		uint64_t p = test_rand(&st) % NPAGES;
		uint64_t k = 1 + test_rand(&st) % (test_rand(&st) % 4 ? 8 : 600);
		uint64_t j;
		bool any = false, all = true;
		int r, want;

		if (p + k > NPAGES)
			k = NPAGES - p;
		for (j = p; j < p + k; j++) {
			any |= chunk[j] != 0;
			all &= chunk[j] != 0;
		}
		if (test_rand(&st) % 2) {
			want = any ? -EEXIST : 0;
			r = keel_iommu_dma_map(c, VA_BASE + p * KB4,
					       IOVA_BASE + p * KB4, k * KB4, KEEL_IOMMU_ACCESS_RW);
			if (r == 0)
				for (j = p; j < p + k; j++)
					chunk[j] = next_id;
			next_id++;
		} else {
			if (!any)
				continue; /* nothing mapped there: uninteresting */
			if (!all)
				want = -ENOENT;
			else if (!split &&
				 ((p > 0 && chunk[p - 1] == chunk[p]) ||
				  (p + k < NPAGES && chunk[p + k] == chunk[p + k - 1])))
				want = -ENOTSUP;
			else
				want = 0;
			r = keel_iommu_dma_unmap(c, VA_BASE + p * KB4,
						 IOVA_BASE + p * KB4, k * KB4);
			if (r == 0)
				for (j = p; j < p + k; j++)
					chunk[j] = 0;
		}
		if (r != want)
			keel_log_set_level("*", KEEL_LOG_INFO);
		TEST_ASSERT_EQUAL(r, want, "op %" PRIu64 " pages %" PRIu64 "+%"
				  PRIu64 " (seed %" PRIu64 ")", op, p, k, seed);
		if (op % 16 == 0 && referee(d, chunk) != TEST_SUCCESS) {
			keel_log_set_level("*", KEEL_LOG_INFO);
			printf("  op %" PRIu64 ": emulated IOMMU disagrees with the "
			       "table (seed %" PRIu64 ")\n", op, seed);
			return TEST_FAILED;
		}
	}
	keel_log_set_level("*", KEEL_LOG_INFO);
	TEST_ASSERT_SUCCESS(referee(d, chunk), "final");
	TEST_ASSERT_SUCCESS(keel_iommu_container_destroy(c), "destroy");
	return TEST_SUCCESS;
}

static int
test_emu_backend_model(void)
{
	uint64_t pages0 = keel_emu_pt_pages_alive();

	if (container_model("mode=strict", false) != TEST_SUCCESS ||
	    container_model("mode=split", true) != TEST_SUCCESS)
		return TEST_FAILED;
	TEST_ASSERT_EQUAL(keel_emu_pt_pages_alive(), pages0, "page-table leak");
	return TEST_SUCCESS;
}
KEEL_TEST(emu_backend_model, "fast", TEST_NO_EAL | TEST_RANDOM, test_emu_backend_model)

/* with the EAL: a software device reaches the default container's domain */
static int
test_emu_backend_default(void)
{
	struct keel_iommu_container *c = keel_iommu_container_default();
	struct keel_emu_endpoint *ep;
	struct keel_emu_domain *d;
	uint8_t *mem, b = 0;
	uint64_t iova;

	if (c == NULL || keel_iommu_container_kind(c) != KEEL_IOMMU_EMULATED)
		return keel_test_skip("default container is not emulated "
				      "(run with --iommu=emulated)");
	d = keel_emu_backend_domain(keel_iommu_container_backend_priv(c));
	TEST_ASSERT(d != NULL, "domain of the default container");
	mem = aligned_alloc(KB4, 4 * KB4);
	TEST_ASSERT(mem != NULL, "alloc");
	memset(mem, 0x3c, 4 * KB4);
	TEST_ASSERT_SUCCESS(keel_iommu_dma_register(c, (uintptr_t)mem, 4 * KB4,
			    0, &iova), "register");
	ep = keel_emu_endpoint_create(1, "soft");
	TEST_ASSERT(ep != NULL, "ep");
	TEST_ASSERT_SUCCESS(keel_emu_endpoint_attach(ep, d), "attach");
	TEST_ASSERT_SUCCESS(keel_emu_dma_read(ep, iova + 5, &b, 1), "read");
	TEST_ASSERT_EQUAL(b, 0x3c, "byte through the default container");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, (uintptr_t)mem, iova, 4 * KB4),
			    "unmap");
	TEST_ASSERT_EQUAL(keel_emu_dma_read(ep, iova + 5, &b, 1), -EFAULT,
			  "unmapped through the container");
	keel_emu_fault_clear();
	TEST_ASSERT_SUCCESS(keel_emu_endpoint_destroy(ep), "ep");
	free(mem);
	return TEST_SUCCESS;
}
KEEL_TEST(emu_backend_default, "fast", 0, test_emu_backend_default)
