/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mbuf pools: a keel_mempool whose objects are struct keel_mbuf, the
 * private area, then the buffer; the pool's private area holds
 * struct keel_pktmbuf_pool_private.
 *
 * Invariant: every mbuf in the pool is in free state: refcnt 1, next
 * NULL, nb_segs 1, direct (its buffer the embedded one, buf_iova the
 * object's IOVA + sizeof(mbuf) + priv_size). keel_pktmbuf_init() sets it
 * up; the free path (keel_pktmbuf_prefree_seg()) restores it.
 */
#include <inttypes.h>
#include <string.h>

#include "keel_mbuf.h"
#include "mbuf_internal.h"

KEEL_LOG_REGISTER(keel_logtype_mbuf, "mbuf", INFO)

const char *
keel_mbuf_best_mempool_ops(void)
{
	return keel_mempool_default_ops_name(0);
}

void
keel_pktmbuf_pool_init(struct keel_mempool *mp, void *opaque_arg)
{
	struct keel_pktmbuf_pool_private *priv = keel_mempool_get_priv(mp);
	struct keel_pktmbuf_pool_private def;

	if (opaque_arg == NULL) {
		def.mbuf_priv_size = 0;
		def.mbuf_data_room_size = (uint16_t)(mp->elt_size -
						     sizeof(struct keel_mbuf));
		def.flags = 0;
		opaque_arg = &def;
	}
	memcpy(priv, opaque_arg, sizeof(*priv));
}

void
keel_pktmbuf_init(struct keel_mempool *mp, void *opaque_arg, void *obj,
		  unsigned int i)
{
	struct keel_mbuf *m = obj;
	uint32_t priv_size = keel_pktmbuf_priv_size(mp);
	uint32_t mbuf_size = (uint32_t)sizeof(struct keel_mbuf) + priv_size;

	(void)opaque_arg;
	(void)i;
	memset(m, 0, mbuf_size);
	m->priv_size = (uint16_t)priv_size;
	m->buf_addr = (char *)m + mbuf_size;
	m->buf_iova = keel_mempool_virt2iova(m) + mbuf_size;
	m->buf_len = keel_pktmbuf_data_room_size(mp);
	keel_pktmbuf_reset_headroom(m);
	m->data_len = 0;
	m->pool = mp;
	m->nb_segs = 1;
	m->port = KEEL_MBUF_PORT_INVALID;
	keel_mbuf_refcnt_set(m, 1);
	m->next = NULL;
}

struct keel_mempool *
keel_pktmbuf_pool_create_by_ops(const char *name, unsigned int n,
				unsigned int cache_size, uint16_t priv_size,
				uint16_t data_room_size, int socket_id,
				const char *ops_name)
{
	struct keel_pktmbuf_pool_private priv;
	struct keel_mempool *mp;
	int ret;

	if (priv_size % KEEL_MBUF_PRIV_ALIGN != 0) {
		MBUF_LOG(ERR, "mbuf pool '%s': private size %u is not a "
			 "multiple of %d", name ? name : "(null)", priv_size,
			 KEEL_MBUF_PRIV_ALIGN);
		errno = EINVAL;
		return NULL;
	}
	priv.mbuf_data_room_size = data_room_size;
	priv.mbuf_priv_size = priv_size;
	priv.flags = 0;
	mp = keel_mempool_create_empty(name, n, (unsigned int)
				       sizeof(struct keel_mbuf) + priv_size +
				       data_room_size, cache_size,
				       sizeof(priv), socket_id, 0);
	if (mp == NULL)
		return NULL;
	if (ops_name == NULL)
		ops_name = keel_mbuf_best_mempool_ops();
	ret = keel_mempool_set_ops_byname(mp, ops_name, NULL);
	if (ret == 0) {
		keel_pktmbuf_pool_init(mp, &priv);
		ret = keel_mempool_populate_default(mp);
	}
	if (ret < 0) {
		keel_mempool_free(mp);
		errno = -ret;
		return NULL;
	}
	keel_mempool_obj_iter(mp, keel_pktmbuf_init, NULL);
	return mp;
}

struct keel_mempool *
keel_pktmbuf_pool_create(const char *name, unsigned int n,
			 unsigned int cache_size, uint16_t priv_size,
			 uint16_t data_room_size, int socket_id)
{
	return keel_pktmbuf_pool_create_by_ops(name, n, cache_size, priv_size,
					       data_room_size, socket_id, NULL);
}
