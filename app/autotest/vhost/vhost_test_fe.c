/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * See vhost_test_fe.h. One struct vt_fe per test thread; no shared state.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vhost_test_fe.h"

void
vt_fe_path(char *buf, size_t len, const char *tag)
{
	static int seq;
	const char *dir = getenv("TMPDIR");
	int n;

	/* $TMPDIR when set (the vm guest's /tmp is read-only when the build
	 * tree is under it), else /tmp; /tmp too when the path would not fit
	 * a unix socket's 108 bytes */
	if (dir == NULL || dir[0] != '/')
		dir = "/tmp";
	n = snprintf(buf, len, "%s/keel-vt-%d-%s-%d.sock", dir, (int)getpid(),
		     tag, seq);
	if (n < 0 || (size_t)n >= len)
		snprintf(buf, len, "/tmp/keel-vt-%d-%s-%d.sock", (int)getpid(),
			 tag, seq);
	seq++;
	unlink(buf);
}

int
vt_fe_mem(struct vt_fe *fe)
{
	int i;

	memset(fe, 0, sizeof(*fe));
	fe->fd = -1;
	for (i = 0; i < 4; i++)
		fe->kick[i] = fe->call[i] = -1;
	fe->mfd = memfd_create("vt-fe-guest", MFD_CLOEXEC);
	if (fe->mfd < 0 || ftruncate(fe->mfd, VT_FE_MEM) != 0)
		return -1;
	fe->g = mmap(NULL, VT_FE_MEM, PROT_READ | PROT_WRITE, MAP_SHARED,
		     fe->mfd, 0);
	return fe->g == MAP_FAILED ? -1 : 0;
}

int
vt_fe_connect(struct vt_fe *fe, const char *path)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int i;

	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	for (i = 0; i < 200; i++) {
		fe->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fe->fd < 0)
			return -1;
		if (connect(fe->fd, (struct sockaddr *)&un, sizeof(un)) == 0)
			return 0;
		close(fe->fd);
		fe->fd = -1;
		usleep(10000);
	}
	return -1;
}

void
vt_fe_disconnect(struct vt_fe *fe)
{
	int i;

	if (fe->fd >= 0)
		close(fe->fd);
	fe->fd = -1;
	for (i = 0; i < 4; i++) {
		if (fe->kick[i] >= 0)
			close(fe->kick[i]);
		if (fe->call[i] >= 0)
			close(fe->call[i]);
		fe->kick[i] = fe->call[i] = -1;
	}
	fe->features = fe->protocol = 0;
}

void
vt_fe_fini(struct vt_fe *fe)
{
	vt_fe_disconnect(fe);
	if (fe->g != NULL && fe->g != MAP_FAILED)
		munmap(fe->g, VT_FE_MEM);
	if (fe->mfd >= 0)
		close(fe->mfd);
	fe->g = NULL;
	fe->mfd = -1;
}

int
vt_fe_send_raw(struct vt_fe *fe, const void *buf, size_t len, const int *fds,
	       uint32_t nfds)
{
	char ctl[CMSG_SPACE(sizeof(int) * 16)];
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds > 16)
		return -1;
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	return sendmsg(fe->fd, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

int
vt_fe_send(struct vt_fe *fe, uint32_t req, uint32_t flags, const void *payload,
	   uint32_t size, const int *fds, uint32_t nfds)
{
	uint8_t buf[VHOST_USER_HDR_SIZE + 512];
	uint32_t hdr[3] = { req, flags ? flags : VHOST_USER_VERSION, size };

	if (size > 512)
		return -1;
	memcpy(buf, hdr, sizeof(hdr));
	if (size > 0)
		memcpy(buf + VHOST_USER_HDR_SIZE, payload, size);
	return vt_fe_send_raw(fe, buf, VHOST_USER_HDR_SIZE + size, fds, nfds);
}

static int
recv_all(int fd, void *buf, size_t len, int timeout_ms)
{
	size_t have = 0;

	while (have < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, timeout_ms) != 1)
			return -ETIMEDOUT;
		n = recv(fd, (uint8_t *)buf + have, len - have, 0);
		if (n <= 0)
			return 0;
		have += (size_t)n;
	}
	return 1;
}

int
vt_fe_recv(struct vt_fe *fe, struct vhost_user_msg *m, int timeout_ms)
{
	int r;

	memset(m, 0, sizeof(*m));
	r = recv_all(fe->fd, m, VHOST_USER_HDR_SIZE, timeout_ms);
	if (r != 1)
		return r;
	if (m->size > sizeof(m->payload))
		return 0;
	return m->size == 0 ? 1 :
	       recv_all(fe->fd, &m->payload, m->size, timeout_ms);
}

int
vt_fe_get_u64(struct vt_fe *fe, uint32_t req, uint64_t *v)
{
	struct vhost_user_msg m;

	if (vt_fe_send(fe, req, 0, NULL, 0, NULL, 0) != 0 ||
	    vt_fe_recv(fe, &m, 2000) != 1 || m.request != req ||
	    m.size != 8 || m.flags != (VHOST_USER_VERSION | VHOST_USER_REPLY_MASK))
		return -1;
	*v = m.payload.u64;
	return 0;
}

int64_t
vt_fe_acked(struct vt_fe *fe, uint32_t req, const void *payload, uint32_t size,
	    const int *fds, uint32_t nfds)
{
	struct vhost_user_msg m;

	if (vt_fe_send(fe, req, VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK,
		       payload, size, fds, nfds) != 0 ||
	    vt_fe_recv(fe, &m, 2000) != 1 || m.request != req || m.size != 8)
		return -1;
	return (int64_t)m.payload.u64;
}

int
vt_fe_closed(struct vt_fe *fe, int ms)
{
	struct vhost_user_msg m;
	int r;

	do {
		r = vt_fe_recv(fe, &m, ms);
	} while (r == 1);
	return r == 0;
}

int
vt_fe_negotiate(struct vt_fe *fe, uint64_t want, uint64_t want_proto)
{
	uint64_t f, p;

	if (vt_fe_send(fe, VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0) != 0 ||
	    vt_fe_get_u64(fe, VHOST_USER_GET_FEATURES, &f) != 0)
		return -1;
	fe->features = f & want;
	if (vt_fe_get_u64(fe, VHOST_USER_GET_PROTOCOL_FEATURES, &p) != 0)
		return -1;
	fe->protocol = p & want_proto;
	if (vt_fe_send(fe, VHOST_USER_SET_PROTOCOL_FEATURES, 0, &fe->protocol,
		       8, NULL, 0) != 0 ||
	    vt_fe_send(fe, VHOST_USER_SET_FEATURES, 0, &fe->features, 8, NULL,
		       0) != 0)
		return -1;
	/* a round trip: everything before it is processed */
	return vt_fe_get_u64(fe, VHOST_USER_GET_FEATURES, &f);
}

int
vt_fe_mem_table(struct vt_fe *fe)
{
	struct vhost_user_mem_table t = {
		.nregions = 1,
		.regions[0] = {
			.guest_addr = VT_FE_GPA,
			.size = VT_FE_MEM,
			.user_addr = (uint64_t)(uintptr_t)fe->g,
			.mmap_offset = 0,
		},
	};

	return vt_fe_send(fe, VHOST_USER_SET_MEM_TABLE, 0, &t,
			  8 + sizeof(t.regions[0]), &fe->mfd, 1);
}

int
vt_fe_ring(struct vt_fe *fe, unsigned int i)
{
	int packed = (fe->features >> VIRTIO_F_RING_PACKED) & 1;
	uint64_t base = vt_fe_ring_gpa(i);
	uint64_t ua = (uint64_t)(uintptr_t)fe->g + (base - VT_FE_GPA);
	struct vhost_user_vring_state num = { i, VT_FE_RING };
	struct vhost_user_vring_state st = { i, packed ? 1u << 15 : 0 };
	struct vhost_user_vring_state en = { i, 1 };
	struct vhost_user_vring_addr a = {
		.index = i, .desc = ua, .avail = ua + 0x4000,
		.used = ua + 0x5000, .log = base + 0x5000,
	};
	uint64_t v = i;

	if (i >= 4)
		return -1;
	memset(fe->g + (base - VT_FE_GPA), 0, 0x10000);
	if (fe->kick[i] < 0)
		fe->kick[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fe->call[i] < 0)
		fe->call[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vt_fe_send(fe, VHOST_USER_SET_VRING_NUM, 0, &num, 8, NULL, 0) ||
	    vt_fe_send(fe, VHOST_USER_SET_VRING_BASE, 0, &st, 8, NULL, 0) ||
	    vt_fe_send(fe, VHOST_USER_SET_VRING_ADDR, 0, &a, sizeof(a), NULL,
		       0) ||
	    vt_fe_send(fe, VHOST_USER_SET_VRING_CALL, 0, &v, 8, &fe->call[i],
		       1) ||
	    vt_fe_send(fe, VHOST_USER_SET_VRING_KICK, 0, &v, 8, &fe->kick[i],
		       1) ||
	    vt_fe_send(fe, VHOST_USER_SET_VRING_ENABLE, 0, &en, 8, NULL, 0))
		return -1;
	return 0;
}

int
vt_fe_rings(struct vt_fe *fe, unsigned int n)
{
	unsigned int i;
	uint64_t f;

	for (i = 0; i < n; i++)
		if (vt_fe_ring(fe, i) != 0)
			return -1;
	return vt_fe_get_u64(fe, VHOST_USER_GET_FEATURES, &f);
}
