/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio-iommu topology parser: a valid description and its lookups; each
 * malformed kind rejected with -EINVAL and a log line naming the value;
 * two devices that would share an endpoint ID refused; nothing allocated
 * before the buffer is known to hold the items it claims; the fuzz body
 * over thousands of random and mutated inputs.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "keel_log.h"
#include "test.h"
#include "emu_test_util.h"
#include "emu_topo_internal.h"
#include "fuzz/topology_fuzz.h"

struct tbuf {
	uint8_t b[512];
	size_t len;
};

static void
put(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
hdr(struct tbuf *t, uint32_t off, uint32_t num, uint32_t ilen)
{
	memset(t, 0, sizeof(*t));
	put(t->b, off, 4);
	put(t->b + 4, num, 4);
	put(t->b + 8, ilen, 4);
	t->len = 12;
}

/* item @p i at offset + i * ilen */
static uint8_t *
item(struct tbuf *t, unsigned int i)
{
	uint32_t off = t->b[0] | t->b[1] << 8, ilen = t->b[8] | t->b[9] << 8;
	size_t end = off + (size_t)(i + 1) * ilen;

	if (end > t->len)
		t->len = end;
	return t->b + off + (size_t)i * ilen;
}

static void
pci(struct tbuf *t, unsigned int i, uint16_t h, uint16_t s, uint16_t e,
    uint32_t ep)
{
	uint8_t *q = item(t, i);

	put(q, KEEL_EMU_TOPO_PCI_RANGE, 2);
	put(q + 2, h, 2);
	put(q + 4, s, 2);
	put(q + 6, e, 2);
	put(q + 8, ep, 4);
}

static void
mmio(struct tbuf *t, unsigned int i, uint32_t ep, uint64_t addr)
{
	uint8_t *q = item(t, i);

	put(q, KEEL_EMU_TOPO_ENDPOINT, 2);
	put(q + 4, ep, 4);
	put(q + 8, addr, 8);
}

static int
rejects(const struct tbuf *t, const char *needle, const char *what)
{
	struct keel_emu_topology *topo = (void *)1;
	uint8_t *copy = malloc(t->len ? t->len : 1); /* exact size for ASan */
	char *log;
	int r;

	TEST_ASSERT(copy != NULL, "malloc");
	memcpy(copy, t->b, t->len);
	test_log_capture_start();
	errno = 0;
	r = keel_emu_topology_parse(copy, t->len, &topo);
	log = test_log_capture_stop();
	free(copy);
	if (r != -EINVAL || errno != EINVAL || topo != NULL ||
	    !emu_t_log_has(log, needle)) {
		printf("  %s: got %d errno %d topo %p; log '%s' should name '%s'\n",
		       what, r, errno, (void *)topo, log ? log : "", needle);
		free(log);
		return TEST_FAILED;
	}
	free(log);
	return TEST_SUCCESS;
}

static int
test_emu_topology(void)
{
	struct keel_emu_topo_iommu iommu;
	struct keel_emu_topology *topo;
	unsigned int io = 99;
	struct tbuf t;
	uint32_t ep;

	/* valid: two PCI ranges in two hierarchies, one MMIO endpoint, with
	 * items padded to 20 bytes (item_length may exceed the item size) */
	hdr(&t, 16, 3, 20);
	pci(&t, 0, 0, 0x0008, 0x00ff, 0x100);
	pci(&t, 1, 1, 0x0000, 0xffff, 0x10000);
	mmio(&t, 2, 77, 0xfeb00000);
	TEST_ASSERT_SUCCESS(keel_emu_topology_parse(t.b, t.len, &topo), "valid");
	TEST_ASSERT_EQUAL(keel_emu_topology_count(topo), 3, "count");
	TEST_ASSERT_SUCCESS(keel_emu_topology_lookup_pci(topo, 0, 0x0010, &ep, NULL),
			    "00:02.0");
	TEST_ASSERT_EQUAL(ep, 0x108, "endpoint of 00:02.0");
	TEST_ASSERT_SUCCESS(keel_emu_topology_lookup_pci(topo, 1, 0xffff, &ep, NULL),
			    "last rid");
	TEST_ASSERT_EQUAL(ep, 0x1ffff, "endpoint of the last rid");
	TEST_ASSERT_EQUAL(keel_emu_topology_lookup_pci(topo, 0, 0x0007, &ep, NULL),
			  -ENOENT, "rid below the range");
	TEST_ASSERT_EQUAL(keel_emu_topology_lookup_pci(topo, 2, 0x0010, &ep, NULL),
			  -ENOENT, "other hierarchy");
	TEST_ASSERT_SUCCESS(keel_emu_topology_lookup_mmio(topo, 0xfeb00000, &ep, &io),
			    "mmio");
	TEST_ASSERT_EQUAL(ep, 77, "mmio endpoint");
	TEST_ASSERT_EQUAL(io, 0, "the one IOMMU");
	TEST_ASSERT_EQUAL(keel_emu_topology_iommu_count(topo), 1, "IOMMUs");
	TEST_ASSERT_SUCCESS(keel_emu_topology_iommu_get(topo, 0, &iommu), "iommu 0");
	TEST_ASSERT_EQUAL(iommu.kind, KEEL_EMU_TOPO_IOMMU_SELF, "kind");
	TEST_ASSERT_EQUAL(keel_emu_topology_iommu_get(topo, 1, &iommu), -EINVAL,
			  "no iommu 1");
	TEST_ASSERT_EQUAL(keel_emu_topology_lookup_mmio(topo, 0xfeb01000, &ep, NULL),
			  -ENOENT, "mmio miss");
	keel_emu_topology_free(topo);
	/* an empty description is valid */
	hdr(&t, 0, 0, 0);
	TEST_ASSERT_SUCCESS(keel_emu_topology_parse(t.b, t.len, &topo), "empty");
	TEST_ASSERT_EQUAL(keel_emu_topology_count(topo), 0, "empty count");
	keel_emu_topology_free(topo);

	/* each malformed kind */
	hdr(&t, 12, 1, 12);
	t.len = 11;
	TEST_ASSERT_SUCCESS(rejects(&t, "11 bytes", "short header"), "malformed");
	hdr(&t, 8, 1, 12);
	t.len = 40;
	TEST_ASSERT_SUCCESS(rejects(&t, "offset 8", "offset in header"), "malformed");
	hdr(&t, 14, 1, 12);
	t.len = 40;
	TEST_ASSERT_SUCCESS(rejects(&t, "offset 14", "unaligned offset"), "malformed");
	hdr(&t, 0xfffffffc, 1, 12);
	t.len = 40;
	TEST_ASSERT_SUCCESS(rejects(&t, "offset 4294967292", "offset past end"), "malformed");
	hdr(&t, 12, 4096, 0xfffffffc);
	t.len = 40;
	TEST_ASSERT_SUCCESS(rejects(&t, "4294967292", "num * item_length"), "malformed");
	hdr(&t, 12, 0xffffffff, 12);
	t.len = 40;
	TEST_ASSERT_SUCCESS(rejects(&t, "num_items 4294967295", "num_items"), "malformed");
	hdr(&t, 12, 1, 6);
	t.len = 40;
	TEST_ASSERT_SUCCESS(rejects(&t, "item_length 6", "item_length % 4"), "malformed");
	hdr(&t, 12, 1, 0);
	t.len = 40;
	TEST_ASSERT_SUCCESS(rejects(&t, "item_length 0", "item_length 0"), "malformed");
	hdr(&t, 12, 2, 12);
	pci(&t, 0, 0, 0, 7, 0);
	t.len = 12 + 12 + 11;  /* the second item is cut short */
	TEST_ASSERT_SUCCESS(rejects(&t, "do not fit", "truncated buffer"), "malformed");
	hdr(&t, 12, 1, 12);
	mmio(&t, 0, 1, 0x1000); /* 16-byte item in a 12-byte slot */
	t.len = 24;
	TEST_ASSERT_SUCCESS(rejects(&t, "truncated to 12", "truncated item"), "malformed");
	hdr(&t, 12, 1, 8);
	pci(&t, 0, 0, 0, 1, 0);
	t.len = 20;
	TEST_ASSERT_SUCCESS(rejects(&t, "truncated to 8", "truncated pci"), "malformed");
	hdr(&t, 12, 1, 12);
	put(item(&t, 0), 7, 2);
	TEST_ASSERT_SUCCESS(rejects(&t, "unknown type 7", "unknown type"), "malformed");
	hdr(&t, 12, 1, 12);
	pci(&t, 0, 0, 9, 8, 0);
	TEST_ASSERT_SUCCESS(rejects(&t, "requester_start 0x9", "start > end"), "malformed");
	hdr(&t, 12, 1, 12);
	pci(&t, 0, 0, 0, 0x10, 0xfffffff8);
	TEST_ASSERT_SUCCESS(rejects(&t, "4294967288", "endpoint overflow"), "malformed");
	hdr(&t, 12, 2, 12);
	pci(&t, 0, 3, 0x10, 0x20, 0);
	pci(&t, 1, 3, 0x20, 0x30, 100);
	TEST_ASSERT_SUCCESS(rejects(&t, "0x20-0x30", "overlapping ranges"), "malformed");
	hdr(&t, 12, 2, 16);
	mmio(&t, 0, 1, 0xfee00000);
	mmio(&t, 1, 2, 0xfee00000);
	TEST_ASSERT_SUCCESS(rejects(&t, "0xfee00000", "duplicate address"), "malformed");
	/* the same ranges in different hierarchies are fine */
	hdr(&t, 12, 2, 12);
	pci(&t, 0, 3, 0x10, 0x20, 0);
	pci(&t, 1, 4, 0x10, 0x20, 100);
	TEST_ASSERT_SUCCESS(keel_emu_topology_parse(t.b, t.len, &topo), "2 hier");
	keel_emu_topology_free(topo);
	return TEST_SUCCESS;
}
KEEL_TEST(emu_topology, "fast", TEST_NO_EAL, test_emu_topology)

/*
 * Two devices must never share an endpoint ID: the IOMMU could not tell
 * them apart (one domain for both). Each case was accepted before.
 */
static int
test_emu_topology_shared_endpoint(void)
{
	struct keel_emu_topology *topo;
	struct tbuf t;

	/* RIDs 0x00-0x0f -> 0-15 and 0x10-0x1f -> 8-23 */
	hdr(&t, 12, 2, 12);
	pci(&t, 0, 0, 0x00, 0x0f, 0);
	pci(&t, 1, 0, 0x10, 0x1f, 8);
	TEST_ASSERT_SUCCESS(rejects(&t, "endpoint IDs 8-23 overlap those of item 0 "
				    "(0-15)", "PCI ranges, other RIDs"), "shared");
	/* the same in two hierarchies, and a range inside another's IDs */
	hdr(&t, 12, 2, 12);
	pci(&t, 0, 3, 0x10, 0x20, 100);
	pci(&t, 1, 4, 0x10, 0x11, 116);
	TEST_ASSERT_SUCCESS(rejects(&t, "endpoint IDs 116-117", "two hierarchies"),
			    "shared");
	/* an MMIO endpoint inside a PCI range's IDs, listed first */
	hdr(&t, 12, 2, 16);
	mmio(&t, 0, 0x80, 0xfeb00000);
	pci(&t, 1, 0, 0x00, 0xff, 0);
	TEST_ASSERT_SUCCESS(rejects(&t, "endpoint IDs 128-128 overlap those of "
				    "item 1 (0-255)", "MMIO in PCI"), "shared");
	/* two MMIO endpoints with one ID */
	hdr(&t, 12, 2, 16);
	mmio(&t, 0, 5, 0xfeb00000);
	mmio(&t, 1, 5, 0xfeb01000);
	TEST_ASSERT_SUCCESS(rejects(&t, "endpoint IDs 5-5", "two MMIO, one ID"),
			    "shared");
	/* neighbours that only touch are fine */
	hdr(&t, 12, 3, 16);
	pci(&t, 0, 0, 0x00, 0x0f, 0);
	pci(&t, 1, 0, 0x10, 0x1f, 16);
	mmio(&t, 2, 32, 0xfeb00000);
	TEST_ASSERT_SUCCESS(keel_emu_topology_parse(t.b, t.len, &topo), "adjacent");
	keel_emu_topology_free(topo);
	return TEST_SUCCESS;
}
KEEL_TEST(emu_topology_shared_endpoint, "fast", TEST_NO_EAL,
	  test_emu_topology_shared_endpoint)

/*
 * Nothing is allocated for the items a header claims before the buffer is
 * known to hold them: with the next allocation set to fail, a header
 * claiming 4096 items in a 24-byte buffer is -EINVAL ("do not fit"), not
 * -ENOMEM, and the allocation was never tried. A real allocation failure is
 * -ENOMEM with errno and a log line.
 */
static int
test_emu_topology_alloc_after_check(void)
{
	struct keel_emu_topology *topo = (void *)1;
	struct tbuf t;
	char *log;
	int r;

	hdr(&t, 12, 4096, 12);
	t.len = 24;
	atomic_store(&emu_topo_fail_nth, 1);
	r = rejects(&t, "4096 items of 12 bytes at offset 12 do not fit in 24",
		    "4096 items claimed");
	TEST_ASSERT_EQUAL(atomic_load(&emu_topo_fail_nth), 1,
			  "an allocation was tried before the size check");
	atomic_store(&emu_topo_fail_nth, 0);
	TEST_ASSERT_SUCCESS(r, "claimed items");

	hdr(&t, 12, 1, 12);
	pci(&t, 0, 0, 0, 7, 0);
	atomic_store(&emu_topo_fail_nth, 1);
	test_log_capture_start();
	errno = 0;
	r = keel_emu_topology_parse(t.b, t.len, &topo);
	log = test_log_capture_stop();
	atomic_store(&emu_topo_fail_nth, 0);
	TEST_ASSERT(r == -ENOMEM && errno == ENOMEM && topo == NULL &&
		    emu_t_log_has(log, "no memory for 1 items"),
		    "allocation failure: %d errno %d log '%s'", r, errno,
		    log ? log : "");
	free(log);
	return TEST_SUCCESS;
}
KEEL_TEST(emu_topology_alloc_after_check, "fast", TEST_NO_EAL,
	  test_emu_topology_alloc_after_check)

/* the fuzz target's body over random and mutated inputs */
static int
test_emu_topology_fuzz(void)
{
	uint64_t seed = keel_test_seed(), st = seed;
	unsigned int i, accepted = 0, rejected = 0;
	struct tbuf base;
	uint8_t *in;

	hdr(&base, 12, 4, 16);
	pci(&base, 0, 0, 0, 0xff, 0);
	pci(&base, 1, 1, 0x100, 0x1ff, 0x1000);
	mmio(&base, 2, 9, 0xfe000000);
	mmio(&base, 3, 10, 0xfe001000);
	keel_log_set_level("iommu.emu", KEEL_LOG_CRIT);
	for (i = 0; i < 5000; i++) {
		size_t len = base.len, j, n;
		uint64_t r = test_rand(&st);
		int ret;

		in = malloc(sizeof(base.b));
		TEST_ASSERT(in != NULL, "malloc");
		if (r % 4 == 0) {
			/* random bytes behind a plausible header */
			len = test_rand(&st) % 200;
			for (j = 0; j < len; j++)
				in[j] = (uint8_t)test_rand(&st);
			if (len >= 12) {
				put(in, 12 + 4 * (test_rand(&st) % 4), 4);
				put(in + 4, test_rand(&st) % 12, 4);
				put(in + 8, 4 * (test_rand(&st) % 6), 4);
			}
		} else {
			/* the valid base, mutated a little */
			memcpy(in, base.b, base.len);
			n = 1 + test_rand(&st) % 3;
			for (j = 0; j < n; j++) {
				size_t at = test_rand(&st) % base.len;
				static const uint8_t interesting[] = {
					0, 1, 2, 3, 4, 0x7f, 0x80, 0xfe, 0xff,
				};

				switch (test_rand(&st) % 4) {
				case 0:
					in[at] ^= (uint8_t)(1u << (test_rand(&st) % 8));
					break;
				case 1:
					in[at] = interesting[test_rand(&st) % 9];
					break;
				case 2:
					len = test_rand(&st) % (base.len + 1);
					break;
				default:
					break; /* keep one input unmutated now and then */
				}
			}
		}
		/* exact-size copy so an over-read is caught by ASan */
		{
			uint8_t *exact = malloc(len ? len : 1);

			TEST_ASSERT(exact != NULL, "malloc");
			memcpy(exact, in, len);
			ret = emu_topology_fuzz_one(exact, len);
			free(exact);
		}
		free(in);
		TEST_ASSERT(ret >= 0, "input %u broke an invariant (seed %" PRIu64
			    ")", i, seed);
		if (ret == 1)
			accepted++;
		else
			rejected++;
	}
	keel_log_set_level("iommu.emu", KEEL_LOG_INFO);
	printf("  %u accepted, %u rejected\n", accepted, rejected);
	TEST_ASSERT(accepted > 100 && rejected > 100,
		    "the generator must exercise both verdicts");
	return TEST_SUCCESS;
}
KEEL_TEST(emu_topology_fuzz, "fast", TEST_NO_EAL | TEST_RANDOM, test_emu_topology_fuzz)
