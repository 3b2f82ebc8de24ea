/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Quiet-figure companion of ring_perf: one pinned thread, an enqueue call
 * and a dequeue call of n objects (n 1, 8, 32, not known to the compiler),
 * 4096 pairs per block, the cheapest of 400 blocks in cycles per pair.
 * The minimum drops what other programs on a shared machine take, so two
 * builds (or Keel and DPDK) can be told apart by a few percent where
 * ring_perf's averages of one long loop cannot. The same source builds
 * against Keel or, with -DBENCH_DPDK, against Debian's DPDK 22.11.
 * Not built by meson (DPDK is not a Keel dependency).
 *
 * Build (from a Keel tree with a meson build in build/):
 *   cc -O2 -g -std=gnu11 -D_GNU_SOURCE -Ilib/ring -Ilib/eal/include \
 *      -Ibuild/lib/eal -Ilib/eal app/autotest/ring/ring-pair-bench.c \
 *      -Lbuild/lib/ring -Lbuild/lib/eal -lkeel_ring -lkeel_eal \
 *      -Wl,-rpath,$PWD/build/lib/ring:$PWD/build/lib/eal -o keel-pair-bench
 *   cc -O2 -g -DBENCH_DPDK app/autotest/ring/ring-pair-bench.c \
 *      $(pkg-config --cflags --libs libdpdk) -o dpdk-pair-bench
 * Run, interleaved, on one CPU:
 *   for r in 1 2 3 4 5; do taskset -c 1 ./keel-pair-bench;
 *                          taskset -c 1 ./dpdk-pair-bench; done
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#ifdef BENCH_DPDK
#include <rte_cycles.h>
#include <rte_ring.h>
#define R(name) rte_ring_##name
#define F(name) RING_F_##name
#define TSC() rte_rdtsc()
typedef struct rte_ring ring_t;
#else
#include "keel_cycles.h"
#include "keel_ring.h"
#define R(name) keel_ring_##name
#define F(name) KEEL_RING_F_##name
#define TSC() keel_get_tsc_cycles()
typedef struct keel_ring ring_t;
#endif

#define COUNT 4096
#define REPS 400
#define ITERS 4096

/* volatile: the compiler must not see the sizes as constants */
static const volatile unsigned int sizes[] = { 1, 8, 32 };

/* a ring in malloc'd memory: no EAL needed */
static ring_t *
make(unsigned int esize, unsigned int flags)
{
	ssize_t sz = R(get_memsize_elem)(esize, COUNT);
	ring_t *r;

	if (sz < 0)
		abort();
	r = aligned_alloc(128, ((size_t)sz + 127) & ~(size_t)127);
	if (r == NULL)
		abort();
#ifdef BENCH_DPDK
	/* DPDK's ring does not record the element size */
	if (rte_ring_init(r, "pair", COUNT, flags) != 0)
		abort();
#else
	if (keel_ring_init_elem(r, "pair", esize, COUNT, flags) != 0)
		abort();
#endif
	return r;
}

#define BENCH(label, ENQ, DEQ) do { \
	for (unsigned int s = 0; s < 3; s++) { \
		unsigned int n = sizes[s]; \
		uint64_t best = UINT64_MAX; \
		for (unsigned int rep = 0; rep < REPS; rep++) { \
			uint64_t t0 = TSC(), t; \
			for (unsigned int i = 0; i < ITERS; i++) { \
				ENQ; \
				DEQ; \
			} \
			t = TSC() - t0; \
			if (t < best) \
				best = t; \
		} \
		printf("%s n=%u: %.2f\n", label, n, \
		       (double)best / ITERS); \
	} \
} while (0)

int
main(void)
{
	static char buf[32 * 16] __attribute__((aligned(64)));
	ring_t *r16 = make(16, 0), *r8 = make(8, 0);
	ring_t *h16 = make(16, F(MP_HTS_ENQ) | F(MC_HTS_DEQ));
	ring_t *t16 = make(16, F(MP_RTS_ENQ) | F(MC_RTS_DEQ));
	void **p = (void **)buf;

	BENCH("16B SP/SC bulk",
	      R(sp_enqueue_bulk_elem)(r16, buf, 16, n, NULL),
	      R(sc_dequeue_bulk_elem)(r16, buf, 16, n, NULL));
	BENCH("16B MP/MC bulk",
	      R(mp_enqueue_bulk_elem)(r16, buf, 16, n, NULL),
	      R(mc_dequeue_bulk_elem)(r16, buf, 16, n, NULL));
	BENCH("16B SP/SC burst",
	      R(sp_enqueue_burst_elem)(r16, buf, 16, n, NULL),
	      R(sc_dequeue_burst_elem)(r16, buf, 16, n, NULL));
	BENCH("16B MP/MC burst",
	      R(mp_enqueue_burst_elem)(r16, buf, 16, n, NULL),
	      R(mc_dequeue_burst_elem)(r16, buf, 16, n, NULL));
	BENCH("16B HTS bulk",
	      R(mp_hts_enqueue_bulk_elem)(h16, buf, 16, n, NULL),
	      R(mc_hts_dequeue_bulk_elem)(h16, buf, 16, n, NULL));
	BENCH("16B RTS burst",
	      R(mp_rts_enqueue_burst_elem)(t16, buf, 16, n, NULL),
	      R(mc_rts_dequeue_burst_elem)(t16, buf, 16, n, NULL));
	BENCH("ptr SP/SC bulk", R(sp_enqueue_bulk)(r8, p, n, NULL),
	      R(sc_dequeue_bulk)(r8, p, n, NULL));
	BENCH("ptr MP/MC bulk", R(mp_enqueue_bulk)(r8, p, n, NULL),
	      R(mc_dequeue_bulk)(r8, p, n, NULL));
	BENCH("ptr SP/SC burst", R(sp_enqueue_burst)(r8, p, n, NULL),
	      R(sc_dequeue_burst)(r8, p, n, NULL));
	return 0;
}
