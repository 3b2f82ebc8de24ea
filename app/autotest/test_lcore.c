/* SPDX-License-Identifier: BSD-3-Clause */
/* lcores: launch, wait, return values, busy/invalid ids, pinning. */
#include <sched.h>

#include "keel_eal.h"
#include "test.h"

struct job {
	unsigned int seen_lcore;
	int cpu;
	volatile int release;
	int started;
};

static int
job_fn(void *arg)
{
	struct job *j = arg;

	j->seen_lcore = keel_lcore_id();
	j->cpu = sched_getcpu();
	__atomic_store_n(&j->started, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&j->release, __ATOMIC_ACQUIRE))
		keel_pause();
	return 100 + (int)j->seen_lcore;
}

static int
count_fn(void *arg)
{
	__atomic_fetch_add((int *)arg, 1, __ATOMIC_RELAXED);
	return 0;
}

static int
test_lcore_launch(void)
{
	struct job jobs[KEEL_MAX_LCORE] = { 0 };
	unsigned int id, n_workers = 0;
	int count = 0;

	TEST_ASSERT_EQUAL(keel_lcore_id(), keel_get_main_lcore(),
			  "main thread is the main lcore");
	TEST_ASSERT_EQUAL(keel_eal_remote_launch(job_fn, &jobs[0],
						 keel_get_main_lcore()),
			  -EINVAL, "cannot launch on the main lcore");
	TEST_ASSERT_EQUAL(keel_eal_remote_launch(job_fn, &jobs[0],
						 KEEL_MAX_LCORE + 5),
			  -EINVAL, "bad lcore id");
	TEST_ASSERT_EQUAL(keel_eal_wait_lcore(KEEL_MAX_LCORE), -EINVAL,
			  "wait on a bad id");
	KEEL_LCORE_FOREACH_WORKER(id) {
		n_workers++;
		TEST_ASSERT_SUCCESS(keel_eal_remote_launch(job_fn, &jobs[id], id),
				    "launch on %u", id);
		TEST_ASSERT_EQUAL(keel_eal_remote_launch(job_fn, &jobs[id], id),
				  -EBUSY, "second launch on busy %u", id);
		while (!__atomic_load_n(&jobs[id].started, __ATOMIC_ACQUIRE))
			keel_pause();
		TEST_ASSERT_EQUAL(keel_eal_get_lcore_state(id),
				  KEEL_LCORE_RUNNING, "running");
		TEST_ASSERT_EQUAL(keel_eal_cleanup(), -EBUSY,
				  "cleanup refused while a worker runs");
		__atomic_store_n(&jobs[id].release, 1, __ATOMIC_RELEASE);
		TEST_ASSERT_EQUAL(keel_eal_wait_lcore(id), 100 + (int)id,
				  "return value of lcore %u", id);
		TEST_ASSERT_EQUAL(jobs[id].seen_lcore, id, "keel_lcore_id()");
		TEST_ASSERT_EQUAL(jobs[id].cpu, keel_lcore_to_cpu_id(id),
				  "pinned to its cpu");
		TEST_ASSERT_EQUAL(keel_eal_wait_lcore(id), 0,
				  "second wait: idle, 0");
		TEST_ASSERT(keel_lcore_to_socket_id(id) >= 0, "socket");
	}
	TEST_ASSERT_EQUAL(n_workers + 1, keel_lcore_count(), "worker count");
	if (n_workers == 0)
		return keel_test_skip("needs 2 lcores");
	/* all lcores, main included, many times */
	for (id = 0; id < 1000; id++) {
		TEST_ASSERT_SUCCESS(keel_eal_mp_remote_launch(count_fn, &count, 1),
				    "mp launch");
		TEST_ASSERT_SUCCESS(keel_eal_mp_wait(), "mp wait");
	}
	TEST_ASSERT_EQUAL(count, 1000 * (int)keel_lcore_count(), "every run ran");
	return TEST_SUCCESS;
}
KEEL_TEST(lcore_launch, "fast", 0, test_lcore_launch)
