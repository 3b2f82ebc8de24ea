/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Emulated IOMMU DMA path: read/write/zero across pages whose VAs are
 * scattered; dma_map/dma_unmap; faults recorded with the right reason and
 * never touching memory; the IOTLB never returns a stale translation after
 * an unmap (randomized against a per-page model); an unmap of a held range
 * waits (or gets EBUSY and a callback) until the holder on another thread
 * releases it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keel_log.h"
#include "test.h"
#include "emu_test_util.h"

#define NPG 64

static uint8_t *
pages_alloc(unsigned int n)
{
	uint8_t *p = aligned_alloc(MB2, (n * KB4 + MB2 - 1) & ~(MB2 - 1));

	if (p != NULL)
		memset(p, 0, n * KB4);
	return p;
}

static struct keel_emu_endpoint *
ep_on(struct keel_emu_domain *d, uint32_t id)
{
	struct keel_emu_endpoint *ep = keel_emu_endpoint_create(id, "test");

	if (ep != NULL && keel_emu_endpoint_attach(ep, d) != 0) {
		keel_emu_endpoint_destroy(ep);
		return NULL;
	}
	return ep;
}

/* ------------------------------------------------------------ read/write */

static int
test_emu_dma_rw(void)
{
	struct keel_emu_domain *d = keel_emu_domain_create(NULL);
	struct keel_emu_endpoint *ep = ep_on(d, 3);
	uint8_t *mem = pages_alloc(16), *src = malloc(16 * KB4);
	uint8_t *dst = malloc(16 * KB4);
	const uint64_t iova = 0x10000000;
	uint64_t len, i;
	uint8_t *v, *v2;
	char *log;

	TEST_ASSERT(d && ep && mem && src && dst, "setup");
	/* IOVA page i -> memory page (i * 5) % 16: every neighbour is elsewhere */
	for (i = 0; i < 16; i++)
		TEST_ASSERT_SUCCESS(keel_emu_map(d, iova + i * KB4,
				    (uintptr_t)mem + ((i * 5) % 16) * KB4, KB4, 3),
				    "map %" PRIu64, i);
	for (i = 0; i < 16 * KB4; i++)
		src[i] = (uint8_t)(i * 7 + 1);
	TEST_ASSERT_SUCCESS(keel_emu_dma_write(ep, iova + 100, src, 16 * KB4 - 200),
			    "write");
	for (i = 100; i < 16 * KB4 - 100; i++) {
		uint64_t pg = i / KB4, off = i % KB4;

		TEST_ASSERT_EQUAL(mem[((pg * 5) % 16) * KB4 + off],
				  src[i - 100], "byte %" PRIu64, i);
	}
	TEST_ASSERT_EQUAL(mem[99], 0, "byte before the write");
	memset(dst, 0xee, 16 * KB4);
	TEST_ASSERT_SUCCESS(keel_emu_dma_read(ep, iova + 100, dst, 16 * KB4 - 200),
			    "read");
	TEST_ASSERT(memcmp(dst, src, 16 * KB4 - 200) == 0, "read back");
	TEST_ASSERT_SUCCESS(keel_emu_dma_zero(ep, iova + KB4 - 8, 16), "zero");
	TEST_ASSERT_SUCCESS(keel_emu_dma_read(ep, iova + KB4 - 16, dst, 32), "rd");
	for (i = 0; i < 32; i++)
		TEST_ASSERT_EQUAL(dst[i], (i >= 8 && i < 24) ? 0 :
				  src[KB4 - 16 + i - 100], "zeroed byte %" PRIu64, i);

	/* dma_map stops where the VA stops being contiguous */
	len = 3 * KB4;
	v = keel_emu_dma_map(ep, iova + 10, &len, KEEL_EMU_DMA_TO_DEVICE);
	TEST_ASSERT(v == mem + 10, "dma_map va %p, want %p", (void *)v,
		    (void *)(mem + 10));
	TEST_ASSERT_EQUAL(len, KB4 - 10, "dma_map len");
	/* a second hold on the same range is fine; wrong len is refused */
	len = 64;
	v2 = keel_emu_dma_map(ep, iova + 10, &len, KEEL_EMU_DMA_FROM_DEVICE);
	TEST_ASSERT(v2 == v && len == 64, "second dma_map");
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_emu_dma_unmap(ep, v, 65), -EINVAL, "bad len");
	log = test_log_capture_stop();
	TEST_ASSERT(emu_t_log_has(log, "0x41"), "log '%s'", log);
	free(log);
	TEST_ASSERT_SUCCESS(keel_emu_dma_unmap(ep, v2, 64), "unmap 2");
	TEST_ASSERT_EQUAL(keel_emu_endpoint_detach(ep), -EBUSY, "detach held");
	TEST_ASSERT_SUCCESS(keel_emu_dma_unmap(ep, v, KB4 - 10), "unmap 1");
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_emu_dma_unmap(ep, v, KB4 - 10), -EINVAL, "twice");
	free(test_log_capture_stop());

	/* contiguous VA: one dma_map spans pages */
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0x20000000, (uintptr_t)mem, 8 * KB4, 3),
			    "map contiguous");
	len = 8 * KB4;
	v = keel_emu_dma_map(ep, 0x20000000, &len, KEEL_EMU_DMA_BIDIRECTIONAL);
	TEST_ASSERT(v == mem && len == 8 * KB4, "dma_map len %" PRIu64, len);
	TEST_ASSERT_SUCCESS(keel_emu_dma_unmap(ep, v, len), "dma_unmap");

	/* bad arguments */
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_emu_dma_read(ep, iova, dst, 0), -EINVAL, "len 0");
	TEST_ASSERT_EQUAL(keel_emu_dma_read(NULL, iova, dst, 1), -EINVAL, "ep");
	TEST_ASSERT_EQUAL(keel_emu_dma_write(ep, iova, NULL, 1), -EINVAL, "buf");
	TEST_ASSERT_EQUAL(keel_emu_dma_read(ep, UINT64_MAX, dst, 2), -EINVAL,
			  "wrap");
	log = test_log_capture_stop();
	TEST_ASSERT(emu_t_log_has(log, "0xffffffffffffffff"), "log '%s'", log);
	free(log);

	TEST_ASSERT_SUCCESS(keel_emu_endpoint_destroy(ep), "ep");
	TEST_ASSERT_SUCCESS(keel_emu_unmap(d, 0, 1ULL << 47, NULL), "unmap all");
	TEST_ASSERT_SUCCESS(keel_emu_domain_destroy(d), "destroy");
	free(mem);
	free(src);
	free(dst);
	return TEST_SUCCESS;
}
KEEL_TEST(emu_dma_rw, "fast", TEST_NO_EAL, test_emu_dma_rw)

/* ---------------------------------------------------------------- faults */

static int
expect_fault(uint64_t iova, enum keel_emu_dma_dir dir,
	     enum keel_emu_fault_reason why, uint32_t ep_id, uint64_t dom)
{
	struct keel_emu_fault f[2];
	unsigned int n = keel_emu_fault_read(f, 2);

	TEST_ASSERT_EQUAL(n, 1, "faults logged");
	TEST_ASSERT_EQUAL(f[0].iova, iova, "fault iova");
	TEST_ASSERT_EQUAL(f[0].dir, dir, "fault dir");
	TEST_ASSERT(f[0].reason == why, "reason %s, want %s",
		    keel_emu_fault_reason_name(f[0].reason),
		    keel_emu_fault_reason_name(why));
	TEST_ASSERT_EQUAL(f[0].endpoint_id, ep_id, "endpoint");
	TEST_ASSERT_EQUAL(f[0].domain_id, dom, "domain");
	return TEST_SUCCESS;
}

static int
test_emu_faults(void)
{
	struct keel_emu_domain_config cfg = { .addr_width = 39 };
	struct keel_emu_domain *d = keel_emu_domain_create(&cfg);
	struct keel_emu_endpoint *ep = ep_on(d, 42);
	struct keel_emu_fault_counters c;
	struct keel_emu_domain_stats st;
	struct keel_emu_fault f[KEEL_EMU_FAULT_LOG_SIZE + 8];
	uint8_t *mem = pages_alloc(4), buf[64];
	uint64_t dom = keel_emu_domain_id(d), i, len;
	void *v;

	TEST_ASSERT(d && ep && mem, "setup");
	keel_emu_fault_clear();
	memset(mem, 0x5a, 4 * KB4);
	memset(buf, 0xa5, sizeof(buf));
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0x1000, (uintptr_t)mem, KB4,
			    KEEL_EMU_PROT_READ), "map ro");
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0x2000, (uintptr_t)mem + KB4, KB4,
			    KEEL_EMU_PROT_WRITE), "map wo");

	TEST_ASSERT_EQUAL(keel_emu_dma_read(ep, 0x9000, buf, 8), -EFAULT, "nm");
	TEST_ASSERT_SUCCESS(expect_fault(0x9000, KEEL_EMU_DMA_TO_DEVICE,
			    KEEL_EMU_FAULT_NOT_MAPPED, 42, dom), "not mapped");
	/* write to a read-only page: permission, memory untouched */
	TEST_ASSERT_EQUAL(keel_emu_dma_write(ep, 0x1010, buf, 8), -EFAULT, "ro");
	TEST_ASSERT_SUCCESS(expect_fault(0x1010, KEEL_EMU_DMA_FROM_DEVICE,
			    KEEL_EMU_FAULT_PERMISSION, 42, dom), "permission");
	/* read of a write-only page */
	TEST_ASSERT_EQUAL(keel_emu_dma_read(ep, 0x2000, buf, 8), -EFAULT, "wo");
	TEST_ASSERT_SUCCESS(expect_fault(0x2000, KEEL_EMU_DMA_TO_DEVICE,
			    KEEL_EMU_FAULT_PERMISSION, 42, dom), "permission");
	/* a write that runs off the end of the mapping writes nothing */
	TEST_ASSERT_EQUAL(keel_emu_dma_write(ep, 0x2ff0, buf, 64), -EFAULT, "off");
	TEST_ASSERT_SUCCESS(expect_fault(0x3000, KEEL_EMU_DMA_FROM_DEVICE,
			    KEEL_EMU_FAULT_NOT_MAPPED, 42, dom), "run off");
	TEST_ASSERT_EQUAL(keel_emu_dma_zero(ep, 0x2000, 2 * KB4), -EFAULT, "zero");
	TEST_ASSERT_SUCCESS(expect_fault(0x3000, KEEL_EMU_DMA_FROM_DEVICE,
			    KEEL_EMU_FAULT_NOT_MAPPED, 42, dom), "zero off");
	for (i = 0; i < 4 * KB4; i++)
		TEST_ASSERT_EQUAL(mem[i], 0x5a, "a fault touched byte %" PRIu64, i);
	/* beyond the address width */
	TEST_ASSERT_EQUAL(keel_emu_translate(ep, 1ULL << 39, 1,
			  KEEL_EMU_DMA_TO_DEVICE, &v, &len), -EFAULT, "range");
	TEST_ASSERT_SUCCESS(expect_fault(1ULL << 39, KEEL_EMU_DMA_TO_DEVICE,
			    KEEL_EMU_FAULT_OUT_OF_RANGE, 42, dom), "out of range");
	/* dma_map faults too */
	len = 8;
	TEST_ASSERT(keel_emu_dma_map(ep, 0x1000, &len, KEEL_EMU_DMA_FROM_DEVICE)
		    == NULL && errno == EFAULT, "dma_map ro for write");
	TEST_ASSERT_SUCCESS(expect_fault(0x1000, KEEL_EMU_DMA_FROM_DEVICE,
			    KEEL_EMU_FAULT_PERMISSION, 42, dom), "dma_map");
	/* detached endpoint */
	TEST_ASSERT_SUCCESS(keel_emu_endpoint_detach(ep), "detach");
	TEST_ASSERT_EQUAL(keel_emu_dma_read(ep, 0x1000, buf, 8), -EFAULT, "nd");
	TEST_ASSERT_SUCCESS(expect_fault(0x1000, KEEL_EMU_DMA_TO_DEVICE,
			    KEEL_EMU_FAULT_NO_DOMAIN, 42, 0), "no domain");

	keel_emu_fault_counters_get(&c);
	TEST_ASSERT_EQUAL(c.total, 8, "total");
	TEST_ASSERT_EQUAL(c.not_mapped, 3, "not mapped");
	TEST_ASSERT_EQUAL(c.permission, 3, "permission");
	TEST_ASSERT_EQUAL(c.out_of_range, 1, "out of range");
	TEST_ASSERT_EQUAL(c.no_domain, 1, "no domain");
	TEST_ASSERT_EQUAL(c.dropped, 0, "dropped");
	TEST_ASSERT_SUCCESS(keel_emu_domain_stats_get(d, &st), "stats");
	TEST_ASSERT_EQUAL(st.n_faults, 7, "domain faults");

	/* the log is bounded: the oldest are kept, the rest counted */
	TEST_ASSERT_SUCCESS(keel_emu_endpoint_attach(ep, d), "attach");
	for (i = 0; i < KEEL_EMU_FAULT_LOG_SIZE + 44; i++)
		keel_emu_dma_read(ep, 0x100000 + i * KB4, buf, 1);
	TEST_ASSERT_EQUAL(keel_emu_fault_read(f, KEEL_EMU_FAULT_LOG_SIZE + 8),
			  KEEL_EMU_FAULT_LOG_SIZE, "log size");
	TEST_ASSERT_EQUAL(f[0].iova, 0x100000, "oldest kept");
	TEST_ASSERT_EQUAL(f[KEEL_EMU_FAULT_LOG_SIZE - 1].iova,
			  0x100000 + (KEEL_EMU_FAULT_LOG_SIZE - 1) * KB4, "last");
	keel_emu_fault_counters_get(&c);
	TEST_ASSERT_EQUAL(c.dropped, 44, "dropped");
	keel_emu_fault_clear();
	keel_emu_fault_counters_get(&c);
	TEST_ASSERT_EQUAL(c.total, 0, "cleared");
	TEST_ASSERT(strcmp(keel_emu_fault_reason_name(KEEL_EMU_FAULT_PERMISSION),
			   "permission") == 0, "name");

	TEST_ASSERT_EQUAL(keel_emu_domain_destroy(d), -EBUSY, "attached");
	TEST_ASSERT_SUCCESS(keel_emu_endpoint_destroy(ep), "ep");
	TEST_ASSERT_SUCCESS(keel_emu_unmap(d, 0, 1ULL << 30, NULL), "unmap");
	TEST_ASSERT_SUCCESS(keel_emu_domain_destroy(d), "destroy");
	free(mem);
	return TEST_SUCCESS;
}
KEEL_TEST(emu_faults, "fast", TEST_NO_EAL, test_emu_faults)

/* a device that reads and writes (bidirectional) needs both rights: a
 * read-only or write-only mapping faults, on an IOTLB miss and on a hit
 * that a one-way access filled; memory stays untouched */
static int
test_emu_fault_rw_on_ro(void)
{
	static const struct { uint64_t iova; uint32_t prot; bool ok; } m[] = {
		{ 0x1000, KEEL_EMU_PROT_READ, false },
		{ 0x2000, KEEL_EMU_PROT_WRITE, false },
		{ 0x3000, KEEL_EMU_PROT_READ | KEEL_EMU_PROT_WRITE, true },
	};
	struct keel_emu_domain_config cfg = { .addr_width = 39 };
	struct keel_emu_domain *d = keel_emu_domain_create(&cfg);
	struct keel_emu_endpoint *ep = ep_on(d, 43);
	uint8_t *mem = pages_alloc(3);
	uint64_t dom = keel_emu_domain_id(d), len, i;
	unsigned int k, pass;
	void *v;

	TEST_ASSERT(d && ep && mem, "setup");
	keel_emu_fault_clear();
	memset(mem, 0x5a, 3 * KB4);
	for (k = 0; k < 3; k++)
		TEST_ASSERT_SUCCESS(keel_emu_map(d, m[k].iova, (uintptr_t)mem +
						 k * KB4, KB4, m[k].prot),
				    "map %u", k);
	for (k = 0; k < 3; k++) {
		enum keel_emu_dma_dir one_way = m[k].prot & KEEL_EMU_PROT_READ ?
			KEEL_EMU_DMA_TO_DEVICE : KEEL_EMU_DMA_FROM_DEVICE;

		/* pass 0: IOTLB miss; pass 1: after a one-way access that
		 * the mapping allows has filled the IOTLB entry */
		for (pass = 0; pass < 2; pass++) {
			if (pass == 1) {
				len = 8;
				TEST_ASSERT_SUCCESS(keel_emu_translate(ep,
						    m[k].iova + 8, 8, one_way,
						    &v, &len), "one-way %u", k);
			}
			len = 8;
			if (m[k].ok) {
				TEST_ASSERT_SUCCESS(keel_emu_translate(ep,
						    m[k].iova + 16, 8,
						    KEEL_EMU_DMA_BIDIRECTIONAL,
						    &v, &len), "rw on rw");
				TEST_ASSERT(v == mem + k * KB4 + 16, "va");
				continue;
			}
			TEST_ASSERT_EQUAL(keel_emu_translate(ep, m[k].iova + 16,
					  8, KEEL_EMU_DMA_BIDIRECTIONAL, &v,
					  &len), -EFAULT,
					  "read+write on prot %u, pass %u",
					  m[k].prot, pass);
			TEST_ASSERT_SUCCESS(expect_fault(m[k].iova + 16,
					    KEEL_EMU_DMA_BIDIRECTIONAL,
					    KEEL_EMU_FAULT_PERMISSION, 43, dom),
					    "prot %u pass %u", m[k].prot, pass);
			keel_emu_fault_clear();
			len = 8;
			TEST_ASSERT(keel_emu_dma_map(ep, m[k].iova, &len,
				    KEEL_EMU_DMA_BIDIRECTIONAL) == NULL &&
				    errno == EFAULT, "dma_map rw on prot %u",
				    m[k].prot);
			TEST_ASSERT_SUCCESS(expect_fault(m[k].iova,
					    KEEL_EMU_DMA_BIDIRECTIONAL,
					    KEEL_EMU_FAULT_PERMISSION, 43, dom),
					    "dma_map prot %u", m[k].prot);
			keel_emu_fault_clear();
		}
	}
	for (i = 0; i < 3 * KB4; i++)
		TEST_ASSERT_EQUAL(mem[i], 0x5a, "byte %" PRIu64 " touched", i);
	TEST_ASSERT_SUCCESS(keel_emu_endpoint_destroy(ep), "ep");
	TEST_ASSERT_SUCCESS(keel_emu_unmap(d, 0x1000, 3 * KB4, NULL), "unmap");
	TEST_ASSERT_SUCCESS(keel_emu_domain_destroy(d), "destroy");
	free(mem);
	return TEST_SUCCESS;
}
KEEL_TEST(emu_fault_rw_on_ro, "fast", TEST_NO_EAL, test_emu_fault_rw_on_ro)

/* ------------------------------------------------------------ IOTLB */

/* random maps/unmaps/remaps of pages over two buffers; every read must
 * see the current mapping or fault, never the previous one */
static int
test_emu_iotlb_stale(void)
{
	struct keel_emu_domain_config cfg = { .unmap_mode = KEEL_EMU_UNMAP_SPLIT };
	struct keel_emu_domain *d = keel_emu_domain_create(&cfg);
	struct keel_emu_endpoint *ep = ep_on(d, 9);
	uint8_t *buf[2] = { pages_alloc(NPG), pages_alloc(NPG) };
	int model[NPG]; /* -1 unmapped, else which buffer */
	const uint64_t base = 0x40000000;
	uint64_t seed = keel_test_seed(), st = seed, i, it;

	TEST_ASSERT(d && ep && buf[0] && buf[1], "setup");
	for (i = 0; i < NPG; i++) {
		memset(buf[0] + i * KB4, (int)i, KB4);
		memset(buf[1] + i * KB4, (int)(0x80 + i), KB4);
		model[i] = -1;
	}
	keel_log_set_level("iommu.emu", KEEL_LOG_CRIT);
	for (it = 0; it < 40000; it++) {
		uint64_t p = test_rand(&st) % NPG, k = 1 + test_rand(&st) % 8, j;
		unsigned int op = (unsigned int)(test_rand(&st) % 3);
		uint8_t b = 0;
		int r;

		if (p + k > NPG)
			k = NPG - p;
		if (op == 0) {          /* map a free run to one buffer */
			int w = (int)(test_rand(&st) & 1);

			for (j = p; j < p + k; j++)
				if (model[j] != -1)
					break;
			if (j < p + k)
				continue;
			TEST_ASSERT_SUCCESS(keel_emu_map(d, base + p * KB4,
					    (uintptr_t)buf[w] + p * KB4, k * KB4, 3),
					    "it %" PRIu64 " map", it);
			for (j = p; j < p + k; j++)
				model[j] = w;
		} else if (op == 1) {   /* unmap any run (split mode) */
			TEST_ASSERT_SUCCESS(keel_emu_unmap(d, base + p * KB4,
					    k * KB4, NULL), "it %" PRIu64 " unmap", it);
			for (j = p; j < p + k; j++)
				model[j] = -1;
		}
		/* read a byte of a few pages, through the IOTLB */
		for (j = 0; j < 3; j++) {
			uint64_t q = test_rand(&st) % NPG;

			r = keel_emu_dma_read(ep, base + q * KB4 + (q % 97), &b, 1);
			if (model[q] == -1) {
				TEST_ASSERT_EQUAL(r, -EFAULT, "it %" PRIu64 ": page %"
						  PRIu64 " unmapped but read %#x "
						  "(seed %" PRIu64 ")", it, q, b,
						  seed);
			} else {
				TEST_ASSERT_SUCCESS(r, "it %" PRIu64 " page %" PRIu64,
						    it, q);
				TEST_ASSERT_EQUAL(b, model[q] ? 0x80 + q : q,
						  "it %" PRIu64 ": stale page %" PRIu64
						  " (seed %" PRIu64 ")", it, q, seed);
			}
		}
	}
	keel_log_set_level("iommu.emu", KEEL_LOG_INFO);
	keel_emu_fault_clear();
	TEST_ASSERT_SUCCESS(keel_emu_endpoint_destroy(ep), "ep");
	TEST_ASSERT_SUCCESS(keel_emu_unmap(d, base, NPG * KB4, NULL), "unmap");
	TEST_ASSERT_SUCCESS(keel_emu_domain_destroy(d), "destroy");
	free(buf[0]);
	free(buf[1]);
	return TEST_SUCCESS;
}
KEEL_TEST(emu_iotlb_stale, "fast", TEST_NO_EAL | TEST_RANDOM, test_emu_iotlb_stale)

/* ------------------------------------------------------------ in-flight */

struct unmapper {
	struct keel_emu_domain *d;
	uint64_t iova, len;
	int ret;
	_Atomic int done;
};

static void *
unmapper_run(void *arg)
{
	struct unmapper *u = arg;

	u->ret = keel_emu_unmap(u->d, u->iova, u->len, NULL);
	atomic_store(&u->done, 1);
	return NULL;
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
test_emu_inflight_wait(void)
{
	struct keel_emu_domain *d = keel_emu_domain_create(NULL);
	struct keel_emu_endpoint *ep = ep_on(d, 5);
	uint8_t *mem = pages_alloc(4);
	struct unmapper u = { .d = d, .iova = 0x100000, .len = 4 * KB4 };
	struct keel_emu_domain_stats st;
	uint64_t len = KB4, plen;
	pthread_t th;
	uint8_t *v;
	void *tv;
	int i;

	TEST_ASSERT(d && ep && mem, "setup");
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0x100000, (uintptr_t)mem, 4 * KB4, 3),
			    "map");
	v = keel_emu_dma_map(ep, 0x101000, &len, KEEL_EMU_DMA_FROM_DEVICE);
	TEST_ASSERT(v == mem + KB4 && len == KB4, "dma_map");
	TEST_ASSERT_SUCCESS(pthread_create(&th, NULL, unmapper_run, &u), "thread");
	/* the unmap removed the mapping but must not return while we hold */
	for (i = 0; i < 200 && keel_emu_translate(ep, 0x100000, 1,
			KEEL_EMU_DMA_TO_DEVICE, &tv, &plen) == 0; i++)
		sleep_ms(1);
	TEST_ASSERT_EQUAL(keel_emu_translate(ep, 0x101000, 1,
			  KEEL_EMU_DMA_TO_DEVICE, &tv, &plen), -EFAULT,
			  "new translations of the unmapped range must fault");
	sleep_ms(100);
	TEST_ASSERT_EQUAL(atomic_load(&u.done), 0,
			  "unmap returned while the range is held");
	memset(v, 0x11, KB4); /* still ours to use until we release */
	TEST_ASSERT_SUCCESS(keel_emu_dma_unmap(ep, v, len), "release");
	for (i = 0; i < 2000 && !atomic_load(&u.done); i++)
		sleep_ms(1);
	TEST_ASSERT_EQUAL(atomic_load(&u.done), 1, "unmap did not complete");
	pthread_join(th, NULL);
	TEST_ASSERT_SUCCESS(u.ret, "unmap");
	TEST_ASSERT_SUCCESS(keel_emu_domain_stats_get(d, &st), "stats");
	TEST_ASSERT_EQUAL(st.n_busy, 1, "busy count");
	TEST_ASSERT_EQUAL(st.mapped_bytes, 0, "mapped");
	keel_emu_fault_clear();
	TEST_ASSERT_SUCCESS(keel_emu_endpoint_destroy(ep), "ep");
	TEST_ASSERT_SUCCESS(keel_emu_domain_destroy(d), "destroy");
	free(mem);
	return TEST_SUCCESS;
}
KEEL_TEST(emu_inflight_wait, "fast", TEST_NO_EAL, test_emu_inflight_wait)

struct cb_rec {
	_Atomic int calls;
	uint64_t iova, len;
};

static void
release_cb(struct keel_emu_domain *d, uint64_t iova, uint64_t len, void *arg)
{
	struct cb_rec *r = arg;

	(void)d;
	r->iova = iova;
	r->len = len;
	atomic_fetch_add(&r->calls, 1);
}

struct releaser {
	struct keel_emu_endpoint *ep;
	void *va;
	uint64_t len;
	int ret;
};

static void *
releaser_run(void *arg)
{
	struct releaser *r = arg;

	r->ret = keel_emu_dma_unmap(r->ep, r->va, r->len);
	return NULL;
}

static int
test_emu_inflight_ebusy(void)
{
	struct cb_rec rec = { 0 };
	struct keel_emu_domain_config cfg = {
		.inflight_mode = KEEL_EMU_INFLIGHT_EBUSY,
		.release_cb = release_cb, .release_cb_arg = &rec,
	};
	struct keel_emu_domain *d = keel_emu_domain_create(&cfg);
	struct keel_emu_endpoint *ep = ep_on(d, 6);
	uint8_t *mem = pages_alloc(4), b;
	struct unmapper u = { .d = d, .iova = 0x100000, .len = 4 * KB4 };
	struct releaser rel;
	struct keel_emu_domain_stats st;
	uint64_t len = 2 * KB4;
	pthread_t th;
	void *v;

	TEST_ASSERT(d && ep && mem, "setup");
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0x100000, (uintptr_t)mem, 4 * KB4, 3),
			    "map");
	TEST_ASSERT_SUCCESS(keel_emu_dma_read(ep, 0x100000, &b, 1), "warm IOTLB");
	v = keel_emu_dma_map(ep, 0x102000, &len, KEEL_EMU_DMA_TO_DEVICE);
	TEST_ASSERT(v != NULL && len == 2 * KB4, "dma_map");
	/* an unmap from another lcore gets EBUSY and changes nothing */
	TEST_ASSERT_SUCCESS(pthread_create(&th, NULL, unmapper_run, &u), "thr");
	pthread_join(th, NULL);
	TEST_ASSERT_EQUAL(u.ret, -EBUSY, "unmap of a held range");
	TEST_ASSERT_SUCCESS(keel_emu_dma_read(ep, 0x100000, &b, 1), "still mapped");
	TEST_ASSERT_SUCCESS(keel_emu_domain_stats_get(d, &st), "stats");
	TEST_ASSERT_EQUAL(st.mapped_bytes, 4 * KB4, "mapped after EBUSY");
	TEST_ASSERT_EQUAL(st.n_busy, 1, "busy");
	/* an unmap that does not touch the held pages goes through */
	TEST_ASSERT_EQUAL(atomic_load(&rec.calls), 0, "callback too early");
	/* release from another thread: the callback names the range */
	rel = (struct releaser){ ep, v, len, -1 };
	TEST_ASSERT_SUCCESS(pthread_create(&th, NULL, releaser_run, &rel), "thr");
	pthread_join(th, NULL);
	TEST_ASSERT_SUCCESS(rel.ret, "cross-thread release");
	TEST_ASSERT_EQUAL(atomic_load(&rec.calls), 1, "callback calls");
	TEST_ASSERT_EQUAL(rec.iova, 0x100000, "callback iova");
	TEST_ASSERT_EQUAL(rec.len, 4 * KB4, "callback len");
	TEST_ASSERT_SUCCESS(keel_emu_unmap(d, 0x100000, 4 * KB4, NULL), "retry");
	TEST_ASSERT_EQUAL(keel_emu_dma_read(ep, 0x100000, &b, 1), -EFAULT,
			  "unmapped");
	keel_emu_fault_clear();
	TEST_ASSERT_SUCCESS(keel_emu_endpoint_destroy(ep), "ep");
	TEST_ASSERT_SUCCESS(keel_emu_domain_destroy(d), "destroy");
	free(mem);
	return TEST_SUCCESS;
}
KEEL_TEST(emu_inflight_ebusy, "fast", TEST_NO_EAL, test_emu_inflight_ebusy)

/* DMA copies on one thread while another maps and unmaps the same pages:
 * every read sees one of the two fill patterns of the page, never a torn
 * or foreign one, and an unmap never returns while a copy is in flight */
static void
sleep_us(unsigned int us)
{
	struct timespec ts = { 0, (long)us * 1000L };

	nanosleep(&ts, NULL);
}

struct churn {
	struct keel_emu_domain *d;
	uint8_t *buf[2];
	_Atomic int stop;
	_Atomic int holding;    /* the device holds a page via dma_map */
	uint64_t iters;
	int ret;
};

static void *
churn_run(void *arg)
{
	struct churn *c = arg;
	uint64_t i;

	for (i = 0; !atomic_load(&c->stop); i++) {
		uint8_t *old = c->buf[(i + 1) & 1];

		if (keel_emu_unmap(c->d, 0x200000, 8 * KB4, NULL) != 0) {
			c->ret = -1;
			break;
		}
		/* no new hold can start now, and an old one must be gone */
		if (atomic_load(&c->holding)) {
			c->ret = -2;
			break;
		}
		/* the unmap has returned: no device uses the old pages any
		 * more, so scribbling on them must not show in any read */
		memset(old, 0xff, 8 * KB4);
		memset(old, (int)((i + 1) & 1) + 1, 8 * KB4);
		if (keel_emu_map(c->d, 0x200000, (uintptr_t)c->buf[i & 1],
				 8 * KB4, 3) != 0) {
			c->ret = -1;
			break;
		}
		sleep_us(20); /* let the device get at the new mapping */
	}
	c->iters = i;
	return NULL;
}

static int
test_emu_inflight_churn(void)
{
	struct keel_emu_domain *d = keel_emu_domain_create(NULL);
	struct keel_emu_endpoint *ep = ep_on(d, 8);
	struct churn c = { .d = d };
	uint8_t tmp[8 * 4096];
	uint64_t reads = 0, faults = 0, i;
	pthread_t th;

	c.buf[0] = pages_alloc(8);
	c.buf[1] = pages_alloc(8);
	TEST_ASSERT(d && ep && c.buf[0] && c.buf[1], "setup");
	memset(c.buf[0], 1, 8 * KB4);
	memset(c.buf[1], 2, 8 * KB4);
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0x200000, (uintptr_t)c.buf[1],
			    8 * KB4, 3), "map");
	keel_log_set_level("iommu.emu", KEEL_LOG_CRIT);
	TEST_ASSERT_SUCCESS(pthread_create(&th, NULL, churn_run, &c), "thread");
	for (i = 0; i < 20000; i++) {
		uint64_t off = (i * 4099) % (4 * KB4);
		uint64_t n = 1 + (i * 31) % (4 * KB4), j;
		int r;

		if (i & 1) {
			/* zero-copy: hold a page a while, it must not change */
			uint64_t len = KB4, k;
			volatile uint8_t *v = keel_emu_dma_map(ep, 0x200000 +
				(i % 8) * KB4, &len, KEEL_EMU_DMA_TO_DEVICE);

			if (v == NULL) {
				faults++;
				continue;
			}
			atomic_store(&c.holding, 1);
			for (k = 0; k < 200; k++)
				for (j = 0; j < len; j += 64)
					if (v[j] != v[0] || (v[0] != 1 && v[0] != 2))
						break;
			TEST_ASSERT(k == 200 && j >= len, "held page changed to "
				    "%#x: unmapped while held", v[j]);
			atomic_store(&c.holding, 0);
			TEST_ASSERT_SUCCESS(keel_emu_dma_unmap(ep, (void *)(uintptr_t)v,
					    len), "dma_unmap");
			reads++;
			continue;
		}
		r = keel_emu_dma_read(ep, 0x200000 + off, tmp, n);

		if (r == -EFAULT) {
			faults++;
			continue;
		}
		TEST_ASSERT_SUCCESS(r, "read %" PRIu64, i);
		for (j = 1; j < n; j++)
			if (tmp[j] != tmp[0])
				break;
		TEST_ASSERT(j == n && (tmp[0] == 1 || tmp[0] == 2),
			    "read %" PRIu64 " saw byte %#x at %" PRIu64
			    " after %#x: a stale VA was used", i,
			    j < n ? tmp[j] : tmp[0], j, tmp[0]);
		reads++;
	}
	atomic_store(&c.stop, 1);
	pthread_join(th, NULL);
	keel_log_set_level("iommu.emu", KEEL_LOG_INFO);
	TEST_ASSERT(c.ret != -2, "an unmap returned while the range was held");
	TEST_ASSERT_SUCCESS(c.ret, "map/unmap thread failed");
	printf("  %" PRIu64 " reads, %" PRIu64 " faults, %" PRIu64 " remaps\n",
	       reads, faults, c.iters);
	keel_emu_fault_clear();
	TEST_ASSERT_SUCCESS(keel_emu_endpoint_destroy(ep), "ep");
	TEST_ASSERT_SUCCESS(keel_emu_domain_destroy(d), "destroy");
	free(c.buf[0]);
	free(c.buf[1]);
	return TEST_SUCCESS;
}
KEEL_TEST(emu_inflight_churn, "fast", TEST_NO_EAL, test_emu_inflight_churn)

/* a thread that exits still holding a range: the hold survives it and
 * another thread can release it */
struct orphan {
	struct keel_emu_endpoint *ep;
	void *va;
	uint64_t len;
};

static void *
orphan_run(void *arg)
{
	struct orphan *o = arg;

	o->len = KB4;
	o->va = keel_emu_dma_map(o->ep, 0x300000, &o->len,
				 KEEL_EMU_DMA_TO_DEVICE);
	return NULL;
}

static int
test_emu_inflight_orphan(void)
{
	struct cb_rec rec = { 0 };
	struct keel_emu_domain_config cfg = {
		.inflight_mode = KEEL_EMU_INFLIGHT_EBUSY,
		.release_cb = release_cb, .release_cb_arg = &rec,
	};
	struct keel_emu_domain *d = keel_emu_domain_create(&cfg);
	struct keel_emu_endpoint *ep = ep_on(d, 11);
	uint8_t *mem = pages_alloc(1);
	struct orphan o = { .ep = ep };
	pthread_t th;

	TEST_ASSERT(d && ep && mem, "setup");
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0x300000, (uintptr_t)mem, KB4, 3),
			    "map");
	TEST_ASSERT_SUCCESS(pthread_create(&th, NULL, orphan_run, &o), "thread");
	pthread_join(th, NULL);
	TEST_ASSERT(o.va == mem && o.len == KB4, "dma_map on the thread");
	TEST_ASSERT_EQUAL(keel_emu_unmap(d, 0x300000, KB4, NULL), -EBUSY,
			  "the exited thread's hold still counts");
	TEST_ASSERT_EQUAL(keel_emu_domain_destroy(d), -EBUSY, "destroy held");
	TEST_ASSERT_SUCCESS(keel_emu_dma_unmap(ep, o.va, o.len), "release");
	TEST_ASSERT_EQUAL(atomic_load(&rec.calls), 1, "callback");
	TEST_ASSERT_SUCCESS(keel_emu_unmap(d, 0x300000, KB4, NULL), "unmap");
	TEST_ASSERT_SUCCESS(keel_emu_endpoint_destroy(ep), "ep");
	TEST_ASSERT_SUCCESS(keel_emu_domain_destroy(d), "destroy");
	free(mem);
	return TEST_SUCCESS;
}
KEEL_TEST(emu_inflight_orphan, "fast", TEST_NO_EAL, test_emu_inflight_orphan)
