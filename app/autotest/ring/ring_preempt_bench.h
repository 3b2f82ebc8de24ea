/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_RING_PREEMPT_BENCH_H
#define KEEL_RING_PREEMPT_BENCH_H

/*
 * The preemption benchmark's body, included by test_ring_preempt_perf.c
 * twice: once as is, once with KEEL_RING_SPIN_BEFORE_YIELD 0 (the ring's
 * waits spin forever, as DPDK's do), so the two can be compared in one
 * process. Everything here is static: each includer gets its own copy,
 * built with its own setting.
 *
 * P producer and C consumer threads (plain pthreads) are pinned round-robin
 * to the CPUs, or left free to run on any CPU; with more threads than CPUs
 * the kernel time-slices them and a thread is regularly switched out in
 * the middle of a ring call. The
 * loops move bursts of up to 32 and, when nothing moved, either pause and
 * retry (a poll-mode application that owns its CPU, as DPDK's tests are
 * written) or also yield the CPU after PB_IDLE_YIELD empty polls in a row
 * (an application written to share its CPUs). Figures, per object that went through the ring (lower
 * is better): TSC cycles of wall time, and TSC cycles of CPU time the
 * threads used. The second is what spinning on a preempted peer costs;
 * unlike the first it barely moves when other processes take the CPUs
 * (the machine is shared), so it compares modes on a busy machine.
 */

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "keel_cycles.h"
#include "keel_ring.h"

#define PB_BURST 32
#define PB_MAX_THREADS 16
#define PB_IDLE_YIELD 16
#define PB_MAX_ESIZE 128

struct pb_shared {
	struct keel_ring *r;
	int app_yield;        /* the application loop yields when idle */
	unsigned int esize;   /* 0: pointers, producers and consumers;
			       * else every thread enqueues then dequeues
			       * elements of esize bytes */
	volatile int go, stop;
	uint64_t consumed;
	uint64_t cpu_ns;      /* CPU time of all threads while running */
};

/* the calling thread's CPU time, ns */
static uint64_t
pb_thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* one run's figures, cycles per object */
struct pb_result {
	double wall, cpu;
};

struct pb_thread {
	struct pb_shared *sh;
	int producer;
	pthread_t tid;
};

static void *
pb_thread_fn(void *arg)
{
	struct pb_thread *t = arg;
	struct pb_shared *sh = t->sh;
	void *objs[PB_BURST];
	static __thread char elems[PB_BURST * PB_MAX_ESIZE];
	uint64_t done = 0, cpu0;
	unsigned int i, idle = 0;

	for (i = 0; i < PB_BURST; i++)
		objs[i] = (void *)(uintptr_t)(i + 1);
	while (!sh->go)
		sched_yield();
	cpu0 = pb_thread_ns();
	while (!sh->stop) {
		unsigned int n;

		if (sh->esize != 0) {
			keel_ring_enqueue_burst_elem(sh->r, elems, sh->esize,
						     PB_BURST, NULL);
			n = keel_ring_dequeue_burst_elem(sh->r, elems,
							 sh->esize, PB_BURST,
							 NULL);
		} else {
			n = t->producer ?
			    keel_ring_enqueue_burst(sh->r, objs, PB_BURST,
						    NULL) :
			    keel_ring_dequeue_burst(sh->r, objs, PB_BURST,
						    NULL);
		}

		if (n != 0)
			idle = 0;
		else if (!sh->app_yield || ++idle < PB_IDLE_YIELD)
			keel_pause();
		else
			sched_yield();
		done += n;
	}
	__atomic_fetch_add(&sh->cpu_ns, pb_thread_ns() - cpu0,
			   __ATOMIC_RELAXED);
	if (!t->producer || sh->esize != 0)
		__atomic_fetch_add(&sh->consumed, done, __ATOMIC_RELAXED);
	return NULL;
}

/*
 * Run np producers and nc consumers (esize 0), or np + nc threads that each
 * enqueue then dequeue elements of esize bytes, for ms milliseconds on a
 * ring created with `flags`; @return TSC cycles per object dequeued
 * (wall < 0: error).
 */
static struct pb_result
pb_run(unsigned int flags, unsigned int np, unsigned int nc, unsigned int ms,
       int app_yield, int pinned, unsigned int esize)
{
	struct pb_result res = { -1, -1 };
	struct pb_shared sh = { 0 };
	struct pb_thread th[PB_MAX_THREADS];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int i, n = np + nc;
	uint64_t t0, t1;

	if (n > PB_MAX_THREADS || ncpu < 1)
		return res;
	sh.app_yield = app_yield;
	sh.esize = esize > PB_MAX_ESIZE ? PB_MAX_ESIZE : esize;
	sh.r = esize ? keel_ring_create_elem("preempt", sh.esize, 4096, -1,
					     flags) :
		       keel_ring_create("preempt", 4096, -1, flags);
	if (sh.r == NULL)
		return res;
	for (i = 0; i < n; i++) {
		pthread_attr_t attr;
		cpu_set_t cpus;

		/* producers 0, 1, ... and consumers 1, 0, ... round-robin,
		 * or any CPU (not the creator's: it may be pinned) */
		CPU_ZERO(&cpus);
		if (pinned) {
			CPU_SET(i < np ? i % ncpu : (i - np + 1) % ncpu, &cpus);
		} else {
			long c;

			for (c = 0; c < ncpu && c < CPU_SETSIZE; c++)
				CPU_SET(c, &cpus);
		}
		pthread_attr_init(&attr);
		pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
		th[i].sh = &sh;
		th[i].producer = i < np;
		if (pthread_create(&th[i].tid, &attr, pb_thread_fn, &th[i])) {
			pthread_attr_destroy(&attr);
			sh.stop = 1;
			sh.go = 1;
			while (i-- > 0)
				pthread_join(th[i].tid, NULL);
			keel_ring_free(sh.r);
			return res;
		}
		pthread_attr_destroy(&attr);
	}
	t0 = keel_get_tsc_cycles();
	sh.go = 1;
	usleep(ms * 1000);
	sh.stop = 1;
	t1 = keel_get_tsc_cycles();
	for (i = 0; i < n; i++)
		pthread_join(th[i].tid, NULL);
	keel_ring_free(sh.r);
	if (sh.consumed == 0)
		sh.consumed = 1; /* nothing moved: a huge figure, not a crash */
	res.wall = (double)(t1 - t0) / (double)sh.consumed;
	res.cpu = (double)sh.cpu_ns * ((double)keel_get_tsc_hz() / 1e9) /
		  (double)sh.consumed;
	return res;
}

#endif /* KEEL_RING_PREEMPT_BENCH_H */
