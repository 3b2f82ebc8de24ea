/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port settings: MAC addresses, promiscuous and all-multicast modes, MTU,
 * RSS hash configuration.
 *
 * Invariant: dev.mac_addrs[0] is the default address (always valid);
 * entries [1, max_mac_addrs) are added addresses or zero; no address is in
 * the table twice. A setting changes in the library only after the driver
 * accepted it. Lock: the library lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "ethdev_private.h"

int
keel_eth_macaddr_get(uint16_t port_id, struct keel_ether_addr *mac_addr)
{
	struct eth_port *p;

	if (mac_addr == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "macaddr get port %u: NULL address", port_id);
		return eth_fail(EINVAL);
	}
	p = eth_port_get_locked(port_id, "macaddr get");
	if (p == NULL)
		return -ENODEV;
	*mac_addr = p->dev.mac_addrs[0];
	eth_lock_drop();
	return 0;
}

int
keel_eth_macaddrs_get(uint16_t port_id, struct keel_ether_addr *ma,
		      unsigned int num)
{
	struct keel_eth_dev_info info;
	struct eth_port *p;
	int n = 0, ret;

	if (ma == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "macaddrs get port %u: NULL array", port_id);
		return eth_fail(EINVAL);
	}
	p = eth_port_get_locked(port_id, "macaddrs get");
	if (p == NULL)
		return -ENODEV;
	ret = eth_info_locked(p, &info);
	if (ret < 0) {
		eth_lock_drop();
		return ret;
	}
	for (unsigned int i = 0; i < info.max_mac_addrs && (unsigned)n < num; i++)
		if (i == 0 || !keel_is_zero_ether_addr(&p->dev.mac_addrs[i]))
			ma[n++] = p->dev.mac_addrs[i];
	eth_lock_drop();
	return n;
}

static int
bad_addr(const char *fn, uint16_t port_id, const struct keel_ether_addr *a)
{
	char s[KEEL_ETHER_ADDR_FMT_SIZE] = "(null)";

	if (a != NULL)
		keel_ether_format_addr(s, sizeof(s), a);
	KEEL_LOG(ERR, keel_logtype_ethdev,
		 "%s port %u: address %s is not a valid unicast address", fn,
		 port_id, s);
	return eth_fail(EINVAL);
}

int
keel_eth_dev_default_mac_addr_set(uint16_t port_id,
				  struct keel_ether_addr *addr)
{
	struct eth_port *p;
	int ret;

	if (addr == NULL || !keel_is_valid_assigned_ether_addr(addr))
		return bad_addr("default mac set", port_id, addr);
	p = eth_port_get_for_change(port_id, "default mac set");
	if (p == NULL)
		return -ENODEV;
	if (p->dev.dev_ops->mac_addr_set == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "default mac set %s: not supported", p->dev.name);
		ret = -ENOTSUP;
		goto out;
	}
	ret = p->dev.dev_ops->mac_addr_set(&p->dev, addr);
	if (ret == 0) {
		/* the new default may have been an extra address */
		for (int i = 1; i < KEEL_ETH_MAX_MAC_ADDRS; i++)
			if (keel_is_same_ether_addr(&p->dev.mac_addrs[i], addr))
				memset(&p->dev.mac_addrs[i], 0,
				       sizeof(*addr));
		p->dev.mac_addrs[0] = *addr;
	}
out:
	eth_lock_drop();
	if (ret < 0)
		errno = -ret;
	return ret;
}

int
keel_eth_dev_mac_addr_add(uint16_t port_id, struct keel_ether_addr *addr,
			  uint32_t pool)
{
	struct keel_eth_dev_info info;
	struct eth_port *p;
	int ret, free_slot = -1;

	if (addr == NULL || keel_is_zero_ether_addr(addr)) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "mac addr add port %u: zero or NULL address", port_id);
		return eth_fail(EINVAL);
	}
	if (pool != 0) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "mac addr add port %u: pool %u (only pool 0 exists)",
			 port_id, pool);
		return eth_fail(EINVAL);
	}
	p = eth_port_get_for_change(port_id, "mac addr add");
	if (p == NULL)
		return -ENODEV;
	ret = eth_info_locked(p, &info);
	if (ret < 0)
		goto out;
	for (unsigned int i = 0; i < info.max_mac_addrs; i++) {
		if (keel_is_same_ether_addr(&p->dev.mac_addrs[i], addr))
			goto out;       /* already there: 0 */
		if (i > 0 && free_slot < 0 &&
		    keel_is_zero_ether_addr(&p->dev.mac_addrs[i]))
			free_slot = (int)i;
	}
	if (p->dev.dev_ops->mac_addr_add == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "mac addr add %s: not supported", p->dev.name);
		ret = -ENOTSUP;
		goto out;
	}
	if (free_slot < 0) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "mac addr add %s: table full (%u addresses)",
			 p->dev.name, info.max_mac_addrs);
		ret = -ENOSPC;
		goto out;
	}
	ret = p->dev.dev_ops->mac_addr_add(&p->dev, addr, (uint32_t)free_slot);
	if (ret == 0)
		p->dev.mac_addrs[free_slot] = *addr;
out:
	eth_lock_drop();
	if (ret < 0)
		errno = -ret;
	return ret;
}

int
keel_eth_dev_mac_addr_remove(uint16_t port_id, struct keel_ether_addr *addr)
{
	struct eth_port *p;
	int ret = -ENOENT;

	if (addr == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "mac addr remove port %u: NULL address", port_id);
		return eth_fail(EINVAL);
	}
	p = eth_port_get_for_change(port_id, "mac addr remove");
	if (p == NULL)
		return -ENODEV;
	if (keel_is_same_ether_addr(&p->dev.mac_addrs[0], addr)) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "mac addr remove %s: that is the default address",
			 p->dev.name);
		ret = -EADDRINUSE;
		goto out;
	}
	for (int i = 1; i < KEEL_ETH_MAX_MAC_ADDRS; i++) {
		if (keel_is_zero_ether_addr(addr) ||
		    !keel_is_same_ether_addr(&p->dev.mac_addrs[i], addr))
			continue;
		if (p->dev.dev_ops->mac_addr_remove == NULL) {
			ret = -ENOTSUP;
			goto out;
		}
		p->dev.dev_ops->mac_addr_remove(&p->dev, (uint32_t)i);
		memset(&p->dev.mac_addrs[i], 0, sizeof(*addr));
		ret = 0;
		goto out;
	}
	KEEL_LOG(ERR, keel_logtype_ethdev,
		 "mac addr remove %s: address not in the table", p->dev.name);
out:
	eth_lock_drop();
	if (ret < 0)
		errno = -ret;
	return ret;
}

/* ------------------------------------------------- promisc / allmulti */

static int
set_mode(uint16_t port_id, bool promisc, bool on)
{
	const char *fn = promisc ? (on ? "promiscuous enable" :
				    "promiscuous disable") :
			 (on ? "allmulticast enable" : "allmulticast disable");
	struct eth_port *p = eth_port_get_for_change(port_id, fn);
	const struct keel_eth_dev_ops *o;
	int (*op)(struct keel_eth_dev *);
	uint8_t *flag;
	int ret;

	if (p == NULL)
		return -ENODEV;
	o = p->dev.dev_ops;
	flag = promisc ? &p->dev.data.promiscuous : &p->dev.data.all_multicast;
	op = promisc ? (on ? o->promiscuous_enable : o->promiscuous_disable) :
		       (on ? o->allmulticast_enable : o->allmulticast_disable);
	if (*flag == on) {
		ret = 0;
	} else if (op == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev, "%s %s: not supported", fn,
			 p->dev.name);
		ret = -ENOTSUP;
	} else {
		ret = op(&p->dev);
		if (ret == 0)
			*flag = on;
	}
	eth_lock_drop();
	if (ret < 0)
		errno = -ret;
	return ret;
}

int keel_eth_promiscuous_enable(uint16_t port_id)
{
	return set_mode(port_id, true, true);
}

int keel_eth_promiscuous_disable(uint16_t port_id)
{
	return set_mode(port_id, true, false);
}

int keel_eth_allmulticast_enable(uint16_t port_id)
{
	return set_mode(port_id, false, true);
}

int keel_eth_allmulticast_disable(uint16_t port_id)
{
	return set_mode(port_id, false, false);
}

static int
get_mode(uint16_t port_id, bool promisc)
{
	struct eth_port *p = eth_port_get_locked(port_id, promisc ?
		"promiscuous get" : "allmulticast get");
	int v;

	if (p == NULL)
		return -ENODEV;
	v = promisc ? p->dev.data.promiscuous : p->dev.data.all_multicast;
	eth_lock_drop();
	return v;
}

int keel_eth_promiscuous_get(uint16_t port_id)
{
	return get_mode(port_id, true);
}

int keel_eth_allmulticast_get(uint16_t port_id)
{
	return get_mode(port_id, false);
}

/* ------------------------------------------------------------------ MTU */

int
keel_eth_dev_get_mtu(uint16_t port_id, uint16_t *mtu)
{
	struct eth_port *p;

	if (mtu == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev, "get mtu port %u: NULL mtu",
			 port_id);
		return eth_fail(EINVAL);
	}
	p = eth_port_get_locked(port_id, "get mtu");
	if (p == NULL)
		return -ENODEV;
	*mtu = p->dev.data.mtu;
	eth_lock_drop();
	return 0;
}

int
keel_eth_dev_set_mtu(uint16_t port_id, uint16_t mtu)
{
	struct keel_eth_dev_info info;
	struct eth_port *p = eth_port_get_for_change(port_id, "set mtu");
	int ret;

	if (p == NULL)
		return -ENODEV;
	ret = eth_info_locked(p, &info);
	if (ret < 0)
		goto out;
	if (mtu < info.min_mtu || mtu > info.max_mtu ||
	    (info.max_rx_pktlen != 0 &&
	     (uint32_t)mtu + KEEL_ETHER_HDR_CRC_LEN > info.max_rx_pktlen)) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "set mtu %s: MTU %u not in %u..%u (max frame %u)",
			 p->dev.name, mtu, info.min_mtu, info.max_mtu,
			 info.max_rx_pktlen);
		ret = -EINVAL;
		goto out;
	}
	if (p->dev.dev_ops->mtu_set == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev, "set mtu %s: not supported",
			 p->dev.name);
		ret = -ENOTSUP;
		goto out;
	}
	ret = p->dev.dev_ops->mtu_set(&p->dev, mtu);
	if (ret == 0) {
		p->dev.data.mtu = mtu;
		p->dev.data.dev_conf.rxmode.mtu = mtu;
	}
out:
	eth_lock_drop();
	if (ret < 0)
		errno = -ret;
	return ret;
}

/* ------------------------------------------------------------------ RSS */

int
keel_eth_dev_rss_hash_update(uint16_t port_id, struct keel_eth_rss_conf *rss)
{
	struct keel_eth_dev_info info;
	struct eth_port *p;
	uint64_t bad;
	int ret;

	if (rss == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "rss hash update port %u: NULL conf", port_id);
		return eth_fail(EINVAL);
	}
	p = eth_port_get_for_change(port_id, "rss hash update");
	if (p == NULL)
		return -ENODEV;
	ret = eth_info_locked(p, &info);
	if (ret < 0)
		goto out;
	ret = -ENOTSUP;
	if (info.flow_type_rss_offloads == 0 ||
	    p->dev.dev_ops->rss_hash_update == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "rss hash update %s: the port has no RSS", p->dev.name);
		goto out;
	}
	ret = -EINVAL;
	if (p->state < ETH_PORT_CONFIGURED) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "rss hash update %s: port is not configured",
			 p->dev.name);
		goto out;
	}
	bad = rss->rss_hf & ~info.flow_type_rss_offloads;
	if (bad != 0) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "rss hash update %s: hash functions 0x%" PRIx64
			 " not supported (0x%" PRIx64 ")", p->dev.name, bad,
			 info.flow_type_rss_offloads);
		goto out;
	}
	if (rss->rss_key != NULL && rss->rss_key_len != info.hash_key_size) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "rss hash update %s: key length %u, the port takes %u",
			 p->dev.name, rss->rss_key_len, info.hash_key_size);
		goto out;
	}
	ret = p->dev.dev_ops->rss_hash_update(&p->dev, rss);
	if (ret == 0) {
		struct keel_eth_rss_conf *c =
			&p->dev.data.dev_conf.rx_adv_conf.rss_conf;

		c->rss_hf = rss->rss_hf;
		if (rss->rss_key != NULL) {
			memcpy(p->dev.data.rss_key, rss->rss_key,
			       info.hash_key_size);
			c->rss_key = p->dev.data.rss_key;
			c->rss_key_len = info.hash_key_size;
		}
	}
out:
	eth_lock_drop();
	if (ret < 0)
		errno = -ret;
	return ret;
}

int
keel_eth_dev_rss_hash_conf_get(uint16_t port_id, struct keel_eth_rss_conf *rss)
{
	struct keel_eth_dev_info info;
	struct eth_port *p;
	int ret;

	if (rss == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "rss hash conf get port %u: NULL conf", port_id);
		return eth_fail(EINVAL);
	}
	p = eth_port_get_locked(port_id, "rss hash conf get");
	if (p == NULL)
		return -ENODEV;
	ret = eth_info_locked(p, &info);
	if (ret < 0)
		goto out;
	if (info.flow_type_rss_offloads == 0 ||
	    p->dev.dev_ops->rss_hash_conf_get == NULL) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "rss hash conf get %s: the port has no RSS",
			 p->dev.name);
		ret = -ENOTSUP;
		goto out;
	}
	if (rss->rss_key != NULL && rss->rss_key_len < info.hash_key_size) {
		KEEL_LOG(ERR, keel_logtype_ethdev,
			 "rss hash conf get %s: key buffer %u bytes, need %u",
			 p->dev.name, rss->rss_key_len, info.hash_key_size);
		ret = -EINVAL;
		goto out;
	}
	ret = p->dev.dev_ops->rss_hash_conf_get(&p->dev, rss);
out:
	eth_lock_drop();
	if (ret < 0)
		errno = -ret;
	return ret;
}
