/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_FAKE_VFIO_H
#define KEEL_FAKE_VFIO_H

/*
 * An in-process model of the Linux VFIO type1 v2 uAPI (kernel 6.1, as
 * measured in shared/notes/vfio-qemu-devices.md §3-4): /dev/vfio/vfio
 * containers, /dev/vfio/N groups, vfio-pci devices, plus a sysfs tree in
 * a temp dir. Installed with keel_vfio_set_sys_ops()/_set_sysfs_root().
 *
 * One fake at a time (global state, tests run serially). ioctls may be
 * issued from several threads at once; everything else is single-threaded.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keel_vfio.h"

#define FAKE_MAX_GROUPS 4
#define FAKE_MAX_DEVICES 4
#define FAKE_MAX_RANGES 8

struct fake_vfio_group_cfg {
	int num;
	bool not_viable;
	/* reserved_regions text; NULL: the x86 MSI window line */
	const char *resv_text;
};

struct fake_vfio_device_cfg {
	const char *name;       /* BDF */
	int group;              /* group number */
	bool has_reset;         /* VFIO_DEVICE_FLAGS_RESET */
	bool not_pci;           /* clear VFIO_DEVICE_FLAGS_PCI */
};

struct fake_vfio_cfg {
	int api_version;                /* VFIO_API_VERSION unless set */
	bool api_version_set;
	bool no_type1v2;                /* CHECK_EXTENSION(TYPE1v2) = 0 */
	uint64_t pgsizes;               /* 0: 4K|2M|1G */
	unsigned int n_ranges;          /* 0: the aw-39 pair of the notes */
	struct keel_iova_range ranges[FAKE_MAX_RANGES];
	bool no_iova_range_cap;
	bool no_dma_avail_cap;
	bool no_migration_cap;
	bool caps_reversed;             /* DMA_AVAIL, MIGRATION, IOVA_RANGE */
	uint32_t dma_entry_limit;       /* 0: 65535 */
	/* GET_INFO returns these bytes instead (argsz = raw_info_len) */
	const void *raw_info;
	size_t raw_info_len;
	uint32_t info_argsz_lie;        /* != 0: always ask for this argsz */
	unsigned int n_groups;          /* 0: one group, number 7 */
	struct fake_vfio_group_cfg groups[FAKE_MAX_GROUPS];
	unsigned int n_devices;         /* 0: one device 0000:00:03.0 in 7 */
	struct fake_vfio_device_cfg devices[FAKE_MAX_DEVICES];
	bool no_module_param;           /* no dma_entry_limit in sysfs */
};

/* Build the fake (sysfs temp dir too) and install it. 0 or -errno. */
int fake_vfio_install(const struct fake_vfio_cfg *cfg);
/* Uninstall, remove the temp dir; returns the number of fake fds or
 * mmaps still open (a leak check: 0 expected). */
int fake_vfio_uninstall(void);

/* Fail the @p nth ioctl from now (1 = the next) with @p err, no effect. */
void fake_vfio_fail_ioctl(unsigned int nth, int err);
/* Number of ioctls with request @p req issued since install. */
unsigned int fake_vfio_ioctl_count(unsigned long req);
/* Total ioctls issued since install. */
unsigned int fake_vfio_ioctl_total(void);

/* Kernel state of the (single live) container. */
unsigned int fake_vfio_n_mappings(void);
uint32_t fake_vfio_dma_avail(void);
bool fake_vfio_iommu_set(void);
/* Is [iova, iova + len) exactly one mapping of vaddr va? */
bool fake_vfio_has_mapping(uint64_t iova, uint64_t len, uint64_t va);
/* Mark the mapping containing @p iova as made by another mm (6.1: unmap
 * stops there, so a covering unmap is short). 0 or -ENOENT. */
int fake_vfio_mark_foreign(uint64_t iova);
/* The VFIO_DMA_MAP_FLAG_READ/_WRITE flags of the mapping holding @p iova
 * (0 when none does). */
uint32_t fake_vfio_mapping_flags(uint64_t iova);
/* Make that mapping this process's again. 0 or -ENOENT. */
int fake_vfio_clear_foreign(uint64_t iova);
/* Is group @p num attached to a container? */
bool fake_vfio_group_attached(int num);

/* Signal vector @p vec of interrupt @p index of device @p name through its
 * eventfd. 0, or -ENOENT if no eventfd is attached. */
int fake_vfio_trigger(const char *name, uint32_t index, uint32_t vec);
/* INTx unmask calls seen for a device. */
unsigned int fake_vfio_unmask_count(const char *name);
/* Resets seen for a device. */
unsigned int fake_vfio_reset_count(const char *name);
/* Config space byte @p off of a device (to check writes). */
uint8_t fake_vfio_config_byte(const char *name, unsigned int off);

/* The sysfs temp dir of the installed fake. */
const char *fake_vfio_sysfs_dir(void);

/*
 * Install the fake, run a test body, uninstall it and fail if the body
 * left fds or mappings behind. Used inside a test function (returns).
 */
#define WITH_FAKE(cfg, body) do { \
	int r__, l__; \
	TEST_ASSERT_SUCCESS(fake_vfio_install(cfg), "fake install"); \
	r__ = (body); \
	l__ = fake_vfio_uninstall(); \
	if (r__ != TEST_SUCCESS) \
		return r__; \
	TEST_ASSERT_EQUAL(l__, 0, "fake fds or mmaps leaked"); \
} while (0)

/* Real host: KEEL_TEST_VFIO_DEV or the first vfio-pci device; 0 or -1. */
int test_vfio_find_dev(char *bdf, size_t len);

#endif /* KEEL_FAKE_VFIO_H */
