/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_VFIO_RANGES_H
#define KEEL_VFIO_RANGES_H

/**
 * @file
 * Usable IOVA ranges: the IOMMU aperture (VFIO's IOVA_RANGE capability)
 * minus the reserved regions sysfs lists for each IOMMU group, clipped to
 * the address width and intersected with a device's DMA mask.
 *
 * A range list is an array of inclusive struct keel_iova_range
 * [start, last], ascending, non-overlapping, each start <= last. Every
 * function here keeps that invariant and leaves its input unchanged when
 * it fails. These are pure functions (no locks, no I/O).
 */

#include <stdint.h>

#include "iommu_backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Type of a reserved region, as printed in sysfs reserved_regions. */
enum keel_vfio_resv_type {
	KEEL_VFIO_RESV_DIRECT,           /**< "direct" (RMRR) */
	KEEL_VFIO_RESV_DIRECT_RELAXABLE, /**< "direct-relaxable": usable */
	KEEL_VFIO_RESV_RESERVED,         /**< "reserved" */
	KEEL_VFIO_RESV_MSI,              /**< "msi" (MSI and SW_MSI) */
	KEEL_VFIO_RESV_UNKNOWN,          /**< a type this code does not know:
					      treated as reserved */
};

/** One line of /sys/kernel/iommu_groups/N/reserved_regions. */
struct keel_vfio_resv {
	uint64_t start;                  /**< first byte */
	uint64_t last;                   /**< last byte (inclusive) */
	enum keel_vfio_resv_type type;   /**< region type */
};

/**
 * Parse the text of a reserved_regions file. The text is untrusted: each
 * line must be exactly "0x<hex> 0x<hex> <type>" (1 to 16 hex digits each,
 * single spaces, a lower-case type word of at most 31 characters, then a
 * newline or the end of the text), with start <= last. Any malformed line
 * rejects the whole text (a region silently skipped could be mapped), and
 * the log names the line number and its content.
 *
 * @param text  file contents (need not be NUL-terminated; a NUL inside is
 *              malformed)
 * @param len   bytes in @p text
 * @param out   where to store the regions
 * @param max   capacity of @p out
 * @param n     number of regions stored
 * @return 0; -EINVAL for a malformed line; -ENOSPC for more than @p max
 *         lines
 */
int keel_vfio_resv_parse(const char *text, size_t len,
			 struct keel_vfio_resv *out, unsigned int max,
			 unsigned int *n);

/** @return the name of a reserved-region type ("msi", ...). */
const char *keel_vfio_resv_type_name(enum keel_vfio_resv_type type);

/**
 * Check that a range list is valid (ascending, non-overlapping,
 * start <= last).
 * @return 0 or -EINVAL (the log names the first bad range)
 */
int keel_vfio_ranges_check(const struct keel_iova_range *r, unsigned int n);

/**
 * Remove [start, last] from a range list; a range may split in two.
 *
 * @return 0; -EINVAL if start > last; -ENOSPC if the result would need more
 *         than @p max entries (list unchanged)
 */
int keel_vfio_ranges_subtract(struct keel_iova_range *r, unsigned int *n,
			      unsigned int max, uint64_t start, uint64_t last);

/** Drop every byte above @p last from a range list. */
void keel_vfio_ranges_clip(struct keel_iova_range *r, unsigned int *n,
			   uint64_t last);

/**
 * Shrink each range to whole pages of @p pgsize (start rounded up, end
 * rounded down) and drop ranges with no whole page.
 * @return 0, or -EINVAL if pgsize is not a power of two
 */
int keel_vfio_ranges_align(struct keel_iova_range *r, unsigned int *n,
			   uint64_t pgsize);

/**
 * Intersect a range list with what a device with a @p bits -bit DMA mask
 * can address ([0, 2^bits - 1]).
 *
 * @param in    ranges
 * @param n_in  number of ranges
 * @param bits  DMA mask width, 1..64
 * @param out   result (may equal @p in)
 * @param max   capacity of @p out
 * @param n_out number of ranges in the result (0 if nothing is reachable)
 * @return 0; -EINVAL for bits 0 or > 64; -ENOSPC if @p max is too small
 */
int keel_vfio_ranges_dma_mask(const struct keel_iova_range *in,
			      unsigned int n_in, unsigned int bits,
			      struct keel_iova_range *out, unsigned int max,
			      unsigned int *n_out);

/**
 * Address width implied by a range list: the number of bits needed to
 * hold the last byte of the last range (0x7fffffffff -> 39).
 * @return the width, or 0 for an empty list
 */
unsigned int keel_vfio_ranges_addr_width(const struct keel_iova_range *r,
					 unsigned int n);

#ifdef __cplusplus
}
#endif
#endif /* KEEL_VFIO_RANGES_H */
