/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VIOT parser's fuzz body: decodes the table independently (byte by
 * byte, little-endian, by the layout in keel_emu_topology.h) and checks an
 * accepted parse against it: the header's bounds and checksum hold, every
 * node fits, every IOMMU and item is there with the right values, every
 * item is found by the lookups under the IOMMU its output node names, and
 * no two items share a requester ID, an address or (behind one IOMMU) an
 * endpoint ID. Stateless; safe to call from any thread.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel_emu_topology.h"
#include "viot_fuzz.h"

/* pairwise checks only up to this many items (O(n^2)) */
#define PAIRWISE_MAX 1024

static uint64_t
rd(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = (v << 8) | p[n];
	return v;
}

/* one item, decoded from the bytes */
struct ref_item {
	unsigned int iommu;
	int pci;
	uint16_t seg, b0, b1;
	uint32_t ep;
	uint64_t addr;
};

#define BAD(...) do { \
	printf("  viot fuzz: " __VA_ARGS__); \
	printf("\n"); \
	goto bad; \
} while (0)

static int
min_len(unsigned int type)
{
	return type == 1 || type == 2 ? 24 : type == 3 || type == 4 ? 16 : 4;
}

/* the accepted topology @p t against the bytes */
static int
verify(const uint8_t *d, size_t size, const struct keel_emu_topology *t)
{
	uint32_t len = (uint32_t)rd(d + 4, 4), off, k, count, first;
	uint32_t *io_off = NULL, n_io = 0, n_items = 0, i, j;
	struct ref_item *items = NULL;
	uint8_t sum = 0;

	if (size < 48 || memcmp(d, "VIOT", 4) != 0 || len < 48 || len > size)
		BAD("accepted a header of %zu bytes, length %" PRIu32, size, len);
	for (i = 0; i < len; i++)
		sum = (uint8_t)(sum + d[i]);
	if (sum != 0)
		BAD("accepted checksum sum 0x%02x", sum);
	count = (uint32_t)rd(d + 36, 2);
	first = (uint32_t)rd(d + 38, 2);
	if (count != 0 && (first < 48 || first >= len))
		BAD("accepted node_offset 0x%" PRIx32, first);
	io_off = calloc(count + 1, sizeof(*io_off));
	items = calloc(4097, sizeof(*items));
	if (io_off == NULL || items == NULL)
		BAD("no memory");
	/* nodes: bounds, and the IOMMUs in order */
	for (k = 0, off = first; k < count; k++) {
		const uint8_t *q = d + off;
		uint32_t nlen;

		if ((uint64_t)off + 4 > len)
			BAD("accepted node %" PRIu32 " header past the end", k);
		nlen = (uint32_t)rd(q + 2, 2);
		if (nlen < (uint32_t)min_len(q[0]) || (uint64_t)off + nlen > len)
			BAD("accepted node at 0x%" PRIx32 " type %u length %" PRIu32,
			    off, q[0], nlen);
		if (q[0] == 3 || q[0] == 4) {
			struct keel_emu_topo_iommu m;

			if (keel_emu_topology_iommu_get(t, n_io, &m) != 0)
				BAD("IOMMU %" PRIu32 " (node 0x%" PRIx32 ") missing",
				    n_io, off);
			if (q[0] == 3 ? (m.kind != KEEL_EMU_TOPO_IOMMU_PCI ||
					 m.segment != rd(q + 4, 2) ||
					 m.bdf != rd(q + 6, 2)) :
			    (m.kind != KEEL_EMU_TOPO_IOMMU_MMIO ||
			     m.address != rd(q + 8, 8)))
				BAD("IOMMU %" PRIu32 " differs from node 0x%" PRIx32,
				    n_io, off);
			io_off[n_io++] = off;
		}
		off += nlen;
	}
	if (keel_emu_topology_iommu_count(t) != n_io)
		BAD("%u IOMMUs, the table has %" PRIu32,
		    keel_emu_topology_iommu_count(t), n_io);
	for (i = 0; i + 1 < n_io; i++)
		for (j = i + 1; j < n_io; j++)
			if (d[io_off[i]] == d[io_off[j]] &&
			    (d[io_off[i]] == 3 ?
			     rd(d + io_off[i] + 4, 4) == rd(d + io_off[j] + 4, 4) :
			     rd(d + io_off[i] + 8, 8) == rd(d + io_off[j] + 8, 8)))
				BAD("accepted IOMMU nodes 0x%" PRIx32 " and 0x%"
				    PRIx32 " at one place", io_off[i], io_off[j]);
	/* items: each found under its output IOMMU */
	for (k = 0, off = first; k < count; k++) {
		const uint8_t *q = d + off;
		uint32_t out, ep, got, node = off;
		unsigned int io, gio;

		off += (uint32_t)rd(q + 2, 2);
		if (q[0] != 1 && q[0] != 2)
			continue;
		out = (uint32_t)rd(q + 16, 2);
		for (io = 0; io < n_io && io_off[io] != out; io++)
			;
		if (io == n_io)
			BAD("accepted output node 0x%" PRIx32 ", not an IOMMU", out);
		if (q[0] == 1) {
			uint32_t s0 = (uint32_t)rd(q + 8, 2), s1 = (uint32_t)rd(q + 10, 2);
			uint16_t b0 = (uint16_t)rd(q + 12, 2), b1 = (uint16_t)rd(q + 14, 2);
			uint32_t s;

			ep = (uint32_t)rd(q + 4, 4);
			if (s0 > s1 || b0 > b1 ||
			    ep + ((uint64_t)(s1 - s0) << 16) + (b1 - b0) > UINT32_MAX)
				BAD("accepted PCI range node 0x%" PRIx32, node);
			if (n_items + (s1 - s0) + 1 > 4096)
				BAD("accepted more than 4096 items");
			for (s = s0; s <= s1; s++) {
				uint32_t want = ep + ((s - s0) << 16);

				items[n_items++] = (struct ref_item){ io, 1,
					(uint16_t)s, b0, b1, want, 0 };
				if (keel_emu_topology_lookup_pci(t, (uint16_t)s, b0,
								 &got, &gio) != 0 ||
				    got != want || gio != io)
					BAD("segment %" PRIu32 " BDF 0x%x: endpoint "
					    "%" PRIu32 " iommu %u, want %" PRIu32
					    " iommu %u", s, b0, got, gio, want, io);
				if (keel_emu_topology_lookup_pci(t, (uint16_t)s, b1,
								 &got, &gio) != 0 ||
				    got != want + (uint32_t)(b1 - b0) || gio != io)
					BAD("segment %" PRIu32 " BDF 0x%x: wrong "
					    "endpoint", s, b1);
			}
		} else {
			uint64_t a = rd(q + 8, 8);

			ep = (uint32_t)rd(q + 4, 4);
			if (n_items + 1 > 4096)
				BAD("accepted more than 4096 items");
			items[n_items++] = (struct ref_item){ io, 0, 0, 0, 0, ep, a };
			if (keel_emu_topology_lookup_mmio(t, a, &got, &gio) != 0 ||
			    got != ep || gio != io)
				BAD("address 0x%" PRIx64 ": wrong endpoint", a);
		}
	}
	if (keel_emu_topology_count(t) != n_items)
		BAD("%u items, the table has %" PRIu32, keel_emu_topology_count(t),
		    n_items);
	/* no two devices share a requester ID, an address, an endpoint */
	for (i = 0; n_items <= PAIRWISE_MAX && i < n_items; i++) {
		const struct ref_item *a = &items[i];
		uint32_t alast = a->ep + (a->pci ? (uint32_t)(a->b1 - a->b0) : 0);

		for (j = 0; j < i; j++) {
			const struct ref_item *b = &items[j];
			uint32_t blast = b->ep + (b->pci ? (uint32_t)(b->b1 - b->b0) : 0);

			if (a->iommu == b->iommu && a->ep <= blast && b->ep <= alast)
				BAD("accepted items %" PRIu32 " and %" PRIu32
				    " sharing endpoint IDs", j, i);
			if (a->pci && b->pci && a->seg == b->seg &&
			    a->b0 <= b->b1 && b->b0 <= a->b1)
				BAD("accepted items %" PRIu32 " and %" PRIu32
				    " sharing requester IDs", j, i);
			if (!a->pci && !b->pci && a->addr == b->addr)
				BAD("accepted items %" PRIu32 " and %" PRIu32
				    " at one address", j, i);
		}
	}
	free(io_off);
	free(items);
	return 1;
bad:
	free(io_off);
	free(items);
	return -1;
}

/* parse twice (determinism), then verify an accepted result */
static int
one(const uint8_t *d, size_t size)
{
	struct keel_emu_topology *t = NULL, *t2 = NULL;
	int r, r2, v;

	r = keel_emu_viot_parse(d, size, &t);
	r2 = keel_emu_viot_parse(d, size, &t2);
	keel_emu_topology_free(t2);
	if (r != r2) {
		printf("  viot fuzz: parse not deterministic: %d then %d\n", r, r2);
		keel_emu_topology_free(t);
		return -1;
	}
	if (r != 0) {
		if (t != NULL || (r != -EINVAL && r != -ENOMEM)) {
			printf("  viot fuzz: rejected with %d, topology %p\n", r,
			       (void *)t);
			keel_emu_topology_free(t);
			return -1;
		}
		return 0;
	}
	if (t == NULL) {
		printf("  viot fuzz: accepted without a topology\n");
		return -1;
	}
	v = verify(d, size, t);
	keel_emu_topology_free(t);
	return v;
}

int
emu_viot_fuzz_one(const uint8_t *data, size_t size)
{
	uint32_t len, i;
	uint8_t *copy, sum = 0;
	int r, r2;

	r = one(data, size);
	if (r < 0 || size < 48)
		return r;
	len = (uint32_t)rd(data + 4, 4);
	if (len < 10 || len > size)
		return r;
	/* exact-size copy with the checksum made right */
	copy = malloc(size);
	if (copy == NULL)
		return r;
	memcpy(copy, data, size);
	copy[9] = 0;
	for (i = 0; i < len; i++)
		sum = (uint8_t)(sum + copy[i]);
	copy[9] = (uint8_t)(0x100 - sum);
	r2 = one(copy, size);
	free(copy);
	if (r2 < 0)
		return -1;
	return r == 1 || r2 == 1;
}
