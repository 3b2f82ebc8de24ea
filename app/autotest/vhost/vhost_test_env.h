/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_VHOST_TEST_ENV_H
#define KEEL_VHOST_TEST_ENV_H

/*
 * Test helpers for lib/vhost:
 *  - struct vt_env: a device and one virtqueue over guest memory, built
 *    from the library's internals without a socket, so ring walkers can be
 *    driven directly (unit tests and the ring fuzzer). The guest memory is
 *    a memfd the test maps too (the guest's view); the library maps it
 *    through its own region code (its guest-memory window).
 *  - driver-side split and packed ring writers (the test plays the guest).
 *  - fd and mapping counters, to show nothing leaks.
 */
#include <stdint.h>

#include "keel_iommu.h"
#include "test_util.h"
#include "vhost_internal.h"

/* guest layout: two regions of VT_REGION bytes each, back to back in
 * guest physical space, separate mappings on the device side (adjacent
 * there too: the device's guest-memory window) */
#define VT_GPA      0x100000ULL
#define VT_UOFF     0x7f0000000000ULL   /* user address = gpa + VT_UOFF */
#define VT_REGION   (256 * 1024ULL)
#define VT_GSIZE    (2 * VT_REGION)

/* where the rings live (offsets in guest memory), for rings of up to
 * VT_RING_MAX entries; the rings and 16 indirect tables of 256 bytes fit
 * in the first 8 KiB, so a fuzz input holding them stays small */
#define VT_RING_MAX   128
#define VT_DESC_OFF   0x0000
#define VT_AVAIL_OFF  0x0800   /* split avail / packed driver area */
#define VT_USED_OFF   0x0a00   /* split used / packed device area */
#define VT_INDIR_OFF  0x1000   /* indirect tables: 16 of 256 bytes */
#define VT_IMAGE_END  0x2000   /* vring 0's area; vring 1's follows */
#define VT_QSTRIDE    0x2000
#define VT_BUF_OFF    0x10000  /* buffers */

/* the guest driver's state of one ring */
struct vt_drv {
	uint16_t avail_idx;   /* split: next avail idx; packed: next slot */
	uint16_t used_seen;
	uint8_t wrap;         /* packed avail wrap */
	uint8_t used_wrap;
	uint16_t next_id;
	uint32_t next_desc;   /* split: next free descriptor index */
	uint16_t ndesc_of[1024]; /* packed: descriptors of each buffer id */
};

struct vt_env {
	struct vhost_socket sock;
	struct keel_vhost_device_ops ops;
	struct vhost_dev *dev;
	struct vhost_vq *vq;      /* the current vring (vt_use()) */
	struct vhost_vq *vqs[2];  /* 0: the guest's receive, 1: transmit */
	int cur;
	int mfd;
	uint8_t *g;           /* guest memory, the guest's view */
	uint32_t size;
	int packed;
	struct vt_drv drv[2];
};

/* the ring vt_offer(), vt_take_used() and vt_fetch() work on */
static inline void
vt_use(struct vt_env *e, int q)
{
	e->cur = q;
	e->vq = e->vqs[q];
}

/* vrings 0 and 1 over the same memory (vring 0 current).
 * features: virtio feature bits (VERSION_1 added); size: ring size.
 * With VIRTIO_F_IOMMU_PLATFORM, ring addresses are IOVAs equal to guest
 * addresses and the IOTLB holds the ring area only (buffers miss). */
int vt_env_init(struct vt_env *e, uint64_t features, uint32_t size);
void vt_env_fini(struct vt_env *e);

static inline uint8_t *
vt_gva(struct vt_env *e, uint64_t gpa)
{
	return e->g + (gpa - VT_GPA);
}

/* one buffer of a chain the test offers */
struct vt_buf {
	uint64_t gpa;
	uint32_t len;
	int write;      /* device-writable */
};

/* offer a chain (split: direct descriptors from next_desc; packed: ring
 * slots); indirect: put the buffers in an indirect table instead.
 * @return the chain id (split head / packed buffer id) */
uint16_t vt_offer(struct vt_env *e, const struct vt_buf *b, unsigned int n,
		  int indirect);
/* take one used entry; @return 1 (id, len set) or 0 when none */
int vt_take_used(struct vt_env *e, uint16_t *id, uint32_t *len);

/* what a keel_iommu_walk() saw of up to VT_SEEN_MAX regions: set n, va[]
 * and len[], zero the rest, walk with vt_count_region() */
#define VT_SEEN_MAX 4
struct vt_regions_seen {
	unsigned int n;
	uint64_t va[VT_SEEN_MAX], len[VT_SEEN_MAX];
	unsigned int hits[VT_SEEN_MAX];         /* entries meeting region i */
	struct keel_iommu_mapping m[VT_SEEN_MAX]; /* the last such entry */
	unsigned int entries;                   /* entries walked */
};
int vt_count_region(const struct keel_iommu_mapping *m, void *arg);
/* 1 when entry @p e is exactly [va, + len) at iova in chunks of @p chunk;
 * else prints it and returns 0 */
int vt_entry_is(const struct keel_iommu_mapping *e, uint64_t va, uint64_t iova,
		uint64_t len, uint64_t chunk);

/* poll virtqueue 0's async enqueue until @p want packets came back
 * (bounded: 10,000 polls); their mbufs in out[], failed flags in failed[];
 * @return how many came back */
uint16_t vt_poll_enqueue_all(struct vt_env *e, struct keel_mbuf **out,
			     uint8_t *failed, uint16_t want);
/* fetch one chain into a fresh piece area (device_writes: receive side) */
int vt_fetch(struct vt_env *e, int device_writes, struct vhost_chain *c);
/* return a fetched chain to the guest with len bytes written */
void vt_give_back(struct vt_env *e, const struct vhost_chain *c, uint32_t len,
		  int device_wrote);

/* test packets: byte i of packet `seed` */
static inline uint8_t
vt_pat(uint32_t seed, uint32_t i)
{
	return (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

struct keel_mbuf;
struct keel_mempool;
/* a packet of len bytes of vt_pat(seed) in mbufs of at most seg bytes
 * from mp; NULL when the pool runs dry */
struct keel_mbuf *vt_pkt(struct keel_mempool *mp, uint32_t len, uint32_t seg,
			 uint32_t seed);
/* 1 when m holds exactly len bytes of vt_pat(seed) */
int vt_pkt_is(const struct keel_mbuf *m, uint32_t len, uint32_t seed);

/* mappings of the tests' guest memory files (memfds named "vt-...");
 * open fds: test_count_fds() of test_util.h */
int vt_count_maps(void);

#endif /* KEEL_VHOST_TEST_ENV_H */
