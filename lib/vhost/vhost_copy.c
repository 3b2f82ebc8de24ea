/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CPU copy engine and the completion step of every burst (see
 * vhost_copy.h for the seam and its invariant).
 * Locking: the queue's lock.
 */
#include <string.h>

#include "vhost_copy.h"

static uint32_t
cpu_submit(struct vhost_vq *vq, const struct vhost_copy_seg *s, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		memcpy(s[i].dst, s[i].src, s[i].len);
		vhost_copy_done(vq, &s[i], 1);
	}
	return n;
}

const struct vhost_copy_ops vhost_copy_cpu = {
	.name = "cpu",
	.submit = cpu_submit,
};

void
vhost_vq_drain_locked(struct vhost_vq *vq)
{
	if (vq->copy != NULL && vq->copy->drain != NULL)
		vq->copy->drain(vq);
	/* chains whose copies completed are returned to the guest now: a
	 * stopped queue owes it nothing */
	if (vq->infl_count > 0 && vq->indexes_set && vq->inflight != NULL)
		vhost_vq_complete(vq, !(vq->index & 1));
}

/* entries from the tail up to the end of the first complete packet whose
 * copies all finished; 0 when the oldest packet still waits */
static uint32_t
done_prefix(const struct vhost_vq *vq)
{
	uint32_t i, slot = vq->infl_tail, run = 0;

	for (i = 0; i < vq->infl_count; i++) {
		const struct vhost_inflight *e = &vq->inflight[slot];

		if (e->pending != 0)
			break;
		if (e->pkt_end)
			run = i + 1;
		if (++slot == vq->infl_size)
			slot = 0;
	}
	return run;
}

/*
 * Packed, IN_ORDER, nothing written into the buffers (the guest's Tx):
 * one used descriptor, the last buffer's id, stands for the n in flight,
 * which were taken in ring order (virtio 1.2, 2.8.9); the driver steps
 * over the slots of the others. One line written instead of n/4, and
 * one for the driver to read.
 */
static void
used_in_order(struct vhost_vq *vq, uint32_t n)
{
	uint32_t ndesc = 0, i, last = vq->infl_tail;

	for (i = 0; i < n; i++) {
		last = vq->infl_tail;
		ndesc += vq->inflight[last].ndesc;
		if (++vq->infl_tail == vq->infl_size)
			vq->infl_tail = 0;
	}
	vq->infl_count = 0;
	/* n <= the ring's size: so is their descriptors' sum */
	vhost_packed_used(vq, vq->inflight[last].id, (uint16_t)ndesc, 0, 0);
}

uint32_t
vhost_vq_complete(struct vhost_vq *vq, int device_wrote)
{
	uint32_t n, i;
	int failed = 0;

	if (vq->copy->poll == NULL && vq->copy->retire == NULL) {
		/* an engine that copies inside submit(): every entry is done
		 * and none failed - the used entries in a row */
		n = vq->infl_count;
		if (n == 0)
			return 0;
		if (vq->packed && !device_wrote &&
		    vhost_has_feature(vq->dev, VIRTIO_F_IN_ORDER)) {
			used_in_order(vq, n);
			goto flush;
		}
		for (i = 0; i < n; i++) {
			const struct vhost_inflight *e =
				&vq->inflight[vq->infl_tail];

			if (vq->packed)
				vhost_packed_used(vq, e->id, e->ndesc, e->len,
						  device_wrote);
			else
				vhost_split_used(vq, e->id, e->len);
			if (++vq->infl_tail == vq->infl_size)
				vq->infl_tail = 0;
		}
		vq->infl_count = 0;
		goto flush;
	}
	if (vq->copy->poll != NULL)
		vq->copy->poll(vq);
	n = done_prefix(vq);
	for (i = 0; i < n; i++) {
		const struct vhost_inflight *e = &vq->inflight[vq->infl_tail];
		uint32_t len;

		/* a failed copy fails its whole packet: none of its chains
		 * claims bytes (the failure is noted on the packet's first) */
		failed |= e->failed;
		len = failed ? 0 : e->len;
		if (vq->packed)
			vhost_packed_used(vq, e->id, e->ndesc, len, device_wrote);
		else
			vhost_split_used(vq, e->id, len);
		if (vq->copy->retire != NULL)
			vq->copy->retire(vq, vq->infl_tail, failed);
		if (e->pkt_end)
			failed = 0;
		if (++vq->infl_tail == vq->infl_size)
			vq->infl_tail = 0;
	}
	vq->infl_count -= n;
	if (n == 0)
		return 0;
flush:
	if (vq->packed)
		vhost_packed_used_flush(vq);
	else
		vhost_split_used_flush(vq);
	vhost_vq_notify_guest(vq);
	return n;
}
