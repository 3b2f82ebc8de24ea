/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dmadev error paths on every device behind the emulated IOMMU: copies
 * from never-mapped IOVAs, writes to a read-only page, a copy running into
 * an unmapped page; each op's status, the data around it, the counters.
 * Skips where no device sits behind the emulated IOMMU.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "keel_dmadev.h"
#include "keel_eal.h"
#include "keel_emu_iommu.h"
#include "keel_iommu.h"
#include "keel_malloc.h"
#include "keel_memory.h"
#include "test.h"

#include "dmadev_test.h"

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
	src = dmt_buf_alloc(2 * PG, &src_iova);
	dst = dmt_buf_alloc(8 * PG, &dst_iova);
	if (src == NULL || dst == NULL || model == NULL ||
	    dmt_dev_setup(id, 1, 32) < 0)
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
	uint64_t t0 = dmt_now_ns();

	n = 0;
	while (!has_error && dmt_now_ns() - t0 < POLL_TIMEOUT_NS)
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
	if (dmt_collect(id, 0, ERR_OPS - 1, &last, st + 1) != ERR_OPS - 1 ||
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
	if (dmt_check_region(dst, model, 8 * PG, "destination buffer") < 0 ||
	    dmt_check_region(env.ro_va, ro_model, PG, "read-only page") < 0 ||
	    dmt_check_region(env.rw_va, rw_model, PG, "rw page before hole") < 0 ||
	    dmt_check_region(src, model, 0, "") < 0)
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
	if (dmt_collect(id, 0, 1, &last, st) != 1 ||
	    st[0] != KEEL_DMA_STATUS_SUCCESSFUL ||
	    dmt_check_region(dst, model, 8 * PG, "read from read-only page") < 0) {
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
	ret = dmt_for_each_dev("errors", errors_dev);
	err_env_teardown(&env);
	return ret;
}
KEEL_TEST(dmadev_errors, "fast", 0, test_dmadev_errors)

/* ------------------------------------------- memory gone after the map */

static struct {
	struct keel_emu_domain *dom;
	uint64_t iova;          /* two pages mapped, then their VA unmapped */
} gone;

#define GONE_OPS 7

static int
bus_error_dev(int16_t id, const struct keel_dma_info *info)
{
	static const enum keel_dma_status_code want[GONE_OPS] = {
		KEEL_DMA_STATUS_BUS_ERROR,      /* 0 copy into memory gone */
		KEEL_DMA_STATUS_BUS_ERROR,      /* 1 copy from memory gone */
		KEEL_DMA_STATUS_SUCCESSFUL,     /* 2 the engine goes on */
		KEEL_DMA_STATUS_BUS_ERROR,      /* 3, 4 a back-to-back run */
		KEEL_DMA_STATUS_BUS_ERROR,      /*      into memory gone */
		KEEL_DMA_STATUS_BUS_ERROR,      /* 5 a fill into memory gone */
		KEEL_DMA_STATUS_SUCCESSFUL,     /* 6 a fill that is there */
	};
	enum keel_dma_status_code st[GONE_OPS];
	struct keel_emu_fault_counters fc;
	uint64_t src_iova, dst_iova;
	uint8_t *src, *dst;
	uint16_t last = 0;
	int ret = TEST_FAILED;

	if (!(info->dev_capa & KEEL_DMA_CAPA_BEHIND_IOMMU)) {
		printf("  (%s is not behind the emulated IOMMU: skipped)\n",
		       info->dev_name);
		return TEST_SUCCESS;
	}
	src = dmt_buf_alloc(PG, &src_iova);
	dst = dmt_buf_alloc(PG, &dst_iova);
	if (src == NULL || dst == NULL || dmt_dev_setup(id, 1, 32) < 0)
		goto out;
	for (unsigned int i = 0; i < PG; i++)
		src[i] = (uint8_t)(i * 7 + 1);
	memset(dst, 0, PG);
	keel_emu_fault_clear();
	if (keel_dma_copy(id, 0, src_iova, gone.iova, 64, 0) < 0 ||
	    keel_dma_copy(id, 0, gone.iova + PG, dst_iova + 256, 64, 0) < 0 ||
	    keel_dma_copy(id, 0, src_iova, dst_iova, 64, 0) < 0 ||
	    keel_dma_copy(id, 0, src_iova, gone.iova + 128, 64, 0) < 0 ||
	    keel_dma_copy(id, 0, src_iova + 64, gone.iova + 192, 64, 0) < 0 ||
	    keel_dma_fill(id, 0, 0x0807060504030201ull, gone.iova + 512, 256,
			  0) < 0 ||
	    keel_dma_fill(id, 0, 0x0807060504030201ull, dst_iova + 1024, 20,
			  KEEL_DMA_OP_FLAG_SUBMIT) < 0) {
		printf("  enqueue failed\n");
		goto out;
	}
	if (dmt_collect(id, 0, GONE_OPS, &last, st) != GONE_OPS) {
		printf("  the ops did not complete\n");
		goto out;
	}
	for (int i = 0; i < GONE_OPS; i++)
		if (st[i] != want[i]) {
			printf("  op %d: status %d, want %d\n", i, st[i],
			       want[i]);
			goto out;
		}
	if (memcmp(dst, src, 64) != 0 || dst[256] != 0) {
		printf("  the good copy is wrong, or a failed one wrote\n");
		goto out;
	}
	for (unsigned int i = 0; i < 20; i++)
		if (dst[1024 + i] != (uint8_t)(1 + i % 8)) {
			printf("  the good fill: byte %u is %u\n", i,
			       dst[1024 + i]);
			goto out;
		}
	keel_emu_fault_counters_get(&fc);
	if (fc.bus_error != 5) {
		printf("  %" PRIu64 " bus-error faults recorded, want 5\n",
		       fc.bus_error);
		goto out;
	}
	ret = TEST_SUCCESS;
out:
	keel_dma_stop(id);
	keel_free(src);
	keel_free(dst);
	return ret;
}

static void
guarded_nop(void *dst, uint64_t len, void *arg)
{
	(void)dst;
	(void)len;
	(void)arg;
}

/*
 * The memory behind a mapping goes away (PROT_NONE) in the process after
 * the IOMMU map checked it: each engine's copy or fill through it is a bus
 * error (the op fails, the emulated IOMMU records a KEEL_EMU_FAULT_BUS_ERROR
 * fault), not a crash of the process (issue 14, defect 1, for dma_soft's
 * own copies and fills).
 */
static int
test_dmadev_bus_error(void)
{
	struct keel_iommu_container *c = keel_iommu_container_default();
	struct keel_emu_endpoint *ep;
	uint64_t base = 0x7d00000000ull;
	void *va;
	int ok = 0, ret;

	if (c == NULL || keel_iommu_container_kind(c) != KEEL_IOMMU_EMULATED)
		return keel_test_skip("needs the emulated IOMMU (--iommu=emulated)");
	gone.dom = keel_emu_backend_domain(keel_iommu_container_backend_priv(c));
	ep = keel_emu_endpoint_create(0x7e58, "dmadev-gone");
	TEST_ASSERT(gone.dom != NULL && ep != NULL &&
		    keel_emu_endpoint_attach(ep, gone.dom) == 0, "endpoint");
	for (int k = 0; k < 64 && !ok; k++, base += 64 * PG)
		ok = iova_unmapped(ep, base) && iova_unmapped(ep, base + PG);
	keel_emu_endpoint_destroy(ep);
	TEST_ASSERT(ok, "two unmapped IOVA pages");
	gone.iova = base - 64 * PG;
	va = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(va != MAP_FAILED, "mmap");
	memset(va, 0x5a, 2 * PG);
	TEST_ASSERT_SUCCESS(keel_emu_map(gone.dom, gone.iova, (uintptr_t)va,
					 2 * PG, KEEL_EMU_PROT_READ |
					 KEEL_EMU_PROT_WRITE), "map");
	/*
	 * Gone from the process, still mapped in the IOMMU. PROT_NONE rather
	 * than munmap(): an unmapped VA may be taken by the next mapping (a
	 * worker's stack), and the IOMMU would then reach that memory, as
	 * after a real munmap() that the pin did not stop.
	 */
	TEST_ASSERT_SUCCESS(mprotect(va, 2 * PG, PROT_NONE), "mprotect");
	ret = dmt_for_each_dev("bus error", bus_error_dev);
	/* the engine-side helper's own refusals */
	errno = 0;
	if (ret == TEST_SUCCESS &&
	    (keel_emu_dma_copy(NULL, &ok, 0, &ok, 0, 1) != -EINVAL ||
	     errno != EINVAL ||
	     keel_emu_dma_copy((struct keel_emu_endpoint *)&gone, NULL, 0,
			       &ok, 0, 1) != -EINVAL ||
	     keel_emu_dma_copy((struct keel_emu_endpoint *)&gone, &ok, 0,
			       NULL, 0, 1) != -EINVAL)) {
		printf("  keel_emu_dma_copy accepted a NULL argument\n");
		ret = TEST_FAILED;
	}
	errno = 0;
	if (ret == TEST_SUCCESS &&
	    (keel_emu_dma_guarded(NULL, &ok, 0, 1, guarded_nop, NULL) !=
	     -EINVAL || errno != EINVAL ||
	     keel_emu_dma_guarded((struct keel_emu_endpoint *)&gone, NULL, 0,
				  1, guarded_nop, NULL) != -EINVAL ||
	     keel_emu_dma_guarded((struct keel_emu_endpoint *)&gone, &ok, 0,
				  1, NULL, NULL) != -EINVAL)) {
		printf("  keel_emu_dma_guarded accepted a NULL argument\n");
		ret = TEST_FAILED;
	}
	keel_emu_unmap(gone.dom, gone.iova, 2 * PG, NULL);
	munmap(va, 2 * PG);
	keel_emu_fault_clear();
	return ret;
}
KEEL_TEST(dmadev_bus_error, "fast", 0, test_dmadev_bus_error)
