/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TSC frequency: measured once against CLOCK_MONOTONIC_RAW over ~10 ms (the
 * result is cached in tsc_hz, written once with a relaxed atomic store; a race
 * between two first callers only measures twice).
 */
#include <time.h>
#include <unistd.h>

#include "keel_cycles.h"

static uint64_t tsc_hz;

uint64_t
keel_time_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t
raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t
measure_tsc_hz(void)
{
	uint64_t t0, t1, c0, c1;
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 10 * 1000 * 1000 };

	t0 = raw_ns();
	c0 = keel_get_tsc_cycles();
	nanosleep(&ts, NULL);
	t1 = raw_ns();
	c1 = keel_get_tsc_cycles();
	if (t1 <= t0 || c1 <= c0)
		return 1000000000ULL;
	return (uint64_t)((double)(c1 - c0) * 1e9 / (double)(t1 - t0));
}

uint64_t
keel_get_tsc_hz(void)
{
	uint64_t hz = __atomic_load_n(&tsc_hz, __ATOMIC_RELAXED);

	if (hz == 0) {
		hz = measure_tsc_hz();
		__atomic_store_n(&tsc_hz, hz, __ATOMIC_RELAXED);
	}
	return hz;
}

void
keel_delay_us(uint64_t us)
{
	uint64_t start = keel_get_tsc_cycles();
	uint64_t ticks = keel_get_tsc_hz() / 1000000ULL * us;

	while (keel_get_tsc_cycles() - start < ticks)
		keel_pause();
}

void
keel_delay_us_sleep(uint64_t us)
{
	struct timespec ts = {
		.tv_sec = (time_t)(us / 1000000ULL),
		.tv_nsec = (long)(us % 1000000ULL) * 1000,
	};

	while (nanosleep(&ts, &ts) != 0)
		;
}
