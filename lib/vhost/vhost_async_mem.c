/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest memory of async devices in the EAL's IOMMU container.
 *
 * Invariant: while dev->async_queues > 0 and a default container exists,
 * every region of dev->mem is DMA-mapped (r->dma_cont set) with exactly one
 * map call, so on a backend that cannot split mappings (VFIO type1) each
 * region is its own chunk, and it is unmapped with exactly one call when
 * the region goes - after the queues' copies drained (vhost_mem_apply()
 * and vhost_dev_reset() drain before they unmap). Regions adjacent in
 * guest memory are adjacent in our VA (the device's window,
 * vhost_mem_window.c) and get adjacent IOVAs, so the table merges them
 * (one entry, one chunk per region when their sizes are equal: the
 * table's chunk rule) and still unmaps each exactly.
 * IOVA = the region's address in this process where the container can use
 * it and it lies below the narrowest DMA mask of the device's async
 * queues' dmadevs (dev->async_mask_bits), else an IOVA below that mask:
 * VA + the window's shift (win->iova_shift, taken from the first region
 * the container placed) when that range is free, else one the container
 * allocates. Every IOVA of a mapped region is below
 * 2^async_mask_bits (registration refuses a narrower engine while mapped
 * regions lie beyond it).
 * Locking: the dispatcher thread, or the application thread registering
 * the first / unregistering the last async queue (under owners_lock;
 * keel_vhost_async.h says when that may happen).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "keel_iommu.h"
#include "vhost_async.h"

#define MAP_PAGE 4096ULL

uint64_t vhost_async_map_gen;

static void
gen_bump(void)
{
	__atomic_fetch_add(&vhost_async_map_gen, 1, __ATOMIC_RELEASE);
}

/* neither end of [iova, iova + len) mapped (the map call checks the rest) */
static int
iova_free(struct keel_iommu_container *c, uint64_t iova, uint64_t len)
{
	struct keel_iommu_mapping m;

	return keel_iommu_lookup_iova(c, iova, &m) == -ENOENT &&
	       keel_iommu_lookup_iova(c, iova + len - 1, &m) == -ENOENT;
}

/* One map call for [va, va + len) of region r. A region of the device's
 * window goes at the IOVA its window neighbours imply (VA + the shift of
 * the window's mapped regions: IOVA = VA when that is how they went, else
 * next to them below the mask), so neighbours merge in the table; when
 * that IOVA is not free or usable, or for the first region, the container
 * picks (IOVA = VA when it can). */
static int
map_region(struct keel_iommu_container *c, const struct vhost_region *r,
	   uint64_t va, uint64_t len, unsigned int bits, uint64_t *iova)
{
	uint64_t want, last_ok;

	last_ok = bits == 0 || bits >= 64 ? UINT64_MAX :
		  (UINT64_C(1) << bits) - 1;
	if (r->win != NULL && r->win->dma_n > 0 && r->win->iova_shift != 0) {
		want = va + r->win->iova_shift;
		if (want != 0 && want <= last_ok && len - 1 <= last_ok - want &&
		    iova_free(c, want, len) &&
		    keel_iommu_dma_map(c, va, want, len,
				       KEEL_IOMMU_ACCESS_RW) == 0) {
			*iova = want;
			return 0;
		}
	}
	return keel_iommu_dma_register(c, va, len, bits >= 64 ? 0 : bits,
				       iova);
}

int
vhost_async_mem_map(struct vhost_dev *dev, struct vhost_mem *m)
{
	struct keel_iommu_container *c = keel_iommu_container_default();
	uint8_t mapped[KEEL_VHOST_MAX_MEM_REGIONS] = { 0 };
	unsigned int bits = dev->async_mask_bits;
	uint32_t i;
	int ret = 0;

	if (dev->async_queues == 0 || m == NULL || c == NULL)
		return 0;
	for (i = 0; i < m->n; i++) {
		struct vhost_region *r = &m->r[i];
		uint64_t va, end, iova;

		if (r->dma_cont != NULL)
			continue;
		va = (uintptr_t)r->host & ~(MAP_PAGE - 1);
		end = ((uintptr_t)r->host + r->size + MAP_PAGE - 1) &
		      ~(MAP_PAGE - 1);
		ret = map_region(c, r, va, end - va, bits, &iova);
		if (ret < 0) {
			char why[96] = "";

			if (bits != 0 && bits < 64)
				snprintf(why, sizeof(why), " below 2^%u (the "
					 "DMA mask of dmadev %d)", bits,
					 dev->async_mask_dma);
			VHOST_LOG(ERR, dev, "cannot DMA-map memory region guest "
				  "0x%" PRIx64 " (0x%" PRIx64 " bytes at %p) "
				  "into the IOMMU container%s: %s", r->gpa,
				  end - va, (void *)(uintptr_t)va, why,
				  strerror(-ret));
			break;
		}
		r->dma_cont = c;
		if (r->win != NULL && r->win->dma_n++ == 0)
			r->win->iova_shift = iova - va;
		r->dma_va = va;
		r->dma_iova = iova;
		r->dma_len = end - va;
		mapped[i] = 1;
		VHOST_LOG(DEBUG, dev, "region guest 0x%" PRIx64 " DMA-mapped "
			  "at IOVA 0x%" PRIx64 " (0x%" PRIx64 " bytes)", r->gpa,
			  iova, end - va);
	}
	if (ret < 0)
		for (i = 0; i < m->n; i++)
			if (mapped[i])
				vhost_async_region_unmap(&m->r[i]);
	gen_bump();
	return ret;
}

void
vhost_async_region_unmap(struct vhost_region *r)
{
	int ret;

	if (r->dma_cont == NULL)
		return;
	ret = keel_iommu_dma_unmap(r->dma_cont, r->dma_va, r->dma_iova,
				   r->dma_len);
	if (ret < 0)
		KEEL_LOG(ERR, keel_logtype_vhost, "vhost: DMA unmap of region "
			 "guest 0x%" PRIx64 " (IOVA 0x%" PRIx64 ", 0x%" PRIx64
			 " bytes) failed: %s", r->gpa, r->dma_iova, r->dma_len,
			 strerror(-ret));
	r->dma_cont = NULL;
	if (r->win != NULL && r->win->dma_n > 0)
		r->win->dma_n--;
	gen_bump();
}

void
vhost_async_mem_unmap_all(struct vhost_dev *dev)
{
	uint32_t i;

	for (i = 0; dev->mem != NULL && i < dev->mem->n; i++)
		vhost_async_region_unmap(&dev->mem->r[i]);
}
