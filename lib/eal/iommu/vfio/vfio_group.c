/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOMMU groups of a VFIO container: lookup in sysfs, viability, bind and
 * unbind, reserved regions.
 *
 * Invariants: see vfio_internal.h (a group is listed iff it is bound to
 * the container; the container's IOMMU is set iff the list is non-empty).
 * This file alone touches groups and the list; the container's IOMMU
 * state is vfio_container.c's. Everything here runs with the container's
 * lock held except the sysfs lookup.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keel_log.h"
#include "vfio_internal.h"

struct vfio_group {
	struct vfio_group *next;
	int num;
	int fd;
	bool explicit_bind;              /* bound by keel_vfio_group_bind */
	unsigned int n_devices;          /* open devices of this group */
	unsigned int n_resv;
	struct keel_vfio_resv resv[VFIO_MAX_RESV];
};

static bool
bdf_valid(const char *bdf)
{
	size_t i, n;

	if (bdf == NULL)
		return false;
	n = strnlen(bdf, 32);
	if (n == 0 || n >= 32)
		return false;
	for (i = 0; i < n; i++) {
		char ch = bdf[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		      (ch >= 'A' && ch <= 'F') || ch == ':' || ch == '.'))
			return false;
	}
	return true;
}

int
keel_vfio_pci_group_num(const char *bdf, int *group_num)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	char *end;
	ssize_t n;
	long v;

	if (!bdf_valid(bdf) || group_num == NULL) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: '%s' is not a PCI address", bdf ? bdf : "(null)");
		return vfio_err(EINVAL);
	}
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group",
		 keel_vfio_get_sysfs_root(), bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		int err = errno;

		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: %s: %s (no IOMMU, or no such device)", path,
			 strerror(err));
		return vfio_err(err == ENOENT ? ENODEV : err);
	}
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	errno = 0;
	v = strtol(base, &end, 10);
	if (errno != 0 || end == base || *end != '\0' || v < 0 ||
	    v > INT_MAX) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: %s -> '%s' does not end in a group number",
			 path, link);
		return vfio_err(EINVAL);
	}
	*group_num = (int)v;
	return 0;
}

static struct vfio_group *
group_find(struct keel_vfio_container *c, int num)
{
	struct vfio_group *g;

	for (g = c->groups.head; g != NULL; g = g->next)
		if (g->num == num)
			return g;
	return NULL;
}

static int
group_read_resv(struct vfio_group *g)
{
	char rel[64], *buf;
	ssize_t len;
	int ret;

	buf = malloc(16384);
	if (buf == NULL)
		return vfio_err(ENOMEM);
	snprintf(rel, sizeof(rel), "kernel/iommu_groups/%d/reserved_regions",
		 g->num);
	len = vfio_sysfs_read(rel, buf, 16384);
	if (len == -ENOENT) {
		/* before Linux 4.11 the file does not exist */
		KEEL_LOG(WARNING, keel_logtype_vfio,
			 "vfio: %s/%s missing: no reserved regions known for group %d",
			 keel_vfio_get_sysfs_root(), rel, g->num);
		g->n_resv = 0;
		free(buf);
		return 0;
	}
	if (len < 0) {
		KEEL_LOG(ERR, keel_logtype_vfio, "vfio: reading %s/%s: %s",
			 keel_vfio_get_sysfs_root(), rel, strerror((int)-len));
		free(buf);
		return vfio_err((int)-len);
	}
	ret = keel_vfio_resv_parse(buf, (size_t)len, g->resv, VFIO_MAX_RESV,
				   &g->n_resv);
	if (ret < 0)
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: group %d: cannot use %s/%s", g->num,
			 keel_vfio_get_sysfs_root(), rel);
	free(buf);
	return ret;
}

/* Undo SET_CONTAINER and close; the kernel drops the IOMMU with the last
 * group. */
static void
group_release(struct vfio_group *g)
{
	const struct keel_vfio_sys_ops *sys = vfio_sys();

	if (sys->ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER, NULL) < 0)
		KEEL_LOG(WARNING, keel_logtype_vfio,
			 "vfio: VFIO_GROUP_UNSET_CONTAINER of group %d: %s",
			 g->num, strerror(errno));
	sys->close(g->fd);
}

static int
group_attach_locked(struct keel_vfio_container *c, struct vfio_group *g)
{
	const struct keel_vfio_sys_ops *sys = vfio_sys();
	struct vfio_group_status st;
	char path[32];
	int err, ret;

	snprintf(path, sizeof(path), "/dev/vfio/%d", g->num);
	g->fd = sys->open(path, O_RDWR | O_CLOEXEC);
	if (g->fd < 0) {
		err = errno;
		KEEL_LOG(ERR, keel_logtype_vfio, "vfio: cannot open %s: %s%s",
			 path, strerror(err),
			 err == EBUSY ? " (opened by another process or container)" : "");
		return vfio_err(err);
	}
	memset(&st, 0, sizeof(st));
	st.argsz = sizeof(st);
	if (sys->ioctl(g->fd, VFIO_GROUP_GET_STATUS, &st) < 0) {
		err = errno;
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: VFIO_GROUP_GET_STATUS of group %d: %s", g->num,
			 strerror(err));
		goto close_fd;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: group %d is not viable (flags 0x%x): bind every device of %s/kernel/iommu_groups/%d/devices to vfio-pci",
			 g->num, st.flags, keel_vfio_get_sysfs_root(), g->num);
		err = EPERM;
		goto close_fd;
	}
	if (st.flags & VFIO_GROUP_FLAGS_CONTAINER_SET) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: group %d is already in a container", g->num);
		err = EBUSY;
		goto close_fd;
	}
	/* before the IOMMU is touched: a malformed file fails the bind */
	ret = group_read_resv(g);
	if (ret < 0) {
		err = -ret;
		goto close_fd;
	}
	if (sys->ioctl(g->fd, VFIO_GROUP_SET_CONTAINER, &c->fd) < 0) {
		err = errno;
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: VFIO_GROUP_SET_CONTAINER group %d -> container fd %d: %s",
			 g->num, c->fd, strerror(err));
		goto close_fd;
	}
	ret = vfio_container_iommu_join_locked(c, g->num);
	if (ret < 0) {
		err = -ret;
		goto unset;
	}
	KEEL_LOG(INFO, keel_logtype_vfio,
		 "vfio: group %d bound to container fd %d (%u reserved regions)",
		 g->num, c->fd, g->n_resv);
	return 0;
unset:
	/* the last group leaving also releases a just-set IOMMU */
	group_release(g);
	return vfio_err(err);
close_fd:
	sys->close(g->fd);
	return vfio_err(err);
}

int
vfio_group_ref_locked(struct keel_vfio_container *c, int num,
		      bool explicit_bind, struct vfio_group **out)
{
	struct vfio_group *g = group_find(c, num);
	int ret;

	if (g != NULL) {
		if (explicit_bind) {
			if (g->explicit_bind) {
				KEEL_LOG(ERR, keel_logtype_vfio,
					 "vfio: group %d is already bound to container fd %d",
					 num, c->fd);
				return vfio_err(EEXIST);
			}
			g->explicit_bind = true;
		} else {
			g->n_devices++;
		}
		*out = g;
		return 0;
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return vfio_err(ENOMEM);
	g->num = num;
	g->fd = -1;
	ret = group_attach_locked(c, g);
	if (ret < 0) {
		free(g);
		return ret;
	}
	g->explicit_bind = explicit_bind;
	g->n_devices = explicit_bind ? 0 : 1;
	g->next = c->groups.head;
	c->groups.head = g;
	c->groups.n++;
	*out = g;
	return 0;
}

void
vfio_group_unref_locked(struct keel_vfio_container *c, struct vfio_group *g,
			bool explicit_bind)
{
	struct vfio_group **pp;

	if (explicit_bind)
		g->explicit_bind = false;
	else if (g->n_devices > 0)
		g->n_devices--;
	if (g->explicit_bind || g->n_devices > 0)
		return;
	for (pp = &c->groups.head; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	c->groups.n--;
	if (c->groups.n == 0)
		vfio_container_iommu_leave_locked(c);
	group_release(g);
	free(g);
}

void
vfio_group_unref_device_locked(struct keel_vfio_container *c,
			       struct vfio_group *g)
{
	if (c->groups.n == 1 && g->n_devices == 1 && !g->explicit_bind &&
	    vfio_container_mapped_bytes(c) > 0) {
		KEEL_LOG(INFO, keel_logtype_vfio,
			 "vfio: keeping group %d bound to container fd %d: mappings exist",
			 g->num, c->fd);
		g->explicit_bind = true;
	}
	vfio_group_unref_locked(c, g, false);
}

int
vfio_group_device_fd(const struct vfio_group *g, const char *name)
{
	int fd = vfio_sys()->ioctl(g->fd, VFIO_GROUP_GET_DEVICE_FD,
				   (void *)(uintptr_t)name);

	if (fd < 0) {
		int err = errno;

		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: VFIO_GROUP_GET_DEVICE_FD %s in group %d: %s",
			 name, g->num, strerror(err));
		return vfio_err(err);
	}
	return fd;
}

void
vfio_groups_release_all_locked(struct keel_vfio_container *c)
{
	while (c->groups.head != NULL) {
		/* the caller checked that no device is open: the explicit
		 * bind is each group's last reference */
		vfio_group_unref_locked(c, c->groups.head, true);
	}
}

int
vfio_groups_subtract_resv_locked(struct keel_vfio_container *c,
				 struct keel_iova_range *work,
				 unsigned int *cnt, unsigned int max)
{
	const struct vfio_group *g;
	unsigned int i;
	int ret;

	for (g = c->groups.head; g != NULL; g = g->next) {
		for (i = 0; i < g->n_resv; i++) {
			if (g->resv[i].type == KEEL_VFIO_RESV_DIRECT_RELAXABLE)
				continue;
			ret = keel_vfio_ranges_subtract(work, cnt, max,
							g->resv[i].start,
							g->resv[i].last);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

unsigned int
keel_vfio_container_n_groups(struct keel_vfio_container *c)
{
	unsigned int n;

	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->lock);
	n = c->groups.n;
	pthread_mutex_unlock(&c->lock);
	return n;
}

int
keel_vfio_group_bind(struct keel_vfio_container *c, int group_num)
{
	struct vfio_group *g;
	int ret;

	if (c == NULL || group_num < 0) {
		KEEL_LOG(ERR, keel_logtype_vfio, "vfio: bind: bad group %d",
			 group_num);
		return vfio_err(EINVAL);
	}
	pthread_mutex_lock(&c->lock);
	ret = vfio_group_ref_locked(c, group_num, true, &g);
	pthread_mutex_unlock(&c->lock);
	return ret;
}

int
keel_vfio_group_unbind(struct keel_vfio_container *c, int group_num)
{
	struct vfio_group *g;
	uint64_t mapped;
	int err = 0;

	if (c == NULL)
		return vfio_err(EINVAL);
	pthread_mutex_lock(&c->lock);
	g = group_find(c, group_num);
	mapped = vfio_container_mapped_bytes(c);
	if (g == NULL || !g->explicit_bind) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: unbind: group %d is not bound to container fd %d",
			 group_num, c->fd);
		err = ENOENT;
	} else if (g->n_devices > 0) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: unbind: group %d has %u open devices", group_num,
			 g->n_devices);
		err = EBUSY;
	} else if (c->groups.n == 1 && mapped > 0) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: unbind: group %d is the last group of container fd %d and 0x%" PRIx64 " bytes are mapped (unmap them first)",
			 group_num, c->fd, mapped);
		err = EBUSY;
	} else {
		vfio_group_unref_locked(c, g, true);
	}
	pthread_mutex_unlock(&c->lock);
	return err ? vfio_err(err) : 0;
}
