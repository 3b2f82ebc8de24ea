/* SPDX-License-Identifier: BSD-3-Clause */
/* Commands: start and stop forwarding, quit, run a command file. */
#include "cmdline.h"
#include "testpmd.h"

static int
cmd_start(const struct tp_cmd_args *a)
{
	(void)a;
	return tp_start(0);
}

static int
cmd_start_tx_first(const struct tp_cmd_args *a)
{
	uint64_t n = a->argc > 2 ? a->num[2] : 1;

	if (n == 0 || n > 1024) {
		printf("Bad burst count '%s': expected 1 to 1024\n", a->argv[2]);
		return -1;
	}
	return tp_start((unsigned int)n);
}

static int
cmd_stop(const struct tp_cmd_args *a)
{
	(void)a;
	return tp_stop();
}

static int
cmd_quit(const struct tp_cmd_args *a)
{
	(void)a;
	tp.quit = 1;
	return 0;
}

static int
cmd_load(const struct tp_cmd_args *a)
{
	return tp_cmdline_file(a->argv[1]) == 0 ? 0 : -1;
}

static const struct tp_cmd cmds[] = {
	{ "start", "start packet forwarding", cmd_start },
	{ "start tx_first [<bursts>]",
	  "send bursts of txonly packets from every stream (default 1), "
	  "then forward", cmd_start_tx_first },
	{ "stop", "stop forwarding and print its statistics", cmd_stop },
	{ "quit", "stop everything and exit (Ctrl-D too)", cmd_quit },
	{ "load <file>", "run the commands in a file", cmd_load },
	{ NULL, NULL, NULL },
};

const struct tp_cmd_group tp_cmds_run = {
	.title = "Running",
	.cmds = cmds,
};
