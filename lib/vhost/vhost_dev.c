/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Devices and their virtqueues: allocation, ring set-up and tear-down,
 * readiness, the application callbacks.
 *
 * Invariants: vhost_devices[vid] is NULL or a device struct that stays
 * allocated for the life of the process (reused by the next connection
 * once in_use drops), and so is every dev->vq[i] once allocated; a queue
 * is ready iff it is started, enabled, not broken, and its rings translate
 * to guest memory (then its work areas are allocated for its size).
 * dev->running iff new_device() accepted the device and it has not been
 * destroyed since; vring_state_changed() reports each queue's readiness
 * exactly once per change while running.
 * Locking: the dispatcher (or an API call under vhost_global_lock) is the
 * only writer; see vhost_internal.h for the queue locks.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keel_cycles.h"
#include "vhost_copy.h"
#include "vhost_internal.h"

KEEL_LOG_REGISTER(keel_logtype_vhost, "vhost", INFO)

struct vhost_dev *vhost_devices[KEEL_VHOST_MAX_DEVICES];

void
vhost_lock_ctrl(struct vhost_lock *l)
{
	unsigned int spins = 0;

	while (!vhost_trylock(l)) {
		if (++spins < 1000)
			keel_pause();
		else
			sched_yield();
	}
}

struct vhost_dev *
vhost_dev_get(int vid)
{
	struct vhost_dev *dev;

	if (vid < 0 || vid >= KEEL_VHOST_MAX_DEVICES)
		return NULL;
	dev = __atomic_load_n(&vhost_devices[vid], __ATOMIC_ACQUIRE);
	if (dev == NULL || !__atomic_load_n(&dev->in_use, __ATOMIC_ACQUIRE))
		return NULL;
	return dev;
}

struct vhost_dev *
vhost_dev_new(struct vhost_socket *s, int connfd)
{
	struct vhost_dev *dev = NULL;
	int vid, i;

	for (vid = 0; vid < KEEL_VHOST_MAX_DEVICES; vid++) {
		dev = vhost_devices[vid];
		if (dev == NULL || !dev->in_use)
			break;
	}
	if (vid == KEEL_VHOST_MAX_DEVICES) {
		KEEL_LOG(ERR, keel_logtype_vhost, "vhost %s: all %d devices in "
			 "use", s->path, KEEL_VHOST_MAX_DEVICES);
		return NULL;
	}
	if (dev == NULL) {
		dev = calloc(1, sizeof(*dev));
		if (dev == NULL)
			return NULL;
		dev->vid = vid;
		__atomic_store_n(&vhost_devices[vid], dev, __ATOMIC_RELEASE);
	}
	/* vq structs of an earlier connection stay (reset, not freed) */
	dev->connfd = connfd;
	dev->backend_fd = -1;
	dev->logfd = -1;
	dev->sock = s;
	snprintf(dev->ifname, sizeof(dev->ifname), "%s", s->path);
	dev->offered_features = s->features;
	dev->offered_protocol = s->protocol_features;
	dev->max_queue_pairs = s->max_queue_pairs;
	dev->features = 0;
	dev->protocol_features = 0;
	dev->features_set = 0;
	dev->status = 0;
	dev->running = 0;
	dev->mtu = 0;
	dev->rarp_pending = 0;
	dev->nr_vring = 0;
	dev->mem = NULL;
	dev->ops = &s->ops;
	dev->compliant_ol = (s->flags & KEEL_VHOST_USER_NET_COMPLIANT_OL_FLAGS) != 0;
	dev->rx_have = 0;
	dev->rx_nfds = 0;
	for (i = 0; i < (int)VHOST_USER_MAX_FDS; i++)
		dev->rx_fds[i] = -1;
	__atomic_store_n(&dev->in_use, 1, __ATOMIC_RELEASE);
	return dev;
}

struct vhost_vq *
vhost_vq_get_or_alloc(struct vhost_dev *dev, uint32_t idx)
{
	struct vhost_vq *vq;

	if (idx >= VHOST_MAX_VRINGS)
		return NULL;
	vq = dev->vq[idx];
	if (vq == NULL) {
		vq = calloc(1, sizeof(*vq));
		if (vq == NULL)
			return NULL;
		vq->callfd = vq->kickfd = vq->errfd = -1;
		vq->index = (uint16_t)idx;
		vq->dev = dev;
		vq->copy = &vhost_copy_cpu;
		__atomic_store_n(&dev->vq[idx], vq, __ATOMIC_RELEASE);
	}
	if (idx + 1 > dev->nr_vring)
		dev->nr_vring = idx + 1;
	return vq;
}

void
vhost_dev_lock_all(struct vhost_dev *dev)
{
	uint32_t i;

	for (i = 0; i < VHOST_MAX_VRINGS; i++)
		if (dev->vq[i] != NULL)
			vhost_lock_ctrl(&dev->vq[i]->lock);
}

void
vhost_dev_unlock_all(struct vhost_dev *dev)
{
	uint32_t i;

	for (i = 0; i < VHOST_MAX_VRINGS; i++)
		if (dev->vq[i] != NULL)
			vhost_unlock(&dev->vq[i]->lock);
}

void
vhost_dev_drain_locked(struct vhost_dev *dev)
{
	uint32_t i;

	for (i = 0; i < VHOST_MAX_VRINGS; i++)
		if (dev->vq[i] != NULL)
			vhost_vq_drain_locked(dev->vq[i]);
}

void
vhost_vq_stop_locked(struct vhost_vq *vq)
{
	vhost_vq_drain_locked(vq);
	vq->ready = 0;
	vq->started = 0;
	vq->broken = 0;
	vq->waiting = 0;
}

/* free a queue's work areas and close its fds (lock held) */
static void
vq_release_locked(struct vhost_vq *vq)
{
	vhost_vq_stop_locked(vq);
	free(vq->pieces);
	free(vq->segs);
	free(vq->inflight);
	free(vq->indirect_buf);
	vq->segs = NULL;
	vq->pieces = NULL;
	vq->inflight = NULL;
	vq->indirect_buf = NULL;
	vq->infl_size = 0;
	if (vq->callfd >= 0)
		close(vq->callfd);
	if (vq->kickfd >= 0)
		close(vq->kickfd);
	if (vq->errfd >= 0)
		close(vq->errfd);
	vq->callfd = vq->kickfd = vq->errfd = -1;
	vq->num = 0;
	vq->addr_set = 0;
	vq->enabled = 0;
	vq->reported = 0;
	vq->indexes_set = 0;
	vq->base_avail = 0;
	vq->base_wrap = 0;
	vq->notify_guest_kicks = 0;
	vq->xc_size = 0;
	memset(&vq->stats, 0, sizeof(vq->stats));
}

void
vhost_vq_set_broken(struct vhost_vq *vq, const char *why)
{
	if (!vq->broken)
		VHOST_LOG(ERR, vq->dev, "vring %u is broken: %s", vq->index, why);
	vq->broken = 1;
	vq->ready = 0;
	vq->stats.broken = 1;
	vhost_vq_kick_err(vq);
}

int
vhost_dev_iommu(const struct vhost_dev *dev)
{
	return vhost_has_feature(dev, VIRTIO_F_IOMMU_PLATFORM);
}

static int
vq_should_run(const struct vhost_vq *vq)
{
	return vq->started && vq->enabled && !vq->broken && vq->addr_set &&
	       vq->num > 0 && vq->dev->mem != NULL && vq->dev->features_set;
}

/* (re)compute one queue's readiness; its lock is held */
static void
vq_refresh_locked(struct vhost_vq *vq)
{
	if (!vq_should_run(vq)) {
		vq->ready = 0;
		return;
	}
	vq->ready = vhost_vq_translate_rings(vq) == 0;
}

static int
dev_ready(const struct vhost_dev *dev)
{
	if (!dev->features_set || dev->vq[0] == NULL || dev->vq[1] == NULL ||
	    !dev->vq[0]->ready || !dev->vq[1]->ready)
		return 0;
	if (vhost_has_protocol(dev, VHOST_USER_PROTOCOL_F_STATUS) &&
	    !(dev->status & VIRTIO_STATUS_DRIVER_OK))
		return 0;
	return 1;
}

void
vhost_dev_stop_running(struct vhost_dev *dev)
{
	uint32_t i;

	if (!dev->running)
		return;
	dev->running = 0;
	VHOST_LOG(INFO, dev, "device %d stopped", dev->vid);
	if (dev->ops->destroy_device != NULL)
		dev->ops->destroy_device(dev->vid);
	for (i = 0; i < dev->nr_vring; i++)
		if (dev->vq[i] != NULL)
			dev->vq[i]->reported = 0;
}

void
vhost_dev_update_state(struct vhost_dev *dev)
{
	uint32_t i;

	for (i = 0; i < dev->nr_vring; i++) {
		struct vhost_vq *vq = dev->vq[i];

		if (vq == NULL)
			continue;
		vhost_lock_ctrl(&vq->lock);
		vq_refresh_locked(vq);
		vhost_unlock(&vq->lock);
	}
	if (dev->running && !dev_ready(dev))
		vhost_dev_stop_running(dev);
	if (!dev->running && dev_ready(dev)) {
		if (dev->ops->new_device != NULL &&
		    dev->ops->new_device(dev->vid) != 0) {
			VHOST_LOG(ERR, dev, "application refused device %d",
				  dev->vid);
			return;
		}
		dev->running = 1;
		VHOST_LOG(INFO, dev, "device %d ready (%u vrings)", dev->vid,
			  dev->nr_vring);
	}
	if (!dev->running)
		return;
	for (i = 0; i < dev->nr_vring; i++) {
		struct vhost_vq *vq = dev->vq[i];

		if (vq == NULL || vq->ready == vq->reported)
			continue;
		vq->reported = vq->ready;
		if (dev->ops->vring_state_changed != NULL)
			dev->ops->vring_state_changed(dev->vid, (uint16_t)i,
						      vq->ready);
	}
}

void
vhost_dev_reset(struct vhost_dev *dev)
{
	struct vhost_mem *mem;
	uint32_t i;

	vhost_dev_stop_running(dev);
	vhost_dev_lock_all(dev);
	for (i = 0; i < VHOST_MAX_VRINGS; i++)
		if (dev->vq[i] != NULL)
			vq_release_locked(dev->vq[i]);
	mem = dev->mem;
	dev->mem = NULL;
	vhost_iotlb_flush(&dev->iotlb);
	vhost_log_release(&dev->log);
	dev->features = 0;
	dev->features_set = 0;
	dev->status = 0;
	vhost_dev_unlock_all(dev);
	if (mem != NULL) {
		for (i = 0; i < mem->n; i++)
			vhost_region_unmap(&mem->r[i]);
		free(mem);
	}
	dev->nr_vring = 0;
}

void
vhost_dev_destroy(struct vhost_dev *dev)
{
	uint32_t i;

	vhost_dev_reset(dev);
	if (dev->ops->destroy_connection != NULL)
		dev->ops->destroy_connection(dev->vid);
	vhost_lock_ctrl(&dev->backend_lock);
	if (dev->backend_fd >= 0)
		close(dev->backend_fd);
	dev->backend_fd = -1;
	vhost_unlock(&dev->backend_lock);
	if (dev->logfd >= 0)
		close(dev->logfd);
	dev->logfd = -1;
	for (i = 0; i < dev->rx_nfds; i++)
		if (dev->rx_fds[i] >= 0)
			close(dev->rx_fds[i]);
	dev->rx_nfds = 0;
	dev->rx_have = 0;
	if (dev->connfd >= 0)
		close(dev->connfd);
	dev->connfd = -1;
	VHOST_LOG(INFO, dev, "connection of device %d closed", dev->vid);
	__atomic_store_n(&dev->in_use, 0, __ATOMIC_RELEASE);
}

/* ---- ring translation (control side) ---- */

/* a ring that does not translate is logged once per configuration */
#define RING_ERR(vq, ...) do { \
	if (!(vq)->xlate_warned) \
		VHOST_LOG(ERR, (vq)->dev, __VA_ARGS__); \
	(vq)->xlate_warned = 1; \
} while (0)

/* translate a ring area; it must be contiguous in our address space */
static int
ring_xlate(struct vhost_vq *vq, uint64_t addr, uint64_t len, uint8_t perm,
	   void **out, const char *what)
{
	struct vhost_dev *dev = vq->dev;
	uint8_t *first = NULL, *expect = NULL;
	uint64_t done = 0, contig, uaddr;

	if (!vhost_dev_iommu(dev)) {
		first = vhost_mem_uaddr_to_host(dev->mem, addr, len, &contig);
		if (first == NULL || contig < len) {
			RING_ERR(vq, "vring %u: %s at user address 0x%"
				  PRIx64 " (+0x%" PRIx64 ") is not in guest "
				  "memory", vq->index, what, addr, len);
			return -EFAULT;
		}
		*out = first;
		return 0;
	}
	while (done < len) {
		uint64_t ulen;
		uint8_t *h;
		int r;

		if (addr > UINT64_MAX - done)
			return -EFAULT;
		r = vhost_iotlb_lookup(&dev->iotlb, addr + done, len - done,
				       perm, &uaddr, &contig);
		if (r == -ENOENT) {
			vhost_send_iotlb_miss(dev, addr + done, perm);
			return -EAGAIN;
		}
		if (r < 0) {
			RING_ERR(vq, "vring %u: %s at iova 0x%" PRIx64
				  " is mapped without permission %u", vq->index,
				  what, addr + done, perm);
			return -EFAULT;
		}
		h = vhost_mem_uaddr_to_host(dev->mem, uaddr, contig, &ulen);
		if (h == NULL || (expect != NULL && h != expect)) {
			RING_ERR(vq, "vring %u: %s at iova 0x%" PRIx64
				  " is %s", vq->index, what, addr + done,
				  h == NULL ? "not in guest memory" :
				  "not contiguous in guest memory");
			return -EFAULT;
		}
		if (first == NULL)
			first = h;
		expect = h + ulen;
		done += ulen;
	}
	*out = first;
	return 0;
}

static int
vq_alloc_work(struct vhost_vq *vq, uint32_t size)
{
	if (vq->pieces == NULL) {
		vq->pieces = calloc(VHOST_BURST_PIECES, sizeof(vq->pieces[0]));
		if (vq->pieces == NULL)
			return -ENOMEM;
	}
	if (vq->segs == NULL) {
		vq->segs = calloc(VHOST_BURST_SEGS, sizeof(vq->segs[0]));
		if (vq->segs == NULL)
			return -ENOMEM;
	}
	if (vq->infl_size != size) {
		free(vq->inflight);
		vq->inflight = calloc(size, sizeof(vq->inflight[0]));
		vq->infl_size = vq->inflight != NULL ? size : 0;
		if (vq->inflight == NULL)
			return -ENOMEM;
	}
	if (vq->indirect_buf == NULL &&
	    vhost_has_feature(vq->dev, VIRTIO_RING_F_INDIRECT_DESC)) {
		vq->indirect_buf = calloc(VHOST_INDIRECT_MAX, 16);
		if (vq->indirect_buf == NULL)
			return -ENOMEM;
	}
	return 0;
}

int
vhost_vq_translate_rings(struct vhost_vq *vq)
{
	struct vhost_dev *dev = vq->dev;
	const struct vhost_user_vring_addr *a = &vq->addr;
	int packed = vhost_has_feature(dev, VIRTIO_F_RING_PACKED);
	uint32_t n = vq->num;
	void *desc, *drv, *devarea;
	int ret;

	if (!packed && (n & (n - 1)) != 0) {
		RING_ERR(vq, "vring %u: split ring size %u is not a power "
			  "of 2", vq->index, n);
		return -EINVAL;
	}
	/* alignment: 2.7 (16/2/4) and 2.8 (16/4/4) */
	if ((a->desc & 15) || (packed ? (a->avail & 3) : (a->avail & 1)) ||
	    (a->used & 3)) {
		RING_ERR(vq, "vring %u: misaligned ring addresses desc "
			  "0x%" PRIx64 " avail 0x%" PRIx64 " used 0x%" PRIx64,
			  vq->index, a->desc, a->avail, a->used);
		return -EINVAL;
	}
	ret = ring_xlate(vq, a->desc, VRING_DESC_SIZE(n),
			 packed ? VHOST_ACCESS_RW : VHOST_ACCESS_RO, &desc,
			 "descriptor ring");
	if (ret == 0)
		ret = ring_xlate(vq, a->avail, packed ? 4 : VRING_AVAIL_SIZE(n),
				 VHOST_ACCESS_RO, &drv,
				 packed ? "driver area" : "avail ring");
	if (ret == 0)
		ret = ring_xlate(vq, a->used, packed ? 4 : VRING_USED_SIZE(n),
				 VHOST_ACCESS_RW, &devarea,
				 packed ? "device area" : "used ring");
	if (ret < 0)
		return ret;
	/* the front-end's addresses were aligned, but its user addresses
	 * need not be congruent with the file offsets we mapped at */
	if (((uintptr_t)desc & 15) ||
	    ((uintptr_t)drv & (packed ? 3 : 1)) || ((uintptr_t)devarea & 3)) {
		RING_ERR(vq, "vring %u: rings land misaligned in our mapping "
			 "(user addresses not congruent with the region's file "
			 "offset)", vq->index);
		return -EINVAL;
	}
	vq->xlate_warned = 0;
	ret = vq_alloc_work(vq, n);
	if (ret < 0) {
		VHOST_LOG(ERR, dev, "vring %u: no memory for its work areas",
			  vq->index);
		return ret;
	}
	vq->packed = (uint8_t)packed;
	vq->size = n;
	vq->desc = desc;
	vq->avail = drv;
	vq->used = devarea;
	vq->event_idx = (uint8_t)vhost_has_feature(dev, VIRTIO_RING_F_EVENT_IDX);
	vq->indirect = (uint8_t)vhost_has_feature(dev,
						  VIRTIO_RING_F_INDIRECT_DESC);
	vq->log_used = (a->flags >> VHOST_VRING_F_LOG) & 1;
	vq->log_guest_addr = a->log;
	if (!vq->indexes_set) {
		ret = vhost_vq_init_indexes(vq);
		if (ret < 0)
			return ret;
		vq->indexes_set = 1;
		vq->infl_tail = vq->infl_count = 0;
		vq->signalled_valid = 0;
		vq->waiting = 0;
	}
	if (vq->packed)
		vhost_packed_set_kicks(vq, vq->notify_guest_kicks);
	else
		vhost_split_set_kicks(vq, vq->notify_guest_kicks);
	return 0;
}
