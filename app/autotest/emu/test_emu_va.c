/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The memory behind an emulated mapping (issue 14, defect 1): keel_emu_map()
 * refuses, as the kernel's pin refuses a VFIO map, a VA range that is not
 * mapped in the process or lacks the access the device needs (through the
 * PROCMAP_QUERY ioctl and through the /proc/self/maps text); a DMA that
 * meets memory unmapped or protected after the map is a recorded
 * bus-error fault, not a crash, while any other SIGSEGV still crashes (or
 * reaches the handler that was there before); the page tables of a domain
 * are bounded and a map that would pass the bound is refused before any
 * table is allocated.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keel_iommu.h"
#include "test.h"
#include "emu_internal.h"
#include "emu_test_util.h"

#define P UINT64_C(0x1000)
#define BIG (UINT64_C(131) << 30)

static uint8_t *
area(unsigned int pages)
{
	void *p = mmap(NULL, pages * P, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* map refused with EFAULT, the log naming @p bad_va and @p what */
static int
refused(struct keel_emu_domain *d, uint64_t iova, const void *va, uint64_t len,
	uint32_t prot, const void *bad_va, const char *what)
{
	uint64_t pages0 = keel_emu_pt_pages_alive();
	char needle[64], *log;
	int ret;

	test_log_capture_start();
	ret = keel_emu_map(d, iova, (uintptr_t)va, len, prot);
	log = test_log_capture_stop();
	snprintf(needle, sizeof(needle), "va 0x%" PRIx64 " is %s",
		 (uint64_t)(uintptr_t)bad_va, what);
	TEST_ASSERT(ret == -EFAULT && errno == EFAULT,
		    "map of %p+0x%" PRIx64 " prot %u: %d, want -EFAULT", va, len,
		    prot, ret);
	TEST_ASSERT(emu_t_log_has(log, needle), "log lacks '%s': %s", needle,
		    log);
	free(log);
	TEST_ASSERT_EQUAL(keel_emu_pt_pages_alive(), pages0, "tables built");
	return TEST_SUCCESS;
}

static int
va_checks(struct keel_emu_domain *d)
{
	const uint32_t R = KEEL_EMU_PROT_READ, W = KEEL_EMU_PROT_WRITE;
	uint8_t *m = area(6);
	struct keel_emu_domain_stats st;

	/* pages: 0 rw, 1 rw, 2 hole, 3 read-only, 4 none, 5 write-only */
	TEST_ASSERT(m != NULL, "mmap");
	TEST_ASSERT_SUCCESS(munmap(m + 2 * P, P), "hole");
	TEST_ASSERT_SUCCESS(mprotect(m + 3 * P, P, PROT_READ), "ro");
	TEST_ASSERT_SUCCESS(mprotect(m + 4 * P, P, PROT_NONE), "none");
	TEST_ASSERT_SUCCESS(mprotect(m + 5 * P, P, PROT_WRITE), "wo");

	TEST_ASSERT_SUCCESS(refused(d, 0x100000, m, 3 * P, R | W, m + 2 * P,
				    "not mapped"), "over the hole");
	TEST_ASSERT_SUCCESS(refused(d, 0x100000, m + 2 * P, P, R, m + 2 * P,
				    "not mapped"), "in the hole");
	TEST_ASSERT_SUCCESS(refused(d, 0x100000, m + 3 * P, P, W, m + 3 * P,
				    "not writable"), "write to read-only");
	TEST_ASSERT_SUCCESS(refused(d, 0x100000, m + 3 * P, P, R | W, m + 3 * P,
				    "not writable"), "rw to read-only");
	TEST_ASSERT_SUCCESS(refused(d, 0x100000, m + 4 * P, P, R, m + 4 * P,
				    "not readable"), "read of PROT_NONE");
	TEST_ASSERT_SUCCESS(refused(d, 0x100000, m + 3 * P, 2 * P, R, m + 4 * P,
				    "not readable"), "read past read-only");
	TEST_ASSERT_SUCCESS(refused(d, 0x100000, (void *)(uintptr_t)P, P, R,
				    (void *)(uintptr_t)P, "not mapped"), "page 1");
	TEST_ASSERT_SUCCESS(keel_emu_domain_stats_get(d, &st), "stats");
	TEST_ASSERT_EQUAL(st.n_mappings, 0, "nothing mapped");

	/* what the pin accepts */
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0x100000, (uintptr_t)m, 2 * P, R | W),
			    "rw on rw");
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0x200000, (uintptr_t)m + 3 * P, P, R),
			    "read of read-only");
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0x300000, (uintptr_t)m + 5 * P, P, W),
			    "write to write-only");
	TEST_ASSERT_SUCCESS(keel_emu_unmap(d, 0x100000, 2 * P, NULL), "unmap");
	TEST_ASSERT_SUCCESS(keel_emu_unmap(d, 0x200000, P, NULL), "unmap");
	TEST_ASSERT_SUCCESS(keel_emu_unmap(d, 0x300000, P, NULL), "unmap");
	munmap(m, 2 * P);
	munmap(m + 3 * P, 3 * P);
	return TEST_SUCCESS;
}

static int
test_emu_map_va_checked(void)
{
	struct keel_emu_domain *d = keel_emu_domain_create(NULL);
	struct keel_iommu_container *c;
	struct keel_iommu_mapping mp;
	uint8_t *m = area(2);
	int ret;

	TEST_ASSERT(d != NULL && m != NULL, "setup");
	/* the ioctl where the kernel has it, then the text */
	TEST_ASSERT_SUCCESS(va_checks(d), "PROCMAP_QUERY (or its fallback)");
	atomic_store(&emu_va_force_text, 1);
	ret = va_checks(d);
	atomic_store(&emu_va_force_text, 0);
	TEST_ASSERT_SUCCESS(ret, "/proc/self/maps text");
	TEST_ASSERT_SUCCESS(keel_emu_domain_destroy(d), "destroy");

	/* the same through an emulated container: refused, table as before */
	c = keel_iommu_container_create_by_name("emulated", NULL);
	TEST_ASSERT(c != NULL, "container");
	TEST_ASSERT_SUCCESS(munmap(m + P, P), "hole");
	test_log_capture_start();
	ret = keel_iommu_dma_map(c, (uintptr_t)m, 0x400000, 2 * P,
				 KEEL_IOMMU_ACCESS_RW);
	free(test_log_capture_stop());
	TEST_ASSERT_EQUAL(ret, -EFAULT, "container map over a hole");
	TEST_ASSERT_EQUAL(keel_iommu_lookup_va(c, (uintptr_t)m, &mp), -ENOENT,
			  "table unchanged");
	TEST_ASSERT_SUCCESS(mprotect(m, P, PROT_READ), "ro");
	test_log_capture_start();
	ret = keel_iommu_dma_map(c, (uintptr_t)m, 0x400000, P,
				 KEEL_IOMMU_ACCESS_RW);
	free(test_log_capture_stop());
	TEST_ASSERT_EQUAL(ret, -EFAULT, "container rw map of read-only memory");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_map(c, (uintptr_t)m, 0x400000, P,
					       KEEL_IOMMU_ACCESS_READ),
			    "container read map of read-only memory");
	TEST_ASSERT_SUCCESS(keel_iommu_dma_unmap(c, (uintptr_t)m, 0x400000, P),
			    "unmap");
	TEST_ASSERT_SUCCESS(keel_iommu_container_destroy(c), "destroy");
	munmap(m, P);
	return TEST_SUCCESS;
}
KEEL_TEST(emu_map_va_checked, "fast", TEST_NO_EAL, test_emu_map_va_checked)

/* ------------------------------------------------------------ bus errors */

/* one bus error logged, at an IOVA of the page of @p iova at or after it
 * (where the copy met the missing page depends on how memcpy walks) */
static int
expect_bus_error(uint64_t iova, enum keel_emu_dma_dir dir)
{
	struct keel_emu_fault f[2];

	TEST_ASSERT_EQUAL(keel_emu_fault_read(f, 2), 1, "one fault");
	TEST_ASSERT(f[0].reason == KEEL_EMU_FAULT_BUS_ERROR, "reason %s",
		    keel_emu_fault_reason_name(f[0].reason));
	TEST_ASSERT(f[0].iova >= iova && f[0].iova < ((iova | (P - 1)) + 1),
		    "fault iova 0x%" PRIx64 " not in 0x%" PRIx64 "-0x%" PRIx64,
		    f[0].iova, iova, iova | (P - 1));
	TEST_ASSERT_EQUAL(f[0].dir, dir, "fault dir");
	return TEST_SUCCESS;
}

static int
test_emu_dma_bus_error(void)
{
	struct keel_emu_domain *d = keel_emu_domain_create(NULL);
	struct keel_emu_endpoint *ep = keel_emu_endpoint_create(9, "bus");
	struct keel_emu_fault_counters cnt;
	const uint64_t iova = 0x10000;
	uint8_t *m = area(4), buf[4 * P];
	unsigned int i;

	TEST_ASSERT(d && ep && m, "setup");
	TEST_ASSERT_SUCCESS(keel_emu_endpoint_attach(ep, d), "attach");
	keel_emu_fault_clear();
	memset(m, 0x11, 4 * P);
	TEST_ASSERT_SUCCESS(keel_emu_map(d, iova, (uintptr_t)m, 4 * P,
					 KEEL_EMU_PROT_READ | KEEL_EMU_PROT_WRITE),
			    "map");
	/* after the map, page 1 goes away and page 3 becomes read-only */
	TEST_ASSERT_SUCCESS(munmap(m + P, P), "munmap");
	TEST_ASSERT_SUCCESS(mprotect(m + 3 * P, P, PROT_READ), "mprotect");
	memset(buf, 0x22, sizeof(buf));

	TEST_ASSERT_EQUAL(keel_emu_dma_write(ep, iova + P + 8, buf, 16), -EFAULT,
			  "write to the unmapped page");
	TEST_ASSERT_SUCCESS(expect_bus_error(iova + P + 8,
					     KEEL_EMU_DMA_FROM_DEVICE), "write");
	/* a read that runs into the hole faults there (what reached buf
	 * before is undefined, as for a device that aborts mid-transfer) */
	TEST_ASSERT_EQUAL(keel_emu_dma_read(ep, iova + 16, buf, 2 * P), -EFAULT,
			  "read into the hole");
	TEST_ASSERT_SUCCESS(expect_bus_error(iova + P, KEEL_EMU_DMA_TO_DEVICE),
			    "read");
	TEST_ASSERT_EQUAL(keel_emu_dma_zero(ep, iova, 2 * P), -EFAULT, "zero");
	TEST_ASSERT_SUCCESS(expect_bus_error(iova + P, KEEL_EMU_DMA_FROM_DEVICE),
			    "zero");
	TEST_ASSERT_EQUAL(keel_emu_dma_write(ep, iova + 3 * P, buf, 8), -EFAULT,
			  "write to the page made read-only");
	TEST_ASSERT_SUCCESS(expect_bus_error(iova + 3 * P,
					     KEEL_EMU_DMA_FROM_DEVICE), "ro");
	for (i = 0; i < P; i++)
		TEST_ASSERT_EQUAL(m[3 * P + i], 0x11, "read-only byte %u", i);
	/* what is still there still works */
	TEST_ASSERT_SUCCESS(keel_emu_dma_read(ep, iova + 3 * P, buf, 8), "read ro");
	TEST_ASSERT_SUCCESS(keel_emu_dma_write(ep, iova + 2 * P, buf, P), "write");
	TEST_ASSERT_EQUAL(m[2 * P], buf[0], "written");
	keel_emu_fault_counters_get(&cnt);
	TEST_ASSERT_EQUAL(cnt.bus_error, 4, "bus errors counted");
	TEST_ASSERT_EQUAL(cnt.total, 4, "no other fault");
	TEST_ASSERT(strcmp(keel_emu_fault_reason_name(KEEL_EMU_FAULT_BUS_ERROR),
			   "bus-error") == 0, "name");

	TEST_ASSERT_SUCCESS(keel_emu_endpoint_destroy(ep), "ep");
	TEST_ASSERT_SUCCESS(keel_emu_unmap(d, iova, 4 * P, NULL), "unmap");
	TEST_ASSERT_SUCCESS(keel_emu_domain_destroy(d), "destroy");
	munmap(m, P);
	munmap(m + 2 * P, 2 * P);
	return TEST_SUCCESS;
}
KEEL_TEST(emu_dma_bus_error, "fast", TEST_NO_EAL, test_emu_dma_bus_error)

static void
their_handler(int sig)
{
	_exit(sig == SIGSEGV ? 42 : 43);
}

/* in a child: map (which installs the guard), then fault outside any DMA */
static int
foreign_fault(bool theirs_first)
{
	struct keel_emu_domain *d;
	uint8_t *m;
	int status;
	pid_t pid;

	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		alarm(20);      /* a swallowed fault would loop on it */
		/* (SIG_DFL also where a sanitizer had its handler in) */
		signal(SIGSEGV, theirs_first ? their_handler : SIG_DFL);
		d = keel_emu_domain_create(NULL);
		m = area(1);
		if (d == NULL || m == NULL ||
		    keel_emu_map(d, 0x1000, (uintptr_t)m, P,
				 KEEL_EMU_PROT_READ) < 0 || !emu_guard_installed())
			_exit(3);
		munmap(m, P);
		*(volatile uint8_t *)m = 1;  /* a bug of the application */
		_exit(0);
	}
	TEST_ASSERT_EQUAL(waitpid(pid, &status, 0), pid, "wait");
	if (theirs_first)
		TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 42,
			    "the earlier handler did not run (status 0x%x)",
			    status);
	else
		TEST_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
			    "not killed by SIGSEGV (status 0x%x)", status);
	return TEST_SUCCESS;
}

/* the guard catches only its own copies: any other SIGSEGV is as before */
static int
test_emu_guard_foreign(void)
{
	TEST_ASSERT_SUCCESS(foreign_fault(false), "default action");
	TEST_ASSERT_SUCCESS(foreign_fault(true), "earlier handler");
	return TEST_SUCCESS;
}
KEEL_TEST(emu_guard_foreign, "fast", TEST_NO_EAL, test_emu_guard_foreign)

/* ------------------------------------------------------- the table bound */

static int
test_emu_table_bound(void)
{
	struct keel_emu_domain_config cfg = { .addr_width = 48,
					      .max_table_pages = 16 };
	struct keel_emu_domain *d = keel_emu_domain_create(&cfg);
	struct keel_emu_domain_stats st;
	uint64_t w = emu_t_va_window(), pages0, i;
	void *big;
	char *log;
	int ret;

	TEST_ASSERT(d != NULL && w != 0, "setup");
	/* 64 MiB whose VA is 4 KiB off the IOVA's 2 MiB alignment: 4 KiB
	 * leaves, 32 + 1 + 1 new tables, past 16: refused, nothing built */
	pages0 = keel_emu_pt_pages_alive();
	test_log_capture_start();
	ret = keel_emu_map(d, 0x40000000, w + P, 32 * MB2, KEEL_EMU_PROT_READ);
	log = test_log_capture_stop();
	TEST_ASSERT_EQUAL(ret, -ENOSPC, "past the bound");
	TEST_ASSERT(emu_t_log_has(log, "needs 34 more page-table pages") &&
		    emu_t_log_has(log, "has 1 of its limit of 16"), "log: %s",
		    log);
	free(log);
	TEST_ASSERT_EQUAL(keel_emu_pt_pages_alive(), pages0, "nothing allocated");
	/* the same length with 2 MiB leaves needs 2 tables */
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0x40000000, w, 32 * MB2,
					 KEEL_EMU_PROT_READ), "2 MiB leaves");
	TEST_ASSERT_SUCCESS(keel_emu_domain_stats_get(d, &st), "stats");
	TEST_ASSERT_EQUAL(st.table_pages, 3, "root + 2");
	/* up to the bound exactly: 13 more tables (a 2 MiB-level table for
	 * the next 1 GiB, then one 4 KiB-level table per 4 KiB map, each in
	 * a 2 MiB region of its own) */
	for (i = 0; i < 12; i++)
		TEST_ASSERT_SUCCESS(keel_emu_map(d, 0x80000000 + i * MB2,
						 w + GB1 + i * MB2, P,
						 KEEL_EMU_PROT_READ),
				    "map %" PRIu64, i);
	TEST_ASSERT_SUCCESS(keel_emu_domain_stats_get(d, &st), "stats");
	TEST_ASSERT_EQUAL(st.table_pages, 16, "at the bound");
	/* a map into a table that exists needs none: still fine */
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0x80000000 + P, w + GB1 + P, P,
					 KEEL_EMU_PROT_READ), "existing table");
	test_log_capture_start();
	ret = keel_emu_map(d, 0x80000000 + 12 * MB2, w + GB1 + 12 * MB2, P,
			   KEEL_EMU_PROT_READ);
	free(test_log_capture_stop());
	TEST_ASSERT_EQUAL(ret, -ENOSPC, "one past the bound");
	TEST_ASSERT_SUCCESS(keel_emu_unmap(d, 0x80000000, 12 * MB2, NULL), "unmap");
	TEST_ASSERT_SUCCESS(keel_emu_map(d, 0x80000000 + 12 * MB2,
					 w + GB1 + 12 * MB2, P, KEEL_EMU_PROT_READ),
			    "room again");
	TEST_ASSERT_SUCCESS(keel_emu_unmap(d, 0, 1ULL << 40, NULL), "unmap all");
	TEST_ASSERT_SUCCESS(keel_emu_domain_destroy(d), "destroy");

	/* a split-mode unmap that needs a table past the bound: -ENOSPC,
	 * everything still mapped (a 1 GiB leaf split into 2 MiB ones at
	 * most, as after running out of memory) */
	cfg.addr_width = 39;
	cfg.unmap_mode = KEEL_EMU_UNMAP_SPLIT;
	cfg.max_table_pages = 2;
	d = keel_emu_domain_create(&cfg);
	TEST_ASSERT(d != NULL, "split domain");
	TEST_ASSERT_SUCCESS(keel_emu_map(d, GB1, w, GB1, KEEL_EMU_PROT_READ),
			    "1 GiB leaf");
	test_log_capture_start();
	ret = keel_emu_unmap(d, GB1 + MB2 + P, P, NULL);
	log = test_log_capture_stop();
	TEST_ASSERT_EQUAL(ret, -ENOSPC, "split past the bound");
	TEST_ASSERT(emu_t_log_has(log, "past the limit of 2"), "log: %s", log);
	free(log);
	TEST_ASSERT_SUCCESS(keel_emu_domain_stats_get(d, &st), "stats");
	TEST_ASSERT_EQUAL(st.mapped_bytes, GB1, "all still mapped");
	TEST_ASSERT_EQUAL(st.table_pages, 2, "at the bound");
	TEST_ASSERT_SUCCESS(keel_emu_unmap(d, GB1, GB1, NULL), "unmap all");
	TEST_ASSERT_SUCCESS(keel_emu_domain_destroy(d), "destroy");

	/* the default bound (256 MiB of tables): 129 GiB of real VA, never
	 * touched, mapped with 4 KiB leaves would need ~66,000 pages; refused
	 * at once, nothing allocated */
	big = mmap(NULL, BIG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (big == MAP_FAILED)
		return keel_test_skip("cannot reserve %" PRIu64 " GiB of VA: %s",
				      (uint64_t)(BIG >> 30), strerror(errno));
	d = keel_emu_domain_create(NULL);
	TEST_ASSERT(d != NULL, "default domain");
	pages0 = keel_emu_pt_pages_alive();
	test_log_capture_start();
	ret = keel_emu_map(d, 0, (((uintptr_t)big + GB1 - 1) & ~(GB1 - 1)) + P,
			   BIG - 2 * GB1, KEEL_EMU_PROT_READ);
	log = test_log_capture_stop();
	TEST_ASSERT_EQUAL(ret, -ENOSPC, "past the default bound");
	printf("  %s", log);
	TEST_ASSERT(emu_t_log_has(log, "limit of 65536 (262144 KiB)"), "log: %s",
		    log);
	free(log);
	TEST_ASSERT_EQUAL(keel_emu_pt_pages_alive(), pages0, "nothing allocated");
	TEST_ASSERT_SUCCESS(keel_emu_domain_destroy(d), "destroy");
	munmap(big, BIG);
	return TEST_SUCCESS;
}
KEEL_TEST(emu_table_bound, "fast", TEST_NO_EAL, test_emu_table_bound)

/* the computed need against what a map builds: on an empty domain, and
 * on one with tables that a map may reuse, the tables a map adds are
 * exactly emu_pt_tables_needed() less emu_pt_tables_present() */
static int
test_emu_table_need(void)
{
	static const uint64_t pgs[] = { KEEL_EMU_PGSIZES, KB4 | MB2, KB4 | GB1,
					KB4 };
	static const unsigned int aws[] = { 39, 48, 57 };
	uint64_t st = keel_test_seed(), w = emu_t_va_window();
	struct keel_emu_domain_stats s0, s1;
	unsigned int i;

	TEST_ASSERT(w != 0, "window");
	for (i = 0; i < 200; i++) {
		struct keel_emu_domain_config cfg = {
			.addr_width = aws[test_rand(&st) % 3],
			.pgsize_bitmap = pgs[test_rand(&st) % 4],
		};
		struct keel_emu_domain *d = keel_emu_domain_create(&cfg);
		/* a 4 KiB map somewhere first, half the time, so tables exist */
		uint64_t pre = (test_rand(&st) % (8 * GB1 / P)) * P;
		uint64_t iova = (test_rand(&st) % (8 * GB1 / P)) * P;
		uint64_t len = (1 + test_rand(&st) % (test_rand(&st) % 4 == 0 ?
						      64 * 1024 : 2048)) * P;
		uint64_t va = w + (test_rand(&st) % 2 ? iova % GB1 :
				   (test_rand(&st) % 512) * P);
		uint64_t need, have;

		TEST_ASSERT(d != NULL, "domain");
		if (va + len > w + EMU_T_VA_WINDOW)
			len = w + EMU_T_VA_WINDOW - va;
		if (test_rand(&st) % 2 &&
		    (pre + P <= iova || pre >= iova + len))
			TEST_ASSERT_SUCCESS(keel_emu_map(d, pre, w, P,
					    KEEL_EMU_PROT_READ), "pre-map");
		TEST_ASSERT_SUCCESS(keel_emu_domain_stats_get(d, &s0), "stats");
		need = emu_pt_tables_needed(&d->pt, iova, iova + len - 1, va);
		have = emu_pt_tables_present(&d->pt, iova, iova + len - 1);
		TEST_ASSERT_SUCCESS(keel_emu_map(d, iova, va, len,
						 KEEL_EMU_PROT_READ),
				    "map 0x%" PRIx64 "+0x%" PRIx64 " va 0x%" PRIx64,
				    iova, len, va);
		TEST_ASSERT_SUCCESS(keel_emu_domain_stats_get(d, &s1), "stats");
		TEST_ASSERT_EQUAL(s1.table_pages - s0.table_pages, need - have,
				  "aw %u pgs 0x%" PRIx64 " iova 0x%" PRIx64 " len 0x%"
				  PRIx64 " va off 0x%" PRIx64 ": need %" PRIu64
				  ", present %" PRIu64, cfg.addr_width,
				  cfg.pgsize_bitmap, iova, len, va - w, need, have);
		TEST_ASSERT_SUCCESS(keel_emu_unmap(d, 0, 16 * GB1, NULL), "unmap");
		TEST_ASSERT_SUCCESS(keel_emu_domain_destroy(d), "destroy");
	}
	return TEST_SUCCESS;
}
KEEL_TEST(emu_table_need, "fast", TEST_NO_EAL | TEST_RANDOM, test_emu_table_need)
