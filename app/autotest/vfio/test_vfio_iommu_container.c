/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "vfio" backend under the IOMMU container and its IOVA table
 * (keel_iommu.h): chunk rules on a backend that cannot split, the table's
 * refusals before the kernel is asked, IOVA placement under a DMA mask,
 * the kernel's mapping limit, and destroy. Runs on the fake kernel in the
 * fast suite and on the real kernel in the "vfio" suite.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/vfio.h>

#include "fake_vfio.h"
#include "keel_iommu.h"
#include "keel_vfio.h"
#include "test.h"

#define CH 0x10000ULL   /* one chunk: 64 KiB */

static int
container_body(const char *bdf)
{
	struct keel_iommu_container *c;
	struct keel_iommu_caps caps;
	struct keel_vfio_container *vc;
	struct keel_iova_range r[16];
	uint64_t va, iova, A = 0, hole;
	unsigned int n, i;
	char args[128];
	uint8_t *buf;
	int ret;

	snprintf(args, sizeof(args), "dev=%s", bdf);
	c = keel_iommu_container_create(KEEL_IOMMU_VFIO, args);
	if (c == NULL && (errno == EPERM || errno == EBUSY))
		return keel_test_skip("%s: %s", bdf, strerror(errno));
	TEST_ASSERT(c != NULL, "create vfio container: %s", strerror(errno));
	TEST_ASSERT_EQUAL(keel_iommu_container_kind(c), KEEL_IOMMU_VFIO, "kind");
	TEST_ASSERT_SUCCESS(keel_iommu_caps_get(c, &caps), "caps");
	TEST_ASSERT(!caps.can_split, "type1 v2 cannot split");
	vc = keel_vfio_backend_container(keel_iommu_container_backend_priv(c));
	TEST_ASSERT_SUCCESS(keel_vfio_usable_ranges(vc, r, 16, &n, NULL), "ranges");
	for (i = 0; i < n && A == 0; i++)
		if (r[i].last - r[i].start > 0x1000000)
			A = ((r[i].start + 0xfffff) & ~0xfffffULL) + 0x100000;
	TEST_ASSERT(A != 0, "a usable range of 16 MiB");

	buf = mmap(NULL, 8 * CH, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(buf != MAP_FAILED, "mmap");
	va = (uint64_t)(uintptr_t)buf;

	/* the seed's case: map A, map B adjacent, unmap A */
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, va, A, CH, KEEL_IOMMU_ACCESS_RW), "map A");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, va + CH, A + CH, CH, KEEL_IOMMU_ACCESS_RW), "map B");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, va, A, CH), "unmap A");
	/* half of B would bisect the kernel's mapping: refused by the table */
	TEST_ASSERT_EQUAL(keel_iommu_dma_unmap(c, va + CH, A + CH, CH / 2), -ENOTSUP,
			  "half of B");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, va + CH, A + CH, CH), "unmap B");
	/* a 4-chunk map unmapped chunk by chunk must fail (one kernel entry)
	 * while 4 chunk maps can go in any grouping */
	for (i = 0; i < 4; i++)
		TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, va + i * CH, A + i * CH, CH, KEEL_IOMMU_ACCESS_RW),
				    "chunk %u", i);
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, va + CH, A + CH, 2 * CH), "middle two");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, va, A, CH), "first");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, va + 3 * CH, A + 3 * CH, CH), "last");
	/* a hole between the kernel's ranges (x86: the MSI window) and 2^aw
	 * are refused before the kernel is asked (test_vfio_real_resv.c
	 * checks each reserved region in detail) */
	for (i = 0, hole = 0; i + 1 < n && hole == 0; i++)
		if (r[i].last + 1 < r[i + 1].start)
			hole = r[i].last + 1;
	if (hole != 0)
		TEST_ASSERT_EQUAL(keel_iommu_dma_map(c, va, hole, CH, KEEL_IOMMU_ACCESS_RW), -EADDRNOTAVAIL,
				  "hole at 0x%" PRIx64, hole);
	if (caps.addr_width < 64)
		TEST_ASSERT_EQUAL(keel_iommu_dma_map(c, va, 1ULL << caps.addr_width, CH, KEEL_IOMMU_ACCESS_RW),
				  -ERANGE, "beyond the width");
	/* placement under a 32-bit DMA mask */
	TEST_ASSERT_SUCCESS(keel_iommu_dma_register(c, va, 2 * CH, 32, &iova),
			    "register under 4 GiB");
	TEST_ASSERT(iova + 2 * CH - 1 <= 0xffffffffULL, "iova 0x%" PRIx64, iova);
	for (i = 0; i < n && iova + 2 * CH - 1 > r[i].last; i++)
		;
	TEST_ASSERT(i < n && iova >= r[i].start, "0x%" PRIx64 " not in a usable "
		    "range", iova);
	TEST_ASSERT_EQUAL(keel_iommu_va2iova(c, va + 0x123), iova + 0x123, "va2iova");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, va, iova, 2 * CH), "unregister");

	if (caps.max_mappings > 0 && caps.max_mappings <= 64) {
		/* a small dma_entry_limit (fake, or the VM's --dma-entry-limit) */
		uint64_t lim = caps.max_mappings;

		for (i = 0; i < lim; i++)
			TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, va, A + 2 * i * CH, CH, KEEL_IOMMU_ACCESS_RW),
					    "map %u", i);
		ret = keel_iommu_dma_map(c, va, A + 2 * i * CH, CH, KEEL_IOMMU_ACCESS_RW);
		TEST_ASSERT_EQUAL(ret, -ENOSPC, "one over the limit");
	} else {
		TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, va, A, CH, KEEL_IOMMU_ACCESS_RW), "left mapped");
	}
	/* destroy unmaps what is left and closes the container */
	TEST_ASSERT_SUCCESS(keel_iommu_container_destroy(c), "destroy");
	munmap(buf, 8 * CH);
	return TEST_SUCCESS;
}

static int
test_vfio_iommu_container_fake(void)
{
	struct fake_vfio_cfg cfg;
	int ret, leaks;

	TEST_ASSERT_SUCCESS(fake_vfio_install(NULL), "fake");
	ret = container_body("0000:00:03.0");
	leaks = fake_vfio_uninstall();
	TEST_ASSERT_EQUAL(ret, TEST_SUCCESS, "body");
	TEST_ASSERT_EQUAL(leaks, 0, "leaks");

	memset(&cfg, 0, sizeof(cfg));
	cfg.dma_entry_limit = 4;
	TEST_ASSERT_SUCCESS(fake_vfio_install(&cfg), "fake, limit 4");
	ret = container_body("0000:00:03.0");
	leaks = fake_vfio_uninstall();
	TEST_ASSERT_EQUAL(ret, TEST_SUCCESS, "body with limit 4");
	TEST_ASSERT_EQUAL(leaks, 0, "leaks");
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_iommu_container_fake, "fast", TEST_NO_EAL, test_vfio_iommu_container_fake)

/*
 * A short unmap: the kernel (6.1) stops at a mapping another mm made and
 * reports the bytes it removed. The table must drop exactly those (the
 * start of the range) and keep the rest, so both halves can be handled
 * again: the removed part re-mapped, the kept part unmapped later.
 */
static int
short_unmap_body(void)
{
	struct keel_iommu_container *c;
	struct keel_iommu_mapping m;
	struct keel_iommu_stats st;
	uint64_t va, A = 0x10000000;
	uint8_t *buf;
	char *log;
	int ret;

	c = keel_iommu_container_create(KEEL_IOMMU_VFIO, "group=7");
	TEST_ASSERT(c != NULL, "create: %s", strerror(errno));
	buf = mmap(NULL, 4 * CH, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(buf != MAP_FAILED, "mmap");
	va = (uint64_t)(uintptr_t)buf;
	/* A and B: two kernel mappings, one table entry (equal chunks) */
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, va, A, CH, KEEL_IOMMU_ACCESS_RW), "map A");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, va + CH, A + CH, CH, KEEL_IOMMU_ACCESS_RW), "map B");
	TEST_ASSERT_SUCCESS(fake_vfio_mark_foreign(A + CH), "B foreign");

	test_log_capture_start();
	ret = keel_iommu_dma_unmap(c, va, A, 2 * CH);
	log = test_log_capture_stop();
	TEST_ASSERT_EQUAL(ret, -EIO, "short unmap");
	TEST_ASSERT(strstr(log, "0x10000") != NULL &&
		    strstr(log, "0x20000") != NULL, "log: %s", log);
	free(log);
	TEST_ASSERT(!fake_vfio_has_mapping(A, CH, va), "kernel: A gone");
	TEST_ASSERT(fake_vfio_has_mapping(A + CH, CH, va + CH), "kernel: B kept");
	TEST_ASSERT_EQUAL(keel_iommu_lookup_iova(c, A, &m), -ENOENT,
			  "table: A gone as in the kernel");
	TEST_ASSERT_SUCCESS(keel_iommu_lookup_iova(c, A + CH, &m), "table: B kept");
	TEST_ASSERT(m.iova == A + CH && m.len == CH && m.chunk == CH &&
		    m.va == va + CH, "B: iova 0x%" PRIx64 " len 0x%" PRIx64,
		    m.iova, m.len);
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &st), "stats");
	TEST_ASSERT_EQUAL(st.backend_mappings, fake_vfio_n_mappings(),
			  "table counts the kernel's mappings");
	/* both halves can be handled again */
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, va, A, CH, KEEL_IOMMU_ACCESS_RW), "re-map A");
	TEST_ASSERT_SUCCESS(fake_vfio_clear_foreign(A + CH), "B ours again");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, va, A, 2 * CH), "unmap A + B");
	TEST_ASSERT_EQUAL(fake_vfio_n_mappings(), 0, "kernel empty");
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &st), "stats");
	TEST_ASSERT_EQUAL(st.entries, 0, "table empty");
	TEST_ASSERT_SUCCESS(keel_iommu_container_destroy(c), "destroy");
	munmap(buf, 4 * CH);
	return TEST_SUCCESS;
}

static int
test_vfio_iommu_short_unmap(void)
{
	WITH_FAKE(NULL, short_unmap_body());
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_iommu_short_unmap, "fast", TEST_NO_EAL, test_vfio_iommu_short_unmap)

/* VFIO: the kernel is asked for exactly READ, WRITE or both */
static int
access_vfio_body(void)
{
	struct keel_iommu_container *c;
	uint8_t *buf;
	uint64_t va;

	c = keel_iommu_container_create(KEEL_IOMMU_VFIO, "group=7");
	TEST_ASSERT(c != NULL, "create: %s", strerror(errno));
	buf = mmap(NULL, 3 * 0x10000, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(buf != MAP_FAILED, "mmap");
	va = (uint64_t)(uintptr_t)buf;
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, va, 0x10000000, 0x10000,
					       KEEL_IOMMU_ACCESS_READ), "r");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, va + 0x10000, 0x10010000,
					       0x10000, KEEL_IOMMU_ACCESS_WRITE),
			    "w");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, va + 0x20000, 0x10020000,
					       0x10000, KEEL_IOMMU_ACCESS_RW),
			    "rw");
	TEST_ASSERT_EQUAL(fake_vfio_mapping_flags(0x10000000),
			  VFIO_DMA_MAP_FLAG_READ, "read-only");
	TEST_ASSERT_EQUAL(fake_vfio_mapping_flags(0x10010000),
			  VFIO_DMA_MAP_FLAG_WRITE, "write-only");
	TEST_ASSERT_EQUAL(fake_vfio_mapping_flags(0x10020000),
			  VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE, "rw");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, va, 0x10000000, 0x30000),
			    "unmap");
	TEST_ASSERT_SUCCESS(keel_iommu_container_destroy(c), "destroy");
	munmap(buf, 3 * 0x10000);
	return TEST_SUCCESS;
}

static int
test_vfio_iommu_access(void)
{
	WITH_FAKE(NULL, access_vfio_body());
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_iommu_access, "fast", TEST_NO_EAL, test_vfio_iommu_access)

static int
test_vfio_iommu_container_real(void)
{
	char bdf[300] = "";

	test_vfio_find_dev(bdf, sizeof(bdf));
	if (bdf[0] == '\0')
		return keel_test_skip("no device bound to vfio-pci");
	return container_body(bdf);
}
KEEL_TEST(vfio_iommu_container_real, "vfio", TEST_NEED_VFIO | TEST_NEED_ROOT | TEST_NO_EAL,
	  test_vfio_iommu_container_real)

/* the real kernel: a read-only buffer maps READ, not READ+WRITE (type1
 * pins it for writing and refuses: EFAULT), so the access reaches it */
static int
test_vfio_iommu_access_real(void)
{
	struct keel_iommu_container *c;
	char bdf[300] = "", args[320];
	struct keel_iommu_caps caps;
	uint64_t va, A = 0;
	unsigned int i;
	uint8_t *buf;
	int ret;

	test_vfio_find_dev(bdf, sizeof(bdf));
	if (bdf[0] == '\0')
		return keel_test_skip("no device bound to vfio-pci");
	snprintf(args, sizeof(args), "dev=%s", bdf);
	c = keel_iommu_container_create(KEEL_IOMMU_VFIO, args);
	if (c == NULL && (errno == EPERM || errno == EBUSY))
		return keel_test_skip("%s: %s", bdf, strerror(errno));
	TEST_ASSERT(c != NULL, "create: %s", strerror(errno));
	TEST_ASSERT_SUCCESS(keel_iommu_caps_get(c, &caps), "caps");
	for (i = 0; i < caps.n_ranges && A == 0; i++)
		if (caps.ranges[i].last - caps.ranges[i].start > 0x1000000)
			A = ((caps.ranges[i].start + 0xfffff) & ~0xfffffULL) +
				0x100000;
	TEST_ASSERT(A != 0, "a usable range");
	buf = mmap(NULL, CH, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(buf != MAP_FAILED, "mmap");
	va = (uint64_t)(uintptr_t)buf;
	ret = keel_iommu_dma_map(c, va, A, CH, KEEL_IOMMU_ACCESS_RW);
	TEST_ASSERT_EQUAL(ret, -EFAULT, "a writable map of read-only memory");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, va, A, CH,
					       KEEL_IOMMU_ACCESS_READ),
			    "a read-only map of it");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, va, A, CH), "unmap");
	TEST_ASSERT_SUCCESS(keel_iommu_container_destroy(c), "destroy");
	munmap(buf, CH);
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_iommu_access_real, "vfio",
	  TEST_NEED_VFIO | TEST_NEED_ROOT | TEST_NO_EAL,
	  test_vfio_iommu_access_real)
