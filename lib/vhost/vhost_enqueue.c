/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host to guest: keel_vhost_enqueue_burst() copies mbufs into the
 * guest's receive buffers (virtio 1.2, 5.1.6.3-4).
 *
 * One burst, as a straight line: try the queue's lock -> for each packet,
 * fetch the guest buffers it needs (one chain, or with MRG_RXBUF as many
 * as its length needs), write the virtio-net header, record the copies
 * and one inflight entry per chain -> hand the copies to the queue's copy
 * engine -> write the used entries of the completed packets -> notify.
 *
 * Invariants: a packet either goes whole (every chain it needed, its
 * header, all its copies) or its chains are put back untouched; a chain
 * the walker found unusable is returned empty before the packet's own
 * chains are taken (so a mergeable packet's buffers stay consecutive in
 * the used ring, as its num_buffers says); the caller's mbufs are never
 * written. A packet needing a checksum finished in software is copied by
 * the CPU at once (its bytes must be in place to be summed), and so is
 * every packet when the queue's engine is the CPU.
 * Locking: the queue's lock (tried; 0 packets when busy).
 */
#include <string.h>

#include "keel_mbuf.h"
#include "vhost_burst.h"
#include "vhost_copy.h"
#include "vhost_net.h"

/* write len bytes at byte off of the pieces */
static void
pieces_write(struct vhost_vq *vq, const struct vhost_piece *pc, uint32_t n,
	     uint32_t off, const void *src, uint32_t len)
{
	const uint8_t *s = src;
	uint32_t i;

	for (i = 0; i < n && len > 0; i++) {
		uint32_t take;

		if (off >= pc[i].len) {
			off -= pc[i].len;
			continue;
		}
		take = pc[i].len - off < len ? pc[i].len - off : len;
		memcpy(pc[i].host + off, s, take);
		if (vq->log_copies)
			vhost_vq_log_host_write(vq, pc[i].host + off, take);
		s += take;
		len -= take;
		off = 0;
	}
}

/* copies of the mbuf chain into the pieces from byte off; by the CPU at
 * once (cpu) or as segments for the engine. @return segments added */
static uint32_t
plan_copies(struct vhost_vq *vq, const struct keel_mbuf *m,
	    const struct vhost_piece *pc, uint32_t n, uint32_t off,
	    uint32_t slot, int cpu)
{
	uint32_t i = 0, added = 0, moff = 0;

	while (i < n && off >= pc[i].len)
		off -= pc[i++].len;
	while (m != NULL && i < n) {
		uint32_t take = m->data_len - moff;

		if (take > pc[i].len - off)
			take = pc[i].len - off;
		if (take > 0) {
			const uint8_t *src = keel_pktmbuf_mtod_offset(m,
						const uint8_t *, moff);

			if (cpu) {
				memcpy(pc[i].host + off, src, take);
				if (vq->log_copies)
					vhost_vq_log_host_write(vq,
						pc[i].host + off, take);
			} else {
				struct vhost_copy_seg *s = &vq->segs[vq->nsegs++];

				s->dst = pc[i].host + off;
				s->src = src;
				s->len = take;
				s->slot = slot;
				added++;
			}
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
put_back(struct vhost_vq *vq, struct vhost_chain *ch, uint32_t n)
{
	while (n-- > 0)
		vhost_vq_unfetch(vq, &ch[n]);
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

int
vhost_enqueue_one(struct vhost_vq *vq, struct keel_mbuf *m, uint32_t hlen,
		  int mrg, uint32_t *first_slot)
{
	struct vhost_chain ch[VHOST_MRG_MAX];
	struct virtio_net_hdr_mrg hdr;
	struct vhost_net_fixup fx;
	struct vhost_piece *pc;
	uint64_t need = (uint64_t)m->pkt_len + hlen, got = 0, left;
	uint32_t nch = 0, npc, k, slot, nseg;
	int r, cpu;

	*first_slot = UINT32_MAX;
	if (vhost_net_hdr_from_mbuf(m, vq->dev->features, &hdr.hdr, &fx) < 0) {
		vq->stats.dropped++;
		return 1;
	}
	/* the CPU engine copies at once: no segments to plan and hand over */
	cpu = fx.ip_csum_at != 0 || fx.l4_csum_at != 0 ||
	      vq->copy == &vhost_copy_cpu;
	while (got < need) {
		if (nch == VHOST_MRG_MAX) {
			put_back(vq, ch, nch);
			vq->stats.dropped++;
			return 1;
		}
		r = vhost_vq_fetch(vq, 1, &ch[nch]);
		if (r == VHOST_FETCH_BAD) {
			if (nch == 0) {     /* return it, go on */
				return_empty(vq, &ch[0]);
				continue;
			}
			/* a hole in the middle of a mergeable packet: give
			 * every chain taken back empty, drop the packet */
			for (k = 0; k <= nch; k++)
				return_empty(vq, &ch[k]);
			vq->npieces = ch[0].first;
			vq->stats.dropped++;
			return 1;
		}
		if (r != VHOST_FETCH_OK) {
			put_back(vq, ch, nch);
			if (r == VHOST_FETCH_EMPTY)
				vq->stats.no_buffers++;
			return 0;
		}
		got += ch[nch++].len;
		if (!mrg)
			break;
	}
	if (got < need) {   /* one buffer, too small: the guest cannot take it */
		put_back(vq, ch, nch);
		vq->stats.dropped++;
		return 1;
	}
	pc = &vq->pieces[ch[0].first];
	npc = vq->npieces - ch[0].first;
	if (!cpu && vq->nsegs + npc + m->nb_segs > VHOST_BURST_SEGS) {
		put_back(vq, ch, nch);
		return 0;
	}
	/* the header, then the packet */
	hdr.num_buffers = (uint16_t)nch;
	slot = vq->infl_tail + vq->infl_count;
	if (slot >= vq->infl_size)
		slot -= vq->infl_size;
	if (cpu && m->next == NULL && pc[0].len >= hlen + m->data_len) {
		/* the usual case: header and packet in the first piece */
		if (hlen == sizeof(hdr))
			memcpy(pc[0].host, &hdr, sizeof(hdr));
		else
			memcpy(pc[0].host, &hdr, sizeof(hdr.hdr));
		memcpy(pc[0].host + hlen, keel_pktmbuf_mtod(m, const uint8_t *),
		       m->data_len);
		if (vq->log_copies)
			vhost_vq_log_host_write(vq, pc[0].host,
						hlen + m->data_len);
		nseg = 0;
	} else {
		pieces_write(vq, pc, npc, 0, &hdr, hlen);
		nseg = plan_copies(vq, m, pc, npc, hlen, slot, cpu);
	}
	if (fx.ip_csum_at != 0 || fx.l4_csum_at != 0)
		vhost_net_fixup(pc, npc, hlen, m->pkt_len, &fx);
	/* one inflight entry per chain; the first waits for every copy */
	left = need;
	for (k = 0; k < nch; k++) {
		struct vhost_inflight *e = vhost_infl_push(vq);

		e->id = ch[k].id;
		e->ndesc = ch[k].ndesc;
		e->len = (uint32_t)(left < ch[k].len ? left : ch[k].len);
		e->pending = k == 0 ? nseg : 0;
		e->pkt_end = k + 1 == nch;
		left -= e->len;
	}
	*first_slot = slot;
	vq->stats.packets++;
	vq->stats.bytes += m->pkt_len;
	return 1;
}

void
vhost_enqueue_begin(struct vhost_vq *vq, uint32_t *hlen, int *mrg)
{
	struct vhost_dev *dev = vq->dev;

	*mrg = vhost_has_feature(dev, VIRTIO_NET_F_MRG_RXBUF);
	*hlen = *mrg || vhost_has_feature(dev, VIRTIO_F_VERSION_1) ?
		sizeof(struct virtio_net_hdr_mrg) : sizeof(struct virtio_net_hdr);
	vq->npieces = 0;
	vq->nsegs = 0;
	vq->xc_size = 0;      /* the memory table may have changed */
	vq->log_copies = vhost_has_feature(dev, VHOST_F_LOG_ALL) &&
			 dev->log.base != NULL;
}

uint16_t
keel_vhost_enqueue_burst(int vid, uint16_t queue_id, struct keel_mbuf **pkts,
			 uint16_t count)
{
	struct vhost_dev *dev = vhost_dev_get(vid);
	struct vhost_vq *vq;
	uint32_t hlen, slot;
	uint16_t i = 0;
	int mrg;

	if (dev == NULL || (queue_id & 1) || queue_id >= VHOST_MAX_VRINGS ||
	    pkts == NULL)
		return 0;
	vq = __atomic_load_n(&dev->vq[queue_id], __ATOMIC_ACQUIRE);
	if (vq == NULL || !vhost_trylock(&vq->lock))
		return 0;
	/* an async queue takes packets only through its own calls */
	if (!vq->ready || vq->copy != &vhost_copy_cpu ||
	    vhost_vq_still_waiting(vq))
		goto out;
	vhost_enqueue_begin(vq, &hlen, &mrg);
	while (i < count && vhost_enqueue_one(vq, pkts[i], hlen, mrg, &slot))
		i++;
	if (vq->nsegs > 0)
		vq->copy->submit(vq, vq->segs, vq->nsegs);
	vhost_vq_complete(vq, 1);
out:
	vhost_unlock(&vq->lock);
	return i;
}
