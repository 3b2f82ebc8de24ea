/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_virtio_user's side of the vhost-user protocol (QEMU
 * docs/interop/vhost-user.rst): features, the memory table (one region per
 * EAL memory segment list, shared by fd, addressed by this process's own
 * addresses: the list's whole VA window, or with mem_regions=allocated
 * the window up to the end of its last allocated page, lists without
 * memory left out), every vring, and DRIVER_OK.
 *
 * Every request that changes the back-end asks for a reply when REPLY_ACK
 * is negotiated, so a refusal is seen at once; replies are waited for
 * with a timeout. Stateless apart from struct vu_dev; called from the
 * port's connection thread only.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "keel_log.h"
#include "keel_memory.h"
#include "vu_internal.h"

#define REPLY_MS 5000

struct vu_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	uint8_t payload[8 + 32 * VU_MAX_MEM_REGIONS];
};

static int
send_msg(struct vu_dev *d, uint32_t req, uint32_t flags, const void *payload,
	 uint32_t size, const int *fds, uint32_t nfds)
{
	char ctl[CMSG_SPACE(sizeof(int) * VU_MAX_MEM_REGIONS)];
	uint32_t hdr[3] = { req, VU_VERSION | flags, size };
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = VU_HDR_SIZE },
		{ .iov_base = (void *)payload, .iov_len = size },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = size ? 2 : 1 };
	ssize_t n;

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
	do {
		n = sendmsg(d->fd, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n == (ssize_t)(VU_HDR_SIZE + size) ? 0 : -EPIPE;
}

static int
recv_all(int fd, void *buf, size_t len)
{
	size_t have = 0;

	while (have < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, REPLY_MS) != 1)
			return -ETIMEDOUT;
		n = recv(fd, (uint8_t *)buf + have, len - have, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			have += (size_t)n;
	}
	return 0;
}

static int
recv_reply(struct vu_dev *d, uint32_t req, struct vu_msg *m)
{
	int ret = recv_all(d->fd, m, VU_HDR_SIZE);

	if (ret < 0)
		return ret;
	if (m->request != req || !(m->flags & VU_REPLY) ||
	    m->size > sizeof(m->payload))
		return -EPROTO;
	return recv_all(d->fd, m->payload, m->size);
}

/* a request with a u64 reply */
static int
get_u64(struct vu_dev *d, uint32_t req, uint64_t *v)
{
	struct vu_msg m;
	int ret = send_msg(d, req, 0, NULL, 0, NULL, 0);

	if (ret == 0)
		ret = recv_reply(d, req, &m);
	if (ret == 0 && m.size != 8)
		ret = -EPROTO;
	if (ret == 0)
		memcpy(v, m.payload, 8);
	return ret;
}

/* a request that changes the back-end: acked when REPLY_ACK is on */
static int
set(struct vu_dev *d, uint32_t req, const void *payload, uint32_t size,
    const int *fds, uint32_t nfds)
{
	int ack = (d->protocol >> VU_PF_REPLY_ACK) & 1;
	struct vu_msg m;
	uint64_t v;
	int ret;

	ret = send_msg(d, req, ack ? VU_NEED_REPLY : 0, payload, size, fds,
		       nfds);
	if (ret < 0 || !ack)
		return ret;
	ret = recv_reply(d, req, &m);
	if (ret < 0)
		return ret;
	if (m.size != 8)
		return -EPROTO;
	memcpy(&v, m.payload, 8);
	return v == 0 ? 0 : -EREMOTEIO;
}

struct mem_walk {
	uint8_t payload[8 + 32 * VU_MAX_MEM_REGIONS];
	int fds[VU_MAX_MEM_REGIONS];
	uint32_t n;
};

static int
add_region(const struct keel_memseg_list_info *l, void *arg)
{
	struct mem_walk *w = arg;
	uint64_t r[4] = { (uint64_t)(uintptr_t)l->base, l->len,
			  (uint64_t)(uintptr_t)l->base, 0 };

	if (l->fd < 0)
		return -ENOTSUP;
	if (w->n == VU_MAX_MEM_REGIONS)
		return -ENOSPC;
	memcpy(w->payload + 8 + 32 * w->n, r, sizeof(r));
	w->fds[w->n++] = l->fd;
	return 0;
}

/* mem_regions=allocated: region i ends after the last allocated page of
 * its list (0: none) */
struct mem_used {
	const struct mem_walk *w;
	uint64_t end[VU_MAX_MEM_REGIONS];
};

static int
region_used(const struct keel_memseg *ms, void *arg)
{
	struct mem_used *u = arg;
	uint64_t va = (uintptr_t)ms->addr, r[2];
	uint32_t i;

	for (i = 0; i < u->w->n; i++) {
		memcpy(r, u->w->payload + 8 + 32 * i, sizeof(r));
		if (va >= r[0] && va - r[0] < r[1] &&
		    va + ms->len - r[0] > u->end[i])
			u->end[i] = va + ms->len - r[0];
	}
	return 0;
}

/* Cut each region to [window start, end of its last allocated page) and
 * drop the lists without memory. */
static int
cut_to_allocated(struct vu_dev *d, struct mem_walk *w)
{
	struct mem_used u = { .w = w };
	uint32_t i, n = 0;
	int ret = keel_memseg_walk(region_used, &u);

	if (ret < 0)
		return ret;
	for (i = 0; i < w->n; i++) {
		if (u.end[i] == 0)
			continue;      /* the fd is the EAL's: not closed */
		memmove(w->payload + 8 + 32 * n, w->payload + 8 + 32 * i, 32);
		memcpy(w->payload + 8 + 32 * n + 8, &u.end[i], 8);
		w->fds[n] = w->fds[i];
		KEEL_LOG(DEBUG, vu_logtype, "%s: memory region %u: 0x%" PRIx64
			 " bytes allocated", d->path, n, u.end[i]);
		n++;
	}
	w->n = n;
	return 0;
}

static int
mem_table(struct vu_dev *d)
{
	struct mem_walk w;
	int ret;

	memset(&w, 0, sizeof(w));
	ret = keel_memseg_list_walk(add_region, &w);
	if (ret == 0 && d->mem_allocated)
		ret = cut_to_allocated(d, &w);
	if (ret < 0) {
		KEEL_LOG(ERR, vu_logtype, "%s: EAL memory cannot be shared "
			 "(%s)", d->path, strerror(-ret));
		return ret;
	}
	memcpy(w.payload, &w.n, 4);
	return set(d, VU_SET_MEM_TABLE, w.payload, 8 + 32 * w.n, w.fds, w.n);
}

static int
vring(struct vu_dev *d, struct vu_queue *q)
{
	uint32_t st[2] = { q->vring, q->size };
	uint32_t base[2] = { q->vring, q->packed ? 1u << 15 : 0 };
	uint32_t en[2] = { q->vring, 1 };
	uint64_t a[5] = { 0 }, idx = q->vring, desc, avail, used;
	int ret;

	vu_ring_addrs(q, &desc, &avail, &used);
	a[0] = q->vring;             /* index, flags 0 */
	a[1] = desc;
	a[2] = used;
	a[3] = avail;
	ret = set(d, VU_SET_VRING_NUM, st, 8, NULL, 0);
	if (ret == 0)
		ret = set(d, VU_SET_VRING_BASE, base, 8, NULL, 0);
	if (ret == 0)
		ret = set(d, VU_SET_VRING_ADDR, a, 40, NULL, 0);
	if (ret == 0)
		ret = set(d, VU_SET_VRING_CALL, &idx, 8, &q->callfd, 1);
	if (ret == 0)
		ret = set(d, VU_SET_VRING_KICK, &idx, 8, &q->kickfd, 1);
	if (ret == 0 && (d->features >> VU_F_PROTOCOL_FEATURES) & 1)
		ret = set(d, VU_SET_VRING_ENABLE, en, 8, NULL, 0);
	return ret;
}

int
vu_proto_setup(struct vu_dev *d)
{
	uint64_t offered, want, pf = 0, qn, status;
	uint16_t i;
	int ret;

	d->protocol = 0;
	ret = send_msg(d, VU_SET_OWNER, 0, NULL, 0, NULL, 0);
	if (ret == 0)
		ret = get_u64(d, VU_GET_FEATURES, &offered);
	if (ret < 0)
		goto fail;
	want = (1ULL << VU_F_VERSION_1) | (1ULL << VU_F_PROTOCOL_FEATURES) |
	       (d->want_mrg ? 1ULL << VU_F_MRG_RXBUF : 0) |
	       (d->want_packed ? 1ULL << VU_F_RING_PACKED : 0) |
	       /* the split ring driver has no in-order path: a device
		* could then write one used entry for several buffers */
	       (d->want_in_order && d->want_packed ?
		1ULL << VU_F_IN_ORDER : 0) |
	       (d->nq > 1 ? 1ULL << VU_F_MQ : 0);
	if (!((offered >> VU_F_VERSION_1) & 1) ||
	    (d->want_packed && !((offered >> VU_F_RING_PACKED) & 1))) {
		KEEL_LOG(ERR, vu_logtype, "%s: the back-end offers 0x%" PRIx64
			 ": no VERSION_1%s", d->path, offered,
			 d->want_packed ? " or no packed rings" : "");
		ret = -ENOTSUP;
		goto fail;
	}
	d->features = offered & want;
	if ((d->features >> VU_F_PROTOCOL_FEATURES) & 1) {
		ret = get_u64(d, VU_GET_PROTOCOL_FEATURES, &pf);
		if (ret < 0)
			goto fail;
		pf &= (1ULL << VU_PF_MQ) | (1ULL << VU_PF_REPLY_ACK) |
		      (1ULL << VU_PF_STATUS);
		ret = send_msg(d, VU_SET_PROTOCOL_FEATURES, 0, &pf, 8, NULL, 0);
		if (ret < 0)
			goto fail;
		d->protocol = pf;
	}
	if (d->nq > 1) {
		if (!((pf >> VU_PF_MQ) & 1) ||
		    get_u64(d, VU_GET_QUEUE_NUM, &qn) < 0 || qn < d->nq) {
			KEEL_LOG(ERR, vu_logtype, "%s: the back-end has fewer "
				 "than %u queue pairs", d->path, d->nq);
			ret = -ENOTSUP;
			goto fail;
		}
	}
	ret = set(d, VU_SET_FEATURES, &d->features, 8, NULL, 0);
	if (ret == 0)
		ret = mem_table(d);
	for (i = 0; ret == 0 && i < d->nq; i++) {
		vu_ring_reset(d->rxq[i], (d->features >> VU_F_RING_PACKED) & 1,
			      (d->features >> VU_F_MRG_RXBUF) & 1,
			      (d->features >> VU_F_IN_ORDER) & 1);
		vu_ring_reset(d->txq[i], (d->features >> VU_F_RING_PACKED) & 1,
			      0, (d->features >> VU_F_IN_ORDER) & 1);
		vu_rx_refill(d->rxq[i]);
		ret = vring(d, d->rxq[i]);
		if (ret == 0)
			ret = vring(d, d->txq[i]);
	}
	if (ret == 0 && ((d->protocol >> VU_PF_STATUS) & 1)) {
		status = 1 | 2 | 8 | 4;  /* ACKNOWLEDGE DRIVER FEATURES_OK DRIVER_OK */
		ret = set(d, VU_SET_STATUS, &status, 8, NULL, 0);
	}
	if (ret < 0)
		goto fail;
	KEEL_LOG(INFO, vu_logtype, "%s: features 0x%" PRIx64 " (%s%s), %u "
		 "queue pairs", d->path, d->features,
		 (d->features >> VU_F_RING_PACKED) & 1 ? "packed" : "split",
		 (d->features >> VU_F_MRG_RXBUF) & 1 ? ", mergeable" : "",
		 d->nq);
	return 0;
fail:
	KEEL_LOG(ERR, vu_logtype, "%s: vhost-user set-up failed: %s", d->path,
		 strerror(-ret));
	return ret;
}

static int
addr_of(const char *path, struct sockaddr_un *un)
{
	memset(un, 0, sizeof(*un));
	un->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(un->sun_path))
		return -ENAMETOOLONG;
	strcpy(un->sun_path, path);
	return 0;
}

int
vu_proto_connect(struct vu_dev *d)
{
	struct sockaddr_un un;
	int fd, ret = addr_of(d->path, &un);

	if (ret < 0)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&un, sizeof(un)) != 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int
vu_proto_listen(struct vu_dev *d)
{
	struct sockaddr_un un;
	int fd, ret = addr_of(d->path, &un);

	if (ret < 0)
		return ret;
	unlink(d->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&un, sizeof(un)) != 0 ||
	    listen(fd, 1) != 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}
