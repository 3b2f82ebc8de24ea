/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_FENCE_H
#define KEEL_FENCE_H

/**
 * @file
 * Asymmetric fences, for a store-then-load handshake between a path that
 * runs all the time (a burst, a device access) and a rare one (stop,
 * unmap):
 *
 *     hot path:      store A; keel_fence_light(); load B
 *     control path:  store B; keel_fence_heavy(); load A
 *
 * Then at least one of the two loads sees the other side's store. Both
 * would need a full fence; with membarrier(2) (MEMBARRIER_CMD_PRIVATE_
 * EXPEDITED, registered when the EAL library is loaded) the hot path's is
 * only a compiler barrier and the control path pays instead: the kernel
 * makes every running thread of the process execute a full fence. Without
 * membarrier (an old kernel, a seccomp filter) both are full fences.
 */
#include <stdatomic.h>

/** Non-zero while membarrier(2) does the hot side's fence (read only). */
extern int keel_fence_asym;

/** The hot side's fence: a compiler barrier, or a full fence. */
static inline void
keel_fence_light(void)
{
	if (__atomic_load_n(&keel_fence_asym, __ATOMIC_RELAXED))
		atomic_signal_fence(memory_order_seq_cst);
	else
		atomic_thread_fence(memory_order_seq_cst);
}

/**
 * The control side's fence: a full fence here and, with membarrier(2), in
 * every thread of the process that is running (a system call; microseconds).
 */
void keel_fence_heavy(void);

#endif /* KEEL_FENCE_H */
