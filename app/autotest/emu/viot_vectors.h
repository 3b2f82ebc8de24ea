/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_VIOT_VECTORS_H
#define KEEL_VIOT_VECTORS_H

/*
 * ACPI VIOT tables captured from real firmware, as test vectors: the fast
 * suite parses them (test_emu_viot.c), the fuzz test mutates them, and the
 * vm suite's virtio-iommu guest compares its live table with them
 * (test_vm_viot.c).
 */
#include <stddef.h>
#include <stdint.h>

/*
 * QEMU 7.2 (Debian 1:7.2+dfsg-7+deb12u18), -machine q35 -device
 * virtio-iommu-pci as the first -device (devtools/vm/run-vm.py --viommu
 * virtio): /sys/firmware/acpi/tables/VIOT in the Linux 6.12 guest.
 */
extern const uint8_t viot_qemu72_q35[];
extern const size_t viot_qemu72_q35_len;

#endif /* KEEL_VIOT_VECTORS_H */
