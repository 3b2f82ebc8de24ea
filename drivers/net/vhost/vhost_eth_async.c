/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_vhost's async queues (see vhost_eth_async.h for the contract).
 *
 * dmas=[txq0@dma_soft0;rxq0@dma_soft1]: the spelling of DPDK's vhost
 * example (--dmas [txd0@...,rxd0@...]) with ';' between entries, since ','
 * separates device arguments; txqN is the port's Tx queue N (guest
 * receive, vring 2N), rxqN its Rx queue N (guest transmit, vring 2N+1).
 * Queues naming the same dmadev get its vchans in vring order (txq0,
 * rxq0, txq1, ...): one engine serves several queues, each on a vchan of
 * its own. dma-threshold=BYTES sets the size below which a copy goes by
 * CPU.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keel_dmadev.h"
#include "keel_log.h"
#include "keel_mbuf.h"
#include "keel_vhost_async.h"
#include "vhost_eth_async.h"

extern int vh_logtype;

#define VH_DMA_DESC 4096   /* ring of a dmadev net_vhost starts itself */

int
vh_dmas_parse(const char *port, const char *spec, uint16_t nq,
	      struct vh_dmas *d)
{
	char buf[1024], *save = NULL, *tok;
	size_t len = strlen(spec);

	if (len < 2 || len >= sizeof(buf) || spec[0] != '[' ||
	    spec[len - 1] != ']') {
		KEEL_LOG(ERR, vh_logtype, "%s: dmas=%s: expected "
			 "[txq0@DMADEV;rxq0@DMADEV;...]", port, spec);
		return -EINVAL;
	}
	memcpy(buf, spec + 1, len - 2);
	buf[len - 2] = '\0';
	for (tok = strtok_r(buf, ";", &save); tok != NULL;
	     tok = strtok_r(NULL, ";", &save)) {
		char *at = strchr(tok, '@'), *end;
		unsigned long q;
		int rx;

		if (at == NULL || at[1] == '\0' ||
		    strlen(at + 1) >= VH_DMA_NAME_MAX ||
		    (strncmp(tok, "txq", 3) != 0 && strncmp(tok, "rxq", 3) != 0))
			goto bad;
		rx = tok[0] == 'r';
		errno = 0;
		q = strtoul(tok + 3, &end, 10);
		if (end == tok + 3 || end != at || errno != 0)
			goto bad;
		if (q >= nq) {
			KEEL_LOG(ERR, vh_logtype, "%s: dmas: queue %s of %u "
				 "queue pairs", port, tok, nq);
			return -EINVAL;
		}
		snprintf(d->name[2 * q + (unsigned long)rx], VH_DMA_NAME_MAX,
			 "%s", at + 1);
		d->any = 1;
		continue;
bad:
		KEEL_LOG(ERR, vh_logtype, "%s: dmas: '%s' is not txqN@DMADEV or "
			 "rxqN@DMADEV", port, tok);
		return -EINVAL;
	}
	return 0;
}

/* the dmadev's id, configured and started with @p nvc vchans when it was
 * not (else it must have that many) */
static int
dma_ready(const char *port, const char *name, uint16_t nvc)
{
	struct keel_dma_info info;
	struct keel_dma_conf conf = { .nb_vchans = nvc };
	uint16_t v;
	struct keel_dma_vchan_conf vc = { .direction = KEEL_DMA_DIR_MEM_TO_MEM };
	int id = keel_dma_get_dev_id_by_name(name);

	if (id < 0 || keel_dma_info_get((int16_t)id, &info) < 0) {
		KEEL_LOG(ERR, vh_logtype, "%s: dmas: no dmadev %s", port, name);
		return -ENODEV;
	}
	if (info.nb_vchans > 0) {
		if (info.nb_vchans >= nvc && keel_dma_start((int16_t)id) == 0)
			return id;      /* configured before */
		KEEL_LOG(ERR, vh_logtype, "%s: dmas: dmadev %s has %u vchans, "
			 "%u queues use it", port, name, info.nb_vchans, nvc);
		return -EINVAL;
	}
	vc.nb_desc = info.max_desc < VH_DMA_DESC ? info.max_desc : VH_DMA_DESC;
	if (keel_dma_configure((int16_t)id, &conf) < 0)
		goto fail;
	for (v = 0; v < nvc; v++)
		if (keel_dma_vchan_setup((int16_t)id, v, &vc) < 0)
			goto fail;
	if (keel_dma_start((int16_t)id) < 0) {
fail:
		KEEL_LOG(ERR, vh_logtype, "%s: dmas: cannot start dmadev %s",
			 port, name);
		return -EIO;
	}
	return id;
}

int
vh_dmas_attach(const char *port, int vid, struct vh_dmas *d, uint16_t nq)
{
	uint16_t v, w, nvc, vchan;

	for (v = 0; v < 2 * nq; v++) {
		struct keel_vhost_async_config cfg = {
			.nb_dma = 1, .cpu_threshold = d->threshold,
		};
		int id;

		if (d->name[v][0] == '\0')
			continue;
		/* its vchan: how many queues before it name the device */
		for (w = 0, nvc = 0, vchan = 0; w < 2 * nq; w++) {
			if (strcmp(d->name[w], d->name[v]) != 0)
				continue;
			if (w < v)
				vchan++;
			nvc++;
		}
		id = dma_ready(port, d->name[v], nvc);
		if (id < 0)
			return id;
		cfg.dma[0].dev_id = (int16_t)id;
		cfg.dma[0].vchan = vchan;
		if (keel_vhost_async_channel_register(vid, v, &cfg) < 0) {
			int err = errno;

			KEEL_LOG(ERR, vh_logtype, "%s: vring %u on %s: %s", port,
				 v, d->name[v], strerror(err));
			return -err;
		}
		d->on[v] = 1;
	}
	return 0;
}

void
vh_dmas_detach(int vid, struct vh_dmas *d, uint16_t nq)
{
	struct keel_mbuf *pkts[64];
	uint16_t v, n;

	for (v = 0; v < 2 * nq; v++) {
		if (!d->on[v])
			continue;
		do {
			n = keel_vhost_async_clear_queue(vid, v, pkts, 64, NULL);
			keel_pktmbuf_free_bulk(pkts, n);
		} while (n > 0 || keel_vhost_async_get_inflight(vid, v) > 0);
		keel_vhost_async_channel_unregister(vid, v);
		d->on[v] = 0;
	}
}

void
vh_async_tx_done(int vid, uint16_t vring)
{
	struct keel_mbuf *done[64];
	uint16_t got;

	got = keel_vhost_poll_enqueue_completed(vid, vring, done, 64, NULL);
	keel_pktmbuf_free_bulk(done, got);
}

uint16_t
vh_async_tx(int vid, uint16_t vring, struct keel_mbuf **pkts, uint16_t n)
{
	uint16_t sent = keel_vhost_submit_enqueue_burst(vid, vring, pkts, n);

	vh_async_tx_done(vid, vring);
	return sent;
}

uint16_t
vh_async_rx(int vid, uint16_t vring, struct keel_mempool *mp,
	    struct keel_mbuf **pkts, uint16_t n)
{
	return keel_vhost_async_try_dequeue_burst(vid, vring, mp, pkts, n, NULL);
}
