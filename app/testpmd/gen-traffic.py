#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write a pcap file of real-looking network traffic, deterministically.

Usage: gen-traffic.py [--packets N] [--seed S] OUTPUT.pcap

The traffic is what a small office link carries, built packet by packet
with valid IPv4/IPv6, TCP, UDP and ICMP checksums: ARP resolution, DNS
queries and answers, HTTP over TCP (handshake, request, full-size data
segments, ACKs, teardown), ICMP echo, NTP, and QUIC-like IPv6 UDP. Sizes
span 60 to 1514 bytes the way such traffic does. Addresses come from the
documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
2001:db8::/32) and locally administered MACs, so nothing is anyone's.
keel-testpmd's main job (devtools/run-main.sh) replays it.
"""
import argparse
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tp_pcap import csum, write as write_pcap  # noqa: E402


def mac(i):
    return bytes([0x02, 0x00, 0x5e, 0x10, (i >> 8) & 0xff, i & 0xff])


def ip4(net, host):
    return bytes(net + [host])


CLIENTS = [ip4([192, 0, 2], 10 + i) for i in range(16)]
SERVERS = [ip4([198, 51, 100], 20 + i) for i in range(8)]
RESOLVER = ip4([203, 0, 113], 53)
GATEWAY_MAC = mac(1)


def eth(dst, src, typ, payload):
    f = dst + src + struct.pack("!H", typ) + payload
    return f + b"\0" * (60 - len(f)) if len(f) < 60 else f


def ipv4(src, dst, proto, payload, ident):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                    0x4000, 64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def l4_csum(src, dst, proto, seg):
    pseudo = src + dst + struct.pack("!BBH", 0, proto, len(seg))
    return csum(pseudo + seg)


def udp(src, dst, sport, dport, data):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = l4_csum(src, dst, 17, seg) or 0xffff
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def tcp(src, dst, sport, dport, seq, ack, flags, data, opts=b""):
    off = (20 + len(opts)) // 4
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags,
                      64240, 0, 0) + opts + data
    c = l4_csum(src, dst, 6, seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.ident = 1
        self.frames = []

    def ip(self, smac, dmac, src, dst, proto, payload):
        self.ident = (self.ident + 1) & 0xffff
        self.frames.append(eth(dmac, smac, 0x0800,
                               ipv4(src, dst, proto, payload, self.ident)))

    def arp(self, c):
        who = self.r.choice(SERVERS)
        req = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac(c) + \
            CLIENTS[c] + b"\0" * 6 + who
        rep = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + GATEWAY_MAC + \
            who + mac(c) + CLIENTS[c]
        self.frames.append(eth(b"\xff" * 6, mac(c), 0x0806, req))
        self.frames.append(eth(mac(c), GATEWAY_MAC, 0x0806, rep))

    def dns(self, c):
        name = self.r.choice([b"\x03www\x07example\x03com\x00",
                              b"\x04mail\x07example\x03org\x00",
                              b"\x03api\x07example\x03net\x00"])
        qid, sport = self.r.randrange(65536), self.r.randrange(32768, 61000)
        q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + name + \
            struct.pack("!HH", 1, 1)
        ans = q[:2] + struct.pack("!HHHHH", 0x8180, 1, 2, 0, 0) + q[12:]
        for _ in range(2):
            ans += struct.pack("!HHHIH", 0xc00c, 1, 1, 300, 4) + \
                self.r.choice(SERVERS)
        self.ip(mac(c), GATEWAY_MAC, CLIENTS[c], RESOLVER, 17,
                udp(CLIENTS[c], RESOLVER, sport, 53, q))
        self.ip(GATEWAY_MAC, mac(c), RESOLVER, CLIENTS[c], 17,
                udp(RESOLVER, CLIENTS[c], 53, sport, ans))

    def http(self, c):
        cl, sv = CLIENTS[c], self.r.choice(SERVERS)
        cm, sport = mac(c), self.r.randrange(32768, 61000)
        cs, ss = self.r.randrange(1 << 32), self.r.randrange(1 << 32)
        mss = b"\x02\x04\x05\xb4\x04\x02\x08\x0a" + bytes(8) + b"\x01\x03\x03\x07"

        def c2s(flags, data=b"", opts=b""):
            self.ip(cm, GATEWAY_MAC, cl, sv, 6,
                    tcp(cl, sv, sport, 80, cs, ss, flags, data, opts))

        def s2c(flags, data=b"", opts=b""):
            self.ip(GATEWAY_MAC, cm, sv, cl, 6,
                    tcp(sv, cl, 80, sport, ss, cs, flags, data, opts))
        c2s(0x02, opts=mss)
        cs += 1
        s2c(0x12, opts=mss)
        ss += 1
        c2s(0x10)
        req = (b"GET /%s HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: "
               b"curl/7.88.1\r\nAccept: */*\r\n\r\n" %
               self.r.choice([b"index.html", b"logo.png", b"app.js"]))
        c2s(0x18, req)
        cs += len(req)
        for i in range(self.r.randrange(2, 12)):
            body = bytes(self.r.randrange(256) for _ in range(16)) * 92
            s2c(0x10 if i else 0x18, body[:1460])
            ss += 1460
            if i % 2:
                c2s(0x10)
        s2c(0x11)
        ss += 1
        c2s(0x11)
        cs += 1
        s2c(0x10)

    def ping(self, c):
        sv = self.r.choice(SERVERS)
        for typ, src, dst, sm, dm in ((8, CLIENTS[c], sv, mac(c), GATEWAY_MAC),
                                      (0, sv, CLIENTS[c], GATEWAY_MAC, mac(c))):
            body = struct.pack("!BBHHH", typ, 0, 0, 0x1234, c) + bytes(range(56))
            body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
            self.ip(sm, dm, src, dst, 1, body)

    def ntp(self, c):
        sv = SERVERS[0]
        q = b"\x23" + bytes(47)
        self.ip(mac(c), GATEWAY_MAC, CLIENTS[c], sv, 17,
                udp(CLIENTS[c], sv, 123, 123, q))
        self.ip(GATEWAY_MAC, mac(c), sv, CLIENTS[c], 17,
                udp(sv, CLIENTS[c], 123, 123, b"\x24\x02" + bytes(46)))

    def quic6(self, c):
        src = bytes.fromhex("20010db8000000000000000000000a%02x" % c)
        dst = bytes.fromhex("20010db80000000000000000000001bb")
        data = bytes(self.r.randrange(256) for _ in range(self.r.choice(
            [1200, 1232, 40, 90])))
        seg = struct.pack("!HHHH", 50000 + c, 443, 8 + len(data), 0) + data
        pseudo = src + dst + struct.pack("!IxxxB", len(seg), 17)
        seg = seg[:6] + struct.pack("!H", csum(pseudo + seg) or 0xffff) + seg[8:]
        h = struct.pack("!IHBB", 0x60000000, len(seg), 17, 64) + src + dst
        self.frames.append(eth(GATEWAY_MAC, mac(c), 0x86dd, h + seg))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--packets", type=int, default=4096)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("output")
    a = ap.parse_args()
    if a.packets < 1 or a.packets > 1000000:
        sys.exit("gen-traffic: --packets must be 1..1000000")
    g = Gen(a.seed)
    kinds = [g.arp, g.dns, g.dns, g.http, g.http, g.http, g.ping, g.ntp,
             g.quic6, g.quic6]
    while len(g.frames) < a.packets:
        g.r.choice(kinds)(g.r.randrange(len(CLIENTS)))
    write_pcap(a.output, g.frames[:a.packets])
    return 0


if __name__ == "__main__":
    sys.exit(main())
