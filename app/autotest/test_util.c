/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "keel_eal.h"
#include "test.h"
#include "test_util.h"

int
test_eal_init_str(const char *args)
{
	char buf[1024], *argv[64], *tok, *save = NULL;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", args);
	argv[argc++] = (char *)"keel-autotest";
	for (tok = strtok_r(buf, " ", &save); tok != NULL && argc < 63;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	return keel_eal_init(argc, argv);
}

static int
count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int
test_count_fds(void)
{
	return count_dir("/proc/self/fd");
}

int
test_count_threads(void)
{
	return count_dir("/proc/self/task");
}

int
test_count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

long
test_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

#define NR_2M "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
#define FREE_2M "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"

static int hugepage_lock_fd = -1;

int
test_hugepages_lock(void)
{
	int fd;

	if (hugepage_lock_fd >= 0)
		return 0;
	fd = open(TEST_HUGEPAGE_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0) {
		int err = errno;

		printf("  open %s: %s\n", TEST_HUGEPAGE_LOCK, strerror(err));
		return -err;
	}
	while (flock(fd, LOCK_EX) != 0) {
		int err = errno;

		if (err == EINTR)
			continue;
		printf("  flock %s: %s\n", TEST_HUGEPAGE_LOCK, strerror(err));
		close(fd);
		return -err;
	}
	hugepage_lock_fd = fd;
	return 0;
}

void
test_hugepages_unlock(void)
{
	if (hugepage_lock_fd < 0)
		return;
	close(hugepage_lock_fd); /* drops the flock */
	hugepage_lock_fd = -1;
}

static long
read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int
write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (f == NULL)
		return -1;
	ok = fprintf(f, "%ld\n", v) > 0;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

long
test_hugepages_nr(void)
{
	return read_long(NR_2M);
}

long
test_hugepages_free(void)
{
	return read_long(FREE_2M);
}

int
test_hugepages_reserve(long n)
{
	long nr;

	if (test_hugepages_lock() != 0)
		return -1;
	nr = read_long(NR_2M);
	if (nr < 0 || write_long(NR_2M, nr + n) != 0 ||
	    read_long(FREE_2M) < n) {
		if (nr >= 0)
			write_long(NR_2M, nr);
		test_hugepages_unlock();
		return -1;
	}
	return 0;
}

void
test_hugepages_release(long n)
{
	long nr = read_long(NR_2M);

	if (nr >= n)
		write_long(NR_2M, nr - n);
	test_hugepages_unlock();
}
