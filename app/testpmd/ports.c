/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: which ports testpmd drives (tp.ports[id].in_use) and forwards on
 * (tp.fwd_ports, in --portlist order or by id), the packet pool, and each
 * port's life: configure + queue set-up (when its settings changed), start,
 * stop, close, reset, attach, detach.
 *
 * Invariant: a port in tp.fwd_ports is in_use; in_use ports exist in
 * ethdev. Every call here runs on the main lcore; the ones that change a
 * port refuse while forwarding runs (a forwarding lcore may be polling
 * it), as DPDK testpmd does.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <keel_ethdev.h>
#include <keel_malloc.h>
#include <keel_mbuf.h>
#include <keel_mempool.h>

#include "testpmd.h"

static int
refuse_if_forwarding(const char *what)
{
	if (!tp.fwd_running)
		return 0;
	printf("Cannot %s while forwarding runs: stop it first\n", what);
	return -EBUSY;
}

/* May @p what be done to port @p pid now? 0, -EBUSY or -ENODEV (said). */
static int
port_changeable(uint16_t pid, const char *what)
{
	if (refuse_if_forwarding(what) < 0)
		return -EBUSY;
	if (!tp.ports[pid].in_use) {
		printf("Port %u is not a port of testpmd\n", pid);
		return -ENODEV;
	}
	return 0;
}

bool
tp_port_is_fwd(uint16_t pid)
{
	for (unsigned int i = 0; i < tp.nb_fwd_ports; i++)
		if (tp.fwd_ports[i] == pid)
			return true;
	return false;
}

static void
fwd_ports_remove(uint16_t pid)
{
	unsigned int j = 0;

	for (unsigned int i = 0; i < tp.nb_fwd_ports; i++)
		if (tp.fwd_ports[i] != pid)
			tp.fwd_ports[j++] = tp.fwd_ports[i];
	tp.nb_fwd_ports = j;
}

static unsigned int
nb_ports_in_use(void)
{
	unsigned int n = 0;

	for (unsigned int p = 0; p < KEEL_MAX_ETHPORTS; p++)
		n += tp.ports[p].in_use;
	return n;
}

bool
tp_all_ports_stopped(void)
{
	for (uint16_t p = 0; p < KEEL_MAX_ETHPORTS; p++)
		if (tp.ports[p].in_use && keel_eth_dev_is_started(p) == 1)
			return false;
	return true;
}

/* The default peer of port N is 02:00:00:00:00:N, as in DPDK testpmd. */
static void
port_default_peer(uint16_t pid)
{
	struct tp_port *port = &tp.ports[pid];

	if (port->peer_set)
		return;
	memset(&port->peer, 0, sizeof(port->peer));
	port->peer.addr_bytes[0] = 0x02;
	port->peer.addr_bytes[5] = (uint8_t)pid;
}

void
tp_port_set_peer(uint16_t pid, const struct keel_ether_addr *mac)
{
	tp.ports[pid].peer = *mac;
	tp.ports[pid].peer_set = true;
}

/* Take a port into testpmd's tables, with the current queue settings. */
static void
port_adopt(uint16_t pid)
{
	struct tp_port *port = &tp.ports[pid];
	bool peer_set = port->peer_set;
	struct keel_ether_addr peer = port->peer;

	memset(port, 0, sizeof(*port));
	port->peer_set = peer_set;
	port->peer = peer;
	port->in_use = true;
	port->need_config = true;
	port->nb_rxq = tp.nb_rxq;
	port->nb_txq = tp.nb_txq;
	port->nb_rxd = tp.nb_rxd;
	port->nb_txd = tp.nb_txd;
	port->promisc = tp.promisc_default;
	port_default_peer(pid);
	keel_eth_macaddr_get(pid, &port->mac);
}

static void
port_forget(uint16_t pid)
{
	fwd_ports_remove(pid);
	tp.ports[pid].in_use = false;
	tp.ports[pid].peer_set = false;
}

/*
 * The packet pool: --total-num-mbufs, or enough for every queue of up to
 * four ports, a burst in flight per lcore, the lcore caches, and slack for
 * ring ports and DMA copies in flight.
 */
int
tp_pool_create(void)
{
	uint32_t n = tp.total_num_mbufs;
	unsigned int nb_ports = nb_ports_in_use();

	if (n == 0) {
		uint32_t per_port = (uint32_t)tp.nb_rxq * tp.nb_rxd +
				    (uint32_t)tp.nb_txq * tp.nb_txd +
				    TP_MAX_BURST;

		n = (nb_ports < 2 ? 2 : nb_ports) * per_port +
		    (keel_lcore_count() + 1) * TP_MBUF_CACHE * 3 / 2 + 4096;
	}
	tp.pool = keel_pktmbuf_pool_create("mb_pool_0", n, TP_MBUF_CACHE, 0,
					   tp.mbuf_size, KEEL_SOCKET_ID_ANY);
	if (tp.pool == NULL) {
		printf("Cannot create the mbuf pool of %u mbufs of %u bytes: %s "
		       "(give the EAL more memory with -m, or lower "
		       "--total-num-mbufs)\n", n, tp.mbuf_size, strerror(errno));
		return -errno;
	}
	return 0;
}

/* Configure a port and set its queues up with its current settings. */
static int
port_configure(uint16_t pid)
{
	struct tp_port *port = &tp.ports[pid];
	struct keel_eth_conf conf = { 0 };
	struct keel_eth_dev_info info;
	int ret;

	ret = keel_eth_dev_info_get(pid, &info);
	if (ret < 0) {
		printf("Port %u: cannot read its info: %s\n", pid,
		       strerror(-ret));
		return ret;
	}
	if (port->nb_rxq > info.max_rx_queues ||
	    port->nb_txq > info.max_tx_queues) {
		printf("Port %u (%s): %u Rx and %u Tx queues asked, it has at "
		       "most %u and %u\n", pid, info.driver_name, port->nb_rxq,
		       port->nb_txq, info.max_rx_queues, info.max_tx_queues);
		return -EINVAL;
	}
	ret = keel_eth_dev_configure(pid, port->nb_rxq, port->nb_txq, &conf);
	if (ret < 0) {
		printf("Port %u: configure with %u Rx / %u Tx queues failed: "
		       "%s\n", pid, port->nb_rxq, port->nb_txq, strerror(-ret));
		return ret;
	}
	for (uint16_t q = 0; q < port->nb_rxq; q++) {
		ret = keel_eth_rx_queue_setup(pid, q, port->nb_rxd,
					      (unsigned int)KEEL_SOCKET_ID_ANY,
					      NULL, tp.pool);
		if (ret < 0) {
			printf("Port %u: Rx queue %u with %u descriptors: %s "
			       "(the port takes %u..%u, a multiple of %u)\n",
			       pid, q, port->nb_rxd, strerror(-ret),
			       info.rx_desc_lim.nb_min, info.rx_desc_lim.nb_max,
			       info.rx_desc_lim.nb_align);
			return ret;
		}
	}
	for (uint16_t q = 0; q < port->nb_txq; q++) {
		ret = keel_eth_tx_queue_setup(pid, q, port->nb_txd,
					      (unsigned int)KEEL_SOCKET_ID_ANY,
					      NULL);
		if (ret < 0) {
			printf("Port %u: Tx queue %u with %u descriptors: %s "
			       "(the port takes %u..%u, a multiple of %u)\n",
			       pid, q, port->nb_txd, strerror(-ret),
			       info.tx_desc_lim.nb_min, info.tx_desc_lim.nb_max,
			       info.tx_desc_lim.nb_align);
			return ret;
		}
	}
	port->need_config = false;
	return 0;
}

int
tp_port_start(uint16_t pid)
{
	struct tp_port *port = &tp.ports[pid];
	char mac[KEEL_ETHER_ADDR_FMT_SIZE];
	int ret;

	if (!port->in_use) {
		printf("Port %u is not a port of testpmd\n", pid);
		return -ENODEV;
	}
	if (keel_eth_dev_is_started(pid) == 1) {
		printf("Port %u is already started\n", pid);
		return 0;
	}
	if (port->need_config) {
		ret = port_configure(pid);
		if (ret < 0) {
			port->need_config = true;
			return ret;
		}
	}
	ret = keel_eth_dev_start(pid);
	if (ret < 0) {
		printf("Port %u: start failed: %s\n", pid, strerror(-ret));
		return ret;
	}
	ret = port->promisc ? keel_eth_promiscuous_enable(pid) :
			      keel_eth_promiscuous_disable(pid);
	if (ret < 0 && ret != -ENOTSUP)
		printf("Port %u: promiscuous %s: %s\n", pid,
		       port->promisc ? "on" : "off", strerror(-ret));
	keel_eth_macaddr_get(pid, &port->mac);
	keel_ether_format_addr(mac, sizeof(mac), &port->mac);
	printf("Port %u: %s\n", pid, mac);
	return 0;
}

int
tp_port_stop(uint16_t pid)
{
	int ret;

	ret = port_changeable(pid, "stop a port");
	if (ret < 0)
		return ret;
	if (keel_eth_dev_is_started(pid) != 1) {
		printf("Port %u is already stopped\n", pid);
		return 0;
	}
	ret = keel_eth_dev_stop(pid);
	if (ret < 0)
		printf("Port %u: stop: %s (stopped anyway)\n", pid,
		       strerror(-ret));
	else
		printf("Port %u stopped\n", pid);
	return 0;
}

int
tp_port_close(uint16_t pid)
{
	int ret;

	ret = port_changeable(pid, "close a port");
	if (ret < 0)
		return ret;
	ret = keel_eth_dev_close(pid);
	if (ret < 0) {
		printf("Port %u: close failed: %s\n", pid, strerror(-ret));
		return ret;
	}
	port_forget(pid);
	printf("Port %u is closed\n", pid);
	return 0;
}

int
tp_port_reset(uint16_t pid)
{
	int ret;

	ret = port_changeable(pid, "reset a port");
	if (ret < 0)
		return ret;
	ret = keel_eth_dev_reset(pid);
	if (ret < 0) {
		printf("Port %u: reset failed: %s\n", pid, strerror(-ret));
		return ret;
	}
	tp.ports[pid].need_config = true;
	printf("Port %u reset: it is configured again at the next "
	       "'port start'\n", pid);
	return 0;
}

int
tp_port_attach(const char *devargs)
{
	uint16_t pid;
	int ret;

	if (refuse_if_forwarding("attach a port") < 0)
		return -EBUSY;
	ret = keel_eth_dev_attach(devargs, &pid);
	if (ret < 0) {
		printf("Cannot attach '%s': %s\n", devargs, strerror(-ret));
		return ret;
	}
	port_adopt(pid);
	tp.fwd_ports[tp.nb_fwd_ports++] = pid;
	printf("Port %u is attached. Now total ports is %u\n", pid,
	       nb_ports_in_use());
	printf("Start it with 'port start %u'\n", pid);
	return 0;
}

int
tp_port_detach(uint16_t pid)
{
	int ret;

	ret = port_changeable(pid, "detach a port");
	if (ret < 0)
		return ret;
	ret = keel_eth_dev_detach(pid);
	if (ret < 0) {
		printf("Port %u: detach failed: %s\n", pid, strerror(-ret));
		return ret;
	}
	port_forget(pid);
	printf("Port %u is detached. Now total ports is %u\n", pid,
	       nb_ports_in_use());
	return 0;
}

/*
 * Adopt the ports the EAL created (every one, or those --portmask or
 * --portlist name), create the pool and start them.
 * @return 0, or a negative errno (printed).
 */
int
tp_ports_init(void)
{
	uint16_t p;
	int ret;

	tp.nb_fwd_ports = 0;
	if (tp.portlist_set) {
		for (unsigned int i = 0; i < tp.nb_portlist; i++) {
			p = tp.portlist[i];
			if (!keel_eth_dev_is_valid_port(p)) {
				printf("Port %u in --portlist does not exist "
				       "(%u ports)\n", p,
				       keel_eth_dev_count_avail());
				return -ENODEV;
			}
			port_adopt(p);
			tp.fwd_ports[tp.nb_fwd_ports++] = p;
		}
	} else {
		for (p = 0; p < 32 && tp.portmask != 0; p++)
			if ((tp.portmask >> p & 1) &&
			    !keel_eth_dev_is_valid_port(p)) {
				printf("Port %u in --portmask does not exist "
				       "(%u ports)\n", p,
				       keel_eth_dev_count_avail());
				return -ENODEV;
			}
		KEEL_ETH_FOREACH_DEV(p) {
			if (tp.portmask != 0 && !(tp.portmask >> p & 1))
				continue;
			port_adopt(p);
			tp.fwd_ports[tp.nb_fwd_ports++] = p;
		}
	}
	if (tp.nb_fwd_ports == 0)
		printf("No ports: add some with --vdev (e.g. --vdev net_null0) "
		       "or 'port attach'\n");
	ret = tp_pool_create();
	if (ret < 0)
		return ret;
	for (unsigned int i = 0; i < tp.nb_fwd_ports; i++) {
		ret = tp_port_start(tp.fwd_ports[i]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Stop and close every port testpmd drives, then free the pool. */
void
tp_ports_close_all(void)
{
	for (uint16_t p = 0; p < KEEL_MAX_ETHPORTS; p++) {
		if (!tp.ports[p].in_use)
			continue;
		if (keel_eth_dev_is_started(p) == 1)
			keel_eth_dev_stop(p);
		if (keel_eth_dev_close(p) == 0)
			printf("Port %u is closed\n", p);
		tp.ports[p].in_use = false;
	}
	tp.nb_fwd_ports = 0;
	if (tp.pool != NULL) {
		keel_mempool_free(tp.pool);
		tp.pool = NULL;
	}
}
