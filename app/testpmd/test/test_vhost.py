#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""keel-testpmd over vhost-user: a net_vhost port and a net_virtio_user
port on one socket, in one process, with nothing but --vdev.

Usage: test_vhost.py KEEL_TESTPMD [EAL ARGS...]

Checks: --tx-first waits for the links (the vhost-user pair is up only once
the virtio side has connected and negotiated), so its bursts are not lost
and io forwarding keeps them circulating: packets received on both ports,
none dropped, exit 0. Exit status 0 pass, 1 fail, 77 skip (one CPU, or
Keel built without the vhost drivers).
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tputil import check, script_args  # noqa: E402


def main():
    exe, eal = script_args(__doc__)
    with tempfile.TemporaryDirectory(prefix="testpmd-vhost-") as d:
        sock = os.path.join(d, "vhost.sock")
        argv = [exe] + eal + ["--vdev", "net_vhost0,iface=" + sock,
                              "--vdev", "net_virtio_user0,path=" + sock,
                              "--", "--forward-mode=io", "--tx-first",
                              "--run-time=1"]
        p = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                           timeout=60, text=True)
        out = p.stdout
    if p.returncode != 0 and re.search(r"create net_(vhost|virtio_user)0: "
                                       r"no driver", out):
        print("SKIP: Keel built without net_vhost/net_virtio_user")
        return 77
    check(p.returncode == 0, "io over net_vhost <-> net_virtio_user exits 0",
          out)
    check("link still down" not in out, "both links came up", out)
    ports = re.findall(r"Forward statistics for port (\d+).*?RX-packets: "
                       r"(\d+)\s+RX-dropped: (\d+).*?TX-packets: (\d+)\s+"
                       r"TX-dropped: (\d+)", out, re.S)
    check(len(ports) == 2, "statistics for both ports", out)
    for port, rx, rxd, tx, txd in ports:
        check(int(rx) > 0 and int(tx) > 0,
              "port %s received and sent (tx-first bursts not lost)" % port,
              out)
        check(rxd == "0" and txd == "0", "port %s dropped nothing" % port,
              out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
