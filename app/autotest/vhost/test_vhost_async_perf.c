/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost_async_perf (perf suite): what the forwarding lcore pays per packet
 * to put packets into a guest, synchronous (memcpy) against async (copies
 * on dma_soft's worker thread), by packet size - the point of offloading,
 * and where DMA starts to pay off (the async threshold). The guest is the
 * test itself (vhost_test_env.h), on the same lcore, re-offering buffers
 * as they come back; its work is outside the measured cycles, and so are
 * calls that moved nothing (as DPDK testpmd's record-core-cycles counts
 * only busy iterations). Rounds are
 * interleaved (sync, async, sync, ...) and reported as min/median/max.
 *
 *   keel-autotest -- vhost_async_perf
 */
#include <stdlib.h>
#include <string.h>

#include "keel_cycles.h"
#include "keel_dmadev.h"
#include "keel_eal.h"
#include "keel_mbuf.h"
#include "keel_vdev.h"
#include "keel_vhost.h"
#include "keel_vhost_async.h"
#include "test.h"
#include "test_util.h"
#include "vhost_test_env.h"

#define RING 128
#define BUFLEN 2048
#define NPKT 512            /* packets of the test, reused */
#define ROUNDS 5
#define DMA_NAME "dma_soft_vperf"

static const uint32_t sizes[] = { 64, 256, 1024, 1518, 4096, 9000 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

struct figures {
	double cyc[ROUNDS];   /* forwarding-lcore cycles per packet */
	double mpps[ROUNDS];  /* packets per second, guest work included */
};

static struct keel_mempool *pool;
static int dma = -1;

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
mmm(double *v, double out[3])
{
	qsort(v, ROUNDS, sizeof(*v), cmp_d);
	out[0] = v[0];
	out[1] = v[ROUNDS / 2];
	out[2] = v[ROUNDS - 1];
}


/* the guest takes what it received and offers the buffers again */
static unsigned int
guest_recycle(struct vt_env *e)
{
	unsigned int n = 0;
	uint16_t id;
	uint32_t len;

	while (vt_take_used(e, &id, &len)) {
		uint64_t slot = e->drv[0].next_desc % RING;

		vt_offer(e, &(struct vt_buf){ VT_GPA + VT_BUF_OFF +
			 slot * BUFLEN, BUFLEN, 1 }, 1, 0);
		n++;
	}
	return n;
}

/* one run: @p total packets of @p len bytes; cycles per packet spent in
 * the vhost calls and the overall rate */
static int
run(int async, uint32_t len, uint32_t total, double *cyc, double *mpps)
{
	struct keel_mbuf *pk[NPKT], *burst[32], *back[64];
	struct vt_env e;
	uint32_t free_n = 0, sent = 0, done = 0, i;
	uint64_t spent = 0, t0, t1, start;
	int spins = 0;

	if (vt_env_init(&e, 1ULL << VIRTIO_NET_F_MRG_RXBUF, RING) != 0)
		return -1;
	if (async) {
		struct keel_vhost_async_config cfg = {
			.nb_dma = 1, .dma = { { (int16_t)dma, 0 } },
		};

		if (keel_vhost_async_channel_register(e.dev->vid, 0, &cfg) < 0)
			return -1;
	}
	vt_use(&e, 0);
	for (i = 0; i < RING; i++)
		vt_offer(&e, &(struct vt_buf){ VT_GPA + VT_BUF_OFF +
			 (uint64_t)i * BUFLEN, BUFLEN, 1 }, 1, 0);
	for (i = 0; i < NPKT; i++) {
		pk[i] = vt_pkt(pool, len, 2048, 1);
		if (pk[i] == NULL)
			return -1;
	}
	free_n = NPKT;
	start = keel_get_tsc_cycles();
	while (done < total && spins < 100000000) {
		uint16_t n = 0, want = free_n < 32 ? (uint16_t)free_n : 32, k;

		if (sent + want > total)
			want = (uint16_t)(total - sent);
		for (k = 0; k < want; k++)
			burst[k] = pk[free_n - 1 - k];
		t0 = keel_get_tsc_cycles();
		if (!async) {
			n = keel_vhost_enqueue_burst(e.dev->vid, 0, burst, want);
			t1 = keel_get_tsc_cycles();
			done += n;
			if (n > 0)
				spent += t1 - t0;
		} else {
			uint16_t got;

			n = keel_vhost_submit_enqueue_burst(e.dev->vid, 0, burst,
							    want);
			got = keel_vhost_poll_enqueue_completed(e.dev->vid, 0,
								back, 64, NULL);
			t1 = keel_get_tsc_cycles();
			/* taken ones leave the free stack; back ones return */
			free_n -= n;
			for (k = 0; k < got; k++)
				pk[free_n++] = back[k];
			done += got;
			if (n > 0 || got > 0)
				spent += t1 - t0;
		}
		sent += n;
		guest_recycle(&e);
		spins++;
	}
	*mpps = (double)done * (double)keel_get_tsc_hz() /
		(double)(keel_get_tsc_cycles() - start) / 1e6;
	*cyc = (double)spent / (double)done;
	if (async) {
		while (keel_vhost_async_get_inflight(e.dev->vid, 0) > 0) {
			uint16_t got = keel_vhost_poll_enqueue_completed(
					e.dev->vid, 0, back, 64, NULL);

			for (i = 0; i < got; i++)
				pk[free_n++] = back[i];
			guest_recycle(&e);
		}
		keel_vhost_async_channel_unregister(e.dev->vid, 0);
	}
	for (i = 0; i < free_n; i++)
		keel_pktmbuf_free(pk[i]);
	vt_env_fini(&e);
	return done == total ? 0 : -1;
}

static int
test_async_perf(void)
{
	struct keel_dma_conf conf = { .nb_vchans = 1 };
	struct keel_dma_vchan_conf vc = {
		.direction = KEEL_DMA_DIR_MEM_TO_MEM, .nb_desc = 4096,
	};
	static struct figures f[NSIZES][2];
	unsigned int r, s, m;
	double hz;
	int ret = test_eal_init_str("--no-huge -m 512 --iommu none");

	TEST_ASSERT(ret >= 0, "EAL: %s", strerror(-ret));
	pool = keel_pktmbuf_pool_create("vt_aperf", 8191, 0, 0,
					KEEL_MBUF_DEFAULT_BUF_SIZE,
					KEEL_SOCKET_ID_ANY);
	TEST_ASSERT(pool != NULL, "pool");
	TEST_ASSERT_SUCCESS(keel_vdev_create(DMA_NAME, NULL), "dma_soft");
	dma = keel_dma_get_dev_id_by_name(DMA_NAME);
	TEST_ASSERT(dma >= 0 && keel_dma_configure((int16_t)dma, &conf) == 0 &&
		    keel_dma_vchan_setup((int16_t)dma, 0, &vc) == 0 &&
		    keel_dma_start((int16_t)dma) == 0, "dma start");
	hz = (double)keel_get_tsc_hz();
	for (r = 0; r < ROUNDS; r++)
		for (s = 0; s < NSIZES; s++)
			for (m = 0; m < 2; m++) {
				uint32_t total = sizes[s] > 2000 ? 20000 : 60000;

				TEST_ASSERT_SUCCESS(run((int)m, sizes[s], total,
					&f[s][m].cyc[r], &f[s][m].mpps[r]),
					"%s %u B", m ? "async" : "sync",
					sizes[s]);
			}
	printf("  vhost enqueue into a guest (split, mergeable, 2 KiB buffers),"
	       " %u rounds interleaved, min/median/max;\n  TSC %.0f MHz; async ="
	       " dma_soft on its worker thread, threshold 0\n", ROUNDS, hz / 1e6);
	printf("  %6s %-5s %28s %26s\n", "bytes", "mode",
	       "lcore cycles/packet", "Mpps (guest on the lcore)");
	for (s = 0; s < NSIZES; s++)
		for (m = 0; m < 2; m++) {
			double c[3], p[3];

			mmm(f[s][m].cyc, c);
			mmm(f[s][m].mpps, p);
			printf("  %6u %-5s %8.0f %8.0f %8.0f     %6.3f %6.3f %6.3f\n",
			       sizes[s], m ? "async" : "sync", c[0], c[1], c[2],
			       p[0], p[1], p[2]);
		}
	keel_vdev_remove(DMA_NAME);
	TEST_ASSERT_SUCCESS(keel_eal_cleanup(), "cleanup");
	return TEST_SUCCESS;
}
KEEL_TEST(vhost_async_perf, "perf", TEST_NO_EAL, test_async_perf)
