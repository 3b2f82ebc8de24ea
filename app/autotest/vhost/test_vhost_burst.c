/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The net bursts over guest rings the test drives as the guest: bytes
 * intact both ways (one segment and chained mbufs, buffers across
 * regions, indirect chains, mergeable receive buffers), headers and
 * offloads both ways, packets the guest cannot take, a hole in a
 * mergeable packet, the IOTLB pause seen through the bursts, RARP.
 */
#include <stdlib.h>
#include <string.h>

#include "keel_mbuf.h"
#include "keel_vhost.h"
#include "test.h"
#include "vhost_test_env.h"

#define F(bit) (1ULL << (bit))
#define BUFLEN 2048

static struct keel_mempool *pool;

static int
get_pool(void)
{
	pool = keel_pktmbuf_pool_create("vt_burst", 1023, 0, 0,
					KEEL_MBUF_DEFAULT_BUF_SIZE,
					KEEL_SOCKET_ID_ANY);
	return pool != NULL ? 0 : -1;
}


/* a packet of len bytes in mbufs of at most seg bytes each */


/* offer n receive buffers of BUFLEN bytes, from guest offset `at` on */
static void
offer_rx(struct vt_env *e, unsigned int n, uint64_t at)
{
	unsigned int i;

	vt_use(e, 0);
	for (i = 0; i < n; i++) {
		struct vt_buf b = { VT_GPA + at + (uint64_t)i * BUFLEN, BUFLEN, 1 };

		vt_offer(e, &b, 1, 0);
	}
}

/* gather packet bytes the guest received: the first buffer holds the
 * header (its num_buffers says how many buffers follow) */
static int
take_rx(struct vt_env *e, uint64_t at, uint8_t *out, uint32_t *len,
	struct virtio_net_hdr_mrg *hdr)
{
	uint16_t id, nbuf, k;
	uint32_t ulen, got = 0;

	vt_use(e, 0);
	if (!vt_take_used(e, &id, &ulen))
		return -1;
	/* split heads are descriptor indexes, packed ids count up: both
	 * map to the buffer offered in that order */
	memcpy(hdr, vt_gva(e, VT_GPA + at + (uint64_t)id * BUFLEN), 12);
	nbuf = hdr->num_buffers;
	memcpy(out, vt_gva(e, VT_GPA + at + (uint64_t)id * BUFLEN) + 12,
	       ulen - 12);
	got = ulen - 12;
	for (k = 1; k < nbuf; k++) {
		if (!vt_take_used(e, &id, &ulen))
			return -1;
		memcpy(out + got, vt_gva(e, VT_GPA + at + (uint64_t)id * BUFLEN),
		       ulen);
		got += ulen;
	}
	*len = got;
	return 0;
}

static int
run_enqueue(uint64_t ring, int mrg)
{
	static const uint32_t sizes[] = { 60, 1514, 4000, 9000, 64 };
	uint64_t feat = ring | (mrg ? F(VIRTIO_NET_F_MRG_RXBUF) : 0);
	struct keel_mbuf *pk[5];
	struct keel_vhost_vring_stats st;
	struct vt_env e;
	uint8_t *buf = malloc(16384);
	unsigned int i, n, expect;

	TEST_ASSERT(buf != NULL, "memory");
	TEST_ASSERT_SUCCESS(vt_env_init(&e, feat, 64), "env");
	offer_rx(&e, 32, VT_BUF_OFF);
	for (i = 0; i < 5; i++) {
		pk[i] = vt_pkt(pool, sizes[i], i == 2 ? 1000 : 2048, i);
		TEST_ASSERT(pk[i] != NULL, "mbuf %u", i);
	}
	n = keel_vhost_enqueue_burst(e.dev->vid, 0, pk, 5);
	TEST_ASSERT_EQUAL(n, 5, "all taken (the large ones dropped without "
			  "mergeable buffers)");
	keel_vhost_vring_stats_get(e.dev->vid, 0, &st);
	TEST_ASSERT_EQUAL(st.dropped, mrg ? 0 : 2, "dropped (4000 and 9000 B "
			  "do not fit one buffer)");
	for (i = 0; i < 5; i++) {
		struct virtio_net_hdr_mrg h;
		uint32_t len, k;

		if (!mrg && sizes[i] > BUFLEN - 12)
			continue;
		TEST_ASSERT_SUCCESS(take_rx(&e, VT_BUF_OFF, buf, &len, &h),
				    "packet %u received", i);
		expect = (sizes[i] + 12 + BUFLEN - 1) / BUFLEN;
		TEST_ASSERT_EQUAL(h.num_buffers, mrg ? expect : 1,
				  "num_buffers of packet %u", i);
		TEST_ASSERT_EQUAL(len, sizes[i], "length of packet %u", i);
		for (k = 0; k < len; k++)
			TEST_ASSERT_EQUAL(buf[k], vt_pat(i, k), "byte %u of %u", k, i);
		TEST_ASSERT_EQUAL(h.hdr.flags | h.hdr.gso_type, 0, "no offload");
	}
	for (i = 0; i < 5; i++)
		keel_pktmbuf_free(pk[i]);
	/* no buffers left: nothing taken, the mbufs stay the caller's */
	vt_env_fini(&e);
	TEST_ASSERT_SUCCESS(vt_env_init(&e, feat, 64), "env");
	pk[0] = vt_pkt(pool, 100, 2048, 9);
	TEST_ASSERT_EQUAL(keel_vhost_enqueue_burst(e.dev->vid, 0, pk, 1), 0,
			  "no guest buffer");
	keel_vhost_vring_stats_get(e.dev->vid, 0, &st);
	TEST_ASSERT_EQUAL(st.no_buffers, 1, "counted");
	/* a buffer across the two regions */
	vt_use(&e, 0);
	vt_offer(&e, &(struct vt_buf){ VT_GPA + VT_REGION - 40, 200, 1 }, 1, 0);
	TEST_ASSERT_EQUAL(keel_vhost_enqueue_burst(e.dev->vid, 0, pk, 1), 1,
			  "across regions");
	for (i = 0; i < 100; i++)
		TEST_ASSERT_EQUAL(*vt_gva(&e, VT_GPA + VT_REGION - 40 + 12 + i),
				  vt_pat(9, i), "byte %u across regions", i);
	keel_pktmbuf_free(pk[0]);
	vt_env_fini(&e);
	free(buf);
	return TEST_SUCCESS;
}

static int test_enq_split(void) { return get_pool() ? TEST_FAILED : run_enqueue(0, 0); }
static int test_enq_split_mrg(void) { return get_pool() ? TEST_FAILED : run_enqueue(0, 1); }
static int test_enq_packed(void) { return get_pool() ? TEST_FAILED : run_enqueue(F(VIRTIO_F_RING_PACKED), 0); }
static int test_enq_packed_mrg(void) { return get_pool() ? TEST_FAILED : run_enqueue(F(VIRTIO_F_RING_PACKED), 1); }
KEEL_TEST(vhost_enqueue_split, "fast", 0, test_enq_split)
KEEL_TEST(vhost_enqueue_split_mrg, "fast", 0, test_enq_split_mrg)
KEEL_TEST(vhost_enqueue_packed, "fast", 0, test_enq_packed)
KEEL_TEST(vhost_enqueue_packed_mrg, "fast", 0, test_enq_packed_mrg)

/* the guest sends len bytes (after a header hdr) from guest offset at,
 * cut into pieces of at most cut bytes (indirect or direct) */
static void
offer_tx(struct vt_env *e, uint64_t at, const struct virtio_net_hdr_mrg *hdr,
	 uint32_t len, uint32_t seed, uint32_t cut, int indirect)
{
	struct vt_buf b[16];
	uint8_t *p = vt_gva(e, VT_GPA + at);
	uint32_t i, n = 0, off = 0, total = len + 12;

	memcpy(p, hdr, 12);
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
run_dequeue(uint64_t ring)
{
	struct virtio_net_hdr_mrg h = { .num_buffers = 0 };
	static const uint32_t sizes[] = { 60, 1514, 9000, 300 };
	struct keel_mbuf *pk[8];
	struct vt_env e;
	uint16_t id;
	uint32_t ulen;
	unsigned int i, n;

	memset(&h, 0, sizeof(h));
	TEST_ASSERT_SUCCESS(vt_env_init(&e, ring | F(VIRTIO_RING_F_INDIRECT_DESC),
					64), "env");
	for (i = 0; i < 4; i++)
		offer_tx(&e, VT_BUF_OFF + i * 0x4000, &h, sizes[i], i,
			 i == 1 ? 500 : 4000, i == 3);
	/* and one whose bytes cross from region 0 into region 1 */
	offer_tx(&e, VT_REGION - 700, &h, 1400, 7, 4096, 0);
	n = keel_vhost_dequeue_burst(e.dev->vid, 1, pool, pk, 8);
	TEST_ASSERT_EQUAL(n, 5, "five packets");
	for (i = 0; i < 4; i++) {
		TEST_ASSERT(vt_pkt_is(pk[i], sizes[i], i), "bytes of %u", i);
		TEST_ASSERT_EQUAL(pk[i]->ol_flags & ~KEEL_MBUF_F_EXTERNAL, 0,
				  "no flags");
	}
	TEST_ASSERT(pk[2]->nb_segs >= 5, "9000 B in chained mbufs (%u)",
		    pk[2]->nb_segs);
	TEST_ASSERT(vt_pkt_is(pk[4], 1400, 7), "bytes across regions");
	for (i = 0; i < 5; i++) {
		TEST_ASSERT(vt_take_used(&e, &id, &ulen), "used %u", i);
		TEST_ASSERT_EQUAL(ulen, 0, "transmit buffers come back empty");
		keel_pktmbuf_free(pk[i]);
	}
	TEST_ASSERT_EQUAL(keel_vhost_dequeue_burst(e.dev->vid, 1, pool, pk, 8),
			  0, "nothing more");
	/* wrong queue parity and bad ids take nothing */
	TEST_ASSERT_EQUAL(keel_vhost_dequeue_burst(e.dev->vid, 0, pool, pk, 8),
			  0, "even queue");
	TEST_ASSERT_EQUAL(keel_vhost_enqueue_burst(e.dev->vid, 1, pk, 0), 0,
			  "odd queue");
	TEST_ASSERT_EQUAL(keel_vhost_dequeue_burst(-1, 1, pool, pk, 8), 0, "vid");
	vt_env_fini(&e);
	return TEST_SUCCESS;
}

static int test_deq_split(void) { return get_pool() ? TEST_FAILED : run_dequeue(0); }
static int test_deq_packed(void) { return get_pool() ? TEST_FAILED : run_dequeue(F(VIRTIO_F_RING_PACKED)); }
KEEL_TEST(vhost_dequeue_split, "fast", 0, test_deq_split)
KEEL_TEST(vhost_dequeue_packed, "fast", 0, test_deq_packed)

/*
 * Packed rings with IN_ORDER (virtio 1.2, 2.8.9): a burst of transmit
 * buffers comes back as one used descriptor, the last buffer's id with
 * length 0, at the first buffer's slot; the slots of the others keep what
 * the guest wrote (they never look used) and the next used descriptor is
 * after all of the burst's descriptors. Without IN_ORDER, every buffer
 * gets its own. Rounds of 3 to 5 buffers (some of two descriptors) on a
 * ring of 16 wrap it several times.
 */
static int
run_dequeue_in_order(int in_order)
{
	struct virtio_net_hdr_mrg h;
	struct keel_mbuf *pk[8];
	struct vt_env e;
	uint16_t used_slot = 0, heads[8], ids[8], nd[8];
	uint8_t used_wrap = 1;
	unsigned int r, i, k;

	memset(&h, 0, sizeof(h));
	TEST_ASSERT_SUCCESS(vt_env_init(&e, F(VIRTIO_F_RING_PACKED) |
					(in_order ? F(VIRTIO_F_IN_ORDER) : 0),
					16), "env");
	for (r = 0; r < 12; r++) {
		const struct vring_packed_desc *ring;
		uint16_t s, f;

		k = 3 + r % 3;
		for (i = 0; i < k; i++) {
			heads[i] = e.drv[1].avail_idx;
			ids[i] = e.drv[1].next_id;
			nd[i] = (i + r) % 2 ? 2 : 1;
			/* 100 bytes after the header; two descriptors: cut */
			offer_tx(&e, VT_BUF_OFF + i * 0x1000, &h, 100, r * 8 + i,
				 nd[i] == 2 ? 60 : 4000, 0);
		}
		TEST_ASSERT_EQUAL(keel_vhost_dequeue_burst(e.dev->vid, 1, pool,
							   pk, 8), k,
				  "round %u: %u packets", r, k);
		for (i = 0; i < k; i++) {
			TEST_ASSERT(vt_pkt_is(pk[i], 100, r * 8 + i),
				    "round %u: bytes of %u", r, i);
			keel_pktmbuf_free(pk[i]);
		}
		ring = e.vqs[1]->desc_packed;
		for (i = 0; i < k; i++) {
			int want_used = !in_order || i == 0;
			uint16_t want_id = in_order ? ids[k - 1] : ids[i];

			s = heads[i];
			TEST_ASSERT_EQUAL(s, used_slot, "round %u: head %u at "
					  "slot %u", r, i, used_slot);
			f = ring[s].flags;
			TEST_ASSERT_EQUAL(!!(f & VRING_PACKED_DESC_F_AVAIL) ==
					  used_wrap &&
					  !!(f & VRING_PACKED_DESC_F_USED) ==
					  used_wrap, want_used,
					  "round %u: slot %u (buffer %u of %u) "
					  "flags 0x%x", r, s, i, k, f);
			if (want_used) {
				TEST_ASSERT_EQUAL(ring[s].id, want_id,
						  "round %u: used id", r);
				TEST_ASSERT_EQUAL(ring[s].len, 0,
						  "round %u: length 0", r);
			}
			used_slot = (uint16_t)(used_slot + nd[i]);
			if (used_slot >= 16) {
				used_slot = (uint16_t)(used_slot - 16);
				used_wrap ^= 1;
			}
		}
		/* the guest's side of the walk: the used slots, as a driver
		 * steps over them, meet where the device goes on */
		e.drv[1].used_seen = used_slot;
		e.drv[1].used_wrap = used_wrap;
	}
	vt_env_fini(&e);
	return TEST_SUCCESS;
}

static int test_deq_in_order(void) { return get_pool() ? TEST_FAILED : run_dequeue_in_order(1); }
static int test_deq_not_in_order(void) { return get_pool() ? TEST_FAILED : run_dequeue_in_order(0); }
static int test_enq_packed_in_order(void) { return get_pool() ? TEST_FAILED : run_enqueue(F(VIRTIO_F_RING_PACKED) | F(VIRTIO_F_IN_ORDER), 1); }
KEEL_TEST(vhost_dequeue_packed_in_order, "fast", 0, test_deq_in_order)
KEEL_TEST(vhost_dequeue_packed_not_in_order, "fast", 0, test_deq_not_in_order)
KEEL_TEST(vhost_enqueue_packed_in_order, "fast", 0, test_enq_packed_in_order)
