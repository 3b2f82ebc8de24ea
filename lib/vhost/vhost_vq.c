/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Datapath helpers shared by the split and packed walkers: address
 * translation (GPA, or IOVA through the IOTLB), buffers cut into pieces of
 * contiguous host memory, indirect tables, the IOTLB pause, the dirty log,
 * guest notifications, and the back-end channel's IOTLB miss.
 *
 * Invariant: a queue that waits for an IOTLB entry (vq->waiting) has not
 * consumed the descriptor that needed it; it retries only once the IOTLB
 * changed (its generation moved), and asks the front-end again every
 * second meanwhile.
 * Locking: the queue's lock (datapath); the back-end channel's sends are
 * serialised by dev->backend_lock, which the datapath only tries.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "keel_cycles.h"
#include "vhost_internal.h"

#define MISS_RESEND_NS 1000000000ULL

uint8_t *
vhost_vq_xlate(struct vhost_vq *vq, uint64_t addr, uint64_t len, uint8_t perm,
	       uint64_t *contig, enum vhost_xlate *res)
{
	struct vhost_dev *dev = vq->dev;
	uint64_t uaddr, c1;
	uint8_t *h;
	int r;

	if (!vhost_dev_iommu(dev)) {
		const struct vhost_region *r = vhost_mem_gpa_find(dev->mem,
								  addr);

		if (r == NULL) {
			*res = VHOST_XLATE_FAULT;
			return NULL;
		}
		/* the next buffers are likely in the same region */
		vq->xc_gpa = r->gpa;
		vq->xc_size = r->size;
		vq->xc_host = r->host;
		*contig = r->size - (addr - r->gpa) < len ?
			  r->size - (addr - r->gpa) : len;
		*res = VHOST_XLATE_OK;
		return r->host + (addr - r->gpa);
	}
	r = vhost_iotlb_lookup(&dev->iotlb, addr, len, perm, &uaddr, &c1);
	if (r == -ENOENT) {
		*res = VHOST_XLATE_MISS;
		return NULL;
	}
	if (r < 0) {
		*res = VHOST_XLATE_FAULT;
		return NULL;
	}
	h = vhost_mem_uaddr_to_host(dev->mem, uaddr, c1, contig);
	*res = h != NULL ? VHOST_XLATE_OK : VHOST_XLATE_FAULT;
	return h;
}

int
vhost_walk_buffer_slow(struct vhost_walk *w, uint64_t addr, uint32_t len,
		       uint16_t flags)
{
	struct vhost_vq *vq = w->vq;
	uint8_t perm = w->device_writes ? VHOST_ACCESS_WO : VHOST_ACCESS_RO;
	uint64_t done = 0;

	if (w->bad)
		return VHOST_FETCH_OK;
	if (!!(flags & VRING_DESC_F_WRITE) != w->device_writes) {
		w->bad = 1;
		w->why = "buffer direction";
		return VHOST_FETCH_OK;
	}
	w->total += len;
	if (w->total > UINT32_MAX) {
		w->bad = 1;
		w->why = "lengths sum past 2^32";
		return VHOST_FETCH_OK;
	}
	if (len > 0 && addr > UINT64_MAX - (len - 1)) {
		w->bad = 1;
		w->why = "buffer wraps the address space";
		return VHOST_FETCH_OK;
	}
	while (done < len) {
		enum vhost_xlate res;
		uint64_t contig;
		uint8_t *h;

		h = vhost_vq_xlate(vq, addr + done, len - done, perm, &contig,
				   &res);
		if (res == VHOST_XLATE_MISS) {
			vhost_vq_wait_iotlb(vq, addr + done, perm);
			return VHOST_FETCH_WAIT;
		}
		if (res != VHOST_XLATE_OK) {
			w->bad = 1;
			w->why = "buffer outside guest memory";
			return VHOST_FETCH_OK;
		}
		if (w->c->npieces >= VHOST_CHAIN_PIECES_MAX) {
			w->bad = 1;
			w->why = "too many pieces";
			return VHOST_FETCH_OK;
		}
		if (vq->npieces >= VHOST_BURST_PIECES)
			return VHOST_FETCH_FULL;
		vq->pieces[vq->npieces].host = h;
		vq->pieces[vq->npieces].len = (uint32_t)contig;
		vq->npieces++;
		w->c->npieces++;
		done += contig;
	}
	return VHOST_FETCH_OK;
}

const void *
vhost_walk_indirect(struct vhost_walk *w, uint64_t addr, uint32_t len,
		    int *ret)
{
	struct vhost_vq *vq = w->vq;
	uint64_t done = 0, contig;
	enum vhost_xlate res;
	const uint8_t *h;

	*ret = VHOST_FETCH_OK;
	if (addr > UINT64_MAX - (len - 1)) {
		w->bad = 1;
		w->why = "indirect table wraps the address space";
		return NULL;
	}
	while (done < len) {
		h = vhost_vq_xlate(vq, addr + done, len - done, VHOST_ACCESS_RO,
				   &contig, &res);
		if (res == VHOST_XLATE_MISS) {
			vhost_vq_wait_iotlb(vq, addr + done, VHOST_ACCESS_RO);
			*ret = VHOST_FETCH_WAIT;
			return NULL;
		}
		if (res != VHOST_XLATE_OK) {
			w->bad = 1;
			w->why = "indirect table outside guest memory";
			return NULL;
		}
		/* the usual case; a misaligned table is copied, so descriptors
		 * are always read with aligned loads */
		if (done == 0 && contig == len && ((uintptr_t)h & 7) == 0)
			return h;
		/* scattered: gather it (read once, as everything else) */
		vhost_read_once((uint8_t *)vq->indirect_buf + done, h, contig);
		done += contig;
	}
	return vq->indirect_buf;
}

int
vhost_send_iotlb_miss(struct vhost_dev *dev, uint64_t iova, uint8_t perm)
{
	struct vhost_user_msg m;
	int ret;

	if (dev->backend_fd < 0 ||
	    !vhost_has_protocol(dev, VHOST_USER_PROTOCOL_F_BACKEND_REQ))
		return -ENOTCONN;
	memset(&m, 0, sizeof(m));
	m.request = VHOST_USER_BACKEND_IOTLB_MSG;
	m.flags = VHOST_USER_VERSION;
	m.size = sizeof(m.payload.iotlb);
	m.payload.iotlb.iova = iova;
	m.payload.iotlb.perm = perm;
	m.payload.iotlb.type = VHOST_IOTLB_MISS;
	if (!vhost_trylock(&dev->backend_lock))
		return -EAGAIN;
	ret = dev->backend_fd < 0 ? -ENOTCONN :
	      vhost_msg_send(dev->backend_fd, &m, NULL, 0);
	vhost_unlock(&dev->backend_lock);
	return ret;
}

void
vhost_vq_wait_iotlb(struct vhost_vq *vq, uint64_t iova, uint8_t perm)
{
	vq->waiting = 1;
	vq->wait_iova = iova;
	vq->wait_perm = perm;
	vq->wait_gen = vq->dev->iotlb.gen;
	vq->stats.iotlb_misses++;
	VHOST_LOG(DEBUG, vq->dev, "vring %u: IOTLB miss at iova 0x%" PRIx64
		  " (perm %u): paused", vq->index, iova, perm);
	vq->wait_sent_ns = vhost_send_iotlb_miss(vq->dev, iova, perm) == 0 ?
			   keel_time_ns() : 0;
}

int
vhost_vq_still_waiting(struct vhost_vq *vq)
{
	uint64_t now;

	if (!vq->waiting)
		return 0;
	if (vq->dev->iotlb.gen != vq->wait_gen) {
		vq->waiting = 0;     /* something arrived: try again */
		return 0;
	}
	vq->stats.iotlb_paused++;
	now = keel_time_ns();
	if (vq->wait_sent_ns == 0 || now - vq->wait_sent_ns > MISS_RESEND_NS) {
		if (vhost_send_iotlb_miss(vq->dev, vq->wait_iova,
					  vq->wait_perm) == 0)
			vq->wait_sent_ns = now;
	}
	return 1;
}

void
vhost_vq_log_host_write(struct vhost_vq *vq, const void *host, uint64_t len)
{
	struct vhost_dev *dev = vq->dev;
	uint64_t gpa;

	if (!vhost_has_feature(dev, VHOST_F_LOG_ALL) || dev->log.base == NULL)
		return;
	gpa = vhost_mem_host_to_gpa(dev->mem, host);
	if (gpa != UINT64_MAX)
		vhost_log_write_gpa(&dev->log, gpa, len);
}

static void
event_write(int fd)
{
	uint64_t one = 1;
	ssize_t r;

	/* non-blocking eventfd (checked when it arrived): a full counter
	 * drops the event, which the reader would not miss */
	r = write(fd, &one, sizeof(one));
	(void)r;
}

void
vhost_vq_notify_guest(struct vhost_vq *vq)
{
	int need;

	if (vq->callfd < 0)
		return;
	need = vq->packed ? vhost_packed_need_notify(vq) :
			    vhost_split_need_notify(vq);
	if (!need)
		return;
	event_write(vq->callfd);
	vq->stats.guest_notified++;
}

void
vhost_vq_kick_err(struct vhost_vq *vq)
{
	if (vq->errfd >= 0)
		event_write(vq->errfd);
}

int
vhost_vq_init_indexes(struct vhost_vq *vq)
{
	uint16_t used_idx;

	if (vq->packed) {
		if (vq->base_avail >= vq->size) {
			VHOST_LOG(ERR, vq->dev, "vring %u: base %u beyond the "
				  "ring (%u)", vq->index, vq->base_avail,
				  vq->size);
			return -EINVAL;
		}
		vq->last_avail_idx = vq->last_used_idx = vq->base_avail;
		vq->avail_wrap = vq->used_wrap = vq->base_wrap;
		vq->used_head_pending = 0;
		return 0;
	}
	vhost_read_once(&used_idx, &vq->used->idx, sizeof(used_idx));
	/* the guest's used index is where the ring really stands: chains
	 * between it and the base were taken but never returned (a back-end
	 * that went away); take them again */
	if (used_idx != vq->base_avail)
		VHOST_LOG(INFO, vq->dev, "vring %u: base %u, used index %u: "
			  "restarting at %u", vq->index, vq->base_avail,
			  used_idx, used_idx);
	vq->last_avail_idx = vq->last_used_idx = used_idx;
	vq->avail_shadow = used_idx;
	vq->used_pending = 0;
	return 0;
}
