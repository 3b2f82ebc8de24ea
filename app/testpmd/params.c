/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel-testpmd's own options (after the EAL's and `--`), spelled as DPDK
 * testpmd spells them where the meaning is the same. Parsing touches only
 * tp's configuration fields and needs no EAL, so main() parses them before
 * keel_eal_init() and a bad option costs nothing. What depends on the EAL
 * (lcores, ports) is checked afterwards by tp_check_args_after_init().
 *
 * Every refusal prints one line naming the option, the value and what is
 * expected; the caller exits with status 2.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <keel_dmadev.h>
#include <keel_eal.h>

#include "testpmd.h"

struct tp_state tp;

enum {
	OPT_FWD_MODE = 256,
	OPT_NB_CORES,
	OPT_PORTMASK,
	OPT_PORTLIST,
	OPT_RXQ,
	OPT_TXQ,
	OPT_RXD,
	OPT_TXD,
	OPT_BURST,
	OPT_TOTAL_MBUFS,
	OPT_MBUF_SIZE,
	OPT_STATS_PERIOD,
	OPT_CMDLINE_FILE,
	OPT_ETH_PEER,
	OPT_TXPKTS,
	OPT_TOPOLOGY,
	OPT_DMA,
	OPT_RUN_TIME,
	OPT_TX_FIRST,
	OPT_NO_PROMISC,
};

static const struct option long_opts[] = {
	{ "interactive", no_argument, NULL, 'i' },
	{ "auto-start", no_argument, NULL, 'a' },
	{ "help", no_argument, NULL, 'h' },
	{ "forward-mode", required_argument, NULL, OPT_FWD_MODE },
	{ "nb-cores", required_argument, NULL, OPT_NB_CORES },
	{ "portmask", required_argument, NULL, OPT_PORTMASK },
	{ "portlist", required_argument, NULL, OPT_PORTLIST },
	{ "rxq", required_argument, NULL, OPT_RXQ },
	{ "txq", required_argument, NULL, OPT_TXQ },
	{ "rxd", required_argument, NULL, OPT_RXD },
	{ "txd", required_argument, NULL, OPT_TXD },
	{ "burst", required_argument, NULL, OPT_BURST },
	{ "total-num-mbufs", required_argument, NULL, OPT_TOTAL_MBUFS },
	{ "mbuf-size", required_argument, NULL, OPT_MBUF_SIZE },
	{ "stats-period", required_argument, NULL, OPT_STATS_PERIOD },
	{ "cmdline-file", required_argument, NULL, OPT_CMDLINE_FILE },
	{ "eth-peer", required_argument, NULL, OPT_ETH_PEER },
	{ "txpkts", required_argument, NULL, OPT_TXPKTS },
	{ "port-topology", required_argument, NULL, OPT_TOPOLOGY },
	{ "dma", required_argument, NULL, OPT_DMA },
	{ "run-time", required_argument, NULL, OPT_RUN_TIME },
	{ "tx-first", no_argument, NULL, OPT_TX_FIRST },
	{ "no-promisc", no_argument, NULL, OPT_NO_PROMISC },
	{ NULL, 0, NULL, 0 },
};

void
tp_usage(FILE *f, const char *prog)
{
	fprintf(f,
"Usage: %s [EAL options] -- [testpmd options]\n"
"\n"
"Opens every port (or those --portmask/--portlist select), forwards packets\n"
"between them on worker lcores with the chosen engine, and prints\n"
"statistics. Without -i it forwards until SIGINT/SIGTERM (or --run-time) and\n"
"prints the final statistics.\n"
"\n"
"testpmd options:\n"
"  -i, --interactive          run the testpmd> prompt (type 'help')\n"
"  -a, --auto-start           start forwarding at once (with -i)\n"
"  --tx-first                 send one burst from each stream first\n"
"  --forward-mode=MODE        io (default), mac, macswap, rxonly, txonly,\n"
"                             flowgen, icmpecho, dmafwd\n"
"  --nb-cores=N               forwarding lcores (default 1; at most the\n"
"                             EAL's worker lcores)\n"
"  --portmask=MASK            hexadecimal mask of the ports to forward on\n"
"  --portlist=LIST            the same as a list: 0,1 or 0-3\n"
"  --port-topology=T          paired (0<->1, 2<->3; default), chained, loop\n"
"  --rxq=N, --txq=N           queues per port (default 1)\n"
"  --rxd=N, --txd=N           descriptors per queue (default %u, %u)\n"
"  --burst=N                  packets per burst, 1..%u (default %u)\n"
"  --total-num-mbufs=N        mbufs in the packet pool (default: enough for\n"
"                             the ports' queues and lcore caches)\n"
"  --mbuf-size=N              mbuf data room in bytes, headroom included\n"
"                             (default %u)\n"
"  --txpkts=LEN[,LEN...]      txonly/flowgen packet segment lengths\n"
"                             (default 64; at most %u segments)\n"
"  --eth-peer=N,XX:XX:XX:XX:XX:XX  destination MAC for port N (mac, txonly,\n"
"                             flowgen)\n"
"  --dma=NAME[,NAME...]       dmafwd: the DMA device of each forwarding\n"
"                             lcore, in order (default: the first devices)\n"
"  --stats-period=SECONDS     print port statistics every SECONDS\n"
"                             (non-interactive)\n"
"  --run-time=SECONDS         stop forwarding after SECONDS (non-interactive)\n"
"  --cmdline-file=FILE        run the commands in FILE first\n"
"  --no-promisc               leave ports non-promiscuous\n"
"  -h, --help                 this text (and the EAL's options with -h\n"
"                             before --)\n"
"\n"
"Example: %s --no-huge -m 128 -l 0-1 --vdev net_null0 --vdev net_null1 --\n"
"         -i --forward-mode=io\n",
		prog, TP_DEF_RXD, TP_DEF_TXD, TP_MAX_BURST, TP_DEF_BURST,
		KEEL_MBUF_DEFAULT_BUF_SIZE, TP_MAX_SEGS, prog);
}

void
tp_defaults(void)
{
	memset(&tp, 0, sizeof(tp));
	tp.nb_fwd_lcores = 1;
	tp.burst = TP_DEF_BURST;
	tp.nb_rxq = 1;
	tp.nb_txq = 1;
	tp.nb_rxd = TP_DEF_RXD;
	tp.nb_txd = TP_DEF_TXD;
	tp.mbuf_size = KEEL_MBUF_DEFAULT_BUF_SIZE;
	tp.txpkts[0] = 64;
	tp.nb_txpkts = 1;
	tp.tx_pkt_len = 64;
	tp.topology = TP_TOPO_PAIRED;
	tp.engine = tp_engines[0];
	tp.promisc_default = true;
}

/*
 * Parse a whole unsigned number (decimal, 0x hex) in [min, max].
 * @return 0, or -EINVAL (not a number, trailing text, out of range).
 */
int
tp_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
bad(const char *opt, const char *val, const char *expected)
{
	fprintf(stderr, "keel-testpmd: invalid %s '%s': expected %s\n", opt,
		val, expected);
	return -EINVAL;
}

/* --txpkts / set txpkts: "LEN[,LEN...]"; 0 or -EINVAL (printed). */
int
tp_parse_txpkts(const char *s)
{
	uint16_t lens[TP_MAX_SEGS];
	unsigned int n = 0;
	uint32_t total = 0;
	const char *p = s;
	uint16_t room = tp.mbuf_size > KEEL_PKTMBUF_HEADROOM ?
		(uint16_t)(tp.mbuf_size - KEEL_PKTMBUF_HEADROOM) : 0;

	while (*p != '\0') {
		char tok[16];
		size_t len = strcspn(p, ",");
		uint64_t v;

		if (n == TP_MAX_SEGS || len == 0 || len >= sizeof(tok))
			goto bad_list;
		memcpy(tok, p, len);
		tok[len] = '\0';
		if (tp_parse_uint(tok, 1, room, &v) < 0) {
			char what[96];

			snprintf(what, sizeof(what), "segment lengths from 1 to "
				 "%u (the mbuf data room after headroom)", room);
			return bad("txpkts", s, what);
		}
		lens[n++] = (uint16_t)v;
		total += (uint32_t)v;
		p += len;
		if (*p == ',' && *++p == '\0')
			goto bad_list;
	}
	if (n == 0)
		goto bad_list;
	/* Ethernet + IPv4 + UDP headers must fit the packet and its first
	 * segment (the engines write them there) */
	if (total < 42 || lens[0] < 42)
		return bad("txpkts", s, "a first segment (and total) of at "
			   "least 42 bytes: Ethernet, IPv4 and UDP headers");
	if (total > 65535 - 14)
		return bad("txpkts", s, "a total of at most 65521 bytes");
	memcpy(tp.txpkts, lens, sizeof(lens[0]) * n);
	tp.nb_txpkts = n;
	tp.tx_pkt_len = total;
	return 0;
bad_list:
	{
		char what[96];

		snprintf(what, sizeof(what), "1 to %d comma-separated segment "
			 "lengths, e.g. 64 or 64,64", TP_MAX_SEGS);
		return bad("txpkts", s, what);
	}
}

/* "0,1,4-6" into tp.portlist. */
static int
parse_portlist(const char *s)
{
	const char *p = s;
	unsigned int n = 0;

	while (*p != '\0') {
		char *end;
		unsigned long a, b;

		if (*p < '0' || *p > '9')
			goto bad_list;
		a = strtoul(p, &end, 10);
		b = a;
		if (*end == '-') {
			p = end + 1;
			if (*p < '0' || *p > '9')
				goto bad_list;
			b = strtoul(p, &end, 10);
		}
		if (a > b || b >= KEEL_MAX_ETHPORTS)
			goto bad_list;
		for (unsigned long i = a; i <= b; i++) {
			for (unsigned int j = 0; j < n; j++)
				if (tp.portlist[j] == i)
					goto bad_list;
			tp.portlist[n++] = (uint16_t)i;
		}
		p = end;
		if (*p == ',') {
			if (*++p == '\0')
				goto bad_list;
		} else if (*p != '\0') {
			goto bad_list;
		}
	}
	if (n == 0)
		goto bad_list;
	tp.nb_portlist = n;
	tp.portlist_set = true;
	return 0;
bad_list:
	return bad("portlist", s, "port ids below 32 without repeats, "
		   "e.g. 0,1 or 0-3");
}

static int
parse_eth_peer(const char *s)
{
	char buf[64];
	const char *comma = strchr(s, ',');
	struct keel_ether_addr mac;
	uint64_t pid;

	if (comma == NULL || (size_t)(comma - s) >= sizeof(buf))
		return bad("eth-peer", s, "PORT,XX:XX:XX:XX:XX:XX");
	memcpy(buf, s, (size_t)(comma - s));
	buf[comma - s] = '\0';
	if (tp_parse_uint(buf, 0, KEEL_MAX_ETHPORTS - 1, &pid) < 0)
		return bad("eth-peer", s, "a port id below 32, then "
			   ",XX:XX:XX:XX:XX:XX");
	if (keel_ether_unformat_addr(comma + 1, &mac) < 0)
		return bad("eth-peer", s, "PORT,XX:XX:XX:XX:XX:XX (a MAC "
			   "address after the comma)");
	tp.ports[pid].peer = mac;
	tp.ports[pid].peer_set = true;
	return 0;
}

static int
parse_dma_names(const char *s)
{
	const char *p = s;

	if (strlen(s) >= sizeof(tp.dma_names))
		return bad("dma", s, "a shorter list of DMA device names");
	while (*p != '\0') {
		size_t len = strcspn(p, ",");

		if (len == 0 || len >= KEEL_DMADEV_NAME_MAX)
			return bad("dma", s, "comma-separated DMA device "
				   "names, e.g. dma_soft0,dma_soft1");
		p += len;
		if (*p == ',' && *++p == '\0')
			return bad("dma", s, "comma-separated DMA device "
				   "names, e.g. dma_soft0,dma_soft1");
	}
	if (*s == '\0')
		return bad("dma", s, "comma-separated DMA device names");
	strcpy(tp.dma_names, s);
	return 0;
}

static int
parse_run_time(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > 1e7)
		return bad("run-time", s, "seconds, a number above 0 "
			   "(e.g. 5 or 0.5)");
	tp.run_time = v;
	return 0;
}

/* One numeric option in [min, max]; the text says what is expected. */
static int
num_opt(const char *opt, const char *val, uint64_t min, uint64_t max,
	const char *what, uint64_t *out)
{
	char expected[128];

	if (tp_parse_uint(val, min, max, out) == 0)
		return 0;
	snprintf(expected, sizeof(expected), "%s from %" PRIu64 " to %" PRIu64,
		 what, min, max);
	return bad(opt, val, expected);
}

/*
 * Parse the application's arguments (argv[0] is the program name).
 * @return 0, 1 when --help was printed, -EINVAL on a bad option (printed).
 */
int
tp_parse_args(int argc, char **argv)
{
	const char *txpkts = NULL;
	int opt;
	uint64_t v;

	optind = 0;     /* glibc: a full re-initialisation */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":iah", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			tp.interactive = true;
			break;
		case 'a':
			tp.auto_start = true;
			break;
		case 'h':
			tp_usage(stdout, "keel-testpmd");
			printf("\n");
			keel_eal_usage(stdout);
			return 1;
		case OPT_TX_FIRST:
			tp.tx_first = 1;
			break;
		case OPT_NO_PROMISC:
			tp.promisc_default = false;
			break;
		case OPT_FWD_MODE:
			tp.engine = tp_engine_find(optarg);
			if (tp.engine == NULL) {
				char names[256] = "";

				for (unsigned int i = 0; tp_engines[i]; i++) {
					strcat(names, i ? ", " : "one of ");
					strcat(names, tp_engines[i]->name);
				}
				return bad("forward-mode", optarg, names);
			}
			break;
		case OPT_NB_CORES:
			if (num_opt("nb-cores", optarg, 1, KEEL_MAX_LCORE - 1,
				    "a number of forwarding lcores", &v) < 0)
				return -EINVAL;
			tp.nb_fwd_lcores = (unsigned int)v;
			break;
		case OPT_PORTMASK:
			if (num_opt("portmask", optarg, 1, UINT32_MAX,
				    "a non-zero hexadecimal port mask (0x1 to "
				    "0xffffffff), value", &v) < 0)
				return -EINVAL;
			tp.portmask = v;
			break;
		case OPT_PORTLIST:
			if (parse_portlist(optarg) < 0)
				return -EINVAL;
			break;
		case OPT_RXQ:
		case OPT_TXQ:
			if (num_opt(opt == OPT_RXQ ? "rxq" : "txq", optarg, 1,
				    KEEL_MAX_QUEUES_PER_PORT,
				    "a number of queues per port", &v) < 0)
				return -EINVAL;
			if (opt == OPT_RXQ)
				tp.nb_rxq = (uint16_t)v;
			else
				tp.nb_txq = (uint16_t)v;
			break;
		case OPT_RXD:
		case OPT_TXD:
			if (num_opt(opt == OPT_RXD ? "rxd" : "txd", optarg, 1,
				    UINT16_MAX, "a number of descriptors", &v) < 0)
				return -EINVAL;
			if (opt == OPT_RXD)
				tp.nb_rxd = (uint16_t)v;
			else
				tp.nb_txd = (uint16_t)v;
			break;
		case OPT_BURST:
			if (num_opt("burst", optarg, 1, TP_MAX_BURST,
				    "a burst size", &v) < 0)
				return -EINVAL;
			tp.burst = (uint16_t)v;
			break;
		case OPT_TOTAL_MBUFS:
			if (num_opt("total-num-mbufs", optarg, 1024, UINT32_MAX,
				    "a number of mbufs", &v) < 0)
				return -EINVAL;
			tp.total_num_mbufs = (uint32_t)v;
			break;
		case OPT_MBUF_SIZE:
			if (num_opt("mbuf-size", optarg,
				    KEEL_PKTMBUF_HEADROOM + 64, UINT16_MAX,
				    "a data room in bytes (headroom included)",
				    &v) < 0)
				return -EINVAL;
			tp.mbuf_size = (uint16_t)v;
			break;
		case OPT_STATS_PERIOD:
			if (num_opt("stats-period", optarg, 1, 86400,
				    "seconds", &v) < 0)
				return -EINVAL;
			tp.stats_period = (unsigned int)v;
			break;
		case OPT_CMDLINE_FILE:
			if (*optarg == '\0')
				return bad("cmdline-file", optarg,
					   "a file name");
			tp.cmdline_file = optarg;
			break;
		case OPT_ETH_PEER:
			if (parse_eth_peer(optarg) < 0)
				return -EINVAL;
			break;
		case OPT_TXPKTS:
			txpkts = optarg;  /* after --mbuf-size is known */
			break;
		case OPT_TOPOLOGY:
			if (strcmp(optarg, "paired") == 0)
				tp.topology = TP_TOPO_PAIRED;
			else if (strcmp(optarg, "chained") == 0)
				tp.topology = TP_TOPO_CHAINED;
			else if (strcmp(optarg, "loop") == 0)
				tp.topology = TP_TOPO_LOOP;
			else
				return bad("port-topology", optarg,
					   "paired, chained or loop");
			break;
		case OPT_DMA:
			if (parse_dma_names(optarg) < 0)
				return -EINVAL;
			break;
		case OPT_RUN_TIME:
			if (parse_run_time(optarg) < 0)
				return -EINVAL;
			break;
		case ':':
			fprintf(stderr, "keel-testpmd: option '%s' needs a "
				"value (see --help)\n", argv[optind - 1]);
			return -EINVAL;
		default:
			if (optopt != 0)
				fprintf(stderr, "keel-testpmd: unknown option "
					"'-%c' (see --help)\n", optopt);
			else
				fprintf(stderr, "keel-testpmd: unknown option "
					"'%s' (see --help)\n", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "keel-testpmd: unexpected argument '%s' "
			"(see --help)\n", argv[optind]);
		return -EINVAL;
	}
	if (txpkts != NULL && tp_parse_txpkts(txpkts) < 0)
		return -EINVAL;
	if (tp.run_time > 0 && tp.interactive) {
		fprintf(stderr, "keel-testpmd: --run-time bounds a "
			"non-interactive run; drop -i or --run-time\n");
		return -EINVAL;
	}
	return 0;
}

/* What needs the EAL: lcores. 0 or -EINVAL (printed). */
int
tp_check_args_after_init(void)
{
	unsigned int lc;

	tp.nb_worker_lcores = 0;
	KEEL_LCORE_FOREACH_WORKER(lc)
		tp.worker_lcores[tp.nb_worker_lcores++] = lc;
	if (tp.nb_worker_lcores == 0) {
		fprintf(stderr, "keel-testpmd: no worker lcore to forward on: "
			"give the EAL two or more, e.g. -l 0-1\n");
		return -EINVAL;
	}
	if (tp.nb_fwd_lcores > tp.nb_worker_lcores) {
		fprintf(stderr, "keel-testpmd: invalid nb-cores '%u': expected "
			"at most %u (the EAL's worker lcores; main lcore %u runs "
			"the prompt)\n", tp.nb_fwd_lcores, tp.nb_worker_lcores,
			keel_get_main_lcore());
		return -EINVAL;
	}
	return 0;
}
