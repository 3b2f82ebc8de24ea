/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel-testpmd: open ports, forward packets between them on worker lcores
 * with a forwarding engine, and show what happens; interactively (-i, the
 * testpmd> prompt) or for a bounded time.
 *
 *   keel-testpmd [EAL options] -- [testpmd options]     (--help lists them)
 *
 * Start-up: the application's options are parsed first (no EAL needed, so
 * a bad one costs nothing), then the EAL, then the ports are opened and
 * started, then --cmdline-file runs. Then either the prompt, or forwarding
 * until SIGINT/SIGTERM or --run-time with statistics every --stats-period.
 * Shut-down: stop forwarding (its statistics printed), the final port
 * statistics (non-interactive), ports closed, EAL cleaned up.
 *
 * Exit status: 0; 1 when something failed at run time (a port, the pool,
 * forwarding, or a command of --cmdline-file); 2 for bad options.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <keel_eal.h>

#include "testpmd.h"

static void
on_signal(int sig)
{
	(void)sig;
	tp.quit = 1;
}

static void
signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Forward until a signal or --run-time; statistics every period. */
static int
run_noninteractive(void)
{
	uint64_t hz = keel_get_tsc_hz(), t0 = keel_get_tsc_cycles();
	uint64_t next = t0 + (uint64_t)tp.stats_period * hz;
	uint64_t end = tp.run_time > 0 ?
		       t0 + (uint64_t)(tp.run_time * (double)hz) : UINT64_MAX;

	if (!tp.fwd_running && tp_start(tp.tx_first) < 0)
		return -1;
	if (tp.run_time > 0)
		printf("Forwarding for %.1f s (SIGINT/SIGTERM stops sooner)\n",
		       tp.run_time);
	else
		printf("Forwarding until SIGINT/SIGTERM (Ctrl-C)\n");
	fflush(stdout);
	while (!tp_quitting()) {
		uint64_t now = keel_get_tsc_cycles();

		if (now >= end)
			break;
		if (tp.stats_period != 0 && now >= next) {
			tp_print_final_stats(stdout);
			fflush(stdout);
			next += (uint64_t)tp.stats_period * hz;
		}
		sleep_ms(50);
	}
	if (tp_quitting())
		printf("\nSignal received, stopping\n");
	return 0;
}

/* Where "--" is in argv (0 when absent). */
static int
find_dashdash(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i;
	return 0;
}

int
main(int argc, char **argv)
{
	int dd = find_dashdash(argc, argv), ret, rc = 0;
	int eal_args = dd ? dd : argc - 1;
	char *app_argv[argc + 1];
	int app_argc = 1;

	tp_defaults();
	app_argv[0] = argv[0];
	for (int i = dd ? dd + 1 : argc; i < argc; i++)
		app_argv[app_argc++] = argv[i];
	app_argv[app_argc] = NULL;
	ret = tp_parse_args(app_argc, app_argv);
	if (ret == 1)
		return 0;
	if (ret < 0)
		return 2;

	signals_init();
	ret = keel_eal_init(argc, argv);
	if (ret == -ECANCELED) {        /* EAL's -h printed its options */
		printf("\n");
		tp_usage(stdout, "keel-testpmd");
		return 0;
	}
	if (ret < 0) {
		fprintf(stderr, "keel-testpmd: EAL initialisation failed: %s "
			"(see the log line above; --help lists the options)\n",
			strerror(-ret));
		return ret == -EINVAL ? 2 : 1;
	}
	if (ret != eal_args) {
		fprintf(stderr, "keel-testpmd: unexpected argument '%s' among "
			"the EAL options (application options go after --)\n",
			argv[ret + 1]);
		keel_eal_cleanup();
		return 2;
	}
	if (tp_check_args_after_init() < 0) {
		keel_eal_cleanup();
		return 2;
	}
	if (tp_ports_init() < 0 ||
	    (tp.nb_fwd_ports == 0 && !tp.interactive)) {
		rc = 1;
		goto out;
	}
	if (tp.cmdline_file != NULL) {
		ret = tp_cmdline_file(tp.cmdline_file);
		if (ret != 0)
			rc = 1;
	}
	if (tp.interactive) {
		if (tp.auto_start && !tp_quitting() && !tp.fwd_running)
			tp_start(tp.tx_first);
		if (!tp_quitting())
			tp_prompt();
	} else if (!tp_quitting()) {
		if (run_noninteractive() < 0)
			rc = 1;
	}
out:
	if (tp.fwd_running)
		tp_stop();
	if (!tp.interactive && tp.nb_fwd_ports > 0 && tp.streams != NULL)
		tp_print_final_stats(stdout);
	printf("\nStopping and closing ports...\n");
	tp_ports_close_all();
	free(tp.streams);
	tp.streams = NULL;
	if (keel_eal_cleanup() < 0)
		rc = 1;
	printf("Bye...\n");
	return rc;
}
