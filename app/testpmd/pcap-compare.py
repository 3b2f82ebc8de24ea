#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Compare the packets of two pcap files (not their timestamps).

Usage: pcap-compare.py EXPECTED.pcap GOT.pcap

Prints one line: how many packets, and whether GOT holds exactly the
packets of EXPECTED, byte for byte and in order; otherwise the first
difference. Exit status 0 when identical, 1 when not, 2 on a bad file.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tp_pcap import read as frames  # noqa: E402


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    try:
        want, got = frames(sys.argv[1]), frames(sys.argv[2])
    except (OSError, ValueError) as e:
        print("pcap-compare:", e)
        return 2
    for i, (w, g) in enumerate(zip(want, got)):
        if w != g:
            at = next(k for k in range(min(len(w), len(g)) + 1)
                      if k == min(len(w), len(g)) or w[k] != g[k])
            print("packet %d differs at byte %d (lengths %d and %d)" %
                  (i, at, len(w), len(g)))
            return 1
    if len(want) != len(got):
        print("%d packets expected, %d found (the first %d identical)" %
              (len(want), len(got), min(len(want), len(got))))
        return 1
    print("%d packets, identical byte for byte and in order" % len(want))
    return 0


if __name__ == "__main__":
    sys.exit(main())
