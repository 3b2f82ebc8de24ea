/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "vfio" IOMMU backend adapter over the fake kernel: registration,
 * create(args), get_caps (can_split false, page sizes, width, limit,
 * usable ranges), get_usage, map/unmap through the ops including a short
 * unmap, and destroy.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fake_vfio.h"
#include "iommu_backend.h"
#include "keel_log.h"
#include "keel_vfio.h"
#include "test.h"

#define RW (KEEL_IOMMU_PROT_READ | KEEL_IOMMU_PROT_WRITE)


static int
test_vfio_backend_registered(void)
{
	const char *name = NULL;
	keel_iommu_backend_create_t create;

	create = keel_iommu_backend_find(KEEL_IOMMU_VFIO, NULL, &name);
	TEST_ASSERT(create == keel_vfio_backend_create, "registered create");
	TEST_ASSERT(name != NULL && strcmp(name, "vfio") == 0, "name");
	TEST_ASSERT_EQUAL(keel_iommu_backend_kind_of("vfio"), KEEL_IOMMU_VFIO, "kind");
	TEST_ASSERT(strcmp(keel_vfio_backend_ops()->name, "vfio") == 0, "ops name");
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_backend_registered, "fast", TEST_NO_EAL, test_vfio_backend_registered)

static int
body_backend(void)
{
	const struct keel_iommu_backend_ops *ops;
	struct keel_iommu_caps caps;
	uint64_t va, un, n;
	uint8_t *buf;
	void *priv;
	int ret;

	buf = mmap(NULL, 256 * 1024, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(buf != MAP_FAILED, "mmap");
	va = (uint64_t)(uintptr_t)buf;
	TEST_ASSERT_SUCCESS(keel_vfio_backend_create("group=7", &ops, &priv), "create");
	TEST_ASSERT(ops == keel_vfio_backend_ops(), "ops");
	TEST_ASSERT_SUCCESS(ops->get_caps(priv, &caps), "caps");
	TEST_ASSERT(!caps.can_split, "type1 v2 cannot split");
	TEST_ASSERT(caps.pgsize_bitmap == 0x40201000, "pgsizes");
	TEST_ASSERT_EQUAL(caps.addr_width, 39, "width");
	TEST_ASSERT_EQUAL(caps.max_mappings, 65535, "limit");
	TEST_ASSERT(caps.n_ranges == 3 && caps.ranges[0].start == 0 &&
		    caps.ranges[0].last == 0xfedfffff &&
		    caps.ranges[1].start == 0xfef00000 &&
		    caps.ranges[1].last == 0xfffffffffULL &&
		    caps.ranges[2].start == 0x1000001000ULL &&
		    caps.ranges[2].last == 0x7fffffffffULL, "usable ranges");
	TEST_ASSERT_SUCCESS(ops->get_usage(priv, &n), "usage");
	TEST_ASSERT_EQUAL(n, 0, "no mappings");

	TEST_ASSERT_SUCCESS(ops->map(priv, va, 0x100000, 0x10000, RW), "map A");
	TEST_ASSERT_SUCCESS(ops->map(priv, va + 0x10000, 0x110000, 0x10000, RW), "B");
	TEST_ASSERT_EQUAL(ops->map(priv, va, 0x108000, 0x1000, RW), -EEXIST, "overlap");
	TEST_ASSERT_SUCCESS(ops->get_usage(priv, &n), "usage");
	TEST_ASSERT_EQUAL(n, 2, "two kernel mappings");
	TEST_ASSERT_EQUAL(ops->unmap(priv, 0x104000, 0x1000, &un), -EINVAL, "bisect");
	TEST_ASSERT_SUCCESS(fake_vfio_mark_foreign(0x110000), "B foreign");
	test_log_capture_start();
	ret = ops->unmap(priv, 0x100000, 0x20000, &un);
	free(test_log_capture_stop());
	TEST_ASSERT_EQUAL(ret, 0, "a short unmap is the kernel's success");
	TEST_ASSERT_EQUAL(un, 0x10000, "reports the kernel's size");
	TEST_ASSERT_SUCCESS(ops->get_usage(priv, &n), "usage");
	TEST_ASSERT_EQUAL(n, 1, "B left");
	ops->destroy(priv);
	TEST_ASSERT(!fake_vfio_group_attached(7), "destroy closed it");
	munmap(buf, 256 * 1024);
	return TEST_SUCCESS;
}

static int
body_backend_args(void)
{
	const struct keel_iommu_backend_ops *ops;
	struct keel_iommu_caps caps;
	void *priv;
	char *log;
	int ret;

	test_log_capture_start();
	ret = keel_vfio_backend_create("group=x", &ops, &priv);
	log = test_log_capture_stop();
	TEST_ASSERT(ret == -EINVAL && strstr(log, "group=x"), "bad group: '%s'", log);
	free(log);
	test_log_capture_start();
	ret = keel_vfio_backend_create("group=7,foo=1", &ops, &priv);
	log = test_log_capture_stop();
	TEST_ASSERT(ret == -EINVAL && strstr(log, "foo=1"), "unknown item: '%s'", log);
	free(log);
	TEST_ASSERT(!fake_vfio_group_attached(7), "failed create unbound group 7");
	TEST_ASSERT_EQUAL(keel_vfio_backend_create("dev=0000:00:09.0", &ops, &priv),
			  -ENODEV, "unknown device");

	TEST_ASSERT_SUCCESS(keel_vfio_backend_create("dev=0000:00:03.0,group=7",
						     &ops, &priv), "dev + group");
	TEST_ASSERT(fake_vfio_group_attached(7), "bound");
	TEST_ASSERT_EQUAL(keel_vfio_container_n_groups(keel_vfio_backend_container(priv)),
			  1, "once");
	ops->destroy(priv);

	/* no args: the groups of the devices bound to vfio-pci */
	TEST_ASSERT_SUCCESS(keel_vfio_backend_create(NULL, &ops, &priv), "auto");
	TEST_ASSERT(fake_vfio_group_attached(7), "auto bound group 7");
	TEST_ASSERT_SUCCESS(ops->get_caps(priv, &caps), "caps");
	ops->destroy(priv);

	/* no group: caps fail until one is bound through the public API */
	TEST_ASSERT_SUCCESS(keel_vfio_backend_create("nogroups", &ops, &priv), "none");
	TEST_ASSERT_EQUAL(ops->get_caps(priv, &caps), -ENODEV, "no group yet");
	TEST_ASSERT_SUCCESS(keel_vfio_group_bind(keel_vfio_backend_container(priv), 7),
			    "bind later");
	TEST_ASSERT_SUCCESS(ops->get_caps(priv, &caps), "caps now");
	ops->destroy(priv);
	return TEST_SUCCESS;
}

/* auto-binding skips a group that is not viable */
static int
body_backend_auto_skip(void)
{
	const struct keel_iommu_backend_ops *ops;
	void *priv;
	char *log;

	test_log_capture_start();
	TEST_ASSERT_SUCCESS(keel_vfio_backend_create("", &ops, &priv), "auto");
	log = test_log_capture_stop();
	TEST_ASSERT(strstr(log, "skipping 0000:00:04.0") != NULL,
		    "warning names the device: '%s'", log);
	free(log);
	TEST_ASSERT(fake_vfio_group_attached(5) && !fake_vfio_group_attached(6),
		    "viable group bound, the other skipped");
	TEST_ASSERT_EQUAL(keel_vfio_container_n_groups(keel_vfio_backend_container(priv)),
			  1, "one group");
	ops->destroy(priv);
	return TEST_SUCCESS;
}

static int
test_vfio_backend_ops(void)
{
	struct fake_vfio_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.n_groups = 1;
	cfg.groups[0].num = 7;
	cfg.groups[0].resv_text =
		"0x00000000fee00000 0x00000000feefffff msi\n"
		"0x0000001000000000 0x0000001000000fff reserved\n";
	WITH_FAKE(&cfg, body_backend());
	WITH_FAKE(NULL, body_backend_args());
	memset(&cfg, 0, sizeof(cfg));
	cfg.n_groups = 2;
	cfg.groups[0].num = 5;
	cfg.groups[1].num = 6;
	cfg.groups[1].not_viable = true;
	cfg.n_devices = 2;
	cfg.devices[0].name = "0000:00:1f.2";
	cfg.devices[0].group = 5;
	cfg.devices[1].name = "0000:00:04.0";
	cfg.devices[1].group = 6;
	WITH_FAKE(&cfg, body_backend_auto_skip());
	return TEST_SUCCESS;
}
KEEL_TEST(vfio_backend_ops, "fast", TEST_NO_EAL, test_vfio_backend_ops)
