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

#endif
