/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_CYCLES_H
#define KEEL_CYCLES_H

/**
 * @file
 * Time stamp counter and delays.
 *
 * keel_get_tsc_cycles() reads the CPU's time-stamp counter (RDTSC on x86-64,
 * CLOCK_MONOTONIC_RAW in nanoseconds elsewhere). keel_get_tsc_hz() returns
 * its frequency, measured once by keel_eal_init() against CLOCK_MONOTONIC_RAW.
 */

#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Read the time-stamp counter. */
static inline uint64_t
keel_get_tsc_cycles(void)
{
#if defined(__x86_64__) || defined(__i386__)
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
#endif
}

/** Spin-loop hint for busy-wait loops. */
static inline void
keel_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/** @return TSC ticks per second (measured at first use). */
uint64_t keel_get_tsc_hz(void);

/** Busy-wait for @p us microseconds. */
void keel_delay_us(uint64_t us);

/** Sleep (yielding the CPU) for @p us microseconds. */
void keel_delay_us_sleep(uint64_t us);

/** Nanoseconds from CLOCK_MONOTONIC. */
uint64_t keel_time_ns(void);

#ifdef __cplusplus
}
#endif
#endif /* KEEL_CYCLES_H */
