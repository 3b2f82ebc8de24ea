/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rx/Tx queues: setup (replacing a queue only once its successor exists),
 * run-time start/stop, and info.
 *
 * Invariant: p->rxq[q].set_up == (dev.data.rx_queues[q] != NULL) for every
 * configured queue q (same for Tx). Lock: the library lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "ethdev_private.h"
#include "keel_lcore.h"
#include "keel_malloc.h"
#include "keel_mbuf.h"

/* DPDK's fallback ring size when a driver suggests none */
#define ETH_FALLBACK_RING_SIZE 512

static uint16_t
default_desc(uint16_t suggested, const struct keel_eth_desc_lim *lim)
{
	uint32_t n = suggested ? suggested : ETH_FALLBACK_RING_SIZE;

	if (n > lim->nb_max)
		n = lim->nb_max;
	if (n < lim->nb_min)
		n = lim->nb_min;
	n = (n + lim->nb_align - 1) / lim->nb_align * lim->nb_align;
	if (n > lim->nb_max)
		n -= lim->nb_align;
	return (uint16_t)n;
}

/* common checks of rx/tx queue setup; returns 0 or -errno (logged) */
static int
check_setup(struct eth_port *p, const struct keel_eth_dev_info *info,
	    bool rx, uint16_t q, uint16_t *nb_desc, unsigned int socket_id)
{
	const char *dir = rx ? "Rx" : "Tx";
	const struct keel_eth_desc_lim *lim = rx ? &info->rx_desc_lim :
						   &info->tx_desc_lim;
	uint16_t nq = rx ? p->dev.data.nb_rx_queues : p->dev.data.nb_tx_queues;
	struct eth_queue_lib *ql;

	if (p->state < ETH_PORT_CONFIGURED) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "%s queue setup %s: port is not configured", dir,
			 p->dev.name);
		return -EINVAL;
	}
	if (q >= nq) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "%s queue setup %s: queue %u >= %u configured", dir,
			 p->dev.name, q, nq);
		return -EINVAL;
	}
	ql = rx ? &p->rxq[q] : &p->txq[q];
	if (p->state == ETH_PORT_STARTED) {
		uint64_t capa = rx ? KEEL_ETH_DEV_CAPA_RUNTIME_RX_QUEUE_SETUP :
				     KEEL_ETH_DEV_CAPA_RUNTIME_TX_QUEUE_SETUP;

		if (!(info->dev_capa & capa)) {
			KEEL_LOG(ERR, keel_logtype_ethdev,
				 "%s queue setup %s: port is started (no run-time queue setup); stop it first",
				 dir, p->dev.name);
			return -EBUSY;
		}
		if (ql->state == KEEL_ETH_QUEUE_STATE_STARTED) {
			KEEL_LOG(ERR, keel_logtype_ethdev,
				 "%s queue setup %s: queue %u is started; stop it first",
				 dir, p->dev.name, q);
			return -EBUSY;
		}
	}
	if (*nb_desc == 0)
		*nb_desc = default_desc(rx ? info->default_rxportconf.ring_size :
					info->default_txportconf.ring_size, lim);
	if (*nb_desc < lim->nb_min || *nb_desc > lim->nb_max ||
	    *nb_desc % lim->nb_align != 0) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "%s queue setup %s: %u descriptors not in %u..%u (multiple of %u)",
			 dir, p->dev.name, *nb_desc, lim->nb_min, lim->nb_max,
			 lim->nb_align);
		return -EINVAL;
	}
	if (socket_id != (unsigned int)KEEL_SOCKET_ID_ANY &&
	    socket_id >= keel_socket_count()) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "%s queue setup %s: socket %u (the machine has %u)",
			 dir, p->dev.name, socket_id, keel_socket_count());
		return -EINVAL;
	}
	return 0;
}

static int
check_queue_offloads(struct eth_port *p, bool rx, uint64_t *offloads,
		     uint64_t port_offloads, uint64_t queue_capa)
{
	uint64_t extra = *offloads & ~port_offloads;

	if (extra & ~queue_capa) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "%s queue setup %s: offloads 0x%" PRIx64
			 " are not per-queue offloads of the port (0x%" PRIx64
			 ") nor configured on it (0x%" PRIx64 ")",
			 rx ? "Rx" : "Tx", p->dev.name, extra & ~queue_capa,
			 queue_capa, port_offloads);
		return -EINVAL;
	}
	*offloads |= port_offloads;
	return 0;
}

int
keel_eth_rx_queue_setup(uint16_t port_id, uint16_t rx_queue_id,
			uint16_t nb_rx_desc, unsigned int socket_id,
			const struct keel_eth_rxconf *rx_conf,
			struct keel_mempool *mb_pool)
{
	struct keel_eth_dev_info info;
	struct keel_eth_rxconf conf;
	struct keel_eth_dev *dev;
	struct eth_queue_lib *ql;
	struct eth_port *p;
	void *obj = NULL, *old;
	int ret;

	p = eth_port_get_for_change(port_id, "Rx queue setup");
	if (p == NULL)
		return -ENODEV;
	dev = &p->dev;
	ret = eth_info_locked(p, &info);
	if (ret < 0)
		goto out;
	ret = check_setup(p, &info, true, rx_queue_id, &nb_rx_desc, socket_id);
	if (ret < 0)
		goto out;
	ret = -EINVAL;
	if (mb_pool == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "Rx queue setup %s: queue %u: NULL mempool", dev->name,
			 rx_queue_id);
		goto out;
	}
	if (keel_pktmbuf_data_room_size(mb_pool) <
	    (uint32_t)KEEL_PKTMBUF_HEADROOM + info.min_rx_bufsize) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "Rx queue setup %s: queue %u: pool %s has %u bytes of data room, the port needs headroom %u + %u",
			 dev->name, rx_queue_id, mb_pool->name,
			 keel_pktmbuf_data_room_size(mb_pool),
			 KEEL_PKTMBUF_HEADROOM, info.min_rx_bufsize);
		goto out;
	}
	conf = rx_conf != NULL ? *rx_conf : info.default_rxconf;
	ret = check_queue_offloads(p, true, &conf.offloads,
				   dev->data.dev_conf.rxmode.offloads,
				   info.rx_queue_offload_capa);
	if (ret < 0)
		goto out;
	if (dev->dev_ops->rx_queue_setup == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "Rx queue setup %s: driver has no Rx queues", dev->name);
		ret = -ENOTSUP;
		goto out;
	}
	ret = dev->dev_ops->rx_queue_setup(dev, rx_queue_id, nb_rx_desc,
					   (int)socket_id, &conf, mb_pool, &obj);
	if (ret < 0) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "Rx queue setup %s: queue %u: driver: %s", dev->name,
			 rx_queue_id, strerror(-ret));
		goto out;
	}
	old = dev->data.rx_queues[rx_queue_id];
	dev->data.rx_queues[rx_queue_id] = obj;
	if (old != NULL && dev->dev_ops->rx_queue_release != NULL)
		dev->dev_ops->rx_queue_release(dev, old);
	ql = &p->rxq[rx_queue_id];
	memset(ql, 0, sizeof(*ql));
	ql->set_up = true;
	ql->state = KEEL_ETH_QUEUE_STATE_STOPPED;
	ql->nb_desc = nb_rx_desc;
	ql->mp = mb_pool;
	ql->conf.rx = conf;
	/* a started port keeps the queue stopped until queue start */
	eth_fp_stop_queue(p, true, rx_queue_id);
out:
	eth_lock_drop();
	if (ret < 0)
		errno = -ret;
	return ret;
}

int
keel_eth_tx_queue_setup(uint16_t port_id, uint16_t tx_queue_id,
			uint16_t nb_tx_desc, unsigned int socket_id,
			const struct keel_eth_txconf *tx_conf)
{
	struct keel_eth_dev_info info;
	struct keel_eth_txconf conf;
	struct keel_eth_dev *dev;
	struct eth_queue_lib *ql;
	struct eth_port *p;
	void *obj = NULL, *old;
	int ret;

	p = eth_port_get_for_change(port_id, "Tx queue setup");
	if (p == NULL)
		return -ENODEV;
	dev = &p->dev;
	ret = eth_info_locked(p, &info);
	if (ret < 0)
		goto out;
	ret = check_setup(p, &info, false, tx_queue_id, &nb_tx_desc, socket_id);
	if (ret < 0)
		goto out;
	conf = tx_conf != NULL ? *tx_conf : info.default_txconf;
	ret = check_queue_offloads(p, false, &conf.offloads,
				   dev->data.dev_conf.txmode.offloads,
				   info.tx_queue_offload_capa);
	if (ret < 0)
		goto out;
	if (dev->dev_ops->tx_queue_setup == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "Tx queue setup %s: driver has no Tx queues", dev->name);
		ret = -ENOTSUP;
		goto out;
	}
	ret = dev->dev_ops->tx_queue_setup(dev, tx_queue_id, nb_tx_desc,
					   (int)socket_id, &conf, &obj);
	if (ret < 0) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "Tx queue setup %s: queue %u: driver: %s", dev->name,
			 tx_queue_id, strerror(-ret));
		goto out;
	}
	old = dev->data.tx_queues[tx_queue_id];
	dev->data.tx_queues[tx_queue_id] = obj;
	if (old != NULL && dev->dev_ops->tx_queue_release != NULL)
		dev->dev_ops->tx_queue_release(dev, old);
	ql = &p->txq[tx_queue_id];
	memset(ql, 0, sizeof(*ql));
	ql->set_up = true;
	ql->state = KEEL_ETH_QUEUE_STATE_STOPPED;
	ql->nb_desc = nb_tx_desc;
	ql->conf.tx = conf;
	eth_fp_stop_queue(p, false, tx_queue_id);
out:
	eth_lock_drop();
	if (ret < 0)
		errno = -ret;
	return ret;
}

/* ------------------------------------------------- run-time start / stop */

static int
queue_state_change(uint16_t port_id, uint16_t q, bool rx, bool start)
{
	const char *fn = rx ? (start ? "Rx queue start" : "Rx queue stop") :
			      (start ? "Tx queue start" : "Tx queue stop");
	struct eth_port *p = eth_port_get_for_change(port_id, fn);
	const struct keel_eth_dev_ops *o;
	struct eth_queue_lib *ql;
	uint16_t nq;
	int ret = -EINVAL;
	int (*op)(struct keel_eth_dev *, uint16_t);

	if (p == NULL)
		return -ENODEV;
	o = p->dev.dev_ops;
	nq = rx ? p->dev.data.nb_rx_queues : p->dev.data.nb_tx_queues;
	if (p->state != ETH_PORT_STARTED) {
		KEEL_LOG(ERR, keel_logtype_ethdev, "%s %s: port is not started",
			 fn, p->dev.name);
		goto out;
	}
	if (q >= nq) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "%s %s: queue %u >= %u configured", fn, p->dev.name,
			 q, nq);
		goto out;
	}
	ql = rx ? &p->rxq[q] : &p->txq[q];
	if (!ql->set_up) {
		KEEL_LOG(ERR, keel_logtype_ethdev, "%s %s: queue %u not set up",
			 fn, p->dev.name, q);
		goto out;
	}
	ret = 0;
	if ((ql->state == KEEL_ETH_QUEUE_STATE_STARTED) == start)
		goto out;
	op = rx ? (start ? o->rx_queue_start : o->rx_queue_stop) :
		  (start ? o->tx_queue_start : o->tx_queue_stop);
	if (start) {
		if (op != NULL)
			ret = op(&p->dev, q);
		if (ret == 0)
			eth_fp_start_queue(p, rx, q);
	} else {
		eth_fp_stop_queue(p, rx, q);
		if (op != NULL)
			ret = op(&p->dev, q);
	}
	if (ret < 0)
		KEEL_LOG(ERR, keel_logtype_ethdev, "%s %s: queue %u: driver: %s",
			 fn, p->dev.name, q, strerror(-ret));
out:
	eth_lock_drop();
	if (ret < 0)
		errno = -ret;
	return ret;
}

int
keel_eth_dev_rx_queue_start(uint16_t port_id, uint16_t rx_queue_id)
{
	return queue_state_change(port_id, rx_queue_id, true, true);
}

int
keel_eth_dev_rx_queue_stop(uint16_t port_id, uint16_t rx_queue_id)
{
	return queue_state_change(port_id, rx_queue_id, true, false);
}

int
keel_eth_dev_tx_queue_start(uint16_t port_id, uint16_t tx_queue_id)
{
	return queue_state_change(port_id, tx_queue_id, false, true);
}

int
keel_eth_dev_tx_queue_stop(uint16_t port_id, uint16_t tx_queue_id)
{
	return queue_state_change(port_id, tx_queue_id, false, false);
}

/* ----------------------------------------------------------------- info */

static struct eth_queue_lib *
queue_lib(struct eth_port *p, bool rx, uint16_t q, const void *out,
	  const char *fn)
{
	uint16_t nq = rx ? p->dev.data.nb_rx_queues : p->dev.data.nb_tx_queues;
	struct eth_queue_lib *ql;

	if (out == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev, "%s %s: NULL argument", fn,
			 p->dev.name);
		return NULL;
	}
	if (q >= nq) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "%s %s: queue %u >= %u configured", fn, p->dev.name,
			 q, nq);
		return NULL;
	}
	ql = rx ? &p->rxq[q] : &p->txq[q];
	if (!ql->set_up) {
		KEEL_LOG(ERR, keel_logtype_ethdev, "%s %s: queue %u not set up",
			 fn, p->dev.name, q);
		return NULL;
	}
	return ql;
}

int
keel_eth_rx_queue_info_get(uint16_t port_id, uint16_t queue_id,
			   struct keel_eth_rxq_info *qinfo)
{
	struct eth_port *p = eth_port_get_locked(port_id, "Rx queue info");
	struct eth_queue_lib *ql;

	if (p == NULL)
		return -ENODEV;
	ql = queue_lib(p, true, queue_id, qinfo, "Rx queue info");
	if (ql == NULL) {
		eth_lock_drop();
		return eth_fail(EINVAL);
	}
	memset(qinfo, 0, sizeof(*qinfo));
	qinfo->mp = ql->mp;
	qinfo->conf = ql->conf.rx;
	qinfo->nb_desc = ql->nb_desc;
	qinfo->queue_state = ql->state;
	eth_lock_drop();
	return 0;
}

int
keel_eth_tx_queue_info_get(uint16_t port_id, uint16_t queue_id,
			   struct keel_eth_txq_info *qinfo)
{
	struct eth_port *p = eth_port_get_locked(port_id, "Tx queue info");
	struct eth_queue_lib *ql;

	if (p == NULL)
		return -ENODEV;
	ql = queue_lib(p, false, queue_id, qinfo, "Tx queue info");
	if (ql == NULL) {
		eth_lock_drop();
		return eth_fail(EINVAL);
	}
	memset(qinfo, 0, sizeof(*qinfo));
	qinfo->conf = ql->conf.tx;
	qinfo->nb_desc = ql->nb_desc;
	qinfo->queue_state = ql->state;
	eth_lock_drop();
	return 0;
}
