/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz body: message sequences through the receive path and the
 * dispatcher of one device (see vhost_fuzz.h).
 *
 * Input: records of
 *     u32 request | u8 flags | u8 fdspec | u16 size | size payload bytes
 * flags: bit 0 NEED_REPLY; 0x80 set: the byte itself is the header's
 * flags (malformed versions and reply bits). fdspec: bits 0-1 how many
 * fds (0-3), then two bits per fd: 0 a memfd of guest memory, 1 an
 * eventfd, 2 a pipe, 3 a socket. The payload may be shorter than size
 * (the input ended): the message stays partial, as on a real socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vhost_fuzz.h"
#include "vhost_internal.h"
#include "../vhost_test_env.h"

#define FZ_MEM (64 * 1024)
#define FZ_GPA 0x10000ULL
#define FZ_UADDR 0x7000000ULL

static int guest_fd = -1;

static int
make_fd(unsigned int kind)
{
	int p[2], fd;

	switch (kind) {
	case 0:
		return dup(guest_fd);
	case 1:
		return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	case 2:
		if (pipe2(p, O_CLOEXEC) != 0)
			return -1;
		close(p[0]);
		return p[1];
	default:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) != 0)
			return -1;
		fd = p[0];
		close(p[1]);
		return fd;
	}
}

static void
drain(int fd)
{
	uint8_t buf[4096];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static int
send_wire(int fd, const void *buf, size_t len, const int *fds, uint32_t n)
{
	char ctl[CMSG_SPACE(sizeof(int) * 3)];
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (n > 0) {
		struct cmsghdr *c;

		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)len ?
	       0 : -1;
}

int
vhost_fuzz_msg_one(const uint8_t *data, size_t size)
{
	static struct vhost_socket sock;
	struct vhost_dev *dev;
	size_t off = 0;
	int sp[2], fds0, maps0, alive = 1;

	if (guest_fd < 0) {
		guest_fd = memfd_create("vt-fz-guest", MFD_CLOEXEC);
		if (guest_fd < 0 || ftruncate(guest_fd, FZ_MEM) != 0)
			return -1;
	}
	fds0 = test_count_fds();
	maps0 = vt_count_maps();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
		       sp) != 0)
		return -1;
	snprintf(sock.path, sizeof(sock.path), "fuzz-msg");
	sock.features = VHOST_SUPPORTED_FEATURES |
			(1ULL << VIRTIO_F_IOMMU_PLATFORM);
	sock.protocol_features = VHOST_SUPPORTED_PROTOCOL_FEATURES;
	sock.max_queue_pairs = 2;
	dev = vhost_dev_new(&sock, sp[0]);
	if (dev == NULL)
		return -1;
	while (alive && off + 8 <= size) {
		uint8_t wire[VHOST_USER_HDR_SIZE + 512];
		uint32_t req, hdr[3], n, k, plen;
		uint8_t flags = data[off + 4], fdspec = data[off + 5];
		int fds[3];

		memcpy(&req, data + off, 4);
		plen = (uint32_t)data[off + 6] | (uint32_t)data[off + 7] << 8;
		off += 8;
		hdr[0] = req;
		hdr[1] = (flags & 0x80) ? flags : VHOST_USER_VERSION |
			 ((flags & 1) ? VHOST_USER_NEED_REPLY_MASK : 0);
		hdr[2] = plen;
		memcpy(wire, hdr, 12);
		if (plen > 512)
			plen = 512;
		if (plen > size - off)
			plen = (uint32_t)(size - off);
		memcpy(wire + 12, data + off, plen);
		off += plen;
		n = fdspec & 3;
		for (k = 0; k < n; k++)
			fds[k] = make_fd((fdspec >> (2 + 2 * k)) & 3);
		if (send_wire(sp[1], wire, 12 + plen, fds, n) != 0)
			alive = 0;
		for (k = 0; k < n; k++)
			if (fds[k] >= 0)
				close(fds[k]);
		/* as the dispatcher does: every complete message in turn */
		while (alive) {
			struct vhost_user_msg msg;
			int mfds[VHOST_USER_MAX_FDS], r;
			uint32_t nf;

			r = vhost_msg_recv(dev);
			if (r == 0)
				break;
			if (r < 0) {
				alive = 0;
				break;
			}
			msg = dev->rx_msg;
			nf = dev->rx_nfds;
			memcpy(mfds, dev->rx_fds, sizeof(int) * nf);
			dev->rx_have = 0;
			dev->rx_nfds = 0;
			if (vhost_msg_process(dev, &msg, mfds, nf) < 0)
				alive = 0;
			drain(sp[1]);
		}
	}
	vhost_dev_destroy(dev);   /* closes sp[0] */
	close(sp[1]);
	if (test_count_fds() != fds0) {
		printf("  fuzz msg: %d fds after, %d before\n", test_count_fds(),
		       fds0);
		return -1;
	}
	if (vt_count_maps() != maps0) {
		printf("  fuzz msg: %d guest mappings after, %d before\n",
		       vt_count_maps(), maps0);
		return -1;
	}
	return 0;
}

/* ---- seed ---- */

struct seedbuf {
	uint8_t *p;
	size_t len, cap;
};

static void
rec(struct seedbuf *b, uint32_t req, uint8_t flags, uint8_t fdspec,
    const void *payload, uint16_t size)
{
	if (b->len + 8 + size > b->cap)
		return;
	memcpy(b->p + b->len, &req, 4);
	b->p[b->len + 4] = flags;
	b->p[b->len + 5] = fdspec;
	b->p[b->len + 6] = (uint8_t)size;
	b->p[b->len + 7] = (uint8_t)(size >> 8);
	if (size > 0)
		memcpy(b->p + b->len + 8, payload, size);
	b->len += 8 + size;
}

#define FD1(kind) (uint8_t)(1 | ((kind) << 2))

size_t
vhost_fuzz_msg_seed(uint8_t *buf, size_t cap)
{
	struct seedbuf b = { buf, 0, cap };
	uint64_t proto = (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
			 (1ULL << VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS) |
			 (1ULL << VHOST_USER_PROTOCOL_F_BACKEND_REQ) |
			 (1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD) |
			 (1ULL << VHOST_USER_PROTOCOL_F_MQ) |
			 (1ULL << VHOST_USER_PROTOCOL_F_STATUS);
	uint64_t feat = (1ULL << VIRTIO_F_VERSION_1) |
			(1ULL << VHOST_USER_F_PROTOCOL_FEATURES) |
			(1ULL << VIRTIO_F_IOMMU_PLATFORM) |
			(1ULL << VIRTIO_RING_F_EVENT_IDX) |
			(1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
			(1ULL << VHOST_F_LOG_ALL);
	struct vhost_user_mem_table t = { .nregions = 1, .regions[0] = {
		FZ_GPA, FZ_MEM, FZ_UADDR, 0 } };
	struct vhost_user_iotlb io = { FZ_UADDR, FZ_MEM, FZ_UADDR,
				       VHOST_ACCESS_RW, VHOST_IOTLB_UPDATE };
	struct vhost_user_mem_single one = { 0, { FZ_GPA + FZ_MEM, 0x1000,
				FZ_UADDR + FZ_MEM, 0 } };
	struct vhost_user_log lg = { 64, 0 };
	uint64_t v, st = 1ULL << 0;
	uint32_t q;

	rec(&b, VHOST_USER_SET_OWNER, 0, 0, NULL, 0);
	rec(&b, VHOST_USER_GET_FEATURES, 0, 0, NULL, 0);
	rec(&b, VHOST_USER_GET_PROTOCOL_FEATURES, 0, 0, NULL, 0);
	rec(&b, VHOST_USER_SET_PROTOCOL_FEATURES, 0, 0, &proto, 8);
	rec(&b, VHOST_USER_SET_FEATURES, 1, 0, &feat, 8);
	rec(&b, VHOST_USER_SET_BACKEND_REQ_FD, 1, FD1(3), NULL, 0);
	rec(&b, VHOST_USER_SET_MEM_TABLE, 1, FD1(0), &t, 8 + 32);
	rec(&b, VHOST_USER_IOTLB_MSG, 1, 0, &io, 32);
	for (q = 0; q < 2; q++) {
		struct vhost_user_vring_state num = { q, 16 }, base = { q, 0 };
		struct vhost_user_vring_state en = { q, 1 };
		struct vhost_user_vring_addr a = { q, 0,
			FZ_UADDR + q * 0x4000, FZ_UADDR + q * 0x4000 + 0x2000,
			FZ_UADDR + q * 0x4000 + 0x1000, FZ_GPA };

		v = q;
		rec(&b, VHOST_USER_SET_VRING_NUM, 0, 0, &num, 8);
		rec(&b, VHOST_USER_SET_VRING_BASE, 0, 0, &base, 8);
		rec(&b, VHOST_USER_SET_VRING_ADDR, 0, 0, &a, 40);
		rec(&b, VHOST_USER_SET_VRING_CALL, 0, FD1(1), &v, 8);
		rec(&b, VHOST_USER_SET_VRING_KICK, 0, FD1(1), &v, 8);
		rec(&b, VHOST_USER_SET_VRING_ENABLE, 1, 0, &en, 8);
	}
	v = 0x0f;
	rec(&b, VHOST_USER_SET_STATUS, 1, 0, &v, 8);
	rec(&b, VHOST_USER_ADD_MEM_REG, 1, FD1(0), &one, 40);
	rec(&b, VHOST_USER_SET_LOG_BASE, 0, FD1(0), &lg, 16);
	io.type = VHOST_IOTLB_INVALIDATE;
	rec(&b, VHOST_USER_IOTLB_MSG, 1, 0, &io, 32);
	rec(&b, VHOST_USER_REM_MEM_REG, 1, 0, &one, 40);
	rec(&b, VHOST_USER_GET_VRING_BASE, 0, 0, &st, 8);
	rec(&b, VHOST_USER_RESET_DEVICE, 0, 0, NULL, 0);
	return b.len;
}
