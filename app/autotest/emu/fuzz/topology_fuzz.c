/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The topology parser's fuzz body: decodes the input independently (byte
 * by byte, little-endian) and checks the parser's verdict against it.
 * Stateless; safe to call from any thread.
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
			if (keel_emu_topology_lookup_pci(t, h, s, &ep) != 0 ||
			    ep != eps)
				BAD("item %" PRIu32 ": rid 0x%x not endpoint %" PRIu32,
				    i, s, eps);
			if (keel_emu_topology_lookup_pci(t, h, e, &ep) != 0 ||
			    ep != eps + (uint32_t)(e - s))
				BAD("item %" PRIu32 ": rid 0x%x wrong endpoint", i, e);
		} else if (type == KEEL_EMU_TOPO_ENDPOINT) {
			uint64_t a = rd(q + 8, 4) | (uint64_t)rd(q + 12, 4) << 32;

			if (ilen < 16)
				BAD("accepted truncated endpoint item %" PRIu32, i);
			if (keel_emu_topology_lookup_mmio(t, a, &ep) != 0 ||
			    ep != rd(q + 4, 4))
				BAD("item %" PRIu32 ": address 0x%" PRIx64
				    " wrong endpoint", i, a);
		} else {
			BAD("accepted item %" PRIu32 " of type %" PRIu32, i, type);
		}
	}
	keel_emu_topology_free(t);
	return 1;
}
