/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO container and group wrappers against the fake kernel: open (API
 * version, type1 v2), bind/unbind, viability, GET_INFO through the ioctl,
 * every MAP/UNMAP rule of type1 v2 with its errno, dma_entry_limit, short
 * unmap, and failure injection on every ioctl of a bind.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/vfio.h>

#include "fake_vfio.h"
#include "keel_log.h"
#include "keel_vfio.h"
#include "test.h"
#include "vfio_internal.h"

#define KB 1024ULL
#define RW (KEEL_IOMMU_PROT_READ | KEEL_IOMMU_PROT_WRITE)


static bool
log_has(const char *log, const char *what)
{
	return log != NULL && strstr(log, what) != NULL;
}

/* Run @p expr with the log captured; fail unless it contains @p what. */
#define EXPECT_LOG(expr, what) do { \
	char *log__; \
	test_log_capture_start(); \
	(void)(expr); \
	log__ = test_log_capture_stop(); \
	if (!log_has(log__, what)) { \
		printf("  %s:%d: log '%s' lacks '%s'\n", __FILE__, __LINE__, \
		       log__, what); \
		free(log__); \
		return TEST_FAILED; \
	} \
	free(log__); \
} while (0)

static int
body_open_close(void)
{
	struct keel_vfio_container *c;
	struct keel_iova_range r[4];
	unsigned int n;

	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open");
	TEST_ASSERT(keel_vfio_container_fd(c) >= 0, "fd");
	TEST_ASSERT_EQUAL(keel_vfio_container_n_groups(c), 0, "no groups");
	TEST_ASSERT_EQUAL(keel_vfio_dma_map(c, 0x100000, 0x100000, 4 * KB, RW),
			  -ENODEV, "map before a group");
	TEST_ASSERT_EQUAL(keel_vfio_usable_ranges(c, r, 4, &n, NULL), -ENODEV,
			  "ranges before a group");
	TEST_ASSERT_EQUAL(fake_vfio_ioctl_count(VFIO_GET_API_VERSION), 1, "api");
	TEST_ASSERT_EQUAL(fake_vfio_ioctl_count(VFIO_CHECK_EXTENSION), 1, "ext");
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close");
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(NULL), "close NULL");
	return TEST_SUCCESS;
}

static int
body_open_fails(int want, const char *logword)
{
	struct keel_vfio_container *c = (void *)0x1;
	int ret;

	EXPECT_LOG(ret = keel_vfio_container_open(&c), logword);
	TEST_ASSERT_EQUAL(ret, want, "open");
	TEST_ASSERT_EQUAL(errno, -want, "errno");
	TEST_ASSERT(c == (void *)0x1, "out written on failure");
	return TEST_SUCCESS;
}

static int
test_vfio_container_open(void)
{
	struct fake_vfio_cfg cfg;

	WITH_FAKE(NULL, body_open_close());
	memset(&cfg, 0, sizeof(cfg));
	cfg.api_version = 1;
	cfg.api_version_set = true;
	WITH_FAKE(&cfg, body_open_fails(-EPROTO, "API version 1"));
	memset(&cfg, 0, sizeof(cfg));
	cfg.no_type1v2 = true;
	WITH_FAKE(&cfg, body_open_fails(-ENOTSUP, "TYPE1v2"));
	/* no /dev/vfio/vfio at all: the real kernel without vfio */
	memset(&cfg, 0, sizeof(cfg));
	fake_vfio_install(&cfg);
	fake_vfio_fail_ioctl(1, ENOTTY);
	{
		struct keel_vfio_container *c;

		TEST_ASSERT_EQUAL(keel_vfio_container_open(&c), -ENOTTY,
				  "GET_API_VERSION fails");
	}
	TEST_ASSERT_EQUAL(fake_vfio_uninstall(), 0, "leak after failed open");
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_container_open, "fast", TEST_NO_EAL, test_vfio_container_open)

static int
body_bind(void)
{
	struct keel_vfio_container *c;
	struct keel_vfio_iommu_info info;
	struct keel_iova_range r[8];
	unsigned int n, aw;

	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open");
	TEST_ASSERT_SUCCESS(keel_vfio_group_bind(c, 7), "bind 7");
	TEST_ASSERT(fake_vfio_group_attached(7) && fake_vfio_iommu_set(),
		    "kernel: group attached, IOMMU set");
	TEST_ASSERT_EQUAL(fake_vfio_ioctl_count(VFIO_SET_IOMMU), 1, "SET_IOMMU once");
	TEST_ASSERT_EQUAL(keel_vfio_group_bind(c, 7), -EEXIST, "bind twice");
	TEST_ASSERT_EQUAL(keel_vfio_group_bind(c, 9), -ENOENT, "no group 9");
	TEST_ASSERT_EQUAL(keel_vfio_group_bind(c, -1), -EINVAL, "group -1");
	TEST_ASSERT_EQUAL(keel_vfio_group_unbind(c, 9), -ENOENT, "unbind 9");
	{
		struct keel_vfio_container *c2;
		int ret;

		/* a group is in one container at a time: the second open of
		 * /dev/vfio/7 is EBUSY, as in the kernel */
		TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c2), "second");
		EXPECT_LOG(ret = keel_vfio_group_bind(c2, 7), "another process or container");
		TEST_ASSERT_EQUAL(ret, -EBUSY, "group in use");
		TEST_ASSERT_EQUAL(keel_vfio_container_n_groups(c2), 0, "not listed");
		TEST_ASSERT_SUCCESS(keel_vfio_container_close(c2), "close second");
		TEST_ASSERT(fake_vfio_group_attached(7), "first keeps it");
	}
	TEST_ASSERT_SUCCESS(keel_vfio_iommu_info(c, &info), "info");
	TEST_ASSERT(info.pgsize_bitmap == 0x40201000, "pgsizes");
	TEST_ASSERT(info.has_iova_ranges && info.n_ranges == 2 &&
		    info.ranges[1].last == 0x7fffffffffULL, "ranges");
	TEST_ASSERT(info.has_dma_avail && info.dma_avail == 65535, "avail");
	TEST_ASSERT(info.has_migration, "migration cap seen");
	TEST_ASSERT_EQUAL(keel_vfio_dma_limit(c), 65535, "limit");
	TEST_ASSERT_SUCCESS(keel_vfio_usable_ranges(c, r, 8, &n, &aw), "usable");
	TEST_ASSERT_EQUAL(aw, 39, "address width");
	TEST_ASSERT(n == 2 && r[0].start == 0 && r[0].last == 0xfedfffff &&
		    r[1].start == 0xfef00000 && r[1].last == 0x7fffffffffULL,
		    "usable ranges");
	TEST_ASSERT_SUCCESS(keel_vfio_group_unbind(c, 7), "unbind");
	TEST_ASSERT(!fake_vfio_group_attached(7) && !fake_vfio_iommu_set(),
		    "kernel: detached, IOMMU gone");
	TEST_ASSERT_EQUAL(keel_vfio_iommu_info(c, &info), -ENODEV, "info after unbind");
	/* bind again: SET_IOMMU again */
	TEST_ASSERT_SUCCESS(keel_vfio_group_bind(c, 7), "rebind");
	TEST_ASSERT_EQUAL(fake_vfio_ioctl_count(VFIO_SET_IOMMU), 2, "SET_IOMMU again");
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close unbinds");
	TEST_ASSERT(!fake_vfio_group_attached(7), "detached by close");
	return TEST_SUCCESS;
}

static int
body_not_viable(void)
{
	struct keel_vfio_container *c;
	int ret;

	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open");
	EXPECT_LOG(ret = keel_vfio_group_bind(c, 7), "group 7 is not viable");
	TEST_ASSERT_EQUAL(ret, -EPERM, "not viable");
	TEST_ASSERT_EQUAL(keel_vfio_container_n_groups(c), 0, "not listed");
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close");
	return TEST_SUCCESS;
}

static int
test_vfio_group_bind(void)
{
	struct fake_vfio_cfg cfg;

	WITH_FAKE(NULL, body_bind());
	memset(&cfg, 0, sizeof(cfg));
	cfg.n_groups = 1;
	cfg.groups[0].num = 7;
	cfg.groups[0].not_viable = true;
	WITH_FAKE(&cfg, body_not_viable());
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_group_bind, "fast", TEST_NO_EAL, test_vfio_group_bind)

/* Fail each ioctl of a bind in turn: the bind fails, the kernel is left
 * as before, and the next bind works. */
static int
body_bind_fail_nth(void)
{
	struct keel_vfio_container *c;
	unsigned int nth, before, per_bind;
	int old = keel_log_get_level(keel_logtype_vfio);

	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open");
	before = fake_vfio_ioctl_total();
	TEST_ASSERT_SUCCESS(keel_vfio_group_bind(c, 7), "bind");
	per_bind = fake_vfio_ioctl_total() - before;
	TEST_ASSERT_SUCCESS(keel_vfio_group_unbind(c, 7), "unbind");
	TEST_ASSERT(per_bind >= 4, "a bind is at least 4 ioctls (%u)", per_bind);
	keel_log_set_level("iommu.vfio", KEEL_LOG_EMERG);
	for (nth = 1; nth <= per_bind; nth++) {
		int ret;

		fake_vfio_fail_ioctl(nth, EIO);
		ret = keel_vfio_group_bind(c, 7);
		fake_vfio_fail_ioctl(0, 0);
		if (ret != -EIO || fake_vfio_group_attached(7) ||
		    fake_vfio_iommu_set() || keel_vfio_container_n_groups(c) != 0) {
			keel_log_set_level("iommu.vfio", (uint32_t)old);
			printf("  failing ioctl %u of %u: ret %d, attached %d\n", nth,
			       per_bind, ret, fake_vfio_group_attached(7));
			return TEST_FAILED;
		}
		if (keel_vfio_group_bind(c, 7) != 0 ||
		    keel_vfio_group_unbind(c, 7) != 0) {
			keel_log_set_level("iommu.vfio", (uint32_t)old);
			printf("  after failing ioctl %u: bind/unbind broken\n", nth);
			return TEST_FAILED;
		}
	}
	keel_log_set_level("iommu.vfio", (uint32_t)old);
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close");
	return TEST_SUCCESS;
}

static int
test_vfio_group_bind_fail_nth(void)
{
	WITH_FAKE(NULL, body_bind_fail_nth());
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_group_bind_fail_nth, "fast", TEST_NO_EAL, test_vfio_group_bind_fail_nth)

static int
body_bind_fails(int want, const char *logword)
{
	struct keel_vfio_container *c;
	int ret;

	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open");
	EXPECT_LOG(ret = keel_vfio_group_bind(c, 7), logword);
	TEST_ASSERT_EQUAL(ret, want, "bind");
	TEST_ASSERT(!fake_vfio_group_attached(7) && !fake_vfio_iommu_set(),
		    "kernel state restored");
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close");
	return TEST_SUCCESS;
}

static int
test_vfio_get_info_ioctl(void)
{
	struct fake_vfio_cfg cfg;
	uint8_t raw[64];
	struct vfio_iommu_type1_info *h = (void *)raw;
	struct vfio_info_cap_header *cap = (void *)(raw + sizeof(*h));

	/* a chain that loops back to itself */
	memset(raw, 0, sizeof(raw));
	h->argsz = sizeof(raw);
	h->flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
	h->iova_pgsizes = 0x1000;
	h->cap_offset = sizeof(*h);
	cap->id = 3;
	cap->version = 1;
	cap->next = sizeof(*h);
	memset(&cfg, 0, sizeof(cfg));
	cfg.raw_info = raw;
	cfg.raw_info_len = sizeof(raw);
	WITH_FAKE(&cfg, body_bind_fails(-EPROTO, "next out of range"));

	/* a kernel that asks for a huge argsz */
	memset(&cfg, 0, sizeof(cfg));
	cfg.info_argsz_lie = 1u << 20;
	WITH_FAKE(&cfg, body_bind_fails(-EPROTO, "asks for argsz 1048576"));

	/* a malformed reserved_regions file fails the bind, naming it */
	memset(&cfg, 0, sizeof(cfg));
	cfg.n_groups = 1;
	cfg.groups[0].num = 7;
	cfg.groups[0].resv_text = "0x00000000fee00000 0x00000000feefffff msi\n"
				  "0xfee00000 feefffff msi\n";
	WITH_FAKE(&cfg, body_bind_fails(-EINVAL, "line 2"));
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_get_info_ioctl, "fast", TEST_NO_EAL, test_vfio_get_info_ioctl)

static int
body_no_caps(uint64_t want_limit)
{
	struct keel_vfio_container *c;
	struct keel_iova_range r[8];
	unsigned int n, aw;

	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open");
	TEST_ASSERT_SUCCESS(keel_vfio_group_bind(c, 7), "bind");
	TEST_ASSERT_EQUAL(keel_vfio_dma_limit(c), want_limit, "limit");
	TEST_ASSERT_SUCCESS(keel_vfio_usable_ranges(c, r, 8, &n, &aw), "usable");
	TEST_ASSERT_EQUAL(aw, 64, "unknown width: 64");
	/* the sysfs MSI window is still excluded */
	TEST_ASSERT(n == 2 && r[0].last == 0xfedfffff &&
		    r[1].start == 0xfef00000 && r[1].last == UINT64_MAX,
		    "[0, msi) and (msi, 2^64)");
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close");
	return TEST_SUCCESS;
}

static int
body_reversed(void)
{
	struct keel_vfio_container *c;
	struct keel_vfio_iommu_info info;

	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open");
	TEST_ASSERT_SUCCESS(keel_vfio_group_bind(c, 7), "bind");
	TEST_ASSERT_SUCCESS(keel_vfio_iommu_info(c, &info), "info");
	TEST_ASSERT(info.n_ranges == 2 && info.dma_avail == 65535 &&
		    info.has_migration, "order does not matter");
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close");
	return TEST_SUCCESS;
}

static int
test_vfio_get_info_variants(void)
{
	struct fake_vfio_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.no_iova_range_cap = true;
	cfg.no_dma_avail_cap = true;
	cfg.dma_entry_limit = 1000;
	WITH_FAKE(&cfg, body_no_caps(1000));   /* module parameter */
	cfg.no_module_param = true;
	WITH_FAKE(&cfg, body_no_caps(0));      /* nothing known */
	memset(&cfg, 0, sizeof(cfg));
	cfg.caps_reversed = true;
	WITH_FAKE(&cfg, body_reversed());
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_get_info_variants, "fast", TEST_NO_EAL, test_vfio_get_info_variants)

struct map_case {
	uint64_t va_off, iova, len;
	uint32_t prot;
	int ret;
	const char *what;
};

static int
body_map_rules(void)
{
	struct keel_vfio_container *c;
	const size_t blen = 1024 * KB;
	uint8_t *buf;
	uint64_t va;
	unsigned int i;

	buf = mmap(NULL, blen, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(buf != MAP_FAILED, "mmap");
	va = (uint64_t)(uintptr_t)buf;
	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open");
	TEST_ASSERT_SUCCESS(keel_vfio_group_bind(c, 7), "bind");
	{
		const struct map_case cases[] = {
			{ 0, 0x100000, 64 * KB, RW, 0, "first" },
			{ 0, 0x100000, 64 * KB, RW, -EEXIST, "identical" },
			{ 0, 0x0f8000, 64 * KB, RW, -EEXIST, "head overlap" },
			{ 0, 0x108000, 64 * KB, RW, -EEXIST, "tail overlap" },
			{ 0, 0x104000, 4 * KB, RW, -EEXIST, "inside" },
			{ 0, 0x0f0000, 1024 * KB, RW, -EEXIST, "covering" },
			{ 64 * KB, 0x110000, 64 * KB, RW, 0, "adjacent" },
			{ 0, 0x200000, 64 * KB, KEEL_IOMMU_PROT_READ, 0, "same va, read-only" },
			{ 0, 0, 4 * KB, KEEL_IOMMU_PROT_WRITE, 0, "iova 0, write-only" },
			{ 0, 0x300800, 4 * KB, RW, -EINVAL, "unaligned iova" },
			{ 0, 0x300000, 6 * KB, RW, -EINVAL, "unaligned len" },
			{ 0x800, 0x300000, 4 * KB, RW, -EINVAL, "unaligned va" },
			{ 0, 0x300000, 0, RW, -EINVAL, "zero len" },
			{ 0, 0xfffffffffffff000ULL, 8 * KB, RW, -EINVAL, "iova wraps" },
			{ 0, 0x300000, 4 * KB, 0, -EINVAL, "no prot" },
			{ 0, 0x300000, 4 * KB, 4, -EINVAL, "unknown prot" },
			{ 0, 0xfee00000, 4 * KB, RW, -EINVAL, "MSI window" },
			{ 0, 0xfedff000, 8 * KB, RW, -EINVAL, "straddles the hole" },
			{ 0, 0x8000000000ULL, 4 * KB, RW, -EINVAL, "beyond aw 39" },
			{ 0, 0xfef00000, 4 * KB, RW, 0, "right after the window" },
		};

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const struct map_case *m = &cases[i];
			unsigned int before = fake_vfio_n_mappings();
			int ret;

			errno = 0;
			test_log_capture_start();
			ret = keel_vfio_dma_map(c, va + m->va_off, m->iova, m->len,
						m->prot);
			free(test_log_capture_stop());
			TEST_ASSERT_EQUAL(ret, m->ret, "%s", m->what);
			if (ret < 0) {
				TEST_ASSERT_EQUAL(errno, -ret, "%s: errno", m->what);
				TEST_ASSERT_EQUAL(fake_vfio_n_mappings(), before,
						  "%s: nothing mapped", m->what);
			} else {
				TEST_ASSERT(fake_vfio_has_mapping(m->iova, m->len,
								  va + m->va_off),
					    "%s: kernel has it", m->what);
			}
		}
	}
	/* vaddr the kernel cannot pin */
	TEST_ASSERT_EQUAL(keel_vfio_dma_map(c, 0x1000, 0x400000, 4 * KB, RW),
			  -EFAULT, "vaddr 0x1000");
	/* the error log names the values */
	EXPECT_LOG(keel_vfio_dma_map(c, va, 0x100000, 64 * KB, RW),
		   "iova 0x100000 len 0x10000");
	TEST_ASSERT_EQUAL(fake_vfio_dma_avail(), 65535 - 5, "DMA_AVAIL counts maps");
	/* clean up through UNMAP_DMA so unbind is allowed */
	{
		uint64_t un;

		TEST_ASSERT_SUCCESS(keel_vfio_dma_unmap(c, 0, 4 * KB, &un), "u0");
		TEST_ASSERT_SUCCESS(keel_vfio_dma_unmap(c, 0x100000, 128 * KB, &un),
				    "two adjacent maps in one unmap");
		TEST_ASSERT_EQUAL(un, 128 * KB, "unmapped both");
		TEST_ASSERT_SUCCESS(keel_vfio_dma_unmap(c, 0x200000, 64 * KB, &un), "u2");
		TEST_ASSERT_SUCCESS(keel_vfio_dma_unmap(c, 0xfef00000, 4 * KB, &un), "u3");
	}
	TEST_ASSERT_EQUAL(fake_vfio_n_mappings(), 0, "all gone");
	TEST_ASSERT_EQUAL(fake_vfio_dma_avail(), 65535, "DMA_AVAIL back");
	TEST_ASSERT_SUCCESS(keel_vfio_group_unbind(c, 7), "unbind");
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close");
	munmap(buf, blen);
	return TEST_SUCCESS;
}

static int
test_vfio_dma_map_rules(void)
{
	WITH_FAKE(NULL, body_map_rules());
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_dma_map_rules, "fast", TEST_NO_EAL, test_vfio_dma_map_rules)

static int
body_unmap_rules(void)
{
	struct keel_vfio_container *c;
	const uint64_t A = 0x100000, P = 4 * KB;
	uint64_t va, un;
	uint8_t *buf;
	char *log;
	int ret;

	buf = mmap(NULL, 256 * KB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(buf != MAP_FAILED, "mmap");
	va = (uint64_t)(uintptr_t)buf;
	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open");
	TEST_ASSERT_SUCCESS(keel_vfio_group_bind(c, 7), "bind");
	TEST_ASSERT_SUCCESS(keel_vfio_dma_map(c, va, A, 16 * P, RW), "16 pages");

	/* no bisection: middle, first, last page, empty space into it */
	TEST_ASSERT_EQUAL(keel_vfio_dma_unmap(c, A + 8 * P, P, &un), -EINVAL, "middle");
	TEST_ASSERT_EQUAL(un, 0, "nothing reported");
	TEST_ASSERT_EQUAL(keel_vfio_dma_unmap(c, A, P, &un), -EINVAL, "first page");
	TEST_ASSERT_EQUAL(keel_vfio_dma_unmap(c, A + 15 * P, P, &un), -EINVAL, "last");
	TEST_ASSERT_EQUAL(keel_vfio_dma_unmap(c, A - P, 2 * P, &un), -EINVAL, "into it");
	TEST_ASSERT(fake_vfio_has_mapping(A, 16 * P, va), "nothing removed");
	TEST_ASSERT_EQUAL(keel_vfio_dma_unmap(c, A, 0, &un), -EINVAL, "zero len");
	TEST_ASSERT_EQUAL(keel_vfio_dma_unmap(c, A, P + 1, &un), -EINVAL, "unaligned");
	TEST_ASSERT_EQUAL(keel_vfio_dma_unmap(c, UINT64_MAX - P + 1, 2 * P, &un),
			  -EINVAL, "wraps");

	/* a hole before the mapping: the kernel unmaps less than asked */
	test_log_capture_start();
	ret = keel_vfio_dma_unmap(c, A - 16 * P, 32 * P, &un);
	log = test_log_capture_stop();
	TEST_ASSERT_EQUAL(ret, -EIO, "short unmap is an error");
	TEST_ASSERT_EQUAL(errno, EIO, "errno");
	TEST_ASSERT_EQUAL(un, 16 * P, "reports what the kernel removed");
	TEST_ASSERT(log_has(log, "unmapped 0x10000 bytes, requested 0x20000"),
		    "log names both sizes: '%s'", log);
	free(log);
	TEST_ASSERT_EQUAL(fake_vfio_n_mappings(), 0, "kernel removed it");

	/* empty range: the kernel says 0 bytes */
	TEST_ASSERT_EQUAL(keel_vfio_dma_unmap(c, A, P, &un), -EIO, "empty");
	TEST_ASSERT_EQUAL(un, 0, "0 bytes");

	/* mappings 1 MiB apart, one call */
	TEST_ASSERT_SUCCESS(keel_vfio_dma_map(c, va, A, 16 * P, RW), "m1");
	TEST_ASSERT_SUCCESS(keel_vfio_dma_map(c, va, A + 0x100000, 16 * P, RW), "m2");
	TEST_ASSERT_EQUAL(keel_vfio_dma_unmap(c, A, 0x100000 + 16 * P, &un), -EIO,
			  "hole between: short");
	TEST_ASSERT_EQUAL(un, 32 * P, "both removed");
	TEST_ASSERT_SUCCESS(keel_vfio_group_unbind(c, 7), "unbind");
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close");
	munmap(buf, 256 * KB);
	return TEST_SUCCESS;
}

static int
test_vfio_dma_unmap_rules(void)
{
	WITH_FAKE(NULL, body_unmap_rules());
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_dma_unmap_rules, "fast", TEST_NO_EAL, test_vfio_dma_unmap_rules)

/* 6.1: an unmap stops at another mm's mapping and reports fewer bytes. */
static int
body_unmap_short(void)
{
	struct keel_vfio_container *c;
	uint64_t va, un;
	uint8_t *buf;
	char *log;
	int ret;

	buf = mmap(NULL, 128 * KB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(buf != MAP_FAILED, "mmap");
	va = (uint64_t)(uintptr_t)buf;
	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open");
	TEST_ASSERT_SUCCESS(keel_vfio_group_bind(c, 7), "bind");
	TEST_ASSERT_SUCCESS(keel_vfio_dma_map(c, va, 0x200000, 64 * KB, RW), "A");
	TEST_ASSERT_SUCCESS(keel_vfio_dma_map(c, va + 64 * KB, 0x210000, 64 * KB, RW), "B");
	TEST_ASSERT_SUCCESS(fake_vfio_mark_foreign(0x210000), "B foreign");
	test_log_capture_start();
	ret = keel_vfio_dma_unmap(c, 0x200000, 128 * KB, &un);
	log = test_log_capture_stop();
	TEST_ASSERT_EQUAL(ret, -EIO, "short");
	TEST_ASSERT_EQUAL(un, 64 * KB, "only A");
	TEST_ASSERT(log_has(log, "0x200000") && log_has(log, "0x10000") &&
		    log_has(log, "0x20000"), "log: '%s'", log);
	free(log);
	TEST_ASSERT(!fake_vfio_has_mapping(0x200000, 64 * KB, va), "A gone");
	TEST_ASSERT(fake_vfio_has_mapping(0x210000, 64 * KB, va + 64 * KB), "B kept");
	/* B's bytes are still counted: the last group cannot go */
	TEST_ASSERT_EQUAL(keel_vfio_group_unbind(c, 7), -EBUSY, "mapped bytes remain");
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close");
	munmap(buf, 128 * KB);
	return TEST_SUCCESS;
}

static int
test_vfio_dma_unmap_short(void)
{
	WITH_FAKE(NULL, body_unmap_short());
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_dma_unmap_short, "fast", TEST_NO_EAL, test_vfio_dma_unmap_short)

static int
body_entry_limit(void)
{
	struct keel_vfio_container *c;
	uint64_t va, un;
	uint8_t *buf;
	unsigned int i;
	int ret;

	buf = mmap(NULL, 64 * KB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(buf != MAP_FAILED, "mmap");
	va = (uint64_t)(uintptr_t)buf;
	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open");
	TEST_ASSERT_SUCCESS(keel_vfio_group_bind(c, 7), "bind");
	TEST_ASSERT_EQUAL(keel_vfio_dma_limit(c), 4, "DMA_AVAIL at bind = limit");
	for (i = 0; i < 4; i++)
		TEST_ASSERT_SUCCESS(keel_vfio_dma_map(c, va, 0x100000 + i * 0x10000,
						      4 * KB, RW), "map %u", i);
	EXPECT_LOG(ret = keel_vfio_dma_map(c, va, 0x200000, 4 * KB, RW),
		   "dma_entry_limit");
	TEST_ASSERT_EQUAL(ret, -ENOSPC, "5th map");
	TEST_ASSERT_SUCCESS(keel_vfio_dma_unmap(c, 0x100000, 4 * KB, &un), "unmap one");
	TEST_ASSERT_SUCCESS(keel_vfio_dma_map(c, va, 0x200000, 4 * KB, RW), "room again");
	TEST_ASSERT_EQUAL(keel_vfio_dma_limit(c), 4, "limit is not the current avail");
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close drops all");
	munmap(buf, 64 * KB);
	return TEST_SUCCESS;
}

static int
test_vfio_dma_entry_limit(void)
{
	struct fake_vfio_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.dma_entry_limit = 4;
	WITH_FAKE(&cfg, body_entry_limit());
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_dma_entry_limit, "fast", TEST_NO_EAL, test_vfio_dma_entry_limit)

static int
body_two_groups(void)
{
	struct keel_vfio_container *c;
	struct keel_iova_range r[8];
	unsigned int n, aw;

	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open");
	TEST_ASSERT_SUCCESS(keel_vfio_group_bind(c, 5), "bind 5");
	TEST_ASSERT_SUCCESS(keel_vfio_group_bind(c, 6), "bind 6");
	TEST_ASSERT_EQUAL(keel_vfio_container_n_groups(c), 2, "two groups");
	TEST_ASSERT_EQUAL(fake_vfio_ioctl_count(VFIO_SET_IOMMU), 1, "IOMMU set once");
	TEST_ASSERT_SUCCESS(keel_vfio_usable_ranges(c, r, 8, &n, &aw), "usable");
	/* group 5: direct-relaxable [0, 16M) stays usable; "reserved"
	 * [1M, 2M) and group 6's [0x1000000000, +4K) do not */
	TEST_ASSERT_EQUAL(n, 4, "ranges");
	TEST_ASSERT(r[0].start == 0 && r[0].last == 0xfffff, "r0");
	TEST_ASSERT(r[1].start == 0x200000 && r[1].last == 0xfedfffff, "r1");
	TEST_ASSERT(r[2].start == 0xfef00000 && r[2].last == 0xfffffffffULL, "r2");
	TEST_ASSERT(r[3].start == 0x1000001000ULL && r[3].last == 0x7fffffffffULL, "r3");
	/* keep only the 2 largest */
	TEST_ASSERT_SUCCESS(keel_vfio_usable_ranges(c, r, 2, &n, &aw), "usable 2");
	TEST_ASSERT(n == 2 && r[0].start == 0xfef00000 &&
		    r[1].start == 0x1000001000ULL, "two largest, ascending");
	TEST_ASSERT_SUCCESS(keel_vfio_group_unbind(c, 5), "unbind 5");
	TEST_ASSERT(fake_vfio_iommu_set(), "group 6 keeps the IOMMU");
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close");
	return TEST_SUCCESS;
}

static int
test_vfio_usable_two_groups(void)
{
	struct fake_vfio_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.n_groups = 2;
	cfg.groups[0].num = 5;
	cfg.groups[0].resv_text =
		"0x0000000000000000 0x0000000000ffffff direct-relaxable\n"
		"0x0000000000100000 0x00000000001fffff reserved\n"
		"0x00000000fee00000 0x00000000feefffff msi\n";
	cfg.groups[1].num = 6;
	cfg.groups[1].resv_text =
		"0x00000000fee00000 0x00000000feefffff msi\n"
		"0x0000001000000000 0x0000001000000fff direct\n";
	cfg.n_devices = 2;
	cfg.devices[0].name = "0000:00:1f.2";
	cfg.devices[0].group = 5;
	cfg.devices[1].name = "0000:00:04.0";
	cfg.devices[1].group = 6;
	WITH_FAKE(&cfg, body_two_groups());
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_usable_two_groups, "fast", TEST_NO_EAL, test_vfio_usable_two_groups)

static int
body_sys_ops_busy(void)
{
	struct keel_vfio_container *c;
	struct keel_vfio_sys_ops bad = *keel_vfio_get_sys_ops();
	int ret;

	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open");
	EXPECT_LOG(ret = keel_vfio_set_sys_ops(NULL),
		   "1 containers/devices are open");
	TEST_ASSERT_EQUAL(ret, -EBUSY, "busy");
	TEST_ASSERT_EQUAL(keel_vfio_set_sysfs_root("/tmp"), -EBUSY, "root busy");
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close");
	bad.ioctl = NULL;
	TEST_ASSERT_EQUAL(keel_vfio_set_sys_ops(&bad), -EINVAL, "NULL member");
	TEST_ASSERT(strcmp(keel_vfio_get_sysfs_root(), fake_vfio_sysfs_dir()) == 0,
		    "root unchanged");
	return TEST_SUCCESS;
}

static int
test_vfio_sys_ops(void)
{
	WITH_FAKE(NULL, body_sys_ops_busy());
	TEST_ASSERT(strcmp(keel_vfio_get_sysfs_root(), "/sys") == 0, "restored");
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_sys_ops, "fast", TEST_NO_EAL, test_vfio_sys_ops)

/* Several threads map and unmap disjoint IOVA windows at once: the
 * container's byte accounting stays exact (unbind of the last group is
 * allowed only at zero) and the kernel ends empty. */
#define MT_THREADS 4
#define MT_OPS 400

struct mt_arg {
	struct keel_vfio_container *c;
	uint64_t va;
	uint64_t base;
	int failures;
};

static void *
mt_worker(void *p)
{
	struct mt_arg *a = p;
	unsigned int i;

	for (i = 0; i < MT_OPS; i++) {
		uint64_t iova = a->base + (uint64_t)(i % 8) * 0x10000, un;

		if (keel_vfio_dma_map(a->c, a->va, iova, 0x10000, RW) != 0 ||
		    keel_vfio_dma_unmap(a->c, iova, 0x10000, &un) != 0 ||
		    un != 0x10000)
			a->failures++;
	}
	return NULL;
}

static int
body_concurrent(void)
{
	struct keel_vfio_container *c;
	struct mt_arg args[MT_THREADS];
	pthread_t th[MT_THREADS];
	uint8_t *buf;
	unsigned int i;

	buf = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(buf != MAP_FAILED, "mmap");
	TEST_ASSERT_SUCCESS(keel_vfio_container_open(&c), "open");
	TEST_ASSERT_SUCCESS(keel_vfio_group_bind(c, 7), "bind");
	for (i = 0; i < MT_THREADS; i++) {
		args[i].c = c;
		args[i].va = (uint64_t)(uintptr_t)buf;
		args[i].base = 0x10000000ULL * (i + 1);
		args[i].failures = 0;
		TEST_ASSERT_SUCCESS(pthread_create(&th[i], NULL, mt_worker, &args[i]),
				    "thread %u", i);
	}
	for (i = 0; i < MT_THREADS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < MT_THREADS; i++)
		TEST_ASSERT_EQUAL(args[i].failures, 0, "thread %u", i);
	TEST_ASSERT_EQUAL(fake_vfio_n_mappings(), 0, "kernel empty");
	TEST_ASSERT_EQUAL(fake_vfio_ioctl_count(VFIO_IOMMU_MAP_DMA),
			  MT_THREADS * MT_OPS, "every map reached the kernel");
	TEST_ASSERT_SUCCESS(keel_vfio_group_unbind(c, 7), "accounting is back at 0");
	TEST_ASSERT_SUCCESS(keel_vfio_container_close(c), "close");
	munmap(buf, 0x10000);
	return TEST_SUCCESS;
}

static int
test_vfio_dma_concurrent(void)
{
	WITH_FAKE(NULL, body_concurrent());
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_dma_concurrent, "fast", TEST_NO_EAL, test_vfio_dma_concurrent)
