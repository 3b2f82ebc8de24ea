/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOVA allocator: first fit over the usable ranges, skipping what the IOVA
 * map table holds. It keeps no state of its own: the table is the record of
 * used IOVAs, so there is nothing to get out of step. Cost is O(k log n)
 * for k entries skipped (entries are merged, so k stays small in practice).
 *
 * Lock: none here; each table step takes the table's read lock. A caller
 * that allocates and then maps must serialise against other allocators
 * (the container's alloc_lock) and retry on -EEXIST from a racing map.
 */
#include <errno.h>

#include "iova_alloc.h"
#include "iova_table.h"

static int
align_up(uint64_t x, uint64_t a, uint64_t *out)
{
	if (x > UINT64_MAX - (a - 1))
		return -1;
	*out = (x + a - 1) & ~(a - 1);
	return 0;
}

int
iova_alloc_find(struct iova_table *t, const struct keel_iommu_caps *caps,
		uint64_t len, uint64_t align, uint64_t min_iova, uint64_t max_last,
		uint64_t *iova)
{
	uint64_t min_pg = caps->pgsize_bitmap & (~caps->pgsize_bitmap + 1);
	uint64_t top = caps->addr_width >= 64 ? UINT64_MAX :
		(UINT64_C(1) << caps->addr_width) - 1;
	struct keel_iova_range all = { 0, top };
	const struct keel_iova_range *rs = caps->n_ranges ? caps->ranges : &all;
	unsigned int n = caps->n_ranges ? caps->n_ranges : 1, i;

	if (len == 0 || align == 0 || (align & (align - 1)) != 0)
		return -EINVAL;
	if (align < min_pg)
		align = min_pg;
	if (max_last > top)
		max_last = top;
	for (i = 0; i < n; i++) {
		uint64_t lo = rs[i].start, hi = rs[i].last, cur;

		if (lo < min_pg)
			lo = min_pg;    /* never hand out IOVA 0 */
		if (lo < min_iova)
			lo = min_iova;
		if (hi > max_last)
			hi = max_last;
		if (lo > hi || align_up(lo, align, &cur) < 0)
			continue;
		while (cur <= hi && hi - cur >= len - 1) {
			struct keel_iommu_mapping m;

			if (iova_table_next(t, cur, &m) < 0 ||
			    m.iova > cur + len - 1) {
				*iova = cur;
				return 0;
			}
			if (m.iova + m.len - 1 == UINT64_MAX ||
			    align_up(m.iova + m.len, align, &cur) < 0)
				break;
		}
	}
	return -ENOSPC;
}
