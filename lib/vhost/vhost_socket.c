/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unix stream sockets of vhost-user: listen, connect, and message I/O with
 * file descriptors in SCM_RIGHTS ancillary data.
 *
 * Invariant: every fd this file returns or receives is close-on-exec and
 * non-blocking (received fds: close-on-exec); a receive never keeps an fd
 * it cannot hand back (extra fds are closed and reported as -EMSGSIZE).
 * Stateless: no locks.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vhost_internal.h"

static int
fill_addr(struct sockaddr_un *un, const char *path)
{
	memset(un, 0, sizeof(*un));
	un->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(un->sun_path))
		return -ENAMETOOLONG;
	strcpy(un->sun_path, path);
	return 0;
}

int
vhost_sock_connect(const char *path)
{
	struct sockaddr_un un;
	int fd, ret;

	ret = fill_addr(&un, path);
	if (ret < 0)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a unix connect does not wait for the peer to accept */
	if (connect(fd, (struct sockaddr *)&un, sizeof(un)) != 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int
vhost_sock_listen(const char *path)
{
	struct sockaddr_un un;
	struct stat st;
	int fd, ret, probe;

	ret = fill_addr(&un, path);
	if (ret < 0)
		return ret;
	/* a socket file nobody listens on is stale (a crashed process): take
	 * it over; one somebody listens on is refused */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		probe = vhost_sock_connect(path);
		if (probe >= 0) {
			close(probe);
			return -EADDRINUSE;
		}
		if (probe == -ECONNREFUSED)
			unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&un, sizeof(un)) != 0 ||
	    listen(fd, 16) != 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

ssize_t
vhost_sock_recv(int fd, void *buf, size_t len, int *fds, uint32_t *nfds,
		uint32_t max_fds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;
	ssize_t n;
	int over = 0;

	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		size_t i, cnt;
		int *p;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		p = (int *)CMSG_DATA(c);
		for (i = 0; i < cnt; i++) {
			int f;

			memcpy(&f, p + i, sizeof(f));
			if (*nfds < max_fds)
				fds[(*nfds)++] = f;
			else {
				close(f);
				over = 1;
			}
		}
	}
	/* truncated ancillary data: the kernel dropped fds we never saw */
	if (over || (mh.msg_flags & MSG_CTRUNC))
		return -EMSGSIZE;
	return n;
}

int
vhost_sock_send(int fd, const void *hdr, size_t hlen, const void *payload,
		size_t plen, const int *fds, uint32_t nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2] = {
		{ .iov_base = (void *)hdr, .iov_len = hlen },
		{ .iov_base = (void *)payload, .iov_len = plen },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = plen > 0 ? 2 : 1 };
	ssize_t n;

	if (nfds > VHOST_USER_MAX_FDS)
		return -EINVAL;
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do {
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != hlen + plen)   /* a partial message cannot resume */
		return -EPIPE;
	return 0;
}
