/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packed virtqueue, device side (virtio 1.2, 2.8): fetching chains from
 * the descriptor ring, writing used descriptors back in place, event
 * suppression structures.
 *
 * Rules as for the split ring (vhost_split.c): each descriptor is read
 * once (its flags with acquire ordering, then the rest), a chain spans at
 * most `size` descriptors, every one of them must be available in the
 * current wrap (the driver publishes a chain by its head last: a later
 * descriptor that is not available is a lie), an indirect descriptor is
 * alone in its chain, its table holds a whole number of descriptors (at
 * most VHOST_INDIRECT_MAX) without nested indirection; buffers are
 * translated piece by piece and checked for direction and total length.
 * The ring size need not be a power of 2.
 * Locking: the queue's lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vhost_internal.h"

static inline void
pdesc_read(const struct vring_packed_desc *p, struct vring_packed_desc *d)
{
	const volatile uint64_t *w = (const volatile uint64_t *)p;
	uint64_t lo = w[0], hi = w[1];

	d->addr = lo;
	d->len = (uint32_t)hi;
	d->id = (uint16_t)(hi >> 32);
	d->flags = (uint16_t)(hi >> 48);
}

static inline int
is_avail(uint16_t flags, uint8_t wrap)
{
	return !!(flags & VRING_PACKED_DESC_F_AVAIL) == wrap &&
	       !!(flags & VRING_PACKED_DESC_F_USED) != wrap;
}

static int
broken(struct vhost_vq *vq, const char *fmt, uint32_t a, uint32_t b)
{
	char why[128];

	snprintf(why, sizeof(why), fmt, a, b);
	vhost_vq_set_broken(vq, why);
	return VHOST_FETCH_BROKEN;
}

/* walk an indirect table (2.8.19: consecutive entries, no NEXT chaining) */
static int
walk_indirect(struct vhost_walk *w, const struct vring_packed_desc *d)
{
	struct vhost_vq *vq = w->vq;
	const struct vring_packed_desc *t;
	uint32_t i, n = d->len / 16;
	int ret;

	t = vhost_walk_indirect(w, d->addr, d->len, &ret);
	if (t == NULL)
		return ret;     /* WAIT, or OK with the chain marked bad */
	for (i = 0; i < n; i++) {
		struct vring_packed_desc e;

		pdesc_read(&t[i], &e);
		if (e.flags & VRING_DESC_F_INDIRECT)
			return broken(vq, "nested indirect table (entry %u of "
				      "%u)", i, n);
		/* DPDK's virtio PMD (22.11 and since) fills its packed Tx
		 * indirect tables with VRING_DESC_F_WRITE set and leaves it
		 * on the virtio-net header entry: in a chain the device only
		 * reads, the flag is ignored as DPDK's and QEMU's back-ends
		 * do (reading is what the driver meant; the IOTLB still
		 * checks read access). A chain the device writes still may
		 * hold no device-readable entry. */
		if (!w->device_writes)
			e.flags &= (uint16_t)~VRING_DESC_F_WRITE;
		ret = vhost_walk_buffer(w, e.addr, e.len, e.flags);
		if (ret != VHOST_FETCH_OK)
			return ret;
	}
	return VHOST_FETCH_OK;
}

static int __attribute__((noinline))
fetch_walk(struct vhost_vq *vq, int device_writes, struct vhost_chain *c)
{
	const struct vring_packed_desc *ring = vq->desc_packed;
	struct vhost_walk w = { .vq = vq, .c = c,
				 .device_writes = device_writes };
	uint32_t first_piece = vq->npieces, n = 0, slot = vq->last_avail_idx;
	uint8_t wrap = vq->avail_wrap;
	uint16_t flags;
	int ret;

	flags = __atomic_load_n(&ring[slot].flags, __ATOMIC_ACQUIRE);
	if (!is_avail(flags, wrap))
		return VHOST_FETCH_EMPTY;
	c->first = first_piece;
	c->npieces = 0;
	for (;;) {
		struct vring_packed_desc d;

		if (n == vq->size) {
			ret = broken(vq, "chain at %u is longer than the ring "
				     "(%u)", vq->last_avail_idx, vq->size);
			goto undo;
		}
		if (n > 0) {
			flags = __atomic_load_n(&ring[slot].flags,
						__ATOMIC_ACQUIRE);
			if (!is_avail(flags, wrap)) {
				ret = broken(vq, "descriptor %u of a chain "
					     "is not available (flags 0x%x)",
					     slot, flags);
				goto undo;
			}
		}
		pdesc_read(&ring[slot], &d);
		d.flags = flags;       /* the copy we checked */
		n++;
		if (++slot == vq->size) {
			slot = 0;
			wrap ^= 1;
		}
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!vq->indirect || n != 1 ||
			    (d.flags & VRING_DESC_F_NEXT) || d.len == 0 ||
			    d.len % 16 != 0 || d.len / 16 > VHOST_INDIRECT_MAX) {
				ret = broken(vq, "bad indirect descriptor (len "
					     "%u, flags 0x%x)", d.len, d.flags);
				goto undo;
			}
			ret = walk_indirect(&w, &d);
		} else {
			ret = vhost_walk_buffer(&w, d.addr, d.len, d.flags);
		}
		if (ret != VHOST_FETCH_OK)
			goto undo;
		if (!(d.flags & VRING_DESC_F_NEXT)) {
			c->id = d.id;   /* the buffer id is in the last one */
			break;
		}
	}
	c->ndesc = (uint16_t)n;
	vq->last_avail_idx = (uint16_t)slot;
	vq->avail_wrap = wrap;
	if (w.bad) {
		vq->npieces = first_piece;
		c->npieces = 0;
		c->len = 0;
		vq->stats.bad_chains++;
		VHOST_LOG(DEBUG, vq->dev, "vring %u: chain %u unusable: %s",
			  vq->index, c->id, w.why);
		return VHOST_FETCH_BAD;
	}
	c->len = (uint32_t)w.total;
	return VHOST_FETCH_OK;
undo:
	vq->npieces = first_piece;
	c->npieces = 0;
	return ret;
}

/*
 * A hint, never a read the datapath relies on: the buffer of the chain
 * `ahead` slots past `slot`, if it looks available and direct and lies in
 * the region of the last buffer, is prefetched (for writing when the
 * device writes it), so the copies of a burst wait for their misses
 * together instead of one after the other. Its descriptor is read again,
 * properly, when its turn comes; a stale or torn value here only wastes a
 * prefetch, and nothing outside the region is touched.
 */
static inline void
prefetch_ahead(const struct vhost_vq *vq, uint32_t slot, uint8_t wrap,
	       uint32_t ahead, int device_writes)
{
	const volatile struct vring_packed_desc *d;
	uint16_t flags;

	slot += ahead;
	if (slot >= vq->size) {
		slot -= vq->size;
		wrap ^= 1;
	}
	d = &vq->desc_packed[slot];
	flags = d->flags;
	if (!is_avail(flags, wrap) ||
	    (flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT)) == 0)
		vhost_prefetch_buf(vq, d->addr, device_writes);
}

/* the full walk; after the burst's first chain (which the walk takes,
 * as the region of the last buffer is forgotten between bursts), the
 * buffers of the next chains are prefetched */
static int
walk(struct vhost_vq *vq, int device_writes, struct vhost_chain *c)
{
	int r = fetch_walk(vq, device_writes, c);
	uint32_t k;

	if (r == VHOST_FETCH_OK && c->first == 0)
		for (k = 0; k < VHOST_PREFETCH_AHEAD; k++)
			prefetch_ahead(vq, vq->last_avail_idx, vq->avail_wrap,
				       k, device_writes);
	return r;
}

int
vhost_packed_fetch(struct vhost_vq *vq, int device_writes,
		   struct vhost_chain *c)
{
	const struct vring_packed_desc *ring = vq->desc_packed;
	uint32_t slot = vq->last_avail_idx;
	struct vring_packed_desc d;
	uint16_t flags;
	uint64_t off;

	flags = __atomic_load_n(&ring[slot].flags, __ATOMIC_ACQUIRE);
	if (!is_avail(flags, vq->avail_wrap))
		return VHOST_FETCH_EMPTY;
	/* the usual case: one direct descriptor, its buffer wholly in the
	 * region of the last one, the right direction; anything else takes
	 * the full walk (which reads it again) */
	if ((flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT)) != 0 ||
	    !!(flags & VRING_DESC_F_WRITE) != device_writes ||
	    vq->npieces >= VHOST_BURST_PIECES)
		return walk(vq, device_writes, c);
	pdesc_read(&ring[slot], &d);
	off = d.addr - vq->xc_gpa;
	if (d.len == 0 || off >= vq->xc_size || d.len > vq->xc_size - off)
		return walk(vq, device_writes, c);
	vhost_chain_one(vq, c, d.id, off, d.len);
	prefetch_ahead(vq, slot, vq->avail_wrap, VHOST_PREFETCH_AHEAD,
		       device_writes);
	if (++slot == vq->size) {
		slot = 0;
		vq->avail_wrap ^= 1;
	}
	vq->last_avail_idx = (uint16_t)slot;
	return VHOST_FETCH_OK;
}

void
vhost_packed_unfetch(struct vhost_vq *vq, const struct vhost_chain *c)
{
	if (vq->last_avail_idx < c->ndesc) {
		vq->last_avail_idx = (uint16_t)(vq->last_avail_idx + vq->size -
						c->ndesc);
		vq->avail_wrap ^= 1;
	} else {
		vq->last_avail_idx = (uint16_t)(vq->last_avail_idx - c->ndesc);
	}
}

void
vhost_packed_used(struct vhost_vq *vq, uint16_t id, uint16_t ndesc,
		  uint32_t len, int write)
{
	struct vring_packed_desc *d = &vq->desc_packed[vq->last_used_idx];
	uint16_t flags = vq->used_wrap ?
		(VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED) : 0;

	if (write && len > 0)
		flags |= VRING_DESC_F_WRITE;
	d->id = id;
	d->len = len;
	if (!vq->used_head_pending) {
		/* the first of a group: its flags go last, in the flush,
		 * so the driver (which reads used descriptors in order)
		 * takes a line of them at once instead of chasing our
		 * stores within it */
		vq->used_head_pending = 1;
		vq->used_head_slot = vq->last_used_idx;
		vq->used_head_flags = flags;
	} else {
		/* id and len before the flags that hand the slot back (2.8.6) */
		__atomic_store_n(&d->flags, flags, __ATOMIC_RELEASE);
		if (vhost_has_feature(vq->dev, VHOST_F_LOG_ALL))
			vhost_vq_log_host_write(vq, d, sizeof(*d));
	}
	vq->last_used_idx = (uint16_t)(vq->last_used_idx + ndesc);
	if (vq->last_used_idx >= vq->size) {
		vq->last_used_idx = (uint16_t)(vq->last_used_idx - vq->size);
		vq->used_wrap ^= 1;
	}
	/* a group ends at each line boundary (4 descriptors of 16 bytes):
	 * the driver starts on the first packets of a burst while we write
	 * the rest (with a burst or two in flight, the rate is latency) */
	if (vq->last_used_idx % VHOST_PDESC_PER_LINE == 0)
		vhost_packed_used_flush(vq);
}

void
vhost_packed_used_flush(struct vhost_vq *vq)
{
	struct vring_packed_desc *d;

	if (!vq->used_head_pending)
		return;
	d = &vq->desc_packed[vq->used_head_slot];
	/* everything of the batch before the head's flags */
	__atomic_store_n(&d->flags, vq->used_head_flags, __ATOMIC_RELEASE);
	if (vhost_has_feature(vq->dev, VHOST_F_LOG_ALL))
		vhost_vq_log_host_write(vq, d, sizeof(*d));
	vq->used_head_pending = 0;
}

uint16_t
vhost_packed_avail_count(struct vhost_vq *vq)
{
	uint32_t n = 0, slot = vq->last_avail_idx;
	uint8_t wrap = vq->avail_wrap;

	while (n < vq->size &&
	       is_avail(__atomic_load_n(&vq->desc_packed[slot].flags,
					__ATOMIC_ACQUIRE), wrap)) {
		n++;
		if (++slot == vq->size) {
			slot = 0;
			wrap ^= 1;
		}
	}
	return (uint16_t)n;
}

void
vhost_packed_set_kicks(struct vhost_vq *vq, int enable)
{
	__atomic_store_n(&vq->device_event->flags,
			 enable ? VRING_PACKED_EVENT_F_ENABLE :
				  VRING_PACKED_EVENT_F_DISABLE,
			 __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

int
vhost_packed_need_notify(struct vhost_vq *vq)
{
	uint16_t old = vq->signalled_used, new_idx = vq->last_used_idx;
	uint16_t ev_flags, off_wrap, off;
	int valid = vq->signalled_valid;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->signalled_used = new_idx;
	vq->signalled_valid = 1;
	ev_flags = *(const volatile uint16_t *)&vq->driver_event->flags;
	if (ev_flags != VRING_PACKED_EVENT_F_DESC || !vq->event_idx)
		return ev_flags != VRING_PACKED_EVENT_F_DISABLE;
	if (!valid)
		return 1;
	/* 2.8.10: the driver asks for an event when the device's used index
	 * passes off_wrap; indexes compared across the wrap as in 2.7.10 */
	off_wrap = *(const volatile uint16_t *)&vq->driver_event->off_wrap;
	off = off_wrap & 0x7fff;
	if (new_idx <= old)
		old = (uint16_t)(old - vq->size);
	if ((off_wrap >> VRING_PACKED_EVENT_WRAP) != vq->used_wrap)
		off = (uint16_t)(off - vq->size);
	return vring_need_event(off, new_idx, old);
}
