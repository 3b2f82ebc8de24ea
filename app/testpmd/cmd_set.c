/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Commands: forwarding settings (engine, lcores, burst, packet lengths,
 * verbosity, DMA devices, peers) and promiscuous mode. Settings the
 * forwarding lcores read are refused while forwarding runs.
 */
#include <string.h>

#include <keel_dmadev.h>
#include <keel_ethdev.h>

#include "cmdline.h"
#include "testpmd.h"

static int
refuse_running(void)
{
	if (!tp.fwd_running)
		return 0;
	printf("Forwarding runs: 'stop' first\n");
	return -1;
}

static int
cmd_set_fwd(const struct tp_cmd_args *a)
{
	if (refuse_running() < 0)
		return -1;
	tp.engine = tp_engine_find(a->argv[2]);
	printf("Set %s packet forwarding mode\n", tp.engine->name);
	return 0;
}

static int
cmd_set_nbcore(const struct tp_cmd_args *a)
{
	if (refuse_running() < 0)
		return -1;
	if (a->num[2] < 1 || a->num[2] > tp.nb_worker_lcores) {
		printf("Bad number of forwarding cores '%s': expected 1 to %u "
		       "(the EAL's worker lcores)\n", a->argv[2],
		       tp.nb_worker_lcores);
		return -1;
	}
	tp.nb_fwd_lcores = (unsigned int)a->num[2];
	printf("Number of forwarding cores set to %u\n", tp.nb_fwd_lcores);
	return 0;
}

static int
cmd_set_burst(const struct tp_cmd_args *a)
{
	if (refuse_running() < 0)
		return -1;
	if (a->num[2] < 1 || a->num[2] > TP_MAX_BURST) {
		printf("Bad burst '%s': expected 1 to %u\n", a->argv[2],
		       TP_MAX_BURST);
		return -1;
	}
	tp.burst = (uint16_t)a->num[2];
	printf("Number of packets per burst set to %u\n", tp.burst);
	return 0;
}

static int
cmd_set_txpkts(const struct tp_cmd_args *a)
{
	if (refuse_running() < 0 || tp_parse_txpkts(a->argv[2]) < 0)
		return -1;
	printf("Tx packets: %u bytes in %u segment%s\n", tp.tx_pkt_len,
	       tp.nb_txpkts, tp.nb_txpkts > 1 ? "s" : "");
	return 0;
}

static int promisc_on;

static int
set_promisc(uint16_t pid)
{
	int ret = promisc_on ? keel_eth_promiscuous_enable(pid) :
			       keel_eth_promiscuous_disable(pid);

	if (ret < 0) {
		printf("Port %u: promiscuous %s: %s\n", pid,
		       promisc_on ? "on" : "off", strerror(-ret));
		return -1;
	}
	tp.ports[pid].promisc = promisc_on;
	return 0;
}

static int
cmd_set_promisc(const struct tp_cmd_args *a)
{
	promisc_on = strcmp(a->argv[3], "on") == 0;
	return tp_for_each_port(a->num[2], set_promisc) ? -1 : 0;
}

static int
cmd_set_verbose(const struct tp_cmd_args *a)
{
	if (a->num[2] > 3) {
		printf("Bad verbose level '%s': expected 0 (quiet), 1 (received "
		       "packets), 2 (sent), 3 (both)\n", a->argv[2]);
		return -1;
	}
	tp.verbose = (unsigned int)a->num[2];
	tp_verbose_apply();
	printf("Change verbose level to %u\n", tp.verbose);
	return 0;
}

static int
cmd_set_eth_peer(const struct tp_cmd_args *a)
{
	struct keel_ether_addr mac;

	if (refuse_running() < 0)
		return -1;
	if (keel_ether_unformat_addr(a->argv[3], &mac) < 0) {
		printf("Bad MAC address '%s': expected XX:XX:XX:XX:XX:XX\n",
		       a->argv[3]);
		return -1;
	}
	tp_port_set_peer((uint16_t)a->num[2], &mac);
	return 0;
}

static int
cmd_set_dma(const struct tp_cmd_args *a)
{
	const char *p = a->argv[2];

	if (refuse_running() < 0)
		return -1;
	if (strlen(p) >= sizeof(tp.dma_names)) {
		printf("DMA device list too long\n");
		return -1;
	}
	while (*p != '\0') {
		char name[KEEL_DMADEV_NAME_MAX];
		size_t len = strcspn(p, ",");

		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		if (len == 0 || keel_dma_get_dev_id_by_name(name) < 0) {
			printf("No DMA device '%s' ('show dma info all' lists "
			       "them)\n", name);
			return -1;
		}
		p += len + (p[len] == ',');
	}
	strcpy(tp.dma_names, a->argv[2]);
	printf("dmafwd lcores copy with %s, in order\n", tp.dma_names);
	return 0;
}

static const struct tp_cmd cmds[] = {
	{ "set fwd <mode>", "choose the forwarding engine", cmd_set_fwd },
	{ "set nbcore <nb_cores>", "number of forwarding lcores",
	  cmd_set_nbcore },
	{ "set burst <nb_pkts>", "packets per burst (1..512)", cmd_set_burst },
	{ "set txpkts <lens>",
	  "segment lengths of generated packets: 64 or 64,1000",
	  cmd_set_txpkts },
	{ "set promisc <port> on|off", "promiscuous mode", cmd_set_promisc },
	{ "set verbose <level>",
	  "print packets: 0 none, 1 received, 2 sent, 3 both",
	  cmd_set_verbose },
	{ "set eth-peer <port_id> <mac>",
	  "destination MAC of a port (mac, txonly, flowgen)",
	  cmd_set_eth_peer },
	{ "set dma <names>",
	  "dmafwd: DMA device of each forwarding lcore: dma_soft0,dma_soft1",
	  cmd_set_dma },
	{ NULL, NULL, NULL },
};

const struct tp_cmd_group tp_cmds_set = {
	.title = "Settings",
	.cmds = cmds,
};
