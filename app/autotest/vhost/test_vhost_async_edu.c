/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Async vhost on a DMA engine of narrow reach behind a real IOMMU: QEMU's
 * edu device (dma_edu, 28-bit DMA mask) over VFIO in devtools/vm's guests
 * ("vfio" suite; skipped without an edu device bound to vfio-pci), and the
 * same flows on dma_soft with dma_mask_bits=28 behind the emulated IOMMU
 * ("fast" suite). Each test initialises its own EAL: --iova-mode alloc
 * (EAL memory, hence the mbufs, at IOVAs from the bottom, below 2^28) and
 * --iommu vfio (edu sits behind the default container, where vhost maps
 * the guest regions: also in the 39-bit VT-d guest, whose EAL memory at
 * IOVA = VA would be beyond the IOMMU's width).
 *  - vhost_async_edu_pmd: net_vhost (one queue pair) <-> net_virtio_user
 *    in one process; first net_vhost's txq0 (host to guest) async on the
 *    engine, then, ports re-created, its rxq0 (guest to host): a few small
 *    packets both ways each time, byte-exact, every async copy by DMA, the
 *    front-end's regions mapped below 2^28.
 *  - vhost_async_edu_regions: the test plays the guest (vt_env): three
 *    regions, each one map call (type1: its own chunk), below 2^28,
 *    adjacent in guest memory: one table entry of three chunks;
 *    REM_MEM_REG of the middle one with a copy into it in flight: the copy
 *    lands, then exactly that chunk is unmapped (one unmap call) while the
 *    neighbours stay, in the table (keel_iommu_walk) and in the IOMMU: the
 *    engine's writes through the outer regions' IOVAs land, through the
 *    removed one's they do not (edu reports no error: the data says).
 *  - vhost_async_edu_other_container: with --iommu emulated, dma_edu sits
 *    in a VFIO container of its own (keel_dma_info.iommu), where guest
 *    memory is not mapped: registration is refused (EINVAL), nothing
 *    mapped, instead of edu reading zeros and reporting success.
 * edu copies take ~100 ms of QEMU time per 4095-byte step (two steps a
 * copy), so the packets are few; timeouts are generous.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "keel_cycles.h"
#include "keel_dmadev.h"
#include "keel_eal.h"
#include "keel_eth_vhost.h"
#include "keel_ethdev.h"
#include "keel_iommu.h"
#include "keel_mbuf.h"
#include "keel_memory.h"
#include "keel_vdev.h"
#include "keel_vhost.h"
#include "keel_vhost_async.h"
#include "test.h"
#include "test_util.h"
#include "vhost_test_env.h"
#include "vhost_test_fe.h"

#define WAIT_NS   60000000000ull   /* 60 s: TCG on a loaded host */
#define SOFT_NAME "dma_soft_edu28"

static struct keel_mempool *pool;
static char dma_name[KEEL_DMADEV_NAME_MAX];
static int16_t dma_id = -1;
static uint64_t mask_end;         /* 2^dma_mask_bits of the engine */

/* EAL and engine: edu (vfio suite) or a 28-bit dma_soft (fast suite).
 * @return TEST_SUCCESS, TEST_SKIPPED or TEST_FAILED */
static int
setup_iommu(int edu, const char *iommu)
{
	struct keel_dma_info info;
	int16_t id;
	int ret;

	memset(&info, 0, sizeof(info));
	if (edu) {
		if (system("grep -qs 0x11e8 /sys/bus/pci/drivers/vfio-pci/*/"
			   "device") != 0)
			return keel_test_skip("no QEMU edu device bound to "
					      "vfio-pci (devtools/vm guests)");
		char args[96];

		snprintf(args, sizeof(args), "--no-huge -m 64 --iommu %s "
			 "--iova-mode alloc", iommu);
		ret = test_eal_init_str(args);
	} else {
		ret = test_eal_init_str("--no-huge -m 64 --iommu emulated "
					"--iova-mode alloc --vdev " SOFT_NAME
					",dma_mask_bits=28");
	}
	TEST_ASSERT(ret >= 0, "EAL init: %s", strerror(-ret));
	pool = keel_pktmbuf_pool_create("vt_edu", 1023, 0, 0,
					KEEL_MBUF_DEFAULT_BUF_SIZE,
					KEEL_SOCKET_ID_ANY);
	TEST_ASSERT(pool != NULL, "pool");
	dma_id = -1;
	KEEL_DMA_FOREACH_DEV(id) {
		if (keel_dma_info_get(id, &info) == 0 &&
		    strcmp(info.driver, edu ? "dma_edu" : "dma_soft") == 0) {
			dma_id = id;
			break;
		}
	}
	TEST_ASSERT(dma_id >= 0, "no %s dmadev (see the log)",
		    edu ? "dma_edu" : "dma_soft");
	snprintf(dma_name, sizeof(dma_name), "%s", info.dev_name);
	TEST_ASSERT_EQUAL(info.dma_mask_bits, 28, "%s: DMA mask", dma_name);
	mask_end = 1ull << info.dma_mask_bits;
	printf("  engine %s (%s), DMA mask %u bits\n", dma_name, info.driver,
	       info.dma_mask_bits);
	return TEST_SUCCESS;
}

static int
setup(int edu)
{
	return setup_iommu(edu, "vfio");
}

static int
teardown(int edu)
{
	if (dma_id >= 0)
		keel_dma_stop(dma_id);
	if (!edu)
		keel_vdev_remove(SOFT_NAME);
	return keel_eal_cleanup() == 0 ? TEST_SUCCESS : TEST_FAILED;
}

/* every DMA-mapped region of the device below the engine's mask */
static int
regions_low(struct vhost_dev *dev, unsigned int *n)
{
	uint32_t i;

	*n = 0;
	for (i = 0; dev->mem != NULL && i < dev->mem->n; i++) {
		const struct vhost_region *r = &dev->mem->r[i];

		if (r->dma_cont == NULL)
			return 0;
		printf("  region %u: guest 0x%llx, 0x%llx bytes, VA 0x%llx at "
		       "IOVA 0x%llx\n", i, (unsigned long long)r->gpa,
		       (unsigned long long)r->dma_len,
		       (unsigned long long)r->dma_va,
		       (unsigned long long)r->dma_iova);
		if (r->dma_iova + r->dma_len > mask_end)
			return 0;
		(*n)++;
	}
	return 1;
}

/* ------------------------------------------------------------ the ports */

static uint8_t
pat(uint32_t seed, uint32_t i)
{
	return (uint8_t)(seed * 13 + i * 3 + (i >> 8));
}

static int
port_up(const char *name, uint16_t *port)
{
	struct keel_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	if (keel_eth_dev_get_port_by_name(name, port) != 0 ||
	    keel_eth_dev_configure(*port, 1, 1, &conf) != 0 ||
	    keel_eth_rx_queue_setup(*port, 0, 256, 0, NULL, pool) != 0 ||
	    keel_eth_tx_queue_setup(*port, 0, 256, 0, NULL) != 0)
		return -1;
	return keel_eth_dev_start(*port);
}

static int
link_up(uint16_t port)
{
	struct keel_eth_link l;
	int i;

	for (i = 0; i < 1000; i++) {
		keel_eth_link_get_nowait(port, &l);
		if (l.link_status)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* n packets from port a to port b, one at a time, checked byte for byte */
static int
flow(uint16_t a, uint16_t b, unsigned int n, uint32_t seed)
{
	static const uint32_t sizes[] = { 60, 1000, 1514, 64 };
	unsigned int i, k;

	for (i = 0; i < n; i++) {
		uint32_t len = sizes[i % 4];
		struct keel_mbuf *m = keel_pktmbuf_alloc(pool), *rx = NULL;
		uint64_t t0 = keel_time_ns();
		uint8_t *p;
		uint16_t r = 0;

		TEST_ASSERT(m != NULL, "mbuf");
		p = (uint8_t *)keel_pktmbuf_append(m, (uint16_t)len);
		for (k = 0; k < len; k++)
			p[k] = pat(seed + i, k);
		while (keel_eth_tx_burst(a, 0, &m, 1) == 0) {
			if (keel_time_ns() - t0 > WAIT_NS) {
				keel_pktmbuf_free(m);
				TEST_ASSERT(0, "packet %u not taken", i);
			}
			usleep(1000);
		}
		while ((r = keel_eth_rx_burst(b, 0, &rx, 1)) == 0 &&
		       keel_time_ns() - t0 < WAIT_NS) {
			struct keel_mbuf *stray;

			/* net_vhost's Rx collects its async Tx completions */
			if (keel_eth_rx_burst(a, 0, &stray, 1) == 1) {
				keel_pktmbuf_free(stray);
				TEST_ASSERT(0, "a packet came back the wrong way");
			}
			usleep(1000);
		}
		TEST_ASSERT_EQUAL(r, 1, "packet %u (%u bytes) arrived", i, len);
		TEST_ASSERT_EQUAL(rx->pkt_len, len, "length of %u", i);
		p = keel_pktmbuf_mtod(rx, uint8_t *);
		for (k = 0; k < len; k++)
			if (p[k] != pat(seed + i, k))
				break;
		keel_pktmbuf_free(rx);
		TEST_ASSERT_EQUAL(k, len, "packet %u intact", i);
	}
	return TEST_SUCCESS;
}

/* one round: net_vhost's queue @p vring (0: txq0, 1: rxq0) on the engine */
static int
pmd_round(uint16_t vring, unsigned int n)
{
	char path[108], vh_args[300], vu_args[200];
	struct keel_vhost_async_stats as;
	struct keel_dma_stats ds0, ds1;
	uint16_t pv, pu;
	unsigned int nreg;
	int vid, r;

	vt_fe_path(path, sizeof(path), vring ? "edu-rx" : "edu-tx");
	snprintf(vh_args, sizeof(vh_args), "iface=%s,queues=1,dmas=[%sq0@%s],"
		 "dma-threshold=0", path, vring ? "rx" : "tx", dma_name);
	/* regions of the allocated memory only: an 8 GiB window cannot be
	 * mapped below 2^28 (nor pinned by VFIO in a 2 GiB guest) */
	snprintf(vu_args, sizeof(vu_args), "path=%s,queues=1,"
		 "mem_regions=allocated", path);
	TEST_ASSERT_SUCCESS(keel_vdev_create("net_vhost0", vh_args), "vhost");
	TEST_ASSERT_SUCCESS(keel_vdev_create("net_virtio_user0", vu_args),
			    "virtio_user");
	TEST_ASSERT_SUCCESS(port_up("net_vhost0", &pv), "vhost port");
	TEST_ASSERT_SUCCESS(port_up("net_virtio_user0", &pu), "vu port");
	TEST_ASSERT(link_up(pv) && link_up(pu), "links up");
	vid = keel_eth_vhost_get_vid_from_port_id(pv);
	TEST_ASSERT(vid >= 0, "vid");
	TEST_ASSERT(regions_low(vhost_dev_get(vid), &nreg) && nreg > 0,
		    "the front-end's regions DMA-mapped below the mask");
	keel_dma_stats_get(dma_id, 0, &ds0);
	r = flow(pv, pu, n, 10 + vring * 10);      /* host to guest */
	if (r == TEST_SUCCESS)
		r = flow(pu, pv, n, 50 + vring * 10);  /* guest to host */
	if (r != TEST_SUCCESS)
		return r;
	keel_dma_stats_get(dma_id, 0, &ds1);
	TEST_ASSERT_SUCCESS(keel_vhost_async_stats_get(vid, vring, &as),
			    "async stats");
	printf("  vring %u async on %s: %llu DMA copies, %llu by CPU, "
	       "%llu DMA errors; dmadev: %llu ops\n", vring, dma_name,
	       (unsigned long long)as.dma_copies,
	       (unsigned long long)as.cpu_copies,
	       (unsigned long long)as.dma_errors,
	       (unsigned long long)(ds1.completed - ds0.completed));
	TEST_ASSERT(as.dma_copies >= n && as.cpu_copies == 0 &&
		    as.dma_errors == 0 && as.beyond_mask == 0,
		    "every copy by DMA, none failed");
	TEST_ASSERT(ds1.completed - ds0.completed >= n &&
		    ds1.errors == ds0.errors, "the engine did them");
	TEST_ASSERT_SUCCESS(keel_eth_dev_close(pu), "close vu");
	TEST_ASSERT_SUCCESS(keel_eth_dev_close(pv), "close vhost");
	keel_vdev_remove("net_virtio_user0");
	keel_vdev_remove("net_vhost0");
	/* net_vhost starts a configured engine again for the next round */
	keel_dma_stop(dma_id);
	return TEST_SUCCESS;
}

static int
run_pmd(int edu)
{
	int ret = setup(edu);

	if (ret != TEST_SUCCESS)
		return ret;
	ret = pmd_round(0, 3);
	if (ret == TEST_SUCCESS)
		ret = pmd_round(1, 3);
	if (teardown(edu) != TEST_SUCCESS)
		return TEST_FAILED;
	return ret;
}

static int test_edu_pmd(void) { return run_pmd(1); }
static int test_soft_pmd(void) { return run_pmd(0); }
KEEL_TEST(vhost_async_edu_pmd, "vfio",
	  TEST_NO_EAL | TEST_NEED_VFIO | TEST_NEED_ROOT, test_edu_pmd)
KEEL_TEST(vhost_async_mask_pmd, "fast", TEST_NO_EAL, test_soft_pmd)

/* ---------------------------------------------------------- the regions */

/* One engine copy of 64 bytes from @p src to @p dst, driven by the test
 * while the queue is idle (nothing of it with the engine: vhost polls a
 * vchan only while it has ops out). @return 0 when it completed. */
static int
engine_copy(uint64_t src, uint64_t dst)
{
	enum keel_dma_status_code st = KEEL_DMA_STATUS_ERROR_UNKNOWN;
	uint64_t t0 = keel_time_ns();
	uint16_t last;

	if (keel_dma_copy(dma_id, 0, src, dst, 64, KEEL_DMA_OP_FLAG_SUBMIT) < 0)
		return -1;
	while (keel_dma_completed_status(dma_id, 0, 1, &last, &st) == 0) {
		if (keel_time_ns() - t0 > WAIT_NS)
			return -1;
		usleep(1000);
	}
	return st == KEEL_DMA_STATUS_SUCCESSFUL ? 0 : -1;
}

static int
run_regions(int edu)
{
	struct keel_vhost_async_config cfg = {
		.nb_dma = 1, .cpu_threshold = 16,   /* the header by CPU */
	};
	struct keel_dma_conf conf = { .nb_vchans = 1 };
	struct keel_dma_vchan_conf vc = {
		.direction = KEEL_DMA_DIR_MEM_TO_MEM, .nb_desc = 32,
	};
	struct vhost_user_mem_region *d;
	struct keel_iommu_stats s0, s1, s2;
	struct keel_iommu_container *c;
	struct keel_mbuf *pk, *out;
	struct vhost_user_msg msg;
	struct vt_regions_seen seen;
	uint8_t failed, *g2, *pat_src;
	uint64_t iova[3], src, t0;
	unsigned int i, nreg;
	struct vt_env e;
	int fd, ret;

	ret = setup(edu);
	if (ret != TEST_SUCCESS)
		return ret;
	c = keel_iommu_container_default();
	TEST_ASSERT(c != NULL, "default container");
	printf("  default container: %s\n",
	       keel_iommu_container_backend_ops(c)->name);
	keel_dma_stop(dma_id);
	TEST_ASSERT(keel_dma_configure(dma_id, &conf) == 0 &&
		    keel_dma_vchan_setup(dma_id, 0, &vc) == 0 &&
		    keel_dma_start(dma_id) == 0, "engine started");
	cfg.dma[0].dev_id = dma_id;
	TEST_ASSERT_SUCCESS(vt_env_init(&e, 0, 64), "env");
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &s0), "stats");
	TEST_ASSERT_SUCCESS(keel_vhost_async_channel_register(e.dev->vid, 0,
			    &cfg), "register: %s", strerror(errno));
	/* a third region, added while async: mapped on arrival */
	TEST_ASSERT_SUCCESS(ftruncate(e.mfd, VT_GSIZE + VT_REGION), "grow");
	g2 = mmap(NULL, VT_REGION, PROT_READ | PROT_WRITE, MAP_SHARED, e.mfd,
		  VT_GSIZE);
	TEST_ASSERT(g2 != MAP_FAILED, "the guest's view of region 2");
	memset(&msg, 0, sizeof(msg));
	d = &msg.payload.mem_single.region;
	d->guest_addr = VT_GPA + VT_GSIZE;
	d->size = VT_REGION;
	d->user_addr = VT_GPA + VT_GSIZE + VT_UOFF;
	d->mmap_offset = VT_GSIZE;
	fd = dup(e.mfd);
	TEST_ASSERT_SUCCESS(vhost_user_add_mem_reg(e.dev, &msg, &fd, 1), "add");
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &s1), "stats");
	TEST_ASSERT(regions_low(e.dev, &nreg) && nreg == 3,
		    "three regions mapped below the mask");
	TEST_ASSERT_EQUAL(s1.backend_maps - s0.backend_maps, 3,
			  "one map call per region");
	memset(&seen, 0, sizeof(seen));
	seen.n = 3;
	for (i = 0; i < 3; i++) {
		seen.va[i] = e.dev->mem->r[i].dma_va;
		seen.len[i] = e.dev->mem->r[i].dma_len;
		iova[i] = e.dev->mem->r[i].dma_iova;
	}
	TEST_ASSERT_SUCCESS(keel_iommu_walk(c, vt_count_region, &seen), "walk");
	for (i = 0; i < 3; i++)
		TEST_ASSERT_EQUAL(seen.hits[i], 1, "region %u: one entry", i);
	/* adjacent in guest memory: adjacent in VA and IOVA, one entry of
	 * three chunks; the backend holds three mappings */
	TEST_ASSERT(vt_entry_is(&seen.m[0], seen.va[0], iova[0], 3 * VT_REGION,
				VT_REGION),
		    "the three regions: one entry of three chunks");
	TEST_ASSERT(memcmp(&seen.m[2], &seen.m[0], sizeof(seen.m[0])) == 0,
		    "the same entry");
	TEST_ASSERT_EQUAL(s1.backend_mappings - s0.backend_mappings, 3,
			  "the backend: one mapping per region");
	/* a packet in flight into the middle region when it goes */
	vt_use(&e, 0);
	vt_offer(&e, &(struct vt_buf){ VT_GPA + VT_REGION + 0x2000, 2048, 1 },
		 1, 0);
	pk = vt_pkt(pool, 1500, 2048, 3);
	TEST_ASSERT(pk != NULL, "mbuf");
	TEST_ASSERT_EQUAL(keel_vhost_submit_enqueue_burst(e.dev->vid, 0, &pk, 1),
			  1, "taken");
	d->guest_addr = VT_GPA + VT_REGION;
	d->user_addr = VT_GPA + VT_REGION + VT_UOFF;
	d->mmap_offset = VT_REGION;
	t0 = keel_time_ns();
	TEST_ASSERT_SUCCESS(vhost_user_rem_mem_reg(e.dev, &msg, NULL, 0), "rem");
	printf("  REM_MEM_REG with a copy in flight: %.0f ms\n",
	       (double)(keel_time_ns() - t0) / 1e6);
	TEST_ASSERT_EQUAL(keel_vhost_poll_enqueue_completed(e.dev->vid, 0, &out,
			  1, &failed), 1, "completed by the drain");
	TEST_ASSERT(out == pk && failed == 0, "delivered before the unmap");
	for (i = 0; i < 1500; i++)
		TEST_ASSERT_EQUAL(*vt_gva(&e, VT_GPA + VT_REGION + 0x2000 + 12 + i),
				  vt_pat(3, i), "byte %u", i);
	keel_pktmbuf_free(out);
	TEST_ASSERT_SUCCESS(keel_iommu_stats_get(c, &s2), "stats");
	TEST_ASSERT_EQUAL(s2.backend_unmaps - s1.backend_unmaps, 1,
			  "one unmap call");
	TEST_ASSERT_EQUAL(s2.backend_errors, s1.backend_errors,
			  "the backend took it");
	memset(&seen.hits, 0, sizeof(seen.hits));
	TEST_ASSERT_SUCCESS(keel_iommu_walk(c, vt_count_region, &seen), "walk");
	TEST_ASSERT(seen.hits[0] == 1 && seen.hits[1] == 0 && seen.hits[2] == 1,
		    "table: outer regions mapped, middle gone (%u %u %u)",
		    seen.hits[0], seen.hits[1], seen.hits[2]);
	TEST_ASSERT(vt_entry_is(&seen.m[0], seen.va[0], iova[0], VT_REGION,
				VT_REGION) &&
		    vt_entry_is(&seen.m[2], seen.va[2], iova[2], VT_REGION,
				VT_REGION),
		    "table: exactly the outer two, as two entries");
	TEST_ASSERT_EQUAL(s2.backend_mappings - s0.backend_mappings, 2,
			  "the backend: the outer two");
	/* the IOMMU's view, through the engine: writes through the outer
	 * regions' IOVAs land, through the removed one's they do not */
	pk = keel_pktmbuf_alloc(pool);
	TEST_ASSERT(pk != NULL, "mbuf");
	pat_src = pk->buf_addr;
	for (i = 0; i < 64; i++)
		pat_src[i] = (uint8_t)(0xa0 + i);
	src = keel_mem_virt2iova(pat_src);
	TEST_ASSERT(src + 64 <= mask_end, "mbuf below the mask");
	memset(vt_gva(&e, VT_GPA + 0x8000), 0, 64);
	memset(vt_gva(&e, VT_GPA + VT_REGION + 0x8000), 0x11, 64);
	memset(g2 + 0x8000, 0, 64);
	TEST_ASSERT_SUCCESS(engine_copy(src, iova[0] + 0x8000), "region 0");
	TEST_ASSERT_SUCCESS(engine_copy(src, iova[2] + 0x8000), "region 2");
	ret = engine_copy(src, iova[1] + 0x8000);
	TEST_ASSERT(memcmp(vt_gva(&e, VT_GPA + 0x8000), pat_src, 64) == 0,
		    "region 0 took the write");
	TEST_ASSERT(memcmp(g2 + 0x8000, pat_src, 64) == 0,
		    "region 2 took the write");
	for (i = 0; i < 64; i++)
		TEST_ASSERT_EQUAL(*vt_gva(&e, VT_GPA + VT_REGION + 0x8000 + i),
				  0x11, "removed region: byte %u written "
				  "(copy status %d)", i, ret);
	printf("  write through the removed region's IOVA 0x%llx: "
	       "status %s, nothing landed\n",
	       (unsigned long long)(iova[1] + 0x8000),
	       ret == 0 ? "successful (edu reports no fault)" : "error");
	keel_pktmbuf_free(pk);
	TEST_ASSERT_SUCCESS(keel_vhost_async_channel_unregister(e.dev->vid, 0),
			    "unregister");
	memset(&seen.hits, 0, sizeof(seen.hits));
	TEST_ASSERT_SUCCESS(keel_iommu_walk(c, vt_count_region, &seen), "walk");
	TEST_ASSERT_EQUAL(seen.hits[0] + seen.hits[2], 0, "all unmapped");
	munmap(g2, VT_REGION);
	vt_env_fini(&e);
	return teardown(edu);
}

static int test_edu_regions(void) { return run_regions(1); }
static int test_soft_regions(void) { return run_regions(0); }
KEEL_TEST(vhost_async_edu_regions, "vfio",
	  TEST_NO_EAL | TEST_NEED_VFIO | TEST_NEED_ROOT, test_edu_regions)
KEEL_TEST(vhost_async_mask_regions, "fast", TEST_NO_EAL, test_soft_regions)

/* ------------------------------------------- the engine's own container */

static int
test_edu_other_container(void)
{
	struct keel_vhost_async_config cfg = { .nb_dma = 1 };
	struct keel_dma_conf conf = { .nb_vchans = 1 };
	struct keel_dma_vchan_conf vc = {
		.direction = KEEL_DMA_DIR_MEM_TO_MEM, .nb_desc = 32,
	};
	struct keel_iommu_container *c;
	struct keel_dma_info info;
	struct vt_env e;
	unsigned int i;
	int ret = setup_iommu(1, "emulated");

	if (ret != TEST_SUCCESS)
		return ret;
	c = keel_iommu_container_default();
	TEST_ASSERT_SUCCESS(keel_dma_info_get(dma_id, &info), "info");
	TEST_ASSERT(info.iommu != NULL && info.iommu != c,
		    "edu in a container of its own (%s), default %s",
		    info.iommu != NULL ?
		    keel_iommu_container_backend_ops(info.iommu)->name : "?",
		    c != NULL ? keel_iommu_container_backend_ops(c)->name :
				"none");
	keel_dma_stop(dma_id);
	TEST_ASSERT(keel_dma_configure(dma_id, &conf) == 0 &&
		    keel_dma_vchan_setup(dma_id, 0, &vc) == 0 &&
		    keel_dma_start(dma_id) == 0, "engine started");
	TEST_ASSERT_SUCCESS(vt_env_init(&e, 0, 64), "env");
	cfg.dma[0].dev_id = dma_id;
	errno = 0;
	TEST_ASSERT(keel_vhost_async_channel_register(e.dev->vid, 0, &cfg) < 0
		    && errno == EINVAL, "refused (%s)", strerror(errno));
	for (i = 0; i < e.dev->mem->n; i++)
		TEST_ASSERT(e.dev->mem->r[i].dma_cont == NULL,
			    "region %u not mapped", i);
	TEST_ASSERT(keel_vhost_async_get_inflight(e.dev->vid, 0) < 0,
		    "the queue stayed synchronous");
	vt_env_fini(&e);
	return teardown(1);
}
KEEL_TEST(vhost_async_edu_other_container, "vfio",
	  TEST_NO_EAL | TEST_NEED_VFIO | TEST_NEED_ROOT,
	  test_edu_other_container)
