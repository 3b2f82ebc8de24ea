/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_IOVA_TABLE_H
#define KEEL_IOVA_TABLE_H

/*
 * The IOVA map table of one container (internal; the public face is
 * keel_iommu.h). Entries (va, iova, len, chunk, access) with disjoint IOVA
 * ranges, indexed by IOVA and by VA in two copy-on-write B+trees; every
 * change is prepared, sent to the backend, and published only if the
 * backend agreed. Lookups, next and walk take no lock and never wait.
 * See iova_table.c for the invariants, iova_store.h for the lock-free
 * reading, and doc/guides/iommu.md for the rules.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "iommu_backend.h"
#include "keel_iommu.h"

struct iova_table;

/* log component "iommu", shared by the files of lib/eal/iommu */
extern int keel_logtype_iommu;

/* Create a table over a backend; reads its caps. NULL + errno on error. */
struct iova_table *iova_table_create(const struct keel_iommu_backend_ops *ops,
				     void *priv);
/* Free the table (does not call the backend). */
void iova_table_destroy(struct iova_table *t);

/*
 * The checks a map (@p is_map) or an unmap applies to a request before it
 * looks at the entries: length 0 (-EINVAL), va or iova + len wrapping
 * (-EOVERFLOW), alignment to the minimum page (-EDOM); for a map also the
 * address width (-ERANGE) and the usable ranges (-EADDRNOTAVAIL). The one
 * copy of these rules, also used by dma_register to decide IOVA = VA.
 * @p op names the caller in the log line; NULL logs nothing.
 * @return 0 or the negative errno the request would be refused with.
 */
int iova_table_check_request(struct iova_table *t, const char *op,
			     uint64_t va, uint64_t iova, uint64_t len,
			     bool is_map);

/* access: KEEL_IOMMU_ACCESS_READ and/or _WRITE */
int iova_table_map(struct iova_table *t, uint64_t va, uint64_t iova,
		   uint64_t len, uint32_t access);
int iova_table_unmap(struct iova_table *t, uint64_t va, uint64_t iova,
		     uint64_t len);
/* Unmap every entry from the backend and empty the table (one backend call
 * per entry). @return entries removed, or the first error (the entries not
 * yet removed stay). */
int iova_table_unmap_all(struct iova_table *t);

int iova_table_lookup_iova(struct iova_table *t, uint64_t iova,
			   struct keel_iommu_mapping *m);
int iova_table_lookup_va(struct iova_table *t, uint64_t va,
			 struct keel_iommu_mapping *m);
/* First entry whose last byte is >= @p iova, including the placeholder of
 * a range still being unmapped (its IOVAs are taken); -ENOENT if none. */
int iova_table_next(struct iova_table *t, uint64_t iova,
		    struct keel_iommu_mapping *m);
/* Every entry in IOVA order, without a lock: @p fn may call anything,
 * including map and unmap; each entry was in the table when it was read. */
int iova_table_walk(struct iova_table *t,
		    int (*fn)(const struct keel_iommu_mapping *m, void *arg),
		    void *arg);

void iova_table_caps(struct iova_table *t, struct keel_iommu_caps *caps);
int iova_table_caps_refresh(struct iova_table *t);
void iova_table_stats(struct iova_table *t, struct keel_iommu_stats *st);
void iova_table_dump(struct iova_table *t, FILE *f);

/* Check both trees (levels, fill, order, separators, VA augmentation),
 * the entries (no overlap, merged, chunks) and the counters; for tests.
 * @return 0 or -EUCLEAN with a log line saying what is wrong. */
int iova_table_check(struct iova_table *t);

/* Test seam: the @p nth allocation of table memory from now fails (0:
 * off), to check that every call that runs out of memory changes nothing. */
void iova_table_fail_alloc_nth(struct iova_table *t, uint64_t nth);

#endif /* KEEL_IOVA_TABLE_H */
