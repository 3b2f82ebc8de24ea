/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel_eal_init() argument parsing: every option's effect, every bad value's
 * errno and log line, and that a refused init leaves nothing behind.
 */
#include <getopt.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keel_eal.h"
#include "keel_malloc.h"
#include "keel_memory.h"
#include "test.h"
#include "test_util.h"

struct bad_case {
	const char *args;
	int err;            /* expected -errno */
	const char *needle; /* must appear in the log */
};

static const struct bad_case bad_cases[] = {
	{ "--no-huge -l abc", EINVAL, "'abc'" },
	{ "--no-huge -l 0-", EINVAL, "'0-'" },
	{ "--no-huge -l 1-0", EINVAL, "'1-0'" },
	{ "--no-huge -l 0,,1", EINVAL, "'0,,1'" },
	{ "--no-huge -l 0,", EINVAL, "'0,'" },
	{ "--no-huge -l 100", ENODEV, "'100'" },
	{ "--no-huge -l 1023", ERANGE, "'1023'" },
	{ "--no-huge -l 0,0", EEXIST, "'0,0'" },
	{ "--no-huge -l 200@0", ERANGE, "'200@0'" },
	{ "--no-huge -l 128@0", ERANGE, "lcore id above 127" },
	{ "--no-huge -l 0 --lcores 0", EINVAL, "given twice" },
	{ "--no-huge -l 0 -l 0", EINVAL, "given twice" },
	{ "--no-huge --vdev dma_soft0 --vdev dma_soft0,mode=inline", EEXIST,
	  "'dma_soft0,mode=inline': a device of this name is given twice" },
	{ "--no-huge -a 0000:00:04.0 -a 00:04.0,x=1", EEXIST,
	  "'00:04.0,x=1': this device is given twice" },
	{ "--no-huge -d /etc/passwd", ENOEXEC, "not a shared object" },
	{ "--no-huge -l 0@(0", EINVAL, "'0@(0'" },
	{ "--no-huge -l 0 --main-lcore 5", EINVAL, "'5'" },
	{ "--no-huge --main-lcore x1", EINVAL, "'x1'" },
	{ "--no-huge -m 0", EINVAL, "'0'" },
	{ "--no-huge -m 12Q", EINVAL, "'12Q'" },
	{ "--no-huge -m -5", EINVAL, "'-5'" },
	{ "--no-huge -m 99999999999999999999", EINVAL, "99999999999999999999" },
	/* fit in 64 bits as a number, overflow once scaled to bytes (2^44 MiB
	 * + 1 MiB and 2^54 KiB + 1 KiB would wrap to 1 MiB and 1 KiB) */
	{ "--no-huge -m 17592186044417", ERANGE, "'17592186044417'" },
	{ "--no-huge -m 18014398509481985K", ERANGE, "'18014398509481985K'" },
	{ "--no-huge -m 18446744073709551615G", ERANGE, "'18446744073709551615G'" },
	{ "--socket-mem 64,", EINVAL, "'64,'" },
	{ "--socket-mem ,8", EINVAL, "',8'" },
	{ "--socket-mem 8,,8", EINVAL, "'8,,8'" },
	{ "--socket-mem 0,0,0,0,0,0,0,0,0", E2BIG, "'0,0,0,0,0,0,0,0,0'" },
	{ "--socket-mem 0,64", ENODEV, "'0,64'" },
	{ "-m 64 --socket-mem 64", EINVAL, "--socket-mem" },
	{ "--no-huge --socket-mem 64", EINVAL, "--socket-mem" },
	{ "--huge-dir /nonexistent-keel", EINVAL, "'/nonexistent-keel'" },
	{ "--no-huge --file-prefix a/b", EINVAL, "'a/b'" },
	{ "--no-huge --iova-mode vaa", EINVAL, "'vaa'" },
	{ "--no-huge --iommu foo", EINVAL, "'foo'" },
	{ "--no-huge -a 00:1f.9", EINVAL, "'00:1f.9'" },
	{ "--no-huge -a zz", EINVAL, "'zz'" },
	{ "--no-huge -a 0000:00:01.0 -b 0000:00:02.0", EINVAL, "-b" },
	{ "--no-huge --vdev a.b", EINVAL, "'a.b'" },
	{ "--no-huge --vdev ,x=1", EINVAL, "',x=1'" },
	{ "--no-huge --log-level eal:loud", EINVAL, "'eal:loud'" },
	{ "--no-huge --log-level 99", EINVAL, "'99'" },
	{ "--no-huge -d /nonexistent-keel.so", ENOENT, "'/nonexistent-keel.so'" },
	{ "--no-huge --bogus", EINVAL, "'--bogus'" },
	{ "--no-huge -m", EINVAL, "'-m'" },
	{ "--no-huge --l 0", EINVAL, "ambiguous option '--l'" },
	{ "--no-huge=1", EINVAL, "option '--no-huge' takes no value" },
	{ "--no-huge -vq", EINVAL, "unknown option '-q'" },
	{ "--no-huge --vdev", EINVAL, "option '--vdev' needs a value" },
};

static int
test_eal_args_bad(void)
{
	int fds = test_count_fds(), threads = test_count_threads();
	unsigned int i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		char *log;
		int ret;

		test_log_capture_start();
		ret = test_eal_init_str(c->args);
		log = test_log_capture_stop();
		if (ret == 0)
			keel_eal_cleanup();
		TEST_ASSERT_EQUAL(ret, -c->err, "args '%s' (log: %s)", c->args,
				  log);
		TEST_ASSERT(strstr(log, c->needle) != NULL,
			    "args '%s': log does not name '%s': %s", c->args,
			    c->needle, log);
		free(log);
		TEST_ASSERT(!keel_eal_is_initialized(), "init after '%s'",
			    c->args);
		TEST_ASSERT_EQUAL(test_count_fds(), fds, "fd leak after '%s'",
				  c->args);
		TEST_ASSERT_EQUAL(test_count_threads(), threads,
				  "thread leak after '%s'", c->args);
	}
	/* and a good init still works afterwards */
	TEST_ASSERT(test_eal_init_str("--no-huge -m 8") >= 0, "good init");
	TEST_ASSERT_SUCCESS(keel_eal_cleanup(), "cleanup");
	return TEST_SUCCESS;
}
KEEL_TEST(eal_args_bad, "fast", TEST_NO_EAL, test_eal_args_bad)

static const char *hook_prgname;

static void
app_usage(const char *prgname)
{
	hook_prgname = prgname;
	printf("usage: %s [EAL options] -- [test options]\n", prgname);
}

static int
test_eal_args_good(void)
{
	struct keel_mem_stats st;
	char *argv[] = { (char *)"prg", (char *)"--no-huge", (char *)"-m",
			 (char *)"8", (char *)"--", (char *)"app1", NULL };
	int ret, n_cpu = 0;
	cpu_set_t set;

	sched_getaffinity(0, sizeof(set), &set);
	n_cpu = CPU_COUNT(&set);

	/* consumed count and argv rewrite, as in DPDK */
	ret = keel_eal_init(5 + 1, argv);
	TEST_ASSERT_EQUAL(ret, 4, "consumed");
	TEST_ASSERT(strcmp(argv[ret], "prg") == 0, "argv[ret] = prg");
	TEST_ASSERT(strcmp(argv[ret + 1], "app1") == 0, "app args follow");
	TEST_ASSERT_EQUAL(keel_lcore_count(), n_cpu, "default: every CPU");
	TEST_ASSERT_SUCCESS(keel_mem_stats_get(&st), "stats");
	TEST_ASSERT_EQUAL(st.preallocated, 8 << 20, "-m 8 preallocates 8 MiB");
	TEST_ASSERT_EQUAL(st.page_sz, 4096, "--no-huge uses 4 KiB pages");
	TEST_ASSERT_EQUAL(keel_eal_iova_mode(), KEEL_IOVA_VA, "auto -> va");
	TEST_ASSERT_EQUAL(keel_eal_init(5, argv), -EALREADY, "double init");
	TEST_ASSERT_SUCCESS(keel_eal_cleanup(), "cleanup");
	TEST_ASSERT_EQUAL(keel_eal_cleanup(), -EALREADY, "double cleanup");

	/* lcores, main lcore */
	TEST_ASSERT(test_eal_init_str("--no-huge -l 0") >= 0, "-l 0");
	TEST_ASSERT_EQUAL(keel_lcore_count(), 1, "one lcore");
	TEST_ASSERT_EQUAL(keel_get_main_lcore(), 0, "main 0");
	keel_eal_cleanup();
	/* values glued to short options, as getopt takes them */
	TEST_ASSERT(test_eal_init_str("--no-huge -l0 -m8") >= 0, "-l0 -m8");
	TEST_ASSERT_EQUAL(keel_lcore_count(), 1, "-l0: one lcore");
	TEST_ASSERT_SUCCESS(keel_mem_stats_get(&st), "stats");
	TEST_ASSERT_EQUAL(st.preallocated, 8 << 20, "-m8");
	keel_eal_cleanup();
	if (n_cpu >= 2 && CPU_ISSET(0, &set) && CPU_ISSET(1, &set)) {
		TEST_ASSERT(test_eal_init_str("--no-huge -l 0-1 --main-lcore 1")
			    >= 0, "--main-lcore 1");
		TEST_ASSERT_EQUAL(keel_get_main_lcore(), 1, "main 1");
		TEST_ASSERT_EQUAL(keel_lcore_id(), 1, "main thread is lcore 1");
		keel_eal_cleanup();
		TEST_ASSERT(test_eal_init_str("--no-huge --lcores 5@0,7@(1)")
			    >= 0, "lcore@cpu");
		TEST_ASSERT_EQUAL(keel_lcore_count(), 2, "two lcores");
		TEST_ASSERT_EQUAL(keel_lcore_to_cpu_id(7), 1, "7 on cpu 1");
		TEST_ASSERT_EQUAL(keel_lcore_to_cpu_id(5), 0, "5 on cpu 0");
		keel_eal_cleanup();
	}

	/* iommu kind, vdev, allow/block, no-pci */
	TEST_ASSERT(test_eal_init_str("--no-huge --iommu none --vdev dma_soft0,mode=inline "
				      "--vdev dma_soft1 -a 0000:00:04.0 -a 00:05.0") >= 0,
		    "devargs");
	TEST_ASSERT_EQUAL(keel_eal_iommu_kind(), KEEL_IOMMU_NONE, "--iommu none");
	TEST_ASSERT_EQUAL(keel_eal_vdev_count(), 2, "two vdevs");
	TEST_ASSERT(strcmp(keel_eal_vdev_get(0)->name, "dma_soft0") == 0, "name");
	TEST_ASSERT(strcmp(keel_eal_vdev_get(0)->args, "mode=inline") == 0, "args");
	TEST_ASSERT(strcmp(keel_eal_vdev_get(1)->args, "") == 0, "no args");
	TEST_ASSERT(keel_eal_vdev_get(2) == NULL, "out of range");
	TEST_ASSERT(keel_eal_pci_allowed("0000:00:04.0"), "allowed");
	TEST_ASSERT(keel_eal_pci_allowed("0000:00:05.0"), "short form allowed");
	TEST_ASSERT(!keel_eal_pci_allowed("0000:00:06.0"), "not in allow list");
	keel_eal_cleanup();
	TEST_ASSERT(test_eal_init_str("--no-huge -b 0000:00:04.0") >= 0, "-b");
	TEST_ASSERT(!keel_eal_pci_allowed("0000:00:04.0"), "blocked");
	TEST_ASSERT(keel_eal_pci_allowed("0000:00:06.0"), "others allowed");
	keel_eal_cleanup();
	TEST_ASSERT(test_eal_init_str("--no-huge --no-pci") >= 0, "--no-pci");
	TEST_ASSERT(!keel_eal_pci_allowed("0000:00:06.0"), "no pci at all");
	keel_eal_cleanup();

	/* log level, file prefix, in-memory, version */
	TEST_ASSERT(test_eal_init_str("--no-huge --log-level eal:debug "
				      "--file-prefix t1 --in-memory -v") >= 0, "misc");
	TEST_ASSERT_EQUAL(keel_log_get_level(keel_logtype_eal), KEEL_LOG_DEBUG,
			  "--log-level eal:debug");
	keel_eal_cleanup();
	/* getopt takes unique prefixes: the level must be applied then too */
	TEST_ASSERT(test_eal_init_str("--no-huge --log-l=eal:debug") >= 0,
		    "--log-l=");
	TEST_ASSERT_EQUAL(keel_log_get_level(keel_logtype_eal), KEEL_LOG_DEBUG,
			  "abbreviated --log-level applied");
	keel_eal_cleanup();
	TEST_ASSERT(test_eal_init_str("--no-huge --log-level=eal:info") >= 0,
		    "--log-level=");
	TEST_ASSERT_EQUAL(keel_log_get_level(keel_logtype_eal), KEEL_LOG_INFO,
			  "--log-level=eal:info");
	keel_eal_cleanup();

	/* -h prints the usage and cancels */
	TEST_ASSERT_EQUAL(test_eal_init_str("--no-huge -h"), -ECANCELED, "-h");
	TEST_ASSERT(!keel_eal_is_initialized(), "-h does not init");
	/* ... with the application's usage first, through its hook */
	{
		keel_usage_hook_t old = keel_set_application_usage_hook(app_usage);

		hook_prgname = NULL;
		ret = test_eal_init_str("--no-huge --help");
		TEST_ASSERT(keel_set_application_usage_hook(old) == app_usage,
			    "the hook set is returned");
		TEST_ASSERT_EQUAL(ret, -ECANCELED, "--help");
		TEST_ASSERT(hook_prgname != NULL &&
			    strcmp(hook_prgname, "keel-autotest") == 0,
			    "the hook ran with argv[0]");
	}
	return TEST_SUCCESS;
}
KEEL_TEST(eal_args_good, "fast", TEST_NO_EAL, test_eal_args_good)

/* init and cleanup again and again in one process, nothing leaks */
static int
test_eal_reinit(void)
{
	int fds, threads, maps, i;
	long rss;

	TEST_ASSERT(test_eal_init_str("--no-huge -m 16") >= 0, "warm-up");
	keel_eal_cleanup();
	fds = test_count_fds();
	threads = test_count_threads();
	maps = test_count_maps();
	rss = test_rss_kb();
	for (i = 0; i < 50; i++) {
		void *p;

		TEST_ASSERT(test_eal_init_str("--no-huge -m 16") >= 0,
			    "init %d", i);
		p = keel_malloc("reinit", 1 << 20, 0);
		TEST_ASSERT(p != NULL, "malloc after init %d", i);
		memset(p, i, 1 << 20);
		TEST_ASSERT_SUCCESS(keel_eal_cleanup(), "cleanup %d", i);
	}
	TEST_ASSERT_EQUAL(test_count_fds(), fds, "fds");
	TEST_ASSERT_EQUAL(test_count_threads(), threads, "threads");
#ifndef __SANITIZE_ADDRESS__
	/* 50 rounds: a leaked mapping per round would add 50; allow a few
	 * for malloc's arenas */
	TEST_ASSERT(test_count_maps() <= maps + 8, "mappings: %d before, %d after",
		    maps, test_count_maps());
	TEST_ASSERT(test_rss_kb() < rss + 4096, "RSS grew from %ld to %ld kB",
		    rss, test_rss_kb());
#else
	/* ASan's quarantine keeps freed memory, each large chunk in a
	 * mapping of its own, until 256 MB of it wait: neither RSS nor the
	 * count of mappings is flat (the plain build checks both) */
	(void)rss;
	(void)maps;
#endif
	return TEST_SUCCESS;
}
KEEL_TEST(eal_reinit, "fast", TEST_NO_EAL, test_eal_reinit)

/*
 * Random command lines built from the option names and from values both
 * valid and hostile: init must either succeed (and clean up) or fail with a
 * negative errno, and leave no thread or fd behind either way.
 */
static int
test_eal_args_random(void)
{
	static const char *const opts[] = {
		"-l", "--lcores", "--main-lcore", "-m", "--socket-mem",
		"--no-huge", "--in-memory", "--file-prefix", "--iova-mode",
		"--iommu", "-a", "-b", "--vdev", "--no-pci", "--log-level",
		"-v", "--", "-x", "--lcores=", "--iommu=none", "-m=4",
	};
	static const char *const vals[] = {
		"0", "1", "0-1", "1-0", "0,1", "0@(0,1)", "(", ")", "@", "-",
		"4", "8M", "64k", "1G", "18446744073709551615", "-1", "",
		"va", "pa", "auto", "alloc", "none", "emulated", "vfio",
		"0000:00:01.0", "ff:1f.7", "dma_soft0,mode=inline", ",", "=",
		"eal:debug", "*:err", ":", "%s%n", "a/b", "x",
	};
	int fds = test_count_fds(), threads = test_count_threads();
	uint64_t rs = keel_test_seed();
	int it;

	keel_log_set_level("eal", KEEL_LOG_CRIT); /* keep the output short */
	for (it = 0; it < 400; it++) {
		char *argv[16];
		int argc = 0, n = 1 + (int)(test_rand(&rs) % 7), ret;

		argv[argc++] = (char *)"fuzz";
		argv[argc++] = (char *)"--no-huge";
		while (n-- > 0 && argc < 15) {
			if (test_rand(&rs) % 2)
				argv[argc++] = (char *)opts[test_rand(&rs) %
					(sizeof(opts) / sizeof(opts[0]))];
			else
				argv[argc++] = (char *)vals[test_rand(&rs) %
					(sizeof(vals) / sizeof(vals[0]))];
		}
		argv[argc] = NULL;
		ret = keel_eal_init(argc, argv);
		if (ret >= 0) {
			TEST_ASSERT(ret < argc, "consumed %d of %d", ret, argc);
			TEST_ASSERT_SUCCESS(keel_eal_cleanup(), "cleanup");
		} else {
			TEST_ASSERT(ret > -4096, "errno-style return %d", ret);
			TEST_ASSERT(!keel_eal_is_initialized(), "failed init");
		}
	}
	keel_log_set_level("eal", KEEL_LOG_INFO);
	TEST_ASSERT_EQUAL(test_count_fds(), fds, "fds (seed %" PRIu64 ")",
			  keel_test_seed());
	TEST_ASSERT_EQUAL(test_count_threads(), threads, "threads");
	return TEST_SUCCESS;
}
KEEL_TEST(eal_args_random, "fast", TEST_NO_EAL | TEST_RANDOM, test_eal_args_random)

/*
 * The EAL is a library: keel_eal_init() leaves the application's getopt
 * state as it found it. opterr stays on (the application's getopt still
 * reports bad options), optind/optarg/optopt are untouched, and so is
 * glibc's private state: an application that scans with a permuting
 * optstring keeps permuting after keel_eal_init().
 */
static int
test_eal_args_getopt_state(void)
{
	char a0[] = "app", a1[] = "file", a2[] = "-x", marker[] = "mine";
	char *app[] = { a0, a1, a2, NULL };
	static const char *const eal_args[] = {
		"--no-huge -m 8 -l 0 --vdev dma_soft_g,mode=inline --",
		"--no-huge --bogus",
		"--no-huge -m",
		"--no-huge --log-level=eal:loud",
	};
	unsigned int i;

	/* the application has scanned once, permuting "file" after "-x" */
	optind = 0;
	opterr = 1;
	TEST_ASSERT_EQUAL(getopt(3, app, "x"), 'x', "permuting getopt");
	while (getopt(3, app, "x") != -1)
		;
	for (i = 0; i < sizeof(eal_args) / sizeof(eal_args[0]); i++) {
		char *log;
		int ret;

		app[1] = a1;
		app[2] = a2;
		optind = 1;
		opterr = 1;
		optopt = 'q';
		optarg = marker;
		test_log_capture_start();
		ret = test_eal_init_str(eal_args[i]);
		log = test_log_capture_stop();
		free(log);
		TEST_ASSERT(i == 0 ? ret >= 0 : ret < 0, "init '%s': %d",
			    eal_args[i], ret);
		if (ret >= 0)
			TEST_ASSERT_SUCCESS(keel_eal_cleanup(), "cleanup");
		TEST_ASSERT_EQUAL(opterr, 1, "opterr after '%s'", eal_args[i]);
		TEST_ASSERT_EQUAL(optind, 1, "optind after '%s'", eal_args[i]);
		TEST_ASSERT_EQUAL(optopt, 'q', "optopt after '%s'", eal_args[i]);
		TEST_ASSERT(optarg == marker, "optarg after '%s'", eal_args[i]);
		/* glibc's ordering is still the application's: it permutes */
		TEST_ASSERT_EQUAL(getopt(3, app, "x"), 'x',
				  "application getopt after '%s'", eal_args[i]);
		while (getopt(3, app, "x") != -1)
			;
	}
	return TEST_SUCCESS;
}
KEEL_TEST(eal_args_getopt_state, "fast", TEST_NO_EAL, test_eal_args_getopt_state)
