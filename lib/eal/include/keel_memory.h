/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_MEMORY_H
#define KEEL_MEMORY_H

/**
 * @file
 * EAL memory: pages (hugepages or 4 KiB anonymous pages) organised in
 * segment lists, each page with a VA, an IOVA and a NUMA socket.
 *
 * Every segment list reserves a VA window up front; pages inside it are
 * allocated and released at run time ("dynamic memory"). Each time pages
 * appear or go, registered memory event callbacks hear about it, in
 * IOVA-contiguous runs: ALLOC after the pages exist and before anyone can
 * use them, FREE before they are released. A FREE names exactly a run an
 * ALLOC (or the registration replay) named. An ALLOC callback may refuse
 * (return < 0); the allocation is then undone, and callbacks that had
 * accepted it get a FREE for the same run.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An IOVA that is not valid. */
#define KEEL_BAD_IOVA UINT64_MAX

/** How IOVAs are assigned to pages. */
enum keel_iova_mode {
	KEEL_IOVA_DC = 0,    /**< auto: decided by keel_eal_init() */
	KEEL_IOVA_PA = 1,    /**< IOVA = physical address (/proc/self/pagemap) */
	KEEL_IOVA_VA = 2,    /**< IOVA = virtual address */
	KEEL_IOVA_ALLOC = 4, /**< IOVA allocated by the IOMMU container */
};

/** One page of EAL memory. */
struct keel_memseg {
	void *addr;            /**< virtual address */
	uint64_t iova;         /**< IO virtual address, KEEL_BAD_IOVA if none */
	uint64_t len;          /**< page length (== hugepage_sz) */
	uint64_t hugepage_sz;  /**< page size: 4 KiB, 2 MiB or 1 GiB */
	int socket_id;         /**< NUMA socket */
};

/** Memory events. */
enum keel_mem_event {
	KEEL_MEM_EVENT_ALLOC = 0, /**< pages appeared */
	KEEL_MEM_EVENT_FREE,      /**< pages about to go */
};

/**
 * Memory event callback. Called with the memory hotplug lock held (do not
 * allocate EAL memory from it). For ALLOC, a negative return refuses the
 * new memory; for FREE the return value is ignored.
 */
typedef int (*keel_mem_event_callback_t)(enum keel_mem_event event,
					 void *va, uint64_t iova,
					 uint64_t len, void *arg);

/** @return the current IOVA mode. */
enum keel_iova_mode keel_eal_iova_mode(void);

/** Name of an IOVA mode ("pa", "va", "alloc", "auto"). */
const char *keel_iova_mode_name(enum keel_iova_mode mode);

/**
 * IOVA of an address inside EAL memory (keel_malloc(), memzones, pools),
 * from the EAL's own page table: it works with every --iommu, and this
 * IOVA is where the EAL maps the page in the default IOMMU container.
 *
 * Memory the application mapped itself (keel_iommu_dma_map() or
 * keel_iommu_dma_register() of an mmap()ed buffer) is not EAL memory:
 * this returns KEEL_BAD_IOVA for it. Its IOVA is the one the map call
 * used or returned, or keel_iommu_va2iova(container, va), which answers
 * for everything mapped in that container, EAL memory included (and then
 * agrees with this function in the default container). See the EAL
 * guide, "Memory a device can reach".
 *
 * @return the IOVA, or KEEL_BAD_IOVA (errno = EINVAL) if @p va is not in an
 *         allocated EAL page.
 */
uint64_t keel_mem_virt2iova(const void *va);

/**
 * The page holding @p va, copied into @p ms.
 * @return 0, or -EINVAL if @p va is not in an allocated EAL page.
 */
int keel_mem_virt2memseg(const void *va, struct keel_memseg *ms);

/**
 * Call fn for every allocated page, in VA order within each list; stop and
 * return fn's value when it returns non-zero. Takes the hotplug read lock.
 */
int keel_memseg_walk(int (*fn)(const struct keel_memseg *ms, void *arg),
		     void *arg);

/**
 * Call fn for every VA- and IOVA-contiguous run of allocated pages. Runs do
 * not cross allocation units: they are exactly the runs ALLOC events named.
 * Same locking and return value as keel_memseg_walk().
 */
int keel_memseg_contig_walk(int (*fn)(void *va, uint64_t iova, uint64_t len,
				      int socket_id, void *arg),
			    void *arg);

/** A segment list as another process can map it. */
struct keel_memseg_list_info {
	void *base;        /**< first address of the list's VA window */
	uint64_t len;      /**< bytes of the window */
	uint64_t page_sz;  /**< page size */
	int socket_id;     /**< NUMA socket */
	/** the file backing the whole window (memfd or hugetlbfs file):
	 *  window byte i is file byte i; owned by the EAL, valid until
	 *  keel_eal_cleanup() */
	int fd;
};

/**
 * Call fn for every segment list (its whole window, allocated or not:
 * pages allocated later appear in the same file at their offset). This is
 * how EAL memory is shared with another process, e.g. a vhost-user
 * back-end (one region per list). Same locking and return value as
 * keel_memseg_walk().
 */
int keel_memseg_list_walk(int (*fn)(const struct keel_memseg_list_info *l,
				    void *arg), void *arg);

/**
 * Register a memory event callback. Nothing is replayed: walk the existing
 * memory with keel_memseg_contig_walk() first (under the same lock with
 * keel_mem_event_callback_register_walk()).
 *
 * @return 0, -EINVAL (NULL or name too long), -EEXIST (same name and arg),
 *         -ENOSPC (too many callbacks)
 */
int keel_mem_event_callback_register(const char *name,
				     keel_mem_event_callback_t cb, void *arg);

/**
 * Register a callback and, atomically with respect to memory events, call
 * it with ALLOC for every run that already exists. If a replayed ALLOC is
 * refused, the runs already accepted get FREE, the callback is not
 * registered, and the error is returned.
 */
int keel_mem_event_callback_register_walk(const char *name,
					  keel_mem_event_callback_t cb,
					  void *arg);

/**
 * Unregister a callback. With @p replay_free, the callback first gets a
 * FREE for every existing run (so an IOMMU can unmap everything).
 * @return 0, or -ENOENT.
 */
int keel_mem_event_callback_unregister(const char *name, void *arg,
				       int replay_free);

/** Memory statistics, per process. */
struct keel_mem_stats {
	uint64_t page_sz;        /**< page size in use */
	uint64_t reserved_va;    /**< bytes of VA reserved by all lists */
	uint64_t allocated;      /**< bytes of pages allocated now */
	uint64_t preallocated;   /**< of which pinned at init (-m/--socket-mem) */
	uint64_t limit;          /**< most that may be allocated */
	uint64_t n_alloc_events; /**< ALLOC events fired */
	uint64_t n_free_events;  /**< FREE events fired */
};

/** Fill @p st. @return 0, or -EINVAL. */
int keel_mem_stats_get(struct keel_mem_stats *st);

/** Print the segment lists and their pages to @p f. */
void keel_mem_dump(FILE *f);

#ifdef __cplusplus
}
#endif
#endif /* KEEL_MEMORY_H */
