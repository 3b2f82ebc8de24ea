/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * On a host with an IOMMU (the vm suite's guest): EAL memory is mapped in
 * the real kernel's VFIO container as the heap grows, and unmapped as it
 * shrinks, one mapping per allocation unit. The kernel refuses anything the
 * table got wrong (an unmap that bisects a mapping is -EINVAL there), and
 * keel_iommu_stats_get() counts backend errors.
 */
#include <inttypes.h>

#include "keel_eal.h"
#include "keel_iommu.h"
#include "keel_malloc.h"
#include "keel_memory.h"
#include "test.h"

static int
test_vfio_eal_memory_grow(void)
{
	struct keel_iommu_container *c = keel_iommu_container_default();
	struct keel_iommu_stats st0, st1;
	struct keel_mem_stats ms;
	uint8_t *p[3];
	uint64_t sz;
	int i;

	if (c == NULL || keel_iommu_container_kind(c) != KEEL_IOMMU_VFIO)
		return keel_test_skip("the default container is not VFIO");
	TEST_ASSERT_SUCCESS(keel_mem_stats_get(&ms), "mem stats");
	sz = ms.preallocated + (8 << 20); /* cannot come from -m memory */
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &st0), "stats");
	TEST_ASSERT_EQUAL(st0.bytes, ms.allocated, "all EAL memory mapped");
	for (i = 0; i < 3; i++) {
		p[i] = keel_malloc("vfio-grow", sz, 0);
		TEST_ASSERT(p[i] != NULL, "grow %d", i);
		TEST_ASSERT_EQUAL(keel_iommu_va2iova(c, (uint64_t)(uintptr_t)p[i]),
				  keel_mem_virt2iova(p[i]), "mapped at its IOVA");
		memset(p[i], i + 1, sz);
	}
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &st1), "stats");
	TEST_ASSERT_EQUAL(st1.backend_mappings, st0.backend_mappings + 3,
			  "one kernel mapping per grow");
	TEST_ASSERT_SUCCESS(keel_mem_stats_get(&ms), "mem stats");
	TEST_ASSERT_EQUAL(st1.bytes, ms.allocated, "the table follows memory");
	/* free the middle one first: its neighbours stay mapped */
	keel_free(p[1]);
	TEST_ASSERT_EQUAL(keel_iommu_va2iova(c, (uint64_t)(uintptr_t)p[0]),
			  keel_mem_virt2iova(p[0]), "p0 still mapped");
	TEST_ASSERT_EQUAL(p[0][sz - 1] + p[2][0], 1 + 3, "data intact");
	keel_free(p[0]);
	keel_free(p[2]);
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &st1), "stats");
	TEST_ASSERT_EQUAL(st1.backend_mappings, st0.backend_mappings,
			  "kernel mappings back to where they were");
	TEST_ASSERT_EQUAL(st1.bytes, st0.bytes, "bytes back");
	TEST_ASSERT_EQUAL(st1.backend_errors, st0.backend_errors,
			  "the kernel refused nothing");
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_eal_memory_grow, "vfio", TEST_NEED_VFIO | TEST_NEED_ROOT,
	  test_vfio_eal_memory_grow)
