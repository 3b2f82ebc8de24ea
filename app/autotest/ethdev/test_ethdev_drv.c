/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_ethtest: the test driver (see test_ethdev_drv.h). Each op counts its
 * calls and fails once with fail_next[op] when that is set. Queue objects
 * count themselves (live_rxq/live_txq) so tests can see leaks or early
 * releases.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keel_ethdev_driver.h"
#include "keel_kvargs.h"
#include "keel_malloc.h"
#include "keel_mbuf.h"
#include "keel_mempool.h"
#include "keel_vdev.h"
#include "test_ethdev_drv.h"

struct test_q {
	struct test_eth_priv *priv;
	bool rx;
	uint16_t id;
	uint16_t nb_desc;
	uint64_t seq;
	struct keel_eth_queue_stats st;
};

/* fake mbufs: pointers into this array, never dereferenced */
static char fake_mbufs[4096][8];

static int
injected(struct test_eth_priv *pv, enum test_eth_op op)
{
	int e = pv->fail_next[op];

	pv->calls[op]++;
	pv->fail_next[op] = 0;
	return e;
}

static uint16_t
t_rx(void *q, struct keel_mbuf **pkts, uint16_t n)
{
	struct test_q *tq = q;
	uint16_t k = n < tq->priv->cfg.rx_avail ? n :
		     (uint16_t)tq->priv->cfg.rx_avail;

	for (uint16_t i = 0; i < k; i++)
		pkts[i] = (struct keel_mbuf *)(void *)
			  fake_mbufs[tq->seq++ % 4096];
	tq->st.packets += k;
	tq->st.bytes += 64ull * k;
	tq->priv->rx_polls++;
	return k;
}

static uint16_t
t_tx(void *q, struct keel_mbuf **pkts, uint16_t n)
{
	struct test_q *tq = q;
	uint16_t k = n < tq->priv->cfg.tx_room ? n :
		     (uint16_t)tq->priv->cfg.tx_room;

	(void)pkts;
	tq->st.packets += k;
	tq->st.bytes += 64ull * k;
	tq->st.errors += n - k;
	return k;
}

static int
t_infos_get(struct keel_eth_dev *dev, struct keel_eth_dev_info *info)
{
	const struct test_eth_cfg *c = &((struct test_eth_priv *)
					 dev->dev_private)->cfg;

	info->max_rx_queues = c->max_rx_queues;
	info->max_tx_queues = c->max_tx_queues;
	info->rx_desc_lim = c->rx_lim;
	info->tx_desc_lim = c->tx_lim;
	info->rx_offload_capa = c->rx_offload_capa;
	info->tx_offload_capa = c->tx_offload_capa;
	info->rx_queue_offload_capa = c->rx_queue_offload_capa;
	info->tx_queue_offload_capa = c->tx_queue_offload_capa;
	info->flow_type_rss_offloads = c->rss_offloads;
	info->hash_key_size = c->hash_key_size;
	info->min_mtu = c->min_mtu;
	info->max_mtu = c->max_mtu;
	info->max_rx_pktlen = (uint32_t)c->max_mtu + KEEL_ETHER_HDR_CRC_LEN;
	info->max_mac_addrs = c->max_mac_addrs;
	info->dev_capa = c->dev_capa;
	info->min_rx_bufsize = c->min_rx_bufsize;
	info->speed_capa = KEEL_ETH_LINK_SPEED_10G;
	return 0;
}

static int
t_configure(struct keel_eth_dev *dev)
{
	struct test_eth_priv *pv = dev->dev_private;
	int e = injected(pv, TOP_CONFIGURE);

	if (e)
		return e;
	pv->rss_hf = dev->data.dev_conf.rx_adv_conf.rss_conf.rss_hf;
	return 0;
}

static int
t_start(struct keel_eth_dev *dev)
{
	struct keel_eth_link l;
	int e = injected(dev->dev_private, TOP_START);

	if (e)
		return e;
	keel_eth_link_virtual(&l, true, KEEL_ETH_SPEED_NUM_10G);
	keel_eth_dev_link_set(dev, &l);
	return 0;
}

static int
t_stop(struct keel_eth_dev *dev)
{
	struct keel_eth_link l;

	keel_eth_link_virtual(&l, false, 0);
	keel_eth_dev_link_set(dev, &l);
	return injected(dev->dev_private, TOP_STOP);
}

static int
t_close(struct keel_eth_dev *dev)
{
	return injected(dev->dev_private, TOP_CLOSE);
}

static int
t_reset(struct keel_eth_dev *dev)
{
	return injected(dev->dev_private, TOP_RESET);
}

static int
q_setup(struct keel_eth_dev *dev, bool rx, uint16_t id, uint16_t nb_desc,
	void **out)
{
	struct test_eth_priv *pv = dev->dev_private;
	int e = injected(pv, rx ? TOP_RXQ_SETUP : TOP_TXQ_SETUP);
	struct test_q *q;

	if (e)
		return e;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return -ENOMEM;
	q->priv = pv;
	q->rx = rx;
	q->id = id;
	q->nb_desc = nb_desc;
	if (rx)
		pv->live_rxq++;
	else
		pv->live_txq++;
	*out = q;
	return 0;
}

static int
t_rxq_setup(struct keel_eth_dev *dev, uint16_t id, uint16_t nb_desc,
	    int socket, const struct keel_eth_rxconf *conf,
	    struct keel_mempool *mp, void **rxq)
{
	(void)socket; (void)conf; (void)mp;
	return q_setup(dev, true, id, nb_desc, rxq);
}

static int
t_txq_setup(struct keel_eth_dev *dev, uint16_t id, uint16_t nb_desc,
	    int socket, const struct keel_eth_txconf *conf, void **txq)
{
	(void)socket; (void)conf;
	return q_setup(dev, false, id, nb_desc, txq);
}

static void
t_rxq_release(struct keel_eth_dev *dev, void *q)
{
	struct test_eth_priv *pv = dev->dev_private;

	pv->calls[TOP_RXQ_RELEASE]++;
	pv->live_rxq--;
	free(q);
}

static void
t_txq_release(struct keel_eth_dev *dev, void *q)
{
	struct test_eth_priv *pv = dev->dev_private;

	pv->calls[TOP_TXQ_RELEASE]++;
	pv->live_txq--;
	free(q);
}

static int
t_queue_stats(struct keel_eth_dev *dev, const void *q, bool rx,
	      struct keel_eth_queue_stats *st)
{
	(void)dev; (void)rx;
	*st = ((const struct test_q *)q)->st;
	return 0;
}

static int
t_xstats_names(struct keel_eth_dev *dev, struct keel_eth_xstat_name *n,
	       unsigned int size)
{
	(void)dev;
	if (n != NULL && size >= 1)
		snprintf(n[0].name, sizeof(n[0].name), "rx_polls");
	return 1;
}

static int
t_xstats_get(struct keel_eth_dev *dev, uint64_t *v, unsigned int n)
{
	if (n >= 1)
		v[0] = ((struct test_eth_priv *)dev->dev_private)->rx_polls;
	return 1;
}

static int
t_set_link(struct keel_eth_dev *dev, bool up)
{
	struct keel_eth_link l;

	keel_eth_link_virtual(&l, up, KEEL_ETH_SPEED_NUM_10G);
	keel_eth_dev_link_set(dev, &l);
	return 0;
}

static int t_link_up(struct keel_eth_dev *dev) { return t_set_link(dev, true); }
static int t_link_down(struct keel_eth_dev *dev) { return t_set_link(dev, false); }

static int
t_promisc(struct keel_eth_dev *dev)
{
	return injected(dev->dev_private, TOP_PROMISC);
}

static int
t_mac_set(struct keel_eth_dev *dev, const struct keel_ether_addr *a)
{
	(void)a;
	return injected(dev->dev_private, TOP_MAC);
}

static int
t_mac_add(struct keel_eth_dev *dev, const struct keel_ether_addr *a,
	  uint32_t index)
{
	(void)a; (void)index;
	return injected(dev->dev_private, TOP_MAC);
}

static void
t_mac_remove(struct keel_eth_dev *dev, uint32_t index)
{
	(void)dev; (void)index;
}

static int
t_mtu_set(struct keel_eth_dev *dev, uint16_t mtu)
{
	struct test_eth_priv *pv = dev->dev_private;
	int e = injected(pv, TOP_MTU);

	if (e == 0)
		pv->last_mtu = mtu;
	return e;
}

static int
t_rss_update(struct keel_eth_dev *dev, const struct keel_eth_rss_conf *c)
{
	struct test_eth_priv *pv = dev->dev_private;

	pv->rss_hf = c->rss_hf;
	if (c->rss_key != NULL)
		memcpy(pv->rss_key, c->rss_key, c->rss_key_len);
	return 0;
}

static int
t_rss_get(struct keel_eth_dev *dev, struct keel_eth_rss_conf *c)
{
	struct test_eth_priv *pv = dev->dev_private;

	c->rss_hf = pv->rss_hf;
	if (c->rss_key != NULL) {
		memcpy(c->rss_key, pv->rss_key, pv->cfg.hash_key_size);
		c->rss_key_len = pv->cfg.hash_key_size;
	}
	return 0;
}

static const struct keel_eth_dev_ops t_ops = {
	.dev_infos_get = t_infos_get,
	.dev_configure = t_configure,
	.dev_start = t_start,
	.dev_stop = t_stop,
	.dev_close = t_close,
	.dev_reset = t_reset,
	.rx_queue_setup = t_rxq_setup,
	.tx_queue_setup = t_txq_setup,
	.rx_queue_release = t_rxq_release,
	.tx_queue_release = t_txq_release,
	.queue_stats_get = t_queue_stats,
	.xstats_get_names = t_xstats_names,
	.xstats_get = t_xstats_get,
	.dev_set_link_up = t_link_up,
	.dev_set_link_down = t_link_down,
	.promiscuous_enable = t_promisc,
	.promiscuous_disable = t_promisc,
	.mac_addr_set = t_mac_set,
	.mac_addr_add = t_mac_add,
	.mac_addr_remove = t_mac_remove,
	.mtu_set = t_mtu_set,
	.rss_hash_update = t_rss_update,
	.rss_hash_conf_get = t_rss_get,
};

void
test_eth_default_cfg(struct test_eth_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->max_rx_queues = 4;
	c->max_tx_queues = 4;
	c->rx_lim = (struct keel_eth_desc_lim){ .nb_max = 4096, .nb_min = 64,
						.nb_align = 32 };
	c->tx_lim = c->rx_lim;
	c->rx_offload_capa = KEEL_ETH_RX_OFFLOAD_CHECKSUM |
			     KEEL_ETH_RX_OFFLOAD_RSS_HASH |
			     KEEL_ETH_RX_OFFLOAD_VLAN_STRIP;
	c->rx_queue_offload_capa = KEEL_ETH_RX_OFFLOAD_VLAN_STRIP;
	c->tx_offload_capa = KEEL_ETH_TX_OFFLOAD_IPV4_CKSUM |
			     KEEL_ETH_TX_OFFLOAD_MULTI_SEGS;
	c->tx_queue_offload_capa = KEEL_ETH_TX_OFFLOAD_MULTI_SEGS;
	c->rss_offloads = KEEL_ETH_RSS_IP | KEEL_ETH_RSS_TCP;
	c->hash_key_size = 40;
	c->min_mtu = 68;
	c->max_mtu = 9000;
	c->max_mac_addrs = 4;
	c->dev_flags = KEEL_ETH_DEV_INTR_LSC;
	c->rx_avail = 32;
	c->tx_room = 32;
}

static int
create(const char *name, const char *device, const struct test_eth_cfg *cfg)
{
	struct keel_eth_dev *dev = keel_eth_dev_allocate(name, -1,
		sizeof(struct test_eth_priv));
	struct test_eth_priv *pv;
	int ret;

	if (dev == NULL)
		return -errno;
	pv = dev->dev_private;
	pv->cfg = *cfg;
	dev->driver_name = "net_ethtest";
	dev->dev_flags = cfg->dev_flags;
	dev->dev_ops = &t_ops;
	dev->rx_pkt_burst = t_rx;
	dev->tx_pkt_burst = t_tx;
	snprintf(dev->device_name, sizeof(dev->device_name), "%s", device);
	ret = keel_eth_dev_probing_finish(dev);
	if (ret < 0) {
		keel_eth_dev_release_port(dev);
		return ret;
	}
	return dev->port_id;
}

struct keel_mempool *
test_eth_pool(void)
{
	struct keel_mempool *mp = keel_mempool_lookup("ethtest_pool");

	if (mp == NULL)
		mp = keel_pktmbuf_pool_create("ethtest_pool", 63, 0, 0,
					      KEEL_MBUF_DEFAULT_BUF_SIZE,
					      KEEL_SOCKET_ID_ANY);
	return mp;
}

int
test_eth_create(const char *name, const struct test_eth_cfg *cfg)
{
	return create(name, "", cfg);
}

struct test_eth_priv *
test_eth_priv(uint16_t port_id)
{
	char name[KEEL_ETH_NAME_MAX_LEN];
	struct keel_eth_dev *dev;

	if (keel_eth_dev_get_name_by_port(port_id, name) < 0)
		return NULL;
	dev = keel_eth_dev_get_by_name(name);
	if (dev == NULL || dev->dev_ops != &t_ops)
		return NULL;
	return dev->dev_private;
}

/* ------------------------------------------------------------ vdev side */

static const char *const t_keys[] = { "avail", NULL };

static int
t_probe(const char *name, const char *args)
{
	struct keel_kvargs *kv = keel_kvargs_parse(args, t_keys);
	struct test_eth_cfg cfg;
	uint64_t avail = 32;
	int ret;

	if (kv == NULL)
		return -errno;
	ret = keel_kvargs_get_u64(kv, "avail", 0, 512, &avail);
	keel_kvargs_free(kv);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	test_eth_default_cfg(&cfg);
	cfg.rx_avail = (uint32_t)avail;
	ret = create(name, name, &cfg);
	return ret < 0 ? ret : 0;
}

static int
t_remove(const char *name)
{
	struct keel_eth_dev *dev = keel_eth_dev_get_by_name(name);

	if (dev == NULL)
		return 0;       /* closed already */
	return keel_eth_dev_destroy(dev);
}

static struct keel_vdev_driver t_vdev = {
	.probe = t_probe,
	.remove = t_remove,
};

KEEL_VDEV_DRIVER_REGISTER(net_ethtest, t_vdev, "avail=<0..512>")
