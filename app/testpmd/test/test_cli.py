#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""keel-testpmd's command line, as a program: options, a bounded run,
--cmdline-file, signals, and icmpecho through real pcap files.

Usage: test_cli.py KEEL_TESTPMD [EAL ARGS...]

Checks: --help exits 0 and lists the options; each bad option or value
exits 2 with a line naming it and what is expected; a non-interactive run
forwards and prints per-port statistics; --cmdline-file runs its commands
(a failing one names file and line and makes the exit status 1); SIGTERM
ends an unbounded run cleanly; icmpecho, fed an ARP request and an ICMP
echo request from a pcap file through net_pcap, writes replies byte for
byte as this script builds them. Exit status 0 pass, 1 fail, 77 skip.
"""
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
from tp_pcap import csum, read as pcap_read, write as pcap_write  # noqa: E402
from tputil import check, script_args  # noqa: E402


def run(argv, timeout=60):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=timeout, text=True)
    return p.returncode, p.stdout


# ----------------------------------------------------------------- packets

HOST = bytes.fromhex("525400abcdef")
BCAST = b"\xff" * 6
IP_HOST = bytes([192, 0, 2, 1])
IP_US = bytes([192, 0, 2, 77])


def arp(edst, esrc, op, sha, spa, tha, tpa):
    f = edst + esrc + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, op)
    f += sha + spa + tha + tpa
    return f + b"\0" * (60 - len(f))


def echo(edst, esrc, src, dst, typ, seq):
    payload = bytes(range(0x20, 0x20 + 48))
    icmp = struct.pack("!BBHHH", typ, 0, 0, 0x1d2c, seq) + payload
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0x0101 + seq,
                     0x4000, 64, 1, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return edst + esrc + b"\x08\x00" + ip + icmp


# ------------------------------------------------------------------- tests

def main():
    exe, eal = script_args(__doc__)
    nulls = ["--vdev", "net_null0", "--vdev", "net_null1"]
    tmp = tempfile.mkdtemp(prefix="keel-testpmd-")

    rc, out = run([exe, "--", "--help"])
    check(rc == 0 and "--forward-mode=MODE" in out and "--cmdline-file" in out
          and "--dma=NAME" in out and "EAL options" in out,
          "--help exits 0 and lists its options and the EAL's", out)
    rc, out = run([exe, "--help"])
    check(rc == 0 and "EAL options" in out and "--forward-mode=MODE" in out,
          "EAL -h exits 0 and lists both", out)

    bad = [
        (["--rxq=0"], "invalid rxq '0': expected a number of queues"),
        (["--burst=600"], "invalid burst '600': expected a burst size from 1"),
        (["--forward-mode=warp"], "invalid forward-mode 'warp': expected one "
         "of io, mac, macswap"),
        (["--txpkts=20"], "invalid txpkts '20': expected a first segment"),
        (["--eth-peer=0,nope"], "invalid eth-peer '0,nope'"),
        (["--port-topology=star"], "invalid port-topology 'star': expected "
         "paired, chained or loop"),
        (["--run-time=soon"], "invalid run-time 'soon'"),
        (["--bogus"], "unknown option '--bogus'"),
        (["--burst"], "option '--burst' needs a value"),
        (["stray"], "unexpected argument 'stray'"),
        (["--nb-cores=64"], "invalid nb-cores '64': expected at most"),
    ]
    for args, msg in bad:
        rc, out = run([exe] + eal + nulls + ["--"] + args)
        check(rc == 2 and msg in out, "bad option %s named (exit %d)" %
              (" ".join(args), rc), out)
    rc, out = run([exe] + eal + nulls + ["--", "--portmask=0x4",
                                         "--run-time=0.1"])
    check(rc == 1 and "Port 2 in --portmask does not exist" in out,
          "a port that does not exist is named", out)
    rc, out = run([exe] + eal + ["--bogus-eal"])
    check(rc == 2, "bad EAL option exits 2", out)

    # a bounded run prints per-port statistics
    rc, out = run([exe] + eal + nulls + ["--", "--forward-mode=io",
                                         "--run-time=0.5"])
    m = re.findall(r"Forward statistics for port (\d)\s+-+\s+RX-packets: "
                   r"(\d+)", out)
    check(rc == 0 and len(m) == 2 and all(int(n) > 0 for _, n in m) and
          "NIC statistics for port 1" in out and "Bye..." in out,
          "bounded run forwards and prints statistics", out)

    # --cmdline-file
    script = os.path.join(tmp, "cmds")
    with open(script, "w") as f:
        f.write("# set up\nset fwd macswap\nset burst 16\n\nshow config fwd\n")
    rc, out = run([exe] + eal + nulls + ["--", "--cmdline-file=" + script,
                                         "--run-time=0.3"])
    check(rc == 0 and "testpmd> set fwd macswap" in out and
          "macswap packet forwarding - ports=2" in out and "burst 16" in out
          and "3 commands, 0 failed" in out, "--cmdline-file runs a script",
          out)
    with open(script, "w") as f:
        f.write("set burst 16\nset burst 9999\nquit\n")
    rc, out = run([exe] + eal + nulls + ["--", "-i", "--cmdline-file=" +
                                         script])
    check(rc == 1 and script + ":2: command failed" in out and
          "Bad burst '9999'" in out and "testpmd> quit" in out,
          "a failing script line is named, quit ends, exit 1", out)

    # SIGTERM ends an unbounded run cleanly
    p = subprocess.Popen([exe] + eal + nulls + ["--", "--stats-period=1"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, text=True)
    head = ""
    while "Forwarding until" not in head:      # started (slow under ASan)
        line = p.stdout.readline()
        if not line:
            break
        head += line
    time.sleep(2.4)
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=30)
    out = head + out
    check(p.returncode == 0 and "Signal received" in out and
          out.count("NIC statistics for port 0") >= 2 and "Bye..." in out,
          "SIGTERM: periodic stats, then a clean stop", out)

    # icmpecho through net_pcap files, byte for byte
    port_mac = bytes.fromhex("02000000aa01")
    inp, outp = os.path.join(tmp, "in.pcap"), os.path.join(tmp, "out.pcap")
    pcap_write(inp, [
        arp(BCAST, HOST, 1, HOST, IP_HOST, b"\0" * 6, IP_US),
        echo(port_mac, HOST, IP_HOST, IP_US, 8, 1),
        echo(port_mac, HOST, IP_HOST, IP_US, 0, 2),     # a reply: ignored
        echo(port_mac, HOST, IP_HOST, IP_US, 8, 3),
    ])
    rc, out = run([exe] + eal + [
        "--vdev", "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (inp, outp), "--",
        "--forward-mode=icmpecho", "--run-time=0.5"])
    if rc != 0 and re.search(r"net_pcap.*(no driver|not found)", out, re.I):
        print("SKIP: icmpecho over pcap (built without libpcap)")
        return 0
    got = pcap_read(outp) if os.path.exists(outp) else []
    mac = re.search(r"Port 0: ([0-9a-f:]{17})", out)
    check(rc == 0 and mac, "icmpecho over pcap runs", out)
    us = bytes.fromhex(mac.group(1).replace(":", ""))
    want = [arp(HOST, us, 2, us, IP_US, HOST, IP_HOST)]
    for seq in (1, 3):
        r = echo(HOST, us, IP_US, IP_HOST, 0, seq)
        # the request's IPv4 checksum stays (addresses swapped)
        want.append(r)
    check(len(got) == 3, "three replies written (got %d)" % len(got), out)
    for i, (g, w) in enumerate(zip(got, want)):
        check(g == w, "reply %d byte for byte" % i,
              "got  %s\nwant %s" % (g.hex(), w.hex()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
