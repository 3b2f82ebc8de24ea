/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL memory events: the registered callbacks and the delivery of ALLOC
 * and FREE events for runs of pages (memory.c calls in while it allocates
 * or frees). A callback that refuses an ALLOC has every event of that
 * allocation undone before the error returns; registering with a walk
 * replays ALLOC for what is allocated already, undone the same way.
 *
 * Invariant: callbacks[0..n_callbacks) are distinct (name, arg) pairs in
 * registration order. Lock: mem_hotplug_lock, held for writing by every
 * function here (delivery runs under memory.c's write lock).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eal_internal.h"
#include "memory_private.h"

#define MEM_MAX_CALLBACKS 32
#define MEM_CB_NAME_MAX 64

struct mem_callback {
	char name[MEM_CB_NAME_MAX];
	keel_mem_event_callback_t cb;
	void *arg;
};

static struct mem_callback callbacks[MEM_MAX_CALLBACKS];
static int n_callbacks;

/* deliver FREE of runs[0..nr) to callbacks [0..ncb), newest callback first */
static void
fire_free(const struct mem_run *runs, int nr, int ncb)
{
	int r, c;

	for (r = nr - 1; r >= 0; r--) {
		for (c = ncb - 1; c >= 0; c--)
			callbacks[c].cb(KEEL_MEM_EVENT_FREE, runs[r].va,
					runs[r].iova, runs[r].len,
					callbacks[c].arg);
		mem_stats.n_free_events++;
	}
}

int
mem_events_fire_alloc(const struct mem_run *runs, int nr)
{
	int r, c, ret;

	for (r = 0; r < nr; r++) {
		for (c = 0; c < n_callbacks; c++) {
			ret = callbacks[c].cb(KEEL_MEM_EVENT_ALLOC, runs[r].va,
					      runs[r].iova, runs[r].len,
					      callbacks[c].arg);
			if (ret < 0) {
				KEEL_LOG(ERR, keel_logtype_eal,
					 "memory event callback '%s' refused "
					 "va %p iova 0x%" PRIx64 " len 0x%" PRIx64
					 ": %s", callbacks[c].name, runs[r].va,
					 runs[r].iova, runs[r].len,
					 strerror(-ret));
				/* undo: this run for callbacks before c,
				 * earlier runs for everybody */
				for (c--; c >= 0; c--)
					callbacks[c].cb(KEEL_MEM_EVENT_FREE,
							runs[r].va, runs[r].iova,
							runs[r].len,
							callbacks[c].arg);
				fire_free(runs, r, n_callbacks);
				return ret;
			}
		}
		mem_stats.n_alloc_events++;
	}
	return 0;
}

void
mem_events_fire_free(const struct mem_run *runs, int nr)
{
	fire_free(runs, nr, n_callbacks);
}

int
mem_events_n_callbacks(void)
{
	return n_callbacks;
}

void
mem_events_cleanup(void)
{
	n_callbacks = 0;
}

/* ---- callbacks ---- */

static int
find_callback(const char *name, void *arg)
{
	int i;

	for (i = 0; i < n_callbacks; i++)
		if (strcmp(callbacks[i].name, name) == 0 &&
		    callbacks[i].arg == arg)
			return i;
	return -1;
}

struct replay {
	keel_mem_event_callback_t cb;
	void *arg;
	enum keel_mem_event ev;
	int err;
	uint64_t n_done;
};

static int
replay_one(void *va, uint64_t iova, uint64_t len, int socket, void *p)
{
	struct replay *r = p;
	int ret;

	(void)socket;
	ret = r->cb(r->ev, va, iova, len, r->arg);
	if (ret < 0 && r->ev == KEEL_MEM_EVENT_ALLOC) {
		r->err = ret;
		return 1;
	}
	r->n_done++;
	return 0;
}

struct replay_undo {
	struct replay *r;
	uint64_t left;
};

static int
undo_one(void *va, uint64_t iova, uint64_t len, int socket, void *p)
{
	struct replay_undo *u = p;

	(void)socket;
	if (u->left == 0)
		return 1;
	u->left--;
	u->r->cb(KEEL_MEM_EVENT_FREE, va, iova, len, u->r->arg);
	return 0;
}

static int
register_cb(const char *name, keel_mem_event_callback_t cb, void *arg,
	    int walk)
{
	struct replay r = { cb, arg, KEEL_MEM_EVENT_ALLOC, 0, 0 };
	int ret = 0;

	if (name == NULL || cb == NULL || strlen(name) >= MEM_CB_NAME_MAX) {
		errno = EINVAL;
		return -EINVAL;
	}
	pthread_rwlock_wrlock(&mem_hotplug_lock);
	if (find_callback(name, arg) >= 0) {
		ret = -EEXIST;
	} else if (n_callbacks == MEM_MAX_CALLBACKS) {
		ret = -ENOSPC;
	} else if (walk) {
		mem_contig_walk_locked(replay_one, &r);
		if (r.err < 0) {
			struct replay_undo u = { &r, r.n_done };

			mem_contig_walk_locked(undo_one, &u);
			ret = r.err;
		}
	}
	if (ret == 0) {
		snprintf(callbacks[n_callbacks].name, MEM_CB_NAME_MAX, "%s",
			 name);
		callbacks[n_callbacks].cb = cb;
		callbacks[n_callbacks].arg = arg;
		n_callbacks++;
	}
	pthread_rwlock_unlock(&mem_hotplug_lock);
	if (ret < 0) {
		KEEL_LOG(ERR, keel_logtype_eal,
			 "cannot register memory callback '%s': %s", name,
			 strerror(-ret));
		errno = -ret;
	}
	return ret;
}

int
keel_mem_event_callback_register(const char *name,
				 keel_mem_event_callback_t cb, void *arg)
{
	return register_cb(name, cb, arg, 0);
}

int
keel_mem_event_callback_register_walk(const char *name,
				      keel_mem_event_callback_t cb, void *arg)
{
	return register_cb(name, cb, arg, 1);
}

int
keel_mem_event_callback_unregister(const char *name, void *arg,
				   int replay_free)
{
	int i;

	if (name == NULL)
		return -EINVAL;
	pthread_rwlock_wrlock(&mem_hotplug_lock);
	i = find_callback(name, arg);
	if (i < 0) {
		pthread_rwlock_unlock(&mem_hotplug_lock);
		errno = ENOENT;
		return -ENOENT;
	}
	if (replay_free) {
		struct replay r = { callbacks[i].cb, arg, KEEL_MEM_EVENT_FREE,
				    0, 0 };

		mem_contig_walk_locked(replay_one, &r);
	}
	memmove(&callbacks[i], &callbacks[i + 1],
		(size_t)(n_callbacks - i - 1) * sizeof(callbacks[0]));
	n_callbacks--;
	pthread_rwlock_unlock(&mem_hotplug_lock);
	return 0;
}
