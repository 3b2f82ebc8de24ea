/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ethdev features through the test driver: statistics and xstats (reset by
 * baseline while counters run), events (NEW, DESTROY, LSC), Rx/Tx
 * callbacks, ownership, MAC/MTU/promiscuous/RSS settings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keel_ethdev.h"
#include "keel_malloc.h"
#include "test.h"
#include "test_ethdev_drv.h"


static int
mk_started(const char *name, uint16_t nrx, uint16_t ntx,
	   const struct keel_eth_conf *conf)
{
	struct keel_eth_conf c = { 0 };
	struct test_eth_cfg cfg;
	int port;

	test_eth_default_cfg(&cfg);
	port = test_eth_create(name, &cfg);
	if (port < 0)
		return port;
	if (conf != NULL)
		c = *conf;
	if (keel_eth_dev_configure((uint16_t)port, nrx, ntx, &c) < 0)
		return -1;
	for (uint16_t q = 0; q < nrx; q++)
		if (keel_eth_rx_queue_setup((uint16_t)port, q, 64,
				KEEL_SOCKET_ID_ANY, NULL, test_eth_pool()) < 0)
			return -1;
	for (uint16_t q = 0; q < ntx; q++)
		if (keel_eth_tx_queue_setup((uint16_t)port, q, 64,
				KEEL_SOCKET_ID_ANY, NULL) < 0)
			return -1;
	if (keel_eth_dev_start((uint16_t)port) < 0)
		return -1;
	return port;
}

static int
xstat(uint16_t port, const char *name, uint64_t *v)
{
	uint64_t id;
	int ret = keel_eth_xstats_get_id_by_name(port, name, &id);

	if (ret < 0)
		return ret;
	ret = keel_eth_xstats_get_by_id(port, &id, v, 1);
	return ret == 1 ? 0 : -1;
}

static int
test_ethdev_stats(void)
{
	struct keel_mbuf *pkts[64];
	struct keel_eth_stats st;
	struct keel_eth_queue_stats qs;
	struct keel_eth_xstat_name *names;
	struct keel_eth_xstat *xs;
	struct test_eth_priv *pv;
	int port = mk_started("t_stats", 2, 1, NULL), n;
	uint16_t p = (uint16_t)port;
	uint64_t v;

	TEST_ASSERT(port >= 0, "port");
	pv = test_eth_priv(p);
	TEST_ASSERT_EQUAL(keel_eth_rx_burst(p, 0, pkts, 10), 10, "rx");
	TEST_ASSERT_EQUAL(keel_eth_rx_burst(p, 1, pkts, 64), 32, "rx");
	pv->cfg.tx_room = 3;
	TEST_ASSERT_EQUAL(keel_eth_tx_burst(p, 0, pkts, 5), 3, "tx");
	TEST_ASSERT_SUCCESS(keel_eth_stats_get(p, &st), "stats");
	TEST_ASSERT_EQUAL(st.ipackets, 42, "ipackets");
	TEST_ASSERT_EQUAL(st.ibytes, 42 * 64, "ibytes");
	TEST_ASSERT_EQUAL(st.q_ipackets[0], 10, "q0");
	TEST_ASSERT_EQUAL(st.q_ipackets[1], 32, "q1");
	TEST_ASSERT_EQUAL(st.opackets, 3, "opackets");
	TEST_ASSERT_EQUAL(st.oerrors, 2, "oerrors");
	TEST_ASSERT_SUCCESS(keel_eth_queue_stats_get(p, 1, true, &qs), "qs");
	TEST_ASSERT_EQUAL(qs.packets, 32, "queue stats");
	TEST_ASSERT_EQUAL(keel_eth_queue_stats_get(p, 2, true, &qs), -EINVAL,
			  "bad queue");

	/* xstats: generic names, per queue, then the driver's */
	n = keel_eth_xstats_get_names(p, NULL, 0);
	TEST_ASSERT_EQUAL(n, 8 + 3 * 2 + 2 * 1 + 1, "xstats count");
	names = calloc((size_t)n, sizeof(*names));
	xs = calloc((size_t)n, sizeof(*xs));
	TEST_ASSERT(names && xs, "alloc");
	TEST_ASSERT_EQUAL(keel_eth_xstats_get_names(p, names, (unsigned)n - 1),
			  n, "too small: count only");
	TEST_ASSERT_EQUAL(names[0].name[0], 0, "nothing written");
	TEST_ASSERT_EQUAL(keel_eth_xstats_get_names(p, names, (unsigned)n), n,
			  "names");
	TEST_ASSERT(strcmp(names[0].name, "rx_good_packets") == 0, "%s",
		    names[0].name);
	TEST_ASSERT(strcmp(names[12].name, "rx_q1_bytes") == 0, "%s",
		    names[12].name);
	TEST_ASSERT(strcmp(names[14].name, "tx_q0_packets") == 0, "%s",
		    names[14].name);
	TEST_ASSERT(strcmp(names[n - 1].name, "rx_polls") == 0, "%s",
		    names[n - 1].name);
	TEST_ASSERT_EQUAL(keel_eth_xstats_get(p, xs, (unsigned)n), n, "get");
	TEST_ASSERT(xs[0].id == 0 && xs[0].value == 42, "rx_good_packets %llu",
		    (unsigned long long)xs[0].value);
	TEST_ASSERT_EQUAL(xs[6].value, 2, "tx_errors");
	TEST_ASSERT_EQUAL(xs[n - 1].value, 2, "driver rx_polls");
	TEST_ASSERT_SUCCESS(xstat(p, "rx_q0_packets", &v), "by name");
	TEST_ASSERT_EQUAL(v, 10, "rx_q0_packets");
	TEST_ASSERT_EQUAL(xstat(p, "no_such_stat", &v), -ENOENT, "unknown");
	{
		uint64_t bad = (uint64_t)n;

		TEST_ASSERT_EQUAL(keel_eth_xstats_get_by_id(p, &bad, &v, 1),
				  -EINVAL, "bad id");
	}

	/* reset: a baseline; counters keep running */
	TEST_ASSERT_SUCCESS(keel_eth_stats_reset(p), "reset");
	TEST_ASSERT_SUCCESS(keel_eth_stats_get(p, &st), "stats");
	TEST_ASSERT(st.ipackets == 0 && st.opackets == 0 && st.oerrors == 0,
		    "after reset %llu", (unsigned long long)st.ipackets);
	TEST_ASSERT_SUCCESS(xstat(p, "rx_polls", &v), "rx_polls");
	TEST_ASSERT_EQUAL(v, 0, "driver xstat reset");
	TEST_ASSERT_EQUAL(keel_eth_rx_burst(p, 0, pkts, 4), 4, "rx");
	TEST_ASSERT_SUCCESS(keel_eth_stats_get(p, &st), "stats");
	TEST_ASSERT_EQUAL(st.ipackets, 4, "counted after reset");
	TEST_ASSERT_SUCCESS(xstat(p, "rx_polls", &v), "rx_polls");
	TEST_ASSERT_EQUAL(v, 1, "driver xstat after reset");
	TEST_ASSERT_EQUAL(keel_eth_stats_get(p, NULL), -EINVAL, "NULL");
	TEST_ASSERT_EQUAL(keel_eth_stats_get(KEEL_MAX_ETHPORTS, &st), -ENODEV,
			  "bad port");
	free(names);
	free(xs);
	TEST_ASSERT_SUCCESS(keel_eth_dev_close(p), "close");
	return TEST_SUCCESS;
}
KEEL_TEST(ethdev_stats, "fast", 0, test_ethdev_stats)

/* ---------------------------------------------------------------- events */

struct ev_log {
	int n;
	uint16_t port[16];
	enum keel_eth_event_type ev[16];
	int name_ok[16];    /* the port's name was readable in the callback */
};

static int
ev_cb(uint16_t port, enum keel_eth_event_type ev, void *arg, void *ret)
{
	struct ev_log *l = arg;
	char name[KEEL_ETH_NAME_MAX_LEN];

	(void)ret;
	if (l->n < 16) {
		l->port[l->n] = port;
		l->ev[l->n] = ev;
		l->name_ok[l->n] = keel_eth_dev_get_name_by_port(port, name) == 0;
		l->n++;
	}
	return 0;
}

static int
self_unreg_cb(uint16_t port, enum keel_eth_event_type ev, void *arg,
	      void *ret)
{
	int *count = arg;

	(void)ret;
	(*count)++;
	return keel_eth_dev_callback_unregister(port, ev, self_unreg_cb, arg);
}

static int
test_ethdev_events(void)
{
	struct keel_eth_conf c = { .intr_conf = { .lsc = 1 } };
	struct ev_log all = { 0 }, lsc = { 0 };
	struct keel_eth_link link;
	char s[KEEL_ETH_LINK_MAX_STR_LEN];
	int self_count = 0, port;
	uint16_t p;

	TEST_ASSERT_SUCCESS(keel_eth_dev_callback_register(KEEL_ETH_ALL,
			    KEEL_ETH_EVENT_NEW, ev_cb, &all), "reg new");
	TEST_ASSERT_SUCCESS(keel_eth_dev_callback_register(KEEL_ETH_ALL,
			    KEEL_ETH_EVENT_DESTROY, ev_cb, &all), "reg destroy");
	TEST_ASSERT_SUCCESS(keel_eth_dev_callback_register(KEEL_ETH_ALL,
			    KEEL_ETH_EVENT_NEW, ev_cb, &all), "twice: no-op");
	TEST_ASSERT_EQUAL(keel_eth_dev_callback_register(0,
			  KEEL_ETH_EVENT_MAX, ev_cb, &all), -EINVAL, "bad ev");
	TEST_ASSERT_EQUAL(keel_eth_dev_callback_register(KEEL_ETH_ALL + 1,
			  KEEL_ETH_EVENT_NEW, ev_cb, &all), -EINVAL, "bad port");
	port = mk_started("t_ev", 1, 1, &c);
	TEST_ASSERT(port >= 0, "port");
	p = (uint16_t)port;
	TEST_ASSERT_EQUAL(all.n, 1, "one NEW");
	TEST_ASSERT(all.ev[0] == KEEL_ETH_EVENT_NEW && all.port[0] == p &&
		    all.name_ok[0], "NEW for port %u", p);

	TEST_ASSERT_SUCCESS(keel_eth_dev_callback_register(p,
			    KEEL_ETH_EVENT_INTR_LSC, ev_cb, &lsc), "reg lsc");
	TEST_ASSERT_SUCCESS(keel_eth_dev_callback_register(p,
			    KEEL_ETH_EVENT_INTR_LSC, self_unreg_cb,
			    &self_count), "reg self");
	TEST_ASSERT_SUCCESS(keel_eth_link_get_nowait(p, &link), "link");
	TEST_ASSERT_EQUAL(link.link_status, KEEL_ETH_LINK_UP, "up");
	TEST_ASSERT_EQUAL(link.link_speed, KEEL_ETH_SPEED_NUM_10G, "speed");
	keel_eth_link_to_str(s, sizeof(s), &link);
	TEST_ASSERT(strcmp(s, "Link up at 10 Gbps FDX Fixed") == 0, "%s", s);
	TEST_ASSERT_SUCCESS(keel_eth_dev_set_link_down(p), "down");
	TEST_ASSERT_EQUAL(lsc.n, 1, "LSC delivered");
	TEST_ASSERT_SUCCESS(keel_eth_link_get(p, &link), "link");
	TEST_ASSERT_EQUAL(link.link_status, KEEL_ETH_LINK_DOWN, "down");
	TEST_ASSERT_SUCCESS(keel_eth_dev_set_link_down(p), "down again");
	TEST_ASSERT_EQUAL(lsc.n, 1, "no change, no event");
	TEST_ASSERT_SUCCESS(keel_eth_dev_set_link_up(p), "up");
	TEST_ASSERT_EQUAL(lsc.n, 2, "LSC up");
	TEST_ASSERT_EQUAL(self_count, 1, "self-unregistered after one run");
	/* stop takes the link down (an event from inside the stop op) */
	TEST_ASSERT_SUCCESS(keel_eth_dev_stop(p), "stop");
	TEST_ASSERT_EQUAL(lsc.n, 3, "LSC on stop");
	TEST_ASSERT_SUCCESS(keel_eth_dev_callback_unregister(p,
			    KEEL_ETH_EVENT_INTR_LSC, ev_cb, KEEL_ETH_CB_ANY_ARG),
			    "unreg");
	TEST_ASSERT_EQUAL(keel_eth_dev_callback_unregister(p,
			  KEEL_ETH_EVENT_INTR_LSC, ev_cb, &lsc), -ENOENT,
			  "unreg twice");
	TEST_ASSERT_SUCCESS(keel_eth_dev_start(p), "start");
	TEST_ASSERT_EQUAL(lsc.n, 3, "no LSC after unregister");

	TEST_ASSERT_SUCCESS(keel_eth_dev_close(p), "close");
	TEST_ASSERT_EQUAL(all.n, 2, "DESTROY");
	TEST_ASSERT(all.ev[1] == KEEL_ETH_EVENT_DESTROY && all.port[1] == p &&
		    all.name_ok[1], "DESTROY while the port still has its name");
	TEST_ASSERT_SUCCESS(keel_eth_dev_callback_unregister(KEEL_ETH_ALL,
			    KEEL_ETH_EVENT_NEW, ev_cb, &all), "unreg");
	TEST_ASSERT_SUCCESS(keel_eth_dev_callback_unregister(KEEL_ETH_ALL,
			    KEEL_ETH_EVENT_DESTROY, ev_cb, &all), "unreg");
	/* LSC without intr_conf.lsc: no event */
	lsc.n = 0;
	port = mk_started("t_ev2", 1, 1, NULL);
	TEST_ASSERT(port >= 0, "port");
	TEST_ASSERT_SUCCESS(keel_eth_dev_callback_register((uint16_t)port,
			    KEEL_ETH_EVENT_INTR_LSC, ev_cb, &lsc), "reg");
	TEST_ASSERT_SUCCESS(keel_eth_dev_set_link_down((uint16_t)port), "down");
	TEST_ASSERT_EQUAL(lsc.n, 0, "LSC not asked for");
	TEST_ASSERT_SUCCESS(keel_eth_dev_close((uint16_t)port), "close");
	/* the port's callbacks went with it: a new port with its id gets none */
	port = mk_started("t_ev3", 1, 1, &c);
	TEST_ASSERT(port >= 0, "port");
	TEST_ASSERT_SUCCESS(keel_eth_dev_set_link_down((uint16_t)port), "down");
	TEST_ASSERT_EQUAL(lsc.n, 0, "stale callback not inherited");
	TEST_ASSERT_SUCCESS(keel_eth_dev_close((uint16_t)port), "close");
	return TEST_SUCCESS;
}
KEEL_TEST(ethdev_events, "fast", 0, test_ethdev_events)

/* ------------------------------------------------------------- callbacks */

static uint16_t
rx_drop_half(uint16_t port, uint16_t q, struct keel_mbuf *pkts[],
	     uint16_t nb, uint16_t max, void *arg)
{
	int *calls = arg;

	(void)port; (void)q; (void)pkts; (void)max;
	calls[0]++;
	return nb / 2;
}

static uint16_t
rx_count(uint16_t port, uint16_t q, struct keel_mbuf *pkts[], uint16_t nb,
	 uint16_t max, void *arg)
{
	uint64_t *seen = arg;

	(void)port; (void)q; (void)pkts; (void)max;
	*seen += nb;
	return nb;
}

static uint16_t
tx_cap(uint16_t port, uint16_t q, struct keel_mbuf *pkts[], uint16_t nb,
       void *arg)
{
	uint16_t cap = *(uint16_t *)arg;

	(void)port; (void)q; (void)pkts;
	return nb < cap ? nb : cap;
}

static int
test_ethdev_callbacks(void)
{
	const struct keel_eth_rxtx_callback *a, *b, *t;
	struct keel_mbuf *pkts[64];
	uint64_t seen = 0;
	int calls = 0, port = mk_started("t_cb", 2, 1, NULL);
	uint16_t p = (uint16_t)port, cap = 2;

	TEST_ASSERT(port >= 0, "port");
	a = keel_eth_add_rx_callback(p, 0, rx_count, &seen);
	b = keel_eth_add_rx_callback(p, 0, rx_drop_half, &calls);
	TEST_ASSERT(a != NULL && b != NULL, "add");
	/* order: count (sees 32), then drop half */
	TEST_ASSERT_EQUAL(keel_eth_rx_burst(p, 0, pkts, 32), 16, "halved");
	TEST_ASSERT(seen == 32 && calls == 1, "seen %llu calls %d",
		    (unsigned long long)seen, calls);
	TEST_ASSERT_EQUAL(keel_eth_rx_burst(p, 1, pkts, 32), 32, "other queue");
	/* a first callback runs before: count sees the halved burst */
	TEST_ASSERT_SUCCESS(keel_eth_remove_rx_callback(p, 0, b), "remove");
	b = keel_eth_add_first_rx_callback(p, 0, rx_drop_half, &calls);
	TEST_ASSERT(b != NULL, "add first");
	seen = 0;
	TEST_ASSERT_EQUAL(keel_eth_rx_burst(p, 0, pkts, 32), 16, "halved");
	TEST_ASSERT_EQUAL(seen, 16, "count ran second");
	TEST_ASSERT_EQUAL(keel_eth_remove_rx_callback(p, 1, a), -ENOENT,
			  "not on queue 1");
	TEST_ASSERT_EQUAL(keel_eth_remove_rx_callback(p, 5, a), -EINVAL,
			  "bad queue");
	TEST_ASSERT_SUCCESS(keel_eth_remove_rx_callback(p, 0, a), "remove a");
	TEST_ASSERT_SUCCESS(keel_eth_remove_rx_callback(p, 0, b), "remove b");
	seen = 0;
	TEST_ASSERT_EQUAL(keel_eth_rx_burst(p, 0, pkts, 32), 32, "none left");
	TEST_ASSERT_EQUAL(seen, 0, "removed callback not run");
	/* Tx: runs before the driver */
	t = keel_eth_add_tx_callback(p, 0, tx_cap, &cap);
	TEST_ASSERT(t != NULL, "add tx");
	TEST_ASSERT_EQUAL(keel_eth_tx_burst(p, 0, pkts, 10), 2, "capped");
	errno = 0;
	TEST_ASSERT(keel_eth_add_tx_callback(p, 1, tx_cap, &cap) == NULL &&
		    errno == EINVAL, "bad tx queue");
	TEST_ASSERT(keel_eth_add_rx_callback(p, 0, NULL, NULL) == NULL &&
		    errno == EINVAL, "NULL fn");
	/* callbacks on a stopped port: run with 0 packets */
	seen = 0;
	a = keel_eth_add_rx_callback(p, 0, rx_count, &seen);
	TEST_ASSERT_SUCCESS(keel_eth_dev_stop(p), "stop");
	TEST_ASSERT_EQUAL(keel_eth_rx_burst(p, 0, pkts, 32), 0, "stopped");
	TEST_ASSERT_EQUAL(seen, 0, "nothing seen");
	/* close frees live and removed callbacks (ASan checks) */
	TEST_ASSERT_SUCCESS(keel_eth_dev_close(p), "close");
	return TEST_SUCCESS;
}
KEEL_TEST(ethdev_callbacks, "fast", 0, test_ethdev_callbacks)

/* ------------------------------------------------------------- ownership */

static int
test_ethdev_owner(void)
{
	struct keel_eth_dev_owner me = { 0 }, other = { 0 }, got;
	int pa = mk_started("t_own_a", 1, 1, NULL);
	int pb = mk_started("t_own_b", 1, 1, NULL);
	uint16_t p, n_seen = 0, n_mine = 0;

	TEST_ASSERT(pa >= 0 && pb >= 0, "ports");
	TEST_ASSERT_SUCCESS(keel_eth_dev_owner_new(&me.id), "new");
	TEST_ASSERT_SUCCESS(keel_eth_dev_owner_new(&other.id), "new");
	TEST_ASSERT(me.id != other.id && me.id != KEEL_ETH_DEV_NO_OWNER, "ids");
	snprintf(me.name, sizeof(me.name), "bonding");
	snprintf(other.name, sizeof(other.name), "capture");
	TEST_ASSERT_EQUAL(keel_eth_dev_owner_set((uint16_t)pa, &(struct
			  keel_eth_dev_owner){ .id = 999999 }), -EINVAL,
			  "unknown owner id");
	TEST_ASSERT_SUCCESS(keel_eth_dev_owner_set((uint16_t)pa, &me), "set");
	TEST_ASSERT_SUCCESS(keel_eth_dev_owner_get((uint16_t)pa, &got), "get");
	TEST_ASSERT(got.id == me.id && strcmp(got.name, "bonding") == 0,
		    "owner");
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_eth_dev_owner_set((uint16_t)pa, &other), -EBUSY,
			  "taken");
	free(test_log_capture_stop());
	KEEL_ETH_FOREACH_DEV(p)
		if (p == pa || p == pb)
			n_seen++;
	KEEL_ETH_FOREACH_DEV_OWNED_BY(p, me.id)
		n_mine++;
	TEST_ASSERT(n_seen == 1 && n_mine == 1, "iteration %u %u", n_seen,
		    n_mine);
	TEST_ASSERT_EQUAL(keel_eth_dev_count_avail() + 1,
			  keel_eth_dev_count_total(), "avail skips owned");
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_eth_dev_close((uint16_t)pa), -EBUSY,
			  "close owned");
	TEST_ASSERT_EQUAL(keel_eth_dev_detach((uint16_t)pa), -EBUSY,
			  "detach owned");
	TEST_ASSERT_EQUAL(keel_eth_dev_owner_unset((uint16_t)pa, other.id),
			  -EPERM, "unset by another");
	free(test_log_capture_stop());
	TEST_ASSERT(keel_eth_dev_is_valid_port((uint16_t)pa), "still there");
	TEST_ASSERT_SUCCESS(keel_eth_dev_owner_set((uint16_t)pb, &me), "b");
	TEST_ASSERT_SUCCESS(keel_eth_dev_owner_unset((uint16_t)pb, me.id),
			    "unset b");
	TEST_ASSERT_SUCCESS(keel_eth_dev_owner_delete(me.id), "delete");
	TEST_ASSERT_SUCCESS(keel_eth_dev_owner_get((uint16_t)pa, &got), "get");
	TEST_ASSERT_EQUAL(got.id, KEEL_ETH_DEV_NO_OWNER, "released");
	TEST_ASSERT_SUCCESS(keel_eth_dev_close((uint16_t)pa), "close a");
	TEST_ASSERT_SUCCESS(keel_eth_dev_close((uint16_t)pb), "close b");
	return TEST_SUCCESS;
}
KEEL_TEST(ethdev_owner, "fast", 0, test_ethdev_owner)

/* -------------------------------------------------------------- settings */

static int
test_ethdev_settings(void)
{
	struct keel_ether_addr def, a = {{ 0x02, 0, 0, 0, 0, 1 }}, addrs[8];
	struct keel_ether_addr mc = {{ 0x01, 0, 0x5e, 0, 0, 1 }}, zero = {{ 0 }};
	struct keel_eth_conf c = { .rxmode = { .mq_mode = KEEL_ETH_MQ_RX_RSS,
		.offloads = KEEL_ETH_RX_OFFLOAD_RSS_HASH },
		.rx_adv_conf = { .rss_conf = { .rss_hf = KEEL_ETH_RSS_IPV4 } } };
	struct keel_eth_rss_conf rss;
	struct test_eth_priv *pv;
	uint8_t key[40], got_key[40];
	int port = mk_started("t_set", 2, 1, &c);
	uint16_t p = (uint16_t)port, mtu;

	TEST_ASSERT(port >= 0, "port");
	pv = test_eth_priv(p);
	TEST_ASSERT_SUCCESS(keel_eth_macaddr_get(p, &def), "mac");
	TEST_ASSERT(keel_is_valid_assigned_ether_addr(&def) &&
		    keel_is_local_admin_ether_addr(&def),
		    "random local unicast default");
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_eth_dev_default_mac_addr_set(p, &mc), -EINVAL,
			  "multicast default");
	TEST_ASSERT_EQUAL(keel_eth_dev_mac_addr_add(p, &zero, 0), -EINVAL,
			  "zero");
	TEST_ASSERT_EQUAL(keel_eth_dev_mac_addr_add(p, &a, 1), -EINVAL,
			  "pool");
	TEST_ASSERT_EQUAL(keel_eth_dev_mac_addr_remove(p, &def), -EADDRINUSE,
			  "remove default");
	TEST_ASSERT_EQUAL(keel_eth_dev_mac_addr_remove(p, &a), -ENOENT,
			  "remove absent");
	free(test_log_capture_stop());
	TEST_ASSERT_SUCCESS(keel_eth_dev_mac_addr_add(p, &a, 0), "add");
	TEST_ASSERT_SUCCESS(keel_eth_dev_mac_addr_add(p, &a, 0), "add twice");
	TEST_ASSERT_SUCCESS(keel_eth_dev_mac_addr_add(p, &mc, 0), "add mc");
	TEST_ASSERT_EQUAL(keel_eth_macaddrs_get(p, addrs, 8), 3, "three");
	for (int i = 3; i < 6; i++) {
		struct keel_ether_addr x = {{ 0x02, 0, 0, 0, 1, (uint8_t)i }};
		int r;

		test_log_capture_start();
		r = keel_eth_dev_mac_addr_add(p, &x, 0);
		free(test_log_capture_stop());
		TEST_ASSERT_EQUAL(r, i == 3 ? 0 : -ENOSPC,
				  "add %d (table of 4)", i);
	}
	pv->fail_next[TOP_MAC] = -EIO;
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_eth_dev_default_mac_addr_set(p, &a), -EIO,
			  "driver fails");
	free(test_log_capture_stop());
	TEST_ASSERT_SUCCESS(keel_eth_macaddr_get(p, &addrs[0]), "mac");
	TEST_ASSERT(keel_is_same_ether_addr(&addrs[0], &def), "unchanged");
	TEST_ASSERT_SUCCESS(keel_eth_dev_default_mac_addr_set(p, &a), "set");
	TEST_ASSERT_SUCCESS(keel_eth_macaddr_get(p, &addrs[0]), "mac");
	TEST_ASSERT(keel_is_same_ether_addr(&addrs[0], &a), "new default");
	TEST_ASSERT_EQUAL(keel_eth_macaddrs_get(p, addrs, 8), 3,
			  "extra copy of the new default dropped");

	/* promiscuous: the flag follows the driver */
	TEST_ASSERT_EQUAL(keel_eth_promiscuous_get(p), 0, "off");
	pv->fail_next[TOP_PROMISC] = -EIO;
	TEST_ASSERT_EQUAL(keel_eth_promiscuous_enable(p), -EIO, "fails");
	TEST_ASSERT_EQUAL(keel_eth_promiscuous_get(p), 0, "still off");
	TEST_ASSERT_SUCCESS(keel_eth_promiscuous_enable(p), "on");
	TEST_ASSERT_EQUAL(keel_eth_promiscuous_get(p), 1, "on");
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_eth_allmulticast_enable(p), -ENOTSUP,
			  "no allmulti op");
	free(test_log_capture_stop());
	TEST_ASSERT_EQUAL(keel_eth_allmulticast_get(p), 0, "allmulti off");

	/* MTU */
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_eth_dev_set_mtu(p, 9001), -EINVAL, "too big");
	TEST_ASSERT_EQUAL(keel_eth_dev_set_mtu(p, 10), -EINVAL, "too small");
	free(test_log_capture_stop());
	TEST_ASSERT_SUCCESS(keel_eth_dev_set_mtu(p, 9000), "jumbo");
	TEST_ASSERT_SUCCESS(keel_eth_dev_get_mtu(p, &mtu), "get");
	TEST_ASSERT(mtu == 9000 && pv->last_mtu == 9000, "mtu %u", mtu);
	pv->fail_next[TOP_MTU] = -EIO;
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_eth_dev_set_mtu(p, 1500), -EIO, "fails");
	free(test_log_capture_stop());
	TEST_ASSERT_SUCCESS(keel_eth_dev_get_mtu(p, &mtu), "get");
	TEST_ASSERT_EQUAL(mtu, 9000, "unchanged");

	/* RSS */
	for (int i = 0; i < 40; i++)
		key[i] = (uint8_t)(i * 7);
	rss = (struct keel_eth_rss_conf){ .rss_key = key, .rss_key_len = 40,
		.rss_hf = KEEL_ETH_RSS_IPV4 | KEEL_ETH_RSS_NONFRAG_IPV4_TCP };
	TEST_ASSERT_SUCCESS(keel_eth_dev_rss_hash_update(p, &rss), "update");
	rss = (struct keel_eth_rss_conf){ .rss_key = got_key,
					  .rss_key_len = 40 };
	TEST_ASSERT_SUCCESS(keel_eth_dev_rss_hash_conf_get(p, &rss), "get");
	TEST_ASSERT(memcmp(got_key, key, 40) == 0 &&
		    rss.rss_hf == (KEEL_ETH_RSS_IPV4 |
				   KEEL_ETH_RSS_NONFRAG_IPV4_TCP), "rss back");
	test_log_capture_start();
	rss.rss_hf = KEEL_ETH_RSS_L2_PAYLOAD;
	TEST_ASSERT_EQUAL(keel_eth_dev_rss_hash_update(p, &rss), -EINVAL, "hf");
	rss.rss_hf = KEEL_ETH_RSS_IPV4;
	rss.rss_key_len = 52;
	TEST_ASSERT_EQUAL(keel_eth_dev_rss_hash_update(p, &rss), -EINVAL,
			  "key len");
	free(test_log_capture_stop());
	TEST_ASSERT_SUCCESS(keel_eth_dev_dump(p, NULL), "dump");
	TEST_ASSERT_SUCCESS(keel_eth_dev_close(p), "close");
	return TEST_SUCCESS;
}
KEEL_TEST(ethdev_settings, "fast", 0, test_ethdev_settings)
