/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_pcap: packets written through the driver (tx_pcap) are read back
 * byte-exact through libpcap directly, through tcpdump -r, and through the
 * driver (rx_pcap, once and with infinite_rx); garbage, truncated, empty and
 * non-Ethernet files are refused at attach with the reason; live interfaces
 * (a veth pair, root only) carry packets both ways.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keel_ethdev.h"
#include "keel_malloc.h"
#include "keel_mbuf.h"
#include "keel_mempool.h"
#include "test.h"
#include "test_net_util.h"

#define N_PKTS 100

/* packet i: 60..1514 bytes; packet 7 is sent as a chain of two */
static uint32_t
plen(uint32_t i)
{
	return 60 + (i * 97) % 1455;
}

static void
tmp_path(char *buf, size_t size, const char *what)
{
	snprintf(buf, size, "/tmp/keel_test_%d_%s.pcap", (int)getpid(), what);
}

/* write N_PKTS packets through a tx_pcap port */
static int
write_file(struct keel_mempool *mp, const char *path)
{
	struct keel_mbuf *pkts[N_PKTS];
	char args[300];
	int port;

	snprintf(args, sizeof(args), "net_pcap_w,tx_pcap=%s", path);
	port = test_net_attach(args);
	TEST_ASSERT(port >= 0, "attach %s: %d", args, port);
	TEST_ASSERT_SUCCESS(test_net_start((uint16_t)port, 1, mp), "start");
	for (uint32_t i = 0; i < N_PKTS; i++) {
		if (i == 7) {   /* a chain: 40 bytes, then the rest */
			struct keel_mbuf *tail;
			uint8_t *d;

			pkts[i] = test_net_pkt(mp, 40, (uint8_t)i);
			tail = keel_pktmbuf_alloc(mp);
			TEST_ASSERT(pkts[i] && tail, "alloc");
			d = (uint8_t *)keel_pktmbuf_append(tail,
					(uint16_t)(plen(i) - 40));
			for (uint32_t k = 0; k < plen(i) - 40; k++)
				d[k] = (uint8_t)(i + 40 + k);
			TEST_ASSERT_SUCCESS(keel_pktmbuf_chain(pkts[i], tail),
					    "chain");
			continue;
		}
		pkts[i] = test_net_pkt(mp, plen(i), (uint8_t)i);
		TEST_ASSERT(pkts[i] != NULL, "alloc");
	}
	TEST_ASSERT_EQUAL(keel_eth_tx_burst((uint16_t)port, 0, pkts, 60), 60,
			  "tx");
	TEST_ASSERT_EQUAL(keel_eth_tx_burst((uint16_t)port, 0, pkts + 60,
					    N_PKTS - 60), N_PKTS - 60, "tx");
	/* detach closes the file */
	TEST_ASSERT_SUCCESS(keel_eth_dev_detach((uint16_t)port), "detach");
	return TEST_SUCCESS;
}

static int
check_with_libpcap(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const uint8_t *data;
	pcap_t *p = pcap_open_offline(path, err);
	uint32_t n = 0;

	TEST_ASSERT(p != NULL, "libpcap opens %s: %s", path, err);
	TEST_ASSERT_EQUAL(pcap_datalink(p), DLT_EN10MB, "Ethernet");
	while (pcap_next_ex(p, &h, &data) == 1) {
		TEST_ASSERT(h->caplen == plen(n) && h->len == plen(n),
			    "packet %u: %u/%u bytes", n, h->caplen, h->len);
		for (uint32_t k = 0; k < h->caplen; k++)
			TEST_ASSERT_EQUAL(data[k], (uint8_t)(n + k),
					  "packet %u byte %u", n, k);
		n++;
	}
	pcap_close(p);
	TEST_ASSERT_EQUAL(n, N_PKTS, "packets in the file");
	return TEST_SUCCESS;
}

static int
roundtrip(struct keel_mempool *mp, const char *path)
{
	struct keel_mbuf *pkts[64];
	struct keel_eth_stats st;
	char args[300];
	uint64_t id, replays;
	uint32_t got = 0;
	int port;

	if (write_file(mp, path) || check_with_libpcap(path))
		return TEST_FAILED;

	/* back through the driver, once */
	snprintf(args, sizeof(args), "net_pcap_r,rx_pcap=%s", path);
	port = test_net_attach(args);
	TEST_ASSERT(port >= 0, "attach %s", args);
	TEST_ASSERT_SUCCESS(test_net_start((uint16_t)port, 1, mp), "start");
	for (int round = 0; round < 10; round++) {
		uint16_t k = keel_eth_rx_burst((uint16_t)port, 0, pkts, 64);

		for (uint16_t i = 0; i < k; i++, got++) {
			TEST_ASSERT(test_net_pkt_check(pkts[i], plen(got),
						       (uint8_t)got),
				    "packet %u read back wrong", got);
			TEST_ASSERT_EQUAL(pkts[i]->port, port, "port");
		}
		keel_pktmbuf_free_bulk(pkts, k);
	}
	TEST_ASSERT_EQUAL(got, N_PKTS, "every packet once, then nothing");
	TEST_ASSERT_SUCCESS(keel_eth_stats_get((uint16_t)port, &st), "stats");
	TEST_ASSERT_EQUAL(st.ipackets, N_PKTS, "ipackets");
	TEST_ASSERT_SUCCESS(keel_eth_dev_detach((uint16_t)port), "detach");

	/* infinite_rx: the file again and again */
	snprintf(args, sizeof(args), "net_pcap_i,rx_pcap=%s,infinite_rx=1",
		 path);
	port = test_net_attach(args);
	TEST_ASSERT(port >= 0, "attach %s", args);
	TEST_ASSERT_SUCCESS(test_net_start((uint16_t)port, 1, mp), "start");
	for (got = 0; got < 3 * N_PKTS;) {
		uint16_t k = keel_eth_rx_burst((uint16_t)port, 0, pkts, 64);

		TEST_ASSERT(k > 0, "infinite Rx ran dry at %u", got);
		for (uint16_t i = 0; i < k; i++, got++)
			TEST_ASSERT(test_net_pkt_check(pkts[i],
				    plen(got % N_PKTS), (uint8_t)(got % N_PKTS)),
				    "replayed packet %u wrong", got);
		keel_pktmbuf_free_bulk(pkts, k);
	}
	TEST_ASSERT_SUCCESS(keel_eth_xstats_get_id_by_name((uint16_t)port,
			    "rx_pcap_replays", &id), "xstat");
	TEST_ASSERT_EQUAL(keel_eth_xstats_get_by_id((uint16_t)port, &id,
						    &replays, 1), 1, "get");
	TEST_ASSERT(replays >= 2, "replays %llu", (unsigned long long)replays);
	TEST_ASSERT_SUCCESS(keel_eth_dev_detach((uint16_t)port), "detach");
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(mp), mp->size, "no leak");
	return TEST_SUCCESS;
}

static int
test_net_pcap_roundtrip(void)
{
	struct keel_mempool *mp = test_net_pool("pcap_rt", 2047);
	char path[128];
	int ret;

	TEST_ASSERT(mp != NULL, "pool");
	tmp_path(path, sizeof(path), "rt");
	ret = roundtrip(mp, path);
	unlink(path);
	keel_mempool_free(mp);
	return ret;
}
KEEL_TEST(net_pcap_roundtrip, "fast", 0, test_net_pcap_roundtrip)

/* tcpdump -r reads what the driver wrote */
static int
tcpdump_reads(struct keel_mempool *mp, const char *path)
{
	char cmd[300], line[512];
	int lines = 0, st;
	FILE *f;

	if (write_file(mp, path))
		return TEST_FAILED;
	snprintf(cmd, sizeof(cmd), "tcpdump -r %s -n -e 2>&1", path);
	f = popen(cmd, "r");
	TEST_ASSERT(f != NULL, "popen");
	/* one line per packet starts with its time stamp; hex dumps of
	 * unknown protocols follow, indented */
	while (fgets(line, sizeof(line), f) != NULL)
		if (line[0] >= '0' && line[0] <= '9' && line[2] == ':')
			lines++;
	st = pclose(f);
	TEST_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "tcpdump -r exit status %d", st);
	TEST_ASSERT_EQUAL(lines, N_PKTS, "tcpdump printed one line a packet");
	return TEST_SUCCESS;
}

static int
test_net_pcap_tcpdump(void)
{
	struct keel_mempool *mp;
	char path[128];
	int ret;

	if (access("/usr/bin/tcpdump", X_OK) != 0 &&
	    access("/usr/sbin/tcpdump", X_OK) != 0)
		return keel_test_skip("tcpdump is not installed (apt-get install tcpdump)");
	mp = test_net_pool("pcap_td", 1023);
	TEST_ASSERT(mp != NULL, "pool");
	tmp_path(path, sizeof(path), "td");
	ret = tcpdump_reads(mp, path);
	unlink(path);
	keel_mempool_free(mp);
	return ret;
}
KEEL_TEST(net_pcap_tcpdump, "fast", 0, test_net_pcap_tcpdump)

static int
expect_refused(const char *args, int err, const char *in_log)
{
	char *log;
	int ret;

	test_log_capture_start();
	ret = test_net_attach(args);
	log = test_log_capture_stop();
	TEST_ASSERT_EQUAL(ret, err, "attach %s", args);
	TEST_ASSERT(strstr(log, in_log) != NULL, "%s: log lacks '%s': %s",
		    args, in_log, log);
	free(log);
	return TEST_SUCCESS;
}

static int
write_bytes(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	if (len > 0 && fwrite(buf, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

static int
bad_files(struct keel_mempool *mp, const char *good, const char *bad,
	  char **buf)
{
	uint16_t n = keel_eth_dev_count_total();
	char args[300];
	struct stat sb;
	uint8_t junk[200];
	size_t off = 24;        /* pcap file header, then 16-byte records */
	FILE *f;
	int ret;

	if (write_file(mp, good))
		return TEST_FAILED;
	/* garbage */
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 31 + 7);
	TEST_ASSERT_SUCCESS(write_bytes(bad, junk, sizeof(junk)), "write");
	snprintf(args, sizeof(args), "net_pcap_b,rx_pcap=%s", bad);
	if (expect_refused(args, -EINVAL, bad) ||
	    expect_refused(args, -EINVAL, "unknown file format"))
		return TEST_FAILED;
	/* empty file */
	TEST_ASSERT_SUCCESS(write_bytes(bad, junk, 0), "write");
	if (expect_refused(args, -EINVAL, bad))
		return TEST_FAILED;
	/* truncated in packet 42's data, then in its record header */
	TEST_ASSERT(stat(good, &sb) == 0, "stat");
	*buf = malloc((size_t)sb.st_size);
	f = fopen(good, "rb");
	TEST_ASSERT(*buf != NULL && f != NULL, "read %s", good);
	ret = fread(*buf, 1, (size_t)sb.st_size, f) == (size_t)sb.st_size;
	fclose(f);
	TEST_ASSERT(ret, "read %s", good);
	for (uint32_t i = 0; i < 42; i++)
		off += 16 + plen(i);
	TEST_ASSERT_SUCCESS(write_bytes(bad, *buf, off + 16 + 10), "write");
	if (expect_refused(args, -EINVAL, "bad file after 42 packets") ||
	    expect_refused(args, -EINVAL, "truncated"))
		return TEST_FAILED;
	TEST_ASSERT_SUCCESS(write_bytes(bad, *buf, off + 7), "write");
	if (expect_refused(args, -EINVAL, "bad file after 42 packets"))
		return TEST_FAILED;
	/* the header alone: a valid, empty capture */
	TEST_ASSERT_SUCCESS(write_bytes(bad, *buf, 24), "write");
	ret = test_net_attach(args);
	TEST_ASSERT(ret >= 0, "header-only file refused");
	TEST_ASSERT_SUCCESS(keel_eth_dev_detach((uint16_t)ret), "detach");
	/* not Ethernet */
	{
		pcap_t *dead = pcap_open_dead(DLT_RAW, 65535);
		pcap_dumper_t *d = pcap_dump_open(dead, bad);

		TEST_ASSERT(d != NULL, "dumper");
		pcap_dump_close(d);
		pcap_close(dead);
		if (expect_refused(args, -EINVAL, "not Ethernet"))
			return TEST_FAILED;
	}
	if (expect_refused("net_pcap_b,infinite_rx=1", -EINVAL,
			   "infinite_rx=1 needs rx_pcap") ||
	    expect_refused("net_pcap_b,tx_pcap=/nonexistent/dir/x.pcap",
			   -EINVAL, "/nonexistent/dir/x.pcap") ||
	    expect_refused("net_pcap_b,rx_pcap=/nonexistent.pcap", -EINVAL,
			   "No such file") ||
	    expect_refused("net_pcap_b,iface=lo,rx_iface=lo", -EINVAL,
			   "together"))
		return TEST_FAILED;
	TEST_ASSERT_EQUAL(keel_eth_dev_count_total(), n, "no port left");
	return TEST_SUCCESS;
}

static int
test_net_pcap_bad_files(void)
{
	struct keel_mempool *mp = test_net_pool("pcap_bad", 1023);
	char good[128], bad[128], *buf = NULL;
	int ret;

	TEST_ASSERT(mp != NULL, "pool");
	tmp_path(good, sizeof(good), "good");
	tmp_path(bad, sizeof(bad), "bad");
	ret = bad_files(mp, good, bad, &buf);
	free(buf);
	unlink(good);
	unlink(bad);
	keel_mempool_free(mp);
	return ret;
}
KEEL_TEST(net_pcap_bad_files, "fast", 0, test_net_pcap_bad_files)

/* ------------------------------------------------------ live interfaces */

#define VETH_TYPE 0x88b5        /* IEEE 802 local experimental EtherType */

static int
sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
veth_body(const char *a, const char *b)
{
	struct keel_mempool *mp = test_net_pool("pcap_veth", 1023);
	struct keel_mbuf *pkts[32];
	char args[128];
	int pa, pb, found = 0;

	TEST_ASSERT(mp != NULL, "pool");
	snprintf(args, sizeof(args), "net_pcap_va,iface=%s", a);
	pa = test_net_attach(args);
	snprintf(args, sizeof(args), "net_pcap_vb,iface=%s", b);
	pb = test_net_attach(args);
	TEST_ASSERT(pa >= 0 && pb >= 0, "attach %d %d", pa, pb);
	TEST_ASSERT_SUCCESS(test_net_start((uint16_t)pa, 1, mp), "start");
	TEST_ASSERT_SUCCESS(test_net_start((uint16_t)pb, 1, mp), "start");
	for (int i = 0; i < 8; i++) {
		struct keel_mbuf *m = test_net_pkt(mp, 100, (uint8_t)i);
		uint8_t *d = keel_pktmbuf_mtod(m, uint8_t *);

		memset(d, 0xff, 6);             /* broadcast */
		d[12] = VETH_TYPE >> 8;
		d[13] = VETH_TYPE & 0xff;
		pkts[i] = m;
	}
	TEST_ASSERT_EQUAL(keel_eth_tx_burst((uint16_t)pa, 0, pkts, 8), 8, "tx");
	/* the kernel may add its own frames (IPv6 router solicitations...) */
	for (int spin = 0; spin < 2000 && found < 8; spin++) {
		uint16_t k = keel_eth_rx_burst((uint16_t)pb, 0, pkts, 32);

		for (uint16_t i = 0; i < k; i++) {
			uint8_t *d = keel_pktmbuf_mtod(pkts[i], uint8_t *);

			if (pkts[i]->pkt_len == 100 && d[12] == 0x88 &&
			    d[13] == 0xb5 && d[14] == (uint8_t)(found + 14))
				found++;
		}
		keel_pktmbuf_free_bulk(pkts, k);
		if (k == 0)
			usleep(1000);
	}
	TEST_ASSERT_EQUAL(found, 8, "frames through the veth pair, in order");
	TEST_ASSERT_SUCCESS(keel_eth_dev_detach((uint16_t)pa), "detach");
	TEST_ASSERT_SUCCESS(keel_eth_dev_detach((uint16_t)pb), "detach");
	keel_mempool_free(mp);
	return TEST_SUCCESS;
}

static int
test_net_pcap_iface(void)
{
	char a[16], b[16], cmd[256];
	int ret;

	if (access("/usr/sbin/ip", X_OK) != 0 && access("/sbin/ip", X_OK) != 0)
		return keel_test_skip("needs iproute2 (ip)");
	/* a veth pair with no address: nothing can leave the machine */
	snprintf(a, sizeof(a), "kpv%da", (int)getpid() % 100000);
	snprintf(b, sizeof(b), "kpv%db", (int)getpid() % 100000);
	snprintf(cmd, sizeof(cmd),
		 "ip link add %s type veth peer name %s && ip link set %s up && ip link set %s up",
		 a, b, a, b);
	if (sh(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "ip link del %s 2>/dev/null", a);
		sh(cmd);
		return keel_test_skip("cannot create a veth pair here");
	}
	ret = veth_body(a, b);
	snprintf(cmd, sizeof(cmd), "ip link del %s", a);
	if (sh(cmd) != 0 && ret == TEST_SUCCESS) {
		printf("  could not delete veth %s\n", a);
		ret = TEST_FAILED;
	}
	return ret;
}
KEEL_TEST(net_pcap_iface, "fast", TEST_NEED_ROOT, test_net_pcap_iface)
