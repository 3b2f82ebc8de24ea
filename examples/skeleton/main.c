/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel-skeleton: the smallest forwarding application. It opens two ports
 * (the first two, e.g. from --vdev net_null0 --vdev net_null1, or
 * --vdev net_pcap0,rx_pcap=in.pcap --vdev net_pcap1,tx_pcap=out.pcap),
 * gives each one Rx and one Tx queue, and forwards every packet received on
 * one port out of the other, on the main lcore, until SIGINT/SIGTERM, the
 * time limit or the packet limit. It prints the ports' statistics at the
 * end.
 *
 * Usage: keel-skeleton [EAL args] -- [--seconds N] [--packets N]
 * Out of tree: cc main.c $(pkg-config --cflags --libs keel) -o skeleton
 * Exit status: 0 after a clean run, 1 on an error, 2 on bad options.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <keel_eal.h>
#include <keel_ethdev.h>
#include <keel_malloc.h>
#include <keel_mbuf.h>
#include <keel_mempool.h>

#define BURST        32
#define NB_MBUFS     8191
#define MBUF_CACHE   256
#define RING_SIZE    1024

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* one Rx and one Tx queue, started; 0 or a negative errno */
static int
port_init(uint16_t port, struct keel_mempool *pool)
{
	struct keel_eth_conf conf = { 0 };
	struct keel_ether_addr mac;
	char name[KEEL_ETH_NAME_MAX_LEN], macs[KEEL_ETHER_ADDR_FMT_SIZE];
	int socket = keel_eth_dev_socket_id(port), ret;

	if (socket < 0)
		socket = KEEL_SOCKET_ID_ANY;
	ret = keel_eth_dev_configure(port, 1, 1, &conf);
	if (ret == 0)
		ret = keel_eth_rx_queue_setup(port, 0, RING_SIZE,
					      (unsigned int)socket, NULL, pool);
	if (ret == 0)
		ret = keel_eth_tx_queue_setup(port, 0, RING_SIZE,
					      (unsigned int)socket, NULL);
	if (ret == 0)
		ret = keel_eth_dev_start(port);
	if (ret < 0)
		return ret;
	keel_eth_dev_get_name_by_port(port, name);
	keel_eth_macaddr_get(port, &mac);
	keel_ether_format_addr(macs, sizeof(macs), &mac);
	printf("port %u: %s, MAC %s\n", port, name, macs);
	return 0;
}

static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno != 0 || end == s || *end != '\0' || s[0] == '-' ? -1 : 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "packets", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t seconds = 0, max_pkts = 0, fwd = 0, loops = 0, t_end;
	struct keel_mempool *pool;
	uint16_t port[2], p, n = 0;
	int ret, opt;

	ret = keel_eal_init(argc, argv);
	if (ret == -ECANCELED)
		return 0;               /* --help printed the EAL usage */
	if (ret < 0) {
		fprintf(stderr, "keel-skeleton: EAL init: %s\n", strerror(-ret));
		return 1;
	}
	argc -= ret;
	argv += ret;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (parse_u64(optarg, &seconds) < 0) {
				fprintf(stderr, "keel-skeleton: --seconds '%s': expected a whole number\n",
					optarg);
				goto bad;
			}
			break;
		case 'p':
			if (parse_u64(optarg, &max_pkts) < 0) {
				fprintf(stderr, "keel-skeleton: --packets '%s': expected a whole number\n",
					optarg);
				goto bad;
			}
			break;
		case 'h':
			printf("usage: keel-skeleton [EAL args] -- [--seconds N] [--packets N]\n"
			       "Forward between the first two ports until SIGINT/SIGTERM,\n"
			       "N seconds or N packets; e.g.\n"
			       "  keel-skeleton --no-huge -m 64 --vdev net_null0 --vdev net_null1 -- --seconds 2\n");
			keel_eal_cleanup();
			return 0;
		default:
			goto bad;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "keel-skeleton: unexpected argument '%s'\n",
			argv[optind]);
		goto bad;
	}
	KEEL_ETH_FOREACH_DEV(p)
		if (n < 2)
			port[n++] = p;
	if (n < 2) {
		fprintf(stderr, "keel-skeleton: needs two ports, has %u (e.g. --vdev net_null0 --vdev net_null1)\n",
			n);
		keel_eal_cleanup();
		return 1;
	}
	pool = keel_pktmbuf_pool_create("skeleton", NB_MBUFS, MBUF_CACHE, 0,
					KEEL_MBUF_DEFAULT_BUF_SIZE,
					KEEL_SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "keel-skeleton: mbuf pool: %s\n",
			strerror(errno));
		keel_eal_cleanup();
		return 1;
	}
	for (int i = 0; i < 2; i++) {
		ret = port_init(port[i], pool);
		if (ret < 0) {
			fprintf(stderr, "keel-skeleton: port %u: %s\n", port[i],
				strerror(-ret));
			keel_eal_cleanup();
			return 1;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("forwarding %u <-> %u on lcore %u (Ctrl-C to stop)\n", port[0],
	       port[1], keel_lcore_id());
	t_end = seconds ? now_ns() + seconds * 1000000000ull : UINT64_MAX;

	/* the datapath: a straight line of Rx, Tx, free what Tx refused */
	while (!quit && (max_pkts == 0 || fwd < max_pkts)) {
		for (int i = 0; i < 2; i++) {
			struct keel_mbuf *pkts[BURST];
			uint16_t nb = keel_eth_rx_burst(port[i], 0, pkts, BURST);
			uint16_t sent = keel_eth_tx_burst(port[i ^ 1], 0, pkts,
							  nb);

			while (sent < nb)
				keel_pktmbuf_free(pkts[sent++]);
			fwd += nb;
		}
		if ((++loops & 0x3ff) == 0 && now_ns() > t_end)
			break;
	}

	for (int i = 0; i < 2; i++) {
		struct keel_eth_stats st;

		keel_eth_stats_get(port[i], &st);
		printf("port %u: rx %" PRIu64 " packets %" PRIu64 " bytes, tx %"
		       PRIu64 " packets %" PRIu64 " bytes, %" PRIu64
		       " tx errors\n", port[i], st.ipackets, st.ibytes,
		       st.opackets, st.obytes, st.oerrors);
	}
	printf("forwarded %" PRIu64 " packets\n", fwd);
	/* the ports hold the pool: close them before freeing it */
	for (int i = 0; i < 2; i++)
		keel_eth_dev_close(port[i]);
	keel_mempool_free(pool);
	keel_eal_cleanup();
	return 0;
bad:
	fprintf(stderr, "usage: keel-skeleton [EAL args] -- [--seconds N] [--packets N]\n");
	keel_eal_cleanup();
	return 2;
}
