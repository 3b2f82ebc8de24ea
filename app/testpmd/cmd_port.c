/* SPDX-License-Identifier: BSD-3-Clause */
/* Commands: port life cycle and queue configuration. */
#include <string.h>

#include "cmdline.h"
#include "testpmd.h"

static int
cmd_port_action(const struct tp_cmd_args *a)
{
	const char *what = a->argv[1];
	int (*fn)(uint16_t) = strcmp(what, "start") == 0 ? tp_port_start :
			      strcmp(what, "stop") == 0 ? tp_port_stop :
			      strcmp(what, "close") == 0 ? tp_port_close :
			      tp_port_reset;

	return tp_for_each_port(a->num[2], fn) ? -1 : 0;
}

static int
cmd_port_config(const struct tp_cmd_args *a)
{
	const char *what = a->argv[3];
	uint64_t v = a->num[4];
	bool q = what[2] == 'q';   /* rxq, txq vs rxd, txd */

	if (!tp_all_ports_stopped() || tp.fwd_running) {
		printf("Stop all ports first ('stop', then 'port stop all')\n");
		return -1;
	}
	if (v < 1 || v > (q ? KEEL_MAX_QUEUES_PER_PORT : UINT16_MAX)) {
		printf("Bad %s '%s': expected 1 to %u\n", what, a->argv[4],
		       q ? KEEL_MAX_QUEUES_PER_PORT : UINT16_MAX);
		return -1;
	}
	if (strcmp(what, "rxq") == 0)
		tp.nb_rxq = (uint16_t)v;
	else if (strcmp(what, "txq") == 0)
		tp.nb_txq = (uint16_t)v;
	else if (strcmp(what, "rxd") == 0)
		tp.nb_rxd = (uint16_t)v;
	else
		tp.nb_txd = (uint16_t)v;
	for (uint16_t p = 0; p < KEEL_MAX_ETHPORTS; p++) {
		struct tp_port *port = &tp.ports[p];

		if (!port->in_use)
			continue;
		port->nb_rxq = tp.nb_rxq;
		port->nb_txq = tp.nb_txq;
		port->nb_rxd = tp.nb_rxd;
		port->nb_txd = tp.nb_txd;
		port->need_config = true;
	}
	printf("Every port: %s %u (applied at the next 'port start')\n", what,
	       (unsigned int)v);
	return 0;
}

static int
cmd_port_attach(const struct tp_cmd_args *a)
{
	return tp_port_attach(a->argv[2]) < 0 ? -1 : 0;
}

static int
cmd_port_detach(const struct tp_cmd_args *a)
{
	return tp_port_detach((uint16_t)a->num[2]) < 0 ? -1 : 0;
}

static const struct tp_cmd cmds[] = {
	{ "port start|stop|close|reset <port>",
	  "start, stop, close (release) or reset ports", cmd_port_action },
	{ "port config all rxq|txq|rxd|txd <n>",
	  "queues or descriptors per queue of every (stopped) port",
	  cmd_port_config },
	{ "port attach <devargs>",
	  "add a port: net_null2 or net_ring0 or net_pcap0,rx_pcap=in.pcap",
	  cmd_port_attach },
	{ "port detach <port_id>", "stop, close and remove a port",
	  cmd_port_detach },
	{ NULL, NULL, NULL },
};

const struct tp_cmd_group tp_cmds_port = {
	.title = "Ports",
	.cmds = cmds,
};
