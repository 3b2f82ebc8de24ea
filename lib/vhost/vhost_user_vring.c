/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtqueue message handlers: SET_VRING_NUM/ADDR/BASE/KICK/CALL/ERR/ENABLE
 * and GET_VRING_BASE (vhost-user "Ring states").
 *
 * A ring is stopped until its kick fd arrives, runs until GET_VRING_BASE
 * stops it, and is enabled by SET_VRING_ENABLE (or from the start when
 * VHOST_USER_F_PROTOCOL_FEATURES is not negotiated). Its size and base can
 * change only while it is stopped; its addresses and fds at any time.
 * Locking: dispatcher thread; what a burst reads changes under the queue's
 * lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vhost_internal.h"

static struct vhost_vq *
vq_of(struct vhost_dev *dev, uint32_t idx, const char *what)
{
	struct vhost_vq *vq;

	if (idx >= VHOST_MAX_VRINGS || idx >= 2 * dev->max_queue_pairs) {
		VHOST_LOG(ERR, dev, "%s: vring index %u out of range (%u vrings)",
			  what, idx, 2 * dev->max_queue_pairs);
		return NULL;
	}
	vq = vhost_vq_get_or_alloc(dev, idx);
	if (vq == NULL)
		VHOST_LOG(ERR, dev, "%s: no memory for vring %u", what, idx);
	return vq;
}

int
vhost_user_set_vring_num(struct vhost_dev *dev, struct vhost_user_msg *msg,
			 int *fds, uint32_t nfds)
{
	uint32_t num = msg->payload.state.num;
	struct vhost_vq *vq;

	(void)fds; (void)nfds;
	vq = vq_of(dev, msg->payload.state.index, "SET_VRING_NUM");
	if (vq == NULL)
		return -EINVAL;
	if (num == 0 || num > VHOST_VRING_SIZE_MAX) {
		VHOST_LOG(ERR, dev, "SET_VRING_NUM %u: size %u not in 1..%u",
			  vq->index, num, VHOST_VRING_SIZE_MAX);
		return -EINVAL;
	}
	if (vq->started) {
		VHOST_LOG(ERR, dev, "SET_VRING_NUM %u while the ring runs",
			  vq->index);
		return -EBUSY;
	}
	vq->num = num;
	return VH_OK;
}

int
vhost_user_set_vring_addr(struct vhost_dev *dev, struct vhost_user_msg *msg,
			  int *fds, uint32_t nfds)
{
	const struct vhost_user_vring_addr *a = &msg->payload.addr;
	struct vhost_vq *vq;

	(void)fds; (void)nfds;
	vq = vq_of(dev, a->index, "SET_VRING_ADDR");
	if (vq == NULL)
		return -EINVAL;
	if (a->flags & ~(1u << VHOST_VRING_F_LOG)) {
		VHOST_LOG(ERR, dev, "SET_VRING_ADDR %u: unknown flags 0x%x",
			  vq->index, a->flags);
		return -EINVAL;
	}
	/* may change while running (e.g. to start logging): under the lock,
	 * and the rings translate again below */
	vhost_lock_ctrl(&vq->lock);
	vq->addr = *a;
	vq->addr_set = 1;
	vq->ready = 0;
	vq->xlate_warned = 0;
	vhost_unlock(&vq->lock);
	vhost_dev_update_state(dev);
	return VH_OK;
}

int
vhost_user_set_vring_base(struct vhost_dev *dev, struct vhost_user_msg *msg,
			  int *fds, uint32_t nfds)
{
	uint32_t num = msg->payload.state.num;
	struct vhost_vq *vq;

	(void)fds; (void)nfds;
	vq = vq_of(dev, msg->payload.state.index, "SET_VRING_BASE");
	if (vq == NULL)
		return -EINVAL;
	if (vq->started) {
		VHOST_LOG(ERR, dev, "SET_VRING_BASE %u while the ring runs",
			  vq->index);
		return -EBUSY;
	}
	if (vhost_has_feature(dev, VIRTIO_F_RING_PACKED)) {
		/* bits 0-14: avail index, bit 15: avail wrap counter; the
		 * used side restarts at the same place */
		vq->base_avail = (uint16_t)(num & 0x7fff);
		vq->base_wrap = (uint8_t)((num >> 15) & 1);
	} else {
		if (num > 0xffff) {
			VHOST_LOG(ERR, dev, "SET_VRING_BASE %u: %u is not a "
				  "16-bit index", vq->index, num);
			return -EINVAL;
		}
		vq->base_avail = (uint16_t)num;
		vq->base_wrap = 0;
	}
	vq->indexes_set = 0;
	return VH_OK;
}

int
vhost_user_get_vring_base(struct vhost_dev *dev, struct vhost_user_msg *msg,
			  int *fds, uint32_t nfds)
{
	struct vhost_vq *vq;
	uint32_t num;

	(void)fds; (void)nfds;
	vq = vq_of(dev, msg->payload.state.index, "GET_VRING_BASE");
	if (vq == NULL)
		return VH_CLOSE;   /* the front-end waits for a reply */
	/* the device stops first (the application lets go of the queue) */
	vhost_dev_stop_running(dev);
	vhost_lock_ctrl(&vq->lock);
	vhost_vq_stop_locked(vq);
	if (!vq->indexes_set)
		num = vq->base_avail | ((uint32_t)vq->base_wrap << 15);
	else if (vq->packed)
		num = (vq->last_avail_idx & 0x7fffu) |
		      ((uint32_t)vq->avail_wrap << 15);
	else
		num = vq->last_avail_idx;
	/* the next start takes its indexes from SET_VRING_BASE again, or
	 * from this state if none comes */
	vq->base_avail = (uint16_t)(num & (vq->packed ? 0x7fff : 0xffff));
	vq->base_wrap = vq->packed ? (uint8_t)((num >> 15) & 1) : 0;
	vq->indexes_set = 0;
	vhost_unlock(&vq->lock);
	/* Cached translations do not outlive a stop: a guest driver that
	 * resets its device may put its new rings at the IOVAs of the old
	 * ones before the invalidation reaches us (Linux guests flush their
	 * IOTLB lazily), and QEMU sends UPDATEs only for misses and used
	 * rings. Seen with QEMU 7.2's intel-iommu and a 6.12 guest: stale
	 * descriptor ring, every packet after the reset lost. */
	if (vhost_dev_iommu(dev)) {
		vhost_dev_lock_all(dev);
		vhost_dev_drain_locked(dev);
		vhost_iotlb_flush(&dev->iotlb);
		vhost_dev_unlock_all(dev);
	}
	if (vq->kickfd >= 0) {
		close(vq->kickfd);
		vq->kickfd = -1;
	}
	VHOST_LOG(INFO, dev, "vring %u stopped at %u", vq->index, num);
	msg->payload.state.num = num;
	msg->size = sizeof(msg->payload.state);
	vhost_dev_update_state(dev);
	return VH_REPLY;
}

/* an fd the front-end gives for a ring event must be an eventfd: Keel
 * writes to it from the datapath and must never block there */
static int
check_eventfd(struct vhost_dev *dev, int fd, const char *what)
{
	char link[64], target[64];
	ssize_t n;
	int fl;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		if (strcmp(target, "anon_inode:[eventfd]") != 0) {
			VHOST_LOG(ERR, dev, "%s: fd %d is %s, not an eventfd",
				  what, fd, target);
			return -EINVAL;
		}
	}
	/* shared with the front-end, which uses non-blocking eventfds too */
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
		VHOST_LOG(ERR, dev, "%s: fd %d: %s", what, fd, strerror(errno));
		return -EBADF;
	}
	return 0;
}

/* the u64 of KICK/CALL/ERR: index, "no fd" bit, and the fd count */
static struct vhost_vq *
vring_fd_msg(struct vhost_dev *dev, uint64_t v, uint32_t nfds, const char *what,
	     int *nofd)
{
	if (v & ~(uint64_t)(VHOST_USER_VRING_IDX_MASK |
			    VHOST_USER_VRING_NOFD_MASK)) {
		VHOST_LOG(ERR, dev, "%s: payload 0x%" PRIx64 " has unknown bits",
			  what, v);
		return NULL;
	}
	*nofd = (v & VHOST_USER_VRING_NOFD_MASK) != 0;
	if (nfds != (*nofd ? 0u : 1u)) {
		VHOST_LOG(ERR, dev, "%s: %u fds with the no-fd bit %s", what,
			  nfds, *nofd ? "set" : "clear");
		return NULL;
	}
	return vq_of(dev, (uint32_t)(v & VHOST_USER_VRING_IDX_MASK), what);
}

int
vhost_user_set_vring_kick(struct vhost_dev *dev, struct vhost_user_msg *msg,
			  int *fds, uint32_t nfds)
{
	struct vhost_vq *vq;
	int nofd;

	vq = vring_fd_msg(dev, msg->payload.u64, nfds, "SET_VRING_KICK", &nofd);
	if (vq == NULL)
		return VH_CLOSE;
	if (!nofd && check_eventfd(dev, fds[0], "SET_VRING_KICK") < 0)
		return -EINVAL;
	if (vq->kickfd >= 0)
		close(vq->kickfd);
	vq->kickfd = nofd ? -1 : fds[0];
	if (!nofd)
		fds[0] = -1;
	/* the kick starts the ring; without protocol features it is also
	 * enabled (vhost-user "Ring states") */
	if (!vq->started) {
		vq->started = 1;
		vq->indexes_set = 0;
	}
	if (!vhost_has_feature(dev, VHOST_USER_F_PROTOCOL_FEATURES))
		vq->enabled = 1;
	vhost_dev_update_state(dev);
	return VH_OK;
}

static int
swap_event_fd(struct vhost_dev *dev, struct vhost_user_msg *msg, int *fds,
	      uint32_t nfds, const char *what, int err)
{
	struct vhost_vq *vq;
	int nofd, old, *slot;

	vq = vring_fd_msg(dev, msg->payload.u64, nfds, what, &nofd);
	if (vq == NULL)
		return VH_CLOSE;
	if (!nofd && check_eventfd(dev, fds[0], what) < 0)
		return -EINVAL;
	slot = err ? &vq->errfd : &vq->callfd;
	/* the datapath writes these fds: swap under the queue's lock */
	vhost_lock_ctrl(&vq->lock);
	old = *slot;
	*slot = nofd ? -1 : fds[0];
	vhost_unlock(&vq->lock);
	if (!nofd)
		fds[0] = -1;
	if (old >= 0)
		close(old);
	return VH_OK;
}

int
vhost_user_set_vring_call(struct vhost_dev *dev, struct vhost_user_msg *msg,
			  int *fds, uint32_t nfds)
{
	return swap_event_fd(dev, msg, fds, nfds, "SET_VRING_CALL", 0);
}

int
vhost_user_set_vring_err(struct vhost_dev *dev, struct vhost_user_msg *msg,
			 int *fds, uint32_t nfds)
{
	return swap_event_fd(dev, msg, fds, nfds, "SET_VRING_ERR", 1);
}

int
vhost_user_set_vring_enable(struct vhost_dev *dev, struct vhost_user_msg *msg,
			    int *fds, uint32_t nfds)
{
	uint32_t num = msg->payload.state.num;
	struct vhost_vq *vq;

	(void)fds; (void)nfds;
	vq = vq_of(dev, msg->payload.state.index, "SET_VRING_ENABLE");
	if (vq == NULL)
		return -EINVAL;
	if (num > 1) {
		VHOST_LOG(ERR, dev, "SET_VRING_ENABLE %u: %u is not 0 or 1",
			  vq->index, num);
		return -EINVAL;
	}
	vq->enabled = (uint8_t)num;
	vhost_dev_update_state(dev);
	return VH_OK;
}
