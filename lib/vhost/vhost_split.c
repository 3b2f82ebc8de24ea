/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Split virtqueue, device side (virtio 1.2, 2.7): fetching descriptor
 * chains from the available ring into pieces of guest memory, returning
 * them through the used ring, notification suppression.
 *
 * The guest writes this memory concurrently and may be hostile. Rules:
 *  - every index, descriptor and the available index are read once into
 *    local copies (volatile loads), and only the copies are used;
 *  - the available index may run at most `size` ahead of ours, each head
 *    must be < size, each `next` < the table's size, and a walk visits at
 *    most `size` descriptors (or the indirect table's entries): a loop or
 *    a lie breaks the queue instead of spinning or running off a table;
 *  - indirect tables only when negotiated, never nested, a whole number of
 *    descriptors, at most VHOST_INDIRECT_MAX; one that is not contiguous
 *    in our address space is copied before it is walked;
 *  - every buffer is translated piece by piece with overflow-safe bounds;
 *    lengths may not sum past 2^32; buffers must all be device-writable
 *    (receive) or all device-readable (transmit).
 * Structural lies (indexes, loops, nesting) break the queue
 * (VHOST_FETCH_BROKEN). A chain whose buffers are unusable is consumed and
 * returned with length 0 (VHOST_FETCH_BAD). A missing IOTLB entry leaves
 * the chain in the ring (VHOST_FETCH_WAIT).
 * Locking: the queue's lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vhost_internal.h"

static inline uint16_t
read16(const uint16_t *p)
{
	return *(const volatile uint16_t *)p;
}

static inline void
desc_read(const struct vring_desc *p, struct vring_desc *d)
{
	const volatile uint64_t *w = (const volatile uint64_t *)p;
	uint64_t lo = w[0], hi = w[1];

	d->addr = lo;
	d->len = (uint32_t)hi;
	d->flags = (uint16_t)(hi >> 32);
	d->next = (uint16_t)(hi >> 48);
}

/* the used ring's trailing avail_event / the avail ring's used_event */
static inline uint16_t *
avail_event(struct vhost_vq *vq)
{
	return (uint16_t *)&vq->used->ring[vq->size];
}

static inline const uint16_t *
used_event(const struct vhost_vq *vq)
{
	return &vq->avail->ring[vq->size];
}

static int
broken(struct vhost_vq *vq, const char *fmt, uint32_t a, uint32_t b)
{
	char why[128];

	snprintf(why, sizeof(why), fmt, a, b);
	vhost_vq_set_broken(vq, why);
	return VHOST_FETCH_BROKEN;
}

static int __attribute__((noinline))
fetch_walk(struct vhost_vq *vq, int device_writes, struct vhost_chain *c)
{
	const struct vring_desc *table = vq->desc;
	uint32_t tsize = vq->size, budget = vq->size, idx;
	uint32_t first_piece = vq->npieces;
	struct vhost_walk w = { .vq = vq, .c = c,
				 .device_writes = device_writes };
	uint16_t avail_idx, head, navail;
	int in_indirect = 0, ret;

	avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	navail = (uint16_t)(avail_idx - vq->last_avail_idx);
	if (navail == 0)
		return VHOST_FETCH_EMPTY;
	if (navail > vq->size)
		return broken(vq, "available index runs %u ahead, ring size %u",
			      navail, vq->size);
	head = read16(&vq->avail->ring[vq->last_avail_idx & (vq->size - 1)]);
	if (head >= vq->size)
		return broken(vq, "head %u out of range (size %u)", head,
			      vq->size);
	c->id = head;
	c->ndesc = 1;
	c->first = first_piece;
	c->npieces = 0;
	idx = head;
	for (;;) {
		struct vring_desc d;

		if (budget-- == 0) {
			vq->npieces = first_piece;
			return broken(vq, "chain from head %u is longer than %u "
				      "descriptors (a loop)", head,
				      in_indirect ? tsize : vq->size);
		}
		desc_read(&table[idx], &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			const struct vring_desc *t;

			if (in_indirect || !vq->indirect ||
			    (d.flags & VRING_DESC_F_NEXT) || d.len == 0 ||
			    d.len % 16 != 0 || d.len / 16 > VHOST_INDIRECT_MAX) {
				vq->npieces = first_piece;
				return broken(vq, "bad indirect descriptor (len "
					      "%u, flags 0x%x)", d.len, d.flags);
			}
			t = vhost_walk_indirect(&w, d.addr, d.len, &ret);
			if (t == NULL) {
				if (ret != VHOST_FETCH_OK) {
					vq->npieces = first_piece;
					return ret;
				}
				break;   /* unusable table: bad chain */
			}
			table = t;
			tsize = budget = d.len / 16;
			idx = 0;
			in_indirect = 1;
			continue;
		}
		ret = vhost_walk_buffer(&w, d.addr, d.len, d.flags);
		if (ret != VHOST_FETCH_OK) {
			vq->npieces = first_piece;
			c->npieces = 0;
			return ret;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		idx = d.next;
		if (idx >= tsize) {
			vq->npieces = first_piece;
			return broken(vq, "next %u out of range (table of %u)",
				      idx, tsize);
		}
	}
	vq->last_avail_idx++;
	if (w.bad) {
		vq->npieces = first_piece;
		c->npieces = 0;
		c->len = 0;
		vq->stats.bad_chains++;
		VHOST_LOG(DEBUG, vq->dev, "vring %u: chain %u unusable: %s",
			  vq->index, head, w.why);
		return VHOST_FETCH_BAD;
	}
	c->len = (uint32_t)w.total;
	return VHOST_FETCH_OK;
}

/*
 * Hints, never reads the datapath relies on (as vhost_packed.c's): for
 * the chain `ahead` entries past `idx` in the avail ring, among those the
 * guest has published, the descriptor's line (far ahead) or, once that
 * is near, the buffer of a direct descriptor inside the region of the
 * last buffer (for writing when the device writes it). The entries are
 * read again, properly, when their turn comes; nothing outside the ring
 * or the region is touched.
 */
static inline const volatile struct vring_desc *
ahead_desc(const struct vhost_vq *vq, uint16_t idx, uint16_t ahead)
{
	uint16_t head;

	idx = (uint16_t)(idx + ahead);
	if ((uint16_t)(vq->avail_shadow - idx - 1) >= vq->size)
		return NULL;    /* not published when last read */
	head = ((const volatile uint16_t *)vq->avail->ring)[idx &
							     (vq->size - 1)];
	return head < vq->size ? &vq->desc[head] : NULL;
}

static inline void
prefetch_desc(const struct vhost_vq *vq, uint16_t idx, uint16_t ahead)
{
	const volatile struct vring_desc *d = ahead_desc(vq, idx, ahead);

	if (d != NULL)
		keel_prefetch0(d);
}

static inline void
prefetch_buf(const struct vhost_vq *vq, uint16_t idx, uint16_t ahead,
	     int device_writes)
{
	const volatile struct vring_desc *d = ahead_desc(vq, idx, ahead);

	if (d != NULL && (d->flags & (VRING_DESC_F_NEXT |
				      VRING_DESC_F_INDIRECT)) == 0)
		vhost_prefetch_buf(vq, d->addr, device_writes);
}

/* the full walk; after the burst's first chain (the walk takes it, the
 * region of the last buffer being forgotten between bursts), the next
 * chains' descriptors and buffers are prefetched */
static int
walk(struct vhost_vq *vq, int device_writes, struct vhost_chain *c)
{
	int r = fetch_walk(vq, device_writes, c);
	uint16_t k;

	if (r == VHOST_FETCH_OK && c->first == 0) {
		for (k = 0; k < VHOST_PREFETCH_AHEAD; k++)
			prefetch_buf(vq, vq->last_avail_idx, k, device_writes);
		for (; k < 2 * VHOST_PREFETCH_AHEAD; k++)
			prefetch_desc(vq, vq->last_avail_idx, k);
	}
	return r;
}

int
vhost_split_fetch(struct vhost_vq *vq, int device_writes, struct vhost_chain *c)
{
	uint16_t avail_idx, head, navail;
	struct vring_desc d;
	uint64_t off;

	/* the guest's index is read again only when the chains seen at the
	 * last read are used up (its cache line is the guest's) */
	navail = (uint16_t)(vq->avail_shadow - vq->last_avail_idx);
	if (navail == 0 || navail > vq->size) {
		avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
		navail = (uint16_t)(avail_idx - vq->last_avail_idx);
		if (navail == 0)
			return VHOST_FETCH_EMPTY;
		if (navail > vq->size)
			return walk(vq, device_writes, c);  /* says why */
		vq->avail_shadow = avail_idx;
	}
	head = read16(&vq->avail->ring[vq->last_avail_idx & (vq->size - 1)]);
	if (head >= vq->size)
		return walk(vq, device_writes, c);   /* it says why */
	/* the usual case: one direct descriptor, its buffer wholly in the
	 * region of the last one, the right direction; anything else (read
	 * again from scratch) takes the full walk */
	desc_read(&vq->desc[head], &d);
	off = d.addr - vq->xc_gpa;
	if ((d.flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT)) != 0 ||
	    !!(d.flags & VRING_DESC_F_WRITE) != device_writes ||
	    d.len == 0 || off >= vq->xc_size || d.len > vq->xc_size - off ||
	    vq->npieces >= VHOST_BURST_PIECES)
		return walk(vq, device_writes, c);
	vhost_chain_one(vq, c, head, off, d.len);
	prefetch_buf(vq, vq->last_avail_idx, VHOST_PREFETCH_AHEAD, device_writes);
	prefetch_desc(vq, vq->last_avail_idx, 2 * VHOST_PREFETCH_AHEAD);
	vq->last_avail_idx++;
	return VHOST_FETCH_OK;
}

void
vhost_split_unfetch(struct vhost_vq *vq, const struct vhost_chain *c)
{
	(void)c;
	vq->last_avail_idx--;
}

void
vhost_split_used(struct vhost_vq *vq, uint16_t id, uint32_t len)
{
	uint32_t slot = vq->last_used_idx & (vq->size - 1);
	struct vring_used_elem *e = &vq->used->ring[slot];

	e->id = id;
	e->len = len;
	if (vq->log_used && vhost_has_feature(vq->dev, VHOST_F_LOG_ALL))
		vhost_log_write_gpa(&vq->dev->log, vq->log_guest_addr +
				    offsetof(struct vring_used, ring) +
				    (uint64_t)slot * sizeof(*e), sizeof(*e));
	vq->last_used_idx++;
	vq->used_pending++;
}

void
vhost_split_used_flush(struct vhost_vq *vq)
{
	if (vq->used_pending == 0)
		return;
	/* entries before the index (2.7.8.2: the driver reads them after) */
	__atomic_store_n(&vq->used->idx, vq->last_used_idx, __ATOMIC_RELEASE);
	if (vq->log_used && vhost_has_feature(vq->dev, VHOST_F_LOG_ALL))
		vhost_log_write_gpa(&vq->dev->log, vq->log_guest_addr +
				    offsetof(struct vring_used, idx),
				    sizeof(uint16_t));
	vq->used_pending = 0;
}

uint16_t
vhost_split_avail_count(struct vhost_vq *vq)
{
	uint16_t n = (uint16_t)(__atomic_load_n(&vq->avail->idx,
						__ATOMIC_ACQUIRE) -
				vq->last_avail_idx);

	return n > vq->size ? 0 : n;
}

void
vhost_split_set_kicks(struct vhost_vq *vq, int enable)
{
	/* 2.7.10: without event idx, a flag; with it, the index the driver
	 * kicks at (left behind when kicks are off, so they stop) */
	if (!vq->event_idx) {
		__atomic_store_n(&vq->used->flags,
				 enable ? 0 : VRING_USED_F_NO_NOTIFY,
				 __ATOMIC_RELAXED);
	} else if (enable) {
		__atomic_store_n(avail_event(vq), vq->last_avail_idx,
				 __ATOMIC_RELAXED);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

int
vhost_split_need_notify(struct vhost_vq *vq)
{
	uint16_t new_idx = vq->last_used_idx, old = vq->signalled_used;
	int valid = vq->signalled_valid;

	/* our used index store before the guest's event fields are read */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->signalled_used = new_idx;
	vq->signalled_valid = 1;
	if (vq->event_idx)
		return !valid ||
		       vring_need_event(read16(used_event(vq)), new_idx, old);
	return !(read16(&vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
}
