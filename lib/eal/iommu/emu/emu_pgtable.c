/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IO page tables of the emulated IOMMU, x86-like: 512 entries of 8 bytes
 * per 4 KiB table, 3/4/5 levels for 39/48/57-bit IOVAs, leaves of 4 KiB
 * (level 1), 2 MiB (level 2) and 1 GiB (level 3).
 *
 * Invariants: every present table entry points to a table with at least one
 * present entry (unmap frees tables that become empty; map removes what it
 * built when it fails); every table page is counted in pt->n_tables and in
 * emu_pt_pages. Each mapping has exactly one START leaf (its first) and one
 * END leaf (its last). All traversal goes through the one pre-order
 * iterator, emu_pt_iter_*(). The caller (emu_domain.c) holds the domain
 * lock: for writing around anything that changes the table, for reading
 * around lookups, stats and dumps.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "emu_internal.h"

_Atomic uint64_t emu_pt_pages;
_Atomic uint64_t emu_pt_fail_nth;

/*
 * A small cache of free table pages, so map/unmap churn does not hit
 * malloc and page faults; pages in it are not counted as alive.
 * Protected by emu_pt_cache_lock.
 */
#define EMU_PT_CACHE_MAX 64
static pthread_mutex_t emu_pt_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t *emu_pt_cache[EMU_PT_CACHE_MAX];
static unsigned int emu_pt_cache_n;

static uint64_t *
emu_table_alloc(struct emu_pt *pt)
{
	uint64_t *t = NULL;
	uint64_t n = atomic_load(&emu_pt_fail_nth);

	if (n != 0) {
		atomic_store(&emu_pt_fail_nth, n - 1);
		if (n == 1)
			return NULL;
	}
	if (pt->n_tables >= pt->max_tables)
		return NULL;    /* the bound; map checks it beforehand */
	pthread_mutex_lock(&emu_pt_cache_lock);
	if (emu_pt_cache_n > 0)
		t = emu_pt_cache[--emu_pt_cache_n];
	pthread_mutex_unlock(&emu_pt_cache_lock);
	if (t == NULL) {
		t = aligned_alloc(4096, 4096);
		if (t == NULL)
			return NULL;
	}
	memset(t, 0, 4096);
	pt->n_tables++;
	atomic_fetch_add(&emu_pt_pages, 1);
	return t;
}

static void
emu_table_free(struct emu_pt *pt, uint64_t *t)
{
	pt->n_tables--;
	atomic_fetch_sub(&emu_pt_pages, 1);
	pthread_mutex_lock(&emu_pt_cache_lock);
	if (emu_pt_cache_n < EMU_PT_CACHE_MAX) {
		emu_pt_cache[emu_pt_cache_n++] = t;
		t = NULL;
	}
	pthread_mutex_unlock(&emu_pt_cache_lock);
	free(t);
}

void
emu_pt_cache_drain(void)
{
	pthread_mutex_lock(&emu_pt_cache_lock);
	while (emu_pt_cache_n > 0)
		free(emu_pt_cache[--emu_pt_cache_n]);
	pthread_mutex_unlock(&emu_pt_cache_lock);
}

/* ------------------------------------------------------------- iterator */

void
emu_pt_iter_start(struct emu_pt_iter *it, const struct emu_pt *pt,
		  int min_level, uint64_t first, uint64_t last,
		  void (*table_done)(uint64_t *, uint64_t *, void *), void *arg)
{
	it->root_level = pt->root_level;
	it->level = pt->root_level;
	it->min_level = min_level;
	it->pt_path[it->level - 1] = pt->root;
	it->goal = first;
	it->last = last;
	it->iova = first & ~(emu_lvl_size(it->level) - 1);
	it->ptep = &pt->root[emu_lvl_index(it->iova, it->level)];
	it->pte = *it->ptep;
	it->valid = true;
	it->table_done = table_done;
	it->arg = arg;
}

static void
emu_pt_iter_done(struct emu_pt_iter *it, int level)
{
	uint64_t *parent;

	if (it->table_done == NULL || level >= it->root_level)
		return;
	parent = &it->pt_path[level][emu_lvl_index(it->iova, level + 1)];
	it->table_done(it->pt_path[level - 1], parent, it->arg);
}

void
emu_pt_iter_next(struct emu_pt_iter *it)
{
	/* step down: re-read, so a table the body just installed is entered
	 * and one it replaced by a leaf is not */
	if (it->level > it->min_level) {
		uint64_t pte = *it->ptep;

		if (emu_pte_table(pte, it->level)) {
			uint64_t *child = (uint64_t *)(uintptr_t)(pte & EMU_PTE_ADDR);

			it->level--;
			it->pt_path[it->level - 1] = child;
			it->iova = it->goal & ~(emu_lvl_size(it->level) - 1);
			it->ptep = &child[emu_lvl_index(it->iova, it->level)];
			it->pte = *it->ptep;
			return;
		}
	}
	for (;;) {
		uint64_t size = emu_lvl_size(it->level);

		if (it->iova + (size - 1) >= it->last) {
			/* nothing further at any level: leave every table */
			while (it->level < it->root_level) {
				emu_pt_iter_done(it, it->level);
				it->level++;
				it->iova &= ~(emu_lvl_size(it->level) - 1);
			}
			it->valid = false;
			return;
		}
		if (emu_lvl_index(it->iova, it->level) == EMU_PT_ENTRIES - 1) {
			if (it->level == it->root_level) {
				it->valid = false;
				return;
			}
			emu_pt_iter_done(it, it->level);
			it->level++;
			it->iova &= ~(emu_lvl_size(it->level) - 1);
			it->ptep = &it->pt_path[it->level - 1][
				emu_lvl_index(it->iova, it->level)];
			continue;
		}
		it->iova += size;
		it->goal = it->iova;
		it->ptep++;
		it->pte = *it->ptep;
		return;
	}
}

/* ------------------------------------------------------------ lifecycle */

int
emu_pt_init(struct emu_pt *pt, unsigned int addr_width, uint64_t pgsizes,
	    uint64_t max_tables)
{
	memset(pt, 0, sizeof(*pt));
	pt->max_tables = max_tables;
	pt->addr_width = addr_width;
	pt->root_level = addr_width == 39 ? 3 : addr_width == 48 ? 4 : 5;
	pt->pgsizes = pgsizes;
	pt->root = emu_table_alloc(pt);
	return pt->root == NULL ? -ENOMEM : 0;
}

static void
emu_free_cb(uint64_t *table, uint64_t *parent, void *arg)
{
	*parent = 0;
	emu_table_free(arg, table);
}

void
emu_pt_fini(struct emu_pt *pt)
{
	struct emu_pt_iter it;

	if (pt->root == NULL)
		return;
	/* post-order: each table is freed when the walk leaves it */
	for_each_emu_pte(it, pt, 1, 0, (1ULL << pt->addr_width) - 1,
			 emu_free_cb, pt)
		;
	emu_table_free(pt, pt->root);
	pt->root = NULL;
}

/* --------------------------------------------------------------- lookups */

bool
emu_pt_lookup(const struct emu_pt *pt, uint64_t iova, struct emu_leaf *leaf)
{
	struct emu_pt_iter it;

	for_each_emu_pte(it, pt, 1, iova, iova, NULL, NULL) {
		if (emu_pte_leaf(it.pte, it.level)) {
			leaf->pte = it.pte;
			leaf->base = it.iova;
			leaf->size = emu_lvl_size(it.level);
			leaf->level = it.level;
			return true;
		}
		if (!emu_pte_present(it.pte))
			return false;
	}
	return false;
}

bool
emu_pt_any_mapped(const struct emu_pt *pt, uint64_t first, uint64_t last)
{
	struct emu_pt_iter it;

	for_each_emu_pte(it, pt, 1, first, last, NULL, NULL)
		if (emu_pte_leaf(it.pte, it.level))
			return true;
	return false;
}

uint64_t
emu_pt_count_starts(const struct emu_pt *pt, uint64_t first, uint64_t last)
{
	struct emu_pt_iter it;
	uint64_t n = 0;

	for_each_emu_pte(it, pt, 1, first, last, NULL, NULL)
		if (emu_pte_leaf(it.pte, it.level) &&
		    (it.pte & EMU_PTE_START) && it.iova >= first)
			n++;
	return n;
}

/* ------------------------------------------------------ the table bound */

static uint64_t
emu_sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static uint64_t
emu_sat_mul(uint64_t a, uint64_t b)
{
	return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/*
 * Tables a map builds below the level-@p level entries that meet [lo, hi]
 * (a part of the mapped range) in an empty region: an entry needs a table
 * unless the range covers it whole and a leaf of its size fits (size
 * allowed, VA aligned as the IOVA: delta = va - iova). The entries wholly
 * inside all look alike: one of them is counted and multiplied. At most 3
 * calls per level.
 */
static uint64_t
emu_need(const struct emu_pt *pt, int level, uint64_t lo, uint64_t hi,
	 uint64_t delta)
{
	uint64_t size = emu_lvl_size(level), mask = size - 1;
	uint64_t b0 = lo & ~mask, b1 = hi & ~mask, n, mid, one;
	bool can_leaf = (pt->pgsizes & size) && (delta & mask) == 0;

	if (level == 1)
		return 0;       /* 4 KiB entries are leaves */
#define EMU_ENTRY(b, l, h) \
	(((l) == (b) && (h) == (b) + mask && can_leaf) ? 0 : \
	 emu_sat_add(1, emu_need(pt, level - 1, (l), (h), delta)))
	if (b0 == b1)
		return EMU_ENTRY(b0, lo, hi);
	n = emu_sat_add(EMU_ENTRY(b0, lo, b0 + mask), EMU_ENTRY(b1, b1, hi));
	mid = (b1 - b0) / size - 1;
	if (mid != 0) {
		one = EMU_ENTRY(b0 + size, b0 + size, b0 + size + mask);
		n = emu_sat_add(n, emu_sat_mul(mid, one));
	}
#undef EMU_ENTRY
	return n;
}

uint64_t
emu_pt_tables_needed(const struct emu_pt *pt, uint64_t first, uint64_t last,
		     uint64_t va)
{
	return emu_need(pt, pt->root_level, first, last, va - first);
}

uint64_t
emu_pt_tables_present(const struct emu_pt *pt, uint64_t first, uint64_t last)
{
	struct emu_pt_iter it;
	uint64_t n = 0;

	for_each_emu_pte(it, pt, 2, first, last, NULL, NULL)
		if (emu_pte_table(it.pte, it.level))
			n++;
	return n;
}

/* ----------------------------------------------------------- map, unmap */

static bool
emu_table_empty(const uint64_t *t)
{
	unsigned int i;
	uint64_t acc = 0;

	for (i = 0; i < EMU_PT_ENTRIES; i++)
		acc |= t[i];
	return acc == 0;
}

static void
emu_free_empty_cb(uint64_t *table, uint64_t *parent, void *arg)
{
	if (emu_table_empty(table)) {
		*parent = 0;
		emu_table_free(arg, table);
	}
}

/* remove leaves inside [first, last] whose base is <= clear_last (none
 * when !clear) and free the tables left empty */
static uint64_t
emu_pt_unmap_range(struct emu_pt *pt, uint64_t first, uint64_t last,
		   bool clear, uint64_t clear_last, uint64_t *starts)
{
	struct emu_pt_iter it;
	uint64_t bytes = 0, n = 0;

	for_each_emu_pte(it, pt, 1, first, last, emu_free_empty_cb, pt) {
		uint64_t size = emu_lvl_size(it.level);

		if (!emu_pte_leaf(it.pte, it.level))
			continue;
		if (!clear || it.iova < first || it.iova + (size - 1) > last ||
		    it.iova > clear_last)
			continue;
		bytes += size;
		if (it.pte & EMU_PTE_START)
			n++;
		*it.ptep = 0;
	}
	if (starts != NULL)
		*starts = n;
	return bytes;
}

uint64_t
emu_pt_unmap(struct emu_pt *pt, uint64_t first, uint64_t last,
	     uint64_t *starts)
{
	return emu_pt_unmap_range(pt, first, last, true, last, starts);
}

int
emu_pt_map(struct emu_pt *pt, uint64_t first, uint64_t last, uint64_t va,
	   uint64_t pte_prot)
{
	struct emu_pt_iter it;
	uint64_t delta = va - first; /* modulo 2^64: va of iova x is x + delta */
	bool mapped_any = false;
	uint64_t mapped_last = 0;
	int ret = 0;

	for_each_emu_pte(it, pt, 1, first, last, NULL, NULL) {
		uint64_t size = emu_lvl_size(it.level);
		uint64_t end = it.iova + (size - 1);
		uint64_t *t;

		if (it.iova >= first && end <= last && (pt->pgsizes & size) &&
		    ((it.iova + delta) & (size - 1)) == 0) {
			uint64_t pte;

			if (emu_pte_present(it.pte)) {
				ret = -EEXIST;
				break;
			}
			pte = ((it.iova + delta) & EMU_PTE_ADDR) | EMU_PTE_P |
			      pte_prot;
			if (it.level > 1)
				pte |= EMU_PTE_PS;
			if (it.iova == first)
				pte |= EMU_PTE_START;
			if (end == last)
				pte |= EMU_PTE_END;
			*it.ptep = pte;
			mapped_any = true;
			mapped_last = it.iova;
			continue;
		}
		if (emu_pte_leaf(it.pte, it.level)) {
			ret = -EEXIST;
			break;
		}
		if (emu_pte_present(it.pte))
			continue; /* a table: the walk enters it */
		t = emu_table_alloc(pt);
		if (t == NULL) {
			ret = -ENOMEM;
			break;
		}
		*it.ptep = (uint64_t)(uintptr_t)t | EMU_PTE_P;
	}
	if (ret != 0) {
		/* remove our leaves and every table left empty */
		emu_pt_unmap_range(pt, first, last, mapped_any, mapped_last,
				   NULL);
	}
	return ret;
}

int
emu_pt_split_at(struct emu_pt *pt, uint64_t addr)
{
	struct emu_pt_iter it;

	for_each_emu_pte(it, pt, 1, addr, addr, NULL, NULL) {
		uint64_t csize, va, keep;
		uint64_t *t;
		unsigned int i;

		if (!emu_pte_leaf(it.pte, it.level))
			continue;
		if (it.iova == addr || it.level == 1)
			return 0;
		t = emu_table_alloc(pt);
		if (t == NULL)
			return -ENOMEM;
		csize = emu_lvl_size(it.level - 1);
		va = it.pte & EMU_PTE_ADDR;
		keep = it.pte & (EMU_PTE_R | EMU_PTE_W);
		for (i = 0; i < EMU_PT_ENTRIES; i++) {
			uint64_t pte = (va + i * csize) | EMU_PTE_P | keep;

			if (it.level - 1 > 1)
				pte |= EMU_PTE_PS;
			if (i == 0)
				pte |= it.pte & EMU_PTE_START;
			if (i == EMU_PT_ENTRIES - 1)
				pte |= it.pte & EMU_PTE_END;
			t[i] = pte;
		}
		*it.ptep = (uint64_t)(uintptr_t)t | EMU_PTE_P; /* walk enters */
	}
	return 0;
}

void
emu_pt_set_flags(struct emu_pt *pt, uint64_t iova, uint64_t flags)
{
	struct emu_pt_iter it;

	for_each_emu_pte(it, pt, 1, iova, iova, NULL, NULL) {
		if (emu_pte_leaf(it.pte, it.level)) {
			*it.ptep |= flags;
			return;
		}
	}
}

/* ------------------------------------------------------- stats and dump */

void
emu_pt_stats(const struct emu_pt *pt, struct keel_emu_domain_stats *st)
{
	struct emu_pt_iter it;

	st->table_pages = 1; /* the root */
	for_each_emu_pte(it, pt, 1, 0, (1ULL << pt->addr_width) - 1,
			 NULL, NULL) {
		if (emu_pte_table(it.pte, it.level)) {
			st->table_pages++;
			continue;
		}
		if (!emu_pte_leaf(it.pte, it.level))
			continue;
		if (it.level == 1)
			st->leaves_4k++;
		else if (it.level == 2)
			st->leaves_2m++;
		else
			st->leaves_1g++;
		st->mapped_bytes += emu_lvl_size(it.level);
	}
}

void
emu_pt_dump(const struct emu_pt *pt, FILE *f)
{
	struct emu_pt_iter it;
	static const char *const lvl_name[] = {
		"", "4K", "2M", "1G", "512G", "256T",
	};

	for_each_emu_pte(it, pt, 1, 0, (1ULL << pt->addr_width) - 1,
			 NULL, NULL) {
		uint64_t end = it.iova + (emu_lvl_size(it.level) - 1);
		int indent = 2 * (pt->root_level - it.level);

		if (emu_pte_table(it.pte, it.level)) {
			fprintf(f, "%*sL%d [0x%" PRIx64 "-0x%" PRIx64 "] table\n",
				indent, "", it.level, it.iova, end);
		} else if (emu_pte_leaf(it.pte, it.level)) {
			fprintf(f, "%*sL%d [0x%" PRIx64 "-0x%" PRIx64 "] %s -> va 0x%"
				PRIx64 " %c%c%s%s\n", indent, "", it.level,
				it.iova, end, lvl_name[it.level],
				it.pte & EMU_PTE_ADDR,
				(it.pte & EMU_PTE_R) ? 'r' : '-',
				(it.pte & EMU_PTE_W) ? 'w' : '-',
				(it.pte & EMU_PTE_START) ? " start" : "",
				(it.pte & EMU_PTE_END) ? " end" : "");
		}
	}
}
