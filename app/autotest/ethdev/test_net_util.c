/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "keel_malloc.h"
#include "test_net_util.h"

struct keel_mempool *
test_net_pool(const char *name, unsigned int n)
{
	return keel_pktmbuf_pool_create(name, n, 32, 0,
					KEEL_MBUF_DEFAULT_BUF_SIZE,
					KEEL_SOCKET_ID_ANY);
}

int
test_net_start(uint16_t port, uint16_t nq, struct keel_mempool *mp)
{
	struct keel_eth_conf c = { 0 };
	int ret = keel_eth_dev_configure(port, nq, nq, &c);

	for (uint16_t q = 0; q < nq && ret == 0; q++) {
		ret = keel_eth_rx_queue_setup(port, q, 512, KEEL_SOCKET_ID_ANY,
					      NULL, mp);
		if (ret == 0)
			ret = keel_eth_tx_queue_setup(port, q, 512,
						      KEEL_SOCKET_ID_ANY, NULL);
	}
	return ret == 0 ? keel_eth_dev_start(port) : ret;
}

int
test_net_attach(const char *devargs)
{
	uint16_t port;
	int ret = keel_eth_dev_attach(devargs, &port);

	return ret < 0 ? ret : port;
}

struct keel_mbuf *
test_net_pkt(struct keel_mempool *mp, uint32_t len, uint8_t seed)
{
	struct keel_mbuf *m = keel_pktmbuf_alloc(mp);
	uint8_t *d;

	if (m == NULL || len > keel_pktmbuf_tailroom(m)) {
		keel_pktmbuf_free(m);
		return NULL;
	}
	d = (uint8_t *)keel_pktmbuf_append(m, (uint16_t)len);
	for (uint32_t i = 0; i < len; i++)
		d[i] = (uint8_t)(seed + i);
	return m;
}

int
test_net_pkt_check(const struct keel_mbuf *m, uint32_t len, uint8_t seed)
{
	uint32_t off = 0;

	if (m->pkt_len != len)
		return 0;
	for (const struct keel_mbuf *s = m; s != NULL; s = s->next) {
		const uint8_t *d = keel_pktmbuf_mtod(s, const uint8_t *);

		for (uint32_t i = 0; i < s->data_len; i++, off++)
			if (d[i] != (uint8_t)(seed + off))
				return 0;
	}
	return off == len;
}
