/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ACPI VIOT test vectors (see viot_vectors.h). Bytes as read from the
 * guest, laid out by field (ACPI 6.5, 5.2.6 header and 5.2.32 VIOT).
 */
#include "viot_vectors.h"

const uint8_t viot_qemu72_q35[] = {
	/* 0: system description header */
	'V', 'I', 'O', 'T',             /* signature */
	0x58, 0x00, 0x00, 0x00,         /* length: 88 bytes */
	0x00,                           /* revision 0 */
	0x66,                           /* checksum */
	'B', 'O', 'C', 'H', 'S', ' ',   /* OEM ID */
	'B', 'X', 'P', 'C', ' ', ' ', ' ', ' ', /* OEM table ID */
	0x01, 0x00, 0x00, 0x00,         /* OEM revision */
	'B', 'X', 'P', 'C',             /* creator ID */
	0x01, 0x00, 0x00, 0x00,         /* creator revision */
	/* 36: VIOT */
	0x02, 0x00,                     /* node count: 2 */
	0x30, 0x00,                     /* node offset: 0x30 */
	0, 0, 0, 0, 0, 0, 0, 0,         /* reserved */
	/* 0x30: virtio-pci IOMMU node */
	0x03, 0x00, 0x10, 0x00,         /* type 3, length 16 */
	0x00, 0x00,                     /* PCI segment 0 */
	0x08, 0x00,                     /* BDF 0x0008: 00:01.0 */
	0, 0, 0, 0, 0, 0, 0, 0,         /* reserved */
	/* 0x40: PCI range node */
	0x01, 0x00, 0x18, 0x00,         /* type 1, length 24 */
	0x00, 0x00, 0x00, 0x00,         /* endpoint start 0 */
	0x00, 0x00, 0x00, 0x00,         /* segments 0-0 */
	0x00, 0x00, 0xff, 0x00,         /* BDFs 0x0000-0x00ff: bus 0 */
	0x30, 0x00,                     /* output node: the IOMMU at 0x30 */
	0, 0, 0, 0, 0, 0,               /* reserved */
};
const size_t viot_qemu72_q35_len = sizeof(viot_qemu72_q35);
