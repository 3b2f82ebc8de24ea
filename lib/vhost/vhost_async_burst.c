/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The async net bursts (keel_vhost_async.h), each a straight line: try
 * the queue's lock -> collect completions and write the used entries of
 * finished packets (vhost_vq_complete(): the engine's poll, then retire
 * moves each packet to the done FIFO) -> if no copy waits for a vchan,
 * take new packets exactly as the synchronous bursts do (vhost_burst.h)
 * and hand their copies to the engine -> (dequeue: complete again) ->
 * return packets from the done FIFO (poll and dequeue).
 * Invariants: see vhost_async.h. Locking: the queue's lock (tried).
 */
#include "keel_mbuf.h"
#include "vhost_async.h"
#include "vhost_burst.h"

static struct vhost_vq *
lock_async(int vid, uint16_t queue_id, int tx)
{
	struct vhost_dev *dev = vhost_dev_get(vid);
	struct vhost_vq *vq;

	if (dev == NULL || (queue_id & 1) != tx || queue_id >= VHOST_MAX_VRINGS)
		return NULL;
	vq = __atomic_load_n(&dev->vq[queue_id], __ATOMIC_ACQUIRE);
	if (vq == NULL || !vhost_trylock(&vq->lock))
		return NULL;
	if (vhost_async_of(vq) == NULL) {
		vhost_unlock(&vq->lock);
		return NULL;
	}
	return vq;
}

/* the ring may be used: started, translated, not waiting on the IOTLB */
static int
ring_usable(struct vhost_vq *vq)
{
	return vq->ready && vq->infl_size <= VHOST_ASYNC_SLOTS &&
	       !vhost_vq_still_waiting(vq);
}

static uint16_t
done_pop(struct vhost_async *a, struct keel_mbuf **pkts, uint16_t count,
	 uint8_t *failed)
{
	uint16_t n = 0;

	while (n < count && a->done_count > 0) {
		pkts[n] = a->done[a->done_head];
		if (failed != NULL)
			failed[n] = a->done_failed[a->done_head];
		if (++a->done_head == VHOST_ASYNC_SLOTS)
			a->done_head = 0;
		a->done_count--;
		a->npkts--;
		n++;
	}
	return n;
}

/* a packet taken but not put in the guest: it comes back failed */
static void
done_push_failed(struct vhost_async *a, struct keel_mbuf *m)
{
	uint32_t at = a->done_head + a->done_count;

	if (at >= VHOST_ASYNC_SLOTS)
		at -= VHOST_ASYNC_SLOTS;
	a->done[at] = m;
	a->done_failed[at] = 1;
	a->done_count++;
}

uint16_t
keel_vhost_submit_enqueue_burst(int vid, uint16_t queue_id,
				struct keel_mbuf **pkts, uint16_t count)
{
	struct vhost_vq *vq = lock_async(vid, queue_id, 0);
	struct vhost_async *a;
	uint32_t hlen, slot;
	uint16_t i = 0;
	int mrg;

	if (vq == NULL || pkts == NULL) {
		if (vq != NULL)
			vhost_unlock(&vq->lock);
		return 0;
	}
	a = vq->copy_priv;
	if (!ring_usable(vq))
		goto out;
	vhost_vq_complete(vq, 1);
	if (a->nbacklog > 0)
		goto out;
	if (count > VHOST_ASYNC_SLOTS - a->npkts)
		count = (uint16_t)(VHOST_ASYNC_SLOTS - a->npkts);
	vhost_enqueue_begin(vq, &hlen, &mrg);
	while (i < count && vhost_enqueue_one(vq, pkts[i], hlen, mrg, &slot)) {
		if (slot == UINT32_MAX)
			done_push_failed(a, pkts[i]);
		else
			a->pkt[slot] = pkts[i];
		a->npkts++;
		i++;
	}
	/* the copies run now; their packets come back in a later poll */
	if (vq->nsegs > 0)
		vq->copy->submit(vq, vq->segs, vq->nsegs);
	if (++a->cur == a->nch)
		a->cur = 0;
out:
	vhost_unlock(&vq->lock);
	return i;
}

uint16_t
keel_vhost_poll_enqueue_completed(int vid, uint16_t queue_id,
				  struct keel_mbuf **pkts, uint16_t count,
				  uint8_t *failed)
{
	struct vhost_vq *vq = lock_async(vid, queue_id, 0);
	uint16_t n = 0;

	if (vq == NULL)
		return 0;
	if (pkts != NULL) {
		if (ring_usable(vq))
			vhost_vq_complete(vq, 1);
		n = done_pop(vq->copy_priv, pkts, count, failed);
	}
	vhost_unlock(&vq->lock);
	return n;
}

uint16_t
keel_vhost_async_try_dequeue_burst(int vid, uint16_t queue_id,
				   struct keel_mempool *mp,
				   struct keel_mbuf **pkts, uint16_t count,
				   int *nr_inflight)
{
	struct vhost_vq *vq = lock_async(vid, queue_id, 1);
	struct vhost_async *a;
	struct virtio_net_hdr hdr;
	struct keel_mbuf *m;
	uint32_t hlen, slot, room, k = 0;
	uint16_t n;
	int r;

	if (vq == NULL || mp == NULL || pkts == NULL) {
		if (vq != NULL)
			vhost_unlock(&vq->lock);
		return 0;
	}
	a = vq->copy_priv;
	if (ring_usable(vq)) {
		vhost_vq_complete(vq, 0);
		room = VHOST_ASYNC_SLOTS - a->npkts;
		if (room > count)
			room = count;
		hlen = vhost_dequeue_begin(vq);
		while (a->nbacklog == 0 && k < room) {
			r = vhost_dequeue_one(vq, mp, NULL, hlen, &hdr, &m,
					      &slot);
			if (r < 0)
				break;
			if (r == 0)
				continue;
			a->pkt[slot] = m;
			a->hdr[slot] = hdr;
			a->npkts++;
			k++;
		}
		if (vq->nsegs > 0)
			vq->copy->submit(vq, vq->segs, vq->nsegs);
		vhost_vq_complete(vq, 0);
		if (++a->cur == a->nch)
			a->cur = 0;
	}
	/* a pending RARP goes first, as in the synchronous burst */
	n = 0;
	if (count > 0 && (pkts[0] = vhost_dequeue_rarp(vq->dev, mp)) != NULL)
		n = 1;
	n = (uint16_t)(n + done_pop(a, pkts + n, (uint16_t)(count - n), NULL));
	if (nr_inflight != NULL)
		*nr_inflight = (int)a->npkts;
	vhost_unlock(&vq->lock);
	return n;
}

uint16_t
keel_vhost_async_clear_queue(int vid, uint16_t queue_id,
			     struct keel_mbuf **pkts, uint16_t count,
			     uint8_t *failed)
{
	struct vhost_dev *dev = vhost_dev_get(vid);
	struct vhost_vq *vq;
	uint16_t n;

	if (dev == NULL || queue_id >= VHOST_MAX_VRINGS || pkts == NULL)
		return 0;
	vq = __atomic_load_n(&dev->vq[queue_id], __ATOMIC_ACQUIRE);
	if (vq == NULL || vhost_async_of(vq) == NULL)
		return 0;
	vhost_lock_ctrl(&vq->lock);
	if (vhost_async_of(vq) == NULL) {
		vhost_unlock(&vq->lock);
		return 0;
	}
	vhost_vq_drain_locked(vq);
	n = done_pop(vq->copy_priv, pkts, count, failed);
	vhost_unlock(&vq->lock);
	return n;
}

int
keel_vhost_async_get_inflight(int vid, uint16_t queue_id)
{
	struct vhost_dev *dev = vhost_dev_get(vid);
	struct vhost_vq *vq;
	struct vhost_async *a;
	int n;

	if (dev == NULL) {
		errno = ENODEV;
		return -1;
	}
	vq = queue_id < VHOST_MAX_VRINGS ? dev->vq[queue_id] : NULL;
	a = vq != NULL ? vhost_async_of(vq) : NULL;
	if (a == NULL) {
		errno = EINVAL;
		return -1;
	}
	n = (int)__atomic_load_n(&a->npkts, __ATOMIC_RELAXED);
	return n;
}
