/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_ICMPECHO_H
#define KEEL_ICMPECHO_H

/*
 * An ARP + ICMP echo responder on one IPv4 address, as testpmd's
 * "icmpecho" forwarding engine does: a received packet becomes its own
 * reply in place (ARP request for the address -> ARP reply from the
 * port's MAC; ICMP echo request to the address -> echo reply), anything
 * else is not for us. Written as a pure function of the packet so it can
 * become keel-testpmd's icmpecho engine as it is. Stateless; any thread.
 */
#include <stdint.h>

struct keel_mbuf;

enum icmpecho_verdict {
	ICMPECHO_DROP = 0,    /* not for us: free it */
	ICMPECHO_ARP_REPLY,   /* turned into an ARP reply: send it */
	ICMPECHO_ECHO_REPLY,  /* turned into an ICMP echo reply: send it */
};

/*
 * Turn @p m (one received frame) into its reply when it is an ARP request
 * for @p ip (network byte order, as in the packet) or an ICMP echo request
 * to it. @p mac: the port's address.
 */
enum icmpecho_verdict icmpecho_reply(struct keel_mbuf *m, uint32_t ip,
				     const uint8_t mac[6]);

#endif /* KEEL_ICMPECHO_H */
