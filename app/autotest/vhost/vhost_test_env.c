/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * See vhost_test_env.h. Single-threaded: the env's device is not known to
 * any dispatcher (no connection), so the test owns all of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "keel_mbuf.h"
#include "keel_vhost_async.h"
#include "vhost_copy.h"
#include "vhost_test_env.h"

int
vt_count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	if (f == NULL)
		return -1;
	/* mappings of the tests' guest memory files and of anything the
	 * library reserves around them (anonymous PROT_NONE guards are
	 * merged by the kernel with neighbours, so count the files) */
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "memfd:vt-") != NULL)
			n++;
	fclose(f);
	return n;
}

int
vt_env_init(struct vt_env *e, uint64_t features, uint32_t size)
{
	struct vhost_mem *m;
	struct vhost_vq *vq;
	int i, ret;

	memset(e, 0, sizeof(*e));
	if (size == 0 || size > VT_RING_MAX)
		return -1;
	e->mfd = memfd_create("vt-guest", MFD_CLOEXEC);
	if (e->mfd < 0 || ftruncate(e->mfd, VT_GSIZE) != 0)
		return -1;
	e->g = mmap(NULL, VT_GSIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		    e->mfd, 0);
	if (e->g == MAP_FAILED)
		return -1;
	snprintf(e->sock.path, sizeof(e->sock.path), "vt-env");
	e->sock.features = VHOST_SUPPORTED_FEATURES |
			   (1ULL << VIRTIO_F_IOMMU_PLATFORM);
	e->sock.protocol_features = VHOST_SUPPORTED_PROTOCOL_FEATURES;
	e->sock.max_queue_pairs = 4;
	e->sock.listenfd = -1;
	e->sock.ops = e->ops;
	e->dev = vhost_dev_new(&e->sock, -1);
	if (e->dev == NULL)
		return -1;
	/* two regions: same file, separate mappings */
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -1;
	for (i = 0; i < 2; i++) {
		struct vhost_user_mem_region d = {
			.guest_addr = VT_GPA + i * VT_REGION,
			.size = VT_REGION,
			.user_addr = VT_GPA + i * VT_REGION + VT_UOFF,
			.mmap_offset = i * VT_REGION,
		};
		int fd = dup(e->mfd);

		ret = vhost_region_map(e->dev, &d, fd, &m->r[m->n]);
		if (ret < 0) {
			close(fd);
			return ret;
		}
		m->n++;
	}
	ret = vhost_mem_apply(e->dev, m);
	if (ret < 0)
		return ret;
	e->dev->features = features | (1ULL << VIRTIO_F_VERSION_1);
	e->dev->features_set = 1;
	e->size = size;
	e->packed = (features >> VIRTIO_F_RING_PACKED) & 1;
	if ((features >> VIRTIO_F_IOMMU_PLATFORM) & 1) {
		/* IOVA = GPA for the ring area; buffers are not mapped yet */
		ret = vhost_iotlb_update(e->dev, VT_GPA, VT_BUF_OFF,
					 VT_GPA + VT_UOFF, VHOST_ACCESS_RW);
		if (ret < 0)
			return ret;
	}
	for (i = 0; i < 2; i++) {
		uint64_t base = VT_GPA + (uint64_t)i * VT_QSTRIDE;

		if ((features >> VIRTIO_F_IOMMU_PLATFORM) & 1) {
			/* IOVA = GPA */
		} else {
			base += VT_UOFF;
		}
		vq = vhost_vq_get_or_alloc(e->dev, (uint32_t)i);
		if (vq == NULL)
			return -1;
		e->vqs[i] = vq;
		vq->num = size;
		vq->addr.desc = base + VT_DESC_OFF;
		vq->addr.avail = base + VT_AVAIL_OFF;
		vq->addr.used = base + VT_USED_OFF;
		vq->addr_set = 1;
		vq->started = 1;
		vq->enabled = 1;
		if (e->packed) {
			vq->base_wrap = 1;
			e->drv[i].wrap = 1;
			e->drv[i].used_wrap = 1;
		}
	}
	vt_use(e, 0);
	vhost_dev_update_state(e->dev);
	return e->vqs[0]->ready && e->vqs[1]->ready ? 0 : -1;
}

void
vt_env_fini(struct vt_env *e)
{
	if (e->dev != NULL)
		vhost_dev_destroy(e->dev);
	if (e->g != NULL && e->g != MAP_FAILED)
		munmap(e->g, VT_GSIZE);
	if (e->mfd >= 0)
		close(e->mfd);
	memset(e, 0, sizeof(*e));
	e->mfd = -1;
}

/* ---- the driver side ---- */

/* guest address of part @p off of the current vring's area */
static uint64_t
ring_gpa(const struct vt_env *e, uint64_t off)
{
	return VT_GPA + (uint64_t)e->cur * VT_QSTRIDE + off;
}

static uint16_t
offer_split(struct vt_env *e, const struct vt_buf *b, unsigned int n,
	    int indirect)
{
	struct vt_drv *d = &e->drv[e->cur];
	struct vring_desc *desc = (void *)vt_gva(e, ring_gpa(e, VT_DESC_OFF));
	struct vring_avail *avail = (void *)vt_gva(e, ring_gpa(e, VT_AVAIL_OFF));
	uint16_t head = (uint16_t)(d->next_desc % e->size);
	unsigned int i;

	if (indirect) {
		struct vring_desc *t = (void *)vt_gva(e, ring_gpa(e,
				VT_INDIR_OFF + (uint64_t)(head % 16) * 256));

		for (i = 0; i < n; i++) {
			t[i].addr = b[i].gpa;
			t[i].len = b[i].len;
			t[i].flags = (uint16_t)((b[i].write ? VRING_DESC_F_WRITE
						  : 0) |
				     (i + 1 < n ? VRING_DESC_F_NEXT : 0));
			t[i].next = (uint16_t)(i + 1);
		}
		desc[head].addr = ring_gpa(e, VT_INDIR_OFF +
					   (uint64_t)(head % 16) * 256);
		desc[head].len = n * 16;
		desc[head].flags = VRING_DESC_F_INDIRECT;
		desc[head].next = 0;
		d->next_desc++;
	} else {
		for (i = 0; i < n; i++) {
			uint16_t k = (uint16_t)((d->next_desc + i) % e->size);

			desc[k].addr = b[i].gpa;
			desc[k].len = b[i].len;
			desc[k].flags = (uint16_t)((b[i].write ?
						    VRING_DESC_F_WRITE : 0) |
				(i + 1 < n ? VRING_DESC_F_NEXT : 0));
			desc[k].next = (uint16_t)((k + 1) % e->size);
		}
		d->next_desc += n;
	}
	avail->ring[d->avail_idx % e->size] = head;
	d->avail_idx++;
	__atomic_store_n(&avail->idx, d->avail_idx, __ATOMIC_RELEASE);
	return head;
}

static uint16_t
offer_packed(struct vt_env *e, const struct vt_buf *b, unsigned int n,
	     int indirect)
{
	struct vt_drv *dr = &e->drv[e->cur];
	struct vring_packed_desc *ring = (void *)vt_gva(e, ring_gpa(e,
							VT_DESC_OFF));
	uint16_t id = dr->next_id++, head = dr->avail_idx, head_flags = 0;
	uint16_t avail = dr->wrap ? VRING_PACKED_DESC_F_AVAIL :
				    VRING_PACKED_DESC_F_USED;
	unsigned int i, nd = indirect ? 1 : n;

	if (indirect) {
		struct vring_packed_desc *t = (void *)vt_gva(e, ring_gpa(e,
				VT_INDIR_OFF + (uint64_t)(id % 16) * 256));

		for (i = 0; i < n; i++) {
			t[i].addr = b[i].gpa;
			t[i].len = b[i].len;
			t[i].id = id;
			t[i].flags = b[i].write ? VRING_DESC_F_WRITE : 0;
		}
	}
	for (i = 0; i < nd; i++) {
		struct vring_packed_desc *d = &ring[dr->avail_idx];
		uint16_t f;

		if (indirect) {
			d->addr = ring_gpa(e, VT_INDIR_OFF +
					   (uint64_t)(id % 16) * 256);
			d->len = n * 16;
			f = VRING_DESC_F_INDIRECT;
		} else {
			d->addr = b[i].gpa;
			d->len = b[i].len;
			f = (uint16_t)((b[i].write ? VRING_DESC_F_WRITE : 0) |
				       (i + 1 < nd ? VRING_DESC_F_NEXT : 0));
		}
		d->id = id;
		f |= (uint16_t)avail;
		if (i == 0)
			head_flags = f;    /* published last */
		else
			__atomic_store_n(&d->flags, f, __ATOMIC_RELEASE);
		if (++dr->avail_idx == e->size) {
			dr->avail_idx = 0;
			dr->wrap ^= 1;
			avail = dr->wrap ? VRING_PACKED_DESC_F_AVAIL :
					   VRING_PACKED_DESC_F_USED;
		}
	}
	dr->ndesc_of[id % 1024] = (uint16_t)nd;
	__atomic_store_n(&ring[head].flags, head_flags, __ATOMIC_RELEASE);
	return id;
}

uint16_t
vt_offer(struct vt_env *e, const struct vt_buf *b, unsigned int n,
	 int indirect)
{
	return e->packed ? offer_packed(e, b, n, indirect) :
			   offer_split(e, b, n, indirect);
}

int
vt_take_used(struct vt_env *e, uint16_t *id, uint32_t *len)
{
	struct vt_drv *dr = &e->drv[e->cur];

	if (!e->packed) {
		struct vring_used *used = (void *)vt_gva(e, ring_gpa(e,
							 VT_USED_OFF));
		uint16_t idx = __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE);
		struct vring_used_elem *u;

		if (idx == dr->used_seen)
			return 0;
		u = &used->ring[dr->used_seen % e->size];
		*id = (uint16_t)u->id;
		*len = u->len;
		dr->used_seen++;
		return 1;
	} else {
		struct vring_packed_desc *ring = (void *)vt_gva(e, ring_gpa(e,
								VT_DESC_OFF));
		struct vring_packed_desc *d = &ring[dr->used_seen];
		uint16_t f = __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE);
		int avail = !!(f & VRING_PACKED_DESC_F_AVAIL);
		int used = !!(f & VRING_PACKED_DESC_F_USED);

		if (avail != used || used != dr->used_wrap)
			return 0;
		*id = d->id;
		*len = d->len;
		dr->used_seen = (uint16_t)(dr->used_seen +
					   dr->ndesc_of[*id % 1024]);
		if (dr->used_seen >= e->size) {
			dr->used_seen = (uint16_t)(dr->used_seen - e->size);
			dr->used_wrap ^= 1;
		}
		return 1;
	}
}

int
vt_fetch(struct vt_env *e, int device_writes, struct vhost_chain *c)
{
	e->vq->npieces = 0;
	memset(c, 0, sizeof(*c));
	return vhost_vq_fetch(e->vq, device_writes, c);
}

void
vt_give_back(struct vt_env *e, const struct vhost_chain *c, uint32_t len,
	     int device_wrote)
{
	struct vhost_inflight *f = vhost_infl_push(e->vq);

	f->id = c->id;
	f->ndesc = c->ndesc;
	f->len = len;
	f->pending = 0;
	vhost_vq_complete(e->vq, device_wrote);
}

struct keel_mbuf *
vt_pkt(struct keel_mempool *mp, uint32_t len, uint32_t seg, uint32_t seed)
{
	struct keel_mbuf *head = NULL;
	uint32_t off = 0;

	while (off < len || head == NULL) {
		struct keel_mbuf *m = keel_pktmbuf_alloc(mp);
		uint32_t n = len - off < seg ? len - off : seg, i;
		uint8_t *p;

		if (m == NULL) {
			if (head != NULL)
				keel_pktmbuf_free(head);
			return NULL;
		}
		p = (uint8_t *)keel_pktmbuf_append(m, (uint16_t)n);
		for (i = 0; i < n; i++)
			p[i] = vt_pat(seed, off + i);
		off += n;
		if (head == NULL)
			head = m;
		else
			keel_pktmbuf_chain(head, m);
	}
	return head;
}

int
vt_pkt_is(const struct keel_mbuf *m, uint32_t len, uint32_t seed)
{
	uint32_t off = 0, i;

	if (m->pkt_len != len)
		return 0;
	for (; m != NULL; m = m->next) {
		const uint8_t *p = keel_pktmbuf_mtod(m, const uint8_t *);

		for (i = 0; i < m->data_len; i++)
			if (p[i] != vt_pat(seed, off + i))
				return 0;
		off += m->data_len;
	}
	return off == len;
}

uint16_t
vt_poll_enqueue_all(struct vt_env *e, struct keel_mbuf **out, uint8_t *failed,
		    uint16_t want)
{
	uint16_t got = 0;
	int spins = 0;

	while (got < want && spins++ < 10000)
		got = (uint16_t)(got + keel_vhost_poll_enqueue_completed(
				e->dev->vid, 0, out + got, (uint16_t)(want - got),
				failed + got));
	return got;
}

int
vt_count_region(const struct keel_iommu_mapping *m, void *arg)
{
	struct vt_regions_seen *s = arg;
	unsigned int i;

	s->entries++;
	for (i = 0; i < s->n && i < VT_SEEN_MAX; i++)
		if (m->va < s->va[i] + s->len[i] && s->va[i] < m->va + m->len) {
			s->hits[i]++;
			s->m[i] = *m;
		}
	return 0;
}

int
vt_entry_is(const struct keel_iommu_mapping *e, uint64_t va, uint64_t iova,
	    uint64_t len, uint64_t chunk)
{
	if (e->va == va && e->iova == iova && e->len == len &&
	    e->chunk == chunk)
		return 1;
	printf("  entry VA 0x%llx IOVA 0x%llx len 0x%llx chunk 0x%llx\n",
	       (unsigned long long)e->va, (unsigned long long)e->iova,
	       (unsigned long long)e->len, (unsigned long long)e->chunk);
	return 0;
}
