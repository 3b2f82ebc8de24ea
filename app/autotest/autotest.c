/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel-autotest [EAL args] -- [options] NAME... | --suite S | --list
 *
 * Runs named tests, or every test of a suite, one after another, each in a
 * child process of its own (fork), so that nothing a test leaves behind --
 * a fd, a fake kernel object, a log level, a signal handler, a crash --
 * reaches the next test: a crash or a timeout is that test's failure and
 * the run goes on to its summary. --no-fork runs them in this process
 * instead (for a debugger). Before each test (unless it is TEST_NO_EAL) the
 * EAL is initialised with the EAL args, and cleaned up after it. Each test
 * prints one result line; the run ends with "N passed, N failed, N skipped".
 * Exit status: 0 when nothing failed; 77 when everything asked for was
 * skipped (meson's skip code); 1 otherwise; 2 for bad usage.
 *
 * The parent never initialises the EAL nor starts a thread, so fork() gives
 * each child a clean process.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "keel_eal.h"
#include "test.h"

/* how a child tells its result; anything else (0 too) is a crash, a
 * sanitizer report or an exit() inside the test */
#define CHILD_PASS 90
#define CHILD_FAIL 91
#define CHILD_SKIP 92

#define DEFAULT_TIMEOUT_S 600

static struct keel_test *tests;
static char skip_reason[256];
static int eal_argc;
static char **eal_argv;
static uint64_t seed;
static bool seed_asked;
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
	seed_asked = true;
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

/* run t here: 1 passed, 0 failed, -1 skipped */
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
	seed_asked = false;
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
	if (seed_asked && !(t->needs & TEST_RANDOM) && ret != TEST_FAILED) {
		printf("  %s asks for keel_test_seed() but is not flagged "
		       "TEST_RANDOM (CI would not re-run it with other seeds)\n",
		       t->name);
		ret = TEST_FAILED;
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

/* wait for pid up to timeout_s seconds (0: forever); 0, or -ETIMEDOUT */
static int
wait_child(pid_t pid, unsigned int timeout_s, int *status)
{
	uint64_t deadline = keel_time_ns() + (uint64_t)timeout_s * 1000000000ULL;
	unsigned int nap_us = 50;
	int pidfd = -1;

#ifdef SYS_pidfd_open
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		uint64_t now;

		if (r == pid || (r < 0 && errno != EINTR))
			break;
		now = keel_time_ns();
		if (timeout_s != 0 && now >= deadline) {
			if (pidfd >= 0)
				close(pidfd);
			return -ETIMEDOUT;
		}
		if (pidfd >= 0) {
			struct pollfd p = { .fd = pidfd, .events = POLLIN };
			int ms = timeout_s == 0 ? -1 :
				(int)((deadline - now) / 1000000 + 1);

			poll(&p, 1, ms);
		} else {
			usleep(nap_us); /* no pidfd (kernel < 5.3): poll */
			if (nap_us < 20000)
				nap_us *= 2;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	return 0;
}

/* run t in a child process: 1 passed, 0 failed, -1 skipped */
static int
run_forked(struct keel_test *t, unsigned int timeout_s)
{
	uint64_t t0 = keel_time_ns();
	int status = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		printf("FAIL %s: fork: %s\n", t->name, strerror(errno));
		return 0;
	}
	if (pid == 0) {
		int r = run_one(t);

		fflush(NULL);
		/* exit(), not _exit(): destructors and the leak checker of a
		 * sanitizer build run for this test alone */
		exit(r == 1 ? CHILD_PASS : r == 0 ? CHILD_FAIL : CHILD_SKIP);
	}
	if (wait_child(pid, timeout_s, &status) == -ETIMEDOUT) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		printf("FAIL %s: timed out after %u s (killed; --timeout S to "
		       "change)\n", t->name, timeout_s);
		return 0;
	}
	t0 = keel_time_ns() - t0;
	if (WIFSIGNALED(status)) {
		printf("FAIL %s: killed by signal %d (%s) after %.1f ms\n",
		       t->name, WTERMSIG(status), strsignal(WTERMSIG(status)),
		       (double)t0 / 1e6);
		return 0;
	}
	switch (WEXITSTATUS(status)) {
	case CHILD_PASS:
		return 1;
	case CHILD_SKIP:
		return -1;
	case CHILD_FAIL:
		return 0;
	default:
		printf("FAIL %s: its process exited with status %d after %.1f ms"
		       " (exit() in the test, or a sanitizer report)\n",
		       t->name, WEXITSTATUS(status), (double)t0 / 1e6);
		return 0;
	}
}

static void
usage(FILE *f, const char *prg)
{
	fprintf(f,
		"usage: %s [EAL args] -- [options] NAME... | --suite S | --list\n"
		"  NAME...        run these tests\n"
		"  --suite S      run every test of suite S (fast, perf, vfio, ...)\n"
		"  --random       of those, only the TEST_RANDOM ones (to re-run "
		"them with other seeds)\n"
		"  --seed N       seed of randomized tests (default: "
		"$KEEL_TEST_SEED, else the time); printed with each test\n"
		"  --no-fork      run the tests in this process (for a debugger);"
		"\n                 by default each runs in a child process\n"
		"  --timeout S    kill a test after S seconds (default %d, 0 = "
		"never; not with --no-fork)\n"
		"  --list         list the tests: name, suite, flags\n"
		"  -h, --help     this text\n", prg, DEFAULT_TIMEOUT_S);
	keel_eal_usage(f);
}

/* a whole decimal or 0x number; false when it is not one */
static bool
parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno == 0 && *end == '\0';
}

static void
list_tests(void)
{
	struct keel_test *t;

	for (t = tests; t != NULL; t = t->next)
		printf("%-32s %-8s%s%s%s%s%s\n", t->name, t->suite,
		       (t->needs & TEST_NO_EAL) ? " no-eal" : "",
		       (t->needs & TEST_RANDOM) ? " random" : "",
		       (t->needs & TEST_NEED_ROOT) ? " root" : "",
		       (t->needs & TEST_NEED_HUGEPAGES) ? " hugepages" : "",
		       (t->needs & TEST_NEED_VFIO) ? " vfio" : "");
}

struct run_opts {
	bool fork;
	bool random_only;
	unsigned int timeout_s;
};

struct tally {
	int passed, failed, skipped, ran;
};

static void
run_test(struct keel_test *t, const struct run_opts *o, struct tally *n)
{
	int r;

	if (o->random_only && !(t->needs & TEST_RANDOM))
		return;
	n->ran++;
	r = o->fork ? run_forked(t, o->timeout_s) : run_one(t);
	if (r == 1)
		n->passed++;
	else if (r == 0)
		n->failed++;
	else
		n->skipped++;
}

int
main(int argc, char **argv)
{
	struct run_opts o = { .fork = true, .timeout_s = DEFAULT_TIMEOUT_S };
	struct tally n = { 0, 0, 0, 0 };
	const char *suite = NULL, *env;
	struct keel_test *t;
	int i, sep = -1, list = 0;
	uint64_t v;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout, argv[0]);
			return 0;
		}
	}
	if (sep < 0) {
		fprintf(stderr, "%s: no '--' between the EAL args and the tests\n",
			argv[0]);
		usage(stderr, argv[0]);
		return 2;
	}
	eal_argc = sep;
	eal_argv = argv;

	env = getenv("KEEL_TEST_SEED");
	if (env != NULL && *env != '\0' &&
	    (!parse_u64(env, &seed) || seed == 0)) {
		fprintf(stderr, "%s: KEEL_TEST_SEED '%s': expected an integer in "
			"1..18446744073709551615\n", argv[0], env);
		return 2;
	}
	for (i = sep + 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_val = i + 1 < argc;

		if (strcmp(a, "--list") == 0) {
			list = 1;
		} else if (strcmp(a, "--random") == 0) {
			o.random_only = true;
		} else if (strcmp(a, "--no-fork") == 0) {
			o.fork = false;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout, argv[0]);
			return 0;
		} else if (strcmp(a, "--suite") == 0 && has_val) {
			suite = argv[++i];
		} else if (strcmp(a, "--seed") == 0 && has_val) {
			if (!parse_u64(argv[++i], &seed) || seed == 0) {
				fprintf(stderr, "%s: --seed '%s': expected an "
					"integer in 1..18446744073709551615\n",
					argv[0], argv[i]);
				return 2;
			}
		} else if (strcmp(a, "--timeout") == 0 && has_val) {
			if (!parse_u64(argv[++i], &v) || v > 86400) {
				fprintf(stderr, "%s: --timeout '%s': expected "
					"seconds, 0 to 86400\n", argv[0], argv[i]);
				return 2;
			}
			o.timeout_s = (unsigned int)v;
		} else if (a[0] == '-') {
			fprintf(stderr, "%s: unknown option or missing value: "
				"'%s'\n", argv[0], a);
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (seed == 0)
		seed = keel_time_ns() | 1;

	if (list) {
		list_tests();
		return 0;
	}
	for (i = sep + 1; i < argc; i++) {
		if (strcmp(argv[i], "--suite") == 0 ||
		    strcmp(argv[i], "--seed") == 0 ||
		    strcmp(argv[i], "--timeout") == 0) {
			i++;
			continue;
		}
		if (argv[i][0] == '-')
			continue;
		for (t = tests; t != NULL; t = t->next)
			if (strcmp(t->name, argv[i]) == 0)
				break;
		if (t == NULL) {
			printf("FAIL %s: no such test (see --list)\n", argv[i]);
			n.failed++;
			continue;
		}
		run_test(t, &o, &n);
	}
	if (suite != NULL) {
		bool any = false;

		for (t = tests; t != NULL; t = t->next) {
			if (strcmp(t->suite, suite) != 0)
				continue;
			any = true;
			run_test(t, &o, &n);
		}
		if (!any) {
			printf("FAIL: suite '%s' has no tests\n", suite);
			n.failed++;
		}
	}
	if (n.ran == 0 && n.failed == 0 && !o.random_only) {
		fprintf(stderr, "%s: no test named (NAME..., --suite S or "
			"--list)\n", argv[0]);
		usage(stderr, argv[0]);
		return 2;
	}
	printf("%d passed, %d failed, %d skipped (seed %" PRIu64 ")\n",
	       n.passed, n.failed, n.skipped, seed);
	if (n.failed)
		return 1;
	return (n.passed == 0 && n.skipped > 0) ? 77 : 0;
}
