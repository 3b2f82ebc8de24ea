/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reference for keel-autotest's ring_perf and ring_preempt_perf: the same
 * loops against Debian's DPDK 22.11 rte_ring, for the sync modes DPDK's own
 * ring_perf_autotest leaves out (RTS, HTS; SP/SC and MP/MC are printed too,
 * to check these loops against dpdk-test's), then the preemption table.
 * Not built by meson (DPDK is not a Keel dependency).
 *
 * Build: apt-get install libdpdk-dev
 *        cc -O2 dpdk-ring-bench.c $(pkg-config --cflags --libs libdpdk) \
 *           -o dpdk-ring-bench
 * Run:   ./dpdk-ring-bench --no-huge -m 256 --no-pci -l 0-1 --no-telemetry
 *        (add "-- preempt" or "-- perf" for one part only)
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_ring.h>

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
enq(struct rte_ring *r, void *obj, int esize, unsigned int n,
    unsigned int api)
{
	if (esize == -1) {
		void **p = obj;

		switch (api) {
		case T_SPSC | E_SINGLE:
			return rte_ring_sp_enqueue(r, *p) == 0;
		case T_MPMC | E_SINGLE:
			return rte_ring_mp_enqueue(r, *p) == 0;
		case T_RTS | E_SINGLE: case T_HTS | E_SINGLE:
			return rte_ring_enqueue(r, *p) == 0;
		case T_SPSC | E_BULK:
			return rte_ring_sp_enqueue_bulk(r, p, n, NULL);
		case T_MPMC | E_BULK:
			return rte_ring_mp_enqueue_bulk(r, p, n, NULL);
		case T_RTS | E_BULK:
			return rte_ring_mp_rts_enqueue_bulk(r, p, n, NULL);
		case T_HTS | E_BULK:
			return rte_ring_mp_hts_enqueue_bulk(r, p, n, NULL);
		case T_SPSC | E_BURST:
			return rte_ring_sp_enqueue_burst(r, p, n, NULL);
		case T_MPMC | E_BURST:
			return rte_ring_mp_enqueue_burst(r, p, n, NULL);
		case T_RTS | E_BURST:
			return rte_ring_mp_rts_enqueue_burst(r, p, n, NULL);
		default:
			return rte_ring_mp_hts_enqueue_burst(r, p, n, NULL);
		}
	}
	switch (api) {
	case T_SPSC | E_SINGLE:
		return rte_ring_sp_enqueue_elem(r, obj, esize) == 0;
	case T_MPMC | E_SINGLE:
		return rte_ring_mp_enqueue_elem(r, obj, esize) == 0;
	case T_RTS | E_SINGLE: case T_HTS | E_SINGLE:
		return rte_ring_enqueue_elem(r, obj, esize) == 0;
	case T_SPSC | E_BULK:
		return rte_ring_sp_enqueue_bulk_elem(r, obj, esize, n, NULL);
	case T_MPMC | E_BULK:
		return rte_ring_mp_enqueue_bulk_elem(r, obj, esize, n, NULL);
	case T_RTS | E_BULK:
		return rte_ring_mp_rts_enqueue_bulk_elem(r, obj, esize, n,
							  NULL);
	case T_HTS | E_BULK:
		return rte_ring_mp_hts_enqueue_bulk_elem(r, obj, esize, n,
							  NULL);
	case T_SPSC | E_BURST:
		return rte_ring_sp_enqueue_burst_elem(r, obj, esize, n, NULL);
	case T_MPMC | E_BURST:
		return rte_ring_mp_enqueue_burst_elem(r, obj, esize, n, NULL);
	case T_RTS | E_BURST:
		return rte_ring_mp_rts_enqueue_burst_elem(r, obj, esize, n,
							   NULL);
	default:
		return rte_ring_mp_hts_enqueue_burst_elem(r, obj, esize, n,
							   NULL);
	}
}

static inline __attribute__((always_inline)) unsigned int
deq(struct rte_ring *r, void *obj, int esize, unsigned int n,
    unsigned int api)
{
	if (esize == -1) {
		void **p = obj;

		switch (api) {
		case T_SPSC | E_SINGLE:
			return rte_ring_sc_dequeue(r, p) == 0;
		case T_MPMC | E_SINGLE:
			return rte_ring_mc_dequeue(r, p) == 0;
		case T_RTS | E_SINGLE: case T_HTS | E_SINGLE:
			return rte_ring_dequeue(r, p) == 0;
		case T_SPSC | E_BULK:
			return rte_ring_sc_dequeue_bulk(r, p, n, NULL);
		case T_MPMC | E_BULK:
			return rte_ring_mc_dequeue_bulk(r, p, n, NULL);
		case T_RTS | E_BULK:
			return rte_ring_mc_rts_dequeue_bulk(r, p, n, NULL);
		case T_HTS | E_BULK:
			return rte_ring_mc_hts_dequeue_bulk(r, p, n, NULL);
		case T_SPSC | E_BURST:
			return rte_ring_sc_dequeue_burst(r, p, n, NULL);
		case T_MPMC | E_BURST:
			return rte_ring_mc_dequeue_burst(r, p, n, NULL);
		case T_RTS | E_BURST:
			return rte_ring_mc_rts_dequeue_burst(r, p, n, NULL);
		default:
			return rte_ring_mc_hts_dequeue_burst(r, p, n, NULL);
		}
	}
	switch (api) {
	case T_SPSC | E_SINGLE:
		return rte_ring_sc_dequeue_elem(r, obj, esize) == 0;
	case T_MPMC | E_SINGLE:
		return rte_ring_mc_dequeue_elem(r, obj, esize) == 0;
	case T_RTS | E_SINGLE: case T_HTS | E_SINGLE:
		return rte_ring_dequeue_elem(r, obj, esize) == 0;
	case T_SPSC | E_BULK:
		return rte_ring_sc_dequeue_bulk_elem(r, obj, esize, n, NULL);
	case T_MPMC | E_BULK:
		return rte_ring_mc_dequeue_bulk_elem(r, obj, esize, n, NULL);
	case T_RTS | E_BULK:
		return rte_ring_mc_rts_dequeue_bulk_elem(r, obj, esize, n,
							  NULL);
	case T_HTS | E_BULK:
		return rte_ring_mc_hts_dequeue_bulk_elem(r, obj, esize, n,
							  NULL);
	case T_SPSC | E_BURST:
		return rte_ring_sc_dequeue_burst_elem(r, obj, esize, n, NULL);
	case T_MPMC | E_BURST:
		return rte_ring_mc_dequeue_burst_elem(r, obj, esize, n, NULL);
	case T_RTS | E_BURST:
		return rte_ring_mc_rts_dequeue_burst_elem(r, obj, esize, n,
							   NULL);
	default:
		return rte_ring_mc_hts_dequeue_burst_elem(r, obj, esize, n,
							   NULL);
	}
}

static inline __attribute__((always_inline)) int
single_enq_deq(struct rte_ring *r, int esize, unsigned int api)
{
	const unsigned int iterations = 1u << 24;
	uint64_t burst[4] = { 0 };
	uint64_t start, end;
	unsigned int i;

	start = rte_rdtsc();
	for (i = 0; i < iterations; i++) {
		enq(r, burst, esize, 1, api);
		deq(r, burst, esize, 1, api);
	}
	end = rte_rdtsc();
	print_line(api, esize, 1, (double)(end - start) / iterations);
	return 0;
}

static inline __attribute__((always_inline)) int
burst_bulk_enq_deq(struct rte_ring *r, int esize, unsigned int api)
{
	const unsigned int iterations = 1u << 23;
	void *burst = calloc(MAX_BURST, 16);
	uint64_t start, end;
	unsigned int sz, i;

	if (burst == NULL)
		return -1;
	for (sz = 0; sz < 2; sz++) {
		start = rte_rdtsc();
		for (i = 0; i < iterations; i++) {
			enq(r, burst, esize, bulk_sizes[sz], api);
			deq(r, burst, esize, bulk_sizes[sz], api);
		}
		end = rte_rdtsc();
		print_line(api, esize, bulk_sizes[sz],
			   (double)(end - start) / iterations);
	}
	free(burst);
	return 0;
}

static inline __attribute__((always_inline)) int
empty_deq(struct rte_ring *r, int esize, unsigned int api)
{
	const unsigned int iterations = 1u << 26;
	uint64_t burst[MAX_BURST * 2];
	uint64_t start, end;
	unsigned int i;

	start = rte_rdtsc();
	for (i = 0; i < iterations; i++)
		deq(r, burst, esize, bulk_sizes[0], api);
	end = rte_rdtsc();
	print_line(api, esize, bulk_sizes[0],
		   (double)(end - start) / iterations);
	return 0;
}

/* the two-lcore test: one lcore enqueues, the other dequeues */
struct pair_param {
	struct rte_ring *r;
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

	start = rte_rdtsc();
	for (i = 0; i < iterations; i++)
		while ((p->enqueuer ? enq(p->r, burst, p->esize, p->size, api) :
			deq(p->r, burst, p->esize, p->size, api)) == 0)
			rte_pause();
	end = rte_rdtsc();
	return (double)(end - start) / ((double)iterations * p->size);
}

static int
pair_fn(void *arg)
{
	struct pair_param *p = arg;

	if (__atomic_add_fetch(&lcore_count, 1, __ATOMIC_RELAXED) != 2)
		while (lcore_count != 2)
			rte_pause();
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
two_cores(struct rte_ring *const rings[4], int esize)
{
	unsigned int worker = rte_get_next_lcore(-1, 1, 0), i, m;

	if (worker >= RTE_MAX_LCORE ||
	    rte_lcore_to_cpu_id(worker) ==
	    rte_lcore_to_cpu_id(rte_get_main_lcore()))
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
			if (rte_eal_remote_launch(pair_fn, &d, worker) != 0)
				return -1;
			pair_fn(&e);
			rte_eal_wait_lcore(worker);
			print_line((1u << m) | E_BULK, esize, bulk_sizes[i],
				   e.cycles + d.cycles);
		}
	}
	return 0;
}

/* all lcores enqueue and dequeue (MP/MC bulk) for 100 ms each */
static uint64_t queue_count[RTE_MAX_LCORE];
static unsigned int synchro;

struct load_param {
	struct rte_ring *r;
	int esize;
	unsigned int size;
};

static int
load_fn(void *arg)
{
	struct load_param *p = arg;
	uint64_t burst[MAX_BURST * 2] = { 0 };
	uint64_t hz = rte_get_tsc_hz(), begin, count = 0;
	unsigned int lcore = rte_lcore_id();

	if (lcore != rte_get_main_lcore())
		while (__atomic_load_n(&synchro, __ATOMIC_RELAXED) != 1)
			rte_pause();
	begin = rte_rdtsc();
	while (rte_rdtsc() - begin < hz / 10) {
		enq(p->r, burst, p->esize, p->size, T_MPMC | E_BULK);
		deq(p->r, burst, p->esize, p->size, T_MPMC | E_BULK);
		count++;
	}
	queue_count[lcore] = count;
	return 0;
}

static void
all_cores(struct rte_ring *r, int esize)
{
	unsigned int i, c;

	printf("\n### Testing using all worker nodes ###\n");
	for (i = 0; i < 2; i++) {
		struct load_param p = { r, esize, bulk_sizes[i] };
		uint64_t total = 0;

		printf("\nBulk enq/dequeue count on size %u\n", bulk_sizes[i]);
		__atomic_store_n(&synchro, 0, __ATOMIC_RELAXED);
		rte_eal_mp_remote_launch(load_fn, &p, SKIP_MAIN);
		__atomic_store_n(&synchro, 1, __ATOMIC_RELAXED);
		load_fn(&p);
		rte_eal_mp_wait_lcore();
		RTE_LCORE_FOREACH(c) {
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
		0, 0, RING_F_MP_RTS_ENQ | RING_F_MC_RTS_DEQ,
		RING_F_MP_HTS_ENQ | RING_F_MC_HTS_DEQ,
	};
	static const char *const names[4] = {
		"RING_PERF", "RING_PERF", "RING_PERF_RTS", "RING_PERF_HTS",
	};
	struct rte_ring *rings[4] = { NULL };
	unsigned int m;
	int ret = -1;

	for (m = 0; m < 4; m++) {
		rings[m] = m == 1 ? rings[0] :
			   rte_ring_create_elem(names[m], esize == -1 ?
						 sizeof(void *) : (unsigned int)esize,
						 RING_SIZE, SOCKET_ID_ANY,
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
	rte_ring_free(rings[0]);
	rte_ring_free(rings[2]);
	rte_ring_free(rings[3]);
	return ret;
}


/* ---- preemption benchmark (ring_preempt_bench.h) ---- */

#define PB_BURST 32
#define PB_MAX_THREADS 16
#define PB_IDLE_YIELD 16
#define PB_MAX_ESIZE 128

struct pb_shared {
	struct rte_ring *r;
	int app_yield;        /* the application loop yields when idle */
	unsigned int esize;   /* 0: pointers, producers and consumers;
			       * else every thread enqueues then dequeues
			       * elements of esize bytes */
	volatile int go, stop;
	uint64_t consumed;
	uint64_t cpu_ns;      /* CPU time of all threads while running */
};

/* the calling thread's CPU time, ns */
static uint64_t
pb_thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* one run's figures, cycles per object */
struct pb_result {
	double wall, cpu;
};

struct pb_thread {
	struct pb_shared *sh;
	int producer;
	pthread_t tid;
};

static void *
pb_thread_fn(void *arg)
{
	struct pb_thread *t = arg;
	struct pb_shared *sh = t->sh;
	void *objs[PB_BURST];
	static __thread char elems[PB_BURST * PB_MAX_ESIZE];
	uint64_t done = 0, cpu0;
	unsigned int i, idle = 0;

	for (i = 0; i < PB_BURST; i++)
		objs[i] = (void *)(uintptr_t)(i + 1);
	while (!sh->go)
		sched_yield();
	cpu0 = pb_thread_ns();
	while (!sh->stop) {
		unsigned int n;

		if (sh->esize != 0) {
			rte_ring_enqueue_burst_elem(sh->r, elems, sh->esize,
						     PB_BURST, NULL);
			n = rte_ring_dequeue_burst_elem(sh->r, elems,
							 sh->esize, PB_BURST,
							 NULL);
		} else {
			n = t->producer ?
			    rte_ring_enqueue_burst(sh->r, objs, PB_BURST,
						    NULL) :
			    rte_ring_dequeue_burst(sh->r, objs, PB_BURST,
						    NULL);
		}

		if (n != 0)
			idle = 0;
		else if (!sh->app_yield || ++idle < PB_IDLE_YIELD)
			rte_pause();
		else
			sched_yield();
		done += n;
	}
	__atomic_fetch_add(&sh->cpu_ns, pb_thread_ns() - cpu0,
			   __ATOMIC_RELAXED);
	if (!t->producer || sh->esize != 0)
		__atomic_fetch_add(&sh->consumed, done, __ATOMIC_RELAXED);
	return NULL;
}

/*
 * Run np producers and nc consumers (esize 0), or np + nc threads that each
 * enqueue then dequeue elements of esize bytes, for ms milliseconds on a
 * ring created with `flags`; @return TSC cycles per object dequeued
 * (wall < 0: error).
 */
static struct pb_result
pb_run(unsigned int flags, unsigned int np, unsigned int nc, unsigned int ms,
       int app_yield, int pinned, unsigned int esize)
{
	struct pb_result res = { -1, -1 };
	struct pb_shared sh = { 0 };
	struct pb_thread th[PB_MAX_THREADS];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int i, n = np + nc;
	uint64_t t0, t1;

	if (n > PB_MAX_THREADS || ncpu < 1)
		return res;
	sh.app_yield = app_yield;
	sh.esize = esize > PB_MAX_ESIZE ? PB_MAX_ESIZE : esize;
	sh.r = esize ? rte_ring_create_elem("preempt", sh.esize, 4096, SOCKET_ID_ANY,
					     flags) :
		       rte_ring_create("preempt", 4096, SOCKET_ID_ANY, flags);
	if (sh.r == NULL)
		return res;
	for (i = 0; i < n; i++) {
		pthread_attr_t attr;
		cpu_set_t cpus;

		/* producers 0, 1, ... and consumers 1, 0, ... round-robin,
		 * or any CPU (not the creator's: it may be pinned) */
		CPU_ZERO(&cpus);
		if (pinned) {
			CPU_SET(i < np ? i % ncpu : (i - np + 1) % ncpu, &cpus);
		} else {
			long c;

			for (c = 0; c < ncpu && c < CPU_SETSIZE; c++)
				CPU_SET(c, &cpus);
		}
		pthread_attr_init(&attr);
		pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
		th[i].sh = &sh;
		th[i].producer = i < np;
		if (pthread_create(&th[i].tid, &attr, pb_thread_fn, &th[i])) {
			pthread_attr_destroy(&attr);
			sh.stop = 1;
			sh.go = 1;
			while (i-- > 0)
				pthread_join(th[i].tid, NULL);
			rte_ring_free(sh.r);
			return res;
		}
		pthread_attr_destroy(&attr);
	}
	t0 = rte_rdtsc();
	sh.go = 1;
	usleep(ms * 1000);
	sh.stop = 1;
	t1 = rte_rdtsc();
	for (i = 0; i < n; i++)
		pthread_join(th[i].tid, NULL);
	rte_ring_free(sh.r);
	if (sh.consumed == 0)
		sh.consumed = 1; /* nothing moved: a huge figure, not a crash */
	res.wall = (double)(t1 - t0) / (double)sh.consumed;
	res.cpu = (double)sh.cpu_ns * ((double)rte_get_tsc_hz() / 1e9) /
		  (double)sh.consumed;
	return res;
}


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

#define ROUNDS 5
#define CELLS 10

/* as test_ring_preempt_perf.c's table(), for DPDK's ring */
static void
preempt_table(int app_yield, int pinned, unsigned int esize)
{
	static const struct {
		const char *name;
		unsigned int flags;
	} modes[] = {
		{ "SP/SC", RING_F_SP_ENQ | RING_F_SC_DEQ },
		{ "MP/MC", 0 },
		{ "RTS", RING_F_MP_RTS_ENQ | RING_F_MC_RTS_DEQ },
		{ "HTS", RING_F_MP_HTS_ENQ | RING_F_MC_HTS_DEQ },
	};
	static const unsigned int threads[] = { 1, 2, 4 };
	static double v[CELLS][2][ROUNDS];
	unsigned int cell_mode[CELLS], cell_thr[CELLS], ncells = 0, m, t, c, r;

	for (t = 0; t < 3; t++)
		for (m = 0; m < 4; m++)
			if (m != 0 || (threads[t] == 1 && esize == 0)) {
				cell_mode[ncells] = m;
				cell_thr[ncells++] = threads[t];
			}
	for (r = 0; r < ROUNDS; r++)
		for (c = 0; c < ncells; c++) {
			struct pb_result a = pb_run(modes[cell_mode[c]].flags,
						    cell_thr[c], cell_thr[c],
						    100, app_yield, pinned,
						    esize);

			v[c][0][r] = a.wall;
			v[c][1][r] = a.cpu;
		}
	printf("### preempted threads: %ld CPUs, %s, burst %d, %s,"
	       " idle threads %s; cycles per object, median of %d x 100 ms"
	       " ###\n", sysconf(_SC_NPROCESSORS_ONLN),
	       pinned ? "pinned round-robin" : "not pinned", PB_BURST,
	       esize ? "each thread enqueues then dequeues 128-byte elements" :
	       "pointers", app_yield ? "pause, then yield" : "pause", ROUNDS);
	printf("%-8s %-6s %22s\n", "", "", "DPDK 22.11 rte_ring");
	printf("%-8s %-6s %11s %10s\n", "threads", "mode", "wall", "cpu");
	for (c = 0; c < ncells; c++)
		printf("%uP+%uC    %-6s %11.1f %10.1f\n", cell_thr[c],
		       cell_thr[c], modes[cell_mode[c]].name,
		       median(v[c][0], ROUNDS), median(v[c][1], ROUNDS));
}

int
main(int argc, char **argv)
{
	int n = rte_eal_init(argc, argv);
	const char *part;

	if (n < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	part = argc - n > 1 ? argv[n + 1] : "all";
	if (strcmp(part, "preempt") != 0 &&
	    (perf_esize(-1) != 0 || perf_esize(16) != 0)) {
		fprintf(stderr, "ring perf failed\n");
		return 1;
	}
	if (strcmp(part, "perf") != 0) {
		preempt_table(0, 1, 0);
		printf("\n");
		preempt_table(1, 1, 0);
		printf("\n");
		preempt_table(1, 0, 0);
		printf("\n");
		preempt_table(1, 0, 128);
	}
	rte_eal_cleanup();
	return 0;
}
