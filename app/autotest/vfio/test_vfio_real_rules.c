/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "vfio" suite: the type1 v2 rules of shared/notes/vfio-qemu-devices.md
 * §3 checked against the real kernel (MAP errnos, no-split UNMAP,
 * DMA_AVAIL accounting, reserved MSI window, address width, device regions,
 * config space, reset, interrupts), and the dma_entry_limit. Each body
 * also runs in the fast suite against the fake kernel, so the fake and the
 * kernel are held to the same table. Needs root and a device bound to
 * vfio-pci (KEEL_TEST_VFIO_DEV=BDF, else the first one).
 */
#include <dirent.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake_vfio.h"
#include "keel_vfio.h"
#include "test.h"

#define RW (KEEL_IOMMU_PROT_READ | KEEL_IOMMU_PROT_WRITE)
#define PG 0x1000ULL

/* Open container + device; 0, TEST_SKIPPED (host setup) or TEST_FAILED. */
static int
open_dev(const char *bdf, struct keel_vfio_container **c,
	 struct keel_vfio_device **d)
{
	int ret;

	TEST_ASSERT_SUCCESS(keel_vfio_container_open(c), "open /dev/vfio/vfio");
	ret = keel_vfio_device_open(*c, bdf, d);
	if (ret == 0)
		return 0;
	keel_vfio_container_close(*c);
	if (ret == -EPERM || ret == -EBUSY || ret == -EACCES)
		return keel_test_skip("%s: %s", bdf, strerror(-ret));
	printf("  cannot open %s: %s\n", bdf, strerror(-ret));
	return TEST_FAILED;
}

struct rule {
	uint64_t va_off, iova_off, len;
	uint32_t prot;
	int ret;
	const char *what;
};

/* MAP rules relative to a base IOVA B inside a usable range. */
static const struct rule map_rules[] = {
	{ 0, 0, 16 * PG, RW, 0, "first" },
	{ 0, 0, 16 * PG, RW, -EEXIST, "identical" },
	{ 0, -8 * PG, 16 * PG, RW, -EEXIST, "head overlap" },
	{ 0, 8 * PG, 16 * PG, RW, -EEXIST, "tail overlap" },
	{ 0, 4 * PG, PG, RW, -EEXIST, "inside" },
	{ 0, -16 * PG, 64 * PG, RW, -EEXIST, "covering" },
	{ 16 * PG, 16 * PG, 16 * PG, RW, 0, "adjacent (never merged)" },
	{ 0, 64 * PG, 16 * PG, KEEL_IOMMU_PROT_READ, 0, "same va elsewhere, read-only" },
	{ 0, 96 * PG, PG, KEEL_IOMMU_PROT_WRITE, 0, "write-only" },
	{ 0, 128 * PG + 0x800, PG, RW, -EINVAL, "unaligned iova" },
	{ 0, 128 * PG, PG + 0x800, RW, -EINVAL, "unaligned len" },
	{ 0x800, 128 * PG, PG, RW, -EINVAL, "unaligned va" },
	{ 0, 128 * PG, 0, RW, -EINVAL, "zero len" },
	{ 0, 128 * PG, PG, 0, -EINVAL, "no prot" },
};

static int
rules_body(const char *bdf)
{
	struct keel_vfio_container *c;
	struct keel_vfio_device *d;
	struct keel_vfio_iommu_info info, now;
	struct keel_iova_range r[16];
	unsigned int n, aw, i, maps = 0;
	uint64_t va, B = 0, un;
	uint8_t *buf;
	int ret;

	ret = open_dev(bdf, &c, &d);
	if (ret != 0)
		return ret;
	buf = mmap(NULL, 64 * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(buf != MAP_FAILED, "mmap");
	va = (uint64_t)(uintptr_t)buf;
	TEST_ASSERT_SUCCESS(keel_vfio_iommu_info(c, &info), "GET_INFO");
	TEST_ASSERT(info.pgsize_bitmap & PG, "4K pages: 0x%" PRIx64, info.pgsize_bitmap);
	TEST_ASSERT(info.has_iova_ranges && info.has_dma_avail, "caps of 6.1");
	TEST_ASSERT_SUCCESS(keel_vfio_usable_ranges(c, r, 16, &n, &aw), "ranges");
	for (i = 0; i < n; i++)
		printf("  usable [0x%" PRIx64 ", 0x%" PRIx64 "]\n", r[i].start, r[i].last);
	/* a base with room on both sides */
	for (i = 0; i < n && B == 0; i++)
		if (r[i].last - r[i].start >= 0x400000 && r[i].start < UINT64_MAX - 0x200000)
			B = ((r[i].start + 0x1fffff) & ~0xfffffULL) + 0x100000;
	TEST_ASSERT(B != 0, "no usable range of 4 MiB");

	for (i = 0; i < sizeof(map_rules) / sizeof(map_rules[0]); i++) {
		const struct rule *m = &map_rules[i];

		test_log_capture_start();
		ret = keel_vfio_dma_map(c, va + m->va_off, B + m->iova_off, m->len,
					m->prot);
		free(test_log_capture_stop());
		TEST_ASSERT_EQUAL(ret, m->ret, "MAP %s", m->what);
		maps += ret == 0;
	}
	/* wrap, the address width, the hole around the MSI window */
	TEST_ASSERT_EQUAL(keel_vfio_dma_map(c, va, 0xfffffffffffff000ULL, 2 * PG, RW),
			  -EINVAL, "iova wraps");
	if (aw < 64)
		TEST_ASSERT_EQUAL(keel_vfio_dma_map(c, va, 1ULL << aw, PG, RW), -EINVAL,
				  "at 2^aw");
	for (i = 0; i + 1 < n; i++) {
		if (r[i].last + 1 < r[i + 1].start) {
			TEST_ASSERT_EQUAL(keel_vfio_dma_map(c, va, r[i].last + 1, PG, RW),
					  -EINVAL, "in the hole at 0x%" PRIx64, r[i].last + 1);
			TEST_ASSERT_EQUAL(keel_vfio_dma_map(c, va, r[i].last + 1 - PG,
							    2 * PG, RW),
					  -EINVAL, "straddling 0x%" PRIx64, r[i].last + 1);
			TEST_ASSERT_SUCCESS(keel_vfio_dma_map(c, va, r[i + 1].start, PG, RW),
					    "first page after the hole");
			maps++;
			TEST_ASSERT_SUCCESS(keel_vfio_dma_unmap(c, r[i + 1].start, PG, &un),
					    "unmap it");
			maps--;
			break;
		}
	}
	TEST_ASSERT_EQUAL(keel_vfio_dma_map(c, 0x1000, B + 256 * PG, PG, RW), -EFAULT,
			  "vaddr 0x1000");
	TEST_ASSERT_SUCCESS(keel_vfio_iommu_info(c, &now), "GET_INFO");
	TEST_ASSERT_EQUAL(info.dma_avail - now.dma_avail, maps, "DMA_AVAIL: one per MAP");

	/* UNMAP: no split, nothing removed */
	TEST_ASSERT_EQUAL(keel_vfio_dma_unmap(c, B + 8 * PG, PG, &un), -EINVAL, "middle");
	TEST_ASSERT_EQUAL(keel_vfio_dma_unmap(c, B, PG, &un), -EINVAL, "first page");
	TEST_ASSERT_EQUAL(keel_vfio_dma_unmap(c, B + 15 * PG, PG, &un), -EINVAL, "last");
	TEST_ASSERT_EQUAL(keel_vfio_dma_unmap(c, B - PG, 2 * PG, &un), -EINVAL, "into");
	TEST_ASSERT_EQUAL(keel_vfio_dma_unmap(c, B, 0x1800, &un), -EINVAL, "unaligned");
	TEST_ASSERT_SUCCESS(keel_vfio_iommu_info(c, &now), "GET_INFO");
	TEST_ASSERT_EQUAL(info.dma_avail - now.dma_avail, maps, "nothing removed");
	/* two adjacent maps in one call; a hole + mapping reports less */
	TEST_ASSERT_SUCCESS(keel_vfio_dma_unmap(c, B, 32 * PG, &un), "A + B");
	TEST_ASSERT_EQUAL(un, 32 * PG, "both");
	TEST_ASSERT_EQUAL(keel_vfio_dma_unmap(c, B + 32 * PG, 48 * PG, &un), -EIO,
			  "hole then a mapping");
	TEST_ASSERT_EQUAL(un, 16 * PG, "only the mapping");
	TEST_ASSERT_EQUAL(keel_vfio_dma_unmap(c, B + 96 * PG, PG, &un), 0, "last one");
	TEST_ASSERT_EQUAL(keel_vfio_dma_unmap(c, B + 96 * PG, PG, &un), -EIO, "empty");
	TEST_ASSERT_EQUAL(un, 0, "empty range: 0 bytes");
	TEST_ASSERT_SUCCESS(keel_vfio_iommu_info(c, &now), "GET_INFO");
	TEST_ASSERT_EQUAL(now.dma_avail, info.dma_avail, "DMA_AVAIL back");
	munmap(buf, 64 * PG);
	keel_vfio_device_close(d);
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close");
	return TEST_SUCCESS;
}

static int
device_body(const char *bdf)
{
	struct keel_vfio_container *c;
	struct keel_vfio_device *d;
	struct keel_vfio_region reg;
	struct keel_vfio_irq irq;
	char path[512], idtxt[16];
	uint16_t vendor = 0;
	uint32_t viamap, viapread;
	uint64_t len;
	void *bar;
	FILE *f;
	int ret, efd;

	ret = open_dev(bdf, &c, &d);
	if (ret != 0)
		return ret;
	TEST_ASSERT(keel_vfio_device_flags(d) & VFIO_DEVICE_FLAGS_PCI, "vfio-pci");
	TEST_ASSERT(keel_vfio_device_num_regions(d) >= 8, "regions");
	/* config space vendor == sysfs vendor */
	TEST_ASSERT_SUCCESS(keel_vfio_config_read(d, 0, &vendor, 2), "config");
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/vendor",
		 keel_vfio_get_sysfs_root(), bdf);
	f = fopen(path, "r");
	TEST_ASSERT(f != NULL, "%s", path);
	TEST_ASSERT(fgets(idtxt, sizeof(idtxt), f) != NULL, "read vendor");
	fclose(f);
	TEST_ASSERT_EQUAL(vendor, strtoul(idtxt, NULL, 16), "vendor from config");
	TEST_ASSERT_EQUAL(keel_vfio_config_read(d, 0x10000, &vendor, 2), -EINVAL,
			  "beyond config space");
	/* BAR0: mmap and pread see the same register */
	TEST_ASSERT_SUCCESS(keel_vfio_region_info(d, 0, &reg), "BAR0");
	TEST_ASSERT(reg.size >= 4, "BAR0 size");
	if (reg.flags & VFIO_REGION_INFO_FLAG_MMAP) {
		TEST_ASSERT_SUCCESS(keel_vfio_bar_map(d, 0, &bar, &len), "mmap BAR0");
		viamap = *(volatile uint32_t *)bar;
		TEST_ASSERT_SUCCESS(keel_vfio_region_read(d, 0, 0, &viapread, 4), "pread");
		TEST_ASSERT_EQUAL(viamap, viapread, "BAR0 register 0");
		printf("  %s: vendor 0x%04x, BAR0 0x%" PRIx64 " bytes, reg0 0x%08x\n",
		       bdf, vendor, reg.size, viamap);
		TEST_ASSERT_SUCCESS(keel_vfio_bar_unmap(d, 0), "munmap");
	}
	/* the VGA region of a non-VGA device is absent */
	TEST_ASSERT_EQUAL(keel_vfio_region_info(d, 8, &reg), -EINVAL, "no VGA");
	if (!(keel_vfio_device_flags(d) & VFIO_DEVICE_FLAGS_RESET))
		TEST_ASSERT_EQUAL(keel_vfio_device_reset(d), -ENOTSUP, "no reset");
	/* MSI: attach an eventfd and detach it */
	TEST_ASSERT_SUCCESS(keel_vfio_irq_info(d, VFIO_PCI_MSI_IRQ_INDEX, &irq), "MSI");
	if (irq.count > 0 && (irq.flags & VFIO_IRQ_INFO_EVENTFD)) {
		efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		TEST_ASSERT(efd >= 0, "eventfd");
		ret = keel_vfio_irq_set_eventfds(d, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd);
		if (ret == 0)
			ret = keel_vfio_irq_disable(d, VFIO_PCI_MSI_IRQ_INDEX);
		close(efd);
		TEST_ASSERT_SUCCESS(ret, "MSI eventfd on/off");
	}
	keel_vfio_device_close(d);
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close");
	return TEST_SUCCESS;
}

static int
limit_body(const char *bdf)
{
	struct keel_vfio_container *c;
	struct keel_vfio_device *d;
	uint64_t limit, i, va, un;
	uint8_t *buf;
	int ret;

	ret = open_dev(bdf, &c, &d);
	if (ret != 0)
		return ret;
	limit = keel_vfio_dma_limit(c);
	if (limit == 0 || limit > 64) {
		keel_vfio_device_close(d);
		keel_vfio_container_close(c);
		return keel_test_skip("dma_entry_limit %" PRIu64 ": set it to 64 or less",
				      limit);
	}
	buf = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(buf != MAP_FAILED, "mmap");
	va = (uint64_t)(uintptr_t)buf;
	for (i = 0; i < limit; i++)
		TEST_ASSERT_SUCCESS(keel_vfio_dma_map(c, va, 0x100000 + i * 2 * PG, PG, RW),
				    "map %" PRIu64 " of %" PRIu64, i, limit);
	TEST_ASSERT_EQUAL(keel_vfio_dma_map(c, va, 0x100000 + i * 2 * PG, PG, RW),
			  -ENOSPC, "map %" PRIu64 " over the limit", limit + 1);
	/* one call over all of them and the holes between: the kernel removes
	 * every mapping and reports their bytes, less than the span */
	TEST_ASSERT_EQUAL(keel_vfio_dma_unmap(c, 0x100000, 2 * limit * PG - PG, &un),
			  -EIO, "unmap all in one call");
	TEST_ASSERT_EQUAL(un, limit * PG, "bytes of the mappings");
	TEST_ASSERT_SUCCESS(keel_vfio_dma_map(c, va, 0x100000, PG, RW), "room again");
	TEST_ASSERT_SUCCESS(keel_vfio_dma_unmap(c, 0x100000, PG, &un), "unmap");
	munmap(buf, PG);
	keel_vfio_device_close(d);
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close");
	return TEST_SUCCESS;
}

static int
on_host(int (*body)(const char *))
{
	char bdf[300];

	if (test_vfio_find_dev(bdf, sizeof(bdf)) < 0)
		return keel_test_skip("no device bound to vfio-pci");
	return body(bdf);
}

static int
test_vfio_real_rules(void)
{
	return on_host(rules_body);
}
KEEL_TEST(vfio_real_rules, "vfio", TEST_NEED_VFIO | TEST_NEED_ROOT | TEST_NO_EAL,
	  test_vfio_real_rules)

static int
test_vfio_real_device(void)
{
	return on_host(device_body);
}
KEEL_TEST(vfio_real_device, "vfio", TEST_NEED_VFIO | TEST_NEED_ROOT | TEST_NO_EAL,
	  test_vfio_real_device)

static int
test_vfio_real_entry_limit(void)
{
	return on_host(limit_body);
}
KEEL_TEST(vfio_real_entry_limit, "vfio", TEST_NEED_VFIO | TEST_NEED_ROOT | TEST_NO_EAL,
	  test_vfio_real_entry_limit)

/* The same bodies on the fake kernel. */
static int
on_fake(const struct fake_vfio_cfg *cfg, int (*body)(const char *))
{
	int ret, leaks;

	TEST_ASSERT_SUCCESS(fake_vfio_install(cfg), "fake");
	ret = body("0000:00:03.0");
	leaks = fake_vfio_uninstall();
	TEST_ASSERT_EQUAL(ret, TEST_SUCCESS, "the real-kernel body fails on the fake");
	TEST_ASSERT_EQUAL(leaks, 0, "leaks");
	return TEST_SUCCESS;
}

static int
test_vfio_real_bodies_on_fake(void)
{
	struct fake_vfio_cfg cfg;

	if (on_fake(NULL, rules_body) != TEST_SUCCESS ||
	    on_fake(NULL, device_body) != TEST_SUCCESS)
		return TEST_FAILED;
	memset(&cfg, 0, sizeof(cfg));
	cfg.dma_entry_limit = 4;
	return on_fake(&cfg, limit_body);
}
KEEL_TEST(vfio_real_bodies_on_fake, "fast", TEST_NO_EAL, test_vfio_real_bodies_on_fake)
