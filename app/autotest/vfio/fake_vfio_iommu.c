/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fake VFIO kernel, the container: type1 v2 map, unmap and GET_INFO with
 * Linux 6.1's rules and errnos (shared/notes/vfio-qemu-devices.md §3-4).
 * Invariant: mappings[] sorted by IOVA, never overlapping; dma_avail +
 * n_maps == the limit sampled at SET_IOMMU. Called under fake_vfio.c's lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake_vfio_internal.h"

/* ---- container ---- */

struct fmap *
map_containing(struct fcontainer *c, uint64_t a)
{
	unsigned int i;

	for (i = 0; i < c->n_maps; i++)
		if (c->maps[i].iova <= a && a - c->maps[i].iova < c->maps[i].size)
			return &c->maps[i];
	return NULL;
}

static bool
in_one_range(uint64_t iova, uint64_t last)
{
	unsigned int i;

	for (i = 0; i < fk.cfg.n_ranges; i++)
		if (iova >= fk.cfg.ranges[i].start && last <= fk.cfg.ranges[i].last)
			return true;
	return false;
}

static int
do_map(struct fcontainer *c, struct vfio_iommu_type1_dma_map *m)
{
	uint64_t pg = fake_minpg();
	unsigned int i, pos;

	if (m->argsz < sizeof(*m))
		return fake_fail(EINVAL);
	if (m->flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
		return fake_fail(EINVAL);
	if (!(m->flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)))
		return fake_fail(EINVAL);
	if (m->size == 0 || ((m->iova | m->size | m->vaddr) & (pg - 1)))
		return fake_fail(EINVAL);
	if (m->iova + m->size - 1 < m->iova || m->vaddr + m->size - 1 < m->vaddr)
		return fake_fail(EINVAL);
	for (i = 0; i < c->n_maps; i++) {
		struct fmap *x = &c->maps[i];

		if (x->iova <= m->iova + m->size - 1 &&
		    m->iova <= x->iova + x->size - 1)
			return fake_fail(EEXIST);
	}
	if (c->dma_avail == 0)
		return fake_fail(ENOSPC);
	if (!in_one_range(m->iova, m->iova + m->size - 1))
		return fake_fail(EINVAL);
	if (m->vaddr < 0x10000)
		return fake_fail(EFAULT);
	if (c->n_maps == FAKE_MAX_MAPS)
		return fake_fail(ENOMEM);
	for (pos = 0; pos < c->n_maps && c->maps[pos].iova < m->iova; pos++)
		;
	memmove(&c->maps[pos + 1], &c->maps[pos],
		(c->n_maps - pos) * sizeof(c->maps[0]));
	c->maps[pos].iova = m->iova;
	c->maps[pos].size = m->size;
	c->maps[pos].vaddr = m->vaddr;
	c->maps[pos].flags = m->flags;
	c->maps[pos].foreign = false;
	c->n_maps++;
	c->dma_avail--;
	return 0;
}

static int
do_unmap(struct fcontainer *c, struct vfio_iommu_type1_dma_unmap *u)
{
	uint64_t pg = fake_minpg(), last, done = 0;
	struct fmap *x;
	unsigned int i;

	if (u->argsz < offsetof(struct vfio_iommu_type1_dma_unmap, size) + 8)
		return fake_fail(EINVAL);
	if (u->flags & ~VFIO_DMA_UNMAP_FLAG_ALL)
		return fake_fail(EINVAL);
	if (u->flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (u->iova != 0 || u->size != 0)
			return fake_fail(EINVAL);
		for (i = 0; i < c->n_maps; i++)
			done += c->maps[i].size;
		c->dma_avail += c->n_maps;
		c->n_maps = 0;
		u->size = done;
		return 0;
	}
	if (u->size == 0 || ((u->iova | u->size) & (pg - 1)))
		return fake_fail(EINVAL);
	last = u->iova + u->size - 1;
	if (last < u->iova)
		return fake_fail(EINVAL);
	/* v2: no bisection of either end */
	x = map_containing(c, u->iova);
	if (x != NULL && x->iova != u->iova)
		return fake_fail(EINVAL);
	x = map_containing(c, last);
	if (x != NULL && x->iova + x->size - 1 != last)
		return fake_fail(EINVAL);
	i = 0;
	while (i < c->n_maps) {
		x = &c->maps[i];
		if (x->iova < u->iova) {
			i++;
			continue;
		}
		if (x->iova > last)
			break;
		if (x->foreign)   /* another mm's mapping: the loop stops */
			break;
		done += x->size;
		memmove(x, x + 1, (c->n_maps - i - 1) * sizeof(*x));
		c->n_maps--;
		c->dma_avail++;
	}
	u->size = done;
	return 0;
}

static void
build_info_caps(struct fcontainer *c, uint8_t *buf, size_t *len)
{
	size_t off = sizeof(struct vfio_iommu_type1_info), prev = 0;
	int order[3] = { VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
			 VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION,
			 VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL };
	unsigned int k, i;

	if (fk.cfg.caps_reversed) {
		order[0] = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
		order[2] = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
	}
	for (k = 0; k < 3; k++) {
		/* built aligned, then copied: in the reply a capability may
		 * sit at a 4-byte offset (after the 12-byte DMA_AVAIL) */
		uint64_t tmp[64];
		struct vfio_info_cap_header *h = (void *)tmp;
		size_t sz;

		memset(tmp, 0, sizeof(tmp));
		if (order[k] == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			struct vfio_iommu_type1_info_cap_iova_range *r = (void *)h;

			if (fk.cfg.no_iova_range_cap)
				continue;
			sz = sizeof(*r) + fk.cfg.n_ranges * sizeof(r->iova_ranges[0]);
			r->nr_iovas = fk.cfg.n_ranges;
			for (i = 0; i < fk.cfg.n_ranges; i++) {
				r->iova_ranges[i].start = fk.cfg.ranges[i].start;
				r->iova_ranges[i].end = fk.cfg.ranges[i].last;
			}
		} else if (order[k] == VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION) {
			struct vfio_iommu_type1_info_cap_migration *m = (void *)h;

			if (fk.cfg.no_migration_cap)
				continue;
			sz = sizeof(*m);
			m->pgsize_bitmap = fake_minpg();
			m->max_dirty_bitmap_size = 0x10000000;
		} else {
			struct vfio_iommu_type1_info_dma_avail *d = (void *)h;

			if (fk.cfg.no_dma_avail_cap)
				continue;
			sz = sizeof(*d);
			d->avail = c->dma_avail;
		}
		h->id = (uint16_t)order[k];
		h->version = 1;
		memcpy(buf + off, tmp, sz);
		if (prev != 0) {
			uint32_t next = (uint32_t)off;

			memcpy(buf + prev + offsetof(struct vfio_info_cap_header, next),
			       &next, sizeof(next));
		}
		prev = off;
		off += sz;
	}
	*len = off;
}

static int
do_get_info(struct fcontainer *c, struct vfio_iommu_type1_info *info)
{
	uint8_t full[1024] __attribute__((aligned(8)));
	struct vfio_iommu_type1_info *hdr = (void *)full;
	size_t len = sizeof(*hdr);
	uint32_t argsz;

	if (info->argsz < offsetof(struct vfio_iommu_type1_info, cap_offset))
		return fake_fail(EINVAL);
	argsz = info->argsz;
	memset(full, 0, sizeof(full));
	if (fk.cfg.raw_info != NULL) {
		len = fk.cfg.raw_info_len < sizeof(full) ? fk.cfg.raw_info_len :
		      sizeof(full);
		memcpy(full, fk.cfg.raw_info, len);
	} else {
		hdr->flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
		hdr->iova_pgsizes = fk.cfg.pgsizes;
		build_info_caps(c, full, &len);
		hdr->cap_offset = len > sizeof(*hdr) ? sizeof(*hdr) : 0;
	}
	hdr->argsz = (uint32_t)len;
	if (fk.cfg.info_argsz_lie)
		hdr->argsz = fk.cfg.info_argsz_lie;
	if (argsz < hdr->argsz) {
		/* too small: fixed part only, cap_offset 0, argsz = needed */
		size_t n = argsz < sizeof(*hdr) ? argsz : sizeof(*hdr);

		hdr->cap_offset = 0;
		memcpy(info, full, n);
		return 0;
	}
	memcpy(info, full, len < argsz ? len : argsz);
	return 0;
}

int
container_ioctl(struct fcontainer *c, unsigned long req, void *arg)
{
	switch (req) {
	case VFIO_GET_API_VERSION:
		return fk.cfg.api_version;
	case VFIO_CHECK_EXTENSION:
		switch ((uintptr_t)arg) {
		case VFIO_TYPE1_IOMMU:
		case VFIO_UNMAP_ALL:
			return 1;
		case VFIO_TYPE1v2_IOMMU:
			return fk.cfg.no_type1v2 ? 0 : 1;
		default:
			return 0;
		}
	case VFIO_SET_IOMMU:
		if (c->n_groups == 0 || c->iommu_set)
			return fake_fail(EINVAL);
		if ((uintptr_t)arg != VFIO_TYPE1v2_IOMMU &&
		    (uintptr_t)arg != VFIO_TYPE1_IOMMU)
			return fake_fail(ENODEV);
		if ((uintptr_t)arg == VFIO_TYPE1v2_IOMMU && fk.cfg.no_type1v2)
			return fake_fail(ENODEV);
		c->iommu_set = true;
		c->dma_avail = fk.cfg.dma_entry_limit;
		return 0;
	case VFIO_IOMMU_GET_INFO:
		if (!c->iommu_set)
			return fake_fail(EINVAL);
		return do_get_info(c, arg);
	case VFIO_IOMMU_MAP_DMA:
		if (!c->iommu_set)
			return fake_fail(EINVAL);
		return do_map(c, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		if (!c->iommu_set)
			return fake_fail(EINVAL);
		return do_unmap(c, arg);
	default:
		return fake_fail(ENOTTY);
	}
}

void
container_maybe_free(struct fcontainer *c)
{
	unsigned int i;

	if (c->fd_open || c->n_groups > 0)
		return;
	for (i = 0; i < 4; i++)
		if (fk.containers[i] == c)
			fk.containers[i] = NULL;
	free(c);
}

