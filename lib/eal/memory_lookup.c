/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL memory lookups: VA to IOVA and memseg, walks of segments, segment
 * lists and IOVA-contiguous runs, statistics and dump. Read-only over
 * memory.c's segment lists, under mem_hotplug_lock held for reading (the
 * _locked walk: by a caller that holds it).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "eal_internal.h"
#include "memory_private.h"

/* ---- lookups ---- */

static struct keel_memseg *
seg_of_locked(const void *va)
{
	struct memseg_list *l = mem_list_of(va);
	uint64_t i;

	if (l == NULL)
		return NULL;
	i = (uint64_t)((const uint8_t *)va - (uint8_t *)l->base) / l->page_sz;
	return l->used[i] ? &l->segs[i] : NULL;
}

uint64_t
keel_mem_virt2iova(const void *va)
{
	struct keel_memseg *ms;
	uint64_t iova = KEEL_BAD_IOVA;

	pthread_rwlock_rdlock(&mem_hotplug_lock);
	ms = seg_of_locked(va);
	if (ms != NULL && ms->iova != KEEL_BAD_IOVA)
		iova = ms->iova + (uint64_t)((const uint8_t *)va -
					     (uint8_t *)ms->addr);
	pthread_rwlock_unlock(&mem_hotplug_lock);
	if (iova == KEEL_BAD_IOVA)
		errno = EINVAL;
	return iova;
}

int
keel_mem_virt2memseg(const void *va, struct keel_memseg *out)
{
	struct keel_memseg *ms;

	if (out == NULL)
		return -EINVAL;
	pthread_rwlock_rdlock(&mem_hotplug_lock);
	ms = seg_of_locked(va);
	if (ms != NULL)
		*out = *ms;
	pthread_rwlock_unlock(&mem_hotplug_lock);
	return ms ? 0 : -EINVAL;
}

int
keel_memseg_walk(int (*fn)(const struct keel_memseg *, void *), void *arg)
{
	int i, ret = 0;
	uint64_t p;

	if (fn == NULL)
		return -EINVAL;
	pthread_rwlock_rdlock(&mem_hotplug_lock);
	for (i = 0; i < mem_n_lists && ret == 0; i++)
		for (p = 0; p < mem_lists[i].hi && ret == 0; p++)
			if (mem_lists[i].used[p])
				ret = fn(&mem_lists[i].segs[p], arg);
	pthread_rwlock_unlock(&mem_hotplug_lock);
	return ret;
}

int
keel_memseg_list_walk(int (*fn)(const struct keel_memseg_list_info *, void *),
		      void *arg)
{
	int i, ret = 0;

	if (fn == NULL)
		return -EINVAL;
	pthread_rwlock_rdlock(&mem_hotplug_lock);
	for (i = 0; i < mem_n_lists && ret == 0; i++) {
		struct keel_memseg_list_info info = {
			.base = mem_lists[i].base,
			.len = mem_lists[i].n_pages * mem_lists[i].page_sz,
			.page_sz = mem_lists[i].page_sz,
			.socket_id = mem_lists[i].socket,
			.fd = mem_lists[i].fd,
		};

		ret = fn(&info, arg);
	}
	pthread_rwlock_unlock(&mem_hotplug_lock);
	return ret;
}

int
mem_contig_walk_locked(mem_contig_fn fn, void *arg)
{
	int i, ret = 0;
	uint64_t p;

	for (i = 0; i < mem_n_lists && ret == 0; i++) {
		struct memseg_list *l = &mem_lists[i];

		for (p = 0; p < l->hi && ret == 0; p++) {
			struct keel_memseg *ms = &l->segs[p];
			uint64_t len = ms->len;

			if (!l->used[p])
				continue;
			while (p + 1 < l->hi && l->used[p + 1] == PAGE_CONT &&
			       l->segs[p + 1].iova == ms->iova + len) {
				len += l->page_sz;
				p++;
			}
			ret = fn(ms->addr, ms->iova, len, l->socket, arg);
		}
	}
	return ret;
}

int
keel_memseg_contig_walk(mem_contig_fn fn, void *arg)
{
	int ret;

	if (fn == NULL)
		return -EINVAL;
	pthread_rwlock_rdlock(&mem_hotplug_lock);
	ret = mem_contig_walk_locked(fn, arg);
	pthread_rwlock_unlock(&mem_hotplug_lock);
	return ret;
}

/* ---- stats, dump ---- */

int
keel_mem_stats_get(struct keel_mem_stats *st)
{
	if (st == NULL)
		return -EINVAL;
	pthread_rwlock_rdlock(&mem_hotplug_lock);
	*st = mem_stats;
	pthread_rwlock_unlock(&mem_hotplug_lock);
	return 0;
}

void
keel_mem_dump(FILE *f)
{
	int i;

	pthread_rwlock_rdlock(&mem_hotplug_lock);
	fprintf(f, "memory: page size %" PRIu64 ", iova mode %s, %" PRIu64
		" of %" PRIu64 " bytes allocated\n", mem_page_size,
		keel_iova_mode_name(eal_iova_mode_cur), mem_stats.allocated,
		mem_stats.limit);
	for (i = 0; i < mem_n_lists; i++) {
		struct memseg_list *l = &mem_lists[i];

		fprintf(f, "  list %d: socket %d base %p pages %" PRIu64
			"/%" PRIu64 " backing %s\n", i, l->socket, l->base,
			l->n_used, l->n_pages, l->path[0] ? l->path : "memfd");
	}
	pthread_rwlock_unlock(&mem_hotplug_lock);
}
