/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device-level message handlers: features, protocol features, owner,
 * reset, status, MTU, RARP, the back-end channel, IOTLB.
 *
 * Every handler runs on the dispatcher thread after vhost_msg.c checked
 * the payload size, fd count and feature preconditions; it checks what
 * depends on the payload's values. A handler that fails leaves the device
 * as it was. Locking: as vhost_internal.h says; state a burst reads
 * changes under vhost_dev_lock_all().
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vhost_internal.h"

int
vhost_user_get_features(struct vhost_dev *dev, struct vhost_user_msg *msg,
			int *fds, uint32_t nfds)
{
	(void)fds; (void)nfds;
	msg->payload.u64 = dev->offered_features;
	msg->size = sizeof(uint64_t);
	return VH_REPLY;
}

static int
any_vq_started(const struct vhost_dev *dev)
{
	uint32_t i;

	for (i = 0; i < dev->nr_vring; i++)
		if (dev->vq[i] != NULL && dev->vq[i]->started)
			return 1;
	return 0;
}

int
vhost_user_set_features(struct vhost_dev *dev, struct vhost_user_msg *msg,
			int *fds, uint32_t nfds)
{
	uint64_t f = msg->payload.u64;
	uint64_t changed = f ^ dev->features;
	uint32_t i;

	(void)fds; (void)nfds;
	if (f & ~dev->offered_features) {
		VHOST_LOG(ERR, dev, "SET_FEATURES 0x%" PRIx64 ": bits 0x%" PRIx64
			  " were not offered", f, f & ~dev->offered_features);
		return -EINVAL;
	}
	if ((f & ((1ULL << VIRTIO_F_RING_PACKED) |
		  (1ULL << VIRTIO_F_IOMMU_PLATFORM))) &&
	    !(f & (1ULL << VIRTIO_F_VERSION_1))) {
		VHOST_LOG(ERR, dev, "SET_FEATURES 0x%" PRIx64 ": packed rings "
			  "and IOMMU_PLATFORM need VERSION_1", f);
		return -EINVAL;
	}
	/* live changes: only dirty logging may toggle (migration) */
	if (dev->features_set && (changed & ~(1ULL << VHOST_F_LOG_ALL)) &&
	    (dev->running || any_vq_started(dev))) {
		VHOST_LOG(ERR, dev, "SET_FEATURES 0x%" PRIx64 " changes 0x%"
			  PRIx64 " while queues run", f, changed);
		return -EBUSY;
	}
	vhost_dev_lock_all(dev);
	dev->features = f;
	dev->features_set = 1;
	vhost_dev_unlock_all(dev);
	VHOST_LOG(INFO, dev, "negotiated features 0x%" PRIx64 "%s%s%s", f,
		  (f >> VIRTIO_F_RING_PACKED) & 1 ? " packed" : " split",
		  (f >> VIRTIO_NET_F_MRG_RXBUF) & 1 ? " mrg_rxbuf" : "",
		  (f >> VIRTIO_F_IOMMU_PLATFORM) & 1 ? " iommu" : "");
	if (dev->running && changed && dev->ops->features_changed != NULL)
		dev->ops->features_changed(dev->vid, f);
	/* without protocol features, rings start enabled (vhost-user
	 * "Ring states") */
	if (!(f & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)))
		for (i = 0; i < dev->nr_vring; i++)
			if (dev->vq[i] != NULL && dev->vq[i]->started)
				dev->vq[i]->enabled = 1;
	vhost_dev_update_state(dev);
	return VH_OK;
}

int
vhost_user_set_owner(struct vhost_dev *dev, struct vhost_user_msg *msg,
		     int *fds, uint32_t nfds)
{
	(void)dev; (void)msg; (void)fds; (void)nfds;
	return VH_OK;
}

/* deprecated: "either ignore this message, or use it to disable all
 * rings"; Keel stops the rings */
int
vhost_user_reset_owner(struct vhost_dev *dev, struct vhost_user_msg *msg,
		       int *fds, uint32_t nfds)
{
	uint32_t i;

	(void)msg; (void)fds; (void)nfds;
	vhost_dev_stop_running(dev);
	vhost_dev_lock_all(dev);
	for (i = 0; i < dev->nr_vring; i++)
		if (dev->vq[i] != NULL)
			vhost_vq_stop_locked(dev->vq[i]);
	vhost_dev_unlock_all(dev);
	return VH_OK;
}

int
vhost_user_get_protocol_features(struct vhost_dev *dev,
				 struct vhost_user_msg *msg, int *fds,
				 uint32_t nfds)
{
	(void)fds; (void)nfds;
	msg->payload.u64 = dev->offered_protocol;
	msg->size = sizeof(uint64_t);
	return VH_REPLY;
}

int
vhost_user_set_protocol_features(struct vhost_dev *dev,
				 struct vhost_user_msg *msg, int *fds,
				 uint32_t nfds)
{
	uint64_t f = msg->payload.u64;

	(void)fds; (void)nfds;
	if (f & ~dev->offered_protocol) {
		VHOST_LOG(ERR, dev, "SET_PROTOCOL_FEATURES 0x%" PRIx64
			  ": bits 0x%" PRIx64 " were not offered", f,
			  f & ~dev->offered_protocol);
		return -EINVAL;
	}
	dev->protocol_features = f;
	return VH_OK;
}

int
vhost_user_get_queue_num(struct vhost_dev *dev, struct vhost_user_msg *msg,
			 int *fds, uint32_t nfds)
{
	(void)fds; (void)nfds;
	msg->payload.u64 = dev->max_queue_pairs;
	msg->size = sizeof(uint64_t);
	return VH_REPLY;
}

int
vhost_user_send_rarp(struct vhost_dev *dev, struct vhost_user_msg *msg,
		     int *fds, uint32_t nfds)
{
	(void)fds; (void)nfds;
	memcpy(dev->rarp_mac, &msg->payload.u64, sizeof(dev->rarp_mac));
	__atomic_store_n(&dev->rarp_pending, 1, __ATOMIC_RELEASE);
	return VH_OK;
}

int
vhost_user_net_set_mtu(struct vhost_dev *dev, struct vhost_user_msg *msg,
		       int *fds, uint32_t nfds)
{
	uint64_t mtu = msg->payload.u64;

	(void)fds; (void)nfds;
	/* virtio 1.2 5.1.4.1: 68 <= mtu <= 65535 */
	if (mtu < 68 || mtu > 65535) {
		VHOST_LOG(ERR, dev, "NET_SET_MTU %" PRIu64 ": not in 68..65535",
			  mtu);
		return -EINVAL;
	}
	dev->mtu = (uint16_t)mtu;
	return VH_OK;
}

int
vhost_user_set_backend_req_fd(struct vhost_dev *dev,
			      struct vhost_user_msg *msg, int *fds,
			      uint32_t nfds)
{
	struct stat st;

	(void)msg;
	if (nfds != 1 || fstat(fds[0], &st) != 0 || !S_ISSOCK(st.st_mode)) {
		VHOST_LOG(ERR, dev, "SET_BACKEND_REQ_FD needs one socket fd");
		return VH_CLOSE;
	}
	vhost_lock_ctrl(&dev->backend_lock);
	if (dev->backend_fd >= 0)
		close(dev->backend_fd);
	dev->backend_fd = fds[0];
	fds[0] = -1;
	vhost_unlock(&dev->backend_lock);
	return VH_OK;
}

int
vhost_user_iotlb_msg(struct vhost_dev *dev, struct vhost_user_msg *msg,
		     int *fds, uint32_t nfds)
{
	const struct vhost_user_iotlb *m = &msg->payload.iotlb;
	int ret = 0;

	(void)fds; (void)nfds;
	VHOST_LOG(DEBUG, dev, "IOTLB %s iova 0x%" PRIx64 " size 0x%" PRIx64
		  " perm %u", m->type == VHOST_IOTLB_UPDATE ? "update" :
		  m->type == VHOST_IOTLB_INVALIDATE ? "invalidate" : "?",
		  m->iova, m->size, m->perm);
	switch (m->type) {
	case VHOST_IOTLB_UPDATE:
		vhost_dev_lock_all(dev);
		ret = vhost_iotlb_update(dev, m->iova, m->size, m->uaddr,
					 m->perm);
		vhost_dev_unlock_all(dev);
		break;
	case VHOST_IOTLB_INVALIDATE:
		vhost_dev_lock_all(dev);
		/* async seam: copies into the range drain first */
		vhost_dev_drain_locked(dev);
		vhost_iotlb_invalidate(dev, m->iova, m->size);
		vhost_dev_unlock_all(dev);
		break;
	default:
		VHOST_LOG(ERR, dev, "IOTLB message type %u: only UPDATE (2) "
			  "and INVALIDATE (3) come from a front-end", m->type);
		return -EINVAL;
	}
	if (ret < 0)
		return ret;
	/* rings may now translate (update) or need to again (invalidate) */
	vhost_dev_update_state(dev);
	return VH_OK;
}

int
vhost_user_reset_device(struct vhost_dev *dev, struct vhost_user_msg *msg,
			int *fds, uint32_t nfds)
{
	(void)msg; (void)fds; (void)nfds;
	vhost_dev_reset(dev);
	return VH_OK;
}

int
vhost_user_set_status(struct vhost_dev *dev, struct vhost_user_msg *msg,
		      int *fds, uint32_t nfds)
{
	uint64_t s = msg->payload.u64;

	(void)fds; (void)nfds;
	if (s > 0xff) {
		VHOST_LOG(ERR, dev, "SET_STATUS 0x%" PRIx64 ": status is 8 bits",
			  s);
		return -EINVAL;
	}
	if ((s & VIRTIO_STATUS_FEATURES_OK) && !dev->features_set) {
		VHOST_LOG(ERR, dev, "SET_STATUS FEATURES_OK before SET_FEATURES");
		s &= ~(uint64_t)VIRTIO_STATUS_FEATURES_OK;
	}
	dev->status = (uint8_t)s;
	vhost_dev_update_state(dev);
	return VH_OK;
}

int
vhost_user_get_status(struct vhost_dev *dev, struct vhost_user_msg *msg,
		      int *fds, uint32_t nfds)
{
	(void)fds; (void)nfds;
	msg->payload.u64 = dev->status;
	msg->size = sizeof(uint64_t);
	return VH_REPLY;
}

int
vhost_user_set_log_fd(struct vhost_dev *dev, struct vhost_user_msg *msg,
		      int *fds, uint32_t nfds)
{
	(void)msg;
	if (nfds != 1) {
		VHOST_LOG(ERR, dev, "SET_LOG_FD needs one fd, got %u", nfds);
		return VH_CLOSE;
	}
	if (dev->logfd >= 0)
		close(dev->logfd);
	dev->logfd = fds[0];
	fds[0] = -1;
	return VH_OK;
}
