/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ring_stress: threads produce numbered elements and consume whatever they
 * find, concurrently, in each sync mode; at the end every element produced
 * has been consumed exactly once (a bitmap per producer), each producer's
 * checksum matches, and each consumer saw each producer's elements in
 * increasing order (FIFO). Elements carry redundant fields, so a torn copy
 * is caught too.
 *
 * Run twice: on the EAL's lcores (main + workers), and on plain pthreads,
 * two per CPU, so threads get preempted in the middle of ring calls. In
 * MP/MC, RTS and HTS every thread both produces and consumes; SP/SC has
 * one producer and one consumer thread. HTS and SP/SC consumers use the
 * peek and zero-copy calls (start, then a finish of part of it).
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "keel_eal.h"
#include "keel_lcore.h"
#include "keel_ring.h"
#include "test.h"
#include "test_ring_util.h"

#define MAX_THREADS 8
#define BURST 40
#define MAX_ESIZE 128
/* elements per thread; sanitizer builds run ~10x slower */
#ifdef __SANITIZE_ADDRESS__
#define PER_THREAD (16 * 1024)
#else
#define PER_THREAD (128 * 1024)
#endif

struct stress {
	struct keel_ring *r;
	unsigned int esize, nthreads, per_thread, mode;
	unsigned int nthreads_run;         /* threads started */
	uint64_t seed;
	uint64_t *seen[MAX_THREADS];       /* bitmap per producer */
	uint64_t sum[MAX_THREADS];         /* seqs consumed, per producer */
	uint64_t consumed;                 /* total, atomic */
	int failed;                        /* first failure stops all */
	unsigned int next_id;              /* thread ids handed out */
	int on_lcores;                     /* else pthreads, any CPU */
	unsigned int started;              /* start line: all run at once */
	char why[160];
};

/* element: producer id, seq and two check words (16 bytes), or the
 * first two packed in a pointer-sized value (8 bytes) */
static void
elem_make(void *e, unsigned int esize, uint32_t p, uint32_t seq)
{
	uint32_t w[4] = { p, seq, p * 0x9e3779b1u ^ seq, ~seq };

	unsigned int i;

	if (esize == 8) {
		uint64_t v = ((uint64_t)(p + 1) << 40) | seq;

		memcpy(e, &v, 8);
		return;
	}
	memcpy(e, w, 16);
	for (i = 16; i < esize; i += 4) /* the tail repeats the seq */
		memcpy((char *)e + i, &seq, 4);
}

static int
elem_parse(const void *e, unsigned int esize, uint32_t *p, uint32_t *seq)
{
	uint32_t w[4];
	uint64_t v;
	unsigned int i;

	if (esize == 8) {
		memcpy(&v, e, 8);
		*p = (uint32_t)(v >> 40) - 1;
		*seq = (uint32_t)v & 0xffffffffu;
		return (v >> 40) >= 1 && (v >> 40) <= MAX_THREADS &&
		       ((v >> 32) & 0xff) == 0;
	}
	memcpy(w, e, 16);
	*p = w[0];
	*seq = w[1];
	for (i = 16; i < esize; i += 4) {
		uint32_t t;

		memcpy(&t, (const char *)e + i, 4);
		if (t != w[1])
			return 0;
	}
	return w[0] < MAX_THREADS && w[2] == (w[0] * 0x9e3779b1u ^ w[1]) &&
	       w[3] == ~w[1];
}

static void
stress_fail(struct stress *s, const char *why, uint32_t p, uint32_t seq)
{
	if (!__atomic_exchange_n(&s->failed, 1, __ATOMIC_RELAXED))
		snprintf(s->why, sizeof(s->why), "%s (producer %u seq %u)",
			 why, p, seq);
}

/* record k consumed elements; last[] is this consumer's order check */
static void
consume(struct stress *s, const char *buf, unsigned int k, int64_t *last)
{
	unsigned int i;

	for (i = 0; i < k; i++) {
		uint32_t p, seq;
		uint64_t bit;

		if (!elem_parse(buf + (size_t)i * s->esize, s->esize, &p,
				&seq) || p >= s->nthreads ||
		    seq >= s->per_thread) {
			stress_fail(s, "corrupted element", p, seq);
			return;
		}
		if ((int64_t)seq <= last[p]) {
			stress_fail(s, "out of order for this consumer", p,
				    seq);
			return;
		}
		last[p] = seq;
		bit = __atomic_fetch_or(&s->seen[p][seq / 64],
					1ull << (seq % 64), __ATOMIC_RELAXED);
		if (bit & (1ull << (seq % 64))) {
			stress_fail(s, "consumed twice", p, seq);
			return;
		}
		__atomic_fetch_add(&s->sum[p], seq, __ATOMIC_RELAXED);
	}
	__atomic_fetch_add(&s->consumed, k, __ATOMIC_RELAXED);
}

/* dequeue up to n; the peek modes take a start and finish part of it */
static unsigned int
take(struct stress *s, char *buf, unsigned int n, uint64_t *rng)
{
	struct keel_ring_zc_data zcd;
	unsigned int k, keep, n1;
	int bulk = test_rand(rng) % 4 == 0;

	switch (s->mode) {
	case KEEL_RING_SYNC_MT_HTS:
		k = keel_ring_dequeue_burst_elem_start(s->r, buf, s->esize, n,
						       NULL);
		if (k == 0) /* no reservation: no finish (see the header) */
			return 0;
		keep = (unsigned int)(test_rand(rng) % k) + 1;
		keel_ring_dequeue_elem_finish(s->r, keep);
		return keep;
	case KEEL_RING_SYNC_ST:
		k = bulk ? keel_ring_dequeue_zc_bulk_elem_start(s->r, s->esize,
								 n, &zcd, NULL)
			 : keel_ring_dequeue_zc_burst_elem_start(s->r,
								 s->esize, n,
								 &zcd, NULL);
		if (k == 0)
			return 0;
		keep = (unsigned int)(test_rand(rng) % k) + 1;
		n1 = keep < zcd.n1 ? keep : zcd.n1;
		memcpy(buf, zcd.ptr1, (size_t)n1 * s->esize);
		if (keep > n1)
			memcpy(buf + (size_t)n1 * s->esize, zcd.ptr2,
			       (size_t)(keep - n1) * s->esize);
		keel_ring_dequeue_zc_elem_finish(s->r, keep);
		return keep;
	default:
		return ring_deq(s->r, test_rand(rng) % 2 ? -1 : (int)s->mode,
				bulk, buf, s->esize, n, NULL);
	}
}

static int
stress_thread(void *arg)
{
	struct stress *s = arg;
	unsigned int id = __atomic_fetch_add(&s->next_id, 1, __ATOMIC_RELAXED);
	uint64_t rng = (s->seed ^ (id * 0x9e3779b97f4a7c15ull)) | 1;
	uint64_t total = (uint64_t)s->nthreads * s->per_thread;
	int producer = s->mode != KEEL_RING_SYNC_ST || id == 0;
	int consumer = s->mode != KEEL_RING_SYNC_ST || id == 1;
	int64_t last[MAX_THREADS];
	char buf[BURST * MAX_ESIZE], out[BURST * MAX_ESIZE];
	uint32_t seq = 0;
	unsigned int i, idle = 0;

	for (i = 0; i < MAX_THREADS; i++)
		last[i] = -1;
	__atomic_fetch_add(&s->started, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&s->started, __ATOMIC_RELAXED) < s->nthreads_run)
		s->on_lcores ? keel_pause() : (void)sched_yield();
	if (s->mode == KEEL_RING_SYNC_ST && id > 1)
		return 0;
	while (!__atomic_load_n(&s->failed, __ATOMIC_RELAXED)) {
		unsigned int moved = 0;

		if (producer && seq < s->per_thread) {
			unsigned int n = (unsigned int)(test_rand(&rng) %
							BURST) + 1, k;
			int bulk = test_rand(&rng) % 4 == 0;

			if (n > s->per_thread - seq)
				n = s->per_thread - seq;
			for (i = 0; i < n; i++)
				elem_make(buf + (size_t)i * s->esize, s->esize,
					  id, seq + i);
			k = ring_enq(s->r, test_rand(&rng) % 2 ? -1 :
				     (int)s->mode, bulk, buf, s->esize, n,
				     NULL);
			if (bulk && k != 0 && k != n)
				stress_fail(s, "partial bulk enqueue", id, k);
			seq += k;
			moved += k;
		}
		if (consumer) {
			unsigned int k = take(s, out, (unsigned int)
					      (test_rand(&rng) % BURST) + 1,
					      &rng);

			consume(s, out, k, last);
			moved += k;
		}
		/* more threads than CPUs, or a loaded machine: after a
		 * while without progress let the one we wait for run */
		idle = moved != 0 ? 0 : idle + 1;
		if (idle > (s->on_lcores ? 256u : 0u))
			sched_yield();
		if (producer && seq < s->per_thread)
			continue;
		if (!consumer ||
		    __atomic_load_n(&s->consumed, __ATOMIC_RELAXED) >= total)
			break;
	}
	return 0;
}

static void *
stress_pthread(void *arg)
{
	stress_thread(arg);
	return NULL;
}

static int
stress_check(struct stress *s)
{
	uint64_t want = (uint64_t)s->per_thread * (s->per_thread - 1) / 2;
	unsigned int p, w, producers = s->mode == KEEL_RING_SYNC_ST ? 1 :
						   s->nthreads;

	TEST_ASSERT(!s->failed, "%s", s->why);
	TEST_ASSERT_EQUAL(s->consumed, (uint64_t)producers * s->per_thread,
			  "consumed everything produced");
	for (p = 0; p < producers; p++) {
		for (w = 0; w < s->per_thread / 64; w++)
			TEST_ASSERT(s->seen[p][w] == ~0ull,
				    "producer %u: seq %u..%u not all consumed",
				    p, w * 64, w * 64 + 63);
		TEST_ASSERT_EQUAL(s->sum[p], want, "producer %u checksum", p);
	}
	TEST_ASSERT(keel_ring_empty(s->r), "ring empty at the end");
	return TEST_SUCCESS;
}

static int
stress_run(unsigned int mode, unsigned int esize, int on_lcores,
	   unsigned int nthreads, unsigned int per_thread)
{
	struct stress *s = calloc(1, sizeof(*s));
	pthread_t th[MAX_THREADS];
	unsigned int i, lc;
	uint64_t t0 = keel_time_ns();
	int ret;

	TEST_ASSERT(s != NULL, "calloc");
	if (mode == KEEL_RING_SYNC_ST)
		nthreads = 2;
	s->mode = mode;
	s->esize = esize;
	s->nthreads = mode == KEEL_RING_SYNC_ST ? 1 : nthreads;
	s->per_thread = per_thread;
	s->seed = keel_test_seed() + mode * 7 + esize;
	s->on_lcores = on_lcores;
	s->nthreads_run = on_lcores ? keel_lcore_count() : nthreads;
	s->r = keel_ring_create_elem("stress", esize, 256, -1,
				     ring_mode_flags(mode, mode));
	TEST_ASSERT(s->r != NULL, "create");
	for (i = 0; i < MAX_THREADS; i++) {
		s->seen[i] = calloc(per_thread / 64 + 1, 8);
		TEST_ASSERT(s->seen[i] != NULL, "calloc");
	}
	if (on_lcores) {
		KEEL_LCORE_FOREACH_WORKER(lc)
			keel_eal_remote_launch(stress_thread, s, lc);
		stress_thread(s);
		keel_eal_mp_wait();
	} else {
		pthread_attr_t attr;
		cpu_set_t all;

		/* not the main lcore's CPU only: every online CPU */
		CPU_ZERO(&all);
		for (i = 0; i < (unsigned int)sysconf(_SC_NPROCESSORS_ONLN) &&
		     i < CPU_SETSIZE; i++)
			CPU_SET(i, &all);
		pthread_attr_init(&attr);
		pthread_attr_setaffinity_np(&attr, sizeof(all), &all);
		for (i = 0; i < nthreads; i++)
			TEST_ASSERT_SUCCESS(pthread_create(&th[i], &attr,
							   stress_pthread, s),
					    "pthread_create");
		pthread_attr_destroy(&attr);
		for (i = 0; i < nthreads; i++)
			pthread_join(th[i], NULL);
	}
	printf("  %-5s %2uB %s x%u: %u each, %.1f ms\n", ring_mode_name((int)mode),
	       esize, on_lcores ? "lcores  " : "pthreads", nthreads,
	       per_thread, (double)(keel_time_ns() - t0) / 1e6);
	ret = stress_check(s);
	for (i = 0; i < MAX_THREADS; i++)
		free(s->seen[i]);
	keel_ring_free(s->r);
	free(s);
	return ret;
}

static int
test_ring_stress(void)
{
	unsigned int lcores = keel_lcore_count(), mode;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int nthr = cpus > 0 && cpus * 2 <= MAX_THREADS ?
			    (unsigned int)cpus * 2 : MAX_THREADS;

	if (lcores > MAX_THREADS)
		return keel_test_skip("more than %d lcores", MAX_THREADS);
	for (mode = 0; mode < 4; mode++) {
		/* 8 B: the pointer API; 128 B: long copies, so threads
		 * overlap in the window between claim and publish */
		if (lcores >= 2 &&
		    (stress_run(mode, 8, 1, lcores, PER_THREAD) != TEST_SUCCESS ||
		     stress_run(mode, 128, 1, lcores, PER_THREAD / 2) != TEST_SUCCESS))
			return TEST_FAILED;
		if (stress_run(mode, 16, 0, nthr, PER_THREAD) != TEST_SUCCESS ||
		    stress_run(mode, 128, 0, nthr, PER_THREAD / 2) != TEST_SUCCESS)
			return TEST_FAILED;
	}
	return TEST_SUCCESS;
}
KEEL_TEST(ring_stress, "fast", TEST_RANDOM, test_ring_stress)
