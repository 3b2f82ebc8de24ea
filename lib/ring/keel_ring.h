/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_RING_H
#define KEEL_RING_H

/**
 * @file
 * Keel rings: fixed-size lockless FIFOs of pointers (this file) or of
 * elements of any multiple of 4 bytes (keel_ring_elem.h), in EAL memory,
 * found by name. The API mirrors DPDK 22.11's rte_ring.h, rte_ring_elem.h
 * and rte_ring_peek*.h with a keel_ prefix: same names, argument order and
 * return conventions, so DPDK code ports by renaming.
 *
 * Size. A ring of count slots (a power of two) holds count - 1 objects; with
 * KEEL_RING_F_EXACT_SZ it holds exactly count (its slots are the next power
 * of two above). keel_ring_get_capacity() says which.
 *
 * Sync modes. Each side (producers, consumers) has a default mode chosen by
 * the creation flags, and every call exists in a default form
 * (keel_ring_enqueue_bulk) and mode-specific forms (keel_ring_sp_... /
 * _mp_ / _mp_rts_ / _mp_hts_, and sc/mc for dequeue):
 *  - ST  (KEEL_RING_F_SP_ENQ / KEEL_RING_F_SC_DEQ): one thread at a time on
 *    that side. Cheapest: plain stores, no atomic read-modify-write.
 *  - MT  (the default): any number of threads; each claims with a CAS and
 *    publishes in claim order, so it waits for the threads that claimed
 *    before it. Fast while every thread keeps running; a thread preempted
 *    between claim and publish stalls every later one of its side.
 *  - MT_RTS (KEEL_RING_F_MP_RTS_ENQ / KEEL_RING_F_MC_RTS_DEQ): relaxed tail
 *    sync: the last thread out publishes for everyone, nobody waits for a
 *    slower thread to publish. Keel's choice when threads may be preempted
 *    inside a ring call (more threads than cores, lcores sharing CPUs).
 *  - MT_HTS (KEEL_RING_F_MP_HTS_ENQ / KEEL_RING_F_MC_HTS_DEQ): one operation
 *    of a side at a time; what peek/zero-copy need with several threads.
 * Every wait for another thread spins, then yields the CPU
 * (KEEL_RING_SPIN_BEFORE_YIELD), so a preempted peer gets to run; DPDK's
 * waits spin forever. Measured on 2 vCPUs with 2-8 threads that each
 * enqueue and dequeue (ring_preempt_perf, doc/guides/ring.md): MT is
 * 7-10x slower than RTS and HTS, which keep their throughput from 2 to 8
 * threads; with waits that only spin they are 2.5-4x slower at 8 threads,
 * and DPDK's RTS/HTS 6-22x.
 * ST and MT calls mix on one ring (an sp call on an MP ring when the caller
 * knows it is alone); RTS and HTS sides take only their own or the default
 * calls (others fail with ENOTSUP rather than corrupt the ring, where DPDK
 * leaves it undefined).
 *
 * Better than DPDK (besides the checks above): each side's head and tail
 * live on separate cache-line pairs, and a side keeps a cached copy of the
 * other side's tail, so in steady state producers and consumers do not
 * write lines the other polls; element size is stored and checked; bad
 * arguments get errno and one log line, never silent corruption.
 *
 * Thread safety of the control path: create, free, lookup and dump may be
 * called from any thread (the memzone list is locked); free and reset must
 * not race with users of the ring.
 */

#include <stdio.h>

#include "keel_malloc.h" /* KEEL_SOCKET_ID_ANY */
#include "keel_ring_elem.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @return the slot count a ring of capacity @p count gets with
 *         KEEL_RING_F_EXACT_SZ (the next power of two above count), or 0 if
 *         it would exceed KEEL_RING_SZ_MASK.
 */
unsigned int keel_ring_size_of(unsigned int count);

/**
 * Bytes needed by a pointer ring of @p count slots (a power of two); see
 * keel_ring_get_memsize_elem(). @return the size or -EINVAL.
 */
ssize_t keel_ring_get_memsize(unsigned int count);

/**
 * Set up a pointer ring in caller-owned memory of keel_ring_get_memsize()
 * bytes, aligned to KEEL_RING_CACHE_LINE. @return 0 or a negative errno;
 * see keel_ring_init_elem().
 */
int keel_ring_init(struct keel_ring *r, const char *name, unsigned int count,
		   unsigned int flags);

/**
 * Create a ring of pointers; see keel_ring_create_elem() (esize =
 * sizeof(void *)). @return the ring, or NULL with errno set.
 */
struct keel_ring *keel_ring_create(const char *name, unsigned int count,
				   int socket_id, unsigned int flags);

/**
 * Free a ring made by keel_ring_create*() and its memzone. NULL is a no-op.
 * @return 0, or -EINVAL (errno set, one log line) for a ring that was not
 *         created by keel_ring_create*() (e.g. made by keel_ring_init()).
 */
int keel_ring_free(struct keel_ring *r);

/**
 * Find a ring by name. @return it, or NULL with errno ENOENT (none),
 * EINVAL (NULL name) or ENAMETOOLONG.
 */
struct keel_ring *keel_ring_lookup(const char *name);

/**
 * Empty the ring and set heads and tails to 0. Not thread-safe: nobody may
 * use the ring meanwhile.
 */
void keel_ring_reset(struct keel_ring *r);

/** Print a ring's parameters, positions and (debug builds) counters. */
void keel_ring_dump(FILE *f, const struct keel_ring *r);

/** keel_ring_dump() every ring created with keel_ring_create*(). */
void keel_ring_list_dump(FILE *f);

/**
 * Sum of the per-lcore counters into @p out (KEEL_RING_DEBUG builds).
 * @return 0, or -ENOTSUP when the ring keeps no counters (release build),
 *         -EINVAL for NULL arguments.
 */
int keel_ring_stats_get(const struct keel_ring *r,
			struct keel_ring_stats *out);

/** Zero the counters (not atomic with respect to running users). */
void keel_ring_stats_reset(struct keel_ring *r);

/** @return objects in the ring (a snapshot). */
__keel_ring_inline unsigned int
keel_ring_count(const struct keel_ring *r)
{
	/* two relaxed loads: a snapshot that may be stale, never torn
	 * beyond the capacity */
	uint32_t prod = (uint32_t)__atomic_load_n(&r->prod.tail,
						  __ATOMIC_RELAXED);
	uint32_t cons = (uint32_t)__atomic_load_n(&r->cons.tail,
						  __ATOMIC_RELAXED);
	uint32_t count = (prod - cons) & r->mask;

	return count > r->capacity ? r->capacity : count;
}

/** @return free room in the ring (a snapshot). */
__keel_ring_inline unsigned int
keel_ring_free_count(const struct keel_ring *r)
{
	return r->capacity - keel_ring_count(r);
}

/** @return 1 if the ring is full. */
__keel_ring_inline int
keel_ring_full(const struct keel_ring *r)
{
	return keel_ring_free_count(r) == 0;
}

/** @return 1 if the ring is empty. */
__keel_ring_inline int
keel_ring_empty(const struct keel_ring *r)
{
	uint32_t prod = (uint32_t)__atomic_load_n(&r->prod.tail,
						  __ATOMIC_RELAXED);
	uint32_t cons = (uint32_t)__atomic_load_n(&r->cons.tail,
						  __ATOMIC_RELAXED);

	return prod == cons;
}

/** @return slots in the ring (a power of two). */
__keel_ring_inline unsigned int
keel_ring_get_size(const struct keel_ring *r)
{
	return r->size;
}

/** @return objects the ring can hold. */
__keel_ring_inline unsigned int
keel_ring_get_capacity(const struct keel_ring *r)
{
	return r->capacity;
}

/** @return bytes per element (sizeof(void *) for pointer rings). Keel
 *  extension. */
__keel_ring_inline unsigned int
keel_ring_get_esize(const struct keel_ring *r)
{
	return r->esize;
}

/** @return the producers' default sync mode. */
__keel_ring_inline enum keel_ring_sync_type
keel_ring_get_prod_sync_type(const struct keel_ring *r)
{
	return (enum keel_ring_sync_type)r->prod.sync_type;
}

/** @return 1 if the default enqueue is single-producer. */
__keel_ring_inline int
keel_ring_is_prod_single(const struct keel_ring *r)
{
	return r->prod.sync_type == KEEL_RING_SYNC_ST;
}

/** @return the consumers' default sync mode. */
__keel_ring_inline enum keel_ring_sync_type
keel_ring_get_cons_sync_type(const struct keel_ring *r)
{
	return (enum keel_ring_sync_type)r->cons.sync_type;
}

/** @return 1 if the default dequeue is single-consumer. */
__keel_ring_inline int
keel_ring_is_cons_single(const struct keel_ring *r)
{
	return r->cons.sync_type == KEEL_RING_SYNC_ST;
}

/**
 * @name Enqueue of pointers
 * keel_ring_[mp_|sp_]enqueue_{bulk,burst}(r, obj_table, n, free_space):
 * enqueue the n pointers of obj_table. Bulk: n or 0; burst: 0..n;
 * *free_space (if not NULL): room left.
 * @{
 */
/**
 * Enqueue exactly @p n pointers from @p obj_table, or none; multi-producer.
 * @return n or 0.
 */
__keel_ring_inline unsigned int
keel_ring_mp_enqueue_bulk(struct keel_ring *r, void * const *obj_table,
			  unsigned int n, unsigned int *free_space)
{
	return keel_ring_mp_enqueue_bulk_elem(r, obj_table, sizeof(void *), n,
					      free_space);
}

/**
 * Enqueue exactly @p n pointers from @p obj_table, or none; single-producer
 * (no other producer runs meanwhile). @return n or 0.
 */
__keel_ring_inline unsigned int
keel_ring_sp_enqueue_bulk(struct keel_ring *r, void * const *obj_table,
			  unsigned int n, unsigned int *free_space)
{
	return keel_ring_sp_enqueue_bulk_elem(r, obj_table, sizeof(void *), n,
					      free_space);
}

/**
 * Enqueue exactly @p n pointers from @p obj_table, or none; in the ring's
 * default mode. @return n or 0.
 */
__keel_ring_inline unsigned int
keel_ring_enqueue_bulk(struct keel_ring *r, void * const *obj_table,
		       unsigned int n, unsigned int *free_space)
{
	return keel_ring_enqueue_bulk_elem(r, obj_table, sizeof(void *), n,
					   free_space);
}

/**
 * Enqueue up to @p n pointers from @p obj_table, as many as fit;
 * multi-producer. @return the number moved.
 */
__keel_ring_inline unsigned int
keel_ring_mp_enqueue_burst(struct keel_ring *r, void * const *obj_table,
			   unsigned int n, unsigned int *free_space)
{
	return keel_ring_mp_enqueue_burst_elem(r, obj_table, sizeof(void *), n,
					       free_space);
}

/**
 * Enqueue up to @p n pointers from @p obj_table, as many as fit;
 * single-producer (no other producer runs meanwhile). @return the number
 * moved.
 */
__keel_ring_inline unsigned int
keel_ring_sp_enqueue_burst(struct keel_ring *r, void * const *obj_table,
			   unsigned int n, unsigned int *free_space)
{
	return keel_ring_sp_enqueue_burst_elem(r, obj_table, sizeof(void *), n,
					       free_space);
}

/**
 * Enqueue up to @p n pointers from @p obj_table, as many as fit; in the
 * ring's default mode. @return the number moved.
 */
__keel_ring_inline unsigned int
keel_ring_enqueue_burst(struct keel_ring *r, void * const *obj_table,
			unsigned int n, unsigned int *free_space)
{
	return keel_ring_enqueue_burst_elem(r, obj_table, sizeof(void *), n,
					    free_space);
}
/** @} */

/**
 * @name Dequeue of pointers
 * keel_ring_[mc_|sc_]dequeue_{bulk,burst}(r, obj_table, n, available):
 * dequeue up to n pointers into obj_table.
 * @{
 */
/**
 * Dequeue exactly @p n pointers into @p obj_table, or none; multi-consumer.
 * @return n or 0.
 */
__keel_ring_inline unsigned int
keel_ring_mc_dequeue_bulk(struct keel_ring *r, void **obj_table,
			  unsigned int n, unsigned int *available)
{
	return keel_ring_mc_dequeue_bulk_elem(r, obj_table, sizeof(void *), n,
					      available);
}

/**
 * Dequeue exactly @p n pointers into @p obj_table, or none; single-consumer
 * (no other consumer runs meanwhile). @return n or 0.
 */
__keel_ring_inline unsigned int
keel_ring_sc_dequeue_bulk(struct keel_ring *r, void **obj_table,
			  unsigned int n, unsigned int *available)
{
	return keel_ring_sc_dequeue_bulk_elem(r, obj_table, sizeof(void *), n,
					      available);
}

/**
 * Dequeue exactly @p n pointers into @p obj_table, or none; in the ring's
 * default mode. @return n or 0.
 */
__keel_ring_inline unsigned int
keel_ring_dequeue_bulk(struct keel_ring *r, void **obj_table, unsigned int n,
		       unsigned int *available)
{
	return keel_ring_dequeue_bulk_elem(r, obj_table, sizeof(void *), n,
					   available);
}

/**
 * Dequeue up to @p n pointers into @p obj_table, as many as there are;
 * multi-consumer. @return the number moved.
 */
__keel_ring_inline unsigned int
keel_ring_mc_dequeue_burst(struct keel_ring *r, void **obj_table,
			   unsigned int n, unsigned int *available)
{
	return keel_ring_mc_dequeue_burst_elem(r, obj_table, sizeof(void *), n,
					       available);
}

/**
 * Dequeue up to @p n pointers into @p obj_table, as many as there are;
 * single-consumer (no other consumer runs meanwhile). @return the number
 * moved.
 */
__keel_ring_inline unsigned int
keel_ring_sc_dequeue_burst(struct keel_ring *r, void **obj_table,
			   unsigned int n, unsigned int *available)
{
	return keel_ring_sc_dequeue_burst_elem(r, obj_table, sizeof(void *), n,
					       available);
}

/**
 * Dequeue up to @p n pointers into @p obj_table, as many as there are; in the
 * ring's default mode. @return the number moved.
 */
__keel_ring_inline unsigned int
keel_ring_dequeue_burst(struct keel_ring *r, void **obj_table, unsigned int n,
			unsigned int *available)
{
	return keel_ring_dequeue_burst_elem(r, obj_table, sizeof(void *), n,
					    available);
}
/** @} */

/**
 * @name One pointer
 * Enqueue @p obj: 0 or -ENOBUFS. Dequeue into *obj_p: 0 or -ENOENT.
 * @{
 */
/** Enqueue one pointer (@p obj); multi-producer. @return 0, or -ENOBUFS. */
__keel_ring_inline int
keel_ring_mp_enqueue(struct keel_ring *r, void *obj)
{
	return keel_ring_mp_enqueue_elem(r, &obj, sizeof(void *));
}

/**
 * Enqueue one pointer (@p obj); single-producer (no other producer runs
 * meanwhile). @return 0, or -ENOBUFS.
 */
__keel_ring_inline int
keel_ring_sp_enqueue(struct keel_ring *r, void *obj)
{
	return keel_ring_sp_enqueue_elem(r, &obj, sizeof(void *));
}

/**
 * Enqueue one pointer (@p obj); in the ring's default mode. @return 0, or
 * -ENOBUFS.
 */
__keel_ring_inline int
keel_ring_enqueue(struct keel_ring *r, void *obj)
{
	return keel_ring_enqueue_elem(r, &obj, sizeof(void *));
}

/**
 * Dequeue one pointer into @p obj_p; multi-consumer. @return 0, or -ENOENT.
 */
__keel_ring_inline int
keel_ring_mc_dequeue(struct keel_ring *r, void **obj_p)
{
	return keel_ring_mc_dequeue_elem(r, obj_p, sizeof(void *));
}

/**
 * Dequeue one pointer into @p obj_p; single-consumer (no other consumer runs
 * meanwhile). @return 0, or -ENOENT.
 */
__keel_ring_inline int
keel_ring_sc_dequeue(struct keel_ring *r, void **obj_p)
{
	return keel_ring_sc_dequeue_elem(r, obj_p, sizeof(void *));
}

/**
 * Dequeue one pointer into @p obj_p; in the ring's default mode. @return 0,
 * or -ENOENT.
 */
__keel_ring_inline int
keel_ring_dequeue(struct keel_ring *r, void **obj_p)
{
	return keel_ring_dequeue_elem(r, obj_p, sizeof(void *));
}
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* KEEL_RING_H */
