/* SPDX-License-Identifier: BSD-3-Clause */
/* The in-process testpmd of the testpmd tests (see tpt_env.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel_eth_ring.h>
#include <keel_ethdev.h>

#include "test.h"
#include "tpt_env.h"

int
tpt_setup(struct tpt_env *e, unsigned int nb_ports, const char *engine)
{
	memset(e, 0, sizeof(*e));
	tp_defaults();
	tp.engine = tp_engine_find(engine);
	TEST_ASSERT(tp.engine != NULL, "engine %s", engine);
	tp.total_num_mbufs = 4096;
	if (tp_check_args_after_init() < 0)
		return keel_test_skip("testpmd needs a worker lcore (-l 0-1)");
	for (unsigned int i = 0; i < nb_ports; i++) {
		char name[32];
		int port;

		snprintf(name, sizeof(name), "tpt_rx%u", i);
		e->rx[i] = keel_ring_create(name, 1024, KEEL_SOCKET_ID_ANY,
					    KEEL_RING_F_SP_ENQ |
					    KEEL_RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "tpt_tx%u", i);
		e->tx[i] = keel_ring_create(name, 4096, KEEL_SOCKET_ID_ANY,
					    KEEL_RING_F_SP_ENQ |
					    KEEL_RING_F_SC_DEQ);
		TEST_ASSERT(e->rx[i] != NULL && e->tx[i] != NULL, "rings");
		snprintf(name, sizeof(name), "net_tpt%u", i);
		port = keel_eth_from_rings(name, &e->rx[i], 1, &e->tx[i], 1, 0);
		TEST_ASSERT(port >= 0, "ring port %u: %s", i, strerror(errno));
		e->port[i] = (uint16_t)port;
		e->nb_ports = i + 1;
	}
	TEST_ASSERT_SUCCESS(tp_ports_init(), "testpmd ports");
	TEST_ASSERT_EQUAL(tp.nb_fwd_ports, nb_ports, "forwarding ports");
	return TEST_SUCCESS;
}

static void
ring_drain(struct keel_ring *r)
{
	void *objs[64];
	unsigned int n;

	while (r != NULL &&
	       (n = keel_ring_dequeue_burst(r, objs, 64, NULL)) > 0)
		keel_pktmbuf_free_bulk((struct keel_mbuf **)objs, n);
}

void
tpt_teardown(struct tpt_env *e)
{
	if (tp.fwd_running)
		tp_stop();
	for (unsigned int i = 0; i < e->nb_ports; i++) {
		ring_drain(e->rx[i]);
		ring_drain(e->tx[i]);
	}
	tp_ports_close_all();
	free(tp.streams);
	tp.streams = NULL;
	for (unsigned int i = 0; i < TPT_MAX_PORTS; i++) {
		keel_ring_free(e->rx[i]);
		keel_ring_free(e->tx[i]);
	}
	memset(e, 0, sizeof(*e));
}

struct keel_mbuf *
tpt_pkt(const void *data, uint16_t len, uint32_t seed)
{
	struct keel_mbuf *m = keel_pktmbuf_alloc(tp.pool);
	uint8_t *d;

	if (m == NULL || keel_pktmbuf_append(m, len) == NULL) {
		keel_pktmbuf_free(m);
		return NULL;
	}
	d = keel_pktmbuf_mtod(m, uint8_t *);
	if (data != NULL)
		memcpy(d, data, len);
	else
		for (uint16_t i = 0; i < len; i++)
			d[i] = (uint8_t)(seed * 131u + i * 7u + (i >> 8));
	return m;
}

int
tpt_inject(struct tpt_env *e, unsigned int i, struct keel_mbuf **m,
	   unsigned int n)
{
	return keel_ring_enqueue_bulk(e->rx[i], (void **)m, n, NULL) == n ?
	       0 : -1;
}

unsigned int
tpt_wait_tx(struct tpt_env *e, unsigned int i, unsigned int n)
{
	uint64_t end = keel_get_tsc_cycles() + 5 * keel_get_tsc_hz();

	while (keel_ring_count(e->tx[i]) < n && keel_get_tsc_cycles() < end)
		keel_delay_us_sleep(1000);
	return keel_ring_count(e->tx[i]);
}

unsigned int
tpt_collect(struct tpt_env *e, unsigned int i, struct keel_mbuf **m,
	    unsigned int max)
{
	return keel_ring_dequeue_burst(e->tx[i], (void **)m, max, NULL);
}

#define SUM(field) \
	uint64_t s = 0; \
	for (unsigned int i = 0; i < tp.nb_streams; i++) \
		s += tp.streams[i].field; \
	return s

uint64_t tpt_sum_rx(void) { SUM(rx_packets); }
uint64_t tpt_sum_tx(void) { SUM(tx_packets); }
uint64_t tpt_sum_dropped(void) { SUM(fwd_dropped); }
uint64_t tpt_sum_bad(void) { SUM(rx_bad); }
