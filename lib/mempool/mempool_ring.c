/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ring backends: the pool's free objects in a lib/ring FIFO of pointers,
 * embedded in memory the pool allocates (keel_ring_init()), one ops per
 * sync mode as DPDK names them:
 *   ring_mp_mc, ring_sp_sc, ring_mp_sc, ring_sp_mc  (MT and ST sides)
 *   ring_mt_rts  (relaxed tail sync: no thread waits for a preempted one)
 *   ring_mt_hts  (one operation per side at a time)
 *
 * Invariant: the ring has room for mp->size objects (its slot count is the
 * next power of two above mp->size), so an enqueue fails only when more
 * objects are put than the pool holds. The ring belongs to the pool: made
 * by alloc, released by free; nothing else knows it.
 */
#include "keel_malloc.h"
#include "keel_ring.h"
#include "keel_ring_hts.h"
#include "keel_ring_rts.h"
#include "mempool_internal.h"

static int
ring_alloc_flags(struct keel_mempool *mp, unsigned int flags)
{
	unsigned int slots = 2;
	struct keel_ring *r;
	ssize_t sz;
	int ret;

	while (slots <= mp->size) {
		if (slots > (1u << 30))
			return -EINVAL;
		slots <<= 1;
	}
	sz = keel_ring_get_memsize(slots);
	if (sz < 0)
		return (int)sz;
	r = keel_malloc_socket("mempool_ring", (size_t)sz, KEEL_RING_CACHE_LINE,
			       mp->socket_id);
	if (r == NULL)
		return -ENOMEM;
	ret = keel_ring_init(r, mp->name, slots, flags);
	if (ret < 0) {
		keel_free(r);
		return ret;
	}
	mp->pool_data = r;
	return 0;
}

static void
ring_free(struct keel_mempool *mp)
{
	keel_free(mp->pool_data);
	mp->pool_data = NULL;
}

static unsigned int
ring_get_count(const struct keel_mempool *mp)
{
	return keel_ring_count(mp->pool_data);
}

/* One ops per sync mode: alloc with its flags, enqueue/dequeue with its
 * calls (a direct call, no dispatch on the ring's mode per object). */
#define MP_RING_OPS(name_, flags_, enq_, deq_) \
static int \
name_##_alloc(struct keel_mempool *mp) \
{ \
	return ring_alloc_flags(mp, (flags_)); \
} \
static int \
name_##_enqueue(struct keel_mempool *mp, void * const *objs, unsigned int n) \
{ \
	return enq_(mp->pool_data, objs, n, NULL) == n ? 0 : -ENOBUFS; \
} \
static int \
name_##_dequeue(struct keel_mempool *mp, void **objs, unsigned int n) \
{ \
	return deq_(mp->pool_data, objs, n, NULL) == n ? 0 : -ENOBUFS; \
} \
static const struct keel_mempool_ops name_##_ops = { \
	.name = #name_, \
	.alloc = name_##_alloc, \
	.free = ring_free, \
	.enqueue = name_##_enqueue, \
	.dequeue = name_##_dequeue, \
	.get_count = ring_get_count, \
}; \
KEEL_MEMPOOL_REGISTER_OPS(name_##_ops)

MP_RING_OPS(ring_mp_mc, 0, keel_ring_mp_enqueue_bulk, keel_ring_mc_dequeue_bulk)
MP_RING_OPS(ring_sp_sc, KEEL_RING_F_SP_ENQ | KEEL_RING_F_SC_DEQ,
	    keel_ring_sp_enqueue_bulk, keel_ring_sc_dequeue_bulk)
MP_RING_OPS(ring_mp_sc, KEEL_RING_F_SC_DEQ, keel_ring_mp_enqueue_bulk,
	    keel_ring_sc_dequeue_bulk)
MP_RING_OPS(ring_sp_mc, KEEL_RING_F_SP_ENQ, keel_ring_sp_enqueue_bulk,
	    keel_ring_mc_dequeue_bulk)
MP_RING_OPS(ring_mt_rts, KEEL_RING_F_MP_RTS_ENQ | KEEL_RING_F_MC_RTS_DEQ,
	    keel_ring_mp_rts_enqueue_bulk, keel_ring_mc_rts_dequeue_bulk)
MP_RING_OPS(ring_mt_hts, KEEL_RING_F_MP_HTS_ENQ | KEEL_RING_F_MC_HTS_DEQ,
	    keel_ring_mp_hts_enqueue_bulk, keel_ring_mc_hts_dequeue_bulk)
