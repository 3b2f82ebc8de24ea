/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An unmap that waits for a device (emulated container, in-flight "wait"
 * mode) must not hold up the rest of the table: while a device holds range
 * X and another thread's keel_iommu_dma_unmap(X) waits for it,
 *  - lookups of other IOVAs and VAs answer at once,
 *  - X itself is already gone for lookups (no new DMA should start on it)
 *    but its IOVAs stay taken (a map over them is refused),
 *  - the holder itself can look things up and map other memory before it
 *    lets go (it used to deadlock),
 * and the unmap returns once the device lets go, with X free again.
 * Every step that could block runs in a helper thread with a time limit,
 * so a regression fails the test instead of hanging it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "keel_emu_iommu.h"
#include "keel_iommu.h"
#include "test.h"

#define PGSZ 4096ULL
#define IX 0x10000000ULL        /* the range the device holds */
#define IY 0x20000000ULL        /* an unrelated range */
#define IZ 0x30000000ULL        /* what the holder maps */
#define LIMIT_MS 3000

struct step {
	int (*fn)(struct step *s);
	struct keel_iommu_container *c;
	uint64_t va, iova, len;
	int ret;
	_Atomic int done;
	pthread_t th;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *
step_main(void *arg)
{
	struct step *s = arg;

	s->ret = s->fn(s);
	atomic_store(&s->done, 1);
	return NULL;
}

static void
step_start(struct step *s)
{
	atomic_store(&s->done, 0);
	pthread_create(&s->th, NULL, step_main, s);
}

/* 1 if the step finished within @p ms */
static int
step_wait(struct step *s, unsigned int ms)
{
	uint64_t t0 = now_ms();
	struct timespec ts = { 0, 1000000 };

	while (!atomic_load(&s->done) && now_ms() - t0 < ms)
		nanosleep(&ts, NULL);
	return atomic_load(&s->done);
}

static int
do_lookup_iova(struct step *s)
{
	struct keel_iommu_mapping m;

	return keel_iommu_lookup_iova(s->c, s->iova, &m);
}

static int
do_lookup_va(struct step *s)
{
	struct keel_iommu_mapping m;

	return keel_iommu_lookup_va(s->c, s->va, &m);
}

static int
do_map(struct step *s)
{
	return keel_iommu_dma_map(s->c, s->va, s->iova, s->len, KEEL_IOMMU_ACCESS_RW);
}

static int
do_unmap(struct step *s)
{
	return keel_iommu_dma_unmap(s->c, s->va, s->iova, s->len);
}

/* run @p fn in a helper thread; the verdict: finished in time and what it
 * returned (-ETIMEDOUT when it did not finish; the thread is joined at the
 * end, once the hold is gone) */
static int
bounded(struct step *s, int (*fn)(struct step *), uint64_t va, uint64_t iova,
	uint64_t len)
{
	s->fn = fn;
	s->va = va;
	s->iova = iova;
	s->len = len;
	step_start(s);
	return step_wait(s, LIMIT_MS) ? s->ret : -ETIMEDOUT;
}

struct holder {
	struct keel_emu_endpoint *ep;
	struct keel_iommu_container *c;
	uint8_t *bz;
	_Atomic int state;      /* 1 holds X, 2 asked to work, 3 done */
	int skip;               /* let go without working */
	int worked;             /* the work finished before it let go */
	_Atomic int work_done;
	int r_lookup, r_map, r_unmap_z;
	void *va;
	uint64_t len;
};

/* what the device does before it lets go of X */
static void *
holder_work(void *arg)
{
	struct holder *h = arg;
	struct keel_iommu_mapping m;

	h->r_lookup = keel_iommu_lookup_iova(h->c, IY, &m);
	h->r_map = keel_iommu_dma_map(h->c, (uint64_t)(uintptr_t)h->bz, IZ,
				      4 * PGSZ, KEEL_IOMMU_ACCESS_RW);
	h->r_unmap_z = h->r_map != 0 ? h->r_map :
		keel_iommu_dma_unmap(h->c, (uint64_t)(uintptr_t)h->bz, IZ,
				     4 * PGSZ);
	atomic_store(&h->work_done, 1);
	return NULL;
}

static void *
holder_main(void *arg)
{
	struct holder *h = arg;
	struct timespec ts = { 0, 1000000 };
	pthread_t w;
	uint64_t t0;

	h->len = 4 * PGSZ;
	h->va = keel_emu_dma_map(h->ep, IX, &h->len,
				 KEEL_EMU_DMA_BIDIRECTIONAL);
	atomic_store(&h->state, 1);
	if (h->va == NULL)
		return NULL;
	while (atomic_load(&h->state) != 2)
		nanosleep(&ts, NULL);
	if (!h->skip) {
		/* it waits for its work before it lets go (bounded, so a
		 * deadlock fails the test instead of hanging it) */
		pthread_create(&w, NULL, holder_work, h);
		t0 = now_ms();
		while (!atomic_load(&h->work_done) &&
		       now_ms() - t0 < LIMIT_MS)
			nanosleep(&ts, NULL);
		h->worked = atomic_load(&h->work_done);
	}
	keel_emu_dma_unmap(h->ep, h->va, h->len);
	if (!h->skip)
		pthread_join(w, NULL);
	atomic_store(&h->state, 3);
	return NULL;
}

static int
test_iommu_unmap_inflight(void)
{
	struct step st_y, st_yva, st_x, st_over, un;
	struct keel_iommu_container *c;
	struct keel_emu_domain_stats ds;
	struct keel_iommu_mapping m;
	struct keel_emu_domain *d;
	struct holder h;
	uint8_t *bx, *by, *bz;
	pthread_t th;
	uint64_t t0;
	int fails = 0, r;

	c = keel_iommu_container_create_by_name("emulated", "inflight=wait");
	TEST_ASSERT(c != NULL, "create: %s", strerror(errno));
	d = keel_emu_backend_domain(keel_iommu_container_backend_priv(c));
	TEST_ASSERT(d != NULL, "domain");
	memset(&h, 0, sizeof(h));
	h.ep = keel_emu_endpoint_create(7, "holder");
	TEST_ASSERT(h.ep != NULL, "endpoint");
	TEST_ASSERT_SUCCESS(keel_emu_endpoint_attach(h.ep, d), "attach");
	bx = mmap(NULL, 12 * PGSZ, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(bx != MAP_FAILED, "mmap");
	by = bx + 4 * PGSZ;
	bz = bx + 8 * PGSZ;
	h.c = c;
	h.bz = bz;
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, (uint64_t)(uintptr_t)bx, IX,
					       4 * PGSZ, KEEL_IOMMU_ACCESS_RW), "map X");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, (uint64_t)(uintptr_t)by, IY,
					       4 * PGSZ, KEEL_IOMMU_ACCESS_RW), "map Y");

	TEST_ASSERT_SUCCESS(pthread_create(&th, NULL, holder_main, &h), "thr");
	while (atomic_load(&h.state) == 0)
		keel_pause();
	TEST_ASSERT(h.va != NULL, "the device holds X");

	/* unmap X from another thread: it must wait for the device */
	memset(&un, 0, sizeof(un));
	un.c = c;
	un.fn = do_unmap;
	un.va = (uint64_t)(uintptr_t)bx;
	un.iova = IX;
	un.len = 4 * PGSZ;
	step_start(&un);
	t0 = now_ms();
	do {
		keel_emu_domain_stats_get(d, &ds);
	} while (ds.n_busy == 0 && now_ms() - t0 < LIMIT_MS);
	TEST_ASSERT(ds.n_busy > 0, "the unmap did not wait for the device");
	TEST_ASSERT(!atomic_load(&un.done), "the unmap returned while held");

	/* meanwhile: other ranges answer at once, X is going away */
	memset(&st_y, 0, sizeof(st_y));
	st_y.c = st_yva.c = st_x.c = st_over.c = c;
	r = bounded(&st_y, do_lookup_iova, 0, IY, 0);
	if (r != 0) {
		printf("  lookup of IOVA Y during the wait: %d%s\n", r,
		       r == -ETIMEDOUT ? " (blocked)" : "");
		fails++;
	}
	r = bounded(&st_yva, do_lookup_va, (uint64_t)(uintptr_t)by, 0, 0);
	if (r != 0) {
		printf("  lookup of VA Y during the wait: %d%s\n", r,
		       r == -ETIMEDOUT ? " (blocked)" : "");
		fails++;
	}
	r = bounded(&st_x, do_lookup_iova, 0, IX, 0);
	if (r != -ENOENT) {
		printf("  lookup of X during the wait: %d, want -ENOENT%s\n",
		       r, r == -ETIMEDOUT ? " (blocked)" : "");
		fails++;
	}
	r = bounded(&st_over, do_map, (uint64_t)(uintptr_t)bz, IX, PGSZ);
	if (r != -EEXIST) {
		printf("  map over X during the wait: %d, want -EEXIST%s\n",
		       r, r == -ETIMEDOUT ? " (blocked)" : "");
		fails++;
	}

	/* the device works before letting go: no deadlock. (When the table
	 * was already found blocked, asking would only add a hang: the
	 * device just lets go.) */
	if (fails != 0) {
		printf("  (not asking the holder to use the blocked table)\n");
		h.skip = 1;
	}
	atomic_store(&h.state, 2);
	pthread_join(th, NULL);  /* the device has let go */
	if (!h.skip && !h.worked) {
		printf("  the holder could not look up / map while its range "
		       "was being unmapped (deadlock until it let go)\n");
		fails++;
	} else if (!h.skip && (h.r_lookup != 0 || h.r_map != 0 ||
			       h.r_unmap_z != 0)) {
		printf("  holder: lookup %d, map %d, unmap %d\n", h.r_lookup,
		       h.r_map, h.r_unmap_z);
		fails++;
	}
	pthread_join(un.th, NULL);
	pthread_join(st_y.th, NULL);
	pthread_join(st_yva.th, NULL);
	pthread_join(st_x.th, NULL);
	pthread_join(st_over.th, NULL);
	TEST_ASSERT_SUCCESS(un.ret, "the unmap");
	TEST_ASSERT_EQUAL(keel_iommu_lookup_iova(c, IX, &m), -ENOENT, "X gone");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, (uint64_t)(uintptr_t)bz, IX,
					       4 * PGSZ, KEEL_IOMMU_ACCESS_RW), "X's IOVAs are free");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, (uint64_t)(uintptr_t)bz, IX,
						 4 * PGSZ), "unmap");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, (uint64_t)(uintptr_t)by, IY,
						 4 * PGSZ), "unmap Y");
	TEST_ASSERT_SUCCESS(keel_emu_endpoint_destroy(h.ep), "endpoint");
	TEST_ASSERT_SUCCESS(keel_iommu_container_destroy(c), "destroy");
	munmap(bx, 12 * PGSZ);
	TEST_ASSERT_EQUAL(fails, 0, "%d steps blocked or answered wrongly while"
			  " an unmap waited for a device", fails);
	return TEST_SUCCESS;
}
KEEL_TEST(iommu_unmap_inflight, "fast", TEST_NO_EAL, test_iommu_unmap_inflight)
