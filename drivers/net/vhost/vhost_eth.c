/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_vhost: a vhost-user back-end socket as an ethdev port.
 *
 * Rx burst = keel_vhost_dequeue_burst() on virtqueue 2q+1, Tx burst =
 * keel_vhost_enqueue_burst() on virtqueue 2q (the accepted mbufs are then
 * freed: their bytes are in the guest).
 *
 * Invariants: a burst calls the vhost library only while the port's
 * `allow` flag is set, and marks its queue busy around the check and the
 * call; allow is set while the port is started and a device is attached
 * (vid >= 0). destroy_device and dev_stop clear allow and then wait until
 * no queue is busy, so after they return no burst touches the old vid
 * (which the library may give to another connection). The fence between
 * busy and allow is the control path's (membarrier(2), keel_fence_heavy())
 * when the kernel has it, a full fence in each burst otherwise.
 * The quiescing walks the port's own queue table q[] (by virtqueue), never
 * the ethdev's queue arrays: destroy_device runs on the dispatcher thread
 * and may meet keel_eth_dev_close() freeing those arrays.
 * Locking: callbacks run on the vhost dispatcher thread; control ops under
 * the ethdev lock; ports[], each port's event queue and its q[] under
 * port_lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keel_eth_vhost.h"
#include "keel_ethdev_driver.h"
#include "keel_fence.h"
#include "keel_kvargs.h"
#include "keel_log.h"
#include "keel_malloc.h"
#include "keel_mbuf.h"
#include "keel_vdev.h"
#include "keel_vhost.h"
#include "vhost_eth_async.h"

KEEL_LOG_REGISTER(vh_logtype, "pmd.net.vhost", INFO)

#define VH_DRIVER "net_vhost"
#define VH_MAX_PORTS 64
#define VH_EVENTS 256

struct vh_priv;

struct vh_queue {
	struct vh_priv *pv;
	struct keel_mempool *mp;    /* Rx */
	uint16_t vring;             /* virtqueue index */
	uint16_t port_id;
	uint32_t busy;              /* a burst is in the library */
	uint64_t packets, bytes, errors;
} __attribute__((aligned(64)));

struct vh_event {
	uint16_t qid;
	uint8_t rx;
	uint8_t enable;
};

struct vh_priv {
	char path[108];
	uint64_t flags;
	uint16_t nq;
	int vid;                    /* -1: no front-end */
	uint32_t allow;             /* bursts may call the library */
	uint8_t started;
	struct keel_eth_dev *dev;
	struct vh_event ev[VH_EVENTS];
	uint32_t ev_head, ev_count;
	struct vh_dmas dmas;        /* async vrings (dmas=) */
	/* counters of devices gone, so xstats stay monotonic */
	struct keel_vhost_vring_stats gone[2 * KEEL_VHOST_MAX_QUEUE_PAIRS];
	/* the queues set up, by virtqueue (under port_lock) */
	struct vh_queue *q[2 * KEEL_VHOST_MAX_QUEUE_PAIRS];
};

static pthread_mutex_t port_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vh_priv *ports[VH_MAX_PORTS];

static const char *const vh_keys[] = {
	"iface", "client", "queues", "iommu-support", "compliant-ol-flags",
	"dmas", "dma-threshold", NULL,
};

/* ---- fast path ---- */

/* The bursts' handshake with the control path (busy, then the flag that
 * lets them in) is a store then a load: keel_fence_light() between them
 * in a burst, keel_fence_heavy() in the control path (keel_fence.h). */


static uint16_t
vh_rx(void *q, struct keel_mbuf **pkts, uint16_t n)
{
	struct vh_queue *vq = q;
	uint16_t got = 0, i;

	__atomic_store_n(&vq->busy, 1, __ATOMIC_RELAXED);
	keel_fence_light();
	if (__atomic_load_n(&vq->pv->allow, __ATOMIC_ACQUIRE)) {
		/* an async Tx queue's copies finish while Tx may not be
		 * called (io forwarding sends only what it received): its
		 * completions are collected here too */
		if (vq->pv->dmas.on[vq->vring - 1])
			vh_async_tx_done(vq->pv->vid, vq->vring - 1);
		if (vq->pv->dmas.on[vq->vring])
			got = vh_async_rx(vq->pv->vid, vq->vring, vq->mp, pkts,
					  n);
		else
			got = keel_vhost_dequeue_burst(vq->pv->vid, vq->vring,
						       vq->mp, pkts, n);
		for (i = 0; i < got; i++) {
			pkts[i]->port = vq->port_id;
			vq->bytes += pkts[i]->pkt_len;
		}
		vq->packets += got;
	}
	__atomic_store_n(&vq->busy, 0, __ATOMIC_RELEASE);
	return got;
}

static uint16_t
vh_tx(void *q, struct keel_mbuf **pkts, uint16_t n)
{
	struct vh_queue *vq = q;
	uint16_t sent = 0, i;

	__atomic_store_n(&vq->busy, 1, __ATOMIC_RELAXED);
	keel_fence_light();
	if (__atomic_load_n(&vq->pv->allow, __ATOMIC_ACQUIRE) &&
	    vq->pv->dmas.on[vq->vring]) {
		/* async: the library owns them until their copies are done */
		for (i = 0; i < n; i++)
			vq->bytes += pkts[i]->pkt_len;
		sent = vh_async_tx(vq->pv->vid, vq->vring, pkts, n);
		for (i = sent; i < n; i++)
			vq->bytes -= pkts[i]->pkt_len;
		__atomic_store_n(&vq->busy, 0, __ATOMIC_RELEASE);
		vq->packets += sent;
		return sent;
	}
	if (__atomic_load_n(&vq->pv->allow, __ATOMIC_ACQUIRE))
		sent = keel_vhost_enqueue_burst(vq->pv->vid, vq->vring, pkts, n);
	__atomic_store_n(&vq->busy, 0, __ATOMIC_RELEASE);
	for (i = 0; i < sent; i++)
		vq->bytes += pkts[i]->pkt_len;
	vq->packets += sent;
	keel_pktmbuf_free_bulk(pkts, sent);
	return sent;
}

/* no burst uses the library after this returns */
static void
vh_quiesce(struct vh_priv *pv)
{
	uint16_t i;

	__atomic_store_n(&pv->allow, 0, __ATOMIC_SEQ_CST);
	keel_fence_heavy();
	for (i = 0; i < 2 * KEEL_VHOST_MAX_QUEUE_PAIRS; i++) {
		struct vh_queue *q = pv->q[i];

		while (q != NULL && __atomic_load_n(&q->busy, __ATOMIC_SEQ_CST))
			sched_yield();
	}
}

static void
vh_update_link(struct vh_priv *pv)
{
	struct keel_eth_link link;
	int up = pv->started && pv->vid >= 0;

	keel_eth_link_virtual(&link, up, KEEL_ETH_SPEED_NUM_10G);
	keel_eth_dev_link_set(pv->dev, &link);
	__atomic_store_n(&pv->allow, up, __ATOMIC_SEQ_CST);
}

/* ---- vhost callbacks (dispatcher thread) ---- */

static struct vh_priv *
priv_of_vid(int vid)
{
	char path[108];
	int i;

	if (keel_vhost_get_ifname(vid, path, sizeof(path)) != 0)
		return NULL;
	for (i = 0; i < VH_MAX_PORTS; i++)
		if (ports[i] != NULL && strcmp(ports[i]->path, path) == 0)
			return ports[i];
	return NULL;
}

static int
vh_new_device(int vid)
{
	struct vh_priv *pv;
	uint16_t i;

	pthread_mutex_lock(&port_lock);
	pv = priv_of_vid(vid);
	if (pv == NULL) {
		pthread_mutex_unlock(&port_lock);
		return -ENODEV;
	}
	for (i = 0; i < 2 * pv->nq; i++)   /* polled: no kicks wanted */
		keel_vhost_enable_guest_notification(vid, i, 0);
	if (pv->dmas.any && vh_dmas_attach(pv->path, vid, &pv->dmas,
					   pv->nq) < 0) {
		vh_dmas_detach(vid, &pv->dmas, pv->nq);
		pthread_mutex_unlock(&port_lock);
		return -EIO;
	}
	pv->vid = vid;
	vh_update_link(pv);
	pthread_mutex_unlock(&port_lock);
	KEEL_LOG(INFO, vh_logtype, "%s: device %d attached (port %u)", pv->path,
		 vid, pv->dev->port_id);
	return 0;
}

static void
vh_destroy_device(int vid)
{
	struct vh_priv *pv;
	uint16_t i;

	pthread_mutex_lock(&port_lock);
	pv = priv_of_vid(vid);
	if (pv == NULL || pv->vid != vid) {
		pthread_mutex_unlock(&port_lock);
		return;
	}
	vh_quiesce(pv);
	vh_dmas_detach(vid, &pv->dmas, pv->nq);
	/* keep what the device counted: the library forgets it */
	for (i = 0; i < 2 * pv->nq; i++) {
		struct keel_vhost_vring_stats st;
		uint64_t *a = (uint64_t *)&pv->gone[i], *b = (uint64_t *)&st;
		size_t k;

		if (keel_vhost_vring_stats_get(vid, i, &st) != 0)
			continue;
		for (k = 0; k < sizeof(st) / sizeof(uint64_t); k++)
			a[k] += b[k];
	}
	pv->vid = -1;
	vh_update_link(pv);
	pthread_mutex_unlock(&port_lock);
	KEEL_LOG(INFO, vh_logtype, "%s: device %d detached", pv->path, vid);
}

static int
vh_vring_state(int vid, uint16_t vring, int enable)
{
	struct vh_priv *pv;
	struct vh_event *e;

	pthread_mutex_lock(&port_lock);
	pv = priv_of_vid(vid);
	if (pv == NULL) {
		pthread_mutex_unlock(&port_lock);
		return 0;
	}
	if (pv->ev_count == VH_EVENTS) {    /* drop the oldest */
		pv->ev_head = (pv->ev_head + 1) % VH_EVENTS;
		pv->ev_count--;
	}
	e = &pv->ev[(pv->ev_head + pv->ev_count++) % VH_EVENTS];
	e->qid = vring / 2;
	e->rx = vring & 1;
	e->enable = (uint8_t)enable;
	pthread_mutex_unlock(&port_lock);
	keel_eth_dev_event(pv->dev, KEEL_ETH_EVENT_QUEUE_STATE);
	return 0;
}

static const struct keel_vhost_device_ops vh_ops = {
	.new_device = vh_new_device,
	.destroy_device = vh_destroy_device,
	.vring_state_changed = vh_vring_state,
};

/* ---- public helpers ---- */

static struct vh_priv *
priv_of_port(uint16_t port_id)
{
	char name[KEEL_ETH_NAME_MAX_LEN];
	struct keel_eth_dev *dev;

	if (keel_eth_dev_get_name_by_port(port_id, name) != 0)
		return NULL;
	dev = keel_eth_dev_get_by_name(name);
	if (dev == NULL || dev->driver_name == NULL ||
	    strcmp(dev->driver_name, VH_DRIVER) != 0)
		return NULL;
	return dev->dev_private;
}

int
keel_eth_vhost_get_queue_event(uint16_t port_id,
			       struct keel_eth_vhost_queue_event *event)
{
	struct vh_priv *pv = priv_of_port(port_id);
	int ret = -EAGAIN;

	if (pv == NULL || event == NULL)
		return -ENODEV;
	pthread_mutex_lock(&port_lock);
	if (pv->ev_count > 0) {
		const struct vh_event *e = &pv->ev[pv->ev_head];

		event->queue_id = e->qid;
		event->rx = e->rx;
		event->enable = e->enable;
		pv->ev_head = (pv->ev_head + 1) % VH_EVENTS;
		pv->ev_count--;
		ret = 0;
	}
	pthread_mutex_unlock(&port_lock);
	return ret;
}

int
keel_eth_vhost_get_vid_from_port_id(uint16_t port_id)
{
	struct vh_priv *pv = priv_of_port(port_id);

	return pv == NULL ? -1 : __atomic_load_n(&pv->vid, __ATOMIC_ACQUIRE);
}

/* ---- ethdev ops ---- */

static int
vh_infos_get(struct keel_eth_dev *dev, struct keel_eth_dev_info *info)
{
	struct vh_priv *pv = dev->dev_private;

	info->max_rx_queues = pv->nq;
	info->max_tx_queues = pv->nq;
	info->max_mac_addrs = 1;
	info->rx_desc_lim = (struct keel_eth_desc_lim){ UINT16_MAX, 0, 1 };
	info->tx_desc_lim = info->rx_desc_lim;
	info->min_rx_bufsize = 64;
	info->max_rx_pktlen = 65535 + 256;
	info->max_mtu = 65535 - 18;
	info->rx_offload_capa = KEEL_ETH_RX_OFFLOAD_SCATTER |
				KEEL_ETH_RX_OFFLOAD_TCP_CKSUM |
				KEEL_ETH_RX_OFFLOAD_UDP_CKSUM |
				KEEL_ETH_RX_OFFLOAD_TCP_LRO;
	info->tx_offload_capa = KEEL_ETH_TX_OFFLOAD_MULTI_SEGS |
				KEEL_ETH_TX_OFFLOAD_IPV4_CKSUM |
				KEEL_ETH_TX_OFFLOAD_TCP_CKSUM |
				KEEL_ETH_TX_OFFLOAD_UDP_CKSUM |
				KEEL_ETH_TX_OFFLOAD_TCP_TSO;
	info->speed_capa = KEEL_ETH_LINK_SPEED_10G;
	info->default_rxportconf.burst_size = 32;
	info->default_txportconf.burst_size = 32;
	return 0;
}

static int
vh_configure(struct keel_eth_dev *dev)
{
	(void)dev;
	return 0;
}

static int
vh_start(struct keel_eth_dev *dev)
{
	struct vh_priv *pv = dev->dev_private;

	pthread_mutex_lock(&port_lock);
	pv->started = 1;
	vh_update_link(pv);
	pthread_mutex_unlock(&port_lock);
	return 0;
}

static int
vh_stop(struct keel_eth_dev *dev)
{
	struct vh_priv *pv = dev->dev_private;

	pthread_mutex_lock(&port_lock);
	pv->started = 0;
	vh_quiesce(pv);
	vh_update_link(pv);
	pthread_mutex_unlock(&port_lock);
	return 0;
}

static void
vh_forget(struct vh_priv *pv)
{
	int i;

	pthread_mutex_lock(&port_lock);
	for (i = 0; i < VH_MAX_PORTS; i++)
		if (ports[i] == pv)
			ports[i] = NULL;
	pthread_mutex_unlock(&port_lock);
}

static int
vh_close(struct keel_eth_dev *dev)
{
	struct vh_priv *pv = dev->dev_private;

	/* destroy_device runs (and quiesces) before this returns */
	keel_vhost_driver_unregister(pv->path);
	vh_forget(pv);
	return 0;
}

static void *
queue_new(struct keel_eth_dev *dev, uint16_t vring, int socket_id)
{
	struct vh_queue *q;

	if (vring >= 2 * KEEL_VHOST_MAX_QUEUE_PAIRS)
		return NULL;
	q = keel_zmalloc_socket("vh_queue", sizeof(*q), 64, socket_id);

	if (q == NULL)
		q = keel_zmalloc("vh_queue", sizeof(*q), 64);
	if (q == NULL)
		return NULL;
	q->pv = dev->dev_private;
	q->vring = vring;
	q->port_id = dev->port_id;
	pthread_mutex_lock(&port_lock);
	q->pv->q[vring] = q;
	pthread_mutex_unlock(&port_lock);
	return q;
}

static int
vh_rxq_setup(struct keel_eth_dev *dev, uint16_t id, uint16_t nb_desc,
	     int socket_id, const struct keel_eth_rxconf *conf,
	     struct keel_mempool *mp, void **rxq)
{
	struct vh_queue *q = queue_new(dev, (uint16_t)(2 * id + 1), socket_id);

	(void)nb_desc; (void)conf;
	if (q == NULL)
		return -ENOMEM;
	q->mp = mp;
	*rxq = q;
	return 0;
}

static int
vh_txq_setup(struct keel_eth_dev *dev, uint16_t id, uint16_t nb_desc,
	     int socket_id, const struct keel_eth_txconf *conf, void **txq)
{
	struct vh_queue *q = queue_new(dev, (uint16_t)(2 * id), socket_id);

	(void)nb_desc; (void)conf;
	if (q == NULL)
		return -ENOMEM;
	*txq = q;
	return 0;
}

static void
vh_queue_release(struct keel_eth_dev *dev, void *q)
{
	struct vh_queue *vq = q;

	(void)dev;
	pthread_mutex_lock(&port_lock);
	if (vq->pv->q[vq->vring] == vq)
		vq->pv->q[vq->vring] = NULL;
	pthread_mutex_unlock(&port_lock);
	keel_free(q);
}

static int
vh_queue_stats(struct keel_eth_dev *dev, const void *q, bool rx,
	       struct keel_eth_queue_stats *st)
{
	const struct vh_queue *vq = q;

	(void)dev; (void)rx;
	st->packets = vq->packets;
	st->bytes = vq->bytes;
	st->errors = vq->errors;
	return 0;
}

/* xstats: per queue, what the guest did wrong or kept us waiting for */
static const struct {
	const char *name;
	size_t off;
} xs[] = {
	{ "bad_chains", offsetof(struct keel_vhost_vring_stats, bad_chains) },
	{ "dropped", offsetof(struct keel_vhost_vring_stats, dropped) },
	{ "bad_headers", offsetof(struct keel_vhost_vring_stats, bad_headers) },
	{ "no_buffers", offsetof(struct keel_vhost_vring_stats, no_buffers) },
	{ "iotlb_misses", offsetof(struct keel_vhost_vring_stats, iotlb_misses) },
	{ "iotlb_paused", offsetof(struct keel_vhost_vring_stats, iotlb_paused) },
	{ "broken", offsetof(struct keel_vhost_vring_stats, broken) },
	{ "guest_notified",
	  offsetof(struct keel_vhost_vring_stats, guest_notified) },
	{ "async_failed", offsetof(struct keel_vhost_vring_stats, failed) },
};
#define NXS (sizeof(xs) / sizeof(xs[0]))

static int
vh_xstats_names(struct keel_eth_dev *dev, struct keel_eth_xstat_name *names,
		unsigned int n)
{
	struct vh_priv *pv = dev->dev_private;
	unsigned int total = 2u * pv->nq * NXS, i;

	if (names == NULL || n < total)
		return (int)total;
	for (i = 0; i < total; i++) {
		unsigned int vr = i / NXS;

		snprintf(names[i].name, sizeof(names[i].name), "%s_q%u_%s",
			 vr & 1 ? "rx" : "tx", vr / 2, xs[i % NXS].name);
	}
	return (int)total;
}

static int
vh_xstats_get(struct keel_eth_dev *dev, uint64_t *values, unsigned int n)
{
	struct vh_priv *pv = dev->dev_private;
	unsigned int total = 2u * pv->nq * NXS, i;
	int vid;

	if (values == NULL || n < total)
		return (int)total;
	pthread_mutex_lock(&port_lock);
	vid = pv->vid;
	for (i = 0; i < 2u * pv->nq; i++) {
		struct keel_vhost_vring_stats st;
		unsigned int k;

		memset(&st, 0, sizeof(st));
		if (vid >= 0)
			keel_vhost_vring_stats_get(vid, (uint16_t)i, &st);
		for (k = 0; k < NXS; k++)
			values[i * NXS + k] =
				*(uint64_t *)((char *)&st + xs[k].off) +
				*(uint64_t *)((char *)&pv->gone[i] + xs[k].off);
	}
	pthread_mutex_unlock(&port_lock);
	return (int)total;
}

static int
vh_ok(struct keel_eth_dev *dev)
{
	(void)dev;
	return 0;
}

static int
vh_mtu_set(struct keel_eth_dev *dev, uint16_t mtu)
{
	(void)dev; (void)mtu;
	return 0;
}

static int
vh_dump(struct keel_eth_dev *dev, FILE *f)
{
	struct vh_priv *pv = dev->dev_private;

	fprintf(f, "  net_vhost: %s%s, %u queue pairs, device %d\n", pv->path,
		pv->flags & KEEL_VHOST_USER_CLIENT ? " (client)" : "", pv->nq,
		pv->vid);
	return 0;
}

static const struct keel_eth_dev_ops vh_eth_ops = {
	.dev_infos_get = vh_infos_get,
	.dev_configure = vh_configure,
	.dev_start = vh_start,
	.dev_stop = vh_stop,
	.dev_close = vh_close,
	.rx_queue_setup = vh_rxq_setup,
	.tx_queue_setup = vh_txq_setup,
	.rx_queue_release = vh_queue_release,
	.tx_queue_release = vh_queue_release,
	.queue_stats_get = vh_queue_stats,
	.xstats_get_names = vh_xstats_names,
	.xstats_get = vh_xstats_get,
	.promiscuous_enable = vh_ok,
	.promiscuous_disable = vh_ok,
	.allmulticast_enable = vh_ok,
	.allmulticast_disable = vh_ok,
	.mtu_set = vh_mtu_set,
	.dev_dump = vh_dump,
};

/* ---- vdev ---- */

static int
vh_probe(const char *name, const char *args)
{
	struct keel_kvargs *kv = keel_kvargs_parse(args, vh_keys);
	uint64_t client = 0, queues = 1, iommu = 0, compliant = 0, flags = 0,
		 threshold = 0;
	struct keel_eth_dev *dev;
	struct vh_priv *pv;
	const char *iface;
	int ret, slot, registered;

	if (kv == NULL)
		return -errno;
	iface = keel_kvargs_get(kv, "iface");
	if (iface == NULL) {
		KEEL_LOG(ERR, vh_logtype, "%s: iface=PATH is required", name);
		keel_kvargs_free(kv);
		return -EINVAL;
	}
	ret = keel_kvargs_get_u64(kv, "client", 0, 1, &client);
	if (ret == 0 || ret == -ENOENT)
		ret = keel_kvargs_get_u64(kv, "queues", 1,
					  KEEL_VHOST_MAX_QUEUE_PAIRS, &queues);
	if (ret == 0 || ret == -ENOENT)
		ret = keel_kvargs_get_u64(kv, "iommu-support", 0, 1, &iommu);
	if (ret == 0 || ret == -ENOENT)
		ret = keel_kvargs_get_u64(kv, "compliant-ol-flags", 0, 1,
					  &compliant);
	if (ret == 0 || ret == -ENOENT)
		ret = keel_kvargs_get_u64(kv, "dma-threshold", 0, UINT32_MAX,
					  &threshold);
	if (ret < 0 && ret != -ENOENT) {
		keel_kvargs_free(kv);
		return ret;
	}
	dev = keel_eth_dev_allocate(name, keel_socket_id(), sizeof(*pv));
	if (dev == NULL) {
		keel_kvargs_free(kv);
		return -errno;
	}
	pv = dev->dev_private;
	snprintf(pv->path, sizeof(pv->path), "%s", iface);
	pv->nq = (uint16_t)queues;
	pv->dmas.threshold = (uint32_t)threshold;
	if (keel_kvargs_get(kv, "dmas") != NULL &&
	    vh_dmas_parse(name, keel_kvargs_get(kv, "dmas"), pv->nq,
			  &pv->dmas) < 0) {
		keel_kvargs_free(kv);
		keel_eth_dev_release_port(dev);
		return -EINVAL;
	}
	keel_kvargs_free(kv);
	pv->vid = -1;
	pv->dev = dev;
	flags = (client ? KEEL_VHOST_USER_CLIENT : 0) |
		(iommu ? KEEL_VHOST_USER_IOMMU_SUPPORT : 0) |
		(compliant ? KEEL_VHOST_USER_NET_COMPLIANT_OL_FLAGS : 0);
	pv->flags = flags;
	dev->driver_name = VH_DRIVER;
	snprintf(dev->device_name, sizeof(dev->device_name), "%s", name);
	dev->dev_flags = KEEL_ETH_DEV_INTR_LSC;
	dev->dev_ops = &vh_eth_ops;
	dev->rx_pkt_burst = vh_rx;
	dev->tx_pkt_burst = vh_tx;
	pthread_mutex_lock(&port_lock);
	for (slot = 0; slot < VH_MAX_PORTS && ports[slot] != NULL; slot++)
		;
	if (slot < VH_MAX_PORTS)
		ports[slot] = pv;
	pthread_mutex_unlock(&port_lock);
	if (slot == VH_MAX_PORTS) {
		keel_eth_dev_release_port(dev);
		return -ENOSPC;
	}
	ret = keel_vhost_driver_register(pv->path, flags);
	registered = ret == 0;
	if (ret == 0)
		ret = keel_vhost_driver_set_max_queue_num(pv->path, pv->nq);
	if (ret == 0)
		ret = keel_vhost_driver_callback_register(pv->path, &vh_ops);
	if (ret == 0)
		ret = keel_vhost_driver_start(pv->path);
	if (ret == 0)
		ret = keel_eth_dev_probing_finish(dev);
	if (ret < 0) {
		KEEL_LOG(ERR, vh_logtype, "%s: cannot open %s: %s", name,
			 pv->path, strerror(-ret));
		if (registered)
			keel_vhost_driver_unregister(pv->path);
		vh_forget(pv);
		keel_eth_dev_release_port(dev);
		return ret;
	}
	KEEL_LOG(INFO, vh_logtype, "%s: port %u on %s%s, %u queue pairs", name,
		 dev->port_id, pv->path, client ? " (client)" : "", pv->nq);
	return 0;
}

static int
vh_remove(const char *name)
{
	struct keel_eth_dev *dev = keel_eth_dev_get_by_name(name);

	if (dev == NULL)
		return 0;       /* closed through keel_eth_dev_close() */
	return keel_eth_dev_destroy(dev);
}

static struct keel_vdev_driver vh_driver = {
	.probe = vh_probe,
	.remove = vh_remove,
};

KEEL_VDEV_DRIVER_REGISTER(net_vhost, vh_driver,
	"iface=<path> client=<0|1> queues=<1..128> iommu-support=<0|1> "
	"compliant-ol-flags=<0|1> dmas=[txq0@DMADEV;rxq0@DMADEV] "
	"dma-threshold=<bytes>")
