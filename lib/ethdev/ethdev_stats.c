/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Basic and extended statistics.
 *
 * Drivers count per queue in their queue objects (written only by the
 * polling thread) and report raw, monotonic counters; the library sums them
 * and subtracts the baseline taken at the last reset. A reset therefore
 * never writes a counter the fast path owns, and a poller running during a
 * reset loses no packet from the count. Driver xstats are baselined the
 * same way (p->xbase, one value per driver xstat; dropped when the driver's
 * count changes).
 *
 * Generic xstats, in order: rx_good_packets, tx_good_packets,
 * rx_good_bytes, tx_good_bytes, rx_missed_errors, rx_errors, tx_errors,
 * rx_mbuf_allocation_errors, then rx_qN_{packets,bytes,errors} for every
 * Rx queue and tx_qN_{packets,bytes} for every Tx queue, then the driver's.
 *
 * Lock: the library lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ethdev_private.h"

#define N_PORT_XSTATS 8
#define N_RXQ_XSTATS 3
#define N_TXQ_XSTATS 2

static const char *const port_xstat_names[N_PORT_XSTATS] = {
	"rx_good_packets", "tx_good_packets", "rx_good_bytes",
	"tx_good_bytes", "rx_missed_errors", "rx_errors", "tx_errors",
	"rx_mbuf_allocation_errors",
};

/* raw counters of one queue minus its baseline (zero if not set up) */
static void
queue_stats(struct eth_port *p, bool rx, uint16_t q,
	    struct keel_eth_queue_stats *st)
{
	struct eth_queue_lib *ql = rx ? &p->rxq[q] : &p->txq[q];
	void *obj = rx ? p->dev.data.rx_queues[q] : p->dev.data.tx_queues[q];
	struct keel_eth_queue_stats raw = { 0 };

	memset(st, 0, sizeof(*st));
	if (!ql->set_up || obj == NULL ||
	    p->dev.dev_ops->queue_stats_get(&p->dev, obj, rx, &raw) < 0)
		return;
	st->packets = raw.packets - ql->base.packets;
	st->bytes = raw.bytes - ql->base.bytes;
	st->errors = raw.errors - ql->base.errors;
	st->missed = raw.missed - ql->base.missed;
	st->nombuf = raw.nombuf - ql->base.nombuf;
}

static void
port_stats(struct eth_port *p, struct keel_eth_stats *s)
{
	struct keel_eth_queue_stats q;

	memset(s, 0, sizeof(*s));
	for (uint16_t i = 0; i < p->dev.data.nb_rx_queues; i++) {
		queue_stats(p, true, i, &q);
		s->ipackets += q.packets;
		s->ibytes += q.bytes;
		s->ierrors += q.errors;
		s->imissed += q.missed;
		s->rx_nombuf += q.nombuf;
		if (i < KEEL_ETHDEV_QUEUE_STAT_CNTRS) {
			s->q_ipackets[i] = q.packets;
			s->q_ibytes[i] = q.bytes;
			s->q_errors[i] = q.errors;
		}
	}
	for (uint16_t i = 0; i < p->dev.data.nb_tx_queues; i++) {
		queue_stats(p, false, i, &q);
		s->opackets += q.packets;
		s->obytes += q.bytes;
		s->oerrors += q.errors;
		if (i < KEEL_ETHDEV_QUEUE_STAT_CNTRS) {
			s->q_opackets[i] = q.packets;
			s->q_obytes[i] = q.bytes;
		}
	}
}

int
keel_eth_stats_get(uint16_t port_id, struct keel_eth_stats *stats)
{
	struct eth_port *p;

	if (stats == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "stats get port %u: NULL stats", port_id);
		return eth_fail(EINVAL);
	}
	p = eth_port_get_locked(port_id, "stats get");
	if (p == NULL)
		return -ENODEV;
	port_stats(p, stats);
	eth_lock_drop();
	return 0;
}

int
keel_eth_queue_stats_get(uint16_t port_id, uint16_t queue_id, bool is_rx,
			 struct keel_eth_queue_stats *stats)
{
	struct eth_port *p;
	uint16_t nq;

	if (stats == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "queue stats get port %u: NULL stats", port_id);
		return eth_fail(EINVAL);
	}
	p = eth_port_get_locked(port_id, "queue stats get");
	if (p == NULL)
		return -ENODEV;
	nq = is_rx ? p->dev.data.nb_rx_queues : p->dev.data.nb_tx_queues;
	if (queue_id >= nq) {
		eth_lock_drop();
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "queue stats get port %u: %s queue %u >= %u configured",
			 port_id, is_rx ? "Rx" : "Tx", queue_id, nq);
		return eth_fail(EINVAL);
	}
	queue_stats(p, is_rx, queue_id, stats);
	eth_lock_drop();
	return 0;
}

/* number of driver xstats (0 without the ops) */
static unsigned int
drv_count(struct eth_port *p)
{
	const struct keel_eth_dev_ops *o = p->dev.dev_ops;
	int n;

	if (o->xstats_get_names == NULL || o->xstats_get == NULL)
		return 0;
	n = o->xstats_get_names(&p->dev, NULL, 0);
	return n > 0 ? (unsigned int)n : 0;
}

/* raw driver values into @p v (n of them); 0 or -errno */
static int
drv_values(struct eth_port *p, uint64_t *v, unsigned int n)
{
	int got;

	if (n == 0)
		return 0;
	got = p->dev.dev_ops->xstats_get(&p->dev, v, n);
	if (got < 0)
		return got;
	if ((unsigned int)got != n) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "xstats %s: driver gave %d values for %u names",
			 p->dev.name, got, n);
		return -EIO;
	}
	return 0;
}

static unsigned int
generic_count(const struct eth_port *p)
{
	return N_PORT_XSTATS + N_RXQ_XSTATS * p->dev.data.nb_rx_queues +
	       N_TXQ_XSTATS * p->dev.data.nb_tx_queues;
}

int
keel_eth_xstats_get_names(uint16_t port_id,
			  struct keel_eth_xstat_name *names, unsigned int size)
{
	struct eth_port *p = eth_port_get_locked(port_id, "xstats get names");
	unsigned int total, k = 0, nd;
	int ret;

	if (p == NULL)
		return -ENODEV;
	nd = drv_count(p);
	total = generic_count(p) + nd;
	if (names == NULL || size < total) {
		eth_lock_drop();
		return (int)total;
	}
	for (int i = 0; i < N_PORT_XSTATS; i++)
		snprintf(names[k++].name, KEEL_ETH_XSTATS_NAME_SIZE, "%s",
			 port_xstat_names[i]);
	for (uint16_t q = 0; q < p->dev.data.nb_rx_queues; q++) {
		snprintf(names[k++].name, KEEL_ETH_XSTATS_NAME_SIZE,
			 "rx_q%u_packets", q);
		snprintf(names[k++].name, KEEL_ETH_XSTATS_NAME_SIZE,
			 "rx_q%u_bytes", q);
		snprintf(names[k++].name, KEEL_ETH_XSTATS_NAME_SIZE,
			 "rx_q%u_errors", q);
	}
	for (uint16_t q = 0; q < p->dev.data.nb_tx_queues; q++) {
		snprintf(names[k++].name, KEEL_ETH_XSTATS_NAME_SIZE,
			 "tx_q%u_packets", q);
		snprintf(names[k++].name, KEEL_ETH_XSTATS_NAME_SIZE,
			 "tx_q%u_bytes", q);
	}
	if (nd > 0) {
		ret = p->dev.dev_ops->xstats_get_names(&p->dev, names + k, nd);
		if (ret != (int)nd) {
			eth_lock_drop();
			KEEL_LOG(ERR, keel_logtype_ethdev,
				 "xstats names %s: driver gave %d names, said %u",
				 p->dev.name, ret, nd);
			return eth_fail(EIO);
		}
	}
	eth_lock_drop();
	return (int)total;
}

/* every xstat value into @p v (generic_count + nd entries) */
static int
all_values(struct eth_port *p, uint64_t *v, unsigned int nd)
{
	struct keel_eth_queue_stats q;
	struct keel_eth_stats s;
	unsigned int k = 0;
	int ret;

	port_stats(p, &s);
	v[k++] = s.ipackets;
	v[k++] = s.opackets;
	v[k++] = s.ibytes;
	v[k++] = s.obytes;
	v[k++] = s.imissed;
	v[k++] = s.ierrors;
	v[k++] = s.oerrors;
	v[k++] = s.rx_nombuf;
	for (uint16_t i = 0; i < p->dev.data.nb_rx_queues; i++) {
		queue_stats(p, true, i, &q);
		v[k++] = q.packets;
		v[k++] = q.bytes;
		v[k++] = q.errors;
	}
	for (uint16_t i = 0; i < p->dev.data.nb_tx_queues; i++) {
		queue_stats(p, false, i, &q);
		v[k++] = q.packets;
		v[k++] = q.bytes;
	}
	ret = drv_values(p, v + k, nd);
	if (ret < 0)
		return ret;
	if (nd > 0 && p->n_xbase == nd)
		for (unsigned int i = 0; i < nd; i++)
			v[k + i] -= p->xbase[i];
	return 0;
}

int
keel_eth_xstats_get(uint16_t port_id, struct keel_eth_xstat *xstats,
		    unsigned int n)
{
	struct eth_port *p = eth_port_get_locked(port_id, "xstats get");
	unsigned int total, nd;
	uint64_t *v;
	int ret;

	if (p == NULL)
		return -ENODEV;
	nd = drv_count(p);
	total = generic_count(p) + nd;
	if (xstats == NULL || n < total) {
		eth_lock_drop();
		return (int)total;
	}
	v = malloc(total * sizeof(*v));
	if (v == NULL) {
		eth_lock_drop();
		return eth_fail(ENOMEM);
	}
	ret = all_values(p, v, nd);
	eth_lock_drop();
	if (ret == 0)
		for (unsigned int i = 0; i < total; i++) {
			xstats[i].id = i;
			xstats[i].value = v[i];
		}
	free(v);
	return ret < 0 ? ret : (int)total;
}

int
keel_eth_xstats_get_id_by_name(uint16_t port_id, const char *xstat_name,
			       uint64_t *id)
{
	struct keel_eth_xstat_name *names;
	int n, ret = -ENOENT;

	if (xstat_name == NULL || id == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "xstats id by name port %u: NULL argument", port_id);
		return eth_fail(EINVAL);
	}
	n = keel_eth_xstats_get_names(port_id, NULL, 0);
	if (n < 0)
		return n;
	names = calloc((size_t)n + 1, sizeof(*names));
	if (names == NULL)
		return eth_fail(ENOMEM);
	n = keel_eth_xstats_get_names(port_id, names, (unsigned int)n);
	for (int i = 0; i < n; i++)
		if (strcmp(names[i].name, xstat_name) == 0) {
			*id = (uint64_t)i;
			ret = 0;
			break;
		}
	free(names);
	if (n < 0)
		return n;
	if (ret < 0)
		errno = ENOENT;
	return ret;
}

int
keel_eth_xstats_get_by_id(uint16_t port_id, const uint64_t *ids,
			  uint64_t *values, unsigned int size)
{
	struct eth_port *p = eth_port_get_locked(port_id, "xstats get by id");
	unsigned int total, nd;
	uint64_t *v;
	int ret;

	if (p == NULL)
		return -ENODEV;
	nd = drv_count(p);
	total = generic_count(p) + nd;
	if (values == NULL || (ids == NULL && size < total)) {
		eth_lock_drop();
		return (int)total;
	}
	for (unsigned int i = 0; ids != NULL && i < size; i++)
		if (ids[i] >= total) {
			eth_lock_drop();
			KEEL_LOG(ERR, keel_logtype_ethdev,
				 "xstats get by id port %u: id %llu >= %u statistics",
				 port_id, (unsigned long long)ids[i], total);
			return eth_fail(EINVAL);
		}
	v = malloc(total * sizeof(*v));
	if (v == NULL) {
		eth_lock_drop();
		return eth_fail(ENOMEM);
	}
	ret = all_values(p, v, nd);
	eth_lock_drop();
	if (ret == 0) {
		if (ids == NULL) {
			memcpy(values, v, total * sizeof(*v));
			ret = (int)total;
		} else {
			for (unsigned int i = 0; i < size; i++)
				values[i] = v[ids[i]];
			ret = (int)size;
		}
	}
	free(v);
	return ret;
}

static int
reset(uint16_t port_id, const char *fn)
{
	struct eth_port *p = eth_port_get_locked(port_id, fn);
	struct keel_eth_queue_stats raw;
	unsigned int nd;
	uint64_t *nb;
	int ret = 0;

	if (p == NULL)
		return -ENODEV;
	for (int rx = 0; rx < 2; rx++) {
		uint16_t nq = rx ? p->dev.data.nb_rx_queues :
				   p->dev.data.nb_tx_queues;

		for (uint16_t q = 0; q < nq; q++) {
			struct eth_queue_lib *ql = rx ? &p->rxq[q] : &p->txq[q];
			void *obj = rx ? p->dev.data.rx_queues[q] :
					 p->dev.data.tx_queues[q];

			memset(&raw, 0, sizeof(raw));
			if (ql->set_up && obj != NULL &&
			    p->dev.dev_ops->queue_stats_get(&p->dev, obj, rx,
							    &raw) == 0)
				ql->base = raw;
		}
	}
	nd = drv_count(p);
	if (nd > 0) {
		nb = calloc(nd, sizeof(*nb));
		if (nb == NULL) {
			ret = -ENOMEM;
		} else if ((ret = drv_values(p, nb, nd)) == 0) {
			free(p->xbase);
			p->xbase = nb;
			p->n_xbase = nd;
		} else {
			free(nb);
		}
	}
	eth_lock_drop();
	if (ret < 0)
		errno = -ret;
	return ret;
}

int
keel_eth_stats_reset(uint16_t port_id)
{
	return reset(port_id, "stats reset");
}

int
keel_eth_xstats_reset(uint16_t port_id)
{
	return reset(port_id, "xstats reset");
}

void
eth_stats_forget(struct eth_port *p)
{
	free(p->xbase);
	p->xbase = NULL;
	p->n_xbase = 0;
}
