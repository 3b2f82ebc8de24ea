/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mbuf reference counts under concurrency: four lcores on two CPUs and a
 * non-EAL thread share packets. In each round every thread holds one
 * reference to each of a batch of packets (chains of 1..3 segments),
 * clones each packet concurrently with the others (atomic increments),
 * reads the data through its clone, then frees the clone and its own
 * reference (atomic decrements). Each thread also frees one mbuf attached
 * to each of a batch of external buffers. At the end both pools are full
 * again (no leak, no double free: the debug audit would catch one) and
 * every external buffer's free callback ran exactly once.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "keel_eal.h"
#include "keel_mbuf.h"
#include "test.h"
#include "test_util.h"

#define MT_EAL_ARGS "--no-huge -m 64 -l 0@0,1@1,2@0,3@1"
#define MAX_THREADS 8
#define ROUNDS 40
#define PKTS 32
#define EXTS 16
#define EXT_LEN 512

struct ext_buf {
	struct keel_mbuf_ext_shared_info *shinfo;
	unsigned int freed; /* atomic */
	uint8_t *mem;
};

struct mt {
	struct keel_mempool *direct, *clones;
	struct keel_mbuf *pkts[PKTS];
	struct keel_mbuf *ext_mbufs[EXTS][MAX_THREADS];
	struct ext_buf ext[ROUNDS][EXTS];
	unsigned int nthreads;
	unsigned int round;    /* atomic: round the main thread started */
	unsigned int done;     /* atomic: threads done with this round */
	unsigned int errors;   /* atomic */
	int round_i;
};

struct mt_thread {
	struct mt *mt;
	unsigned int id;
};

static void
ext_free_cb(void *addr, void *opaque)
{
	struct ext_buf *e = opaque;

	(void)addr;
	__atomic_fetch_add(&e->freed, 1, __ATOMIC_ACQ_REL);
}

static void
mt_error(struct mt *mt, const char *what, unsigned int id)
{
	if (__atomic_fetch_add(&mt->errors, 1, __ATOMIC_RELAXED) < 5)
		printf("  thread %u: %s\n", id, what);
}

/* this thread's part of a round */
static void
round_work(struct mt *mt, unsigned int id)
{
	uint8_t buf[4096];
	unsigned int i, k;

	for (k = 0; k < PKTS; k++) {
		/* different threads visit the packets in different orders */
		i = (k * 7 + id * 5) % PKTS;
		struct keel_mbuf *m = mt->pkts[i], *c;
		const uint8_t *p;

		c = keel_pktmbuf_clone(m, mt->clones);
		if (c == NULL) {
			mt_error(mt, "clone failed", id);
		} else {
			p = keel_pktmbuf_read(c, 0, c->pkt_len, buf);
			if (p == NULL || c->pkt_len != m->pkt_len ||
			    p[0] != (uint8_t)i || p[c->pkt_len - 1] != (uint8_t)(i + c->pkt_len - 1))
				mt_error(mt, "clone reads wrong data", id);
			keel_pktmbuf_free(c);
		}
		keel_pktmbuf_free(m);   /* this thread's reference */
	}
	for (k = 0; k < EXTS; k++)
		keel_pktmbuf_free(mt->ext_mbufs[(k + id) % EXTS][id]);
}

static int
mt_body(struct mt_thread *t)
{
	struct mt *mt = t->mt;
	unsigned int r;

	for (r = 1; r <= ROUNDS; r++) {
		while (__atomic_load_n(&mt->round, __ATOMIC_ACQUIRE) < r)
			sched_yield();
		round_work(mt, t->id);
		__atomic_fetch_add(&mt->done, 1, __ATOMIC_ACQ_REL);
	}
	return 0;
}

static int
mt_lcore(void *arg)
{
	return mt_body(arg);
}

static void *
mt_pthread(void *arg)
{
	mt_body(arg);
	return NULL;
}

/* main: set up round r's packets and external buffers */
static int
round_setup(struct mt *mt, unsigned int r, uint64_t *rnd)
{
	unsigned int i, t, seg, nseg;

	for (i = 0; i < PKTS; i++) {
		struct keel_mbuf *m = NULL;
		uint32_t n = 0;

		nseg = 1 + test_rand(rnd) % 3;
		for (seg = 0; seg < nseg; seg++) {
			struct keel_mbuf *s = keel_pktmbuf_alloc(mt->direct);
			uint16_t len = (uint16_t)(1 + test_rand(rnd) % 1000);
			char *p;

			if (s == NULL)
				return -1;
			p = keel_pktmbuf_append(s, len);
			for (uint16_t b = 0; b < len; b++)
				p[b] = (char)(i + n++);
			if (m == NULL)
				m = s;
			else
				keel_pktmbuf_chain(m, s);
		}
		/* one reference per thread */
		keel_pktmbuf_refcnt_update(m, (int16_t)(mt->nthreads - 1));
		mt->pkts[i] = m;
	}
	for (i = 0; i < EXTS; i++) {
		struct ext_buf *e = &mt->ext[r - 1][i];
		uint16_t len = EXT_LEN;

		e->mem = keel_malloc("ext", EXT_LEN, 64);
		if (e->mem == NULL)
			return -1;
		e->shinfo = keel_pktmbuf_ext_shinfo_init_helper(e->mem, &len,
								ext_free_cb, e);
		keel_mbuf_ext_refcnt_set(e->shinfo, (uint16_t)mt->nthreads);
		for (t = 0; t < mt->nthreads; t++) {
			struct keel_mbuf *m = keel_pktmbuf_alloc(mt->clones);

			if (m == NULL)
				return -1;
			keel_pktmbuf_attach_extbuf(m, e->mem,
						   keel_mem_virt2iova(e->mem),
						   len, e->shinfo);
			mt->ext_mbufs[i][t] = m;
		}
	}
	return 0;
}

static int
test_mbuf_refcnt_mt(void)
{
	struct mt_thread th[MAX_THREADS];
	struct keel_mempool_stats st;
	pthread_t pt;
	struct mt *mt;
	uint64_t rnd = keel_test_seed();
	unsigned int lc, n = 0, r, i;
	int ret;

	ret = test_eal_init_str(MT_EAL_ARGS);
	TEST_ASSERT(ret >= 0, "init: %s", strerror(-ret));
	mt = calloc(1, sizeof(*mt));
	TEST_ASSERT(mt != NULL, "calloc");
	mt->direct = keel_pktmbuf_pool_create("mt_direct", 512, 32, 0,
					      KEEL_MBUF_DEFAULT_BUF_SIZE, -1);
	mt->clones = keel_pktmbuf_pool_create("mt_clones", 1024, 32, 0, 0, -1);
	TEST_ASSERT(mt->direct && mt->clones, "pools: %s", strerror(errno));
	KEEL_LCORE_FOREACH_WORKER(lc) {
		th[n] = (struct mt_thread){ mt, n };
		TEST_ASSERT_SUCCESS(keel_eal_remote_launch(mt_lcore, &th[n], lc),
				    "launch");
		n++;
	}
	th[n] = (struct mt_thread){ mt, n };
	TEST_ASSERT_SUCCESS(pthread_create(&pt, NULL, mt_pthread, &th[n]),
			    "pthread");
	n++;
	th[n] = (struct mt_thread){ mt, n };
	mt->nthreads = n + 1;
	for (r = 1; r <= ROUNDS; r++) {
		if (round_setup(mt, r, &rnd) < 0) {
			mt_error(mt, "round setup: pool empty", n);
			break;
		}
		__atomic_store_n(&mt->round, r, __ATOMIC_RELEASE);
		round_work(mt, n);
		__atomic_fetch_add(&mt->done, 1, __ATOMIC_ACQ_REL);
		while (__atomic_load_n(&mt->done, __ATOMIC_ACQUIRE) <
		       r * mt->nthreads)
			sched_yield();
	}
	if (r <= ROUNDS) /* release the others */
		__atomic_store_n(&mt->round, ROUNDS + 1, __ATOMIC_RELEASE);
	keel_eal_mp_wait();
	pthread_join(pt, NULL);
	TEST_ASSERT_EQUAL(mt->errors, 0, "errors");
	for (r = 0; r < ROUNDS; r++)
		for (i = 0; i < EXTS; i++) {
			TEST_ASSERT_EQUAL(mt->ext[r][i].freed, 1,
					  "round %u buffer %u callback", r, i);
			keel_free(mt->ext[r][i].mem);
		}
	TEST_ASSERT(keel_mempool_full(mt->direct), "direct pool full: %u of %u",
		    keel_mempool_avail_count(mt->direct), mt->direct->size);
	TEST_ASSERT(keel_mempool_full(mt->clones), "clone pool full: %u of %u",
		    keel_mempool_avail_count(mt->clones), mt->clones->size);
	TEST_ASSERT_SUCCESS(keel_mempool_stats_get(mt->direct, &st), "stats");
	TEST_ASSERT_EQUAL(st.audit_errors, 0, "no double free in direct pool");
	TEST_ASSERT_SUCCESS(keel_mempool_stats_get(mt->clones, &st), "stats");
	TEST_ASSERT_EQUAL(st.audit_errors, 0, "no double free in clone pool");
	TEST_ASSERT_SUCCESS(keel_mempool_audit(mt->direct), "audit");
	TEST_ASSERT_SUCCESS(keel_mempool_audit(mt->clones), "audit");
	printf("  %u threads, %u rounds of %u packets and %u external buffers\n",
	       mt->nthreads, ROUNDS, PKTS, EXTS);
	keel_mempool_free(mt->direct);
	keel_mempool_free(mt->clones);
	free(mt);
	keel_eal_cleanup();
	return TEST_SUCCESS;
}
KEEL_TEST(mbuf_refcnt_mt, "fast", TEST_NO_EAL | TEST_RANDOM, test_mbuf_refcnt_mt)
