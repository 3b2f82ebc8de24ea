/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DMA path of the emulated IOMMU: per-thread IOTLB, translation,
 * in-flight holds, keel_emu_dma_read/_write/_zero and dma_map/dma_unmap.
 *
 * Each thread that does DMA gets one emu_tblock (allocated on its first
 * DMA, never on the fast path afterwards) with its IOTLB and its hold
 * slots; the blocks are on a list protected by emu_tb_lock, which only
 * unmappers (scanning holds), releases from another thread and thread
 * start/exit take. A thread that exits while it holds ranges leaves its
 * block listed, marked orphan (so the holds keep protecting their ranges);
 * the release of its last hold frees it. Invariant: every listed block
 * belongs to a live thread or holds a range. An IOTLB entry is
 * used only while its epoch equals its domain's seq; a hold slot is
 * published (state 1) before the translation that it protects is read.
 * Only the owning thread fills a slot (0 -> 1); any thread may release it
 * (1 -> 0). See emu_internal.h for why this is safe against unmap.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keel_log.h"
#include "emu_internal.h"

#define EMU_IOTLB_SIZE   128             /* entries, direct-mapped */
#define EMU_IOTLB_SHIFT  21              /* indexed by 2 MiB region */
#define EMU_RUN_MAX      64              /* leaves one IOTLB entry may join */
#define EMU_HOLD_COPY    KEEL_EMU_MAX_HOLDS  /* slot used by dma_read etc. */
#define EMU_COPY_CHUNKS  16

struct emu_hold {
	_Atomic uint32_t state;         /* 0 free, 1 held */
	_Atomic uint64_t dom_uid;
	_Atomic uint64_t first;
	_Atomic uint64_t last;
	struct keel_emu_domain *_Atomic dom;
	struct keel_emu_endpoint *_Atomic ep;
	_Atomic uintptr_t va;
	_Atomic uint64_t len;
};

struct emu_iotlb_ent {
	uint64_t dom_uid;               /* 0: empty */
	uint64_t epoch;
	uint64_t first;                 /* IOVA run [first, last] */
	uint64_t last;
	uintptr_t va;                   /* VA of first */
	uint32_t prot;                  /* KEEL_EMU_PROT_* */
};

struct emu_tblock {
	struct emu_hold hold[KEEL_EMU_MAX_HOLDS + 1];
	struct emu_iotlb_ent tlb[EMU_IOTLB_SIZE];
	struct emu_tblock *next;        /* under emu_tb_lock */
	bool orphan;                    /* its thread exited; under emu_tb_lock */
};

static pthread_mutex_t emu_tb_lock = PTHREAD_MUTEX_INITIALIZER;
static struct emu_tblock *emu_tb_head;
static pthread_key_t emu_tb_key;
static pthread_once_t emu_tb_once = PTHREAD_ONCE_INIT;
/* initial-exec: no __tls_get_addr call on the fast path */
static __thread struct emu_tblock *emu_tb
	__attribute__((tls_model("initial-exec")));

/* --------------------------------------------------------- thread blocks */

static bool
emu_tb_busy(struct emu_tblock *b)
{
	unsigned int i;

	for (i = 0; i <= KEEL_EMU_MAX_HOLDS; i++)
		if (atomic_load(&b->hold[i].state))
			return true;
	return false;
}

/* under emu_tb_lock: unlink b and free it, if it is listed */
static void
emu_tb_unlink(struct emu_tblock *b)
{
	struct emu_tblock **pp;

	for (pp = &emu_tb_head; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == b) {
			*pp = b->next;
			free(b);
			return;
		}
	}
}

static void
emu_tb_exit(void *arg)
{
	struct emu_tblock *b = arg;

	pthread_mutex_lock(&emu_tb_lock);
	/* a block that still holds ranges stays listed, so the holds keep
	 * protecting them; whoever releases the last one frees it */
	if (emu_tb_busy(b))
		b->orphan = true;
	else
		emu_tb_unlink(b);
	pthread_mutex_unlock(&emu_tb_lock);
	emu_tb = NULL;
}

/* after a release from another thread: free b if its thread is gone and
 * it holds nothing now (b may be gone already: look it up) */
static void
emu_tb_reap(struct emu_tblock *b)
{
	struct emu_tblock *x;

	pthread_mutex_lock(&emu_tb_lock);
	for (x = emu_tb_head; x != NULL; x = x->next)
		if (x == b)
			break;
	if (x != NULL && x->orphan && !emu_tb_busy(x))
		emu_tb_unlink(x);
	pthread_mutex_unlock(&emu_tb_lock);
}

uint64_t
emu_tb_count(void)
{
	struct emu_tblock *b;
	uint64_t n = 0;

	pthread_mutex_lock(&emu_tb_lock);
	for (b = emu_tb_head; b != NULL; b = b->next)
		n++;
	pthread_mutex_unlock(&emu_tb_lock);
	return n;
}

static void
emu_tb_key_init(void)
{
	pthread_key_create(&emu_tb_key, emu_tb_exit);
}

static struct emu_tblock *
emu_tb_new(void)
{
	struct emu_tblock *b;

	pthread_once(&emu_tb_once, emu_tb_key_init);
	b = calloc(1, sizeof(*b));
	if (b == NULL) {
		KEEL_LOG(ERR, emu_logtype, "emu: no memory for a thread's IOTLB");
		return NULL;
	}
	pthread_mutex_lock(&emu_tb_lock);
	b->next = emu_tb_head;
	emu_tb_head = b;
	pthread_mutex_unlock(&emu_tb_lock);
	pthread_setspecific(emu_tb_key, b);
	emu_tb = b;
	return b;
}

static inline struct emu_tblock *
emu_tb_get(void)
{
	struct emu_tblock *b = emu_tb;

	if (__builtin_expect(b != NULL, 1))
		return b;
	return emu_tb_new();
}

static bool
emu_hold_match(struct emu_hold *h, uint64_t uid,
	       const struct keel_emu_endpoint *ep, uint64_t first,
	       uint64_t last)
{
	if (atomic_load_explicit(&h->state, memory_order_acquire) != 1)
		return false;
	if (uid != 0 && atomic_load_explicit(&h->dom_uid,
					     memory_order_relaxed) != uid)
		return false;
	if (ep != NULL && atomic_load_explicit(&h->ep, memory_order_relaxed) != ep)
		return false;
	return atomic_load_explicit(&h->first, memory_order_relaxed) <= last &&
	       atomic_load_explicit(&h->last, memory_order_relaxed) >= first;
}

bool
emu_holds_overlap(const struct keel_emu_domain *d,
		  const struct keel_emu_endpoint *ep, uint64_t first,
		  uint64_t last)
{
	struct emu_tblock *b;
	bool found = false;
	unsigned int i;

	pthread_mutex_lock(&emu_tb_lock);
	for (b = emu_tb_head; b != NULL && !found; b = b->next)
		for (i = 0; i <= KEEL_EMU_MAX_HOLDS && !found; i++)
			found = emu_hold_match(&b->hold[i],
					       d != NULL ? d->uid : 0, ep,
					       first, last);
	pthread_mutex_unlock(&emu_tb_lock);
	return found;
}

bool
emu_ep_has_holds(const struct keel_emu_endpoint *ep)
{
	return emu_holds_overlap(NULL, ep, 0, UINT64_MAX);
}

/* ----------------------------------------------------------------- holds */

static inline void
emu_hold_publish(struct emu_hold *h, struct keel_emu_domain *d,
		 struct keel_emu_endpoint *ep, uint64_t first, uint64_t last)
{
	/* the slot is free (state 0), so nobody reads these now; a slot is
	 * usually reused for the same endpoint: skip unchanged stores */
	if (atomic_load_explicit(&h->ep, memory_order_relaxed) != ep ||
	    atomic_load_explicit(&h->dom_uid, memory_order_relaxed) != d->uid) {
		atomic_store_explicit(&h->dom_uid, d->uid, memory_order_relaxed);
		atomic_store_explicit(&h->dom, d, memory_order_relaxed);
		atomic_store_explicit(&h->ep, ep, memory_order_relaxed);
	}
	atomic_store_explicit(&h->first, first, memory_order_relaxed);
	atomic_store_explicit(&h->last, last, memory_order_relaxed);
	atomic_store_explicit(&h->state, 1, memory_order_release);
	keel_fence_light();
}

static void
emu_release_slow(struct keel_emu_domain *d)
{
	struct keel_emu_range r = { 0, 0 };
	bool fire = false;

	pthread_mutex_lock(&d->wait_lock);
	pthread_cond_broadcast(&d->wait_cond);
	if (atomic_load(&d->busy_pending)) {
		keel_fence_heavy();
		if (!emu_holds_overlap(d, NULL, d->busy_range.first,
				       d->busy_range.last)) {
			atomic_store(&d->busy_pending, 0);
			r = d->busy_range;
			fire = true;
		}
	}
	pthread_mutex_unlock(&d->wait_lock);
	if (fire && d->cfg.release_cb != NULL)
		d->cfg.release_cb(d, r.first, r.last - r.first + 1,
				  d->cfg.release_cb_arg);
}

static inline void
emu_hold_release(struct emu_hold *h, struct keel_emu_domain *d)
{
	atomic_store_explicit(&h->state, 0, memory_order_release);
	keel_fence_light();
	if (__builtin_expect(atomic_load_explicit(&d->n_waiters,
						  memory_order_relaxed) != 0 ||
			     atomic_load_explicit(&d->busy_pending,
						  memory_order_relaxed) != 0, 0))
		emu_release_slow(d);
}

/* ----------------------------------------------------------- translation */

/* IOTLB miss: walk under the read lock and fill the entry */
static int
emu_xlate_miss(struct keel_emu_domain *d, struct emu_iotlb_ent *e,
	       uint64_t iova, uint64_t len, uint32_t need,
	       enum keel_emu_fault_reason *why)
{
	uint64_t want_last, run_last, va, aw_last;
	struct emu_leaf l, n;
	uint32_t prot;
	unsigned int cnt = 1;

	if (iova >> d->cfg.addr_width) {
		*why = KEEL_EMU_FAULT_OUT_OF_RANGE;
		return -EFAULT;
	}
	aw_last = (1ULL << d->cfg.addr_width) - 1;
	want_last = len - 1 > aw_last - iova ? aw_last : iova + (len - 1);
	pthread_rwlock_rdlock(&d->lock);
	if (!emu_pt_lookup(&d->pt, iova, &l)) {
		pthread_rwlock_unlock(&d->lock);
		*why = KEEL_EMU_FAULT_NOT_MAPPED;
		return -EFAULT;
	}
	prot = (uint32_t)(l.pte >> 1) & 3;
	if ((prot & need) != need) {
		pthread_rwlock_unlock(&d->lock);
		*why = KEEL_EMU_FAULT_PERMISSION;
		return -EFAULT;
	}
	va = l.pte & EMU_PTE_ADDR;
	run_last = l.base + (l.size - 1);
	/* join following leaves that continue the VA with the same prot:
	 * up to the end of the access, else to the end of the 2 MiB region */
	while (cnt < EMU_RUN_MAX && run_last < aw_last) {
		uint64_t next = run_last + 1;

		if (next > want_last &&
		    (next & ((1ULL << EMU_IOTLB_SHIFT) - 1)) == 0)
			break;
		if (!emu_pt_lookup(&d->pt, next, &n) ||
		    (n.pte & EMU_PTE_ADDR) != va + (next - l.base) ||
		    ((uint32_t)(n.pte >> 1) & 3) != prot)
			break;
		run_last = n.base + (n.size - 1);
		cnt++;
	}
	e->dom_uid = d->uid;
	e->epoch = atomic_load_explicit(&d->seq, memory_order_relaxed);
	e->first = l.base;
	e->last = run_last;
	e->va = (uintptr_t)va;
	e->prot = prot;
	pthread_rwlock_unlock(&d->lock);
	return 0;
}

static inline int
emu_xlate(struct keel_emu_domain *d, struct emu_tblock *tb, uint64_t iova,
	  uint64_t len, uint32_t need, uintptr_t *va, uint64_t *plen,
	  enum keel_emu_fault_reason *why)
{
	uint64_t s = atomic_load_explicit(&d->seq, memory_order_acquire);
	struct emu_iotlb_ent *e =
		&tb->tlb[(iova >> EMU_IOTLB_SHIFT) & (EMU_IOTLB_SIZE - 1)];
	uint64_t avail;

	if (__builtin_expect(!(e->dom_uid == d->uid && e->epoch == s &&
			       iova - e->first <= e->last - e->first &&
			       (e->prot & need) == need), 0)) {
		int ret = emu_xlate_miss(d, e, iova, len, need, why);

		if (ret < 0)
			return ret;
	}
	*va = e->va + (uintptr_t)(iova - e->first);
	avail = e->last - iova + 1; /* 0 means 2^64 */
	*plen = (avail == 0 || avail > len) ? len : avail;
	return 0;
}

static inline int
emu_dma_args(const char *what, struct keel_emu_endpoint *ep, uint64_t iova,
	     uint64_t len, enum keel_emu_dma_dir dir)
{
	if (ep == NULL) {
		KEEL_LOG(ERR, emu_logtype, "emu %s: NULL endpoint", what);
		errno = EINVAL;
		return -EINVAL;
	}
	if (len == 0 || iova + (len - 1) < iova) {
		KEEL_LOG(ERR, emu_logtype, "emu %s: endpoint %u: bad length 0x%"
			 PRIx64 " at iova 0x%" PRIx64, what, ep->id, len, iova);
		errno = EINVAL;
		return -EINVAL;
	}
	if (dir < KEEL_EMU_DMA_TO_DEVICE || dir > KEEL_EMU_DMA_BIDIRECTIONAL) {
		KEEL_LOG(ERR, emu_logtype, "emu %s: endpoint %u: bad direction %d",
			 what, ep->id, (int)dir);
		errno = EINVAL;
		return -EINVAL;
	}
	return 0;
}

static int
emu_fault(struct keel_emu_endpoint *ep, struct keel_emu_domain *d,
	  uint64_t iova, uint64_t len, enum keel_emu_dma_dir dir,
	  enum keel_emu_fault_reason why)
{
	emu_fault_record(ep, d, iova, len, dir, why);
	errno = EFAULT;
	return -EFAULT;
}

int
keel_emu_translate(struct keel_emu_endpoint *ep, uint64_t iova, uint64_t len,
		   enum keel_emu_dma_dir dir, void **va, uint64_t *plen)
{
	enum keel_emu_fault_reason why = KEEL_EMU_FAULT_NOT_MAPPED;
	struct keel_emu_domain *d;
	struct emu_tblock *tb;
	uintptr_t v;
	int ret;

	ret = emu_dma_args("translate", ep, iova, len, dir);
	if (ret < 0)
		return ret;
	if (va == NULL || plen == NULL) {
		KEEL_LOG(ERR, emu_logtype, "emu translate: NULL output");
		errno = EINVAL;
		return -EINVAL;
	}
	d = atomic_load_explicit(&ep->domain, memory_order_relaxed);
	if (d == NULL)
		return emu_fault(ep, NULL, iova, len, dir,
				 KEEL_EMU_FAULT_NO_DOMAIN);
	tb = emu_tb_get();
	if (tb == NULL) {
		errno = ENOMEM;
		return -ENOMEM;
	}
	if (emu_xlate(d, tb, iova, len, (uint32_t)dir, &v, plen, &why) < 0)
		return emu_fault(ep, d, iova, len, dir, why);
	*va = (void *)v;
	return 0;
}

/* ------------------------------------------------------ copies, dma_map */

static inline __attribute__((always_inline)) int
emu_dma_copy(const char *what, struct keel_emu_endpoint *ep, uint64_t iova,
	     uint8_t *buf, uint64_t len, enum emu_copy_op op)
{
	enum keel_emu_dma_dir dir = op == EMU_COPY_READ ?
		KEEL_EMU_DMA_TO_DEVICE : KEEL_EMU_DMA_FROM_DEVICE;
	enum keel_emu_fault_reason why = KEEL_EMU_FAULT_NOT_MAPPED;
	struct { uintptr_t va; uint64_t len; } chunk[EMU_COPY_CHUNKS];
	unsigned int n_chunks = 0, i;
	struct keel_emu_domain *d;
	struct emu_tblock *tb;
	struct emu_hold *h;
	uint64_t off, plen, bad = 0;
	uintptr_t va;
	int ret;

	ret = emu_dma_args(what, ep, iova, len, dir);
	if (ret < 0)
		return ret;
	if (buf == NULL && op != EMU_COPY_ZERO) {
		KEEL_LOG(ERR, emu_logtype, "emu %s: endpoint %u: NULL buffer",
			 what, ep->id);
		errno = EINVAL;
		return -EINVAL;
	}
	d = atomic_load_explicit(&ep->domain, memory_order_relaxed);
	if (d == NULL)
		return emu_fault(ep, NULL, iova, len, dir,
				 KEEL_EMU_FAULT_NO_DOMAIN);
	tb = emu_tb_get();
	if (tb == NULL) {
		errno = ENOMEM;
		return -ENOMEM;
	}
	h = &tb->hold[EMU_HOLD_COPY];
	emu_hold_publish(h, d, ep, iova, iova + (len - 1));
	if (emu_xlate(d, tb, iova, len, (uint32_t)dir, &va, &plen, &why) < 0)
		goto fault_first;
	if (__builtin_expect(plen == len, 1)) {
		ret = emu_copy_guarded(op, va, buf, len, &bad);
		emu_hold_release(h, d);
		if (__builtin_expect(ret < 0, 0))
			return emu_fault(ep, d, iova + bad, len - bad, dir,
					 KEEL_EMU_FAULT_BUS_ERROR);
		return 0;
	}
	/* several pages: check every byte before touching any */
	chunk[n_chunks].va = va;
	chunk[n_chunks++].len = plen;
	for (off = plen; off < len; off += plen) {
		if (emu_xlate(d, tb, iova + off, len - off, (uint32_t)dir, &va,
			      &plen, &why) < 0) {
			emu_hold_release(h, d);
			return emu_fault(ep, d, iova + off, len - off, dir, why);
		}
		if (n_chunks < EMU_COPY_CHUNKS) {
			chunk[n_chunks].va = va;
			chunk[n_chunks++].len = plen;
		}
	}
	/* held since before the translations, so they stay right */
	off = 0;
	for (i = 0; i < n_chunks; i++) {
		if (emu_copy_guarded(op, chunk[i].va, buf != NULL ? buf + off :
				     NULL, chunk[i].len, &bad) < 0)
			goto bus_error;
		off += chunk[i].len;
	}
	/* beyond the saved chunks: translate again (a racing unmap in wait
	 * mode may make this fault after some bytes were copied) */
	for (; off < len; off += plen) {
		if (emu_xlate(d, tb, iova + off, len - off, (uint32_t)dir, &va,
			      &plen, &why) < 0) {
			emu_hold_release(h, d);
			return emu_fault(ep, d, iova + off, len - off, dir, why);
		}
		if (emu_copy_guarded(op, va, buf != NULL ? buf + off : NULL,
				     plen, &bad) < 0)
			goto bus_error;
	}
	emu_hold_release(h, d);
	return 0;

bus_error:
	/* the memory behind the IOVA went away after the map */
	emu_hold_release(h, d);
	return emu_fault(ep, d, iova + off + bad, len - off - bad, dir,
			 KEEL_EMU_FAULT_BUS_ERROR);

fault_first:
	emu_hold_release(h, d);
	return emu_fault(ep, d, iova, len, dir, why);
}

int
keel_emu_dma_read(struct keel_emu_endpoint *ep, uint64_t iova, void *buf,
		  uint64_t len)
{
	return emu_dma_copy("dma_read", ep, iova, buf, len, EMU_COPY_READ);
}

int
keel_emu_dma_write(struct keel_emu_endpoint *ep, uint64_t iova,
		   const void *buf, uint64_t len)
{
	return emu_dma_copy("dma_write", ep, iova, (uint8_t *)(uintptr_t)buf,
			    len, EMU_COPY_WRITE);
}

int
keel_emu_dma_zero(struct keel_emu_endpoint *ep, uint64_t iova, uint64_t len)
{
	return emu_dma_copy("dma_zero", ep, iova, NULL, len, EMU_COPY_ZERO);
}

void *
keel_emu_dma_map(struct keel_emu_endpoint *ep, uint64_t iova, uint64_t *len,
		 enum keel_emu_dma_dir dir)
{
	enum keel_emu_fault_reason why = KEEL_EMU_FAULT_NOT_MAPPED;
	struct keel_emu_domain *d;
	struct emu_tblock *tb;
	struct emu_hold *h = NULL;
	uint64_t plen;
	uintptr_t va;
	unsigned int i;

	if (len == NULL) {
		KEEL_LOG(ERR, emu_logtype, "emu dma_map: NULL length");
		errno = EINVAL;
		return NULL;
	}
	if (emu_dma_args("dma_map", ep, iova, *len, dir) < 0)
		return NULL;
	d = atomic_load_explicit(&ep->domain, memory_order_relaxed);
	if (d == NULL) {
		emu_fault(ep, NULL, iova, *len, dir, KEEL_EMU_FAULT_NO_DOMAIN);
		return NULL;
	}
	tb = emu_tb_get();
	if (tb == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < KEEL_EMU_MAX_HOLDS; i++) {
		if (atomic_load_explicit(&tb->hold[i].state,
					 memory_order_relaxed) == 0) {
			h = &tb->hold[i];
			break;
		}
	}
	if (h == NULL) {
		KEEL_LOG(ERR, emu_logtype, "emu dma_map: endpoint %u iova 0x%"
			 PRIx64 ": this thread holds %d ranges already",
			 ep->id, iova, KEEL_EMU_MAX_HOLDS);
		errno = ENOSPC;
		return NULL;
	}
	emu_hold_publish(h, d, ep, iova, iova + (*len - 1));
	if (emu_xlate(d, tb, iova, *len, (uint32_t)dir, &va, &plen, &why) < 0) {
		emu_hold_release(h, d);
		emu_fault(ep, d, iova, *len, dir, why);
		return NULL;
	}
	/* shrinking a held range is always safe */
	atomic_store_explicit(&h->last, iova + (plen - 1), memory_order_relaxed);
	atomic_store_explicit(&h->va, va, memory_order_relaxed);
	atomic_store_explicit(&h->len, plen, memory_order_relaxed);
	*len = plen;
	return (void *)va;
}

static bool
emu_hold_is(struct emu_hold *h, const struct keel_emu_endpoint *ep,
	    uintptr_t va, uint64_t len)
{
	return atomic_load_explicit(&h->state, memory_order_acquire) == 1 &&
	       atomic_load_explicit(&h->ep, memory_order_relaxed) == ep &&
	       atomic_load_explicit(&h->va, memory_order_relaxed) == va &&
	       atomic_load_explicit(&h->len, memory_order_relaxed) == len;
}

int
keel_emu_dma_unmap(struct keel_emu_endpoint *ep, void *va, uint64_t len)
{
	struct emu_tblock *tb = emu_tb, *b, *owner = NULL;
	struct emu_hold *h = NULL;
	unsigned int i;

	if (ep == NULL || va == NULL) {
		KEEL_LOG(ERR, emu_logtype, "emu dma_unmap: NULL %s",
			 ep == NULL ? "endpoint" : "va");
		errno = EINVAL;
		return -EINVAL;
	}
	if (tb != NULL)
		for (i = 0; i < KEEL_EMU_MAX_HOLDS && h == NULL; i++)
			if (emu_hold_is(&tb->hold[i], ep, (uintptr_t)va, len))
				h = &tb->hold[i];
	if (h == NULL) {
		/* released by another thread than the one that mapped */
		pthread_mutex_lock(&emu_tb_lock);
		for (b = emu_tb_head; b != NULL && h == NULL; b = b->next)
			for (i = 0; i < KEEL_EMU_MAX_HOLDS && h == NULL; i++)
				if (emu_hold_is(&b->hold[i], ep,
						(uintptr_t)va, len)) {
					h = &b->hold[i];
					owner = b;
				}
		pthread_mutex_unlock(&emu_tb_lock);
	}
	if (h == NULL) {
		KEEL_LOG(ERR, emu_logtype, "emu dma_unmap: endpoint %u holds no "
			 "range at va %p len 0x%" PRIx64, ep->id, va, len);
		errno = EINVAL;
		return -EINVAL;
	}
	emu_hold_release(h, atomic_load_explicit(&h->dom,
						 memory_order_relaxed));
	if (owner != NULL)
		emu_tb_reap(owner);
	return 0;
}

int
keel_emu_dma_copy(struct keel_emu_endpoint *ep, void *dst, uint64_t dst_iova,
		  const void *src, uint64_t src_iova, uint64_t len)
{
	struct keel_emu_domain *d;
	uintptr_t bad;
	uint64_t off;

	if (ep == NULL || dst == NULL || src == NULL) {
		KEEL_LOG(ERR, emu_logtype, "emu dma_copy: NULL %s",
			 ep == NULL ? "endpoint" : dst == NULL ? "dst" : "src");
		errno = EINVAL;
		return -EINVAL;
	}
	if (len == 0)
		return 0;
	if (__builtin_expect(emu_copy2_guarded(dst, src, len, &bad) == 0, 1))
		return 0;
	/* the memory behind one side went away after its map */
	d = atomic_load_explicit(&ep->domain, memory_order_relaxed);
	off = (uint64_t)(bad - (uintptr_t)dst);
	if (off < len)
		return emu_fault(ep, d, dst_iova + off, len - off,
				 KEEL_EMU_DMA_FROM_DEVICE,
				 KEEL_EMU_FAULT_BUS_ERROR);
	off = (uint64_t)(bad - (uintptr_t)src);
	return emu_fault(ep, d, src_iova + off, len - off,
			 KEEL_EMU_DMA_TO_DEVICE, KEEL_EMU_FAULT_BUS_ERROR);
}

int
keel_emu_dma_guarded(struct keel_emu_endpoint *ep, void *dst,
		     uint64_t dst_iova, uint64_t len, keel_emu_dma_op_t op,
		     void *arg)
{
	uintptr_t bad;

	if (ep == NULL || dst == NULL || op == NULL) {
		KEEL_LOG(ERR, emu_logtype, "emu dma_guarded: NULL %s",
			 ep == NULL ? "endpoint" : dst == NULL ? "dst" : "op");
		errno = EINVAL;
		return -EINVAL;
	}
	if (len == 0)
		return 0;
	if (__builtin_expect(emu_op_guarded(dst, len, op, arg, &bad) == 0, 1))
		return 0;
	return emu_fault(ep, atomic_load_explicit(&ep->domain,
						  memory_order_relaxed),
			 dst_iova + (uint64_t)(bad - (uintptr_t)dst),
			 len - (uint64_t)(bad - (uintptr_t)dst),
			 KEEL_EMU_DMA_FROM_DEVICE, KEEL_EMU_FAULT_BUS_ERROR);
}
