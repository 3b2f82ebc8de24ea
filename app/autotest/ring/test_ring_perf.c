/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ring_perf (perf suite): the lines of DPDK 22.11's ring_perf_autotest,
 * same loops, same iteration counts, same units, so the two can be put
 * side by side; then the same lines for the RTS and HTS modes (DPDK's
 * test has none; app/autotest/ring/dpdk-ring-bench.c prints them for
 * DPDK). Units, as in DPDK 22.11:
 *   single, burst, bulk:  TSC cycles per iteration (one enqueue call and
 *                         one dequeue call of n objects, on one lcore)
 *   empty bulk deq:       cycles per dequeue call on an empty ring
 *   two physical cores:   cycles per object on the enqueuing lcore plus
 *                         cycles per object on the dequeuing lcore
 *   all worker nodes:     enqueue+dequeue iterations per lcore in 100 ms
 * Run: keel-autotest --no-huge -m 256 -l 0-1 -- ring_perf
 */
#include <stdlib.h>

#include "keel_cycles.h"
#include "keel_eal.h"
#include "keel_lcore.h"
#include "keel_ring.h"
#include "test.h"

#define RING_SIZE 4096
#define MAX_BURST 32

/* volatile: the compiler must not see the sizes as constants */
static const volatile unsigned int bulk_sizes[] = { 8, 32 };

/* api_type: a thread mode and an element-count style */
#define T_SPSC   0x1
#define T_MPMC   0x2
#define T_RTS    0x4
#define T_HTS    0x8
#define E_SINGLE 0x10
#define E_BULK   0x20
#define E_BURST  0x40

static void
print_line(unsigned int api, int esize, unsigned int n, double v)
{
	if (esize == -1)
		printf("legacy APIs");
	else
		printf("elem APIs: element size %dB", esize);
	printf(": %s: ", api & T_SPSC ? "SP/SC" : api & T_MPMC ? "MP/MC" :
	       api & T_RTS ? "RTS" : "HTS");
	if (api & E_SINGLE)
		printf("single: ");
	else
		printf("%s (size: %u): ", api & E_BULK ? "bulk" : "burst", n);
	printf("%.2f\n", v);
}

/* the call of one api_type; constants fold it to one call when inlined */
static inline __attribute__((always_inline)) unsigned int
enq(struct keel_ring *r, void *obj, int esize, unsigned int n,
    unsigned int api)
{
	if (esize == -1) {
		void **p = obj;

		switch (api) {
		case T_SPSC | E_SINGLE:
			return keel_ring_sp_enqueue(r, *p) == 0;
		case T_MPMC | E_SINGLE:
			return keel_ring_mp_enqueue(r, *p) == 0;
		case T_RTS | E_SINGLE: case T_HTS | E_SINGLE:
			return keel_ring_enqueue(r, *p) == 0;
		case T_SPSC | E_BULK:
			return keel_ring_sp_enqueue_bulk(r, p, n, NULL);
		case T_MPMC | E_BULK:
			return keel_ring_mp_enqueue_bulk(r, p, n, NULL);
		case T_RTS | E_BULK:
			return keel_ring_mp_rts_enqueue_bulk(r, p, n, NULL);
		case T_HTS | E_BULK:
			return keel_ring_mp_hts_enqueue_bulk(r, p, n, NULL);
		case T_SPSC | E_BURST:
			return keel_ring_sp_enqueue_burst(r, p, n, NULL);
		case T_MPMC | E_BURST:
			return keel_ring_mp_enqueue_burst(r, p, n, NULL);
		case T_RTS | E_BURST:
			return keel_ring_mp_rts_enqueue_burst(r, p, n, NULL);
		default:
			return keel_ring_mp_hts_enqueue_burst(r, p, n, NULL);
		}
	}
	switch (api) {
	case T_SPSC | E_SINGLE:
		return keel_ring_sp_enqueue_elem(r, obj, esize) == 0;
	case T_MPMC | E_SINGLE:
		return keel_ring_mp_enqueue_elem(r, obj, esize) == 0;
	case T_RTS | E_SINGLE: case T_HTS | E_SINGLE:
		return keel_ring_enqueue_elem(r, obj, esize) == 0;
	case T_SPSC | E_BULK:
		return keel_ring_sp_enqueue_bulk_elem(r, obj, esize, n, NULL);
	case T_MPMC | E_BULK:
		return keel_ring_mp_enqueue_bulk_elem(r, obj, esize, n, NULL);
	case T_RTS | E_BULK:
		return keel_ring_mp_rts_enqueue_bulk_elem(r, obj, esize, n,
							  NULL);
	case T_HTS | E_BULK:
		return keel_ring_mp_hts_enqueue_bulk_elem(r, obj, esize, n,
							  NULL);
	case T_SPSC | E_BURST:
		return keel_ring_sp_enqueue_burst_elem(r, obj, esize, n, NULL);
	case T_MPMC | E_BURST:
		return keel_ring_mp_enqueue_burst_elem(r, obj, esize, n, NULL);
	case T_RTS | E_BURST:
		return keel_ring_mp_rts_enqueue_burst_elem(r, obj, esize, n,
							   NULL);
	default:
		return keel_ring_mp_hts_enqueue_burst_elem(r, obj, esize, n,
							   NULL);
	}
}

static inline __attribute__((always_inline)) unsigned int
deq(struct keel_ring *r, void *obj, int esize, unsigned int n,
    unsigned int api)
{
	if (esize == -1) {
		void **p = obj;

		switch (api) {
		case T_SPSC | E_SINGLE:
			return keel_ring_sc_dequeue(r, p) == 0;
		case T_MPMC | E_SINGLE:
			return keel_ring_mc_dequeue(r, p) == 0;
		case T_RTS | E_SINGLE: case T_HTS | E_SINGLE:
			return keel_ring_dequeue(r, p) == 0;
		case T_SPSC | E_BULK:
			return keel_ring_sc_dequeue_bulk(r, p, n, NULL);
		case T_MPMC | E_BULK:
			return keel_ring_mc_dequeue_bulk(r, p, n, NULL);
		case T_RTS | E_BULK:
			return keel_ring_mc_rts_dequeue_bulk(r, p, n, NULL);
		case T_HTS | E_BULK:
			return keel_ring_mc_hts_dequeue_bulk(r, p, n, NULL);
		case T_SPSC | E_BURST:
			return keel_ring_sc_dequeue_burst(r, p, n, NULL);
		case T_MPMC | E_BURST:
			return keel_ring_mc_dequeue_burst(r, p, n, NULL);
		case T_RTS | E_BURST:
			return keel_ring_mc_rts_dequeue_burst(r, p, n, NULL);
		default:
			return keel_ring_mc_hts_dequeue_burst(r, p, n, NULL);
		}
	}
	switch (api) {
	case T_SPSC | E_SINGLE:
		return keel_ring_sc_dequeue_elem(r, obj, esize) == 0;
	case T_MPMC | E_SINGLE:
		return keel_ring_mc_dequeue_elem(r, obj, esize) == 0;
	case T_RTS | E_SINGLE: case T_HTS | E_SINGLE:
		return keel_ring_dequeue_elem(r, obj, esize) == 0;
	case T_SPSC | E_BULK:
		return keel_ring_sc_dequeue_bulk_elem(r, obj, esize, n, NULL);
	case T_MPMC | E_BULK:
		return keel_ring_mc_dequeue_bulk_elem(r, obj, esize, n, NULL);
	case T_RTS | E_BULK:
		return keel_ring_mc_rts_dequeue_bulk_elem(r, obj, esize, n,
							  NULL);
	case T_HTS | E_BULK:
		return keel_ring_mc_hts_dequeue_bulk_elem(r, obj, esize, n,
							  NULL);
	case T_SPSC | E_BURST:
		return keel_ring_sc_dequeue_burst_elem(r, obj, esize, n, NULL);
	case T_MPMC | E_BURST:
		return keel_ring_mc_dequeue_burst_elem(r, obj, esize, n, NULL);
	case T_RTS | E_BURST:
		return keel_ring_mc_rts_dequeue_burst_elem(r, obj, esize, n,
							   NULL);
	default:
		return keel_ring_mc_hts_dequeue_burst_elem(r, obj, esize, n,
							   NULL);
	}
}

static inline __attribute__((always_inline)) int
single_enq_deq(struct keel_ring *r, int esize, unsigned int api)
{
	const unsigned int iterations = 1u << 24;
	uint64_t burst[4] = { 0 };
	uint64_t start, end;
	unsigned int i;

	start = keel_get_tsc_cycles();
	for (i = 0; i < iterations; i++) {
		enq(r, burst, esize, 1, api);
		deq(r, burst, esize, 1, api);
	}
	end = keel_get_tsc_cycles();
	print_line(api, esize, 1, (double)(end - start) / iterations);
	return 0;
}

static inline __attribute__((always_inline)) int
burst_bulk_enq_deq(struct keel_ring *r, int esize, unsigned int api)
{
	const unsigned int iterations = 1u << 23;
	void *burst = calloc(MAX_BURST, 16);
	uint64_t start, end;
	unsigned int sz, i;

	if (burst == NULL)
		return -1;
	for (sz = 0; sz < 2; sz++) {
		start = keel_get_tsc_cycles();
		for (i = 0; i < iterations; i++) {
			enq(r, burst, esize, bulk_sizes[sz], api);
			deq(r, burst, esize, bulk_sizes[sz], api);
		}
		end = keel_get_tsc_cycles();
		print_line(api, esize, bulk_sizes[sz],
			   (double)(end - start) / iterations);
	}
	free(burst);
	return 0;
}

static inline __attribute__((always_inline)) int
empty_deq(struct keel_ring *r, int esize, unsigned int api)
{
	const unsigned int iterations = 1u << 26;
	uint64_t burst[MAX_BURST * 2];
	uint64_t start, end;
	unsigned int i;

	start = keel_get_tsc_cycles();
	for (i = 0; i < iterations; i++)
		deq(r, burst, esize, bulk_sizes[0], api);
	end = keel_get_tsc_cycles();
	print_line(api, esize, bulk_sizes[0],
		   (double)(end - start) / iterations);
	return 0;
}

/* the two-lcore test: one lcore enqueues, the other dequeues */
struct pair_param {
	struct keel_ring *r;
	int esize, enqueuer;
	unsigned int size, api;
	double cycles;              /* per object, this side */
};

static volatile unsigned int lcore_count;

static inline __attribute__((always_inline)) double
pair_phase(struct pair_param *p, unsigned int api)
{
	const unsigned int iterations = 1u << 15;
	uint64_t burst[MAX_BURST * 2] = { 0 };
	uint64_t start, end;
	unsigned int i;

	start = keel_get_tsc_cycles();
	for (i = 0; i < iterations; i++)
		while ((p->enqueuer ? enq(p->r, burst, p->esize, p->size, api) :
			deq(p->r, burst, p->esize, p->size, api)) == 0)
			keel_pause();
	end = keel_get_tsc_cycles();
	return (double)(end - start) / ((double)iterations * p->size);
}

static int
pair_fn(void *arg)
{
	struct pair_param *p = arg;

	if (__atomic_add_fetch(&lcore_count, 1, __ATOMIC_RELAXED) != 2)
		while (lcore_count != 2)
			keel_pause();
	switch (p->api) {
	case T_SPSC:
		p->cycles = pair_phase(p, T_SPSC | E_BULK);
		break;
	case T_MPMC:
		p->cycles = pair_phase(p, T_MPMC | E_BULK);
		break;
	case T_RTS:
		p->cycles = pair_phase(p, T_RTS | E_BULK);
		break;
	default:
		p->cycles = pair_phase(p, T_HTS | E_BULK);
		break;
	}
	return 0;
}

static int
two_cores(struct keel_ring *const rings[4], int esize)
{
	unsigned int worker = keel_get_next_lcore(-1, 1), i, m;

	if (worker >= KEEL_MAX_LCORE ||
	    keel_lcore_to_cpu_id(worker) ==
	    keel_lcore_to_cpu_id(keel_get_main_lcore()))
		return 0;
	printf("\n### Testing using two physical cores ###\n");
	for (i = 0; i < 2; i++) {
		for (m = 0; m < 4; m++) {
			struct pair_param e = {
				.r = rings[m], .esize = esize, .enqueuer = 1,
				.size = bulk_sizes[i], .api = 1u << m,
			};
			struct pair_param d = e;

			d.enqueuer = 0;
			lcore_count = 0;
			if (keel_eal_remote_launch(pair_fn, &d, worker) != 0)
				return -1;
			pair_fn(&e);
			keel_eal_wait_lcore(worker);
			print_line((1u << m) | E_BULK, esize, bulk_sizes[i],
				   e.cycles + d.cycles);
		}
	}
	return 0;
}

/* all lcores enqueue and dequeue (MP/MC bulk) for 100 ms each */
static uint64_t queue_count[KEEL_MAX_LCORE];
static unsigned int synchro;

struct load_param {
	struct keel_ring *r;
	int esize;
	unsigned int size;
};

static int
load_fn(void *arg)
{
	struct load_param *p = arg;
	uint64_t burst[MAX_BURST * 2] = { 0 };
	uint64_t hz = keel_get_tsc_hz(), begin, count = 0;
	unsigned int lcore = keel_lcore_id();

	if (lcore != keel_get_main_lcore())
		while (__atomic_load_n(&synchro, __ATOMIC_RELAXED) != 1)
			keel_pause();
	begin = keel_get_tsc_cycles();
	while (keel_get_tsc_cycles() - begin < hz / 10) {
		enq(p->r, burst, p->esize, p->size, T_MPMC | E_BULK);
		deq(p->r, burst, p->esize, p->size, T_MPMC | E_BULK);
		count++;
	}
	queue_count[lcore] = count;
	return 0;
}

static void
all_cores(struct keel_ring *r, int esize)
{
	unsigned int i, c;

	printf("\n### Testing using all worker nodes ###\n");
	for (i = 0; i < 2; i++) {
		struct load_param p = { r, esize, bulk_sizes[i] };
		uint64_t total = 0;

		printf("\nBulk enq/dequeue count on size %u\n", bulk_sizes[i]);
		__atomic_store_n(&synchro, 0, __ATOMIC_RELAXED);
		keel_eal_mp_remote_launch(load_fn, &p, 0);
		__atomic_store_n(&synchro, 1, __ATOMIC_RELAXED);
		load_fn(&p);
		keel_eal_mp_wait();
		KEEL_LCORE_FOREACH(c) {
			printf("Core [%u] count = %" PRIu64 "\n", c,
			       queue_count[c]);
			total += queue_count[c];
		}
		printf("Total count (size: %u): %" PRIu64 "\n", bulk_sizes[i],
		       total);
	}
}

static inline __attribute__((always_inline)) int
perf_esize(int esize)
{
	static const unsigned int flags[4] = {
		0, 0, KEEL_RING_F_MP_RTS_ENQ | KEEL_RING_F_MC_RTS_DEQ,
		KEEL_RING_F_MP_HTS_ENQ | KEEL_RING_F_MC_HTS_DEQ,
	};
	static const char *const names[4] = {
		"RING_PERF", "RING_PERF", "RING_PERF_RTS", "RING_PERF_HTS",
	};
	struct keel_ring *rings[4] = { NULL };
	unsigned int m;
	int ret = -1;

	for (m = 0; m < 4; m++) {
		rings[m] = m == 1 ? rings[0] :
			   keel_ring_create_elem(names[m], esize == -1 ?
						 sizeof(void *) : (unsigned int)esize,
						 RING_SIZE, KEEL_SOCKET_ID_ANY,
						 flags[m]);
		if (rings[m] == NULL)
			goto out;
	}
	/* one call per mode, each with constant arguments, so every loop is
	 * compiled for its own mode (as a DPDK application's would be) */
#define FOR_MODES(fn, style) \
	(fn(rings[0], esize, T_SPSC | (style)) < 0 || \
	 fn(rings[1], esize, T_MPMC | (style)) < 0 || \
	 fn(rings[2], esize, T_RTS | (style)) < 0 || \
	 fn(rings[3], esize, T_HTS | (style)) < 0)
	printf("\n### Testing single element enq/deq ###\n");
	if (FOR_MODES(single_enq_deq, E_SINGLE))
		goto out;
	printf("\n### Testing burst enq/deq ###\n");
	if (FOR_MODES(burst_bulk_enq_deq, E_BURST))
		goto out;
	printf("\n### Testing bulk enq/deq ###\n");
	if (FOR_MODES(burst_bulk_enq_deq, E_BULK))
		goto out;
	printf("\n### Testing empty bulk deq ###\n");
	if (FOR_MODES(empty_deq, E_BULK))
		goto out;
#undef FOR_MODES
	if (two_cores(rings, esize) < 0)
		goto out;
	all_cores(rings[0], esize);
	ret = 0;
out:
	keel_ring_free(rings[0]);
	keel_ring_free(rings[2]);
	keel_ring_free(rings[3]);
	return ret;
}

static int
test_ring_perf(void)
{
	TEST_ASSERT_SUCCESS(perf_esize(-1), "legacy APIs");
	TEST_ASSERT_SUCCESS(perf_esize(16), "elem APIs");
	return TEST_SUCCESS;
}
KEEL_TEST(ring_perf, "perf", 0, test_ring_perf)
