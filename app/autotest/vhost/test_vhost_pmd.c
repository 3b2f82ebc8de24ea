/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_vhost <-> net_virtio_user in one process: two ethdev ports, one on
 * each side of a vhost-user socket. Packets both ways with their bytes
 * intact (split and packed rings, mergeable buffers on and off, packets
 * of one and several mbufs), the link following the connection, queue
 * events, the server/client roles swapped, a stop/start of the front-end
 * (the back-end sees the device go and come back).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keel_dmadev.h"
#include "keel_eal.h"
#include "keel_eth_vhost.h"
#include "keel_ethdev.h"
#include "keel_mbuf.h"
#include "keel_vdev.h"
#include "keel_vhost.h"
#include "test.h"
#include "test_util.h"
#include "vhost_test_fe.h"

#ifndef VIRTIO_F_IN_ORDER
#define VIRTIO_F_IN_ORDER 35     /* virtio 1.2, 6: reserved feature bits */
#endif

static struct keel_mempool *pool;

static int
port_up(const char *name, uint16_t nq, uint16_t *port)
{
	struct keel_eth_conf conf;
	uint16_t q;

	memset(&conf, 0, sizeof(conf));
	if (keel_eth_dev_get_port_by_name(name, port) != 0 ||
	    keel_eth_dev_configure(*port, nq, nq, &conf) != 0)
		return -1;
	for (q = 0; q < nq; q++)
		if (keel_eth_rx_queue_setup(*port, q, 256, 0, NULL, pool) != 0 ||
		    keel_eth_tx_queue_setup(*port, q, 256, 0, NULL) != 0)
			return -1;
	return keel_eth_dev_start(*port);
}

static int
link_up(uint16_t port, int want)
{
	struct keel_eth_link l;
	int i;

	for (i = 0; i < 500; i++) {
		keel_eth_link_get_nowait(port, &l);
		if (l.link_status == want)
			return 1;
		usleep(10000);
	}
	return 0;
}

static uint8_t
pat(uint32_t seed, uint32_t i)
{
	return (uint8_t)(seed * 17 + i * 5 + (i >> 9));
}

static struct keel_mbuf *
pkt(uint32_t len, uint32_t seed)
{
	struct keel_mbuf *head = NULL;
	uint32_t off = 0;

	while (off < len) {
		struct keel_mbuf *m = keel_pktmbuf_alloc(pool);
		uint32_t n = len - off < 1500 ? len - off : 1500, i;
		uint8_t *p;

		if (m == NULL)
			return NULL;
		p = (uint8_t *)keel_pktmbuf_append(m, (uint16_t)n);
		for (i = 0; i < n; i++)
			p[i] = pat(seed, off + i);
		off += n;
		if (head == NULL)
			head = m;
		else
			keel_pktmbuf_chain(head, m);
	}
	return head;
}

static int
intact(const struct keel_mbuf *m, uint32_t len, uint32_t seed)
{
	uint32_t off = 0, i;

	if (m->pkt_len != len)
		return 0;
	for (; m != NULL; m = m->next) {
		const uint8_t *p = keel_pktmbuf_mtod(m, const uint8_t *);

		for (i = 0; i < m->data_len; i++)
			if (p[i] != pat(seed, off + i))
				return 0;
		off += m->data_len;
	}
	return off == len;
}

/* send n packets from port a to port b (queue q), check them */
static int
flow(uint16_t a, uint16_t b, uint16_t q, unsigned int n, int big)
{
	static const uint32_t sizes[] = { 60, 1514, 64, 1000, 4000, 9000 };
	unsigned int sent = 0, got = 0, tries = 0, nsz = big ? 6 : 4;
	struct keel_mbuf *rx[32];

	while ((sent < n || got < sent) && tries++ < 20000) {
		if (sent < n) {
			struct keel_mbuf *m = pkt(sizes[sent % nsz], sent);

			TEST_ASSERT(m != NULL, "mbuf");
			if (keel_eth_tx_burst(a, q, &m, 1) == 1)
				sent++;
			else
				keel_pktmbuf_free(m);
		}
		uint16_t k, r = keel_eth_rx_burst(b, q, rx, 32);

		for (k = 0; k < r; k++) {
			TEST_ASSERT(intact(rx[k], sizes[got % nsz], got),
				    "packet %u (%u bytes, got %u) intact", got,
				    sizes[got % nsz], rx[k]->pkt_len);
			keel_pktmbuf_free(rx[k]);
			got++;
		}
		if (r == 0)
			usleep(100);
	}
	TEST_ASSERT_EQUAL(got, n, "every packet arrived (%u sent)", sent);
	return TEST_SUCCESS;
}

/* extra: more net_vhost arguments (",dmas=[...]"); vu_extra: more
 * net_virtio_user arguments (",in_order=0") */
static int
pair_args2(int packed, int mrg, int server_fe, const char *extra,
	   const char *vu_extra)
{
	char path[108], vh_args[300], vu_args[200];
	uint16_t pv, pu;
	struct keel_eth_vhost_queue_event ev;
	uint64_t features;
	int nev = 0, r;

	pool = keel_pktmbuf_pool_create("vt_pmd", 4095, 64, 0,
					KEEL_MBUF_DEFAULT_BUF_SIZE,
					KEEL_SOCKET_ID_ANY);
	TEST_ASSERT(pool != NULL, "pool");
	vt_fe_path(path, sizeof(path), "pmd");
	snprintf(vh_args, sizeof(vh_args), "iface=%s,queues=2%s%s", path,
		 server_fe ? ",client=1" : "", extra);
	snprintf(vu_args, sizeof(vu_args), "path=%s,queues=2,packed_vq=%d,"
		 "mrg_rxbuf=%d%s%s", path, packed, mrg,
		 server_fe ? ",server=1" : "", vu_extra);
	if (server_fe) {
		TEST_ASSERT_SUCCESS(keel_vdev_create("net_virtio_user0", vu_args),
				    "virtio_user (server)");
		TEST_ASSERT_SUCCESS(keel_vdev_create("net_vhost0", vh_args),
				    "vhost (client)");
	} else {
		TEST_ASSERT_SUCCESS(keel_vdev_create("net_vhost0", vh_args),
				    "vhost");
		TEST_ASSERT_SUCCESS(keel_vdev_create("net_virtio_user0", vu_args),
				    "virtio_user");
	}
	TEST_ASSERT_SUCCESS(port_up("net_vhost0", 2, &pv), "vhost port");
	TEST_ASSERT_SUCCESS(port_up("net_virtio_user0", 2, &pu), "vu port");
	TEST_ASSERT(link_up(pv, 1) && link_up(pu, 1), "links up");
	TEST_ASSERT(keel_eth_vhost_get_vid_from_port_id(pv) >= 0, "vid");
	/* net_virtio_user asks for IN_ORDER with packed rings unless told
	 * not to (its split driver has no in-order path) */
	TEST_ASSERT_SUCCESS(keel_vhost_get_negotiated_features(
		keel_eth_vhost_get_vid_from_port_id(pv), &features), "features");
	TEST_ASSERT_EQUAL((int)((features >> VIRTIO_F_IN_ORDER) & 1),
			  packed && strstr(vu_extra, "in_order=0") == NULL,
			  "IN_ORDER negotiated (features 0x%" PRIx64 ")",
			  features);
	while (keel_eth_vhost_get_queue_event(pv, &ev) == 0)
		nev += ev.enable;
	TEST_ASSERT_EQUAL(nev, 4, "four queues reported enabled");
	/* more than a ring of 256: Tx slots must come back */
	r = flow(pu, pv, 0, 600, mrg);
	if (r != TEST_SUCCESS)
		return r;
	r = flow(pv, pu, 0, 200, mrg);
	if (r != TEST_SUCCESS)
		return r;
	r = flow(pv, pu, 1, 50, mrg);
	if (r != TEST_SUCCESS)
		return r;
	/* the front-end goes and comes back */
	TEST_ASSERT_SUCCESS(keel_eth_dev_stop(pu), "stop vu");
	TEST_ASSERT(link_up(pv, 0), "vhost link down after the front-end left");
	TEST_ASSERT_SUCCESS(keel_eth_dev_start(pu), "start vu");
	TEST_ASSERT(link_up(pv, 1) && link_up(pu, 1), "links up again");
	r = flow(pu, pv, 1, 100, mrg);
	if (r != TEST_SUCCESS)
		return r;
	TEST_ASSERT_SUCCESS(keel_eth_dev_close(pu), "close vu");
	TEST_ASSERT_SUCCESS(keel_eth_dev_close(pv), "close vhost");
	keel_mempool_free(pool);
	return TEST_SUCCESS;
}

static int
pair_args(int packed, int mrg, int server_fe, const char *extra)
{
	return pair_args2(packed, mrg, server_fe, extra, "");
}

static int
pair(int packed, int mrg, int server_fe)
{
	return pair_args(packed, mrg, server_fe, "");
}

/* net_vhost with async queues (dmas=) on dma_soft behind the emulated
 * IOMMU: the same flows, the front-end's stop/start with copies about */
static int
pair_async(int packed, int mrg)
{
	int ret = test_eal_init_str("--no-huge -m 64 --iommu emulated "
				    "--vdev dma_soft7,mode=inline "
				    "--vdev dma_soft8,mode=inline");

	TEST_ASSERT(ret >= 0, "EAL init: %s", strerror(-ret));
	ret = pair_args(packed, mrg, 0, ",dmas=[txq0@dma_soft7;rxq0@dma_soft8;"
			"txq1@dma_soft8],dma-threshold=128");
	if (ret == TEST_SUCCESS) {
		static const char *const names[] = { "dma_soft7", "dma_soft8",
						      "dma_soft8" };
		struct keel_dma_stats st;
		int i;

		/* each vchan copied packets, none failed (dma_soft8 serves
		 * rxq0 on vchan 0 and txq1 on vchan 1) */
		for (i = 0; i < 3; i++) {
			int id = keel_dma_get_dev_id_by_name(names[i]);

			TEST_ASSERT(id >= 0 && keel_dma_stats_get((int16_t)id,
				    (uint16_t)(i == 2), &st) == 0, "%s stats",
				    names[i]);
			TEST_ASSERT(st.completed > 0 && st.errors == 0,
				    "%s: %" PRIu64 " copies, %" PRIu64 " errors",
				    names[i], st.completed, st.errors);
		}
	}
	keel_vdev_remove("dma_soft7");
	keel_vdev_remove("dma_soft8");
	if (keel_eal_cleanup() != 0)
		return TEST_FAILED;
	return ret;
}

static int t_async_split(void) { return pair_async(0, 0); }
static int t_async_packed_mrg(void) { return pair_async(1, 1); }
KEEL_TEST(vhost_pmd_async_split, "fast", TEST_NO_EAL, t_async_split)
KEEL_TEST(vhost_pmd_async_packed_mrg, "fast", TEST_NO_EAL, t_async_packed_mrg)

static int t_split(void) { return pair(0, 0, 0); }
static int t_split_mrg(void) { return pair(0, 1, 0); }
static int t_packed(void) { return pair(1, 0, 0); }
static int t_packed_mrg(void) { return pair(1, 1, 1); }
static int t_packed_ooo(void) { return pair_args2(1, 1, 0, "", ",in_order=0"); }
KEEL_TEST(vhost_pmd_split, "fast", 0, t_split)
KEEL_TEST(vhost_pmd_split_mrg, "fast", 0, t_split_mrg)
KEEL_TEST(vhost_pmd_packed, "fast", 0, t_packed)
KEEL_TEST(vhost_pmd_packed_mrg_server, "fast", 0, t_packed_mrg)
KEEL_TEST(vhost_pmd_packed_not_in_order, "fast", 0, t_packed_ooo)

/* a bad mem_regions= value is refused, named in the log, with no port left */
static int
t_vu_bad_mem_regions(void)
{
	char path[108], args[200], *log;
	uint16_t port;
	int ret;

	vt_fe_path(path, sizeof(path), "badmem");
	snprintf(args, sizeof(args), "path=%s,mem_regions=some", path);
	test_log_capture_start();
	ret = keel_vdev_create("net_virtio_user0", args);
	log = test_log_capture_stop();
	TEST_ASSERT_EQUAL(ret, -EINVAL, "mem_regions=some refused");
	TEST_ASSERT(strstr(log, "some") != NULL, "log names the value: %s",
		    log);
	free(log);
	TEST_ASSERT(keel_eth_dev_get_port_by_name("net_virtio_user0",
						  &port) != 0, "no port");
	/* in_order is 0 or 1 */
	snprintf(args, sizeof(args), "path=%s,packed_vq=1,in_order=2", path);
	test_log_capture_start();
	ret = keel_vdev_create("net_virtio_user0", args);
	log = test_log_capture_stop();
	TEST_ASSERT_EQUAL(ret, -EINVAL, "in_order=2 refused");
	TEST_ASSERT(strstr(log, "in_order") != NULL, "log names the key: %s",
		    log);
	free(log);
	TEST_ASSERT(keel_eth_dev_get_port_by_name("net_virtio_user0",
						  &port) != 0, "no port");
	return TEST_SUCCESS;
}
KEEL_TEST(vhost_pmd_bad_mem_regions, "fast", 0, t_vu_bad_mem_regions)
