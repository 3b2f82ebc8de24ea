/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_VHOST_INTERNAL_H
#define KEEL_VHOST_INTERNAL_H

/*
 * lib/vhost internals: devices, virtqueues, guest memory, IOTLB, log.
 *
 * Ownership and locks (the one rule everything else follows):
 *  - The dispatcher thread (vhost_dispatch.c) owns every device's control
 *    state and is the only writer of it; API calls that change sockets take
 *    the same global mutex (vhost_global_lock).
 *  - Each virtqueue has a lock (struct vhost_lock). The datapath only ever
 *    *tries* it (a burst that cannot get it returns 0); the control thread
 *    takes it by spinning, which is short because a burst is bounded.
 *  - Everything a burst reads that the control thread may change (the
 *    queue's ring pointers and indexes, the device's memory table, IOTLB,
 *    log and features) changes only while the control thread holds the
 *    lock of every queue of that device (vhost_dev_lock_all()).
 *  - Device and virtqueue structs are never freed while the library is in
 *    use: a stale vid or queue id finds a reset, not-ready queue, never
 *    freed memory.
 */

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "keel_log.h"
#include "keel_prefetch.h"
#include "keel_vhost.h"
#include "vhost_proto.h"

extern int keel_logtype_vhost;

#define VHOST_LOG(lvl, dev, fmt, ...) \
	KEEL_LOG(lvl, keel_logtype_vhost, "vhost %s: " fmt, \
		 (dev) != NULL ? (dev)->ifname : "-", ##__VA_ARGS__)

#define VHOST_MAX_VRINGS (2 * KEEL_VHOST_MAX_QUEUE_PAIRS)
#define VHOST_IOTLB_MAX 2048u
/* pieces (contiguous host ranges) one chain may have; more is refused */
#define VHOST_CHAIN_PIECES_MAX 256u
/* pieces one burst may gather across its chains */
#define VHOST_BURST_PIECES 2048u
/* copies one burst may hand to the copy engine */
#define VHOST_BURST_SEGS 4096u
/* guest buffers one mergeable packet may use */
#define VHOST_MRG_MAX 64u
/* largest packet taken from a guest (64 KiB GSO + headers) */
#define VHOST_MAX_PKT (65536u + 256u)
/* entries of an indirect table the walker accepts (2.7.5.3.1 leaves the
 * bound to the device; the ring size limits direct chains) */
#define VHOST_INDIRECT_MAX 4096u
/* log bitmap cap: one bit per 4 KiB page of 2^48 bytes of guest memory */
#define VHOST_LOG_PAGE 4096u
#define VHOST_LOG_MAX_SIZE ((1ULL << 48) / VHOST_LOG_PAGE / 8)

/* ---- locks ---- */
struct vhost_lock {
	uint32_t held;
};

static inline int
vhost_trylock(struct vhost_lock *l)
{
	uint32_t exp = 0;

	return __atomic_compare_exchange_n(&l->held, &exp, 1, 0,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void
vhost_unlock(struct vhost_lock *l)
{
	__atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
}

/* control side: spin, then yield */
void vhost_lock_ctrl(struct vhost_lock *l);

/* ---- guest memory (vhost_mem.c) ---- */
/* A device's guest-memory window (vhost_mem.c): one PROT_NONE,
 * MAP_NORESERVE reservation of VHOST_MEM_WINDOW bytes where each region is
 * placed at base + (its guest address - origin), so regions adjacent in
 * guest memory are adjacent in our VA (and merge in the IOMMU map table);
 * what no region holds stays reserved and inaccessible (the guards).
 * Reserved with the first region placed, released with the last. */
#define VHOST_MEM_WINDOW (1ULL << 40)           /* 1 TiB of guest addresses */
#define VHOST_MEM_WINDOW_SLOTS (2 * KEEL_VHOST_MAX_MEM_REGIONS)

struct vhost_mem_window {
	void *resv;            /* the reservation, NULL when none */
	uint64_t resv_len;
	uint8_t *base;         /* our address of guest address `origin` */
	uint64_t origin;       /* a multiple of VHOST_MEM_WINDOW */
	uint32_t n;            /* ranges in use */
	struct {
		uint64_t off;      /* from base; len 0: free slot */
		uint64_t len;
	} used[VHOST_MEM_WINDOW_SLOTS];
	/* async (vhost_async_mem.c): IOVA - VA of the window's regions
	 * mapped in the container (valid while dma_n > 0), so the next one
	 * is placed next to its neighbours in IOVA too */
	uint64_t iova_shift;
	uint32_t dma_n;
};

struct vhost_region {
	uint64_t gpa;          /* guest physical address of the first byte */
	uint64_t size;         /* bytes, > 0 */
	uint64_t uaddr;        /* the front-end's address of the first byte */
	uint64_t mmap_offset;  /* offset of the first byte in the fd */
	uint8_t *host;         /* our address of the first byte */
	/* in the window (win != NULL): the file mapping; else our own
	 * reservation: guard page + map + guard */
	void *map_base;
	uint64_t map_len;
	struct vhost_mem_window *win;   /* the device's window, or NULL */
	int fd;                /* kept open: describes the region (async, IOMMU) */
	dev_t st_dev;          /* identity of the file, for table diffs */
	ino_t st_ino;
	/* DMA mapping in an IOMMU container while the device has async
	 * queues (vhost_async_mem.c): [dma_va, +dma_len) at dma_iova */
	struct keel_iommu_container *dma_cont;   /* NULL: not mapped */
	uint64_t dma_va;
	uint64_t dma_iova;
	uint64_t dma_len;
};

struct vhost_mem {
	uint32_t n;
	struct vhost_region r[KEEL_VHOST_MAX_MEM_REGIONS];  /* sorted by gpa */
	uint8_t by_uaddr[KEEL_VHOST_MAX_MEM_REGIONS];       /* sorted by uaddr */
};

struct vhost_dev;

/* Check one region description against the rules (no fd use).
 * @return 0 or -EINVAL / -EOVERFLOW with a log line. */
int vhost_region_check(struct vhost_dev *dev,
		       const struct vhost_user_mem_region *d);
/* Map @p fd for region @p d into @p r (takes the fd only on success). */
int vhost_region_map(struct vhost_dev *dev,
		     const struct vhost_user_mem_region *d, int fd,
		     struct vhost_region *r);
void vhost_region_unmap(struct vhost_region *r);
/* vhost_mem_window.c: map @p len bytes of @p fd from @p file_off at the
 * window address of guest address @p gpa (a multiple of @p align, the
 * file's page size); NULL when the window cannot take it (the caller maps
 * it on its own). */
uint8_t *vhost_mem_window_place(struct vhost_dev *dev, uint64_t gpa,
				uint64_t len, uint64_t align, int fd,
				uint64_t file_off);
/* give back a range vhost_mem_window_place() returned (mapping dropped) */
void vhost_mem_window_release(struct vhost_mem_window *w, void *at,
			      uint64_t len);
/* async vhost (vhost_async_mem.c): DMA-map every region of @p m not yet
 * mapped, one map call each, when the device has async queues; on failure
 * the regions it mapped are unmapped again. @return 0 or -errno. */
int vhost_async_mem_map(struct vhost_dev *dev, struct vhost_mem *m);
/* DMA-unmap one region (its copies drained); no-op when not mapped */
void vhost_async_region_unmap(struct vhost_region *r);
/* Two descriptions name the same mapping (addresses, size, file). */
int vhost_region_same(const struct vhost_region *a,
		      const struct vhost_region *b);
/* Build the sorted table from n regions; -EINVAL when two overlap. */
int vhost_mem_build(struct vhost_dev *dev, struct vhost_mem *m);

/* gpa -> host; @p contig gets the bytes contiguous from there (<= len). */
uint8_t *vhost_mem_gpa_to_host(const struct vhost_mem *m, uint64_t gpa,
			       uint64_t len, uint64_t *contig);
/* the region holding gpa, NULL when none */
const struct vhost_region *vhost_mem_gpa_find(const struct vhost_mem *m,
					      uint64_t gpa);
/* front-end user address -> host, same contract. */
uint8_t *vhost_mem_uaddr_to_host(const struct vhost_mem *m, uint64_t uaddr,
				 uint64_t len, uint64_t *contig);
/* user address -> gpa (for the dirty log); UINT64_MAX if not in memory */
uint64_t vhost_mem_uaddr_to_gpa(const struct vhost_mem *m, uint64_t uaddr);
/* host address -> gpa; UINT64_MAX if not in guest memory */
uint64_t vhost_mem_host_to_gpa(const struct vhost_mem *m, const void *host);

/* ---- IOTLB (vhost_iotlb.c) ---- */
struct vhost_iotlb_entry {
	uint64_t iova;
	uint64_t size;
	uint64_t uaddr;
	uint8_t perm;
};

struct vhost_iotlb {
	uint32_t n;
	struct vhost_iotlb_entry *e;   /* sorted by iova, disjoint */
	uint64_t gen;                  /* bumped by every update */
};

int vhost_iotlb_update(struct vhost_dev *dev, uint64_t iova, uint64_t size,
		       uint64_t uaddr, uint8_t perm);
void vhost_iotlb_invalidate(struct vhost_dev *dev, uint64_t iova,
			    uint64_t size);
void vhost_iotlb_flush(struct vhost_iotlb *t);
/* iova -> uaddr, contiguous bytes in @p contig; 0 or -ENOENT (miss) or
 * -EACCES (mapped without @p perm) */
int vhost_iotlb_lookup(const struct vhost_iotlb *t, uint64_t iova,
		       uint64_t len, uint8_t perm, uint64_t *uaddr,
		       uint64_t *contig);

/* ---- dirty log (vhost_log.c) ---- */
struct vhost_log {
	uint8_t *base;     /* bitmap start (map + offset) */
	uint64_t size;     /* bitmap bytes */
	void *map;
	uint64_t map_len;
};

int vhost_log_set(struct vhost_dev *dev, int fd, uint64_t size,
		  uint64_t offset);
void vhost_log_release(struct vhost_log *log);
/* mark [gpa, gpa + len) dirty (bits outside the bitmap are ignored) */
void vhost_log_write_gpa(struct vhost_log *log, uint64_t gpa, uint64_t len);

/* ---- virtqueues ---- */

/* a contiguous host range of a guest buffer */
struct vhost_piece {
	uint8_t *host;
	uint32_t len;
};

/* one descriptor chain, fetched from the ring */
struct vhost_chain {
	uint16_t id;        /* head index (split) or buffer id (packed) */
	uint16_t ndesc;     /* ring slots it occupies (packed accounting) */
	uint32_t len;       /* total bytes of its buffers */
	uint32_t first;     /* first piece in the queue's piece array */
	uint32_t npieces;
};

/* per-chain completion tracking (the async seam: see vhost_copy.h) */
struct vhost_inflight {
	uint16_t id;
	uint16_t ndesc;
	uint32_t len;        /* bytes written into the chain (used.len) */
	uint32_t pending;    /* copies not complete */
	uint8_t failed;
	uint8_t pkt_end;     /* last chain of its packet */
};

struct vhost_copy_ops;
struct vhost_copy_seg;

struct vhost_vq {
	struct vhost_lock lock;
	/* -- read by the datapath under the lock -- */
	uint8_t ready;          /* all of the below is valid */
	uint8_t packed;
	uint8_t broken;
	uint8_t event_idx;
	uint8_t indirect;
	uint8_t notify_guest_kicks; /* keel_vhost_enable_guest_notification */
	uint32_t size;
	union {
		struct vring_desc *desc;
		struct vring_packed_desc *desc_packed;
	};
	union {
		struct vring_avail *avail;
		struct vring_packed_event *driver_event;
	};
	union {
		struct vring_used *used;
		struct vring_packed_event *device_event;
	};
	uint16_t last_avail_idx;   /* split: free-running; packed: slot */
	uint16_t avail_shadow;     /* split: the guest's avail idx as last
				    * read (last_avail_idx <= it, <= size
				    * ahead, else read again) */
	uint16_t last_used_idx;
	uint8_t avail_wrap;        /* packed wrap counters */
	uint8_t used_wrap;
	uint16_t signalled_used;   /* event idx: used idx at the last call */
	uint8_t signalled_valid;
	uint8_t log_used;          /* VHOST_VRING_F_LOG */
	uint64_t log_guest_addr;
	int callfd;
	struct vhost_dev *dev;
	uint16_t index;
	/* IOTLB pause: the address the queue waits for */
	uint8_t waiting;
	uint8_t wait_perm;
	uint64_t wait_iova;
	uint64_t wait_gen;         /* IOTLB generation when the miss was seen */
	uint64_t wait_sent_ns;     /* when the miss was last requested */
	/* work area of one burst */
	struct vhost_piece *pieces;    /* VHOST_BURST_PIECES */
	uint32_t npieces;
	struct vring_desc *indirect_buf; /* copy of a scattered table */
	struct vhost_copy_seg *segs;   /* VHOST_BURST_SEGS */
	uint32_t nsegs;
	uint8_t log_copies;            /* copies into the guest are logged */
	/* the guest region the last translation hit (GPA mode only; reset
	 * at every burst's start and whenever the memory table changes):
	 * [xc_gpa, +xc_size) is at xc_host; xc_size 0 = empty */
	uint64_t xc_gpa;
	uint64_t xc_size;
	uint8_t *xc_host;
	/* completion tracking (vhost_copy.h): infl_size entries */
	struct vhost_inflight *inflight;
	uint32_t infl_size;
	uint32_t infl_tail;        /* oldest entry not yet written used */
	uint32_t infl_count;       /* entries in flight */
	uint16_t used_pending;     /* split: used entries written, idx not yet */
	/* packed: the first used descriptor of a batch, its flags stored
	 * by the flush after the rest of the batch */
	uint8_t used_head_pending;
	uint16_t used_head_slot;
	uint16_t used_head_flags;
	const struct vhost_copy_ops *copy;
	void *copy_priv;
	struct keel_vhost_vring_stats stats;
	/* -- control state (dispatcher only) -- */
	uint32_t num;              /* SET_VRING_NUM */
	struct vhost_user_vring_addr addr;
	uint8_t addr_set;
	uint8_t started;           /* kick fd received, not stopped */
	uint8_t enabled;
	uint8_t reported;          /* vring_state_changed(1) was called */
	uint8_t indexes_set;       /* ring indexes taken since the start */
	uint8_t xlate_warned;      /* a failed translation was logged */
	uint16_t base_avail;       /* SET_VRING_BASE */
	uint8_t base_wrap;
	int kickfd;
	int errfd;
};

/* ---- devices ---- */
struct vhost_socket;

struct vhost_dev {
	int vid;
	int connfd;
	int backend_fd;                /* SET_BACKEND_REQ_FD, -1 */
	struct vhost_lock backend_lock; /* serialises sends on backend_fd */
	int logfd;                     /* SET_LOG_FD eventfd, -1 */
	struct vhost_socket *sock;
	char ifname[108];
	uint64_t offered_features;
	uint64_t offered_protocol;
	uint32_t max_queue_pairs;
	uint64_t features;             /* negotiated */
	uint64_t protocol_features;
	uint8_t features_set;
	uint8_t status;
	uint8_t running;               /* new_device() returned 0 */
	uint8_t compliant_ol;          /* NET_COMPLIANT_OL_FLAGS */
	uint8_t in_use;
	uint16_t mtu;
	uint32_t async_queues;         /* queues with a DMA copy engine */
	/* the narrowest DMA mask of the async queues' dmadevs (64 when
	 * none, also when 0) and a device that has it: guest regions are DMA-mapped
	 * below 2^async_mask_bits (vhost_async_mem.c; set under
	 * owners_lock at (un)registration) */
	uint8_t async_mask_bits;
	int16_t async_mask_dma;
	uint8_t rarp_mac[6];
	uint8_t rarp_pending;
	uint32_t nr_vring;             /* highest vring index seen + 1 */
	struct vhost_mem *mem;         /* NULL until a table arrives */
	struct vhost_mem_window mem_win;   /* where regions are mapped */
	struct vhost_iotlb iotlb;
	struct vhost_log log;
	struct vhost_vq *vq[VHOST_MAX_VRINGS];
	const struct keel_vhost_device_ops *ops;
	/* receive state of the connection (partial message) */
	struct vhost_user_msg rx_msg;
	uint32_t rx_have;              /* wire bytes received */
	int rx_fds[VHOST_USER_MAX_FDS];
	uint32_t rx_nfds;
};

/* vhost_dev.c */
extern struct vhost_dev *vhost_devices[KEEL_VHOST_MAX_DEVICES];
struct vhost_dev *vhost_dev_new(struct vhost_socket *s, int connfd);
void vhost_dev_destroy(struct vhost_dev *dev);
struct vhost_dev *vhost_dev_get(int vid);
struct vhost_vq *vhost_vq_get_or_alloc(struct vhost_dev *dev, uint32_t idx);
void vhost_dev_lock_all(struct vhost_dev *dev);
void vhost_dev_unlock_all(struct vhost_dev *dev);
/* async seam: wait for every queue's in-flight copies (all locks held) */
void vhost_dev_drain_locked(struct vhost_dev *dev);
void vhost_vq_drain_locked(struct vhost_vq *vq);
/* take ring indexes at a start (SET_VRING_BASE, used idx) */
int vhost_vq_init_indexes(struct vhost_vq *vq);
/* stop a queue (drain, not ready); lock held by the caller */
void vhost_vq_stop_locked(struct vhost_vq *vq);
/* recompute each queue's readiness and the device's; call callbacks */
void vhost_dev_update_state(struct vhost_dev *dev);
/* make the device not running (destroy_device) if it is */
void vhost_dev_stop_running(struct vhost_dev *dev);
/* back to the state of a new connection, connection kept */
void vhost_dev_reset(struct vhost_dev *dev);
/* mark a queue broken: log, count, signal its err eventfd */
void vhost_vq_set_broken(struct vhost_vq *vq, const char *why);
/* resolve ring addresses under the lock; 0, -EAGAIN (IOTLB miss sent),
 * -EFAULT (outside guest memory) */
int vhost_vq_translate_rings(struct vhost_vq *vq);
int vhost_dev_iommu(const struct vhost_dev *dev);
/* IOTLB miss request on the back-end channel (non-blocking) */
int vhost_send_iotlb_miss(struct vhost_dev *dev, uint64_t iova, uint8_t perm);

/* ---- datapath translation (vhost_vq.c) ---- */
enum vhost_xlate {
	VHOST_XLATE_OK = 0,
	VHOST_XLATE_MISS,    /* IOTLB has no entry: pause and ask */
	VHOST_XLATE_FAULT,   /* not guest memory / no permission */
};
/* translate a guest address (GPA, or IOVA with IOMMU_PLATFORM) */
uint8_t *vhost_vq_xlate(struct vhost_vq *vq, uint64_t addr, uint64_t len,
			uint8_t perm, uint64_t *contig, enum vhost_xlate *res);
/* record an IOTLB miss: the queue waits for @p iova */
void vhost_vq_wait_iotlb(struct vhost_vq *vq, uint64_t iova, uint8_t perm);
/* 1 while the queue waits and the IOTLB did not change since */
int vhost_vq_still_waiting(struct vhost_vq *vq);
/* log a write the device made into guest memory (when LOG_ALL) */
void vhost_vq_log_host_write(struct vhost_vq *vq, const void *host,
			     uint64_t len);
/* call the guest if the ring asks for it */
void vhost_vq_notify_guest(struct vhost_vq *vq);
void vhost_vq_kick_err(struct vhost_vq *vq);

/* one chain being walked (vhost_vq.c: what split and packed share) */
struct vhost_walk {
	struct vhost_vq *vq;
	struct vhost_chain *c;
	uint64_t total;
	int device_writes;
	int bad;             /* content error: consume the chain, length 0 */
	const char *why;
};
/* Append the buffer [addr, addr + len) of a descriptor with @p flags to
 * the burst's pieces: VHOST_FETCH_OK, WAIT (IOTLB miss asked) or FULL; a
 * content error (direction, total past 2^32, outside memory, too many
 * pieces) sets w->bad and returns OK. */
/* (vhost_walk_buffer() below: the usual case inline, the rest here) */
int vhost_walk_buffer_slow(struct vhost_walk *w, uint64_t addr, uint32_t len,
			   uint16_t flags);

/* An indirect table [addr, addr + len) (len a checked multiple of 16):
 * its host address when contiguous, else a copy gathered into the queue's
 * buffer; NULL with *ret WAIT, or OK and w->bad set. */
const void *vhost_walk_indirect(struct vhost_walk *w, uint64_t addr,
				uint32_t len, int *ret);

/* Fetch results (split and packed walkers) */
#define VHOST_FETCH_OK      0
#define VHOST_FETCH_EMPTY   (-EAGAIN)  /* nothing available */
#define VHOST_FETCH_WAIT    (-EBUSY)   /* IOTLB miss: paused */
#define VHOST_FETCH_BROKEN  (-EIO)     /* ring corrupt: queue broken */
#define VHOST_FETCH_BAD     (-EINVAL)  /* chain unusable: consumed, return
					  it with len 0 */
#define VHOST_FETCH_FULL    (-ENOSPC)  /* no room for its pieces this burst */

static inline int
vhost_walk_buffer(struct vhost_walk *w, uint64_t addr, uint32_t len,
		  uint16_t flags)
{
	struct vhost_vq *vq = w->vq;
	uint64_t off = addr - vq->xc_gpa;

	/* the usual case: a buffer wholly inside the region the last one
	 * was in (so it cannot wrap), nothing wrong, room for its piece */
	if (!w->bad && !!(flags & VRING_DESC_F_WRITE) == w->device_writes &&
	    len > 0 && off < vq->xc_size && len <= vq->xc_size - off &&
	    w->total + len <= UINT32_MAX &&
	    w->c->npieces < VHOST_CHAIN_PIECES_MAX &&
	    vq->npieces < VHOST_BURST_PIECES) {
		w->total += len;
		vq->pieces[vq->npieces].host = vq->xc_host + off;
		vq->pieces[vq->npieces].len = len;
		vq->npieces++;
		w->c->npieces++;
		return VHOST_FETCH_OK;
	}
	return vhost_walk_buffer_slow(w, addr, len, flags);
}

/* how many chains ahead the fast paths prefetch the buffer of: enough to
 * have several misses on the way while a 64-byte packet is copied */
#define VHOST_PREFETCH_AHEAD 8

/*
 * A hint for the fast paths' lookahead: the buffer at guest address
 * @p addr is prefetched (for writing when the device writes it) if it lies
 * in the region of the last buffer; nothing outside the region is touched.
 */
static inline void
vhost_prefetch_buf(const struct vhost_vq *vq, uint64_t addr, int device_writes)
{
	uint64_t off = addr - vq->xc_gpa;

	if (off >= vq->xc_size)
		return;
	if (device_writes)
		keel_prefetch0_write(vq->xc_host + off);
	else
		keel_prefetch0(vq->xc_host + off);
}

/* packed descriptors in a 64-byte line (struct pvirtq_desc, virtio 1.2
 * 2.8: 16 bytes) */
#define VHOST_PDESC_PER_LINE 4u

/*
 * The walkers' one-descriptor fast path, once its descriptor was checked
 * (inside the region of the last buffer, @p off from its start; no next,
 * no indirect; room for a piece): chain @p c is that one buffer.
 */
static inline void
vhost_chain_one(struct vhost_vq *vq, struct vhost_chain *c, uint16_t id,
		uint64_t off, uint32_t len)
{
	c->id = id;
	c->ndesc = 1;
	c->first = vq->npieces;
	c->npieces = 1;
	c->len = len;
	vq->pieces[vq->npieces].host = vq->xc_host + off;
	vq->pieces[vq->npieces].len = len;
	vq->npieces++;
}

/* split ring (vhost_split.c) */
int vhost_split_fetch(struct vhost_vq *vq, int device_writes,
		      struct vhost_chain *c);
void vhost_split_used(struct vhost_vq *vq, uint16_t id, uint32_t len);
void vhost_split_used_flush(struct vhost_vq *vq);
uint16_t vhost_split_avail_count(struct vhost_vq *vq);
void vhost_split_set_kicks(struct vhost_vq *vq, int enable);
int vhost_split_need_notify(struct vhost_vq *vq);

/* packed ring (vhost_packed.c) */
int vhost_packed_fetch(struct vhost_vq *vq, int device_writes,
		       struct vhost_chain *c);
void vhost_packed_used(struct vhost_vq *vq, uint16_t id, uint16_t ndesc,
		       uint32_t len, int write);
void vhost_packed_used_flush(struct vhost_vq *vq);
uint16_t vhost_packed_avail_count(struct vhost_vq *vq);
void vhost_packed_set_kicks(struct vhost_vq *vq, int enable);
int vhost_packed_need_notify(struct vhost_vq *vq);

/* give back chains fetched last, newest first (not consumed after all) */
void vhost_split_unfetch(struct vhost_vq *vq, const struct vhost_chain *c);
void vhost_packed_unfetch(struct vhost_vq *vq, const struct vhost_chain *c);

/* ring-independent wrappers */
static inline void
vhost_vq_unfetch(struct vhost_vq *vq, const struct vhost_chain *c)
{
	if (vq->packed)
		vhost_packed_unfetch(vq, c);
	else
		vhost_split_unfetch(vq, c);
	vq->npieces = c->first;
}

static inline int
vhost_vq_fetch(struct vhost_vq *vq, int device_writes, struct vhost_chain *c)
{
	return vq->packed ? vhost_packed_fetch(vq, device_writes, c) :
			    vhost_split_fetch(vq, device_writes, c);
}

/* ---- the protocol (vhost_msg.c, vhost_user*.c) ---- */
/* handler results */
#define VH_OK     0    /* done; ack if the front-end asked for one */
#define VH_REPLY  1    /* the message now holds the reply to send */
/* < 0: -errno; nack if asked for a reply, else close the connection */
#define VH_CLOSE  (-ECONNABORTED)  /* protocol violation: always close */

typedef int (*vhost_msg_handler_t)(struct vhost_dev *dev,
				   struct vhost_user_msg *msg,
				   int *fds, uint32_t nfds);

/* process one complete message; fds are closed unless a handler took them
 * (set to -1). @return 0 to go on, < 0 to close the connection. */
int vhost_msg_process(struct vhost_dev *dev, struct vhost_user_msg *msg,
		      int *fds, uint32_t nfds);
const char *vhost_msg_name(uint32_t request);
/* read what is available of the next message; 1 when complete, 0 when
 * more is needed, < 0 on EOF/error (connection to close) */
int vhost_msg_recv(struct vhost_dev *dev);
int vhost_msg_send_reply(struct vhost_dev *dev, struct vhost_user_msg *msg);

/* handlers, by file */
int vhost_user_get_features(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_set_features(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_set_owner(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_reset_owner(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_get_protocol_features(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_set_protocol_features(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_get_queue_num(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_send_rarp(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_net_set_mtu(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_set_backend_req_fd(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_iotlb_msg(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_reset_device(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_set_status(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_get_status(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_set_log_fd(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
/* vhost_user_vring.c */
int vhost_user_set_vring_num(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_set_vring_addr(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_set_vring_base(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_get_vring_base(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_set_vring_kick(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_set_vring_call(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_set_vring_err(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_set_vring_enable(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
/* vhost_user_mem.c */
int vhost_user_set_mem_table(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_get_max_mem_slots(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_add_mem_reg(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_rem_mem_reg(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);
int vhost_user_set_log_base(struct vhost_dev *, struct vhost_user_msg *, int *, uint32_t);

/* apply a new memory table as a difference (vhost_user_mem.c); takes the
 * table; @return 0 or -errno with the old table intact */
int vhost_mem_apply(struct vhost_dev *dev, struct vhost_mem *next);

/* ---- sockets and the dispatcher (vhost_socket.c, vhost_dispatch.c) ---- */
int vhost_sock_listen(const char *path);
int vhost_sock_connect(const char *path);
/* recvmsg at most @p len bytes, collecting fds (CLOEXEC) into @p fds;
 * @return bytes, 0 on EOF, -EAGAIN, or -errno (-EMSGSIZE: too many fds) */
ssize_t vhost_sock_recv(int fd, void *buf, size_t len, int *fds,
			uint32_t *nfds, uint32_t max_fds);
/* sendmsg header + payload without blocking; -EAGAIN if it would */
int vhost_sock_send(int fd, const void *hdr, size_t hlen, const void *payload,
		    size_t plen, const int *fds, uint32_t nfds);
/* send a message (header and msg->size bytes of payload) */
int vhost_msg_send(int fd, const struct vhost_user_msg *msg, const int *fds,
		   uint32_t nfds);

struct vhost_socket {
	char path[108];
	uint64_t flags;
	uint64_t features;          /* offered */
	uint64_t protocol_features; /* offered */
	uint32_t max_queue_pairs;
	struct keel_vhost_device_ops ops;
	int listenfd;
	int started;
	uint64_t reconnect_at_ns;   /* client: next attempt, 0 = none */
	int client_vid;             /* client: its device, -1 */
	struct vhost_socket *next;
};

extern pthread_mutex_t vhost_global_lock;
/* the socket registered as @p path (global lock held), or NULL */
struct vhost_socket *vhost_find_socket(const char *path);
/* 1 on the dispatcher thread (callbacks run there) */
int vhost_in_dispatcher(void);
/* closes a device's connection from the dispatcher */
void vhost_dispatch_close_dev(struct vhost_dev *dev);

/* supported features (vhost_user.c) */
#define VHOST_SUPPORTED_FEATURES ( \
	(1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) | \
	(1ULL << VIRTIO_NET_F_MTU) | (1ULL << VIRTIO_NET_F_GUEST_TSO4) | \
	(1ULL << VIRTIO_NET_F_GUEST_TSO6) | (1ULL << VIRTIO_NET_F_GUEST_ECN) | \
	(1ULL << VIRTIO_NET_F_GUEST_UFO) | (1ULL << VIRTIO_NET_F_HOST_TSO4) | \
	(1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_NET_F_HOST_ECN) | \
	(1ULL << VIRTIO_NET_F_HOST_UFO) | (1ULL << VIRTIO_NET_F_MRG_RXBUF) | \
	(1ULL << VIRTIO_NET_F_GUEST_ANNOUNCE) | (1ULL << VIRTIO_NET_F_MQ) | \
	(1ULL << VIRTIO_F_ANY_LAYOUT) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC) | \
	(1ULL << VIRTIO_RING_F_EVENT_IDX) | (1ULL << VIRTIO_F_VERSION_1) | \
	(1ULL << VIRTIO_F_RING_PACKED) | (1ULL << VIRTIO_F_IN_ORDER) | \
	(1ULL << VHOST_USER_F_PROTOCOL_FEATURES) | (1ULL << VHOST_F_LOG_ALL))
#define VHOST_SUPPORTED_PROTOCOL_FEATURES ( \
	(1ULL << VHOST_USER_PROTOCOL_F_MQ) | \
	(1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD) | \
	(1ULL << VHOST_USER_PROTOCOL_F_RARP) | \
	(1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) | \
	(1ULL << VHOST_USER_PROTOCOL_F_NET_MTU) | \
	(1ULL << VHOST_USER_PROTOCOL_F_BACKEND_REQ) | \
	(1ULL << VHOST_USER_PROTOCOL_F_RESET_DEVICE) | \
	(1ULL << VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS) | \
	(1ULL << VHOST_USER_PROTOCOL_F_STATUS))

static inline int
vhost_has_feature(const struct vhost_dev *dev, unsigned int bit)
{
	return (dev->features >> bit) & 1;
}

static inline int
vhost_has_protocol(const struct vhost_dev *dev, unsigned int bit)
{
	return (dev->protocol_features >> bit) & 1;
}

/* read guest memory once into a local copy (no re-fetch by the compiler) */
static inline void
vhost_read_once(void *dst, const void *src, size_t len)
{
	memcpy(dst, src, len);
	/* the copy is made here: the compiler may not read the source
	 * again in its place later (it may have changed) */
	__asm__ __volatile__("" ::: "memory");
}

#endif /* KEEL_VHOST_INTERNAL_H */
