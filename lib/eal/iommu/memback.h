/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_MEMBACK_H
#define KEEL_MEMBACK_H

/*
 * "memback": an in-process IOMMU backend for tests. It behaves like the
 * kernel's type1 v2 (or, with can_split, like an IOMMU that splits), keeps
 * its own record of every mapping, independent of the IOVA map table, so a
 * test can check table == backend, and can fail the Nth call.
 *
 * Registered as backend "memback" (kind KEEL_IOMMU_NONE: only reachable by
 * name) with args "can_split=0|1,pgsizes=0x..,aw=N,limit=N,
 * resv=START-LAST[:START-LAST...],notrack=1".
 *
 * Not thread-safe by itself: the IOVA map table serialises backend calls.
 */
#include <stdbool.h>
#include <stdint.h>

#include "iommu_backend.h"

#define KEEL_MEMBACK_MAX_RESV 8

struct keel_memback_cfg {
	bool can_split;          /* split mappings on partial unmap */
	uint64_t pgsize_bitmap;  /* 0: 4 KiB | 2 MiB | 1 GiB */
	unsigned int addr_width; /* 0: 48 */
	uint64_t max_mappings;   /* 0: no limit */
	struct keel_iova_range resv[KEEL_MEMBACK_MAX_RESV]; /* inclusive */
	unsigned int n_resv;
	bool no_track;           /* count and check calls, keep no records
				    (perf tests: backend cost ~0) */
};

/* One mapping the backend holds. */
struct keel_memback_rec {
	uint64_t iova;
	uint64_t va;
	uint64_t len;
	uint32_t prot;          /* KEEL_IOMMU_PROT_READ and/or _WRITE */
};

extern const struct keel_iommu_backend_ops keel_memback_ops;

/* Create a backend state for keel_memback_ops; NULL + errno on error. */
void *keel_memback_create(const struct keel_memback_cfg *cfg);

/* The @p nth backend call from now (1 = the next one) fails with -err
 * without changing anything; 0 disables. */
void keel_memback_fail_nth(void *priv, uint64_t nth, int err);

/* The @p nth unmap call from now (1 = the next one that reaches the
 * records) stops short, as type1 does at a mapping another process made:
 * it removes only the records before the last one the range meets (the
 * start of the range), succeeds and reports the bytes it removed. */
void keel_memback_short_unmap_nth(void *priv, uint64_t nth);

/* Backend calls (map + unmap, failed ones included) so far. */
uint64_t keel_memback_calls(void *priv);

/* Mappings held now. */
uint64_t keel_memback_count(void *priv);

/* Call fn for every mapping in IOVA order; stops on non-zero return. */
int keel_memback_walk(void *priv,
		      int (*fn)(const struct keel_memback_rec *r, void *arg),
		      void *arg);

#endif /* KEEL_MEMBACK_H */
