/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A VFIO type1 v2 container: /dev/vfio/vfio, its IOMMU info, DMA map and
 * unmap, and the usable IOVA ranges.
 *
 * Invariants: see vfio_internal.h. c->lock protects the group list,
 * iommu_set, info and dma_limit; map/unmap read iommu_set atomically and
 * update mapped_bytes atomically, without the lock (the kernel serialises
 * the ioctls), so concurrent map/unmap from several lcores do not contend
 * here.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keel_log.h"
#include "vfio_internal.h"

#define VFIO_CONTAINER_PATH "/dev/vfio/vfio"

int
keel_vfio_container_open(struct keel_vfio_container **out)
{
	const struct keel_vfio_sys_ops *sys = vfio_sys();
	struct keel_vfio_container *c;
	int fd, ret, err;

	if (out == NULL) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: container open: NULL out pointer");
		return vfio_err(EINVAL);
	}
	fd = sys->open(VFIO_CONTAINER_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: cannot open %s: %s (is vfio-pci loaded?)",
			 VFIO_CONTAINER_PATH, strerror(err));
		return vfio_err(err);
	}
	ret = sys->ioctl(fd, VFIO_GET_API_VERSION, NULL);
	if (ret != VFIO_API_VERSION) {
		err = ret < 0 ? errno : EPROTO;
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: %s: API version %d, expected %d%s%s",
			 VFIO_CONTAINER_PATH, ret, VFIO_API_VERSION,
			 ret < 0 ? ": " : "", ret < 0 ? strerror(err) : "");
		sys->close(fd);
		return vfio_err(ret < 0 ? err : EPROTO);
	}
	ret = sys->ioctl(fd, VFIO_CHECK_EXTENSION,
			 (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU);
	if (ret <= 0) {
		err = ret < 0 ? errno : ENOTSUP;
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: %s does not support VFIO_TYPE1v2_IOMMU (%d): %s",
			 VFIO_CONTAINER_PATH, VFIO_TYPE1v2_IOMMU,
			 ret < 0 ? strerror(err) : "extension absent");
		sys->close(fd);
		return vfio_err(err);
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		sys->close(fd);
		KEEL_LOG(ERR, keel_logtype_vfio, "vfio: out of memory");
		return vfio_err(ENOMEM);
	}
	pthread_mutex_init(&c->lock, NULL);
	c->fd = fd;
	vfio_obj_get();
	*out = c;
	return 0;
}

int
keel_vfio_container_close(struct keel_vfio_container *c)
{
	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->lock);
	if (c->n_devices > 0) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: container fd %d still has %u open devices",
			 c->fd, c->n_devices);
		pthread_mutex_unlock(&c->lock);
		return vfio_err(EBUSY);
	}
	vfio_groups_release_all_locked(c);
	pthread_mutex_unlock(&c->lock);
	vfio_sys()->close(c->fd);
	pthread_mutex_destroy(&c->lock);
	free(c);
	vfio_obj_put();
	return 0;
}

int
keel_vfio_container_fd(const struct keel_vfio_container *c)
{
	return c == NULL ? vfio_err(EINVAL) : c->fd;
}

static uint64_t
read_dma_entry_limit(void)
{
	char buf[32], *end;
	unsigned long long v;

	if (vfio_sysfs_read("module/vfio_iommu_type1/parameters/dma_entry_limit",
			    buf, sizeof(buf)) <= 0)
		return 0;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0'))
		return 0;
	return v;
}


int
vfio_container_iommu_join_locked(struct keel_vfio_container *c, int group_num)
{
	const struct keel_vfio_sys_ops *sys = vfio_sys();
	struct keel_vfio_iommu_info info;
	int ret;

	if (!c->iommu_set &&
	    sys->ioctl(c->fd, VFIO_SET_IOMMU,
		       (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU) < 0) {
		int err = errno;

		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: VFIO_SET_IOMMU(TYPE1v2) on container fd %d with group %d: %s",
			 c->fd, group_num, strerror(err));
		return vfio_err(err);
	}
	/* the ranges narrow as groups join: query after every join */
	ret = vfio_query_info_locked(c, &info);
	if (ret < 0)
		return ret;
	if (!c->iommu_set) {
		/* no mapping exists yet: DMA_AVAIL is the container's limit */
		c->dma_limit = info.has_dma_avail ? info.dma_avail :
			       read_dma_entry_limit();
	}
	c->info = info;
	__atomic_store_n(&c->min_pg, vfio_min_pgsize(info.pgsize_bitmap),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&c->iommu_set, true, __ATOMIC_RELEASE);
	KEEL_LOG(INFO, keel_logtype_vfio,
		 "vfio: container fd %d with group %d: pgsizes 0x%" PRIx64 ", %u IOVA ranges, limit %" PRIu64 " mappings",
		 c->fd, group_num, info.pgsize_bitmap, info.n_ranges,
		 c->dma_limit);
	return 0;
}

void
vfio_container_iommu_leave_locked(struct keel_vfio_container *c)
{
	__atomic_store_n(&c->iommu_set, false, __ATOMIC_RELEASE);
	memset(&c->info, 0, sizeof(c->info));
	c->dma_limit = 0;
}

uint64_t
vfio_container_mapped_bytes(struct keel_vfio_container *c)
{
	return __atomic_load_n(&c->mapped_bytes, __ATOMIC_RELAXED);
}

/* VFIO_IOMMU_GET_INFO with the argsz dance; c->lock held. */
int
vfio_query_info_locked(struct keel_vfio_container *c,
		       struct keel_vfio_iommu_info *info)
{
	const struct keel_vfio_sys_ops *sys = vfio_sys();
	uint32_t argsz = sizeof(struct vfio_iommu_type1_info);
	void *buf = NULL;
	int tries, ret = -EPROTO, err;

	for (tries = 0; tries < 3; tries++) {
		struct vfio_iommu_type1_info *hdr;
		void *nb = realloc(buf, argsz);

		if (nb == NULL) {
			free(buf);
			return vfio_err(ENOMEM);
		}
		buf = nb;
		memset(buf, 0, argsz);
		hdr = buf;
		hdr->argsz = argsz;
		if (sys->ioctl(c->fd, VFIO_IOMMU_GET_INFO, buf) < 0) {
			err = errno;
			KEEL_LOG(ERR, keel_logtype_vfio,
				 "vfio: VFIO_IOMMU_GET_INFO (argsz %u) on container fd %d: %s",
				 argsz, c->fd, strerror(err));
			free(buf);
			return vfio_err(err);
		}
		if (hdr->argsz <= argsz) {
			ret = vfio_parse_iommu_info(buf, argsz, info);
			free(buf);
			return ret;
		}
		if (hdr->argsz > VFIO_INFO_MAX_ARGSZ) {
			KEEL_LOG(ERR, keel_logtype_vfio,
				 "vfio: VFIO_IOMMU_GET_INFO asks for argsz %u, more than %u",
				 hdr->argsz, VFIO_INFO_MAX_ARGSZ);
			free(buf);
			return vfio_err(EPROTO);
		}
		argsz = hdr->argsz;
	}
	KEEL_LOG(ERR, keel_logtype_vfio,
		 "vfio: VFIO_IOMMU_GET_INFO keeps asking for a larger argsz (%u)",
		 argsz);
	free(buf);
	return vfio_err(-ret);
}

int
keel_vfio_iommu_info(struct keel_vfio_container *c,
		     struct keel_vfio_iommu_info *info)
{
	int ret;

	if (c == NULL || info == NULL)
		return vfio_err(EINVAL);
	pthread_mutex_lock(&c->lock);
	if (!c->iommu_set) {
		pthread_mutex_unlock(&c->lock);
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: container fd %d has no group bound: no IOMMU info yet",
			 c->fd);
		return vfio_err(ENODEV);
	}
	ret = vfio_query_info_locked(c, info);
	if (ret == 0)
		c->info = *info;
	pthread_mutex_unlock(&c->lock);
	return ret;
}

uint64_t
keel_vfio_dma_limit(struct keel_vfio_container *c)
{
	uint64_t v;

	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->lock);
	v = c->dma_limit;
	pthread_mutex_unlock(&c->lock);
	return v;
}

uint64_t
vfio_min_pgsize(uint64_t bitmap)
{
	long ps;

	if (bitmap != 0)
		return bitmap & (~bitmap + 1);
	ps = sysconf(_SC_PAGESIZE);
	return ps > 0 ? (uint64_t)ps : 4096;
}

/* Keep the @max largest ranges of r[0..n), in ascending order. */
static unsigned int
keep_largest(struct keel_iova_range *r, unsigned int n, unsigned int max)
{
	while (n > max) {
		unsigned int i, smallest = 0;

		for (i = 1; i < n; i++)
			if (r[i].last - r[i].start <
			    r[smallest].last - r[smallest].start)
				smallest = i;
		memmove(&r[smallest], &r[smallest + 1],
			(n - smallest - 1) * sizeof(*r));
		n--;
	}
	return n;
}

int
keel_vfio_usable_ranges(struct keel_vfio_container *c,
			struct keel_iova_range *out, unsigned int max,
			unsigned int *n, unsigned int *addr_width)
{
	struct keel_iova_range work[4 * KEEL_VFIO_MAX_KERNEL_RANGES];
	unsigned int cnt, aw;
	int ret;

	if (c == NULL || n == NULL || (out == NULL && max > 0))
		return vfio_err(EINVAL);
	pthread_mutex_lock(&c->lock);
	if (!c->iommu_set) {
		pthread_mutex_unlock(&c->lock);
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: container fd %d has no group bound: IOVA ranges unknown",
			 c->fd);
		return vfio_err(ENODEV);
	}
	if (c->info.has_iova_ranges) {
		cnt = c->info.n_ranges;
		memcpy(work, c->info.ranges, cnt * sizeof(work[0]));
		aw = keel_vfio_ranges_addr_width(work, cnt);
	} else {
		/* pre-5.4 kernels: no IOVA_RANGE; the kernel still checks */
		work[0].start = 0;
		work[0].last = UINT64_MAX;
		cnt = 1;
		aw = 64;
	}
	ret = vfio_groups_subtract_resv_locked(c, work, &cnt,
					       (unsigned int)(sizeof(work) / sizeof(work[0])));
	if (ret == 0)
		ret = keel_vfio_ranges_align(work, &cnt,
					     vfio_min_pgsize(c->info.pgsize_bitmap));
	pthread_mutex_unlock(&c->lock);
	if (ret < 0)
		return ret;
	if (cnt > max) {
		KEEL_LOG(WARNING, keel_logtype_vfio,
			 "vfio: %u usable IOVA ranges, keeping the %u largest",
			 cnt, max);
		cnt = keep_largest(work, cnt, max);
	}
	if (cnt > 0)
		memcpy(out, work, cnt * sizeof(work[0]));
	*n = cnt;
	if (addr_width != NULL)
		*addr_width = aw;
	return 0;
}

static bool
range_wraps(uint64_t a, uint64_t len)
{
	return len == 0 || a > UINT64_MAX - (len - 1);
}

int
keel_vfio_dma_map(struct keel_vfio_container *c, uint64_t va, uint64_t iova,
		  uint64_t len, uint32_t prot)
{
	struct vfio_iommu_type1_dma_map m;
	uint64_t pg;
	int err;

	if (c == NULL)
		return vfio_err(EINVAL);
	if (!__atomic_load_n(&c->iommu_set, __ATOMIC_ACQUIRE)) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: map iova 0x%" PRIx64 ": container fd %d has no group bound",
			 iova, c->fd);
		return vfio_err(ENODEV);
	}
	if (prot == 0 || (prot & ~(KEEL_IOMMU_PROT_READ |
				   KEEL_IOMMU_PROT_WRITE))) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: map iova 0x%" PRIx64 ": bad prot 0x%x", iova,
			 prot);
		return vfio_err(EINVAL);
	}
	pg = __atomic_load_n(&c->min_pg, __ATOMIC_RELAXED);
	if (range_wraps(va, len) || range_wraps(iova, len) ||
	    ((va | iova | len) & (pg - 1))) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: map va 0x%" PRIx64 " iova 0x%" PRIx64 " len 0x%" PRIx64 ": zero, wrapping or not aligned to 0x%" PRIx64,
			 va, iova, len, pg);
		return vfio_err(EINVAL);
	}
	memset(&m, 0, sizeof(m));
	m.argsz = sizeof(m);
	m.flags = ((prot & KEEL_IOMMU_PROT_READ) ? VFIO_DMA_MAP_FLAG_READ : 0) |
		  ((prot & KEEL_IOMMU_PROT_WRITE) ? VFIO_DMA_MAP_FLAG_WRITE : 0);
	m.vaddr = va;
	m.iova = iova;
	m.size = len;
	if (vfio_sys()->ioctl(c->fd, VFIO_IOMMU_MAP_DMA, &m) < 0) {
		err = errno;
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: VFIO_IOMMU_MAP_DMA va 0x%" PRIx64 " iova 0x%" PRIx64 " len 0x%" PRIx64 ": %s%s",
			 va, iova, len, strerror(err),
			 err == EEXIST ? " (overlaps an existing mapping)" :
			 err == ENOSPC ? " (dma_entry_limit reached)" :
			 err == EINVAL ? " (outside the IOVA ranges?)" :
			 err == ENOMEM ? " (RLIMIT_MEMLOCK?)" : "");
		return vfio_err(err);
	}
	__atomic_add_fetch(&c->mapped_bytes, len, __ATOMIC_RELAXED);
	return 0;
}

int
keel_vfio_dma_unmap(struct keel_vfio_container *c, uint64_t iova,
		    uint64_t len, uint64_t *unmapped)
{
	struct vfio_iommu_type1_dma_unmap u;
	int err;

	if (unmapped != NULL)
		*unmapped = 0;
	if (c == NULL)
		return vfio_err(EINVAL);
	if (!__atomic_load_n(&c->iommu_set, __ATOMIC_ACQUIRE)) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: unmap iova 0x%" PRIx64 ": container fd %d has no group bound",
			 iova, c->fd);
		return vfio_err(ENODEV);
	}
	if (range_wraps(iova, len)) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: unmap iova 0x%" PRIx64 " len 0x%" PRIx64 ": zero or wrapping",
			 iova, len);
		return vfio_err(EINVAL);
	}
	memset(&u, 0, sizeof(u));
	u.argsz = sizeof(u);
	u.iova = iova;
	u.size = len;
	if (vfio_sys()->ioctl(c->fd, VFIO_IOMMU_UNMAP_DMA, &u) < 0) {
		err = errno;
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: VFIO_IOMMU_UNMAP_DMA iova 0x%" PRIx64 " len 0x%" PRIx64 ": %s%s",
			 iova, len, strerror(err),
			 err == EINVAL ? " (unaligned, or bisects a mapping)" : "");
		return vfio_err(err);
	}
	if (unmapped != NULL)
		*unmapped = u.size;
	/* the kernel may report anything: never let the counter wrap */
	{
		uint64_t cur = __atomic_load_n(&c->mapped_bytes,
					       __ATOMIC_RELAXED), next;

		do {
			next = u.size > cur ? 0 : cur - u.size;
		} while (!__atomic_compare_exchange_n(&c->mapped_bytes, &cur,
						      next, false,
						      __ATOMIC_RELAXED,
						      __ATOMIC_RELAXED));
	}
	if (u.size != len) {
		KEEL_LOG(ERR, keel_logtype_vfio,
			 "vfio: VFIO_IOMMU_UNMAP_DMA iova 0x%" PRIx64 ": kernel unmapped 0x%" PRIx64 " bytes, requested 0x%" PRIx64,
			 iova, (uint64_t)u.size, len);
		return vfio_err(EIO);
	}
	return 0;
}
