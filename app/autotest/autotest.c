/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel-autotest [EAL args] -- NAME... | --suite S | --list [--seed N]
 *
 * Runs named tests, or every test of a suite, one after another. Before each
 * test (unless it is TEST_NO_EAL) the EAL is initialised with the EAL args,
 * and cleaned up after it, so tests never see each other's state. Each test
 * prints one result line; the run ends with "N passed, N failed, N skipped".
 * Exit status: 0 when nothing failed; 77 when everything asked for was
 * skipped (meson's skip code); 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "keel_eal.h"
#include "test.h"

static struct keel_test *tests;
static char skip_reason[256];
static int eal_argc;
static char **eal_argv;
static uint64_t seed;
static FILE *capture;
static char *capture_buf;
static size_t capture_len;

void
keel_test_register(struct keel_test *t)
{
	struct keel_test **pp = &tests;

	/* keep the list sorted by name for --list */
	while (*pp != NULL && strcmp((*pp)->name, t->name) < 0)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
}

int
keel_test_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(skip_reason, sizeof(skip_reason), fmt, ap);
	va_end(ap);
	return TEST_SKIPPED;
}

int
keel_test_eal_argc(void)
{
	return eal_argc;
}

char **
keel_test_eal_argv(void)
{
	return eal_argv;
}

uint64_t
keel_test_seed(void)
{
	return seed;
}

void
test_log_capture_start(void)
{
	capture = open_memstream(&capture_buf, &capture_len);
	keel_log_set_stream(capture);
}

char *
test_log_capture_stop(void)
{
	char *out;

	keel_log_set_stream(NULL);
	if (capture == NULL)
		return strdup("");
	fclose(capture);
	capture = NULL;
	out = capture_buf;
	capture_buf = NULL;
	return out;
}

static int
hugepages_free(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(f);
	return (int)n;
}

/* NULL when every need is met, else the reason */
static const char *
missing_need(const struct keel_test *t)
{
	if ((t->needs & TEST_NEED_ROOT) && geteuid() != 0)
		return "needs root";
	if ((t->needs & TEST_NEED_HUGEPAGES) && hugepages_free() == 0 &&
	    geteuid() != 0)
		return "needs free hugepages (or root to reserve them)";
	if ((t->needs & TEST_NEED_VFIO) && access("/dev/vfio/vfio", R_OK | W_OK))
		return "needs /dev/vfio/vfio (a host with an IOMMU)";
	return NULL;
}

/* 1 passed, 0 failed, -1 skipped */
static int
run_one(struct keel_test *t)
{
	const char *why = missing_need(t);
	uint64_t t0;
	int ret;

	skip_reason[0] = '\0';
	if (why != NULL) {
		printf("SKIP %s: %s\n", t->name, why);
		return -1;
	}
	if (!(t->needs & TEST_NO_EAL)) {
		char **argv = calloc((size_t)eal_argc + 1, sizeof(char *));

		if (argv == NULL)
			return 0;
		memcpy(argv, eal_argv, (size_t)eal_argc * sizeof(char *));
		ret = keel_eal_init(eal_argc, argv);
		free(argv);
		if (ret < 0) {
			printf("FAIL %s: keel_eal_init: %s\n", t->name,
			       strerror(-ret));
			return 0;
		}
	}
	printf("---- %s (seed %" PRIu64 ")\n", t->name, seed);
	fflush(stdout);
	t0 = keel_time_ns();
	ret = t->fn();
	t0 = keel_time_ns() - t0;
	if (!(t->needs & TEST_NO_EAL) && keel_eal_is_initialized()) {
		int c = keel_eal_cleanup();

		if (c != 0 && ret == TEST_SUCCESS) {
			printf("  keel_eal_cleanup: %s\n", strerror(-c));
			ret = TEST_FAILED;
		}
	}
	if (ret == TEST_SKIPPED) {
		printf("SKIP %s: %s\n", t->name,
		       skip_reason[0] ? skip_reason : "skipped");
		return -1;
	}
	printf("%s %s (%.1f ms)\n", ret == TEST_SUCCESS ? "PASS" : "FAIL",
	       t->name, (double)t0 / 1e6);
	fflush(stdout);
	return ret == TEST_SUCCESS;
}

static void
usage(const char *prg)
{
	printf("usage: %s [EAL args] -- [--seed N] NAME... | --suite S | --list\n",
	       prg);
	keel_eal_usage(stdout);
}

/* a seed: a decimal or 0x-hex integer 1..2^64-1; 0 on error (logged) */
static uint64_t
parse_seed(const char *what, const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = s[0] >= '0' && s[0] <= '9' ? strtoull(s, &end, 0) : 0;
	if (errno != 0 || v == 0 || *end != '\0') {
		fprintf(stderr, "keel-autotest: %s '%s': expected an integer "
			"in 1..18446744073709551615\n", what, s);
		return 0;
	}
	return v;
}

int
main(int argc, char **argv)
{
	int i, sep = -1, passed = 0, failed = 0, skipped = 0, ran = 0;
	const char *suite = NULL, *env;
	struct keel_test *t;
	int list = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(argv[0]);
			return 0;
		}
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
	}
	if (sep < 0) {
		usage(argv[0]);
		return 2;
	}
	eal_argc = sep;
	eal_argv = argv;

	env = getenv("KEEL_TEST_SEED");
	seed = 0;
	if (env != NULL && (seed = parse_seed("KEEL_TEST_SEED", env)) == 0)
		return 2;
	for (i = sep + 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(argv[0]);
			return 0;
		} else if (strcmp(argv[i], "--list") == 0) {
			list = 1;
		} else if (strcmp(argv[i], "--suite") == 0 && i + 1 < argc) {
			suite = argv[++i];
		} else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			seed = parse_seed("--seed", argv[++i]);
			if (seed == 0)
				return 2;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "keel-autotest: %s '%s' (see --help)\n",
				strcmp(argv[i], "--suite") == 0 ||
				strcmp(argv[i], "--seed") == 0 ?
				"missing value after" : "unknown option",
				argv[i]);
			return 2;
		}
	}
	if (seed == 0)
		seed = keel_time_ns() | 1;

	if (list) {
		for (t = tests; t != NULL; t = t->next)
			printf("%-32s %s\n", t->name, t->suite);
		return 0;
	}
	for (i = sep + 1; i < argc; i++) {
		if (strcmp(argv[i], "--suite") == 0 ||
		    strcmp(argv[i], "--seed") == 0) {
			i++;
			continue;
		}
		for (t = tests; t != NULL; t = t->next)
			if (strcmp(t->name, argv[i]) == 0)
				break;
		if (t == NULL) {
			printf("FAIL %s: no such test (see --list)\n", argv[i]);
			failed++;
			continue;
		}
		ran++;
		switch (run_one(t)) {
		case 1: passed++; break;
		case 0: failed++; break;
		default: skipped++; break;
		}
	}
	if (suite != NULL) {
		for (t = tests; t != NULL; t = t->next) {
			if (strcmp(t->suite, suite) != 0)
				continue;
			ran++;
			switch (run_one(t)) {
			case 1: passed++; break;
			case 0: failed++; break;
			default: skipped++; break;
			}
		}
		if (ran == 0) {
			printf("FAIL: suite '%s' has no tests\n", suite);
			failed++;
		}
	}
	if (ran == 0 && failed == 0) {
		usage(argv[0]);
		return 2;
	}
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	if (failed)
		return 1;
	return (passed == 0 && skipped > 0) ? 77 : 0;
}
