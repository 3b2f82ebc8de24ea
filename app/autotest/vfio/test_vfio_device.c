/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO device wrappers against the fake kernel: open (group bound on
 * demand), region info, BAR mmap, region and config I/O, reset, interrupt
 * info and eventfds (a real eventfd is signalled by the fake), and the
 * group reference rules between devices and explicit binds.
 */
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fake_vfio.h"
#include "keel_log.h"
#include "keel_vfio.h"
#include "test.h"
#include "vfio_internal.h"

#define DEV "0000:00:03.0"
#define RW (KEEL_IOMMU_PROT_READ | KEEL_IOMMU_PROT_WRITE)


static int
body_device_regions(void)
{
	struct keel_vfio_container *c;
	struct keel_vfio_device *d;
	struct keel_vfio_region r;
	uint8_t cfg[4], b[8];
	uint16_t cmd = 0x0406;
	uint64_t len;
	void *bar;

	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open");
	TEST_ASSERT_EQUAL(keel_vfio_device_open(c, "zz!", &d), -EINVAL, "bad bdf");
	TEST_ASSERT_EQUAL(keel_vfio_device_open(c, "0000:00:09.0", &d), -ENODEV,
			  "no such device");
	TEST_ASSERT_SUCCESS(keel_vfio_device_open(c, DEV, &d), "open device");
	TEST_ASSERT(fake_vfio_group_attached(7), "group bound on demand");
	TEST_ASSERT(keel_vfio_device_fd(d) >= 0, "fd");
	TEST_ASSERT(keel_vfio_device_flags(d) & VFIO_DEVICE_FLAGS_PCI, "PCI");
	TEST_ASSERT_EQUAL(keel_vfio_device_num_regions(d), 9, "regions");
	TEST_ASSERT_EQUAL(keel_vfio_device_num_irqs(d), 5, "irqs");

	TEST_ASSERT_SUCCESS(keel_vfio_region_info(d, 0, &r), "BAR0");
	TEST_ASSERT(r.size == 4096 && (r.flags & VFIO_REGION_INFO_FLAG_MMAP) &&
		    r.offset == 0, "BAR0 info");
	TEST_ASSERT_SUCCESS(keel_vfio_region_info(d, 7, &r), "config");
	TEST_ASSERT(r.size == 256 && r.offset == 7ULL << 40, "config at index << 40");
	TEST_ASSERT_EQUAL(keel_vfio_region_info(d, 1, &r), -EINVAL, "BAR1 absent");
	TEST_ASSERT_EQUAL(keel_vfio_region_info(d, 8, &r), -EINVAL, "no VGA");
	TEST_ASSERT_EQUAL(keel_vfio_region_info(d, 99, &r), -EINVAL, "index 99");

	/* BAR0 through mmap and through pread agree */
	TEST_ASSERT_SUCCESS(keel_vfio_bar_map(d, 0, &bar, &len), "mmap BAR0");
	TEST_ASSERT_EQUAL(len, 4096, "BAR0 len");
	((volatile uint32_t *)bar)[4] = 0xdeadbeef;
	{
		uint32_t v = 0;
		void *again;

		TEST_ASSERT_SUCCESS(keel_vfio_region_read(d, 0, 16, &v, 4), "pread");
		TEST_ASSERT(v == 0xdeadbeef, "coherent: 0x%x", v);
		TEST_ASSERT_SUCCESS(keel_vfio_bar_map(d, 0, &again, NULL), "again");
		TEST_ASSERT(again == bar, "same mapping");
	}
	TEST_ASSERT_EQUAL(keel_vfio_bar_map(d, 2, &bar, &len), -ENOTSUP,
			  "BAR2 has no MMAP flag");
	TEST_ASSERT_EQUAL(keel_vfio_bar_map(d, 1, &bar, &len), -EINVAL, "BAR1");
	TEST_ASSERT_EQUAL(keel_vfio_bar_map(d, 6, &bar, &len), -EINVAL, "BAR6");
	TEST_ASSERT_SUCCESS(keel_vfio_region_write(d, 2, 8, "abcdefgh", 8), "BAR2 w");
	TEST_ASSERT_SUCCESS(keel_vfio_region_read(d, 2, 8, b, 8), "BAR2 r");
	TEST_ASSERT(memcmp(b, "abcdefgh", 8) == 0, "BAR2 data");
	TEST_ASSERT_EQUAL(keel_vfio_region_read(d, 2, 250, b, 8), -EINVAL,
			  "past the end");
	TEST_ASSERT_EQUAL(keel_vfio_region_read(d, 2, UINT64_MAX, b, 8), -EINVAL,
			  "offset wraps");

	/* config space: vendor, then the command register */
	TEST_ASSERT_SUCCESS(keel_vfio_config_read(d, 0, cfg, 4), "config read");
	TEST_ASSERT(cfg[0] == 0x86 && cfg[1] == 0x80, "vendor 0x8086");
	TEST_ASSERT_SUCCESS(keel_vfio_config_write(d, 4, &cmd, 2), "command");
	TEST_ASSERT(fake_vfio_config_byte(DEV, 4) == 0x06 &&
		    fake_vfio_config_byte(DEV, 5) == 0x04, "written");
	TEST_ASSERT_EQUAL(keel_vfio_config_read(d, 250, b, 8), -EINVAL, "cfg OOB");
	TEST_ASSERT_EQUAL(keel_vfio_config_read(d, 0, b, 0), -EINVAL, "len 0");

	TEST_ASSERT_EQUAL(keel_vfio_device_reset(d), -ENOTSUP, "no reset flag");
	TEST_ASSERT_EQUAL(keel_vfio_container_close(c), -EBUSY, "device open");
	keel_vfio_device_close(d);   /* unmaps BAR0 */
	TEST_ASSERT(!fake_vfio_group_attached(7), "group released with the device");
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close");
	return TEST_SUCCESS;
}

static int
test_vfio_device_regions(void)
{
	WITH_FAKE(NULL, body_device_regions());
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_device_regions, "fast", TEST_NO_EAL, test_vfio_device_regions)

static int
read_efd(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return (int)v;
}

static int
body_device_irqs(void)
{
	struct keel_vfio_container *c;
	struct keel_vfio_device *d;
	struct keel_vfio_irq irq;
	int efd[4], i, ret = TEST_FAILED;

	for (i = 0; i < 4; i++)
		efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open");
	TEST_ASSERT_SUCCESS(keel_vfio_device_open(c, DEV, &d), "device");
	do {
		if (keel_vfio_irq_info(d, VFIO_PCI_MSIX_IRQ_INDEX, &irq) != 0 ||
		    irq.count != 4 || !(irq.flags & VFIO_IRQ_INFO_EVENTFD)) {
			printf("  MSI-X info\n");
			break;
		}
		if (keel_vfio_irq_info(d, 7, &irq) != -EINVAL) {
			printf("  index 7 accepted\n");
			break;
		}
		if (keel_vfio_irq_set_eventfds(d, VFIO_PCI_MSIX_IRQ_INDEX, 0, 4,
					       efd) != 0) {
			printf("  enable MSI-X\n");
			break;
		}
		if (fake_vfio_trigger(DEV, VFIO_PCI_MSIX_IRQ_INDEX, 2) != 0 ||
		    read_efd(efd[2]) != 1 || read_efd(efd[0]) != 0) {
			printf("  vector 2 did not signal its eventfd only\n");
			break;
		}
		if (keel_vfio_irq_set_eventfds(d, VFIO_PCI_MSIX_IRQ_INDEX, 3, 2,
					       efd) != -EINVAL ||
		    keel_vfio_irq_set_eventfds(d, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0,
					       efd) != -EINVAL) {
			printf("  out-of-range vectors accepted\n");
			break;
		}
		if (keel_vfio_irq_disable(d, VFIO_PCI_MSIX_IRQ_INDEX) != 0 ||
		    fake_vfio_trigger(DEV, VFIO_PCI_MSIX_IRQ_INDEX, 2) != -ENOENT) {
			printf("  disable\n");
			break;
		}
		if (keel_vfio_irq_set_eventfds(d, VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
					       efd) != 0 ||
		    keel_vfio_irq_unmask(d, VFIO_PCI_INTX_IRQ_INDEX, 0) != 0 ||
		    fake_vfio_unmask_count(DEV) != 1) {
			printf("  INTx + unmask\n");
			break;
		}
		/* MSI left enabled: close must disable it */
		if (keel_vfio_irq_set_eventfds(d, VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
					       &efd[1]) != 0) {
			printf("  MSI\n");
			break;
		}
		ret = TEST_SUCCESS;
	} while (0);
	keel_vfio_device_close(d);
	if (ret == TEST_SUCCESS &&
	    fake_vfio_trigger(DEV, VFIO_PCI_MSI_IRQ_INDEX, 0) != -ENOENT) {
		printf("  close left MSI enabled\n");
		ret = TEST_FAILED;
	}
	keel_vfio_container_close(c);
	for (i = 0; i < 4; i++)
		close(efd[i]);
	return ret;
}

static int
test_vfio_device_irqs(void)
{
	WITH_FAKE(NULL, body_device_irqs());
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_device_irqs, "fast", TEST_NO_EAL, test_vfio_device_irqs)

static int
body_device_reset(void)
{
	struct keel_vfio_container *c;
	struct keel_vfio_device *d;
	uint8_t v = 0x55;

	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open");
	TEST_ASSERT_SUCCESS(keel_vfio_device_open(c, DEV, &d), "device");
	TEST_ASSERT_SUCCESS(keel_vfio_config_write(d, 0x40, &v, 1), "dirty");
	TEST_ASSERT_SUCCESS(keel_vfio_device_reset(d), "reset");
	TEST_ASSERT_EQUAL(fake_vfio_reset_count(DEV), 1, "one reset");
	TEST_ASSERT_EQUAL(fake_vfio_config_byte(DEV, 0x40), 0, "state reset");
	keel_vfio_device_close(d);
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close");
	return TEST_SUCCESS;
}

static int
body_not_pci(void)
{
	struct keel_vfio_container *c;
	struct keel_vfio_device *d;

	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open");
	TEST_ASSERT_EQUAL(keel_vfio_device_open(c, DEV, &d), -ENODEV, "not PCI");
	TEST_ASSERT(!fake_vfio_group_attached(7), "group released");
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close");
	return TEST_SUCCESS;
}

static int
test_vfio_device_reset(void)
{
	struct fake_vfio_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.n_groups = 1;
	cfg.groups[0].num = 7;
	cfg.n_devices = 1;
	cfg.devices[0].name = DEV;
	cfg.devices[0].group = 7;
	cfg.devices[0].has_reset = true;
	WITH_FAKE(&cfg, body_device_reset());
	cfg.devices[0].has_reset = false;
	cfg.devices[0].not_pci = true;
	WITH_FAKE(&cfg, body_not_pci());
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_device_reset, "fast", TEST_NO_EAL, test_vfio_device_reset)

/* Explicit binds and devices share a group reference. */
static int
body_group_refs(void)
{
	struct keel_vfio_container *c;
	struct keel_vfio_device *d, *d2;
	uint64_t un;
	static uint8_t page[4096] __attribute__((aligned(4096)));
	uint64_t va = (uint64_t)(uintptr_t)page;

	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open");
	TEST_ASSERT_SUCCESS(keel_vfio_group_bind(c, 7), "bind");
	TEST_ASSERT_SUCCESS(keel_vfio_device_open(c, DEV, &d), "device");
	TEST_ASSERT_SUCCESS(keel_vfio_device_open(c, DEV, &d2), "second fd");
	TEST_ASSERT_EQUAL(keel_vfio_container_n_groups(c), 1, "one group");
	TEST_ASSERT_EQUAL(keel_vfio_group_unbind(c, 7), -EBUSY, "devices open");
	keel_vfio_device_close(d);
	keel_vfio_device_close(d2);
	TEST_ASSERT(fake_vfio_group_attached(7), "explicit bind keeps it");
	TEST_ASSERT_SUCCESS(keel_vfio_group_unbind(c, 7), "unbind");
	TEST_ASSERT(!fake_vfio_group_attached(7), "released");
	TEST_ASSERT_EQUAL(keel_vfio_group_unbind(c, 7), -ENOENT, "twice");

	/* implicit bind through a device, mappings exist at close: the group
	 * stays so the kernel does not drop them behind the table */
	TEST_ASSERT_SUCCESS(keel_vfio_device_open(c, DEV, &d), "device again");
	TEST_ASSERT_EQUAL(keel_vfio_group_unbind(c, 7), -ENOENT,
			  "not explicitly bound");
	TEST_ASSERT_SUCCESS(keel_vfio_dma_map(c, va, 0x100000, 4096, RW), "map");
	keel_vfio_device_close(d);
	TEST_ASSERT(fake_vfio_group_attached(7) && fake_vfio_n_mappings() == 1,
		    "group and mapping kept");
	TEST_ASSERT_SUCCESS(keel_vfio_dma_unmap(c, 0x100000, 4096, &un), "unmap");
	TEST_ASSERT_SUCCESS(keel_vfio_group_unbind(c, 7), "now unbind");
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close");
	return TEST_SUCCESS;
}

static int
test_vfio_device_group_refs(void)
{
	WITH_FAKE(NULL, body_group_refs());
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_device_group_refs, "fast", TEST_NO_EAL, test_vfio_device_group_refs)

/* Fail each ioctl of a device open in turn: no fd or group left behind. */
static int
body_device_fail_nth(void)
{
	struct keel_vfio_container *c;
	struct keel_vfio_device *d;
	unsigned int nth, before, per_open;
	int old = keel_log_get_level(keel_logtype_vfio);

	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open");
	before = fake_vfio_ioctl_total();
	TEST_ASSERT_SUCCESS(keel_vfio_device_open(c, DEV, &d), "device");
	per_open = fake_vfio_ioctl_total() - before;
	keel_vfio_device_close(d);
	keel_log_set_level("iommu.vfio", KEEL_LOG_EMERG);
	for (nth = 1; nth <= per_open; nth++) {
		int ret;

		fake_vfio_fail_ioctl(nth, EIO);
		ret = keel_vfio_device_open(c, DEV, &d);
		fake_vfio_fail_ioctl(0, 0);
		if (ret != -EIO || fake_vfio_group_attached(7) ||
		    keel_vfio_container_n_groups(c) != 0) {
			keel_log_set_level("iommu.vfio", (uint32_t)old);
			printf("  failing ioctl %u of %u: ret %d\n", nth, per_open, ret);
			return TEST_FAILED;
		}
	}
	keel_log_set_level("iommu.vfio", (uint32_t)old);
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close");
	return TEST_SUCCESS;
}

static int
test_vfio_device_fail_nth(void)
{
	WITH_FAKE(NULL, body_device_fail_nth());
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_device_fail_nth, "fast", TEST_NO_EAL, test_vfio_device_fail_nth)
