/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vhost-user protocol end to end over a real socket: negotiation,
 * queue set-up and the callbacks, stopping a ring, memory tables applied
 * as differences (ADD/REM_MEM_REG too), client mode with reconnect, a
 * stale socket file, and the API's argument checks.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "keel_vhost.h"
#include "test.h"
#include "vhost_test_env.h"
#include "vhost_test_fe.h"

#define F(bit) (1ULL << (bit))

static int n_new, n_destroy, n_conn, n_disconn, n_state_on, n_state_off;
static int last_vid = -1;

static int cb_new(int vid) { last_vid = vid; __atomic_add_fetch(&n_new, 1, __ATOMIC_SEQ_CST); return 0; }
static void cb_destroy(int vid) { (void)vid; __atomic_add_fetch(&n_destroy, 1, __ATOMIC_SEQ_CST); }
static int cb_conn(int vid) { (void)vid; __atomic_add_fetch(&n_conn, 1, __ATOMIC_SEQ_CST); return 0; }
static void cb_disconn(int vid) { (void)vid; __atomic_add_fetch(&n_disconn, 1, __ATOMIC_SEQ_CST); }
static int
cb_state(int vid, uint16_t q, int on)
{
	(void)vid; (void)q;
	__atomic_add_fetch(on ? &n_state_on : &n_state_off, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static const struct keel_vhost_device_ops test_ops = {
	.new_device = cb_new, .destroy_device = cb_destroy,
	.vring_state_changed = cb_state, .new_connection = cb_conn,
	.destroy_connection = cb_disconn,
};

static void
reset_counts(void)
{
	n_new = n_destroy = n_conn = n_disconn = n_state_on = n_state_off = 0;
	last_vid = -1;
}

/* wait up to 3 s for *v to reach want */
static int
wait_count(int *v, int want)
{
	int i;

	for (i = 0; i < 300; i++) {
		if (__atomic_load_n(v, __ATOMIC_SEQ_CST) >= want)
			return 1;
		usleep(10000);
	}
	return 0;
}

#define WANT_PROTO (F(VHOST_USER_PROTOCOL_F_MQ) | \
		    F(VHOST_USER_PROTOCOL_F_REPLY_ACK) | \
		    F(VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS) | \
		    F(VHOST_USER_PROTOCOL_F_BACKEND_REQ) | \
		    F(VHOST_USER_PROTOCOL_F_LOG_SHMFD) | \
		    F(VHOST_USER_PROTOCOL_F_NET_MTU) | \
		    F(VHOST_USER_PROTOCOL_F_STATUS))
#define WANT_FEAT (F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MRG_RXBUF) | \
		   F(VHOST_USER_F_PROTOCOL_FEATURES) | \
		   F(VIRTIO_RING_F_EVENT_IDX))

static int
test_proto_setup(void)
{
	char path[108];
	struct vt_fe fe;
	struct vhost_user_msg m;
	struct vhost_user_vring_state st = { 0, 0 };
	uint64_t v, nf;
	int fds0, maps0;
	uint16_t mtu;

	reset_counts();
	vt_fe_path(path, sizeof(path), "setup");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_register(path, 0), "register");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_callback_register(path, &test_ops),
			    "callbacks");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_set_max_queue_num(path, 2), "mq");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_start(path), "start");
	TEST_ASSERT_SUCCESS(vt_fe_mem(&fe), "guest memory");
	fds0 = test_count_fds();
	maps0 = vt_count_maps();
	TEST_ASSERT_SUCCESS(vt_fe_connect(&fe, path), "connect");
	TEST_ASSERT(wait_count(&n_conn, 1), "new_connection");
	TEST_ASSERT_SUCCESS(vt_fe_negotiate(&fe, WANT_FEAT, WANT_PROTO),
			    "negotiate");
	TEST_ASSERT_EQUAL(fe.features, WANT_FEAT, "all wanted features offered");
	TEST_ASSERT_SUCCESS(vt_fe_get_u64(&fe, VHOST_USER_GET_QUEUE_NUM, &v),
			    "queue num");
	TEST_ASSERT_EQUAL(v, 2, "GET_QUEUE_NUM");
	TEST_ASSERT_SUCCESS(vt_fe_get_u64(&fe, VHOST_USER_GET_MAX_MEM_SLOTS, &v),
			    "slots");
	TEST_ASSERT_EQUAL(v, KEEL_VHOST_MAX_MEM_REGIONS, "GET_MAX_MEM_SLOTS");
	v = 9000;
	TEST_ASSERT_EQUAL(vt_fe_acked(&fe, VHOST_USER_NET_SET_MTU, &v, 8, NULL,
				      0), 0, "MTU acked");
	TEST_ASSERT_SUCCESS(vt_fe_mem_table(&fe), "mem table");
	TEST_ASSERT_SUCCESS(vt_fe_rings(&fe, 2), "rings");
	/* STATUS negotiated: ready only with DRIVER_OK */
	TEST_ASSERT_EQUAL(n_new, 0, "no device before DRIVER_OK");
	v = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	    VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
	TEST_ASSERT_EQUAL(vt_fe_acked(&fe, VHOST_USER_SET_STATUS, &v, 8, NULL, 0),
			  0, "status");
	TEST_ASSERT(wait_count(&n_new, 1), "new_device");
	TEST_ASSERT_SUCCESS(vt_fe_get_u64(&fe, VHOST_USER_GET_STATUS, &v), "st");
	TEST_ASSERT_EQUAL(v & VIRTIO_STATUS_DRIVER_OK, VIRTIO_STATUS_DRIVER_OK,
			  "GET_STATUS");
	TEST_ASSERT_EQUAL(n_state_on, 2, "both vrings reported");
	TEST_ASSERT_SUCCESS(keel_vhost_get_negotiated_features(last_vid, &nf),
			    "features");
	TEST_ASSERT_EQUAL(nf, WANT_FEAT, "negotiated features");
	TEST_ASSERT_EQUAL(keel_vhost_get_vring_num(last_vid), 2, "vrings");
	TEST_ASSERT_SUCCESS(keel_vhost_get_mtu(last_vid, &mtu), "mtu");
	TEST_ASSERT_EQUAL(mtu, 9000, "mtu value");
	/* stopping a ring stops the device and tells where the ring stands */
	TEST_ASSERT_SUCCESS(vt_fe_send(&fe, VHOST_USER_GET_VRING_BASE, 0, &st, 8,
				       NULL, 0), "get base");
	TEST_ASSERT_EQUAL(vt_fe_recv(&fe, &m, 2000), 1, "base reply");
	TEST_ASSERT_EQUAL(m.payload.state.index, 0, "index");
	TEST_ASSERT_EQUAL(m.payload.state.num, 0, "nothing consumed");
	TEST_ASSERT_EQUAL(n_destroy, 1, "destroy_device before the reply");
	/* restart it: the device comes back */
	{
		uint64_t idx = 0;
		int kick = fe.kick[0];

		TEST_ASSERT_SUCCESS(vt_fe_send(&fe, VHOST_USER_SET_VRING_KICK, 0,
					       &idx, 8, &kick, 1), "kick");
		TEST_ASSERT(wait_count(&n_new, 2), "new_device again");
	}
	vt_fe_disconnect(&fe);
	TEST_ASSERT(wait_count(&n_disconn, 1), "destroy_connection");
	TEST_ASSERT_EQUAL(n_destroy, 2, "destroy_device on disconnect");
	TEST_ASSERT_EQUAL(test_count_fds(), fds0, "fds flat");
	TEST_ASSERT_EQUAL(vt_count_maps(), maps0, "mappings flat");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_unregister(path), "unregister");
	TEST_ASSERT(access(path, F_OK) != 0, "socket file removed");
	vt_fe_fini(&fe);
	return TEST_SUCCESS;
}
KEEL_TEST(vhost_proto_setup, "fast", TEST_NO_EAL, test_proto_setup)

/* the device's current memory table (read between round trips) */
static struct vhost_mem *
mem_of(int vid)
{
	struct vhost_dev *dev = vhost_dev_get(vid);

	return dev != NULL ? dev->mem : NULL;
}

static int
test_mem_diff(void)
{
	char path[108];
	struct vt_fe fe;
	struct vhost_user_mem_table t;
	struct vhost_user_mem_single one;
	uint8_t *host0;
	int fd2, maps, vid = -1, i;

	reset_counts();
	vt_fe_path(path, sizeof(path), "mem");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_register(path, 0), "register");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_callback_register(path, &test_ops),
			    "callbacks");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_start(path), "start");
	TEST_ASSERT_SUCCESS(vt_fe_mem(&fe), "guest memory");
	TEST_ASSERT_SUCCESS(vt_fe_connect(&fe, path), "connect");
	TEST_ASSERT_SUCCESS(vt_fe_negotiate(&fe, WANT_FEAT, WANT_PROTO), "neg");
	TEST_ASSERT_SUCCESS(vt_fe_mem_table(&fe), "table 1");
	TEST_ASSERT_SUCCESS(vt_fe_rings(&fe, 2), "rings");
	TEST_ASSERT_EQUAL(vt_fe_acked(&fe, VHOST_USER_SET_STATUS,
		&(uint64_t){ VIRTIO_STATUS_DRIVER_OK }, 8, NULL, 0), 0, "ok");
	TEST_ASSERT(wait_count(&n_new, 1), "device");
	vid = last_vid;
	TEST_ASSERT(mem_of(vid) != NULL && mem_of(vid)->n == 1, "one region");
	host0 = mem_of(vid)->r[0].host;
	maps = vt_count_maps();

	/* the same table again, through another fd of the same file: kept */
	memset(&t, 0, sizeof(t));
	t.nregions = 2;
	t.regions[0] = (struct vhost_user_mem_region){ VT_FE_GPA, VT_FE_MEM / 2,
		(uint64_t)(uintptr_t)fe.g, 0 };
	t.regions[1] = (struct vhost_user_mem_region){ VT_FE_GPA + VT_FE_MEM / 2,
		VT_FE_MEM / 2, (uint64_t)(uintptr_t)fe.g + VT_FE_MEM / 2,
		VT_FE_MEM / 2 };
	fd2 = dup(fe.mfd);
	TEST_ASSERT_EQUAL(vt_fe_acked(&fe, VHOST_USER_SET_MEM_TABLE,
		&(struct vhost_user_mem_table){ .nregions = 1,
		.regions[0] = { VT_FE_GPA, VT_FE_MEM, (uint64_t)(uintptr_t)fe.g,
		0 } }, 8 + 32, &fd2, 1), 0, "same table");
	TEST_ASSERT(mem_of(vid)->r[0].host == host0, "mapping kept");
	TEST_ASSERT_EQUAL(vt_count_maps(), maps, "no new mapping");
	TEST_ASSERT(n_destroy == 0, "device kept running");

	/* split into two regions: both new */
	{
		int fds[2] = { fe.mfd, fd2 };

		TEST_ASSERT_EQUAL(vt_fe_acked(&fe, VHOST_USER_SET_MEM_TABLE, &t,
					      8 + 64, fds, 2), 0, "two regions");
	}
	TEST_ASSERT_EQUAL(mem_of(vid)->n, 2, "two regions");
	TEST_ASSERT(mem_of(vid)->r[0].host != host0, "remapped");
	/* the rings still translate: the device still runs */
	TEST_ASSERT(vhost_dev_get(vid)->vq[0]->ready, "ring 0 ready");

	/* remove the upper half, add it back */
	memset(&one, 0, sizeof(one));
	one.region = t.regions[1];
	TEST_ASSERT_EQUAL(vt_fe_acked(&fe, VHOST_USER_REM_MEM_REG, &one,
				      sizeof(one), NULL, 0), 0, "rem");
	TEST_ASSERT_EQUAL(mem_of(vid)->n, 1, "one left");
	TEST_ASSERT_EQUAL(vt_fe_acked(&fe, VHOST_USER_REM_MEM_REG, &one,
				      sizeof(one), NULL, 0), 1,
			  "removing it twice is refused");
	TEST_ASSERT_EQUAL(vt_fe_acked(&fe, VHOST_USER_ADD_MEM_REG, &one,
				      sizeof(one), &fd2, 1), 0, "add");
	TEST_ASSERT_EQUAL(mem_of(vid)->n, 2, "two again");
	TEST_ASSERT_EQUAL(vt_fe_acked(&fe, VHOST_USER_ADD_MEM_REG, &one,
				      sizeof(one), &fd2, 1), 1,
			  "an overlapping region is refused");
	/* fill every slot, then one more is refused */
	for (i = 2; i < KEEL_VHOST_MAX_MEM_REGIONS; i++) {
		one.region = (struct vhost_user_mem_region){
			0x100000000ULL + (uint64_t)i * 0x1000, 0x1000,
			0x7e0000000000ULL + (uint64_t)i * 0x1000, 0 };
		TEST_ASSERT_EQUAL(vt_fe_acked(&fe, VHOST_USER_ADD_MEM_REG, &one,
					      sizeof(one), &fd2, 1), 0,
				  "slot %d", i);
	}
	one.region.guest_addr += 0x100000;
	one.region.user_addr += 0x100000;
	TEST_ASSERT_EQUAL(vt_fe_acked(&fe, VHOST_USER_ADD_MEM_REG, &one,
				      sizeof(one), &fd2, 1), 1, "no slot left");
	close(fd2);
	vt_fe_disconnect(&fe);
	TEST_ASSERT(wait_count(&n_disconn, 1), "closed");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_unregister(path), "unregister");
	vt_fe_fini(&fe);
	return TEST_SUCCESS;
}
KEEL_TEST(vhost_mem_diff, "fast", TEST_NO_EAL, test_mem_diff)

static int
listen_on(const char *path)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&un, sizeof(un)) != 0 ||
	    listen(fd, 4) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int
test_client_reconnect(void)
{
	char path[108];
	int lfd, c;

	reset_counts();
	vt_fe_path(path, sizeof(path), "client");
	/* no server: NO_RECONNECT fails at once, reconnect mode retries */
	TEST_ASSERT_SUCCESS(keel_vhost_driver_register(path,
		KEEL_VHOST_USER_CLIENT | KEEL_VHOST_USER_NO_RECONNECT), "reg");
	TEST_ASSERT(keel_vhost_driver_start(path) < 0, "no server: error");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_unregister(path), "unreg");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_register(path,
			    KEEL_VHOST_USER_CLIENT), "reg");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_callback_register(path, &test_ops),
			    "callbacks");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_start(path), "start retries");
	/* the server appears: the client connects within its retry period */
	lfd = listen_on(path);
	TEST_ASSERT(lfd >= 0, "listen");
	c = accept(lfd, NULL, NULL);
	TEST_ASSERT(c >= 0, "connected");
	TEST_ASSERT(wait_count(&n_conn, 1), "new_connection");
	/* the server drops it: the client comes back */
	close(c);
	TEST_ASSERT(wait_count(&n_disconn, 1), "destroy_connection");
	c = accept(lfd, NULL, NULL);
	TEST_ASSERT(c >= 0, "reconnected");
	TEST_ASSERT(wait_count(&n_conn, 2), "second connection");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_unregister(path), "unreg");
	close(c);
	close(lfd);
	unlink(path);
	return TEST_SUCCESS;
}
KEEL_TEST(vhost_client_reconnect, "fast", TEST_NO_EAL, test_client_reconnect)

static int
test_server_socket_file(void)
{
	char path[108];
	int lfd;

	vt_fe_path(path, sizeof(path), "stale");
	/* a socket file left by a dead process is taken over */
	lfd = listen_on(path);
	TEST_ASSERT(lfd >= 0, "listen");
	close(lfd);
	TEST_ASSERT_SUCCESS(keel_vhost_driver_register(path, 0), "register");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_start(path), "stale file reused");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_unregister(path), "unregister");
	/* one somebody listens on is not */
	lfd = listen_on(path);
	TEST_ASSERT(lfd >= 0, "listen");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_register(path, 0), "register");
	TEST_ASSERT_EQUAL(keel_vhost_driver_start(path), -EADDRINUSE, "in use");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_unregister(path), "unregister");
	close(lfd);
	unlink(path);
	return TEST_SUCCESS;
}
KEEL_TEST(vhost_server_socket_file, "fast", TEST_NO_EAL, test_server_socket_file)

static int
test_api_errors(void)
{
	char longp[200];
	uint64_t f;
	uint32_t q;

	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	TEST_ASSERT_EQUAL(keel_vhost_driver_register(NULL, 0), -EINVAL, "NULL");
	TEST_ASSERT_EQUAL(keel_vhost_driver_register("", 0), -EINVAL, "empty");
	TEST_ASSERT_EQUAL(keel_vhost_driver_register(longp, 0), -EINVAL, "long");
	TEST_ASSERT_EQUAL(keel_vhost_driver_register("/tmp/x", 1ULL << 40),
			  -EINVAL, "unknown flag");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_register("/tmp/keel-vt-api", 0),
			    "register");
	TEST_ASSERT_EQUAL(keel_vhost_driver_register("/tmp/keel-vt-api", 0),
			  -EEXIST, "twice");
	TEST_ASSERT_EQUAL(keel_vhost_driver_set_max_queue_num("/tmp/keel-vt-api",
			  0), -EINVAL, "0 queues");
	TEST_ASSERT_EQUAL(keel_vhost_driver_set_max_queue_num("/tmp/keel-vt-api",
			  129), -EINVAL, "129 queues");
	TEST_ASSERT_EQUAL(keel_vhost_driver_set_features("/tmp/keel-vt-api",
			  1ULL << 63), -ENOTSUP, "unsupported feature");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_disable_features("/tmp/keel-vt-api",
			    F(VIRTIO_F_RING_PACKED)), "disable");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_get_features("/tmp/keel-vt-api",
			    &f), "get");
	TEST_ASSERT(!(f & F(VIRTIO_F_RING_PACKED)), "disabled");
	TEST_ASSERT(!(f & F(VIRTIO_F_IOMMU_PLATFORM)), "no IOMMU by default");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_get_queue_num("/tmp/keel-vt-api",
			    &q), "qnum");
	TEST_ASSERT_SUCCESS(keel_vhost_driver_unregister("/tmp/keel-vt-api"), "u");
	TEST_ASSERT_EQUAL(keel_vhost_driver_unregister("/tmp/keel-vt-api"),
			  -ENOENT, "gone");
	TEST_ASSERT_EQUAL(keel_vhost_driver_start("/tmp/keel-vt-none"), -ENOENT,
			  "start unknown");
	TEST_ASSERT_EQUAL(keel_vhost_get_negotiated_features(-1, &f), -ENODEV,
			  "bad vid");
	TEST_ASSERT_EQUAL(keel_vhost_get_negotiated_features(100000, &f),
			  -ENODEV, "bad vid");
	TEST_ASSERT_EQUAL(keel_vhost_get_vring_num(5000), 0, "bad vid");
	return TEST_SUCCESS;
}
KEEL_TEST(vhost_api_errors, "fast", TEST_NO_EAL, test_api_errors)
