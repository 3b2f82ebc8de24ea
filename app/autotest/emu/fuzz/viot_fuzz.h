/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_EMU_VIOT_FUZZ_H
#define KEEL_EMU_VIOT_FUZZ_H

/*
 * One fuzz input through the ACPI VIOT parser, shared by the libFuzzer
 * target (fuzz_viot.c) and the "emu_viot_fuzz" autotest.
 */
#include <stddef.h>
#include <stdint.h>

/*
 * Parse @p data (exactly @p size bytes) as it is, and once more with its
 * checksum byte fixed (so that mutations reach the nodes), and check what
 * each accepted parse claims against an independent decoding of the
 * bytes. @return 1 some parse accepted, 0 both rejected, -1 an invariant
 * broke (a message is printed).
 */
int emu_viot_fuzz_one(const uint8_t *data, size_t size);

#endif /* KEEL_EMU_VIOT_FUZZ_H */
