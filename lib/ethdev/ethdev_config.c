/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port life cycle: info, configure, start, stop, close, reset.
 *
 * Every call checks all its arguments against the driver's info before it
 * changes anything, and a driver op that fails leaves the port as it was
 * (ops' contract), so a failed call changes nothing. Lock: the library lock
 * (ethdev_private.h) is held across checks, ops and state changes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ethdev_private.h"

/* DPDK's fallbacks when a driver suggests nothing */
#define ETH_FALLBACK_NB_QUEUES 1

int
eth_info_locked(struct eth_port *p, struct keel_eth_dev_info *info)
{
	int ret;

	memset(info, 0, sizeof(*info));
	/* defaults a driver overrides (as DPDK's) */
	info->min_mtu = KEEL_ETHER_MIN_MTU;
	info->max_mtu = UINT16_MAX;
	info->rx_desc_lim.nb_max = UINT16_MAX;
	info->rx_desc_lim.nb_align = 1;
	info->tx_desc_lim.nb_max = UINT16_MAX;
	info->tx_desc_lim.nb_align = 1;
	info->max_mac_addrs = 1;
	ret = p->dev.dev_ops->dev_infos_get(&p->dev, info);
	if (ret < 0)
		return ret;
	info->driver_name = p->dev.driver_name;
	info->device_name = p->dev.device_name;
	info->dev_flags = p->dev.dev_flags;
	info->nb_rx_queues = p->dev.data.nb_rx_queues;
	info->nb_tx_queues = p->dev.data.nb_tx_queues;
	if (info->max_rx_queues > KEEL_MAX_QUEUES_PER_PORT)
		info->max_rx_queues = KEEL_MAX_QUEUES_PER_PORT;
	if (info->max_tx_queues > KEEL_MAX_QUEUES_PER_PORT)
		info->max_tx_queues = KEEL_MAX_QUEUES_PER_PORT;
	if (info->max_mac_addrs == 0)
		info->max_mac_addrs = 1;
	if (info->max_mac_addrs > KEEL_ETH_MAX_MAC_ADDRS)
		info->max_mac_addrs = KEEL_ETH_MAX_MAC_ADDRS;
	if (info->hash_key_size > KEEL_ETH_RSS_KEY_MAX)
		info->hash_key_size = KEEL_ETH_RSS_KEY_MAX;
	if (info->rx_desc_lim.nb_align == 0)
		info->rx_desc_lim.nb_align = 1;
	if (info->tx_desc_lim.nb_align == 0)
		info->tx_desc_lim.nb_align = 1;
	return 0;
}

int
keel_eth_dev_info_get(uint16_t port_id, struct keel_eth_dev_info *dev_info)
{
	struct eth_port *p;
	int ret;

	if (dev_info == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "info get port %u: NULL dev_info", port_id);
		return eth_fail(EINVAL);
	}
	p = eth_port_get_locked(port_id, "info get");
	if (p == NULL)
		return -ENODEV;
	ret = eth_info_locked(p, dev_info);
	eth_lock_drop();
	return ret;
}

/* ------------------------------------------------------------ configure */

static int
check_conf(struct eth_port *p, const struct keel_eth_dev_info *info,
	   uint16_t nb_rx, uint16_t nb_tx, struct keel_eth_conf *c)
{
	const char *n = p->dev.name;
	uint64_t bad;

	if (nb_rx > info->max_rx_queues) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "configure %s: nb_rx_queues %u > max %u", n, nb_rx,
			 info->max_rx_queues);
		return -EINVAL;
	}
	if (nb_tx > info->max_tx_queues) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "configure %s: nb_tx_queues %u > max %u", n, nb_tx,
			 info->max_tx_queues);
		return -EINVAL;
	}
	bad = c->rxmode.offloads & ~info->rx_offload_capa;
	if (bad != 0) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "configure %s: Rx offloads 0x%" PRIx64
			 " not supported (capa 0x%" PRIx64 ")", n, bad,
			 info->rx_offload_capa);
		return -EINVAL;
	}
	bad = c->txmode.offloads & ~info->tx_offload_capa;
	if (bad != 0) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "configure %s: Tx offloads 0x%" PRIx64
			 " not supported (capa 0x%" PRIx64 ")", n, bad,
			 info->tx_offload_capa);
		return -EINVAL;
	}
	if (c->rxmode.mtu == 0)
		c->rxmode.mtu = KEEL_ETHER_MTU < info->max_mtu ?
				KEEL_ETHER_MTU : info->max_mtu;
	if (c->rxmode.mtu < info->min_mtu || c->rxmode.mtu > info->max_mtu) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "configure %s: MTU %u not in %u..%u", n,
			 c->rxmode.mtu, info->min_mtu, info->max_mtu);
		return -EINVAL;
	}
	if (info->max_rx_pktlen != 0 &&
	    c->rxmode.mtu + KEEL_ETHER_HDR_CRC_LEN > info->max_rx_pktlen) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "configure %s: MTU %u makes frames longer than max_rx_pktlen %u",
			 n, c->rxmode.mtu, info->max_rx_pktlen);
		return -EINVAL;
	}
	if (c->rxmode.mq_mode != KEEL_ETH_MQ_RX_NONE &&
	    c->rxmode.mq_mode != KEEL_ETH_MQ_RX_RSS) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "configure %s: unknown Rx mq_mode %d", n,
			 (int)c->rxmode.mq_mode);
		return -EINVAL;
	}
	if (c->txmode.mq_mode != KEEL_ETH_MQ_TX_NONE) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "configure %s: unknown Tx mq_mode %d", n,
			 (int)c->txmode.mq_mode);
		return -EINVAL;
	}
	if (c->rxmode.mq_mode == KEEL_ETH_MQ_RX_RSS) {
		const struct keel_eth_rss_conf *r = &c->rx_adv_conf.rss_conf;

		if (info->flow_type_rss_offloads == 0) {
			KEEL_LOG(ERR, keel_logtype_ethdev,
				 "configure %s: RSS requested, the port has none",
				 n);
			return -ENOTSUP;
		}
		bad = r->rss_hf & ~info->flow_type_rss_offloads;
		if (bad != 0) {
			KEEL_LOG(ERR, keel_logtype_ethdev,
				 "configure %s: RSS hash functions 0x%" PRIx64
				 " not supported (0x%" PRIx64 ")", n, bad,
				 info->flow_type_rss_offloads);
			return -EINVAL;
		}
		if (r->rss_key != NULL && r->rss_key_len != info->hash_key_size) {
			KEEL_LOG(ERR, keel_logtype_ethdev,
				 "configure %s: RSS key length %u, the port takes %u",
				 n, r->rss_key_len, info->hash_key_size);
			return -EINVAL;
		}
	} else if (c->rxmode.offloads & KEEL_ETH_RX_OFFLOAD_RSS_HASH) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "configure %s: Rx offload RSS_HASH needs mq_mode RSS",
			 n);
		return -EINVAL;
	}
	if (c->lpbk_mode != 0) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "configure %s: loopback mode %u not supported", n,
			 c->lpbk_mode);
		return -ENOTSUP;
	}
	if (c->intr_conf.lsc && !(p->dev.dev_flags & KEEL_ETH_DEV_INTR_LSC)) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "configure %s: link-state events (intr_conf.lsc) not supported",
			 n);
		return -ENOTSUP;
	}
	if (c->intr_conf.rmv && !(p->dev.dev_flags & KEEL_ETH_DEV_INTR_RMV)) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "configure %s: removal events (intr_conf.rmv) not supported",
			 n);
		return -ENOTSUP;
	}
	if (c->intr_conf.rxq) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "configure %s: Rx interrupts (intr_conf.rxq) not supported",
			 n);
		return -ENOTSUP;
	}
	bad = c->link_speeds & ~(info->speed_capa | KEEL_ETH_LINK_SPEED_FIXED);
	if (bad != 0) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "configure %s: link speeds 0x%x not supported (0x%x)",
			 n, (unsigned int)bad, info->speed_capa);
		return -EINVAL;
	}
	return 0;
}

void
eth_queues_release_locked(struct eth_port *p)
{
	struct keel_eth_dev *dev = &p->dev;
	const struct keel_eth_dev_ops *o = dev->dev_ops;

	for (uint16_t q = 0; q < dev->data.nb_rx_queues; q++)
		if (dev->data.rx_queues[q] != NULL && o->rx_queue_release)
			o->rx_queue_release(dev, dev->data.rx_queues[q]);
	for (uint16_t q = 0; q < dev->data.nb_tx_queues; q++)
		if (dev->data.tx_queues[q] != NULL && o->tx_queue_release)
			o->tx_queue_release(dev, dev->data.tx_queues[q]);
	free(dev->data.rx_queues);
	free(dev->data.tx_queues);
	free(p->rxq);
	free(p->txq);
	dev->data.rx_queues = NULL;
	dev->data.tx_queues = NULL;
	p->rxq = NULL;
	p->txq = NULL;
	dev->data.nb_rx_queues = 0;
	dev->data.nb_tx_queues = 0;
}

int
keel_eth_dev_configure(uint16_t port_id, uint16_t nb_rx_q, uint16_t nb_tx_q,
		       const struct keel_eth_conf *eth_conf)
{
	struct keel_eth_dev_info info;
	struct keel_eth_dev_data old, new_data;
	struct eth_port *p;
	struct keel_eth_conf c;
	void **rxa = NULL, **txa = NULL;
	struct eth_queue_lib *rxl = NULL, *txl = NULL;
	int ret;

	if (eth_conf == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "configure port %u: NULL eth_conf", port_id);
		return eth_fail(EINVAL);
	}
	p = eth_port_get_for_change(port_id, "configure");
	if (p == NULL)
		return -ENODEV;
	if (p->state == ETH_PORT_STARTED) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "configure %s: port is started; stop it first",
			 p->dev.name);
		ret = -EBUSY;
		goto out;
	}
	ret = eth_info_locked(p, &info);
	if (ret < 0)
		goto out;
	if (nb_rx_q == 0 && nb_tx_q == 0) {
		nb_rx_q = info.default_rxportconf.nb_queues ?
			  info.default_rxportconf.nb_queues :
			  ETH_FALLBACK_NB_QUEUES;
		nb_tx_q = info.default_txportconf.nb_queues ?
			  info.default_txportconf.nb_queues :
			  ETH_FALLBACK_NB_QUEUES;
	}
	c = *eth_conf;
	ret = check_conf(p, &info, nb_rx_q, nb_tx_q, &c);
	if (ret < 0)
		goto out;
	ret = -ENOMEM;
	rxa = calloc(nb_rx_q ? nb_rx_q : 1, sizeof(*rxa));
	txa = calloc(nb_tx_q ? nb_tx_q : 1, sizeof(*txa));
	rxl = calloc(nb_rx_q ? nb_rx_q : 1, sizeof(*rxl));
	txl = calloc(nb_tx_q ? nb_tx_q : 1, sizeof(*txl));
	if (rxa == NULL || txa == NULL || rxl == NULL || txl == NULL)
		goto out;

	/* the driver sees the new configuration; restore it on failure */
	old = p->dev.data;
	p->dev.data.dev_conf = c;
	if (c.rx_adv_conf.rss_conf.rss_key != NULL) {
		memcpy(p->dev.data.rss_key, c.rx_adv_conf.rss_conf.rss_key,
		       info.hash_key_size);
		p->dev.data.dev_conf.rx_adv_conf.rss_conf.rss_key =
			p->dev.data.rss_key;
	}
	p->dev.data.nb_rx_queues = nb_rx_q;
	p->dev.data.nb_tx_queues = nb_tx_q;
	p->dev.data.rx_queues = rxa;
	p->dev.data.tx_queues = txa;
	p->dev.data.mtu = (uint16_t)c.rxmode.mtu;
	ret = p->dev.dev_ops->dev_configure(&p->dev);
	if (ret < 0) {
		KEEL_LOG(ERR, keel_logtype_ethdev, "configure %s: driver: %s",
			 p->dev.name, strerror(-ret));
		p->dev.data = old;
		goto out;
	}
	/* success: the old queues go, the new (empty) ones stay */
	new_data = p->dev.data;
	p->dev.data = old;
	eth_queues_release_locked(p);
	p->dev.data = new_data;
	p->rxq = rxl;
	p->txq = txl;
	rxa = txa = NULL;
	rxl = txl = NULL;
	p->state = ETH_PORT_CONFIGURED;
	eth_fp_configure(p);
	ret = 0;
out:
	eth_lock_drop();
	free(rxa);
	free(txa);
	free(rxl);
	free(txl);
	if (ret < 0)
		errno = -ret;
	return ret;
}

int
keel_eth_dev_conf_get(uint16_t port_id, struct keel_eth_conf *dev_conf)
{
	struct eth_port *p;

	if (dev_conf == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "conf get port %u: NULL dev_conf", port_id);
		return eth_fail(EINVAL);
	}
	p = eth_port_get_locked(port_id, "conf get");
	if (p == NULL)
		return -ENODEV;
	*dev_conf = p->dev.data.dev_conf;
	dev_conf->rx_adv_conf.rss_conf.rss_key = NULL;
	eth_lock_drop();
	return 0;
}

/* -------------------------------------------------------- start / stop */

int
keel_eth_dev_start(uint16_t port_id)
{
	struct eth_port *p = eth_port_get_for_change(port_id, "start");
	struct keel_eth_dev *dev;
	int ret = 0;

	if (p == NULL)
		return -ENODEV;
	dev = &p->dev;
	if (p->state == ETH_PORT_STARTED)
		goto out;
	ret = -EINVAL;
	if (p->state != ETH_PORT_CONFIGURED) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "start %s: port is not configured", dev->name);
		goto out;
	}
	for (uint16_t q = 0; q < dev->data.nb_rx_queues; q++)
		if (!p->rxq[q].set_up) {
			KEEL_LOG(ERR, keel_logtype_ethdev,
				 "start %s: Rx queue %u is not set up",
				 dev->name, q);
			goto out;
		}
	for (uint16_t q = 0; q < dev->data.nb_tx_queues; q++)
		if (!p->txq[q].set_up) {
			KEEL_LOG(ERR, keel_logtype_ethdev,
				 "start %s: Tx queue %u is not set up",
				 dev->name, q);
			goto out;
		}
	if ((dev->data.nb_rx_queues && dev->rx_pkt_burst == NULL) ||
	    (dev->data.nb_tx_queues && dev->tx_pkt_burst == NULL)) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "start %s: driver %s set no burst function",
			 dev->name, dev->driver_name);
		goto out;
	}
	ret = dev->dev_ops->dev_start(dev);
	if (ret < 0) {
		KEEL_LOG(ERR, keel_logtype_ethdev, "start %s: driver: %s",
			 dev->name, strerror(-ret));
		goto out;
	}
	dev->data.dev_started = 1;
	p->state = ETH_PORT_STARTED;
	for (uint16_t q = 0; q < dev->data.nb_rx_queues; q++)
		if (!p->rxq[q].conf.rx.rx_deferred_start)
			eth_fp_start_queue(p, true, q);
	for (uint16_t q = 0; q < dev->data.nb_tx_queues; q++)
		if (!p->txq[q].conf.tx.tx_deferred_start)
			eth_fp_start_queue(p, false, q);
out:
	eth_lock_drop();
	if (ret < 0)
		errno = -ret;
	return ret;
}

int
eth_stop_locked(struct eth_port *p)
{
	struct keel_eth_dev *dev = &p->dev;
	int ret;

	if (p->state != ETH_PORT_STARTED)
		return 0;
	/* the fast path returns 0 from here on */
	for (uint16_t q = 0; q < dev->data.nb_rx_queues; q++)
		eth_fp_stop_queue(p, true, q);
	for (uint16_t q = 0; q < dev->data.nb_tx_queues; q++)
		eth_fp_stop_queue(p, false, q);
	ret = dev->dev_ops->dev_stop(dev);
	if (ret < 0)
		KEEL_LOG(ERR, keel_logtype_ethdev, "stop %s: driver: %s",
			 dev->name, strerror(-ret));
	/* stopped either way: its fast path is gone */
	dev->data.dev_started = 0;
	p->state = ETH_PORT_CONFIGURED;
	eth_fp_free_retired(p);
	return ret;
}

int
keel_eth_dev_stop(uint16_t port_id)
{
	struct eth_port *p = eth_port_get_for_change(port_id, "stop");
	int ret;

	if (p == NULL)
		return -ENODEV;
	ret = eth_stop_locked(p);
	eth_lock_drop();
	return ret;
}

int
keel_eth_dev_is_started(uint16_t port_id)
{
	struct eth_port *p = eth_port_get_locked(port_id, "is started");
	int s;

	if (p == NULL)
		return -ENODEV;
	s = p->state == ETH_PORT_STARTED;
	eth_lock_drop();
	return s;
}

/* -------------------------------------------------------- close / reset */

int
eth_port_close(uint16_t port_id, bool check_owner, const char *fn)
{
	struct eth_port *p = eth_port_get_for_change(port_id, fn);
	int ret;

	if (p == NULL)
		return -ENODEV;
	if (check_owner && p->owner.id != KEEL_ETH_DEV_NO_OWNER) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "%s port %u: owned by %s (id %llu): it must release the port first",
			 fn, port_id, p->owner.name,
			 (unsigned long long)p->owner.id);
		eth_lock_drop();
		return eth_fail(EBUSY);
	}
	eth_stop_locked(p);
	p->closing = true;
	eth_lock_drop();
	/* the port is still there (stopped) while DESTROY is handled */
	eth_event_deliver(port_id, 1u << KEEL_ETH_EVENT_DESTROY);
	eth_lock_take();
	eth_queues_release_locked(p);
	ret = p->dev.dev_ops->dev_close(&p->dev);
	if (ret < 0)
		KEEL_LOG(ERR, keel_logtype_ethdev, "close %s: driver: %s",
			 p->dev.name, strerror(-ret));
	eth_port_free_locked(p);
	eth_lock_drop();
	return ret;
}

int
keel_eth_dev_close(uint16_t port_id)
{
	return eth_port_close(port_id, true, "close");
}

int
keel_eth_dev_destroy(struct keel_eth_dev *dev)
{
	if (dev == NULL || dev->port_id >= KEEL_MAX_ETHPORTS) {
		KEEL_LOG(ERR, keel_logtype_ethdev, "destroy: bad port");
		return eth_fail(EINVAL);
	}
	return eth_port_close(dev->port_id, false, "destroy");
}

int
keel_eth_dev_reset(uint16_t port_id)
{
	struct eth_port *p = eth_port_get_for_change(port_id, "reset");
	int ret = 0;

	if (p == NULL)
		return -ENODEV;
	eth_stop_locked(p);
	eth_fp_clear(p);
	eth_queues_release_locked(p);
	if (p->dev.dev_ops->dev_reset != NULL)
		ret = p->dev.dev_ops->dev_reset(&p->dev);
	if (ret < 0)
		KEEL_LOG(ERR, keel_logtype_ethdev, "reset %s: driver: %s",
			 p->dev.name, strerror(-ret));
	memset(&p->dev.data.dev_conf, 0, sizeof(p->dev.data.dev_conf));
	p->state = ETH_PORT_ATTACHED;
	eth_lock_drop();
	return ret;
}

/* ----------------------------------------------------------------- dump */

static const char *
state_name(const struct eth_port *p)
{
	if (p->closing)
		return "closing";
	switch (p->state) {
	case ETH_PORT_ALLOCATED: return "allocated";
	case ETH_PORT_ATTACHED: return "attached";
	case ETH_PORT_CONFIGURED: return "configured";
	case ETH_PORT_STARTED: return "started";
	}
	return "?";
}

int
keel_eth_dev_dump(uint16_t port_id, FILE *f)
{
	struct keel_eth_dev_info info;
	struct keel_eth_dev *dev;
	char mac[KEEL_ETHER_ADDR_FMT_SIZE], link[KEEL_ETH_LINK_MAX_STR_LEN];
	struct keel_eth_link l;
	struct eth_port *p;
	int ret;

	if (f == NULL)
		f = stdout;
	p = eth_port_get_locked(port_id, "dump");
	if (p == NULL)
		return -ENODEV;
	dev = &p->dev;
	ret = eth_info_locked(p, &info);
	if (ret < 0)
		goto out;
	keel_ether_format_addr(mac, sizeof(mac), &dev->mac_addrs[0]);
	__atomic_load(&dev->link, &l, __ATOMIC_ACQUIRE);
	keel_eth_link_to_str(link, sizeof(link), &l);
	fprintf(f, "port %u '%s' driver %s device '%s' socket %d state %s\n",
		port_id, dev->name, dev->driver_name, dev->device_name,
		dev->numa_node, state_name(p));
	fprintf(f, "  MAC %s  %s  MTU %u (%u..%u)  promisc %s  allmulti %s\n",
		mac, link, dev->data.mtu, info.min_mtu, info.max_mtu,
		dev->data.promiscuous ? "on" : "off",
		dev->data.all_multicast ? "on" : "off");
	if (p->owner.id != KEEL_ETH_DEV_NO_OWNER)
		fprintf(f, "  owner %s (id %llu)\n", p->owner.name,
			(unsigned long long)p->owner.id);
	fprintf(f, "  queues: Rx %u of %u, Tx %u of %u; descriptors Rx %u..%u/%u Tx %u..%u/%u\n",
		dev->data.nb_rx_queues, info.max_rx_queues,
		dev->data.nb_tx_queues, info.max_tx_queues,
		info.rx_desc_lim.nb_min, info.rx_desc_lim.nb_max,
		info.rx_desc_lim.nb_align, info.tx_desc_lim.nb_min,
		info.tx_desc_lim.nb_max, info.tx_desc_lim.nb_align);
	fprintf(f, "  offloads: Rx capa 0x%" PRIx64 " on 0x%" PRIx64
		"; Tx capa 0x%" PRIx64 " on 0x%" PRIx64 "; RSS 0x%" PRIx64
		" key %u bytes\n", info.rx_offload_capa,
		dev->data.dev_conf.rxmode.offloads, info.tx_offload_capa,
		dev->data.dev_conf.txmode.offloads,
		info.flow_type_rss_offloads, info.hash_key_size);
	for (uint16_t q = 0; q < dev->data.nb_rx_queues; q++)
		fprintf(f, "  rxq %u: %s, %u descriptors\n", q,
			!p->rxq[q].set_up ? "not set up" :
			p->rxq[q].state == KEEL_ETH_QUEUE_STATE_STARTED ?
			"started" : "stopped", p->rxq[q].nb_desc);
	for (uint16_t q = 0; q < dev->data.nb_tx_queues; q++)
		fprintf(f, "  txq %u: %s, %u descriptors\n", q,
			!p->txq[q].set_up ? "not set up" :
			p->txq[q].state == KEEL_ETH_QUEUE_STATE_STARTED ?
			"started" : "stopped", p->txq[q].nb_desc);
	if (dev->dev_ops->dev_dump != NULL)
		ret = dev->dev_ops->dev_dump(dev, f);
out:
	eth_lock_drop();
	return ret;
}
