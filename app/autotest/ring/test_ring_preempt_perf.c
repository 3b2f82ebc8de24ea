/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ring_preempt_perf (perf suite): what each sync mode costs when threads
 * are preempted inside ring calls. 1, 2 and 4 producers and as many
 * consumers run, pinned round-robin to the CPUs or not (on 2 CPUs: 1, 2
 * and 4 threads per CPU, so from 2P+2C on the kernel time-slices them), for
 * ROUNDS rounds of 100 ms; the rounds of all cells are interleaved, so a
 * machine whose load drifts hits them alike. Each cell prints the median,
 * in TSC cycles per object through the ring, of wall time and of the CPU
 * time the threads used (see ring_preempt_bench.h), for the ring as built
 * (its waits spin, then yield) and for the same ring with its waits
 * spinning forever (KEEL_RING_SPIN_BEFORE_YIELD 0, DPDK's behaviour; built
 * into this process from test_ring_preempt_spin.c). Three tables: pinned
 * threads that only pause when idle; pinned threads that also yield when
 * idle; threads on any CPU that yield when idle; and, as in ring_stress,
 * threads on any CPU that each enqueue then dequeue 128-byte elements (the
 * longer copies leave a thread inside a call more often when it is
 * switched out).
 * dpdk-ring-bench.c prints the same tables for DPDK 22.11.
 */
#include <stdlib.h>

#include "test.h"
#include "ring_preempt_bench.h"

#define ROUNDS 5
#define CELLS 10

/* the same benchmark built with KEEL_RING_SPIN_BEFORE_YIELD 0 */
struct pb_result ring_preempt_spin_run(unsigned int flags, unsigned int np,
				       unsigned int nc, unsigned int ms,
				       int app_yield, int pinned,
				       unsigned int esize);

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	return v[n / 2];
}

static const struct {
	const char *name;
	unsigned int flags;
} modes[] = {
	{ "SP/SC", KEEL_RING_F_SP_ENQ | KEEL_RING_F_SC_DEQ },
	{ "MP/MC", 0 },
	{ "RTS", KEEL_RING_F_MP_RTS_ENQ | KEEL_RING_F_MC_RTS_DEQ },
	{ "HTS", KEEL_RING_F_MP_HTS_ENQ | KEEL_RING_F_MC_HTS_DEQ },
};

static int
table(int app_yield, int pinned, unsigned int esize)
{
	static const unsigned int threads[] = { 1, 2, 4 };
	/* [cell][variant][wall, cpu][round] */
	static double v[CELLS][2][2][ROUNDS];
	unsigned int cell_mode[CELLS], cell_thr[CELLS], ncells = 0, m, t, c, r;

	for (t = 0; t < 3; t++)
		for (m = 0; m < 4; m++)
			/* SP/SC: one producer and one consumer only */
			if (m != 0 || (threads[t] == 1 && esize == 0)) {
				cell_mode[ncells] = m;
				cell_thr[ncells++] = threads[t];
			}
	for (r = 0; r < ROUNDS; r++)
		for (c = 0; c < ncells; c++) {
			unsigned int f = modes[cell_mode[c]].flags;
			struct pb_result a = pb_run(f, cell_thr[c], cell_thr[c],
						    100, app_yield, pinned,
						    esize);
			struct pb_result b = ring_preempt_spin_run(f,
						cell_thr[c], cell_thr[c], 100,
						app_yield, pinned, esize);

			TEST_ASSERT(a.wall >= 0 && b.wall >= 0, "run failed");
			v[c][0][0][r] = a.wall;
			v[c][0][1][r] = a.cpu;
			v[c][1][0][r] = b.wall;
			v[c][1][1][r] = b.cpu;
		}
	printf("### preempted threads: %ld CPUs, %s, burst %d, %s,"
	       " idle threads %s; cycles per object, median of %d x 100 ms"
	       " ###\n", sysconf(_SC_NPROCESSORS_ONLN),
	       pinned ? "pinned round-robin" : "not pinned", PB_BURST,
	       esize ? "each thread enqueues then dequeues 128-byte elements" :
	       "pointers", app_yield ? "pause, then yield" : "pause", ROUNDS);
	printf("%-8s %-6s %22s %22s\n", "", "", "ring: spin, then yield",
	       "ring: spin only");
	printf("%-8s %-6s %11s %10s %11s %10s\n", "threads", "mode", "wall",
	       "cpu", "wall", "cpu");
	for (c = 0; c < ncells; c++)
		printf("%uP+%uC    %-6s %11.1f %10.1f %11.1f %10.1f\n",
		       cell_thr[c], cell_thr[c], modes[cell_mode[c]].name,
		       median(v[c][0][0], ROUNDS), median(v[c][0][1], ROUNDS),
		       median(v[c][1][0], ROUNDS), median(v[c][1][1], ROUNDS));
	return TEST_SUCCESS;
}

static int
test_ring_preempt_perf(void)
{
	if (table(0, 1, 0) != TEST_SUCCESS)
		return TEST_FAILED;
	printf("\n");
	if (table(1, 1, 0) != TEST_SUCCESS)
		return TEST_FAILED;
	printf("\n");
	if (table(1, 0, 0) != TEST_SUCCESS)
		return TEST_FAILED;
	printf("\n");
	return table(1, 0, 128);
}
KEEL_TEST(ring_preempt_perf, "perf", 0, test_ring_preempt_perf)
