#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""keel-testpmd's port and DMA commands, through the prompt in a pty.

Usage: test_ports.py KEEL_TESTPMD [EAL ARGS...]

Checks, each against what the program then reports (not only its reply):
port attach (a new port that forwards) and detach (gone from every
command), an unknown driver refused with the ports unchanged, attach and
detach refused while forwarding; port config all rxq 2 giving four
streams; port close (the port released) and reset; set promisc; dmafwd's copies counted the
same by the forwarding statistics and by `show dma stats`, `clear dma
stats` zeroing the device's counters, `show iommu map N` printing at most
N entries; set verbose printing each packet received and sent (three
packets from a pcap file). Exit status 0 pass, 1 fail, 77 skip (no pexpect, or one CPU).
"""
import os
import re
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
from tp_pcap import write as pcap_write  # noqa: E402
from tputil import check, script_args  # noqa: E402

try:
    import pexpect
except ImportError:
    print("SKIP: python3-pexpect is not installed")
    sys.exit(77)

PROMPT = "testpmd> "
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\r")


def run(c, line):
    """Send a command, return its output (escape sequences removed)."""
    c.sendline(line)
    c.expect_exact(PROMPT)
    return ANSI.sub("", c.before)


def accumulated(out, what):
    m = re.search(r"Accumulated.*?%s: (\d+)" % what, out, re.S)
    return int(m.group(1)) if m else -1


def main():
    exe, eal = script_args(__doc__)
    argv = [exe] + eal + ["--iommu", "emulated", "--vdev", "net_null0",
                          "--vdev", "net_null1", "--vdev", "dma_soft0",
                          "--", "-i"]
    c = pexpect.spawn(argv[0], argv[1:], encoding="utf-8", timeout=30,
                      dimensions=(50, 200))
    c.expect_exact(PROMPT)

    # attach: a third port, started, forwarding with the others
    out = run(c, "port attach net_null2")
    check("Port 2 is attached. Now total ports is 3" in out, "port attach",
          out)
    out = run(c, "show port info 2")
    check("Device name: net_null2" in out and "State: stopped" in out,
          "the attached port is shown, stopped", out)
    out = run(c, "port start 2")
    out = run(c, "show port info 2")
    check("State: started" in out, "port start of the attached port", out)
    out = run(c, "start")
    check("ports=3" in out and "P=2/Q=0" in out,
          "the attached port forwards", out)
    out = run(c, "port attach net_null3")
    check("stop" in out.lower() and "attached" not in out,
          "attach refused while forwarding", out)
    out = run(c, "port detach 2")
    check("detached" not in out, "detach refused while forwarding", out)
    time.sleep(0.3)
    out = run(c, "stop")
    check(accumulated(out, "RX-packets") > 0, "three ports forwarded", out)

    # detach: gone from every command
    out = run(c, "port detach 2")
    check("Port 2 is detached. Now total ports is 2" in out, "port detach",
          out)
    for cmd in ("show port info 2", "port start 2", "port detach 2"):
        out = run(c, cmd)
        check("Bad port '2'" in out and "ports: 0, 1" in out,
              "'%s' after detach names the port" % cmd, out)
    # an unknown driver: refused, nothing added
    out = run(c, "port attach net_bogus0")
    check("Cannot attach 'net_bogus0'" in out, "unknown driver refused", out)
    out = run(c, "show port info 2")
    check("Bad port '2'" in out, "a refused attach adds no port", out)

    # queues: two per port, four streams
    out = run(c, "port config all rxq 2")
    check("Stop all ports first" in out, "queues refused on started ports",
          out)
    run(c, "port stop all")
    for q in ("rxq", "txq"):
        out = run(c, "port config all %s 2" % q)
        check("Every port: %s 2" % q in out, "port config all " + q, out)
    run(c, "port start all")
    out = run(c, "show port info 0")
    check("Current number of RX queues: 2" in out, "two Rx queues", out)
    out = run(c, "start")
    check("streams=4" in out and "RX P=1/Q=1" in out, "four streams", out)
    run(c, "stop")

    # promiscuous mode
    out = run(c, "set promisc 1 off")
    out = run(c, "show port info 1")
    check("Promiscuous mode: disabled" in out, "set promisc off", out)
    out = run(c, "set promisc all on")
    out = run(c, "show port info 1")
    check("Promiscuous mode: enabled" in out, "set promisc all on", out)

    # dmafwd: the device's counters and the forwarding statistics agree
    run(c, "set fwd dmafwd")
    out = run(c, "start")
    check("copies with DMA device 0 (dma_soft0)" in out, "dmafwd start", out)
    time.sleep(0.3)
    out = run(c, "stop")
    copies = accumulated(out, "DMA-copies")
    check(copies > 0 and accumulated(out, "DMA-failed") == 0 and
          accumulated(out, "TX-packets") == copies, "dmafwd forwarded copies",
          out)
    out = run(c, "show dma stats all")
    m = re.search(r"submitted: (\d+)\s+completed: (\d+)\s+errors: (\d+)", out)
    check(m and int(m.group(1)) == copies and int(m.group(2)) == copies and
          m.group(3) == "0", "show dma stats counts every copy", out)
    out = run(c, "clear dma stats all")
    out = run(c, "show dma stats 0")
    check(re.search(r"submitted: 0\s+completed: 0\s+errors: 0", out),
          "clear dma stats", out)
    out = run(c, "show iommu map 1")
    rows = re.findall(r"^\s+\d+\s+0x[0-9a-f]+-0x[0-9a-f]+", out, re.M)
    check(len(rows) == 1, "show iommu map 1 prints one entry", out)

    # close releases the port (as rte_eth_dev_close does); reset keeps it
    run(c, "port stop 1")
    out = run(c, "port close 1")
    check("Port 1 is closed" in out, "port close", out)
    out = run(c, "show port info 1")
    check("Bad port '1'" in out, "a closed port is gone", out)
    out = run(c, "start")
    check("ports=1" in out and "P=1" not in out,
          "a closed port is not forwarded", out)
    run(c, "stop")
    run(c, "port stop 0")
    out = run(c, "port reset 0")
    check("Port 0 reset" in out, "port reset", out)
    run(c, "port start 0")
    out = run(c, "show port info 0")
    check("State: started" in out, "port reset then start", out)

    c.sendline("quit")
    c.expect(pexpect.EOF)
    c.close()
    check(c.exitstatus == 0, "quit exits 0 (got %s)" % c.exitstatus)
    verbose(exe, eal)
    return 0


def verbose(exe, eal):
    """set verbose 3: every packet received and sent printed, once."""
    with tempfile.TemporaryDirectory(prefix="testpmd-ports-") as d:
        src = bytes.fromhex("020000000001")
        frames = [bytes.fromhex("020000000002") + src +
                  struct.pack("!H", t) + bytes(n - 14)
                  for t, n in ((0x0800, 60), (0x86dd, 100), (0x0806, 1514))]
        pcap_write(os.path.join(d, "in.pcap"), frames)
        argv = eal + ["--vdev", "net_pcap0,rx_pcap=%s/in.pcap,tx_pcap=%s/"
                      "out.pcap" % (d, d), "--", "-i"]
        c = pexpect.spawn(exe, argv, encoding="utf-8", timeout=30,
                          dimensions=(50, 200))
        c.expect_exact(PROMPT)
        out = run(c, "set verbose 3")
        run(c, "set fwd io")
        run(c, "start")
        time.sleep(0.5)
        out = run(c, "stop")
        c.sendline("quit")
        c.expect(pexpect.EOF)
        c.close()
        out = ANSI.sub("", out)
        rx = re.findall(r"port 0/queue 0: received (\d+) packets", out)
        tx = re.findall(r"port 0/queue 0: sent (\d+) packets", out)
        lines = re.findall(r"src=02:00:00:00:00:01 - dst=02:00:00:00:00:02 "
                           r"- type=(0x[0-9a-f]+) - length=(\d+)", out)
        check(sum(map(int, rx)) == 3 and sum(map(int, tx)) == 3,
              "set verbose 3: three received, three sent", out)
        # each packet once received, once sent
        check(sorted(lines) == sorted([("0x0800", "60"), ("0x86dd", "100"),
                                       ("0x0806", "1514")] * 2),
              "set verbose 3: each packet's addresses, type and length", out)


if __name__ == "__main__":
    sys.exit(main())
