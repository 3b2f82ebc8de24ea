/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A hostile front-end: every case connects, brings the device to a stage
 * (nothing, negotiated, memory, rings), sends one malformed message, and
 * checks the back-end's answer - the connection closed, a nack (when the
 * message asked for a reply), or an ack - then that after the connection
 * is gone the process holds exactly the fds and mappings it held before.
 */
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "keel_dmadev.h"
#include "keel_eal.h"
#include "keel_iommu.h"
#include "keel_vdev.h"
#include "keel_vhost.h"
#include "keel_vhost_async.h"
#include "test.h"
#include "vhost_test_env.h"
#include "vhost_test_fe.h"

#define F(bit) (1ULL << (bit))

static int n_disconn, n_new, n_async;
static int async_dma = -1;   /* >= 0: the async variant (its dmadev) */
static void cb_disconn(int vid) { (void)vid; __atomic_add_fetch(&n_disconn, 1, __ATOMIC_SEQ_CST); }

/* the async variant: every device's two vrings go async on a vchan each
 * (their guest memory is then DMA-mapped in the IOMMU container) */
static int
cb_new(int vid)
{
	uint16_t q;

	__atomic_add_fetch(&n_new, 1, __ATOMIC_SEQ_CST);
	for (q = 0; async_dma >= 0 && q < 2; q++) {
		struct keel_vhost_async_config cfg = {
			.nb_dma = 1, .dma = { { (int16_t)async_dma, q } },
		};

		if (keel_vhost_async_channel_register(vid, q, &cfg) < 0)
			return -1;
		__atomic_add_fetch(&n_async, 1, __ATOMIC_SEQ_CST);
	}
	return 0;
}

static void
cb_destroy(int vid)
{
	struct keel_mbuf *m[8];
	uint16_t q;

	for (q = 0; async_dma >= 0 && q < 2; q++) {
		while (keel_vhost_async_clear_queue(vid, q, m, 8, NULL) > 0)
			;
		keel_vhost_async_channel_unregister(vid, q);
	}
}

static const struct keel_vhost_device_ops ops = {
	.new_device = cb_new, .destroy_device = cb_destroy,
	.destroy_connection = cb_disconn,
};

enum { CLOSE, NACK, ACK, NO_DEVICE, PENDING };
enum { S_NONE, S_NEG, S_MEM, S_RINGS };

#define PROTO (F(VHOST_USER_PROTOCOL_F_MQ) | F(VHOST_USER_PROTOCOL_F_REPLY_ACK) | \
	       F(VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS) | \
	       F(VHOST_USER_PROTOCOL_F_LOG_SHMFD) | \
	       F(VHOST_USER_PROTOCOL_F_NET_MTU) | \
	       F(VHOST_USER_PROTOCOL_F_STATUS) | \
	       F(VHOST_USER_PROTOCOL_F_BACKEND_REQ))
#define FEAT (F(VIRTIO_F_VERSION_1) | F(VHOST_USER_F_PROTOCOL_FEATURES) | \
	      F(VIRTIO_F_IOMMU_PLATFORM))

struct hcase {
	const char *name;
	int stage;
	int expect;
	uint64_t feat_off;   /* features not to negotiate */
	uint64_t proto_off;
};

/* scratch fds a case may send (closed by the test afterwards) */
struct scratch {
	int memfd_small;   /* 4 KiB */
	int efd;
	int pipe[2];
};

#define REGION(g, s, u, o) ((struct vhost_user_mem_region){ g, s, u, o })

static int
send_case(struct vt_fe *fe, int i, const struct scratch *sc)
{
	const uint32_t NR = VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK;
	uint64_t ua = (uint64_t)(uintptr_t)fe->g, u = 0;
	struct vhost_user_mem_table t;
	struct vhost_user_mem_single one;
	struct vhost_user_vring_state st;
	struct vhost_user_vring_addr a;
	struct vhost_user_log lg;
	struct vhost_user_iotlb io;
	uint8_t raw[64];
	int fds[9], k;

	memset(&t, 0, sizeof(t));
	memset(raw, 0, sizeof(raw));
	memset(&one, 0, sizeof(one));
	memset(&a, 0, sizeof(a));
	memset(&io, 0, sizeof(io));
	for (k = 0; k < 9; k++)
		fds[k] = fe->mfd;
	switch (i) {
	case 0:  /* version 0 */
		return vt_fe_send(fe, VHOST_USER_GET_FEATURES, 0x100, NULL, 0,
				  NULL, 0);
	case 1:  /* a reply bit in a request */
		return vt_fe_send(fe, VHOST_USER_GET_FEATURES, 1 | 4, NULL, 0,
				  NULL, 0);
	case 2:  /* unknown request */
		return vt_fe_send(fe, 99, 0, NULL, 0, NULL, 0);
	case 3:  /* huge request number */
		return vt_fe_send(fe, 0x7fffffff, 0, NULL, 0, NULL, 0);
	case 4:  /* header announcing a payload larger than any */
		memcpy(raw, (uint32_t[]){ VHOST_USER_SET_FEATURES, 1, 4096 }, 12);
		return vt_fe_send_raw(fe, raw, 12, NULL, 0);
	case 5:  /* short payload for its request */
		return vt_fe_send(fe, VHOST_USER_SET_FEATURES, 0, &u, 4, NULL, 0);
	case 6:  /* an fd on a message that takes none */
		return vt_fe_send(fe, VHOST_USER_GET_FEATURES, 0, NULL, 0,
				  &sc->efd, 1);
	case 7:  /* nine fds */
		return vt_fe_send(fe, VHOST_USER_SET_OWNER, 0, NULL, 0, fds, 9);
	case 8:  /* features never offered, no reply asked */
		u = 1ULL << 63;
		return vt_fe_send(fe, VHOST_USER_SET_FEATURES, 0, &u, 8, NULL, 0);
	case 9:  /* the same, reply asked */
		u = 1ULL << 63;
		return vt_fe_send(fe, VHOST_USER_SET_FEATURES, NR, &u, 8, NULL, 0);
	case 10: /* nine regions */
		t.nregions = 9;
		return vt_fe_send(fe, VHOST_USER_SET_MEM_TABLE, 0, &t, 8 + 8 * 32,
				  fds, 8);
	case 11: /* two regions, one fd */
		t.nregions = 2;
		t.regions[0] = REGION(0, 4096, ua, 0);
		t.regions[1] = REGION(8192, 4096, ua + 8192, 8192);
		return vt_fe_send(fe, VHOST_USER_SET_MEM_TABLE, 0, &t, 8 + 64,
				  fds, 1);
	case 12: /* size that does not match the count */
		t.nregions = 1;
		t.regions[0] = REGION(0, 4096, ua, 0);
		return vt_fe_send(fe, VHOST_USER_SET_MEM_TABLE, 0, &t, 8 + 64,
				  fds, 1);
	case 13: /* empty region */
		t.nregions = 1;
		t.regions[0] = REGION(0, 0, ua, 0);
		return vt_fe_send(fe, VHOST_USER_SET_MEM_TABLE, NR, &t, 40, fds, 1);
	case 14: /* region wrapping the guest address space */
		t.nregions = 1;
		t.regions[0] = REGION(UINT64_MAX - 4095, 8192, ua, 0);
		return vt_fe_send(fe, VHOST_USER_SET_MEM_TABLE, NR, &t, 40, fds, 1);
	case 15: /* region past the end of its file (would SIGBUS) */
		t.nregions = 1;
		t.regions[0] = REGION(0, 1 << 20, ua, 0);
		return vt_fe_send(fe, VHOST_USER_SET_MEM_TABLE, NR, &t, 40,
				  &sc->memfd_small, 1);
	case 16: /* offset past the end of its file */
		t.nregions = 1;
		t.regions[0] = REGION(0, 4096, ua, 1ULL << 40);
		return vt_fe_send(fe, VHOST_USER_SET_MEM_TABLE, NR, &t, 40, fds, 1);
	case 17: /* region fd that is not memory */
		t.nregions = 1;
		t.regions[0] = REGION(0, 4096, ua, 0);
		return vt_fe_send(fe, VHOST_USER_SET_MEM_TABLE, NR, &t, 40,
				  &sc->efd, 1);
	case 18: /* overlapping guest ranges */
		t.nregions = 2;
		t.regions[0] = REGION(0, 8192, ua, 0);
		t.regions[1] = REGION(4096, 8192, ua + 65536, 0);
		return vt_fe_send(fe, VHOST_USER_SET_MEM_TABLE, NR, &t, 72, fds, 2);
	case 19: /* overlapping user ranges */
		t.nregions = 2;
		t.regions[0] = REGION(0, 8192, ua, 0);
		t.regions[1] = REGION(65536, 8192, ua + 4096, 0);
		return vt_fe_send(fe, VHOST_USER_SET_MEM_TABLE, NR, &t, 72, fds, 2);
	case 20: /* vring index out of range */
		st = (struct vhost_user_vring_state){ 300, 256 };
		return vt_fe_send(fe, VHOST_USER_SET_VRING_NUM, NR, &st, 8, NULL, 0);
	case 21: /* ring size 0 */
		st = (struct vhost_user_vring_state){ 0, 0 };
		return vt_fe_send(fe, VHOST_USER_SET_VRING_NUM, NR, &st, 8, NULL, 0);
	case 22: /* ring size 65536 */
		st = (struct vhost_user_vring_state){ 0, 65536 };
		return vt_fe_send(fe, VHOST_USER_SET_VRING_NUM, NR, &st, 8, NULL, 0);
	case 23: /* unknown vring address flags */
		a.flags = 0x80;
		return vt_fe_send(fe, VHOST_USER_SET_VRING_ADDR, NR, &a, 40, NULL, 0);
	case 24: /* kick for vring 255 */
		u = 255;
		return vt_fe_send(fe, VHOST_USER_SET_VRING_KICK, 0, &u, 8, &sc->efd,
				  1);
	case 25: /* "no fd" bit with an fd */
		u = VHOST_USER_VRING_NOFD_MASK;
		return vt_fe_send(fe, VHOST_USER_SET_VRING_KICK, 0, &u, 8, &sc->efd,
				  1);
	case 26: /* unknown bits in the kick payload */
		u = 1ULL << 20;
		return vt_fe_send(fe, VHOST_USER_SET_VRING_KICK, 0, &u, 8, &sc->efd,
				  1);
	case 27: /* a call fd that is a pipe (writes could block) */
		u = 0;
		return vt_fe_send(fe, VHOST_USER_SET_VRING_CALL, NR, &u, 8,
				  &sc->pipe[1], 1);
	case 28: /* ADD_MEM_REG without CONFIGURE_MEM_SLOTS */
		one.region = REGION(0, 4096, ua, 0);
		return vt_fe_send(fe, VHOST_USER_ADD_MEM_REG, 0, &one, 40, fds, 1);
	case 29: /* IOTLB without IOMMU_PLATFORM */
		io.type = VHOST_IOTLB_UPDATE;
		return vt_fe_send(fe, VHOST_USER_IOTLB_MSG, 0, &io, 32, NULL, 0);
	case 30: /* IOTLB of a type only a back-end sends */
		io.type = VHOST_IOTLB_MISS;
		return vt_fe_send(fe, VHOST_USER_IOTLB_MSG, NR, &io, 32, NULL, 0);
	case 31: /* status beyond 8 bits */
		u = 0x1ff;
		return vt_fe_send(fe, VHOST_USER_SET_STATUS, NR, &u, 8, NULL, 0);
	case 32: /* MTU below 68 */
		u = 10;
		return vt_fe_send(fe, VHOST_USER_NET_SET_MTU, NR, &u, 8, NULL, 0);
	case 33: /* a dirty log of 2^40 bytes */
		lg = (struct vhost_user_log){ 1ULL << 40, 0 };
		return vt_fe_send(fe, VHOST_USER_SET_LOG_BASE, NR, &lg, 16, fds, 1);
	case 34: /* a dirty log without its fd */
		lg = (struct vhost_user_log){ 4096, 0 };
		return vt_fe_send(fe, VHOST_USER_SET_LOG_BASE, 0, &lg, 16, NULL, 0);
	case 35: /* removing a region that is not there */
		one.region = REGION(1ULL << 40, 4096, ua, 0);
		return vt_fe_send(fe, VHOST_USER_REM_MEM_REG, NR, &one, 40, NULL, 0);
	case 36: /* removing a real region with a (tolerated) fd */
		one.region = REGION(VT_FE_GPA, VT_FE_MEM, ua, 0);
		return vt_fe_send(fe, VHOST_USER_REM_MEM_REG, NR, &one, 40, fds, 1);
	case 37: /* GET_VRING_BASE of vring 300 */
		st = (struct vhost_user_vring_state){ 300, 0 };
		return vt_fe_send(fe, VHOST_USER_GET_VRING_BASE, 0, &st, 8, NULL, 0);
	case 38: /* SET_VRING_BASE of a running ring */
		st = (struct vhost_user_vring_state){ 0, 5 };
		return vt_fe_send(fe, VHOST_USER_SET_VRING_BASE, NR, &st, 8, NULL, 0);
	case 39: /* half a header, then nothing */
		return vt_fe_send_raw(fe, "\x01\x00\x00", 3, NULL, 0);
	case 40: /* a header and half its payload, with an fd */
		memcpy(raw, (uint32_t[]){ VHOST_USER_SET_MEM_TABLE, 1, 40 }, 12);
		return vt_fe_send_raw(fe, raw, 20, fds, 1);
	case 41: /* a request Keel does not offer (config space) */
		return vt_fe_send(fe, VHOST_USER_GET_CONFIG, 0, raw, 12, NULL, 0);
	case 42: /* back-end channel that is not a socket */
		return vt_fe_send(fe, VHOST_USER_SET_BACKEND_REQ_FD, 0, NULL, 0,
				  &sc->efd, 1);
	case 43: /* GET_QUEUE_NUM without MQ */
		return vt_fe_send(fe, VHOST_USER_GET_QUEUE_NUM, 0, NULL, 0, NULL, 0);
	case 44: /* ring addresses outside guest memory: never ready */
		a = (struct vhost_user_vring_addr){ 0, 0, 0x1000, 0x3000, 0x2000,
						    0 };
		return vt_fe_send(fe, VHOST_USER_SET_VRING_ADDR, NR, &a, 40, NULL,
				  0);
	case 45: /* misaligned ring addresses: never ready */
		a = (struct vhost_user_vring_addr){ 0, 0, ua + 8, ua + 0x5001,
						    ua + 0x4000, 0 };
		return vt_fe_send(fe, VHOST_USER_SET_VRING_ADDR, NR, &a, 40, NULL,
				  0);
	case 46: /* SET_VRING_ENABLE 2 */
		st = (struct vhost_user_vring_state){ 0, 2 };
		return vt_fe_send(fe, VHOST_USER_SET_VRING_ENABLE, NR, &st, 8, NULL,
				  0);
	case 47: /* protocol features never offered */
		u = 1ULL << 40;
		return vt_fe_send(fe, VHOST_USER_SET_PROTOCOL_FEATURES, NR, &u, 8,
				  NULL, 0);
	}
	return -1;
}

static const struct hcase cases[] = {
	{ "version 0", S_NONE, CLOSE, 0, 0 },
	{ "reply bit in a request", S_NONE, CLOSE, 0, 0 },
	{ "unknown request", S_NONE, CLOSE, 0, 0 },
	{ "huge request number", S_NONE, CLOSE, 0, 0 },
	{ "payload size 4096", S_NONE, CLOSE, 0, 0 },
	{ "short payload", S_NONE, CLOSE, 0, 0 },
	{ "fd on GET_FEATURES", S_NONE, CLOSE, 0, 0 },
	{ "nine fds", S_NONE, CLOSE, 0, 0 },
	{ "unoffered features", S_NEG, CLOSE, 0, 0 },
	{ "unoffered features, reply asked", S_NEG, NACK, 0, 0 },
	{ "nine regions", S_NEG, CLOSE, 0, 0 },
	{ "two regions one fd", S_NEG, CLOSE, 0, 0 },
	{ "table size mismatch", S_NEG, CLOSE, 0, 0 },
	{ "empty region", S_NEG, NACK, 0, 0 },
	{ "region wraps", S_NEG, NACK, 0, 0 },
	{ "region past its file", S_NEG, NACK, 0, 0 },
	{ "offset past its file", S_NEG, NACK, 0, 0 },
	{ "region fd not memory", S_NEG, NACK, 0, 0 },
	{ "overlapping guest ranges", S_NEG, NACK, 0, 0 },
	{ "overlapping user ranges", S_NEG, NACK, 0, 0 },
	{ "vring 300", S_NEG, NACK, 0, 0 },
	{ "ring size 0", S_NEG, NACK, 0, 0 },
	{ "ring size 65536", S_NEG, NACK, 0, 0 },
	{ "vring address flags", S_NEG, NACK, 0, 0 },
	{ "kick for vring 255", S_NEG, CLOSE, 0, 0 },
	{ "no-fd bit with an fd", S_NEG, CLOSE, 0, 0 },
	{ "unknown kick bits", S_NEG, CLOSE, 0, 0 },
	{ "call fd is a pipe", S_NEG, NACK, 0, 0 },
	{ "ADD_MEM_REG not negotiated", S_NEG, CLOSE, 0,
	  F(VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS) },
	{ "IOTLB not negotiated", S_NEG, CLOSE, F(VIRTIO_F_IOMMU_PLATFORM), 0 },
	{ "IOTLB miss from a front-end", S_NEG, NACK, 0, 0 },
	{ "status 0x1ff", S_NEG, NACK, 0, 0 },
	{ "MTU 10", S_NEG, NACK, 0, 0 },
	{ "dirty log 2^40 bytes", S_NEG, NACK, 0, 0 },
	{ "dirty log without fd", S_NEG, CLOSE, 0, 0 },
	{ "remove unknown region", S_MEM, NACK, 0, 0 },
	{ "remove region with an fd", S_MEM, ACK, 0, 0 },
	{ "GET_VRING_BASE 300", S_RINGS, CLOSE, 0, 0 },
	{ "SET_VRING_BASE while running", S_RINGS, NACK, 0, 0 },
	{ "half a header", S_NEG, PENDING, 0, 0 },
	{ "half a payload with an fd", S_NEG, PENDING, 0, 0 },
	{ "GET_CONFIG not offered", S_NEG, CLOSE, 0, 0 },
	{ "back-end channel not a socket", S_NEG, CLOSE, 0, 0 },
	{ "GET_QUEUE_NUM without MQ", S_NEG, CLOSE, 0,
	  F(VHOST_USER_PROTOCOL_F_MQ) },
	{ "rings outside guest memory", S_MEM, NO_DEVICE,
	  F(VIRTIO_F_IOMMU_PLATFORM), 0 },
	{ "misaligned rings", S_MEM, NO_DEVICE, F(VIRTIO_F_IOMMU_PLATFORM), 0 },
	{ "SET_VRING_ENABLE 2", S_NEG, NACK, 0, 0 },
	{ "unoffered protocol features", S_NEG, NACK, 0, 0 },
};

static int
stage(struct vt_fe *fe, const struct hcase *c)
{
	/* the async variant's running devices take ring addresses as guest
	 * addresses (no IOTLB to fill) */
	uint64_t off = c->feat_off | (async_dma >= 0 && c->stage >= S_RINGS ?
				      F(VIRTIO_F_IOMMU_PLATFORM) : 0);

	if (c->stage >= S_NEG &&
	    vt_fe_negotiate(fe, FEAT & ~off, PROTO & ~c->proto_off) != 0)
		return -1;
	if (c->stage >= S_MEM && vt_fe_mem_table(fe) != 0)
		return -1;
	if (c->stage >= S_RINGS && vt_fe_rings(fe, 2) != 0)
		return -1;
	return 0;
}

/* after a bad SET_VRING_ADDR of vring 0: everything else a device needs
 * (vring 0 kicked and enabled, vring 1 whole, DRIVER_OK) */
static int
finish_rings(struct vt_fe *fe)
{
	struct vhost_user_vring_state num = { 0, 256 }, en = { 0, 1 };
	uint64_t idx = 0, ok = VIRTIO_STATUS_DRIVER_OK;
	int kick = eventfd(0, EFD_CLOEXEC), r;

	r = vt_fe_send(fe, VHOST_USER_SET_VRING_NUM, 0, &num, 8, NULL, 0) ||
	    vt_fe_send(fe, VHOST_USER_SET_VRING_KICK, 0, &idx, 8, &kick, 1) ||
	    vt_fe_send(fe, VHOST_USER_SET_VRING_ENABLE, 0, &en, 8, NULL, 0) ||
	    vt_fe_ring(fe, 1) ||
	    vt_fe_acked(fe, VHOST_USER_SET_STATUS, &ok, 8, NULL, 0) != 0;
	close(kick);
	return r;
}

static int
wait_disconn(int want)
{
	int i;

	for (i = 0; i < 300; i++) {
		if (__atomic_load_n(&n_disconn, __ATOMIC_SEQ_CST) >= want)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* DMA mappings in the default container (0 without one) */
static uint64_t
dma_entries(void)
{
	struct keel_iommu_container *c = keel_iommu_container_default();
	struct keel_iommu_stats st;

	if (c == NULL || keel_iommu_stats_get(c, &st) != 0)
		return 0;
	return st.entries;
}

static int
hostile_messages(void)
{
	char path[108];
	struct scratch sc;
	struct vt_fe fe;
	struct vhost_user_msg m;
	int fds0, maps0, r;
	uint64_t dma0;
	unsigned int i;

	vt_fe_path(path, sizeof(path), "hostile");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_register(path,
			    KEEL_VHOST_USER_IOMMU_SUPPORT), "register");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_callback_register(path, &ops),
			    "callbacks");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_set_max_queue_num(path, 2), "mq");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_start(path), "start");
	TEST_ASSERT_SUCCESS(vt_fe_mem(&fe), "guest memory");
	sc.memfd_small = memfd_create("vt-small", MFD_CLOEXEC);
	TEST_ASSERT(sc.memfd_small >= 0 && ftruncate(sc.memfd_small, 4096) == 0,
		    "small memfd");
	sc.efd = eventfd(0, EFD_CLOEXEC);
	TEST_ASSERT(pipe(sc.pipe) == 0, "pipe");
	fds0 = test_count_fds();
	maps0 = vt_count_maps();
	dma0 = dma_entries();
	n_disconn = 0;
	n_async = 0;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hcase *c = &cases[i];

		n_new = 0;
		TEST_ASSERT_SUCCESS(vt_fe_connect(&fe, path), "%s: connect",
				    c->name);
		TEST_ASSERT_SUCCESS(stage(&fe, c), "%s: stage", c->name);
		if (async_dma >= 0 && c->stage >= S_RINGS) {
			/* the async variant: the device runs (its vrings
			 * async) before the hostile message comes */
			uint64_t ok = VIRTIO_STATUS_DRIVER_OK;

			TEST_ASSERT(vt_fe_acked(&fe, VHOST_USER_SET_STATUS, &ok,
				    8, NULL, 0) == 0, "%s: DRIVER_OK", c->name);
		}
		TEST_ASSERT_SUCCESS(send_case(&fe, (int)i, &sc), "%s: send",
				    c->name);
		switch (c->expect) {
		case CLOSE:
			TEST_ASSERT(vt_fe_closed(&fe, 2000), "%s: closed",
				    c->name);
			break;
		case NACK:
		case ACK:
			r = vt_fe_recv(&fe, &m, 2000);
			TEST_ASSERT_EQUAL(r, 1, "%s: a reply", c->name);
			TEST_ASSERT_EQUAL(m.size, 8, "%s: u64 reply", c->name);
			TEST_ASSERT_EQUAL(m.payload.u64 != 0, c->expect == NACK,
					  "%s: %s", c->name, c->expect == NACK ?
					  "nack" : "ack");
			/* and the connection is still served */
			TEST_ASSERT_SUCCESS(vt_fe_get_u64(&fe,
				VHOST_USER_GET_FEATURES, &m.payload.u64),
				"%s: alive after the reply", c->name);
			break;
		case PENDING:
			/* a partial message waits; nothing else is blocked */
			TEST_ASSERT(!vt_fe_closed(&fe, 100), "%s: waits",
				    c->name);
			break;
		case NO_DEVICE:
			r = vt_fe_recv(&fe, &m, 2000);
			TEST_ASSERT(r == 1 && m.payload.u64 == 0, "%s: acked",
				    c->name);
			TEST_ASSERT_SUCCESS(finish_rings(&fe), "%s: kick",
					    c->name);
			TEST_ASSERT_EQUAL(n_new, 0, "%s: no device", c->name);
			break;
		}
		vt_fe_disconnect(&fe);
		TEST_ASSERT(wait_disconn((int)i + 1), "%s: released", c->name);
		TEST_ASSERT_EQUAL(test_count_fds(), fds0, "%s: fds flat", c->name);
		TEST_ASSERT_EQUAL(vt_count_maps(), maps0, "%s: mappings flat",
				  c->name);
		TEST_ASSERT_EQUAL(dma_entries(), dma0, "%s: DMA mappings flat",
				  c->name);
	}
	if (async_dma >= 0) {
		TEST_ASSERT(n_async > 0, "some cases ran with async queues");
		printf("  async variant: %d vrings went async, every DMA "
		       "mapping of guest memory gone with its connection\n",
		       n_async);
	}
	printf("  %zu hostile messages: each answered or closed as the spec "
	       "says, nothing leaked\n", sizeof(cases) / sizeof(cases[0]));
	TEST_ASSERT_SUCCESS(keel_vhost_driver_unregister(path), "unregister");
	close(sc.memfd_small);
	close(sc.efd);
	close(sc.pipe[0]);
	close(sc.pipe[1]);
	vt_fe_fini(&fe);
	return TEST_SUCCESS;
}
static int
test_hostile_messages(void)
{
	async_dma = -1;
	return hostile_messages();
}
KEEL_TEST(vhost_hostile_messages, "fast", TEST_NO_EAL, test_hostile_messages)

/* the same cases with both vrings of every device async on dma_soft
 * behind the emulated IOMMU */
static int
test_hostile_messages_async(void)
{
	struct keel_dma_conf conf = { .nb_vchans = 2 };
	struct keel_dma_vchan_conf vc = {
		.direction = KEEL_DMA_DIR_MEM_TO_MEM, .nb_desc = 64,
	};
	int ret = test_eal_init_str("--no-huge -m 64 --iommu emulated "
				    "--vdev dma_soft_hostile,mode=inline");

	TEST_ASSERT(ret >= 0, "EAL: %s", strerror(-ret));
	async_dma = keel_dma_get_dev_id_by_name("dma_soft_hostile");
	TEST_ASSERT(async_dma >= 0 &&
		    keel_dma_configure((int16_t)async_dma, &conf) == 0 &&
		    keel_dma_vchan_setup((int16_t)async_dma, 0, &vc) == 0 &&
		    keel_dma_vchan_setup((int16_t)async_dma, 1, &vc) == 0 &&
		    keel_dma_start((int16_t)async_dma) == 0, "dma_soft");
	ret = hostile_messages();
	async_dma = -1;
	keel_vdev_remove("dma_soft_hostile");
	if (keel_eal_cleanup() != 0)
		return TEST_FAILED;
	return ret;
}
KEEL_TEST(vhost_hostile_messages_async, "fast", TEST_NO_EAL,
	  test_hostile_messages_async)
