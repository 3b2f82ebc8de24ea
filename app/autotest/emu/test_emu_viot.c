/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ACPI VIOT parser: the table QEMU 7.2 builds (viot_vectors.c) and a
 * richer hand-built one parse into the expected IOMMUs, items and lookups;
 * each malformed kind is rejected with -EINVAL and a log line naming the
 * value; the model's rules (no shared requester ID, address or endpoint
 * ID) hold as for the virtio-iommu layout; nothing is allocated before the
 * table is known to hold every node it claims; the fuzz body over
 * thousands of random and mutated tables.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "keel_log.h"
#include "test.h"
#include "emu_test_util.h"
#include "emu_topo_internal.h"
#include "fuzz/viot_fuzz.h"
#include "viot_vectors.h"

/* a VIOT table under construction */
struct vbuf {
	uint8_t b[1024];
	size_t len;
	unsigned int nodes;
};

static void
put(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* header with node_offset 48; nodes follow */
static void
vhdr(struct vbuf *v)
{
	memset(v, 0, sizeof(*v));
	memcpy(v->b, "VIOT", 4);
	memcpy(v->b + 10, "KEEL  ", 6);
	put(v->b + 38, 48, 2);
	v->len = 48;
}

/* append a node of @p type and @p len bytes; @return its offset */
static uint16_t
node(struct vbuf *v, unsigned int type, unsigned int len)
{
	uint16_t off = (uint16_t)v->len;

	v->b[off] = (uint8_t)type;
	put(v->b + off + 2, len, 2);
	v->len += len;
	v->nodes++;
	return off;
}

static uint16_t
viommu_pci(struct vbuf *v, uint16_t seg, uint16_t bdf)
{
	uint16_t o = node(v, 3, 16);

	put(v->b + o + 4, seg, 2);
	put(v->b + o + 6, bdf, 2);
	return o;
}

static uint16_t
viommu_mmio(struct vbuf *v, uint64_t addr)
{
	uint16_t o = node(v, 4, 16);

	put(v->b + o + 8, addr, 8);
	return o;
}

static uint16_t
range(struct vbuf *v, uint32_t ep, uint16_t s0, uint16_t s1, uint16_t b0,
      uint16_t b1, uint16_t out)
{
	uint16_t o = node(v, 1, 24);

	put(v->b + o + 4, ep, 4);
	put(v->b + o + 8, s0, 2);
	put(v->b + o + 10, s1, 2);
	put(v->b + o + 12, b0, 2);
	put(v->b + o + 14, b1, 2);
	put(v->b + o + 16, out, 2);
	return o;
}

static uint16_t
mmio_ep(struct vbuf *v, uint32_t ep, uint64_t addr, uint16_t out)
{
	uint16_t o = node(v, 2, 24);

	put(v->b + o + 4, ep, 4);
	put(v->b + o + 8, addr, 8);
	put(v->b + o + 16, out, 2);
	return o;
}

/* make the checksum right again (after a field was changed) */
static void
vsum(struct vbuf *v)
{
	uint8_t sum = 0;
	size_t i;

	v->b[9] = 0;
	for (i = 0; i < v->len; i++)
		sum = (uint8_t)(sum + v->b[i]);
	v->b[9] = (uint8_t)(0x100 - sum);
}

/* set length, node count and checksum */
static void
vdone(struct vbuf *v)
{
	put(v->b + 4, v->len, 4);
	put(v->b + 36, v->nodes, 2);
	vsum(v);
}

/* parse an exact-size copy (so ASan sees an over-read); 0 or -errno, with
 * the log captured into *log (caller frees) */
static int
parse(const uint8_t *b, size_t len, struct keel_emu_topology **topo,
      char **log)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, b, len);
	test_log_capture_start();
	errno = 0;
	r = keel_emu_viot_parse(copy, len, topo);
	*log = test_log_capture_stop();
	free(copy);
	return r;
}

static int
rejects(const struct vbuf *v, const char *needle, const char *what)
{
	struct keel_emu_topology *topo = (void *)1;
	char *log;
	int r = parse(v->b, v->len, &topo, &log);

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

/* the table QEMU 7.2 builds for q35 + virtio-iommu-pci */
static int
test_emu_viot_qemu(void)
{
	struct keel_emu_topo_iommu m;
	struct keel_emu_topology *topo;
	unsigned int io = 9;
	uint32_t ep;
	char *log;

	TEST_ASSERT_SUCCESS(parse(viot_qemu72_q35, viot_qemu72_q35_len, &topo,
				  &log), "QEMU's table: %s", log);
	free(log);
	keel_emu_topology_dump(stdout, topo);
	TEST_ASSERT_EQUAL(keel_emu_topology_iommu_count(topo), 1, "IOMMUs");
	TEST_ASSERT_SUCCESS(keel_emu_topology_iommu_get(topo, 0, &m), "iommu 0");
	TEST_ASSERT(m.kind == KEEL_EMU_TOPO_IOMMU_PCI && m.segment == 0 &&
		    m.bdf == 0x0008, "the virtio-iommu at 0000:00:01.0: kind %u "
		    "%04x:%04x", m.kind, m.segment, m.bdf);
	TEST_ASSERT_EQUAL(keel_emu_topology_count(topo), 1, "one PCI range");
	/* the edu device at 00:04.0 (RID 0x20): endpoint = RID */
	TEST_ASSERT_SUCCESS(keel_emu_topology_lookup_pci(topo, 0, 0x20, &ep, &io),
			    "00:04.0");
	TEST_ASSERT(ep == 0x20 && io == 0, "00:04.0: endpoint %u iommu %u", ep, io);
	TEST_ASSERT_SUCCESS(keel_emu_topology_lookup_pci(topo, 0, 0xff, &ep, NULL),
			    "00:1f.7");
	TEST_ASSERT_EQUAL(ep, 0xff, "last of bus 0");
	TEST_ASSERT_EQUAL(keel_emu_topology_lookup_pci(topo, 0, 0x100, &ep, NULL),
			  -ENOENT, "bus 1 is not behind it");
	TEST_ASSERT_EQUAL(keel_emu_topology_lookup_pci(topo, 1, 0x20, &ep, NULL),
			  -ENOENT, "segment 1");
	keel_emu_topology_free(topo);
	return TEST_SUCCESS;
}
KEEL_TEST(emu_viot_qemu, "fast", TEST_NO_EAL, test_emu_viot_qemu)

/*
 * Two IOMMUs (PCI, MMIO); a range over two segments; endpoint nodes that
 * name an IOMMU node further on; an unknown node type skipped; the same
 * endpoint IDs behind two IOMMUs (each has its own ID space).
 */
static void
rich(struct vbuf *v)
{
	vhdr(v);
	/* offsets: 48 range, 72 unknown, 80 iommu A, 96 iommu B, 112 mmio,
	 * 136 range */
	range(v, 0x10000, 0, 1, 0x0000, 0x00ff, 80);
	node(v, 9, 8);
	viommu_pci(v, 0, 0x0010);
	viommu_mmio(v, 0xfeb00000);
	mmio_ep(v, 0x10000, 0xfec00000, 96);
	range(v, 0x20, 2, 2, 0x0100, 0x01ff, 96);
	vdone(v);
}

static int
test_emu_viot(void)
{
	struct keel_emu_topo_iommu m;
	struct keel_emu_topology *topo;
	unsigned int io;
	struct vbuf v;
	uint32_t ep;
	char *log;

	rich(&v);
	TEST_ASSERT_SUCCESS(parse(v.b, v.len, &topo, &log), "rich table: %s", log);
	free(log);
	keel_emu_topology_dump(stdout, topo);
	TEST_ASSERT_EQUAL(keel_emu_topology_iommu_count(topo), 2, "IOMMUs");
	TEST_ASSERT_EQUAL(keel_emu_topology_count(topo), 4,
			  "2 segments + 1 range + 1 endpoint");
	TEST_ASSERT_SUCCESS(keel_emu_topology_iommu_get(topo, 1, &m), "iommu 1");
	TEST_ASSERT(m.kind == KEEL_EMU_TOPO_IOMMU_MMIO && m.address == 0xfeb00000,
		    "iommu 1: kind %u address 0x%" PRIx64, m.kind, m.address);
	/* segment 1, BDF 0x20: 0x10000 + (1 << 16) + 0x20 */
	TEST_ASSERT_SUCCESS(keel_emu_topology_lookup_pci(topo, 1, 0x20, &ep, &io),
			    "0001:00:04.0");
	TEST_ASSERT(ep == 0x20020 && io == 0, "endpoint 0x%x iommu %u", ep, io);
	TEST_ASSERT_SUCCESS(keel_emu_topology_lookup_pci(topo, 2, 0x1ff, &ep, &io),
			    "0002:01:1f.7");
	TEST_ASSERT(ep == 0x20 + 0xff && io == 1, "endpoint 0x%x iommu %u", ep, io);
	TEST_ASSERT_SUCCESS(keel_emu_topology_lookup_mmio(topo, 0xfec00000, &ep,
							  &io), "mmio");
	TEST_ASSERT(ep == 0x10000 && io == 1, "endpoint 0x%x iommu %u", ep, io);
	keel_emu_topology_free(topo);
	/* no nodes at all is a valid, empty table */
	vhdr(&v);
	vdone(&v);
	TEST_ASSERT_SUCCESS(parse(v.b, v.len, &topo, &log), "empty: %s", log);
	free(log);
	TEST_ASSERT_EQUAL(keel_emu_topology_count(topo) +
			  keel_emu_topology_iommu_count(topo), 0, "empty");
	keel_emu_topology_free(topo);
	return TEST_SUCCESS;
}
KEEL_TEST(emu_viot, "fast", TEST_NO_EAL, test_emu_viot)

static int
test_emu_viot_malformed(void)
{
	struct vbuf v;
	uint16_t a;

	vhdr(&v);
	vdone(&v);
	v.len = 47;
	TEST_ASSERT_SUCCESS(rejects(&v, "47 bytes", "short buffer"), "malformed");
	vhdr(&v);
	v.b[3] = 'X';
	vdone(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "56 49 4f 58", "signature"), "malformed");
	vhdr(&v);
	vdone(&v);
	put(v.b + 4, 40, 4);
	TEST_ASSERT_SUCCESS(rejects(&v, "table length 40", "length < header"),
			    "malformed");
	vhdr(&v);
	vdone(&v);
	v.len = 48;
	put(v.b + 4, 49, 4);
	TEST_ASSERT_SUCCESS(rejects(&v, "table length 49", "length > buffer"),
			    "malformed");
	vhdr(&v);
	vdone(&v);
	v.b[9] ^= 1;
	TEST_ASSERT_SUCCESS(rejects(&v, "checksum", "checksum"), "malformed");

	/* node_offset inside the header, and past the end */
	vhdr(&v);
	a = viommu_pci(&v, 0, 8);
	vdone(&v);
	put(v.b + 38, 40, 2);
	vsum(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "node_offset 0x28", "offset in header"),
			    "malformed");
	put(v.b + 38, 64, 2);
	vsum(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "node_offset 0x40", "offset past end"),
			    "malformed");
	/* a count promising more nodes than fit */
	vhdr(&v);
	a = viommu_pci(&v, 0, 8);
	range(&v, 0, 0, 0, 0, 0xff, a);
	vdone(&v);
	put(v.b + 36, 65535, 2);
	vsum(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "node 2 of 65535 at offset 0x58",
				    "count past the end"), "malformed");
	/* a node shorter than its type, of length 0, running past the end */
	vhdr(&v);
	a = viommu_pci(&v, 0, 8);
	range(&v, 0, 0, 0, 0, 0xff, a);
	vdone(&v);
	put(v.b + 64 + 2, 20, 2);
	vsum(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "PCI range node at offset 0x40: length 20",
				    "truncated node"), "malformed");
	put(v.b + 48 + 2, 0, 2);
	vsum(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "virtio-pci IOMMU node at offset 0x30: "
				    "length 0", "zero length"), "malformed");
	vhdr(&v);
	a = viommu_pci(&v, 0, 8);
	node(&v, 7, 8);
	vdone(&v);
	put(v.b + 64 + 2, 12, 2);
	vsum(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "unknown node at offset 0x40: length 12 "
				    "runs past", "node past the end"), "malformed");

	/* ranges: start past end, overflowing IDs, too many segments */
	vhdr(&v);
	a = viommu_pci(&v, 0, 8);
	range(&v, 0, 3, 2, 0, 0xff, a);
	vdone(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "segments 0x3-0x2", "segments"), "malformed");
	vhdr(&v);
	a = viommu_pci(&v, 0, 8);
	range(&v, 0, 0, 0, 0x20, 0x1f, a);
	vdone(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "BDFs 0x20-0x1f", "BDFs"), "malformed");
	vhdr(&v);
	a = viommu_pci(&v, 0, 8);
	range(&v, 0xffffff01, 0, 0, 0, 0xff, a);
	vdone(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "endpoint_start 4294967041", "overflow"),
			    "malformed");
	vhdr(&v);
	a = viommu_pci(&v, 0, 8);
	range(&v, 0, 0, 0xffff, 0, 0, a);
	vdone(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "more than 4096 items", "65536 segments"),
			    "malformed");
	/* output nodes: a range node, and an offset that is no node */
	vhdr(&v);
	a = viommu_pci(&v, 0, 8);
	range(&v, 0, 0, 0, 0, 0xff, 64);
	vdone(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "output node 0x40 is not", "output range"),
			    "malformed");
	vhdr(&v);
	a = viommu_pci(&v, 0, 8);
	mmio_ep(&v, 1, 0xfec00000, 0x34);
	vdone(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "output node 0x34 is not", "output nowhere"),
			    "malformed");
	/* one IOMMU described twice */
	vhdr(&v);
	viommu_pci(&v, 0, 8);
	viommu_pci(&v, 0, 8);
	vdone(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "IOMMUs 0 and 1 are both", "two PCI IOMMUs"),
			    "malformed");
	vhdr(&v);
	viommu_mmio(&v, 0xfeb00000);
	viommu_pci(&v, 0, 8);
	viommu_mmio(&v, 0xfeb00000);
	vdone(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "IOMMUs 0 and 2 are both the virtio-mmio "
				    "IOMMU at 0xfeb00000", "two MMIO IOMMUs"),
			    "malformed");
	/* requester IDs and addresses of two nodes */
	vhdr(&v);
	a = viommu_pci(&v, 0, 8);
	range(&v, 0, 0, 1, 0, 0xff, a);
	range(&v, 0x1000, 1, 1, 0x80, 0x17f, a);
	vdone(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "requesters 0x80-0x17f of hierarchy 1",
				    "overlapping RIDs"), "malformed");
	vhdr(&v);
	a = viommu_pci(&v, 0, 8);
	mmio_ep(&v, 1, 0xfec00000, a);
	mmio_ep(&v, 2, 0xfec00000, a);
	vdone(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "address 0xfec00000 already used",
				    "one address"), "malformed");
	return TEST_SUCCESS;
}
KEEL_TEST(emu_viot_malformed, "fast", TEST_NO_EAL, test_emu_viot_malformed)

/* issue 14, defect 6, for VIOT: two devices behind one IOMMU never share
 * an endpoint ID */
static int
test_emu_viot_shared_endpoint(void)
{
	struct vbuf v;
	uint16_t a, b;

	/* two ranges of other BDFs, overlapping IDs */
	vhdr(&v);
	a = viommu_pci(&v, 0, 8);
	range(&v, 0, 0, 0, 0x00, 0x0f, a);
	range(&v, 8, 0, 0, 0x10, 0x1f, a);
	vdone(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "node at offset 0x58: endpoint IDs 8-23 "
				    "overlap those of node at offset 0x40 (0-15)",
				    "ranges"), "shared");
	/* a range's second segment over another range's IDs */
	vhdr(&v);
	a = viommu_pci(&v, 0, 8);
	range(&v, 0, 0, 1, 0x00, 0xff, a);
	range(&v, 0x10080, 5, 5, 0x00, 0x00, a);
	vdone(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "endpoint IDs 65664-65664", "segments"),
			    "shared");
	/* an MMIO endpoint inside a range's IDs */
	vhdr(&v);
	a = viommu_pci(&v, 0, 8);
	mmio_ep(&v, 0x42, 0xfec00000, a);
	range(&v, 0, 0, 0, 0x00, 0xff, a);
	vdone(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "endpoint IDs 66-66", "MMIO in range"),
			    "shared");
	/* two MMIO endpoints with one ID */
	vhdr(&v);
	a = viommu_pci(&v, 0, 8);
	mmio_ep(&v, 7, 0xfec00000, a);
	mmio_ep(&v, 7, 0xfec01000, a);
	vdone(&v);
	TEST_ASSERT_SUCCESS(rejects(&v, "endpoint IDs 7-7", "two MMIO"), "shared");
	/* behind two IOMMUs the same IDs are fine */
	vhdr(&v);
	a = viommu_pci(&v, 0, 8);
	b = viommu_pci(&v, 0, 0x10);
	mmio_ep(&v, 7, 0xfec00000, a);
	mmio_ep(&v, 7, 0xfec01000, b);
	vdone(&v);
	{
		struct keel_emu_topology *topo;
		char *log;

		TEST_ASSERT_SUCCESS(parse(v.b, v.len, &topo, &log),
				    "one ID behind two IOMMUs: %s", log);
		free(log);
		keel_emu_topology_free(topo);
	}
	return TEST_SUCCESS;
}
KEEL_TEST(emu_viot_shared_endpoint, "fast", TEST_NO_EAL,
	  test_emu_viot_shared_endpoint)

/* a table claiming 65535 nodes: refused by the walk, nothing allocated */
static int
test_emu_viot_alloc_after_check(void)
{
	struct vbuf v;
	int r;

	vhdr(&v);
	viommu_pci(&v, 0, 8);
	vdone(&v);
	put(v.b + 36, 65535, 2);
	vsum(&v);
	atomic_store(&emu_topo_fail_nth, 1);
	r = rejects(&v, "node 1 of 65535", "65535 nodes claimed");
	TEST_ASSERT_EQUAL(atomic_load(&emu_topo_fail_nth), 1,
			  "an allocation was tried before the walk");
	atomic_store(&emu_topo_fail_nth, 0);
	return r;
}
KEEL_TEST(emu_viot_alloc_after_check, "fast", TEST_NO_EAL,
	  test_emu_viot_alloc_after_check)

/* the fuzz body over random and mutated tables */
static int
test_emu_viot_fuzz(void)
{
	static const uint8_t interesting[] = {
		0, 1, 2, 3, 4, 16, 24, 0x30, 0x40, 0x7f, 0x80, 0xfe, 0xff,
	};
	uint64_t seed = keel_test_seed(), st = seed;
	unsigned int i, accepted = 0, rejected = 0;
	struct vbuf base[2];
	int ret;

	memset(&base[0], 0, sizeof(base[0]));
	memcpy(base[0].b, viot_qemu72_q35, viot_qemu72_q35_len);
	base[0].len = viot_qemu72_q35_len;
	rich(&base[1]);
	keel_log_set_level("iommu.emu", KEEL_LOG_CRIT);
	for (i = 0; i < 5000; i++) {
		const struct vbuf *b = &base[test_rand(&st) % 2];
		size_t len = b->len, j, n;
		uint8_t *in = malloc(sizeof(b->b));

		TEST_ASSERT(in != NULL, "malloc");
		memcpy(in, b->b, b->len);
		n = 1 + test_rand(&st) % 4;
		for (j = 0; j < n; j++) {
			size_t at = test_rand(&st) % b->len;

			switch (test_rand(&st) % 6) {
			case 0:
				in[at] ^= (uint8_t)(1u << (test_rand(&st) % 8));
				break;
			case 1:
				in[at] = interesting[test_rand(&st) %
						     sizeof(interesting)];
				break;
			case 2:
				len = test_rand(&st) % (b->len + 1);
				break;
			case 3:
				/* a node or header field (length, count,
				 * offset, output node) to something odd */
				at = 36 + 2 * (test_rand(&st) % ((b->len - 36) / 2));
				put(in + at, interesting[test_rand(&st) %
							 sizeof(interesting)] |
				    (test_rand(&st) % 4 == 0 ? 0xff00 : 0), 2);
				break;
			default:
				break; /* keep some inputs whole */
			}
		}
		{
			/* exact-size copy so an over-read is caught by ASan */
			uint8_t *exact = malloc(len ? len : 1);

			TEST_ASSERT(exact != NULL, "malloc");
			memcpy(exact, in, len);
			ret = emu_viot_fuzz_one(exact, len);
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
KEEL_TEST(emu_viot_fuzz, "fast", TEST_NO_EAL | TEST_RANDOM, test_emu_viot_fuzz)
