/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_virtio_user: a virtio-net port whose device is a vhost-user
 * back-end (Keel's net_vhost, DPDK's, any other) on a unix socket.
 *
 *     --vdev 'net_virtio_user0,path=/tmp/vh.sock[,server=1][,queues=N]
 *             [,packed_vq=1][,mrg_rxbuf=0|1][,in_order=1][,queue_size=N]
 *             [,mem_regions=window|allocated]'
 *
 * A connection thread per port connects (or, with server=1, listens and
 * accepts), negotiates and starts every vring once the port is started,
 * watches the connection, and after the back-end goes away connects (or
 * accepts) again and starts over. The link is up while the vrings run.
 *
 * Invariants: a burst touches its queue only between setting `busy` and
 * clearing it, and only when `ready` is set; the connection thread clears
 * `ready` and waits for `busy` to drop before it resets or frees a queue
 * (the fence between busy and ready: membarrier(2) on the connection
 * thread's side when the kernel has it, else a full fence per burst).
 * dev_stop returns once the connection is closed (the back-end sees the
 * device go). Locking: control ops under the ethdev lock; priv->lock
 * orders them with the connection thread.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "keel_cycles.h"
#include "keel_ethdev_driver.h"
#include "keel_fence.h"
#include "keel_kvargs.h"
#include "keel_log.h"
#include "keel_malloc.h"
#include "keel_mbuf.h"
#include "keel_vdev.h"
#include "vu_internal.h"

KEEL_LOG_REGISTER(vu_logtype, "pmd.net.virtio_user", INFO)

#define VU_DRIVER "net_virtio_user"
#define POLL_MS 100

struct vu_priv {
	struct vu_dev d;
	struct keel_eth_dev *dev;
	pthread_t thr;
	int thr_on;
	uint32_t stop_thr;
	uint32_t started;         /* the port is started */
	uint32_t running;         /* vrings set up on the connection */
	pthread_mutex_t lock;
};

static const char *const vu_keys[] = {
	"path", "server", "queues", "packed_vq", "mrg_rxbuf", "in_order",
	"mem_regions",
	"queue_size", NULL,
};

/* ---- fast path ---- */

/* The bursts' handshake with the control path (busy, then the flag that
 * lets them in) is a store then a load: keel_fence_light() between them
 * in a burst, keel_fence_heavy() in the control path (keel_fence.h). */


static uint16_t
vu_rx(void *qp, struct keel_mbuf **pkts, uint16_t n)
{
	struct vu_queue *q = qp;
	uint16_t got = 0;

	__atomic_store_n(&q->busy, 1, __ATOMIC_RELAXED);
	keel_fence_light();
	if (__atomic_load_n(&q->ready, __ATOMIC_ACQUIRE))
		got = vu_rx_burst(q, pkts, n);
	__atomic_store_n(&q->busy, 0, __ATOMIC_RELEASE);
	return got;
}

static uint16_t
vu_tx(void *qp, struct keel_mbuf **pkts, uint16_t n)
{
	struct vu_queue *q = qp;
	uint16_t sent = 0;

	__atomic_store_n(&q->busy, 1, __ATOMIC_RELAXED);
	keel_fence_light();
	if (__atomic_load_n(&q->ready, __ATOMIC_ACQUIRE))
		sent = vu_tx_burst(q, pkts, n);
	__atomic_store_n(&q->busy, 0, __ATOMIC_RELEASE);
	return sent;
}

/* ---- the connection thread ---- */

static void
set_ready(struct vu_priv *pv, int on)
{
	struct keel_eth_link link;
	uint16_t i;

	for (i = 0; i < pv->d.nq; i++) {
		struct vu_queue *qs[2] = { pv->d.rxq[i], pv->d.txq[i] };
		int k;

		for (k = 0; k < 2; k++) {
			if (qs[k] == NULL)
				continue;
			__atomic_store_n(&qs[k]->ready, on, __ATOMIC_SEQ_CST);
			if (!on)
				keel_fence_heavy();
			while (!on && __atomic_load_n(&qs[k]->busy,
						      __ATOMIC_SEQ_CST))
				sched_yield();
		}
	}
	keel_eth_link_virtual(&link, on, KEEL_ETH_SPEED_NUM_10G);
	keel_eth_dev_link_set(pv->dev, &link);
}

/* lock held */
static void
disconnect(struct vu_priv *pv, const char *why)
{
	if (pv->d.fd < 0)
		return;
	set_ready(pv, 0);
	close(pv->d.fd);
	pv->d.fd = -1;
	pv->running = 0;
	KEEL_LOG(INFO, vu_logtype, "%s: disconnected (%s)", pv->d.path, why);
}

/* lock held: a connection and a started port: set the vrings up */
static void
try_setup(struct vu_priv *pv)
{
	if (vu_proto_setup(&pv->d) < 0) {
		disconnect(pv, "set-up failed");
		return;
	}
	pv->running = 1;
	set_ready(pv, 1);
}

/* wait for a connection (poll with a timeout); lock not held */
static int
wait_connection(struct vu_priv *pv)
{
	if (pv->d.server) {
		struct pollfd p = { .fd = pv->d.listenfd, .events = POLLIN };

		if (poll(&p, 1, POLL_MS) != 1)
			return -1;
		return accept4(pv->d.listenfd, NULL, NULL, SOCK_CLOEXEC);
	}
	return vu_proto_connect(&pv->d);
}

static void *
conn_thread(void *arg)
{
	struct vu_priv *pv = arg;
	uint64_t last_try = 0;

	while (!__atomic_load_n(&pv->stop_thr, __ATOMIC_ACQUIRE)) {
		int started = __atomic_load_n(&pv->started, __ATOMIC_ACQUIRE);

		if (!started) {
			pthread_mutex_lock(&pv->lock);
			disconnect(pv, "port stopped");
			pthread_mutex_unlock(&pv->lock);
			usleep(POLL_MS * 1000);
			continue;
		}
		if (pv->d.fd < 0) {
			int fd;

			/* a client retries every second */
			if (!pv->d.server &&
			    keel_time_ns() - last_try < 1000000000ULL) {
				usleep(POLL_MS * 1000);
				continue;
			}
			last_try = keel_time_ns();
			fd = wait_connection(pv);
			if (fd < 0)
				continue;
			pthread_mutex_lock(&pv->lock);
			pv->d.fd = fd;
			if (__atomic_load_n(&pv->started, __ATOMIC_ACQUIRE))
				try_setup(pv);
			pthread_mutex_unlock(&pv->lock);
			continue;
		}
		/* watch the connection: anything readable is its end (the
		 * back-end sends nothing unasked) */
		{
			struct pollfd p = { .fd = pv->d.fd,
					    .events = POLLIN | POLLRDHUP };
			char buf[64];

			if (poll(&p, 1, POLL_MS) == 1) {
				pthread_mutex_lock(&pv->lock);
				if (pv->d.fd >= 0 &&
				    recv(pv->d.fd, buf, sizeof(buf),
					 MSG_DONTWAIT) <= 0)
					disconnect(pv, "the back-end went away");
				pthread_mutex_unlock(&pv->lock);
			}
		}
	}
	pthread_mutex_lock(&pv->lock);
	disconnect(pv, "port closed");
	pthread_mutex_unlock(&pv->lock);
	return NULL;
}

/* ---- ethdev ops ---- */

static int
vu_infos_get(struct keel_eth_dev *dev, struct keel_eth_dev_info *info)
{
	struct vu_priv *pv = dev->dev_private;

	info->max_rx_queues = pv->d.nq;
	info->max_tx_queues = pv->d.nq;
	info->max_mac_addrs = 1;
	info->rx_desc_lim = (struct keel_eth_desc_lim){ UINT16_MAX, 0, 1 };
	info->tx_desc_lim = info->rx_desc_lim;
	info->min_rx_bufsize = 64;
	info->max_rx_pktlen = pv->d.want_mrg ? 65535 : 1518;
	info->max_mtu = pv->d.want_mrg ? 65535 - 18 : 1500;
	info->rx_offload_capa = KEEL_ETH_RX_OFFLOAD_SCATTER;
	info->tx_offload_capa = KEEL_ETH_TX_OFFLOAD_MULTI_SEGS;
	info->speed_capa = KEEL_ETH_LINK_SPEED_10G;
	info->default_rxportconf.burst_size = 32;
	info->default_txportconf.burst_size = 32;
	return 0;
}

static int
vu_configure(struct keel_eth_dev *dev)
{
	if (dev->data.nb_rx_queues != dev->data.nb_tx_queues) {
		KEEL_LOG(ERR, vu_logtype, "%s: %u Rx and %u Tx queues: a "
			 "virtio-net device has queue pairs", dev->name,
			 dev->data.nb_rx_queues, dev->data.nb_tx_queues);
		return -EINVAL;
	}
	return 0;
}

static int
vu_start(struct keel_eth_dev *dev)
{
	struct vu_priv *pv = dev->dev_private;

	pthread_mutex_lock(&pv->lock);
	pv->d.nq = dev->data.nb_rx_queues;
	__atomic_store_n(&pv->started, 1, __ATOMIC_RELEASE);
	/* connected already (server: the back-end came first) */
	if (pv->d.fd >= 0 && !pv->running)
		try_setup(pv);
	pthread_mutex_unlock(&pv->lock);
	return 0;
}

static int
vu_stop(struct keel_eth_dev *dev)
{
	struct vu_priv *pv = dev->dev_private;

	pthread_mutex_lock(&pv->lock);
	__atomic_store_n(&pv->started, 0, __ATOMIC_RELEASE);
	disconnect(pv, "port stopped");
	pthread_mutex_unlock(&pv->lock);
	return 0;
}

static int
vu_close(struct keel_eth_dev *dev)
{
	struct vu_priv *pv = dev->dev_private;

	if (pv->thr_on) {
		__atomic_store_n(&pv->stop_thr, 1, __ATOMIC_RELEASE);
		pthread_join(pv->thr, NULL);
		pv->thr_on = 0;
	}
	if (pv->d.listenfd >= 0) {
		close(pv->d.listenfd);
		unlink(pv->d.path);
	}
	pv->d.listenfd = -1;
	pthread_mutex_destroy(&pv->lock);
	return 0;
}

static struct vu_queue *
queue_new(struct keel_eth_dev *dev, uint16_t vring, int socket_id)
{
	struct vu_priv *pv = dev->dev_private;
	struct vu_queue *q;
	char name[64];

	q = keel_zmalloc_socket("vu_queue", sizeof(*q), 64, socket_id);
	if (q == NULL)
		q = keel_zmalloc("vu_queue", sizeof(*q), 64);
	if (q == NULL)
		return NULL;
	snprintf(name, sizeof(name), "vu%u_%u", dev->port_id, vring);
	q->kickfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	q->callfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->kickfd < 0 || q->callfd < 0 ||
	    vu_ring_alloc(q, name, pv->d.ring_size, socket_id) < 0) {
		if (q->kickfd >= 0)
			close(q->kickfd);
		if (q->callfd >= 0)
			close(q->callfd);
		keel_free(q);
		return NULL;
	}
	q->vring = vring;
	q->port_id = dev->port_id;
	q->dev = &pv->d;
	return q;
}

static void
queue_release(struct keel_eth_dev *dev, void *qp)
{
	struct vu_priv *pv = dev->dev_private;
	struct vu_queue *q = qp;

	pthread_mutex_lock(&pv->lock);
	if (pv->d.rxq[q->vring / 2] == q)
		pv->d.rxq[q->vring / 2] = NULL;
	if (pv->d.txq[q->vring / 2] == q)
		pv->d.txq[q->vring / 2] = NULL;
	pthread_mutex_unlock(&pv->lock);
	vu_ring_free(q);
	close(q->kickfd);
	close(q->callfd);
	keel_free(q);
}

static int
vu_rxq_setup(struct keel_eth_dev *dev, uint16_t id, uint16_t nb_desc,
	     int socket_id, const struct keel_eth_rxconf *conf,
	     struct keel_mempool *mp, void **rxq)
{
	struct vu_priv *pv = dev->dev_private;
	struct vu_queue *q = queue_new(dev, (uint16_t)(2 * id), socket_id);

	(void)nb_desc; (void)conf;
	if (q == NULL)
		return -ENOMEM;
	q->mp = mp;
	pthread_mutex_lock(&pv->lock);
	pv->d.rxq[id] = q;
	pthread_mutex_unlock(&pv->lock);
	*rxq = q;
	return 0;
}

static int
vu_txq_setup(struct keel_eth_dev *dev, uint16_t id, uint16_t nb_desc,
	     int socket_id, const struct keel_eth_txconf *conf, void **txq)
{
	struct vu_priv *pv = dev->dev_private;
	struct vu_queue *q = queue_new(dev, (uint16_t)(2 * id + 1), socket_id);

	(void)nb_desc; (void)conf;
	if (q == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&pv->lock);
	pv->d.txq[id] = q;
	pthread_mutex_unlock(&pv->lock);
	*txq = q;
	return 0;
}

static int
vu_queue_stats(struct keel_eth_dev *dev, const void *qp, bool rx,
	       struct keel_eth_queue_stats *st)
{
	const struct vu_queue *q = qp;

	(void)dev; (void)rx;
	st->packets = q->packets;
	st->bytes = q->bytes;
	st->errors = q->errors;
	st->nombuf = q->nombuf;
	return 0;
}

static int
vu_ok(struct keel_eth_dev *dev)
{
	(void)dev;
	return 0;
}

static int
vu_mtu_set(struct keel_eth_dev *dev, uint16_t mtu)
{
	(void)dev; (void)mtu;
	return 0;
}

static int
vu_dump(struct keel_eth_dev *dev, FILE *f)
{
	struct vu_priv *pv = dev->dev_private;

	fprintf(f, "  net_virtio_user: %s%s, %u queue pairs of %u, features "
		"0x%llx, %s\n", pv->d.path, pv->d.server ? " (server)" : "",
		pv->d.nq, pv->d.ring_size, (unsigned long long)pv->d.features,
		pv->running ? "running" : "not connected");
	return 0;
}

static const struct keel_eth_dev_ops vu_ops = {
	.dev_infos_get = vu_infos_get,
	.dev_configure = vu_configure,
	.dev_start = vu_start,
	.dev_stop = vu_stop,
	.dev_close = vu_close,
	.rx_queue_setup = vu_rxq_setup,
	.tx_queue_setup = vu_txq_setup,
	.rx_queue_release = queue_release,
	.tx_queue_release = queue_release,
	.queue_stats_get = vu_queue_stats,
	.promiscuous_enable = vu_ok,
	.promiscuous_disable = vu_ok,
	.allmulticast_enable = vu_ok,
	.allmulticast_disable = vu_ok,
	.mtu_set = vu_mtu_set,
	.dev_dump = vu_dump,
};

/* ---- vdev ---- */

/* mem_regions=: each EAL segment list's whole VA window (default), or only
 * up to its last allocated page (a back-end that pins or DMA-maps every
 * region, e.g. async vhost behind VFIO, cannot take an 8 GiB window
 * holding 64 MiB of memory) */
static const char *const mem_choices[] = { "window", "allocated", NULL };

static int
get_args(const char *name, const char *args, struct vu_dev *d)
{
	struct keel_kvargs *kv = keel_kvargs_parse(args, vu_keys);
	uint64_t server = 0, queues = 1, packed = 0, mrg = 1, in_order = 1;
	uint64_t qsize = 256;
	const char *path;
	int ret;

	if (kv == NULL)
		return -errno;
	path = keel_kvargs_get(kv, "path");
	if (path == NULL) {
		KEEL_LOG(ERR, vu_logtype, "%s: path=PATH is required", name);
		keel_kvargs_free(kv);
		return -EINVAL;
	}
	snprintf(d->path, sizeof(d->path), "%s", path);
	ret = keel_kvargs_get_u64(kv, "server", 0, 1, &server);
	if (ret == 0 || ret == -ENOENT)
		ret = keel_kvargs_get_u64(kv, "queues", 1, 128, &queues);
	if (ret == 0 || ret == -ENOENT)
		ret = keel_kvargs_get_u64(kv, "packed_vq", 0, 1, &packed);
	if (ret == 0 || ret == -ENOENT)
		ret = keel_kvargs_get_u64(kv, "mrg_rxbuf", 0, 1, &mrg);
	if (ret == 0 || ret == -ENOENT)
		ret = keel_kvargs_get_u64(kv, "in_order", 0, 1, &in_order);
	if (ret == 0 || ret == -ENOENT)
		ret = keel_kvargs_get_u64(kv, "queue_size", 16, 4096, &qsize);
	if (ret == 0 || ret == -ENOENT) {
		ret = keel_kvargs_get_choice(kv, "mem_regions", mem_choices);
		if (ret >= 0) {
			d->mem_allocated = ret == 1;
			ret = 0;
		}
	}
	keel_kvargs_free(kv);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	if (qsize & (qsize - 1)) {
		KEEL_LOG(ERR, vu_logtype, "%s: queue_size %llu is not a power "
			 "of 2", name, (unsigned long long)qsize);
		return -EINVAL;
	}
	d->server = (int)server;
	d->nq = (uint16_t)queues;
	d->want_packed = (int)packed;
	d->want_mrg = (int)mrg;
	d->want_in_order = (int)in_order;
	d->ring_size = (uint16_t)qsize;
	return 0;
}

static int
vu_probe(const char *name, const char *args)
{
	struct keel_eth_dev *dev;
	struct vu_priv *pv;
	struct vu_dev d;
	int ret;

	memset(&d, 0, sizeof(d));
	ret = get_args(name, args, &d);
	if (ret < 0)
		return ret;
	d.fd = -1;
	d.listenfd = -1;
	if (d.server) {
		d.listenfd = vu_proto_listen(&d);
		if (d.listenfd < 0) {
			KEEL_LOG(ERR, vu_logtype, "%s: cannot listen on %s: %s",
				 name, d.path, strerror(-d.listenfd));
			return d.listenfd;
		}
	}
	dev = keel_eth_dev_allocate(name, keel_socket_id(), sizeof(*pv));
	if (dev == NULL) {
		ret = -errno;
		goto fail;
	}
	pv = dev->dev_private;
	pv->d = d;
	pv->dev = dev;
	pthread_mutex_init(&pv->lock, NULL);
	dev->driver_name = VU_DRIVER;
	snprintf(dev->device_name, sizeof(dev->device_name), "%s", name);
	dev->dev_flags = KEEL_ETH_DEV_INTR_LSC;
	dev->dev_ops = &vu_ops;
	dev->rx_pkt_burst = vu_rx;
	dev->tx_pkt_burst = vu_tx;
	ret = -pthread_create(&pv->thr, NULL, conn_thread, pv);
	if (ret < 0) {
		keel_eth_dev_release_port(dev);
		goto fail;
	}
	pthread_setname_np(pv->thr, "keel-vu-conn");
	pv->thr_on = 1;
	ret = keel_eth_dev_probing_finish(dev);
	if (ret < 0) {
		vu_close(dev);
		keel_eth_dev_release_port(dev);
		return ret;
	}
	KEEL_LOG(INFO, vu_logtype, "%s: port %u, %s %s, %u queue pairs, %s%s",
		 name, dev->port_id, d.server ? "listening on" : "connecting to",
		 d.path, d.nq, d.want_packed ? "packed" : "split",
		 d.want_mrg ? ", mergeable" : "");
	return 0;
fail:
	if (d.listenfd >= 0) {
		close(d.listenfd);
		unlink(d.path);
	}
	return ret;
}

static int
vu_remove(const char *name)
{
	struct keel_eth_dev *dev = keel_eth_dev_get_by_name(name);

	if (dev == NULL)
		return 0;
	return keel_eth_dev_destroy(dev);
}

static struct keel_vdev_driver vu_driver = {
	.probe = vu_probe,
	.remove = vu_remove,
};

KEEL_VDEV_DRIVER_REGISTER(net_virtio_user, vu_driver,
	"path=<path> server=<0|1> queues=<1..128> packed_vq=<0|1> "
	"mrg_rxbuf=<0|1> in_order=<0|1> queue_size=<16..4096> "
	"mem_regions=<window|allocated>")
