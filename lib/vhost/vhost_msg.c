/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user messages: reading them off a connection without blocking,
 * checking each against one table, dispatching to its handler, replying.
 *
 * The table is the single place that says, for every request: its payload
 * size (exact, or a range the handler narrows), how many fds it may carry,
 * the feature that must have been negotiated for it, and its handler.
 * Nothing reaches a handler that breaks the table; fds a message should
 * not carry are closed; fds a handler does not take are closed after it.
 *
 * Invariant: dev->rx_* holds at most one partial message; its fds are
 * owned by it until the message is processed or the connection closes.
 * Locking: dispatcher thread only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "vhost_internal.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "virtio rings are little-endian; Keel reads them natively");
_Static_assert(offsetof(struct vhost_user_msg, pad_) == VHOST_USER_HDR_SIZE,
	       "12-byte header");
_Static_assert(sizeof(struct vhost_user_iotlb) == 32, "vhost_iotlb_msg");
_Static_assert(sizeof(struct vhost_user_vring_addr) == 40, "vring addr");
_Static_assert(sizeof(struct vhost_user_mem_single) == 40, "single region");

/* fd policy: most fds a request may carry (handlers check exact counts
 * that depend on the payload: SET_MEM_TABLE, the "no fd" bit of KICK) */
struct msg_rule {
	const char *name;
	vhost_msg_handler_t fn;   /* NULL: not supported, closes */
	uint16_t min_size;
	uint16_t max_size;
	uint8_t max_fds;
	int8_t need_feature;      /* virtio feature bit negotiated, -1: none */
	int8_t need_protocol;     /* protocol feature negotiated, -1: none */
};

#define U64 sizeof(uint64_t)
#define STATE sizeof(struct vhost_user_vring_state)
#define RULE(req, f, lo, hi, nfd, feat, proto) \
	[VHOST_USER_##req] = { #req, f, lo, hi, nfd, feat, proto }

static const struct msg_rule rules[VHOST_USER_REQUEST_MAX] = {
	RULE(GET_FEATURES, vhost_user_get_features, 0, 0, 0, -1, -1),
	RULE(SET_FEATURES, vhost_user_set_features, U64, U64, 0, -1, -1),
	RULE(SET_OWNER, vhost_user_set_owner, 0, 0, 0, -1, -1),
	RULE(RESET_OWNER, vhost_user_reset_owner, 0, 0, 0, -1, -1),
	RULE(SET_MEM_TABLE, vhost_user_set_mem_table, 8,
	     sizeof(struct vhost_user_mem_table), VHOST_USER_MAX_FDS, -1, -1),
	RULE(SET_LOG_BASE, vhost_user_set_log_base,
	     sizeof(struct vhost_user_log), sizeof(struct vhost_user_log), 1,
	     -1, VHOST_USER_PROTOCOL_F_LOG_SHMFD),
	RULE(SET_LOG_FD, vhost_user_set_log_fd, 0, 0, 1, -1, -1),
	RULE(SET_VRING_NUM, vhost_user_set_vring_num, STATE, STATE, 0, -1, -1),
	RULE(SET_VRING_ADDR, vhost_user_set_vring_addr,
	     sizeof(struct vhost_user_vring_addr),
	     sizeof(struct vhost_user_vring_addr), 0, -1, -1),
	RULE(SET_VRING_BASE, vhost_user_set_vring_base, STATE, STATE, 0, -1, -1),
	RULE(GET_VRING_BASE, vhost_user_get_vring_base, STATE, STATE, 0, -1, -1),
	RULE(SET_VRING_KICK, vhost_user_set_vring_kick, U64, U64, 1, -1, -1),
	RULE(SET_VRING_CALL, vhost_user_set_vring_call, U64, U64, 1, -1, -1),
	RULE(SET_VRING_ERR, vhost_user_set_vring_err, U64, U64, 1, -1, -1),
	RULE(GET_PROTOCOL_FEATURES, vhost_user_get_protocol_features, 0, 0, 0,
	     -1, -1),
	RULE(SET_PROTOCOL_FEATURES, vhost_user_set_protocol_features, U64, U64,
	     0, -1, -1),
	RULE(GET_QUEUE_NUM, vhost_user_get_queue_num, 0, 0, 0, -1,
	     VHOST_USER_PROTOCOL_F_MQ),
	RULE(SET_VRING_ENABLE, vhost_user_set_vring_enable, STATE, STATE, 0,
	     -1, -1),
	RULE(SEND_RARP, vhost_user_send_rarp, U64, U64, 0, -1,
	     VHOST_USER_PROTOCOL_F_RARP),
	RULE(NET_SET_MTU, vhost_user_net_set_mtu, U64, U64, 0, -1,
	     VHOST_USER_PROTOCOL_F_NET_MTU),
	RULE(SET_BACKEND_REQ_FD, vhost_user_set_backend_req_fd, 0, 0, 1, -1,
	     VHOST_USER_PROTOCOL_F_BACKEND_REQ),
	RULE(IOTLB_MSG, vhost_user_iotlb_msg, sizeof(struct vhost_user_iotlb),
	     sizeof(struct vhost_user_iotlb), 0, VIRTIO_F_IOMMU_PLATFORM, -1),
	/* not offered: a front-end sending them breaks the negotiation */
	RULE(SET_VRING_ENDIAN, NULL, STATE, STATE, 0, -1,
	     VHOST_USER_PROTOCOL_F_CROSS_ENDIAN),
	RULE(GET_CONFIG, NULL, 12, sizeof(struct vhost_user_config), 0, -1,
	     VHOST_USER_PROTOCOL_F_CONFIG),
	RULE(SET_CONFIG, NULL, 12, sizeof(struct vhost_user_config), 0, -1,
	     VHOST_USER_PROTOCOL_F_CONFIG),
	RULE(CREATE_CRYPTO_SESSION, NULL, 0, 0, 0, -1,
	     VHOST_USER_PROTOCOL_F_CRYPTO_SESSION),
	RULE(CLOSE_CRYPTO_SESSION, NULL, U64, U64, 0, -1,
	     VHOST_USER_PROTOCOL_F_CRYPTO_SESSION),
	RULE(POSTCOPY_ADVISE, NULL, 0, 0, 0, -1, VHOST_USER_PROTOCOL_F_PAGEFAULT),
	RULE(POSTCOPY_LISTEN, NULL, 0, 0, 0, -1, VHOST_USER_PROTOCOL_F_PAGEFAULT),
	RULE(POSTCOPY_END, NULL, 0, 0, 0, -1, VHOST_USER_PROTOCOL_F_PAGEFAULT),
	RULE(GET_INFLIGHT_FD, NULL, sizeof(struct vhost_user_inflight),
	     sizeof(struct vhost_user_inflight), 0, -1,
	     VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD),
	RULE(SET_INFLIGHT_FD, NULL, sizeof(struct vhost_user_inflight),
	     sizeof(struct vhost_user_inflight), 1, -1,
	     VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD),
	RULE(GPU_SET_SOCKET, NULL, 0, 0, 1, -1, -1),
	RULE(RESET_DEVICE, vhost_user_reset_device, 0, 0, 0, -1,
	     VHOST_USER_PROTOCOL_F_RESET_DEVICE),
	RULE(VRING_KICK, NULL, STATE, STATE, 0, -1,
	     VHOST_USER_PROTOCOL_F_INBAND_NOTIFICATIONS),
	RULE(GET_MAX_MEM_SLOTS, vhost_user_get_max_mem_slots, 0, 0, 0, -1,
	     VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS),
	RULE(ADD_MEM_REG, vhost_user_add_mem_reg,
	     sizeof(struct vhost_user_mem_single),
	     sizeof(struct vhost_user_mem_single), 1, -1,
	     VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS),
	/* one fd tolerated (old QEMU sends it) and closed unused */
	RULE(REM_MEM_REG, vhost_user_rem_mem_reg,
	     sizeof(struct vhost_user_mem_single),
	     sizeof(struct vhost_user_mem_single), 1, -1,
	     VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS),
	RULE(SET_STATUS, vhost_user_set_status, U64, U64, 0, -1,
	     VHOST_USER_PROTOCOL_F_STATUS),
	RULE(GET_STATUS, vhost_user_get_status, 0, 0, 0, -1,
	     VHOST_USER_PROTOCOL_F_STATUS),
};

const char *
vhost_msg_name(uint32_t request)
{
	if (request < VHOST_USER_REQUEST_MAX && rules[request].name != NULL)
		return rules[request].name;
	return "UNKNOWN";
}

static void
close_fds(int *fds, uint32_t nfds)
{
	uint32_t i;

	for (i = 0; i < nfds; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/* the largest payload a request may carry (0 for unknown requests) */
static uint32_t
max_payload(uint32_t request)
{
	if (request >= VHOST_USER_REQUEST_MAX || rules[request].name == NULL)
		return 0;
	return rules[request].max_size;
}

int
vhost_msg_recv(struct vhost_dev *dev)
{
	struct vhost_user_msg *m = &dev->rx_msg;
	uint32_t want;
	uint8_t *at;
	ssize_t n;

	for (;;) {
		if (dev->rx_have < VHOST_USER_HDR_SIZE) {
			want = VHOST_USER_HDR_SIZE - dev->rx_have;
			at = (uint8_t *)m + dev->rx_have;
		} else {
			if (m->size > max_payload(m->request)) {
				VHOST_LOG(ERR, dev, "message %s (%u): payload "
					  "size %u, at most %u allowed",
					  vhost_msg_name(m->request), m->request,
					  m->size, max_payload(m->request));
				return -EMSGSIZE;
			}
			want = VHOST_USER_HDR_SIZE + m->size - dev->rx_have;
			if (want == 0)
				return 1;
			at = (uint8_t *)&m->payload +
			     (dev->rx_have - VHOST_USER_HDR_SIZE);
		}
		n = vhost_sock_recv(dev->connfd, at, want, dev->rx_fds,
				    &dev->rx_nfds,
				    VHOST_USER_MAX_FDS);
		if (n == -EAGAIN)
			return 0;
		if (n == -EMSGSIZE) {
			VHOST_LOG(ERR, dev, "message carries more than %u fds",
				  VHOST_USER_MAX_FDS);
			return -EMSGSIZE;
		}
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -ECONNRESET;
		dev->rx_have += (uint32_t)n;
	}
}

int
vhost_msg_send(int fd, const struct vhost_user_msg *msg, const int *fds,
	       uint32_t nfds)
{
	return vhost_sock_send(fd, msg, VHOST_USER_HDR_SIZE, &msg->payload,
			       msg->size, fds, nfds);
}

int
vhost_msg_send_reply(struct vhost_dev *dev, struct vhost_user_msg *msg)
{
	int ret;

	msg->flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
	ret = vhost_msg_send(dev->connfd, msg, NULL, 0);
	if (ret < 0)
		VHOST_LOG(ERR, dev, "cannot send reply to %s: %s",
			  vhost_msg_name(msg->request), strerror(-ret));
	return ret;
}

static int
nack_or_close(struct vhost_dev *dev, struct vhost_user_msg *msg, int err,
	      int need_ack)
{
	if (!need_ack || err == VH_CLOSE)
		return err < 0 ? err : -EPROTO;
	msg->size = U64;
	msg->payload.u64 = 1;
	return vhost_msg_send_reply(dev, msg);
}

int
vhost_msg_process(struct vhost_dev *dev, struct vhost_user_msg *msg, int *fds,
		  uint32_t nfds)
{
	const struct msg_rule *r;
	uint32_t req = msg->request;
	int need_ack, ret;

	need_ack = (msg->flags & VHOST_USER_NEED_REPLY_MASK) &&
		   vhost_has_protocol(dev, VHOST_USER_PROTOCOL_F_REPLY_ACK);
	if ((msg->flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION ||
	    (msg->flags & VHOST_USER_REPLY_MASK)) {
		VHOST_LOG(ERR, dev, "message %u: bad flags 0x%x (version 1, "
			  "no reply bit expected)", req, msg->flags);
		ret = VH_CLOSE;
		goto out;
	}
	if (req >= VHOST_USER_REQUEST_MAX || rules[req].name == NULL) {
		VHOST_LOG(ERR, dev, "unknown request %u", req);
		ret = VH_CLOSE;
		goto out;
	}
	r = &rules[req];
	if (msg->size < r->min_size || msg->size > r->max_size) {
		VHOST_LOG(ERR, dev, "%s: payload size %u, expected %u..%u",
			  r->name, msg->size, r->min_size, r->max_size);
		ret = VH_CLOSE;
		goto out;
	}
	if (nfds > r->max_fds) {
		VHOST_LOG(ERR, dev, "%s carries %u fds, at most %u allowed",
			  r->name, nfds, r->max_fds);
		ret = VH_CLOSE;
		goto out;
	}
	if (r->need_protocol >= 0 &&
	    !vhost_has_protocol(dev, (unsigned int)r->need_protocol)) {
		VHOST_LOG(ERR, dev, "%s without protocol feature %d negotiated",
			  r->name, r->need_protocol);
		ret = VH_CLOSE;
		goto out;
	}
	if (r->need_feature >= 0 &&
	    !vhost_has_feature(dev, (unsigned int)r->need_feature)) {
		VHOST_LOG(ERR, dev, "%s without feature %d negotiated",
			  r->name, r->need_feature);
		ret = VH_CLOSE;
		goto out;
	}
	if (r->fn == NULL) {
		VHOST_LOG(ERR, dev, "%s is not supported", r->name);
		ret = VH_CLOSE;
		goto out;
	}
	VHOST_LOG(DEBUG, dev, "%s (size %u, %u fds)", r->name, msg->size, nfds);
	ret = r->fn(dev, msg, fds, nfds);
out:
	close_fds(fds, nfds);
	if (ret == VH_REPLY)
		return vhost_msg_send_reply(dev, msg);
	if (ret < 0)
		return nack_or_close(dev, msg, ret, need_ack);
	if (need_ack) {
		msg->size = U64;
		msg->payload.u64 = 0;
		return vhost_msg_send_reply(dev, msg);
	}
	return 0;
}
