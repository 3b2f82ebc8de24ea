/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest to host: keel_vhost_dequeue_burst() copies the guest's transmit
 * buffers into mbufs (virtio 1.2, 5.1.6.2).
 *
 * One burst, as a straight line: try the queue's lock -> a pending RARP
 * first -> the mbufs for the chains available, in bulk -> for each chain:
 * read its virtio-net header once, take the mbuf(s) its length needs,
 * copy (CPU engine) or record the copies, and an inflight entry ->
 * hand the copies to the queue's copy engine -> write the used entries
 * (length 0: the device wrote nothing) -> notify -> turn each header into
 * offload flags, now that the packet's bytes are in the mbuf.
 *
 * Invariants: a chain is either turned into a packet or put back
 * untouched (no mbuf), except one that cannot be a packet (shorter than
 * its header, larger than VHOST_MAX_PKT, unusable buffers), which is
 * returned to the guest and counted; every mbuf allocated is either
 * returned in pkts or freed.
 * Locking: the queue's lock (tried; 0 packets when busy).
 */
#include <string.h>

#include "keel_mbuf.h"
#include "vhost_burst.h"
#include "vhost_copy.h"
#include "vhost_net.h"

#define BATCH 64

/* read len bytes at byte off of the pieces, once */
static void
pieces_read(const struct vhost_piece *pc, uint32_t n, uint32_t off, void *dst,
	    uint32_t len)
{
	uint8_t *d = dst;
	uint32_t i;

	for (i = 0; i < n && len > 0; i++) {
		uint32_t take;

		if (off >= pc[i].len) {
			off -= pc[i].len;
			continue;
		}
		take = pc[i].len - off < len ? pc[i].len - off : len;
		vhost_read_once(d, pc[i].host + off, take);
		d += take;
		len -= take;
		off = 0;
	}
}

/* the next mbuf of the stash, which takes a chunk from the pool when it
 * is used up (one by one when the pool has no chunk left) */
static struct keel_mbuf *
stash_take(struct keel_mempool *mp, struct vhost_mbuf_stash *st)
{
	if (st == NULL)
		return keel_pktmbuf_alloc(mp);
	if (st->next == st->n && st->want > 0) {
		uint32_t k = st->want < VHOST_STASH_CHUNK ? st->want :
			     VHOST_STASH_CHUNK;

		st->next = 0;
		st->n = keel_pktmbuf_alloc_bulk(mp, st->m, k) == 0 ? k : 0;
		st->want -= st->n;
		if (st->n == 0)
			st->want = 0;   /* short: one by one from now on */
	}
	return st->next < st->n ? st->m[st->next++] : keel_pktmbuf_alloc(mp);
}

/* a chain of mbufs for len bytes; NULL when the pool runs dry */
static struct keel_mbuf *
alloc_chain(struct keel_mempool *mp, struct vhost_mbuf_stash *st, uint32_t len)
{
	struct keel_mbuf *head, *last;
	uint32_t left = len;

	head = stash_take(mp, st);
	if (head == NULL)
		return NULL;
	last = head;
	if (len <= keel_pktmbuf_tailroom(head)) {    /* the usual case */
		head->data_len = (uint16_t)len;
		head->pkt_len = len;
		return head;
	}
	for (;;) {
		uint16_t room = keel_pktmbuf_tailroom(last);

		last->data_len = (uint16_t)(left < room ? left : room);
		left -= last->data_len;
		if (left == 0)
			break;
		last->next = keel_pktmbuf_alloc(mp);
		if (last->next == NULL || room == 0) {
			keel_pktmbuf_free(head);
			return NULL;
		}
		last = last->next;
		head->nb_segs++;
	}
	head->pkt_len = len;
	return head;
}

/* the copies of pieces (from byte off) into the mbuf chain */
static uint32_t
plan_copies(struct vhost_vq *vq, struct keel_mbuf *m,
	    const struct vhost_piece *pc, uint32_t n, uint32_t off,
	    uint32_t slot)
{
	uint32_t i = 0, added = 0, moff = 0;

	while (i < n && off >= pc[i].len)
		off -= pc[i++].len;
	while (m != NULL && i < n) {
		uint32_t take = m->data_len - moff;

		if (take > pc[i].len - off)
			take = pc[i].len - off;
		if (take > 0) {
			struct vhost_copy_seg *s = &vq->segs[vq->nsegs++];

			s->dst = keel_pktmbuf_mtod_offset(m, uint8_t *, moff);
			s->src = pc[i].host + off;
			s->len = take;
			s->slot = slot;
			added++;
		}
		moff += take;
		off += take;
		if (moff == m->data_len) {
			m = m->next;
			moff = 0;
		}
		if (off == pc[i].len) {
			i++;
			off = 0;
		}
	}
	return added;
}

static void
return_empty(struct vhost_vq *vq, const struct vhost_chain *c)
{
	struct vhost_inflight *e = vhost_infl_push(vq);

	e->id = c->id;
	e->ndesc = c->ndesc;
	e->len = 0;
	e->pending = 0;
}

/* a gratuitous RARP (RFC 903, opcode 3) announcing the guest's MAC */
static struct keel_mbuf *
make_rarp(struct keel_mempool *mp, const uint8_t mac[6])
{
	struct keel_mbuf *m = keel_pktmbuf_alloc(mp);
	uint8_t *p;

	if (m == NULL || keel_pktmbuf_tailroom(m) < 60) {
		if (m != NULL)
			keel_pktmbuf_free(m);
		return NULL;
	}
	p = keel_pktmbuf_mtod(m, uint8_t *);
	memset(p, 0, 60);
	memset(p, 0xff, 6);                 /* broadcast */
	memcpy(p + 6, mac, 6);
	p[12] = 0x80; p[13] = 0x35;         /* EtherType RARP */
	p[15] = 1;                          /* hardware: Ethernet */
	p[16] = 0x08;                       /* protocol: IPv4 */
	p[18] = 6; p[19] = 4;               /* address lengths */
	p[21] = 3;                          /* reverse request */
	memcpy(p + 22, mac, 6);             /* sender hardware */
	memcpy(p + 32, mac, 6);             /* target hardware */
	m->data_len = 60;
	m->pkt_len = 60;
	return m;
}

int
vhost_dequeue_one(struct vhost_vq *vq, struct keel_mempool *mp,
		  struct vhost_mbuf_stash *st, uint32_t hlen,
		  struct virtio_net_hdr *hdr, struct keel_mbuf **pkt,
		  uint32_t *first_slot)
{
	struct vhost_chain c;
	struct vhost_inflight *e;
	struct keel_mbuf *m;
	const struct vhost_piece *pc;
	uint32_t len, slot;
	int r = vhost_vq_fetch(vq, 0, &c);

	if (r == VHOST_FETCH_BAD) {
		return_empty(vq, &c);
		return 0;
	}
	if (r != VHOST_FETCH_OK)
		return -1;
	pc = &vq->pieces[c.first];
	if (c.len <= hlen || c.len - hlen > VHOST_MAX_PKT) {
		VHOST_LOG(DEBUG, vq->dev, "vring %u: chain %u of %u bytes (%u "
			  "descriptors) dropped: header %u, at most %u",
			  vq->index, c.id, c.len, c.ndesc, hlen, VHOST_MAX_PKT);
		vq->npieces = c.first;
		return_empty(vq, &c);
		vq->stats.dropped++;
		return 0;
	}
	len = c.len - hlen;
	if (vq->nsegs + c.npieces + len / 512 + 2 > VHOST_BURST_SEGS ||
	    (m = alloc_chain(mp, st, len)) == NULL) {
		vhost_vq_unfetch(vq, &c);
		return -1;
	}
	slot = vq->infl_tail + vq->infl_count;
	if (slot >= vq->infl_size)
		slot -= vq->infl_size;
	e = vhost_infl_push(vq);
	e->id = c.id;
	e->ndesc = c.ndesc;
	e->len = 0;
	if (pc[0].len == c.len && m->next == NULL &&
	    vq->copy == &vhost_copy_cpu) {
		/* the usual case: one piece, one mbuf, copied now (the
		 * header read once: hlen >= sizeof(*hdr)) */
		vhost_read_once(hdr, pc[0].host, sizeof(*hdr));
		memcpy(keel_pktmbuf_mtod(m, uint8_t *), pc[0].host + hlen, len);
		e->pending = 0;
	} else {
		memset(hdr, 0, sizeof(*hdr));
		pieces_read(pc, c.npieces, 0, hdr, hlen < sizeof(*hdr) ?
			    hlen : sizeof(*hdr));
		e->pending = plan_copies(vq, m, pc, c.npieces, hlen, slot);
	}
	*pkt = m;
	*first_slot = slot;
	vq->stats.packets++;
	vq->stats.bytes += len;
	return 1;
}

uint32_t
vhost_dequeue_begin(struct vhost_vq *vq)
{
	vq->npieces = 0;
	vq->nsegs = 0;
	vq->xc_size = 0;      /* the memory table may have changed */
	vq->log_copies = 0;     /* nothing is written into the guest */
	return vhost_has_feature(vq->dev, VIRTIO_NET_F_MRG_RXBUF) ||
	       vhost_has_feature(vq->dev, VIRTIO_F_VERSION_1) ?
	       sizeof(struct virtio_net_hdr_mrg) : sizeof(struct virtio_net_hdr);
}

struct keel_mbuf *
vhost_dequeue_rarp(struct vhost_dev *dev, struct keel_mempool *mp)
{
	if (__atomic_load_n(&dev->rarp_pending, __ATOMIC_ACQUIRE) &&
	    __atomic_exchange_n(&dev->rarp_pending, 0, __ATOMIC_ACQ_REL))
		return make_rarp(mp, dev->rarp_mac);
	return NULL;
}

static uint16_t
dequeue(struct vhost_vq *vq, struct keel_mempool *mp, struct keel_mbuf **pkts,
	uint16_t count)
{
	struct virtio_net_hdr hdrs[BATCH];
	struct vhost_mbuf_stash st = { .n = 0, .next = 0, .want = count };
	uint32_t hlen = vhost_dequeue_begin(vq), slot;
	uint16_t n = 0, i;
	int r;

	/* the burst's mbufs in chunks as its chains come (not sized by a
	 * count of the available ones first: that walk reads the lines the
	 * guest is writing, once more per burst) */
	while (n < count) {
		r = vhost_dequeue_one(vq, mp, &st, hlen, &hdrs[n], &pkts[n],
				      &slot);
		if (r < 0)
			break;
		n = (uint16_t)(n + r);
	}
	if (st.next < st.n)
		keel_pktmbuf_free_bulk(st.m + st.next, st.n - st.next);
	if (vq->nsegs > 0)
		vq->copy->submit(vq, vq->segs, vq->nsegs);
	vhost_vq_complete(vq, 0);
	/* the bytes are in the mbufs: their headers become offload flags */
	for (i = 0; i < n; i++)
		if (vhost_net_hdr_to_mbuf(&hdrs[i], pkts[i],
					  vq->dev->compliant_ol) < 0)
			vq->stats.bad_headers++;
	return n;
}

uint16_t
keel_vhost_dequeue_burst(int vid, uint16_t queue_id, struct keel_mempool *mp,
			 struct keel_mbuf **pkts, uint16_t count)
{
	struct vhost_dev *dev = vhost_dev_get(vid);
	struct vhost_vq *vq;
	uint16_t n = 0;

	if (dev == NULL || !(queue_id & 1) || queue_id >= VHOST_MAX_VRINGS ||
	    mp == NULL || pkts == NULL)
		return 0;
	vq = __atomic_load_n(&dev->vq[queue_id], __ATOMIC_ACQUIRE);
	if (vq == NULL || !vhost_trylock(&vq->lock))
		return 0;
	/* an async queue gives packets only through its own calls */
	if (!vq->ready || vq->copy != &vhost_copy_cpu ||
	    vhost_vq_still_waiting(vq))
		goto out;
	if (count > 0 && (pkts[0] = vhost_dequeue_rarp(dev, mp)) != NULL)
		n = 1;
	while (n < count) {
		uint16_t want = (uint16_t)(count - n) < BATCH ?
				(uint16_t)(count - n) : BATCH;
		uint16_t got = dequeue(vq, mp, pkts + n, want);

		n = (uint16_t)(n + got);
		if (got < want)
			break;
	}
out:
	vhost_unlock(&vq->lock);
	return n;
}
