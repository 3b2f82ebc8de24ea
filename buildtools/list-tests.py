#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Print the names of autotests of one suite registered with KEEL_TEST().

Usage: list-tests.py SUITE FILE...
Reads each C file, finds KEEL_TEST(name, "suite", ...) and prints one name
a line. meson uses it to register each fast test as its own meson test.
"""
import re
import sys

PAT = re.compile(r'^KEEL_TEST\(\s*(\w+)\s*,\s*"(\w+)"', re.M)


def main():
    if len(sys.argv) < 3:
        sys.exit('usage: list-tests.py SUITE FILE...')
    suite = sys.argv[1]
    for path in sys.argv[2:]:
        with open(path, encoding='utf-8') as f:
            for name, s in PAT.findall(f.read()):
                if s == suite:
                    print(name)


if __name__ == '__main__':
    main()
