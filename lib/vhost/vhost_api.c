/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Public queries and settings: features offered per socket, a device's
 * negotiated state, guest notifications, queue counters.
 *
 * Socket settings take vhost_global_lock (they apply to connections made
 * afterwards). Device queries read what the dispatcher published, without
 * a lock, as DPDK's do; calls that touch a ring take its lock (trying from
 * datapath-style calls, spinning from control-style ones).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vhost_internal.h"

static int
fail(int err)
{
	errno = err;
	return -err;
}

/* the socket registered as path, with the global lock held; NULL (lock
 * released) when there is none */
static struct vhost_socket *
lock_sock(const char *path)
{
	struct vhost_socket *s;

	pthread_mutex_lock(&vhost_global_lock);
	s = vhost_find_socket(path);
	if (s == NULL)
		pthread_mutex_unlock(&vhost_global_lock);
	return s;
}

#define ALLOWED_FEATURES (uint64_t)(VHOST_SUPPORTED_FEATURES | \
			  (1ULL << VIRTIO_F_IOMMU_PLATFORM))

int
keel_vhost_driver_set_features(const char *path, uint64_t features)
{
	struct vhost_socket *s;

	if (features & ~ALLOWED_FEATURES) {
		KEEL_LOG(ERR, keel_logtype_vhost, "vhost %s: features 0x%" PRIx64
			 " not supported", path != NULL ? path : "(null)",
			 features & ~ALLOWED_FEATURES);
		return fail(ENOTSUP);
	}
	s = lock_sock(path);
	if (s == NULL)
		return fail(ENOENT);
	s->features = features;
	pthread_mutex_unlock(&vhost_global_lock);
	return 0;
}

int
keel_vhost_driver_enable_features(const char *path, uint64_t features)
{
	struct vhost_socket *s;

	if (features & ~ALLOWED_FEATURES)
		return fail(ENOTSUP);
	s = lock_sock(path);
	if (s == NULL)
		return fail(ENOENT);
	s->features |= features;
	pthread_mutex_unlock(&vhost_global_lock);
	return 0;
}

int
keel_vhost_driver_disable_features(const char *path, uint64_t features)
{
	struct vhost_socket *s = lock_sock(path);

	if (s == NULL)
		return fail(ENOENT);
	s->features &= ~features;
	pthread_mutex_unlock(&vhost_global_lock);
	return 0;
}

int
keel_vhost_driver_get_features(const char *path, uint64_t *features)
{
	struct vhost_socket *s;

	if (features == NULL)
		return fail(EINVAL);
	s = lock_sock(path);
	if (s == NULL)
		return fail(ENOENT);
	*features = s->features;
	pthread_mutex_unlock(&vhost_global_lock);
	return 0;
}

int
keel_vhost_driver_set_protocol_features(const char *path, uint64_t features)
{
	struct vhost_socket *s;

	if (features & ~(uint64_t)VHOST_SUPPORTED_PROTOCOL_FEATURES)
		return fail(ENOTSUP);
	s = lock_sock(path);
	if (s == NULL)
		return fail(ENOENT);
	s->protocol_features = features;
	pthread_mutex_unlock(&vhost_global_lock);
	return 0;
}

int
keel_vhost_driver_get_protocol_features(const char *path, uint64_t *features)
{
	struct vhost_socket *s;

	if (features == NULL)
		return fail(EINVAL);
	s = lock_sock(path);
	if (s == NULL)
		return fail(ENOENT);
	*features = s->protocol_features;
	pthread_mutex_unlock(&vhost_global_lock);
	return 0;
}

int
keel_vhost_driver_set_max_queue_num(const char *path, uint32_t max)
{
	struct vhost_socket *s;

	if (max == 0 || max > KEEL_VHOST_MAX_QUEUE_PAIRS) {
		KEEL_LOG(ERR, keel_logtype_vhost, "vhost %s: %u queue pairs not "
			 "in 1..%d", path != NULL ? path : "(null)", max,
			 KEEL_VHOST_MAX_QUEUE_PAIRS);
		return fail(EINVAL);
	}
	s = lock_sock(path);
	if (s == NULL)
		return fail(ENOENT);
	s->max_queue_pairs = max;
	pthread_mutex_unlock(&vhost_global_lock);
	return 0;
}

int
keel_vhost_driver_get_queue_num(const char *path, uint32_t *num)
{
	struct vhost_socket *s;

	if (num == NULL)
		return fail(EINVAL);
	s = lock_sock(path);
	if (s == NULL)
		return fail(ENOENT);
	*num = s->max_queue_pairs;
	pthread_mutex_unlock(&vhost_global_lock);
	return 0;
}

/* ---- devices ---- */

int
keel_vhost_get_ifname(int vid, char *buf, size_t len)
{
	struct vhost_dev *dev = vhost_dev_get(vid);

	if (dev == NULL)
		return fail(ENODEV);
	if (buf == NULL || len == 0)
		return fail(EINVAL);
	snprintf(buf, len, "%s", dev->ifname);
	return 0;
}

int
keel_vhost_get_negotiated_features(int vid, uint64_t *features)
{
	struct vhost_dev *dev = vhost_dev_get(vid);

	if (dev == NULL)
		return fail(ENODEV);
	if (features == NULL)
		return fail(EINVAL);
	*features = dev->features;
	return 0;
}

int
keel_vhost_get_negotiated_protocol_features(int vid, uint64_t *features)
{
	struct vhost_dev *dev = vhost_dev_get(vid);

	if (dev == NULL)
		return fail(ENODEV);
	if (features == NULL)
		return fail(EINVAL);
	*features = dev->protocol_features;
	return 0;
}

uint16_t
keel_vhost_get_vring_num(int vid)
{
	struct vhost_dev *dev = vhost_dev_get(vid);

	return dev == NULL ? 0 : (uint16_t)dev->nr_vring;
}

int
keel_vhost_get_mtu(int vid, uint16_t *mtu)
{
	struct vhost_dev *dev = vhost_dev_get(vid);

	if (dev == NULL)
		return fail(ENODEV);
	if (mtu == NULL)
		return fail(EINVAL);
	if (dev->mtu == 0)
		return fail(ENOENT);
	*mtu = dev->mtu;
	return 0;
}

static struct vhost_vq *
vq_get(int vid, uint16_t queue_id)
{
	struct vhost_dev *dev = vhost_dev_get(vid);

	if (dev == NULL || queue_id >= VHOST_MAX_VRINGS)
		return NULL;
	return __atomic_load_n(&dev->vq[queue_id], __ATOMIC_ACQUIRE);
}

int
keel_vhost_enable_guest_notification(int vid, uint16_t queue_id, int enable)
{
	struct vhost_vq *vq = vq_get(vid, queue_id);

	if (vq == NULL)
		return fail(EINVAL);
	vhost_lock_ctrl(&vq->lock);
	vq->notify_guest_kicks = enable ? 1 : 0;
	if (vq->ready) {
		if (vq->packed)
			vhost_packed_set_kicks(vq, vq->notify_guest_kicks);
		else
			vhost_split_set_kicks(vq, vq->notify_guest_kicks);
	}
	vhost_unlock(&vq->lock);
	return 0;
}

int
keel_vhost_vring_call(int vid, uint16_t queue_id)
{
	struct vhost_vq *vq = vq_get(vid, queue_id);

	if (vq == NULL)
		return fail(EINVAL);
	if (!vhost_trylock(&vq->lock))
		return fail(EAGAIN);
	if (vq->ready)
		vhost_vq_notify_guest(vq);
	vhost_unlock(&vq->lock);
	return 0;
}

uint16_t
keel_vhost_avail_entries(int vid, uint16_t queue_id)
{
	struct vhost_vq *vq = vq_get(vid, queue_id);
	uint16_t n = 0;

	if (vq == NULL || !vhost_trylock(&vq->lock))
		return 0;
	if (vq->ready)
		n = vq->packed ? vhost_packed_avail_count(vq) :
				 vhost_split_avail_count(vq);
	vhost_unlock(&vq->lock);
	return n;
}

int
keel_vhost_vring_stats_get(int vid, uint16_t queue_id,
			   struct keel_vhost_vring_stats *st)
{
	struct vhost_vq *vq;

	if (vhost_dev_get(vid) == NULL)
		return fail(ENODEV);
	vq = vq_get(vid, queue_id);
	if (vq == NULL || st == NULL)
		return fail(EINVAL);
	*st = vq->stats;
	return 0;
}
