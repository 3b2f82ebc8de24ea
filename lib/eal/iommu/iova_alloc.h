/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_IOVA_ALLOC_H
#define KEEL_IOVA_ALLOC_H

/*
 * IOVA placement: find a free IOVA range in the usable ranges of an IOMMU
 * (aperture minus reserved regions), below a device's DMA mask.
 */
#include <stdint.h>

#include "iommu_backend.h"

struct iova_table;

/*
 * Lowest IOVA that is a multiple of @p align (a power of two), not 0, at
 * or above @p min_iova, with [iova, iova + len) inside one usable range of
 * @p caps, at or below @p max_last, and free in @p t at the time of the
 * call.
 * @return 0 (*iova set), -EINVAL (len 0, align not a power of two), or
 *         -ENOSPC (no such range).
 */
int iova_alloc_find(struct iova_table *t, const struct keel_iommu_caps *caps,
		    uint64_t len, uint64_t align, uint64_t min_iova,
		    uint64_t max_last, uint64_t *iova);

#endif /* KEEL_IOVA_ALLOC_H */
