/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "vfio" suite: the VM harness's own smoke test (devtools/vm/). Proves the
 * guest is set up as the rest of the vfio suite expects, with raw VFIO
 * ioctls only (it must not depend on Keel's VFIO backend, which it is there
 * to host): the container opens, speaks the v0 API and offers type1 v2; the
 * QEMU edu device (1234:11e8) is bound to vfio-pci; its IOMMU group is
 * viable, exclusive (a second open is EBUSY), attaches to the container,
 * takes SET_IOMMU(TYPE1v2) and hands out the device, whose 1 MiB BAR0 maps
 * and answers edu's id and liveness registers.
 *
 * Runs without the EAL (no default container may hold the group). Every fd
 * and mapping it makes is released before it returns; no shared state.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test.h"

#define EDU_VENDOR    0x1234
#define EDU_DEVICE    0x11e8
#define EDU_BAR0_SIZE 0x100000ULL
#define EDU_REG_ID    0x00
#define EDU_REG_LIVE  0x04

/* Copy a name into out[len]: -ENAMETOOLONG (out untouched) if it does not fit. */
static int
copy_name(char *out, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(out, name, n + 1);
	return 0;
}

/* Hex value of a sysfs attribute such as vendor ("0x1234\n"), or -1. */
static long
sysfs_hex(const char *dev, const char *attr)
{
	char path[PATH_MAX], buf[32];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", dev, attr);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) != NULL)
		v = strtol(buf, NULL, 16);
	fclose(f);
	return v;
}

/* Basename of the symlink /sys/bus/pci/devices/DEV/LINK into out. */
static int
sysfs_link_base(const char *dev, const char *link, char *out, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", dev, link);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	return copy_name(out, len, base != NULL ? base + 1 : target);
}

/* First edu device bound to vfio-pci: its BDF and IOMMU group number. */
static int
find_edu(char *bdf, size_t len, int *group)
{
	char drv[64], grp[32];
	struct dirent *e;
	DIR *d = opendir("/sys/bus/pci/devices");
	int found = -ENODEV;

	if (d == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' ||
		    sysfs_hex(e->d_name, "vendor") != EDU_VENDOR ||
		    sysfs_hex(e->d_name, "device") != EDU_DEVICE)
			continue;
		if (sysfs_link_base(e->d_name, "driver", drv, sizeof(drv)) ||
		    strcmp(drv, "vfio-pci") != 0)
			continue;
		if (sysfs_link_base(e->d_name, "iommu_group", grp, sizeof(grp)))
			continue;
		if (copy_name(bdf, len, e->d_name) != 0)
			continue;
		*group = atoi(grp);
		found = 0;
		break;
	}
	closedir(d);
	return found;
}

static int
smoke_device(int group, const char *bdf)
{
	struct vfio_region_info reg = { .argsz = sizeof(reg), .index = 0 };
	volatile uint32_t *bar;
	uint32_t id, live;
	int dev, ret;
	void *map;

	dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	TEST_ASSERT(dev >= 0, "VFIO_GROUP_GET_DEVICE_FD(%s): %s", bdf,
		    strerror(errno));
	ret = ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &reg);
	if (ret != 0 || reg.size != EDU_BAR0_SIZE ||
	    !(reg.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		printf("  BAR0 of %s: ret %d (%s), size 0x%llx, flags 0x%x; "
		       "expected 1 MiB, mmap-able\n", bdf, ret,
		       strerror(errno), (unsigned long long)reg.size,
		       reg.flags);
		close(dev);
		return TEST_FAILED;
	}
	map = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
		   (off_t)reg.offset);
	if (map == MAP_FAILED) {
		printf("  mmap BAR0 of %s: %s\n", bdf, strerror(errno));
		close(dev);
		return TEST_FAILED;
	}
	bar = map;
	id = bar[EDU_REG_ID / 4];
	bar[EDU_REG_LIVE / 4] = 0x12345678;
	live = bar[EDU_REG_LIVE / 4];
	munmap(map, reg.size);
	close(dev);
	TEST_ASSERT((id & 0xffff) == 0x00ed, "edu id register 0x%08x", id);
	TEST_ASSERT_EQUAL(live, 0xedcba987u, "edu liveness register");
	printf("  %s: edu id 0x%08x, liveness ok\n", bdf, id);
	return TEST_SUCCESS;
}

static int
test_vm_vfio_smoke(void)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char bdf[64], path[64];
	int container, group, group2, ret, gnum = -1;

	if (find_edu(bdf, sizeof(bdf), &gnum) != 0)
		return keel_test_skip("no edu device (1234:11e8) bound to "
				      "vfio-pci: run it with devtools/vm/run-vm.py");

	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	TEST_ASSERT(container >= 0, "open /dev/vfio/vfio: %s", strerror(errno));
	ret = ioctl(container, VFIO_GET_API_VERSION);
	if (ret != VFIO_API_VERSION) {
		printf("  VFIO_GET_API_VERSION %d, expected %d\n", ret,
		       VFIO_API_VERSION);
		close(container);
		return TEST_FAILED;
	}
	ret = ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU);
	if (ret != 1) {
		printf("  VFIO_CHECK_EXTENSION(TYPE1v2) = %d\n", ret);
		close(container);
		return TEST_FAILED;
	}

	snprintf(path, sizeof(path), "/dev/vfio/%d", gnum);
	group = open(path, O_RDWR | O_CLOEXEC);
	if (group < 0) {
		printf("  open %s (group of %s): %s\n", path, bdf,
		       strerror(errno));
		close(container);
		return TEST_FAILED;
	}
	ret = -1;
	do {
		group2 = open(path, O_RDWR | O_CLOEXEC);
		if (group2 >= 0 || errno != EBUSY) {
			printf("  second open of %s: %d (%s), expected EBUSY\n",
			       path, group2, strerror(errno));
			if (group2 >= 0)
				close(group2);
			break;
		}
		if (ioctl(group, VFIO_GROUP_GET_STATUS, &st) != 0) {
			printf("  VFIO_GROUP_GET_STATUS: %s\n", strerror(errno));
			break;
		}
		if (st.flags != VFIO_GROUP_FLAGS_VIABLE) {
			printf("  group %d status flags 0x%x, expected viable "
			       "(0x%x) and no container\n", gnum, st.flags,
			       VFIO_GROUP_FLAGS_VIABLE);
			break;
		}
		if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) != 0) {
			printf("  VFIO_GROUP_SET_CONTAINER: %s\n",
			       strerror(errno));
			break;
		}
		if (ioctl(group, VFIO_GROUP_GET_STATUS, &st) != 0 ||
		    st.flags != (VFIO_GROUP_FLAGS_VIABLE |
				 VFIO_GROUP_FLAGS_CONTAINER_SET)) {
			printf("  group %d flags 0x%x after SET_CONTAINER\n",
			       gnum, st.flags);
			break;
		}
		if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) != 0) {
			printf("  VFIO_SET_IOMMU(TYPE1v2): %s\n",
			       strerror(errno));
			break;
		}
		ret = smoke_device(group, bdf);
	} while (0);
	close(group);
	close(container);
	if (ret == TEST_SUCCESS)
		printf("  %s in group %d: viable, exclusive, type1 v2 ok\n",
		       bdf, gnum);
	return ret == TEST_SUCCESS ? TEST_SUCCESS : TEST_FAILED;
}

KEEL_TEST(vm_vfio_smoke, "vfio", TEST_NEED_VFIO | TEST_NEED_ROOT | TEST_NO_EAL,
	test_vm_vfio_smoke);
