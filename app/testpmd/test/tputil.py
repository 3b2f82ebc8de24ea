# SPDX-License-Identifier: BSD-3-Clause
"""What keel-testpmd's test scripts share."""
import os
import sys


def check(cond, what, out=""):
    """Print 'ok: what', or 'FAIL: what' with the output and exit 1."""
    if not cond:
        print("FAIL:", what)
        if out:
            print("---- output ----\n" + out + "\n----------------")
        sys.exit(1)
    print("ok:", what)


def script_args(doc):
    """The command line every test script takes: KEEL_TESTPMD [EAL args].
    Returns (exe, eal args); exits 2 with @p doc when none is given, 77
    (meson's skip) on a machine with fewer than two CPUs."""
    if len(sys.argv) < 2:
        print(doc)
        sys.exit(2)
    if os.cpu_count() < 2:
        print("SKIP: keel-testpmd needs two CPUs (a forwarding lcore)")
        sys.exit(77)
    return sys.argv[1], sys.argv[2:]
