/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_EAL_MEMORY_INTERNAL_H
#define KEEL_EAL_MEMORY_INTERNAL_H

/*
 * memory.c's interface to the EAL's other files (eal.c's init steps,
 * malloc.c's heap, iommu/iommu_eal.c's IOVA hook). It exposes no
 * configuration: memory.c reads the EAL's options itself, its callers
 * only call. memory.c takes its own hotplug lock where one is needed;
 * init, prealloc and cleanup run single-threaded from keel_eal_init() and
 * keel_eal_cleanup().
 */
#include <stdbool.h>
#include <stdint.h>

#include "keel_memory.h"

int eal_memory_init(void);
void eal_memory_cleanup(void);
/* -m / --socket-mem in alloc IOVA mode, once the IOMMU container exists */
int eal_memory_prealloc(void);
/* highest VA any segment list may use */
uint64_t eal_mem_va_last(void);
/*
 * --iova-mode auto, when the IOMMU cannot reach the VAs: give every page
 * allocated so far an IOVA from the hook and continue in alloc mode. Only
 * before any memory callback is registered (nobody has seen an IOVA yet).
 */
int eal_mem_switch_to_alloc(void);
void eal_memory_prealloc_undo(void);
/*
 * Allocate @p len bytes (a multiple of the page size) of VA-contiguous
 * pages on @p socket (-1: any), fire ALLOC events. Returns the VA or NULL
 * with errno (ENOMEM: no pages or no VA room; an event callback's error).
 */
void *eal_mem_alloc_pages(int socket, uint64_t len);
/* Fire FREE events and release pages got from eal_mem_alloc_pages(). */
int eal_mem_free_pages(void *va, uint64_t len);
uint64_t eal_mem_page_size(void);
/*
 * In KEEL_IOVA_ALLOC mode the IOMMU container assigns IOVAs: memory calls
 * alloc() for every new run of pages before firing ALLOC events, and free()
 * after the FREE events. Set by eal_iommu_init(), cleared at cleanup.
 */
struct eal_iova_hook {
	int (*alloc)(uint64_t len, uint64_t align, uint64_t *iova, void *arg);
	void (*free)(uint64_t iova, uint64_t len, void *arg);
	void *arg;
};
void eal_mem_set_iova_hook(const struct eal_iova_hook *hook);
/* IOVA mode in force (never DC after init) */
extern enum keel_iova_mode eal_iova_mode_cur;
int eal_mem_socket_of(const void *va);
/* i-th run preallocated by -m / --socket-mem; -ENOENT past the last */
int eal_mem_prealloc_get(int i, void **va, uint64_t *len);

#endif /* KEEL_EAL_MEMORY_INTERNAL_H */
