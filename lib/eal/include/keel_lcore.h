/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_LCORE_H
#define KEEL_LCORE_H

/**
 * @file
 * Logical cores: the main lcore runs the application's main(); each worker
 * lcore is one thread pinned to its CPU(s), waiting for work given with
 * keel_eal_remote_launch().
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest lcore id + 1. */
#define KEEL_MAX_LCORE 128
/** Returned by keel_lcore_id() on a thread that is not an lcore. */
#define KEEL_LCORE_ID_ANY UINT32_MAX

/** Function run on an lcore. */
typedef int (*keel_lcore_function_t)(void *arg);

/** State of a worker lcore. */
enum keel_lcore_state {
	KEEL_LCORE_WAIT = 0,  /**< idle, ready to be launched */
	KEEL_LCORE_RUNNING,   /**< running a function */
};

/** @cond internal */
/* The calling thread's lcore id, set by the EAL on its lcore threads. A
 * thread-local variable read inline: datapaths (mempool caches) ask for
 * it on every call, and a call into the library costs more than the rest. */
extern __thread unsigned int keel_lcore_id_tls;
/** @endcond */

/** @return the calling thread's lcore id, or KEEL_LCORE_ID_ANY. */
static inline unsigned int
keel_lcore_id(void)
{
	return keel_lcore_id_tls;
}

/** @return the main lcore's id. */
unsigned int keel_get_main_lcore(void);

/** @return the number of enabled lcores (main included). */
unsigned int keel_lcore_count(void);

/** @return 1 if @p lcore_id is enabled. */
int keel_lcore_is_enabled(unsigned int lcore_id);

/** @return the NUMA socket of an lcore (0 when unknown), or -EINVAL. */
int keel_lcore_to_socket_id(unsigned int lcore_id);

/** @return the first CPU an lcore runs on, or -EINVAL. */
int keel_lcore_to_cpu_id(unsigned int lcore_id);

/** @return the calling thread's NUMA socket (0 when unknown). */
int keel_socket_id(void);

/** @return the number of NUMA sockets (>= 1). */
unsigned int keel_socket_count(void);

/**
 * Next enabled lcore after @p i (i = -1 starts), optionally skipping the
 * main lcore; KEEL_MAX_LCORE when there is none.
 */
unsigned int keel_get_next_lcore(int i, int skip_main);

/** Iterate over enabled worker lcores. */
#define KEEL_LCORE_FOREACH_WORKER(i) \
	for ((i) = keel_get_next_lcore(-1, 1); (i) < KEEL_MAX_LCORE; \
	     (i) = keel_get_next_lcore((int)(i), 1))

/** Iterate over all enabled lcores. */
#define KEEL_LCORE_FOREACH(i) \
	for ((i) = keel_get_next_lcore(-1, 0); (i) < KEEL_MAX_LCORE; \
	     (i) = keel_get_next_lcore((int)(i), 0))

/**
 * Run f(arg) on worker lcore @p worker_id.
 *
 * @return 0; -EINVAL for a bad or main lcore id; -EBUSY when the worker is
 *         running (or finished but not yet waited for).
 */
int keel_eal_remote_launch(keel_lcore_function_t f, void *arg,
			   unsigned int worker_id);

/**
 * Wait for worker @p worker_id to finish.
 *
 * @return the function's return value, or 0 when the lcore was idle
 *         (-EINVAL for a bad id).
 */
int keel_eal_wait_lcore(unsigned int worker_id);

/** Launch f(arg) on every worker, and on the main lcore when call_main. */
int keel_eal_mp_remote_launch(keel_lcore_function_t f, void *arg,
			      int call_main);

/** Wait for every worker; @return the first non-zero return value, or 0. */
int keel_eal_mp_wait(void);

/** @return the state of a worker lcore, or -EINVAL. */
int keel_eal_get_lcore_state(unsigned int lcore_id);

#ifdef __cplusplus
}
#endif
#endif /* KEEL_LCORE_H */
