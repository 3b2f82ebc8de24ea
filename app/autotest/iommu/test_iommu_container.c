/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOMMU containers: the backend registry, the public API over memback,
 * IOVA placement (IOVA = VA, allocation below a DMA mask, around reserved
 * regions, alignment), and the EAL's default container (--iommu kinds,
 * all EAL memory mapped, --iova-mode=alloc).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keel_eal.h"
#include "keel_iommu.h"
#include "keel_malloc.h"
#include "keel_memory.h"
#include "iommu_internal.h"
#include "test.h"
#include "iommu_test_util.h"

#define MSI_LO 0xfee00000ULL
#define MSI_HI 0xfeefffffULL

static int
test_iommu_registry(void)
{
	struct keel_iommu_container *c;
	char *log;

	TEST_ASSERT(keel_iommu_backend_find(KEEL_IOMMU_NONE, "memback", NULL)
		    != NULL, "memback registers itself");
	TEST_ASSERT_EQUAL(keel_iommu_backend_kind_of("memback"),
			  KEEL_IOMMU_NONE, "memback kind");
	TEST_ASSERT_EQUAL(keel_iommu_backend_kind_of("no-such"), -ENOENT, "x");
	TEST_ASSERT_EQUAL(keel_iommu_backend_register(KEEL_IOMMU_NONE, NULL,
			  NULL), -EINVAL, "NULL name");
	TEST_ASSERT_EQUAL(keel_iommu_backend_register(KEEL_IOMMU_NONE,
			  "a-name-that-is-far-too-long-for-the-registry",
			  (keel_iommu_backend_create_t)1), -EINVAL, "long name");
	TEST_ASSERT_EQUAL(keel_iommu_backend_unregister("no-such"), -ENOENT,
			  "unregister unknown");

	test_log_capture_start();
	c = keel_iommu_container_create_by_name("no-such", NULL);
	log = test_log_capture_stop();
	TEST_ASSERT(c == NULL && errno == ENODEV, "unknown name: errno %d",
		    errno);
	TEST_ASSERT(log_has(log, "no-such"), "log: %s", log);
	free(log);

	test_log_capture_start();
	c = keel_iommu_container_create(KEEL_IOMMU_NONE, NULL);
	log = test_log_capture_stop();
	TEST_ASSERT(c == NULL && errno == EINVAL, "kind none: errno %d", errno);
	TEST_ASSERT(log_has(log, "none"), "log: %s", log);
	free(log);

	test_log_capture_start();
	c = keel_iommu_container_create_by_name("memback", "aw=39,bogus=1");
	log = test_log_capture_stop();
	TEST_ASSERT(c == NULL && errno == EINVAL, "bad args: errno %d", errno);
	TEST_ASSERT(log_has(log, "bogus"), "log: %s", log);
	free(log);

	TEST_ASSERT(keel_iommu_container_create_with_backend(NULL, NULL) ==
		    NULL && errno == EINVAL, "NULL ops");
	TEST_ASSERT_EQUAL(keel_iommu_container_destroy(NULL), -EINVAL, "NULL");
	TEST_ASSERT_EQUAL(keel_iommu_dma_map(NULL, 0, 0, PG, KEEL_IOMMU_ACCESS_RW), -EINVAL, "NULL");
	return TEST_SUCCESS;
}
KEEL_TEST(iommu_registry, "fast", TEST_NO_EAL, test_iommu_registry)

static int
count_entries(const struct keel_iommu_mapping *m, void *arg)
{
	(void)m;
	(*(uint64_t *)arg)++;
	return 0;
}

static int
test_iommu_container_api(void)
{
	struct keel_iommu_container *c;
	struct keel_iommu_mapping m;
	struct keel_iommu_stats st;
	struct keel_iommu_caps caps;
	uint64_t iova, n = 0;
	char *buf = NULL, *log;
	size_t sz = 0;
	FILE *f;

	c = keel_iommu_container_create_by_name("memback",
			"can_split=0,pgsizes=0x40201000,aw=39,limit=100,"
			"resv=0xfee00000-0xfeefffff");
	TEST_ASSERT(c != NULL, "create: %s", strerror(errno));
	TEST_ASSERT_EQUAL(keel_iommu_container_kind(c), KEEL_IOMMU_NONE, "k");
	TEST_ASSERT(strcmp(keel_iommu_container_backend_ops(c)->name,
			   "memback") == 0, "ops name");
	TEST_ASSERT(keel_iommu_container_backend_priv(c) != NULL, "priv");
	TEST_ASSERT_SUCCESS(keel_iommu_caps_get(c, &caps), "caps");
	TEST_ASSERT(!caps.can_split && caps.addr_width == 39 &&
		    caps.max_mappings == 100 && caps.n_ranges == 2 &&
		    caps.ranges[0].last == MSI_LO - 1 &&
		    caps.ranges[1].start == MSI_HI + 1 &&
		    caps.ranges[1].last == 0x7fffffffffULL, "caps");
	TEST_ASSERT_SUCCESS(keel_iommu_caps_refresh(c), "refresh");

	/* map / lookup / unmap through the container */
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, 0x40000000, 0x200000,
					       4 * PG, KEEL_IOMMU_ACCESS_RW), "map");
	TEST_ASSERT_EQUAL(keel_iommu_va2iova(c, 0x40001234), 0x201234, "va2io");
	TEST_ASSERT(keel_iommu_va2iova(c, 0x50000000) == KEEL_BAD_IOVA &&
		    errno == ENOENT, "unmapped va");
	TEST_ASSERT_SUCCESS(keel_iommu_lookup_iova(c, 0x203fff, &m), "io");
	TEST_ASSERT(m.va == 0x40000000 && m.chunk == 4 * PG, "entry");
	TEST_ASSERT_SUCCESS(keel_iommu_lookup_va(c, 0x40000000, &m), "va");
	TEST_ASSERT_EQUAL(keel_iommu_dma_unmap(c, 0x40000000, 0x200000, PG),
			  -ENOTSUP, "bisect");
	TEST_ASSERT_EQUAL(errno, ENOTSUP, "errno");

	/* IOVA = VA when the VA is usable */
	TEST_ASSERT_SUCCESS(keel_iommu_dma_register(c, 0x60000000, 16 * PG, 0,
						    &iova), "register");
	TEST_ASSERT_EQUAL(iova, 0x60000000, "IOVA = VA");
	/* a VA beyond the 39-bit width gets an allocated, aligned IOVA */
	TEST_ASSERT_SUCCESS(keel_iommu_dma_register(c, 0x7f0000200000ULL,
						    0x200000, 0, &iova), "reg");
	TEST_ASSERT(iova != 0 && iova < (1ULL << 39) && iova % 0x200000 == 0,
		    "iova 0x%" PRIx64, iova);
	TEST_ASSERT_EQUAL(keel_iommu_va2iova(c, 0x7f0000200010ULL), iova + 0x10,
			  "translate");
	/* a VA already used as an IOVA elsewhere is not taken */
	TEST_ASSERT_SUCCESS(keel_iommu_dma_register(c, 0x200000, PG, 0, &iova),
			    "reg");
	TEST_ASSERT(iova != 0x200000 && iova != 0, "iova 0x%" PRIx64, iova);

	TEST_ASSERT_EQUAL(keel_iommu_dma_register(c, 0x1001, PG, 0, &iova),
			  -EDOM, "misaligned");
	TEST_ASSERT_EQUAL(keel_iommu_dma_register(c, 0x1000, PG, 65, &iova),
			  -EINVAL, "mask > 64");

	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &st), "stats");
	TEST_ASSERT_SUCCESS(keel_iommu_walk(c, count_entries, &n), "walk");
	TEST_ASSERT_EQUAL(st.entries, n, "entries");
	TEST_ASSERT(st.entries == 4 && st.backend_mappings == 4 &&
		    st.max_mappings == 100 && st.refused == 2,
		    "stats: %" PRIu64 " entries, %" PRIu64 " mappings, %" PRIu64
		    " refused", st.entries, st.backend_mappings, st.refused);
	f = open_memstream(&buf, &sz);
	keel_iommu_dump(f, c);
	fclose(f);
	TEST_ASSERT(log_has(buf, "IOMMU container") &&
		    log_has(buf, "backend memback: cannot split") &&
		    log_has(buf, "usable [0xfef00000, 0x7fffffffff]") &&
		    log_has(buf, "va 0x0000000040000000"), "dump: %s", buf);
	free(buf);

	test_log_capture_start();
	TEST_ASSERT_SUCCESS(keel_iommu_container_destroy(c), "destroy");
	log = test_log_capture_stop();
	TEST_ASSERT(log_has(log, "destroyed with 4 entries"), "log: %s", log);
	free(log);
	return TEST_SUCCESS;
}
KEEL_TEST(iommu_container_api, "fast", TEST_NO_EAL, test_iommu_container_api)

/* a 32-bit DMA mask: allocation below 4 GiB, around the MSI window */
static int
test_iommu_iova_placement(void)
{
	struct keel_iommu_container *c;
	uint64_t iova;
	char *log;

	c = keel_iommu_container_create_by_name("memback",
			"can_split=0,aw=39,resv=0xfee00000-0xfeefffff");
	TEST_ASSERT(c != NULL, "create: %s", strerror(errno));
	/* 1 GiB alignment does not fit below the window; 2 MiB does */
	TEST_ASSERT_SUCCESS(keel_iommu_dma_register(c, 0x7e0000000000ULL,
						    0xfe000000ULL, 32, &iova),
			    "big");
	TEST_ASSERT_EQUAL(iova, 0x200000, "lowest 2 MiB-aligned fit");
	/* 12 MiB stay below the window: 16 MiB go above it, 2 MiB-aligned */
	TEST_ASSERT_SUCCESS(keel_iommu_dma_register(c, 0x7d0000000000ULL,
						    0x1000000, 32, &iova),
			    "above msi");
	TEST_ASSERT_EQUAL(iova, 0xff000000ULL, "above the MSI window");
	/* 8 MiB fit in the 12 MiB below the window */
	TEST_ASSERT_SUCCESS(keel_iommu_dma_register(c, 0x7c0000000000ULL,
						    0x800000, 32, &iova),
			    "below msi");
	TEST_ASSERT_EQUAL(iova, 0xfe200000ULL, "below the MSI window");
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_iommu_dma_register(c, 0x7b0000000000ULL,
						  0x800000, 32, &iova),
			  -ENOSPC, "no room below 4G");
	log = test_log_capture_stop();
	TEST_ASSERT(log_has(log, "DMA mask 32 bits") &&
		    log_has(log, "0x800000"), "log: %s", log);
	free(log);
	/* without the mask, the same request fits above 4 GiB */
	TEST_ASSERT_SUCCESS(keel_iommu_dma_register(c, 0x7b0000000000ULL,
						    0x800000, 0, &iova), "64");
	TEST_ASSERT(iova >= 0x100000000ULL && iova < (1ULL << 39),
		    "iova 0x%" PRIx64, iova);
	test_log_capture_start();
	TEST_ASSERT_SUCCESS(keel_iommu_container_destroy(c), "destroy");
	free(test_log_capture_stop());
	return TEST_SUCCESS;
}
KEEL_TEST(iommu_iova_placement, "fast", TEST_NO_EAL, test_iommu_iova_placement)

/* a buffer whose VA straddles the DMA mask: IOVA = VA would put its end
 * above the mask, so it gets an IOVA wholly below; with a wider mask it
 * keeps IOVA = VA */
static int
test_iommu_register_mask_straddle(void)
{
	const uint64_t va = 0xffffe000ULL, len = 4 * PG, mask32 = 0xffffffffULL;
	struct keel_iommu_container *c;
	uint64_t iova = 0;

	c = keel_iommu_container_create_by_name("memback", "aw=39");
	TEST_ASSERT(c != NULL, "create: %s", strerror(errno));
	TEST_ASSERT_SUCCESS(keel_iommu_dma_register(c, va, len, 32, &iova),
			    "straddling 2^32");
	TEST_ASSERT(iova + len - 1 <= mask32,
		    "iova 0x%" PRIx64 "-0x%" PRIx64 " not below the 32-bit mask",
		    iova, iova + len - 1);
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, va, iova, len), "unmap");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_register(c, va, len, 33, &iova),
			    "33-bit mask");
	TEST_ASSERT_EQUAL(iova, va, "below a 33-bit mask, IOVA = VA");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, va, iova, len), "unmap");
	/* the last page below the mask still fits as IOVA = VA */
	TEST_ASSERT_SUCCESS(keel_iommu_dma_register(c, mask32 + 1 - len, len,
						    32, &iova), "just below");
	TEST_ASSERT_EQUAL(iova, mask32 + 1 - len, "IOVA = VA up to the mask");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, iova, iova, len), "unmap");
	TEST_ASSERT_SUCCESS(keel_iommu_container_destroy(c), "destroy");
	return TEST_SUCCESS;
}
KEEL_TEST(iommu_register_mask_straddle, "fast", TEST_NO_EAL,
	  test_iommu_register_mask_straddle)

/* ---- the EAL's default container ---- */

struct run_chk {
	struct keel_iommu_container *c;
	uint64_t runs, bytes;
	int bad;
};

static int
run_mapped(void *va, uint64_t iova, uint64_t len, int socket, void *arg)
{
	struct run_chk *r = arg;
	uint64_t off;

	(void)socket;
	for (off = 0; off < len; off += PG) {
		struct keel_iommu_mapping m;

		if (keel_iommu_lookup_iova(r->c, iova + off, &m) != 0 ||
		    m.va + (iova + off - m.iova) != (uint64_t)(uintptr_t)va + off) {
			printf("  run va %p iova 0x%" PRIx64 ": offset 0x%" PRIx64
			       " not mapped right\n", va, iova, off);
			r->bad = 1;
			return 1;
		}
	}
	r->runs++;
	r->bytes += len;
	return 0;
}

static int
test_iommu_eal_default(void)
{
	struct keel_iommu_container *c = keel_iommu_container_default();
	struct run_chk r = { c, 0, 0, 0 };
	struct keel_iommu_stats st;
	void *p;

	if (c == NULL) {
		TEST_ASSERT_EQUAL(eal_iommu_kind(), KEEL_IOMMU_NONE, "kind");
		return keel_test_skip("running without an IOMMU container");
	}
	TEST_ASSERT_EQUAL(keel_iommu_container_kind(c), eal_iommu_kind(), "k");
	TEST_ASSERT_EQUAL(keel_iommu_container_destroy(c), -EBUSY, "default");
	/* make sure some EAL memory exists, then check all of it is mapped */
	p = keel_malloc("iommu-test", 1 << 20, 0);
	TEST_ASSERT(p != NULL, "keel_malloc");
	TEST_ASSERT_EQUAL(keel_iommu_va2iova(c, (uintptr_t)p),
			  keel_mem_virt2iova(p), "malloc'd memory mapped");
	TEST_ASSERT_SUCCESS(keel_memseg_contig_walk(run_mapped, &r), "walk");
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &st), "stats");
	keel_free(p);
	TEST_ASSERT(!r.bad && r.runs > 0, "runs");
	TEST_ASSERT(st.bytes >= r.bytes, "table maps 0x%" PRIx64 " of 0x%"
		    PRIx64, st.bytes, r.bytes);
	return TEST_SUCCESS;
}
KEEL_TEST(iommu_eal_default, "fast", 0, test_iommu_eal_default)

/* memback standing in for the emulated kind, so the test can count */
static void *eal_mb;

static int
test_emu_create(const char *args, const struct keel_iommu_backend_ops **ops,
		void **priv)
{
	struct keel_memback_cfg c = { .can_split = false,
		.pgsize_bitmap = PG, .addr_width = 48 };

	(void)args;
	eal_mb = keel_memback_create(&c);
	if (eal_mb == NULL)
		return -errno;
	*ops = &keel_memback_ops;
	*priv = eal_mb;
	return 0;
}

static int
eal_run(const char *iova_mode, const char *iommu)
{
	char *argv[] = { "keel-autotest", "--no-huge", "-m", "16",
		"--iova-mode", (char *)iova_mode, "--iommu", (char *)iommu,
		NULL };

	return keel_eal_init(8, argv);
}

/* --iova-mode=alloc: compact IOVAs from the bottom, not the VAs */
static int
run_compact(void *va, uint64_t iova, uint64_t len, int socket, void *arg)
{
	(void)socket;
	(void)arg;
	if (iova == (uint64_t)(uintptr_t)va || iova == 0 ||
	    iova + len > (1ULL << 30)) {
		printf("  run va %p: iova 0x%" PRIx64 " is not a compact "
		       "allocated IOVA\n", va, iova);
		return 1;
	}
	return 0;
}

static int
eal_memback_case(const char *iova_mode)
{
	struct keel_iommu_container *c;
	struct run_chk r = { NULL, 0, 0, 0 };
	struct keel_mem_stats ms;
	struct keel_iommu_stats st;
	char *log;
	void *p;
	int ret;

	ret = eal_run(iova_mode, "emulated");
	TEST_ASSERT(ret >= 0, "init (%s): %s", iova_mode, strerror(-ret));
	c = keel_iommu_container_default();
	TEST_ASSERT(c != NULL, "default container");
	TEST_ASSERT_EQUAL(eal_iommu_kind(), KEEL_IOMMU_EMULATED, "kind");
	TEST_ASSERT(keel_iommu_container_backend_priv(c) == eal_mb, "ours");
	r.c = c;
	TEST_ASSERT_SUCCESS(keel_memseg_contig_walk(run_mapped, &r), "walk");
	TEST_ASSERT(!r.bad && r.runs > 0, "runs");
	if (strcmp(iova_mode, "alloc") == 0) {
		TEST_ASSERT_EQUAL(keel_eal_iova_mode(), KEEL_IOVA_ALLOC, "mode");
		TEST_ASSERT_SUCCESS(keel_memseg_contig_walk(run_compact, NULL),
				    "compact IOVAs");
	}
	TEST_ASSERT_SUCCESS(keel_mem_stats_get(&ms), "mem stats");
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &st), "stats");
	/* strict backend: one backend mapping per memory-event run (ALLOC
	 * and FREE name the same runs), not one per page */
	TEST_ASSERT_EQUAL(st.bytes, ms.allocated, "all memory mapped");
	TEST_ASSERT_EQUAL(keel_memback_count(eal_mb), r.runs,
			  "one backend mapping per run");
	TEST_ASSERT(st.entries <= r.runs, "pages of a run merge: %" PRIu64
		    " entries, %" PRIu64 " runs", st.entries, r.runs);
	/* memory that appears later is mapped, and unmapped when it goes */
	p = keel_malloc("iommu-test", 24 << 20, 0);
	if (p != NULL) {
		uint64_t io = keel_mem_virt2iova(p);

		TEST_ASSERT(io != KEEL_BAD_IOVA, "iova of new memory");
		TEST_ASSERT_EQUAL(keel_iommu_va2iova(c, (uintptr_t)p), io,
				  "new memory mapped at its IOVA");
		keel_free(p);
	}
	TEST_ASSERT_SUCCESS(keel_mem_stats_get(&ms), "mem stats");
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &st), "stats");
	TEST_ASSERT_EQUAL(st.bytes, ms.allocated, "mapped == allocated");
	test_log_capture_start();
	TEST_ASSERT_SUCCESS(keel_eal_cleanup(), "cleanup");
	log = test_log_capture_stop();
	TEST_ASSERT(!log_has(log, "destroyed with"), "left behind: %s", log);
	free(log);
	TEST_ASSERT(keel_iommu_container_default() == NULL, "gone");
	return TEST_SUCCESS;
}

static int
test_iommu_eal_kinds(void)
{
	char *log;
	int ret;

	/* none: no container */
	ret = eal_run("va", "none");
	TEST_ASSERT(ret >= 0, "init none: %s", strerror(-ret));
	TEST_ASSERT(keel_iommu_container_default() == NULL, "no container");
	TEST_ASSERT_EQUAL(eal_iommu_kind(), KEEL_IOMMU_NONE, "kind");
	TEST_ASSERT_SUCCESS(keel_eal_cleanup(), "cleanup");

	/* vfio when it is not there: -ENODEV and a clear log */
	if (keel_iommu_backend_find(KEEL_IOMMU_VFIO, NULL, NULL) == NULL ||
	    access("/dev/vfio/vfio", R_OK | W_OK) != 0) {
		test_log_capture_start();
		ret = eal_run("va", "vfio");
		log = test_log_capture_stop();
		TEST_ASSERT_EQUAL(ret, -ENODEV, "vfio without vfio");
		TEST_ASSERT(log_has(log, "--iommu vfio"), "log: %s", log);
		free(log);
		TEST_ASSERT(!keel_eal_is_initialized(), "init failed cleanly");
	}

	TEST_ASSERT_SUCCESS(keel_iommu_backend_register(KEEL_IOMMU_EMULATED,
			    "test-emu", test_emu_create), "register");
	ret = eal_memback_case("va");
	if (ret == TEST_SUCCESS)
		ret = eal_memback_case("alloc");
	if (keel_eal_is_initialized())
		keel_eal_cleanup();
	keel_iommu_backend_unregister("test-emu");
	return ret;
}
KEEL_TEST(iommu_eal_kinds, "fast", TEST_NO_EAL, test_iommu_eal_kinds)

/* an IOMMU failure while new EAL memory is mapped refuses the memory and
 * leaves the table equal to the backend */
struct rec_sum {
	struct keel_iommu_container *c;
	uint64_t bytes;
	int bad;
};

static int
rec_in_table(const struct keel_memback_rec *rec, void *arg)
{
	struct rec_sum *s = arg;
	struct keel_iommu_mapping m;

	if (keel_iommu_lookup_iova(s->c, rec->iova, &m) != 0 ||
	    m.va + (rec->iova - m.iova) != rec->va ||
	    rec->iova + rec->len > m.iova + m.len) {
		s->bad = 1;
		return 1;
	}
	s->bytes += rec->len;
	return 0;
}

static int
table_equals_memback(struct keel_iommu_container *c)
{
	struct rec_sum s = { c, 0, 0 };
	struct keel_iommu_stats st;

	keel_memback_walk(eal_mb, rec_in_table, &s);
	keel_iommu_stats_get(c, &st);
	TEST_ASSERT(!s.bad, "a backend mapping is not in the table");
	TEST_ASSERT_EQUAL(s.bytes, st.bytes, "table bytes == backend bytes");
	TEST_ASSERT_EQUAL(keel_memback_count(eal_mb), st.backend_mappings,
			  "mappings");
	return TEST_SUCCESS;
}

static int
eal_refused_case(void)
{
	struct keel_iommu_container *c;
	struct keel_mem_stats ms0, ms;
	uint64_t n;
	void *p;
	int ret;

	ret = eal_run("va", "emulated");
	TEST_ASSERT(ret >= 0, "init: %s", strerror(-ret));
	c = keel_iommu_container_default();
	TEST_ASSERT(c != NULL && keel_iommu_container_backend_priv(c) == eal_mb,
		    "our backend");
	TEST_ASSERT_SUCCESS(keel_mem_stats_get(&ms0), "stats");
	/* the 32 MiB grow is one run: one backend call, failed here */
	for (n = 1; n <= 1; n++) {
		keel_memback_fail_nth(eal_mb, n, EIO);
		test_log_capture_start();
		p = keel_malloc("iommu-refused", 32 << 20, 0);
		free(test_log_capture_stop());
		keel_memback_fail_nth(eal_mb, 0, 0);
		TEST_ASSERT(p == NULL, "allocation with call %" PRIu64
			    " failing must be refused", n);
		TEST_ASSERT_SUCCESS(keel_mem_stats_get(&ms), "stats");
		TEST_ASSERT_EQUAL(ms.allocated, ms0.allocated, "rolled back");
		TEST_ASSERT_SUCCESS(table_equals_memback(c), "fail %" PRIu64, n);
	}
	p = keel_malloc("iommu-refused", 32 << 20, 0);
	TEST_ASSERT(p != NULL, "the same allocation without a failure");
	TEST_ASSERT_SUCCESS(table_equals_memback(c), "after success");
	keel_free(p);
	TEST_ASSERT_SUCCESS(table_equals_memback(c), "after free");
	TEST_ASSERT_SUCCESS(keel_eal_cleanup(), "cleanup");
	return TEST_SUCCESS;
}

static int
test_iommu_eal_refused(void)
{
	int ret;

	TEST_ASSERT_SUCCESS(keel_iommu_backend_register(KEEL_IOMMU_EMULATED,
			    "test-emu", test_emu_create), "register");
	ret = eal_refused_case();
	if (keel_eal_is_initialized())
		keel_eal_cleanup();
	keel_iommu_backend_unregister("test-emu");
	return ret;
}
KEEL_TEST(iommu_eal_refused, "fast", TEST_NO_EAL, test_iommu_eal_refused)

/*
 * --iova-mode auto picks IOVA = VA when the IOMMU reaches every EAL VA, and
 * allocated IOVAs when it does not (a 39-bit VT-d under 47-bit VAs).
 */
static unsigned int auto_width;

static int
test_emu_create_width(const char *args, const struct keel_iommu_backend_ops **ops,
		      void **priv)
{
	struct keel_memback_cfg c = { .can_split = false,
		.pgsize_bitmap = PG, .addr_width = auto_width };

	(void)args;
	eal_mb = keel_memback_create(&c);
	if (eal_mb == NULL)
		return -errno;
	*ops = &keel_memback_ops;
	*priv = eal_mb;
	return 0;
}

static int
auto_case(unsigned int width, enum keel_iova_mode expect)
{
	struct keel_iommu_container *c;
	struct keel_iommu_stats st;
	struct keel_mem_stats ms;
	uint8_t *p;
	uint64_t iova;
	int ret;

	auto_width = width;
	ret = eal_run("auto", "emulated");
	TEST_ASSERT(ret >= 0, "init (width %u): %s", width, strerror(-ret));
	TEST_ASSERT_EQUAL(keel_eal_iova_mode(), expect, "mode for width %u", width);
	c = keel_iommu_container_default();
	p = keel_malloc("auto", 1 << 20, 0);
	TEST_ASSERT(p != NULL, "malloc");
	iova = keel_mem_virt2iova(p);
	TEST_ASSERT(iova + (1 << 20) - 1 <= (1ULL << width) - 1,
		    "iova 0x%" PRIx64 " within %u bits", iova, width);
	TEST_ASSERT(expect != KEEL_IOVA_VA || iova == (uintptr_t)p, "iova == va");
	TEST_ASSERT(keel_iommu_va2iova(c, (uint64_t)(uintptr_t)p) == iova, "the container maps it");
	TEST_ASSERT_SUCCESS(keel_mem_stats_get(&ms), "mem stats");
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &st), "stats");
	TEST_ASSERT_EQUAL(st.bytes, ms.allocated, "all memory mapped");
	keel_free(p);
	TEST_ASSERT_SUCCESS(table_equals_memback(c), "table == backend");
	TEST_ASSERT_SUCCESS(keel_eal_cleanup(), "cleanup");
	return TEST_SUCCESS;
}

static int
test_iommu_eal_auto_iova(void)
{
	int ret;

	TEST_ASSERT_SUCCESS(keel_iommu_backend_register(KEEL_IOMMU_EMULATED,
			    "test-emu-width", test_emu_create_width), "register");
	ret = auto_case(39, KEEL_IOVA_ALLOC);
	if (ret == TEST_SUCCESS)
		ret = auto_case(48, KEEL_IOVA_VA);
	if (keel_eal_is_initialized())
		keel_eal_cleanup();
	keel_iommu_backend_unregister("test-emu-width");
	return ret;
}
KEEL_TEST(iommu_eal_auto_iova, "fast", TEST_NO_EAL, test_iommu_eal_auto_iova)
