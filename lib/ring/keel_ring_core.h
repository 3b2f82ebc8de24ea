/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_RING_CORE_H
#define KEEL_RING_CORE_H

/**
 * @file
 * The ring's data structure, flags and sync modes. Include keel_ring.h, not
 * this file.
 *
 * Layout and invariants. A ring holds `size` slots (a power of two) of
 * `esize` bytes right after struct keel_ring; at most `capacity` (<= size - 1
 * without KEEL_RING_F_EXACT_SZ, the requested count with it) are in use.
 * Positions are free-running 32-bit counters; a slot index is pos & mask.
 * Each side (producer, consumer) has a head and a tail:
 *
 *   cons.tail <= cons.head <= prod.tail <= prod.head <= cons.tail + capacity
 *
 * (modulo 2^32). Slots [tail, head) of a side are being worked on by that
 * side's threads; a side publishes finished work by moving its tail, which
 * is the only thing the other side reads. No lock: the head is claimed with
 * a compare-and-swap (multi-thread modes) or a plain store (single thread),
 * the tail is published with a release store or CAS, and read with acquire.
 *
 * Cache lines: the read-only fields share one line; each side's head word
 * and its tail word sit on lines of their own, so the threads of one side
 * claiming space never write a line the other side is polling, and the
 * other side's tail is only read when the cached copy in the head word says
 * there is not enough room (see keel_ring_mt_pvt.h).
 */

#include <stdint.h>

#include "keel_memzone.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Cache line size the ring's layout is built for (bytes). */
#define KEEL_RING_CACHE_LINE 64
/**
 * Distance between fields written by different sides: two lines, because
 * x86 cores prefetch the other line of a 128-byte pair; fields 128 bytes
 * apart never share a pair, whatever the ring's 64-byte alignment.
 */
#define KEEL_RING_GUARD (2 * KEEL_RING_CACHE_LINE)

/** Prefix of the memzone holding a ring created with keel_ring_create(). */
#define KEEL_RING_MZ_PREFIX "RG_"
/** Longest ring name, NUL included. */
#define KEEL_RING_NAMESIZE (KEEL_MEMZONE_NAMESIZE - \
			    (int)sizeof(KEEL_RING_MZ_PREFIX) + 1)
/** Largest ring size (count); positions are 32-bit, sizes a power of two. */
#define KEEL_RING_SZ_MASK 0x7fffffffu

/** Flag: the default enqueue is single-producer. */
#define KEEL_RING_F_SP_ENQ     0x0001
/** Flag: the default dequeue is single-consumer. */
#define KEEL_RING_F_SC_DEQ     0x0002
/**
 * Flag: the ring holds exactly `count` objects; its size is the next power
 * of two above count (so it may take up to twice the memory).
 */
#define KEEL_RING_F_EXACT_SZ   0x0004
/** Flag: the default enqueue is multi-producer RTS (relaxed tail sync). */
#define KEEL_RING_F_MP_RTS_ENQ 0x0008
/** Flag: the default dequeue is multi-consumer RTS (relaxed tail sync). */
#define KEEL_RING_F_MC_RTS_DEQ 0x0010
/** Flag: the default enqueue is multi-producer HTS (head/tail sync). */
#define KEEL_RING_F_MP_HTS_ENQ 0x0020
/** Flag: the default dequeue is multi-consumer HTS (head/tail sync). */
#define KEEL_RING_F_MC_HTS_DEQ 0x0040
/** Every flag keel_ring_create() accepts. */
#define KEEL_RING_F_MASK       0x007f

/**
 * How the threads of one side (producers or consumers) share it.
 * See keel_ring.h ("Sync modes") for which to choose.
 */
enum keel_ring_sync_type {
	/** Multi-thread: any number of threads, claimed by CAS, published in
	 *  order (a thread waits for the ones that claimed before it). */
	KEEL_RING_SYNC_MT = 0,
	/** Single thread: one thread at a time (the caller guarantees it). */
	KEEL_RING_SYNC_ST = 1,
	/** Multi-thread, relaxed tail sync: the last thread to finish
	 *  publishes for all, nobody waits for a slower thread. Keeps its
	 *  throughput when threads are preempted. */
	KEEL_RING_SYNC_MT_RTS = 2,
	/** Multi-thread, head/tail sync: one operation at a time (the others
	 *  wait); needed by the peek and zero-copy APIs with several threads. */
	KEEL_RING_SYNC_MT_HTS = 3,
};

/** Bulk (all or nothing) or burst (as many as possible). */
enum keel_ring_queue_behavior {
	KEEL_RING_QUEUE_FIXED = 0,    /**< exactly n objects, or none */
	KEEL_RING_QUEUE_VARIABLE = 1, /**< up to n objects */
};

/**
 * One side of the ring. @c head is claimed by this side's threads only;
 * @c tail is written by them and read by the other side, so they live on
 * different cache lines.
 *
 * The head word's 64 bits mean, by mode:
 *  - ST, MT:  pos (low 32) | a cached copy of the other side's tail (high
 *             32). The pair is written atomically, so pos - cache never
 *             exceeds the capacity: the cache is a safe bound on the room
 *             left, refreshed only when it says there is not enough.
 *  - MT_RTS:  pos (low 32) | count of operations started (high 32)
 *  - MT_HTS:  pos (low 32) | this side's tail when the operation started
 *             (high 32); head == tail means no operation in progress.
 * The tail word: pos (low 32) | MT_RTS: operations finished (high 32).
 * The other side only ever reads the tail's low 32 bits.
 */
struct keel_ring_headtail {
	uint64_t head;                      /**< see above */
	uint32_t sync_type;                 /**< enum keel_ring_sync_type */
	uint32_t htd_max;                   /**< MT_RTS: max head - tail */
	uint32_t call_key;                  /**< esize << 2 | call family:
					     *   what a call must match */
	char pad0[KEEL_RING_GUARD - 20];    /**< keeps head and tail apart */
	uint64_t tail;                      /**< see above */
	char pad1[KEEL_RING_GUARD - 8];     /**< keeps tail apart from the next */
} __attribute__((aligned(KEEL_RING_CACHE_LINE)));

/**
 * Per-lcore counters kept when Keel is built with KEEL_RING_DEBUG (the
 * debug buildtype). Read them with keel_ring_stats_get().
 */
struct keel_ring_stats {
	uint64_t enq_ok_calls;   /**< enqueues that moved >= 1 object */
	uint64_t enq_ok_objs;    /**< objects enqueued */
	uint64_t enq_fail_calls; /**< enqueues that moved nothing */
	uint64_t deq_ok_calls;   /**< dequeues that moved >= 1 object */
	uint64_t deq_ok_objs;    /**< objects dequeued */
	uint64_t deq_fail_calls; /**< dequeues that moved nothing */
	uint64_t pad[2];         /**< to a cache line */
};

/** Magic number in every initialised ring ("KEELRING" is too long). */
#define KEEL_RING_MAGIC 0x6b52494eu /* "kRIN" */

/**
 * A ring. Allocate it with keel_ring_create() / keel_ring_create_elem(), or
 * embed it in memory of keel_ring_get_memsize() bytes (cache-line aligned)
 * and set it up with keel_ring_init(). Fields are read-only for users; use
 * the accessor functions.
 */
struct keel_ring {
	/* read-only after init: shared by every thread without traffic */
	uint32_t size;                      /**< slots, a power of two */
	uint32_t mask;                      /**< size - 1 */
	uint32_t capacity;                  /**< usable slots */
	uint32_t esize;                     /**< bytes per element */
	struct keel_ring_stats *stats;      /**< per-lcore counters or NULL */
	uint32_t magic;                     /**< KEEL_RING_MAGIC */
	int flags;                          /**< flags given at creation */
	const struct keel_memzone *memzone; /**< NULL if not created */
	char name[KEEL_RING_NAMESIZE];      /**< name (unique if created) */
	/** keeps the read-only part apart from prod */
	char pad0[KEEL_RING_GUARD - 40 - KEEL_RING_NAMESIZE];
	struct keel_ring_headtail prod;     /**< producers */
	struct keel_ring_headtail cons;     /**< consumers */
	/* size * esize bytes of slots follow, cache-line aligned */
} __attribute__((aligned(KEEL_RING_CACHE_LINE)));

#ifdef __cplusplus
}
#endif
#endif /* KEEL_RING_CORE_H */
