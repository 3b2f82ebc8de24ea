#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Tools are products too: exit codes and messages of keel-dma-perf,
keel-dma-copy and keel-autotest (and the EAL behind them).

  test-tools.py DMA_PERF DMA_COPY AUTOTEST

Each case runs a tool and checks its exit status and that its output
(stdout and stderr together) holds every expected string. --help exits 0
and lists the tool's options and the EAL's; a bad option exits non-zero
naming the option and what it accepts. Prints one line per case; exits 1
if any failed. Registered with meson in the fast suite.
"""
import subprocess
import sys

EAL = ['--no-huge', '-m', '8', '-l', '0']


def cases(perf, copy, auto):
    """(argv, expected exit status, strings the output must hold)"""
    return [
        # --help: 0, the tool's options and the EAL's, before or after --
        ([perf, '--help'], 0, ['--sizes', '--patterns', 'EAL options']),
        ([perf] + EAL + ['--', '--help'], 0, ['--rounds', 'EAL options']),
        ([copy, '--help'], 0, ['--chunk', 'EAL options']),
        ([copy] + EAL + ['--', '-h'], 0, ['--size', 'EAL options']),
        ([auto, '--help'], 0, ['--suite', 'EAL options']),
        ([auto, '--', '--help'], 0, ['--seed']),
        # bad options: non-zero, named, with the accepted range
        ([perf] + EAL + ['--', '--sizes', '1g'], 2,
         ["--sizes '1g'", 'each in 1..32768k']),
        ([perf] + EAL + ['--', '--burst', '0'], 2,
         ["--burst '0'", '1..4096']),
        ([perf] + EAL + ['--', '--ring', '1000'], 2,
         ["--ring '1000'", 'a power of two in 1..32768']),
        ([perf] + EAL + ['--', '--rounds', '0'], 2, ["--rounds '0'", '1..100']),
        ([perf] + EAL + ['--', '--patterns', 'b2b,zigzag'], 2,
         ["--patterns 'b2b,zigzag'", 'b2b, scattered, mixed']),
        ([perf] + EAL + ['--', '--bogus'], 2, ["unknown option '--bogus'"]),
        ([perf] + EAL + ['--', '--ring', '16384', '--sizes', '4k'], 1,
         ['--ring 16384', 'takes 32..8192']),
        ([copy] + EAL + ['--', '--size', '0'], 2, ["--size '0'", '1..1g']),
        ([copy] + EAL + ['--', '--size', '4k', '--chunk', '8k'], 2,
         ['--chunk 8192', '1..--size (4096)']),
        ([copy] + EAL + ['--', '--rounds', 'x'], 2, ["--rounds 'x'"]),
        ([auto, '--no-huge', '--', '--seed', 'abc', 'kvargs_basic'], 2,
         ["--seed 'abc'", 'expected an integer']),
        ([auto, '--', '--suite'], 2, ["'--suite'"]),
        # the EAL's refusals reach the user through any tool
        ([copy, '--no-huge', '-l', '128@0'], 1,
         ["'128@0'", 'lcore id above 127']),
        ([copy, '--no-huge', '-d', '/etc/passwd'], 1,
         ["'/etc/passwd'", 'not a shared object']),
        ([copy, '--no-huge', '--vdev', 'dma_soft0', '--vdev', 'dma_soft0'], 1,
         ['given twice']),
        ([copy, '--no-huge', '--vdev', 'dma_soft0,bogus=1'], 1,
         ["unknown key 'bogus'", 'valid keys: mode, lcore, reorder']),
        ([copy, '--no-huge', '-l', '0', '--lcores', '0'], 1, ['given twice']),
        ([copy, '--no-huge', '--bogus'], 1, ["unknown option '--bogus'"]),
        # a short run of every pattern works and says so
        ([perf, '--no-huge', '-m', '32', '--', '--sizes', '4k', '--rounds',
          '1', '--total', '256k', '--region', '1m'], 0,
         ['b2b', 'scattered', 'mixed', 'imix', 'ok', 'min / median / max']),
    ]


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    failed = 0
    for argv, want, needles in cases(*sys.argv[1:]):
        try:
            p = subprocess.run(argv, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=120,
                               stdin=subprocess.DEVNULL)
            out, rc = p.stdout.decode(errors='replace'), p.returncode
        except subprocess.TimeoutExpired:
            out, rc = '(timed out)', None
        missing = [n for n in needles if n not in out]
        ok = rc == want and not missing
        name = ' '.join(a.rsplit('/', 1)[-1] for a in argv[:1]) + ' ' + \
            ' '.join(argv[1:])
        print('%s %s (exit %s)' % ('PASS' if ok else 'FAIL', name, rc))
        if not ok:
            failed += 1
            print('  wanted exit %d and %s; output:' % (want, missing))
            for line in out.splitlines()[-15:]:
                print('  | ' + line)
    print('%d failed' % failed)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
