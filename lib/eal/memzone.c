/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memzones. Each zone is a struct keel_memzone allocated with malloc(3) and
 * linked in reservation order; its memory comes from eal_heap_alloc().
 * mz_lock protects the list; names are unique within it.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "eal_internal.h"
#include "keel_malloc.h"
#include "keel_memzone.h"

struct mz_node {
	struct keel_memzone mz;
	struct mz_node *next;
};

static pthread_mutex_t mz_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mz_node *zones;
static unsigned int n_zones;

static struct mz_node *
find_locked(const char *name)
{
	struct mz_node *n;

	for (n = zones; n != NULL; n = n->next)
		if (strcmp(n->mz.name, name) == 0)
			return n;
	return NULL;
}

/* 1 if [va, va + len) has contiguous IOVAs */
static int
iova_contig(const uint8_t *va, uint64_t len)
{
	uint64_t pg = eal_mem_page_size(), off;
	uint64_t iova0 = keel_mem_virt2iova(va);

	for (off = pg - ((uintptr_t)va & (pg - 1)); off < len; off += pg)
		if (keel_mem_virt2iova(va + off) != iova0 + off)
			return 0;
	return 1;
}

static const struct keel_memzone *
reserve(const char *name, uint64_t len, int socket, unsigned int flags,
	uint64_t align, uint64_t bound)
{
	struct mz_node *n;
	const char *why = NULL;
	int err = EINVAL;
	void *p;

	if (name == NULL)
		why = "name is NULL";
	else if (strnlen(name, KEEL_MEMZONE_NAMESIZE) == KEEL_MEMZONE_NAMESIZE) {
		why = "name too long";
		err = ENAMETOOLONG;
	} else if (name[0] == '\0')
		why = "empty name";
	else if (len == 0)
		why = "length 0";
	else if (flags & ~KEEL_MEMZONE_IOVA_CONTIG)
		why = "unknown flags";
	else if (align & (align - 1))
		why = "alignment not a power of two";
	else if (bound && ((bound & (bound - 1)) || bound < len))
		why = "bound not a power of two >= length";
	else if (socket < KEEL_SOCKET_ID_ANY ||
		 socket >= (int)keel_socket_count())
		why = "no such socket";
	if (why != NULL) {
		KEEL_LOG(ERR, keel_logtype_eal,
			 "memzone '%s' len %" PRIu64 " socket %d align %" PRIu64
			 " bound %" PRIu64 ": %s", name ? name : "(null)", len,
			 socket, align, bound, why);
		errno = err;
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&mz_lock);
	if (find_locked(name) != NULL) {
		pthread_mutex_unlock(&mz_lock);
		free(n);
		KEEL_LOG(ERR, keel_logtype_eal, "memzone '%s' already exists",
			 name);
		errno = EEXIST;
		return NULL;
	}
	p = eal_heap_alloc(socket, len, align, bound,
			   socket != KEEL_SOCKET_ID_ANY, name);
	if (p != NULL && (flags & KEEL_MEMZONE_IOVA_CONTIG) &&
	    !iova_contig(p, len)) {
		keel_free(p);
		p = NULL;
	}
	if (p == NULL) {
		pthread_mutex_unlock(&mz_lock);
		free(n);
		KEEL_LOG(ERR, keel_logtype_eal,
			 "memzone '%s': no memory for %" PRIu64 " bytes on socket %d",
			 name, len, socket);
		errno = ENOMEM;
		return NULL;
	}
	snprintf(n->mz.name, sizeof(n->mz.name), "%s", name);
	n->mz.addr = p;
	n->mz.iova = keel_mem_virt2iova(p);
	n->mz.len = len;
	n->mz.hugepage_sz = eal_mem_page_size();
	n->mz.socket_id = eal_mem_socket_of(p);
	n->mz.flags = flags;
	/* append: walks go in reservation order */
	{
		struct mz_node **pp = &zones;

		while (*pp != NULL)
			pp = &(*pp)->next;
		*pp = n;
	}
	n_zones++;
	pthread_mutex_unlock(&mz_lock);
	return &n->mz;
}

const struct keel_memzone *
keel_memzone_reserve(const char *name, uint64_t len, int socket,
		     unsigned int flags)
{
	return reserve(name, len, socket, flags, 64, 0);
}

const struct keel_memzone *
keel_memzone_reserve_aligned(const char *name, uint64_t len, int socket,
			     unsigned int flags, uint64_t align)
{
	return reserve(name, len, socket, flags, align, 0);
}

const struct keel_memzone *
keel_memzone_reserve_bounded(const char *name, uint64_t len, int socket,
			     unsigned int flags, uint64_t align,
			     uint64_t bound)
{
	return reserve(name, len, socket, flags, align, bound);
}

const struct keel_memzone *
keel_memzone_lookup(const char *name)
{
	struct mz_node *n;

	if (name == NULL) {
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&mz_lock);
	n = find_locked(name);
	pthread_mutex_unlock(&mz_lock);
	if (n == NULL)
		errno = ENOENT;
	return n ? &n->mz : NULL;
}

int
keel_memzone_free(const struct keel_memzone *mz)
{
	struct mz_node **pp, *n;

	pthread_mutex_lock(&mz_lock);
	for (pp = &zones; *pp != NULL; pp = &(*pp)->next)
		if (&(*pp)->mz == mz)
			break;
	n = *pp;
	if (n == NULL) {
		pthread_mutex_unlock(&mz_lock);
		KEEL_LOG(ERR, keel_logtype_eal,
			 "memzone free of %p: not a reserved zone", (const void *)mz);
		errno = EINVAL;
		return -EINVAL;
	}
	*pp = n->next;
	n_zones--;
	pthread_mutex_unlock(&mz_lock);
	keel_free(n->mz.addr);
	free(n);
	return 0;
}

void
keel_memzone_walk(void (*fn)(const struct keel_memzone *, void *), void *arg)
{
	struct mz_node *n;

	pthread_mutex_lock(&mz_lock);
	for (n = zones; n != NULL; n = n->next)
		fn(&n->mz, arg);
	pthread_mutex_unlock(&mz_lock);
}

unsigned int
keel_memzone_count(void)
{
	return n_zones;
}

static void
dump_one(const struct keel_memzone *mz, void *arg)
{
	fprintf(arg, "memzone '%s': va %p iova 0x%" PRIx64 " len %" PRIu64
		" socket %d\n", mz->name, mz->addr, mz->iova, mz->len,
		mz->socket_id);
}

void
keel_memzone_dump(FILE *f)
{
	keel_memzone_walk(dump_one, f);
}

int
eal_memzone_init(void)
{
	return 0;
}

void
eal_memzone_cleanup(void)
{
	pthread_mutex_lock(&mz_lock);
	while (zones != NULL) {
		struct mz_node *n = zones;

		zones = n->next;
		keel_free(n->mz.addr);
		free(n);
	}
	n_zones = 0;
	pthread_mutex_unlock(&mz_lock);
}
