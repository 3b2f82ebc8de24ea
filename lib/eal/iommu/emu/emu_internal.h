/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_EMU_INTERNAL_H
#define KEEL_EMU_INTERNAL_H

/*
 * Private state of the emulated IOMMU, shared between its files.
 *
 * Locking, in order of acquisition:
 *   domain->lock (rwlock): the page table, n_mappings and the config. Map
 *     and unmap take it for writing; IOTLB misses, stats and dump for
 *     reading. IOTLB hits take no lock.
 *   domain->wait_lock (mutex): waiters on in-flight holds and the pending
 *     busy range of EBUSY mode.
 *   emu_tb_lock (mutex, emu_dma.c): the list of per-thread blocks.
 *   emu_fault_lock (mutex, emu_fault.c): the fault log.
 *
 * Lock-free protocol between a device (translate / hold) and an unmapper:
 *   device:   publish hold (state = 1); keel_fence_light(); s = domain->seq;
 *             use the IOTLB entry only if its epoch == s (else walk under
 *             the read lock).
 *   unmapper: change the table and domain->seq; keel_fence_heavy(); scan
 *             every thread's holds.
 * Either the device sees the new seq (and walks the new table) or the
 * unmapper sees the hold. keel_fence_heavy() is membarrier(2) when the
 * kernel has it, so keel_fence_light() is only a compiler barrier
 * (keel_fence.h).
 * domain->seq is even when stable; it is odd while an EBUSY-mode unmap
 * checks for holders (so no new hold can use a cached entry meanwhile).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "keel_emu_iommu.h"
#include "keel_fence.h"

extern int emu_logtype;

/* ------------------------------------------------------------ page table */

#define EMU_PT_MAX_LEVELS 5
#define EMU_PT_ENTRIES    512

#define EMU_PTE_P     (1ULL << 0)   /* present */
#define EMU_PTE_R     (1ULL << 1)   /* device may read */
#define EMU_PTE_W     (1ULL << 2)   /* device may write */
#define EMU_PTE_PS    (1ULL << 7)   /* leaf at level > 1 */
#define EMU_PTE_START (1ULL << 9)   /* first leaf of a mapping */
#define EMU_PTE_END   (1ULL << 10)  /* last leaf of a mapping */
#define EMU_PTE_ADDR  ((uint64_t)~0xfffULL)

static inline unsigned int
emu_lvl_shift(int level)
{
	return 12 + 9 * (unsigned int)(level - 1);
}

static inline uint64_t
emu_lvl_size(int level)
{
	return 1ULL << emu_lvl_shift(level);
}

static inline unsigned int
emu_lvl_index(uint64_t iova, int level)
{
	return (unsigned int)(iova >> emu_lvl_shift(level)) & (EMU_PT_ENTRIES - 1);
}

static inline bool
emu_pte_present(uint64_t pte)
{
	return pte & EMU_PTE_P;
}

static inline bool
emu_pte_leaf(uint64_t pte, int level)
{
	return (pte & EMU_PTE_P) && (level == 1 || (pte & EMU_PTE_PS));
}

static inline bool
emu_pte_table(uint64_t pte, int level)
{
	return (pte & EMU_PTE_P) && level > 1 && !(pte & EMU_PTE_PS);
}

/* One page table: root and shape. Protected by its domain's lock. */
struct emu_pt {
	uint64_t *root;
	int root_level;         /* 3, 4 or 5 */
	unsigned int addr_width;
	uint64_t pgsizes;       /* leaf sizes map may use */
	uint64_t n_tables;      /* table pages of this table, root included */
	uint64_t max_tables;    /* bound of n_tables */
};

/*
 * The one pre-order iterator over an IO page table, in the style of KVM's
 * TDP iterator: visits, for every level from the root down to min_level,
 * each entry whose IOVA range intersects [first, last], a table entry
 * before the entries of the table it points to. The body may rewrite
 * *it.ptep: the step down re-reads it, so installing a table makes the walk
 * descend into it and installing a leaf makes it skip. When the walk leaves
 * a table for good it calls table_done(table, parent_ptep, arg) (post-order;
 * parent_ptep is NULL for the root), which may free that table.
 */
struct emu_pt_iter {
	uint64_t *pt_path[EMU_PT_MAX_LEVELS]; /* [l - 1]: table at level l */
	uint64_t *ptep;         /* the entry visited */
	uint64_t pte;           /* its value when visited */
	uint64_t iova;          /* base IOVA of the entry */
	uint64_t goal;          /* lowest IOVA still to visit */
	uint64_t last;          /* inclusive end of the walk */
	int level;
	int root_level;
	int min_level;
	bool valid;
	void (*table_done)(uint64_t *table, uint64_t *parent_ptep, void *arg);
	void *arg;
};

void emu_pt_iter_start(struct emu_pt_iter *it, const struct emu_pt *pt,
		       int min_level, uint64_t first, uint64_t last,
		       void (*table_done)(uint64_t *, uint64_t *, void *),
		       void *arg);
void emu_pt_iter_next(struct emu_pt_iter *it);

#define for_each_emu_pte(it, pt, min_level, first, last, done_cb, done_arg) \
	for (emu_pt_iter_start(&(it), (pt), (min_level), (first), (last), \
			       (done_cb), (done_arg)); \
	     (it).valid; emu_pt_iter_next(&(it)))

/* A leaf found by emu_pt_lookup(). */
struct emu_leaf {
	uint64_t pte;
	uint64_t base;          /* IOVA of the leaf */
	uint64_t size;
	int level;
};

int emu_pt_init(struct emu_pt *pt, unsigned int addr_width, uint64_t pgsizes,
		uint64_t max_tables);
void emu_pt_fini(struct emu_pt *pt);
/* leaf containing iova: true and *leaf, or false */
bool emu_pt_lookup(const struct emu_pt *pt, uint64_t iova,
		   struct emu_leaf *leaf);
/* true when any leaf intersects [first, last] */
bool emu_pt_any_mapped(const struct emu_pt *pt, uint64_t first,
		       uint64_t last);
/* number of START leaves with base in [first, last] */
uint64_t emu_pt_count_starts(const struct emu_pt *pt, uint64_t first,
			     uint64_t last);
/* table pages a map of [first, last] -> va builds where nothing is mapped
 * yet (saturates at UINT64_MAX); computed, nothing walked */
uint64_t emu_pt_tables_needed(const struct emu_pt *pt, uint64_t first,
			      uint64_t last, uint64_t va);
/* tables present below the root whose range meets [first, last] */
uint64_t emu_pt_tables_present(const struct emu_pt *pt, uint64_t first,
			       uint64_t last);
/* map; on failure nothing is left mapped */
int emu_pt_map(struct emu_pt *pt, uint64_t first, uint64_t last,
	       uint64_t va, uint64_t pte_prot);
/* make addr the base of a leaf if a leaf contains it (split mode) */
int emu_pt_split_at(struct emu_pt *pt, uint64_t addr);
/* set flag bits on the leaf containing iova (must exist) */
void emu_pt_set_flags(struct emu_pt *pt, uint64_t iova, uint64_t flags);
/* remove every leaf in [first, last] (each must lie inside); frees empty
 * tables; returns bytes removed, *starts = START leaves removed */
uint64_t emu_pt_unmap(struct emu_pt *pt, uint64_t first, uint64_t last,
		      uint64_t *starts);
void emu_pt_stats(const struct emu_pt *pt, struct keel_emu_domain_stats *st);
void emu_pt_dump(const struct emu_pt *pt, FILE *f);
/* pages alive, all tables */
extern _Atomic uint64_t emu_pt_pages;
/* test seam: fail the nth table allocation from now (0 = off) */
extern _Atomic uint64_t emu_pt_fail_nth;
/* free the cached free table pages */
void emu_pt_cache_drain(void);

/* ---------------------------------------------------------------- domain */

struct keel_emu_domain {
	uint64_t uid;
	_Atomic uint64_t seq;           /* IOTLB epoch; see top */
	pthread_rwlock_t lock;
	struct emu_pt pt;
	struct keel_emu_domain_config cfg;
	uint64_t n_mappings;            /* under lock */
	uint64_t n_map_calls;           /* under lock */
	uint64_t n_unmap_calls;         /* under lock */
	_Atomic uint64_t n_busy;
	_Atomic uint64_t n_faults;
	_Atomic uint32_t n_attached;

	pthread_mutex_t wait_lock;
	pthread_cond_t wait_cond;
	_Atomic uint32_t n_waiters;
	_Atomic uint32_t busy_pending;  /* EBUSY mode: busy_range waits */
	struct keel_emu_range busy_range; /* under wait_lock */
};

struct keel_emu_endpoint {
	uint32_t id;
	char name[32];
	struct keel_emu_domain *_Atomic domain;
};

/* ------------------------------------------------------------- in-flight */

/* emu_dma.c */
/* true when some thread holds a range of d intersecting [first, last];
 * ep != NULL: only holds of that endpoint (any range when last < first) */
bool emu_holds_overlap(const struct keel_emu_domain *d,
		       const struct keel_emu_endpoint *ep, uint64_t first,
		       uint64_t last);
bool emu_ep_has_holds(const struct keel_emu_endpoint *ep);
/* per-thread blocks listed (live threads that did DMA, plus exited ones
 * that still hold ranges); tests check it for leaks */
uint64_t emu_tb_count(void);

/* emu_va.c: [va, va + len) is mapped in this process with the access a
 * device with prot needs (as the kernel's pin checks): 0, or -EFAULT with
 * the first VA that is not and why */
int emu_va_check(uint64_t va, uint64_t len, uint32_t prot, uint64_t *bad,
		 const char **why);
void emu_va_reset(void);
/* test seam: parse /proc/self/maps even where PROCMAP_QUERY works */
extern _Atomic int emu_va_force_text;

/* emu_guard.c: copies that survive memory unmapped after the map */
enum emu_copy_op { EMU_COPY_READ, EMU_COPY_WRITE, EMU_COPY_ZERO };
void emu_guard_install(void);
void emu_guard_reset(void);
bool emu_guard_installed(void);
/* copy n bytes between device-side va and buf (READ: va -> buf); 0, or
 * -EFAULT when va + *fault_off was not there (a bus error) */
int emu_copy_guarded(enum emu_copy_op op, uintptr_t va, uint8_t *buf,
		     uint64_t n, uint64_t *fault_off);
/* memmove n bytes between two device-side ranges; 0, or -EFAULT with the
 * VA that was not there in *fault_va */
int emu_copy2_guarded(void *dst, const void *src, uint64_t n,
		      uintptr_t *fault_va);
/* op(dst, n, arg) with [dst, dst + n) guarded; 0, or -EFAULT with the VA
 * that was not there in *fault_va */
int emu_op_guarded(void *dst, uint64_t n, keel_emu_dma_op_t op, void *arg,
		   uintptr_t *fault_va);

/* emu_fault.c */
void emu_fault_record(const struct keel_emu_endpoint *ep,
		      struct keel_emu_domain *d, uint64_t iova, uint64_t len,
		      enum keel_emu_dma_dir dir,
		      enum keel_emu_fault_reason reason);

#endif /* KEEL_EMU_INTERNAL_H */
