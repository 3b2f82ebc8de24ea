/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dma_soft's engine: IOVA translation (emulated IOMMU holds, the
 * container's table, or identity) and the ops run in ring order (runs of
 * back-to-back copies under one hold, fences, reorder=1 for tests), with
 * the status of each op written before done is published. See soft.c for
 * the ring protocol; the engine is the only writer of done and statuses.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keel_dmadev.h"
#include "keel_dmadev_pmd.h"
#include "keel_eal.h"
#include "keel_emu_iommu.h"
#include "keel_iommu.h"
#include "keel_kvargs.h"
#include "keel_log.h"
#include "keel_vdev.h"

#include "soft_internal.h"

/* ------------------------------------------------------------ translation */

/*
 * Map a piece of [iova, iova + *len) for the engine: returns its VA and
 * sets *len to the bytes contiguous there (> 0), or NULL on a fault.
 */
static inline void *
xl_map(struct soft_dev *sd, uint64_t iova, uint64_t *len, int write)
{
	/* beyond the DMA mask: the device cannot emit the address */
	if (sd->dma_end != 0) {
		if (iova >= sd->dma_end)
			return NULL;
		if (*len > sd->dma_end - iova)
			*len = sd->dma_end - iova;
	}
	switch (sd->xl) {
	case XL_IDENTITY:
		if (iova < 4096 || iova + *len < iova)
			return NULL;
		return (void *)(uintptr_t)iova;
	case XL_EMU:
		return keel_emu_dma_map(sd->ep, iova, len,
					write ? KEEL_EMU_DMA_FROM_DEVICE :
						KEEL_EMU_DMA_TO_DEVICE);
	case XL_TABLE: {
		struct keel_iommu_mapping m;
		uint64_t avail;

		if (keel_iommu_lookup_iova(sd->cont, iova, &m) < 0)
			return NULL;
		avail = m.iova + m.len - iova;
		if (*len > avail)
			*len = avail;
		return (void *)(uintptr_t)(m.va + (iova - m.iova));
	}
	}
	return NULL;
}

static inline void
xl_unmap(struct soft_dev *sd, void *va, uint64_t len)
{
	if (sd->xl == XL_EMU)
		keel_emu_dma_unmap(sd->ep, va, len);
}

/* 0 when all of [iova, iova + len) translates for the access, else -1. */
static int
xl_check(struct soft_dev *sd, uint64_t iova, uint64_t len, int write)
{
	while (len > 0) {
		uint64_t l = len;
		void *va;

		if (sd->dma_end != 0 && (iova >= sd->dma_end ||
					 len > sd->dma_end - iova))
			return -1;
		if (sd->xl == XL_EMU) {
			if (keel_emu_translate(sd->ep, iova, len,
					       write ? KEEL_EMU_DMA_FROM_DEVICE :
						       KEEL_EMU_DMA_TO_DEVICE,
					       &va, &l) < 0)
				return -1;
		} else if (xl_map(sd, iova, &l, write) == NULL) {
			return -1;
		}
		iova += l;
		len -= l;
	}
	return 0;
}

/* ------------------------------------------------------------------ engine */

static inline void
copy_bytes(void *d, const void *s, uint64_t n)
{
	if ((const char *)d < (const char *)s + n &&
	    (const char *)s < (const char *)d + n)
		memmove(d, s, n);
	else
		memcpy(d, s, n);
}

/* Byte i of the op gets byte (i % 8) of the little-endian pattern. */
static void
fill_bytes(uint8_t *d, uint64_t n, uint64_t pattern, uint64_t off)
{
	uint8_t pb[8];
	uint64_t i = 0;

	for (int k = 0; k < 8; k++)
		pb[k] = (uint8_t)(pattern >> (8 * k));
	if (pattern == 0x0101010101010101ull * pb[0]) {
		memset(d, pb[0], n);
		return;
	}
	for (; i < n && ((off + i) & 7) != 0; i++)
		d[i] = pb[(off + i) & 7];
	for (; i + 8 <= n; i += 8)
		memcpy(d + i, pb, 8);
	for (; i < n; i++)
		d[i] = pb[(off + i) & 7];
}

/* A copy whose source and destination are mapped (held) whole. */
struct soft_held {
	void *s;
	void *d;
	uint64_t len;
	uint64_t sl;    /* a run: lengths its maps gave (>= len) */
	uint64_t dl;
	uint64_t si;    /* IOVAs of s and d (for a bus error's record) */
	uint64_t di;
};

/*
 * Copy between held ranges. Behind the emulated IOMMU the memory may have
 * been unmapped in the process since the map: keel_emu_dma_copy() turns
 * that into a recorded bus-error fault (-1 here) instead of a crash.
 */
static inline int
soft_copy(struct soft_dev *sd, void *d, uint64_t di, const void *s,
	  uint64_t si, uint64_t n)
{
	if (sd->xl == XL_EMU)
		return keel_emu_dma_copy(sd->ep, d, di, s, si, n) < 0 ? -1 : 0;
	copy_bytes(d, s, n);
	return 0;
}

/* What mapping an op before running it gave. */
enum soft_pre {
	PRE_HELD = 1,   /* mapped whole: copy_held() runs and releases it */
	PRE_DONE,       /* faulted: its status is final, nothing held */
	PRE_SPLIT,      /* nothing held, nothing recorded: run it piecewise */
};

/*
 * Map [src, src + len) for reading and [dst, dst + len) for writing, each
 * in one piece. On a fault the status is set (the fault is recorded once,
 * here) and nothing stays held; when a side is only partly contiguous
 * nothing is held or recorded.
 */
static inline enum soft_pre
map_whole(struct soft_dev *sd, uint64_t src, uint64_t dst, uint64_t len,
	  struct soft_held *h, uint16_t *st)
{
	uint64_t sl = len, dl = len;

	h->s = xl_map(sd, src, &sl, 0);
	if (h->s == NULL) {
		*st = KEEL_DMA_STATUS_INVALID_SRC_ADDR;
		return PRE_DONE;
	}
	h->d = xl_map(sd, dst, &dl, 1);
	if (h->d == NULL) {
		xl_unmap(sd, h->s, sl);
		*st = KEEL_DMA_STATUS_INVALID_DST_ADDR;
		return PRE_DONE;
	}
	if (sl != len || dl != len) {
		xl_unmap(sd, h->d, dl);
		xl_unmap(sd, h->s, sl);
		return PRE_SPLIT;
	}
	h->len = len;
	h->si = src;
	h->di = dst;
	return PRE_HELD;
}

/* Copy a held op, release it; @return its status. */
static inline uint16_t
copy_held(struct soft_dev *sd, const struct soft_held *h)
{
	int ret = soft_copy(sd, h->d, h->di, h->s, h->si, h->len);

	xl_unmap(sd, h->d, h->len);
	xl_unmap(sd, h->s, h->len);
	return ret < 0 ? KEEL_DMA_STATUS_BUS_ERROR :
			 KEEL_DMA_STATUS_SUCCESSFUL;
}

/*
 * Copy the bytes of src[] to dst[] (equal totals). First try the case of
 * one piece each that maps whole; otherwise check every byte translates
 * before writing any, then copy piece by piece.
 */
static uint16_t
run_copy(struct soft_dev *sd, const struct keel_dma_sge *src, unsigned int ns,
	 const struct keel_dma_sge *dst, unsigned int nd, uint64_t total)
{
	unsigned int si = 0, di = 0;
	uint64_t soff = 0, doff = 0;

	if (ns == 1 && nd == 1) {
		struct soft_held h;
		uint16_t st;

		switch (map_whole(sd, src[0].addr, dst[0].addr, total, &h,
				  &st)) {
		case PRE_HELD:
			return copy_held(sd, &h);
		case PRE_DONE:
			return st;
		default:
			break;
		}
	}
	for (unsigned int i = 0; i < ns; i++)
		if (xl_check(sd, src[i].addr, src[i].length, 0) < 0)
			return KEEL_DMA_STATUS_INVALID_SRC_ADDR;
	for (unsigned int i = 0; i < nd; i++)
		if (xl_check(sd, dst[i].addr, dst[i].length, 1) < 0)
			return KEEL_DMA_STATUS_INVALID_DST_ADDR;
	while (total > 0) {
		uint64_t sl = src[si].length - soff, dl = dst[di].length - doff;
		uint64_t n;
		void *s, *d;

		/* only a concurrent IOMMU unmap can make these fail now */
		s = xl_map(sd, src[si].addr + soff, &sl, 0);
		if (s == NULL)
			return KEEL_DMA_STATUS_BUS_READ_ERROR;
		d = xl_map(sd, dst[di].addr + doff, &dl, 1);
		if (d == NULL) {
			xl_unmap(sd, s, sl);
			return KEEL_DMA_STATUS_BUS_WRITE_ERROR;
		}
		n = sl < dl ? sl : dl;
		if (soft_copy(sd, d, dst[di].addr + doff, s,
			      src[si].addr + soff, n) < 0) {
			xl_unmap(sd, d, dl);
			xl_unmap(sd, s, sl);
			return KEEL_DMA_STATUS_BUS_ERROR;
		}
		xl_unmap(sd, d, dl);
		xl_unmap(sd, s, sl);
		total -= n;
		soff += n;
		doff += n;
		if (soff == src[si].length) {
			si++;
			soff = 0;
		}
		if (doff == dst[di].length) {
			di++;
			doff = 0;
		}
	}
	return KEEL_DMA_STATUS_SUCCESSFUL;
}

/* A piece of a fill: its pattern and the op's offset where it starts. */
struct soft_fill_piece {
	uint64_t pattern;
	uint64_t off;
};

static void
fill_piece(void *d, uint64_t n, void *arg)
{
	const struct soft_fill_piece *p = arg;

	fill_bytes(d, n, p->pattern, p->off);
}

/*
 * Fill a held piece at IOVA @p di. Behind the emulated IOMMU the memory may
 * have been unmapped in the process since the map: keel_emu_dma_guarded()
 * turns that into a recorded bus-error fault (-1 here), as for copies.
 */
static inline int
soft_fill_held(struct soft_dev *sd, void *d, uint64_t di, uint64_t n,
	       uint64_t pattern, uint64_t off)
{
	struct soft_fill_piece p = { .pattern = pattern, .off = off };

	if (sd->xl == XL_EMU)
		return keel_emu_dma_guarded(sd->ep, d, di, n, fill_piece,
					    &p) < 0 ? -1 : 0;
	fill_bytes(d, n, pattern, off);
	return 0;
}

static uint16_t
run_fill(struct soft_dev *sd, uint64_t pattern, uint64_t dst, uint64_t len)
{
	uint64_t off = 0, l = len;
	void *d;
	int ret;

	d = xl_map(sd, dst, &l, 1);
	if (d == NULL)
		return KEEL_DMA_STATUS_INVALID_DST_ADDR;
	if (l == len) {
		ret = soft_fill_held(sd, d, dst, len, pattern, 0);
		xl_unmap(sd, d, l);
		return ret < 0 ? KEEL_DMA_STATUS_BUS_ERROR :
				 KEEL_DMA_STATUS_SUCCESSFUL;
	}
	xl_unmap(sd, d, l);
	if (xl_check(sd, dst, len, 1) < 0)
		return KEEL_DMA_STATUS_INVALID_DST_ADDR;
	while (off < len) {
		l = len - off;
		d = xl_map(sd, dst + off, &l, 1);
		if (d == NULL)
			return KEEL_DMA_STATUS_BUS_WRITE_ERROR;
		ret = soft_fill_held(sd, d, dst + off, l, pattern, off);
		xl_unmap(sd, d, l);
		if (ret < 0)
			return KEEL_DMA_STATUS_BUS_ERROR;
		off += l;
	}
	return KEEL_DMA_STATUS_SUCCESSFUL;
}

static void
run_op(struct soft_dev *sd, struct soft_vchan *v, uint64_t i)
{
	const struct soft_desc *d = &v->ring[i & v->mask];
	struct keel_dma_sge s, t;
	const struct keel_dma_sge *sg;
	uint16_t st;

	switch (d->op) {
	case SOFT_OP_COPY:
		s.addr = d->src;
		s.length = d->len;
		t.addr = d->dst;
		t.length = d->len;
		st = run_copy(sd, &s, 1, &t, 1, d->len);
		break;
	case SOFT_OP_COPY_SG:
		sg = &v->sg[(i & v->mask) * 2 * SOFT_MAX_SGES];
		st = run_copy(sd, sg, d->nb_src, sg + SOFT_MAX_SGES, d->nb_dst,
			      d->len);
		break;
	case SOFT_OP_FILL:
		st = run_fill(sd, d->src, d->dst, d->len);
		break;
	default:
		st = KEEL_DMA_STATUS_INVALID_OPCODE;
	}
	v->status[i & v->mask] = st;
}

/* Map op i before running it when it is a plain copy (see soft_pre). */
static inline enum soft_pre
pre_map(struct soft_dev *sd, struct soft_vchan *v, uint64_t i,
	struct soft_held *h)
{
	const struct soft_desc *d = &v->ring[i & v->mask];
	enum soft_pre r;
	uint16_t st;

	if (d->op != SOFT_OP_COPY)
		return PRE_SPLIT;
	r = map_whole(sd, d->src, d->dst, d->len, h, &st);
	if (r == PRE_DONE)
		v->status[i & v->mask] = st;
	return r;
}

/*
 * Op hw is held in *cur. Count the plain copies after it (before sub) that
 * continue its source and destination back to back, and when there are
 * some, map the whole run of sources and of destinations with one hold
 * each. The run starts at bytes held already (op hw's), so mapping it can
 * fault nowhere: it only comes back shorter where the mapping ends, and
 * the run is cut there. @return ops in the run (*run held, *cur released),
 * or 1 (no run: *cur still held, nothing else).
 */
static inline uint64_t
map_run(struct soft_dev *sd, struct soft_vchan *v, uint64_t hw,
	uint64_t sub, struct soft_held *cur, struct soft_held *run)
{
	const struct soft_desc *d = &v->ring[hw & v->mask];
	uint64_t src = d->src, dst = d->dst, total = d->len, n = 1;
	uint64_t sl, dl, got, want;

	while (hw + n < sub && n < SOFT_RUN_OPS) {
		const struct soft_desc *e = &v->ring[(hw + n) & v->mask];

		/* a run never wraps the IOVA space and has no empty op: each
		 * op of it would map without an error by itself */
		if (e->op != SOFT_OP_COPY || e->len == 0 ||
		    e->src != src + total || e->dst != dst + total ||
		    total + e->len > SOFT_RUN_BYTES ||
		    src + total + e->len < src || dst + total + e->len < dst)
			break;
		total += e->len;
		n++;
	}
	if (n == 1)
		return 1;
	sl = dl = total;
	run->s = xl_map(sd, src, &sl, 0);
	if (run->s == NULL)
		return 1;   /* out of hold slots */
	run->d = xl_map(sd, dst, &dl, 1);
	if (run->d == NULL) {
		xl_unmap(sd, run->s, sl);
		return 1;
	}
	got = sl < dl ? sl : dl;
	/* keep the ops that lie whole in what both sides mapped */
	want = n;
	for (total = 0, n = 0; n < want; n++) {
		uint32_t l = v->ring[(hw + n) & v->mask].len;

		if (total + l > got)
			break;
		total += l;
	}
	if (n < 2) {
		xl_unmap(sd, run->d, dl);
		xl_unmap(sd, run->s, sl);
		return 1;
	}
	/* unmap needs the lengths the maps gave */
	run->len = total;
	run->sl = sl;
	run->dl = dl;
	run->si = src;
	run->di = dst;
	xl_unmap(sd, cur->d, cur->len);
	xl_unmap(sd, cur->s, cur->len);
	return n;
}

/* Copy the n ops of a run held in *run, release it, write the statuses. */
static inline void
copy_run(struct soft_dev *sd, struct soft_vchan *v, uint64_t hw, uint64_t n,
	 uint64_t sub, const struct soft_held *run)
{
	uint64_t off = 0;

	for (uint64_t i = 0; i < n; i++) {
		uint32_t l = v->ring[(hw + i) & v->mask].len;

		/* the descriptors of the next run, two a line (prefetching
		 * the run's bytes ahead measured no faster) */
		if ((i & 1) == 0 && hw + n + i < sub)
			__builtin_prefetch(&v->ring[(hw + n + i) & v->mask], 0);
		v->status[(hw + i) & v->mask] =
			soft_copy(sd, (char *)run->d + off, run->di + off,
				  (const char *)run->s + off, run->si + off,
				  l) < 0 ? KEEL_DMA_STATUS_BUS_ERROR :
					   KEEL_DMA_STATUS_SUCCESSFUL;
		off += l;
	}
	/* the statuses are read only once done passes them, after this */
	xl_unmap(sd, run->d, run->dl);
	xl_unmap(sd, run->s, run->sl);
}

/*
 * Run ops [hw, sub) in ring order; @return sub. Plain copies that continue
 * each other back to back run as one run under one hold per side
 * (map_run()). A range is held from its mapping to the end of its op's (or
 * run's) copy, never past sub, and an op is reported done only after its
 * holds are released, so an IOMMU unmap waits at most for ops submitted
 * before it and never for an op the driver has seen complete. Faults are
 * recorded in op order. Anything other than a plain copy that maps whole
 * runs alone through run_op().
 */
static uint64_t
run_in_order(struct soft_dev *sd, struct soft_vchan *v, uint64_t hw,
	     uint64_t sub)
{
	struct soft_held cur, run;
	uint64_t pub = hw, n;

	while (hw < sub) {
		/* publish every SOFT_PUBLISH ops: fewer cache-line trips to
		 * the polling thread */
		if (hw - pub >= SOFT_PUBLISH) {
			__atomic_store_n(&v->done, hw, __ATOMIC_RELEASE);
			pub = hw;
		}
		if (hw + 4 < sub)
			__builtin_prefetch(&v->ring[(hw + 4) & v->mask], 0);
		switch (pre_map(sd, v, hw, &cur)) {
		case PRE_HELD:
			n = map_run(sd, v, hw, sub, &cur, &run);
			if (n > 1) {
				copy_run(sd, v, hw, n, sub, &run);
				hw += n;
				continue;
			}
			v->status[hw & v->mask] = copy_held(sd, &cur);
			break;
		case PRE_SPLIT:
			run_op(sd, v, hw);
			break;
		default:
			break;   /* faulted: status written by pre_map() */
		}
		hw++;
	}
	__atomic_store_n(&v->done, hw, __ATOMIC_RELEASE);
	return hw;
}

/* Run every submitted op of a vchan; @return how many ran. */
uint64_t
soft_engine_poll(struct soft_dev *sd, struct soft_vchan *v)
{
	uint64_t hw = v->hw, sub, start;

	sub = __atomic_load_n(&v->sub, __ATOMIC_ACQUIRE);
	start = hw;
	while (hw < sub) {
		uint64_t end = hw + 1;

		if (!sd->reorder) {
			hw = run_in_order(sd, v, hw, sub);
			break;
		}
		/* a fenced op starts a new run: it waits for all before it */
		while (end < sub && !v->ring[end & v->mask].fence)
			end++;
		for (uint64_t i = end; i-- > hw;)
			run_op(sd, v, i);
		hw = end;
		__atomic_store_n(&v->done, hw, __ATOMIC_RELEASE);
	}
	v->hw = hw;
	return hw - start;
}

int
soft_worker(void *arg)
{
	struct soft_dev *sd = arg;
	unsigned int idle = 0;

	for (;;) {
		int run = __atomic_load_n(&sd->run, __ATOMIC_ACQUIRE);
		uint64_t did = 0;

		for (uint16_t i = 0; i < sd->nb_vchans; i++)
			did += soft_engine_poll(sd, sd->vchans[i]);
		if (did != 0) {
			idle = 0;
			continue;
		}
		if (!run)
			break;  /* everything submitted before stop is done */
		/* spin, then give the CPU away: it may be shared */
		if (++idle < (1u << 16))
			keel_pause();
		else if (idle < (1u << 20))
			sched_yield();
		else
			usleep(20);
	}
	return 0;
}

void *
soft_thread(void *arg)
{
	soft_worker(arg);
	return NULL;
}
