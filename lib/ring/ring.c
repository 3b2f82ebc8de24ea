/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rings: the control path (create, init, free, lookup, dump, counters) and
 * the fast path's out-of-line error reports. The fast path itself is
 * inline in the headers.
 *
 * A created ring lives at the start of a memzone named KEEL_RING_MZ_PREFIX
 * + its name; the memzone list (and its lock) is the list of rings, so
 * names are unique and lookup is a memzone lookup plus a magic check.
 * Nothing here locks the ring itself: init, reset and free require that
 * nobody uses it meanwhile, as in DPDK.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "keel_eal.h"
#include "keel_lcore.h"
#include "keel_log.h"
#include "keel_memzone.h"
#include "keel_ring.h"

KEEL_LOG_REGISTER(keel_logtype_ring, "ring", INFO);

_Static_assert(offsetof(struct keel_ring, prod) % KEEL_RING_GUARD == 0,
	       "producer side starts on its own line pair");
_Static_assert(offsetof(struct keel_ring_headtail, tail) == KEEL_RING_GUARD,
	       "tail is one line pair away from head");
_Static_assert(sizeof(struct keel_ring) % KEEL_RING_GUARD == 0,
	       "slots start one line pair after the consumer tail");
_Static_assert(sizeof(struct keel_ring_stats) == KEEL_RING_CACHE_LINE,
	       "one line of counters per lcore");

/* rows of counters: one per lcore, the last one shared by other threads */
#define STATS_ROWS (KEEL_MAX_LCORE + 1)

static int
fail(int err)
{
	errno = err;
	return -err;
}

unsigned int
keel_ring_fp_error(const struct keel_ring *r, int why, unsigned int value)
{
	const char *name = r != NULL ? r->name : "(null)";
	int err = EINVAL;

	switch (why) {
	case KEEL_RING_ERR_NULL:
		KEEL_LOG(ERR, keel_logtype_ring,
			 "ring %s: NULL %s (n %u)", name,
			 r == NULL ? "ring" : "object table", value);
		break;
	case KEEL_RING_ERR_ESIZE:
		KEEL_LOG(ERR, keel_logtype_ring,
			 "ring %s: element size %u, the ring's is %u", name,
			 value, r->esize);
		break;
	case KEEL_RING_ERR_COUNT:
		KEEL_LOG(ERR, keel_logtype_ring,
			 "ring %s: bulk of %u objects can never fit (capacity %u)",
			 name, value, r->capacity);
		break;
	case KEEL_RING_ERR_SYNC:
		KEEL_LOG(ERR, keel_logtype_ring,
			 "ring %s: call in sync mode %u does not fit the ring's modes (prod %u, cons %u)",
			 name, value, r->prod.sync_type, r->cons.sync_type);
		err = ENOTSUP;
		break;
	default:
		KEEL_LOG(ERR, keel_logtype_ring,
			 "ring %s: finish of %u objects, more than start reserved",
			 name, value);
		break;
	}
	errno = err;
	return 0;
}

unsigned int
keel_ring_fp_bad_call(const struct keel_ring *r, const void *obj_table,
		      unsigned int esize, unsigned int n, int sync, int enq)
{
	const struct keel_ring_headtail *ht;

	if (r == NULL || (obj_table == NULL && n != 0))
		return keel_ring_fp_error(r, KEEL_RING_ERR_NULL, n);
	if (esize != r->esize)
		return keel_ring_fp_error(r, KEEL_RING_ERR_ESIZE, esize);
	ht = enq ? &r->prod : &r->cons;
	if (sync >= 0 && ht->call_key != __KEEL_RING_CALL_KEY(esize, sync))
		return keel_ring_fp_error(r, KEEL_RING_ERR_SYNC,
					  (unsigned int)sync);
	/* a key that does not match the ring it sits in: corrupted */
	KEEL_LOG(ERR, keel_logtype_ring, "ring %s: %s side key 0x%x broken",
		 r->name, enq ? "producer" : "consumer", ht->call_key);
	errno = EINVAL;
	return 0;
}

unsigned int
keel_ring_size_of(unsigned int count)
{
	uint64_t size = 1;

	while (size < (uint64_t)count + 1)
		size <<= 1;
	return size > KEEL_RING_SZ_MASK ? 0 : (unsigned int)size;
}

static int
is_pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

/* bytes of slots, rounded to a line, then the counters (debug builds) */
static uint64_t
slots_bytes(unsigned int esize, unsigned int size)
{
	uint64_t b = (uint64_t)esize * size;

	return (b + KEEL_RING_CACHE_LINE - 1) & ~(uint64_t)(KEEL_RING_CACHE_LINE - 1);
}

static uint64_t
memsize(unsigned int esize, unsigned int size)
{
	uint64_t b = sizeof(struct keel_ring) + slots_bytes(esize, size);

#ifdef KEEL_RING_DEBUG
	b += STATS_ROWS * sizeof(struct keel_ring_stats);
#endif
	return b;
}

static int
check_esize(unsigned int esize)
{
	if (esize == 0 || esize % 4 != 0) {
		KEEL_LOG(ERR, keel_logtype_ring,
			 "ring: element size %u is not a non-zero multiple of 4",
			 esize);
		return fail(EINVAL);
	}
	return 0;
}

ssize_t
keel_ring_get_memsize_elem(unsigned int esize, unsigned int count)
{
	if (check_esize(esize) < 0)
		return -EINVAL;
	if (!is_pow2(count) || count > KEEL_RING_SZ_MASK) {
		KEEL_LOG(ERR, keel_logtype_ring,
			 "ring: size %u is not a power of two in [1, %u]",
			 count, KEEL_RING_SZ_MASK);
		return fail(EINVAL);
	}
	return (ssize_t)memsize(esize, count);
}

ssize_t
keel_ring_get_memsize(unsigned int count)
{
	return keel_ring_get_memsize_elem(sizeof(void *), count);
}

/* default mode of one side from the flags; -1 if they contradict */
static int
side_sync(unsigned int flags, unsigned int st, unsigned int rts,
	  unsigned int hts)
{
	unsigned int set = flags & (st | rts | hts);

	if (set == 0)
		return KEEL_RING_SYNC_MT;
	if (set == st)
		return KEEL_RING_SYNC_ST;
	if (set == rts)
		return KEEL_RING_SYNC_MT_RTS;
	if (set == hts)
		return KEEL_RING_SYNC_MT_HTS;
	return -1;
}

/* what a ring of these parameters would be; one log line if it cannot */
struct ring_shape {
	unsigned int size, capacity;
	int prod_sync, cons_sync;
};

static int
ring_shape(const char *name, unsigned int esize, unsigned int count,
	   unsigned int flags, struct ring_shape *s)
{
	if (name == NULL) {
		KEEL_LOG(ERR, keel_logtype_ring, "ring: name is NULL");
		return fail(EINVAL);
	}
	if (strnlen(name, KEEL_RING_NAMESIZE) >= KEEL_RING_NAMESIZE) {
		KEEL_LOG(ERR, keel_logtype_ring,
			 "ring: name '%.*s...' is longer than %d characters",
			 KEEL_RING_NAMESIZE - 1, name, KEEL_RING_NAMESIZE - 1);
		return fail(ENAMETOOLONG);
	}
	if (check_esize(esize) < 0)
		return -EINVAL;
	if (flags & ~(unsigned int)KEEL_RING_F_MASK) {
		KEEL_LOG(ERR, keel_logtype_ring,
			 "ring %s: unknown flags 0x%x", name,
			 flags & ~(unsigned int)KEEL_RING_F_MASK);
		return fail(EINVAL);
	}
	s->prod_sync = side_sync(flags, KEEL_RING_F_SP_ENQ,
				 KEEL_RING_F_MP_RTS_ENQ, KEEL_RING_F_MP_HTS_ENQ);
	s->cons_sync = side_sync(flags, KEEL_RING_F_SC_DEQ,
				 KEEL_RING_F_MC_RTS_DEQ, KEEL_RING_F_MC_HTS_DEQ);
	if (s->prod_sync < 0 || s->cons_sync < 0) {
		KEEL_LOG(ERR, keel_logtype_ring,
			 "ring %s: flags 0x%x give a side two sync modes",
			 name, flags);
		return fail(EINVAL);
	}
	if (flags & KEEL_RING_F_EXACT_SZ) {
		s->size = keel_ring_size_of(count);
		s->capacity = count;
		if (count == 0 || s->size == 0) {
			KEEL_LOG(ERR, keel_logtype_ring,
				 "ring %s: exact count %u is not in [1, %u]",
				 name, count, (KEEL_RING_SZ_MASK + 1) / 2 - 1);
			return fail(EINVAL);
		}
	} else {
		if (!is_pow2(count) || count < 2 ||
		    count > KEEL_RING_SZ_MASK) {
			KEEL_LOG(ERR, keel_logtype_ring,
				 "ring %s: count %u is not a power of two in [2, %u] (KEEL_RING_F_EXACT_SZ takes any count)",
				 name, count, (KEEL_RING_SZ_MASK + 1) / 2);
			return fail(EINVAL);
		}
		s->size = count;
		s->capacity = count - 1;
	}
	return 0;
}

/* set up r once the shape is known good */
static void
ring_setup(struct keel_ring *r, const char *name, unsigned int esize,
	   unsigned int flags, const struct ring_shape *s)
{
	memset(r, 0, sizeof(*r));
	r->size = s->size;
	r->mask = s->size - 1;
	r->capacity = s->capacity;
	r->esize = esize;
	r->flags = (int)flags;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->prod.sync_type = (uint32_t)s->prod_sync;
	r->cons.sync_type = (uint32_t)s->cons_sync;
	r->prod.call_key = __KEEL_RING_CALL_KEY(esize, s->prod_sync);
	r->cons.call_key = __KEEL_RING_CALL_KEY(esize, s->cons_sync);
	/* RTS: how far a head may run ahead of a stalled tail (DPDK's
	 * default too): bounds the room a preempted thread can pin */
	r->prod.htd_max = s->capacity / 8 > 0 ? s->capacity / 8 : 1;
	r->cons.htd_max = r->prod.htd_max;
#ifdef KEEL_RING_DEBUG
	r->stats = (struct keel_ring_stats *)(void *)((char *)(r + 1) +
		   slots_bytes(esize, s->size));
	memset(r->stats, 0, STATS_ROWS * sizeof(*r->stats));
#endif
	/* last: a ring that is found by its magic is complete */
	__atomic_store_n(&r->magic, KEEL_RING_MAGIC, __ATOMIC_RELEASE);
}

int
keel_ring_init_elem(struct keel_ring *r, const char *name, unsigned int esize,
		    unsigned int count, unsigned int flags)
{
	struct ring_shape s;
	int ret;

	if (r == NULL || (uintptr_t)r % KEEL_RING_CACHE_LINE != 0) {
		KEEL_LOG(ERR, keel_logtype_ring,
			 "ring %s: memory %p is not %d-byte aligned",
			 name != NULL ? name : "(null)", (void *)r,
			 KEEL_RING_CACHE_LINE);
		return fail(EINVAL);
	}
	ret = ring_shape(name, esize, count, flags, &s);
	if (ret < 0)
		return ret;
	ring_setup(r, name, esize, flags, &s);
	return 0;
}

int
keel_ring_init(struct keel_ring *r, const char *name, unsigned int count,
	       unsigned int flags)
{
	return keel_ring_init_elem(r, name, sizeof(void *), count, flags);
}

struct keel_ring *
keel_ring_create_elem(const char *name, unsigned int esize,
		      unsigned int count, int socket_id, unsigned int flags)
{
	char mz_name[KEEL_MEMZONE_NAMESIZE];
	const struct keel_memzone *mz;
	struct ring_shape s;
	struct keel_ring *r;

	if (ring_shape(name, esize, count, flags, &s) < 0)
		return NULL;
	snprintf(mz_name, sizeof(mz_name), "%s%s", KEEL_RING_MZ_PREFIX, name);
	if (keel_memzone_lookup(mz_name) != NULL) {
		KEEL_LOG(ERR, keel_logtype_ring, "ring '%s' already exists",
			 name);
		errno = EEXIST;
		return NULL;
	}
	/* the memzone logs its own failure (name, size, socket) */
	mz = keel_memzone_reserve_aligned(mz_name, memsize(esize, s.size),
					  socket_id, 0, KEEL_RING_CACHE_LINE);
	if (mz == NULL)
		return NULL;
	r = mz->addr;
	ring_setup(r, name, esize, flags, &s);
	r->memzone = mz;
	return r;
}

struct keel_ring *
keel_ring_create(const char *name, unsigned int count, int socket_id,
		 unsigned int flags)
{
	return keel_ring_create_elem(name, sizeof(void *), count, socket_id,
				     flags);
}

/* the ring at the start of mz, or NULL if mz does not hold one */
static struct keel_ring *
mz_ring(const struct keel_memzone *mz)
{
	struct keel_ring *r = mz->addr;

	if (strncmp(mz->name, KEEL_RING_MZ_PREFIX,
		    sizeof(KEEL_RING_MZ_PREFIX) - 1) != 0 ||
	    mz->len < sizeof(*r) ||
	    __atomic_load_n(&r->magic, __ATOMIC_ACQUIRE) != KEEL_RING_MAGIC ||
	    r->memzone != mz)
		return NULL;
	return r;
}

struct keel_ring *
keel_ring_lookup(const char *name)
{
	char mz_name[KEEL_MEMZONE_NAMESIZE];
	const struct keel_memzone *mz;
	struct keel_ring *r;

	if (name == NULL) {
		KEEL_LOG(ERR, keel_logtype_ring, "ring lookup: name is NULL");
		errno = EINVAL;
		return NULL;
	}
	if (strnlen(name, KEEL_RING_NAMESIZE) >= KEEL_RING_NAMESIZE) {
		KEEL_LOG(ERR, keel_logtype_ring,
			 "ring lookup: name '%.*s...' is longer than %d characters",
			 KEEL_RING_NAMESIZE - 1, name, KEEL_RING_NAMESIZE - 1);
		errno = ENAMETOOLONG;
		return NULL;
	}
	snprintf(mz_name, sizeof(mz_name), "%s%s", KEEL_RING_MZ_PREFIX, name);
	mz = keel_memzone_lookup(mz_name);
	r = mz != NULL ? mz_ring(mz) : NULL;
	if (r == NULL)
		errno = ENOENT; /* absent is an answer, not an error: no log */
	return r;
}

int
keel_ring_free(struct keel_ring *r)
{
	const struct keel_memzone *mz;

	if (r == NULL)
		return 0;
	if (r->magic != KEEL_RING_MAGIC) {
		KEEL_LOG(ERR, keel_logtype_ring,
			 "ring free: %p is not a ring (magic 0x%x)", (void *)r,
			 r->magic);
		return fail(EINVAL);
	}
	mz = r->memzone;
	if (mz == NULL || mz->addr != r) {
		KEEL_LOG(ERR, keel_logtype_ring,
			 "ring free: '%s' was not made by keel_ring_create (keel_ring_init: free its memory yourself)",
			 r->name);
		return fail(EINVAL);
	}
	r->magic = 0;
	return keel_memzone_free(mz);
}

void
keel_ring_reset(struct keel_ring *r)
{
	if (r == NULL)
		return;
	r->prod.head = 0;
	r->prod.tail = 0;
	r->cons.head = 0;
	r->cons.tail = 0;
}

static const char *
sync_name(uint32_t s)
{
	static const char *const names[] = { "MT", "ST", "MT_RTS", "MT_HTS" };

	return s < 4 ? names[s] : "?";
}

void
keel_ring_dump(FILE *f, const struct keel_ring *r)
{
	struct keel_ring_stats st;

	if (f == NULL)
		f = stdout;
	if (r == NULL) {
		fprintf(f, "ring <NULL>\n");
		return;
	}
	fprintf(f, "ring <%s>@%p\n", r->name, (const void *)r);
	fprintf(f, "  flags=0x%x esize=%u size=%u capacity=%u\n", r->flags,
		r->esize, r->size, r->capacity);
	fprintf(f, "  prod: sync=%s head=%" PRIu32 " tail=%" PRIu32
		" (word 0x%016" PRIx64 ", htd_max=%u)\n",
		sync_name(r->prod.sync_type), (uint32_t)r->prod.head,
		(uint32_t)r->prod.tail, r->prod.head, r->prod.htd_max);
	fprintf(f, "  cons: sync=%s head=%" PRIu32 " tail=%" PRIu32
		" (word 0x%016" PRIx64 ", htd_max=%u)\n",
		sync_name(r->cons.sync_type), (uint32_t)r->cons.head,
		(uint32_t)r->cons.tail, r->cons.head, r->cons.htd_max);
	fprintf(f, "  used=%u avail=%u\n", keel_ring_count(r),
		keel_ring_free_count(r));
	if (keel_ring_stats_get(r, &st) == 0)
		fprintf(f, "  stats: enq %" PRIu64 " calls %" PRIu64
			" objs %" PRIu64 " failed; deq %" PRIu64 " calls %"
			PRIu64 " objs %" PRIu64 " failed\n", st.enq_ok_calls,
			st.enq_ok_objs, st.enq_fail_calls, st.deq_ok_calls,
			st.deq_ok_objs, st.deq_fail_calls);
}

static void
dump_one(const struct keel_memzone *mz, void *arg)
{
	const struct keel_ring *r = mz_ring(mz);

	if (r != NULL)
		keel_ring_dump(arg, r);
}

void
keel_ring_list_dump(FILE *f)
{
	keel_memzone_walk(dump_one, f != NULL ? f : stdout);
}

int
keel_ring_stats_get(const struct keel_ring *r, struct keel_ring_stats *out)
{
	unsigned int i;

	if (r == NULL || out == NULL)
		return fail(EINVAL);
	if (r->stats == NULL)
		return fail(ENOTSUP);
	memset(out, 0, sizeof(*out));
	for (i = 0; i < STATS_ROWS; i++) {
		const struct keel_ring_stats *s = &r->stats[i];

		out->enq_ok_calls += __atomic_load_n(&s->enq_ok_calls,
						     __ATOMIC_RELAXED);
		out->enq_ok_objs += __atomic_load_n(&s->enq_ok_objs,
						    __ATOMIC_RELAXED);
		out->enq_fail_calls += __atomic_load_n(&s->enq_fail_calls,
						       __ATOMIC_RELAXED);
		out->deq_ok_calls += __atomic_load_n(&s->deq_ok_calls,
						     __ATOMIC_RELAXED);
		out->deq_ok_objs += __atomic_load_n(&s->deq_ok_objs,
						    __ATOMIC_RELAXED);
		out->deq_fail_calls += __atomic_load_n(&s->deq_fail_calls,
						       __ATOMIC_RELAXED);
	}
	return 0;
}

void
keel_ring_stats_reset(struct keel_ring *r)
{
	if (r != NULL && r->stats != NULL)
		memset(r->stats, 0, STATS_ROWS * sizeof(*r->stats));
}

static uint32_t
get_htd(const struct keel_ring *r, const struct keel_ring_headtail *ht)
{
	if (r == NULL || ht->sync_type != KEEL_RING_SYNC_MT_RTS) {
		errno = EINVAL;
		return 0;
	}
	return ht->htd_max;
}

static int
set_htd(struct keel_ring *r, struct keel_ring_headtail *ht, uint32_t v,
	const char *side)
{
	if (r == NULL || ht->sync_type != KEEL_RING_SYNC_MT_RTS) {
		KEEL_LOG(ERR, keel_logtype_ring,
			 "ring %s: %s side is not MT_RTS, no htd_max to set",
			 r != NULL ? r->name : "(null)", side);
		return fail(EINVAL);
	}
	if (v == 0 || v > r->capacity) {
		KEEL_LOG(ERR, keel_logtype_ring,
			 "ring %s: htd_max %u is not in [1, %u]", r->name, v,
			 r->capacity);
		return fail(EINVAL);
	}
	ht->htd_max = v;
	return 0;
}

uint32_t
keel_ring_get_prod_htd_max(const struct keel_ring *r)
{
	return get_htd(r, r != NULL ? &r->prod : NULL);
}

uint32_t
keel_ring_get_cons_htd_max(const struct keel_ring *r)
{
	return get_htd(r, r != NULL ? &r->cons : NULL);
}

int
keel_ring_set_prod_htd_max(struct keel_ring *r, uint32_t v)
{
	return set_htd(r, r != NULL ? &r->prod : NULL, v, "producer");
}

int
keel_ring_set_cons_htd_max(struct keel_ring *r, uint32_t v)
{
	return set_htd(r, r != NULL ? &r->cons : NULL, v, "consumer");
}
