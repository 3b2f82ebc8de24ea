# SPDX-License-Identifier: BSD-3-Clause
"""pcap files (libpcap's classic format, Ethernet) and the Internet
checksum, for keel-testpmd's traffic generator, its pcap comparison and its
tests. Records are read whatever the file's byte order; timestamps are
written 37 us apart from a fixed start, so output is deterministic."""
import struct

LINKTYPE_ETHERNET = 1


def csum(b):
    """RFC 1071 checksum of bytes b (complemented, host integer)."""
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def write(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535,
                            LINKTYPE_ETHERNET))
        t = 1700000000 * 1000000
        for fr in frames:
            t += 37
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(fr),
                                len(fr)))
            f.write(fr)


def read(path):
    """The frames of a pcap file; ValueError when it is not one."""
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            raise ValueError("%s: not a pcap file (%d bytes)" % (path, len(hdr)))
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            e = "<"
        elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
            e = ">"
        else:
            raise ValueError("%s: not a pcap file (magic 0x%08x)" %
                             (path, magic))
        out = []
        while True:
            rec = f.read(16)
            if not rec:
                return out
            if len(rec) < 16:
                raise ValueError("%s: truncated record header" % path)
            incl = struct.unpack(e + "IIII", rec)[2]
            data = f.read(incl)
            if len(data) < incl:
                raise ValueError("%s: truncated packet %d" % (path, len(out)))
            out.append(data)
