/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual device bus tests: creation and removal by API, refusal of bad
 * names and driver arguments (with the bus and dmadev tables unchanged),
 * and re-probing the EAL's --vdev list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keel_dmadev.h"
#include "keel_eal.h"
#include "keel_vdev.h"
#include "test.h"

static int
expect_refused(const char *name, const char *args, int err, const char *in_log)
{
	int nv = keel_vdev_count(), nd = keel_dma_count_avail(), ret;
	char *log;

	test_log_capture_start();
	ret = keel_vdev_create(name, args);
	log = test_log_capture_stop();
	TEST_ASSERT_EQUAL(ret, err, "create '%s' '%s'", name ? name : "(null)",
			  args ? args : "(null)");
	TEST_ASSERT(in_log == NULL || strstr(log, in_log) != NULL,
		    "log does not name '%s': %s", in_log, log);
	free(log);
	TEST_ASSERT_EQUAL(keel_vdev_count(), nv, "bus unchanged");
	TEST_ASSERT_EQUAL(keel_dma_count_avail(), nd, "dmadev unchanged");
	return TEST_SUCCESS;
}

static int
test_vdev_bus(void)
{
	char lc[32], longname[80];
	int nv = keel_vdev_count();

	if (expect_refused("no_such_drv0", "", -ENOENT, "no_such_drv0") ||
	    expect_refused("dma_soft_v", "mode=fast", -EINVAL, "mode=fast") ||
	    expect_refused("dma_soft_v", "foo=1", -EINVAL, "foo") ||
	    expect_refused("dma_soft_v", "lcore=999", -EINVAL, "lcore=999") ||
	    expect_refused("dma_soft_v", "reorder=2", -EINVAL, "reorder=2") ||
	    expect_refused("dma_soft_v", "dma_mask_bits=11", -EINVAL,
			   "dma_mask_bits=11") ||
	    expect_refused("dma_soft_v", "dma_mask_bits=65", -EINVAL,
			   "dma_mask_bits=65") ||
	    expect_refused("dma_soft_v", "dma_mask_bits=28x", -EINVAL,
			   "dma_mask_bits=28x") ||
	    expect_refused("dma_soft_v", "mode=inline,", -EINVAL, "kvargs") ||
	    expect_refused("dma_nosuch0", "", -ENOENT, "dma_nosuch0") ||
	    expect_refused("../../tmp/x0", "", -ENOENT, "no driver") ||
	    expect_refused(NULL, "", -EINVAL, "bad name") ||
	    expect_refused("", "", -EINVAL, "bad name"))
		return TEST_FAILED;
	snprintf(lc, sizeof(lc), "lcore=%u", keel_get_main_lcore());
	if (expect_refused("dma_soft_v", lc, -EINVAL, lc))
		return TEST_FAILED;
	memset(longname, 'x', sizeof(longname));
	memcpy(longname, "dma_soft", 8);
	longname[sizeof(longname) - 1] = '\0';
	if (expect_refused(longname, "", -EINVAL, "bad name"))
		return TEST_FAILED;

	TEST_ASSERT_SUCCESS(keel_vdev_create("dma_soft_v", "mode=inline"),
			    "create");
	TEST_ASSERT_EQUAL(keel_vdev_count(), nv + 1, "count");
	TEST_ASSERT(keel_dma_get_dev_id_by_name("dma_soft_v") >= 0, "dmadev");
	if (expect_refused("dma_soft_v", "", -EEXIST, "exists"))
		return TEST_FAILED;
	TEST_ASSERT_SUCCESS(keel_vdev_remove("dma_soft_v"), "remove");
	TEST_ASSERT_EQUAL(keel_dma_get_dev_id_by_name("dma_soft_v"), -ENODEV,
			  "dmadev gone");
	TEST_ASSERT_EQUAL(keel_vdev_remove("dma_soft_v"), -ENOENT,
			  "remove twice");
	TEST_ASSERT_EQUAL(keel_vdev_remove(NULL), -EINVAL, "remove NULL");
	/* the --vdev devices exist already: probing again creates none */
	TEST_ASSERT_EQUAL(keel_vdev_probe_eal(), 0, "re-probe");
	TEST_ASSERT_EQUAL(keel_vdev_count(), nv, "count back");
	for (int i = 0; i < keel_eal_vdev_count(); i++)
		TEST_ASSERT(keel_dma_get_dev_id_by_name(
				keel_eal_vdev_get(i)->name) >= 0 ||
			    strncmp(keel_eal_vdev_get(i)->name, "dma_", 4) != 0,
			    "--vdev %s has no dmadev",
			    keel_eal_vdev_get(i)->name);
	return TEST_SUCCESS;
}
KEEL_TEST(vdev_bus, "fast", 0, test_vdev_bus)

/* Devices of every mode, many at once, created and removed repeatedly. */
static int
test_vdev_churn(void)
{
	static const char *const args[] = {
		"mode=inline", "mode=worker", "lcore=any", "mode=inline,reorder=1",
	};
	char name[32];
	int n0 = keel_dma_count_avail();

	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < 8; i++) {
			snprintf(name, sizeof(name), "dma_soft_c%d", i);
			TEST_ASSERT_SUCCESS(keel_vdev_create(name, args[i % 4]),
					    "create %s", name);
		}
		for (int i = 0; i < 8; i++) {
			struct keel_dma_conf c = { .nb_vchans = 1 };
			struct keel_dma_vchan_conf vc = { .nb_desc = 32 };
			int16_t id;

			snprintf(name, sizeof(name), "dma_soft_c%d", i);
			id = (int16_t)keel_dma_get_dev_id_by_name(name);
			TEST_ASSERT(id >= 0, "lookup %s", name);
			TEST_ASSERT_SUCCESS(keel_dma_configure(id, &c), "cfg");
			TEST_ASSERT_SUCCESS(keel_dma_vchan_setup(id, 0, &vc),
					    "vchan");
			TEST_ASSERT_SUCCESS(keel_dma_start(id), "start %s", name);
		}
		/* remove while started: the bus stops and closes them */
		for (int i = 7; i >= 0; i--) {
			snprintf(name, sizeof(name), "dma_soft_c%d", i);
			TEST_ASSERT_SUCCESS(keel_vdev_remove(name), "remove");
		}
		TEST_ASSERT_EQUAL(keel_dma_count_avail(), n0, "all gone");
	}
	return TEST_SUCCESS;
}
KEEL_TEST(vdev_churn, "fast", 0, test_vdev_churn)
