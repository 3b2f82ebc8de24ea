/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Log components and levels.
 *
 * Invariant: components[0..n_components) are registered, names unique.
 * Patterns set by keel_log_set_level() are remembered (last wins) and applied
 * to components registered later. log_lock protects the component table,
 * the pattern list, the stream and the snapshot; the per-component level is
 * read without the lock (an aligned 32-bit load), so keel_log_can_log() is
 * cheap on fast paths.
 *
 * keel_eal_init() takes a snapshot of the levels and patterns
 * (eal_log_save()) and keel_eal_cleanup() or a failed init puts them back
 * (eal_log_restore()): whatever --log-level or the application changed while
 * the EAL was up does not outlive it; what was set before init stays. The
 * stream goes back to stderr (a stream set before init may have been closed
 * by its owner since, so it is not restored).
 */
#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "eal_internal.h"
#include "keel_log.h"

struct log_component {
	char name[KEEL_LOG_NAME_MAX];
	uint32_t level;
	uint32_t def_level;     /* as registered */
};

struct log_pattern {
	char pattern[KEEL_LOG_NAME_MAX];
	uint32_t level;
};

#define LOG_MAX_PATTERNS 32

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct log_component components[KEEL_LOG_MAX_COMPONENTS];
static int n_components;
static struct log_pattern patterns[LOG_MAX_PATTERNS];
static int n_patterns;
static FILE *log_stream;
static int log_to_syslog;

/* what eal_log_save() took; under log_lock */
static struct {
	int n_components;
	uint32_t level[KEEL_LOG_MAX_COMPONENTS];
	struct log_pattern patterns[LOG_MAX_PATTERNS];
	int n_patterns;
} saved;

static const char *const level_names[] = {
	[KEEL_LOG_EMERG] = "EMERG", [KEEL_LOG_ALERT] = "ALERT",
	[KEEL_LOG_CRIT] = "CRIT", [KEEL_LOG_ERR] = "ERR",
	[KEEL_LOG_WARNING] = "WARNING", [KEEL_LOG_NOTICE] = "NOTICE",
	[KEEL_LOG_INFO] = "INFO", [KEEL_LOG_DEBUG] = "DEBUG",
};

KEEL_LOG_REGISTER(keel_logtype_eal, "eal", INFO)

const char *
keel_log_level_name(uint32_t level)
{
	if (level < KEEL_LOG_EMERG || level > KEEL_LOG_MAX)
		return "?";
	return level_names[level];
}

int
keel_log_level_parse(const char *s)
{
	char *end;
	long v;
	uint32_t i;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	for (i = KEEL_LOG_EMERG; i <= KEEL_LOG_MAX; i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return (int)i;
	if (strcasecmp(s, "error") == 0)
		return KEEL_LOG_ERR;
	if (strcasecmp(s, "warn") == 0)
		return KEEL_LOG_WARNING;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < KEEL_LOG_EMERG || v > KEEL_LOG_MAX)
		return -EINVAL;
	return (int)v;
}

int
keel_log_register(const char *name, uint32_t def_level)
{
	int i, id;

	if (name == NULL || name[0] == '\0' ||
	    strlen(name) >= KEEL_LOG_NAME_MAX ||
	    def_level < KEEL_LOG_EMERG || def_level > KEEL_LOG_MAX) {
		errno = EINVAL;
		return -EINVAL;
	}
	pthread_mutex_lock(&log_lock);
	for (i = 0; i < n_components; i++) {
		if (strcmp(components[i].name, name) == 0) {
			pthread_mutex_unlock(&log_lock);
			return i;
		}
	}
	if (n_components == KEEL_LOG_MAX_COMPONENTS) {
		pthread_mutex_unlock(&log_lock);
		errno = ENOSPC;
		return -ENOSPC;
	}
	id = n_components++;
	strcpy(components[id].name, name);
	components[id].def_level = def_level;
	components[id].level = def_level;
	for (i = 0; i < n_patterns; i++)
		if (fnmatch(patterns[i].pattern, name, 0) == 0)
			components[id].level = patterns[i].level;
	pthread_mutex_unlock(&log_lock);
	return id;
}

void
eal_log_save(void)
{
	int i;

	pthread_mutex_lock(&log_lock);
	saved.n_components = n_components;
	for (i = 0; i < n_components; i++)
		saved.level[i] = __atomic_load_n(&components[i].level,
						 __ATOMIC_RELAXED);
	memcpy(saved.patterns, patterns, sizeof(patterns));
	saved.n_patterns = n_patterns;
	pthread_mutex_unlock(&log_lock);
}

void
eal_log_restore(void)
{
	int i, j;

	pthread_mutex_lock(&log_lock);
	memcpy(patterns, saved.patterns, sizeof(patterns));
	n_patterns = saved.n_patterns;
	for (i = 0; i < n_components; i++) {
		uint32_t lvl = components[i].def_level;

		if (i < saved.n_components) {
			lvl = saved.level[i];
		} else {
			/* registered since the save: as if registered now */
			for (j = 0; j < n_patterns; j++)
				if (fnmatch(patterns[j].pattern,
					    components[i].name, 0) == 0)
					lvl = patterns[j].level;
		}
		__atomic_store_n(&components[i].level, lvl, __ATOMIC_RELAXED);
	}
	log_stream = NULL;
	pthread_mutex_unlock(&log_lock);
}

int
keel_log_set_level(const char *pattern, uint32_t level)
{
	int i, n = 0;

	if (pattern == NULL || pattern[0] == '\0' ||
	    strlen(pattern) >= KEEL_LOG_NAME_MAX ||
	    level < KEEL_LOG_EMERG || level > KEEL_LOG_MAX) {
		errno = EINVAL;
		return -EINVAL;
	}
	pthread_mutex_lock(&log_lock);
	for (i = 0; i < n_patterns; i++)
		if (strcmp(patterns[i].pattern, pattern) == 0)
			break;
	if (i == n_patterns && n_patterns < LOG_MAX_PATTERNS)
		n_patterns++;
	if (i < n_patterns) {
		strcpy(patterns[i].pattern, pattern);
		patterns[i].level = level;
	}
	for (i = 0; i < n_components; i++) {
		if (fnmatch(pattern, components[i].name, 0) == 0) {
			__atomic_store_n(&components[i].level, level,
					 __ATOMIC_RELAXED);
			n++;
		}
	}
	pthread_mutex_unlock(&log_lock);
	return n;
}

int
eal_log_match_count(const char *pattern, char *names, size_t len)
{
	size_t used = 0;
	int i, n = 0;

	if (len > 0)
		names[0] = '\0';
	pthread_mutex_lock(&log_lock);
	for (i = 0; i < n_components; i++) {
		if (fnmatch(pattern, components[i].name, 0) == 0)
			n++;
		if (used < len) {
			int w = snprintf(names + used, len - used, "%s%s",
					 i ? ", " : "", components[i].name);

			used = w < 0 ? len : used + (size_t)w;
		}
	}
	pthread_mutex_unlock(&log_lock);
	return n;
}

int
keel_log_get_level(int component)
{
	if (component < 0 || component >= n_components)
		return -EINVAL;
	return (int)__atomic_load_n(&components[component].level,
				    __ATOMIC_RELAXED);
}

int
keel_log_can_log(int component, uint32_t level)
{
	int cur = keel_log_get_level(component);

	/* unknown components (e.g. not yet registered) log warnings and worse */
	if (cur < 0)
		cur = KEEL_LOG_WARNING;
	return level <= (uint32_t)cur;
}

void
keel_log_set_stream(FILE *f)
{
	pthread_mutex_lock(&log_lock);
	log_stream = f;
	pthread_mutex_unlock(&log_lock);
}

void
keel_log_set_syslog(int on, const char *ident)
{
	pthread_mutex_lock(&log_lock);
	if (on && !log_to_syslog)
		openlog(ident ? ident : "keel", LOG_PID, LOG_USER);
	else if (!on && log_to_syslog)
		closelog();
	log_to_syslog = on;
	pthread_mutex_unlock(&log_lock);
}

void
keel_vlog(uint32_t level, int component, const char *fmt, va_list ap)
{
	const char *name;
	FILE *f;

	if (!keel_log_can_log(component, level) || fmt == NULL)
		return;
	name = (component >= 0 && component < n_components) ?
		components[component].name : "?";
	pthread_mutex_lock(&log_lock);
	if (log_to_syslog) {
		char buf[1024];

		vsnprintf(buf, sizeof(buf), fmt, ap);
		syslog((int)level - 1, "%s: %s", name, buf);
	} else {
		f = log_stream ? log_stream : stderr;
		fprintf(f, "keel %s %s: ", name, keel_log_level_name(level));
		vfprintf(f, fmt, ap);
		fputc('\n', f);
		fflush(f);
	}
	pthread_mutex_unlock(&log_lock);
}

void
keel_log(uint32_t level, int component, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	keel_vlog(level, component, fmt, ap);
	va_end(ap);
}
