/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offloads through the bursts (virtio-net header <-> mbuf flags), and
 * what a guest can do to a burst: a hole in a mergeable packet, a header
 * that lies about the packet, a missing IOTLB entry (nothing dropped),
 * and the RARP a front-end asks for.
 */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "keel_mbuf.h"
#include "keel_vhost.h"
#include "test.h"
#include "vhost_test_env.h"

#define F(bit) (1ULL << (bit))

static struct keel_mempool *pool;

static uint32_t
sum16(const uint8_t *p, uint32_t len, uint32_t s)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* Ethernet + IPv4 + TCP + payload; the TCP checksum field holds the
 * pseudo-header sum (the Tx offload convention), the IP one 0 */
static uint32_t
build_tcp(uint8_t *p, uint32_t payload)
{
	uint32_t ip_len = 20 + 20 + payload, i, ps;

	memset(p, 0, 54);
	memset(p, 0x02, 12);
	p[12] = 0x08;
	p[14] = 0x45;
	p[16] = (uint8_t)(ip_len >> 8);
	p[17] = (uint8_t)ip_len;
	p[22] = 64;
	p[23] = 6;
	memcpy(p + 26, "\xc0\x00\x02\x01\xc0\x00\x02\x02", 8);
	p[34] = 0x12; p[36] = 0x34;     /* ports */
	p[46] = 0x50;                   /* data offset 5 words */
	for (i = 0; i < payload; i++)
		p[54 + i] = (uint8_t)(i * 13);
	ps = sum16(p + 26, 8, 6 + 20 + payload);
	p[50] = (uint8_t)(ps >> 8);
	p[51] = (uint8_t)ps;
	return 54 + payload;
}

static struct keel_mbuf *
tcp_mbuf(uint32_t payload, uint64_t flags)
{
	struct keel_mbuf *m = keel_pktmbuf_alloc(pool);
	uint32_t len;

	if (m == NULL || 54 + payload > keel_pktmbuf_tailroom(m))
		return NULL;
	len = build_tcp(keel_pktmbuf_mtod(m, uint8_t *), payload);
	keel_pktmbuf_append(m, (uint16_t)len);
	m->ol_flags = flags;
	m->l2_len = 14;
	m->l3_len = 20;
	m->l4_len = 20;
	m->tso_segsz = 1000;
	return m;
}

/* the guest's copy at gpa: header, then the packet; checksums valid? */
static int
tcp_valid(const uint8_t *p, uint32_t len)
{
	uint32_t tcp_len = len - 34;

	return sum16(p + 14, 20, 0) == 0xffff &&
	       sum16(p + 34, tcp_len, sum16(p + 26, 8, 6 + tcp_len)) == 0xffff;
}

static int
enqueue_one(uint64_t feat, struct keel_mbuf *m, struct virtio_net_hdr_mrg *h,
	    uint8_t *copy, int *dropped)
{
	struct keel_vhost_vring_stats st;
	struct vt_env e;
	uint16_t id;
	uint32_t ulen;

	if (vt_env_init(&e, feat, 16) != 0)
		return -1;
	vt_use(&e, 0);
	vt_offer(&e, &(struct vt_buf){ VT_GPA + VT_BUF_OFF, 4096, 1 }, 1, 0);
	if (keel_vhost_enqueue_burst(e.dev->vid, 0, &m, 1) != 1)
		return -1;
	keel_vhost_vring_stats_get(e.dev->vid, 0, &st);
	*dropped = (int)st.dropped;
	if (!*dropped) {
		if (!vt_take_used(&e, &id, &ulen))
			return -1;
		memcpy(h, vt_gva(&e, VT_GPA + VT_BUF_OFF), 12);
		memcpy(copy, vt_gva(&e, VT_GPA + VT_BUF_OFF) + 12, ulen - 12);
	}
	vt_env_fini(&e);
	return 0;
}

static int
test_offload_to_guest(void)
{
	uint64_t csum = KEEL_MBUF_F_TX_TCP_CKSUM | KEEL_MBUF_F_TX_IPV4 |
			KEEL_MBUF_F_TX_IP_CKSUM;
	struct virtio_net_hdr_mrg h;
	struct keel_mbuf *m;
	uint8_t copy[4096];
	int dropped;

	pool = keel_pktmbuf_pool_create("vt_ol", 255, 0, 0,
					KEEL_MBUF_DEFAULT_BUF_SIZE,
					KEEL_SOCKET_ID_ANY);
	TEST_ASSERT(pool != NULL, "pool");
	/* guest does checksums: NEEDS_CSUM, IP checksum done here */
	m = tcp_mbuf(300, csum);
	TEST_ASSERT_SUCCESS(enqueue_one(F(VIRTIO_NET_F_GUEST_CSUM), m, &h, copy,
					&dropped), "enqueue");
	TEST_ASSERT_EQUAL(h.hdr.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM, "flags");
	TEST_ASSERT_EQUAL(h.hdr.csum_start, 34, "csum_start");
	TEST_ASSERT_EQUAL(h.hdr.csum_offset, 16, "csum_offset");
	TEST_ASSERT_EQUAL(sum16(copy + 14, 20, 0), 0xffff, "IP checksum made");
	TEST_ASSERT_EQUAL(copy[50] << 8 | copy[51],
			  keel_pktmbuf_mtod(m, uint8_t *)[50] << 8 |
			  keel_pktmbuf_mtod(m, uint8_t *)[51],
			  "TCP field left to the guest");
	TEST_ASSERT_EQUAL(keel_pktmbuf_mtod(m, uint8_t *)[24], 0,
			  "the caller's mbuf untouched");
	/* guest does not: both checksums finished in the guest's copy */
	TEST_ASSERT_SUCCESS(enqueue_one(0, m, &h, copy, &dropped), "enqueue");
	TEST_ASSERT_EQUAL(h.hdr.flags, 0, "no flags");
	TEST_ASSERT(tcp_valid(copy, m->pkt_len), "checksums valid");
	/* an odd payload length */
	keel_pktmbuf_free(m);
	m = tcp_mbuf(301, csum);
	TEST_ASSERT_SUCCESS(enqueue_one(0, m, &h, copy, &dropped), "enqueue");
	TEST_ASSERT(tcp_valid(copy, m->pkt_len), "checksums valid (odd)");
	keel_pktmbuf_free(m);
	/* TSO: a GSO header when the guest takes it, else dropped */
	m = tcp_mbuf(1800, KEEL_MBUF_F_TX_TCP_SEG | KEEL_MBUF_F_TX_IPV4 |
		     KEEL_MBUF_F_TX_TCP_CKSUM);
	TEST_ASSERT(m != NULL, "mbuf");
	TEST_ASSERT_SUCCESS(enqueue_one(F(VIRTIO_NET_F_GUEST_CSUM) |
			    F(VIRTIO_NET_F_GUEST_TSO4), m, &h, copy, &dropped),
			    "enqueue");
	TEST_ASSERT_EQUAL(h.hdr.gso_type, VIRTIO_NET_HDR_GSO_TCPV4, "gso type");
	TEST_ASSERT_EQUAL(h.hdr.gso_size, 1000, "gso size");
	TEST_ASSERT_EQUAL(h.hdr.hdr_len, 54, "hdr_len");
	TEST_ASSERT_SUCCESS(enqueue_one(F(VIRTIO_NET_F_GUEST_CSUM), m, &h, copy,
					&dropped), "enqueue");
	TEST_ASSERT_EQUAL(dropped, 1, "no GUEST_TSO4: dropped");
	keel_pktmbuf_free(m);
	/* a checksum a NIC verified: DATA_VALID */
	m = tcp_mbuf(10, KEEL_MBUF_F_RX_L4_CKSUM_GOOD);
	TEST_ASSERT_SUCCESS(enqueue_one(F(VIRTIO_NET_F_GUEST_CSUM), m, &h, copy,
					&dropped), "enqueue");
	TEST_ASSERT_EQUAL(h.hdr.flags, VIRTIO_NET_HDR_F_DATA_VALID, "valid");
	keel_pktmbuf_free(m);
	keel_mempool_free(pool);
	return TEST_SUCCESS;
}
KEEL_TEST(vhost_offload_to_guest, "fast", 0, test_offload_to_guest)

/* the guest sends one packet with header h; returns its mbuf */
static struct keel_mbuf *
from_guest(uint64_t feat, int compliant, const struct virtio_net_hdr *h,
	   uint32_t payload, uint64_t *bad)
{
	struct keel_vhost_vring_stats st;
	struct keel_mbuf *m = NULL;
	struct vt_env e;
	uint8_t *p;
	uint32_t len;

	if (vt_env_init(&e, feat, 16) != 0)
		return NULL;
	e.dev->compliant_ol = (uint8_t)compliant;
	p = vt_gva(&e, VT_GPA + VT_BUF_OFF);
	memset(p, 0, 12);
	memcpy(p, h, sizeof(*h));
	len = build_tcp(p + 12, payload);
	vt_use(&e, 1);
	vt_offer(&e, &(struct vt_buf){ VT_GPA + VT_BUF_OFF, 12 + len, 0 }, 1, 0);
	if (keel_vhost_dequeue_burst(e.dev->vid, 1, pool, &m, 1) != 1)
		m = NULL;
	keel_vhost_vring_stats_get(e.dev->vid, 1, &st);
	*bad = st.bad_headers;
	vt_env_fini(&e);
	return m;
}

static int
test_offload_from_guest(void)
{
	struct virtio_net_hdr h = { VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 34,
				    16 };
	struct keel_mbuf *m;
	uint64_t bad;

	pool = keel_pktmbuf_pool_create("vt_ol2", 255, 0, 0,
					KEEL_MBUF_DEFAULT_BUF_SIZE,
					KEEL_SOCKET_ID_ANY);
	TEST_ASSERT(pool != NULL, "pool");
	m = from_guest(F(VIRTIO_NET_F_CSUM), 0, &h, 100, &bad);
	TEST_ASSERT(m != NULL, "packet");
	TEST_ASSERT_EQUAL(m->ol_flags & (KEEL_MBUF_F_TX_L4_MASK |
			  KEEL_MBUF_F_TX_IPV4), KEEL_MBUF_F_TX_TCP_CKSUM |
			  KEEL_MBUF_F_TX_IPV4, "legacy: a Tx checksum request");
	TEST_ASSERT(m->l2_len == 14 && m->l3_len == 20 && m->l4_len == 20,
		    "lengths");
	keel_pktmbuf_free(m);
	m = from_guest(F(VIRTIO_NET_F_CSUM), 1, &h, 100, &bad);
	TEST_ASSERT_EQUAL(m->ol_flags & KEEL_MBUF_F_RX_L4_CKSUM_MASK,
			  KEEL_MBUF_F_RX_L4_CKSUM_NONE, "compliant: not computed");
	keel_pktmbuf_free(m);
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	h.gso_size = 1448;
	m = from_guest(F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_HOST_TSO4), 0, &h,
		       3000, &bad);
	TEST_ASSERT(m->ol_flags & KEEL_MBUF_F_TX_TCP_SEG, "TSO request");
	TEST_ASSERT_EQUAL(m->tso_segsz, 1448, "segment size");
	keel_pktmbuf_free(m);
	/* a header that lies: the packet passes, without flags, counted */
	h.gso_type = 0;
	h.csum_start = 40;
	m = from_guest(F(VIRTIO_NET_F_CSUM), 0, &h, 100, &bad);
	TEST_ASSERT(m != NULL, "packet");
	TEST_ASSERT_EQUAL(m->ol_flags & KEEL_MBUF_F_TX_L4_MASK, 0, "no flags");
	TEST_ASSERT_EQUAL(bad, 1, "counted");
	keel_pktmbuf_free(m);
	h.csum_start = 34;
	h.gso_type = VIRTIO_NET_HDR_GSO_UDP;   /* UDP GSO on a TCP packet */
	h.gso_size = 100;
	m = from_guest(F(VIRTIO_NET_F_CSUM), 0, &h, 100, &bad);
	TEST_ASSERT_EQUAL(bad, 1, "GSO type / protocol mismatch counted");
	keel_pktmbuf_free(m);
	keel_mempool_free(pool);
	return TEST_SUCCESS;
}
KEEL_TEST(vhost_offload_from_guest, "fast", 0, test_offload_from_guest)

static int
test_burst_guest_tricks(void)
{
	struct keel_vhost_vring_stats st;
	struct keel_mbuf *m, *out[4];
	struct vt_env e;
	uint16_t id;
	uint32_t ulen;
	int sp[2] = { -1, -1 };

	pool = keel_pktmbuf_pool_create("vt_tricks", 255, 0, 0,
					KEEL_MBUF_DEFAULT_BUF_SIZE,
					KEEL_SOCKET_ID_ANY);
	TEST_ASSERT(pool != NULL, "pool");
	/* a mergeable packet meets an unusable buffer in the middle */
	TEST_ASSERT_SUCCESS(vt_env_init(&e, F(VIRTIO_NET_F_MRG_RXBUF), 16),
			    "env");
	vt_use(&e, 0);
	vt_offer(&e, &(struct vt_buf){ VT_GPA + VT_BUF_OFF, 1024, 1 }, 1, 0);
	vt_offer(&e, &(struct vt_buf){ 0x1000, 1024, 1 }, 1, 0);
	vt_offer(&e, &(struct vt_buf){ VT_GPA + VT_BUF_OFF + 4096, 2048, 1 },
		 1, 0);
	m = keel_pktmbuf_alloc(pool);
	keel_pktmbuf_append(m, 1500);
	TEST_ASSERT_EQUAL(keel_vhost_enqueue_burst(e.dev->vid, 0, &m, 1), 1,
			  "taken");
	keel_vhost_vring_stats_get(e.dev->vid, 0, &st);
	TEST_ASSERT_EQUAL(st.dropped, 1, "dropped");
	TEST_ASSERT(vt_take_used(&e, &id, &ulen) && ulen == 0, "1st back empty");
	TEST_ASSERT(vt_take_used(&e, &id, &ulen) && ulen == 0, "2nd back empty");
	TEST_ASSERT_EQUAL(keel_vhost_enqueue_burst(e.dev->vid, 0, &m, 1), 1,
			  "the next packet goes");
	TEST_ASSERT(vt_take_used(&e, &id, &ulen) && ulen == 1512, "delivered");
	keel_pktmbuf_free(m);
	/* SEND_RARP: the front-end's request comes out first */
	memcpy(e.dev->rarp_mac, "\x52\x54\x00\x12\x34\x56", 6);
	e.dev->rarp_pending = 1;
	TEST_ASSERT_EQUAL(keel_vhost_dequeue_burst(e.dev->vid, 1, pool, out, 4),
			  1, "RARP");
	TEST_ASSERT(out[0]->pkt_len == 60 &&
		    !memcmp(keel_pktmbuf_mtod(out[0], uint8_t *) + 6,
			    "\x52\x54\x00\x12\x34\x56\x80\x35", 8), "RARP bytes");
	keel_pktmbuf_free(out[0]);
	TEST_ASSERT_EQUAL(keel_vhost_dequeue_burst(e.dev->vid, 1, pool, out, 4),
			  0, "once");
	vt_env_fini(&e);

	/* vIOMMU: the guest's packet waits for its translation, then comes */
	TEST_ASSERT_SUCCESS(vt_env_init(&e, F(VIRTIO_F_IOMMU_PLATFORM), 16),
			    "env");
	TEST_ASSERT_SUCCESS(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
				       SOCK_NONBLOCK, 0, sp), "socketpair");
	e.dev->backend_fd = sp[0];
	e.dev->protocol_features |= F(VHOST_USER_PROTOCOL_F_BACKEND_REQ);
	memset(vt_gva(&e, VT_GPA + VT_BUF_OFF), 0, 12);
	vt_use(&e, 1);
	vt_offer(&e, &(struct vt_buf){ VT_GPA + VT_BUF_OFF, 12 + 100, 0 }, 1, 0);
	TEST_ASSERT_EQUAL(keel_vhost_dequeue_burst(e.dev->vid, 1, pool, out, 4),
			  0, "paused");
	TEST_ASSERT_EQUAL(keel_vhost_dequeue_burst(e.dev->vid, 1, pool, out, 4),
			  0, "still paused");
	vhost_iotlb_update(e.dev, VT_GPA + VT_BUF_OFF, 4096,
			   VT_GPA + VT_BUF_OFF + VT_UOFF, VHOST_ACCESS_RW);
	TEST_ASSERT_EQUAL(keel_vhost_dequeue_burst(e.dev->vid, 1, pool, out, 4),
			  1, "the packet, not dropped");
	TEST_ASSERT_EQUAL(out[0]->pkt_len, 100, "length");
	keel_pktmbuf_free(out[0]);
	keel_vhost_vring_stats_get(e.dev->vid, 1, &st);
	TEST_ASSERT_EQUAL(st.iotlb_misses, 1, "one miss");
	TEST_ASSERT(st.iotlb_paused >= 1, "paused bursts counted");
	close(sp[1]);
	vt_env_fini(&e);
	keel_mempool_free(pool);
	return TEST_SUCCESS;
}
KEEL_TEST(vhost_burst_guest_tricks, "fast", 0, test_burst_guest_tricks)
