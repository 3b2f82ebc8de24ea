#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Run Keel's mempool_perf/mbuf_perf and the DPDK reference interleaved.

Usage: pktmem-bench-compare.py --keel BUILD/app/autotest/keel-autotest
                               --dpdk ./dpdk-pktmem-bench [--rounds N]
                               [--ms MS] [--ops NAME] [--only mempool|mbuf]

Each round runs every group of lines (mempool without and with a cache,
mbuf; 1 and 2 cores each) on Keel and on DPDK back to back (same lines,
same pools, see dpdk-pktmem-bench.c), the order flipping every round, so
both see the same machine within seconds of each other.
Prints, per line, min/median/max of each and the ratio of the medians
(rates: Keel/DPDK, higher is better for Keel; ns: DPDK/Keel, likewise).
The *_best lines are each core's fastest block: on a shared machine the
averages include time other programs took, the best blocks what the code
costs.
"""
import argparse
import re
import statistics
import subprocess
import sys

LINE = re.compile(r'^(mempool_autotest .*?|mempool_best .*?|mbuf_perf .*?|'
                  r'mbuf_best .*?) '
                  r'(rate_persec|best_persec|ns_per_mbuf)=([0-9.]+)$')


def run(cmd, env):
    out = subprocess.run(cmd, env=env, capture_output=True, text=True,
                         check=False)
    if out.returncode != 0:
        sys.exit('failed: %s\n%s%s' % (' '.join(cmd), out.stdout, out.stderr))
    res = {}
    for line in out.stdout.splitlines():
        m = LINE.match(line.strip())
        if m:
            res[m.group(1)] = (m.group(2), float(m.group(3)))
    return res


def fmt(v, unit):
    return ('%.1fM' % (v / 1e6)) if unit != 'ns_per_mbuf' else ('%.1f' % v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--keel', required=True)
    ap.add_argument('--dpdk', required=True)
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--ms', type=int, default=300)
    ap.add_argument('--ops', default=None,
                    help='Keel mempool backend for mempool_perf')
    ap.add_argument('--only', choices=['mempool', 'mbuf'], default=None)
    a = ap.parse_args()
    import os
    env = dict(os.environ, KEEL_PERF_MS=str(a.ms))
    if a.ops:
        env['KEEL_PERF_OPS'] = a.ops
    tests = {'mempool': 'mempool_perf', 'mbuf': 'mbuf_perf'}
    want = [a.only] if a.only else ['mempool', 'mbuf']
    keel_cmd = [a.keel, '--no-huge', '-m', '256', '-l', '0-1', '--']
    keel_cmd += [tests[w] for w in want]
    dpdk_cmd = [a.dpdk, '--no-huge', '-m', '256', '-l', '0-1', '--no-pci',
                '--iova-mode=va', '--file-prefix=pktmem',
                '--log-level=lib.*:error', '--'] + want
    groups = []
    for w in want:
        for cores in ('1', '2'):
            if w == 'mempool':
                for cache in ('0', '512'):
                    groups.append((w, {'KEEL_PERF_CACHE': cache,
                                       'KEEL_PERF_CORES': cores}))
            else:
                groups.append((w, {'KEEL_PERF_CORES': cores}))
    keel, dpdk = {}, {}
    for r in range(a.rounds):
        for w, genv in groups:
            kc = [a.keel, '--no-huge', '-m', '256', '-l', '0-1', '--',
                  tests[w]]
            dc = dpdk_cmd[:-len(want)] + [w]
            pair = [(kc, keel), (dc, dpdk)]
            if r % 2:
                pair.reverse()
            for cmd, acc in pair:
                for k, (unit, v) in run(cmd, dict(env, **genv)).items():
                    acc.setdefault(k, (unit, []))[1].append(v)
        print('round %d/%d done' % (r + 1, a.rounds), file=sys.stderr)
    print('%-72s %26s %26s %7s' % ('line (%d rounds, interleaved)' % a.rounds,
                                   'Keel min/med/max',
                                   'DPDK min/med/max', 'ratio'))
    for k in keel:
        if k not in dpdk:
            continue
        unit, kv = keel[k]
        _, dv = dpdk[k]
        km, dm = statistics.median(kv), statistics.median(dv)
        ratio = km / dm if unit != 'ns_per_mbuf' else dm / km
        print('%-72s %26s %26s %6.2fx' % (
            k, '/'.join(fmt(x, unit) for x in (min(kv), km, max(kv))),
            '/'.join(fmt(x, unit) for x in (min(dv), dm, max(dv))), ratio))


if __name__ == '__main__':
    main()
