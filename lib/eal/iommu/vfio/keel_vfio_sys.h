/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_VFIO_SYS_H
#define KEEL_VFIO_SYS_H

/**
 * @file
 * The one seam between the VFIO backend and the kernel.
 *
 * Every system call the VFIO code makes on /dev/vfio/... file descriptors
 * (open, close, ioctl, mmap, munmap, pread, pwrite) goes through the ops
 * table installed here, so tests can plug in an in-process fake kernel.
 * No VFIO ioctl is issued anywhere else in Keel.
 *
 * The ops follow the libc convention: on failure they return -1 (mmap:
 * MAP_FAILED) and set errno.
 *
 * The sysfs root (default "/sys") is configurable as well, so tests can
 * point /sys/kernel/iommu_groups and /sys/bus/pci/devices at a temp dir.
 */

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** System calls used by the VFIO backend. All members are required. */
struct keel_vfio_sys_ops {
	/** open(2) of /dev/vfio/vfio or /dev/vfio/N */
	int (*open)(const char *path, int flags);
	/** close(2) */
	int (*close)(int fd);
	/** ioctl(2) with a pointer (or integer cast to pointer) argument */
	int (*ioctl)(int fd, unsigned long req, void *arg);
	/** mmap(2) of a device region */
	void *(*mmap)(void *addr, size_t len, int prot, int flags, int fd,
		      off_t off);
	/** munmap(2) of a device region */
	int (*munmap)(void *addr, size_t len);
	/** pread(2) on a device fd (config space, BARs) */
	ssize_t (*pread)(int fd, void *buf, size_t len, off_t off);
	/** pwrite(2) on a device fd */
	ssize_t (*pwrite)(int fd, const void *buf, size_t len, off_t off);
};

/**
 * Install a system-call table (tests: a fake kernel). Call it while no
 * other thread uses VFIO: it refuses while objects are open, but does not
 * wait for a concurrent open to finish.
 *
 * @param ops  the table (copied), or NULL for the real system calls
 * @return 0; -EBUSY while any VFIO container or device is open (their fds
 *         belong to the old table); -EINVAL if a member is NULL
 */
int keel_vfio_set_sys_ops(const struct keel_vfio_sys_ops *ops);

/** @return the table in use (the real one unless a test installed one). */
const struct keel_vfio_sys_ops *keel_vfio_get_sys_ops(void);

/**
 * Set the sysfs root used to find IOMMU groups and reserved regions.
 *
 * @param root  a directory, e.g. "/sys" (the default) or a test's temp dir;
 *              NULL restores "/sys"
 * @return 0, -ENAMETOOLONG, or -EBUSY while VFIO objects are open
 */
int keel_vfio_set_sysfs_root(const char *root);

/** @return the sysfs root in use. */
const char *keel_vfio_get_sysfs_root(void);

#ifdef __cplusplus
}
#endif
#endif /* KEEL_VFIO_SYS_H */
