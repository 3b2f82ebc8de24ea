/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A vdev driver built as a loadable module only (never linked into
 * keel-autotest), three times under the names test_dla, test_dlb and
 * test_dlc (TEST_DRV_NAME), so test_eal_drivers.c can see -d FILE, -d DIR
 * and the driver directory each load a driver the program did not have.
 * Its devices do nothing.
 */
#include "keel_vdev.h"

static int
probe(const char *name, const char *args)
{
	(void)name;
	(void)args;
	return 0;
}

static int
remove_dev(const char *name)
{
	(void)name;
	return 0;
}

static struct keel_vdev_driver drv = {
	.probe = probe,
	.remove = remove_dev,
};

/* expand TEST_DRV_NAME before the registration macro pastes it */
#define REGISTER(nm) KEEL_VDEV_DRIVER_REGISTER(nm, drv, "")
REGISTER(TEST_DRV_NAME)
