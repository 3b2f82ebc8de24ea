/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_tap against the kernel's own network stack (root only): the tap
 * interface goes into a network namespace of its own with documentation
 * addresses (192.0.2.1/24, 2001:db8::1/64: RFC 5737 and RFC 3849 ranges,
 * which never leave the machine), and the kernel's ping to 192.0.2.2 and
 * 2001:db8::2 is answered by a tiny responder on the Keel port: ARP and
 * NDP (neighbour solicitation -> advertisement), ICMP and ICMPv6 echo.
 * The namespace and the interface are removed whatever the outcome.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keel_cycles.h"
#include "keel_ethdev.h"
#include "keel_malloc.h"
#include "keel_mbuf.h"
#include "keel_mempool.h"
#include "test.h"
#include "test_net_util.h"

static const uint8_t my_ip4[4] = { 192, 0, 2, 2 };
static const uint8_t my_ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/* RFC 1071 sum, folded later */
static uint32_t
sum16(const void *p, size_t len, uint32_t s)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	return s;
}

static uint16_t
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ICMPv6 checksum over the pseudo-header (RFC 8200 section 8.1) */
static void
icmp6_csum(uint8_t *ip6, uint8_t *icmp, uint16_t len)
{
	uint32_t s = sum16(ip6 + 8, 32, 0) + len + 58;

	icmp[2] = icmp[3] = 0;
	put16(icmp + 2, fold(sum16(icmp, len, s)));
}

static void
swap(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t t[16];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

/* rewrite @p m into the answer; 1 when it is one to send */
static int
answer(struct keel_mbuf *m, const struct keel_ether_addr *mac)
{
	uint8_t *e = keel_pktmbuf_mtod(m, uint8_t *), *l3 = e + 14;
	uint16_t type = (uint16_t)(e[12] << 8 | e[13]);
	uint32_t len = m->data_len;

	if (type == KEEL_ETHER_TYPE_ARP && len >= 42 && l3[7] == 1 &&
	    memcmp(l3 + 24, my_ip4, 4) == 0) {
		/* ARP request for us (RFC 826): reply */
		memcpy(e, e + 6, 6);
		memcpy(e + 6, mac, 6);
		l3[7] = 2;
		memcpy(l3 + 18, l3 + 8, 10);            /* THA, TPA = SHA, SPA */
		memcpy(l3 + 8, mac, 6);
		memcpy(l3 + 14, my_ip4, 4);
		return 1;
	}
	if (type == KEEL_ETHER_TYPE_IPV4 && len >= 14 + 20 + 8 &&
	    l3[9] == 1 && memcmp(l3 + 16, my_ip4, 4) == 0) {
		uint32_t ihl = (l3[0] & 0xf) * 4u;
		uint16_t tot = (uint16_t)(l3[2] << 8 | l3[3]);
		uint8_t *icmp = l3 + ihl;

		if (icmp[0] != 8 || tot > len - 14 || ihl < 20)
			return 0;
		swap(e, e + 6, 6);
		swap(l3 + 12, l3 + 16, 4);
		icmp[0] = 0;                            /* echo reply */
		icmp[2] = icmp[3] = 0;
		put16(icmp + 2, fold(sum16(icmp, tot - ihl, 0)));
		l3[10] = l3[11] = 0;
		put16(l3 + 10, fold(sum16(l3, ihl, 0)));
		return 1;
	}
	if (type == KEEL_ETHER_TYPE_IPV6 && len >= 14 + 40 + 8 &&
	    l3[6] == 58) {
		uint16_t plen = (uint16_t)(l3[4] << 8 | l3[5]);
		uint8_t *icmp = l3 + 40;

		if (plen > len - 54)
			return 0;
		if (icmp[0] == 135 && plen >= 24 &&
		    memcmp(icmp + 8, my_ip6, 16) == 0) {
			/* neighbour solicitation (RFC 4861 4.3): advertise */
			swap(e, e + 6, 6);
			memcpy(e + 6, mac, 6);
			memcpy(l3 + 24, l3 + 8, 16);    /* to the asker */
			memcpy(l3 + 8, my_ip6, 16);
			l3[4] = 0;
			l3[5] = 32;
			l3[7] = 255;
			icmp[0] = 136;
			icmp[4] = 0x60;                 /* Solicited, Override */
			icmp[5] = icmp[6] = icmp[7] = 0;
			icmp[24] = 2;                   /* target link-layer */
			icmp[25] = 1;
			memcpy(icmp + 26, mac, 6);
			icmp6_csum(l3, icmp, 32);
			m->data_len = m->pkt_len = 14 + 40 + 32;
			return 1;
		}
		if (icmp[0] == 128 && memcmp(l3 + 24, my_ip6, 16) == 0) {
			swap(e, e + 6, 6);
			swap(l3 + 8, l3 + 24, 16);
			icmp[0] = 129;                  /* echo reply */
			icmp6_csum(l3, icmp, plen);
			return 1;
		}
	}
	return 0;
}

static int
sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* run @p cmd while answering on @p port; its exit status, or -1 */
static int
ping_answered(uint16_t port, const char *cmd, uint64_t *answered)
{
	struct keel_ether_addr mac;
	uint64_t deadline = keel_time_ns() + 20ull * 1000000000ull;
	pid_t pid;
	int st;

	keel_eth_macaddr_get(port, &mac);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	for (;;) {
		struct keel_mbuf *pkts[32], *out[32];
		uint16_t k = keel_eth_rx_burst(port, 0, pkts, 32), n = 0, s;

		for (uint16_t i = 0; i < k; i++) {
			if (answer(pkts[i], &mac))
				out[n++] = pkts[i];
			else
				keel_pktmbuf_free(pkts[i]);
		}
		s = keel_eth_tx_burst(port, 0, out, n);
		*answered += s;
		keel_pktmbuf_free_bulk(out + s, n - s);
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		if (keel_time_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		if (k == 0)
			usleep(200);
	}
}

static int
tap_body(const char *ns, const char *ifname)
{
	struct keel_mempool *mp = test_net_pool("tap_ping", 1023);
	struct keel_eth_dev_info info;
	struct keel_eth_stats st;
	char args[64], cmd[512];
	uint64_t answered = 0;
	int port, ret;

	TEST_ASSERT(mp != NULL, "pool");
	snprintf(args, sizeof(args), "net_tap_ping,iface=%s", ifname);
	port = test_net_attach(args);
	TEST_ASSERT(port >= 0, "attach %s", args);
	TEST_ASSERT_SUCCESS(keel_eth_dev_info_get((uint16_t)port, &info), "i");
	TEST_ASSERT(info.if_index > 0, "the kernel interface's index");
	TEST_ASSERT_SUCCESS(test_net_start((uint16_t)port, 1, mp), "start");
	snprintf(cmd, sizeof(cmd),
		 "ip link set %s netns %s && "
		 "ip -n %s link set lo up && ip -n %s link set %s up && "
		 "ip -n %s addr add 192.0.2.1/24 dev %s && "
		 "ip -n %s addr add 2001:db8::1/64 dev %s nodad",
		 ifname, ns, ns, ns, ifname, ns, ifname, ns, ifname);
	TEST_ASSERT_SUCCESS(sh(cmd), "%s", cmd);
	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s ping -n -q -c 3 -i 0.2 -W 2 192.0.2.2 >/dev/null",
		 ns);
	ret = ping_answered((uint16_t)port, cmd, &answered);
	TEST_ASSERT_EQUAL(ret, 0, "IPv4 ping through the tap port (ARP, echo)");
	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s ping -6 -n -q -c 3 -i 0.2 -W 2 2001:db8::2 >/dev/null",
		 ns);
	ret = ping_answered((uint16_t)port, cmd, &answered);
	TEST_ASSERT_EQUAL(ret, 0, "IPv6 ping through the tap port (NDP, echo)");
	TEST_ASSERT(answered >= 8, "answers sent: %llu",
		    (unsigned long long)answered);
	TEST_ASSERT_SUCCESS(keel_eth_stats_get((uint16_t)port, &st), "stats");
	TEST_ASSERT(st.opackets == answered && st.ipackets >= answered,
		    "stats: in %llu out %llu", (unsigned long long)st.ipackets,
		    (unsigned long long)st.opackets);
	printf("  kernel ping (v4 + v6) answered: %llu frames in, %llu out\n",
	       (unsigned long long)st.ipackets,
	       (unsigned long long)st.opackets);
	TEST_ASSERT_SUCCESS(keel_eth_dev_detach((uint16_t)port), "detach");
	keel_mempool_free(mp);
	return TEST_SUCCESS;
}

static int
test_net_tap_ping(void)
{
	char ns[32], ifname[16], cmd[128];
	int ret;

	if (access("/dev/net/tun", R_OK | W_OK) != 0)
		return keel_test_skip("needs /dev/net/tun");
	if (sh("command -v ping >/dev/null && command -v ip >/dev/null") != 0)
		return keel_test_skip("needs ping and iproute2 (ip)");
	snprintf(ns, sizeof(ns), "keeltap%d", (int)getpid());
	snprintf(ifname, sizeof(ifname), "ktp%d", (int)getpid() % 1000000);
	snprintf(cmd, sizeof(cmd), "ip netns add %s", ns);
	if (sh(cmd) != 0)
		return keel_test_skip("cannot create a network namespace here");
	ret = tap_body(ns, ifname);
	/* whatever happened: the port (and with it the interface) and the
	 * namespace go */
	{
		uint16_t p;

		if (keel_eth_dev_get_port_by_name("net_tap_ping", &p) == 0)
			keel_eth_dev_detach(p);
	}
	snprintf(cmd, sizeof(cmd), "ip netns del %s", ns);
	if (sh(cmd) != 0 && ret == TEST_SUCCESS) {
		printf("  could not delete namespace %s\n", ns);
		ret = TEST_FAILED;
	}
	return ret;
}
KEEL_TEST(net_tap_ping, "fast", TEST_NEED_ROOT, test_net_tap_ping)

/* argument checks, the link following IFF_UP, MTU on the kernel side */
static int
test_net_tap_control(void)
{
	struct keel_mempool *mp;
	struct keel_eth_link link;
	char ifname[16], args[64], cmd[128], *log;
	uint16_t mtu;
	int port;

	if (access("/dev/net/tun", R_OK | W_OK) != 0)
		return keel_test_skip("needs /dev/net/tun");
	test_log_capture_start();
	port = test_net_attach("net_tap_bad,iface=a/b");
	TEST_ASSERT_EQUAL(port, -EINVAL, "bad name");
	port = test_net_attach("net_tap_bad,queues=9");
	TEST_ASSERT_EQUAL(port, -EINVAL, "queues");
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "iface=a/b") && strstr(log, "queues=9"),
		    "log: %s", log);
	free(log);

	mp = test_net_pool("tap_ctl", 511);
	TEST_ASSERT(mp != NULL, "pool");
	snprintf(ifname, sizeof(ifname), "ktc%d", (int)getpid() % 1000000);
	snprintf(args, sizeof(args), "net_tap_c,iface=%s,queues=2", ifname);
	port = test_net_attach(args);
	TEST_ASSERT(port >= 0, "attach %s", args);
	TEST_ASSERT_SUCCESS(test_net_start((uint16_t)port, 2, mp), "start");
	TEST_ASSERT_SUCCESS(keel_eth_link_get((uint16_t)port, &link), "link");
	TEST_ASSERT_EQUAL(link.link_status, KEEL_ETH_LINK_UP, "up at start");
	snprintf(cmd, sizeof(cmd), "ip link set %s down", ifname);
	TEST_ASSERT_SUCCESS(sh(cmd), "%s", cmd);
	TEST_ASSERT_SUCCESS(keel_eth_link_get((uint16_t)port, &link), "link");
	TEST_ASSERT_EQUAL(link.link_status, KEEL_ETH_LINK_DOWN,
			  "down with the kernel interface");
	TEST_ASSERT_SUCCESS(keel_eth_dev_set_link_up((uint16_t)port), "up");
	snprintf(cmd, sizeof(cmd),
		 "ip link show %s | grep -q 'state UNKNOWN\\|,UP'", ifname);
	TEST_ASSERT_SUCCESS(sh(cmd), "kernel interface up again");
	TEST_ASSERT_SUCCESS(keel_eth_dev_set_mtu((uint16_t)port, 1400), "mtu");
	snprintf(cmd, sizeof(cmd), "ip link show %s | grep -q 'mtu 1400'",
		 ifname);
	TEST_ASSERT_SUCCESS(sh(cmd), "kernel MTU follows");
	TEST_ASSERT_SUCCESS(keel_eth_dev_get_mtu((uint16_t)port, &mtu), "mtu");
	TEST_ASSERT_EQUAL(mtu, 1400, "mtu");
	TEST_ASSERT_SUCCESS(keel_eth_dev_detach((uint16_t)port), "detach");
	snprintf(cmd, sizeof(cmd), "ip link show %s 2>/dev/null", ifname);
	TEST_ASSERT(sh(cmd) != 0, "the interface went with the port");
	keel_mempool_free(mp);
	return TEST_SUCCESS;
}
KEEL_TEST(net_tap_control, "fast", TEST_NEED_ROOT, test_net_tap_control)

static int
count_rmv(uint16_t port, enum keel_eth_event_type ev, void *arg, void *ret)
{
	(void)port; (void)ev; (void)ret;
	(*(int *)arg)++;
	return 0;
}

/* the kernel side deletes the interface: link down for good, INTR_RMV */
static int
removal_body(const char *ifname, struct keel_mempool *mp, int *rmv)
{
	struct keel_eth_conf c = { .intr_conf = { .lsc = 1, .rmv = 1 } };
	struct keel_eth_link link;
	char args[64], cmd[128], *log;
	int port, ret;

	snprintf(args, sizeof(args), "net_tap_rmv,iface=%s", ifname);
	port = test_net_attach(args);
	TEST_ASSERT(port >= 0, "attach %s", args);
	TEST_ASSERT_SUCCESS(keel_eth_dev_callback_register((uint16_t)port,
			    KEEL_ETH_EVENT_INTR_RMV, count_rmv, rmv), "reg");
	TEST_ASSERT_SUCCESS(keel_eth_dev_configure((uint16_t)port, 1, 1, &c),
			    "configure with removal events");
	TEST_ASSERT_SUCCESS(keel_eth_rx_queue_setup((uint16_t)port, 0, 0,
			    KEEL_SOCKET_ID_ANY, NULL, mp), "rxq");
	TEST_ASSERT_SUCCESS(keel_eth_tx_queue_setup((uint16_t)port, 0, 0,
			    KEEL_SOCKET_ID_ANY, NULL), "txq");
	TEST_ASSERT_SUCCESS(keel_eth_dev_start((uint16_t)port), "start");
	snprintf(cmd, sizeof(cmd), "ip link del %s", ifname);
	TEST_ASSERT_SUCCESS(sh(cmd), "%s", cmd);
	memset(&link, 0xff, sizeof(link));
	test_log_capture_start();
	ret = keel_eth_link_get((uint16_t)port, &link);
	log = test_log_capture_stop();
	TEST_ASSERT_SUCCESS(ret, "link of a deleted interface");
	TEST_ASSERT_EQUAL(link.link_status, KEEL_ETH_LINK_DOWN, "down");
	TEST_ASSERT(strstr(log, "is gone") != NULL, "log: %s", log);
	free(log);
	TEST_ASSERT_EQUAL(*rmv, 1, "INTR_RMV delivered");
	TEST_ASSERT_SUCCESS(keel_eth_link_get_nowait((uint16_t)port, &link),
			    "again");
	TEST_ASSERT_EQUAL(link.link_status, KEEL_ETH_LINK_DOWN, "down");
	TEST_ASSERT_EQUAL(*rmv, 1, "signalled once");
	TEST_ASSERT_SUCCESS(keel_eth_dev_detach((uint16_t)port), "detach");
	return TEST_SUCCESS;
}

static int
test_net_tap_removal(void)
{
	struct keel_mempool *mp;
	char ifname[16], cmd[64];
	int rmv = 0, ret;

	if (access("/dev/net/tun", R_OK | W_OK) != 0)
		return keel_test_skip("needs /dev/net/tun");
	if (sh("command -v ip >/dev/null") != 0)
		return keel_test_skip("needs iproute2 (ip)");
	mp = test_net_pool("tap_rmv", 255);
	TEST_ASSERT(mp != NULL, "pool");
	snprintf(ifname, sizeof(ifname), "ktr%d", (int)getpid() % 1000000);
	ret = removal_body(ifname, mp, &rmv);
	snprintf(cmd, sizeof(cmd), "ip link del %s 2>/dev/null", ifname);
	sh(cmd);
	keel_mempool_free(mp);
	return ret;
}
KEEL_TEST(net_tap_removal, "fast", TEST_NEED_ROOT, test_net_tap_removal)
