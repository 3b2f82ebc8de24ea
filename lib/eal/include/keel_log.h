/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_LOG_H
#define KEEL_LOG_H

/**
 * @file
 * Logging: named components, each with its own level, to stderr (default),
 * to syslog, or to any stdio stream.
 *
 * A component is registered once (usually from a constructor through
 * KEEL_LOG_REGISTER) and gets a small integer id. Levels follow syslog:
 * lower numbers are more severe. A message is printed when its level is at
 * or below the component's level.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Log levels (syslog(3) numbering plus one). */
enum keel_log_level {
	KEEL_LOG_EMERG = 1,
	KEEL_LOG_ALERT,
	KEEL_LOG_CRIT,
	KEEL_LOG_ERR,
	KEEL_LOG_WARNING,
	KEEL_LOG_NOTICE,
	KEEL_LOG_INFO,
	KEEL_LOG_DEBUG,
	KEEL_LOG_MAX = KEEL_LOG_DEBUG,
};

/** Maximum number of log components. */
#define KEEL_LOG_MAX_COMPONENTS 128
/** Maximum length of a component name, including the NUL. */
#define KEEL_LOG_NAME_MAX 32

/** The EAL's own component id (always registered). */
extern int keel_logtype_eal;

/**
 * Register a component, or find it if it exists.
 *
 * @param name       component name, e.g. "eal", "iommu", "pmd.dma.soft"
 * @param def_level  level used until keel_log_set_level() changes it
 * @return the component id (>= 0), or -EINVAL / -ENOSPC (errno set too)
 */
int keel_log_register(const char *name, uint32_t def_level);

/**
 * Set the level of every component whose name matches a glob pattern
 * (fnmatch(3)), now and for components registered later.
 *
 * @return number of components changed (>= 0), or -EINVAL for a bad level
 */
int keel_log_set_level(const char *pattern, uint32_t level);

/** @return the level of a component, or -EINVAL for an unknown id. */
int keel_log_get_level(int component);

/** Parse a level name ("err", "debug", ...) or number; -EINVAL if unknown. */
int keel_log_level_parse(const char *s);

/** Name of a level ("ERR", ...); "?" when out of range. */
const char *keel_log_level_name(uint32_t level);

/** @return 1 when a message at this level would be printed. */
int keel_log_can_log(int component, uint32_t level);

/**
 * Send log output to a stream (NULL: back to stderr). Used by tests to
 * capture messages with open_memstream(3).
 */
void keel_log_set_stream(FILE *f);

/** Send log output to syslog(3) (on != 0) or back to the stream. */
void keel_log_set_syslog(int on, const char *ident);

/** Print a message. Prefer the KEEL_LOG() macro. */
void keel_log(uint32_t level, int component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** va_list variant of keel_log(). */
void keel_vlog(uint32_t level, int component, const char *fmt, va_list ap);

/**
 * Log through component variable @p comp at level @p lvl (ERR, INFO, ...).
 * A newline is appended.
 */
#define KEEL_LOG(lvl, comp, ...) \
	keel_log(KEEL_LOG_##lvl, (comp), __VA_ARGS__)

/**
 * Define an int variable @p var holding the id of component @p name,
 * registered from a constructor before main() runs.
 */
#define KEEL_LOG_REGISTER(var, name, lvl) \
	int var = -1; \
	__attribute__((constructor)) static void keel_log_ctor_##var(void) \
	{ \
		var = keel_log_register(name, KEEL_LOG_##lvl); \
	}

#ifdef __cplusplus
}
#endif
#endif /* KEEL_LOG_H */
