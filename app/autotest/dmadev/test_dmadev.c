/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Generic dmadev tests: each test runs against every DMA device present
 * (devices from --vdev or other drivers) plus soft devices it creates by
 * API in every mode (inline, worker thread, worker lcore, reorder). Tests
 * check the API contract, data, fences and stats here; the error paths
 * (test_dmadev_errors.c) need a device behind the emulated IOMMU and skip
 * elsewhere.
 */#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "keel_dmadev.h"
#include "keel_eal.h"
#include "keel_emu_iommu.h"
#include "keel_iommu.h"
#include "keel_malloc.h"
#include "keel_memory.h"
#include "keel_vdev.h"
#include "test.h"

#include "dmadev_test.h"

/* ---------------------------------------------------------- API contract */

static int
api_dev(int16_t id, const struct keel_dma_info *info)
{
	struct keel_dma_conf conf = { .nb_vchans = 1 };
	struct keel_dma_vchan_conf vc = {
		.direction = KEEL_DMA_DIR_MEM_TO_MEM, .nb_desc = info->min_desc,
	};
	struct keel_dma_stats st;
	enum keel_dma_vchan_status vs;
	char *log;

	TEST_ASSERT(info->max_vchans >= 1 && info->min_desc >= 1 &&
		    info->max_desc >= info->min_desc, "sane info");
	TEST_ASSERT(info->dev_capa & KEEL_DMA_CAPA_MEM_TO_MEM, "mem-to-mem");
	TEST_ASSERT_EQUAL(keel_dma_get_dev_id_by_name(info->dev_name), id,
			  "lookup by name");
	/* bad configurations, each refused with the state unchanged */
	conf.nb_vchans = 0;
	TEST_ASSERT_EQUAL(keel_dma_configure(id, &conf), -EINVAL, "0 vchans");
	conf.nb_vchans = (uint16_t)(info->max_vchans + 1);
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_dma_configure(id, &conf), -EINVAL, "too many");
	log = test_log_capture_stop();
	char want[32];

	snprintf(want, sizeof(want), "nb_vchans %u", conf.nb_vchans);
	TEST_ASSERT(strstr(log, want) != NULL, "log names the value: %s", log);
	free(log);
	conf.nb_vchans = 1;
	conf.flags = 0x8000;
	TEST_ASSERT_EQUAL(keel_dma_configure(id, &conf), -EINVAL, "flags");
	conf.flags = 0;
	TEST_ASSERT_EQUAL(keel_dma_configure(id, NULL), -EINVAL, "NULL conf");
	TEST_ASSERT_SUCCESS(keel_dma_configure(id, &conf), "configure");
	/* start before the vchan is set up */
	TEST_ASSERT_EQUAL(keel_dma_start(id), -EINVAL, "start w/o vchan");
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_dma_copy(id, 0, 4096, 8192, 64, 0), -EINVAL,
			  "copy on a stopped device");
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "is not started") != NULL, "log says why: %s",
		    log);
	free(log);
	TEST_ASSERT_EQUAL(keel_dma_burst_capacity(id, 0), 0, "capacity");
	vc.nb_desc = (uint16_t)(info->min_desc + 1);
	TEST_ASSERT_EQUAL(keel_dma_vchan_setup(id, 0, &vc), -EINVAL,
			  "nb_desc not a power of two");
	vc.nb_desc = (uint16_t)(info->min_desc / 2);
	if (vc.nb_desc > 0)
		TEST_ASSERT_EQUAL(keel_dma_vchan_setup(id, 0, &vc), -EINVAL,
				  "nb_desc below min");
	vc.nb_desc = info->min_desc;
	TEST_ASSERT_EQUAL(keel_dma_vchan_setup(id, 1, &vc), -EINVAL,
			  "vchan beyond nb_vchans");
	if (!(info->dev_capa & KEEL_DMA_CAPA_DEV_TO_DEV)) {
		vc.direction = KEEL_DMA_DIR_DEV_TO_DEV;
		TEST_ASSERT_EQUAL(keel_dma_vchan_setup(id, 0, &vc), -EINVAL,
				  "unsupported direction");
		vc.direction = KEEL_DMA_DIR_MEM_TO_MEM;
	}
	TEST_ASSERT_SUCCESS(keel_dma_vchan_setup(id, 0, &vc), "vchan setup");
	TEST_ASSERT_SUCCESS(keel_dma_start(id), "start");
	TEST_ASSERT_SUCCESS(keel_dma_start(id), "start twice");
	TEST_ASSERT_EQUAL(keel_dma_configure(id, &conf), -EBUSY,
			  "configure while started");
	TEST_ASSERT_EQUAL(keel_dma_vchan_setup(id, 0, &vc), -EBUSY,
			  "vchan setup while started");
	/* fast-path argument checks */
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_dma_copy(id, 7, 4096, 8192, 64, 0), -EINVAL,
			  "bad vchan");
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "vchan 7") != NULL, "log names vchan: %s", log);
	free(log);
	TEST_ASSERT_EQUAL(keel_dma_copy(id, 0, 4096, 8192, 0, 0), -EINVAL,
			  "zero length");
	TEST_ASSERT_EQUAL(keel_dma_fill(id, 0, 0, 8192, 0, 0), -EINVAL,
			  "zero fill length");
	struct keel_dma_sge sg[2] = { { 4096, 64 }, { 8192, 64 } };

	TEST_ASSERT_EQUAL(keel_dma_copy_sg(id, 0, sg, sg, 0, 1, 0), -EINVAL,
			  "no source sges");
	TEST_ASSERT_EQUAL(keel_dma_copy_sg(id, 0, sg, sg,
					   (uint16_t)(info->max_sges + 1), 1, 0),
			  -EINVAL, "too many sges");
	if (info->dev_capa & KEEL_DMA_CAPA_OPS_COPY_SG)
		TEST_ASSERT_EQUAL(keel_dma_copy_sg(id, 0, sg, sg, 2, 1, 0),
				  -EINVAL, "unequal totals");
	TEST_ASSERT_EQUAL(keel_dma_burst_capacity(id, 0), info->min_desc,
			  "nothing was enqueued by the failed calls");
	TEST_ASSERT_EQUAL(keel_dma_stats_get(id, 3, &st), -EINVAL,
			  "stats of a bad vchan");
	TEST_ASSERT_EQUAL(keel_dma_stats_get(id, 0, NULL), -EINVAL,
			  "NULL stats");
	TEST_ASSERT_SUCCESS(keel_dma_vchan_status(id, 0, &vs), "status");
	TEST_ASSERT_EQUAL(vs, KEEL_DMA_VCHAN_IDLE, "idle");
	/* dump names the device and its vchan */
	char *dump = NULL;
	size_t dump_len = 0;
	FILE *f = open_memstream(&dump, &dump_len);

	TEST_ASSERT(f != NULL, "memstream");
	TEST_ASSERT_SUCCESS(keel_dma_dump(id, f), "dump");
	fclose(f);
	TEST_ASSERT(strstr(dump, info->dev_name) != NULL &&
		    strstr(dump, "vchan 0") != NULL, "dump: %s", dump);
	free(dump);
	TEST_ASSERT_SUCCESS(keel_dma_stop(id), "stop");
	TEST_ASSERT_EQUAL(keel_dma_copy(id, 0, 4096, 8192, 64, 0), -EINVAL,
			  "copy after stop");
	return TEST_SUCCESS;
}

static int
test_dmadev_api(void)
{
	struct keel_dma_info info;
	char *log;
	int16_t id;
	uint16_t n0 = keel_dma_count_avail();

	/* bad ids on every entry point */
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_dma_info_get(-1, &info), -EINVAL, "id -1");
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "-1") != NULL, "log names the id: %s", log);
	free(log);
	TEST_ASSERT_EQUAL(keel_dma_info_get(KEEL_DMADEV_MAX, &info), -EINVAL,
			  "id max");
	TEST_ASSERT_EQUAL(keel_dma_configure(KEEL_DMADEV_MAX - 1, NULL),
			  -EINVAL, "configure bad id");
	TEST_ASSERT_EQUAL(keel_dma_start(-5), -EINVAL, "start bad id");
	TEST_ASSERT_EQUAL(keel_dma_stop(999), -EINVAL, "stop bad id");
	TEST_ASSERT_EQUAL(keel_dma_close(-1), -EINVAL, "close bad id");
	TEST_ASSERT_EQUAL(keel_dma_dump(-1, NULL), -EINVAL, "dump bad id");
	TEST_ASSERT(!keel_dma_is_valid(-1) && !keel_dma_is_valid(999),
		    "is_valid");
	TEST_ASSERT_EQUAL(keel_dma_get_dev_id_by_name("no_such_dma"), -ENODEV,
			  "lookup");
	TEST_ASSERT_EQUAL(keel_dma_get_dev_id_by_name(NULL), -EINVAL, "NULL");
	test_log_capture_start();
	TEST_ASSERT_EQUAL(keel_dma_copy(-3, 0, 4096, 8192, 64, 0), -EINVAL,
			  "fast path bad id");
	TEST_ASSERT_EQUAL(keel_dma_copy(KEEL_DMADEV_MAX - 1, 0, 4096, 8192, 64,
					0), -EINVAL, "fast path free slot");
	TEST_ASSERT_EQUAL(keel_dma_submit(KEEL_DMADEV_MAX + 3, 0), -EINVAL,
			  "submit bad id");
	TEST_ASSERT_EQUAL(keel_dma_completed(-1, 0, 8, NULL, NULL), 0,
			  "completed bad id");
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "dev -3") != NULL, "log names the id: %s", log);
	TEST_ASSERT(strstr(log, "does not exist") != NULL,
		    "a free slot's dummy says so: %s", log);
	free(log);

	int ret = dmt_for_each_dev("api", api_dev);

	if (ret != TEST_SUCCESS)
		return ret;
	TEST_ASSERT_EQUAL(keel_dma_count_avail(), n0, "test devices removed");
	/* a closed device's id is invalid */
	TEST_ASSERT_SUCCESS(keel_vdev_create("dma_soft_t_close", "mode=inline"),
			    "create");
	id = (int16_t)keel_dma_get_dev_id_by_name("dma_soft_t_close");
	TEST_ASSERT(id >= 0, "id");
	TEST_ASSERT_SUCCESS(keel_dma_close(id), "close");
	TEST_ASSERT(!keel_dma_is_valid(id), "closed id invalid");
	TEST_ASSERT_EQUAL(keel_dma_info_get(id, &info), -EINVAL, "info closed");
	TEST_ASSERT_SUCCESS(keel_vdev_remove("dma_soft_t_close"),
			    "bus remove after close");
	return TEST_SUCCESS;
}
KEEL_TEST(dmadev_api, "fast", 0, test_dmadev_api)

/* ------------------------------------------------------- ring and indexes */

static int
ring_dev(int16_t id, const struct keel_dma_info *info)
{
	uint16_t nb = info->min_desc < 64 ? 64 : info->min_desc;
	enum keel_dma_status_code st[1024];
	uint64_t src_iova, dst_iova;
	uint8_t *src, *dst;
	uint16_t last = 0;
	int ret = TEST_FAILED;
	uint32_t total = 70000, done = 0, enq = 0;

	if (nb > info->max_desc || nb > 64)
		return keel_test_skip("ring of 64 not supported");
	src = dmt_buf_alloc(4096, &src_iova);
	dst = dmt_buf_alloc(4096, &dst_iova);
	if (src == NULL || dst == NULL)
		goto out;
	memset(src, 0x5a, 4096);
	if (dmt_dev_setup(id, 1, nb) < 0)
		goto out;
	/* ring full: nb ops fit, the next is -ENOSPC, nothing submitted */
	for (uint16_t i = 0; i < nb; i++) {
		int r = keel_dma_copy(id, 0, src_iova, dst_iova, 8, 0);

		if (r != i) {
			printf("  enqueue %u returned %d\n", i, r);
			goto out;
		}
	}
	if (keel_dma_burst_capacity(id, 0) != 0 ||
	    keel_dma_copy(id, 0, src_iova, dst_iova, 8, 0) != -ENOSPC ||
	    keel_dma_fill(id, 0, 0, dst_iova, 8, 0) != -ENOSPC) {
		printf("  full ring not reported\n");
		goto out;
	}
	keel_dma_submit(id, 0);
	if (dmt_collect(id, 0, nb, &last, st) != nb || last != nb - 1) {
		printf("  dmt_collect after full: last %u\n", last);
		goto out;
	}
	if (keel_dma_burst_capacity(id, 0) != nb) {
		printf("  capacity not restored\n");
		goto out;
	}
	/* 70000 more ops: indexes wrap past 65535. A larger ring means fewer
	 * hand-offs to a worker (the test stays quick on a busy machine). */
	keel_dma_stop(id);
	nb = info->max_desc < 1024 ? info->max_desc : 1024;
	if (dmt_dev_setup(id, 1, nb) < 0)
		goto out;
	done = enq = 0;
	while (done < total) {
		while (enq < total && enq - done < nb) {
			int r = keel_dma_copy(id, 0, src_iova, dst_iova, 8,
					      KEEL_DMA_OP_FLAG_SUBMIT);

			if (r != (int)(enq & 0xffff)) {
				printf("  op %u got index %d\n", enq, r);
				goto out;
			}
			enq++;
		}
		uint16_t n = dmt_collect(id, 0, (uint16_t)(enq - done), &last, st);

		if (n != enq - done || last != (uint16_t)(enq - 1)) {
			printf("  collected %u of %u, last %u want %u\n", n,
			       enq - done, last, (uint16_t)(enq - 1));
			goto out;
		}
		for (uint16_t i = 0; i < n; i++)
			if (st[i] != KEEL_DMA_STATUS_SUCCESSFUL) {
				printf("  op status %d\n", st[i]);
				goto out;
			}
		done += n;
	}
	/* after a restart the indexes start at 0 again */
	keel_dma_stop(id);
	keel_dma_start(id);
	if (keel_dma_copy(id, 0, src_iova, dst_iova, 8, 0) != 0) {
		printf("  index after restart not 0\n");
		goto out;
	}
	ret = TEST_SUCCESS;
out:
	keel_free(src);
	keel_free(dst);
	return ret;
}

static int
test_dmadev_ring(void)
{
	return dmt_for_each_dev("ring", ring_dev);
}
KEEL_TEST(dmadev_ring, "fast", 0, test_dmadev_ring)

/* --------------------------------------------------------------- data */

#define DATA_BUF (256 * 1024)


static int
data_dev(int16_t id, const struct keel_dma_info *info)
{
	uint64_t seed = keel_test_seed(), rs = seed | 1;
	uint64_t src_iova, dst_iova;
	uint8_t *src, *dst, *model = malloc(DATA_BUF);
	enum keel_dma_status_code st[32];
	uint16_t last, nv = info->max_vchans < 2 ? 1 : 2;
	int ret = TEST_FAILED;

	src = dmt_buf_alloc(DATA_BUF, &src_iova);
	dst = dmt_buf_alloc(DATA_BUF, &dst_iova);
	if (src == NULL || dst == NULL || model == NULL)
		goto out;
	for (size_t i = 0; i < DATA_BUF; i++)
		src[i] = (uint8_t)test_rand(&rs);
	memset(dst, 0xee, DATA_BUF);
	memcpy(model, dst, DATA_BUF);
	if (dmt_dev_setup(id, nv, 32) < 0)
		goto out;
	for (int round = 0; round < 40; round++) {
		uint16_t v = (uint16_t)(round % nv);
		int kind = (int)(test_rand(&rs) % 3), r = -1;
		uint32_t len = 1 + (uint32_t)(test_rand(&rs) % 65536);
		uint32_t so = (uint32_t)(test_rand(&rs) % (DATA_BUF - 65552));
		uint32_t dof = (uint32_t)(test_rand(&rs) % (DATA_BUF - 65552));

		if (kind == 1 && !(info->dev_capa & KEEL_DMA_CAPA_OPS_COPY_SG))
			kind = 0;
		if (kind == 2 && !(info->dev_capa & KEEL_DMA_CAPA_OPS_FILL))
			kind = 0;
		if (kind == 0) {
			r = keel_dma_copy(id, v, src_iova + so, dst_iova + dof,
					  len, KEEL_DMA_OP_FLAG_SUBMIT);
			memcpy(model + dof, src + so, len);
		} else if (kind == 1) {
			/* split both sides at random points */
			struct keel_dma_sge s[16], d[16];
			uint16_t ns = (uint16_t)(1 + test_rand(&rs) %
					(info->max_sges < 16 ? info->max_sges : 16));
			uint16_t nd = (uint16_t)(1 + test_rand(&rs) %
					(info->max_sges < 16 ? info->max_sges : 16));
			uint32_t off = 0, rem;

			if (len < 16)
				len = 16;
			ns = ns > len ? (uint16_t)len : ns;
			nd = nd > len ? (uint16_t)len : nd;
			rem = len;
			/* source pieces are scattered, non-overlapping */
			for (uint16_t i = 0; i < ns; i++) {
				uint32_t l = i == ns - 1 ? rem :
					1 + (uint32_t)(test_rand(&rs) %
						       (rem - (ns - 1 - i)));
				if (rem - l < (uint32_t)(ns - 1 - i))
					l = rem - (ns - 1 - i);
				s[i].addr = src_iova + so + off;
				s[i].length = l;
				memcpy(model + dof + off, src + so + off, l);
				off += l;
				rem -= l;
			}
			rem = len;
			off = 0;
			for (uint16_t i = 0; i < nd; i++) {
				uint32_t l = i == nd - 1 ? rem :
					1 + (uint32_t)(test_rand(&rs) %
						       (rem - (nd - 1 - i)));
				if (rem - l < (uint32_t)(nd - 1 - i))
					l = rem - (nd - 1 - i);
				d[i].addr = dst_iova + dof + off;
				d[i].length = l;
				off += l;
				rem -= l;
			}
			r = keel_dma_copy_sg(id, v, s, d, ns, nd,
					     KEEL_DMA_OP_FLAG_SUBMIT);
		} else {
			uint64_t pat = test_rand(&rs);

			r = keel_dma_fill(id, v, pat, dst_iova + dof, len,
					  KEEL_DMA_OP_FLAG_SUBMIT);
			for (uint32_t i = 0; i < len; i++)
				model[dof + i] = (uint8_t)(pat >> (8 * (i % 8)));
		}
		if (r < 0) {
			printf("  round %d kind %d: enqueue %d (seed %" PRIu64
			       ")\n", round, kind, r, seed);
			goto out;
		}
		if (dmt_collect(id, v, 1, &last, st) != 1 ||
		    st[0] != KEEL_DMA_STATUS_SUCCESSFUL || last != r) {
			printf("  round %d kind %d: status %d last %u idx %d (seed %"
			       PRIu64 ")\n", round, kind, st[0], last, r, seed);
			goto out;
		}
		if (dmt_check_region(dst, model, DATA_BUF, "destination") < 0) {
			printf("  round %d kind %d len %u (seed %" PRIu64 ")\n",
			       round, kind, len, seed);
			goto out;
		}
	}
	/* a burst over all vchans, collected with completed() */
	for (int k = 0; k < 16; k++) {
		uint16_t v = (uint16_t)(k % nv);
		uint32_t off = (uint32_t)k * 4096;

		if (keel_dma_copy(id, v, src_iova + off, dst_iova + off, 4096,
				  0) < 0)
			goto out;
		memcpy(model + off, src + off, 4096);
	}
	for (uint16_t v = 0; v < nv; v++) {
		uint64_t t0 = dmt_now_ns();
		uint16_t got = 0, want = (uint16_t)(16 / nv);
		bool err = false;

		keel_dma_submit(id, v);
		while (got < want && !err && dmt_now_ns() - t0 < POLL_TIMEOUT_NS)
			got += keel_dma_completed(id, v, 32, &last, &err);
		if (got != want || err) {
			printf("  burst vchan %u: %u of %u, error %d\n", v, got,
			       want, err);
			goto out;
		}
	}
	if (dmt_check_region(dst, model, DATA_BUF, "burst destination") < 0)
		goto out;
	ret = TEST_SUCCESS;
out:
	keel_free(src);
	keel_free(dst);
	free(model);
	return ret;
}

static int
test_dmadev_data(void)
{
	return dmt_for_each_dev("data", data_dev);
}
KEEL_TEST(dmadev_data, "fast", TEST_RANDOM, test_dmadev_data)

/* ---------------------------------------------------------------- fence */

/*
 * fill A; copy A -> B. With FENCE on the copy, B must hold the fill
 * pattern on every device. The reorder=1 soft device runs unfenced ops
 * backwards, so there the same pair without FENCE must show the old A:
 * that proves the check can fail.
 */
static int
fence_dev(int16_t id, const struct keel_dma_info *info)
{
	enum keel_dma_status_code st[4];
	uint64_t a_iova, b_iova;
	uint8_t *a, *b, want[4096];
	uint16_t last;
	int ret = TEST_FAILED, reorder;

	if (!(info->dev_capa & KEEL_DMA_CAPA_OPS_FILL))
		return TEST_SUCCESS;
	reorder = strcmp(info->dev_name, "dma_soft_t_reorder") == 0;
	a = dmt_buf_alloc(4096, &a_iova);
	b = dmt_buf_alloc(4096, &b_iova);
	if (a == NULL || b == NULL || dmt_dev_setup(id, 1, 32) < 0)
		goto out;
	for (int fenced = 1; fenced >= 0; fenced--) {
		memset(a, 0x11, 4096);
		memset(b, 0x00, 4096);
		if (keel_dma_fill(id, 0, 0x7777777777777777ull, a_iova, 4096,
				  0) < 0 ||
		    keel_dma_copy(id, 0, a_iova, b_iova, 4096,
				  (fenced ? KEEL_DMA_OP_FLAG_FENCE : 0) |
				  KEEL_DMA_OP_FLAG_SUBMIT) < 0)
			goto out;
		if (dmt_collect(id, 0, 2, &last, st) != 2 ||
		    st[0] != KEEL_DMA_STATUS_SUCCESSFUL ||
		    st[1] != KEEL_DMA_STATUS_SUCCESSFUL) {
			printf("  fence pair did not complete\n");
			goto out;
		}
		memset(want, fenced || !reorder ? 0x77 : 0x11, 4096);
		if (fenced || reorder) {
			if (dmt_check_region(b, want, 4096, fenced ?
					 "fenced copy" : "unfenced reordered copy")
			    < 0)
				goto out;
		}
	}
	ret = TEST_SUCCESS;
out:
	keel_free(a);
	keel_free(b);
	return ret;
}

static int
test_dmadev_fence(void)
{
	return dmt_for_each_dev("fence", fence_dev);
}
KEEL_TEST(dmadev_fence, "fast", 0, test_dmadev_fence)

/* ---------------------------------------------------------------- stats */

static int
stats_dev(int16_t id, const struct keel_dma_info *info)
{
	enum keel_dma_status_code st[32];
	struct keel_dma_stats s0, s1, all;
	uint64_t a_iova, b_iova;
	uint8_t *a, *b;
	uint16_t last, nv = info->max_vchans < 2 ? 1 : 2;
	int ret = TEST_FAILED;

	a = dmt_buf_alloc(4096, &a_iova);
	b = dmt_buf_alloc(4096, &b_iova);
	if (a == NULL || b == NULL || dmt_dev_setup(id, nv, 32) < 0)
		goto out;
	for (int i = 0; i < 10; i++)
		keel_dma_copy(id, 0, a_iova, b_iova, 100, 0);
	/* enqueued but not submitted: not counted */
	if (keel_dma_stats_get(id, 0, &s0) < 0 || s0.submitted != 0) {
		printf("  unsubmitted ops counted: %" PRIu64 "\n", s0.submitted);
		goto out;
	}
	keel_dma_submit(id, 0);
	if (dmt_collect(id, 0, 10, &last, st) != 10)
		goto out;
	if (nv > 1) {
		for (int i = 0; i < 3; i++)
			keel_dma_copy(id, 1, a_iova, b_iova, 100,
				      KEEL_DMA_OP_FLAG_SUBMIT);
		if (dmt_collect(id, 1, 3, &last, st) != 3)
			goto out;
	}
	if (keel_dma_stats_get(id, 0, &s0) < 0 ||
	    keel_dma_stats_get(id, KEEL_DMA_ALL_VCHAN, &all) < 0)
		goto out;
	if (s0.submitted != 10 || s0.completed != 10 || s0.errors != 0 ||
	    all.submitted != 10 + (nv > 1 ? 3 : 0) ||
	    all.completed != all.submitted) {
		printf("  stats vchan0 %" PRIu64 "/%" PRIu64 "/%" PRIu64
		       " all %" PRIu64 "/%" PRIu64 "\n", s0.submitted,
		       s0.completed, s0.errors, all.submitted, all.completed);
		goto out;
	}
	if (keel_dma_stats_reset(id, 0) < 0 ||
	    keel_dma_stats_get(id, 0, &s1) < 0 ||
	    s1.submitted != 0 || s1.completed != 0) {
		printf("  reset did not zero vchan 0\n");
		goto out;
	}
	if (nv > 1 && (keel_dma_stats_get(id, 1, &s1) < 0 ||
		       s1.submitted != 3)) {
		printf("  reset of vchan 0 touched vchan 1\n");
		goto out;
	}
	if (keel_dma_stats_reset(id, KEEL_DMA_ALL_VCHAN) < 0 ||
	    keel_dma_stats_get(id, KEEL_DMA_ALL_VCHAN, &all) < 0 ||
	    all.submitted != 0) {
		printf("  reset all\n");
		goto out;
	}
	ret = TEST_SUCCESS;
out:
	keel_free(a);
	keel_free(b);
	return ret;
}

static int
test_dmadev_stats(void)
{
	return dmt_for_each_dev("stats", stats_dev);
}
KEEL_TEST(dmadev_stats, "fast", 0, test_dmadev_stats)
