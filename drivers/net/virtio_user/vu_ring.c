/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The driver side of virtio rings (virtio 1.2, 2.7 split, 2.8 packed) for
 * net_virtio_user: Tx posts [header][mbuf segments] chains, or one
 * descriptor with the header in the headroom for a packet of one mbuf of
 * its own (can_push), and frees the mbufs the device has used; Rx posts one mbuf per buffer (the header in
 * its headroom) and gathers mergeable packets.
 *
 * Invariants: every descriptor (split) or id (packed) is either free or
 * held by exactly one posted buffer, recorded in slots[] (split: the free
 * list and each chain in flight linked by slots[].next); nfree counts the
 * free descriptors (split) or ring slots (packed). The device is trusted
 * as a device is (it can reach all of this process's EAL memory anyway),
 * but an id it returns is still range-checked so a confused back-end
 * cannot make us free twice.
 * Locking: one polling thread per queue; vu_ring_reset() only while the
 * queue is not ready and not busy (vu_ethdev.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "keel_log.h"
#include "keel_malloc.h"
#include "keel_mbuf.h"
#include "keel_prefetch.h"
#include "vu_internal.h"

#define RING_ALIGN 4096u

static uint64_t
align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static void
layout(uint16_t n, uint64_t *avail_off, uint64_t *used_off,
       uint64_t *hdr_off, uint64_t *total)
{
	*avail_off = align_up(16ull * n, 64);
	*used_off = align_up(*avail_off + 6 + 2ull * n, RING_ALIGN);
	*hdr_off = align_up(*used_off + 6 + 8ull * n, 64);
	*total = *hdr_off + 16ull * n;
}

int
vu_ring_alloc(struct vu_queue *q, const char *name, uint16_t size,
	      int socket_id)
{
	uint64_t ao, uo, ho, total;
	uint8_t *base;

	layout(size, &ao, &uo, &ho, &total);
	q->mz = keel_memzone_reserve_aligned(name, total, socket_id, 0,
					     RING_ALIGN);
	if (q->mz == NULL)
		q->mz = keel_memzone_reserve_aligned(name, total,
						     KEEL_SOCKET_ID_ANY, 0,
						     RING_ALIGN);
	if (q->mz == NULL)
		return -ENOMEM;
	q->slots = keel_zmalloc("vu_slots", sizeof(q->slots[0]) * size, 64);
	if (q->slots == NULL) {
		keel_memzone_free(q->mz);
		q->mz = NULL;
		return -ENOMEM;
	}
	base = q->mz->addr;
	q->size = size;
	q->desc = (struct vu_desc *)base;
	q->avail = (uint16_t *)(base + ao);
	q->used = (uint16_t *)(base + uo);
	q->hdrs = base + ho;
	return 0;
}

static void
drop_mbufs(struct vu_queue *q)
{
	uint16_t i;

	for (i = 0; i < q->size; i++) {
		if (q->slots[i].m != NULL)
			keel_pktmbuf_free(q->slots[i].m);
		q->slots[i].m = NULL;
	}
}

void
vu_ring_free(struct vu_queue *q)
{
	if (q->slots != NULL)
		drop_mbufs(q);
	keel_free(q->slots);
	q->slots = NULL;
	if (q->mz != NULL)
		keel_memzone_free(q->mz);
	q->mz = NULL;
}

void
vu_ring_addrs(const struct vu_queue *q, uint64_t *desc, uint64_t *avail,
	      uint64_t *used)
{
	*desc = (uint64_t)(uintptr_t)q->desc;
	*avail = (uint64_t)(uintptr_t)q->avail;
	*used = (uint64_t)(uintptr_t)q->used;
}

void
vu_ring_reset(struct vu_queue *q, int packed, int mrg, int in_order)
{
	uint16_t i;

	drop_mbufs(q);
	memset(q->mz->addr, 0, q->mz->len);
	q->packed = (uint8_t)packed;
	q->mrg = (uint8_t)mrg;
	q->in_order = (uint8_t)(packed && in_order);
	q->avail_idx = q->used_idx = q->used_shadow = 0;
	q->avail_wrap = q->used_wrap = 1;
	q->pending = 0;
	q->nfree = q->size;
	q->free_head = 0;
	for (i = 0; i < q->size; i++) {
		q->slots[i].next = (uint16_t)(i + 1);
		q->slots[i].ndesc = 0;
	}
	q->nfree_ids = q->size;
	/* we poll: no interrupts wanted */
	if (packed)
		q->avail[1] = VU_EVENT_F_DISABLE;
	else
		q->avail[0] = VU_AVAIL_F_NO_INTERRUPT;
}

/* ---- publishing ---- */

static void
kick(struct vu_queue *q)
{
	uint64_t one = 1;
	int want;

	if (q->pending == 0)
		return;
	q->pending = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->packed)
		want = __atomic_load_n(&q->used[1], __ATOMIC_RELAXED) !=
		       VU_EVENT_F_DISABLE;
	else
		want = !(__atomic_load_n(&q->used[0], __ATOMIC_RELAXED) &
			 VU_USED_F_NO_NOTIFY);
	if (want && q->kickfd >= 0 && write(q->kickfd, &one, 8) != 8)
		q->errors++;
}

/* split: take n descriptors from the free list; @return the head. The
 * list is ours (slots[].next), not the descriptors' next fields: those
 * lines are the device's to read, and a walk through them waits on each
 * (a chain's own next fields are written as it is filled) */
static uint16_t
split_take(struct vu_queue *q, uint16_t n, uint16_t *last)
{
	uint16_t head = q->free_head, d = head, i;

	for (i = 1; i < n; i++)
		d = q->slots[d].next;
	*last = d;
	q->free_head = q->slots[d].next;
	q->nfree = (uint16_t)(q->nfree - n);
	return head;
}

static void
split_publish(struct vu_queue *q, uint16_t head)
{
	q->avail[2 + (q->avail_idx & (q->size - 1))] = head;   /* 2^n */
	q->avail_idx++;
	q->pending++;
}

static void
split_flush(struct vu_queue *q)
{
	__atomic_store_n(&q->avail[1], q->avail_idx, __ATOMIC_RELEASE);
	kick(q);
}

/* packed: write descriptor k of a buffer at the next slot; the head's
 * flags are stored last by packed_publish() */
static uint16_t
packed_put(struct vu_queue *q, uint64_t addr, uint32_t len, uint16_t id,
	   uint16_t flags, int head)
{
	struct vu_desc *d = &q->desc[q->avail_idx];
	uint16_t slot = q->avail_idx;

	flags |= q->avail_wrap ? VU_PDESC_F_AVAIL : VU_PDESC_F_USED;
	d->addr = addr;
	d->len = len;
	d->a = id;
	if (!head)
		__atomic_store_n(&d->b, flags, __ATOMIC_RELEASE);
	if (++q->avail_idx == q->size) {
		q->avail_idx = 0;
		q->avail_wrap ^= 1;
	}
	q->nfree--;
	return head ? flags : slot;
}

/* packed: hand the buffer at slot `head` to the device. The first of a
 * group waits for packed_handover_end(), after the group's others, so the
 * device (which reads available descriptors in ring order) takes a line
 * of descriptors at once instead of chasing our stores within it; a group
 * ends at each line boundary (4 descriptors of 16 bytes), so the device
 * starts on the first packets of a burst while we write the rest (with
 * only a burst or two in flight, the loop's rate is its latency). */
struct handover {
	int pending;
	uint16_t slot, flags;
};

static inline void
packed_handover_end(struct vu_queue *q, struct handover *h)
{
	if (h->pending)
		__atomic_store_n(&q->desc[h->slot].b, h->flags,
				 __ATOMIC_RELEASE);
	h->pending = 0;
}

static inline void
packed_handover(struct vu_queue *q, struct handover *h, uint16_t head,
		uint16_t flags)
{
	if (!h->pending) {
		h->pending = 1;
		h->slot = head;
		h->flags = flags;
	} else {
		__atomic_store_n(&q->desc[head].b, flags, __ATOMIC_RELEASE);
	}
	q->pending++;
	if (q->avail_idx % VU_PDESC_PER_LINE == 0)
		packed_handover_end(q, h);
}

/* the id of the buffer whose head goes at the next slot */
static uint16_t
packed_take_id(struct vu_queue *q)
{
	uint16_t id = q->free_head;

	if (q->in_order)
		return q->avail_idx;

	q->free_head = q->slots[id].next;
	q->nfree_ids--;
	return id;
}

static void
packed_give_id(struct vu_queue *q, uint16_t id)
{
	if (q->in_order)
		return;
	q->slots[id].next = q->free_head;
	q->free_head = id;
	q->nfree_ids++;
}

/* the next used entry: 1 with its id and length, 0 when none */
static inline int
next_used(struct vu_queue *q, uint16_t *id, uint32_t *len)
{
	if (!q->packed) {
		const uint32_t *e;

		/* the device's index is read again only when the entries
		 * seen at the last read are used up */
		if (q->used_idx == q->used_shadow) {
			q->used_shadow = __atomic_load_n(&q->used[1],
							 __ATOMIC_ACQUIRE);
			if (q->used_idx == q->used_shadow)
				return 0;
		}
		e = (const uint32_t *)(q->used + 2) +
		    2 * (q->used_idx & (q->size - 1));
		*id = (uint16_t)e[0];
		*len = e[1];
		return 1;
	} else {
		struct vu_desc *d = &q->desc[q->used_idx];
		uint16_t f = __atomic_load_n(&d->b, __ATOMIC_ACQUIRE);
		int avail = !!(f & VU_PDESC_F_AVAIL), used = !!(f & VU_PDESC_F_USED);

		if (avail != used || used != q->used_wrap)
			return 0;
		*id = d->a;
		*len = d->len;
		return 1;
	}
}

/* step past the used entry of buffer id (ndesc slots when packed) */
static inline void
used_advance(struct vu_queue *q, uint16_t ndesc)
{
	if (!q->packed) {
		q->used_idx++;
		return;
	}
	q->used_idx = (uint16_t)(q->used_idx + ndesc);
	if (q->used_idx >= q->size) {
		q->used_idx = (uint16_t)(q->used_idx - q->size);
		q->used_wrap ^= 1;
	}
}

/* the buffer id (split head) goes back to the free list */
static inline void
release(struct vu_queue *q, uint16_t id)
{
	uint16_t nd = q->slots[id].ndesc, last = id, i;

	if (!q->packed) {
		for (i = 1; i < nd; i++)
			last = q->slots[last].next;
		q->slots[last].next = q->free_head;
		q->free_head = id;
	} else {
		packed_give_id(q, id);
	}
	q->nfree = (uint16_t)(q->nfree + nd);
	q->slots[id].m = NULL;
	q->slots[id].ndesc = 0;
}

/* ---- Tx ---- */

/* no room for a buffer of `need` descriptors (packed: or no id left) */
static inline int
no_room(const struct vu_queue *q, uint16_t need)
{
	return need > q->nfree || (q->packed && q->nfree_ids == 0);
}

/* the header can go in the packet's headroom (VERSION_1: any layout), so
 * the packet takes one descriptor, as DPDK's virtio does: one mbuf of
 * ours alone, with room before its data */
static inline int
can_push(const struct keel_mbuf *m)
{
	return m->nb_segs == 1 && KEEL_MBUF_DIRECT(m) &&
	       keel_mbuf_refcnt_read(m) == 1 &&
	       keel_pktmbuf_headroom(m) >= VU_NET_HDR_LEN;
}

/* a used entry naming a buffer that is not in flight: logged, counted
 * and stepped over (1), or 0 */
static int
not_in_flight(struct vu_queue *q, uint16_t id)
{
	if (id < q->size && q->slots[id].m != NULL)
		return 0;
	KEEL_LOG(ERR, vu_logtype, "vring %u: the back-end used buffer %u, "
		 "which is not in flight", q->vring, id);
	q->errors++;
	used_advance(q, 1);
	return 1;
}

/*
 * In order (packed): the used entry at the next slot names the last
 * buffer of a batch the device is done with; every buffer from that slot
 * up to it (they are in flight in ring order) is freed. An id that is not
 * a buffer in flight is an error, as below.
 */
static void
tx_cleanup_in_order(struct vu_queue *q)
{
	uint16_t id;
	uint32_t len;

	while (next_used(q, &id, &len)) {
		uint16_t s;

		if (not_in_flight(q, id))
			continue;
		do {    /* ends at id: it is in flight, after the others */
			s = q->used_idx;
			if (q->slots[s].m == NULL)      /* not reached */
				break;
			keel_pktmbuf_free(q->slots[s].m);
			q->nfree = (uint16_t)(q->nfree + q->slots[s].ndesc);
			used_advance(q, q->slots[s].ndesc);
			q->slots[s].m = NULL;
			q->slots[s].ndesc = 0;
		} while (s != id);
	}
}

static void
tx_cleanup(struct vu_queue *q)
{
	uint16_t id;
	uint32_t len;

	if (q->in_order) {
		tx_cleanup_in_order(q);
		return;
	}
	while (next_used(q, &id, &len)) {
		uint16_t nd;

		if (not_in_flight(q, id))
			continue;
		nd = q->slots[id].ndesc;
		keel_pktmbuf_free(q->slots[id].m);
		release(q, id);
		used_advance(q, nd);
	}
}

uint16_t
vu_tx_burst(struct vu_queue *q, struct keel_mbuf **pkts, uint16_t n)
{
	struct handover ho = { 0, 0, 0 };
	int cleaned = 0;
	uint16_t i;

	/* the buffers the device is done with are freed when their room is
	 * needed, as DPDK's virtio does: not reading the used entries every
	 * burst leaves those lines to the device while it writes them */
	if (q->nfree < n || q->nfree < q->size / 4) {
		tx_cleanup(q);
		cleaned = 1;
	}
	for (i = 0; i < n; i++) {
		struct keel_mbuf *m = pkts[i], *s;
		uint16_t need = (uint16_t)(1 + m->nb_segs), id, last, head_flags;
		uint8_t *hdr;
		int push = can_push(m);

		if (push)
			need = 1;
		if (no_room(q, need)) {
			if (!cleaned)
				tx_cleanup(q);
			cleaned = 1;
			if (no_room(q, need))
				break;
		}
		if (push) {
			/* one descriptor: the header in the headroom */
			hdr = keel_pktmbuf_mtod(m, uint8_t *) - VU_NET_HDR_LEN;
			memset(hdr, 0, VU_NET_HDR_LEN);
			if (!q->packed) {
				id = split_take(q, 1, &last);
				q->desc[id].addr = (uint64_t)(uintptr_t)hdr;
				q->desc[id].len = VU_NET_HDR_LEN + m->data_len;
				q->desc[id].a = 0;
				split_publish(q, id);
			} else {
				uint16_t head = q->avail_idx;

				id = packed_take_id(q);
				head_flags = packed_put(q, (uint64_t)(uintptr_t)
							hdr, VU_NET_HDR_LEN +
							m->data_len, id, 0, 1);
				packed_handover(q, &ho, head, head_flags);
			}
			q->slots[id].m = m;
			q->slots[id].ndesc = 1;
		} else if (!q->packed) {
			uint16_t d;

			id = split_take(q, need, &last);
			hdr = q->hdrs + 16u * id;
			memset(hdr, 0, VU_NET_HDR_LEN);
			d = id;
			q->desc[d].addr = (uint64_t)(uintptr_t)hdr;
			q->desc[d].len = VU_NET_HDR_LEN;
			q->desc[d].a = VU_DESC_F_NEXT;
			for (s = m; s != NULL; s = s->next) {
				q->desc[d].b = q->slots[d].next;
				d = q->slots[d].next;
				q->desc[d].addr = (uint64_t)(uintptr_t)
					keel_pktmbuf_mtod(s, void *);
				q->desc[d].len = s->data_len;
				q->desc[d].a = s->next != NULL ? VU_DESC_F_NEXT : 0;
			}
			q->slots[id].m = m;
			q->slots[id].ndesc = need;
			split_publish(q, id);
		} else {
			uint16_t head = q->avail_idx;

			id = packed_take_id(q);
			hdr = q->hdrs + 16u * id;
			memset(hdr, 0, VU_NET_HDR_LEN);
			head_flags = packed_put(q, (uint64_t)(uintptr_t)hdr,
						VU_NET_HDR_LEN, id,
						VU_DESC_F_NEXT, 1);
			for (s = m; s != NULL; s = s->next)
				packed_put(q, (uint64_t)(uintptr_t)
					   keel_pktmbuf_mtod(s, void *),
					   s->data_len, id,
					   s->next != NULL ? VU_DESC_F_NEXT : 0, 0);
			q->slots[id].m = m;
			q->slots[id].ndesc = need;
			packed_handover(q, &ho, head, head_flags);
		}
		q->bytes += m->pkt_len;
	}
	q->packets += i;
	if (!q->packed) {
		split_flush(q);
	} else {
		packed_handover_end(q, &ho);
		kick(q);
	}
	return i;
}

/* ---- Rx ---- */

#define REFILL_BULK 64

uint16_t
vu_rx_refill(struct vu_queue *q)
{
	struct keel_mbuf *bulk[REFILL_BULK];
	struct handover ho = { 0, 0, 0 };
	uint16_t posted = 0, nb = 0, k = 0;

	while (q->nfree > 0 && (!q->packed || q->nfree_ids > 0)) {
		struct keel_mbuf *m;
		uint64_t addr;
		uint32_t len;
		uint16_t id, last;

		if (k == nb) {     /* the mbufs in bulk, one by one if short */
			nb = q->nfree < REFILL_BULK ? q->nfree : REFILL_BULK;
			if (q->packed && q->nfree_ids < nb)
				nb = q->nfree_ids;
			k = 0;
			if (keel_pktmbuf_alloc_bulk(q->mp, bulk, nb) != 0) {
				bulk[0] = keel_pktmbuf_alloc(q->mp);
				nb = bulk[0] != NULL;
			}
			if (nb == 0) {
				q->nombuf++;
				break;
			}
		}
		m = bulk[k++];
		/* the header goes in the headroom, before the data */
		addr = (uint64_t)(uintptr_t)keel_pktmbuf_mtod(m, uint8_t *) -
		       VU_NET_HDR_LEN;
		len = keel_pktmbuf_tailroom(m) + VU_NET_HDR_LEN;
		if (!q->packed) {
			id = split_take(q, 1, &last);
			q->desc[id].addr = addr;
			q->desc[id].len = len;
			q->desc[id].a = VU_DESC_F_WRITE;
			split_publish(q, id);
		} else {
			uint16_t f;

			id = packed_take_id(q);
			f = packed_put(q, addr, len, id, VU_DESC_F_WRITE, 1);
			packed_handover(q, &ho, q->avail_idx == 0 ?
					q->size - 1 : q->avail_idx - 1, f);
		}
		q->slots[id].m = m;
		q->slots[id].ndesc = 1;
		posted++;
	}
	if (k < nb)     /* not reached: nb never exceeds the room */
		keel_pktmbuf_free_bulk(bulk + k, nb - k);
	if (!q->packed) {
		split_flush(q);
	} else {
		packed_handover_end(q, &ho);
		kick(q);
	}
	return posted;
}

/* used entries published and not read yet (split exact, packed: up to
 * `want`) */
static uint16_t
used_ready(struct vu_queue *q, uint16_t want)
{
	uint16_t n = 0, slot = q->used_idx;
	uint8_t wrap = q->used_wrap;

	if (!q->packed)
		return (uint16_t)(__atomic_load_n(&q->used[1], __ATOMIC_ACQUIRE) -
				  q->used_idx);
	while (n < want) {
		uint16_t f = __atomic_load_n(&q->desc[slot].b, __ATOMIC_ACQUIRE);

		if (!!(f & VU_PDESC_F_AVAIL) != wrap ||
		    !!(f & VU_PDESC_F_USED) != wrap)
			break;
		n++;
		if (++slot == q->size) {   /* Rx buffers take one slot each */
			slot = 0;
			wrap ^= 1;
		}
	}
	return n;
}

static struct keel_mbuf *
rx_take(struct vu_queue *q, uint32_t *len)
{
	struct keel_mbuf *m;
	uint16_t id;

	if (!next_used(q, &id, len) || id >= q->size ||
	    q->slots[id].m == NULL)
		return NULL;
	m = q->slots[id].m;
	release(q, id);
	used_advance(q, 1);
	return m;
}

/*
 * The headers of the next `n` used buffers are prefetched: each line was
 * written by the device's core, and reading them one per packet would
 * wait for each miss in turn. The ids read here are only a hint
 * (rx_take and the loop below check them again).
 */
static void
rx_prefetch(struct vu_queue *q, uint16_t n)
{
	uint16_t k, slot = q->used_idx, id;
	const uint32_t *ring = (const uint32_t *)(q->used + 2);

	if (q->packed) {
		k = used_ready(q, n);
	} else {
		/* read the device's index once for this and next_used() */
		if (q->used_idx == q->used_shadow)
			q->used_shadow = __atomic_load_n(&q->used[1],
							 __ATOMIC_ACQUIRE);
		k = (uint16_t)(q->used_shadow - q->used_idx);
	}
	if (k < n)
		n = k;
	for (k = 0; k < n; k++) {
		if (q->packed)
			id = q->in_order ? slot : q->desc[slot].a;
		else
			id = (uint16_t)ring[2 * (slot & (q->size - 1))];
		if (id < q->size && q->slots[id].m != NULL)
			keel_prefetch0(keel_pktmbuf_mtod(q->slots[id].m,
							 uint8_t *) -
				       VU_NET_HDR_LEN);
		if (q->packed && ++slot == q->size)
			slot = 0;
		else if (!q->packed)
			slot++;
	}
}

uint16_t
vu_rx_burst(struct vu_queue *q, struct keel_mbuf **pkts, uint16_t n)
{
	uint16_t got = 0;

	rx_prefetch(q, n);

	while (got < n) {
		struct keel_mbuf *m, *last;
		uint16_t id, nbuf = 1, k;
		uint32_t len;
		const uint8_t *hdr;

		if (!next_used(q, &id, &len))
			break;
		if (id >= q->size || q->slots[id].m == NULL ||
		    len < VU_NET_HDR_LEN) {
			q->errors++;
			if (id < q->size && q->slots[id].m != NULL) {
				keel_pktmbuf_free(q->slots[id].m);
				release(q, id);
			}
			used_advance(q, 1);
			continue;
		}
		hdr = keel_pktmbuf_mtod(q->slots[id].m, const uint8_t *) -
		      VU_NET_HDR_LEN;
		if (q->mrg)
			nbuf = (uint16_t)(hdr[10] | hdr[11] << 8);
		if (nbuf == 0 || nbuf > q->size) {
			q->errors++;
			nbuf = 1;
		}
		/* a mergeable packet is taken whole or not yet */
		if (nbuf > 1 && used_ready(q, nbuf) < nbuf)
			break;
		m = q->slots[id].m;     /* the entry read above */
		release(q, id);
		used_advance(q, 1);
		m->data_len = (uint16_t)(len - VU_NET_HDR_LEN);
		m->pkt_len = m->data_len;
		m->port = q->port_id;
		last = m;
		for (k = 1; k < nbuf; k++) {
			struct keel_mbuf *s = rx_take(q, &len);

			if (s == NULL)
				break;
			/* continuation buffers hold data from their start */
			s->data_off = (uint16_t)(s->data_off - VU_NET_HDR_LEN);
			s->data_len = (uint16_t)len;
			last->next = s;
			last = s;
			m->nb_segs++;
			m->pkt_len += len;
		}
		pkts[got++] = m;
		q->bytes += m->pkt_len;
	}
	q->packets += got;
	if (got > 0 || q->nfree > q->size / 2)
		vu_rx_refill(q);
	return got;
}
