/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel_iommu_dma_map() with the access a device needs: the table records
 * it (lookups report it, different accesses never merge), bad values are
 * refused, and the emulated IOMMU faults a device write to a read-only
 * mapping. (The VFIO backend's flags: vfio_iommu_access in
 * app/autotest/vfio/test_vfio_iommu_container.c.)
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "keel_emu_iommu.h"
#include "keel_iommu.h"
#include "test.h"
#include "iommu_test_util.h"

static int
test_iommu_access_table(void)
{
	struct keel_iommu_container *c;
	struct keel_iommu_stats st;
	struct keel_iommu_mapping m;
	char *log;
	int ret;

	c = keel_iommu_container_create_by_name("memback", "pgsizes=0x1000");
	TEST_ASSERT(c != NULL, "create: %s", strerror(errno));
	/* three adjacent, VA-contiguous maps of equal length: only equal
	 * access merges */
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, 0x40000000, 0x100000, PG,
					       KEEL_IOMMU_ACCESS_READ), "r");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, 0x40001000, 0x101000, PG,
					       KEEL_IOMMU_ACCESS_READ), "r");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, 0x40002000, 0x102000, PG,
					       KEEL_IOMMU_ACCESS_RW), "rw");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, 0x40003000, 0x103000, PG,
					       KEEL_IOMMU_ACCESS_WRITE), "w");
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &st), "stats");
	TEST_ASSERT_EQUAL(st.entries, 3, "read+read merged, rw and w apart");
	TEST_ASSERT_SUCCESS(keel_iommu_lookup_iova(c, 0x101fff, &m), "lookup");
	TEST_ASSERT(m.iova == 0x100000 && m.len == 2 * PG &&
		    m.access == KEEL_IOMMU_ACCESS_READ, "read-only entry");
	TEST_ASSERT_SUCCESS(keel_iommu_lookup_va(c, 0x40002000, &m), "va");
	TEST_ASSERT_EQUAL(m.access, KEEL_IOMMU_ACCESS_RW, "rw entry");
	TEST_ASSERT_SUCCESS(keel_iommu_lookup_iova(c, 0x103000, &m), "w");
	TEST_ASSERT_EQUAL(m.access, KEEL_IOMMU_ACCESS_WRITE, "w entry");

	/* no access, or bits that mean nothing: refused, named, unchanged */
	test_log_capture_start();
	ret = keel_iommu_dma_map(c, 0x50000000, 0x200000, PG, 0);
	log = test_log_capture_stop();
	TEST_ASSERT(ret == -EINVAL && errno == EINVAL &&
		    log_has(log, "access 0x0"), "access 0: %d '%s'", ret, log);
	free(log);
	test_log_capture_start();
	ret = keel_iommu_dma_map(c, 0x50000000, 0x200000, PG, 0x7);
	log = test_log_capture_stop();
	TEST_ASSERT(ret == -EINVAL && log_has(log, "access 0x7"),
		    "access 0x7: %d '%s'", ret, log);
	free(log);
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &st), "stats");
	TEST_ASSERT_EQUAL(st.entries, 3, "nothing mapped by the refusals");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, 0x40000000, 0x100000,
						 4 * PG), "unmap all four");
	TEST_ASSERT_SUCCESS(keel_iommu_container_destroy(c), "destroy");
	return TEST_SUCCESS;
}
KEEL_TEST(iommu_access_table, "fast", TEST_NO_EAL, test_iommu_access_table)

/* the emulated IOMMU enforces it: a device write to a read-only mapping
 * (a guest's TX memory) is a recorded permission fault, memory untouched */
static int
test_iommu_access_emulated(void)
{
	struct keel_emu_fault_counters fc;
	struct keel_iommu_container *c;
	struct keel_emu_endpoint *ep;
	uint8_t *buf, data[64];
	uint64_t va;

	c = keel_iommu_container_create_by_name("emulated", NULL);
	TEST_ASSERT(c != NULL, "create: %s", strerror(errno));
	ep = keel_emu_endpoint_create(3, "dev");
	TEST_ASSERT(ep != NULL, "endpoint");
	TEST_ASSERT_SUCCESS(keel_emu_endpoint_attach(ep,
			    keel_emu_backend_domain(
				    keel_iommu_container_backend_priv(c))),
			    "attach");
	buf = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(buf != MAP_FAILED, "mmap");
	va = (uint64_t)(uintptr_t)buf;
	memset(buf, 0x5a, 3 * PG);
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, va, 0x100000, PG,
					       KEEL_IOMMU_ACCESS_READ), "r");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, va + PG, 0x101000, PG,
					       KEEL_IOMMU_ACCESS_WRITE), "w");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, va + 2 * PG, 0x102000, PG,
					       KEEL_IOMMU_ACCESS_RW), "rw");
	keel_emu_fault_clear();
	memset(data, 0xa5, sizeof(data));
	TEST_ASSERT_SUCCESS(keel_emu_dma_read(ep, 0x100000, data, 64),
			    "read of the read-only mapping");
	TEST_ASSERT_EQUAL(data[0], 0x5a, "read the memory");
	TEST_ASSERT_EQUAL(keel_emu_dma_write(ep, 0x100000, data, 64), -EFAULT,
			  "write to the read-only mapping");
	TEST_ASSERT_EQUAL(buf[0], 0x5a, "memory untouched");
	TEST_ASSERT_SUCCESS(keel_emu_dma_write(ep, 0x101000, data, 64),
			    "write to the write-only mapping");
	TEST_ASSERT_EQUAL(buf[PG], 0x5a, "written (data was read as 0x5a)");
	TEST_ASSERT_SUCCESS(keel_emu_dma_write(ep, 0x102000, data, 64), "rw");
	keel_emu_fault_counters_get(&fc);
	TEST_ASSERT(fc.permission == 1 && fc.total == 1,
		    "one permission fault: %" PRIu64 " of %" PRIu64,
		    fc.permission, fc.total);
	keel_emu_fault_clear();
	TEST_ASSERT_SUCCESS(keel_emu_endpoint_destroy(ep), "endpoint");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, va, 0x100000, 3 * PG),
			    "unmap");
	TEST_ASSERT_SUCCESS(keel_iommu_container_destroy(c), "destroy");
	munmap(buf, 3 * PG);
	return TEST_SUCCESS;
}
KEEL_TEST(iommu_access_emulated, "fast", TEST_NO_EAL,
	  test_iommu_access_emulated)
