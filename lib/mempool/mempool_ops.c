/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registry of pool backends ("ops"), by name.
 *
 * Invariant: ops_table[0..n_ops) are distinct registered ops with unique,
 * non-empty names and every callback set; entries are never removed, so a
 * pointer handed out stays valid. ops_lock protects the table; readers
 * that race a registration see either the old or the new count.
 */
#include <pthread.h>
#include <string.h>

#include "mempool_internal.h"

KEEL_LOG_REGISTER(keel_logtype_mempool, "mempool", INFO)

static const struct keel_mempool_ops *ops_table[KEEL_MEMPOOL_MAX_OPS];
static unsigned int n_ops;
static pthread_mutex_t ops_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * The default backend, chosen by measurement (doc/guides/mempool.md, on
 * the 2-vCPU machines Keel is developed on): for any number of threads
 * the stack, which was as fast as the best ring mode without a cache and
 * on one core, did not collapse when threads were preempted (ring_mp_mc
 * did, 4x-60x slower on two cores), and hands out the objects put back
 * last, warm in the CPU caches; when the flags promise a single producer
 * and/or consumer, the ring in that mode, which takes no lock (25% faster
 * than the stack on one core).
 */
static const char *const default_by_flags[4] = {
	"stack",      /* 0 */
	"ring_sp_mc", /* SP_PUT */
	"ring_mp_sc", /* SC_GET */
	"ring_sp_sc", /* SP_PUT | SC_GET */
};
#define DEFAULT_FALLBACK "stack"

static const struct keel_mempool_ops *
lookup_locked(const char *name)
{
	unsigned int i;

	for (i = 0; i < n_ops; i++)
		if (strcmp(ops_table[i]->name, name) == 0)
			return ops_table[i];
	return NULL;
}

int
keel_mempool_register_ops(const struct keel_mempool_ops *ops)
{
	const char *why = NULL;
	int err = EINVAL, idx;

	if (ops == NULL)
		why = "ops is NULL";
	else if (ops->name[0] == '\0' ||
		 strnlen(ops->name, KEEL_MEMPOOL_OPS_NAMESIZE) ==
		 KEEL_MEMPOOL_OPS_NAMESIZE)
		why = "name empty or not terminated";
	else if (ops->alloc == NULL || ops->free == NULL ||
		 ops->enqueue == NULL || ops->dequeue == NULL ||
		 ops->get_count == NULL)
		why = "a callback is missing";
	if (why != NULL) {
		keel_log(KEEL_LOG_ERR, keel_logtype_mempool,
			 "mempool ops '%.*s': %s", KEEL_MEMPOOL_OPS_NAMESIZE,
			 ops ? ops->name : "(null)", why);
		return mp_fail(err);
	}
	pthread_mutex_lock(&ops_lock);
	if (lookup_locked(ops->name) != NULL) {
		pthread_mutex_unlock(&ops_lock);
		MP_LOG(ERR, "mempool ops '%s': name already registered",
		       ops->name);
		return mp_fail(EEXIST);
	}
	if (n_ops == KEEL_MEMPOOL_MAX_OPS) {
		pthread_mutex_unlock(&ops_lock);
		MP_LOG(ERR, "mempool ops '%s': table full (%d ops)", ops->name,
		       KEEL_MEMPOOL_MAX_OPS);
		return mp_fail(ENOSPC);
	}
	idx = (int)n_ops;
	ops_table[n_ops] = ops;
	__atomic_store_n(&n_ops, n_ops + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ops_lock);
	return idx;
}

const struct keel_mempool_ops *
keel_mempool_ops_lookup(const char *name)
{
	const struct keel_mempool_ops *ops;

	if (name == NULL) {
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&ops_lock);
	ops = lookup_locked(name);
	pthread_mutex_unlock(&ops_lock);
	if (ops == NULL)
		errno = EINVAL;
	return ops;
}

const char *
keel_mempool_default_ops_name(unsigned int flags)
{
	unsigned int v = 0;
	const char *name;

	if (flags & KEEL_MEMPOOL_F_SP_PUT)
		v |= 1;
	if (flags & KEEL_MEMPOOL_F_SC_GET)
		v |= 2;
	name = default_by_flags[v];
	pthread_mutex_lock(&ops_lock);
	if (lookup_locked(name) == NULL)
		name = DEFAULT_FALLBACK;
	pthread_mutex_unlock(&ops_lock);
	return name;
}

const struct keel_mempool_ops *
mp_ops_default(unsigned int flags)
{
	return keel_mempool_ops_lookup(keel_mempool_default_ops_name(flags));
}
