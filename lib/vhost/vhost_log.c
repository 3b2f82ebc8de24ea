/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dirty log for live migration (vhost-user "Migration"): a bitmap in
 * memory shared by the front-end (SET_LOG_BASE with LOG_SHMFD), one bit
 * per 4 KiB page of guest physical memory; while VHOST_F_LOG_ALL is
 * negotiated, every guest page the back-end writes gets its bit set with
 * an atomic OR (the front-end reads and clears the bitmap concurrently).
 *
 * Invariant: base/size describe a mapped, writable bitmap of `size` bytes
 * or base is NULL; bits past the bitmap are never written.
 * Locking: set/released by the dispatcher with every queue lock of the
 * device held; written by the datapath under its queue's lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vhost_internal.h"

int
vhost_log_set(struct vhost_dev *dev, int fd, uint64_t size, uint64_t offset)
{
	struct stat st;
	uint64_t page = 4096, map_off, map_len;
	void *p;

	if (size == 0 || size > VHOST_LOG_MAX_SIZE ||
	    offset > UINT64_MAX - size - page ||
	    offset + size > (uint64_t)INT64_MAX) {
		VHOST_LOG(ERR, dev, "dirty log size 0x%" PRIx64 " offset 0x%"
			  PRIx64 " refused (size 1..0x%" PRIx64 ")", size,
			  offset, (uint64_t)VHOST_LOG_MAX_SIZE);
		return -EINVAL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		VHOST_LOG(ERR, dev, "dirty log fd %d is not a memory file", fd);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size < offset + size) {
		VHOST_LOG(ERR, dev, "dirty log offset 0x%" PRIx64 " size 0x%"
			  PRIx64 " ends past its file (%" PRIu64 " bytes)",
			  offset, size, (uint64_t)st.st_size);
		return -EINVAL;
	}
	map_off = offset & ~(page - 1);
	map_len = offset - map_off + size;
	p = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)map_off);
	if (p == MAP_FAILED) {
		int err = errno;

		VHOST_LOG(ERR, dev, "cannot map dirty log (0x%" PRIx64
			  " bytes): %s", map_len, strerror(err));
		return -err;
	}
	vhost_dev_lock_all(dev);
	vhost_log_release(&dev->log);
	dev->log.map = p;
	dev->log.map_len = map_len;
	dev->log.base = (uint8_t *)p + (offset - map_off);
	dev->log.size = size;
	vhost_dev_unlock_all(dev);
	return 0;
}

void
vhost_log_release(struct vhost_log *log)
{
	if (log->map != NULL)
		munmap(log->map, log->map_len);
	memset(log, 0, sizeof(*log));
}

void
vhost_log_write_gpa(struct vhost_log *log, uint64_t gpa, uint64_t len)
{
	uint64_t page, last;

	if (log->base == NULL || len == 0)
		return;
	page = gpa / VHOST_LOG_PAGE;
	last = (gpa > UINT64_MAX - (len - 1) ? UINT64_MAX : gpa + (len - 1)) /
	       VHOST_LOG_PAGE;
	for (; page <= last; page++) {
		if (page / 8 >= log->size)
			return;
		__atomic_fetch_or(&log->base[page / 8],
				  (uint8_t)(1u << (page % 8)), __ATOMIC_RELAXED);
	}
}
