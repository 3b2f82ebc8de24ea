/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "stack" ops: the backend is an array of object pointers used as a LIFO,
 * so the objects handed out are the ones put back last (warm in the CPU
 * caches).
 *
 * Invariant: objs[0..len) are the stored objects, len <= size == mp->size.
 * lock (a test-and-test-and-set spinlock) protects len and objs; it is held
 * for one memcpy of at most n pointers. A waiter spins with a pause and
 * yields the CPU now and then, so a holder preempted on an oversubscribed
 * machine gets to run again instead of being starved by spinners.
 */
#include <sched.h>
#include <string.h>

#include "keel_cycles.h"
#include "keel_malloc.h"
#include "mempool_internal.h"

#define SPINS_BEFORE_YIELD 512

struct mp_stack {
	uint32_t lock;
	uint32_t len;
	uint32_t size;
	uint32_t pad;
	void *objs[] __attribute__((aligned(64)));
};

/* the lock was taken: spin, yield now and then, until it is ours */
static __attribute__((noinline)) void
stack_lock_wait(struct mp_stack *s)
{
	unsigned int spins = 0;

	do {
		while (__atomic_load_n(&s->lock, __ATOMIC_RELAXED) != 0) {
			keel_pause();
			if (++spins == SPINS_BEFORE_YIELD) {
				spins = 0;
				sched_yield();
			}
		}
	} while (__atomic_exchange_n(&s->lock, 1, __ATOMIC_ACQUIRE) != 0);
}

static inline void
stack_lock(struct mp_stack *s)
{
	if (__builtin_expect(__atomic_exchange_n(&s->lock, 1,
						 __ATOMIC_ACQUIRE) != 0, 0))
		stack_lock_wait(s);
}

static inline void
stack_unlock(struct mp_stack *s)
{
	__atomic_store_n(&s->lock, 0, __ATOMIC_RELEASE);
}

static int
stack_alloc(struct keel_mempool *mp)
{
	struct mp_stack *s;

	s = keel_zmalloc_socket("mempool_stack", sizeof(*s) +
				(size_t)mp->size * sizeof(void *), 64,
				mp->socket_id);
	if (s == NULL)
		return -ENOMEM;
	s->size = mp->size;
	mp->pool_data = s;
	return 0;
}

static void
stack_free(struct keel_mempool *mp)
{
	keel_free(mp->pool_data);
	mp->pool_data = NULL;
}

static int
stack_enqueue(struct keel_mempool *mp, void * const *obj_table, unsigned int n)
{
	struct mp_stack *s = mp->pool_data;

	stack_lock(s);
	if (__builtin_expect(s->size - s->len < n, 0)) {
		stack_unlock(s);
		return -ENOBUFS;
	}
	keel_mempool_copy_objs_(&s->objs[s->len], obj_table, n);
	s->len += n;
	stack_unlock(s);
	return 0;
}

static int
stack_dequeue(struct keel_mempool *mp, void **obj_table, unsigned int n)
{
	struct mp_stack *s = mp->pool_data;

	stack_lock(s);
	if (__builtin_expect(s->len < n, 0)) {
		stack_unlock(s);
		return -ENOBUFS;
	}
	keel_mempool_pop_objs_(obj_table, &s->objs[s->len], n);
	s->len -= n;
	stack_unlock(s);
	return 0;
}

static unsigned int
stack_get_count(const struct keel_mempool *mp)
{
	const struct mp_stack *s = mp->pool_data;

	return __atomic_load_n(&s->len, __ATOMIC_RELAXED);
}

static const struct keel_mempool_ops mp_stack_ops = {
	.name = "stack",
	.alloc = stack_alloc,
	.free = stack_free,
	.enqueue = stack_enqueue,
	.dequeue = stack_dequeue,
	.get_count = stack_get_count,
};

KEEL_MEMPOOL_REGISTER_OPS(mp_stack_ops)
