/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Generic dmadev tests: each test runs against every DMA device present
 * (devices from --vdev or other drivers) plus soft devices it creates by
 * API in every mode (inline, worker thread, worker lcore, reorder). Tests
 * check the API contract, data, fences, stats and error paths; the error
 * paths need a device behind the emulated IOMMU and skip elsewhere.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keel_dmadev.h"
#include "keel_eal.h"
#include "keel_emu_iommu.h"
#include "keel_iommu.h"
#include "keel_malloc.h"
#include "keel_memory.h"
#include "keel_vdev.h"
#include "test.h"

#define POLL_TIMEOUT_NS 5000000000ull

struct test_devs {
	char names[4][32];
	int n;
};

/* ------------------------------------------------------------- helpers */

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Create soft devices in each mode; 0 or -errno. */
static int
create_soft_devs(struct test_devs *td)
{
	static const char *const args[][2] = {
		{ "dma_soft_t_inline", "mode=inline" },
		{ "dma_soft_t_thread", "mode=worker" },
		{ "dma_soft_t_lcore", "mode=worker,lcore=any" },
		{ "dma_soft_t_reorder", "mode=inline,reorder=1" },
	};

	td->n = 0;
	for (unsigned int i = 0; i < 4; i++) {
		int ret = keel_vdev_create(args[i][0], args[i][1]);

		if (ret < 0) {
			printf("  cannot create %s: %s\n", args[i][0],
			       strerror(-ret));
			return ret;
		}
		snprintf(td->names[td->n++], sizeof(td->names[0]), "%s",
			 args[i][0]);
	}
	return 0;
}

static void
remove_soft_devs(struct test_devs *td)
{
	while (td->n > 0)
		keel_vdev_remove(td->names[--td->n]);
}

/* Stop, configure @p nb_vchans rings of @p nb_desc, start. */
static int
dev_setup(int16_t id, uint16_t nb_vchans, uint16_t nb_desc)
{
	struct keel_dma_conf conf = { .nb_vchans = nb_vchans };
	struct keel_dma_vchan_conf vc = {
		.direction = KEEL_DMA_DIR_MEM_TO_MEM, .nb_desc = nb_desc,
	};
	int ret;

	keel_dma_stop(id);
	ret = keel_dma_configure(id, &conf);
	if (ret < 0)
		return ret;
	for (uint16_t v = 0; v < nb_vchans; v++) {
		ret = keel_dma_vchan_setup(id, v, &vc);
		if (ret < 0)
			return ret;
	}
	return keel_dma_start(id);
}

/* Collect exactly @p n ops into st[] (within the timeout); @return n got. */
static uint16_t
collect(int16_t id, uint16_t vchan, uint16_t n, uint16_t *last,
	enum keel_dma_status_code *st)
{
	uint64_t t0 = now_ns();
	uint16_t got = 0;

	while (got < n && now_ns() - t0 < POLL_TIMEOUT_NS)
		got += keel_dma_completed_status(id, vchan, n - got, last,
						 st + got);
	return got;
}

/* set when a buffer could not be had IOVA-contiguous (PA mode, 4 KiB pages) */
static int buf_noncontig;

/* A buffer of EAL memory whose IOVAs are contiguous. */
static void *
buf_alloc(size_t len, uint64_t *iova)
{
	uint8_t *p = keel_malloc("dmadev_test", len, 4096);

	if (p == NULL)
		return NULL;
	*iova = keel_mem_virt2iova(p);
	if (*iova == KEEL_BAD_IOVA ||
	    keel_mem_virt2iova(p + len - 1) != *iova + len - 1) {
		printf("  buffer of %zu bytes is not IOVA-contiguous\n", len);
		buf_noncontig = 1;
		keel_free(p);
		return NULL;
	}
	return p;
}

typedef int (*dev_fn)(int16_t id, const struct keel_dma_info *info);

/* Run fn on every device (after creating the soft test devices). */
static int
for_each_dev(const char *what, dev_fn fn)
{
	struct test_devs td;
	struct keel_dma_info info;
	int16_t id;
	int ret = TEST_SUCCESS;

	if (create_soft_devs(&td) < 0) {
		remove_soft_devs(&td);
		return TEST_FAILED;
	}
	KEEL_DMA_FOREACH_DEV(id) {
		if (keel_dma_info_get(id, &info) < 0) {
			ret = TEST_FAILED;
			break;
		}
		printf("  %s: %s (%s)\n", what, info.dev_name, info.driver);
		buf_noncontig = 0;
		ret = fn(id, &info);
		keel_dma_stop(id);
		if (ret != TEST_SUCCESS && buf_noncontig) {
			ret = keel_test_skip("needs IOVA-contiguous buffers "
					     "(not in PA mode with 4 KiB pages)");
			break;
		}
		if (ret == TEST_SKIPPED)
			break;
		if (ret != TEST_SUCCESS) {
			printf("  ... failed on %s\n", info.dev_name);
			break;
		}
	}
	remove_soft_devs(&td);
	return ret;
}

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
	TEST_ASSERT_EQUAL(keel_dma_copy(id, 0, 4096, 8192, 64, 0), -EINVAL,
			  "copy on a stopped device");
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
	free(log);

	int ret = for_each_dev("api", api_dev);

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
	src = buf_alloc(4096, &src_iova);
	dst = buf_alloc(4096, &dst_iova);
	if (src == NULL || dst == NULL)
		goto out;
	memset(src, 0x5a, 4096);
	if (dev_setup(id, 1, nb) < 0)
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
	if (collect(id, 0, nb, &last, st) != nb || last != nb - 1) {
		printf("  collect after full: last %u\n", last);
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
	if (dev_setup(id, 1, nb) < 0)
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
		uint16_t n = collect(id, 0, (uint16_t)(enq - done), &last, st);

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
	return for_each_dev("ring", ring_dev);
}
KEEL_TEST(dmadev_ring, "fast", 0, test_dmadev_ring)

/* --------------------------------------------------------------- data */

#define DATA_BUF (256 * 1024)

static int
check_region(const uint8_t *p, const uint8_t *want, size_t len,
	     const char *what)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != want[i]) {
			printf("  %s: byte %zu is 0x%02x, want 0x%02x\n", what,
			       i, p[i], want[i]);
			return -1;
		}
	return 0;
}

static int
data_dev(int16_t id, const struct keel_dma_info *info)
{
	uint64_t seed = keel_test_seed(), rs = seed | 1;
	uint64_t src_iova, dst_iova;
	uint8_t *src, *dst, *model = malloc(DATA_BUF);
	enum keel_dma_status_code st[32];
	uint16_t last, nv = info->max_vchans < 2 ? 1 : 2;
	int ret = TEST_FAILED;

	src = buf_alloc(DATA_BUF, &src_iova);
	dst = buf_alloc(DATA_BUF, &dst_iova);
	if (src == NULL || dst == NULL || model == NULL)
		goto out;
	for (size_t i = 0; i < DATA_BUF; i++)
		src[i] = (uint8_t)test_rand(&rs);
	memset(dst, 0xee, DATA_BUF);
	memcpy(model, dst, DATA_BUF);
	if (dev_setup(id, nv, 32) < 0)
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
		if (collect(id, v, 1, &last, st) != 1 ||
		    st[0] != KEEL_DMA_STATUS_SUCCESSFUL || last != r) {
			printf("  round %d kind %d: status %d last %u idx %d (seed %"
			       PRIu64 ")\n", round, kind, st[0], last, r, seed);
			goto out;
		}
		if (check_region(dst, model, DATA_BUF, "destination") < 0) {
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
		uint64_t t0 = now_ns();
		uint16_t got = 0, want = (uint16_t)(16 / nv);
		bool err = false;

		keel_dma_submit(id, v);
		while (got < want && !err && now_ns() - t0 < POLL_TIMEOUT_NS)
			got += keel_dma_completed(id, v, 32, &last, &err);
		if (got != want || err) {
			printf("  burst vchan %u: %u of %u, error %d\n", v, got,
			       want, err);
			goto out;
		}
	}
	if (check_region(dst, model, DATA_BUF, "burst destination") < 0)
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
	return for_each_dev("data", data_dev);
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
	a = buf_alloc(4096, &a_iova);
	b = buf_alloc(4096, &b_iova);
	if (a == NULL || b == NULL || dev_setup(id, 1, 32) < 0)
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
		if (collect(id, 0, 2, &last, st) != 2 ||
		    st[0] != KEEL_DMA_STATUS_SUCCESSFUL ||
		    st[1] != KEEL_DMA_STATUS_SUCCESSFUL) {
			printf("  fence pair did not complete\n");
			goto out;
		}
		memset(want, fenced || !reorder ? 0x77 : 0x11, 4096);
		if (fenced || reorder) {
			if (check_region(b, want, 4096, fenced ?
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
	return for_each_dev("fence", fence_dev);
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

	a = buf_alloc(4096, &a_iova);
	b = buf_alloc(4096, &b_iova);
	if (a == NULL || b == NULL || dev_setup(id, nv, 32) < 0)
		goto out;
	for (int i = 0; i < 10; i++)
		keel_dma_copy(id, 0, a_iova, b_iova, 100, 0);
	/* enqueued but not submitted: not counted */
	if (keel_dma_stats_get(id, 0, &s0) < 0 || s0.submitted != 0) {
		printf("  unsubmitted ops counted: %" PRIu64 "\n", s0.submitted);
		goto out;
	}
	keel_dma_submit(id, 0);
	if (collect(id, 0, 10, &last, st) != 10)
		goto out;
	if (nv > 1) {
		for (int i = 0; i < 3; i++)
			keel_dma_copy(id, 1, a_iova, b_iova, 100,
				      KEEL_DMA_OP_FLAG_SUBMIT);
		if (collect(id, 1, 3, &last, st) != 3)
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
	return for_each_dev("stats", stats_dev);
}
KEEL_TEST(dmadev_stats, "fast", 0, test_dmadev_stats)

/* --------------------------------------------------------- error paths */

#define PG 4096ull

struct err_env {
	struct keel_emu_domain *dom;
	uint64_t bad;     /* never mapped */
	uint64_t ro;      /* one page mapped read-only */
	uint64_t rw;      /* one page mapped read-write, rw + PG unmapped */
	uint8_t *ro_va, *rw_va;
};

static int
iova_unmapped(struct keel_emu_endpoint *ep, uint64_t iova)
{
	void *va;
	uint64_t l;

	return keel_emu_translate(ep, iova, PG, KEEL_EMU_DMA_TO_DEVICE, &va,
				  &l) == -EFAULT;
}

/* Find four unmapped pages in the default emulated domain; map two. */
static int
err_env_setup(struct err_env *e)
{
	struct keel_iommu_container *c = keel_iommu_container_default();
	struct keel_emu_endpoint *ep;
	uint64_t base = 0x7e00000000ull;  /* below 2^39: any address width */
	int ok = 0;

	memset(e, 0, sizeof(*e));
	if (c == NULL || keel_iommu_container_kind(c) != KEEL_IOMMU_EMULATED)
		return 0;
	e->dom = keel_emu_backend_domain(keel_iommu_container_backend_priv(c));
	if (e->dom == NULL)
		return -1;
	ep = keel_emu_endpoint_create(0x7e57, "dmadev-test");
	if (ep == NULL || keel_emu_endpoint_attach(ep, e->dom) < 0)
		return -1;
	for (int k = 0; k < 64 && !ok; k++, base += 64 * PG)
		ok = iova_unmapped(ep, base) && iova_unmapped(ep, base + PG) &&
		     iova_unmapped(ep, base + 2 * PG) &&
		     iova_unmapped(ep, base + 3 * PG);
	keel_emu_endpoint_destroy(ep);
	if (!ok)
		return -1;
	base -= 64 * PG;
	e->bad = base;
	e->ro = base + PG;
	e->rw = base + 2 * PG;
	e->ro_va = aligned_alloc(PG, PG);
	e->rw_va = aligned_alloc(PG, PG);
	if (e->ro_va == NULL || e->rw_va == NULL)
		return -1;
	memset(e->ro_va, 0x3c, PG);
	memset(e->rw_va, 0x4d, PG);
	if (keel_emu_map(e->dom, e->ro, (uintptr_t)e->ro_va, PG,
			 KEEL_EMU_PROT_READ) < 0 ||
	    keel_emu_map(e->dom, e->rw, (uintptr_t)e->rw_va, PG,
			 KEEL_EMU_PROT_READ | KEEL_EMU_PROT_WRITE) < 0)
		return -1;
	keel_emu_fault_clear();
	return 1;
}

static void
err_env_teardown(struct err_env *e)
{
	if (e->dom != NULL) {
		keel_emu_unmap(e->dom, e->ro, PG, NULL);
		keel_emu_unmap(e->dom, e->rw, PG, NULL);
	}
	free(e->ro_va);
	free(e->rw_va);
}

static struct err_env env;

#define ERR_OPS 8

static int
errors_dev(int16_t id, const struct keel_dma_info *info)
{
	enum keel_dma_status_code st[ERR_OPS + 1];
	static const enum keel_dma_status_code want[ERR_OPS] = {
		KEEL_DMA_STATUS_SUCCESSFUL,       /* 0 copy ok */
		KEEL_DMA_STATUS_INVALID_DST_ADDR, /* 1 copy to unmapped */
		KEEL_DMA_STATUS_INVALID_SRC_ADDR, /* 2 copy from unmapped */
		KEEL_DMA_STATUS_INVALID_DST_ADDR, /* 3 fill unmapped */
		KEEL_DMA_STATUS_SUCCESSFUL,       /* 4 copy ok */
		KEEL_DMA_STATUS_INVALID_DST_ADDR, /* 5 sg, 2nd dst unmapped */
		KEEL_DMA_STATUS_INVALID_DST_ADDR, /* 6 copy to read-only */
		KEEL_DMA_STATUS_INVALID_DST_ADDR, /* 7 copy straddling rw|hole */
	};
	uint64_t src_iova, dst_iova, want_faults[] = {
		env.bad, env.bad, env.bad, env.bad, env.ro, env.rw + PG,
	};
	struct keel_emu_fault_counters fc;
	struct keel_emu_fault f[16];
	struct keel_dma_stats s;
	uint8_t *src, *dst, *model = malloc(8 * PG), ro_model[PG], rw_model[PG];
	struct keel_dma_sge sg_s[1], sg_d[2];
	uint16_t last = 0, n;
	bool has_error = false;
	unsigned int nf, matched = 0;
	int ret = TEST_FAILED;

	if (!(info->dev_capa & KEEL_DMA_CAPA_BEHIND_IOMMU)) {
		printf("  (%s is not behind the emulated IOMMU: skipped)\n",
		       info->dev_name);
		free(model);
		return TEST_SUCCESS;
	}
	src = buf_alloc(2 * PG, &src_iova);
	dst = buf_alloc(8 * PG, &dst_iova);
	if (src == NULL || dst == NULL || model == NULL ||
	    dev_setup(id, 1, 32) < 0)
		goto out;
	for (unsigned int i = 0; i < 2 * PG; i++)
		src[i] = (uint8_t)(i * 7 + 1);
	memset(dst, 0xa5, 8 * PG);
	memcpy(model, dst, 8 * PG);
	memcpy(ro_model, env.ro_va, PG);
	memcpy(rw_model, env.rw_va, PG);
	keel_emu_fault_clear();
	keel_dma_stats_reset(id, KEEL_DMA_ALL_VCHAN);

	/* 0: ok into dst page 1 */
	keel_dma_copy(id, 0, src_iova, dst_iova + PG, PG, 0);
	memcpy(model + PG, src, PG);
	keel_dma_copy(id, 0, src_iova, env.bad, PG, 0);            /* 1 */
	keel_dma_copy(id, 0, env.bad, dst_iova + 2 * PG, PG, 0);   /* 2 */
	keel_dma_fill(id, 0, 0x1122334455667788ull, env.bad + 8, 100, 0);
	/* 4: ok into dst page 3, after the errors */
	keel_dma_copy(id, 0, src_iova + 100, dst_iova + 3 * PG, 1000, 0);
	memcpy(model + 3 * PG, src + 100, 1000);
	/* 5: first half to dst page 5 (must stay unwritten), rest unmapped */
	sg_s[0].addr = src_iova;
	sg_s[0].length = 2048;
	sg_d[0].addr = dst_iova + 5 * PG;
	sg_d[0].length = 1024;
	sg_d[1].addr = env.bad + 512;
	sg_d[1].length = 1024;
	if (keel_dma_copy_sg(id, 0, sg_s, sg_d, 1, 2, 0) < 0)
		goto out;
	keel_dma_copy(id, 0, src_iova, env.ro, 64, 0);              /* 6 */
	/* 7: 8 KiB into the rw page and the hole after it */
	if (keel_dma_copy(id, 0, src_iova, env.rw, 2 * PG,
			  KEEL_DMA_OP_FLAG_SUBMIT) != 7) {
		printf("  enqueue of the error burst failed\n");
		goto out;
	}
	/* completed() stops before the first failure */
	uint64_t t0 = now_ns();

	n = 0;
	while (!has_error && now_ns() - t0 < POLL_TIMEOUT_NS)
		n += keel_dma_completed(id, 0, ERR_OPS, &last, &has_error);
	if (n != 1 || !has_error || last != 0) {
		printf("  completed: n %u has_error %d last %u\n", n, has_error,
		       last);
		goto out;
	}
	n = keel_dma_completed(id, 0, ERR_OPS, &last, &has_error);
	if (n != 0 || !has_error) {
		printf("  completed again: n %u has_error %d\n", n, has_error);
		goto out;
	}
	if (collect(id, 0, ERR_OPS - 1, &last, st + 1) != ERR_OPS - 1 ||
	    last != ERR_OPS - 1) {
		printf("  completed_status: last %u\n", last);
		goto out;
	}
	for (int i = 1; i < ERR_OPS; i++)
		if (st[i] != want[i]) {
			printf("  op %d: status %s, want %s\n", i,
			       keel_dma_status_name(st[i]),
			       keel_dma_status_name(want[i]));
			goto out;
		}
	/* no byte outside the successful destinations changed */
	if (check_region(dst, model, 8 * PG, "destination buffer") < 0 ||
	    check_region(env.ro_va, ro_model, PG, "read-only page") < 0 ||
	    check_region(env.rw_va, rw_model, PG, "rw page before hole") < 0 ||
	    check_region(src, model, 0, "") < 0)
		goto out;
	/* every fault logged by the emulated IOMMU */
	keel_emu_fault_counters_get(&fc);
	nf = keel_emu_fault_read(f, 16);
	if (fc.total != 6 || nf != 6) {
		printf("  faults: counted %" PRIu64 ", logged %u, want 6\n",
		       fc.total, nf);
		goto out;
	}
	for (unsigned int i = 0; i < 6; i++)
		for (unsigned int j = 0; j < nf; j++)
			if (f[j].iova >= want_faults[i] &&
			    f[j].iova < want_faults[i] + PG &&
			    !(matched & (1u << j))) {
				matched |= 1u << j;
				break;
			}
	if (matched != 0x3f) {
		printf("  fault log does not match the failed ops (0x%x)\n",
		       matched);
		for (unsigned int j = 0; j < nf; j++)
			printf("    fault iova 0x%" PRIx64 " ep 0x%x %s\n",
			       f[j].iova, f[j].endpoint_id,
			       keel_emu_fault_reason_name(f[j].reason));
		goto out;
	}
	if (keel_dma_stats_get(id, 0, &s) < 0 || s.completed != ERR_OPS ||
	    s.errors != 6) {
		printf("  stats completed %" PRIu64 " errors %" PRIu64 "\n",
		       s.completed, s.errors);
		goto out;
	}
	/* the device still works after the errors */
	keel_dma_copy(id, 0, env.ro, dst_iova + 7 * PG, PG,
		      KEEL_DMA_OP_FLAG_SUBMIT);
	memcpy(model + 7 * PG, ro_model, PG);
	if (collect(id, 0, 1, &last, st) != 1 ||
	    st[0] != KEEL_DMA_STATUS_SUCCESSFUL ||
	    check_region(dst, model, 8 * PG, "read from read-only page") < 0) {
		printf("  copy from the read-only page failed\n");
		goto out;
	}
	ret = TEST_SUCCESS;
out:
	keel_free(src);
	keel_free(dst);
	free(model);
	return ret;
}

static int
test_dmadev_errors(void)
{
	int r = err_env_setup(&env), ret;

	if (r == 0) {
		err_env_teardown(&env);
		return keel_test_skip("needs the emulated IOMMU (--iommu=emulated)");
	}
	if (r < 0) {
		err_env_teardown(&env);
		printf("  cannot set up unmapped / read-only IOVAs\n");
		return TEST_FAILED;
	}
	ret = for_each_dev("errors", errors_dev);
	err_env_teardown(&env);
	return ret;
}
KEEL_TEST(dmadev_errors, "fast", 0, test_dmadev_errors)
