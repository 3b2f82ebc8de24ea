/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_ring: ports over Keel rings (see keel_eth_ring.h).
 *
 * A port holds one ring per Rx queue and one per Tx queue; Rx dequeues a
 * burst, Tx enqueues one (what does not fit stays with the caller and is
 * counted as a Tx error). Mbufs pass untouched; the driver reads pkt_len
 * for the byte counters.
 *
 * Rings come from three places, recorded per port so close frees only what
 * the driver made: the application (keel_eth_from_rings(): never freed),
 * the driver for a loopback port (freed with the port), or the named-ring
 * table for rx=/tx= arguments (shared by the ports that name them, freed
 * with the last one). Lock: named_lock protects the named-ring table;
 * everything else runs under the ethdev library lock or on the queue's
 * polling thread.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "keel_eth_ring.h"
#include "keel_ethdev_driver.h"
#include "keel_kvargs.h"
#include "keel_log.h"
#include "keel_malloc.h"
#include "keel_mbuf.h"
#include "keel_ring.h"
#include "keel_vdev.h"

KEEL_LOG_REGISTER(ring_logtype, "pmd.net.ring", INFO)

#define RING_DRIVER        "net_ring"
#define RING_MAX_QUEUES    16
#define RING_DEFAULT_SIZE  1024
#define RING_NAMED_MAX     64

enum ring_origin { RING_APP = 0, RING_OWN, RING_NAMED };

struct ring_queue {
	struct keel_ring *r;
	uint64_t packets, bytes, errors;
} __attribute__((aligned(64)));

struct ring_priv {
	unsigned int nb_rx, nb_tx;
	struct keel_ring *rx[RING_MAX_QUEUES];
	struct keel_ring *tx[RING_MAX_QUEUES];
	enum ring_origin origin;
};

/* named rings (rx=/tx=): shared by the ports naming them */
static pthread_mutex_t named_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	struct keel_ring *r;
	unsigned int refs;
} named[RING_NAMED_MAX];
static unsigned int own_seq;

/* ------------------------------------------------------------ fast path */

static uint16_t
ring_rx(void *q, struct keel_mbuf **bufs, uint16_t n)
{
	struct ring_queue *rq = q;
	uint16_t k = (uint16_t)keel_ring_dequeue_burst(rq->r, (void **)bufs, n,
						       NULL);
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < k; i++)
		bytes += bufs[i]->pkt_len;
	rq->packets += k;
	rq->bytes += bytes;
	return k;
}

static uint16_t
ring_tx(void *q, struct keel_mbuf **bufs, uint16_t n)
{
	struct ring_queue *rq = q;
	uint64_t bytes = 0;
	uint16_t k;

	for (uint16_t i = 0; i < n; i++)
		bytes += bufs[i]->pkt_len;
	k = (uint16_t)keel_ring_enqueue_burst(rq->r, (void * const *)bufs, n,
					      NULL);
	if (__builtin_expect(k < n, 0)) {
		for (uint16_t i = k; i < n; i++)
			bytes -= bufs[i]->pkt_len;
		rq->errors += n - k;
	}
	rq->packets += k;
	rq->bytes += bytes;
	return k;
}

/* --------------------------------------------------------- control path */

static int
ring_infos_get(struct keel_eth_dev *dev, struct keel_eth_dev_info *info)
{
	struct ring_priv *pv = dev->dev_private;

	info->max_rx_queues = (uint16_t)pv->nb_rx;
	info->max_tx_queues = (uint16_t)pv->nb_tx;
	info->max_mac_addrs = 1;
	/* the ring's size rules; descriptor counts are ignored */
	info->rx_desc_lim = (struct keel_eth_desc_lim){ UINT16_MAX, 0, 1 };
	info->tx_desc_lim = info->rx_desc_lim;
	info->max_rx_pktlen = UINT16_MAX;
	info->max_mtu = UINT16_MAX - KEEL_ETHER_HDR_CRC_LEN;
	/* mbufs go through as they are: chains too */
	info->tx_offload_capa = KEEL_ETH_TX_OFFLOAD_MULTI_SEGS;
	info->speed_capa = KEEL_ETH_LINK_SPEED_10G;
	return 0;
}

static int
ring_configure(struct keel_eth_dev *dev)
{
	(void)dev;
	return 0;
}

static void
ring_set_link(struct keel_eth_dev *dev, bool up)
{
	struct keel_eth_link l;

	keel_eth_link_virtual(&l, up, KEEL_ETH_SPEED_NUM_10G);
	keel_eth_dev_link_set(dev, &l);
}

static int
ring_start(struct keel_eth_dev *dev)
{
	ring_set_link(dev, true);
	return 0;
}

static int
ring_stop(struct keel_eth_dev *dev)
{
	ring_set_link(dev, false);
	return 0;
}

static int ring_link_up(struct keel_eth_dev *d) { ring_set_link(d, true); return 0; }
static int ring_link_down(struct keel_eth_dev *d) { ring_set_link(d, false); return 0; }

static void
named_put(struct keel_ring *r)
{
	pthread_mutex_lock(&named_lock);
	for (int i = 0; i < RING_NAMED_MAX; i++)
		if (named[i].r == r && --named[i].refs == 0) {
			keel_ring_free(r);
			named[i].r = NULL;
		}
	pthread_mutex_unlock(&named_lock);
}

static void
rings_release(struct ring_priv *pv)
{
	if (pv->origin == RING_APP)
		return;
	for (unsigned int i = 0; i < pv->nb_rx; i++) {
		if (pv->origin == RING_OWN)
			keel_ring_free(pv->rx[i]);  /* loopback: rx[i] == tx[i] */
		else
			named_put(pv->rx[i]);
	}
	for (unsigned int i = 0; i < pv->nb_tx && pv->origin == RING_NAMED; i++)
		named_put(pv->tx[i]);
	pv->nb_rx = pv->nb_tx = 0;
}

static int
ring_close(struct keel_eth_dev *dev)
{
	rings_release(dev->dev_private);
	return 0;
}

static int
queue_setup(struct keel_eth_dev *dev, struct keel_ring *r, int socket_id,
	    void **out)
{
	struct ring_queue *rq;

	(void)dev;
	rq = keel_zmalloc_socket("ring_queue", sizeof(*rq), 64, socket_id);
	if (rq == NULL)
		rq = keel_zmalloc("ring_queue", sizeof(*rq), 64);
	if (rq == NULL)
		return -ENOMEM;
	rq->r = r;
	*out = rq;
	return 0;
}

static int
ring_rxq_setup(struct keel_eth_dev *dev, uint16_t id, uint16_t nb_desc,
	       int socket_id, const struct keel_eth_rxconf *conf,
	       struct keel_mempool *mp, void **rxq)
{
	struct ring_priv *pv = dev->dev_private;

	(void)nb_desc; (void)conf; (void)mp;
	return queue_setup(dev, pv->rx[id], socket_id, rxq);
}

static int
ring_txq_setup(struct keel_eth_dev *dev, uint16_t id, uint16_t nb_desc,
	       int socket_id, const struct keel_eth_txconf *conf, void **txq)
{
	struct ring_priv *pv = dev->dev_private;

	(void)nb_desc; (void)conf;
	return queue_setup(dev, pv->tx[id], socket_id, txq);
}

static void
ring_queue_release(struct keel_eth_dev *dev, void *q)
{
	(void)dev;
	keel_free(q);
}

static int
ring_queue_stats(struct keel_eth_dev *dev, const void *q, bool rx,
		 struct keel_eth_queue_stats *st)
{
	const struct ring_queue *rq = q;

	(void)dev; (void)rx;
	st->packets = rq->packets;
	st->bytes = rq->bytes;
	st->errors = rq->errors;
	return 0;
}

static int
ring_ok(struct keel_eth_dev *dev)
{
	(void)dev;
	return 0;       /* no filtering: the ring delivers every packet */
}

static int
ring_mac_set(struct keel_eth_dev *dev, const struct keel_ether_addr *a)
{
	(void)dev; (void)a;
	return 0;
}

static int
ring_mtu_set(struct keel_eth_dev *dev, uint16_t mtu)
{
	(void)dev; (void)mtu;
	return 0;
}

static int
ring_dump(struct keel_eth_dev *dev, FILE *f)
{
	struct ring_priv *pv = dev->dev_private;

	for (unsigned int i = 0; i < pv->nb_rx; i++)
		fprintf(f, "  net_ring: rxq %u <- ring %p (%u queued)\n", i,
			(void *)pv->rx[i], keel_ring_count(pv->rx[i]));
	for (unsigned int i = 0; i < pv->nb_tx; i++)
		fprintf(f, "  net_ring: txq %u -> ring %p (%u queued)\n", i,
			(void *)pv->tx[i], keel_ring_count(pv->tx[i]));
	return 0;
}

static const struct keel_eth_dev_ops ring_ops = {
	.dev_infos_get = ring_infos_get,
	.dev_configure = ring_configure,
	.dev_start = ring_start,
	.dev_stop = ring_stop,
	.dev_close = ring_close,
	.rx_queue_setup = ring_rxq_setup,
	.tx_queue_setup = ring_txq_setup,
	.rx_queue_release = ring_queue_release,
	.tx_queue_release = ring_queue_release,
	.queue_stats_get = ring_queue_stats,
	.dev_set_link_up = ring_link_up,
	.dev_set_link_down = ring_link_down,
	.promiscuous_enable = ring_ok,
	.promiscuous_disable = ring_ok,
	.allmulticast_enable = ring_ok,
	.allmulticast_disable = ring_ok,
	.mac_addr_set = ring_mac_set,
	.mtu_set = ring_mtu_set,
	.dev_dump = ring_dump,
};

/* Create the port over rings already chosen; on failure the caller keeps
 * (and releases) the rings. */
static int
port_create(const char *name, const char *device, int numa_node,
	    struct ring_priv *src)
{
	struct keel_eth_dev *dev;
	int ret;

	dev = keel_eth_dev_allocate(name, numa_node, sizeof(*src));
	if (dev == NULL)
		return -errno;
	*(struct ring_priv *)dev->dev_private = *src;
	dev->driver_name = RING_DRIVER;
	snprintf(dev->device_name, sizeof(dev->device_name), "%s", device);
	dev->dev_flags = KEEL_ETH_DEV_INTR_LSC;
	dev->dev_ops = &ring_ops;
	dev->rx_pkt_burst = ring_rx;
	dev->tx_pkt_burst = ring_tx;
	ret = keel_eth_dev_probing_finish(dev);
	if (ret < 0) {
		keel_eth_dev_release_port(dev);
		return ret;
	}
	return dev->port_id;
}

int
keel_eth_from_rings(const char *name, struct keel_ring *const rx_queues[],
		    unsigned int nb_rx, struct keel_ring *const tx_queues[],
		    unsigned int nb_tx, unsigned int numa_node)
{
	struct ring_priv pv = { .origin = RING_APP };
	int ret;

	if (name == NULL || (nb_rx > 0 && rx_queues == NULL) ||
	    (nb_tx > 0 && tx_queues == NULL) || nb_rx > RING_MAX_QUEUES ||
	    nb_tx > RING_MAX_QUEUES || nb_rx + nb_tx == 0) {
		KEEL_LOG(ERR, ring_logtype,
			 "from rings %s: bad rings (%u Rx, %u Tx; 1..%d each, not both 0)",
			 name == NULL ? "(null)" : name, nb_rx, nb_tx,
			 RING_MAX_QUEUES);
		errno = EINVAL;
		return -1;
	}
	for (unsigned int i = 0; i < nb_rx; i++)
		if (rx_queues[i] == NULL) {
			KEEL_LOG(ERR, ring_logtype,
				 "from rings %s: Rx ring %u is NULL", name, i);
			errno = EINVAL;
			return -1;
		}
	for (unsigned int i = 0; i < nb_tx; i++)
		if (tx_queues[i] == NULL) {
			KEEL_LOG(ERR, ring_logtype,
				 "from rings %s: Tx ring %u is NULL", name, i);
			errno = EINVAL;
			return -1;
		}
	pv.nb_rx = nb_rx;
	pv.nb_tx = nb_tx;
	memcpy(pv.rx, rx_queues, nb_rx * sizeof(pv.rx[0]));
	memcpy(pv.tx, tx_queues, nb_tx * sizeof(pv.tx[0]));
	ret = port_create(name, "", numa_node == (unsigned int)-1 ? -1 :
			  (int)numa_node, &pv);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}

int
keel_eth_from_ring(struct keel_ring *r)
{
	char name[KEEL_ETH_NAME_MAX_LEN];

	if (r == NULL) {
		KEEL_LOG(ERR, ring_logtype, "from ring: NULL ring");
		errno = EINVAL;
		return -1;
	}
	snprintf(name, sizeof(name), "net_ring_%s", r->name);
	return keel_eth_from_rings(name, &r, 1, &r, 1, (unsigned int)-1);
}

/* ------------------------------------------------------------ vdev side */

static const char *const ring_keys[] = { "queues", "size", "rx", "tx", NULL };

/* a named ring: found, or created (refs counted in the table) */
static struct keel_ring *
named_get(const char *dev, const char *rname, unsigned int size)
{
	struct keel_ring *r = NULL;
	int slot = -1;

	pthread_mutex_lock(&named_lock);
	for (int i = 0; i < RING_NAMED_MAX; i++) {
		if (named[i].r != NULL &&
		    strcmp(named[i].r->name, rname) == 0) {
			named[i].refs++;
			r = named[i].r;
			goto out;
		}
		if (named[i].r == NULL && slot < 0)
			slot = i;
	}
	if (keel_ring_lookup(rname) != NULL) {
		KEEL_LOG(ERR, ring_logtype,
			 "%s: ring %s exists and is not the driver's (use keel_eth_from_rings())",
			 dev, rname);
		errno = EEXIST;
		goto out;
	}
	if (slot < 0) {
		KEEL_LOG(ERR, ring_logtype, "%s: %d named rings already", dev,
			 RING_NAMED_MAX);
		errno = ENOSPC;
		goto out;
	}
	r = keel_ring_create(rname, size, keel_socket_id(),
			     KEEL_RING_F_SP_ENQ | KEEL_RING_F_SC_DEQ);
	if (r == NULL) {
		KEEL_LOG(ERR, ring_logtype, "%s: cannot create ring %s: %s",
			 dev, rname, strerror(errno));
		goto out;
	}
	named[slot].r = r;
	named[slot].refs = 1;
out:
	pthread_mutex_unlock(&named_lock);
	return r;
}

static int
ring_probe(const char *name, const char *args)
{
	struct keel_kvargs *kv = keel_kvargs_parse(args, ring_keys);
	struct ring_priv pv = { 0 };
	uint64_t queues = 1, size = RING_DEFAULT_SIZE;
	const char *rx, *tx;
	char rname[32];
	int ret;

	if (kv == NULL)
		return -errno;
	ret = keel_kvargs_get_u64(kv, "queues", 1, RING_MAX_QUEUES, &queues);
	if (ret == 0 || ret == -ENOENT)
		ret = keel_kvargs_get_u64(kv, "size", 2, 1u << 20, &size);
	if (ret < 0 && ret != -ENOENT)
		goto out;
	if ((size & (size - 1)) != 0) {
		KEEL_LOG(ERR, ring_logtype, "%s: size=%" PRIu64
			 " is not a power of two", name, size);
		ret = -EINVAL;
		goto out;
	}
	rx = keel_kvargs_get(kv, "rx");
	tx = keel_kvargs_get(kv, "tx");
	if ((rx == NULL) != (tx == NULL) ||
	    (rx != NULL && keel_kvargs_get(kv, "queues") != NULL)) {
		KEEL_LOG(ERR, ring_logtype,
			 "%s: give rx= and tx= together (one queue each), or neither",
			 name);
		ret = -EINVAL;
		goto out;
	}
	if (rx != NULL) {
		pv.origin = RING_NAMED;
		pv.rx[0] = named_get(name, rx, (unsigned int)size);
		if (pv.rx[0] == NULL) {
			ret = -errno;
			goto out;
		}
		pv.nb_rx = 1;
		pv.tx[0] = named_get(name, tx, (unsigned int)size);
		if (pv.tx[0] == NULL) {
			ret = -errno;
			rings_release(&pv);
			goto out;
		}
		pv.nb_tx = 1;
	} else {
		pv.origin = RING_OWN;
		for (unsigned int i = 0; i < queues; i++) {
			snprintf(rname, sizeof(rname), "net_ring_%u",
				 __atomic_fetch_add(&own_seq, 1,
						    __ATOMIC_RELAXED));
			pv.rx[i] = keel_ring_create(rname, (unsigned int)size,
				keel_socket_id(),
				KEEL_RING_F_SP_ENQ | KEEL_RING_F_SC_DEQ);
			if (pv.rx[i] == NULL) {
				ret = -errno;
				KEEL_LOG(ERR, ring_logtype,
					 "%s: cannot create ring: %s", name,
					 strerror(errno));
				rings_release(&pv);
				goto out;
			}
			pv.tx[i] = pv.rx[i];
			pv.nb_rx = pv.nb_tx = i + 1;
		}
	}
	ret = port_create(name, name, keel_socket_id(), &pv);
	if (ret < 0)
		rings_release(&pv);
	else
		ret = 0;
out:
	keel_kvargs_free(kv);
	return ret;
}

static int
ring_remove(const char *name)
{
	struct keel_eth_dev *dev = keel_eth_dev_get_by_name(name);

	if (dev == NULL)
		return 0;
	return keel_eth_dev_destroy(dev);
}

static struct keel_vdev_driver ring_driver = {
	.probe = ring_probe,
	.remove = ring_remove,
};

KEEL_VDEV_DRIVER_REGISTER(net_ring, ring_driver,
	"queues=<1..16> size=<power of two, default 1024> rx=<ring name> tx=<ring name>")
