/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The runner itself: one test's failure cannot change another's result.
 *
 * The "selftest" suite holds tests that misbehave on purpose (leave state
 * behind, crash, hang, exit, use the seed unflagged). No CI suite runs
 * them directly; autotest_isolation runs them through a second
 * keel-autotest process and checks what the runner reports: each
 * misbehaviour is that test's failure, the tests after it pass, and the
 * run reaches its summary.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keel_eal.h"
#include "keel_log.h"
#include "test.h"
#include "test_util.h"

static void *
sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* fails after changing what a later test would see */
static int
selftest_leave_state(void)
{
	pthread_t th;

	keel_log_set_level("eal", KEEL_LOG_EMERG);
	if (pthread_create(&th, NULL, sleeper, NULL) == 0)
		pthread_detach(th);
	TEST_ASSERT(dup(1) >= 0, "dup");
	TEST_ASSERT(0, "failing on purpose, with a thread, an fd and a log "
		    "level left behind");
	return TEST_SUCCESS;
}
KEEL_TEST(selftest_leave_state, "selftest", TEST_NO_EAL, selftest_leave_state)

/* passes only in a process nobody else ran in */
static int
selftest_check_state(void)
{
	TEST_ASSERT_EQUAL(keel_log_get_level(keel_logtype_eal), KEEL_LOG_INFO,
			  "eal log level");
	TEST_ASSERT_EQUAL(test_count_threads(), 1, "threads");
	return TEST_SUCCESS;
}
KEEL_TEST(selftest_check_state, "selftest", TEST_NO_EAL, selftest_check_state)

static int
selftest_crash(void)
{
	volatile int *p = NULL;

	*p = 1;
	return TEST_SUCCESS;
}
KEEL_TEST(selftest_crash, "selftest", TEST_NO_EAL, selftest_crash)

static int
selftest_hang(void)
{
	sleep(60);
	return TEST_SUCCESS;
}
KEEL_TEST(selftest_hang, "selftest", TEST_NO_EAL, selftest_hang)

static int
selftest_exit(void)
{
	exit(0);
}
KEEL_TEST(selftest_exit, "selftest", TEST_NO_EAL, selftest_exit)

static int
selftest_unflagged_seed(void)
{
	return keel_test_seed() != 0 ? TEST_SUCCESS : TEST_SUCCESS;
}
KEEL_TEST(selftest_unflagged_seed, "selftest", TEST_NO_EAL,
	  selftest_unflagged_seed)

/* with the EAL: the runner's init and cleanup around it */
static int
selftest_pass(void)
{
	TEST_ASSERT(keel_eal_is_initialized(), "EAL up");
	return TEST_SUCCESS;
}
KEEL_TEST(selftest_pass, "selftest", 0, selftest_pass)

/* run keel-autotest with @p args; its output in *out (caller frees) */
static int
run_self(const char *args, char **out, int *status)
{
	char cmd[1024], buf[512];
	size_t len = 0, cap = 4096;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "/proc/%d/exe --no-huge -m 16 -- %s 2>&1",
		 (int)getpid(), args);
	*out = malloc(cap);
	if (*out == NULL)
		return -1;
	(*out)[0] = '\0';
	p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	while (fgets(buf, sizeof(buf), p) != NULL) {
		size_t n = strlen(buf);

		if (len + n + 1 > cap) {
			char *g = realloc(*out, cap * 2 + n);

			if (g == NULL)
				break;
			*out = g;
			cap = cap * 2 + n;
		}
		memcpy(*out + len, buf, n + 1);
		len += n;
	}
	*status = pclose(p);
	return 0;
}

static bool
has_line(const char *out, const char *prefix)
{
	const char *l = out;

	while (l != NULL && *l != '\0') {
		if (strncmp(l, prefix, strlen(prefix)) == 0)
			return true;
		l = strchr(l, '\n');
		if (l != NULL)
			l++;
	}
	return false;
}

static int
test_autotest_isolation(void)
{
	static const char *const want[] = {
		"FAIL selftest_leave_state (",
		"PASS selftest_check_state (",
		"FAIL selftest_crash: ",
		"PASS selftest_pass (",
		"FAIL selftest_exit: its process exited with status 0",
		"FAIL selftest_unflagged_seed (",
		("  selftest_unflagged_seed asks for keel_test_seed() but is "
		 "not flagged TEST_RANDOM"),
		"PASS selftest_check_state (",
		"3 passed, 4 failed, 0 skipped (seed 5)",
	};
	char *out = NULL;
	unsigned int i;
	int st = 0;

	TEST_ASSERT_SUCCESS(run_self("--seed 5 selftest_leave_state "
				     "selftest_check_state selftest_crash "
				     "selftest_pass selftest_exit "
				     "selftest_unflagged_seed selftest_check_state",
				     &out, &st), "popen");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!has_line(out, want[i])) {
			printf("  no line '%s' in:\n%s\n", want[i], out);
			free(out);
			return TEST_FAILED;
		}
	free(out);
	TEST_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 1, "exit status 0x%x",
		    st);

	/* a test past --timeout is killed; the next one runs */
	TEST_ASSERT_SUCCESS(run_self("--timeout 1 selftest_hang "
				     "selftest_check_state", &out, &st), "popen");
	TEST_ASSERT(has_line(out, "FAIL selftest_hang: timed out after 1 s") &&
		    has_line(out, "PASS selftest_check_state (") &&
		    has_line(out, "1 passed, 1 failed, 0 skipped"),
		    "timeout: %s", out);
	free(out);

	/* in one process (--no-fork) the leftovers do reach the next test:
	 * so selftest_check_state can tell */
	TEST_ASSERT_SUCCESS(run_self("--no-fork selftest_leave_state "
				     "selftest_check_state", &out, &st), "popen");
	TEST_ASSERT(has_line(out, "FAIL selftest_check_state (") &&
		    has_line(out, "0 passed, 2 failed, 0 skipped"),
		    "--no-fork: %s", out);
	free(out);

	/* a suite that is all skipped exits 77; usage errors exit 2 and say
	 * what is wrong; --help exits 0 */
	TEST_ASSERT_SUCCESS(run_self("--seed x selftest_pass", &out, &st), "popen");
	TEST_ASSERT(WEXITSTATUS(st) == 2 && strstr(out, "--seed 'x'") != NULL,
		    "bad seed: %s", out);
	free(out);
	TEST_ASSERT_SUCCESS(run_self("--timeout", &out, &st), "popen");
	TEST_ASSERT(WEXITSTATUS(st) == 2 && strstr(out, "'--timeout'") != NULL,
		    "missing value: %s", out);
	free(out);
	TEST_ASSERT_SUCCESS(run_self("--help", &out, &st), "popen");
	TEST_ASSERT(WEXITSTATUS(st) == 0 && strstr(out, "--no-fork") != NULL &&
		    strstr(out, "--random") != NULL, "help: %s", out);
	free(out);
	TEST_ASSERT_SUCCESS(run_self("--list", &out, &st), "popen");
	TEST_ASSERT(WEXITSTATUS(st) == 0 &&
		    strstr(out, "selftest_pass") != NULL &&
		    strstr(out, "no-eal random") != NULL, "list: %.300s", out);
	free(out);
	return TEST_SUCCESS;
}
KEEL_TEST(autotest_isolation, "fast", TEST_NO_EAL, test_autotest_isolation)
