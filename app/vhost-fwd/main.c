/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel-vhost-fwd: a small forwarding app for the vhost-user ports (until
 * keel-testpmd has them): every port from --vdev, one queue pair each,
 * polled by the main lcore.
 *
 *   keel-vhost-fwd [EAL args] -- [--fwd io|icmpecho|verify] [options]
 *
 *   io        each received burst goes out of the other port (one port:
 *             back out of the same one); --tx-first starts the flow.
 *             Prints the rate received over the run (Mpps, Gbit/s).
 *   icmpecho  answers ARP and ICMP echo for --ip (default 192.0.2.2);
 *             replies that cannot go out at once are kept and retried
 *             (a guest paused on a vIOMMU miss loses none).
 *   verify    sends --count packets of several sizes (up to --max-len)
 *             with a sequence number and a pattern, and checks that
 *             each comes back whole and in order (the peer reflects).
 *             It first sends a probe every 100 ms until one comes back:
 *             a peer's link can be up before it polls (DPDK's
 *             virtio_user drops what arrives before its port starts).
 *
 * Ends on SIGINT/SIGTERM, after --duration seconds, or (verify) when
 * every packet is back. The last lines are the summary; the exit status
 * is 0, or 1 when verify saw a packet lost or damaged, 2 for bad options.
 * Single-threaded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "icmpecho.h"
#include "keel_eal.h"
#include "keel_ethdev.h"
#include "keel_mbuf.h"

#define MAX_PORTS 4
#define PENDING_MAX 4096
#define PROBE_SEQ 0xffffffffu

enum mode { M_IO, M_ICMPECHO, M_VERIFY };

static struct {
	enum mode mode;
	unsigned int tx_first;
	uint32_t pkt_len;
	uint16_t burst;
	unsigned int nb_mbufs;
	unsigned int stats_period;
	double duration;
	uint32_t ip;
	unsigned int count;
	uint32_t max_len;
	unsigned int wait_link;
} opt = {
	.mode = M_IO, .pkt_len = 64, .burst = 32, .nb_mbufs = 16384,
	.count = 1000, .max_len = 1514, .wait_link = 30,
};

static volatile sig_atomic_t quit;
static uint16_t ports[MAX_PORTS], nports;
static struct keel_mempool *pool;
static uint64_t rx_pkts[MAX_PORTS], tx_pkts[MAX_PORTS], drops[MAX_PORTS];
static uint64_t rx_bytes[MAX_PORTS];

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: keel-vhost-fwd [EAL args] -- [options]\n"
		"  --fwd MODE          io (default), icmpecho or verify\n"
		"  --tx-first N        io: send N bursts first\n"
		"  --pkt-len BYTES     io: length of the first packets (64)\n"
		"  --burst N           packets per burst, 1..512 (32)\n"
		"  --nb-mbufs N        mbufs in the pool (16384)\n"
		"  --stats-period S    print counters every S seconds (0: never)\n"
		"  --duration S        stop after S seconds (0: at a signal;\n"
		"                      verify: 30)\n"
		"  --ip A.B.C.D        icmpecho: the address answered (192.0.2.2)\n"
		"  --count N           verify: packets to send (1000)\n"
		"  --max-len BYTES     verify: the largest packet (1514)\n"
		"  --wait-link S       wait up to S s for every link (30)\n"
		"  -h, --help          this text\n");
}

static int
parse_uint(const char *name, const char *s, unsigned long min,
	   unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 0);
	if (errno || *end || end == s || *out < min || *out > max) {
		fprintf(stderr, "keel-vhost-fwd: %s '%s': expected %lu..%lu\n",
			name, s, min, max);
		return -1;
	}
	return 0;
}

static int
parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "fwd", 1, NULL, 'f' }, { "tx-first", 1, NULL, 't' },
		{ "pkt-len", 1, NULL, 'l' }, { "burst", 1, NULL, 'b' },
		{ "nb-mbufs", 1, NULL, 'n' }, { "stats-period", 1, NULL, 's' },
		{ "duration", 1, NULL, 'd' }, { "ip", 1, NULL, 'i' },
		{ "count", 1, NULL, 'c' }, { "max-len", 1, NULL, 'm' },
		{ "wait-link", 1, NULL, 'w' }, { "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	struct in_addr a;
	int c;

	inet_pton(AF_INET, "192.0.2.2", &opt.ip);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "io"))
				opt.mode = M_IO;
			else if (!strcmp(optarg, "icmpecho"))
				opt.mode = M_ICMPECHO;
			else if (!strcmp(optarg, "verify"))
				opt.mode = M_VERIFY;
			else {
				fprintf(stderr, "keel-vhost-fwd: --fwd '%s': "
					"expected io, icmpecho or verify\n",
					optarg);
				return -1;
			}
			break;
		case 't':
			if (parse_uint("--tx-first", optarg, 0, 1024, &v))
				return -1;
			opt.tx_first = (unsigned int)v;
			break;
		case 'l':
			if (parse_uint("--pkt-len", optarg, 60, 9000, &v))
				return -1;
			opt.pkt_len = (uint32_t)v;
			break;
		case 'b':
			if (parse_uint("--burst", optarg, 1, 512, &v))
				return -1;
			opt.burst = (uint16_t)v;
			break;
		case 'n':
			if (parse_uint("--nb-mbufs", optarg, 1024, 1u << 22, &v))
				return -1;
			opt.nb_mbufs = (unsigned int)v;
			break;
		case 's':
			if (parse_uint("--stats-period", optarg, 0, 3600, &v))
				return -1;
			opt.stats_period = (unsigned int)v;
			break;
		case 'd':
			if (parse_uint("--duration", optarg, 0, 86400, &v))
				return -1;
			opt.duration = (double)v;
			break;
		case 'i':
			if (inet_pton(AF_INET, optarg, &a) != 1) {
				fprintf(stderr, "keel-vhost-fwd: --ip '%s': "
					"expected A.B.C.D\n", optarg);
				return -1;
			}
			opt.ip = a.s_addr;
			break;
		case 'c':
			if (parse_uint("--count", optarg, 1, 1u << 30, &v))
				return -1;
			opt.count = (unsigned int)v;
			break;
		case 'm':
			if (parse_uint("--max-len", optarg, 64, 65000, &v))
				return -1;
			opt.max_len = (uint32_t)v;
			break;
		case 'w':
			if (parse_uint("--wait-link", optarg, 0, 3600, &v))
				return -1;
			opt.wait_link = (unsigned int)v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "keel-vhost-fwd: unexpected argument '%s'\n",
			argv[optind]);
		return -1;
	}
	return 0;
}

static int
setup_ports(void)
{
	struct keel_eth_conf conf;
	uint16_t p;

	memset(&conf, 0, sizeof(conf));
	KEEL_ETH_FOREACH_DEV(p) {
		if (nports == MAX_PORTS)
			break;
		if (keel_eth_dev_configure(p, 1, 1, &conf) != 0 ||
		    keel_eth_rx_queue_setup(p, 0, 1024, 0, NULL, pool) != 0 ||
		    keel_eth_tx_queue_setup(p, 0, 1024, 0, NULL) != 0 ||
		    keel_eth_dev_start(p) != 0) {
			fprintf(stderr, "keel-vhost-fwd: port %u: cannot start: "
				"%s\n", p, strerror(errno));
			return -1;
		}
		ports[nports++] = p;
	}
	if (nports == 0) {
		fprintf(stderr, "keel-vhost-fwd: no port (give one with "
			"--vdev)\n");
		return -1;
	}
	return 0;
}

static int
wait_links(void)
{
	uint64_t end = keel_time_ns() + (uint64_t)opt.wait_link * 1000000000ULL;
	unsigned int i, up;

	do {
		struct keel_eth_link l;

		for (i = 0, up = 0; i < nports; i++) {
			keel_eth_link_get_nowait(ports[i], &l);
			up += l.link_status;
		}
		if (up == nports)
			return 0;
		usleep(10000);
	} while (keel_time_ns() < end && !quit);
	fprintf(stderr, "keel-vhost-fwd: links not up after %u s\n",
		opt.wait_link);
	return -1;
}

/* a UDP/IPv4 frame of len bytes; seq and a pattern in the payload */
static struct keel_mbuf *
make_frame(uint32_t len, uint32_t seq)
{
	struct keel_mbuf *m = keel_pktmbuf_alloc(pool), *last;
	uint32_t off = 0;

	if (m == NULL)
		return NULL;
	last = m;
	while (off < len) {
		uint32_t room = keel_pktmbuf_tailroom(last), n, i;
		uint8_t *p;

		if (room == 0) {
			struct keel_mbuf *s = keel_pktmbuf_alloc(pool);

			if (s == NULL) {
				keel_pktmbuf_free(m);
				return NULL;
			}
			keel_pktmbuf_chain(m, s);
			last = s;
			continue;
		}
		n = len - off < room ? len - off : room;
		p = (uint8_t *)keel_pktmbuf_append(m, (uint16_t)n);
		for (i = 0; i < n; i++, off++) {
			if (off < 12)
				p[i] = off < 6 ? 0xff : 0x02;
			else if (off < 14)
				p[i] = off == 12 ? 0x08 : 0x00;
			else if (off < 18)
				p[i] = (uint8_t)(seq >> (8 * (off - 14)));
			else
				p[i] = (uint8_t)(seq * 7 + off);
		}
	}
	return m;
}

static uint32_t
verify_len(uint32_t seq)
{
	if (seq == PROBE_SEQ)
		return 60;
	static const uint32_t base[] = { 60, 64, 128, 512, 1000, 1514, 2048,
					 4000, 9000 };
	uint32_t l = base[seq % 9];

	return l > opt.max_len ? 60 + seq % 64 : l;
}

/* 1 when m is frame seq; else 0 and the first 5 differences are told */
static int
frame_ok(const struct keel_mbuf *m, uint32_t seq)
{
	static unsigned int told;
	const struct keel_mbuf *head = m;
	uint32_t off = 0, i;

	if (m->pkt_len != verify_len(seq)) {
		if (told++ < 5)
			fprintf(stderr, "verify: packet %u: %u bytes in %u "
				"segments, expected %u\n", seq, m->pkt_len,
				m->nb_segs, verify_len(seq));
		return 0;
	}
	for (; m != NULL; m = m->next) {
		const uint8_t *p = keel_pktmbuf_mtod(m, const uint8_t *);

		for (i = 0; i < m->data_len; i++, off++) {
			uint8_t want;

			if (off < 14)
				continue;        /* a reflector may swap MACs */
			if (off < 18)
				want = (uint8_t)(seq >> (8 * (off - 14)));
			else
				want = (uint8_t)(seq * 7 + off);
			if (p[i] != want) {
				if (told++ < 5)
					fprintf(stderr, "verify: packet %u (%u "
						"bytes, %u segments): byte %u is "
						"0x%02x, expected 0x%02x\n", seq,
						head->pkt_len, head->nb_segs, off,
						p[i], want);
				return 0;
			}
		}
	}
	return 1;
}

static double
now_s(void)
{
	return (double)keel_time_ns() / 1e9;
}

/* the driver's counters that are not zero (what went wrong, mostly) */
static void
print_xstats(void)
{
	struct keel_eth_xstat_name names[256];
	struct keel_eth_xstat vals[256];
	unsigned int i;
	int n, k;

	for (i = 0; i < nports; i++) {
		n = keel_eth_xstats_get_names(ports[i], names, 256);
		if (n <= 0 || n > 256 ||
		    keel_eth_xstats_get(ports[i], vals, 256) != n)
			continue;
		for (k = 0; k < n; k++)
			if (vals[k].value != 0)
				printf("port %u: %s %" PRIu64 "\n", ports[i],
				       names[vals[k].id].name, vals[k].value);
	}
}

static void
print_stats(double t)
{
	unsigned int i;

	for (i = 0; i < nports; i++)
		printf("t=%.1f port %u: rx %" PRIu64 " tx %" PRIu64
		       " dropped %" PRIu64 "\n", t, ports[i], rx_pkts[i],
		       tx_pkts[i], drops[i]);
	fflush(stdout);
}

static int
run(void)
{
	struct keel_mbuf *b[512];
	struct keel_mbuf *pending[PENDING_MAX];
	unsigned int npending = 0, i;
	uint8_t mac[MAX_PORTS][6];
	uint64_t arp = 0, echo = 0, other = 0;
	uint32_t next_seq = 0, want_seq = 0, bad = 0, probes = 0;
	double t0 = now_s(), last_stats = t0, t_meas = 0, end, last_probe = 0;
	int probing = opt.mode == M_VERIFY;
	uint64_t meas_pkts = 0, meas_bytes = 0;

	for (i = 0; i < nports; i++)
		keel_eth_macaddr_get(ports[i], (struct keel_ether_addr *)mac[i]);
	if (opt.mode == M_VERIFY && opt.duration == 0)
		opt.duration = 30;
	end = opt.duration > 0 ? t0 + opt.duration : 0;
	if (opt.mode == M_IO)
		for (i = 0; i < opt.tx_first * nports; i++) {
			uint16_t k, n = 0, s;

			for (k = 0; k < opt.burst; k++)
				if ((b[n] = make_frame(opt.pkt_len, k)) != NULL)
					n++;
			s = keel_eth_tx_burst(ports[i % nports], 0, b, n);
			tx_pkts[i % nports] += s;
			keel_pktmbuf_free_bulk(b + s, (unsigned int)(n - s));
		}
	while (!quit && (end == 0 || now_s() < end)) {
		for (i = 0; i < nports; i++) {
			uint16_t out = nports == 2 ? ports[i ^ 1] : ports[i];
			uint16_t n = keel_eth_rx_burst(ports[i], 0, b, opt.burst);
			uint16_t k, s;

			rx_pkts[i] += n;
			for (k = 0; k < n; k++)
				rx_bytes[i] += b[k]->pkt_len;
			if (opt.mode == M_IO) {
				s = n ? keel_eth_tx_burst(out, 0, b, n) : 0;
				tx_pkts[i ^ (nports == 2)] += s;
				drops[i] += n - s;
				keel_pktmbuf_free_bulk(b + s,
						       (unsigned int)(n - s));
			} else if (opt.mode == M_ICMPECHO) {
				for (k = 0; k < n; k++) {
					enum icmpecho_verdict v =
						icmpecho_reply(b[k], opt.ip,
							       mac[i]);

					arp += v == ICMPECHO_ARP_REPLY;
					echo += v == ICMPECHO_ECHO_REPLY;
					if (v == ICMPECHO_DROP ||
					    npending == PENDING_MAX) {
						other++;
						keel_pktmbuf_free(b[k]);
					} else {
						pending[npending++] = b[k];
					}
				}
				/* replies wait for the guest to take them */
				s = npending ? keel_eth_tx_burst(ports[i], 0,
						pending, (uint16_t)(npending <
						512 ? npending : 512)) : 0;
				tx_pkts[i] += s;
				memmove(pending, pending + s,
					(npending - s) * sizeof(pending[0]));
				npending -= s;
			} else {
				for (k = 0; k < n; k++) {
					const uint8_t *p = keel_pktmbuf_mtod(
						b[k], const uint8_t *);

					if (b[k]->data_len >= 18 &&
					    !memcmp(p + 14, "\xff\xff\xff\xff",
						    4)) {
						probing = 0;    /* a probe */
					} else {
						if (!frame_ok(b[k], want_seq))
							bad++;
						want_seq++;
					}
					keel_pktmbuf_free(b[k]);
				}
			}
		}
		if (probing) {
			if (now_s() - last_probe >= 0.1) {
				struct keel_mbuf *m = make_frame(60, PROBE_SEQ);

				last_probe = now_s();
				if (m != NULL &&
				    keel_eth_tx_burst(ports[0], 0, &m, 1) != 1)
					keel_pktmbuf_free(m);
				probes++;
			}
		} else if (opt.mode == M_VERIFY) {
			/* keep a window of 64 in flight */
			while (next_seq < opt.count && next_seq - want_seq < 64) {
				struct keel_mbuf *m = make_frame(
					verify_len(next_seq), next_seq);

				if (m == NULL)
					break;
				if (keel_eth_tx_burst(ports[0], 0, &m, 1) != 1) {
					keel_pktmbuf_free(m);
					break;
				}
				tx_pkts[0]++;
				next_seq++;
			}
			if (want_seq >= opt.count)
				break;
		}
		if (opt.mode == M_IO && t_meas == 0 && now_s() - t0 >= 1.0) {
			t_meas = now_s();       /* one second of warm-up */
			meas_pkts = rx_pkts[0] + rx_pkts[1];
			meas_bytes = rx_bytes[0] + rx_bytes[1];
		}
		if (opt.stats_period && now_s() - last_stats >= opt.stats_period) {
			last_stats = now_s();
			print_stats(last_stats - t0);
		}
	}
	keel_pktmbuf_free_bulk(pending, npending);
	print_stats(now_s() - t0);
	print_xstats();
	if (opt.mode == M_IO && t_meas > 0) {
		double dt = now_s() - t_meas;
		uint64_t p = rx_pkts[0] + rx_pkts[1] - meas_pkts;
		uint64_t by = rx_bytes[0] + rx_bytes[1] - meas_bytes;

		printf("io: %.3f Mpps %.3f Gbit/s over %.1f s\n", p / dt / 1e6,
		       by * 8 / dt / 1e9, dt);
	}
	if (opt.mode == M_ICMPECHO)
		printf("icmpecho: arp %" PRIu64 " echo %" PRIu64 " other %" PRIu64
		       " unsent %u\n", arp, echo, other, npending);
	if (opt.mode == M_VERIFY) {
		printf("verify: sent %u received %u damaged %u of %u (after %u "
		       "probe%s)\n", next_seq, want_seq, bad, opt.count, probes,
		       probes == 1 ? "" : "s");
		return want_seq == opt.count && bad == 0 ? 0 : 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int n, ret;
	uint16_t p;

	n = keel_eal_init(argc, argv);
	if (n == -ECANCELED)
		return 0;
	if (n < 0) {
		fprintf(stderr, "keel-vhost-fwd: EAL: %s\n", strerror(-n));
		return 2;
	}
	argc -= n;
	argv += n;
	if (parse_args(argc, argv) < 0) {
		keel_eal_cleanup();
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	pool = keel_pktmbuf_pool_create("fwd_pool", opt.nb_mbufs, 256, 0,
					KEEL_MBUF_DEFAULT_BUF_SIZE,
					KEEL_SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "keel-vhost-fwd: no mbuf pool: %s\n",
			strerror(errno));
		keel_eal_cleanup();
		return 1;
	}
	ret = setup_ports() == 0 && wait_links() == 0 ? run() : 1;
	KEEL_ETH_FOREACH_DEV(p) {
		keel_eth_dev_stop(p);
		keel_eth_dev_close(p);
	}
	keel_mempool_free(pool);
	keel_eal_cleanup();
	return ret;
}
