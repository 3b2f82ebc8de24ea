/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_PREFETCH_H
#define KEEL_PREFETCH_H

/**
 * @file
 * Prefetch hints for data paths that touch many lines another core wrote
 * last (a peer's packet buffers, shared rings): issuing the misses of a
 * whole burst before the work lets them overlap instead of waiting for
 * each in turn. A hint never faults and never changes what a program
 * computes; a wrong address only wastes it.
 */

/** Bring the line holding @p p into every cache level, to be read. */
static inline void
keel_prefetch0(const volatile void *p)
{
	__builtin_prefetch((const void *)p, 0, 3);
}

/**
 * Bring the line holding @p p in, to be written: on x86-64, PREFETCHW
 * (the line arrives owned, so the store that follows does not wait for
 * the other caches' copies to be invalidated). Without -mprfchw the
 * compiler would turn a write hint into a read prefetch (PREFETCHT0), so
 * the instruction is written out; CPUs without PRFCHW (Intel before
 * Broadwell) execute it as a NOP (Intel SDM vol. 2B, PREFETCHW).
 */
static inline void
keel_prefetch0_write(volatile void *p)
{
#if defined(__x86_64__)
	__asm__ volatile("prefetchw %0" : : "m" (*(volatile char *)p));
#else
	__builtin_prefetch((const void *)p, 1, 3);
#endif
}

#endif /* KEEL_PREFETCH_H */
