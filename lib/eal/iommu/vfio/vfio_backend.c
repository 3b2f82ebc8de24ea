/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "vfio" IOMMU backend (KEEL_IOMMU_VFIO): the IOMMU container layer's
 * backend ops over a VFIO type1 v2 container.
 *
 * Invariant: priv is a struct keel_vfio_container owned by the backend
 * (closed by destroy). type1 v2 cannot split a mapping, so can_split is
 * false and the IOVA table keeps chunk bookkeeping. All locking is the
 * container's (see vfio_container.c).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "keel_log.h"
#include "vfio_internal.h"

static int
backend_get_caps(void *priv, struct keel_iommu_caps *caps)
{
	struct keel_vfio_container *c = priv;
	struct keel_vfio_iommu_info info;
	unsigned int aw = 0;
	int ret;

	memset(caps, 0, sizeof(*caps));
	ret = keel_vfio_usable_ranges(c, caps->ranges, KEEL_IOMMU_MAX_RANGES,
				      &caps->n_ranges, &aw);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&c->lock);
	info = c->info;
	caps->max_mappings = c->dma_limit;
	pthread_mutex_unlock(&c->lock);
	caps->can_split = false;
	caps->pgsize_bitmap = info.pgsize_bitmap != 0 ? info.pgsize_bitmap :
			      vfio_min_pgsize(0);
	caps->addr_width = aw;
	return 0;
}

static int
backend_map(void *priv, uint64_t va, uint64_t iova, uint64_t len,
	    uint32_t prot)
{
	return keel_vfio_dma_map(priv, va, iova, len, prot);
}

/*
 * A short unmap (the kernel stopped at a mapping another mm made, and
 * removed the mappings before it) is a successful ioctl: report the bytes
 * it removed with 0, as the backend ops ask, so the table drops exactly
 * those. keel_vfio_dma_unmap() has logged it and calls it -EIO.
 */
static int
backend_unmap(void *priv, uint64_t iova, uint64_t len, uint64_t *unmapped)
{
	int ret = keel_vfio_dma_unmap(priv, iova, len, unmapped);

	return ret == -EIO ? 0 : ret;
}

static int
backend_get_usage(void *priv, uint64_t *n_mappings)
{
	struct keel_vfio_container *c = priv;
	struct keel_vfio_iommu_info info;
	uint64_t limit;
	int ret;

	ret = keel_vfio_iommu_info(c, &info);
	if (ret < 0)
		return ret;
	limit = keel_vfio_dma_limit(c);
	if (!info.has_dma_avail || limit == 0 || info.dma_avail > limit) {
		KEEL_LOG(DEBUG, keel_logtype_vfio,
			 "vfio: mapping count unknown (DMA_AVAIL %s, limit %" PRIu64 ")",
			 info.has_dma_avail ? "present" : "absent", limit);
		return vfio_err(ENOTSUP);
	}
	*n_mappings = limit - info.dma_avail;
	return 0;
}

static void
backend_destroy(void *priv)
{
	if (keel_vfio_container_close(priv) < 0)
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: backend destroy: container still in use by devices; left open");
}

static const struct keel_iommu_backend_ops vfio_backend_ops = {
	.name = "vfio",
	.get_caps = backend_get_caps,
	.map = backend_map,
	.unmap = backend_unmap,
	.destroy = backend_destroy,
	.get_usage = backend_get_usage,
};

const struct keel_iommu_backend_ops *
keel_vfio_backend_ops(void)
{
	return &vfio_backend_ops;
}

struct keel_vfio_container *
keel_vfio_backend_container(void *backend_priv)
{
	return backend_priv;
}

/* Bind one "group=N" or "dev=BDF" item. */
static int
backend_bind_item(struct keel_vfio_container *c, const char *item)
{
	long v;
	char *end;
	int num, ret;

	if (strncmp(item, "group=", 6) == 0) {
		errno = 0;
		v = strtol(item + 6, &end, 10);
		if (errno != 0 || end == item + 6 || *end != '\0' || v < 0 ||
		    v > INT32_MAX) {
			KEEL_LOG(ERR, keel_logtype_vfio,
				 "vfio: backend args: bad group number in '%s'",
				 item);
			return vfio_err(EINVAL);
		}
		num = (int)v;
	} else if (strncmp(item, "dev=", 4) == 0) {
		ret = keel_vfio_pci_group_num(item + 4, &num);
		if (ret < 0)
			return ret;
	} else {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: backend args: unknown item '%s' (expected group=N or dev=BDF)",
			 item);
		return vfio_err(EINVAL);
	}
	ret = keel_vfio_group_bind(c, num);
	/* the same group named twice (two devices of one group) is fine */
	return ret == -EEXIST ? 0 : ret;
}

/*
 * No groups named: bind the group of every device bound to vfio-pci (what
 * a default container at EAL init wants). A group that cannot be bound
 * (not viable, held by another process) is skipped with a warning.
 */
static void
backend_bind_auto(struct keel_vfio_container *c)
{
	char path[PATH_MAX];
	struct dirent *e;
	unsigned int bound = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/bus/pci/drivers/vfio-pci",
		 keel_vfio_get_sysfs_root());
	d = opendir(path);
	if (d == NULL) {
		KEEL_LOG(INFO, keel_logtype_vfio,
			 "vfio: %s: %s: no device to bind", path,
			 strerror(errno));
		return;
	}
	while ((e = readdir(d)) != NULL) {
		int num, ret;

		if (strchr(e->d_name, ':') == NULL)   /* bind, new_id, ... */
			continue;
		ret = keel_vfio_pci_group_num(e->d_name, &num);
		if (ret == 0)
			ret = keel_vfio_group_bind(c, num);
		if (ret == 0)
			bound++;
		else if (ret != -EEXIST)
			KEEL_LOG(WARNING, keel_logtype_vfio,
				 "vfio: skipping %s: %s", e->d_name,
				 strerror(-ret));
	}
	closedir(d);
	KEEL_LOG(INFO, keel_logtype_vfio,
		 "vfio: bound %u groups of devices bound to vfio-pci", bound);
}

int
keel_vfio_backend_create(const char *args,
			 const struct keel_iommu_backend_ops **ops,
			 void **priv)
{
	struct keel_vfio_container *c;
	char *copy = NULL, *item, *save = NULL;
	int ret;

	if (ops == NULL || priv == NULL)
		return vfio_err(EINVAL);
	ret = keel_vfio_container_open(&c);
	if (ret < 0)
		return ret;
	if (args == NULL || args[0] == '\0') {
		backend_bind_auto(c);
	} else if (strcmp(args, "nogroups") != 0) {
		copy = strdup(args);
		if (copy == NULL) {
			keel_vfio_container_close(c);
			return vfio_err(ENOMEM);
		}
		for (item = strtok_r(copy, ",", &save); item != NULL;
		     item = strtok_r(NULL, ",", &save)) {
			ret = backend_bind_item(c, item);
			if (ret < 0) {
				free(copy);
				keel_vfio_container_close(c);
				errno = -ret;
				return ret;
			}
		}
		free(copy);
	}
	*ops = &vfio_backend_ops;
	*priv = c;
	return 0;
}

__attribute__((constructor)) static void
vfio_backend_register(void)
{
	keel_iommu_backend_register(KEEL_IOMMU_VFIO, "vfio",
				    keel_vfio_backend_create);
}
