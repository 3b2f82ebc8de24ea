/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel-testpmd's plain engines over ring ports the test owns: what is
 * injected on a port comes out where the engine says, counted, with the
 * bytes the engine should have written and nothing else changed; generated
 * packets are well formed; nothing leaks from the pool.
 */
#include <stdlib.h>

#include "fwd_engines.h"
#include "test.h"
#include "tpt_env.h"

#define NPKT 100

/* Every mbuf is back in the pool (nothing leaked or held). */
static int
pool_full(void)
{
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(tp.pool), tp.pool->size,
			  "mbufs back in the pool");
	return TEST_SUCCESS;
}

static int
test_testpmd_io(void)
{
	struct tpt_env e;
	struct keel_mbuf *in0[NPKT], *in1[NPKT / 2], *out[NPKT];
	int ret = tpt_setup(&e, 2, "io");

	if (ret != TEST_SUCCESS)
		return ret;
	for (unsigned int i = 0; i < NPKT; i++)
		in0[i] = tpt_pkt(NULL, (uint16_t)(60 + i * 13), i);
	for (unsigned int i = 0; i < NPKT / 2; i++)
		in1[i] = tpt_pkt(NULL, 64, 1000 + i);
	TEST_ASSERT_SUCCESS(tpt_inject(&e, 0, in0, NPKT), "inject 0");
	TEST_ASSERT_SUCCESS(tpt_inject(&e, 1, in1, NPKT / 2), "inject 1");
	TEST_ASSERT_SUCCESS(tp_start(0), "start");
	for (unsigned int s = 0; s < tp.nb_streams; s++)
		TEST_ASSERT(tp.streams[s].last_tsc >= tp.fwd_start_tsc -
			    keel_get_tsc_hz(), "stream %u: the one start set "
			    "up is the one running", s);
	TEST_ASSERT_EQUAL(tpt_wait_tx(&e, 1, NPKT), NPKT, "port 0 -> 1");
	TEST_ASSERT_EQUAL(tpt_wait_tx(&e, 0, NPKT / 2), NPKT / 2, "1 -> 0");
	TEST_ASSERT_SUCCESS(tp_stop(), "stop");
	TEST_ASSERT_EQUAL(tpt_sum_rx(), NPKT + NPKT / 2, "stream rx");
	TEST_ASSERT_EQUAL(tpt_sum_tx(), NPKT + NPKT / 2, "stream tx");
	TEST_ASSERT_EQUAL(tpt_sum_dropped(), 0, "dropped");
	TEST_ASSERT_EQUAL(tpt_collect(&e, 1, out, NPKT), NPKT, "collect");
	for (unsigned int i = 0; i < NPKT; i++) {
		/* the same mbufs, in order, untouched */
		TEST_ASSERT(out[i] == in0[i], "packet %u in order", i);
		TEST_ASSERT_EQUAL(out[i]->pkt_len, 60 + i * 13, "length %u", i);
		for (uint32_t b = 0; b < out[i]->pkt_len; b++)
			TEST_ASSERT_EQUAL(keel_pktmbuf_mtod(out[i], uint8_t *)[b],
				(uint8_t)(i * 131u + b * 7u + (b >> 8)),
				"packet %u byte %u", i, b);
	}
	keel_pktmbuf_free_bulk(out, NPKT);
	TEST_ASSERT_EQUAL(tpt_collect(&e, 0, out, NPKT), NPKT / 2, "collect");
	keel_pktmbuf_free_bulk(out, NPKT / 2);
	ret = pool_full();
	tpt_teardown(&e);
	return ret;
}
KEEL_TEST(testpmd_io, "fast", 0, test_testpmd_io)

/* mac then macswap: only the 12 address bytes change. */
static int
run_mac_engine(const char *engine)
{
	static const struct keel_ether_addr peer = {
		{ 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 } };
	struct tpt_env e;
	struct keel_mbuf *in[NPKT], *out[NPKT];
	uint8_t orig[NPKT][128];
	int ret = tpt_setup(&e, 2, engine);

	if (ret != TEST_SUCCESS)
		return ret;
	tp_port_set_peer(e.port[1], &peer);
	for (unsigned int i = 0; i < NPKT; i++) {
		in[i] = tpt_pkt(NULL, 128, i);
		memcpy(orig[i], keel_pktmbuf_mtod(in[i], void *), 128);
	}
	TEST_ASSERT_SUCCESS(tpt_inject(&e, 0, in, NPKT), "inject");
	TEST_ASSERT_SUCCESS(tp_start(0), "start %s", engine);
	TEST_ASSERT_EQUAL(tpt_wait_tx(&e, 1, NPKT), NPKT, "forwarded");
	TEST_ASSERT_SUCCESS(tp_stop(), "stop");
	TEST_ASSERT_EQUAL(tpt_collect(&e, 1, out, NPKT), NPKT, "collect");
	for (unsigned int i = 0; i < NPKT; i++) {
		const uint8_t *d = keel_pktmbuf_mtod(out[i], const uint8_t *);

		if (strcmp(engine, "mac") == 0) {
			TEST_ASSERT(memcmp(d, peer.addr_bytes, 6) == 0,
				    "dst = peer, packet %u", i);
			TEST_ASSERT(memcmp(d + 6, tp.ports[e.port[1]].mac.addr_bytes,
					   6) == 0, "src = port 1, packet %u", i);
		} else {
			TEST_ASSERT(memcmp(d, orig[i] + 6, 6) == 0 &&
				    memcmp(d + 6, orig[i], 6) == 0,
				    "addresses swapped, packet %u", i);
		}
		TEST_ASSERT(memcmp(d + 12, orig[i] + 12, 128 - 12) == 0,
			    "rest untouched, packet %u", i);
	}
	keel_pktmbuf_free_bulk(out, NPKT);
	ret = pool_full();
	tpt_teardown(&e);
	return ret;
}

static int
test_testpmd_mac(void)
{
	int ret = run_mac_engine("mac");

	return ret != TEST_SUCCESS ? ret : run_mac_engine("macswap");
}
KEEL_TEST(testpmd_mac, "fast", 0, test_testpmd_mac)

/* A generated packet: headers as fwd_pkt.c promises, checksum valid. */
static int
check_generated(struct keel_mbuf *m, uint16_t txport, uint32_t len,
		unsigned int nb_segs)
{
	const struct fwd_udp_pkt_hdr *h =
		keel_pktmbuf_mtod(m, const struct fwd_udp_pkt_hdr *);

	TEST_ASSERT_EQUAL(m->pkt_len, len, "length");
	TEST_ASSERT_EQUAL(m->nb_segs, nb_segs, "segments");
	TEST_ASSERT(keel_is_same_ether_addr(&h->eth.dst_addr,
					    &tp.ports[txport].peer), "dst MAC");
	TEST_ASSERT(keel_is_same_ether_addr(&h->eth.src_addr,
					    &tp.ports[txport].mac), "src MAC");
	TEST_ASSERT_EQUAL(tp_ntohs(h->eth.ether_type), KEEL_ETHER_TYPE_IPV4,
			  "IPv4");
	TEST_ASSERT_EQUAL(tp_cksum_fold(tp_cksum_add(&h->ip, 20, 0)), 0,
			  "IPv4 header checksum");
	TEST_ASSERT_EQUAL(tp_ntohs(h->ip.total_length), len - 14, "IP length");
	TEST_ASSERT_EQUAL(tp_ntohs(h->udp.dgram_len), len - 34, "UDP length");
	TEST_ASSERT_EQUAL(tp_ntohs(h->udp.dst_port), 9, "UDP port");
	return TEST_SUCCESS;
}

static int
test_testpmd_gen(void)
{
	struct tpt_env e;
	struct keel_mbuf *in[NPKT], *out[256];
	unsigned int n, flows = 0;
	uint32_t seen[1024] = { 0 };
	int ret = tpt_setup(&e, 2, "rxonly");

	if (ret != TEST_SUCCESS)
		return ret;
	/* rxonly: everything received and freed, nothing sent */
	for (unsigned int i = 0; i < NPKT; i++)
		in[i] = tpt_pkt(NULL, 64, i);
	TEST_ASSERT_SUCCESS(tpt_inject(&e, 0, in, NPKT), "inject");
	TEST_ASSERT_SUCCESS(tp_start(0), "start rxonly");
	for (int t = 0; t < 5000 && tpt_sum_rx() < NPKT; t++)
		keel_delay_us_sleep(1000);
	TEST_ASSERT_SUCCESS(tp_stop(), "stop");
	TEST_ASSERT_EQUAL(tpt_sum_rx(), NPKT, "received");
	TEST_ASSERT_EQUAL(keel_ring_count(e.tx[0]) + keel_ring_count(e.tx[1]),
			  0, "sent nothing");
	if ((ret = pool_full()) != TEST_SUCCESS)
		goto out;

	/* txonly: two segments, 64 + 100 bytes */
	tp.engine = tp_engine_find("txonly");
	TEST_ASSERT_SUCCESS(tp_parse_txpkts("64,100"), "txpkts");
	TEST_ASSERT_SUCCESS(tp_start(0), "start txonly");
	TEST_ASSERT(tpt_wait_tx(&e, 1, 64) >= 64, "txonly sent");
	TEST_ASSERT_SUCCESS(tp_stop(), "stop");
	n = tpt_collect(&e, 1, out, 64);
	for (unsigned int i = 0; i < n; i++) {
		ret = check_generated(out[i], e.port[1], 164, 2);
		if (ret != TEST_SUCCESS) {
			printf("  txonly packet %u\n", i);
			goto out;
		}
		TEST_ASSERT_EQUAL(out[i]->next->data_len, 100, "segment 2");
	}
	keel_pktmbuf_free_bulk(out, n);
	while ((n = tpt_collect(&e, 1, out, 256)) > 0)
		keel_pktmbuf_free_bulk(out, n);
	while ((n = tpt_collect(&e, 0, out, 256)) > 0)
		keel_pktmbuf_free_bulk(out, n);

	/* flowgen: many flows, each packet its own checksum; Rx is freed */
	tp.engine = tp_engine_find("flowgen");
	TEST_ASSERT_SUCCESS(tp_parse_txpkts("80"), "txpkts");
	for (unsigned int i = 0; i < NPKT; i++)
		in[i] = tpt_pkt(NULL, 64, i);
	TEST_ASSERT_SUCCESS(tpt_inject(&e, 1, in, NPKT), "inject");
	TEST_ASSERT_SUCCESS(tp_start(0), "start flowgen");
	TEST_ASSERT(tpt_wait_tx(&e, 1, 256) >= 256, "flowgen sent");
	for (int t = 0; t < 5000 && tpt_sum_rx() < NPKT; t++)
		keel_delay_us_sleep(1000);
	TEST_ASSERT_SUCCESS(tp_stop(), "stop");
	TEST_ASSERT_EQUAL(tpt_sum_rx(), NPKT, "flowgen received");
	n = tpt_collect(&e, 1, out, 256);
	for (unsigned int i = 0; i < n; i++) {
		const struct fwd_udp_pkt_hdr *h =
			keel_pktmbuf_mtod(out[i], const struct fwd_udp_pkt_hdr *);
		uint32_t flow = __builtin_bswap32(h->ip.dst_addr) - FWD_IP_DST;

		ret = check_generated(out[i], e.port[1], 80, 1);
		if (ret != TEST_SUCCESS) {
			printf("  flowgen packet %u\n", i);
			goto out;
		}
		TEST_ASSERT(flow < 1024, "flow %u in range", flow);
		flows += seen[flow]++ == 0;
	}
	TEST_ASSERT_EQUAL(flows, n, "each of the first %u packets its own flow",
			  n);
	keel_pktmbuf_free_bulk(out, n);
	while ((n = tpt_collect(&e, 1, out, 256)) > 0)
		keel_pktmbuf_free_bulk(out, n);
	while ((n = tpt_collect(&e, 0, out, 256)) > 0)
		keel_pktmbuf_free_bulk(out, n);
	ret = pool_full();
out:
	tpt_teardown(&e);
	return ret;
}
KEEL_TEST(testpmd_gen, "fast", 0, test_testpmd_gen)

/* start tx_first N: N txonly bursts per stream, then the engine (io). */
static int
test_testpmd_tx_first(void)
{
	struct tpt_env e;
	struct keel_mbuf *out[256];
	unsigned int n;
	int ret = tpt_setup(&e, 2, "io");

	if (ret != TEST_SUCCESS)
		return ret;
	TEST_ASSERT_SUCCESS(tp_start(3), "start tx_first 3");
	TEST_ASSERT_EQUAL(tpt_wait_tx(&e, 0, 3 * TP_DEF_BURST),
			  3 * TP_DEF_BURST, "port 0 got 3 bursts");
	TEST_ASSERT_EQUAL(tpt_wait_tx(&e, 1, 3 * TP_DEF_BURST),
			  3 * TP_DEF_BURST, "port 1 got 3 bursts");
	TEST_ASSERT_SUCCESS(tp_stop(), "stop");
	TEST_ASSERT_EQUAL(tpt_sum_tx(), 6 * TP_DEF_BURST, "sent");
	TEST_ASSERT_EQUAL(tpt_sum_rx(), 0, "received");
	for (unsigned int p = 0; p < 2; p++) {
		n = tpt_collect(&e, p, out, 256);
		TEST_ASSERT_EQUAL(n, 3 * TP_DEF_BURST, "exactly 3 bursts");
		for (unsigned int i = 0; i < n; i++)
			if ((ret = check_generated(out[i], e.port[p], 64, 1)))
				break;
		keel_pktmbuf_free_bulk(out, n);
		if (ret != TEST_SUCCESS)
			break;
	}
	if (ret == TEST_SUCCESS)
		ret = pool_full();
	tpt_teardown(&e);
	return ret;
}
KEEL_TEST(testpmd_tx_first, "fast", 0, test_testpmd_tx_first)
