/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_EMU_TOPO_INTERNAL_H
#define KEEL_EMU_TOPO_INTERNAL_H

/*
 * The topology model shared by its two parsers (emu_topo_virtio.c for the
 * virtio-iommu layout, emu_viot.c for ACPI VIOT) and its lookups
 * (emu_topology.c). A parser checks the bytes of each item, fills a model
 * allocated with emu_topo_alloc() once the input is known to hold every
 * item it claims, and hands it to emu_topo_validate(), which applies the
 * rules that span items (no two devices share a requester ID, an MMIO
 * address, or an endpoint ID of one IOMMU). A validated model is immutable.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keel_emu_topology.h"
#include "keel_log.h"

/* most items (PCI ranges, per segment, + endpoints) and IOMMUs per model */
#define EMU_TOPO_MAX_ITEMS  4096
#define EMU_TOPO_MAX_IOMMUS 4096

struct emu_topo_item {
	uint16_t type;          /* KEEL_EMU_TOPO_PCI_RANGE or _ENDPOINT */
	uint16_t iommu;         /* index into the model's IOMMUs */
	uint16_t hierarchy;     /* PCI segment */
	uint16_t req_start;     /* first requester ID (bus << 8 | devfn) */
	uint16_t req_end;       /* last requester ID (inclusive) */
	uint32_t endpoint;      /* endpoint ID (of req_start for a range) */
	uint64_t address;       /* MMIO endpoint: base address */
	uint32_t src;           /* where it came from: item index, or VIOT
				   node offset (for messages) */
};

struct keel_emu_topology {
	bool viot;              /* from VIOT: messages say "VIOT" and name
				   items by node offset */
	unsigned int n;         /* items */
	unsigned int n_iommus;
	struct keel_emu_topo_iommu *iommus;   /* points after item[] */
	struct emu_topo_item item[];
};

/* test seam: fail the nth model allocation from now (0 = off) */
extern _Atomic uint64_t emu_topo_fail_nth;

/*
 * A zeroed model for @p n_items items and @p n_iommus IOMMUs, or NULL
 * (logged, errno ENOMEM). @p viot: how messages name the source.
 */
struct keel_emu_topology *emu_topo_alloc(unsigned int n_items,
					 unsigned int n_iommus, bool viot);

/* "item 3" or "node at offset 0x40": where item @p i came from */
const char *emu_topo_src(const struct keel_emu_topology *t, unsigned int i,
			 char *buf, size_t len);

/*
 * The rules across items: PCI ranges of one hierarchy do not share a
 * requester ID, endpoint items do not share an address, and the endpoint
 * IDs of two items behind one IOMMU are disjoint. O(n log n).
 * @return 0, -EINVAL (logged, naming both items and the values) or
 *         -ENOMEM.
 */
int emu_topo_validate(struct keel_emu_topology *t);

/* little-endian fields, read byte by byte (no alignment needed) */
static inline uint16_t
emu_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t
emu_le32(const uint8_t *p)
{
	return (uint32_t)emu_le16(p) | ((uint32_t)emu_le16(p + 2) << 16);
}

static inline uint64_t
emu_le64(const uint8_t *p)
{
	return (uint64_t)emu_le32(p) | ((uint64_t)emu_le32(p + 4) << 32);
}

#endif /* KEEL_EMU_TOPO_INTERNAL_H */
