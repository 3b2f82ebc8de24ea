# SPDX-License-Identifier: BSD-3-Clause
"""What keel-testpmd's test scripts share."""
import sys


def check(cond, what, out=""):
    """Print 'ok: what', or 'FAIL: what' with the output and exit 1."""
    if not cond:
        print("FAIL:", what)
        if out:
            print("---- output ----\n" + out + "\n----------------")
        sys.exit(1)
    print("ok:", what)
