/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_VHOST_TEST_FE_H
#define KEEL_VHOST_TEST_FE_H

/*
 * A test vhost-user front-end: speaks the protocol over a real unix socket
 * to the library's dispatcher, with full control over every header, size,
 * payload and fd, so tests can send what QEMU would and what an attacker
 * would. Its guest memory is a memfd it maps itself (user address = its
 * own address, as virtio_user does); rings live in that memory and the
 * test plays the guest driver through vhost_test_env.h's ring writers.
 */
#include <stdint.h>

#include "vhost_proto.h"

#define VT_FE_GPA   0x40000000ULL
#define VT_FE_MEM   (1024 * 1024ULL)
#define VT_FE_RING  256           /* ring size used by vt_fe_setup */

struct vt_fe {
	int fd;
	int mfd;
	uint8_t *g;              /* guest memory */
	uint64_t features;       /* negotiated */
	uint64_t protocol;
	int kick[4], call[4];
};

/* a unique socket path for this process and @p tag */
void vt_fe_path(char *buf, size_t len, const char *tag);

/* create the guest memory (once per fe) */
int vt_fe_mem(struct vt_fe *fe);
/* connect to @p path, retrying for up to 2 s */
int vt_fe_connect(struct vt_fe *fe, const char *path);
/* close the connection (the memory stays) */
void vt_fe_disconnect(struct vt_fe *fe);
/* release everything */
void vt_fe_fini(struct vt_fe *fe);

/* send one message; flags 0 means "version 1" */
int vt_fe_send(struct vt_fe *fe, uint32_t req, uint32_t flags,
	       const void *payload, uint32_t size, const int *fds,
	       uint32_t nfds);
/* send raw bytes (partial or malformed messages) */
int vt_fe_send_raw(struct vt_fe *fe, const void *buf, size_t len,
		   const int *fds, uint32_t nfds);
/* receive one reply: 1, 0 when the back-end closed, -ETIMEDOUT */
int vt_fe_recv(struct vt_fe *fe, struct vhost_user_msg *m, int timeout_ms);
/* request with a u64 reply */
int vt_fe_get_u64(struct vt_fe *fe, uint32_t req, uint64_t *v);
/* send with NEED_REPLY and wait for the ack: its u64 (0 = success), or
 * -1 when the connection closed / nothing came */
int64_t vt_fe_acked(struct vt_fe *fe, uint32_t req, const void *payload,
		    uint32_t size, const int *fds, uint32_t nfds);
/* 1 when the back-end closed the connection within @p ms (replies that
 * come first are skipped) */
int vt_fe_closed(struct vt_fe *fe, int ms);

/* negotiate: features (offered & wanted), protocol features */
int vt_fe_negotiate(struct vt_fe *fe, uint64_t want, uint64_t want_proto);
/* send the memory table (one region: all of the guest memory) */
int vt_fe_mem_table(struct vt_fe *fe);
/* set up, start and enable vring i (no round trip) */
int vt_fe_ring(struct vt_fe *fe, unsigned int i);
/* set up, start and enable vrings 0..n-1 (rings in guest memory) */
int vt_fe_rings(struct vt_fe *fe, unsigned int n);

/* where vring i's parts live (guest addresses) */
static inline uint64_t
vt_fe_ring_gpa(unsigned int i)
{
	return VT_FE_GPA + (uint64_t)i * 0x10000;
}

#endif /* KEEL_VHOST_TEST_FE_H */
