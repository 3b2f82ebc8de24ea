/* SPDX-License-Identifier: BSD-3-Clause */
/* Commands: show and clear port and forwarding statistics, show config. */
#include <string.h>

#include "cmdline.h"
#include "testpmd.h"

static int
port_info(uint16_t pid)
{
	tp_show_port_info(stdout, pid);
	return 0;
}

static int
port_stats(uint16_t pid)
{
	tp_show_port_stats(stdout, pid);
	return 0;
}

static int
port_xstats(uint16_t pid)
{
	tp_show_port_xstats(stdout, pid);
	return 0;
}

static int
port_clear(uint16_t pid)
{
	tp_clear_port_stats(pid);
	return 0;
}

static int
cmd_show_port(const struct tp_cmd_args *a)
{
	const char *what = a->argv[2];
	int (*fn)(uint16_t) = strcmp(what, "info") == 0 ? port_info :
			      strcmp(what, "stats") == 0 ? port_stats :
			      port_xstats;

	return tp_for_each_port(a->num[3], fn) ? -1 : 0;
}

static int
cmd_clear_port(const struct tp_cmd_args *a)
{
	return tp_for_each_port(a->num[3], port_clear) ? -1 : 0;
}

static int
cmd_show_fwd_stats(const struct tp_cmd_args *a)
{
	(void)a;
	tp_show_fwd_stats(stdout);
	return 0;
}

static int
cmd_clear_fwd_stats(const struct tp_cmd_args *a)
{
	(void)a;
	tp_clear_fwd_stats();
	return 0;
}

static int
cmd_show_config(const struct tp_cmd_args *a)
{
	if (strcmp(a->argv[2], "fwd") == 0)
		tp_show_config_fwd(stdout);
	else
		tp_show_config_rxtx(stdout);
	return 0;
}

static const struct tp_cmd cmds[] = {
	{ "show port info|stats|xstats <port>",
	  "port information, statistics (rates since the last show), "
	  "extended statistics", cmd_show_port },
	{ "clear port stats|xstats <port>", "zero a port's statistics",
	  cmd_clear_port },
	{ "show fwd stats all",
	  "forwarding statistics per stream and port since start",
	  cmd_show_fwd_stats },
	{ "clear fwd stats all", "zero the forwarding statistics",
	  cmd_clear_fwd_stats },
	{ "show config fwd|rxtx",
	  "which lcore polls which queue; queue and packet settings",
	  cmd_show_config },
	{ NULL, NULL, NULL },
};

const struct tp_cmd_group tp_cmds_show = {
	.title = "Showing statistics and configuration",
	.cmds = cmds,
};
