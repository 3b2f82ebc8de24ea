/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the ring tests; see test_ring_util.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "test_ring_util.h"

void
ring_elem_fill(void *e, unsigned int esize, uint32_t v)
{
	unsigned int i;

	for (i = 0; i < esize / 4; i++) {
		uint32_t w = v * 0x9e3779b1u + i;

		memcpy((char *)e + 4 * i, &w, 4);
	}
}

int
ring_elem_check(const void *e, unsigned int esize, uint32_t v)
{
	unsigned int i;

	for (i = 0; i < esize / 4; i++) {
		uint32_t w;

		memcpy(&w, (const char *)e + 4 * i, 4);
		if (w != v * 0x9e3779b1u + i)
			return 0;
	}
	return 1;
}

unsigned int
ring_mode_flags(unsigned int prod, unsigned int cons)
{
	static const unsigned int pf[] = {
		0, KEEL_RING_F_SP_ENQ, KEEL_RING_F_MP_RTS_ENQ,
		KEEL_RING_F_MP_HTS_ENQ,
	};
	static const unsigned int cf[] = {
		0, KEEL_RING_F_SC_DEQ, KEEL_RING_F_MC_RTS_DEQ,
		KEEL_RING_F_MC_HTS_DEQ,
	};

	return pf[prod & 3] | cf[cons & 3];
}

const char *
ring_mode_name(int mode)
{
	static const char *const names[] = { "MP/MC", "SP/SC", "RTS", "HTS" };

	return mode >= 0 && mode < 4 ? names[mode] : "default";
}

unsigned int
ring_enq(struct keel_ring *r, int mode, int bulk, const void *objs,
	 unsigned int esize, unsigned int n, unsigned int *fs)
{
	void * const *p = objs;

	if (esize == sizeof(void *) && n % 2) {
		switch (mode) {
		case KEEL_RING_SYNC_MT:
			return bulk ? keel_ring_mp_enqueue_bulk(r, p, n, fs) :
			       keel_ring_mp_enqueue_burst(r, p, n, fs);
		case KEEL_RING_SYNC_ST:
			return bulk ? keel_ring_sp_enqueue_bulk(r, p, n, fs) :
			       keel_ring_sp_enqueue_burst(r, p, n, fs);
		case KEEL_RING_SYNC_MT_RTS:
			return bulk ? keel_ring_mp_rts_enqueue_bulk(r, p, n, fs) :
			       keel_ring_mp_rts_enqueue_burst(r, p, n, fs);
		case KEEL_RING_SYNC_MT_HTS:
			return bulk ? keel_ring_mp_hts_enqueue_bulk(r, p, n, fs) :
			       keel_ring_mp_hts_enqueue_burst(r, p, n, fs);
		default:
			return bulk ? keel_ring_enqueue_bulk(r, p, n, fs) :
			       keel_ring_enqueue_burst(r, p, n, fs);
		}
	}
	switch (mode) {
	case KEEL_RING_SYNC_MT:
		return bulk ?
		       keel_ring_mp_enqueue_bulk_elem(r, objs, esize, n, fs) :
		       keel_ring_mp_enqueue_burst_elem(r, objs, esize, n, fs);
	case KEEL_RING_SYNC_ST:
		return bulk ?
		       keel_ring_sp_enqueue_bulk_elem(r, objs, esize, n, fs) :
		       keel_ring_sp_enqueue_burst_elem(r, objs, esize, n, fs);
	case KEEL_RING_SYNC_MT_RTS:
		return bulk ?
		       keel_ring_mp_rts_enqueue_bulk_elem(r, objs, esize, n, fs) :
		       keel_ring_mp_rts_enqueue_burst_elem(r, objs, esize, n, fs);
	case KEEL_RING_SYNC_MT_HTS:
		return bulk ?
		       keel_ring_mp_hts_enqueue_bulk_elem(r, objs, esize, n, fs) :
		       keel_ring_mp_hts_enqueue_burst_elem(r, objs, esize, n, fs);
	default:
		return bulk ?
		       keel_ring_enqueue_bulk_elem(r, objs, esize, n, fs) :
		       keel_ring_enqueue_burst_elem(r, objs, esize, n, fs);
	}
}

unsigned int
ring_deq(struct keel_ring *r, int mode, int bulk, void *objs,
	 unsigned int esize, unsigned int n, unsigned int *av)
{
	void **p = objs;

	if (esize == sizeof(void *) && n % 2) {
		switch (mode) {
		case KEEL_RING_SYNC_MT:
			return bulk ? keel_ring_mc_dequeue_bulk(r, p, n, av) :
			       keel_ring_mc_dequeue_burst(r, p, n, av);
		case KEEL_RING_SYNC_ST:
			return bulk ? keel_ring_sc_dequeue_bulk(r, p, n, av) :
			       keel_ring_sc_dequeue_burst(r, p, n, av);
		case KEEL_RING_SYNC_MT_RTS:
			return bulk ? keel_ring_mc_rts_dequeue_bulk(r, p, n, av) :
			       keel_ring_mc_rts_dequeue_burst(r, p, n, av);
		case KEEL_RING_SYNC_MT_HTS:
			return bulk ? keel_ring_mc_hts_dequeue_bulk(r, p, n, av) :
			       keel_ring_mc_hts_dequeue_burst(r, p, n, av);
		default:
			return bulk ? keel_ring_dequeue_bulk(r, p, n, av) :
			       keel_ring_dequeue_burst(r, p, n, av);
		}
	}
	switch (mode) {
	case KEEL_RING_SYNC_MT:
		return bulk ?
		       keel_ring_mc_dequeue_bulk_elem(r, objs, esize, n, av) :
		       keel_ring_mc_dequeue_burst_elem(r, objs, esize, n, av);
	case KEEL_RING_SYNC_ST:
		return bulk ?
		       keel_ring_sc_dequeue_bulk_elem(r, objs, esize, n, av) :
		       keel_ring_sc_dequeue_burst_elem(r, objs, esize, n, av);
	case KEEL_RING_SYNC_MT_RTS:
		return bulk ?
		       keel_ring_mc_rts_dequeue_bulk_elem(r, objs, esize, n, av) :
		       keel_ring_mc_rts_dequeue_burst_elem(r, objs, esize, n, av);
	case KEEL_RING_SYNC_MT_HTS:
		return bulk ?
		       keel_ring_mc_hts_dequeue_bulk_elem(r, objs, esize, n, av) :
		       keel_ring_mc_hts_dequeue_burst_elem(r, objs, esize, n, av);
	default:
		return bulk ?
		       keel_ring_dequeue_bulk_elem(r, objs, esize, n, av) :
		       keel_ring_dequeue_burst_elem(r, objs, esize, n, av);
	}
}

int
ring_enq_one(struct keel_ring *r, int mode, const void *obj,
	     unsigned int esize)
{
	void *o = (void *)(uintptr_t)obj;

	if (esize == sizeof(void *) && mode <= KEEL_RING_SYNC_ST) {
		/* the pointer calls take the pointer itself */
		void *p;

		memcpy(&p, obj, sizeof(p));
		return mode == KEEL_RING_SYNC_MT ? keel_ring_mp_enqueue(r, p) :
		       mode == KEEL_RING_SYNC_ST ? keel_ring_sp_enqueue(r, p) :
		       keel_ring_enqueue(r, p);
	}
	switch (mode) {
	case KEEL_RING_SYNC_MT:
		return keel_ring_mp_enqueue_elem(r, o, esize);
	case KEEL_RING_SYNC_ST:
		return keel_ring_sp_enqueue_elem(r, o, esize);
	case -1:
		return keel_ring_enqueue_elem(r, o, esize);
	default: /* RTS and HTS have no single-object calls: use bulk 1 */
		return ring_enq(r, mode, 1, obj, esize, 1, NULL) ?
		       0 : -ENOBUFS;
	}
}

int
ring_deq_one(struct keel_ring *r, int mode, void *obj, unsigned int esize)
{
	if (esize == sizeof(void *) && mode <= KEEL_RING_SYNC_ST)
		return mode == KEEL_RING_SYNC_MT ?
		       keel_ring_mc_dequeue(r, obj) :
		       mode == KEEL_RING_SYNC_ST ?
		       keel_ring_sc_dequeue(r, obj) :
		       keel_ring_dequeue(r, obj);
	switch (mode) {
	case KEEL_RING_SYNC_MT:
		return keel_ring_mc_dequeue_elem(r, obj, esize);
	case KEEL_RING_SYNC_ST:
		return keel_ring_sc_dequeue_elem(r, obj, esize);
	case -1:
		return keel_ring_dequeue_elem(r, obj, esize);
	default:
		return ring_deq(r, mode, 1, obj, esize, 1, NULL) ? 0 : -ENOENT;
	}
}

struct keel_ring *
ring_make(const char *name, unsigned int esize, unsigned int count,
	  unsigned int flags, int embedded)
{
	struct keel_ring *r;
	unsigned int slots;
	ssize_t sz;

	if (!embedded)
		return keel_ring_create_elem(name, esize, count, -1, flags);
	slots = flags & KEEL_RING_F_EXACT_SZ ? keel_ring_size_of(count) : count;
	sz = keel_ring_get_memsize_elem(esize, slots);
	if (sz < 0)
		return NULL;
	r = aligned_alloc(KEEL_RING_CACHE_LINE,
			  ((size_t)sz + KEEL_RING_CACHE_LINE - 1) &
			  ~(size_t)(KEEL_RING_CACHE_LINE - 1));
	if (r == NULL)
		return NULL;
	if (keel_ring_init_elem(r, name, esize, count, flags) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

void
ring_unmake(struct keel_ring *r, int embedded)
{
	if (embedded)
		free(r);
	else
		keel_ring_free(r);
}

void
ring_set_pos(struct keel_ring *r, uint32_t pos)
{
	/* layouts from keel_ring_core.h: RTS heads count operations in the
	 * high half (0 here), the other modes hold a position there (the
	 * cached other tail, or HTS's own tail), equal to pos when empty */
	uint64_t both = ((uint64_t)pos << 32) | pos;

	r->prod.head = r->prod.sync_type == KEEL_RING_SYNC_MT_RTS ? pos : both;
	r->cons.head = r->cons.sync_type == KEEL_RING_SYNC_MT_RTS ? pos : both;
	r->prod.tail = pos;
	r->cons.tail = pos;
}
