/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_IOMMU_INTERNAL_H
#define KEEL_IOMMU_INTERNAL_H

/*
 * Between the EAL core and the IOMMU container: keel_eal_init() calls
 * eal_iommu_init() after memory init, keel_eal_cleanup() calls
 * eal_iommu_cleanup() before memory cleanup. Both run single-threaded.
 */
#include <stdbool.h>
#include <stdint.h>

#include "keel_eal.h"
#include "keel_iommu.h"

/* What the EAL's options ask of the IOMMU layer (filled by eal.c). */
struct eal_iommu_params {
	enum keel_iommu_kind kind;	/* --iommu (KEEL_IOMMU_AUTO: decide) */
	bool iova_mode_auto;		/* --iova-mode left to auto */
};

/*
 * Create the default container per @p p->kind and map all EAL memory into
 * it (and, through a memory event callback, all memory that appears
 * later). @return 0, or -ENODEV (a requested backend is not registered or
 * not usable), or the backend's / the mapping's error; on failure nothing
 * is left behind.
 */
int eal_iommu_init(const struct eal_iommu_params *p);

/* Unmap all EAL memory, destroy the default container. */
void eal_iommu_cleanup(void);

/* The kind the default container was created with (after AUTO resolved);
 * KEEL_IOMMU_NONE when there is none. For keel_eal_iommu_kind(). */
enum keel_iommu_kind eal_iommu_kind(void);

/* container.c, for iommu_eal.c only */
void iommu_set_default(struct keel_iommu_container *c);
void iommu_container_destroy_default(struct keel_iommu_container *c);
/*
 * The range iommu_container_iova_alloc() last handed out is now in the table
 * (or given up): dma_register may pick it again when it is free.
 */
void iommu_container_iova_settle(struct keel_iommu_container *c);
/* lowest free IOVA range of @p len bytes aligned to @p align, at or
 * above @p min_iova; it stays pending (dma_register avoids it) until
 * iommu_container_iova_settle() */
int iommu_container_iova_alloc(struct keel_iommu_container *c, uint64_t len,
			       uint64_t align, uint64_t min_iova,
			       uint64_t *iova);

#endif /* KEEL_IOMMU_INTERNAL_H */
