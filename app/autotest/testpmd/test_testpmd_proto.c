/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keel-testpmd's protocol engines:
 *  - icmpecho answers a crafted ARP request and ICMP echo requests (plain
 *    and VLAN-tagged) byte for byte as an independent builder says the
 *    replies look, and answers nothing else (announcements, broadcasts,
 *    truncated or non-ICMP packets);
 *  - dmafwd sends copies made by a DMA device (dma_soft behind the IOMMU):
 *    every good packet arrives intact, in order, a chained one too; a
 *    packet whose buffer is not mapped in the IOMMU faults, is counted as
 *    failed, and nothing of it is forwarded.
 */
#include <stdlib.h>

#include <keel_dmadev.h>
#include <keel_emu_iommu.h>
#include <keel_iommu.h>
#include <keel_vdev.h>

#include "fwd_engines.h"
#include "test.h"
#include "tpt_env.h"

/* The test's own frame builder (not the engine's code). */
struct frame {
	uint8_t b[256];
	uint16_t len;
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static const uint8_t host_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t ip_host[4] = { 192, 0, 2, 1 };   /* RFC 5737 */
static const uint8_t ip_us[4] = { 192, 0, 2, 2 };

/* Ethernet (+ optional 802.1Q tag 0x0064) header; returns its length. */
static uint16_t
eth(uint8_t *b, const uint8_t *dst, const uint8_t *src, uint16_t type,
    bool vlan)
{
	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	if (!vlan) {
		put16(b + 12, type);
		return 14;
	}
	put16(b + 12, 0x8100);
	put16(b + 14, 0x0064);
	put16(b + 16, type);
	return 18;
}

static void
arp(struct frame *f, const uint8_t *edst, const uint8_t *esrc, uint16_t op,
    const uint8_t *sha, const uint8_t *spa, const uint8_t *tha,
    const uint8_t *tpa)
{
	uint16_t o = eth(f->b, edst, esrc, 0x0806, false);

	memset(f->b + o, 0, sizeof(f->b) - o);
	put16(f->b + o, 1);
	put16(f->b + o + 2, 0x0800);
	f->b[o + 4] = 6;
	f->b[o + 5] = 4;
	put16(f->b + o + 6, op);
	memcpy(f->b + o + 8, sha, 6);
	memcpy(f->b + o + 14, spa, 4);
	memcpy(f->b + o + 18, tha, 6);
	memcpy(f->b + o + 24, tpa, 4);
	f->len = 60;    /* padded to the minimum frame */
}

/* ICMP echo (type 8 request / 0 reply) with 56 bytes of payload. */
static void
echo(struct frame *f, const uint8_t *edst, const uint8_t *esrc, bool vlan,
     const uint8_t *src, const uint8_t *dst, uint8_t type)
{
	uint16_t o = eth(f->b, edst, esrc, 0x0800, vlan);
	uint8_t *ip = f->b + o, *icmp = ip + 20;

	memset(ip, 0, 84);
	ip[0] = 0x45;
	put16(ip + 2, 84);
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000);          /* DF */
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, csum(ip, 20));
	icmp[0] = type;
	put16(icmp + 4, 0x0042);
	put16(icmp + 6, 7);
	for (int i = 0; i < 56; i++)
		icmp[8 + i] = (uint8_t)(0x10 + i);
	put16(icmp + 2, csum(icmp, 64));
	f->len = (uint16_t)(o + 84);
}

static int
test_testpmd_icmpecho(void)
{
	struct tpt_env e;
	struct frame req[8], exp[3];
	struct keel_mbuf *in[8], *out[8];
	const uint8_t *us;
	unsigned int n = 0;
	int ret = tpt_setup(&e, 1, "icmpecho");

	if (ret != TEST_SUCCESS)
		return ret;
	us = tp.ports[e.port[0]].mac.addr_bytes;

	/* answered: ARP request, echo request, tagged echo request */
	arp(&req[n++], bcast, host_mac, 1, host_mac, ip_host,
	    (const uint8_t[6]){ 0 }, ip_us);
	echo(&req[n++], us, host_mac, false, ip_host, ip_us, 8);
	echo(&req[n++], us, host_mac, true, ip_host, ip_us, 8);
	/* not answered: an ARP announcement, an ARP reply, an echo reply,
	 * a ping to the broadcast address, a truncated echo request */
	arp(&req[n++], bcast, host_mac, 1, host_mac, ip_host,
	    (const uint8_t[6]){ 0 }, ip_host);
	arp(&req[n++], us, host_mac, 2, host_mac, ip_host, us, ip_us);
	echo(&req[n++], us, host_mac, false, ip_host, ip_us, 0);
	echo(&req[n++], bcast, host_mac, false, ip_host,
	     (const uint8_t[4]){ 255, 255, 255, 255 }, 8);
	echo(&req[n], us, host_mac, false, ip_host, ip_us, 8);
	req[n++].len = 14 + 30;         /* IPv4 says 84 bytes */

	arp(&exp[0], host_mac, us, 2, us, ip_us, host_mac, ip_host);
	echo(&exp[1], host_mac, us, false, ip_us, ip_host, 0);
	echo(&exp[2], host_mac, us, true, ip_us, ip_host, 0);
	/* the reply's IPv4 checksum is the request's: swapping two words
	 * does not change a one's complement sum */

	for (unsigned int i = 0; i < n; i++) {
		in[i] = tpt_pkt(req[i].b, req[i].len, 0);
		TEST_ASSERT(in[i] != NULL, "packet %u", i);
	}
	TEST_ASSERT_SUCCESS(tpt_inject(&e, 0, in, n), "inject");
	TEST_ASSERT_SUCCESS(tp_start(0), "start icmpecho");
	TEST_ASSERT_EQUAL(tpt_wait_tx(&e, 0, 3), 3, "three replies");
	for (int t = 0; t < 5000 && tpt_sum_rx() < n; t++)
		keel_delay_us_sleep(1000);
	TEST_ASSERT_SUCCESS(tp_stop(), "stop");
	TEST_ASSERT_EQUAL(tpt_sum_rx(), n, "received");
	TEST_ASSERT_EQUAL(tpt_sum_bad(), n - 3, "not answered");
	TEST_ASSERT_EQUAL(tpt_collect(&e, 0, out, 8), 3, "only three replies");
	for (unsigned int i = 0; i < 3; i++) {
		const uint8_t *d = keel_pktmbuf_mtod(out[i], const uint8_t *);

		TEST_ASSERT_EQUAL(out[i]->pkt_len, exp[i].len, "reply %u length",
				  i);
		for (unsigned int b = 0; b < exp[i].len; b++)
			TEST_ASSERT_EQUAL(d[b], exp[i].b[b],
					  "reply %u byte %u", i, b);
	}
	keel_pktmbuf_free_bulk(out, 3);
	tpt_teardown(&e);
	return TEST_SUCCESS;
}
KEEL_TEST(testpmd_icmpecho, "fast", 0, test_testpmd_icmpecho)

/* ---------------------------------------------------------------- dmafwd */

static unsigned int extbuf_freed;

static void
extbuf_free(void *addr, void *opaque)
{
	(void)addr;
	(void)opaque;
	extbuf_freed++;
}

#define DMA_NPKT 64
#define BAD_IOVA 0xbad000000000ull  /* below 2^48, never mapped */

static int
test_testpmd_dmafwd(void)
{
	static uint8_t bad_buf[512];
	static struct keel_mbuf_ext_shared_info shinfo;
	struct keel_emu_fault_counters fc0 = { 0 }, fc1 = { 0 };
	struct keel_iommu_container *c = keel_iommu_container_default();
	bool emu = c != NULL &&
		   keel_iommu_container_kind(c) == KEEL_IOMMU_EMULATED;
	struct keel_mbuf *in[DMA_NPKT + 2], *out[DMA_NPKT + 2], *bad = NULL;
	uint8_t *want[DMA_NPKT + 2];
	uint32_t want_len[DMA_NPKT + 2];
	unsigned int n = 0, nw = 0, got;
	struct tpt_env e;
	int ret;

	if (keel_vdev_create("dma_soft7", "") < 0)
		return keel_test_skip("cannot create dma_soft7");
	ret = tpt_setup(&e, 2, "dmafwd");
	if (ret != TEST_SUCCESS)
		goto out_dev;
	strcpy(tp.dma_names, "dma_soft7");

	for (unsigned int i = 0; i < DMA_NPKT; i++) {
		uint16_t len = (uint16_t)(60 + (i * 97) % 1441);

		in[n] = tpt_pkt(NULL, len, i);
		want[nw] = malloc(len);
		memcpy(want[nw], keel_pktmbuf_mtod(in[n], void *), len);
		want_len[nw++] = len;
		n++;
		if (i == 10 && c != NULL) {
			/* a packet in a buffer the IOMMU never mapped */
			bad = keel_pktmbuf_alloc(tp.pool);
			shinfo.free_cb = extbuf_free;
			keel_mbuf_ext_refcnt_set(&shinfo, 1);
			keel_pktmbuf_attach_extbuf(bad, bad_buf, BAD_IOVA,
						   sizeof(bad_buf), &shinfo);
			memset(bad_buf, 0xee, sizeof(bad_buf));
			keel_pktmbuf_append(bad, 200);
			in[n++] = bad;
		}
		if (i == 20) {
			/* a chain of two segments: copied with copy_sg */
			struct keel_mbuf *h = tpt_pkt(NULL, 100, 5000);
			struct keel_mbuf *t = tpt_pkt(NULL, 300, 6000);

			want[nw] = malloc(400);
			memcpy(want[nw], keel_pktmbuf_mtod(h, void *), 100);
			memcpy(want[nw] + 100, keel_pktmbuf_mtod(t, void *), 300);
			want_len[nw++] = 400;
			TEST_ASSERT_SUCCESS(keel_pktmbuf_chain(h, t), "chain");
			in[n++] = h;
		}
	}
	if (emu)
		keel_emu_fault_counters_get(&fc0);
	extbuf_freed = 0;
	TEST_ASSERT_SUCCESS(tpt_inject(&e, 0, in, n), "inject");
	TEST_ASSERT_SUCCESS(tp_start(0), "start dmafwd");
	got = tpt_wait_tx(&e, 1, nw);
	for (int t = 0; t < 5000 && tpt_sum_rx() < n; t++)
		keel_delay_us_sleep(1000);
	TEST_ASSERT_SUCCESS(tp_stop(), "stop");
	TEST_ASSERT_EQUAL(got, nw, "good packets forwarded");
	TEST_ASSERT_EQUAL(tpt_collect(&e, 1, out, DMA_NPKT + 2), nw,
			  "nothing more forwarded");
	for (unsigned int i = 0; i < nw; i++) {
		TEST_ASSERT_EQUAL(out[i]->pkt_len, want_len[i], "copy %u length",
				  i);
		TEST_ASSERT_EQUAL(out[i]->nb_segs, 1, "copy %u is one segment",
				  i);
		TEST_ASSERT(memcmp(keel_pktmbuf_mtod(out[i], void *), want[i],
				   want_len[i]) == 0, "copy %u bytes", i);
		free(want[i]);
	}
	keel_pktmbuf_free_bulk(out, nw);
	uint64_t copies = 0, failed = 0;

	for (unsigned int s = 0; s < tp.nb_streams; s++) {
		copies += tp.streams[s].dma_copies;
		failed += tp.streams[s].dma_failed;
	}
	TEST_ASSERT_EQUAL(copies, nw, "copies counted");
	TEST_ASSERT_EQUAL(failed, bad != NULL ? 1 : 0, "failure counted");
	if (bad != NULL)
		TEST_ASSERT_EQUAL(extbuf_freed, 1, "faulting packet freed");
	if (emu) {
		keel_emu_fault_counters_get(&fc1);
		TEST_ASSERT(fc1.not_mapped > fc0.not_mapped,
			    "the IOMMU recorded the fault");
	}
	TEST_ASSERT_EQUAL(keel_mempool_avail_count(tp.pool), tp.pool->size,
			  "mbufs back in the pool");
	tpt_teardown(&e);
out_dev:
	keel_vdev_remove("dma_soft7");
	return ret;
}
KEEL_TEST(testpmd_dmafwd, "fast", 0, test_testpmd_dmafwd)
