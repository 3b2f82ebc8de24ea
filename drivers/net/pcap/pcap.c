/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_pcap: a port over libpcap. Rx reads a pcap file (rx_pcap=FILE, once,
 * or again and again with infinite_rx=1) or a live kernel interface
 * (rx_iface= / iface=); Tx writes a pcap file (tx_pcap=FILE, readable by
 * tcpdump -r) or sends on a live interface (tx_iface= / iface=). A port
 * without an Rx source receives nothing; one without a Tx sink drops what it
 * is given (counted as Tx errors).
 *
 * Untrusted input: an rx_pcap file is read through completely at probe, so
 * a garbage or truncated file is refused there with libpcap's reason, the
 * packet number and the byte offset, not discovered mid-run. With
 * infinite_rx the packets are kept in memory (one allocation, bounded by
 * the file) and replayed; otherwise the file is read again, streaming, at
 * each Rx queue setup.
 *
 * Packets longer than an mbuf's tailroom are received as chains; chained
 * mbufs are written to files and interfaces through a linear buffer.
 *
 * Locking: one Rx and one Tx queue, each driven by one thread; control ops
 * under the ethdev library lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "keel_ethdev_driver.h"
#include "keel_kvargs.h"
#include "keel_log.h"
#include "keel_malloc.h"
#include "keel_mbuf.h"
#include "keel_vdev.h"

KEEL_LOG_REGISTER(pcap_logtype, "pmd.net.pcap", INFO)

#define PCAP_DRIVER  "net_pcap"
#define PCAP_SNAPLEN 65535      /* longest frame written or captured */

/* the packets of an rx_pcap file, for infinite_rx */
struct pcap_cache {
	uint8_t *data;
	uint32_t *off, *len;
	uint32_t n;
};

struct pcap_rxq {
	struct keel_mempool *mp;
	pcap_t *p;                      /* file being streamed, or live */
	const struct pcap_cache *cache; /* infinite_rx */
	uint32_t next;                  /* next cached packet */
	uint16_t port;
	bool eof;
	uint64_t packets, bytes, errors, nombuf, replays;
};

struct pcap_txq {
	pcap_dumper_t *dumper;          /* tx_pcap */
	pcap_t *live;                   /* tx_iface */
	uint8_t *lin;                   /* chains are linearised here */
	uint64_t packets, bytes, errors;
};

struct pcap_priv {
	char rx_pcap[PATH_MAX];
	char tx_pcap[PATH_MAX];
	char rx_iface[IF_NAMESIZE];
	char tx_iface[IF_NAMESIZE];
	bool infinite;
	struct pcap_cache cache;
	pcap_t *rx_live, *tx_live;      /* opened at probe */
	pcap_t *dead;                   /* for the dumper */
	pcap_dumper_t *dumper;
	struct pcap_rxq *rxq;           /* for the driver xstats */
};

static const char *const pcap_keys[] = {
	"rx_pcap", "tx_pcap", "rx_iface", "tx_iface", "iface", "infinite_rx",
	NULL,
};

/* ------------------------------------------------------------------ Rx */

/* copy @p len bytes into a fresh mbuf (a chain when needed) */
static struct keel_mbuf *
pkt_to_mbuf(struct pcap_rxq *q, const uint8_t *data, uint32_t len)
{
	struct keel_mbuf *head = keel_pktmbuf_alloc(q->mp), *m = head;
	uint32_t done = 0;

	if (head == NULL)
		return NULL;
	for (;;) {
		uint32_t room = keel_pktmbuf_tailroom(m);
		uint32_t k = len - done < room ? len - done : room;

		if (room == 0 && len > 0) {     /* a pool without data room */
			keel_pktmbuf_free(head);
			return NULL;
		}

		memcpy(keel_pktmbuf_mtod(m, uint8_t *), data + done, k);
		m->data_len = (uint16_t)k;
		done += k;
		if (done == len)
			break;
		m = keel_pktmbuf_alloc(q->mp);
		if (m == NULL) {
			keel_pktmbuf_free(head);
			return NULL;
		}
		if (keel_pktmbuf_chain(head, m) < 0) {
			keel_pktmbuf_free(m);
			keel_pktmbuf_free(head);
			return NULL;
		}
	}
	head->pkt_len = len;
	head->port = q->port;
	return head;
}

static uint16_t
pcap_rx(void *qp, struct keel_mbuf **bufs, uint16_t n)
{
	struct pcap_rxq *q = qp;
	uint16_t k = 0;

	while (k < n) {
		const uint8_t *data;
		uint32_t len;

		if (q->cache != NULL) {
			if (q->cache->n == 0)
				break;
			if (q->next == q->cache->n) {
				q->next = 0;
				q->replays++;
			}
			data = q->cache->data + q->cache->off[q->next];
			len = q->cache->len[q->next];
		} else {
			struct pcap_pkthdr *h;
			int r;

			if (q->p == NULL || q->eof)
				break;
			r = pcap_next_ex(q->p, &h, &data);
			if (r == 0)
				break;          /* live: nothing now */
			if (r < 0) {
				if (r != PCAP_ERROR_BREAK)
					q->errors++;
				q->eof = true;  /* end of file (or error) */
				break;
			}
			len = h->caplen;
		}
		bufs[k] = pkt_to_mbuf(q, data, len);
		if (bufs[k] == NULL) {
			q->nombuf++;
			break;          /* retried at the next burst */
		}
		if (q->cache != NULL)
			q->next++;
		q->bytes += len;
		k++;
	}
	q->packets += k;
	return k;
}

/* ------------------------------------------------------------------ Tx */

static uint16_t
pcap_tx(void *qp, struct keel_mbuf **bufs, uint16_t n)
{
	struct pcap_txq *q = qp;
	struct timeval now;

	if (q->dumper != NULL)
		gettimeofday(&now, NULL);
	for (uint16_t i = 0; i < n; i++) {
		struct keel_mbuf *m = bufs[i];
		uint32_t len = m->pkt_len;
		const uint8_t *data;

		if (q->dumper == NULL && q->live == NULL) {
			q->errors++;    /* no sink: dropped */
			keel_pktmbuf_free(m);
			continue;
		}
		if (len > PCAP_SNAPLEN) {
			q->errors++;
			keel_pktmbuf_free(m);
			continue;
		}
		if (keel_pktmbuf_is_contiguous(m)) {
			data = keel_pktmbuf_mtod(m, const uint8_t *);
		} else {
			data = keel_pktmbuf_read(m, 0, len, q->lin);
			if (data == NULL) {
				q->errors++;
				keel_pktmbuf_free(m);
				continue;
			}
		}
		if (q->dumper != NULL) {
			struct pcap_pkthdr h = { .ts = now, .caplen = len,
						 .len = len };

			pcap_dump((u_char *)q->dumper, &h, data);
		} else if (pcap_inject(q->live, data, len) != (int)len) {
			q->errors++;
			keel_pktmbuf_free(m);
			continue;
		}
		q->packets++;
		q->bytes += len;
		keel_pktmbuf_free(m);
	}
	return n;
}

/* --------------------------------------------------------- control path */

static int
pcap_infos_get(struct keel_eth_dev *dev, struct keel_eth_dev_info *info)
{
	(void)dev;
	info->max_rx_queues = 1;
	info->max_tx_queues = 1;
	info->max_mac_addrs = 1;
	info->rx_desc_lim = (struct keel_eth_desc_lim){ UINT16_MAX, 0, 1 };
	info->tx_desc_lim = info->rx_desc_lim;
	info->max_rx_pktlen = PCAP_SNAPLEN;
	info->max_mtu = PCAP_SNAPLEN - KEEL_ETHER_HDR_CRC_LEN;
	info->rx_offload_capa = KEEL_ETH_RX_OFFLOAD_SCATTER;
	info->tx_offload_capa = KEEL_ETH_TX_OFFLOAD_MULTI_SEGS;
	info->speed_capa = KEEL_ETH_LINK_SPEED_10G;
	return 0;
}

static int
pcap_configure(struct keel_eth_dev *dev)
{
	(void)dev;
	return 0;
}

static void
pcap_set_link(struct keel_eth_dev *dev, bool up)
{
	struct keel_eth_link l;

	keel_eth_link_virtual(&l, up, KEEL_ETH_SPEED_NUM_10G);
	keel_eth_dev_link_set(dev, &l);
}

static int
pcap_start(struct keel_eth_dev *dev)
{
	pcap_set_link(dev, true);
	return 0;
}

static int
pcap_stop(struct keel_eth_dev *dev)
{
	struct pcap_priv *pv = dev->dev_private;

	if (pv->dumper != NULL)
		pcap_dump_flush(pv->dumper);
	pcap_set_link(dev, false);
	return 0;
}

static void
cache_free(struct pcap_cache *c)
{
	free(c->data);
	free(c->off);
	free(c->len);
	memset(c, 0, sizeof(*c));
}

static void
priv_free(struct pcap_priv *pv)
{
	if (pv->dumper != NULL)
		pcap_dump_close(pv->dumper);
	if (pv->dead != NULL)
		pcap_close(pv->dead);
	if (pv->tx_live != NULL && pv->tx_live != pv->rx_live)
		pcap_close(pv->tx_live);
	if (pv->rx_live != NULL)
		pcap_close(pv->rx_live);
	cache_free(&pv->cache);
	pv->dumper = NULL;
	pv->dead = pv->rx_live = pv->tx_live = NULL;
}

static int
pcap_close_op(struct keel_eth_dev *dev)
{
	priv_free(dev->dev_private);
	return 0;
}

static int
pcap_rxq_setup(struct keel_eth_dev *dev, uint16_t id, uint16_t nb_desc,
	       int socket_id, const struct keel_eth_rxconf *conf,
	       struct keel_mempool *mp, void **rxq)
{
	struct pcap_priv *pv = dev->dev_private;
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_rxq *q;

	(void)id; (void)nb_desc; (void)conf;
	q = keel_zmalloc_socket("pcap_rxq", sizeof(*q), 64, socket_id);
	if (q == NULL)
		q = keel_zmalloc("pcap_rxq", sizeof(*q), 64);
	if (q == NULL)
		return -ENOMEM;
	q->mp = mp;
	q->port = dev->port_id;
	if (pv->infinite) {
		q->cache = &pv->cache;
	} else if (pv->rx_pcap[0] != '\0') {
		/* from the start of the file at each setup */
		q->p = pcap_open_offline(pv->rx_pcap, err);
		if (q->p == NULL) {
			KEEL_LOG(ERR, pcap_logtype, "%s: rx_pcap=%s: %s",
				 dev->name, pv->rx_pcap, err);
			keel_free(q);
			return -EINVAL;
		}
	} else {
		q->p = pv->rx_live;     /* NULL: no Rx source */
	}
	pv->rxq = q;
	*rxq = q;
	return 0;
}

static void
pcap_rxq_release(struct keel_eth_dev *dev, void *qp)
{
	struct pcap_priv *pv = dev->dev_private;
	struct pcap_rxq *q = qp;

	if (q->p != NULL && q->p != pv->rx_live)
		pcap_close(q->p);
	if (pv->rxq == q)
		pv->rxq = NULL;
	keel_free(q);
}

static int
pcap_txq_setup(struct keel_eth_dev *dev, uint16_t id, uint16_t nb_desc,
	       int socket_id, const struct keel_eth_txconf *conf, void **txq)
{
	struct pcap_priv *pv = dev->dev_private;
	struct pcap_txq *q;

	(void)id; (void)nb_desc; (void)conf;
	q = keel_zmalloc_socket("pcap_txq", sizeof(*q), 64, socket_id);
	if (q == NULL)
		q = keel_zmalloc("pcap_txq", sizeof(*q), 64);
	if (q == NULL)
		return -ENOMEM;
	q->lin = malloc(PCAP_SNAPLEN);
	if (q->lin == NULL) {
		keel_free(q);
		return -ENOMEM;
	}
	q->dumper = pv->dumper;
	q->live = pv->tx_live;
	*txq = q;
	return 0;
}

static void
pcap_txq_release(struct keel_eth_dev *dev, void *qp)
{
	struct pcap_txq *q = qp;

	(void)dev;
	free(q->lin);
	keel_free(q);
}

static int
pcap_queue_stats(struct keel_eth_dev *dev, const void *qp, bool rx,
		 struct keel_eth_queue_stats *st)
{
	(void)dev;
	if (rx) {
		const struct pcap_rxq *q = qp;

		st->packets = q->packets;
		st->bytes = q->bytes;
		st->errors = q->errors;
		st->nombuf = q->nombuf;
	} else {
		const struct pcap_txq *q = qp;

		st->packets = q->packets;
		st->bytes = q->bytes;
		st->errors = q->errors;
	}
	return 0;
}

static int
pcap_xstats_names(struct keel_eth_dev *dev, struct keel_eth_xstat_name *n,
		  unsigned int size)
{
	(void)dev;
	if (n != NULL && size >= 1)
		snprintf(n[0].name, sizeof(n[0].name), "rx_pcap_replays");
	return 1;
}

static int
pcap_xstats_get(struct keel_eth_dev *dev, uint64_t *v, unsigned int n)
{
	struct pcap_priv *pv = dev->dev_private;

	if (n >= 1)
		v[0] = pv->rxq != NULL ? pv->rxq->replays : 0;
	return 1;
}

static int
pcap_ok(struct keel_eth_dev *dev)
{
	(void)dev;
	return 0;       /* live interfaces are opened promiscuous */
}

static int
pcap_mtu_set(struct keel_eth_dev *dev, uint16_t mtu)
{
	(void)dev; (void)mtu;
	return 0;
}

static int
pcap_dump_op(struct keel_eth_dev *dev, FILE *f)
{
	struct pcap_priv *pv = dev->dev_private;

	fprintf(f, "  net_pcap: rx %s%s%s tx %s%s, %u cached packets\n",
		pv->rx_pcap[0] ? pv->rx_pcap : pv->rx_iface,
		pv->infinite ? " (infinite)" : "",
		pv->rx_pcap[0] || pv->rx_iface[0] ? "" : "(none)",
		pv->tx_pcap[0] ? pv->tx_pcap : pv->tx_iface,
		pv->tx_pcap[0] || pv->tx_iface[0] ? "" : "(none: drop)",
		pv->cache.n);
	return 0;
}

static const struct keel_eth_dev_ops pcap_ops = {
	.dev_infos_get = pcap_infos_get,
	.dev_configure = pcap_configure,
	.dev_start = pcap_start,
	.dev_stop = pcap_stop,
	.dev_close = pcap_close_op,
	.rx_queue_setup = pcap_rxq_setup,
	.tx_queue_setup = pcap_txq_setup,
	.rx_queue_release = pcap_rxq_release,
	.tx_queue_release = pcap_txq_release,
	.queue_stats_get = pcap_queue_stats,
	.xstats_get_names = pcap_xstats_names,
	.xstats_get = pcap_xstats_get,
	.promiscuous_enable = pcap_ok,
	.promiscuous_disable = pcap_ok,
	.mtu_set = pcap_mtu_set,
	.dev_dump = pcap_dump_op,
};

/* ---------------------------------------------------------------- probe */

/*
 * Read the whole rx_pcap file: refuse garbage, truncation and link types
 * other than Ethernet; with @p keep, copy the packets into @p c.
 */
static int
scan_file(const char *dev, const char *path, bool keep, struct pcap_cache *c)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const uint8_t *data;
	uint64_t total = 0, cap = 0;
	uint32_t n = 0, nmax = 0;
	pcap_t *p;
	int r;

	p = pcap_open_offline(path, err);
	if (p == NULL) {
		KEEL_LOG(ERR, pcap_logtype, "%s: rx_pcap=%s: %s", dev, path,
			 err);
		return -EINVAL;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		KEEL_LOG(ERR, pcap_logtype,
			 "%s: rx_pcap=%s: link type %s, not Ethernet", dev,
			 path, pcap_datalink_val_to_name(pcap_datalink(p)));
		pcap_close(p);
		return -EINVAL;
	}
	while ((r = pcap_next_ex(p, &h, &data)) == 1) {
		if (keep) {
			if (n == nmax) {
				uint32_t nn = nmax ? nmax * 2 : 256;
				uint32_t *o = realloc(c->off, nn * sizeof(*o));
				uint32_t *l = o ? realloc(c->len, nn * sizeof(*l))
						: NULL;

				if (o != NULL)
					c->off = o;
				if (l == NULL)
					goto nomem;
				c->len = l;
				nmax = nn;
			}
			if (total + h->caplen > cap) {
				uint64_t nc = cap ? cap * 2 : 65536;
				uint8_t *d;

				while (nc < total + h->caplen)
					nc *= 2;
				if (nc > UINT32_MAX)
					goto toobig;
				d = realloc(c->data, nc);
				if (d == NULL)
					goto nomem;
				c->data = d;
				cap = nc;
			}
			memcpy(c->data + total, data, h->caplen);
			c->off[n] = (uint32_t)total;
			c->len[n] = h->caplen;
		}
		total += h->caplen;
		n++;
	}
	if (r == PCAP_ERROR) {
		KEEL_LOG(ERR, pcap_logtype,
			 "%s: rx_pcap=%s: bad file after %u packets: %s", dev,
			 path, n, pcap_geterr(p));
		pcap_close(p);
		cache_free(c);
		return -EINVAL;
	}
	pcap_close(p);
	c->n = keep ? n : 0;
	if (keep && n == 0)
		KEEL_LOG(WARNING, pcap_logtype,
			 "%s: rx_pcap=%s has no packets: Rx will be empty",
			 dev, path);
	return 0;
toobig:
	KEEL_LOG(ERR, pcap_logtype,
		 "%s: rx_pcap=%s: over 4 GiB of packets for infinite_rx", dev,
		 path);
	pcap_close(p);
	cache_free(c);
	return -EFBIG;
nomem:
	pcap_close(p);
	cache_free(c);
	return -ENOMEM;
}

static pcap_t *
open_live(const char *dev, const char *iface)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create(iface, err);
	int r;

	if (p == NULL) {
		KEEL_LOG(ERR, pcap_logtype, "%s: iface %s: %s", dev, iface, err);
		return NULL;
	}
	if (pcap_set_snaplen(p, PCAP_SNAPLEN) < 0 ||
	    pcap_set_promisc(p, 1) < 0 ||
	    pcap_set_immediate_mode(p, 1) < 0 ||
	    (r = pcap_activate(p)) < 0 ||
	    pcap_setnonblock(p, 1, err) < 0) {
		KEEL_LOG(ERR, pcap_logtype, "%s: iface %s: %s", dev, iface,
			 pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	if (r > 0)
		KEEL_LOG(WARNING, pcap_logtype, "%s: iface %s: %s", dev, iface,
			 pcap_statustostr(r));
	return p;
}

static int
copy_arg(const char *dev, const struct keel_kvargs *kv, const char *key,
	 char *dst, size_t size)
{
	const char *v = keel_kvargs_get(kv, key);

	if (v == NULL)
		return 0;
	if (strlen(v) >= size || v[0] == '\0') {
		KEEL_LOG(ERR, pcap_logtype, "%s: %s=%s is too long (max %zu)",
			 dev, key, v, size - 1);
		return -EINVAL;
	}
	snprintf(dst, size, "%s", v);
	return 0;
}

static int
parse_args(const char *name, const char *args, struct pcap_priv *pv)
{
	struct keel_kvargs *kv = keel_kvargs_parse(args, pcap_keys);
	uint64_t inf = 0;
	int ret;

	if (kv == NULL)
		return -errno;
	ret = copy_arg(name, kv, "rx_pcap", pv->rx_pcap, sizeof(pv->rx_pcap));
	ret = ret ? ret : copy_arg(name, kv, "tx_pcap", pv->tx_pcap,
				   sizeof(pv->tx_pcap));
	ret = ret ? ret : copy_arg(name, kv, "rx_iface", pv->rx_iface,
				   sizeof(pv->rx_iface));
	ret = ret ? ret : copy_arg(name, kv, "tx_iface", pv->tx_iface,
				   sizeof(pv->tx_iface));
	if (ret == 0 && keel_kvargs_get(kv, "iface") != NULL) {
		if (pv->rx_iface[0] || pv->tx_iface[0]) {
			KEEL_LOG(ERR, pcap_logtype,
				 "%s: iface= and rx_iface=/tx_iface= together",
				 name);
			ret = -EINVAL;
		} else {
			ret = copy_arg(name, kv, "iface", pv->rx_iface,
				       sizeof(pv->rx_iface));
			memcpy(pv->tx_iface, pv->rx_iface,
			       sizeof(pv->tx_iface));
		}
	}
	if (ret == 0) {
		ret = keel_kvargs_get_u64(kv, "infinite_rx", 0, 1, &inf);
		ret = ret == -ENOENT ? 0 : ret;
	}
	keel_kvargs_free(kv);
	if (ret < 0)
		return ret;
	pv->infinite = inf != 0;
	if (pv->rx_pcap[0] && pv->rx_iface[0]) {
		KEEL_LOG(ERR, pcap_logtype,
			 "%s: rx_pcap= and an Rx interface together", name);
		return -EINVAL;
	}
	if (pv->tx_pcap[0] && pv->tx_iface[0]) {
		KEEL_LOG(ERR, pcap_logtype,
			 "%s: tx_pcap= and a Tx interface together", name);
		return -EINVAL;
	}
	if (pv->infinite && !pv->rx_pcap[0]) {
		KEEL_LOG(ERR, pcap_logtype,
			 "%s: infinite_rx=1 needs rx_pcap=FILE", name);
		return -EINVAL;
	}
	return 0;
}

static int
open_all(const char *name, struct pcap_priv *pv)
{
	int ret;

	if (pv->rx_pcap[0]) {
		ret = scan_file(name, pv->rx_pcap, pv->infinite, &pv->cache);
		if (ret < 0)
			return ret;
	}
	if (pv->rx_iface[0]) {
		pv->rx_live = open_live(name, pv->rx_iface);
		if (pv->rx_live == NULL)
			return -ENODEV;
	}
	if (pv->tx_iface[0]) {
		pv->tx_live = strcmp(pv->tx_iface, pv->rx_iface) == 0 ?
			      pv->rx_live : open_live(name, pv->tx_iface);
		if (pv->tx_live == NULL)
			return -ENODEV;
	}
	if (pv->tx_pcap[0]) {
		pv->dead = pcap_open_dead(DLT_EN10MB, PCAP_SNAPLEN);
		if (pv->dead == NULL)
			return -ENOMEM;
		pv->dumper = pcap_dump_open(pv->dead, pv->tx_pcap);
		if (pv->dumper == NULL) {
			KEEL_LOG(ERR, pcap_logtype, "%s: tx_pcap=%s: %s", name,
				 pv->tx_pcap, pcap_geterr(pv->dead));
			return -EINVAL;
		}
	}
	return 0;
}

static int
pcap_probe(const char *name, const char *args)
{
	struct pcap_priv *tmp = calloc(1, sizeof(*tmp));
	struct keel_eth_dev *dev;
	int ret;

	if (tmp == NULL)
		return -ENOMEM;
	ret = parse_args(name, args, tmp);
	if (ret == 0)
		ret = open_all(name, tmp);
	if (ret < 0) {
		priv_free(tmp);
		free(tmp);
		return ret;
	}
	dev = keel_eth_dev_allocate(name, keel_socket_id(), sizeof(*tmp));
	if (dev == NULL) {
		ret = -errno;
		priv_free(tmp);
		free(tmp);
		return ret;
	}
	memcpy(dev->dev_private, tmp, sizeof(*tmp));
	free(tmp);
	dev->driver_name = PCAP_DRIVER;
	snprintf(dev->device_name, sizeof(dev->device_name), "%s", name);
	dev->dev_flags = KEEL_ETH_DEV_INTR_LSC;
	dev->dev_ops = &pcap_ops;
	dev->rx_pkt_burst = pcap_rx;
	dev->tx_pkt_burst = pcap_tx;
	ret = keel_eth_dev_probing_finish(dev);
	if (ret < 0) {
		priv_free(dev->dev_private);
		keel_eth_dev_release_port(dev);
	}
	return ret;
}

static int
pcap_remove(const char *name)
{
	struct keel_eth_dev *dev = keel_eth_dev_get_by_name(name);

	if (dev == NULL)
		return 0;
	return keel_eth_dev_destroy(dev);
}

static struct keel_vdev_driver pcap_driver = {
	.probe = pcap_probe,
	.remove = pcap_remove,
};

KEEL_VDEV_DRIVER_REGISTER(net_pcap, pcap_driver,
	"rx_pcap=<file> tx_pcap=<file> rx_iface=<ifname> tx_iface=<ifname> iface=<ifname> infinite_rx=<0|1>")
