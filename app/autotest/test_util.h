/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_TEST_UTIL_H
#define KEEL_TEST_UTIL_H

/* Helpers shared by the EAL tests (test_util.c). */

/*
 * keel_eal_init() with arguments from a string split at spaces ("" for
 * none); argv[0] is "keel-autotest". Returns keel_eal_init()'s value.
 */
int test_eal_init_str(const char *args);

/* Count of open fds, threads of this process, and mappings in /proc/self/maps. */
int test_count_fds(void);
int test_count_threads(void);
int test_count_maps(void);

/* Resident set size of this process in KiB. */
long test_rss_kb(void);

/*
 * The system's 2 MiB hugepages are one pool shared by tests that meson runs
 * in parallel, each in its own process. A test that changes the pool, or
 * that needs it empty, holds an exclusive flock on one lock file
 * (TEST_HUGEPAGE_LOCK) from before it reads the counts until it has given
 * its pages back, so no other test's reservation or allocation lands in
 * between. The lock is per process and taken once; test_hugepages_unlock()
 * drops it.
 */
#define TEST_HUGEPAGE_LOCK "/tmp/keel-autotest-hugepages.lock"

/* Take the hugepage lock (blocks). @return 0, or -errno (printed). */
int test_hugepages_lock(void);
void test_hugepages_unlock(void);

/* nr_hugepages and free_hugepages of the 2 MiB size; -1 without support. */
long test_hugepages_nr(void);
long test_hugepages_free(void);

/*
 * IOVA mode pa is tested with 2 MiB hugepages (with 4 KiB pages an EAL
 * allocation cannot pass a page there): take the lock and add @p n to the
 * system's 2 MiB hugepages (root only). @return 0, or -1 (nothing changed,
 * lock dropped) when they cannot be had. test_hugepages_release() takes
 * them away again and drops the lock.
 */
int test_hugepages_reserve(long n);
void test_hugepages_release(long n);

#endif
