/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the ACPI VIOT parser:
 *   build-clang/app/autotest/emu/fuzz/fuzz-emu-viot [corpus dir]
 */
#include <stdlib.h>

#include "keel_log.h"
#include "viot_fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	keel_log_set_level("iommu.emu", KEEL_LOG_CRIT); /* rejects are normal */
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (emu_viot_fuzz_one(data, size) < 0)
		abort();
	return 0;
}
