/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO_IOMMU_GET_INFO decoding: valid replies in any capability order, a
 * table of malformed capability chains (each must be refused with EPROTO
 * and a log line, never read out of bounds), and a seeded fuzz of
 * mutated replies (run it under ASan).
 */
#include <linux/vfio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "keel_log.h"
#include "test.h"
#include "vfio_internal.h"

#define INFO_HDR sizeof(struct vfio_iommu_type1_info)

_Static_assert(offsetof(struct vfio_iommu_type1_info_cap_iova_range, nr_iovas) == 8,
	       "nr_iovas follows the 8-byte capability header");

struct ibuf {
	uint8_t b[512] __attribute__((aligned(8)));
	size_t len;
	size_t last_cap;   /* offset of the last capability header, 0 none */
};

static void
ib_init(struct ibuf *ib, uint64_t pgsizes)
{
	struct vfio_iommu_type1_info *h = (void *)ib->b;

	memset(ib, 0, sizeof(*ib));
	h->argsz = INFO_HDR;
	h->flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
	h->iova_pgsizes = pgsizes;
	ib->len = INFO_HDR;
}

/* Append a capability of @p size bytes (header included, rest zero);
 * returns its offset. Fields are written with memcpy: a capability may
 * sit at a 4-byte offset, as the kernel lays them out. */
static size_t
ib_cap(struct ibuf *ib, uint16_t id, uint16_t version, size_t size)
{
	struct vfio_iommu_type1_info *h = (void *)ib->b;
	struct vfio_info_cap_header c = { .id = id, .version = version };
	size_t off = ib->len;
	uint32_t o32 = (uint32_t)off;

	memset(ib->b + off, 0, size);
	memcpy(ib->b + off, &c, sizeof(c));
	if (ib->last_cap == 0)
		h->cap_offset = o32;
	else
		memcpy(ib->b + ib->last_cap +
		       offsetof(struct vfio_info_cap_header, next), &o32,
		       sizeof(o32));
	ib->last_cap = off;
	ib->len += size;
	h->argsz = (uint32_t)ib->len;
	return off;
}

static void
ib_put32(struct ibuf *ib, size_t off, uint32_t v)
{
	memcpy(ib->b + off, &v, sizeof(v));
}

static void
ib_iova(struct ibuf *ib, unsigned int n, const uint64_t *se)
{
	const size_t hdr = sizeof(struct vfio_iommu_type1_info_cap_iova_range);
	size_t off = ib_cap(ib, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1,
			    hdr + n * sizeof(struct vfio_iova_range));

	ib_put32(ib, off + offsetof(struct vfio_iommu_type1_info_cap_iova_range,
				    nr_iovas), n);
	memcpy(ib->b + off + hdr, se, n * 2 * sizeof(uint64_t));
}

static void
ib_avail(struct ibuf *ib, uint32_t avail)
{
	size_t off = ib_cap(ib, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 1,
			    sizeof(struct vfio_iommu_type1_info_dma_avail));

	ib_put32(ib, off + offsetof(struct vfio_iommu_type1_info_dma_avail, avail),
		 avail);
}

static void
ib_mig(struct ibuf *ib)
{
	ib_cap(ib, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, 1,
	       sizeof(struct vfio_iommu_type1_info_cap_migration));
}

static const uint64_t aw39[4] = { 0, 0xfedfffff, 0xfef00000, 0x7fffffffffULL };

/* The 6.1 reply: IOVA_RANGE, MIGRATION, DMA_AVAIL = 116 bytes. */
static void
ib_linux61(struct ibuf *ib)
{
	ib_init(ib, 0x40201000);
	ib_iova(ib, 2, aw39);
	ib_mig(ib);
	ib_avail(ib, 65535);
}

static int
check_good(const struct ibuf *ib, const char *what)
{
	struct keel_vfio_iommu_info info;

	TEST_ASSERT_SUCCESS(vfio_parse_iommu_info(ib->b, ib->len, &info), "%s", what);
	TEST_ASSERT(info.pgsize_bitmap == 0x40201000, "%s: pgsizes", what);
	TEST_ASSERT(info.has_iova_ranges && info.n_ranges == 2, "%s: ranges", what);
	TEST_ASSERT(info.ranges[0].start == 0 && info.ranges[0].last == 0xfedfffff &&
		    info.ranges[1].start == 0xfef00000 &&
		    info.ranges[1].last == 0x7fffffffffULL, "%s: range values", what);
	TEST_ASSERT(info.has_dma_avail && info.dma_avail == 65535, "%s: avail", what);
	return TEST_SUCCESS;
}

static int
test_vfio_info_parse_good(void)
{
	struct keel_vfio_iommu_info info;
	struct ibuf ib;

	ib_linux61(&ib);
	TEST_ASSERT_EQUAL(ib.len, 116, "the 6.1 reply is 116 bytes");
	if (check_good(&ib, "6.1 order") != TEST_SUCCESS)
		return TEST_FAILED;

	/* other orders, and an unknown capability in the middle */
	ib_init(&ib, 0x40201000);
	ib_avail(&ib, 65535);
	ib_cap(&ib, 0x7777, 3, 40);
	ib_mig(&ib);
	ib_iova(&ib, 2, aw39);
	if (check_good(&ib, "reversed + unknown") != TEST_SUCCESS)
		return TEST_FAILED;

	/* no CAPS flag: the chain is ignored */
	ib_linux61(&ib);
	((struct vfio_iommu_type1_info *)ib.b)->flags = VFIO_IOMMU_INFO_PGSIZES;
	TEST_ASSERT_SUCCESS(vfio_parse_iommu_info(ib.b, ib.len, &info), "no caps flag");
	TEST_ASSERT(!info.has_iova_ranges && !info.has_dma_avail, "caps ignored");

	/* the first call's reply: fixed part only, cap_offset 0 */
	ib_linux61(&ib);
	((struct vfio_iommu_type1_info *)ib.b)->cap_offset = 0;
	TEST_ASSERT_SUCCESS(vfio_parse_iommu_info(ib.b, INFO_HDR, &info), "fixed only");
	TEST_ASSERT(info.pgsize_bitmap == 0x40201000 && !info.has_iova_ranges,
		    "fixed only: pgsizes, no ranges");

	/* an old 16-byte struct (no cap_offset) */
	TEST_ASSERT_SUCCESS(vfio_parse_iommu_info(ib.b, 16, &info), "16 bytes");
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_info_parse_good, "fast", TEST_NO_EAL, test_vfio_info_parse_good)

enum bad_kind {
	BAD_SHORT, BAD_CAP_IN_FIXED, BAD_CAP_PAST_END, BAD_HDR_STRADDLES,
	BAD_NEXT_SELF, BAD_NEXT_BACK, BAD_NEXT_PAST_END, BAD_MISALIGNED,
	BAD_NR_TOO_BIG, BAD_NR_HUGE, BAD_RANGE_INVERTED, BAD_RANGE_OVERLAP,
	BAD_RANGE_UNSORTED, BAD_TWO_IOVA, BAD_AVAIL_SHORT, BAD_TWO_AVAIL,
	BAD_IOVA_V0, BAD_MIG_SHORT, BAD_TOO_MANY_RANGES, BAD_COUNT
};

static const char *const bad_expect_log[BAD_COUNT] = {
	[BAD_SHORT] = "shorter than the fixed part",
	[BAD_CAP_IN_FIXED] = "inside the fixed part",
	[BAD_CAP_PAST_END] = "past the end",
	[BAD_HDR_STRADDLES] = "past the end",
	[BAD_NEXT_SELF] = "next out of range",
	[BAD_NEXT_BACK] = "next out of range",
	[BAD_NEXT_PAST_END] = "next out of range",
	[BAD_MISALIGNED] = "aligned",
	[BAD_NR_TOO_BIG] = "nr_iovas runs past",
	[BAD_NR_HUGE] = "nr_iovas runs past",
	[BAD_RANGE_INVERTED] = "start above end",
	[BAD_RANGE_OVERLAP] = "overlap",
	[BAD_RANGE_UNSORTED] = "out of order",
	[BAD_TWO_IOVA] = "second IOVA_RANGE",
	[BAD_AVAIL_SHORT] = "DMA_AVAIL shorter",
	[BAD_TWO_AVAIL] = "second DMA_AVAIL",
	[BAD_IOVA_V0] = "IOVA_RANGE version",
	[BAD_MIG_SHORT] = "MIGRATION shorter",
	[BAD_TOO_MANY_RANGES] = "too many ranges",
};

static size_t
make_bad(struct ibuf *ib, enum bad_kind k)
{
	struct vfio_iommu_type1_info *h = (void *)ib->b;
	struct vfio_info_cap_header *c;
	uint64_t se[4];

	ib_linux61(ib);
	switch (k) {
	case BAD_SHORT:
		return 12;
	case BAD_CAP_IN_FIXED:
		h->cap_offset = 8;
		break;
	case BAD_CAP_PAST_END:
		h->cap_offset = 400;
		break;
	case BAD_HDR_STRADDLES:
		h->cap_offset = (uint32_t)ib->len - 4;
		break;
	case BAD_NEXT_SELF:
		c = (void *)(ib->b + INFO_HDR);
		c->next = INFO_HDR;
		break;
	case BAD_NEXT_BACK:
		c = (void *)(ib->b + ib->last_cap);
		c->next = INFO_HDR;
		break;
	case BAD_NEXT_PAST_END:
		c = (void *)(ib->b + INFO_HDR);
		c->next = 300;
		break;
	case BAD_MISALIGNED:
		h->cap_offset = INFO_HDR + 2;
		break;
	case BAD_NR_TOO_BIG:
		ib_put32(ib, INFO_HDR + 8, 3);
		break;
	case BAD_NR_HUGE:
		ib_put32(ib, INFO_HDR + 8, 0xffffffffu);
		break;
	case BAD_RANGE_INVERTED:
		se[0] = 0x2000; se[1] = 0x1000; se[2] = 0x10000; se[3] = 0x20000;
		ib_init(ib, 0x1000);
		ib_iova(ib, 2, se);
		break;
	case BAD_RANGE_OVERLAP:
		se[0] = 0; se[1] = 0x2000; se[2] = 0x2000; se[3] = 0x20000;
		ib_init(ib, 0x1000);
		ib_iova(ib, 2, se);
		break;
	case BAD_RANGE_UNSORTED:
		se[0] = 0x10000; se[1] = 0x20000; se[2] = 0; se[3] = 0x1000;
		ib_init(ib, 0x1000);
		ib_iova(ib, 2, se);
		break;
	case BAD_TWO_IOVA:
		ib_iova(ib, 2, aw39);
		break;
	case BAD_AVAIL_SHORT:
		ib_init(ib, 0x1000);
		ib_cap(ib, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 1, 10);
		break;
	case BAD_TWO_AVAIL:
		ib_avail(ib, 3);
		break;
	case BAD_IOVA_V0:
		((struct vfio_info_cap_header *)(ib->b + INFO_HDR))->version = 0;
		break;
	case BAD_MIG_SHORT:
		ib_init(ib, 0x1000);
		ib_cap(ib, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, 1, 12);
		break;
	case BAD_TOO_MANY_RANGES: {
		static uint64_t many[2 * (KEEL_VFIO_MAX_KERNEL_RANGES + 1)];
		unsigned int i;

		for (i = 0; i <= KEEL_VFIO_MAX_KERNEL_RANGES; i++) {
			many[2 * i] = (uint64_t)i * 0x10000;
			many[2 * i + 1] = (uint64_t)i * 0x10000 + 0xfff;
		}
		ib_init(ib, 0x1000);
		/* does not fit ib->b: write only the header, claim the count */
		ib_iova(ib, 1, many);
		ib_put32(ib, INFO_HDR + 8, KEEL_VFIO_MAX_KERNEL_RANGES + 1);
		return 0;   /* handled by the caller with a big buffer */
	}
	default:
		break;
	}
	return ib->len;
}

static int
test_vfio_info_parse_malformed(void)
{
	struct keel_vfio_iommu_info info;
	unsigned int k;

	for (k = 0; k < BAD_COUNT; k++) {
		struct ibuf ib;
		size_t len = make_bad(&ib, (enum bad_kind)k);
		uint8_t *big = NULL;
		const void *p = ib.b;
		char *log;
		int ret;

		if (k == BAD_TOO_MANY_RANGES) {
			size_t n = KEEL_VFIO_MAX_KERNEL_RANGES + 1;

			len = INFO_HDR + 16 + n * 16;
			big = calloc(1, len);
			TEST_ASSERT(big != NULL, "calloc");
			memcpy(big, ib.b, INFO_HDR + 16);
			p = big;
		}
		memset(&info, 0xa5, sizeof(info));
		test_log_capture_start();
		ret = vfio_parse_iommu_info(p, len, &info);
		log = test_log_capture_stop();
		free(big);
		if (ret != -EPROTO || strstr(log, bad_expect_log[k]) == NULL) {
			printf("  case %u: ret %d, log '%s' (want '%s')\n", k, ret,
			       log, bad_expect_log[k]);
			free(log);
			return TEST_FAILED;
		}
		free(log);
		TEST_ASSERT_EQUAL(errno, EPROTO, "case %u errno", k);
		TEST_ASSERT(info.n_ranges == 0xa5a5a5a5u, "case %u: output written on error", k);
	}
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_info_parse_malformed, "fast", TEST_NO_EAL, test_vfio_info_parse_malformed)

static int
test_vfio_info_parse_fuzz(void)
{
	uint64_t seed = keel_test_seed(), rs = seed | 5;
	int old = keel_log_get_level(keel_logtype_vfio);
	struct keel_vfio_iommu_info info;
	unsigned int it, ok = 0, bad = 0;
	int ret = TEST_SUCCESS;

	keel_log_set_level("iommu.vfio", KEEL_LOG_EMERG);
	for (it = 0; it < 20000; it++) {
		struct ibuf ib;
		uint8_t *exact;
		size_t len;
		unsigned int m, nm = 1 + (unsigned int)(test_rand(&rs) % 4);
		int r;

		ib_linux61(&ib);
		len = ib.len;
		for (m = 0; m < nm; m++) {
			size_t p = (size_t)(test_rand(&rs) % len);

			if (test_rand(&rs) % 3 == 0)
				ib.b[p] = (uint8_t)test_rand(&rs);
			else
				ib.b[p] ^= (uint8_t)(1u << (test_rand(&rs) % 8));
		}
		if (test_rand(&rs) % 4 == 0)
			len = (size_t)(test_rand(&rs) % (len + 1));
		/* exact-size heap copy so ASan catches any over-read */
		exact = malloc(len ? len : 1);
		if (exact == NULL)
			break;
		memcpy(exact, ib.b, len);
		r = vfio_parse_iommu_info(exact, len, &info);
		free(exact);
		if (r == 0) {
			ok++;
			if (info.n_ranges > KEEL_VFIO_MAX_KERNEL_RANGES ||
			    keel_vfio_ranges_check(info.ranges, info.n_ranges) != 0) {
				printf("  seed %" PRIu64 " iter %u: accepted bad ranges\n",
				       seed, it);
				ret = TEST_FAILED;
				break;
			}
		} else if (r != -EPROTO) {
			printf("  seed %" PRIu64 " iter %u: ret %d\n", seed, it, r);
			ret = TEST_FAILED;
			break;
		} else {
			bad++;
		}
	}
	keel_log_set_level("iommu.vfio", (uint32_t)old);
	printf("  seed %" PRIu64 ": %u mutated replies accepted, %u refused\n",
	       seed, ok, bad);
	TEST_ASSERT(bad > 0 && ok > 0, "fuzz did not exercise both outcomes");
	return ret;
}
KEEL_TEST(vfio_info_parse_fuzz, "fast", TEST_NO_EAL | TEST_RANDOM, test_vfio_info_parse_fuzz)
