/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The map-time check of the emulated IOMMU, standing in for the kernel's
 * pin: VFIO type1 pins every page of a user mapping when it is mapped
 * (pin_user_pages with FOLL_WRITE when the device may write) and refuses
 * with EFAULT a VA range that is not mapped in the process, or not
 * writable for a device that writes, or not readable for one that only
 * reads. emu_va_check() asks the same of the process's VMAs: one
 * PROCMAP_QUERY ioctl on /proc/self/maps per VMA the range spans (Linux
 * 6.11+), else a parse of /proc/self/maps.
 *
 * Invariant: emu_va_fd is -1 or an open /proc/self/maps of process
 * emu_va_pid (a forked child must not query its parent's VMAs); both are
 * protected by emu_va_lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "keel_log.h"
#include "emu_internal.h"

/* The UAPI of PROCMAP_QUERY (include/uapi/linux/fs.h, Linux 6.11), not in
 * older kernel headers; an older kernel answers ENOTTY. */
struct emu_procmap_query {
	uint64_t size;
	uint64_t query_flags;
	uint64_t query_addr;
	uint64_t vma_start;
	uint64_t vma_end;
	uint64_t vma_flags;
	uint64_t vma_page_size;
	uint64_t vma_offset;
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t vma_name_size;
	uint32_t build_id_size;
	uint64_t vma_name_addr;
	uint64_t build_id_addr;
};
#define EMU_PROCMAP_QUERY _IOWR('f', 17, struct emu_procmap_query)
#define EMU_PROCMAP_VMA_READABLE 0x1
#define EMU_PROCMAP_VMA_WRITABLE 0x2

static pthread_mutex_t emu_va_lock = PTHREAD_MUTEX_INITIALIZER;
static int emu_va_fd = -1;
static pid_t emu_va_pid;
static bool emu_va_no_query;    /* the kernel has no PROCMAP_QUERY */
_Atomic int emu_va_force_text;

/* the access a device with @p prot needs of the VMA (as the pin asks) */
static const char *
emu_va_denied(uint32_t prot, bool readable, bool writable)
{
	if ((prot & KEEL_EMU_PROT_WRITE) && !writable)
		return "not writable, and the device may write";
	if (prot == KEEL_EMU_PROT_READ && !readable)
		return "not readable";
	return NULL;
}

/* 1: no PROCMAP_QUERY here, use the text; else 0 / -EFAULT */
static int
emu_va_query(uint64_t va, uint64_t last, uint32_t prot, uint64_t *bad,
	     const char **why)
{
	uint64_t cur = va;

	pthread_mutex_lock(&emu_va_lock);
	if (emu_va_no_query || atomic_load(&emu_va_force_text)) {
		pthread_mutex_unlock(&emu_va_lock);
		return 1;
	}
	if (emu_va_fd >= 0 && emu_va_pid != getpid()) {
		close(emu_va_fd);
		emu_va_fd = -1;
	}
	if (emu_va_fd < 0) {
		emu_va_fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
		emu_va_pid = getpid();
		if (emu_va_fd < 0) {
			emu_va_no_query = true;
			pthread_mutex_unlock(&emu_va_lock);
			return 1;
		}
	}
	for (;;) {
		struct emu_procmap_query q;

		memset(&q, 0, sizeof(q));
		q.size = sizeof(q);
		q.query_addr = cur;
		if (ioctl(emu_va_fd, EMU_PROCMAP_QUERY, &q) < 0) {
			if (errno == ENOENT) {
				*bad = cur;
				*why = "not mapped in the process";
				break;
			}
			/* ENOTTY (before 6.11) or anything else: the text */
			emu_va_no_query = true;
			pthread_mutex_unlock(&emu_va_lock);
			return 1;
		}
		*why = emu_va_denied(prot,
				     q.vma_flags & EMU_PROCMAP_VMA_READABLE,
				     q.vma_flags & EMU_PROCMAP_VMA_WRITABLE);
		if (*why != NULL) {
			*bad = cur;
			break;
		}
		if (q.vma_end - 1 >= last) {
			pthread_mutex_unlock(&emu_va_lock);
			return 0;
		}
		cur = q.vma_end;
	}
	pthread_mutex_unlock(&emu_va_lock);
	return -EFAULT;
}

/* the same from the text of /proc/self/maps (lines sorted by address) */
static int
emu_va_text(uint64_t va, uint64_t last, uint32_t prot, uint64_t *bad,
	    const char **why)
{
	uint64_t cur = va, start, end;
	char line[512], perms[8];
	int ret = -EFAULT;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (f == NULL) {
		*bad = va;
		*why = "/proc/self/maps cannot be read";
		return -EFAULT;
	}
	*bad = cur;
	*why = "not mapped in the process";
	while (fgets(line, sizeof(line), f) != NULL) {
		/* a line longer than the buffer continues without a '\n' */
		bool whole = strchr(line, '\n') != NULL;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s", &start, &end,
			   perms) == 3 && end > cur) {
			if (start > cur)
				break;          /* a hole at cur */
			*why = emu_va_denied(prot, perms[0] == 'r',
					     perms[1] == 'w');
			if (*why != NULL)
				break;
			if (end - 1 >= last) {
				ret = 0;
				break;
			}
			cur = end;
			*bad = cur;
			*why = "not mapped in the process";
		}
		while (!whole && fgets(line, sizeof(line), f) != NULL)
			whole = strchr(line, '\n') != NULL;
	}
	fclose(f);
	return ret;
}

int
emu_va_check(uint64_t va, uint64_t len, uint32_t prot, uint64_t *bad,
	     const char **why)
{
	uint64_t last = va + (len - 1);
	int ret;

	ret = emu_va_query(va, last, prot, bad, why);
	if (ret == 1)
		ret = emu_va_text(va, last, prot, bad, why);
	return ret;
}

void
emu_va_reset(void)
{
	pthread_mutex_lock(&emu_va_lock);
	if (emu_va_fd >= 0 && emu_va_pid == getpid())
		close(emu_va_fd);
	emu_va_fd = -1;
	emu_va_no_query = false;
	atomic_store(&emu_va_force_text, 0);
	pthread_mutex_unlock(&emu_va_lock);
}
