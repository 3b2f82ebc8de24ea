/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "vfio" suite: the type1 v2 rules against the real kernel. Needs root,
 * /dev/vfio/vfio and a PCI device bound to vfio-pci (KEEL_TEST_VFIO_DEV=BDF,
 * else the first device under /sys/bus/pci/drivers/vfio-pci). Runs
 * without the EAL so that no default container holds the group. The same
 * sequence also runs in the fast suite against the fake kernel.
 */
#include <dirent.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fake_vfio.h"
#include "keel_vfio.h"
#include "test.h"

#define RW (KEEL_IOMMU_PROT_READ | KEEL_IOMMU_PROT_WRITE)
#define CHUNK 0x10000ULL

/* First IOVA in the usable ranges where 4 chunks fit, preferring VA. */
static uint64_t
pick_iova(const struct keel_iova_range *r, unsigned int n, uint64_t va)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (va >= r[i].start && va + 4 * CHUNK - 1 <= r[i].last)
			return va;
	for (i = 0; i < n; i++) {
		uint64_t s = (r[i].start + CHUNK - 1) & ~(CHUNK - 1);

		if (s != 0 && s + 4 * CHUNK - 1 <= r[i].last)
			return s;
	}
	return 0;
}

/*
 * The sequence itself, on whatever kernel is installed (the real one, or
 * the fake in the fast test below: both must agree).
 */
static int
vfio_real_sequence(const char *bdf)
{
	struct keel_vfio_container *c;
	struct keel_vfio_device *d;
	struct keel_vfio_iommu_info info, after;
	struct keel_iova_range r[16];
	unsigned int n, aw;
	uint64_t va, iova, un;
	uint8_t *buf;
	int ret;

	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open /dev/vfio/vfio");
	ret = keel_vfio_device_open(c, bdf, &d);
	if (ret != 0) {
		keel_vfio_container_close(c);
		/* host setup, not a bug: group not viable or held elsewhere */
		if (ret == -EPERM || ret == -EBUSY || ret == -EACCES)
			return keel_test_skip("%s: %s", bdf, strerror(-ret));
		printf("  cannot open %s through VFIO: %s\n", bdf, strerror(-ret));
		return TEST_FAILED;
	}
	ret = TEST_FAILED;
	buf = mmap(NULL, 4 * CHUNK, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	do {
		if (buf == MAP_FAILED)
			break;
		va = (uint64_t)(uintptr_t)buf;
		if (keel_vfio_usable_ranges(c, r, 16, &n, &aw) != 0 ||
		    keel_vfio_iommu_info(c, &info) != 0)
			break;
		printf("  %s: aw %u, %u usable ranges, pgsizes 0x%" PRIx64 ", DMA_AVAIL %u\n",
		       bdf, aw, n, info.pgsize_bitmap, info.dma_avail);
		iova = pick_iova(r, n, va);
		if (iova == 0)
			break;
		/* four adjacent chunk maps (never merged by the kernel) */
		if (keel_vfio_dma_map(c, va, iova, CHUNK, RW) != 0 ||
		    keel_vfio_dma_map(c, va + CHUNK, iova + CHUNK, CHUNK, RW) != 0 ||
		    keel_vfio_dma_map(c, va + 2 * CHUNK, iova + 2 * CHUNK, CHUNK, RW) != 0 ||
		    keel_vfio_dma_map(c, va + 3 * CHUNK, iova + 3 * CHUNK, CHUNK, RW) != 0) {
			printf("  map failed\n");
			break;
		}
		if (keel_vfio_dma_map(c, va, iova + 0x1000, 0x1000, RW) != -EEXIST) {
			printf("  overlap not refused with EEXIST\n");
			break;
		}
		if (keel_vfio_dma_unmap(c, iova + 0x1000, 0x1000, &un) != -EINVAL) {
			printf("  bisecting unmap not refused with EINVAL\n");
			break;
		}
		if (keel_vfio_dma_unmap(c, iova + CHUNK, CHUNK, &un) != 0 ||
		    un != CHUNK) {
			printf("  unmap of chunk 1\n");
			break;
		}
		/* chunk 0 + hole + chunks 2,3: the kernel says 3 chunks */
		if (keel_vfio_dma_unmap(c, iova, 4 * CHUNK, &un) != -EIO ||
		    un != 3 * CHUNK) {
			printf("  unmap across the hole: unmapped 0x%" PRIx64 "\n", un);
			break;
		}
		if (keel_vfio_iommu_info(c, &after) != 0 ||
		    (info.has_dma_avail && after.dma_avail != info.dma_avail)) {
			printf("  DMA_AVAIL %u after, %u before\n", after.dma_avail,
			       info.dma_avail);
			break;
		}
		ret = TEST_SUCCESS;
	} while (0);
	if (buf != MAP_FAILED)
		munmap(buf, 4 * CHUNK);
	keel_vfio_device_close(d);
	keel_vfio_container_close(c);
	return ret;
}
static int
test_vfio_real_map_unmap(void)
{
	char bdf[300];

	if (test_vfio_find_dev(bdf, sizeof(bdf)) < 0)
		return keel_test_skip("no device bound to vfio-pci");
	return vfio_real_sequence(bdf);
}
KEEL_TEST(vfio_real_map_unmap, "vfio", TEST_NEED_VFIO | TEST_NEED_ROOT | TEST_NO_EAL,
	  test_vfio_real_map_unmap)

static int
test_vfio_real_sequence_on_fake(void)
{
	int ret, leaks;

	TEST_ASSERT_SUCCESS(fake_vfio_install(NULL), "fake");
	ret = vfio_real_sequence("0000:00:03.0");
	leaks = fake_vfio_uninstall();
	TEST_ASSERT_EQUAL(ret, TEST_SUCCESS, "the real-kernel sequence fails on the fake");
	TEST_ASSERT_EQUAL(leaks, 0, "leaks");
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_real_sequence_on_fake, "fast", TEST_NO_EAL, test_vfio_real_sequence_on_fake)
