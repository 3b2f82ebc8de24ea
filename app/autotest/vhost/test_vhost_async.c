/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The async data path (keel_vhost_async.h) with dma_soft behind the
 * emulated IOMMU as the engine: packets both ways byte-exact, split and
 * packed, mergeable, across regions, with vchan rings too small for a
 * burst (flushed and continued); used entries in ring order, only after
 * the copies; a region unmapped from the container under traffic: the
 * engine faults, the packets fail (counted, used length 0, guest bytes
 * untouched) and later ones go on; the guest regions in the container's
 * map table (one map call per region, adjacent ones merged into one entry
 * of one chunk each, a region apart its own entry), the middle one
 * removed; stop and reset drain the copies in flight.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "keel_dmadev.h"
#include "keel_eal.h"
#include "keel_iommu.h"
#include "keel_mbuf.h"
#include "keel_vdev.h"
#include "keel_vhost.h"
#include "keel_vhost_async.h"
#include "test.h"
#include "test_util.h"
#include "vhost_test_env.h"

#define F(bit) (1ULL << (bit))
#define BUFLEN 2048
#define DMA_NAME "dma_soft_vhost_async"
#define NB_DESC 32      /* small: a burst needs several rounds */

static struct keel_mempool *pool;
static int dma = -1;


static int
setup(void)
{
	struct keel_dma_conf conf = { .nb_vchans = 2 };
	struct keel_dma_vchan_conf vc = {
		.direction = KEEL_DMA_DIR_MEM_TO_MEM, .nb_desc = NB_DESC,
	};
	int ret = test_eal_init_str("--no-huge -m 64 --iommu emulated");

	if (ret < 0) {
		printf("  EAL init: %s\n", strerror(-ret));
		return -1;
	}
	pool = keel_pktmbuf_pool_create("vt_async", 1023, 0, 0,
					KEEL_MBUF_DEFAULT_BUF_SIZE,
					KEEL_SOCKET_ID_ANY);
	if (pool == NULL || keel_vdev_create(DMA_NAME, "mode=inline") < 0)
		return -1;
	dma = keel_dma_get_dev_id_by_name(DMA_NAME);
	if (dma < 0 || keel_dma_configure((int16_t)dma, &conf) < 0 ||
	    keel_dma_vchan_setup((int16_t)dma, 0, &vc) < 0 ||
	    keel_dma_vchan_setup((int16_t)dma, 1, &vc) < 0 ||
	    keel_dma_start((int16_t)dma) < 0)
		return -1;
	return 0;
}

static int
teardown(void)
{
	keel_vdev_remove(DMA_NAME);
	return keel_eal_cleanup();
}

static int
go_async(struct vt_env *e, uint16_t q, uint16_t vchan, uint32_t threshold)
{
	struct keel_vhost_async_config cfg = {
		.nb_dma = 1, .cpu_threshold = threshold,
		.dma = { { (int16_t)dma, vchan } },
	};

	return keel_vhost_async_channel_register(e->dev->vid, q, &cfg);
}


/* host to guest: sizes into 2 KiB buffers, the last across regions */
static int
run_enqueue(uint64_t feat, uint32_t threshold)
{
	static const uint32_t sizes[] = { 60, 1514, 4000, 9000, 64, 300 };
	struct keel_mbuf *pk[7], *out[7], *tmp;
	struct keel_vhost_async_stats as;
	struct keel_vhost_vring_stats st;
	uint8_t failed[7];
	struct vt_env e;
	unsigned int i, k;
	uint16_t id, nbuf;
	uint32_t ulen, len;

	TEST_ASSERT_SUCCESS(setup(), "setup");
	feat |= F(VIRTIO_NET_F_MRG_RXBUF);
	TEST_ASSERT_SUCCESS(vt_env_init(&e, feat, 64), "env");
	TEST_ASSERT_SUCCESS(go_async(&e, 0, 0, threshold), "register: %s",
			    strerror(errno));
	TEST_ASSERT_EQUAL(keel_vhost_enqueue_burst(e.dev->vid, 0, pk, 0), 0,
			  "the sync burst refuses an async queue");
	vt_use(&e, 0);
	for (i = 0; i < 16; i++) {
		struct vt_buf b = { VT_GPA + VT_BUF_OFF + i * BUFLEN, BUFLEN, 1 };

		vt_offer(&e, &b, 1, 0);
	}
	/* the 17th buffer crosses from region 0 into region 1 */
	vt_offer(&e, &(struct vt_buf){ VT_GPA + VT_REGION - 100, 2000, 1 },
		 1, 0);
	for (i = 0; i < 6; i++) {
		pk[i] = vt_pkt(pool, sizes[i], i == 2 ? 1000 : 2048, i);
		TEST_ASSERT(pk[i] != NULL, "mbuf");
	}
	/* the five, then 12000 B in 500 B mbufs filling the other six
	 * buffers: more copies than the vchan's ring holds */
	pk[6] = vt_pkt(pool, 12000, 500, 20);
	TEST_ASSERT(pk[6] != NULL, "mbuf");
	tmp = pk[5];
	pk[5] = pk[6];
	TEST_ASSERT_EQUAL(keel_vhost_submit_enqueue_burst(e.dev->vid, 0, pk, 6),
			  6, "six taken");
	pk[5] = tmp;
	TEST_ASSERT_EQUAL(vt_poll_enqueue_all(&e, out, failed, 6),
			  6, "six back");
	for (i = 0; i < 6; i++) {
		TEST_ASSERT(out[i] == (i < 5 ? pk[i] : pk[6]),
			    "packet %u back in order", i);
		TEST_ASSERT_EQUAL(failed[i], 0, "packet %u delivered", i);
	}
	keel_pktmbuf_free(out[5]);
	/* the guest's view: packets in order, bytes exact */
	for (i = 0; i < 5; i++) {
		struct virtio_net_hdr_mrg h;
		uint32_t got;

		TEST_ASSERT(vt_take_used(&e, &id, &ulen), "used %u", i);
		memcpy(&h, vt_gva(&e, VT_GPA + VT_BUF_OFF + id * BUFLEN), 12);
		nbuf = h.num_buffers;
		TEST_ASSERT_EQUAL(nbuf, (sizes[i] + 12 + BUFLEN - 1) / BUFLEN,
				  "buffers of %u", i);
		got = ulen - 12;
		for (k = 0; k < got; k++)
			TEST_ASSERT_EQUAL(*vt_gva(&e, VT_GPA + VT_BUF_OFF +
				id * BUFLEN + 12 + k), vt_pat(i, k), "byte %u of %u",
				k, i);
		while (--nbuf > 0) {
			TEST_ASSERT(vt_take_used(&e, &id, &len), "next buffer");
			for (k = 0; k < len; k++)
				TEST_ASSERT_EQUAL(*vt_gva(&e, VT_GPA + VT_BUF_OFF +
					id * BUFLEN + k), vt_pat(i, got + k),
					"byte %u of %u", got + k, i);
			got += len;
		}
		TEST_ASSERT_EQUAL(got, sizes[i], "length of %u", i);
		keel_pktmbuf_free(out[i]);
	}
	/* the 12000 B packet's buffers: skip them; then the crossing one */
	while (vt_take_used(&e, &id, &len))
		;
	TEST_ASSERT_EQUAL(keel_vhost_submit_enqueue_burst(e.dev->vid, 0, &pk[5],
							  1), 1, "across");
	TEST_ASSERT_EQUAL(vt_poll_enqueue_all(&e, out, failed, 1), 1, "back");
	TEST_ASSERT(out[0] == pk[5] && failed[0] == 0, "delivered");
	for (k = 0; k < 300; k++)
		TEST_ASSERT_EQUAL(*vt_gva(&e, VT_GPA + VT_REGION - 100 + 12 + k),
				  vt_pat(5, k), "byte %u across regions", k);
	keel_pktmbuf_free(out[0]);
	TEST_ASSERT_SUCCESS(keel_vhost_async_stats_get(e.dev->vid, 0, &as), "st");
	keel_vhost_vring_stats_get(e.dev->vid, 0, &st);
	TEST_ASSERT_EQUAL(st.failed, 0, "nothing failed");
	if (threshold == 0) {
		TEST_ASSERT(as.dma_copies > 0 && as.cpu_copies == 0,
			    "all by DMA (%" PRIu64 ", %" PRIu64 ")",
			    as.dma_copies, as.cpu_copies);
		TEST_ASSERT(as.ring_full > 0, "the ring of %u ran full", NB_DESC);
	} else {
		TEST_ASSERT(as.dma_copies > 0 && as.cpu_copies > 0,
			    "small ones by CPU (%" PRIu64 ", %" PRIu64 ")",
			    as.dma_copies, as.cpu_copies);
	}
	TEST_ASSERT_EQUAL(keel_vhost_async_get_inflight(e.dev->vid, 0), 0,
			  "nothing owed");
	TEST_ASSERT_SUCCESS(keel_vhost_async_channel_unregister(e.dev->vid, 0),
			    "unregister");
	TEST_ASSERT(keel_vhost_async_channel_unregister(e.dev->vid, 0) < 0 &&
		    errno == EINVAL, "twice");
	vt_env_fini(&e);
	return teardown();
}

static int test_enq_split(void) { return run_enqueue(0, 0); }
static int test_enq_packed(void) { return run_enqueue(F(VIRTIO_F_RING_PACKED), 0); }
static int test_enq_threshold(void) { return run_enqueue(0, 256); }
KEEL_TEST(vhost_async_enqueue_split, "fast", TEST_NO_EAL, test_enq_split)
KEEL_TEST(vhost_async_enqueue_packed, "fast", TEST_NO_EAL, test_enq_packed)
KEEL_TEST(vhost_async_enqueue_threshold, "fast", TEST_NO_EAL, test_enq_threshold)

/* the guest sends len bytes after a zero header at guest offset at, in
 * buffers of at most cut bytes */
static void
offer_tx(struct vt_env *e, uint64_t at, uint32_t len, uint32_t seed,
	 uint32_t cut, int indirect)
{
	struct vt_buf b[16];
	uint8_t *p = vt_gva(e, VT_GPA + at);
	uint32_t i, n = 0, off = 0, total = len + 12;

	memset(p, 0, 12);
	for (i = 0; i < len; i++)
		p[12 + i] = vt_pat(seed, i);
	while (off < total && n < 16) {
		uint32_t take = total - off < cut ? total - off : cut;

		b[n++] = (struct vt_buf){ VT_GPA + at + off, take, 0 };
		off += take;
	}
	vt_use(e, 1);
	vt_offer(e, b, n, indirect);
}

static int
run_dequeue(uint64_t feat)
{
	static const uint32_t sizes[] = { 60, 1514, 9000, 300, 1400 };
	struct keel_mbuf *pk[8];
	struct vt_env e;
	unsigned int i;
	uint16_t n = 0, id;
	uint32_t ulen;
	int infl = -1, spins = 0;

	TEST_ASSERT_SUCCESS(setup(), "setup");
	TEST_ASSERT_SUCCESS(vt_env_init(&e, feat | F(VIRTIO_RING_F_INDIRECT_DESC),
					64), "env");
	TEST_ASSERT_SUCCESS(go_async(&e, 1, 1, 0), "register");
	for (i = 0; i < 4; i++)
		offer_tx(&e, VT_BUF_OFF + i * 0x4000, sizes[i], i,
			 i == 1 ? 500 : 4000, i == 3);
	offer_tx(&e, VT_REGION - 700, sizes[4], 4, 4096, 0);  /* across */
	TEST_ASSERT_EQUAL(keel_vhost_dequeue_burst(e.dev->vid, 1, pool, pk, 8),
			  0, "the sync burst refuses an async queue");
	/* a RARP the front-end asked for comes first */
	memcpy(e.dev->rarp_mac, "\x52\x54\x00\x12\x34\x56", 6);
	__atomic_store_n(&e.dev->rarp_pending, 1, __ATOMIC_RELEASE);
	TEST_ASSERT_EQUAL(keel_vhost_async_try_dequeue_burst(e.dev->vid, 1, pool,
			  pk, 1, &infl), 1, "RARP");
	TEST_ASSERT(pk[0]->pkt_len == 60 &&
		    !memcmp(keel_pktmbuf_mtod(pk[0], uint8_t *) + 6,
			    "\x52\x54\x00\x12\x34\x56\x80\x35", 8), "RARP bytes");
	keel_pktmbuf_free(pk[0]);
	while (n < 5 && spins++ < 10000)
		n = (uint16_t)(n + keel_vhost_async_try_dequeue_burst(e.dev->vid,
				1, pool, pk + n, (uint16_t)(8 - n), &infl));
	TEST_ASSERT_EQUAL(n, 5, "five packets");
	TEST_ASSERT_EQUAL(infl, 0, "none in flight");
	for (i = 0; i < 5; i++) {
		TEST_ASSERT(vt_pkt_is(pk[i], sizes[i], i), "bytes of %u", i);
		TEST_ASSERT(vt_take_used(&e, &id, &ulen), "used %u", i);
		TEST_ASSERT_EQUAL(ulen, 0, "transmit buffers come back empty");
		keel_pktmbuf_free(pk[i]);
	}
	TEST_ASSERT_SUCCESS(keel_vhost_async_channel_unregister(e.dev->vid, 1),
			    "unregister");
	vt_env_fini(&e);
	return teardown();
}

static int test_deq_split(void) { return run_dequeue(0); }
static int test_deq_packed(void) { return run_dequeue(F(VIRTIO_F_RING_PACKED)); }
KEEL_TEST(vhost_async_dequeue_split, "fast", TEST_NO_EAL, test_deq_split)
KEEL_TEST(vhost_async_dequeue_packed, "fast", TEST_NO_EAL, test_deq_packed)

/* one copy through the engine (vchan 1): 0 done, -1 failed (a fault) */
static int
dma_probe(uint64_t src, uint64_t dst, uint32_t len)
{
	enum keel_dma_status_code stc = KEEL_DMA_STATUS_ERROR_UNKNOWN;
	uint16_t last;
	int spins = 0;

	if (keel_dma_copy((int16_t)dma, 1, src, dst, len,
			  KEEL_DMA_OP_FLAG_SUBMIT) < 0)
		return -1;
	while (keel_dma_completed_status((int16_t)dma, 1, 1, &last, &stc) == 0 &&
	       spins++ < 100000)
		;
	return stc == KEEL_DMA_STATUS_SUCCESSFUL ? 0 : -1;
}

/* A region unmapped from the container while the queue runs (what a
 * vIOMMU invalidate or a buggy application does behind vhost's back): the
 * engine faults on it, the packet fails - counted, returned failed, its
 * used entry empty, the guest's bytes untouched - and packets into the
 * other region still arrive. */
static int
test_fault(void)
{
	struct keel_mbuf *pk[2], *out[2];
	struct keel_vhost_async_stats as;
	struct keel_vhost_vring_stats st;
	struct vhost_region *r1;
	uint8_t failed[2], *bad;
	struct vt_env e;
	uint32_t ulen, k;
	uint16_t id, i;

	TEST_ASSERT_SUCCESS(setup(), "setup");
	TEST_ASSERT_SUCCESS(vt_env_init(&e, 0, 64), "env");
	TEST_ASSERT_SUCCESS(go_async(&e, 0, 0, 0), "register");
	r1 = &e.dev->mem->r[1];
	TEST_ASSERT(r1->dma_cont != NULL, "region 1 DMA-mapped");
	/* buffer 0 in region 1 (poisoned), buffer 1 in region 0 */
	bad = vt_gva(&e, VT_GPA + VT_REGION + 0x1000);
	memset(bad, 0xee, BUFLEN);
	vt_use(&e, 0);
	vt_offer(&e, &(struct vt_buf){ VT_GPA + VT_REGION + 0x1000, BUFLEN, 1 },
		 1, 0);
	vt_offer(&e, &(struct vt_buf){ VT_GPA + VT_BUF_OFF, BUFLEN, 1 }, 1, 0);
	pk[0] = vt_pkt(pool, 1000, 2048, 1);
	pk[1] = vt_pkt(pool, 1000, 2048, 2);
	TEST_ASSERT_EQUAL(keel_vhost_submit_enqueue_burst(e.dev->vid, 0, pk, 2),
			  2, "taken");
	/* the copies are with the engine (inline: they run at its next
	 * poll); region 1 goes from the container under them */
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(r1->dma_cont, r1->dma_va,
			    r1->dma_iova, r1->dma_len), "unmap behind vhost");
	r1->dma_cont = NULL;
	TEST_ASSERT_EQUAL(vt_poll_enqueue_all(&e, out, failed, 2), 2, "back");
	TEST_ASSERT(out[0] == pk[0] && failed[0] == 1, "the first failed");
	TEST_ASSERT(out[1] == pk[1] && failed[1] == 0, "the second delivered");
	TEST_ASSERT(vt_take_used(&e, &id, &ulen), "used 0");
	TEST_ASSERT_EQUAL(ulen, 0, "the failed packet claims no bytes");
	for (k = 12; k < BUFLEN; k++)
		TEST_ASSERT_EQUAL(bad[k], 0xee, "byte %u written after unmap", k);
	TEST_ASSERT(vt_take_used(&e, &id, &ulen), "used 1");
	TEST_ASSERT_EQUAL(ulen, 1012, "the other one whole");
	for (k = 0; k < 1000; k++)
		TEST_ASSERT_EQUAL(*vt_gva(&e, VT_GPA + VT_BUF_OFF + 12 + k),
				  vt_pat(2, k), "byte %u", k);
	keel_vhost_vring_stats_get(e.dev->vid, 0, &st);
	keel_vhost_async_stats_get(e.dev->vid, 0, &as);
	TEST_ASSERT_EQUAL(st.failed, 1, "counted");
	TEST_ASSERT(as.dma_errors >= 1, "the engine reported the fault");
	for (i = 0; i < 2; i++)
		keel_pktmbuf_free(out[i]);
	TEST_ASSERT_SUCCESS(keel_vhost_async_channel_unregister(e.dev->vid, 0),
			    "unregister");
	vt_env_fini(&e);
	return teardown();
}
KEEL_TEST(vhost_async_dma_fault, "fast", TEST_NO_EAL, test_fault)

#define NREG 4   /* three adjacent in guest memory, one apart */

/* add region [gpa, + VT_REGION) at file offset off of the env's memory */
static int
add_region(struct vt_env *e, struct vhost_user_msg *msg, uint64_t gpa,
	   uint64_t off)
{
	struct vhost_user_mem_region *d = &msg->payload.mem_single.region;
	int fd;

	if (ftruncate(e->mfd, (off_t)(off + VT_REGION)) != 0)
		return -1;
	memset(msg, 0, sizeof(*msg));
	d->guest_addr = gpa;
	d->size = VT_REGION;
	d->user_addr = gpa + VT_UOFF;
	d->mmap_offset = off;
	fd = dup(e->mfd);
	return vhost_user_add_mem_reg(e->dev, msg, &fd, 1);
}

/* The guest regions in the container's map table: one map call per region
 * (its own chunk); the three adjacent in guest memory are adjacent in VA
 * and IOVA and merge into one entry of three chunks, the fourth (apart in
 * guest memory) is its own entry; REM_MEM_REG of the middle one, after
 * the copies in flight into it drained, leaves exactly the outer two as
 * two entries, in the table and in the emulated IOMMU. */
static int
test_regions(void)
{
	struct keel_iommu_container *c;
	struct keel_iommu_stats s0, s1, s2;
	struct vt_regions_seen seen;
	struct vhost_user_msg msg;
	struct vhost_user_mem_region *d = &msg.payload.mem_single.region;
	struct keel_mbuf *pk, *out;
	uint64_t iova[NREG], src;
	uint8_t failed;
	struct vt_env e;
	unsigned int i;

	TEST_ASSERT_SUCCESS(setup(), "setup");
	c = keel_iommu_container_default();
	TEST_ASSERT(c != NULL, "container");
	TEST_ASSERT_SUCCESS(vt_env_init(&e, 0, 64), "env");
	TEST_ASSERT_EQUAL(e.dev->mem->r[0].dma_cont, NULL, "sync: not mapped");
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &s0), "stats");
	TEST_ASSERT_SUCCESS(go_async(&e, 0, 0, 0), "register");
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &s1), "stats");
	TEST_ASSERT_EQUAL(s1.backend_maps - s0.backend_maps, 2,
			  "one map call per region");
	/* a third region adjacent in guest memory and a fourth 1 MiB past
	 * it, added while async: mapped on arrival */
	TEST_ASSERT_SUCCESS(add_region(&e, &msg, VT_GPA + VT_GSIZE, VT_GSIZE),
			    "add");
	TEST_ASSERT_SUCCESS(add_region(&e, &msg, VT_GPA + VT_GSIZE +
				       VT_REGION + (1 << 20),
				       VT_GSIZE + VT_REGION), "add apart");
	TEST_ASSERT_EQUAL(e.dev->mem->n, NREG, "%u regions", NREG);
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &s2), "stats");
	TEST_ASSERT_EQUAL(s2.backend_maps - s1.backend_maps, 2,
			  "one map call per region");
	memset(&seen, 0, sizeof(seen));
	seen.n = NREG;
	for (i = 0; i < NREG; i++) {
		struct vhost_region *r = &e.dev->mem->r[i];

		TEST_ASSERT(r->dma_cont == c, "region %u mapped", i);
		seen.va[i] = r->dma_va;
		seen.len[i] = r->dma_len;
		iova[i] = r->dma_iova;
		TEST_ASSERT_EQUAL(r->dma_iova, r->dma_va, "IOVA = VA here");
		TEST_ASSERT_EQUAL(r->dma_len, VT_REGION, "whole pages");
		TEST_ASSERT(i == 0 || i == 3 ||
			    r->dma_va == seen.va[i - 1] + VT_REGION,
			    "region %u next to region %u in VA", i, i - 1);
	}
	TEST_ASSERT(seen.va[3] - seen.va[2] == VT_REGION + (1 << 20),
		    "the fourth 1 MiB apart in VA too");
	TEST_ASSERT_SUCCESS(keel_iommu_walk(c, vt_count_region, &seen), "walk");
	for (i = 0; i < NREG; i++)
		TEST_ASSERT_EQUAL(seen.hits[i], 1, "region %u: one entry", i);
	/* the emulated IOMMU is strict (cannot split): chunk = map length */
	TEST_ASSERT(vt_entry_is(&seen.m[0], seen.va[0], iova[0], 3 * VT_REGION,
			     VT_REGION), "regions 0-2: one entry, 3 chunks");
	TEST_ASSERT(memcmp(&seen.m[1], &seen.m[0], sizeof(seen.m[0])) == 0 &&
		    memcmp(&seen.m[2], &seen.m[0], sizeof(seen.m[0])) == 0,
		    "the same entry");
	TEST_ASSERT(vt_entry_is(&seen.m[3], seen.va[3], iova[3], VT_REGION,
			     VT_REGION), "region 3: its own entry");
	TEST_ASSERT_EQUAL(s2.entries - s0.entries, 2, "2 entries more in all");
	TEST_ASSERT_EQUAL(s2.backend_mappings - s0.backend_mappings, NREG,
			  "the backend holds one mapping per region");
	/* a packet in flight into the middle region when it goes: the
	 * removal waits for it (it lands whole) */
	vt_use(&e, 0);
	vt_offer(&e, &(struct vt_buf){ VT_GPA + VT_REGION + 0x2000, BUFLEN, 1 },
		 1, 0);
	pk = vt_pkt(pool, 1500, 2048, 3);
	TEST_ASSERT_EQUAL(keel_vhost_submit_enqueue_burst(e.dev->vid, 0, &pk, 1),
			  1, "taken");
	d->guest_addr = VT_GPA + VT_REGION;
	d->user_addr = VT_GPA + VT_REGION + VT_UOFF;
	d->mmap_offset = VT_REGION;
	TEST_ASSERT_SUCCESS(vhost_user_rem_mem_reg(e.dev, &msg, NULL, 0), "rem");
	TEST_ASSERT_EQUAL(keel_vhost_async_get_inflight(e.dev->vid, 0), 1,
			  "the packet is owed");
	TEST_ASSERT_EQUAL(keel_vhost_poll_enqueue_completed(e.dev->vid, 0, &out,
			  1, &failed), 1, "completed by the drain");
	TEST_ASSERT(out == pk && failed == 0, "delivered before the unmap");
	for (i = 0; i < 1500; i++)
		TEST_ASSERT_EQUAL(*vt_gva(&e, VT_GPA + VT_REGION + 0x2000 + 12 + i),
				  vt_pat(3, i), "byte %u", i);
	keel_pktmbuf_free(out);
	memset(&seen.hits, 0, sizeof(seen.hits));
	TEST_ASSERT_SUCCESS(keel_iommu_walk(c, vt_count_region, &seen), "walk");
	TEST_ASSERT_EQUAL(seen.hits[0], 1, "first region still mapped");
	TEST_ASSERT_EQUAL(seen.hits[1], 0, "middle region gone");
	TEST_ASSERT_EQUAL(seen.hits[2], 1, "last region still mapped");
	TEST_ASSERT(vt_entry_is(&seen.m[0], seen.va[0], iova[0], VT_REGION,
			     VT_REGION), "region 0 alone");
	TEST_ASSERT(vt_entry_is(&seen.m[2], seen.va[2], iova[2], VT_REGION,
			     VT_REGION), "region 2 alone");
	TEST_ASSERT(vt_entry_is(&seen.m[3], seen.va[3], iova[3], VT_REGION,
			     VT_REGION), "region 3 as it was");
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &s1), "stats");
	TEST_ASSERT_EQUAL(s1.entries - s0.entries, 3, "3 entries");
	TEST_ASSERT_EQUAL(s1.backend_mappings - s0.backend_mappings, NREG - 1,
			  "the backend dropped exactly one mapping");
	/* the emulated IOMMU agrees: DMA into the outer ones works, into
	 * the middle one faults */
	pk = vt_pkt(pool, 64, 2048, 4);
	src = keel_iommu_va2iova(c, (uintptr_t)keel_pktmbuf_mtod(pk, void *));
	TEST_ASSERT_SUCCESS(dma_probe(src, iova[0] + 0x8000, 64), "region 0");
	TEST_ASSERT_SUCCESS(dma_probe(src, iova[2] + 0x8000, 64), "region 2");
	TEST_ASSERT(dma_probe(src, iova[1] + 0x8000, 64) < 0, "region 1 faults");
	keel_pktmbuf_free(pk);
	/* the last async queue gone: nothing of the guest stays mapped */
	TEST_ASSERT_SUCCESS(keel_vhost_async_channel_unregister(e.dev->vid, 0),
			    "unregister");
	memset(&seen.hits, 0, sizeof(seen.hits));
	TEST_ASSERT_SUCCESS(keel_iommu_walk(c, vt_count_region, &seen), "walk");
	TEST_ASSERT_EQUAL(seen.hits[0] + seen.hits[2] + seen.hits[3], 0,
			  "all unmapped");
	vt_env_fini(&e);
	return teardown();
}
KEEL_TEST(vhost_async_regions, "fast", TEST_NO_EAL, test_regions)

/* A queue stop (GET_VRING_BASE) and a device reset with copies in flight:
 * both wait for them; the packets come back to the application. */
static int
test_stop_drain(void)
{
	struct keel_mbuf *pk[4], *out[4];
	uint8_t failed[4];
	struct vt_env e;
	unsigned int i;
	uint16_t id;
	uint32_t ulen;

	TEST_ASSERT_SUCCESS(setup(), "setup");
	TEST_ASSERT_SUCCESS(vt_env_init(&e, 0, 64), "env");
	TEST_ASSERT_SUCCESS(go_async(&e, 0, 0, 0), "register");
	vt_use(&e, 0);
	for (i = 0; i < 4; i++)
		vt_offer(&e, &(struct vt_buf){ VT_GPA + VT_BUF_OFF + i * BUFLEN,
			 BUFLEN, 1 }, 1, 0);
	for (i = 0; i < 4; i++)
		pk[i] = vt_pkt(pool, 1500, 2048, 10 + i);
	TEST_ASSERT_EQUAL(keel_vhost_submit_enqueue_burst(e.dev->vid, 0, pk, 2),
			  2, "taken");
	vhost_lock_ctrl(&e.vqs[0]->lock);
	vhost_vq_stop_locked(e.vqs[0]);
	vhost_unlock(&e.vqs[0]->lock);
	for (i = 0; i < 2; i++) {
		TEST_ASSERT(vt_take_used(&e, &id, &ulen), "used %u at stop", i);
		TEST_ASSERT_EQUAL(ulen, 1512, "whole");
	}
	TEST_ASSERT_EQUAL(keel_vhost_submit_enqueue_burst(e.dev->vid, 0, pk + 2,
			  2), 0, "a stopped queue takes nothing");
	TEST_ASSERT_EQUAL(vt_poll_enqueue_all(&e, out, failed, 2),
			  2, "both back");
	TEST_ASSERT(out[0] == pk[0] && out[1] == pk[1] && !failed[0] &&
		    !failed[1], "delivered");
	for (i = 0; i < 4; i++)
		keel_pktmbuf_free(pk[i]);
	vhost_dev_reset(e.dev);
	TEST_ASSERT_EQUAL(keel_vhost_async_get_inflight(e.dev->vid, 0), 0,
			  "nothing owed");
	TEST_ASSERT_SUCCESS(keel_vhost_async_channel_unregister(e.dev->vid, 0),
			    "unregister");
	vt_env_fini(&e);
	return teardown();
}
KEEL_TEST(vhost_async_stop_drain, "fast", TEST_NO_EAL, test_stop_drain)

/* the vIOMMU (IOMMU_PLATFORM) with an async queue, which DPDK 22.11
 * refuses: buffers at IOVAs the IOTLB translates; an IOTLB invalidate
 * returns only after the copies in flight into the range completed; a
 * buffer whose translation is gone pauses the queue (the packet is not
 * taken) until an update comes */
static int
test_viommu(void)
{
	const uint64_t iova = 0x80000000ULL, gpa = VT_GPA + VT_BUF_OFF;
	struct keel_mbuf *pk[5], *out[5];
	struct keel_vhost_vring_stats st;
	struct vhost_user_msg msg;
	uint8_t failed[5];
	struct vt_env e;
	uint32_t ulen, k;
	uint16_t id, i;
	int sp[2];

	TEST_ASSERT_SUCCESS(setup(), "setup");
	TEST_ASSERT_SUCCESS(vt_env_init(&e, F(VIRTIO_F_IOMMU_PLATFORM), 64),
			    "env");
	TEST_ASSERT_SUCCESS(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
				       SOCK_NONBLOCK, 0, sp), "socketpair");
	e.dev->backend_fd = sp[0];
	e.dev->protocol_features |= F(VHOST_USER_PROTOCOL_F_BACKEND_REQ);
	TEST_ASSERT_SUCCESS(go_async(&e, 0, 0, 0), "async with the vIOMMU");
	TEST_ASSERT_SUCCESS(vhost_iotlb_update(e.dev, iova, 0x10000,
			    gpa + VT_UOFF, VHOST_ACCESS_RW), "IOTLB update");
	vt_use(&e, 0);
	for (i = 0; i < 5; i++)
		vt_offer(&e, &(struct vt_buf){ iova + i * BUFLEN, BUFLEN, 1 },
			 1, 0);
	for (i = 0; i < 5; i++)
		pk[i] = vt_pkt(pool, 1000, 2048, 30 + i);
	TEST_ASSERT_EQUAL(keel_vhost_submit_enqueue_burst(e.dev->vid, 0, pk, 4),
			  4, "taken");
	/* the front-end invalidates the range while the copies are out */
	memset(&msg, 0, sizeof(msg));
	msg.payload.iotlb.type = VHOST_IOTLB_INVALIDATE;
	msg.payload.iotlb.iova = iova;
	msg.payload.iotlb.size = 0x10000;
	TEST_ASSERT_SUCCESS(vhost_user_iotlb_msg(e.dev, &msg, NULL, 0),
			    "invalidate");
	/* acknowledged only now: every copy is in, the used entries too */
	for (i = 0; i < 4; i++) {
		TEST_ASSERT(vt_take_used(&e, &id, &ulen), "used %u before the "
			    "invalidate returned", i);
		TEST_ASSERT_EQUAL(ulen, 1012, "whole");
		for (k = 0; k < 1000; k++)
			TEST_ASSERT_EQUAL(*vt_gva(&e, gpa + id * BUFLEN + 12 + k),
					  vt_pat(30 + i, k), "byte %u of %u", k, i);
	}
	TEST_ASSERT_EQUAL(keel_vhost_poll_enqueue_completed(e.dev->vid, 0, out,
			  5, failed), 4, "the four back");
	for (i = 0; i < 4; i++)
		TEST_ASSERT(out[i] == pk[i] && !failed[i], "delivered %u", i);
	/* the fifth buffer has no translation now: the queue waits */
	TEST_ASSERT_EQUAL(keel_vhost_submit_enqueue_burst(e.dev->vid, 0, &pk[4],
			  1), 0, "paused, not taken");
	keel_vhost_vring_stats_get(e.dev->vid, 0, &st);
	TEST_ASSERT(st.iotlb_misses >= 1, "miss asked");
	TEST_ASSERT_SUCCESS(vhost_iotlb_update(e.dev, iova, 0x10000,
			    gpa + VT_UOFF, VHOST_ACCESS_RW), "update again");
	TEST_ASSERT_EQUAL(keel_vhost_submit_enqueue_burst(e.dev->vid, 0, &pk[4],
			  1), 1, "taken after the update");
	TEST_ASSERT_EQUAL(vt_poll_enqueue_all(&e, &out[4], &failed[4], 1),
			  1, "back");
	TEST_ASSERT(out[4] == pk[4] && !failed[4], "delivered");
	for (k = 0; k < 1000; k++)
		TEST_ASSERT_EQUAL(*vt_gva(&e, gpa + 4 * BUFLEN + 12 + k),
				  vt_pat(34, k), "byte %u of the fifth", k);
	for (i = 0; i < 5; i++)
		keel_pktmbuf_free(pk[i]);
	TEST_ASSERT_SUCCESS(keel_vhost_async_channel_unregister(e.dev->vid, 0),
			    "unregister");
	close(sp[1]);
	vt_env_fini(&e);
	return teardown();
}
KEEL_TEST(vhost_async_viommu, "fast", TEST_NO_EAL, test_viommu)

/* An engine that stops answering (its dmadev stopped with copies out): a
 * queue stop waits 2 s, then gives the copies up - their packets fail,
 * counted, their used entries claim nothing - and the stop completes. */
static int
test_engine_gone(void)
{
	struct keel_mbuf *pk[2], *out[2];
	struct keel_vhost_async_stats as;
	struct keel_vhost_vring_stats st;
	uint8_t failed[2];
	struct vt_env e;
	uint32_t ulen;
	uint16_t id, i;

	TEST_ASSERT_SUCCESS(setup(), "setup");
	TEST_ASSERT_SUCCESS(vt_env_init(&e, 0, 64), "env");
	TEST_ASSERT_SUCCESS(go_async(&e, 0, 0, 0), "register");
	vt_use(&e, 0);
	for (i = 0; i < 2; i++) {
		vt_offer(&e, &(struct vt_buf){ VT_GPA + VT_BUF_OFF + i * BUFLEN,
			 BUFLEN, 1 }, 1, 0);
		pk[i] = vt_pkt(pool, 1500, 2048, 40 + i);
	}
	TEST_ASSERT_EQUAL(keel_vhost_submit_enqueue_burst(e.dev->vid, 0, pk, 2),
			  2, "taken");
	TEST_ASSERT_SUCCESS(keel_dma_stop((int16_t)dma), "engine stopped");
	vhost_lock_ctrl(&e.vqs[0]->lock);
	vhost_vq_stop_locked(e.vqs[0]);
	vhost_unlock(&e.vqs[0]->lock);
	for (i = 0; i < 2; i++) {
		TEST_ASSERT(vt_take_used(&e, &id, &ulen), "used %u", i);
		TEST_ASSERT_EQUAL(ulen, 0, "claims nothing");
	}
	TEST_ASSERT_EQUAL(vt_poll_enqueue_all(&e, out, failed, 2),
			  2, "both back");
	TEST_ASSERT(failed[0] && failed[1], "both failed");
	keel_vhost_vring_stats_get(e.dev->vid, 0, &st);
	keel_vhost_async_stats_get(e.dev->vid, 0, &as);
	TEST_ASSERT_EQUAL(st.failed, 2, "counted");
	TEST_ASSERT_EQUAL(as.cancelled, 2, "two ops given up");
	for (i = 0; i < 2; i++)
		keel_pktmbuf_free(out[i]);
	TEST_ASSERT_SUCCESS(keel_vhost_async_channel_unregister(e.dev->vid, 0),
			    "unregister");
	vt_env_fini(&e);
	return teardown();
}
KEEL_TEST(vhost_async_engine_gone, "fast", TEST_NO_EAL, test_engine_gone)

static int
logged(const uint8_t *log, uint64_t gpa)
{
	uint64_t page = gpa / 4096;

	return (log[page / 8] >> (page % 8)) & 1;
}

/* The dirty log (live migration) with an async queue, which DPDK 22.11
 * turns off: a page the engine writes is logged when its copy completes,
 * not before; the used ring's page too; untouched pages stay clean. */
static int
test_dirty_log(void)
{
	const uint64_t buf = VT_GPA + VT_BUF_OFF + 0x5000;
	uint64_t log_size = (VT_GPA + VT_GSIZE) / 4096 / 8;
	struct keel_mbuf *pk, *out;
	uint8_t failed, *log;
	struct vt_env e;
	int lfd;

	TEST_ASSERT_SUCCESS(setup(), "setup");
	TEST_ASSERT_SUCCESS(vt_env_init(&e, F(VHOST_F_LOG_ALL), 64), "env");
	lfd = memfd_create("vt-log", MFD_CLOEXEC);
	TEST_ASSERT(lfd >= 0 && ftruncate(lfd, (off_t)log_size) == 0, "memfd");
	TEST_ASSERT_SUCCESS(vhost_log_set(e.dev, lfd, log_size, 0), "log");
	log = mmap(NULL, log_size, PROT_READ | PROT_WRITE, MAP_SHARED, lfd, 0);
	TEST_ASSERT(log != MAP_FAILED, "map log");
	e.vq->log_used = 1;
	e.vq->log_guest_addr = VT_GPA + VT_USED_OFF;
	TEST_ASSERT_SUCCESS(go_async(&e, 0, 0, 0), "register");
	/* one buffer over two pages; the packet's bytes reach the second */
	vt_use(&e, 0);
	vt_offer(&e, &(struct vt_buf){ buf, 8192, 1 }, 1, 0);
	pk = vt_pkt(pool, 6000, 2048, 50);
	TEST_ASSERT_EQUAL(keel_vhost_submit_enqueue_burst(e.dev->vid, 0, &pk, 1),
			  1, "taken");
	TEST_ASSERT(!logged(log, buf + 4096), "not logged while the copy is "
		    "with the engine");
	TEST_ASSERT_EQUAL(vt_poll_enqueue_all(&e, &out, &failed, 1), 1, "back");
	TEST_ASSERT(out == pk && !failed, "delivered");
	TEST_ASSERT(logged(log, buf) && logged(log, buf + 4096),
		    "both pages logged once the bytes are there");
	TEST_ASSERT(logged(log, VT_GPA + VT_USED_OFF), "used ring logged");
	TEST_ASSERT(!logged(log, buf + 8192) && !logged(log, VT_GPA + VT_BUF_OFF),
		    "untouched pages clean");
	keel_pktmbuf_free(out);
	TEST_ASSERT_SUCCESS(keel_vhost_async_channel_unregister(e.dev->vid, 0),
			    "unregister");
	munmap(log, log_size);
	close(lfd);
	vt_env_fini(&e);
	return teardown();
}
KEEL_TEST(vhost_async_dirty_log, "fast", TEST_NO_EAL, test_dirty_log)
