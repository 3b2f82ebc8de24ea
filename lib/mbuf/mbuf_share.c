/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Buffers shared between mbufs: indirect mbufs (clones) and external
 * buffers, and the copies that do not share.
 *
 * Invariant: a direct mbuf's refcnt counts itself plus every indirect mbuf
 * attached to its buffer; an external buffer's shinfo->refcnt counts every
 * mbuf pointing at it. Both change atomically (a sole owner, count 1,
 * needs no atomic operation), so the last reference is dropped by exactly
 * one thread: that thread puts the direct mbuf back to its pool, or calls
 * the external buffer's free callback, exactly once.
 */
#include <inttypes.h>
#include <string.h>

#include "keel_mbuf.h"
#include "mbuf_internal.h"

/* packet fields a clone or a copy inherits */
static void
copy_hdr(struct keel_mbuf *d, const struct keel_mbuf *s)
{
	d->port = s->port;
	d->vlan_tci = s->vlan_tci;
	d->vlan_tci_outer = s->vlan_tci_outer;
	d->tx_offload = s->tx_offload;
	d->hash = s->hash;
	d->packet_type = s->packet_type;
	memcpy(d->dynfield1, s->dynfield1, sizeof(d->dynfield1));
}

void
keel_pktmbuf_attach(struct keel_mbuf *mi, struct keel_mbuf *m)
{
	if (mi == NULL || m == NULL || mi == m || !KEEL_MBUF_DIRECT(mi) ||
	    keel_mbuf_refcnt_read(mi) != 1) {
		MBUF_LOG(ERR, "mbuf attach of %p to %p: %s", (void *)mi,
			 (void *)m, mi == NULL || m == NULL ? "NULL mbuf" :
			 mi == m ? "an mbuf to itself" :
			 "the new mbuf must be direct and held once");
		errno = EINVAL;
		return;
	}
	if (KEEL_MBUF_HAS_EXTBUF(m)) {
		keel_mbuf_ext_refcnt_update(m->shinfo, 1);
		mi->ol_flags = m->ol_flags;
		mi->shinfo = m->shinfo;
	} else {
		/* a clone of a clone points at the direct mbuf */
		keel_mbuf_refcnt_update(keel_mbuf_from_indirect(m), 1);
		mi->priv_size = m->priv_size;
		mi->ol_flags = m->ol_flags | KEEL_MBUF_F_INDIRECT;
	}
	copy_hdr(mi, m);
	mi->data_off = m->data_off;
	mi->data_len = m->data_len;
	mi->buf_iova = m->buf_iova;
	mi->buf_addr = m->buf_addr;
	mi->buf_len = m->buf_len;
	mi->next = NULL;
	mi->pkt_len = mi->data_len;
	mi->nb_segs = 1;
}

void
keel_pktmbuf_detach(struct keel_mbuf *m)
{
	struct keel_mempool *mp = m->pool;
	uint32_t mbuf_size;

	if (KEEL_MBUF_HAS_EXTBUF(m)) {
		struct keel_mbuf_ext_shared_info *shinfo = m->shinfo;

		if (keel_mbuf_ext_refcnt_update(shinfo, -1) == 0)
			shinfo->free_cb(m->buf_addr, shinfo->fcb_opaque);
	} else if (KEEL_MBUF_CLONED(m)) {
		struct keel_mbuf *md = keel_mbuf_from_indirect(m);

		if (keel_mbuf_refcnt_update(md, -1) == 0) {
			md->next = NULL;
			md->nb_segs = 1;
			keel_mbuf_refcnt_set(md, 1);
			keel_mbuf_raw_free(md);
		}
	}
	/* back to the embedded buffer */
	mbuf_size = (uint32_t)sizeof(*m) + keel_pktmbuf_priv_size(mp);
	m->priv_size = keel_pktmbuf_priv_size(mp);
	m->buf_addr = (char *)m + mbuf_size;
	m->buf_iova = keel_mempool_virt2iova(m) + mbuf_size;
	m->buf_len = keel_pktmbuf_data_room_size(mp);
	keel_pktmbuf_reset_headroom(m);
	m->data_len = 0;
	m->ol_flags = 0;
	m->shinfo = NULL;
}

struct keel_mbuf *
keel_pktmbuf_clone(struct keel_mbuf *md, struct keel_mempool *mp)
{
	struct keel_mbuf *mc, *mi, **prev;
	uint32_t pkt_len;
	uint16_t nseg = 0;

	if (md == NULL || mp == NULL) {
		MBUF_LOG(ERR, "mbuf clone: NULL %s", md == NULL ? "mbuf" : "pool");
		errno = EINVAL;
		return NULL;
	}
	mc = keel_pktmbuf_alloc(mp);
	if (mc == NULL) {
		errno = ENOENT;
		return NULL;
	}
	mi = mc;
	prev = &mi->next;
	pkt_len = md->pkt_len;
	do {
		nseg++;
		keel_pktmbuf_attach(mi, md);
		*prev = mi;
		prev = &mi->next;
	} while ((md = md->next) != NULL && (mi = keel_pktmbuf_alloc(mp)) != NULL);
	*prev = NULL;
	mc->nb_segs = nseg;
	mc->pkt_len = pkt_len;
	if (mi == NULL) {
		keel_pktmbuf_free(mc);
		errno = ENOENT;
		return NULL;
	}
	return mc;
}

struct keel_mbuf *
keel_pktmbuf_copy(const struct keel_mbuf *m, struct keel_mempool *mp,
		  uint32_t off, uint32_t len)
{
	struct keel_mbuf *mc, *last;
	const struct keel_mbuf *seg;
	uint32_t soff;

	if (m == NULL || mp == NULL || off > m->pkt_len ||
	    (off == m->pkt_len && m->pkt_len != 0)) {
		MBUF_LOG(ERR, "mbuf copy of %p at offset %u: %s", (const void *)m,
			 off, m == NULL || mp == NULL ? "NULL argument" :
			 "offset past the packet's end");
		errno = EINVAL;
		return NULL;
	}
	if (len > m->pkt_len - off)
		len = m->pkt_len - off;
	mc = keel_pktmbuf_alloc(mp);
	if (mc == NULL) {
		errno = ENOENT;
		return NULL;
	}
	copy_hdr(mc, m);
	mc->ol_flags = m->ol_flags & ~(KEEL_MBUF_F_INDIRECT | KEEL_MBUF_F_EXTERNAL);
	/* the segment holding off */
	for (seg = m, soff = off; soff >= seg->data_len && seg->next != NULL;
	     seg = seg->next)
		soff -= seg->data_len;
	last = mc;
	while (len > 0) {
		uint32_t n = seg->data_len - soff;

		if (n == 0) {
			seg = seg->next;
			soff = 0;
			if (seg == NULL) {
				MBUF_LOG(ERR, "mbuf copy of %p: pkt_len %u is more "
					 "than its segments hold", (const void *)m,
					 m->pkt_len);
				keel_pktmbuf_free(mc);
				errno = EINVAL;
				return NULL;
			}
			continue;
		}
		if (keel_pktmbuf_tailroom(last) == 0) {
			struct keel_mbuf *nm = keel_pktmbuf_alloc(mp);

			if (nm == NULL) {
				keel_pktmbuf_free(mc);
				errno = ENOENT;
				return NULL;
			}
			last->next = nm;
			last = nm;
			mc->nb_segs++;
		}
		if (n > keel_pktmbuf_tailroom(last))
			n = keel_pktmbuf_tailroom(last);
		if (n > len)
			n = len;
		memcpy(keel_pktmbuf_mtod_offset(last, char *, last->data_len),
		       keel_pktmbuf_mtod_offset(seg, const char *, soff), n);
		last->data_len = (uint16_t)(last->data_len + n);
		mc->pkt_len += n;
		soff += n;
		len -= n;
	}
	return mc;
}

int
keel_pktmbuf_linearize(struct keel_mbuf *m)
{
	struct keel_mbuf *seg, *next;
	char *dst;

	if (m == NULL) {
		MBUF_LOG(ERR, "mbuf linearize: NULL mbuf");
		return -EINVAL;
	}
	if (keel_pktmbuf_is_contiguous(m))
		return 0;
	if (KEEL_MBUF_CLONED(m) || keel_mbuf_refcnt_read(m) != 1 ||
	    (KEEL_MBUF_HAS_EXTBUF(m) && keel_mbuf_ext_refcnt_read(m->shinfo) != 1)) {
		MBUF_LOG(ERR, "mbuf linearize of %p: its first segment's buffer "
			 "is shared (clone, refcnt %u or shared external buffer)",
			 (void *)m, keel_mbuf_refcnt_read(m));
		return -EINVAL;
	}
	if (keel_pktmbuf_tailroom(m) < m->pkt_len - m->data_len)
		return -ENOSPC;
	dst = keel_pktmbuf_mtod_offset(m, char *, m->data_len);
	for (seg = m->next; seg != NULL; seg = next) {
		next = seg->next;
		memcpy(dst, keel_pktmbuf_mtod(seg, const char *), seg->data_len);
		dst += seg->data_len;
		keel_pktmbuf_free_seg(seg);
	}
	m->next = NULL;
	m->nb_segs = 1;
	m->data_len = (uint16_t)m->pkt_len;
	return 0;
}

const void *
keel_pktmbuf_read_(const struct keel_mbuf *m, uint32_t off, uint32_t len,
		   void *buf)
{
	const struct keel_mbuf *seg = m;
	char *out = buf;

	if ((uint64_t)off + len > m->pkt_len)
		return NULL;
	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	if (seg == NULL)
		return len == 0 ? buf : NULL;
	if (off + len <= seg->data_len)
		return keel_pktmbuf_mtod_offset(seg, const char *, off);
	while (len > 0 && seg != NULL) {
		uint32_t n = seg->data_len - off;

		if (n > len)
			n = len;
		memcpy(out, keel_pktmbuf_mtod_offset(seg, const char *, off), n);
		out += n;
		len -= n;
		off = 0;
		seg = seg->next;
	}
	return len == 0 ? buf : NULL;
}

struct keel_mbuf_ext_shared_info *
keel_pktmbuf_ext_shinfo_init_helper(void *buf_addr, uint16_t *buf_len,
				    keel_mbuf_extbuf_free_callback_t free_cb,
				    void *fcb_opaque)
{
	struct keel_mbuf_ext_shared_info *shinfo;
	uintptr_t end, at;

	if (buf_addr == NULL || buf_len == NULL || free_cb == NULL) {
		MBUF_LOG(ERR, "mbuf ext shinfo: NULL %s", buf_addr == NULL ?
			 "buffer" : buf_len == NULL ? "length" : "free callback");
		errno = EINVAL;
		return NULL;
	}
	end = (uintptr_t)buf_addr + *buf_len;
	at = (end - sizeof(*shinfo)) & ~(uintptr_t)7;
	if (*buf_len < sizeof(*shinfo) + 8 || at <= (uintptr_t)buf_addr) {
		MBUF_LOG(ERR, "mbuf ext shinfo: a %u-byte buffer has no room for"
			 " its %zu-byte shared info", *buf_len, sizeof(*shinfo));
		errno = EINVAL;
		return NULL;
	}
	shinfo = (struct keel_mbuf_ext_shared_info *)at;
	shinfo->free_cb = free_cb;
	shinfo->fcb_opaque = fcb_opaque;
	keel_mbuf_ext_refcnt_set(shinfo, 1);
	*buf_len = (uint16_t)(at - (uintptr_t)buf_addr);
	return shinfo;
}
