/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Asymmetric fences (keel_fence.h). keel_fence_asym is set once, before
 * main() (a constructor of the EAL library), when the process registered
 * for MEMBARRIER_CMD_PRIVATE_EXPEDITED; it is cleared only if that command
 * ever fails afterwards (the kernel does not do that once registered), and
 * then both sides fall back to full fences. Lock: none.
 */
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "keel_fence.h"

int keel_fence_asym;

__attribute__((constructor)) static void
fence_init(void)
{
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
		    0, 0) == 0)
		__atomic_store_n(&keel_fence_asym, 1, __ATOMIC_RELAXED);
}

void
keel_fence_heavy(void)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (__atomic_load_n(&keel_fence_asym, __ATOMIC_RELAXED) &&
	    syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) < 0)
		__atomic_store_n(&keel_fence_asym, 0, __ATOMIC_RELAXED);
	atomic_thread_fence(memory_order_seq_cst);
}
