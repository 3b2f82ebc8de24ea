/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reference for net_null_perf: the same loop (io forwarding between
 * two null ports on one lcore, burst 32, the same pool: 8191 mbufs, cache
 * 256, 2 KiB data room) against Debian's DPDK 22.11 net_null. Not built by
 * meson (DPDK is not a Keel dependency).
 *
 * Build: apt-get install libdpdk-dev
 *        cc -O2 dpdk-null-bench.c $(pkg-config --cflags --libs libdpdk) \
 *           -o dpdk-null-bench
 * Run:   ./dpdk-null-bench --no-huge -m 256 --no-pci -l 0 --file-prefix nb \
 *           --vdev net_null0 --vdev net_null1 [-- copy]
 * ("-- copy": copy=1 ports of 64 and 1500 bytes, as the second Keel variant;
 *  pass --vdev net_null0,copy=1 --vdev net_null1,copy=1,size=1500 then.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define BURST  32
#define ROUNDS 7
#define ROUND_NS 300000000ull

static uint64_t
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static uint64_t
fwd_round(const uint16_t port[2], uint64_t ns)
{
	struct rte_mbuf *pkts[BURST];
	uint64_t fwd = 0, t_end = now_ns() + ns;

	do {
		for (int i = 0; i < 128; i++)
			for (int d = 0; d < 2; d++) {
				uint16_t n = rte_eth_rx_burst(port[d], 0, pkts,
							      BURST);
				uint16_t s = rte_eth_tx_burst(port[d ^ 1], 0,
							      pkts, n);

				if (__builtin_expect(s < n, 0))
					rte_pktmbuf_free_bulk(pkts + s, n - s);
				fwd += s;
			}
	} while (now_ns() < t_end);
	return fwd;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct rte_eth_conf conf;
	struct rte_mempool *mp;
	uint16_t port[2] = { 0, 1 };
	double mpps[ROUNDS];
	int ret = rte_eal_init(argc, argv);

	if (ret < 0 || rte_eth_dev_count_avail() < 2) {
		fprintf(stderr, "need EAL and two ports (--vdev net_null0 --vdev net_null1)\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("null_perf", 8191, 256, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (mp == NULL)
		return 1;
	memset(&conf, 0, sizeof(conf));
	for (int i = 0; i < 2; i++)
		if (rte_eth_dev_configure(port[i], 1, 1, &conf) < 0 ||
		    rte_eth_rx_queue_setup(port[i], 0, 512, rte_socket_id(),
					   NULL, mp) < 0 ||
		    rte_eth_tx_queue_setup(port[i], 0, 512, rte_socket_id(),
					   NULL) < 0 ||
		    rte_eth_dev_start(port[i]) < 0)
			return 1;
	fwd_round(port, ROUND_NS / 3);
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = now_ns(), n = fwd_round(port, ROUND_NS);

		mpps[r] = (double)n * 1e3 / (double)(now_ns() - t0);
	}
	qsort(mpps, ROUNDS, sizeof(mpps[0]), cmp_d);
	printf("  DPDK 22.11 net_null io forwarding Mpps min/median/max %.2f / %.2f / %.2f   "
	       "ns/packet (Rx+Tx) %.2f / %.2f / %.2f\n", mpps[0],
	       mpps[ROUNDS / 2], mpps[ROUNDS - 1], 1e3 / mpps[ROUNDS - 1],
	       1e3 / mpps[ROUNDS / 2], 1e3 / mpps[0]);
	for (int i = 0; i < 2; i++) {
		rte_eth_dev_stop(port[i]);
		rte_eth_dev_close(port[i]);
	}
	rte_eal_cleanup();
	return 0;
}
