/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_EMU_TOPOLOGY_H
#define KEEL_EMU_TOPOLOGY_H

/**
 * @file
 * IOMMU topology: which IOMMU translates a device's DMA, and under which
 * endpoint ID (the ID a virtio-iommu ATTACH names, and that
 * keel_emu_endpoint_create() takes). Two descriptions are parsed into one
 * model:
 * - the virtio-iommu topology description (keel_emu_topology_parse()), one
 *   IOMMU: the device that carries it;
 * - the ACPI Virtual I/O Translation Table, VIOT (keel_emu_viot_parse()),
 *   as firmware (e.g. QEMU with -device virtio-iommu-pci) hands it to the
 *   OS: Linux shows it in /sys/firmware/acpi/tables/VIOT. It names each
 *   IOMMU by its own PCI or MMIO location.
 *
 * Both inputs are untrusted: every offset, count and length is checked for
 * overflow and truncation before a byte is read, fields are read
 * little-endian byte by byte, and nothing is allocated before the input is
 * known to hold everything it claims. A parsed model obeys, whatever the
 * source:
 * - no two PCI ranges of one PCI segment share a requester ID;
 * - no two MMIO endpoints share an address;
 * - no two devices behind one IOMMU share an endpoint ID (a PCI range's
 *   IDs, an MMIO endpoint's ID), since that IOMMU could not tell them
 *   apart: they would always share a domain.
 * A model is immutable once parsed: lookups take no lock and may run on
 * any number of threads.
 *
 * Every function that fails returns a negative errno (and sets errno) and
 * logs a line naming the bad value (component "iommu.emu").
 */

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** virtio-iommu topology item: a range of PCI requester IDs. */
#define KEEL_EMU_TOPO_PCI_RANGE 1
/** virtio-iommu topology item: one endpoint at an MMIO address. */
#define KEEL_EMU_TOPO_ENDPOINT  2

/** The IOMMU is the device that carried the description (virtio layout). */
#define KEEL_EMU_TOPO_IOMMU_SELF 0
/** A virtio-pci IOMMU at a PCI segment and BDF (VIOT node type 3). */
#define KEEL_EMU_TOPO_IOMMU_PCI  3
/** A virtio-mmio IOMMU at an MMIO base address (VIOT node type 4). */
#define KEEL_EMU_TOPO_IOMMU_MMIO 4

/** One IOMMU of a topology. */
struct keel_emu_topo_iommu {
	unsigned int kind;  /**< KEEL_EMU_TOPO_IOMMU_SELF, _PCI or _MMIO */
	uint16_t segment;   /**< _PCI: PCI segment (domain) */
	uint16_t bdf;       /**< _PCI: bus << 8 | device << 3 | function */
	uint64_t address;   /**< _MMIO: base address of its registers */
};

struct keel_emu_topology;

/**
 * Parse a topology description in the virtio-iommu layout. Layout (all
 * little-endian):
 *
 *     0: le32 offset       where item 0 starts, from the start of buf
 *     4: le32 num_items
 *     8: le32 item_length  distance between items (>= the item's size)
 *   PCI range item (12 bytes): le16 type = 1, le16 hierarchy,
 *     le16 requester_start, le16 requester_end, le32 endpoint_start
 *   endpoint item (16 bytes): le16 type = 2, le16 reserved,
 *     le32 endpoint, le64 address
 *
 * Rejected, each with -EINVAL and a log line naming the value: a buffer
 * shorter than the header; offset inside the header, unaligned (4) or past
 * the end; offset + num_items * item_length overflowing or past the end;
 * item_length not a multiple of 4 or shorter than 4; an item shorter than
 * its type needs (truncated); an unknown type; requester_start >
 * requester_end; endpoint IDs of a range overflowing 32 bits; more than
 * 4096 items; and anything breaking the model's rules above (overlapping
 * requester IDs in one hierarchy, a shared MMIO address, a shared endpoint
 * ID). num_items = 0 is a valid empty topology. The model has one IOMMU,
 * of kind KEEL_EMU_TOPO_IOMMU_SELF, and keel_emu_topology_count() is
 * num_items.
 *
 * @param buf   the bytes (untrusted)
 * @param size  their length
 * @param topo  out: the parsed topology (free with keel_emu_topology_free())
 * @return 0, -EINVAL or -ENOMEM.
 */
int keel_emu_topology_parse(const void *buf, uint64_t size,
			    struct keel_emu_topology **topo);

/**
 * Parse an ACPI VIOT table (ACPI 6.5, section 5.2.32 "Virtual I/O
 * Translation Table"), e.g. the bytes of /sys/firmware/acpi/tables/VIOT.
 * Layout (little-endian; offsets from the start of the table):
 *
 *     0: the 36-byte system description header (ACPI 6.5, 5.2.6):
 *        "VIOT", le32 length, u8 revision, u8 checksum (all bytes of the
 *        table sum to 0 mod 256), OEM IDs and revisions
 *    36: le16 node_count, 38: le16 node_offset (of the first node),
 *    40: 8 reserved bytes
 *   each node: u8 type, u8 reserved, le16 length (to the next node), then
 *     type 1, PCI range (24 bytes): le32 endpoint_start,
 *       le16 segment_start, le16 segment_end, le16 bdf_start,
 *       le16 bdf_end, le16 output_node (offset of its IOMMU's node)
 *     type 2, single MMIO endpoint (24 bytes): le32 endpoint_id,
 *       le64 base_address, le16 output_node
 *     type 3, virtio-pci IOMMU (16 bytes): le16 segment, le16 bdf
 *     type 4, virtio-mmio IOMMU (16 bytes): 4 reserved, le64 base_address
 *
 * A PCI range covers, in each segment S of [segment_start, segment_end],
 * the BDFs [bdf_start, bdf_end]; device (S, B) gets endpoint ID
 * endpoint_start + ((S - segment_start) << 16) + (B - bdf_start). The
 * model holds one item per segment of a range, each tied to the IOMMU its
 * output node names. Nodes of other types are skipped (the table may grow
 * new ones); their length must still be valid.
 *
 * Rejected, each with -EINVAL and a log line naming the value: a buffer
 * shorter than 48 bytes or than the header's length; a length under 48; a
 * signature other than "VIOT"; a bad checksum; node_offset inside the
 * header or past the end; a node whose header or body runs past the table
 * (including node_count promising more nodes than fit); a node shorter
 * than its type needs; segment_start > segment_end or bdf_start >
 * bdf_end; endpoint IDs overflowing 32 bits; an output node that is not
 * the offset of an IOMMU node; two IOMMU nodes at one PCI location or MMIO
 * address; more than 4096 items or IOMMUs; and anything breaking the
 * model's rules above.
 *
 * @param buf   the bytes (untrusted)
 * @param size  their length
 * @param topo  out: the parsed topology (free with keel_emu_topology_free())
 * @return 0, -EINVAL or -ENOMEM.
 */
int keel_emu_viot_parse(const void *buf, uint64_t size,
			struct keel_emu_topology **topo);

/** Free a parsed topology (NULL is fine). */
void keel_emu_topology_free(struct keel_emu_topology *topo);

/** @return the number of items (PCI ranges, per segment, and endpoints). */
unsigned int keel_emu_topology_count(const struct keel_emu_topology *topo);

/** @return the number of IOMMUs. */
unsigned int keel_emu_topology_iommu_count(const struct keel_emu_topology *topo);

/**
 * IOMMU number @p idx (as returned by the lookups).
 * @return 0 with *out set; -EINVAL (NULL argument, or @p idx out of range).
 */
int keel_emu_topology_iommu_get(const struct keel_emu_topology *topo,
				unsigned int idx, struct keel_emu_topo_iommu *out);

/**
 * Endpoint ID of a PCI device: requester ID @p rid (bus << 8 | devfn) in
 * PCI segment @p hierarchy.
 *
 * @param topo   a parsed topology
 * @param hierarchy  the PCI segment
 * @param rid    the requester ID
 * @param ep_id  out: the endpoint ID
 * @param iommu  out (may be NULL): index of the IOMMU that translates it
 * @return 0 with *ep_id set; -ENOENT when no range covers it; -EINVAL.
 */
int keel_emu_topology_lookup_pci(const struct keel_emu_topology *topo,
				 uint16_t hierarchy, uint16_t rid,
				 uint32_t *ep_id, unsigned int *iommu);

/**
 * Endpoint ID of an MMIO device at @p address.
 *
 * @param topo     a parsed topology
 * @param address  the device's MMIO address
 * @param ep_id    out: the endpoint ID
 * @param iommu    out (may be NULL): index of the IOMMU that translates it
 * @return 0 with *ep_id set; -ENOENT; -EINVAL.
 */
int keel_emu_topology_lookup_mmio(const struct keel_emu_topology *topo,
				  uint64_t address, uint32_t *ep_id,
				  unsigned int *iommu);

/** Print the IOMMUs and items, one a line, to @p f. */
void keel_emu_topology_dump(FILE *f, const struct keel_emu_topology *topo);

#ifdef __cplusplus
}
#endif
#endif /* KEEL_EMU_TOPOLOGY_H */
