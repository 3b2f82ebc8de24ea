/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where drivers come from (lib/eal/drivers.c, lib/eal/bus.c): -d FILE,
 * -d DIRECTORY and the driver directory each load a driver keel-autotest
 * was not linked with (the test_dl* modules built next to it); a bad -d is
 * named with a clear errno; devices asked for on the command line without
 * their bus fail init instead of silently not existing; a --log-level
 * pattern that matches no component is warned about.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keel_bus.h"
#include "keel_eal.h"
#include "keel_vdev.h"
#include "test.h"
#include "test_util.h"

/* path of a test module, built in drivers/ next to keel-autotest */
static int
module_path(char *out, size_t len, const char *file)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return -1;
	*slash = '\0';
	if ((size_t)snprintf(out, len, "%s/drivers/%s", exe, file) >= len)
		return -1;
	return access(out, R_OK) == 0 ? 0 : -1;
}

/* init with @p args, expect @p want (0: success) and @p needle in the log */
static int
init_expect(const char *args, int want, const char *needle)
{
	char *log;
	int ret;

	test_log_capture_start();
	ret = test_eal_init_str(args);
	log = test_log_capture_stop();
	if (ret >= 0)
		keel_eal_cleanup();
	if ((want == 0 ? ret < 0 : ret != want) ||
	    (needle != NULL && strstr(log, needle) == NULL)) {
		printf("  '%s': got %d, want %d and \"%s\" in the log: %s\n",
		       args, ret, want, needle ? needle : "", log);
		free(log);
		return -1;
	}
	free(log);
	return 0;
}

static int
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int
test_eal_drivers_load(void)
{
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], dir[] = "/tmp/keel-drvXXXXXX";
	char bad_dir[] = "/tmp/keel-baddrvXXXXXX", p[PATH_MAX], args[3 * PATH_MAX];
	const char *dd;
	int ret = TEST_SUCCESS;

	if (module_path(a, sizeof(a), "libkeel_test_dla.so") < 0 ||
	    module_path(b, sizeof(b), "libkeel_test_dlb.so") < 0 ||
	    module_path(c, sizeof(c), "libkeel_test_dlc.so") < 0)
		return keel_test_skip("test driver modules not built next to "
				      "keel-autotest (an installed copy)");

	/* not linked, not loaded: the bus has no such driver, and says so */
	TEST_ASSERT_SUCCESS(init_expect("--no-huge -m 8 --vdev test_dla0",
					-ENOENT, "no driver for this name"),
			    "test_dla before any -d");

	/* -d FILE */
	snprintf(args, sizeof(args), "--no-huge -m 8 -d %s --vdev test_dla0", a);
	TEST_ASSERT_SUCCESS(init_expect(args, 0, NULL), "-d FILE");

	/* -d DIRECTORY: every lib*.so* in it; other files are ignored */
	TEST_ASSERT(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(p, sizeof(p), "%s/libkeel_test_dlb.so", dir);
	TEST_ASSERT_SUCCESS(symlink(b, p), "symlink");
	snprintf(p, sizeof(p), "%s/README", dir);
	TEST_ASSERT_SUCCESS(write_file(p, "not a driver\n"), "README");
	snprintf(args, sizeof(args), "--no-huge -m 8 -d %s --vdev test_dlb0",
		 dir);
	if (init_expect(args, 0, NULL) < 0)
		ret = TEST_FAILED;

	/* a directory holding a broken library: init fails naming it */
	TEST_ASSERT(mkdtemp(bad_dir) != NULL, "mkdtemp");
	snprintf(p, sizeof(p), "%s/libbroken.so", bad_dir);
	TEST_ASSERT_SUCCESS(write_file(p, "\x7f" "ELF but not really"), "bad");
	snprintf(args, sizeof(args), "--no-huge -m 8 -d %s", bad_dir);
	if (init_expect(args, -ENOEXEC, "libbroken.so': cannot load") < 0)
		ret = TEST_FAILED;
	unlink(p);
	rmdir(bad_dir);
	snprintf(p, sizeof(p), "%s/libkeel_test_dlb.so", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/README", dir);
	unlink(p);
	rmdir(dir);
	TEST_ASSERT_SUCCESS(ret, "-d DIRECTORY (above)");

	/* loaded drivers stay for the process: a later init has them */
	TEST_ASSERT_SUCCESS(init_expect("--no-huge -m 8 --vdev test_dla0 "
					"--vdev test_dlb0", 0, NULL),
			    "drivers kept after cleanup");

	/* the driver directory, next to the (shared) EAL library */
	dd = keel_eal_driver_dir();
	TEST_ASSERT(dd != NULL, "keel-autotest uses the shared EAL");
	printf("  driver directory: %s\n", dd);
	if (access(dd, F_OK) == 0) {
		printf("  it exists (an installed Keel): not touched\n");
		return TEST_SUCCESS;
	}
	{
		char parent[PATH_MAX], *slash;
		int made_parent;

		snprintf(parent, sizeof(parent), "%s", dd);
		slash = strrchr(parent, '/');
		TEST_ASSERT(slash != NULL, "parent of %s", dd);
		*slash = '\0';
		made_parent = mkdir(parent, 0755) == 0;
		TEST_ASSERT_SUCCESS(mkdir(dd, 0755), "mkdir %s", dd);
		snprintf(p, sizeof(p), "%s/libkeel_test_dlc.so", dd);
		if (symlink(c, p) != 0 ||
		    init_expect("--no-huge -m 8 --vdev test_dlc0", 0, NULL) < 0)
			ret = TEST_FAILED;
		unlink(p);
		rmdir(dd);
		if (made_parent)
			rmdir(parent);
	}
	TEST_ASSERT_SUCCESS(ret, "driver directory (above)");
	return TEST_SUCCESS;
}
KEEL_TEST(eal_drivers_load, "fast", TEST_NO_EAL, test_eal_drivers_load)

/* -d that is not a driver, and a --vdev / -a whose bus is not there */
static int
test_eal_drivers_missing(void)
{
	struct keel_bus *vdev = keel_bus_find("vdev");
	struct keel_bus *pci = keel_bus_find("pci");
	int r1, r2;

	TEST_ASSERT_SUCCESS(init_expect("--no-huge -d /etc/passwd", -ENOEXEC,
					"'/etc/passwd': not a shared object"),
			    "-d /etc/passwd");
	TEST_ASSERT_SUCCESS(init_expect("--no-huge -d /nonexistent-keel",
					-ENOENT, "No such file"),
			    "-d missing");

	TEST_ASSERT(vdev != NULL && pci != NULL, "both buses linked");
	keel_bus_unregister(vdev);
	r1 = init_expect("--no-huge -m 8 --vdev dma_soft5", -ENODEV,
			 "--vdev dma_soft5: the vdev bus is not loaded");
	keel_bus_register(vdev);
	keel_bus_unregister(pci);
	r2 = init_expect("--no-huge -m 8 -a 0000:00:04.0", -ENODEV,
			 "-a 0000:00:04.0: the PCI bus is not loaded");
	keel_bus_register(pci);
	TEST_ASSERT_SUCCESS(r1, "--vdev without the vdev bus");
	TEST_ASSERT_SUCCESS(r2, "-a without the PCI bus");
	return TEST_SUCCESS;
}
KEEL_TEST(eal_drivers_missing, "fast", TEST_NO_EAL, test_eal_drivers_missing)

/* a --log-level pattern that matches nothing is most likely a typo */
static int
test_eal_log_level_unmatched(void)
{
	char *log;
	int ret;

	TEST_ASSERT_SUCCESS(init_expect("--no-huge -m 8 --log-level "
					"pmd.dma.sfot:debug", 0,
					"WARNING: --log-level "
					"'pmd.dma.sfot:debug': no log component "
					"matches 'pmd.dma.sfot' (components: eal,"),
			    "typo warned");
	test_log_capture_start();
	ret = test_eal_init_str("--no-huge -m 8 --log-level pmd.*:info "
				"--log-level eal:info --log-level 7");
	log = test_log_capture_stop();
	if (ret >= 0)
		keel_eal_cleanup();
	TEST_ASSERT(ret >= 0 && strstr(log, "no log component") == NULL,
		    "matching patterns are not warned about: %s", log);
	free(log);
	return TEST_SUCCESS;
}
KEEL_TEST(eal_log_level_unmatched, "fast", TEST_NO_EAL,
	  test_eal_log_level_unmatched)
