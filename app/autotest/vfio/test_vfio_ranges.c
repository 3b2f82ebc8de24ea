/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reserved-region parsing (tables of good and malformed lines, and a
 * seeded fuzz over random and mutated text) and IOVA range-list
 * arithmetic (tables, plus a random test against a per-unit bitmap).
 */
#include <stdlib.h>
#include <string.h>

#include "keel_log.h"
#include "keel_vfio_ranges.h"
#include "test.h"
#include "vfio_internal.h"

struct resv_case {
	const char *text;
	int ret;
	unsigned int n;
	uint64_t start0, last0;
	enum keel_vfio_resv_type type0;
	const char *log_has;   /* the error log must contain this */
};

static const struct resv_case resv_cases[] = {
	{ "0x00000000fee00000 0x00000000feefffff msi\n", 0, 1,
	  0xfee00000, 0xfeefffff, KEEL_VFIO_RESV_MSI, NULL },
	{ "0x0000000000000000 0x0000000000ffffff direct-relaxable\n"
	  "0x00000000fee00000 0x00000000feefffff msi\n", 0, 2,
	  0, 0xffffff, KEEL_VFIO_RESV_DIRECT_RELAXABLE, NULL },
	{ "0x1000 0x1fff reserved", 0, 1, 0x1000, 0x1fff,
	  KEEL_VFIO_RESV_RESERVED, NULL },                 /* no newline */
	{ "0xA000 0xAFFF direct\n", 0, 1, 0xa000, 0xafff,
	  KEEL_VFIO_RESV_DIRECT, NULL },                   /* upper hex */
	{ "0x0 0xffffffffffffffff sw-msi2\n", 0, 1, 0, UINT64_MAX,
	  KEEL_VFIO_RESV_UNKNOWN, NULL },                  /* future type */
	{ "", 0, 0, 0, 0, 0, NULL },
	{ "00000000fee00000 0x00000000feefffff msi\n", -EINVAL, 0, 0, 0, 0,
	  "line 1" },
	{ "0x1000 0x1fff msi\n0x 0x1fff msi\n", -EINVAL, 0, 0, 0, 0,
	  "line 2" },
	{ "0x10000000000000000 0x1 msi\n", -EINVAL, 0, 0, 0, 0,
	  "0x10000000000000000" },                         /* 17 digits */
	{ "0x1000  0x1fff msi\n", -EINVAL, 0, 0, 0, 0, "end is not" },
	{ "0x1000 0x1fff msi \n", -EINVAL, 0, 0, 0, 0, "type" },
	{ "0x1000\t0x1fff msi\n", -EINVAL, 0, 0, 0, 0, "line 1" },
	{ "0x1000 0x1fff MSI\n", -EINVAL, 0, 0, 0, 0, "MSI" },
	{ "0x2000 0x1fff msi\n", -EINVAL, 0, 0, 0, 0, "start is above end" },
	{ "0x1000 0x1fff msi\n\n", -EINVAL, 0, 0, 0, 0, "line 2" },
	{ "0x1000 0x1fff msi\r\n", -EINVAL, 0, 0, 0, 0, "msi?" },
	{ "0x1000 0x1fff\n", -EINVAL, 0, 0, 0, 0, "after end" },
	{ "0x1000 0x1fff \n", -EINVAL, 0, 0, 0, 0, "empty" },
	{ "0x1000 0x1fff aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", -EINVAL,
	  0, 0, 0, 0, "longer than 31" },
	{ "0x1000 0x1fffg msi\n", -EINVAL, 0, 0, 0, 0, "line 1" },
	{ "-0x1000 0x1fff msi\n", -EINVAL, 0, 0, 0, 0, "line 1" },
};

static int
test_vfio_resv_parse_table(void)
{
	struct keel_vfio_resv out[4];
	unsigned int i, n;

	for (i = 0; i < sizeof(resv_cases) / sizeof(resv_cases[0]); i++) {
		const struct resv_case *c = &resv_cases[i];
		char *log;
		int ret;

		n = 99;
		test_log_capture_start();
		ret = keel_vfio_resv_parse(c->text, strlen(c->text), out, 4, &n);
		log = test_log_capture_stop();
		if (ret != c->ret || (c->log_has && !strstr(log, c->log_has))) {
			printf("  case %u '%s': ret %d (want %d), log '%s'\n",
			       i, c->text, ret, c->ret, log);
			free(log);
			return TEST_FAILED;
		}
		free(log);
		if (ret < 0) {
			TEST_ASSERT_EQUAL(errno, -c->ret, "case %u errno", i);
			TEST_ASSERT_EQUAL(n, 99, "case %u: n written on error", i);
			continue;
		}
		TEST_ASSERT_EQUAL(n, c->n, "case %u count", i);
		if (n > 0) {
			TEST_ASSERT(out[0].start == c->start0 &&
				    out[0].last == c->last0 &&
				    out[0].type == c->type0,
				    "case %u: got [0x%" PRIx64 ", 0x%" PRIx64 "] %s",
				    i, out[0].start, out[0].last,
				    keel_vfio_resv_type_name(out[0].type));
		}
	}
	/* a NUL inside the text is malformed, not an early end */
	{
		const char t[] = "0x1000 0x1fff msi\n0x2000\0 0x2fff msi\n";

		TEST_ASSERT_EQUAL(keel_vfio_resv_parse(t, sizeof(t) - 1, out, 4,
						       &n), -EINVAL, "NUL");
	}
	/* more lines than room */
	{
		const char *t = "0x1 0x1 msi\n0x2 0x2 msi\n0x3 0x3 msi\n";

		TEST_ASSERT_EQUAL(keel_vfio_resv_parse(t, strlen(t), out, 2, &n),
				  -ENOSPC, "capacity");
	}
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_resv_parse_table, "fast", TEST_NO_EAL, test_vfio_resv_parse_table)

static const char *const fuzz_types[] = {
	"direct", "direct-relaxable", "reserved", "msi"
};

/* Random valid text; returns its length and fills want[] / *nwant. */
static size_t
gen_resv(uint64_t *rs, char *buf, size_t cap, struct keel_vfio_resv *want,
	 unsigned int *nwant)
{
	unsigned int i, n = (unsigned int)(test_rand(rs) % 6);
	size_t len = 0;

	for (i = 0; i < n; i++) {
		uint64_t a = test_rand(rs), b = test_rand(rs);
		unsigned int t = (unsigned int)(test_rand(rs) % 4);

		if (test_rand(rs) & 1) {
			a &= 0xffffffffULL;
			b &= 0xffffffffULL;
		}
		if (a > b) {
			uint64_t x = a;

			a = b;
			b = x;
		}
		len += (size_t)snprintf(buf + len, cap - len,
					"0x%016" PRIx64 " 0x%016" PRIx64 " %s\n",
					a, b, fuzz_types[t]);
		want[i].start = a;
		want[i].last = b;
		want[i].type = (enum keel_vfio_resv_type)t;
	}
	*nwant = n;
	return len;
}

static int
test_vfio_resv_parse_fuzz(void)
{
	uint64_t seed = keel_test_seed(), rs = seed | 1;
	int old = keel_log_get_level(keel_logtype_vfio);
	struct keel_vfio_resv want[8], got[8];
	char buf[1024];
	unsigned int it, i, nwant, ngot;
	unsigned int ok = 0, bad = 0;
	int ret = TEST_SUCCESS;

	/* thousands of expected errors: keep the log quiet */
	keel_log_set_level("iommu.vfio", KEEL_LOG_EMERG);
	for (it = 0; it < 20000 && ret == TEST_SUCCESS; it++) {
		size_t len = gen_resv(&rs, buf, sizeof(buf) - 16, want, &nwant);
		unsigned int m, nmut = (unsigned int)(test_rand(&rs) % 4);
		int r;

		/* round trip of valid text */
		r = keel_vfio_resv_parse(buf, len, got, 8, &ngot);
		for (i = 0; r == 0 && i < nwant && i < ngot; i++)
			if (got[i].start != want[i].start ||
			    got[i].last != want[i].last ||
			    got[i].type != want[i].type)
				break;
		if (r != 0 || ngot != nwant || i != nwant) {
			printf("  seed %" PRIu64 " iter %u: valid text not parsed back (ret %d)\n",
			       seed, it, r);
			ret = TEST_FAILED;
			break;
		}
		/* mutate: flip, insert, delete, truncate, random bytes */
		for (m = 0; m < nmut && len > 0; m++) {
			size_t p = (size_t)(test_rand(&rs) % len);

			switch (test_rand(&rs) % 5) {
			case 0:
				buf[p] ^= (char)(1u << (test_rand(&rs) % 8));
				break;
			case 1:
				memmove(buf + p + 1, buf + p, len - p);
				buf[p] = " x0\n-\0zf"[test_rand(&rs) % 8];
				len++;
				break;
			case 2:
				memmove(buf + p, buf + p + 1, len - p - 1);
				len--;
				break;
			case 3:
				len = p;
				break;
			default:
				buf[p] = (char)test_rand(&rs);
				break;
			}
		}
		if (it % 10 == 9) {
			len = (size_t)(test_rand(&rs) % 200);
			for (i = 0; i < len; i++)
				buf[i] = (char)test_rand(&rs);
		}
		ngot = 77;
		r = keel_vfio_resv_parse(buf, len, got, 8, &ngot);
		if (r == 0) {
			ok++;
			for (i = 0; i < ngot; i++)
				if (got[i].start > got[i].last ||
				    (unsigned int)got[i].type > KEEL_VFIO_RESV_UNKNOWN)
					break;
			if (ngot > 8 || i < ngot) {
				printf("  seed %" PRIu64 " iter %u: accepted an invalid region\n",
				       seed, it);
				ret = TEST_FAILED;
			}
		} else if ((r != -EINVAL && r != -ENOSPC) || ngot != 77) {
			printf("  seed %" PRIu64 " iter %u: ret %d, n %u\n", seed, it,
			       r, ngot);
			ret = TEST_FAILED;
		} else {
			bad++;
		}
	}
	keel_log_set_level("iommu.vfio", (uint32_t)old);
	if (ret == TEST_SUCCESS)
		printf("  seed %" PRIu64 ": %u mutated inputs accepted, %u rejected\n",
		       seed, ok, bad);
	TEST_ASSERT(bad > 0, "no mutated input was rejected (seed %" PRIu64 ")", seed);
	return ret;
}
KEEL_TEST(vfio_resv_parse_fuzz, "fast", TEST_NO_EAL | TEST_RANDOM, test_vfio_resv_parse_fuzz)

#define R(s, l) { (s), (l) }
#define RR(s, l) ((struct keel_iova_range){ (s), (l) })

struct sub_case {
	unsigned int n_in;
	struct keel_iova_range in[4];
	uint64_t start, last;
	int ret;
	unsigned int n_out;
	struct keel_iova_range out[4];
};

static const struct sub_case sub_cases[] = {
	/* split in the middle */
	{ 1, { R(0, 0xfff) }, 0x100, 0x1ff, 0, 2, { R(0, 0xff), R(0x200, 0xfff) } },
	/* head, tail, whole, none */
	{ 1, { R(0x100, 0x1ff) }, 0, 0x17f, 0, 1, { R(0x180, 0x1ff) } },
	{ 1, { R(0x100, 0x1ff) }, 0x180, 0x2ff, 0, 1, { R(0x100, 0x17f) } },
	{ 1, { R(0x100, 0x1ff) }, 0x100, 0x1ff, 0, 0, { R(0, 0) } },
	{ 1, { R(0x100, 0x1ff) }, 0x200, 0x2ff, 0, 1, { R(0x100, 0x1ff) } },
	/* spans three ranges */
	{ 3, { R(0, 0xff), R(0x200, 0x2ff), R(0x400, 0x4ff) }, 0x80, 0x47f, 0,
	  2, { R(0, 0x7f), R(0x480, 0x4ff) } },
	/* the notes' aperture minus the MSI window */
	{ 1, { R(0, 0x7fffffffffULL) }, 0xfee00000, 0xfeefffff, 0, 2,
	  { R(0, 0xfedfffff), R(0xfef00000, 0x7fffffffffULL) } },
	/* full 64-bit space, both ends */
	{ 1, { R(0, UINT64_MAX) }, UINT64_MAX, UINT64_MAX, 0, 1,
	  { R(0, UINT64_MAX - 1) } },
	{ 1, { R(0, UINT64_MAX) }, 0, 0, 0, 1, { R(1, UINT64_MAX) } },
	/* a split with no room: -ENOSPC, unchanged */
	{ 4, { R(0, 0xff), R(0x200, 0x2ff), R(0x400, 0x4ff), R(0x600, 0x6ff) },
	  0x210, 0x21f, -ENOSPC, 4,
	  { R(0, 0xff), R(0x200, 0x2ff), R(0x400, 0x4ff), R(0x600, 0x6ff) } },
	/* inverted */
	{ 1, { R(0, 0xff) }, 0x20, 0x10, -EINVAL, 1, { R(0, 0xff) } },
};

static int
test_vfio_ranges_subtract_table(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(sub_cases) / sizeof(sub_cases[0]); i++) {
		const struct sub_case *c = &sub_cases[i];
		struct keel_iova_range r[4];
		unsigned int n = c->n_in;
		int ret;

		memcpy(r, c->in, sizeof(r));
		ret = keel_vfio_ranges_subtract(r, &n, 4, c->start, c->last);
		TEST_ASSERT_EQUAL(ret, c->ret, "case %u", i);
		TEST_ASSERT_EQUAL(n, c->n_out, "case %u count", i);
		TEST_ASSERT(memcmp(r, c->out, n * sizeof(r[0])) == 0,
			    "case %u ranges differ (first [0x%" PRIx64 ", 0x%" PRIx64 "])",
			    i, r[0].start, r[0].last);
		TEST_ASSERT_SUCCESS(keel_vfio_ranges_check(r, n), "case %u", i);
	}
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_ranges_subtract_table, "fast", TEST_NO_EAL, test_vfio_ranges_subtract_table)

/* Random subtract / clip / mask against a bitmap of 256 units. */
static int
test_vfio_ranges_model(void)
{
	uint64_t seed = keel_test_seed(), rs = seed | 3;
	unsigned int round;

	for (round = 0; round < 300; round++) {
		struct keel_iova_range r[64];
		bool bm[256];
		unsigned int n = 1, i, op;

		r[0].start = 0;
		r[0].last = 255;
		memset(bm, 1, sizeof(bm));
		for (op = 0; op < 20; op++) {
			uint64_t a = test_rand(&rs) % 256, b = test_rand(&rs) % 256;
			unsigned int k = (unsigned int)(test_rand(&rs) % 8);

			if (a > b) {
				uint64_t x = a;

				a = b;
				b = x;
			}
			if (k == 0) {
				keel_vfio_ranges_clip(r, &n, b);
				for (i = (unsigned int)b + 1; i < 256; i++)
					bm[i] = false;
			} else if (k == 1) {
				unsigned int bits = 1 + (unsigned int)(test_rand(&rs) % 8);

				TEST_ASSERT_SUCCESS(keel_vfio_ranges_dma_mask(r, n,
					bits, r, 64, &n), "seed %" PRIu64, seed);
				for (i = 1u << bits; i < 256; i++)
					bm[i] = false;
			} else {
				TEST_ASSERT_SUCCESS(keel_vfio_ranges_subtract(r, &n,
					64, a, b), "seed %" PRIu64, seed);
				for (i = (unsigned int)a; i <= b; i++)
					bm[i] = false;
			}
			TEST_ASSERT_SUCCESS(keel_vfio_ranges_check(r, n),
					    "seed %" PRIu64 " round %u", seed, round);
			for (i = 0; i < 256; i++) {
				unsigned int j;
				bool in = false;

				for (j = 0; j < n; j++)
					if (r[j].start <= i && i <= r[j].last)
						in = true;
				TEST_ASSERT(in == bm[i],
					    "seed %" PRIu64 " round %u op %u: unit %u is %d, model %d",
					    seed, round, op, i, in, bm[i]);
			}
		}
	}
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_ranges_model, "fast", TEST_NO_EAL | TEST_RANDOM, test_vfio_ranges_model)

static int
test_vfio_ranges_misc_table(void)
{
	struct keel_iova_range aw39[2] = {
		R(0, 0xfedfffff), R(0xfef00000, 0x7fffffffffULL)
	};
	struct keel_iova_range r[4], out[4];
	unsigned int n, nout;

	/* DMA mask */
	TEST_ASSERT_SUCCESS(keel_vfio_ranges_dma_mask(aw39, 2, 32, out, 4, &nout), "32");
	TEST_ASSERT_EQUAL(nout, 2, "32-bit mask reaches both");
	TEST_ASSERT(out[1].last == 0xffffffffULL, "clipped to 4G-1");
	TEST_ASSERT_SUCCESS(keel_vfio_ranges_dma_mask(aw39, 2, 28, out, 4, &nout), "28");
	TEST_ASSERT(nout == 1 && out[0].start == 0 && out[0].last == 0xfffffff,
		    "edu default mask: [0, 0xfffffff]");
	TEST_ASSERT_SUCCESS(keel_vfio_ranges_dma_mask(aw39, 2, 64, out, 4, &nout), "64");
	TEST_ASSERT(nout == 2 && out[1].last == 0x7fffffffffULL, "64 bits: unchanged");
	TEST_ASSERT_EQUAL(keel_vfio_ranges_dma_mask(aw39, 2, 0, out, 4, &nout), -EINVAL, "0 bits");
	TEST_ASSERT_EQUAL(keel_vfio_ranges_dma_mask(aw39, 2, 65, out, 4, &nout), -EINVAL, "65 bits");
	TEST_ASSERT_EQUAL(keel_vfio_ranges_dma_mask(aw39, 2, 40, out, 1, &nout), -ENOSPC, "room");
	r[0] = RR(0x100000000ULL, 0x1ffffffffULL);
	TEST_ASSERT_SUCCESS(keel_vfio_ranges_dma_mask(r, 1, 32, out, 4, &nout), "none");
	TEST_ASSERT_EQUAL(nout, 0, "nothing below 4G");

	/* address width */
	TEST_ASSERT_EQUAL(keel_vfio_ranges_addr_width(aw39, 2), 39, "aw39");
	r[0] = RR(0, 0xffffffffffffULL);
	TEST_ASSERT_EQUAL(keel_vfio_ranges_addr_width(r, 1), 48, "aw48");
	r[0] = RR(0, UINT64_MAX);
	TEST_ASSERT_EQUAL(keel_vfio_ranges_addr_width(r, 1), 64, "aw64");
	TEST_ASSERT_EQUAL(keel_vfio_ranges_addr_width(r, 0), 0, "empty");

	/* align to 4K: [0x1001, 0x3ffe] -> [0x2000, 0x2fff]; a sub-page range goes */
	r[0] = RR(0x1001, 0x3ffe);
	r[1] = RR(0x5000, 0x5ffe);
	r[2] = RR(0x7000, 0x8fff);
	r[3] = RR(UINT64_MAX - 0xffe, UINT64_MAX);
	n = 4;
	TEST_ASSERT_SUCCESS(keel_vfio_ranges_align(r, &n, 0x1000), "align");
	TEST_ASSERT_EQUAL(n, 2, "two ranges keep whole pages");
	TEST_ASSERT(r[0].start == 0x2000 && r[0].last == 0x2fff, "first");
	TEST_ASSERT(r[1].start == 0x7000 && r[1].last == 0x8fff, "second");
	r[0] = RR(0, 0xffe);
	n = 1;
	TEST_ASSERT_SUCCESS(keel_vfio_ranges_align(r, &n, 0x1000), "sub-page at 0");
	TEST_ASSERT_EQUAL(n, 0, "no whole page");
	TEST_ASSERT_EQUAL(keel_vfio_ranges_align(r, &n, 0x1800), -EINVAL, "pgsize");

	/* clip */
	memcpy(r, aw39, sizeof(aw39));
	n = 2;
	keel_vfio_ranges_clip(r, &n, 0xfeefffff);
	TEST_ASSERT(n == 1 && r[0].last == 0xfedfffff, "clip in the hole");

	/* check */
	r[0] = RR(0, 0x10);
	r[1] = RR(0x10, 0x20);
	TEST_ASSERT_EQUAL(keel_vfio_ranges_check(r, 2), -EINVAL, "overlap");
	r[1] = RR(0x30, 0x20);
	TEST_ASSERT_EQUAL(keel_vfio_ranges_check(r, 2), -EINVAL, "inverted");
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_ranges_misc_table, "fast", TEST_NO_EAL, test_vfio_ranges_misc_table)
