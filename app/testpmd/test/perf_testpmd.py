#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""keel-testpmd forwarding rates, against DPDK 22.11's dpdk-testpmd.

Usage: perf_testpmd.py KEEL_TESTPMD [--rounds N] [--seconds S]
                       [--dpdk PATH] [--only io,macswap,iocopy,dmafwd]
                       [--dma-modes inline[,worker]]

1. io and macswap between two net_null ports on one forwarding lcore:
   keel-testpmd and dpdk-testpmd with the same arguments
   (--no-huge -m 1024 -l 0-1 --no-pci --vdev net_null0 --vdev net_null1
   -- -i --nb-cores=1), run in turn (Keel, DPDK, Keel, DPDK, ...). Each
   run: set fwd MODE, start, 1 s warm-up, `show port stats all`, S
   seconds, `show port stats all`: the forwarded rate is the growth of
   both ports' RX-packets counters over this script's clock. Prints every round, then min /
   median / max of each and of the per-round ratio Keel/DPDK.
2. dmafwd with dma_soft (inline: copies run on the forwarding lcore; and
   worker: on a thread of their own): Mpps and GB/s of copied packet
   bytes at 64 B and 1500 B, with the emulated IOMMU (--iommu emulated)
   and without one (--iommu none), min / median / max over the rounds.

A benchmark prints figures and does not judge them (exit 0 unless a run
fails). The machine is shared: read the spreads.
"""
import argparse
import os
import re
import shutil
import statistics
import sys
import time

try:
    import pexpect
except ImportError:
    print("SKIP: python3-pexpect is not installed")
    sys.exit(77)

PROMPT = "testpmd> "


def rx_packets(text):
    """Sum of every port's RX-packets counter in a `show port stats all`."""
    return sum(int(x) for x in re.findall(r"RX-packets:\s+(\d+)", text))


def measure(argv, mode, seconds):
    """Start argv interactively, forward in MODE; packets received per
    second, all ports, over `seconds`: the counters' difference over this
    script's clock, the same arithmetic for both programs (neither one's
    own rate code is trusted)."""
    c = pexpect.spawn(argv[0], argv[1:], encoding="utf-8", timeout=60)
    try:
        c.expect_exact(PROMPT)
        for cmd in ("set fwd " + mode, "start"):
            c.sendline(cmd)
            c.expect_exact(PROMPT)
        time.sleep(1.0)
        c.sendline("show port stats all")
        c.expect_exact(PROMPT)
        t0 = time.monotonic()
        n0 = rx_packets(c.before)
        time.sleep(seconds)
        c.sendline("show port stats all")
        c.expect_exact(PROMPT)
        t1 = time.monotonic()
        n1 = rx_packets(c.before)
        c.sendline("stop")
        c.expect_exact(PROMPT)
        c.sendline("quit")
        c.expect(pexpect.EOF)
    finally:
        c.close(force=True)
    if n1 <= n0:
        raise RuntimeError("%s: no RX-packets counted in %s" % (argv[0], mode))
    return (n1 - n0) / (t1 - t0)


def mmm(xs):
    return "min %8.2f  median %8.2f  max %8.2f" % (
        min(xs), statistics.median(xs), max(xs))


def bench_vs_dpdk(keel, dpdk, mode, rounds, seconds):
    null_args = ""
    if mode == "iocopy":
        mode, null_args = "io", ",copy=1"
    common = ["--no-huge", "-m", "1024", "-l", "0-1", "--no-pci",
              "--file-prefix", "tpperf%d" % os.getpid(),
              "--vdev", "net_null0" + null_args,
              "--vdev", "net_null1" + null_args, "--",
              "-i", "--nb-cores=1"]
    k, d = [], []
    print("\n%s forwarding, net_null0%s <-> net_null1%s, one forwarding "
          "lcore (Mpps forwarded, both directions)" %
          (mode, null_args, null_args))
    print("  args: " + " ".join(common))
    for r in range(rounds):
        k.append(measure([keel] + common, mode, seconds) / 1e6)
        line = "  round %d: keel %8.2f" % (r + 1, k[-1])
        if dpdk:
            d.append(measure([dpdk] + common, mode, seconds) / 1e6)
            line += "   dpdk %8.2f   keel/dpdk %5.2f" % (d[-1], k[-1] / d[-1])
        print(line, flush=True)
    print("  keel        " + mmm(k))
    if dpdk:
        print("  dpdk 22.11  " + mmm(d))
        print("  keel/dpdk   " + mmm([a / b for a, b in zip(k, d)]))


def bench_dmafwd(keel, rounds, seconds, dmamodes):
    print("\ndmafwd, net_null0 <-> net_null1 through dma_soft0, one "
          "forwarding lcore (copies of every packet; GB/s of packet bytes)")
    cases = [(dm, iommu, size) for dm in dmamodes
             for iommu in ("emulated", "none") for size in (64, 1500)]
    mpps = {c: [] for c in cases}
    for r in range(rounds):
        for c in cases:
            dmamode, iommu, size = c
            argv = [keel, "--no-huge", "-m", "1024", "-l", "0-1",
                    "--iommu", iommu, "--vdev", "dma_soft0,mode=%s" % dmamode,
                    "--vdev", "net_null0,size=%d" % size,
                    "--vdev", "net_null1,size=%d" % size, "--", "-i",
                    "--nb-cores=1"]
            if r == 0 and c == cases[0]:
                print("  args: " + " ".join(argv[1:]))
            mpps[c].append(measure(argv, "dmafwd", seconds) / 1e6)
        print("  round %d done" % (r + 1), flush=True)
    for c in cases:
        dmamode, iommu, size = c
        gbs = [m * size / 1e3 for m in mpps[c]]
        print("  %-6s iommu %-8s %4d B: Mpps %s | GB/s %s" %
              (dmamode, iommu, size, mmm(mpps[c]), mmm(gbs)), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("keel")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--dpdk", default=shutil.which("dpdk-testpmd"))
    ap.add_argument("--only", default="io,macswap,iocopy,dmafwd")
    ap.add_argument("--dma-modes", default="inline",
                    help="dma_soft modes for dmafwd: inline,worker")
    a = ap.parse_args()
    if os.cpu_count() < 2:
        print("SKIP: needs two CPUs")
        return 77
    if not a.dpdk:
        print("dpdk-testpmd not found (Debian package dpdk-dev): Keel only")
    print("machine: %d CPUs, load average %s" %
          (os.cpu_count(), " ".join("%.1f" % x for x in os.getloadavg())))
    for mode in a.only.split(","):
        if mode in ("io", "macswap", "mac", "iocopy"):
            bench_vs_dpdk(a.keel, a.dpdk, mode, a.rounds, a.seconds)
        elif mode == "dmafwd":
            bench_dmafwd(a.keel, a.rounds, a.seconds,
                         a.dma_modes.split(","))
        else:
            print("unknown benchmark '%s'" % mode)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
