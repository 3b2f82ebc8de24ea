/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel_fence.h: the store-buffer litmus test. Two threads, each stores its
 * flag and then loads the other's; with keel_fence_light() on one side and
 * keel_fence_heavy() on the other, no round may see both loads return 0.
 * The same rounds without any fence are counted and printed: on x86 the
 * store buffer lets both loads pass their stores, so a nonzero count there
 * shows the rounds really do race (it is not asserted: it is a property of
 * the machine, not of Keel).
 */
#include <pthread.h>
#include <stdio.h>

#include "keel_cycles.h"
#include "keel_fence.h"
#include "test.h"

#define ROUNDS 20000

struct litmus {
	int fenced;
	unsigned int go;                /* round the hot thread may run */
	unsigned int done;              /* rounds the hot thread finished */
	int a, b;                       /* the two flags */
	int r_hot[ROUNDS];              /* what the hot thread loaded */
};

static void *
hot_side(void *arg)
{
	struct litmus *l = arg;

	for (unsigned int i = 1; i <= ROUNDS; i++) {
		while (__atomic_load_n(&l->go, __ATOMIC_ACQUIRE) != i)
			keel_pause();
		__atomic_store_n(&l->a, 1, __ATOMIC_RELAXED);
		if (l->fenced)
			keel_fence_light();
		else
			__atomic_signal_fence(__ATOMIC_SEQ_CST);
		l->r_hot[i - 1] = __atomic_load_n(&l->b, __ATOMIC_RELAXED);
		__atomic_store_n(&l->done, i, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* rounds in which both sides loaded 0 */
static long
run_litmus(int fenced)
{
	static struct litmus l;
	pthread_t t;
	long both = 0;

	l = (struct litmus){ .fenced = fenced };
	if (pthread_create(&t, NULL, hot_side, &l) != 0)
		return -1;
	for (unsigned int i = 1; i <= ROUNDS; i++) {
		int r;

		__atomic_store_n(&l.a, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&l.b, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&l.go, i, __ATOMIC_RELEASE);
		/* the hot thread sees go some time later: wait a varying
		 * while, so that some rounds start together */
		for (unsigned int k = i % 64; k > 0; k--)
			keel_pause();
		__atomic_store_n(&l.b, 1, __ATOMIC_RELAXED);
		if (fenced)
			keel_fence_heavy();
		else
			__atomic_signal_fence(__ATOMIC_SEQ_CST);
		r = __atomic_load_n(&l.a, __ATOMIC_RELAXED);
		while (__atomic_load_n(&l.done, __ATOMIC_ACQUIRE) != i)
			keel_pause();
		if (r == 0 && l.r_hot[i - 1] == 0)
			both++;
	}
	pthread_join(t, NULL);
	return both;
}

static int
test_fence_litmus(void)
{
	long unfenced = run_litmus(0), fenced = run_litmus(1);

	TEST_ASSERT(unfenced >= 0 && fenced >= 0, "pthread_create");
	printf("  membarrier: %s; rounds where both loads saw 0: %ld of %d "
	       "without fences, %ld with keel_fence_light/heavy\n",
	       keel_fence_asym ? "yes" : "no (full fences)", unfenced,
	       ROUNDS, fenced);
	TEST_ASSERT_EQUAL(fenced, 0, "a store passed by a load across the "
			  "fences");
	return TEST_SUCCESS;
}
KEEL_TEST(fence_litmus, "fast", TEST_NO_EAL, test_fence_litmus)
