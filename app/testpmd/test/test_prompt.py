#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""keel-testpmd's interactive prompt, driven through a pseudo-terminal.

Usage: test_prompt.py KEEL_TESTPMD [EAL ARGS...]

Checks: Tab completion of commands and of their arguments (keywords, port
ids, engine names), set/show/start/stop, a bad command (a clear error, the
prompt stays, nothing changed), history (up arrow), help, the Keel-only
commands, Ctrl-D exiting cleanly, Ctrl-C (SIGINT) exiting cleanly.
Exit status 0 pass, 1 fail, 77 skip (no pexpect, or one CPU).
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tputil import check, script_args  # noqa: E402

try:
    import pexpect
except ImportError:
    print("SKIP: python3-pexpect is not installed")
    sys.exit(77)

PROMPT = "testpmd> "
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\r")


def spawn(argv):
    c = pexpect.spawn(argv[0], argv[1:], encoding="utf-8", timeout=30,
                      dimensions=(50, 200))
    c.expect_exact(PROMPT)
    return c


def run(c, line):
    """Send a command, return its output (escape sequences removed)."""
    c.sendline(line)
    c.expect_exact(PROMPT)
    return ANSI.sub("", c.before)


def main():
    exe, eal = script_args(__doc__)
    argv = [exe] + eal + ["--vdev", "net_null0", "--vdev", "net_null1",
                          "--vdev", "dma_soft0", "--", "-i"]
    c = spawn(argv)

    # completion: a command word, then its keywords listed
    c.send("sh\tpo\t\t")
    c.expect("xstats")
    out = ANSI.sub("", c.before + c.after)
    check("info" in out and "stats" in out, "Tab lists show port's keywords",
          out)
    # ... then a keyword and a port id completed, and the line runs
    c.send("st\t1\r")
    i = c.expect(["NIC statistics for port 1", pexpect.TIMEOUT], timeout=10)
    check(i == 0, "completed line runs", ANSI.sub("", c.before))
    c.expect_exact(PROMPT)
    # engines are completed from the engine table
    c.send("set fwd mac\t\t")
    c.expect("macswap")
    c.send("swap\r")
    i = c.expect(["Set macswap packet forwarding mode", pexpect.TIMEOUT],
                 timeout=10)
    check(i == 0, "set fwd macswap", ANSI.sub("", c.before))
    c.expect_exact(PROMPT)

    out = run(c, "set burst 64")
    check("set to 64" in out, "set burst", out)
    out = run(c, "show config rxtx")
    check("macswap packet forwarding - burst 64" in out, "show config rxtx",
          out)

    # a bad command: a clear error, the prompt stays, nothing changes
    out = run(c, "frobnicate all the things")
    check("Bad command 'frobnicate'" in out and "help" in out,
          "unknown command named", out)
    out = run(c, "set burst 0")
    check("Bad burst '0'" in out and "1 to 512" in out, "bad value named", out)
    out = run(c, "show port stats 9")
    check("Bad port '9'" in out and "ports: 0, 1" in out, "bad port named",
          out)
    out = run(c, "show port")
    check("Incomplete command" in out and "info|stats|xstats" in out,
          "incomplete command explained", out)
    out = run(c, "show config rxtx")
    check("burst 64" in out, "bad commands changed nothing", out)

    out = run(c, "start")
    check("macswap packet forwarding - ports=2 - cores=1 - streams=2" in out,
          "start", out)
    time.sleep(0.5)
    out = run(c, "show port stats all")
    pps = [int(x) for x in re.findall(r"Rx-pps:\s+(\d+)", out)]
    check(len(pps) == 2 and min(pps) > 0, "packets flow while started", out)
    out = run(c, "show fwd stats all")
    m = re.search(r"Accumulated.*?RX-packets: (\d+)", out, re.S)
    check(m and int(m.group(1)) > 0, "show fwd stats all", out)
    out = run(c, "set fwd io")
    check("stop" in out, "settings refused while forwarding", out)
    out = run(c, "stop")
    rx = re.search(r"Accumulated.*?RX-packets: (\d+)", out, re.S)
    tx = re.search(r"Accumulated.*?TX-packets: (\d+)", out, re.S)
    check(rx and tx and int(rx.group(1)) > 0 and
          int(rx.group(1)) == int(tx.group(1)), "stop: every packet sent", out)

    # history: up arrow brings 'stop' back
    c.send("\x1b[A\r")
    c.expect_exact(PROMPT)
    out = ANSI.sub("", c.before)
    check("Packet forwarding not started" in out, "history (up arrow)", out)

    out = run(c, "help port")
    check("port attach <devargs>" in out and "port detach <port_id>" in out,
          "help narrows to a group", out)
    out = run(c, "show iommu")
    check("kind:" in out and "entries:" in out, "show iommu", out)
    out = run(c, "show iommu map")
    check("entries, by IOVA" in out, "show iommu map", out)
    out = run(c, "show iommu faults")
    check("IOMMU faults:" in out or "No IOMMU" in out or "kernel" in out,
          "show iommu faults", out)
    out = run(c, "show dma info all")
    check("dma_soft0" in out and "copy" in out, "show dma info all", out)

    # Ctrl-D: clean exit
    c.sendcontrol("d")
    c.expect(pexpect.EOF)
    c.close()
    check(c.exitstatus == 0, "Ctrl-D exits with status 0 (got %s)" %
          c.exitstatus)
    check("Bye..." in c.before, "Ctrl-D closes the ports", c.before)

    # Ctrl-C while forwarding: stops, closes, exits 0
    c = spawn(argv[:-1] + ["-i", "-a"])
    c.sendintr()
    c.expect(pexpect.EOF)
    c.close()
    out = ANSI.sub("", c.before)
    check(c.exitstatus == 0 and "Forward statistics" in out and
          "Bye..." in out, "Ctrl-C stops forwarding and exits 0", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
