/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The preemption benchmark built with the ring's waits spinning forever
 * (KEEL_RING_SPIN_BEFORE_YIELD 0, as DPDK's do), for ring_preempt_perf to
 * compare with the default (spin, then yield).
 */
#define KEEL_RING_SPIN_BEFORE_YIELD 0
#include "ring_preempt_bench.h"

struct pb_result ring_preempt_spin_run(unsigned int flags, unsigned int np,
				       unsigned int nc, unsigned int ms,
				       int app_yield, int pinned,
				       unsigned int esize);

struct pb_result
ring_preempt_spin_run(unsigned int flags, unsigned int np, unsigned int nc,
		      unsigned int ms, int app_yield, int pinned,
		      unsigned int esize)
{
	return pb_run(flags, np, nc, ms, app_yield, pinned, esize);
}
