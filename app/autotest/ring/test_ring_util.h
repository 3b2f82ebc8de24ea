/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_TEST_RING_UTIL_H
#define KEEL_TEST_RING_UTIL_H

/*
 * Helpers shared by the ring tests (test_ring_util.c): one entry point per
 * operation that dispatches to the API variant of a sync mode, element
 * contents derived from a value, and ring set-up in a memzone or in
 * caller-owned memory.
 */

#include "keel_ring.h"

/* Fill / check esize bytes derived from v (every 4-byte word differs). */
void ring_elem_fill(void *e, unsigned int esize, uint32_t v);
int ring_elem_check(const void *e, unsigned int esize, uint32_t v);

/* Creation flags for default modes prod/cons (enum keel_ring_sync_type). */
unsigned int ring_mode_flags(unsigned int prod, unsigned int cons);

/* Name of a sync mode, for messages. */
const char *ring_mode_name(int mode);

/*
 * Enqueue/dequeue n elements in mode `mode` (-1: the default call; else
 * the sp/mp/rts/hts variant), bulk or burst. Pointer rings (esize 8) go
 * through the pointer API for odd n, the element API for even n.
 */
unsigned int ring_enq(struct keel_ring *r, int mode, int bulk,
		      const void *objs, unsigned int esize, unsigned int n,
		      unsigned int *free_space);
unsigned int ring_deq(struct keel_ring *r, int mode, int bulk, void *objs,
		      unsigned int esize, unsigned int n,
		      unsigned int *available);

/* The single-object calls: 0, -ENOBUFS or -ENOENT. */
int ring_enq_one(struct keel_ring *r, int mode, const void *obj,
		 unsigned int esize);
int ring_deq_one(struct keel_ring *r, int mode, void *obj,
		 unsigned int esize);

/*
 * A ring made by keel_ring_create_elem (embedded = 0) or by
 * keel_ring_init_elem in aligned_alloc() memory (embedded = 1).
 */
struct keel_ring *ring_make(const char *name, unsigned int esize,
			    unsigned int count, unsigned int flags,
			    int embedded);
void ring_unmake(struct keel_ring *r, int embedded);

/* Put an empty, unused ring's heads and tails at position pos. */
void ring_set_pos(struct keel_ring *r, uint32_t pos);

#endif
