/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_EAL_MEMORY_PRIVATE_H
#define KEEL_EAL_MEMORY_PRIVATE_H

/*
 * Inside EAL memory, between its files: memory.c owns the segment lists
 * and their pages (it alone writes the state below, at init and cleanup
 * and when pages are allocated or freed; memory_list.c builds and tears
 * down one list's window, file and tables for it); memory_lookup.c reads
 * it for lookups, walks, statistics and the dump; memory_events.c owns
 * the event callbacks and counts the events it delivers.
 *
 * Lock: mem_hotplug_lock (rwlock) protects all of it. Writers: page
 * allocation and release (which deliver events while they hold it),
 * callback (un)registration, init and cleanup. Readers: lookups and walks.
 */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>

#include "keel_memory.h"

/*
 * used[] states. Pages are allocated and freed in units (one
 * eal_mem_alloc_pages() call); a unit's first page is PAGE_START, the rest
 * PAGE_CONT. Runs reported to callbacks never cross a unit boundary, so a
 * FREE always names exactly what an ALLOC named (an IOMMU that cannot split
 * mappings can map each run in one call).
 */
#define PAGE_FREE 0
#define PAGE_START 1
#define PAGE_CONT 2

struct memseg_list {
	void *base;
	uint64_t page_sz;
	uint64_t n_pages;
	int socket;
	int fd;
	char path[PATH_MAX];          /* hugetlbfs file, "" for memfd */
	struct keel_memseg *segs;
	uint8_t *used;                /* PAGE_FREE / PAGE_START / PAGE_CONT */
	uint64_t n_used;
	uint64_t hi;                  /* pages at index >= hi are all free */
};

/* A run of pages contiguous in VA and IOVA, as events name it. */
struct mem_run {
	void *va;
	uint64_t iova;
	uint64_t len;
};

/* memory.c's state (see above) */
extern pthread_rwlock_t mem_hotplug_lock;
extern struct memseg_list mem_lists[];
extern int mem_n_lists;
extern uint64_t mem_page_size;
extern struct keel_mem_stats mem_stats;

/* 4 KiB: the base page size (PA lookups through pagemap are per 4 KiB) */
#define PAGE_4K 4096ULL

/*
 * memory_list.c: set mem_page_size per the options (0, or -errno logged);
 * create socket @p socket's list (VA window, backing file, tables) or
 * destroy one (its pages already released).
 */
int mem_choose_page_size(void);
int mem_list_create(struct memseg_list *l, int socket);
void mem_list_destroy(struct memseg_list *l);

/* memory.c: the list whose VA window holds @p va, or NULL; lock held */
struct memseg_list *mem_list_of(const void *va);

/*
 * memory_lookup.c: call @p fn for each IOVA-contiguous run of used pages
 * (never across an allocation unit), until it returns non-zero (returned);
 * lock held by the caller.
 */
typedef int (*mem_contig_fn)(void *va, uint64_t iova, uint64_t len,
			     int socket, void *arg);
int mem_contig_walk_locked(mem_contig_fn fn, void *arg);

/*
 * memory_events.c, lock held for writing. fire_alloc: ALLOC for each run to
 * every callback in registration order; when one refuses, everything
 * delivered for these runs is undone (FREE) and its error returned.
 * fire_free: FREE for each run, last run and newest callback first.
 */
int mem_events_fire_alloc(const struct mem_run *runs, int nr);
void mem_events_fire_free(const struct mem_run *runs, int nr);
/* callbacks registered now */
int mem_events_n_callbacks(void);
/* forget every callback (keel_eal_cleanup) */
void mem_events_cleanup(void);

#endif /* KEEL_EAL_MEMORY_PRIVATE_H */
