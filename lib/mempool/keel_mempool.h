/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_MEMPOOL_H
#define KEEL_MEMPOOL_H

/**
 * @file
 * Memory pools: a fixed number of fixed-size objects, in EAL memory or in
 * external memory registered with the IOMMU container, so that every
 * object has an IOVA (keel_mempool_virt2iova()).
 *
 * The API mirrors DPDK 22.11's rte_mempool.h with the keel_ prefix:
 * keel_mempool_create() (or create_empty + set_ops_byname + populate_*),
 * keel_mempool_get/put[_bulk], per-lcore caches, keel_mempool_obj_iter(),
 * keel_mempool_lookup(), keel_mempool_free(). Where Keel differs:
 *  - objects never straddle an IOVA discontinuity, in every IOVA mode (va,
 *    pa, alloc): populate_default carves them from IOVA-contiguous EAL
 *    allocations (in pa mode at most a page each), and a pool without an
 *    IOVA for its objects cannot be built;
 *  - keel_mempool_populate_extmem() maps external memory in the default
 *    IOMMU container, and keel_mempool_free() unmaps it again;
 *  - the audit (cookies in each object's header and trailer) is a per-pool
 *    flag, KEEL_MEMPOOL_F_DEBUG, on by default in debug builds: a double
 *    put or an overwrite past an object is logged, counted and the bad
 *    object is not put back, instead of a panic;
 *  - statistics are read with keel_mempool_stats_get(): cache refills,
 *    flushes and failed gets always, every other counter with
 *    KEEL_MEMPOOL_F_STATS (per lcore, no atomics on lcores);
 *  - every control call checks its arguments first and leaves the pool as
 *    it was when it fails (return code, errno and a log line naming the
 *    value).
 *
 * Threads: get/put are safe from any number of threads at once (with the
 * default ops). An lcore (keel_lcore_id() < KEEL_MAX_LCORE) uses its own
 * cache; any other thread (keel_lcore_id() == KEEL_LCORE_ID_ANY) goes to
 * the pool's backend directly, or may pass a cache of its own made with
 * keel_mempool_cache_create() to the generic functions. A cache is used by
 * one thread at a time. Control calls (create, populate, free) must not
 * race with get/put on the same pool.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "keel_lcore.h"
#include "keel_malloc.h"   /* KEEL_SOCKET_ID_ANY */
#include "keel_memory.h"
#include "keel_mempool_ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Prefix of the memzone that holds a pool's header ("MP_<name>"). */
#define KEEL_MEMPOOL_MZ_PREFIX "MP_"
/** Longest pool name, NUL included (memzone name minus the prefix). */
#define KEEL_MEMPOOL_NAMESIZE 29
/** Largest per-lcore cache (objects), as DPDK. */
#define KEEL_MEMPOOL_CACHE_MAX_SIZE 512
/**
 * A cache is flushed to the backend when a put would take it past this
 * many objects (1.5 x its size, as DPDK); a pool of n objects accepts a
 * cache size s only when KEEL_MEMPOOL_CACHE_FLUSHTHRESH(s) <= n.
 */
#define KEEL_MEMPOOL_CACHE_FLUSHTHRESH(s) ((s) * 3u / 2u)

/**
 * @name Pool flags (keel_mempool_create(), mp->flags)
 * @{
 */
/** Accepted for DPDK compatibility; Keel does not spread objects. */
#define KEEL_MEMPOOL_F_NO_SPREAD      0x0001u
/** Objects aligned to 8 bytes only, not to the cache line. */
#define KEEL_MEMPOOL_F_NO_CACHE_ALIGN 0x0002u
/** Puts come from one thread only (single-producer backend). */
#define KEEL_MEMPOOL_F_SP_PUT         0x0004u
/** Gets come from one thread only (single-consumer backend). */
#define KEEL_MEMPOOL_F_SC_GET         0x0008u
/**
 * Accepted for DPDK compatibility. Keel's objects are always
 * IOVA-contiguous (every EAL heap allocation is), so this changes nothing.
 */
#define KEEL_MEMPOOL_F_NO_IOVA_CONTIG 0x0020u
/**
 * Audit every object on get and put (cookies in the object header and
 * trailer): a double put or a put of a foreign object is logged, counted
 * (stats audit_errors) and the object is not put back; a write past the
 * end of an object is logged and counted, its trailer repaired. Set on
 * every pool in debug builds.
 */
#define KEEL_MEMPOOL_F_DEBUG          0x0100u
/**
 * Count every call (put_bulk, put_objs, get_success_*, and the backend
 * calls of uncached gets and puts; see keel_mempool_stats_get()). Counting
 * costs as much as the rest of a one-object get or put, so it is off
 * unless asked for (on in debug builds). Cache refills and flushes and
 * failed gets are always counted: they are rare next to the calls.
 */
#define KEEL_MEMPOOL_F_STATS          0x0200u
/** Set by the library once the ops allocated their pool (read-only). */
#define KEEL_MEMPOOL_F_POOL_CREATED   0x1000u
/** @} */

struct keel_mempool;
struct keel_mempool_memhdr;

/**
 * Header in front of every object (keel_mempool_virt2iova() reads it).
 * Objects start right after it.
 */
struct keel_mempool_objhdr {
	struct keel_mempool *mp;  /**< pool the object belongs to */
	uint64_t iova;            /**< IOVA of the object's first byte */
	uint64_t cookie;          /**< audit state (debug pools) */
	uint64_t reserved;        /**< unused */
};

/** Counters of a pool, or of one lcore's part of it. */
struct keel_mempool_stats {
	uint64_t put_bulk;             /**< put calls */
	uint64_t put_objs;             /**< objects put */
	uint64_t get_success_bulk;     /**< successful get calls */
	uint64_t get_success_objs;     /**< objects got */
	uint64_t get_fail_bulk;        /**< failed get calls (-ENOENT) */
	uint64_t get_fail_objs;        /**< objects asked for by them */
	uint64_t put_common_pool_bulk; /**< backend enqueues (cache flushes,
					    uncached puts) */
	uint64_t put_common_pool_objs; /**< objects enqueued on the backend */
	uint64_t get_common_pool_bulk; /**< backend dequeues (refills,
					    uncached gets) */
	uint64_t get_common_pool_objs; /**< objects dequeued from the backend */
	uint64_t audit_errors;         /**< bad objects the audit caught
					    (pool total only) */
};

/** @cond internal */
struct keel_mempool_stats_slot {
	struct keel_mempool_stats s;
} __attribute__((aligned(64)));
/** @endcond */

/**
 * A cache of free objects: a LIFO stack used by one thread at a time.
 * Every enabled lcore has one per pool (cache_size > 0); other threads may
 * make their own with keel_mempool_cache_create().
 */
struct keel_mempool_cache {
	uint32_t size;        /**< objects kept after a refill */
	uint32_t flushthresh; /**< a put past this flushes the cache */
	uint32_t len;         /**< objects in the cache now */
	uint32_t capacity;    /**< room in objs[] (2 x size) */
	/** this cache's counters (audit_errors unused) */
	struct keel_mempool_stats stats;
	void *objs[] __attribute__((aligned(64))); /**< the stack */
};

/** Memory chunk free callback (keel_mempool_populate_iova()). */
typedef void (keel_mempool_memchunk_free_cb_t)(
		struct keel_mempool_memhdr *memhdr, void *opaque);

/** A chunk of memory objects were carved from (keel_mempool_mem_iter()). */
struct keel_mempool_memhdr {
	struct keel_mempool_memhdr *next; /**< next chunk of the pool */
	struct keel_mempool *mp;          /**< pool */
	void *addr;                       /**< first byte */
	uint64_t iova;                    /**< its IOVA (contiguous over len) */
	uint64_t len;                     /**< bytes */
	uint32_t first_obj;               /**< offset of the first object header */
	uint32_t n_objs;                  /**< objects in the chunk */
	keel_mempool_memchunk_free_cb_t *free_cb; /**< called at free */
	void *opaque;                     /**< free_cb argument */
	void *iommu;                      /**< container it was mapped in by
					       populate_extmem, else NULL */
	void *alloc_base;                 /**< keel_malloc() base to free */
};

/** Called once on a new pool by keel_mempool_create() (may be NULL). */
typedef void (keel_mempool_ctor_t)(struct keel_mempool *mp, void *arg);
/** Called on each object (creation, keel_mempool_obj_iter()). */
typedef void (keel_mempool_obj_cb_t)(struct keel_mempool *mp, void *opaque,
				     void *obj, unsigned int obj_idx);
/** DPDK's name for the object constructor. */
typedef keel_mempool_obj_cb_t keel_mempool_obj_ctor_t;
/** Called on each memory chunk (keel_mempool_mem_iter()). */
typedef void (keel_mempool_mem_cb_t)(struct keel_mempool *mp, void *opaque,
				     struct keel_mempool_memhdr *memhdr,
				     unsigned int mem_idx);

/**
 * A pool. Fields are read-only for users; the first cache line holds
 * everything get and put read.
 */
struct keel_mempool {
	void *pool_data;                      /**< backend state (ops) */
	const struct keel_mempool_ops *ops;   /**< backend ops */
	struct keel_mempool_cache *local_cache; /**< lcore 0's cache */
	uint32_t cache_stride;                /**< bytes between lcore caches */
	uint32_t n_caches;                    /**< lcores [0, n_caches) have a
						   cache; 0 without caches */
	uint32_t flags;                       /**< KEEL_MEMPOOL_F_* */
	uint32_t size;                        /**< objects in the pool */
	uint32_t cache_size;                  /**< per-lcore cache size */
	uint32_t elt_size;                    /**< object size (bytes) */
	uint32_t n_lcores;                    /**< lcore ids below this have
						   a counter line */
	/** uncached get/put counters: one line per lcore id below
	 *  n_lcores, then the shared (atomic) line of other threads */
	struct keel_mempool_stats_slot *lcore_stats;
	/* ---- control path ---- */
	char name[KEEL_MEMPOOL_NAMESIZE];     /**< unique name */
	uint32_t magic;                       /**< KEEL_MEMPOOL_MAGIC when live */
	uint32_t header_size;                 /**< bytes before each object */
	uint32_t trailer_size;                /**< bytes after each object */
	uint32_t private_data_size;           /**< keel_mempool_get_priv() */
	uint32_t populated_size;              /**< objects added so far */
	uint32_t nb_mem_chunks;               /**< chunks in mem_list */
	int socket_id;                        /**< NUMA socket (or ANY) */
	void *pool_config;                    /**< ops argument */
	struct keel_mempool_memhdr *mem_list; /**< chunks, in populate order */
	const void *mz;                       /**< memzone of this header */
	void *private_data;                   /**< private area */
	uint64_t audit_errors;                /**< atomic: bad objects caught */
	uint64_t backend_errors;              /**< atomic: backend refusals */
} __attribute__((aligned(64)));

/** @cond internal */
#define KEEL_MEMPOOL_MAGIC 0x4b4d504cu /* "KMPL" */
/* optimised builds always inline the fast path (the compiler outlines it
 * otherwise once a program calls it from several places: a call per
 * object); -O0 builds (debug, ASan/UBSan) leave it to the compiler, as
 * lib/ring does, so that forcing it does not slow their compiles */
#ifdef __OPTIMIZE__
#define KEEL_MEMPOOL_FP_ static inline __attribute__((always_inline))
#else
#define KEEL_MEMPOOL_FP_ static inline
#endif
/* a get the backend alone cannot serve: use the caller's cache too */
int keel_mempool_get_short_(struct keel_mempool *mp, void **obj_table,
			    unsigned int n, struct keel_mempool_cache *cache);
/* backend enqueue refused (only with a double put): log and count */
void keel_mempool_backend_refused(struct keel_mempool *mp, unsigned int n);
/** @endcond */

/**
 * @name Creation and release
 * @{
 */

/**
 * Create and populate a pool of @p n objects of @p elt_size bytes in EAL
 * memory, with the default ops (see keel_mempool_set_ops_byname()).
 *
 * @param name       unique name, at most KEEL_MEMPOOL_NAMESIZE - 1 chars
 * @param n          objects (>= 1)
 * @param elt_size   bytes per object (>= 1)
 * @param cache_size per-lcore cache size: 0 (no caches) or up to
 *                   KEEL_MEMPOOL_CACHE_MAX_SIZE with 1.5 x cache_size <= n
 * @param private_data_size bytes of private area (keel_mempool_get_priv())
 * @param mp_init    called once on the pool before objects exist (or NULL)
 * @param mp_init_arg its argument
 * @param obj_init   called on each object after population (or NULL)
 * @param obj_init_arg its argument
 * @param socket_id  NUMA socket, or KEEL_SOCKET_ID_ANY (-1)
 * @param flags      KEEL_MEMPOOL_F_*
 * @return the pool, or NULL with errno: EINVAL (bad argument, logged),
 *         ENAMETOOLONG, EEXIST (name taken), ENOMEM, or an ops error.
 *         Nothing is left behind on failure.
 */
struct keel_mempool *
keel_mempool_create(const char *name, unsigned int n, unsigned int elt_size,
		    unsigned int cache_size, unsigned int private_data_size,
		    keel_mempool_ctor_t *mp_init, void *mp_init_arg,
		    keel_mempool_obj_cb_t *obj_init, void *obj_init_arg,
		    int socket_id, unsigned int flags);

/**
 * Create a pool without objects: set its ops (optional) then populate it
 * with keel_mempool_populate_default(), _iova() or _extmem() until it holds
 * @p n objects. Arguments and errors as keel_mempool_create().
 */
struct keel_mempool *
keel_mempool_create_empty(const char *name, unsigned int n,
			  unsigned int elt_size, unsigned int cache_size,
			  unsigned int private_data_size, int socket_id,
			  unsigned int flags);

/**
 * Choose the backend of a pool that has no objects yet.
 * @param mp          the pool (from keel_mempool_create_empty())
 * @param name        a registered ops name ("ring_mp_mc", "stack", ...)
 * @param pool_config argument the ops may read (or NULL)
 * @return 0, -EINVAL (NULL pool or name, unknown name: logged), -EEXIST
 *         (objects already populated).
 */
int keel_mempool_set_ops_byname(struct keel_mempool *mp, const char *name,
				void *pool_config);

/**
 * Add objects in EAL memory until the pool holds mp->size objects: one
 * allocation in IOVA modes va and alloc; in pa mode allocations of at most
 * a page (an allocation is IOVA-contiguous, and pages are as contiguous as
 * the physical memory behind them), so an object must fit in a page.
 * @return objects added, or -errno with nothing added: -EINVAL, -EEXIST
 *         (already full), -ENOMEM (no memory, or objects larger than a page
 *         in pa mode: logged with the sizes).
 */
int keel_mempool_populate_default(struct keel_mempool *mp);

/**
 * Add objects carved from [vaddr, vaddr + len), whose IOVAs are
 * [iova, iova + len). @p free_cb (may be NULL) is called with @p opaque at
 * keel_mempool_free(). Objects beyond mp->size are not added.
 * @return objects added (>= 1), or -errno with nothing added: -EINVAL
 *         (NULL/unaligned address, len too small for one object, iova
 *         KEEL_BAD_IOVA), -EEXIST (pool full), or the ops' error.
 */
int keel_mempool_populate_iova(struct keel_mempool *mp, void *vaddr,
			       uint64_t iova, uint64_t len,
			       keel_mempool_memchunk_free_cb_t *free_cb,
			       void *opaque);

/**
 * Add objects carved from external memory [addr, addr + len) (page
 * aligned, e.g. from mmap()). The memory is mapped in the default IOMMU
 * container with keel_iommu_dma_register() (unless a mapping the caller
 * made already covers it), so the objects have IOVAs any device behind the
 * container can use; keel_mempool_free() unmaps what this call mapped, then
 * calls @p free_cb. Without a container the IOVA is the VA, which needs
 * --iova-mode va.
 * @return objects added, or -errno with nothing added or mapped: -EINVAL,
 *         -EEXIST (pool full), -ENOTSUP (no container and not VA mode),
 *         or the container's error (-EDOM unaligned, -ENOSPC, ...).
 */
int keel_mempool_populate_extmem(struct keel_mempool *mp, void *addr,
				 uint64_t len,
				 keel_mempool_memchunk_free_cb_t *free_cb,
				 void *opaque);

/**
 * Free a pool: the backend, every memory chunk (unmapping what
 * populate_extmem mapped), the header. NULL is ignored; a pointer that is
 * not a pool is logged and ignored. Objects still in use become invalid
 * (a warning gives their number).
 */
void keel_mempool_free(struct keel_mempool *mp);

/** @} */

/**
 * @name Finding and walking
 * @{
 */

/** @return the pool called @p name, or NULL with errno ENOENT (EINVAL). */
struct keel_mempool *keel_mempool_lookup(const char *name);

/** Call @p fn on every pool. */
void keel_mempool_walk(void (*fn)(struct keel_mempool *mp, void *arg),
		       void *arg);

/**
 * Call @p obj_cb on every object, chunk by chunk, in address order.
 * @return the number of objects.
 */
uint32_t keel_mempool_obj_iter(struct keel_mempool *mp,
			       keel_mempool_obj_cb_t *obj_cb, void *obj_cb_arg);

/** Call @p mem_cb on every memory chunk. @return the number of chunks. */
uint32_t keel_mempool_mem_iter(struct keel_mempool *mp,
			       keel_mempool_mem_cb_t *mem_cb, void *mem_cb_arg);

/** @} */

/**
 * @name Caches
 * @{
 */

/**
 * Make a cache for a thread that is not an lcore (or for any caller that
 * wants its own), for the generic get/put functions.
 * @param size      1..KEEL_MEMPOOL_CACHE_MAX_SIZE
 * @param socket_id NUMA socket or KEEL_SOCKET_ID_ANY
 * @return the cache, or NULL with errno EINVAL / ENOMEM.
 */
struct keel_mempool_cache *keel_mempool_cache_create(uint32_t size,
						     int socket_id);

/**
 * Free a cache from keel_mempool_cache_create(); flush it first
 * (keel_mempool_cache_flush()), or its objects are lost to their pool.
 */
void keel_mempool_cache_free(struct keel_mempool_cache *cache);

/**
 * Put every object of @p cache back to @p mp's backend. Called by the
 * thread that owns the cache. NULL @p cache: the caller lcore's cache.
 */
void keel_mempool_cache_flush(struct keel_mempool_cache *cache,
			      struct keel_mempool *mp);

/**
 * The cache of lcore @p lcore_id in @p mp, or NULL when the pool has no
 * caches or @p lcore_id is not an lcore (KEEL_LCORE_ID_ANY).
 */
KEEL_MEMPOOL_FP_ struct keel_mempool_cache *
keel_mempool_default_cache(struct keel_mempool *mp, unsigned int lcore_id)
{
	if (__builtin_expect(lcore_id >= mp->n_caches, 0))
		return NULL;
	return (struct keel_mempool_cache *)
		((char *)mp->local_cache + (size_t)lcore_id * mp->cache_stride);
}

/** @} */

/**
 * @name Objects: get and put
 * @{
 */

/** @cond internal */
/*
 * Where a call's counters go: the cache it went through, else the calling
 * lcore's line, else (threads that are not lcores) the shared line, which
 * is updated atomically (*shared set).
 */
KEEL_MEMPOOL_FP_ struct keel_mempool_stats *
keel_mempool_stats_of_(struct keel_mempool *mp,
		       struct keel_mempool_cache *cache, int *shared)
{
	unsigned int id;

	*shared = 0;
	if (cache != NULL)
		return &cache->stats;
	id = keel_lcore_id();
	if (__builtin_expect(id < mp->n_lcores, 1))
		return &mp->lcore_stats[id].s;
	*shared = 1;
	return &mp->lcore_stats[mp->n_lcores].s;
}

#define KEEL_MEMPOOL_SADD_(st, shared, field, n) do { \
	if (shared) \
		__atomic_fetch_add(&(st)->field, (n), __ATOMIC_RELAXED); \
	else \
		(st)->field += (n); \
} while (0)

/*
 * Copy n object pointers. Inline moves: a memcpy() call (what the compiler
 * makes of a plain loop or of memcpy with a variable size) costs more than
 * the rest of a one-object put.
 */
KEEL_MEMPOOL_FP_ void
keel_mempool_copy_objs_(void **dst, void * const *src, unsigned int n)
{
	struct objs4 {
		void *p[4];
	};
	unsigned int i = 0;

	for (; i + 4 <= n; i += 4)
		*(struct objs4 *)(void *)(dst + i) =
			*(const struct objs4 *)(const void *)(src + i);
	switch (n - i) {
	case 3:
		dst[i + 2] = src[i + 2];
		__attribute__((fallthrough));
	case 2:
		dst[i + 1] = src[i + 1];
		__attribute__((fallthrough));
	case 1:
		dst[i] = src[i];
		break;
	default:
		break;
	}
}

/*
 * Hand out n objects from the top of a cache (the last put first): pairs
 * with one 16-byte load, a swap and one 16-byte store.
 */
KEEL_MEMPOOL_FP_ void
keel_mempool_pop_objs_(void **dst, void **top, unsigned int n)
{
	typedef uint64_t v2_ __attribute__((vector_size(16)));
	unsigned int i = 0;

	for (; i + 2 <= n; i += 2) {
		v2_ v;

		memcpy(&v, top - i - 2, sizeof(v));
		v = __builtin_shufflevector(v, v, 1, 0);
		memcpy(dst + i, &v, sizeof(v));
	}
	if (i < n)
		dst[i] = top[-(int)i - 1];
}

KEEL_MEMPOOL_FP_ void
keel_mempool_backend_put_(struct keel_mempool *mp, void * const *objs,
			  unsigned int n)
{
	if (__builtin_expect(mp->ops->enqueue(mp, objs, n) < 0, 0))
		keel_mempool_backend_refused(mp, n);
}

/*
 * The put and get paths. @p calls (a constant in each caller) says whether
 * every call is counted (pools with KEEL_MEMPOOL_F_STATS); cache refills
 * and flushes and failed gets are always counted.
 */
KEEL_MEMPOOL_FP_ void
keel_mempool_do_put_(struct keel_mempool *mp, void * const *obj_table,
		     unsigned int n, struct keel_mempool_cache *cache,
		     const int calls)
{
	if (cache == NULL || __builtin_expect(n > cache->flushthresh, 0)) {
		if (calls) {
			int sh;
			struct keel_mempool_stats *st =
				keel_mempool_stats_of_(mp, cache, &sh);

			KEEL_MEMPOOL_SADD_(st, sh, put_bulk, 1);
			KEEL_MEMPOOL_SADD_(st, sh, put_objs, n);
			KEEL_MEMPOOL_SADD_(st, sh, put_common_pool_bulk, 1);
			KEEL_MEMPOOL_SADD_(st, sh, put_common_pool_objs, n);
		}
		keel_mempool_backend_put_(mp, obj_table, n);
		return;
	}
	if (calls) {
		cache->stats.put_bulk++;
		cache->stats.put_objs += n;
	}
	if (__builtin_expect(cache->len + n > cache->flushthresh, 0)) {
		/* flush the whole cache, then keep the new objects */
		cache->stats.put_common_pool_bulk++;
		cache->stats.put_common_pool_objs += cache->len;
		keel_mempool_backend_put_(mp, cache->objs, cache->len);
		cache->len = 0;
	}
	keel_mempool_copy_objs_(&cache->objs[cache->len], obj_table, n);
	cache->len += n;
}

KEEL_MEMPOOL_FP_ int
keel_mempool_do_get_(struct keel_mempool *mp, void **obj_table,
		     unsigned int n, struct keel_mempool_cache *cache,
		     const int calls)
{
	struct keel_mempool_stats *st;
	int sh;

	if (cache == NULL || __builtin_expect(n >= cache->size, 0))
		goto backend;
	if (__builtin_expect(cache->len < n, 0)) {
		/* refill so that size objects stay after serving n; when the
		 * backend is short, take just what is missing */
		unsigned int req = n + cache->size - cache->len;

		if (mp->ops->dequeue(mp, &cache->objs[cache->len], req) < 0) {
			req = n - cache->len;
			if (mp->ops->dequeue(mp, &cache->objs[cache->len],
					     req) < 0) {
				cache->stats.get_fail_bulk++;
				cache->stats.get_fail_objs += n;
				return -ENOENT;
			}
		}
		cache->stats.get_common_pool_bulk++;
		cache->stats.get_common_pool_objs += req;
		cache->len += req;
	}
	/* hot objects first: the cache is a stack */
	keel_mempool_pop_objs_(obj_table, &cache->objs[cache->len], n);
	cache->len -= n;
	if (calls) {
		cache->stats.get_success_bulk++;
		cache->stats.get_success_objs += n;
	}
	return 0;
backend:
	if (__builtin_expect(mp->ops->dequeue(mp, obj_table, n) < 0, 0))
		return keel_mempool_get_short_(mp, obj_table, n, cache);
	if (calls) {
		st = keel_mempool_stats_of_(mp, cache, &sh);
		KEEL_MEMPOOL_SADD_(st, sh, get_success_bulk, 1);
		KEEL_MEMPOOL_SADD_(st, sh, get_success_objs, n);
		KEEL_MEMPOOL_SADD_(st, sh, get_common_pool_bulk, 1);
		KEEL_MEMPOOL_SADD_(st, sh, get_common_pool_objs, n);
	}
	return 0;
}

/* pools with KEEL_MEMPOOL_F_DEBUG or _STATS: out of line */
void keel_mempool_put_slow_(struct keel_mempool *mp, void * const *obj_table,
			    unsigned int n, struct keel_mempool_cache *cache);
int keel_mempool_get_slow_(struct keel_mempool *mp, void **obj_table,
			   unsigned int n, struct keel_mempool_cache *cache);
/** @endcond */

/**
 * Put @p n objects back, through @p cache (NULL: straight to the backend).
 * Objects must come from @p mp and be put once each; in a debug pool a
 * second put is caught (see KEEL_MEMPOOL_F_DEBUG).
 */
KEEL_MEMPOOL_FP_ void
keel_mempool_generic_put(struct keel_mempool *mp, void * const *obj_table,
			 unsigned int n, struct keel_mempool_cache *cache)
{
	if (__builtin_expect(mp->flags & (KEEL_MEMPOOL_F_DEBUG |
					  KEEL_MEMPOOL_F_STATS), 0)) {
		keel_mempool_put_slow_(mp, obj_table, n, cache);
		return;
	}
	keel_mempool_do_put_(mp, obj_table, n, cache, 0);
}

/**
 * Get @p n objects, all or none, through @p cache (NULL: from the backend).
 * @return 0, or -ENOENT when fewer than @p n objects could be had (nothing
 *         is taken then).
 */
KEEL_MEMPOOL_FP_ int
keel_mempool_generic_get(struct keel_mempool *mp, void **obj_table,
			 unsigned int n, struct keel_mempool_cache *cache)
{
	if (__builtin_expect(mp->flags & (KEEL_MEMPOOL_F_DEBUG |
					  KEEL_MEMPOOL_F_STATS), 0))
		return keel_mempool_get_slow_(mp, obj_table, n, cache);
	return keel_mempool_do_get_(mp, obj_table, n, cache, 0);
}

/** Put @p n objects through the calling lcore's cache. */
KEEL_MEMPOOL_FP_ void
keel_mempool_put_bulk(struct keel_mempool *mp, void * const *obj_table,
		      unsigned int n)
{
	keel_mempool_generic_put(mp, obj_table, n,
				 keel_mempool_default_cache(mp, keel_lcore_id()));
}

/** Put one object. */
KEEL_MEMPOOL_FP_ void
keel_mempool_put(struct keel_mempool *mp, void *obj)
{
	keel_mempool_put_bulk(mp, &obj, 1);
}

/**
 * Get @p n objects through the calling lcore's cache, all or none.
 * @return 0 or -ENOENT.
 */
KEEL_MEMPOOL_FP_ int
keel_mempool_get_bulk(struct keel_mempool *mp, void **obj_table,
		      unsigned int n)
{
	return keel_mempool_generic_get(mp, obj_table, n,
			keel_mempool_default_cache(mp, keel_lcore_id()));
}

/** Get one object. @return 0 or -ENOENT. */
KEEL_MEMPOOL_FP_ int
keel_mempool_get(struct keel_mempool *mp, void **obj_p)
{
	return keel_mempool_get_bulk(mp, obj_p, 1);
}

/** @} */

/**
 * @name Objects: properties
 * @{
 */

/** The header in front of @p obj. */
static inline struct keel_mempool_objhdr *
keel_mempool_get_header(void *obj)
{
	return (struct keel_mempool_objhdr *)
		((char *)obj - sizeof(struct keel_mempool_objhdr));
}

/** The pool @p obj belongs to. */
static inline struct keel_mempool *
keel_mempool_from_obj(void *obj)
{
	return keel_mempool_get_header(obj)->mp;
}

/** IOVA of the first byte of @p obj (KEEL_BAD_IOVA never happens). */
static inline uint64_t
keel_mempool_virt2iova(const void *obj)
{
	return keel_mempool_get_header((void *)(uintptr_t)obj)->iova;
}

/** The pool's private area (private_data_size bytes). */
static inline void *
keel_mempool_get_priv(struct keel_mempool *mp)
{
	return mp->private_data;
}

/**
 * Bytes each object takes in memory: header + elt_size + trailer, rounded
 * as the flags ask. @p sz (may be NULL) gets the three parts.
 */
struct keel_mempool_objsz {
	uint32_t elt_size;     /**< object */
	uint32_t header_size;  /**< before it */
	uint32_t trailer_size; /**< after it (audit cookie, padding) */
	uint32_t total_size;   /**< the sum */
};
/** @return total bytes per object for @p elt_size and @p flags. */
uint32_t keel_mempool_calc_obj_size(uint32_t elt_size, uint32_t flags,
				    struct keel_mempool_objsz *sz);

/** @} */

/**
 * @name Counts, statistics, checks
 * @{
 */

/**
 * Objects available: in the backend plus in every cache. Exact only when
 * no thread is using the pool.
 */
unsigned int keel_mempool_avail_count(const struct keel_mempool *mp);

/** Objects taken out: mp->populated_size - keel_mempool_avail_count(). */
unsigned int keel_mempool_in_use_count(const struct keel_mempool *mp);

/** @return 1 when every object is available. */
static inline int
keel_mempool_full(const struct keel_mempool *mp)
{
	return keel_mempool_avail_count(mp) == mp->size;
}

/** @return 1 when no object is available. */
static inline int
keel_mempool_empty(const struct keel_mempool *mp)
{
	return keel_mempool_avail_count(mp) == 0;
}

/**
 * Sum of the pool's counters (every lcore cache, uncached calls from
 * lcores and other threads, audit errors). Calls made through a cache from
 * keel_mempool_cache_create() count in that cache only (cache->stats).
 * @return 0, or -EINVAL.
 */
int keel_mempool_stats_get(const struct keel_mempool *mp,
			   struct keel_mempool_stats *st);

/** Zero the counters (no thread may use the pool meanwhile). */
void keel_mempool_stats_reset(struct keel_mempool *mp);

/**
 * Check the pool: caches within their limits, the counts add up, and in a
 * debug pool every object's cookies (free objects marked free, no write
 * past any object). Call it when no thread uses the pool.
 * @return 0, or -EFAULT with a log line per problem (-EINVAL: not a pool).
 */
int keel_mempool_audit(struct keel_mempool *mp);

/** Print a pool: sizes, ops, chunks, caches, counters. */
void keel_mempool_dump(FILE *f, struct keel_mempool *mp);

/** Print every pool. */
void keel_mempool_list_dump(FILE *f);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* KEEL_MEMPOOL_H */
