/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The topology parser's fuzz body: decodes the input independently (byte
 * by byte, little-endian) and checks the parser's verdict against it: an
 * accepted description satisfies every bound, every item is found by the
 * lookups, and no two items share a requester ID, an address or an
 * endpoint ID. Stateless; safe to call from any thread.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "keel_emu_iommu.h"
#include "topology_fuzz.h"

static uint32_t
rd(const uint8_t *p, unsigned int n)
{
	uint32_t v = 0;

	while (n-- > 0)
		v = (v << 8) | p[n];
	return v;
}

/* the endpoint IDs [*lo, *hi] of an item (already checked valid) */
static void
span(const uint8_t *q, uint32_t *lo, uint32_t *hi)
{
	*lo = rd(q + (rd(q, 2) == KEEL_EMU_TOPO_PCI_RANGE ? 8 : 4), 4);
	*hi = *lo;
	if (rd(q, 2) == KEEL_EMU_TOPO_PCI_RANGE)
		*hi += rd(q + 6, 2) - rd(q + 4, 2);
}

#define BAD(...) do { \
	printf("  topology fuzz: " __VA_ARGS__); \
	printf("\n"); \
	keel_emu_topology_free(t); \
	return -1; \
} while (0)

int
emu_topology_fuzz_one(const uint8_t *data, size_t size)
{
	struct keel_emu_topology *t = NULL, *t2 = NULL;
	uint32_t off, num, ilen, i, ep;
	int r, r2;

	r = keel_emu_topology_parse(data, size, &t);
	r2 = keel_emu_topology_parse(data, size, &t2);
	keel_emu_topology_free(t2);
	if (r != r2)
		BAD("parse not deterministic: %d then %d", r, r2);
	if (r != 0) {
		if (t != NULL)
			BAD("rejected (%d) but returned a topology", r);
		if (r != -EINVAL && r != -ENOMEM)
			BAD("rejected with %d", r);
		return 0;
	}
	if (t == NULL)
		BAD("accepted without a topology");
	if (size < 12)
		BAD("accepted %zu bytes, shorter than the header", size);
	off = rd(data, 4);
	num = rd(data + 4, 4);
	ilen = rd(data + 8, 4);
	if (keel_emu_topology_count(t) != num)
		BAD("count %u, header says %" PRIu32, keel_emu_topology_count(t),
		    num);
	if (num == 0) {
		keel_emu_topology_free(t);
		return 1;
	}
	if (num > 4096 || off < 12 || off % 4 || ilen < 4 || ilen % 4 ||
	    (uint64_t)off + (uint64_t)num * ilen > size)
		BAD("accepted offset %" PRIu32 " num %" PRIu32 " item_length %"
		    PRIu32 " in %zu bytes", off, num, ilen, size);
	for (i = 0; i < num; i++) {
		const uint8_t *q = data + off + (uint64_t)i * ilen;
		uint32_t type = rd(q, 2);

		if (type == KEEL_EMU_TOPO_PCI_RANGE) {
			uint16_t h = (uint16_t)rd(q + 2, 2);
			uint16_t s = (uint16_t)rd(q + 4, 2), e = (uint16_t)rd(q + 6, 2);
			uint32_t eps = rd(q + 8, 4);

			if (ilen < 12 || s > e)
				BAD("accepted PCI item %" PRIu32, i);
			if (keel_emu_topology_lookup_pci(t, h, s, &ep, NULL) != 0 ||
			    ep != eps)
				BAD("item %" PRIu32 ": rid 0x%x not endpoint %" PRIu32,
				    i, s, eps);
			if (keel_emu_topology_lookup_pci(t, h, e, &ep, NULL) != 0 ||
			    ep != eps + (uint32_t)(e - s))
				BAD("item %" PRIu32 ": rid 0x%x wrong endpoint", i, e);
		} else if (type == KEEL_EMU_TOPO_ENDPOINT) {
			uint64_t a = rd(q + 8, 4) | (uint64_t)rd(q + 12, 4) << 32;

			if (ilen < 16)
				BAD("accepted truncated endpoint item %" PRIu32, i);
			if (keel_emu_topology_lookup_mmio(t, a, &ep, NULL) != 0 ||
			    ep != rd(q + 4, 4))
				BAD("item %" PRIu32 ": address 0x%" PRIx64
				    " wrong endpoint", i, a);
		} else {
			BAD("accepted item %" PRIu32 " of type %" PRIu32, i, type);
		}
	}
	/* no two items share a device or an endpoint ID */
	for (i = 0; i < num; i++) {
		uint32_t j, lo_i, hi_i;
		const uint8_t *a = data + off + (uint64_t)i * ilen;

		span(a, &lo_i, &hi_i);
		for (j = 0; j < i; j++) {
			const uint8_t *b = data + off + (uint64_t)j * ilen;
			uint32_t lo_j, hi_j;

			span(b, &lo_j, &hi_j);
			if (lo_i <= hi_j && lo_j <= hi_i)
				BAD("accepted items %" PRIu32 " and %" PRIu32
				    " sharing endpoint IDs", j, i);
			if (rd(a, 2) != rd(b, 2))
				continue;
			if (rd(a, 2) == KEEL_EMU_TOPO_ENDPOINT &&
			    rd(a + 8, 4) == rd(b + 8, 4) &&
			    rd(a + 12, 4) == rd(b + 12, 4))
				BAD("accepted items %" PRIu32 " and %" PRIu32
				    " at one address", j, i);
			if (rd(a, 2) == KEEL_EMU_TOPO_PCI_RANGE &&
			    rd(a + 2, 2) == rd(b + 2, 2) &&
			    rd(a + 4, 2) <= rd(b + 6, 2) &&
			    rd(b + 4, 2) <= rd(a + 6, 2))
				BAD("accepted items %" PRIu32 " and %" PRIu32
				    " sharing requester IDs", j, i);
		}
	}
	keel_emu_topology_free(t);
	return 1;
}
