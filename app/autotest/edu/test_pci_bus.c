/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "fast" suite: the PCI bus (drivers/bus/pci) against fake sysfs trees in
 * a temporary directory: address parsing, id matching, the vfio-pci
 * binding check, the EAL's -a / -b / --no-pci filters (through a real
 * keel_eal_init() whose bus probe scans the fake tree), and malformed
 * sysfs entries (logged with their value, skipped, no crash).
 *
 * Each test builds and deletes its own tree and restores the bus's sysfs
 * root; the test driver is registered only while a test runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keel_eal.h"
#include "keel_pci.h"
#include "test.h"

/* ------------------------------------------------------ fake sysfs tree */

struct fake_sysfs {
	char root[64];
	char devices[PATH_MAX];
};

static int
write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

static int
fake_init(struct fake_sysfs *fs)
{
	char p[PATH_MAX + 64];

	snprintf(fs->root, sizeof(fs->root), "/tmp/keel-pci-XXXXXX");
	if (mkdtemp(fs->root) == NULL)
		return -errno;
	snprintf(p, sizeof(p), "%s/bus", fs->root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/bus/pci", fs->root);
	mkdir(p, 0755);
	snprintf(fs->devices, sizeof(fs->devices), "%s/bus/pci/devices",
		 fs->root);
	if (mkdir(fs->devices, 0755) < 0)
		return -errno;
	return 0;
}

/*
 * Add device directory @p name with the given attribute contents (NULL:
 * file absent; len -1: strlen) and a driver link to @p driver (NULL: none).
 */
static int
fake_dev_raw(struct fake_sysfs *fs, const char *name, const char *vendor,
	     ssize_t vlen, const char *device, const char *driver)
{
	char dir[PATH_MAX + 64], p[PATH_MAX + 128], target[128];
	int ret = 0;

	snprintf(dir, sizeof(dir), "%s/%s", fs->devices, name);
	if (mkdir(dir, 0755) < 0)
		return -errno;
	if (vendor != NULL) {
		snprintf(p, sizeof(p), "%s/vendor", dir);
		ret = write_file(p, vendor,
				 vlen < 0 ? strlen(vendor) : (size_t)vlen);
	}
	if (ret == 0 && device != NULL) {
		snprintf(p, sizeof(p), "%s/device", dir);
		ret = write_file(p, device, strlen(device));
	}
	if (ret == 0 && driver != NULL) {
		snprintf(p, sizeof(p), "%s/driver", dir);
		snprintf(target, sizeof(target),
			 "../../../../bus/pci/drivers/%s", driver);
		if (symlink(target, p) < 0)
			ret = -errno;
	}
	return ret;
}

static int
fake_dev(struct fake_sysfs *fs, const char *name, unsigned int vendor,
	 unsigned int device, const char *driver)
{
	char v[16], d[16];

	snprintf(v, sizeof(v), "0x%04x\n", vendor);
	snprintf(d, sizeof(d), "0x%04x\n", device);
	return fake_dev_raw(fs, name, v, -1, d, driver);
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static void
fake_fini(struct fake_sysfs *fs)
{
	nftw(fs->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---------------------------------------------------------- test driver */

#define MAX_CALLS 16

static struct {
	char probed[MAX_CALLS][KEEL_PCI_ADDR_LEN];
	unsigned int ids[MAX_CALLS];   /* vendor << 16 | device */
	int n_probed;
	char removed[MAX_CALLS][KEEL_PCI_ADDR_LEN];
	int n_removed;
	char fail_bdf[KEEL_PCI_ADDR_LEN];  /* probe fails with -EIO */
} calls;

static int
tdrv_probe(const char *bdf, const struct keel_pci_id *id)
{
	if (strcmp(bdf, calls.fail_bdf) == 0)
		return -EIO;
	if (calls.n_probed < MAX_CALLS) {
		snprintf(calls.probed[calls.n_probed], KEEL_PCI_ADDR_LEN, "%s",
			 bdf);
		calls.ids[calls.n_probed] =
			(unsigned int)id->vendor << 16 | id->device;
	}
	calls.n_probed++;
	return 0;
}

static int
tdrv_remove(const char *bdf)
{
	if (calls.n_removed < MAX_CALLS)
		snprintf(calls.removed[calls.n_removed], KEEL_PCI_ADDR_LEN,
			 "%s", bdf);
	calls.n_removed++;
	return 0;
}

static const struct keel_pci_id tdrv_ids[] = {
	{ .vendor = 0xabcd, .device = 0x0001 },
	{ .vendor = 0xabcd, .device = 0x0002 },
};

static struct keel_pci_driver tdrv = {
	.name = "pci_test_drv",
	.ids = tdrv_ids,
	.nb_ids = 2,
	.probe = tdrv_probe,
	.remove = tdrv_remove,
};

static int
probed(const char *bdf)
{
	for (int i = 0; i < calls.n_probed && i < MAX_CALLS; i++)
		if (strcmp(calls.probed[i], bdf) == 0)
			return 1;
	return 0;
}

static int
removed(const char *bdf)
{
	for (int i = 0; i < calls.n_removed && i < MAX_CALLS; i++)
		if (strcmp(calls.removed[i], bdf) == 0)
			return 1;
	return 0;
}

/* -------------------------------------------------------------- parsing */

static int
test_pci_addr_parse(void)
{
	static const char *const good[][2] = {
		{ "0000:00:03.0", "0000:00:03.0" },
		{ "00:03.0", "0000:00:03.0" },
		{ "ABCD:Ef:1f.7", "abcd:ef:1f.7" },
		{ "1:2:3.4", "0001:02:03.4" },
	};
	static const char *const bad[] = {
		"", "garbage", "0000:00:03", "0000:00:20.0", "0000:00:03.8",
		"10000:00:03.0", "0000:100:03.0", "0000:00:03.0x",
		"0000:00:03.0 ", ":00:03.0", "0000::03.0", "0000:00:03.",
		"0000:00.03:0", "0000:00:03.0:1",
	};
	char out[KEEL_PCI_ADDR_LEN];

	for (unsigned int i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		TEST_ASSERT_SUCCESS(keel_pci_addr_parse(good[i][0], out),
				    "'%s' must parse", good[i][0]);
		TEST_ASSERT(strcmp(out, good[i][1]) == 0,
			    "'%s' gave '%s', want '%s'", good[i][0], out,
			    good[i][1]);
	}
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(out, "untouched");
		TEST_ASSERT_EQUAL(keel_pci_addr_parse(bad[i], out), -EINVAL,
				  "'%s' must be refused", bad[i]);
		TEST_ASSERT(strcmp(out, "untouched") == 0,
			    "'%s': output changed on failure", bad[i]);
	}
	TEST_ASSERT_EQUAL(keel_pci_addr_parse(NULL, out), -EINVAL, "NULL");
	return TEST_SUCCESS;
}

KEEL_TEST(pci_addr_parse, "fast", TEST_NO_EAL, test_pci_addr_parse)

/* ---------------------------------------------------- driver registry */

static int
test_pci_driver_register(void)
{
	struct keel_pci_driver bad = tdrv;
	struct keel_pci_driver dup = tdrv;

	bad.name = "pci_test_bad";
	bad.nb_ids = 0;
	TEST_ASSERT_EQUAL(keel_pci_driver_register(&bad), -EINVAL, "no ids");
	bad.nb_ids = 1;
	bad.probe = NULL;
	TEST_ASSERT_EQUAL(keel_pci_driver_register(&bad), -EINVAL,
			  "no probe");
	TEST_ASSERT_EQUAL(keel_pci_driver_register(NULL), -EINVAL, "NULL");
	TEST_ASSERT_SUCCESS(keel_pci_driver_register(&tdrv), "register");
	TEST_ASSERT_EQUAL(keel_pci_driver_register(&dup), -EEXIST,
			  "same name twice");
	TEST_ASSERT_EQUAL(keel_pci_driver_unregister(&dup), -ENOENT,
			  "unregister an unregistered driver");
	TEST_ASSERT_SUCCESS(keel_pci_driver_unregister(&tdrv), "unregister");
	TEST_ASSERT_EQUAL(keel_pci_driver_unregister(&tdrv), -ENOENT,
			  "unregister twice");
	TEST_ASSERT_EQUAL(keel_pci_set_sysfs_root("relative/path"), -EINVAL,
			  "relative sysfs root");
	return TEST_SUCCESS;
}

KEEL_TEST(pci_driver_register, "fast", TEST_NO_EAL, test_pci_driver_register)

/* ----------------------------------------------------------------- scan */

static int
scan_body(struct fake_sysfs *fs)
{
	static const char binary[] = "0x\0\x01\x02\xff garbage that is long!!";
	struct keel_pci_scan_stats st;
	char p[PATH_MAX + 64];
	char *log;
	int ret;

	/* matched, on either id */
	TEST_ASSERT_SUCCESS(fake_dev(fs, "0000:00:01.0", 0xabcd, 1,
				     "vfio-pci"), "tree");
	TEST_ASSERT_SUCCESS(fake_dev(fs, "0000:00:02.0", 0xabcd, 2,
				     "vfio-pci"), "tree");
	/* matching ids but another driver, or none */
	TEST_ASSERT_SUCCESS(fake_dev(fs, "0000:00:03.0", 0xabcd, 1, "e1000"),
			    "tree");
	TEST_ASSERT_SUCCESS(fake_dev(fs, "0000:00:04.0", 0xabcd, 1, NULL),
			    "tree");
	/* vfio-pci but no driver for the ids */
	TEST_ASSERT_SUCCESS(fake_dev(fs, "0000:00:05.0", 0x1111, 0x2222,
				     "vfio-pci"), "tree");
	/* the driver's probe fails */
	TEST_ASSERT_SUCCESS(fake_dev(fs, "0000:00:06.0", 0xabcd, 1,
				     "vfio-pci"), "tree");
	snprintf(calls.fail_bdf, sizeof(calls.fail_bdf), "0000:00:06.0");
	/* malformed, each with ids and binding that would otherwise match */
	TEST_ASSERT_SUCCESS(fake_dev(fs, "garbage", 0xabcd, 1, "vfio-pci"),
			    "tree");
	TEST_ASSERT_SUCCESS(fake_dev(fs, "0000:00:1f.9", 0xabcd, 1,
				     "vfio-pci"), "tree");
	TEST_ASSERT_SUCCESS(fake_dev_raw(fs, "0000:00:07.0", "zzzz\n", -1,
					 "0x0001\n", "vfio-pci"), "tree");
	TEST_ASSERT_SUCCESS(fake_dev_raw(fs, "0000:00:08.0", "0x123456\n", -1,
					 "0x0001\n", "vfio-pci"), "tree");
	TEST_ASSERT_SUCCESS(fake_dev_raw(fs, "0000:00:09.0", "0xabcd\n", -1,
					 NULL, "vfio-pci"), "tree");
	TEST_ASSERT_SUCCESS(fake_dev_raw(fs, "0000:00:0a.0", binary,
					 sizeof(binary), "0x0001\n",
					 "vfio-pci"), "tree");
	TEST_ASSERT_SUCCESS(fake_dev_raw(fs, "0000:00:0b.0", "", -1,
					 "0x0001\n", "vfio-pci"), "tree");
	TEST_ASSERT_SUCCESS(fake_dev_raw(fs, "0000:00:0c.0", "0xabcd\n", -1,
					 "0x0001\n", NULL), "tree");
	snprintf(p, sizeof(p), "%s/0000:00:0c.0/driver", fs->devices);
	TEST_ASSERT_SUCCESS(write_file(p, "vfio-pci", 8),
			    "driver as a plain file");
	snprintf(p, sizeof(p), "%s/0000:00:0d.0", fs->devices);
	TEST_ASSERT_SUCCESS(write_file(p, "x", 1), "a file, not a directory");
	TEST_ASSERT_SUCCESS(fake_dev_raw(fs, "0000:00:0e.0", "0xabcd", -1,
					 "0x1", "vfio-pci"), "tree");
	/* another driver's device: its attributes are not even read */
	TEST_ASSERT_SUCCESS(fake_dev_raw(fs, "0000:00:0f.0", "zz", -1, NULL,
					 "e1000"), "tree");
	/* a driver link whose target ends in '/' names no driver */
	TEST_ASSERT_SUCCESS(fake_dev_raw(fs, "0000:00:10.0", "0xabcd\n", -1,
					 "0x0001\n", NULL), "tree");
	snprintf(p, sizeof(p), "%s/0000:00:10.0/driver", fs->devices);
	TEST_ASSERT_SUCCESS(symlink("../drivers/", p) == 0 ? 0 : -errno,
			    "odd driver link");

	TEST_ASSERT_SUCCESS(keel_pci_set_sysfs_root(fs->root), "root");
	TEST_ASSERT_SUCCESS(keel_pci_driver_register(&tdrv), "register");
	test_log_capture_start();
	ret = keel_pci_scan(&st);
	log = test_log_capture_stop();
	TEST_ASSERT(log != NULL, "log capture");
	printf("  seen %u malformed %u not_vfio %u filtered %u no_driver %u "
	       "failed %u attached %u\n", st.seen, st.malformed, st.not_vfio,
	       st.filtered, st.no_driver, st.failed, st.attached);
	ret = ret == 3 && st.seen == 18 && st.malformed == 10 &&
	      st.not_vfio == 3 && st.filtered == 0 && st.no_driver == 1 &&
	      st.failed == 1 && st.attached == 3 ? 0 : -1;
	/* every malformed value is named in the log */
	if (strstr(log, "'garbage'") == NULL ||
	    strstr(log, "'0000:00:1f.9'") == NULL ||
	    strstr(log, "'zzzz?'") == NULL ||
	    strstr(log, "'0x123456?'") == NULL ||
	    strstr(log, "0000:00:09.0/device") == NULL ||
	    strstr(log, "0000:00:0a.0: malformed vendor") == NULL ||
	    strstr(log, "0000:00:0b.0: malformed vendor ''") == NULL ||
	    strstr(log, "0000:00:0c.0/driver is not a driver link") == NULL ||
	    strstr(log, "0000:00:0d.0 is not a device directory") == NULL ||
	    strstr(log, "driver link '../drivers/' names no driver") == NULL ||
	    strstr(log, "0000:00:0f.0") != NULL ||
	    /* a device bound to vfio-pci that no driver takes is a warning */
	    strstr(log, "WARNING: pci 0000:00:05.0 (1111:2222): bound to "
		   "vfio-pci, but no Keel driver handles it") == NULL ||
	    strstr(log, "0000:00:06.0 (abcd:0001): driver pci_test_drv probe "
		   "failed") == NULL) {
		printf("  log:\n%s\n", log);
		ret = -1;
	}
	free(log);
	TEST_ASSERT_SUCCESS(ret, "scan counts or log (above)");

	TEST_ASSERT_EQUAL(calls.n_probed, 3, "probe calls");
	TEST_ASSERT(probed("0000:00:01.0") && probed("0000:00:02.0") &&
		    probed("0000:00:0e.0"), "the matched devices were probed");
	for (int i = 0; i < 3; i++) {
		if (strcmp(calls.probed[i], "0000:00:02.0") == 0)
			TEST_ASSERT_EQUAL(calls.ids[i], 0xabcd0002u,
					  "the id passed to probe");
	}
	TEST_ASSERT_EQUAL(keel_pci_device_count(), 3, "attached");
	TEST_ASSERT(keel_pci_device_driver("00:01.0") != NULL &&
		    strcmp(keel_pci_device_driver("00:01.0"),
			   "pci_test_drv") == 0, "driver of 00:01.0");
	TEST_ASSERT(keel_pci_device_driver("0000:00:03.0") == NULL,
		    "00:03.0 (e1000) is not attached");
	TEST_ASSERT(keel_pci_device_driver("0000:00:06.0") == NULL,
		    "00:06.0 (probe failed) is not attached");

	/* a second scan attaches nothing new and probes nobody again */
	TEST_ASSERT_EQUAL(keel_pci_scan(&st), 0, "rescan");
	TEST_ASSERT_EQUAL(calls.n_probed, 3, "no probe on rescan");
	TEST_ASSERT_EQUAL(keel_pci_set_sysfs_root("/sys"), -EBUSY,
			  "root change while attached");

	TEST_ASSERT_EQUAL(keel_pci_remove_all(), 3, "remove all");
	TEST_ASSERT_EQUAL(calls.n_removed, 3, "remove calls");
	TEST_ASSERT(removed("0000:00:01.0") && removed("0000:00:02.0") &&
		    removed("0000:00:0e.0"), "removed what was attached");
	TEST_ASSERT_EQUAL(keel_pci_device_count(), 0, "none left");

	/* unregistering a driver removes its devices first */
	TEST_ASSERT_EQUAL(keel_pci_scan(NULL), 3, "scan again");
	TEST_ASSERT_SUCCESS(keel_pci_driver_unregister(&tdrv), "unregister");
	TEST_ASSERT_EQUAL(calls.n_removed, 6, "removed on unregister");
	TEST_ASSERT_EQUAL(keel_pci_device_count(), 0, "none left");

	/* no tree at all: no PCI, not an error */
	snprintf(p, sizeof(p), "%s/nonexistent", fs->root);
	TEST_ASSERT_SUCCESS(keel_pci_set_sysfs_root(p), "root");
	TEST_ASSERT_EQUAL(keel_pci_scan(&st), 0, "scan without sysfs");
	TEST_ASSERT_EQUAL(st.seen, 0, "nothing seen");
	return TEST_SUCCESS;
}

static int
test_pci_bus_scan(void)
{
	struct fake_sysfs fs;
	int ret;

	memset(&calls, 0, sizeof(calls));
	TEST_ASSERT_SUCCESS(fake_init(&fs), "temp dir");
	ret = scan_body(&fs);
	keel_pci_remove_all();
	keel_pci_driver_unregister(&tdrv);
	keel_pci_set_sysfs_root(NULL);
	fake_fini(&fs);
	return ret;
}

KEEL_TEST(pci_bus_scan, "fast", TEST_NO_EAL, test_pci_bus_scan)

/* -------------------------------------------- EAL filters (-a, -b, ...) */

/* keel_eal_init() with @p extra args; the bus probe scans the fake tree. */
static int
eal_with(const char *a1, const char *a2)
{
	char *argv[16];
	int argc = 0;

	argv[argc++] = (char *)"keel-autotest";
	argv[argc++] = (char *)"--no-huge";
	argv[argc++] = (char *)"-m";
	argv[argc++] = (char *)"64";
	argv[argc++] = (char *)"--iommu";
	argv[argc++] = (char *)"none";
	if (a1 != NULL)
		argv[argc++] = (char *)a1;
	if (a2 != NULL)
		argv[argc++] = (char *)a2;
	argv[argc] = NULL;
	return keel_eal_init(argc, argv);
}

static int
filter_case(const char *a1, const char *a2, const char *want)
{
	const char *all[] = { "0000:00:01.0", "0000:00:02.0", "0000:00:03.0" };
	int ret, n_want = 0;

	if (a1 == NULL)
		a1 = "(no filter)";
	memset(&calls, 0, sizeof(calls));
	ret = eal_with(a1[0] == '(' ? NULL : a1, a2);
	TEST_ASSERT(ret >= 0, "keel_eal_init with %s %s: %d (a device the "
		    "bus cannot take must not fail init)", a1,
		    a2 != NULL ? a2 : "", ret);
	for (int i = 0; i < 3; i++) {
		int w = strstr(want, all[i] + 5) != NULL;

		n_want += w;
		if (probed(all[i]) != w) {
			printf("  %s %s: %s %s probed\n", a1,
			       a2 != NULL ? a2 : "", all[i],
			       w ? "not" : "wrongly");
			keel_eal_cleanup();
			return TEST_FAILED;
		}
	}
	TEST_ASSERT_EQUAL(calls.n_probed, n_want, "probe calls for %s", a1);
	TEST_ASSERT_EQUAL(keel_pci_device_count(), n_want, "attached");
	TEST_ASSERT_SUCCESS(keel_eal_cleanup(), "cleanup");
	TEST_ASSERT_EQUAL(calls.n_removed, n_want, "removed at cleanup");
	TEST_ASSERT_EQUAL(keel_pci_device_count(), 0, "none left");
	return TEST_SUCCESS;
}

static int
filters_body(struct fake_sysfs *fs)
{
	TEST_ASSERT_SUCCESS(fake_dev(fs, "0000:00:01.0", 0xabcd, 1,
				     "vfio-pci"), "tree");
	TEST_ASSERT_SUCCESS(fake_dev(fs, "0000:00:02.0", 0xabcd, 1,
				     "vfio-pci"), "tree");
	TEST_ASSERT_SUCCESS(fake_dev(fs, "0000:00:03.0", 0xabcd, 2,
				     "vfio-pci"), "tree");
	/* an edu device: dma_edu refuses it (no VFIO container with
	 * --iommu none); init must still succeed */
	TEST_ASSERT_SUCCESS(fake_dev(fs, "0000:00:04.0", 0x1234, 0x11e8,
				     "vfio-pci"), "tree");
	TEST_ASSERT_SUCCESS(keel_pci_set_sysfs_root(fs->root), "root");
	TEST_ASSERT_SUCCESS(keel_pci_driver_register(&tdrv), "register");

	if (filter_case(NULL, NULL, "00:01.0 00:02.0 00:03.0") != TEST_SUCCESS ||
	    filter_case("-a", "0000:00:02.0", "00:02.0") != TEST_SUCCESS ||
	    filter_case("-a", "00:03.0", "00:03.0") != TEST_SUCCESS ||
	    filter_case("-b", "0000:00:02.0", "00:01.0 00:03.0") !=
		    TEST_SUCCESS ||
	    filter_case("--no-pci", NULL, "") != TEST_SUCCESS)
		return TEST_FAILED;
	return TEST_SUCCESS;
}

static int
test_pci_bus_filters(void)
{
	struct fake_sysfs fs;
	int ret;

	TEST_ASSERT_SUCCESS(fake_init(&fs), "temp dir");
	ret = filters_body(&fs);
	if (keel_eal_is_initialized())
		keel_eal_cleanup();
	keel_pci_remove_all();
	keel_pci_driver_unregister(&tdrv);
	keel_pci_set_sysfs_root(NULL);
	fake_fini(&fs);
	return ret;
}

KEEL_TEST(pci_bus_filters, "fast", TEST_NO_EAL, test_pci_bus_filters)
