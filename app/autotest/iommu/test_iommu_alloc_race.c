/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Alloc IOVA mode: an IOVA handed to new EAL memory is pending until its
 * ALLOC event maps it; a concurrent keel_iommu_dma_register() on the same
 * container must not take it (a review found keel_malloc failing with
 * EEXIST under exactly this race).
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "keel_eal.h"
#include "keel_iommu.h"
#include "keel_malloc.h"
#include "iommu_internal.h"
#include "test.h"
#include "test_util.h"

struct racer {
	struct keel_iommu_container *c;
	volatile int stop;
	long ok, fail;
};

static void *
register_loop(void *arg)
{
	struct racer *r = arg;
	uint64_t len = 2 << 20, iova;
	void *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		return NULL;
	while (!r->stop) {
		if (keel_iommu_dma_register(r->c, (uint64_t)(uintptr_t)buf, len,
					    32, &iova) == 0) {
			__atomic_fetch_add(&r->ok, 1, __ATOMIC_RELAXED);
			keel_iommu_dma_unmap(r->c, (uint64_t)(uintptr_t)buf,
					     iova, len);
		} else {
			r->fail++;
		}
	}
	munmap(buf, len);
	return NULL;
}

/* deterministic: the range the EAL's hook took is not handed out again */
static int
pending_is_avoided(struct keel_iommu_container *c)
{
	uint64_t len = 2 << 20, pend, iova;
	void *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ret;

	TEST_ASSERT(buf != MAP_FAILED, "mmap");
	TEST_ASSERT_SUCCESS(iommu_container_iova_alloc(c, len, 4096, 0, &pend),
			    "hook-style allocation");
	ret = keel_iommu_dma_register(c, (uint64_t)(uintptr_t)buf, len, 40,
				      &iova);
	TEST_ASSERT_SUCCESS(ret, "register");
	TEST_ASSERT(iova + len <= pend || pend + len <= iova,
		    "register got 0x%" PRIx64 ", overlapping the pending 0x%"
		    PRIx64, iova, pend);
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, (uint64_t)(uintptr_t)buf,
						 iova, len), "unmap");
	iommu_container_iova_settle(c);
	munmap(buf, len);
	return TEST_SUCCESS;
}

/*
 * IOVA = VA must not take the pending range either: a user buffer whose VA
 * equals the IOVA the EAL's hook just handed out (a review found
 * dma_register's IOVA = VA path skipping the pending check, so the EAL's
 * own map then failed with EEXIST).
 */
static int
pending_is_avoided_by_iova_eq_va(struct keel_iommu_container *c)
{
	static const uint64_t cand[] = { 0x5a0000000000ULL, 0x5b0000000000ULL,
					 0x3c0000000000ULL };
	uint64_t len = 2 << 20, pend = 0, iova = 0;
	void *buf = MAP_FAILED, *eal_buf;
	unsigned int i;
	int ret;

	for (i = 0; i < 3 && buf == MAP_FAILED; i++) {
		TEST_ASSERT_SUCCESS(iommu_container_iova_alloc(c, len, 4096,
				    cand[i], &pend), "hook-style allocation");
		if (pend != cand[i]) {
			iommu_container_iova_settle(c);
			continue;
		}
		buf = mmap((void *)(uintptr_t)pend, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			   -1, 0);
		if (buf != MAP_FAILED && buf != (void *)(uintptr_t)pend) {
			munmap(buf, len);
			buf = MAP_FAILED;
		}
		if (buf == MAP_FAILED)
			iommu_container_iova_settle(c);
	}
	if (buf == MAP_FAILED)
		return keel_test_skip("no free VA at a pending IOVA candidate");
	eal_buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(eal_buf != MAP_FAILED, "mmap");
	ret = keel_iommu_dma_register(c, pend, len, 0, &iova);
	TEST_ASSERT_SUCCESS(ret, "register");
	TEST_ASSERT(iova + len <= pend || pend + len <= iova,
		    "register of VA 0x%" PRIx64 " took IOVA 0x%" PRIx64
		    ", which the EAL holds pending", pend, iova);
	/* what the EAL's ALLOC event then does: map the pending IOVA */
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, (uint64_t)(uintptr_t)eal_buf,
					       pend, len, KEEL_IOMMU_ACCESS_RW), "the EAL's own map");
	iommu_container_iova_settle(c);
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, (uint64_t)(uintptr_t)eal_buf,
						 pend, len), "unmap");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, pend, iova, len), "unmap");
	munmap(eal_buf, len);
	munmap(buf, len);
	return TEST_SUCCESS;
}

static int
test_iommu_alloc_race(void)
{
	struct racer r = { 0 };
	pthread_t t;
	int i, fails = 0, ret;

	ret = test_eal_init_str("--no-huge -m 8 --iova-mode alloc --iommu emulated");
	TEST_ASSERT(ret >= 0, "init: %d", ret);
	r.c = keel_iommu_container_default();
	TEST_ASSERT(r.c != NULL, "container");
	ret = pending_is_avoided(r.c);
	if (ret == TEST_SUCCESS)
		ret = pending_is_avoided_by_iova_eq_va(r.c);
	if (ret == TEST_SKIPPED)
		ret = TEST_SUCCESS;
	if (ret != TEST_SUCCESS) {
		keel_eal_cleanup();
		return ret;
	}
	TEST_ASSERT_SUCCESS(pthread_create(&t, NULL, register_loop, &r), "thread");
	while (__atomic_load_n(&r.ok, __ATOMIC_RELAXED) == 0 && r.fail == 0)
		keel_pause();
	for (i = 0; i < 5000; i++) {
		void *p = keel_malloc("race", 12 << 20, 64);

		if (p == NULL)
			fails++;
		keel_free(p);
	}
	r.stop = 1;
	pthread_join(t, NULL);
	keel_eal_cleanup();
	TEST_ASSERT_EQUAL(fails, 0, "keel_malloc failed while registrations ran "
			  "(%ld registrations, %ld refused)", r.ok, r.fail);
	TEST_ASSERT(r.ok > 0, "the racing thread registered");
	return TEST_SUCCESS;
}
KEEL_TEST(iommu_alloc_race, "fast", TEST_NO_EAL, test_iommu_alloc_race)
