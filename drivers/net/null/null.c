/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_null: a port with nothing behind it. Rx hands out fresh mbufs of
 * `size` bytes as fast as the pool gives them; Tx frees what it is given.
 * With copy=1, Rx writes the packet bytes and Tx reads them (so a
 * benchmark touches packet data); with no-rx=1, Rx returns nothing.
 *
 * The benchmark driver for raw forwarding, so its per-packet cost is what
 * the mbuf layout forces and no more:
 *   - Rx takes a bulk from the pool's lcore cache and writes only the first
 *     cache line of each mbuf: the 8-byte "rearm" word (data_off, refcnt,
 *     nb_segs, port) from a per-queue template, ol_flags, packet_type and
 *     the lengths. next and nb_segs already hold their free-state values
 *     (NULL, 1), so the second line is never touched (keel_pktmbuf_reset()
 *     writes it);
 *   - Tx recognises the common burst (direct, single-segment, unshared
 *     mbufs of one pool) and returns it with one mempool put; anything else
 *     goes through keel_pktmbuf_free_bulk();
 *   - counters are plain per-queue fields (one writer, the polling lcore),
 *     not atomics as in DPDK 22.11's null PMD.
 *
 * Locking: a queue is driven by one thread (ethdev contract); control ops
 * run under the ethdev library lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keel_ethdev_driver.h"
#include "keel_kvargs.h"
#include "keel_log.h"
#include "keel_malloc.h"
#include "keel_mbuf.h"
#include "keel_mempool.h"
#include "keel_vdev.h"

KEEL_LOG_REGISTER(null_logtype, "pmd.net.null", INFO)

#define NULL_DRIVER       "net_null"
#define NULL_DEFAULT_SIZE 64
#define NULL_MAX_QUEUES   KEEL_MAX_QUEUES_PER_PORT

struct null_queue {
	/* fast path, one cache line */
	struct keel_mempool *mp;      /* Rx: pool */
	uint64_t rearm;               /* Rx: data_off, refcnt 1, nb_segs 1, port */
	uint32_t size;                /* packet length */
	uint8_t copy;                 /* touch packet data */
	uint8_t no_rx;                /* Rx returns nothing */
	uint64_t packets, bytes, nombuf;
	/* copy mode: the packet Rx writes / Tx reads into */
	uint8_t *dummy;
} __attribute__((aligned(64)));

struct null_priv {
	uint32_t size;
	uint8_t copy;
	uint8_t no_rx;
};

static const char *const null_keys[] = { "size", "copy", "no-rx", NULL };

/* ------------------------------------------------------------ fast path */

static uint16_t
null_rx(void *q, struct keel_mbuf **bufs, uint16_t n)
{
	struct null_queue *nq = q;
	const uint64_t rearm = nq->rearm;
	const uint32_t size = nq->size;
	int ret;

	if (__builtin_expect(nq->no_rx || n == 0, 0))
		return 0;
	if (__builtin_expect(nq->mp->flags & KEEL_MEMPOOL_F_DEBUG, 0))
		ret = keel_pktmbuf_alloc_bulk(nq->mp, bufs, n);
	else
		ret = keel_mempool_get_bulk(nq->mp, (void **)bufs, n);
	if (__builtin_expect(ret != 0, 0)) {
		nq->nombuf += n;
		return 0;
	}
	for (uint16_t i = 0; i < n; i++) {
		struct keel_mbuf *m = bufs[i];

		m->rearm_data = rearm;
		m->ol_flags &= KEEL_MBUF_F_EXTERNAL;
		m->packet_type = 0;
		m->pkt_len = size;
		m->data_len = (uint16_t)size;
		m->vlan_tci = 0;
	}
	if (__builtin_expect(nq->copy, 0))
		for (uint16_t i = 0; i < n; i++)
			memcpy(keel_pktmbuf_mtod(bufs[i], void *), nq->dummy,
			       size);
	nq->packets += n;
	nq->bytes += (uint64_t)size * n;
	return n;
}

static uint16_t
null_tx(void *q, struct keel_mbuf **bufs, uint16_t n)
{
	struct null_queue *nq = q;
	struct keel_mempool *mp;
	uint64_t bytes = 0;
	int simple = 1;

	if (__builtin_expect(n == 0, 0))
		return 0;
	mp = bufs[0]->pool;
	for (uint16_t i = 0; i < n; i++) {
		const struct keel_mbuf *m = bufs[i];

		bytes += m->pkt_len;
		simple &= (m->nb_segs == 1) & (m->refcnt == 1) &
			  ((m->ol_flags & (KEEL_MBUF_F_INDIRECT |
					   KEEL_MBUF_F_EXTERNAL)) == 0) &
			  (m->pool == mp);
	}
	if (__builtin_expect(nq->copy, 0))
		for (uint16_t i = 0; i < n; i++) {
			uint32_t len = bufs[i]->data_len < nq->size ?
				       bufs[i]->data_len : nq->size;

			memcpy(nq->dummy, keel_pktmbuf_mtod(bufs[i], void *),
			       len);
		}
	if (__builtin_expect(simple && !(mp->flags & KEEL_MEMPOOL_F_DEBUG), 1))
		keel_mempool_put_bulk(mp, (void **)bufs, n);
	else
		keel_pktmbuf_free_bulk(bufs, n);
	nq->packets += n;
	nq->bytes += bytes;
	return n;
}

/* --------------------------------------------------------- control path */

static int
null_infos_get(struct keel_eth_dev *dev, struct keel_eth_dev_info *info)
{
	struct null_priv *pv = dev->dev_private;

	info->max_rx_queues = NULL_MAX_QUEUES;
	info->max_tx_queues = NULL_MAX_QUEUES;
	info->max_mac_addrs = 1;
	/* no descriptors: any count is accepted and ignored */
	info->rx_desc_lim = (struct keel_eth_desc_lim){ UINT16_MAX, 0, 1 };
	info->tx_desc_lim = info->rx_desc_lim;
	/* a generated packet must fit one mbuf */
	info->min_rx_bufsize = pv->size;
	info->max_rx_pktlen = UINT16_MAX;
	info->max_mtu = UINT16_MAX - KEEL_ETHER_HDR_CRC_LEN;
	/* Tx frees chains and any mbuf */
	info->tx_offload_capa = KEEL_ETH_TX_OFFLOAD_MULTI_SEGS |
				KEEL_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	info->speed_capa = KEEL_ETH_LINK_SPEED_10G;
	info->default_rxportconf.burst_size = 32;
	info->default_txportconf.burst_size = 32;
	return 0;
}

static int
null_configure(struct keel_eth_dev *dev)
{
	(void)dev;
	return 0;
}

static void
null_set_link(struct keel_eth_dev *dev, bool up)
{
	struct keel_eth_link l;

	keel_eth_link_virtual(&l, up, KEEL_ETH_SPEED_NUM_10G);
	keel_eth_dev_link_set(dev, &l);
}

static int
null_start(struct keel_eth_dev *dev)
{
	null_set_link(dev, true);
	return 0;
}

static int
null_stop(struct keel_eth_dev *dev)
{
	null_set_link(dev, false);
	return 0;
}

static int
null_close(struct keel_eth_dev *dev)
{
	(void)dev;
	return 0;
}

static int
null_link_up(struct keel_eth_dev *dev)
{
	null_set_link(dev, true);
	return 0;
}

static int
null_link_down(struct keel_eth_dev *dev)
{
	null_set_link(dev, false);
	return 0;
}

static struct null_queue *
queue_new(struct keel_eth_dev *dev, int socket_id)
{
	struct null_priv *pv = dev->dev_private;
	struct null_queue *nq;

	nq = keel_zmalloc_socket("null_queue", sizeof(*nq), 64, socket_id);
	if (nq == NULL)
		nq = keel_zmalloc("null_queue", sizeof(*nq), 64);
	if (nq == NULL)
		return NULL;
	nq->size = pv->size;
	nq->copy = pv->copy;
	nq->no_rx = pv->no_rx;
	if (pv->copy) {
		nq->dummy = keel_zmalloc("null_dummy", pv->size ? pv->size : 1,
					 64);
		if (nq->dummy == NULL) {
			keel_free(nq);
			return NULL;
		}
		/* a recognisable packet: bytes 0, 1, 2, ... */
		for (uint32_t i = 0; i < pv->size; i++)
			nq->dummy[i] = (uint8_t)i;
	}
	return nq;
}

static void
queue_free(struct keel_eth_dev *dev, void *q)
{
	struct null_queue *nq = q;

	(void)dev;
	keel_free(nq->dummy);
	keel_free(nq);
}

static int
null_rxq_setup(struct keel_eth_dev *dev, uint16_t id, uint16_t nb_desc,
	       int socket_id, const struct keel_eth_rxconf *conf,
	       struct keel_mempool *mp, void **rxq)
{
	uint64_t room = keel_pktmbuf_data_room_size(mp);
	uint64_t data_off = room < KEEL_PKTMBUF_HEADROOM ? room :
			    KEEL_PKTMBUF_HEADROOM;
	struct null_queue *nq;

	/* the library checked that a packet (min_rx_bufsize) fits; headroom
	 * as keel_pktmbuf_reset_headroom() gives it */
	(void)id; (void)nb_desc; (void)conf;
	nq = queue_new(dev, socket_id);
	if (nq == NULL)
		return -ENOMEM;
	nq->mp = mp;
	/* the rearm word: data_off | refcnt << 16 | nb_segs << 32 | port << 48 */
	nq->rearm = data_off | 1ull << 16 | 1ull << 32 |
		    (uint64_t)dev->port_id << 48;
	*rxq = nq;
	return 0;
}

static int
null_txq_setup(struct keel_eth_dev *dev, uint16_t id, uint16_t nb_desc,
	       int socket_id, const struct keel_eth_txconf *conf, void **txq)
{
	struct null_queue *nq;

	(void)id; (void)nb_desc; (void)conf;
	nq = queue_new(dev, socket_id);
	if (nq == NULL)
		return -ENOMEM;
	*txq = nq;
	return 0;
}

static int
null_queue_stats(struct keel_eth_dev *dev, const void *q, bool rx,
		 struct keel_eth_queue_stats *st)
{
	const struct null_queue *nq = q;

	(void)dev; (void)rx;
	st->packets = nq->packets;
	st->bytes = nq->bytes;
	st->nombuf = nq->nombuf;
	return 0;
}

static int
null_ok(struct keel_eth_dev *dev)
{
	(void)dev;
	return 0;       /* nothing to filter: every packet is "received" */
}

static int
null_mac_set(struct keel_eth_dev *dev, const struct keel_ether_addr *a)
{
	(void)dev; (void)a;
	return 0;
}

static int
null_mtu_set(struct keel_eth_dev *dev, uint16_t mtu)
{
	(void)dev; (void)mtu;
	return 0;
}

static int
null_dump(struct keel_eth_dev *dev, FILE *f)
{
	struct null_priv *pv = dev->dev_private;

	fprintf(f, "  net_null: size %u copy %u no-rx %u\n", pv->size,
		pv->copy, pv->no_rx);
	return 0;
}

static const struct keel_eth_dev_ops null_ops = {
	.dev_infos_get = null_infos_get,
	.dev_configure = null_configure,
	.dev_start = null_start,
	.dev_stop = null_stop,
	.dev_close = null_close,
	.rx_queue_setup = null_rxq_setup,
	.tx_queue_setup = null_txq_setup,
	.rx_queue_release = queue_free,
	.tx_queue_release = queue_free,
	.queue_stats_get = null_queue_stats,
	.dev_set_link_up = null_link_up,
	.dev_set_link_down = null_link_down,
	.promiscuous_enable = null_ok,
	.promiscuous_disable = null_ok,
	.allmulticast_enable = null_ok,
	.allmulticast_disable = null_ok,
	.mac_addr_set = null_mac_set,
	.mtu_set = null_mtu_set,
	.dev_dump = null_dump,
};

/* ------------------------------------------------------------ vdev side */

static int
null_probe(const char *name, const char *args)
{
	struct keel_kvargs *kv = keel_kvargs_parse(args, null_keys);
	uint64_t size = NULL_DEFAULT_SIZE, copy = 0, no_rx = 0;
	struct keel_eth_dev *dev;
	struct null_priv *pv;
	int ret;

	if (kv == NULL)
		return -errno;
	ret = keel_kvargs_get_u64(kv, "size", 0, UINT16_MAX, &size);
	if (ret == 0 || ret == -ENOENT)
		ret = keel_kvargs_get_u64(kv, "copy", 0, 1, &copy);
	if (ret == 0 || ret == -ENOENT)
		ret = keel_kvargs_get_u64(kv, "no-rx", 0, 1, &no_rx);
	keel_kvargs_free(kv);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	dev = keel_eth_dev_allocate(name, keel_socket_id(), sizeof(*pv));
	if (dev == NULL)
		return -errno;
	pv = dev->dev_private;
	pv->size = (uint32_t)size;
	pv->copy = (uint8_t)copy;
	pv->no_rx = (uint8_t)no_rx;
	dev->driver_name = NULL_DRIVER;
	snprintf(dev->device_name, sizeof(dev->device_name), "%s", name);
	dev->dev_flags = KEEL_ETH_DEV_INTR_LSC;
	dev->dev_ops = &null_ops;
	dev->rx_pkt_burst = null_rx;
	dev->tx_pkt_burst = null_tx;
	ret = keel_eth_dev_probing_finish(dev);
	if (ret < 0) {
		keel_eth_dev_release_port(dev);
		return ret;
	}
	KEEL_LOG(DEBUG, null_logtype, "%s: port %u, size %u%s%s", name,
		 dev->port_id, pv->size, copy ? ", copy" : "",
		 no_rx ? ", no-rx" : "");
	return 0;
}

static int
null_remove(const char *name)
{
	struct keel_eth_dev *dev = keel_eth_dev_get_by_name(name);

	if (dev == NULL)
		return 0;       /* closed through keel_eth_dev_close() */
	return keel_eth_dev_destroy(dev);
}

static struct keel_vdev_driver null_driver = {
	.probe = null_probe,
	.remove = null_remove,
};

KEEL_VDEV_DRIVER_REGISTER(net_null, null_driver,
	"size=<0..65535, default 64> copy=<0|1> no-rx=<0|1>")
