/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lookups never wait and never see a torn or a stale entry.
 *
 * Writers map and unmap slots of their own region over and over; every
 * (re)map of a slot gets a new generation g, visible in the entry itself:
 * va = iova + delta(writer) + g * GEN_STEP, len = slot_len(slot), chunk =
 * len (strict backend) or 0, access = slot_access(slot). The writer
 * publishes for each slot (g, MAPPED) once the map of g returned, (g,
 * UNMAPPING) before it calls the unmap, (g, UNMAPPED) once that returned.
 *
 * Readers look slots up by IOVA and by VA and check, for each answer:
 *  - torn: the entry is exactly what some generation of that slot would
 *    be (iova, len, chunk, access of the slot; va of the same generation);
 *  - stale: a generation whose unmap had returned before the lookup began
 *    is never returned, and a slot mapped all through the lookup is never
 *    missed;
 * The writers churn enough that node and entry memory is reused many times
 * (stats.reuse_batches), which is what a lookup must survive; writes start
 * only once every reader is running. The figures (lookups against writes)
 * are printed, not asserted: the machine is shared.
 *
 * iova_table_lookup_during_write: a lookup returns while a writer holds
 * the table's lock (stuck in the backend call), which no lock-based reader
 * can do.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test.h"
#include "iommu_test_util.h"

#define N_WR 2
#define N_RD 2
#define SLOTS 192
#define SLOT_SPAN (8 * PG)             /* slots never touch: no merges */
#define GEN_STEP 0x100000000ULL        /* va step per generation */
#define GENS 4096                      /* generations kept apart in va */

/* slot state: gen << 2 | one of these */
#define S_UNMAPPED 0
#define S_MAPPED 1              /* map returned, unmap not begun */
#define S_UNMAPPING 2           /* unmap begun, not returned */

struct slot_state {
	_Atomic uint64_t v;
};

struct lf {
	struct tb tb;
	bool can_split;
	struct slot_state st[N_WR][SLOTS];
	_Atomic int stop;
	_Atomic int readers_up;
	_Atomic uint64_t writes;
};

struct wr {
	struct lf *lf;
	unsigned int id;
	uint64_t seed;
	uint64_t ops;
	int err;
};

struct rd {
	struct lf *lf;
	uint64_t seed;
	uint64_t lookups;
	uint64_t hits;
	int err;
	char why[160];
};

static uint64_t
slot_iova(unsigned int w, unsigned int k)
{
	return 0x40000000ULL + (uint64_t)w * 0x10000000ULL + k * SLOT_SPAN;
}

static uint64_t
slot_len(unsigned int k)
{
	return (1 + k % 4) * PG;
}

static uint32_t
slot_access(unsigned int k)
{
	return k % 3 == 0 ? KEEL_IOMMU_ACCESS_READ :
	       k % 3 == 1 ? KEEL_IOMMU_ACCESS_WRITE : KEEL_IOMMU_ACCESS_RW;
}

static uint64_t
slot_va(unsigned int w, unsigned int k, uint64_t g)
{
	return slot_iova(w, k) + 0x100000000000ULL * (w + 1) + g * GEN_STEP;
}

static void *
writer_main(void *arg)
{
	struct wr *w = arg;
	struct lf *lf = w->lf;
	uint64_t gen[SLOTS], i, s = w->seed;
	bool mapped[SLOTS];

	while (atomic_load(&lf->readers_up) < N_RD)
		sched_yield();

	memset(gen, 0, sizeof(gen));
	memset(mapped, 0, sizeof(mapped));
	for (i = 0; i < w->ops && !w->err; i++) {
		unsigned int k = (unsigned int)(test_rand(&s) % SLOTS);
		uint64_t io = slot_iova(w->id, k);
		int r;

		if (!mapped[k]) {
			if (gen[k] + 1 == GENS)
				continue;       /* keep VAs apart */
			gen[k]++;
			r = iova_table_map(lf->tb.t, slot_va(w->id, k, gen[k]),
					   io, slot_len(k), slot_access(k));
		} else {
			atomic_store_explicit(&lf->st[w->id][k].v,
					      gen[k] << 2 | S_UNMAPPING,
					      memory_order_release);
			r = iova_table_unmap(lf->tb.t,
					     slot_va(w->id, k, gen[k]), io,
					     slot_len(k));
		}
		if (r != 0) {
			w->err = r;
			break;
		}
		mapped[k] = !mapped[k];
		/* after the call returned: what readers may rely on */
		atomic_store_explicit(&lf->st[w->id][k].v,
				      gen[k] << 2 | (mapped[k] ? S_MAPPED :
						     S_UNMAPPED),
				      memory_order_release);
		atomic_fetch_add_explicit(&lf->writes, 1,
					  memory_order_relaxed);
	}
	return NULL;
}

/* the generation an entry of slot (w, k) encodes, or -1 if it is not one
 * (a torn entry: fields of different entries or garbage) */
static int64_t
entry_gen(const struct lf *lf, unsigned int w, unsigned int k,
	  const struct keel_iommu_mapping *m)
{
	uint64_t base = slot_va(w, k, 0);

	if (m->iova != slot_iova(w, k) || m->len != slot_len(k) ||
	    m->access != slot_access(k) ||
	    m->chunk != (lf->can_split ? 0 : slot_len(k)) || m->va < base ||
	    (m->va - base) % GEN_STEP != 0 || (m->va - base) / GEN_STEP >= GENS)
		return -1;
	return (int64_t)((m->va - base) / GEN_STEP);
}

static int
judge(struct rd *r, unsigned int w, unsigned int k, uint64_t before,
      uint64_t after, int ret, const struct keel_iommu_mapping *m,
      const char *how)
{
	uint64_t g0 = before >> 2, g1 = after >> 2, lo, hi;
	int64_t g;

	if (ret == -ENOENT) {
		/* mapped and no unmap begun all through the lookup: must
		 * have been found */
		if (before == after && (before & 3) == S_MAPPED) {
			snprintf(r->why, sizeof(r->why), "%s missed slot %u/%u,"
				 " mapped (gen %" PRIu64 ") all along", how, w,
				 k, g0);
			return -1;
		}
		return 0;
	}
	if (ret != 0) {
		snprintf(r->why, sizeof(r->why), "%s: %d", how, ret);
		return -1;
	}
	r->hits++;
	g = entry_gen(r->lf, w, k, m);
	if (g < 0) {
		snprintf(r->why, sizeof(r->why), "%s slot %u/%u: torn entry va "
			 "0x%" PRIx64 " iova 0x%" PRIx64 " len 0x%" PRIx64
			 " chunk 0x%" PRIx64 " access %u", how, w, k, m->va,
			 m->iova, m->len, m->chunk, m->access);
		return -1;
	}
	/* oldest generation it may be: the one the state names unless its
	 * unmap had returned; newest: the next one if a map of it may have
	 * been in progress when the lookup ended */
	lo = g0 + ((before & 3) == S_UNMAPPED);
	hi = g1 + ((after & 3) == S_UNMAPPED);
	if ((uint64_t)g < lo || (uint64_t)g > hi) {
		snprintf(r->why, sizeof(r->why), "%s slot %u/%u: gen %" PRId64
			 " outside [%" PRIu64 ", %" PRIu64 "] (state before %"
			 PRIu64 "/%" PRIu64 ", after %" PRIu64 "/%" PRIu64 ")",
			 how, w, k, g, lo, hi, g0, before & 3, g1, after & 3);
		return -1;
	}
	return 0;
}

static void *
reader_main(void *arg)
{
	struct rd *r = arg;
	struct lf *lf = r->lf;
	uint64_t s = r->seed;

	atomic_fetch_add(&lf->readers_up, 1);

	while (!atomic_load_explicit(&lf->stop, memory_order_relaxed) &&
	       !r->err) {
		unsigned int w = (unsigned int)(test_rand(&s) % N_WR);
		unsigned int k = (unsigned int)(test_rand(&s) % SLOTS);
		uint64_t off = test_rand(&s) % slot_len(k);
		struct keel_iommu_mapping m;
		uint64_t before, after;
		int ret;

		before = atomic_load_explicit(&lf->st[w][k].v,
					      memory_order_acquire);
		memset(&m, 0, sizeof(m));
		ret = iova_table_lookup_iova(lf->tb.t, slot_iova(w, k) + off,
					     &m);
		after = atomic_load_explicit(&lf->st[w][k].v,
					     memory_order_acquire);
		if (judge(r, w, k, before, after, ret, &m, "IOVA lookup")) {
			r->err = -EUCLEAN;
			break;
		}
		/* by VA: the generation the state names (if it is mapped,
		 * that VA can only belong to this slot) */
		before = atomic_load_explicit(&lf->st[w][k].v,
					      memory_order_acquire);
		if ((before & 3) == S_MAPPED) {
			memset(&m, 0, sizeof(m));
			ret = iova_table_lookup_va(lf->tb.t,
					slot_va(w, k, before >> 2) + off, &m);
			after = atomic_load_explicit(&lf->st[w][k].v,
						     memory_order_acquire);
			if (ret == 0 && entry_gen(lf, w, k, &m) !=
			    (int64_t)(before >> 2))
				ret = -EUCLEAN;
			if (ret == -EUCLEAN ||
			    judge(r, w, k, before, after, ret, &m,
				  "VA lookup")) {
				if (ret == -EUCLEAN)
					snprintf(r->why, sizeof(r->why),
						 "VA lookup of slot %u/%u gen %"
						 PRIu64 " found another entry",
						 w, k, before >> 2);
				r->err = -EUCLEAN;
				break;
			}
		}
		r->lookups += 2;
	}
	return NULL;
}

static int
run_lockfree(bool can_split, uint64_t ops)
{
	struct keel_memback_cfg c = { .can_split = can_split,
		.pgsize_bitmap = PG, .addr_width = 48 };
	pthread_t tw[N_WR], tr[N_RD];
	struct wr w[N_WR];
	struct rd r[N_RD];
	struct keel_iommu_stats st;
	uint64_t seed = keel_test_seed(), total = 0;
	struct lf *lf;
	unsigned int i;

	lf = calloc(1, sizeof(*lf));
	TEST_ASSERT(lf != NULL, "no memory");
	lf->can_split = can_split;
	TEST_ASSERT_SUCCESS(tb_open(&lf->tb, &c), "open");
	for (i = 0; i < N_RD; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].lf = lf;
		r[i].seed = seed * 7 + i + 1;
		pthread_create(&tr[i], NULL, reader_main, &r[i]);
	}
	for (i = 0; i < N_WR; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].lf = lf;
		w[i].id = i;
		w[i].seed = seed * 13 + i + 1;
		w[i].ops = ops;
		pthread_create(&tw[i], NULL, writer_main, &w[i]);
	}
	for (i = 0; i < N_WR; i++)
		pthread_join(tw[i], NULL);
	atomic_store(&lf->stop, 1);
	for (i = 0; i < N_RD; i++)
		pthread_join(tr[i], NULL);
	iova_table_stats(lf->tb.t, &st);
	for (i = 0; i < N_RD; i++)
		total += r[i].lookups;
	printf("  %s: %" PRIu64 " writes, %" PRIu64 " lookups (%" PRIu64
	       " hits), %" PRIu64 " reuse batches\n", can_split ? "split" :
	       "strict", atomic_load(&lf->writes), total,
	       r[0].hits + r[1].hits, st.reuse_batches);
	for (i = 0; i < N_WR; i++)
		TEST_ASSERT_SUCCESS(w[i].err, "writer %u (seed %" PRIu64 ")", i,
				    seed);
	for (i = 0; i < N_RD; i++)
		TEST_ASSERT_SUCCESS(r[i].err, "reader %u: %s (seed %" PRIu64 ")",
				    i, r[i].why, seed);
	TEST_ASSERT(st.reuse_batches >= 10, "memory was reused only %" PRIu64
		    " times: the test did not exercise reuse",
		    st.reuse_batches);
	TEST_ASSERT_SUCCESS(tb_agree(&lf->tb), "table == backend");
	tb_close(&lf->tb);
	free(lf);
	return TEST_SUCCESS;
}

static int
test_iova_table_lockfree(void)
{
	TEST_ASSERT_SUCCESS(run_lockfree(false, 60000), "strict backend");
	TEST_ASSERT_SUCCESS(run_lockfree(true, 60000), "splitting backend");
	return TEST_SUCCESS;
}
KEEL_TEST(iova_table_lockfree, "fast", TEST_NO_EAL | TEST_RANDOM, test_iova_table_lockfree)

/* ---- a lookup while a writer holds the lock ---- */

/* memback whose next map blocks until released */
static void *gate_mb;
static _Atomic int gate_state;  /* 0 open, 1 armed, 2 a map waits, 3 go */

static int
gate_caps(void *priv, struct keel_iommu_caps *caps)
{
	(void)priv;
	return keel_memback_ops.get_caps(gate_mb, caps);
}

static int
gate_map(void *priv, uint64_t va, uint64_t iova, uint64_t len, uint32_t prot)
{
	int armed = 1;

	(void)priv;
	if (atomic_compare_exchange_strong(&gate_state, &armed, 2))
		while (atomic_load(&gate_state) != 3)
			sched_yield();
	return keel_memback_ops.map(gate_mb, va, iova, len, prot);
}

static int
gate_unmap(void *priv, uint64_t iova, uint64_t len, uint64_t *unmapped)
{
	(void)priv;
	return keel_memback_ops.unmap(gate_mb, iova, len, unmapped);
}

static const struct keel_iommu_backend_ops gate_ops = {
	.name = "gate", .get_caps = gate_caps, .map = gate_map,
	.unmap = gate_unmap,
};

struct blocked_map {
	struct iova_table *t;
	int ret;
};

struct gated_lookup {
	struct iova_table *t;
	struct keel_iommu_mapping m;
	int r_io, r_va;
	_Atomic int done;
};

static void *
gated_lookup_main(void *arg)
{
	struct gated_lookup *g = arg;

	g->r_io = iova_table_lookup_iova(g->t, 0x102000, &g->m);
	g->r_va = iova_table_lookup_va(g->t, 0x40003000, &g->m);
	atomic_store(&g->done, 1);
	return NULL;
}

static void *
blocked_map_main(void *arg)
{
	struct blocked_map *b = arg;

	b->ret = iova_table_map(b->t, 0x50000000, 0x200000, PG,
				KEEL_IOMMU_ACCESS_RW);
	return NULL;
}

static int
test_iova_table_lookup_during_write(void)
{
	struct keel_memback_cfg c = { .pgsize_bitmap = PG, .addr_width = 48 };
	struct timespec ts = { 0, 1000000 };
	struct keel_iommu_mapping m;
	struct gated_lookup g;
	struct blocked_map b;
	struct iova_table *t;
	pthread_t th, tl;
	int i, done;

	gate_mb = keel_memback_create(&c);
	TEST_ASSERT(gate_mb != NULL, "memback");
	t = iova_table_create(&gate_ops, NULL);
	TEST_ASSERT(t != NULL, "table");
	TEST_ASSERT_SUCCESS(iova_table_map(t, 0x40000000, 0x100000, 4 * PG,
					   KEEL_IOMMU_ACCESS_READ), "map");
	atomic_store(&gate_state, 1);
	b.t = t;
	pthread_create(&th, NULL, blocked_map_main, &b);
	while (atomic_load(&gate_state) != 2)
		sched_yield();
	/* the writer is inside the backend call, holding the table's lock:
	 * lookups would block behind it if they took any lock (bounded:
	 * 3 s, then the writer is let go, so a regression fails, not hangs) */
	memset(&g, 0, sizeof(g));
	g.t = t;
	pthread_create(&tl, NULL, gated_lookup_main, &g);
	for (i = 0; i < 3000 && !atomic_load(&g.done); i++)
		nanosleep(&ts, NULL);
	done = atomic_load(&g.done);
	atomic_store(&gate_state, 3);
	pthread_join(th, NULL);
	pthread_join(tl, NULL);
	TEST_ASSERT(done, "lookups waited for the writer holding the lock");
	TEST_ASSERT_SUCCESS(g.r_io, "IOVA lookup while a map is in progress");
	TEST_ASSERT_SUCCESS(g.r_va, "VA lookup while a map is in progress");
	TEST_ASSERT(g.m.iova == 0x100000 &&
		    g.m.access == KEEL_IOMMU_ACCESS_READ,
		    "found iova 0x%" PRIx64 " access %u", g.m.iova,
		    g.m.access);
	TEST_ASSERT_SUCCESS(b.ret, "the blocked map");
	TEST_ASSERT_SUCCESS(iova_table_lookup_iova(t, 0x200000, &m), "new");
	iova_table_destroy(t);
	keel_memback_ops.destroy(gate_mb);
	return TEST_SUCCESS;
}
KEEL_TEST(iova_table_lookup_during_write, "fast", TEST_NO_EAL,
	  test_iova_table_lookup_during_write)
