/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_MBUF_H
#define KEEL_MBUF_H

/**
 * @file
 * Packet buffers (mbufs): pools of them, allocation and release, data
 * manipulation (prepend, append, adj, trim), chains of segments, clones
 * (indirect mbufs sharing a direct mbuf's buffer), copies, and external
 * buffers with a free callback (vhost zero-copy, DMA-registered memory).
 * The API mirrors DPDK 22.11's rte_mbuf.h with the keel_ prefix.
 *
 * An mbuf's buffer has an IOVA (buf_iova, keel_pktmbuf_iova()) that any
 * device behind the IOMMU container can use, in every IOVA mode: mbufs
 * live in a keel_mempool, whose objects never straddle an IOVA
 * discontinuity.
 *
 * Ownership: an mbuf with refcnt 1 belongs to one thread; refcnt and an
 * external buffer's refcnt change atomically, so clones of one packet may
 * be freed from several threads at once. A free mbuf has refcnt 1, next
 * NULL and nb_segs 1 (kept so by the free path, checked in debug pools).
 *
 * Where Keel differs from DPDK:
 *  - keel_mbuf_sanity_check() returns an error and logs the reason
 *    instead of panicking; keel_pktmbuf_chain() and the dynamic field
 *    calls return negative errno values;
 *  - in a pool with KEEL_MEMPOOL_F_DEBUG (every pool in debug builds),
 *    alloc and free check each mbuf, and the mempool audit catches a
 *    double free;
 *  - control-path calls (pool creation, copy, linearize, attach of
 *    external buffers) check their arguments and log the bad value.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "keel_mbuf_core.h"
#include "keel_mbuf_ptype.h"
#include "keel_mempool.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Private area of an mbuf pool (keel_mempool_get_priv()). */
struct keel_pktmbuf_pool_private {
	uint16_t mbuf_data_room_size; /**< buffer bytes, headroom included */
	uint16_t mbuf_priv_size;      /**< private bytes after each mbuf */
	uint32_t flags;               /**< reserved, 0 */
};

/**
 * @name Pools
 * @{
 */

/**
 * Create a pool of @p n mbufs, each with @p priv_size bytes of private
 * area and a buffer of @p data_room_size bytes (headroom included; use
 * KEEL_MBUF_DEFAULT_BUF_SIZE for standard packets), with the default
 * backend (keel_mbuf_best_mempool_ops()).
 *
 * @param name           unique pool name (a mempool name)
 * @param n              number of mbufs
 * @param cache_size     per-lcore cache (see keel_mempool_create())
 * @param priv_size      a multiple of KEEL_MBUF_PRIV_ALIGN
 * @param data_room_size buffer bytes per mbuf, headroom included (0: no
 *                       buffer, for pools of clones)
 * @param socket_id      NUMA socket, or KEEL_SOCKET_ID_ANY
 * @return the pool, or NULL with errno: EINVAL (logged), ENAMETOOLONG,
 *         EEXIST, ENOMEM. Nothing is left behind on failure.
 */
struct keel_mempool *
keel_pktmbuf_pool_create(const char *name, unsigned int n,
			 unsigned int cache_size, uint16_t priv_size,
			 uint16_t data_room_size, int socket_id);

/** As keel_pktmbuf_pool_create(), with the backend @p ops_name. */
struct keel_mempool *
keel_pktmbuf_pool_create_by_ops(const char *name, unsigned int n,
				unsigned int cache_size, uint16_t priv_size,
				uint16_t data_room_size, int socket_id,
				const char *ops_name);

/**
 * Pool constructor for mbuf pools built by hand: stores the pool's
 * keel_pktmbuf_pool_private (from @p opaque_arg, or the defaults when
 * NULL) in the pool's private area.
 */
void keel_pktmbuf_pool_init(struct keel_mempool *mp, void *opaque_arg);

/** Object constructor for mbuf pools built by hand. */
void keel_pktmbuf_init(struct keel_mempool *mp, void *opaque_arg, void *m,
		       unsigned int i);

/** Name of the backend mbuf pools get: the mempool default. */
const char *keel_mbuf_best_mempool_ops(void);

/** Buffer bytes (headroom included) of the mbufs of @p mp. */
static inline uint16_t
keel_pktmbuf_data_room_size(struct keel_mempool *mp)
{
	return ((struct keel_pktmbuf_pool_private *)
		keel_mempool_get_priv(mp))->mbuf_data_room_size;
}

/** Private bytes of the mbufs of @p mp. */
static inline uint16_t
keel_pktmbuf_priv_size(struct keel_mempool *mp)
{
	return ((struct keel_pktmbuf_pool_private *)
		keel_mempool_get_priv(mp))->mbuf_priv_size;
}

/** @} */

/**
 * @name Reference counts
 * @{
 */

/** The mbuf's reference count. */
KEEL_MEMPOOL_FP_ uint16_t
keel_mbuf_refcnt_read(const struct keel_mbuf *m)
{
	return __atomic_load_n(&m->refcnt, __ATOMIC_RELAXED);
}

/** Set the reference count (the caller owns the mbuf). */
KEEL_MEMPOOL_FP_ void
keel_mbuf_refcnt_set(struct keel_mbuf *m, uint16_t value)
{
	__atomic_store_n(&m->refcnt, value, __ATOMIC_RELAXED);
}

/**
 * Add @p value to the reference count. @return the new count. A sole
 * owner (count 1) needs no atomic operation: nobody else can see it.
 */
KEEL_MEMPOOL_FP_ uint16_t
keel_mbuf_refcnt_update(struct keel_mbuf *m, int16_t value)
{
	if (__builtin_expect(keel_mbuf_refcnt_read(m) == 1, 1)) {
		uint16_t v = (uint16_t)(1 + value);

		keel_mbuf_refcnt_set(m, v);
		return v;
	}
	return __atomic_add_fetch(&m->refcnt, (uint16_t)value,
				  __ATOMIC_ACQ_REL);
}

/** An external buffer's reference count. */
static inline uint16_t
keel_mbuf_ext_refcnt_read(const struct keel_mbuf_ext_shared_info *shinfo)
{
	return __atomic_load_n(&shinfo->refcnt, __ATOMIC_RELAXED);
}

/** Set an external buffer's reference count. */
static inline void
keel_mbuf_ext_refcnt_set(struct keel_mbuf_ext_shared_info *shinfo,
			 uint16_t value)
{
	__atomic_store_n(&shinfo->refcnt, value, __ATOMIC_RELAXED);
}

/** Add @p value to an external buffer's count. @return the new count. */
static inline uint16_t
keel_mbuf_ext_refcnt_update(struct keel_mbuf_ext_shared_info *shinfo,
			    int16_t value)
{
	if (__builtin_expect(keel_mbuf_ext_refcnt_read(shinfo) == 1, 1)) {
		uint16_t v = (uint16_t)(1 + value);

		keel_mbuf_ext_refcnt_set(shinfo, v);
		return v;
	}
	return __atomic_add_fetch(&shinfo->refcnt, (uint16_t)value,
				  __ATOMIC_ACQ_REL);
}

/** @} */

/**
 * @name Kinds of mbufs, addresses
 * @{
 */

/** The mbuf is a clone: it points at another mbuf's buffer. */
#define KEEL_MBUF_CLONED(mb)     ((mb)->ol_flags & KEEL_MBUF_F_INDIRECT)
/** The mbuf points at an external buffer. */
#define KEEL_MBUF_HAS_EXTBUF(mb) ((mb)->ol_flags & KEEL_MBUF_F_EXTERNAL)
/** The mbuf owns its own, embedded buffer. */
#define KEEL_MBUF_DIRECT(mb) \
	(!((mb)->ol_flags & (KEEL_MBUF_F_INDIRECT | KEEL_MBUF_F_EXTERNAL)))

/** The mbuf whose embedded buffer @p mi points at (direct or clone). */
static inline struct keel_mbuf *
keel_mbuf_from_indirect(struct keel_mbuf *mi)
{
	return (struct keel_mbuf *)((char *)mi->buf_addr - sizeof(*mi) -
				    mi->priv_size);
}

/** The embedded buffer of a direct mbuf. */
static inline char *
keel_mbuf_to_baddr(struct keel_mbuf *md)
{
	return (char *)md + sizeof(*md) + md->priv_size;
}

/** The private area right after the mbuf structure. */
static inline void *
keel_mbuf_to_priv(struct keel_mbuf *m)
{
	return (char *)m + sizeof(*m);
}

/** Pointer to byte @p o of the segment's data, as type @p t. */
#define keel_pktmbuf_mtod_offset(m, t, o) \
	((t)(void *)((char *)(m)->buf_addr + (m)->data_off + (o)))
/** Pointer to the segment's data, as type @p t. */
#define keel_pktmbuf_mtod(m, t) keel_pktmbuf_mtod_offset(m, t, 0)
/** Bytes in the whole packet. */
#define keel_pktmbuf_pkt_len(m) ((m)->pkt_len)
/** Bytes in this segment. */
#define keel_pktmbuf_data_len(m) ((m)->data_len)

/** IOVA of byte @p o of the segment's data: what a device is given. */
static inline uint64_t
keel_pktmbuf_iova_offset(const struct keel_mbuf *m, uint64_t o)
{
	return m->buf_iova + m->data_off + o;
}

/** IOVA of the segment's data. */
static inline uint64_t
keel_pktmbuf_iova(const struct keel_mbuf *m)
{
	return keel_pktmbuf_iova_offset(m, 0);
}

/** DPDK's name for keel_pktmbuf_iova(). */
static inline uint64_t
keel_mbuf_data_iova(const struct keel_mbuf *m)
{
	return keel_pktmbuf_iova(m);
}

/** IOVA of the data of a freshly reset mbuf (rx descriptor refill). */
static inline uint64_t
keel_mbuf_data_iova_default(const struct keel_mbuf *m)
{
	return m->buf_iova + KEEL_PKTMBUF_HEADROOM;
}

/** Bytes before the data in this segment's buffer. */
static inline uint16_t
keel_pktmbuf_headroom(const struct keel_mbuf *m)
{
	return m->data_off;
}

/** Bytes after the data in this segment's buffer. */
static inline uint16_t
keel_pktmbuf_tailroom(const struct keel_mbuf *m)
{
	return (uint16_t)(m->buf_len - m->data_off - m->data_len);
}

/** The last segment of a packet. */
static inline struct keel_mbuf *
keel_pktmbuf_lastseg(struct keel_mbuf *m)
{
	while (m->next != NULL)
		m = m->next;
	return m;
}

/** @return 1 when the packet is one segment. */
static inline int
keel_pktmbuf_is_contiguous(const struct keel_mbuf *m)
{
	return m->nb_segs == 1;
}

/** @} */

/**
 * @name Checks
 * @{
 */

/**
 * Check an mbuf's consistency: pool, buffer, refcnt, lengths, segments
 * (with @p is_header, the whole chain against nb_segs and pkt_len).
 * @return 0, or -1 with *reason set to a static description.
 */
int keel_mbuf_check(const struct keel_mbuf *m, int is_header,
		    const char **reason);

/**
 * keel_mbuf_check() that logs the reason. DPDK panics here; Keel returns.
 * @return 0, or -EINVAL (logged).
 */
int keel_mbuf_sanity_check(const struct keel_mbuf *m, int is_header);

/** @cond internal */
/* debug pools: check an mbuf leaving or entering its pool (mbuf.c) */
void keel_mbuf_raw_check_(const struct keel_mbuf *m, int alloc);
/** @endcond */

/** @} */

/**
 * @name Allocation and release
 * @{
 */

/**
 * Take one mbuf from @p mp without resetting it (refcnt 1, next NULL,
 * nb_segs 1 hold already). @return it, or NULL when the pool is empty.
 */
KEEL_MEMPOOL_FP_ struct keel_mbuf *
keel_mbuf_raw_alloc(struct keel_mempool *mp)
{
	void *m;

	if (keel_mempool_get(mp, &m) < 0)
		return NULL;
	if (__builtin_expect(mp->flags & KEEL_MEMPOOL_F_DEBUG, 0))
		keel_mbuf_raw_check_((struct keel_mbuf *)m, 1);
	return (struct keel_mbuf *)m;
}

/** Give a free-state mbuf (refcnt 1, next NULL, nb_segs 1) back. */
KEEL_MEMPOOL_FP_ void
keel_mbuf_raw_free(struct keel_mbuf *m)
{
	if (__builtin_expect(m->pool->flags & KEEL_MEMPOOL_F_DEBUG, 0))
		keel_mbuf_raw_check_(m, 0);
	keel_mempool_put(m->pool, m);
}

/** Put the headroom back to its default (or the whole buffer). */
KEEL_MEMPOOL_FP_ void
keel_pktmbuf_reset_headroom(struct keel_mbuf *m)
{
	m->data_off = m->buf_len < KEEL_PKTMBUF_HEADROOM ? m->buf_len :
		KEEL_PKTMBUF_HEADROOM;
}

/** Reset the packet fields of a segment as for a fresh mbuf. */
KEEL_MEMPOOL_FP_ void
keel_pktmbuf_reset(struct keel_mbuf *m)
{
	m->next = NULL;
	m->pkt_len = 0;
	m->tx_offload = 0;
	m->vlan_tci = 0;
	m->vlan_tci_outer = 0;
	m->nb_segs = 1;
	m->port = KEEL_MBUF_PORT_INVALID;
	m->ol_flags &= KEEL_MBUF_F_EXTERNAL;
	m->packet_type = 0;
	keel_pktmbuf_reset_headroom(m);
	m->data_len = 0;
}

/** Allocate one mbuf, reset. @return it, or NULL when the pool is empty. */
KEEL_MEMPOOL_FP_ struct keel_mbuf *
keel_pktmbuf_alloc(struct keel_mempool *mp)
{
	struct keel_mbuf *m = keel_mbuf_raw_alloc(mp);

	if (m != NULL)
		keel_pktmbuf_reset(m);
	return m;
}

/**
 * Allocate @p count mbufs, all or none, reset.
 * @return 0, or -ENOENT when the pool has fewer (none taken).
 */
KEEL_MEMPOOL_FP_ int
keel_pktmbuf_alloc_bulk(struct keel_mempool *mp, struct keel_mbuf **mbufs,
			unsigned int count)
{
	unsigned int i;
	int ret;

	ret = keel_mempool_get_bulk(mp, (void **)mbufs, count);
	if (__builtin_expect(ret != 0, 0))
		return ret;
	if (__builtin_expect(mp->flags & KEEL_MEMPOOL_F_DEBUG, 0))
		for (i = 0; i < count; i++)
			keel_mbuf_raw_check_(mbufs[i], 1);
	for (i = 0; i < count; i++)
		keel_pktmbuf_reset(mbufs[i]);
	return 0;
}

/** @cond internal */
void keel_pktmbuf_detach(struct keel_mbuf *m);
/** @endcond */

/**
 * Drop one reference to segment @p m. @return @p m in free state when it
 * was the last one (detached from any shared buffer; the caller puts it
 * back), else NULL.
 */
KEEL_MEMPOOL_FP_ struct keel_mbuf *
keel_pktmbuf_prefree_seg(struct keel_mbuf *m)
{
	if (__builtin_expect(keel_mbuf_refcnt_read(m) == 1, 1)) {
		if (!KEEL_MBUF_DIRECT(m))
			keel_pktmbuf_detach(m);
	} else if (__atomic_sub_fetch(&m->refcnt, 1, __ATOMIC_ACQ_REL) == 0) {
		if (!KEEL_MBUF_DIRECT(m))
			keel_pktmbuf_detach(m);
		keel_mbuf_refcnt_set(m, 1);
	} else {
		return NULL;
	}
	if (m->next != NULL)
		m->next = NULL;
	if (m->nb_segs != 1)
		m->nb_segs = 1;
	return m;
}

/** Free one segment (not the rest of its chain). */
KEEL_MEMPOOL_FP_ void
keel_pktmbuf_free_seg(struct keel_mbuf *m)
{
	m = keel_pktmbuf_prefree_seg(m);
	if (m != NULL)
		keel_mbuf_raw_free(m);
}

/** Free a packet: every segment. NULL is ignored. */
KEEL_MEMPOOL_FP_ void
keel_pktmbuf_free(struct keel_mbuf *m)
{
	struct keel_mbuf *next;

	while (m != NULL) {
		next = m->next;
		keel_pktmbuf_free_seg(m);
		m = next;
	}
}

/** @cond internal */
/* hand free-state mbufs of one pool back (keel_pktmbuf_free_bulk) */
KEEL_MEMPOOL_FP_ void
keel_pktmbuf_put_pending_(struct keel_mbuf **pending, unsigned int np)
{
	struct keel_mempool *mp = pending[0]->pool;
	unsigned int i;

	if (__builtin_expect(mp->flags & KEEL_MEMPOOL_F_DEBUG, 0))
		for (i = 0; i < np; i++)
			keel_mbuf_raw_check_(pending[i], 0);
	keel_mempool_put_bulk(mp, (void **)pending, np);
}
/** @endcond */

/**
 * Free @p count packets (all segments; NULL entries skipped), handing
 * them back to their pools in bulks of up to 64 mbufs of one pool.
 */
KEEL_MEMPOOL_FP_ void
keel_pktmbuf_free_bulk(struct keel_mbuf **mbufs, unsigned int count)
{
	struct keel_mbuf *pending[64], *m, *next;
	unsigned int i, np = 0;

	for (i = 0; i < count; i++) {
		for (m = mbufs[i]; m != NULL; m = next) {
			next = m->next;
			m = keel_pktmbuf_prefree_seg(m);
			if (m == NULL)
				continue;
			if (np == 64 || (np != 0 && m->pool != pending[0]->pool)) {
				keel_pktmbuf_put_pending_(pending, np);
				np = 0;
			}
			pending[np++] = m;
		}
	}
	if (np != 0)
		keel_pktmbuf_put_pending_(pending, np);
}

/** Add @p v to the reference count of every segment of a packet. */
static inline void
keel_pktmbuf_refcnt_update(struct keel_mbuf *m, int16_t v)
{
	do {
		keel_mbuf_refcnt_update(m, v);
	} while ((m = m->next) != NULL);
}

/** @} */

/**
 * @name Data
 * @{
 */

/**
 * Move the data start @p len bytes back (into the headroom).
 * @return the new data start, or NULL when the headroom is smaller
 *         (nothing changed).
 */
static inline char *
keel_pktmbuf_prepend(struct keel_mbuf *m, uint16_t len)
{
	if (__builtin_expect(len > keel_pktmbuf_headroom(m), 0))
		return NULL;
	m->data_off = (uint16_t)(m->data_off - len);
	m->data_len = (uint16_t)(m->data_len + len);
	m->pkt_len += len;
	return (char *)m->buf_addr + m->data_off;
}

/**
 * Add @p len bytes at the end of the packet (last segment).
 * @return where they start, or NULL when the tailroom is smaller.
 */
static inline char *
keel_pktmbuf_append(struct keel_mbuf *m, uint16_t len)
{
	struct keel_mbuf *last = keel_pktmbuf_lastseg(m);
	char *tail;

	if (__builtin_expect(len > keel_pktmbuf_tailroom(last), 0))
		return NULL;
	tail = (char *)last->buf_addr + last->data_off + last->data_len;
	last->data_len = (uint16_t)(last->data_len + len);
	m->pkt_len += len;
	return tail;
}

/**
 * Remove @p len bytes from the start of the packet (first segment).
 * @return the new data start, or NULL when the segment has fewer.
 */
static inline char *
keel_pktmbuf_adj(struct keel_mbuf *m, uint16_t len)
{
	if (__builtin_expect(len > m->data_len, 0))
		return NULL;
	m->data_len = (uint16_t)(m->data_len - len);
	m->data_off = (uint16_t)(m->data_off + len);
	m->pkt_len -= len;
	return (char *)m->buf_addr + m->data_off;
}

/**
 * Remove @p len bytes from the end of the packet (last segment).
 * @return 0, or -1 when the last segment has fewer.
 */
static inline int
keel_pktmbuf_trim(struct keel_mbuf *m, uint16_t len)
{
	struct keel_mbuf *last = keel_pktmbuf_lastseg(m);

	if (__builtin_expect(len > last->data_len, 0))
		return -1;
	last->data_len = (uint16_t)(last->data_len - len);
	m->pkt_len -= len;
	return 0;
}

/**
 * Append packet @p tail to packet @p head (tail's mbuf is no longer a
 * packet of its own).
 * @return 0, or -EOVERFLOW when the segments would exceed
 *         KEEL_MBUF_MAX_NB_SEGS (nothing changed).
 */
static inline int
keel_pktmbuf_chain(struct keel_mbuf *head, struct keel_mbuf *tail)
{
	if ((uint32_t)head->nb_segs + tail->nb_segs > KEEL_MBUF_MAX_NB_SEGS)
		return -EOVERFLOW;
	keel_pktmbuf_lastseg(head)->next = tail;
	head->nb_segs = (uint16_t)(head->nb_segs + tail->nb_segs);
	head->pkt_len += tail->pkt_len;
	tail->pkt_len = tail->data_len;
	return 0;
}

/** @cond internal */
const void *keel_pktmbuf_read_(const struct keel_mbuf *m, uint32_t off,
			       uint32_t len, void *buf);
/** @endcond */

/**
 * Read @p len bytes at packet offset @p off: a pointer into the packet
 * when they lie in one segment, else a copy in @p buf.
 * @return the bytes, or NULL when the packet is shorter.
 */
static inline const void *
keel_pktmbuf_read(const struct keel_mbuf *m, uint32_t off, uint32_t len,
		  void *buf)
{
	if (__builtin_expect((uint64_t)off + len <= m->data_len, 1))
		return keel_pktmbuf_mtod_offset(m, const char *, off);
	return keel_pktmbuf_read_(m, off, len, buf);
}

/**
 * Make a chained packet one segment, copying the data of the others into
 * the first segment's tailroom and freeing them.
 * @return 0 (also for a one-segment packet), -ENOSPC when the first
 *         segment has no room for the packet, -EINVAL (logged) for a
 *         clone or external buffer first segment (not writable).
 */
int keel_pktmbuf_linearize(struct keel_mbuf *m);

/** @} */

/**
 * @name Clones, copies, external buffers
 * @{
 */

/**
 * Make @p mi (a fresh direct mbuf) point at @p m's buffer: an indirect
 * mbuf (or a second user of m's external buffer). The buffer's owner gets
 * a reference; packet fields and dynamic fields are copied.
 */
void keel_pktmbuf_attach(struct keel_mbuf *mi, struct keel_mbuf *m);

/**
 * Clone a packet: new mbufs from @p mp, one per segment, sharing the
 * segments' buffers. @return the clone, or NULL (errno ENOENT when @p mp
 * runs out; nothing is kept).
 */
struct keel_mbuf *keel_pktmbuf_clone(struct keel_mbuf *md,
				     struct keel_mempool *mp);

/**
 * Copy bytes [@p offset, @p offset + @p length) of a packet into new
 * mbufs from @p mp (as few segments as their buffers allow); UINT32_MAX
 * length: to the end. Packet fields and dynamic fields are copied.
 * @return the copy, or NULL with errno EINVAL (offset past the end,
 *         logged) or ENOENT (pool empty; nothing kept).
 */
struct keel_mbuf *keel_pktmbuf_copy(const struct keel_mbuf *m,
				    struct keel_mempool *mp, uint32_t offset,
				    uint32_t length);

/**
 * Put a shared info at the end of the buffer [@p buf_addr, + *@p buf_len)
 * (8-byte aligned), shrink *@p buf_len to what is left before it, set its
 * count to 1 and its callback.
 * @return the shared info, or NULL (errno EINVAL) when the buffer is too
 *         small or an argument NULL.
 */
struct keel_mbuf_ext_shared_info *
keel_pktmbuf_ext_shinfo_init_helper(void *buf_addr, uint16_t *buf_len,
				    keel_mbuf_extbuf_free_callback_t free_cb,
				    void *fcb_opaque);

/**
 * Point direct mbuf @p m at an external buffer of @p buf_len bytes at
 * @p buf_addr / @p buf_iova. The caller accounts for this reference in
 * @p shinfo (its count is 1 from the helper; add one per further mbuf);
 * the last mbuf to let go calls shinfo->free_cb(buf_addr, fcb_opaque),
 * exactly once. Data starts at offset 0 with length 0.
 */
static inline void
keel_pktmbuf_attach_extbuf(struct keel_mbuf *m, void *buf_addr,
			   uint64_t buf_iova, uint16_t buf_len,
			   struct keel_mbuf_ext_shared_info *shinfo)
{
	m->buf_addr = buf_addr;
	m->buf_iova = buf_iova;
	m->buf_len = buf_len;
	m->data_len = 0;
	m->data_off = 0;
	m->ol_flags |= KEEL_MBUF_F_EXTERNAL;
	m->shinfo = shinfo;
}

/** Let go of an external buffer and take the embedded one back. */
#define keel_pktmbuf_detach_extbuf(m) keel_pktmbuf_detach(m)

/** @} */

/**
 * Print an mbuf and up to @p dump_len bytes of its data (each segment).
 */
void keel_pktmbuf_dump(FILE *f, const struct keel_mbuf *m,
		       unsigned int dump_len);

/** Name of an rx offload flag (one bit), or NULL. */
const char *keel_get_rx_ol_flag_name(uint64_t mask);
/** Name of a tx offload flag (one bit or field value), or NULL. */
const char *keel_get_tx_ol_flag_name(uint64_t mask);

#ifdef __cplusplus
}
#endif
#endif /* KEEL_MBUF_H */
