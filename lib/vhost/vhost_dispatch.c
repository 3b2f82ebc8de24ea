/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dispatcher: one thread per process that owns every vhost-user
 * socket and connection. It accepts (server) or connects and reconnects
 * (client), reads messages without ever blocking on a peer (partial
 * messages wait in the device), processes them and calls the
 * application's callbacks. Datapath threads never wait for it: it only
 * holds queue locks for the short moments a change needs them.
 *
 * Invariants: every registered socket is in socks[]; a started server's
 * listen fd and every live connection fd are in the epoll set, tagged with
 * what they are; a client socket has either a connection or a reconnect
 * time (unless NO_RECONNECT). The thread runs while at least one socket
 * is started.
 * Locking: vhost_global_lock protects socks[], the epoll set and every
 * device's control state; the thread holds it while it handles events,
 * API calls that change sockets take it too.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "keel_cycles.h"
#include "vhost_internal.h"

#define MAX_SOCKETS 256
#define RECONNECT_NS 1000000000ULL
#define MSGS_PER_EVENT 64    /* fairness between connections */

enum { TAG_WAKE = 1, TAG_LISTEN = 2, TAG_CONN = 3 };
#define TAG(t, id) (((uint64_t)(t) << 32) | (uint32_t)(id))

pthread_mutex_t vhost_global_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vhost_socket *socks[MAX_SOCKETS];
static pthread_t thread;
static int thread_on;
static int stop_thread;
static int epfd = -1;
static int wakefd = -1;
static __thread int on_dispatcher;

int
vhost_in_dispatcher(void)
{
	return on_dispatcher;
}

static void
wake(void)
{
	uint64_t one = 1;
	ssize_t r = write(wakefd, &one, sizeof(one));

	(void)r;
}

/* ---- connections ---- */

static void
close_dev(struct vhost_dev *dev)
{
	struct vhost_socket *s = dev->sock;

	epoll_ctl(epfd, EPOLL_CTL_DEL, dev->connfd, NULL);
	vhost_dev_destroy(dev);
	if (s != NULL && (s->flags & KEEL_VHOST_USER_CLIENT)) {
		s->client_vid = -1;
		if (s->started && !(s->flags & KEEL_VHOST_USER_NO_RECONNECT))
			s->reconnect_at_ns = keel_time_ns() + RECONNECT_NS;
	}
}

void
vhost_dispatch_close_dev(struct vhost_dev *dev)
{
	close_dev(dev);
}

static int
add_conn(struct vhost_socket *s, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct vhost_dev *dev = vhost_dev_new(s, fd);

	if (dev == NULL) {
		close(fd);
		return -ENOSPC;
	}
	ev.data.u64 = TAG(TAG_CONN, dev->vid);
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		int err = errno;

		dev->ops = &s->ops;
		vhost_dev_destroy(dev);
		return -err;
	}
	if (s->flags & KEEL_VHOST_USER_CLIENT)
		s->client_vid = dev->vid;
	VHOST_LOG(INFO, dev, "new connection: device %d", dev->vid);
	if (s->ops.new_connection != NULL &&
	    s->ops.new_connection(dev->vid) != 0) {
		VHOST_LOG(ERR, dev, "application refused connection %d",
			  dev->vid);
		close_dev(dev);
		return -ECONNREFUSED;
	}
	return 0;
}

static void
do_accept(struct vhost_socket *s)
{
	int fd;

	while ((fd = accept4(s->listenfd, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0)
		add_conn(s, fd);
}

static int
try_connect(struct vhost_socket *s)
{
	int fd = vhost_sock_connect(s->path);

	if (fd < 0)
		return fd;
	s->reconnect_at_ns = 0;
	return add_conn(s, fd);
}

/* read and process what one connection sent */
static void
do_conn(int vid)
{
	struct vhost_dev *dev = vhost_dev_get(vid);
	int i, r;

	if (dev == NULL)
		return;
	for (i = 0; i < MSGS_PER_EVENT; i++) {
		struct vhost_user_msg msg;
		int fds[VHOST_USER_MAX_FDS];
		uint32_t nfds, k;

		r = vhost_msg_recv(dev);
		if (r == 0)
			return;
		if (r < 0) {
			if (r != -ECONNRESET)
				VHOST_LOG(ERR, dev, "closing connection: %s",
					  strerror(-r));
			close_dev(dev);
			return;
		}
		/* take the message out of the receive state */
		msg = dev->rx_msg;
		nfds = dev->rx_nfds;
		for (k = 0; k < nfds; k++)
			fds[k] = dev->rx_fds[k];
		dev->rx_have = 0;
		dev->rx_nfds = 0;
		r = vhost_msg_process(dev, &msg, fds, nfds);
		if (r < 0) {
			VHOST_LOG(ERR, dev, "closing connection after %s",
				  vhost_msg_name(msg.request));
			close_dev(dev);
			return;
		}
	}
}

static int
next_timeout_ms(void)
{
	uint64_t now = keel_time_ns(), best = UINT64_MAX;
	int i;

	for (i = 0; i < MAX_SOCKETS; i++)
		if (socks[i] != NULL && socks[i]->reconnect_at_ns != 0 &&
		    socks[i]->reconnect_at_ns < best)
			best = socks[i]->reconnect_at_ns;
	if (best == UINT64_MAX)
		return -1;
	return best <= now ? 0 : (int)((best - now) / 1000000 + 1);
}

static void
do_reconnects(void)
{
	uint64_t now = keel_time_ns();
	int i;

	for (i = 0; i < MAX_SOCKETS; i++) {
		struct vhost_socket *s = socks[i];

		if (s == NULL || s->reconnect_at_ns == 0 ||
		    s->reconnect_at_ns > now)
			continue;
		if (try_connect(s) < 0)
			s->reconnect_at_ns = now + RECONNECT_NS;
	}
}

static void *
dispatcher(void *arg)
{
	struct epoll_event evs[16];

	(void)arg;
	on_dispatcher = 1;
	for (;;) {
		int n, i, timeout;

		pthread_mutex_lock(&vhost_global_lock);
		timeout = next_timeout_ms();
		pthread_mutex_unlock(&vhost_global_lock);
		n = epoll_wait(epfd, evs, 16, timeout);
		pthread_mutex_lock(&vhost_global_lock);
		if (stop_thread) {
			pthread_mutex_unlock(&vhost_global_lock);
			break;
		}
		for (i = 0; i < n; i++) {
			uint32_t tag = (uint32_t)(evs[i].data.u64 >> 32);
			uint32_t id = (uint32_t)evs[i].data.u64;
			uint64_t v;

			if (tag == TAG_WAKE) {
				if (read(wakefd, &v, sizeof(v)) < 0)
					v = 0;
			} else if (tag == TAG_LISTEN && id < MAX_SOCKETS &&
				   socks[id] != NULL && socks[id]->listenfd >= 0) {
				do_accept(socks[id]);
			} else if (tag == TAG_CONN) {
				do_conn((int)id);
			}
		}
		do_reconnects();
		pthread_mutex_unlock(&vhost_global_lock);
	}
	return NULL;
}

/* lock held */
static int
thread_start(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG(TAG_WAKE, 0) };
	int ret;

	if (thread_on)
		return 0;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (epfd < 0 || wakefd < 0 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, wakefd, &ev) != 0) {
		ret = -errno;
		goto fail;
	}
	stop_thread = 0;
	ret = -pthread_create(&thread, NULL, dispatcher, NULL);
	if (ret < 0)
		goto fail;
	pthread_setname_np(thread, "keel-vhost");
	thread_on = 1;
	return 0;
fail:
	if (epfd >= 0)
		close(epfd);
	if (wakefd >= 0)
		close(wakefd);
	epfd = wakefd = -1;
	KEEL_LOG(ERR, keel_logtype_vhost, "cannot start the vhost dispatcher: "
		 "%s", strerror(-ret));
	return ret;
}

/* called with the lock held; returns with it released */
static void
thread_stop_unlock(void)
{
	int i;

	for (i = 0; i < MAX_SOCKETS; i++)
		if (socks[i] != NULL && socks[i]->started) {
			pthread_mutex_unlock(&vhost_global_lock);
			return;
		}
	if (!thread_on) {
		pthread_mutex_unlock(&vhost_global_lock);
		return;
	}
	stop_thread = 1;
	thread_on = 0;
	wake();
	pthread_mutex_unlock(&vhost_global_lock);
	pthread_join(thread, NULL);
	pthread_mutex_lock(&vhost_global_lock);
	if (!thread_on) {
		close(epfd);
		close(wakefd);
		epfd = wakefd = -1;
	}
	pthread_mutex_unlock(&vhost_global_lock);
}

/* ---- API ---- */

static int
fail(int err)
{
	errno = err;
	return -err;
}

static int
find_sock(const char *path)
{
	int i;

	if (path == NULL)
		return -1;
	for (i = 0; i < MAX_SOCKETS; i++)
		if (socks[i] != NULL && strcmp(socks[i]->path, path) == 0)
			return i;
	return -1;
}

struct vhost_socket *
vhost_find_socket(const char *path)
{
	int i = find_sock(path);

	return i < 0 ? NULL : socks[i];
}

#define KNOWN_FLAGS (KEEL_VHOST_USER_CLIENT | KEEL_VHOST_USER_NO_RECONNECT | \
		     KEEL_VHOST_USER_IOMMU_SUPPORT | \
		     KEEL_VHOST_USER_NET_COMPLIANT_OL_FLAGS)

int
keel_vhost_driver_register(const char *path, uint64_t flags)
{
	struct vhost_socket *s;
	int i;

	if (path == NULL || path[0] == '\0' ||
	    strlen(path) >= sizeof(s->path)) {
		KEEL_LOG(ERR, keel_logtype_vhost, "vhost: bad socket path '%s' "
			 "(1..%zu bytes)", path != NULL ? path : "(null)",
			 sizeof(s->path) - 1);
		return fail(EINVAL);
	}
	if (flags & ~(uint64_t)KNOWN_FLAGS) {
		KEEL_LOG(ERR, keel_logtype_vhost, "vhost %s: unknown flags 0x%"
			 PRIx64, path, flags & ~(uint64_t)KNOWN_FLAGS);
		return fail(EINVAL);
	}
	pthread_mutex_lock(&vhost_global_lock);
	if (find_sock(path) >= 0) {
		pthread_mutex_unlock(&vhost_global_lock);
		KEEL_LOG(ERR, keel_logtype_vhost, "vhost %s: already registered",
			 path);
		return fail(EEXIST);
	}
	for (i = 0; i < MAX_SOCKETS && socks[i] != NULL; i++)
		;
	s = i < MAX_SOCKETS ? calloc(1, sizeof(*s)) : NULL;
	if (s == NULL) {
		pthread_mutex_unlock(&vhost_global_lock);
		return fail(ENOMEM);
	}
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->flags = flags;
	s->features = VHOST_SUPPORTED_FEATURES;
	if (flags & KEEL_VHOST_USER_IOMMU_SUPPORT)
		s->features |= 1ULL << VIRTIO_F_IOMMU_PLATFORM;
	s->protocol_features = VHOST_SUPPORTED_PROTOCOL_FEATURES;
	s->max_queue_pairs = KEEL_VHOST_MAX_QUEUE_PAIRS;
	s->listenfd = -1;
	s->client_vid = -1;
	socks[i] = s;
	pthread_mutex_unlock(&vhost_global_lock);
	return 0;
}

int
keel_vhost_driver_unregister(const char *path)
{
	struct vhost_socket *s;
	int i, vid;

	if (vhost_in_dispatcher()) {
		KEEL_LOG(ERR, keel_logtype_vhost, "vhost %s: unregister from a "
			 "callback", path != NULL ? path : "(null)");
		return fail(EDEADLK);
	}
	pthread_mutex_lock(&vhost_global_lock);
	i = find_sock(path);
	if (i < 0) {
		pthread_mutex_unlock(&vhost_global_lock);
		return fail(ENOENT);
	}
	s = socks[i];
	for (vid = 0; vid < KEEL_VHOST_MAX_DEVICES; vid++) {
		struct vhost_dev *dev = vhost_dev_get(vid);

		if (dev != NULL && dev->sock == s) {
			s->started = 0;   /* no reconnect */
			close_dev(dev);
		}
	}
	if (s->listenfd >= 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, s->listenfd, NULL);
		close(s->listenfd);
		unlink(s->path);
	}
	socks[i] = NULL;
	free(s);
	thread_stop_unlock();
	return 0;
}

int
keel_vhost_driver_callback_register(const char *path,
				    const struct keel_vhost_device_ops *ops)
{
	int i;

	if (ops == NULL)
		return fail(EINVAL);
	pthread_mutex_lock(&vhost_global_lock);
	i = find_sock(path);
	if (i >= 0)
		socks[i]->ops = *ops;
	pthread_mutex_unlock(&vhost_global_lock);
	return i < 0 ? fail(ENOENT) : 0;
}

int
keel_vhost_driver_start(const char *path)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct vhost_socket *s;
	int i, ret;

	pthread_mutex_lock(&vhost_global_lock);
	i = find_sock(path);
	if (i < 0) {
		ret = -ENOENT;
		goto out;
	}
	s = socks[i];
	if (s->started) {
		ret = -EALREADY;
		goto out;
	}
	ret = thread_start();
	if (ret < 0)
		goto out;
	if (!(s->flags & KEEL_VHOST_USER_CLIENT)) {
		s->listenfd = vhost_sock_listen(s->path);
		if (s->listenfd < 0) {
			ret = s->listenfd;
			s->listenfd = -1;
			KEEL_LOG(ERR, keel_logtype_vhost, "vhost %s: cannot "
				 "listen: %s", s->path, strerror(-ret));
			goto out_stop;
		}
		ev.data.u64 = TAG(TAG_LISTEN, i);
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, s->listenfd, &ev) != 0) {
			ret = -errno;
			close(s->listenfd);
			unlink(s->path);
			s->listenfd = -1;
			goto out_stop;
		}
		s->started = 1;
	} else {
		s->started = 1;
		ret = try_connect(s);
		if (ret < 0 && (s->flags & KEEL_VHOST_USER_NO_RECONNECT)) {
			s->started = 0;
			KEEL_LOG(ERR, keel_logtype_vhost, "vhost %s: cannot "
				 "connect: %s", s->path, strerror(-ret));
			goto out_stop;
		}
		if (ret < 0) {
			KEEL_LOG(INFO, keel_logtype_vhost, "vhost %s: cannot "
				 "connect (%s): retrying every second", s->path,
				 strerror(-ret));
			s->reconnect_at_ns = keel_time_ns() + RECONNECT_NS;
		}
		ret = 0;
	}
	wake();
out:
	pthread_mutex_unlock(&vhost_global_lock);
	return ret < 0 ? fail(-ret) : 0;
out_stop:
	thread_stop_unlock();
	return fail(-ret);
}
