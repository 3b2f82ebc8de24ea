/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker lcores: one pthread per enabled lcore except the main one, pinned
 * to the lcore's CPU set, sleeping on its condition variable until
 * keel_eal_remote_launch() hands it a function.
 *
 * Per worker, w->lock protects f, arg, ret, state, done and quit. States:
 * WAIT (idle, or finished and not yet waited for: done = 1) and RUNNING.
 * A worker that finished keeps done = 1 until keel_eal_wait_lcore() collects
 * its return value; launching it again before that is -EBUSY (as in DPDK).
 */
#include <errno.h>
#include <numa.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "eal_internal.h"

struct worker {
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	keel_lcore_function_t f;
	void *arg;
	int ret;
	enum keel_lcore_state state;
	bool pending; /* a job was handed and not yet picked up */
	bool done;    /* finished, not yet waited for */
	bool quit;
};

static struct worker workers[KEEL_MAX_LCORE];
__thread unsigned int keel_lcore_id_tls = KEEL_LCORE_ID_ANY;

/* numa_available() is a system call: ask once (0 = not asked yet) */
static int numa_state; /* 1: NUMA available, -1: not */
static unsigned int n_sockets;

static bool
numa_ok(void)
{
	int st = __atomic_load_n(&numa_state, __ATOMIC_ACQUIRE);

	if (st == 0) {
		st = numa_available() < 0 ? -1 : 1;
		__atomic_store_n(&n_sockets, st > 0 ?
				 (unsigned int)numa_max_node() + 1 : 1,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&numa_state, st, __ATOMIC_RELEASE);
	}
	return st > 0;
}

int
eal_cpu_socket_id(unsigned int cpu)
{
	int s;

	if (!numa_ok())
		return 0;
	s = numa_node_of_cpu((int)cpu);
	return s < 0 ? 0 : s;
}

unsigned int
keel_get_main_lcore(void)
{
	return eal_cfg.main_lcore;
}

unsigned int
keel_lcore_count(void)
{
	return eal_cfg.n_lcores;
}

int
keel_lcore_is_enabled(unsigned int id)
{
	return id < KEEL_MAX_LCORE && eal_cfg.lcore[id].enabled;
}

int
keel_lcore_to_socket_id(unsigned int id)
{
	if (!keel_lcore_is_enabled(id))
		return -EINVAL;
	return eal_cfg.lcore[id].socket_id;
}

int
keel_lcore_to_cpu_id(unsigned int id)
{
	unsigned int c;

	if (!keel_lcore_is_enabled(id))
		return -EINVAL;
	for (c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &eal_cfg.lcore[id].cpus))
			return (int)c;
	return -EINVAL;
}

int
keel_socket_id(void)
{
	unsigned int id = keel_lcore_id();
	int cpu;

	if (id != KEEL_LCORE_ID_ANY && keel_lcore_is_enabled(id))
		return eal_cfg.lcore[id].socket_id;
	cpu = sched_getcpu();
	return cpu < 0 ? 0 : eal_cpu_socket_id((unsigned int)cpu);
}

unsigned int
keel_socket_count(void)
{
	numa_ok();
	return __atomic_load_n(&n_sockets, __ATOMIC_RELAXED);
}

unsigned int
keel_get_next_lcore(int i, int skip_main)
{
	unsigned int n;

	for (n = (unsigned int)(i + 1); n < KEEL_MAX_LCORE; n++) {
		if (!eal_cfg.lcore[n].enabled)
			continue;
		if (skip_main && n == eal_cfg.main_lcore)
			continue;
		return n;
	}
	return KEEL_MAX_LCORE;
}

static void *
worker_loop(void *p)
{
	struct worker *w = p;
	int ret;

	keel_lcore_id_tls = (unsigned int)(w - workers);
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->pending && !w->quit)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->quit)
			break;
		w->pending = false;
		pthread_mutex_unlock(&w->lock);
		ret = w->f(w->arg);
		pthread_mutex_lock(&w->lock);
		w->ret = ret;
		w->state = KEEL_LCORE_WAIT;
		w->done = true;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static bool
is_worker(unsigned int id)
{
	return id < KEEL_MAX_LCORE && eal_cfg.lcore[id].enabled &&
	       id != eal_cfg.main_lcore && workers[id].started;
}

int
keel_eal_remote_launch(keel_lcore_function_t f, void *arg, unsigned int id)
{
	struct worker *w;

	if (f == NULL || !is_worker(id)) {
		KEEL_LOG(ERR, keel_logtype_eal,
			 "remote launch on lcore %u: not a worker lcore", id);
		return -EINVAL;
	}
	w = &workers[id];
	pthread_mutex_lock(&w->lock);
	if (w->state != KEEL_LCORE_WAIT || w->done || w->pending) {
		pthread_mutex_unlock(&w->lock);
		return -EBUSY;
	}
	w->f = f;
	w->arg = arg;
	w->state = KEEL_LCORE_RUNNING;
	w->pending = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

int
keel_eal_wait_lcore(unsigned int id)
{
	struct worker *w;
	int ret = 0;

	if (!is_worker(id))
		return -EINVAL;
	w = &workers[id];
	pthread_mutex_lock(&w->lock);
	while (w->state == KEEL_LCORE_RUNNING)
		pthread_cond_wait(&w->cond, &w->lock);
	if (w->done) {
		ret = w->ret;
		w->done = false;
	}
	pthread_mutex_unlock(&w->lock);
	return ret;
}

int
keel_eal_get_lcore_state(unsigned int id)
{
	int s;

	if (!is_worker(id))
		return id == eal_cfg.main_lcore && keel_lcore_is_enabled(id) ?
			KEEL_LCORE_RUNNING : -EINVAL;
	pthread_mutex_lock(&workers[id].lock);
	s = (int)workers[id].state;
	pthread_mutex_unlock(&workers[id].lock);
	return s;
}

int
keel_eal_mp_remote_launch(keel_lcore_function_t f, void *arg, int call_main)
{
	unsigned int i;
	int ret;

	KEEL_LCORE_FOREACH_WORKER(i) {
		if (keel_eal_get_lcore_state(i) != KEEL_LCORE_WAIT)
			return -EBUSY;
	}
	KEEL_LCORE_FOREACH_WORKER(i) {
		ret = keel_eal_remote_launch(f, arg, i);
		if (ret != 0)
			return ret;
	}
	if (call_main)
		return f(arg);
	return 0;
}

int
keel_eal_mp_wait(void)
{
	unsigned int i;
	int ret, first = 0;

	KEEL_LCORE_FOREACH_WORKER(i) {
		ret = keel_eal_wait_lcore(i);
		if (ret != 0 && first == 0)
			first = ret;
	}
	return first;
}

static void
stop_workers(void)
{
	unsigned int i;

	for (i = 0; i < KEEL_MAX_LCORE; i++) {
		struct worker *w = &workers[i];

		if (!w->started)
			continue;
		pthread_mutex_lock(&w->lock);
		w->quit = true;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		memset(w, 0, sizeof(*w));
	}
}

int
eal_lcore_init(void)
{
	unsigned int i;
	int ret;

	for (i = 0; i < KEEL_MAX_LCORE; i++) {
		struct eal_lcore_cfg *lc = &eal_cfg.lcore[i];

		if (!lc->enabled)
			continue;
		lc->socket_id = eal_cpu_socket_id((unsigned int)
						  keel_lcore_to_cpu_id(i));
	}
	for (i = 0; i < KEEL_MAX_LCORE; i++) {
		struct eal_lcore_cfg *lc = &eal_cfg.lcore[i];
		struct worker *w = &workers[i];
		char name[16];

		if (!lc->enabled || i == eal_cfg.main_lcore)
			continue;
		memset(w, 0, sizeof(*w));
		pthread_mutex_init(&w->lock, NULL);
		pthread_cond_init(&w->cond, NULL);
		ret = pthread_create(&w->thread, NULL, worker_loop, w);
		if (ret != 0) {
			KEEL_LOG(ERR, keel_logtype_eal,
				 "cannot create thread for lcore %u: %s", i,
				 strerror(ret));
			pthread_cond_destroy(&w->cond);
			pthread_mutex_destroy(&w->lock);
			stop_workers();
			return -ret;
		}
		w->started = true;
		snprintf(name, sizeof(name), "keel-lcore-%u", i);
		pthread_setname_np(w->thread, name);
		ret = pthread_setaffinity_np(w->thread, sizeof(lc->cpus),
					     &lc->cpus);
		if (ret != 0) {
			KEEL_LOG(ERR, keel_logtype_eal,
				 "cannot pin lcore %u: %s", i, strerror(ret));
			stop_workers();
			return -ret;
		}
	}
	keel_lcore_id_tls = eal_cfg.main_lcore;
	return 0;
}

void
eal_lcore_cleanup(void)
{
	stop_workers();
	keel_lcore_id_tls = KEEL_LCORE_ID_ANY;
}

int
eal_lcores_busy(void)
{
	unsigned int i;

	for (i = 0; i < KEEL_MAX_LCORE; i++)
		if (workers[i].started &&
		    keel_eal_get_lcore_state(i) == KEEL_LCORE_RUNNING)
			return 1;
	return 0;
}
