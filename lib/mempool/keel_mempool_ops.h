/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_MEMPOOL_OPS_H
#define KEEL_MEMPOOL_OPS_H

/**
 * @file
 * Pool backends ("ops"): the store that holds the objects no lcore cache
 * holds, chosen per pool by name (keel_mempool_set_ops_byname()) and
 * registered by whoever provides one. Include keel_mempool.h, which
 * includes this file. Registered by lib/mempool: "stack" (the default),
 * "ring_mp_mc", "ring_sp_sc", "ring_mp_sc", "ring_sp_mc", "ring_mt_rts",
 * "ring_mt_hts" (doc/guides/mempool.md compares them).
 */

#ifdef __cplusplus
extern "C" {
#endif

/** Longest ops name, NUL included. */
#define KEEL_MEMPOOL_OPS_NAMESIZE 32
/** Most ops drivers registered at once. */
#define KEEL_MEMPOOL_MAX_OPS 16

struct keel_mempool;

/** Ops of a pool backend (the shared store behind the caches). */
struct keel_mempool_ops {
	char name[KEEL_MEMPOOL_OPS_NAMESIZE]; /**< unique name */
	/** Set up mp->pool_data for mp->size objects; 0 or -errno. */
	int (*alloc)(struct keel_mempool *mp);
	/** Release mp->pool_data. */
	void (*free)(struct keel_mempool *mp);
	/**
	 * Store @p n objects. Never fails while the pool holds at most
	 * mp->size objects; -ENOBUFS otherwise (a double put).
	 */
	int (*enqueue)(struct keel_mempool *mp, void * const *obj_table,
		       unsigned int n);
	/** Take exactly @p n objects; 0, or -ENOBUFS taking none. */
	int (*dequeue)(struct keel_mempool *mp, void **obj_table,
		       unsigned int n);
	/** Objects stored now. */
	unsigned int (*get_count)(const struct keel_mempool *mp);
};

/**
 * Register a backend (usually from a constructor through
 * KEEL_MEMPOOL_REGISTER_OPS). @p ops must live as long as the process.
 * @return its index (>= 0), or -EINVAL (missing callback or name), -EEXIST
 *         (name taken), -ENOSPC (KEEL_MEMPOOL_MAX_OPS reached).
 */
int keel_mempool_register_ops(const struct keel_mempool_ops *ops);

/** @return the ops registered as @p name, or NULL (errno EINVAL). */
const struct keel_mempool_ops *keel_mempool_ops_lookup(const char *name);

/**
 * Name of the ops keel_mempool_create() gives a pool with @p flags:
 * "stack" for pools any thread may use, or with KEEL_MEMPOOL_F_SP_PUT
 * and/or KEEL_MEMPOOL_F_SC_GET the ring in that mode ("ring_sp_sc", ...).
 */
const char *keel_mempool_default_ops_name(unsigned int flags);

/** Register ops from a constructor. */
#define KEEL_MEMPOOL_REGISTER_OPS(ops) \
	__attribute__((constructor)) static void \
	keel_mempool_ops_ctor_##ops(void) \
	{ \
		keel_mempool_register_ops(&(ops)); \
	}

#ifdef __cplusplus
}
#endif
#endif /* KEEL_MEMPOOL_OPS_H */
