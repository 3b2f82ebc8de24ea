/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_tap: a Linux TAP interface (/dev/net/tun, IFF_TAP | IFF_NO_PI) as a
 * port, so the kernel's network stack is a real peer: what the kernel sends
 * out of the interface, the port receives; what the port sends, the kernel
 * receives on the interface. The port is the far end of the wire: it has
 * its own MAC address (the kernel interface keeps its own).
 *
 * Queues: queues=N opens N file descriptors on the interface
 * (IFF_MULTI_QUEUE); Rx queue i and Tx queue i use descriptor i, and the
 * kernel spreads its transmissions over them. Each descriptor is
 * non-blocking: Rx reads one frame per read() until the kernel has none,
 * Tx writes one frame per writev() (chains as several iovecs).
 *
 * Link: up while the kernel interface is up (IFF_UP). keel_eth_dev_set_link
 * _up/_down change IFF_UP; keel_eth_link_get() reads it; both raise LSC
 * (intr_conf.lsc) when it changed. An interface deleted by the kernel side
 * (or moved to another namespace) is seen there too: link down for good,
 * and INTR_RMV (intr_conf.rmv). MTU: the kernel interface's.
 *
 * Every control-path system call goes through tap_sys (one ops table, the
 * seam for a fake kernel); the fast path calls readv/writev.
 *
 * Locking: one thread per queue; control ops under the ethdev library lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "keel_ethdev_driver.h"
#include "keel_kvargs.h"
#include "keel_log.h"
#include "keel_malloc.h"
#include "keel_mbuf.h"
#include "keel_vdev.h"

KEEL_LOG_REGISTER(tap_logtype, "pmd.net.tap", INFO)

#define TAP_DRIVER     "net_tap"
#define TAP_MAX_QUEUES 8
#define TAP_MAX_FRAME  65535
#define TAP_MAX_SEGS   32

/* Every system call of the control path, so tests can swap the kernel. */
struct tap_sys_ops {
	int (*open)(const char *path, int flags);
	int (*ioctl)(int fd, unsigned long req, void *arg);
	int (*close)(int fd);
	int (*socket)(int domain, int type, int proto);
};

static int sys_open(const char *p, int f) { return open(p, f); }
static int sys_ioctl(int fd, unsigned long r, void *a) { return ioctl(fd, r, a); }

static const struct tap_sys_ops tap_sys_default = {
	.open = sys_open, .ioctl = sys_ioctl, .close = close,
	.socket = socket,
};
static const struct tap_sys_ops *tap_sys = &tap_sys_default;

struct tap_queue {
	int fd;
	uint16_t port;
	uint32_t max_frame;             /* Rx: MTU + header + VLAN tag */
	struct keel_mempool *mp;        /* Rx */
	uint64_t packets, bytes, errors, nombuf;
} __attribute__((aligned(64)));

struct tap_priv {
	char ifname[IFNAMSIZ];
	int fds[TAP_MAX_QUEUES];
	unsigned int nb_fds;
	int ctl;                        /* AF_INET socket for SIOC*IF* */
	bool gone;                      /* the kernel interface went away */
};

static const char *const tap_keys[] = { "iface", "queues", NULL };

/* ------------------------------------------------------------ fast path */

static uint16_t
tap_rx(void *qp, struct keel_mbuf **bufs, uint16_t n)
{
	struct tap_queue *q = qp;
	uint16_t k = 0;

	while (k < n) {
		struct keel_mbuf *seg[TAP_MAX_SEGS];
		struct iovec iov[TAP_MAX_SEGS];
		unsigned int ns = 0;
		uint32_t room = 0;
		ssize_t len;

		/* enough buffers for the largest frame the interface sends
		 * (one more byte: a longer frame shows as truncated) */
		while (room <= q->max_frame && ns < TAP_MAX_SEGS) {
			seg[ns] = keel_pktmbuf_alloc(q->mp);
			if (seg[ns] == NULL)
				break;
			iov[ns].iov_base = keel_pktmbuf_mtod(seg[ns], void *);
			iov[ns].iov_len = keel_pktmbuf_tailroom(seg[ns]);
			room += (uint32_t)iov[ns].iov_len;
			ns++;
		}
		if (ns == 0 || room == 0) {
			for (unsigned int i = 0; i < ns; i++)
				keel_pktmbuf_free(seg[i]);
			q->nombuf++;
			break;
		}
		len = readv(q->fd, iov, (int)ns);
		if (len <= 0 || (uint32_t)len > q->max_frame) {
			for (unsigned int i = 0; i < ns; i++)
				keel_pktmbuf_free(seg[i]);
			if (len > 0 || (len < 0 && errno != EAGAIN &&
					errno != EINTR)) {
				q->errors++;    /* error, or longer than the MTU */
				if (len > 0)
					continue;
			}
			break;
		}
		/* chain the segments the frame filled, free the rest */
		{
			uint32_t left = (uint32_t)len;
			unsigned int used = 0;

			for (; used < ns && left > 0; used++) {
				uint32_t l = left < iov[used].iov_len ?
					     left : (uint32_t)iov[used].iov_len;

				seg[used]->data_len = (uint16_t)l;
				left -= l;
				if (used > 0)
					keel_pktmbuf_chain(seg[0], seg[used]);
			}
			for (unsigned int i = used; i < ns; i++)
				keel_pktmbuf_free(seg[i]);
		}
		seg[0]->pkt_len = (uint32_t)len;
		seg[0]->port = q->port;
		q->bytes += (uint64_t)len;
		bufs[k++] = seg[0];
	}
	q->packets += k;
	return k;
}

static uint16_t
tap_tx(void *qp, struct keel_mbuf **bufs, uint16_t n)
{
	struct tap_queue *q = qp;
	uint16_t k;

	for (k = 0; k < n; k++) {
		struct keel_mbuf *m = bufs[k], *s;
		struct iovec iov[TAP_MAX_SEGS];
		int ns = 0;
		ssize_t w;

		for (s = m; s != NULL && ns < TAP_MAX_SEGS; s = s->next) {
			iov[ns].iov_base = keel_pktmbuf_mtod(s, void *);
			iov[ns].iov_len = s->data_len;
			ns++;
		}
		if (s != NULL) {                /* too many segments */
			q->errors++;
			keel_pktmbuf_free(m);
			continue;
		}
		w = writev(q->fd, iov, ns);
		if (w < 0 && (errno == EAGAIN || errno == ENOBUFS))
			break;                  /* kernel queue full: retry */
		if (w != (ssize_t)m->pkt_len)
			q->errors++;
		else {
			q->packets++;
			q->bytes += m->pkt_len;
		}
		keel_pktmbuf_free(m);
	}
	return k;
}

/* --------------------------------------------------------- control path */

static int
ifreq_get(struct tap_priv *pv, unsigned long req, struct ifreq *ifr)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, IFNAMSIZ, "%s", pv->ifname);
	return tap_sys->ioctl(pv->ctl, req, ifr) < 0 ? -errno : 0;
}

static int
tap_infos_get(struct keel_eth_dev *dev, struct keel_eth_dev_info *info)
{
	struct tap_priv *pv = dev->dev_private;
	struct ifreq ifr;

	info->max_rx_queues = (uint16_t)pv->nb_fds;
	info->max_tx_queues = (uint16_t)pv->nb_fds;
	info->max_mac_addrs = 1;
	info->rx_desc_lim = (struct keel_eth_desc_lim){ UINT16_MAX, 0, 1 };
	info->tx_desc_lim = info->rx_desc_lim;
	info->max_rx_pktlen = TAP_MAX_FRAME;
	info->max_mtu = 65535 - KEEL_ETHER_HDR_CRC_LEN;
	info->rx_offload_capa = KEEL_ETH_RX_OFFLOAD_SCATTER;
	info->tx_offload_capa = KEEL_ETH_TX_OFFLOAD_MULTI_SEGS;
	info->speed_capa = KEEL_ETH_LINK_SPEED_10G;
	if (ifreq_get(pv, SIOCGIFINDEX, &ifr) == 0)
		info->if_index = (unsigned int)ifr.ifr_ifindex;
	return 0;
}

static int
tap_configure(struct keel_eth_dev *dev)
{
	(void)dev;
	return 0;
}

/* read IFF_UP into the port's link; LSC when it changed */
static int
tap_link_update(struct keel_eth_dev *dev, int wait)
{
	struct tap_priv *pv = dev->dev_private;
	struct keel_eth_link l;
	struct ifreq ifr;
	int ret;

	(void)wait;
	if (pv->gone)
		return 0;               /* down for good */
	ret = ifreq_get(pv, SIOCGIFFLAGS, &ifr);
	if (ret == -ENODEV) {
		/* deleted (or moved to another namespace): the link is down
		 * for good; tell whoever asked for removal events */
		pv->gone = true;
		KEEL_LOG(WARNING, tap_logtype,
			 "%s: interface %s is gone from this namespace",
			 dev->name, pv->ifname);
		keel_eth_link_virtual(&l, false, 0);
		keel_eth_dev_link_set(dev, &l);
		if (dev->data.dev_conf.intr_conf.rmv)
			keel_eth_dev_event(dev, KEEL_ETH_EVENT_INTR_RMV);
		return 0;
	}
	if (ret < 0) {
		KEEL_LOG(ERR, tap_logtype, "%s: interface %s: %s", dev->name,
			 pv->ifname, strerror(-ret));
		return ret;
	}
	keel_eth_link_virtual(&l, (ifr.ifr_flags & IFF_UP) != 0,
			      KEEL_ETH_SPEED_NUM_10G);
	keel_eth_dev_link_set(dev, &l);
	return 0;
}

static int
set_up(struct keel_eth_dev *dev, bool up)
{
	struct tap_priv *pv = dev->dev_private;
	struct ifreq ifr;
	int ret = ifreq_get(pv, SIOCGIFFLAGS, &ifr);

	if (ret == 0) {
		if (up)
			ifr.ifr_flags |= IFF_UP;
		else
			ifr.ifr_flags &= ~IFF_UP;
		ret = tap_sys->ioctl(pv->ctl, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
	}
	if (ret < 0) {
		KEEL_LOG(ERR, tap_logtype, "%s: set %s %s: %s", dev->name,
			 pv->ifname, up ? "up" : "down", strerror(-ret));
		return ret;
	}
	return tap_link_update(dev, 0);
}

static int tap_link_up(struct keel_eth_dev *d) { return set_up(d, true); }
static int tap_link_down(struct keel_eth_dev *d) { return set_up(d, false); }

static int
tap_start(struct keel_eth_dev *dev)
{
	return set_up(dev, true);
}

static int
tap_stop(struct keel_eth_dev *dev)
{
	struct keel_eth_link l;

	/* the kernel interface stays as the user set it; the port is down */
	keel_eth_link_virtual(&l, false, 0);
	keel_eth_dev_link_set(dev, &l);
	return 0;
}

static void
priv_close(struct tap_priv *pv)
{
	for (unsigned int i = 0; i < pv->nb_fds; i++)
		if (pv->fds[i] >= 0)
			tap_sys->close(pv->fds[i]);
	if (pv->ctl >= 0)
		tap_sys->close(pv->ctl);
	pv->nb_fds = 0;
	pv->ctl = -1;
}

static int
tap_close(struct keel_eth_dev *dev)
{
	priv_close(dev->dev_private);
	return 0;
}

static int
queue_setup(struct keel_eth_dev *dev, uint16_t id, int socket_id,
	    struct keel_mempool *mp, void **out)
{
	struct tap_priv *pv = dev->dev_private;
	struct tap_queue *q;

	q = keel_zmalloc_socket("tap_queue", sizeof(*q), 64, socket_id);
	if (q == NULL)
		q = keel_zmalloc("tap_queue", sizeof(*q), 64);
	if (q == NULL)
		return -ENOMEM;
	q->fd = pv->fds[id];
	q->port = dev->port_id;
	q->mp = mp;
	q->max_frame = (uint32_t)dev->data.mtu + KEEL_ETHER_HDR_CRC_LEN;
	*out = q;
	return 0;
}

static int
tap_rxq_setup(struct keel_eth_dev *dev, uint16_t id, uint16_t nb_desc,
	      int socket_id, const struct keel_eth_rxconf *conf,
	      struct keel_mempool *mp, void **rxq)
{
	(void)nb_desc; (void)conf;
	return queue_setup(dev, id, socket_id, mp, rxq);
}

static int
tap_txq_setup(struct keel_eth_dev *dev, uint16_t id, uint16_t nb_desc,
	      int socket_id, const struct keel_eth_txconf *conf, void **txq)
{
	(void)nb_desc; (void)conf;
	return queue_setup(dev, id, socket_id, NULL, txq);
}

static void
tap_queue_release(struct keel_eth_dev *dev, void *q)
{
	(void)dev;
	keel_free(q);
}

static int
tap_queue_stats(struct keel_eth_dev *dev, const void *qp, bool rx,
		struct keel_eth_queue_stats *st)
{
	const struct tap_queue *q = qp;

	(void)dev; (void)rx;
	st->packets = q->packets;
	st->bytes = q->bytes;
	st->errors = q->errors;
	st->nombuf = q->nombuf;
	return 0;
}

static int
tap_ok(struct keel_eth_dev *dev)
{
	(void)dev;
	return 0;       /* the port receives whatever the kernel sends */
}

static int
tap_mac_set(struct keel_eth_dev *dev, const struct keel_ether_addr *a)
{
	(void)dev; (void)a;
	return 0;       /* the port's own address: nothing to tell the kernel */
}

static int
tap_mtu_set(struct keel_eth_dev *dev, uint16_t mtu)
{
	struct tap_priv *pv = dev->dev_private;
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", pv->ifname);
	ifr.ifr_mtu = mtu;
	if (tap_sys->ioctl(pv->ctl, SIOCSIFMTU, &ifr) < 0) {
		int e = errno;

		KEEL_LOG(ERR, tap_logtype, "%s: MTU %u on %s: %s", dev->name,
			 mtu, pv->ifname, strerror(e));
		return -e;
	}
	return 0;
}

static int
tap_dump(struct keel_eth_dev *dev, FILE *f)
{
	struct tap_priv *pv = dev->dev_private;

	fprintf(f, "  net_tap: interface %s, %u queue fds\n", pv->ifname,
		pv->nb_fds);
	return 0;
}

static const struct keel_eth_dev_ops tap_ops = {
	.dev_infos_get = tap_infos_get,
	.dev_configure = tap_configure,
	.dev_start = tap_start,
	.dev_stop = tap_stop,
	.dev_close = tap_close,
	.rx_queue_setup = tap_rxq_setup,
	.tx_queue_setup = tap_txq_setup,
	.rx_queue_release = tap_queue_release,
	.tx_queue_release = tap_queue_release,
	.queue_stats_get = tap_queue_stats,
	.link_update = tap_link_update,
	.dev_set_link_up = tap_link_up,
	.dev_set_link_down = tap_link_down,
	.promiscuous_enable = tap_ok,
	.promiscuous_disable = tap_ok,
	.allmulticast_enable = tap_ok,
	.allmulticast_disable = tap_ok,
	.mac_addr_set = tap_mac_set,
	.mtu_set = tap_mtu_set,
	.dev_dump = tap_dump,
};

/* ---------------------------------------------------------------- probe */

/* open one queue of interface @p ifname (created by the first open) */
static int
tap_open_queue(const char *dev, char *ifname, bool multi)
{
	struct ifreq ifr;
	int fd = tap_sys->open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		KEEL_LOG(ERR, tap_logtype, "%s: /dev/net/tun: %s", dev,
			 strerror(e));
		return -e;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (multi ? IFF_MULTI_QUEUE : 0);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (tap_sys->ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;

		KEEL_LOG(ERR, tap_logtype, "%s: create tap interface '%s': %s",
			 dev, ifname, strerror(e));
		tap_sys->close(fd);
		return -e;
	}
	snprintf(ifname, IFNAMSIZ, "%s", ifr.ifr_name);
	return fd;
}

static int
parse_ifname(const char *dev, const char *v, char *out)
{
	size_t n = strlen(v);

	if (n == 0 || n >= IFNAMSIZ) {
		KEEL_LOG(ERR, tap_logtype,
			 "%s: iface=%s: interface names have 1..%d characters",
			 dev, v, IFNAMSIZ - 1);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i] == '/' || v[i] == ' ' || v[i] == ':') {
			KEEL_LOG(ERR, tap_logtype,
				 "%s: iface=%s: '%c' is not allowed in an interface name",
				 dev, v, v[i]);
			return -EINVAL;
		}
	snprintf(out, IFNAMSIZ, "%s", v);
	return 0;
}

static int
tap_probe(const char *name, const char *args)
{
	struct keel_kvargs *kv = keel_kvargs_parse(args, tap_keys);
	struct tap_priv pv = { .ctl = -1 };
	struct keel_eth_dev *dev;
	uint64_t queues = 1;
	const char *v;
	int ret = 0;

	if (kv == NULL)
		return -errno;
	snprintf(pv.ifname, IFNAMSIZ, "dtap%%d");       /* kernel numbers it */
	v = keel_kvargs_get(kv, "iface");
	if (v != NULL)
		ret = parse_ifname(name, v, pv.ifname);
	if (ret == 0) {
		ret = keel_kvargs_get_u64(kv, "queues", 1, TAP_MAX_QUEUES,
					  &queues);
		ret = ret == -ENOENT ? 0 : ret;
	}
	keel_kvargs_free(kv);
	if (ret < 0)
		return ret;
	for (unsigned int i = 0; i < queues; i++) {
		int fd = tap_open_queue(name, pv.ifname, queues > 1);

		if (fd < 0) {
			ret = fd;
			goto fail;
		}
		pv.fds[pv.nb_fds++] = fd;
	}
	pv.ctl = tap_sys->socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (pv.ctl < 0) {
		ret = -errno;
		goto fail;
	}
	dev = keel_eth_dev_allocate(name, keel_socket_id(), sizeof(pv));
	if (dev == NULL) {
		ret = -errno;
		goto fail;
	}
	memcpy(dev->dev_private, &pv, sizeof(pv));
	dev->driver_name = TAP_DRIVER;
	snprintf(dev->device_name, sizeof(dev->device_name), "%s", name);
	dev->dev_flags = KEEL_ETH_DEV_INTR_LSC | KEEL_ETH_DEV_INTR_RMV;
	dev->dev_ops = &tap_ops;
	dev->rx_pkt_burst = tap_rx;
	dev->tx_pkt_burst = tap_tx;
	ret = keel_eth_dev_probing_finish(dev);
	if (ret < 0) {
		keel_eth_dev_release_port(dev);
		goto fail;
	}
	KEEL_LOG(INFO, tap_logtype, "%s: port %u on interface %s (%u queues)",
		 name, dev->port_id, pv.ifname, pv.nb_fds);
	return 0;
fail:
	priv_close(&pv);
	return ret;
}

static int
tap_remove(const char *name)
{
	struct keel_eth_dev *dev = keel_eth_dev_get_by_name(name);

	if (dev == NULL)
		return 0;
	return keel_eth_dev_destroy(dev);
}

static struct keel_vdev_driver tap_driver = {
	.probe = tap_probe,
	.remove = tap_remove,
};

KEEL_VDEV_DRIVER_REGISTER(net_tap, tap_driver,
	"iface=<interface name, default dtapN> queues=<1..8>")
