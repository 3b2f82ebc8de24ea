/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The system-call table of the VFIO backend and the sysfs root.
 *
 * Invariant: sys_ops is a complete table; it and sysfs_root change only
 * while no VFIO container or device is open (obj_count == 0). sys_lock
 * protects both against concurrent setters and object creation; readers
 * load the pointer atomically.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "keel_log.h"
#include "vfio_internal.h"

KEEL_LOG_REGISTER(keel_logtype_vfio, "iommu.vfio", INFO)

static int
real_open(const char *path, int flags)
{
	return open(path, flags);
}

static int
real_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg);
}

static const struct keel_vfio_sys_ops real_ops = {
	.open = real_open,
	.close = close,
	.ioctl = real_ioctl,
	.mmap = mmap,
	.munmap = munmap,
	.pread = pread,
	.pwrite = pwrite,
};

static pthread_mutex_t sys_lock = PTHREAD_MUTEX_INITIALIZER;
static struct keel_vfio_sys_ops cur_ops;
static const struct keel_vfio_sys_ops *sys_ops = &real_ops;
static unsigned int obj_count;
static char sysfs_root[PATH_MAX] = "/sys";

const struct keel_vfio_sys_ops *
vfio_sys(void)
{
	return __atomic_load_n(&sys_ops, __ATOMIC_ACQUIRE);
}

const struct keel_vfio_sys_ops *
keel_vfio_get_sys_ops(void)
{
	return vfio_sys();
}

void
vfio_obj_get(void)
{
	pthread_mutex_lock(&sys_lock);
	obj_count++;
	pthread_mutex_unlock(&sys_lock);
}

void
vfio_obj_put(void)
{
	pthread_mutex_lock(&sys_lock);
	obj_count--;
	pthread_mutex_unlock(&sys_lock);
}

int
keel_vfio_set_sys_ops(const struct keel_vfio_sys_ops *ops)
{
	int ret = 0;

	if (ops != NULL && (ops->open == NULL || ops->close == NULL ||
			    ops->ioctl == NULL || ops->mmap == NULL ||
			    ops->munmap == NULL || ops->pread == NULL ||
			    ops->pwrite == NULL)) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: system-call table %p has a NULL member",
			 (const void *)ops);
		return vfio_err(EINVAL);
	}
	pthread_mutex_lock(&sys_lock);
	if (obj_count > 0) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: cannot change the system-call table while %u containers/devices are open",
			 obj_count);
		ret = -EBUSY;
	} else if (ops == NULL) {
		__atomic_store_n(&sys_ops, &real_ops, __ATOMIC_RELEASE);
	} else {
		cur_ops = *ops;
		__atomic_store_n(&sys_ops, &cur_ops, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&sys_lock);
	return ret < 0 ? vfio_err(-ret) : 0;
}

int
keel_vfio_set_sysfs_root(const char *root)
{
	int ret = 0;

	if (root == NULL)
		root = "/sys";
	if (strlen(root) >= sizeof(sysfs_root) - 64) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: sysfs root of %zu bytes is too long",
			 strlen(root));
		return vfio_err(ENAMETOOLONG);
	}
	pthread_mutex_lock(&sys_lock);
	if (obj_count > 0) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: cannot change the sysfs root to '%s' while %u containers/devices are open",
			 root, obj_count);
		ret = -EBUSY;
	} else {
		strcpy(sysfs_root, root);
	}
	pthread_mutex_unlock(&sys_lock);
	return ret < 0 ? vfio_err(-ret) : 0;
}

const char *
keel_vfio_get_sysfs_root(void)
{
	return sysfs_root;
}

ssize_t
vfio_sysfs_read(const char *relpath, char *buf, size_t cap)
{
	char path[PATH_MAX];
	size_t got = 0;
	int fd, err;

	if (cap == 0)
		return vfio_err(EINVAL);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", sysfs_root,
			     relpath) >= sizeof(path))
		return vfio_err(ENAMETOOLONG);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < cap - 1) {
		ssize_t r = read(fd, buf + got, cap - 1 - got);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			close(fd);
			return vfio_err(err);
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got == cap - 1) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: %s is larger than %zu bytes", path, cap - 1);
		return vfio_err(EFBIG);
	}
	buf[got] = '\0';
	return (ssize_t)got;
}
