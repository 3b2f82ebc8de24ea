#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Run ring benchmarks in interleaved rounds and print min/median/max of
every figure, side by side.

Each COMMAND is run ROUNDS times, in turn (A B C A B C ...), so a drifting
machine load hits all of them alike. Figures are read from lines of
DPDK's ring_perf_autotest form ("legacy APIs: SP/SC: single: 8.44", keyed
by the "### section ###" they follow) and from the rows of the preemption
tables ("2P+2C  MP/MC  wall cpu [wall cpu]", keyed by table and column).
A line label missing from a command's output shows as "-".

  compare-ring-perf.py -n 5 \\
    'keel=build/app/autotest/keel-autotest --no-huge -m 256 -l 0-1 -- ring_perf' \\
    'dpdk=env DPDK_TEST=ring_perf_autotest dpdk-test --no-huge -m 256 --no-pci -l 0-1 --no-telemetry'
"""
import argparse
import re
import shlex
import statistics
import subprocess
import sys

FIGURE = re.compile(r'^(?P<label>(legacy|elem) APIs.*): (?P<v>[0-9.]+)$')
ROW = re.compile(r'^(?P<thr>\d+P\+\d+C)\s+(?P<mode>\S+)\s+(?P<vals>[0-9. ]+)$')


def parse(text):
    """figures of one run: {key: value}, keys in output order"""
    out, section, table, cols = {}, '', 0, []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith('###'):
            section = line.strip('# ')
            if section.startswith('preempted'):
                table += 1
            continue
        if line.startswith('threads'):
            cols = line.split()[2:]
            continue
        m = FIGURE.match(line)
        if m:
            out[f"{section} | {m.group('label')}"] = float(m.group('v'))
            continue
        m = ROW.match(line)
        if m:
            for i, v in enumerate(m.group('vals').split()):
                col = cols[i] if i < len(cols) else str(i)
                key = f"preempt {table} | {m.group('thr')} {m.group('mode')} {col}#{i}"
                out[key] = float(v)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('-n', '--rounds', type=int, default=5,
                    help='runs of each command (default 5)')
    ap.add_argument('commands', nargs='+', metavar='NAME=COMMAND',
                    help='a name and the command line to run')
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error(f'--rounds {args.rounds}: expected a number >= 1')
    cmds = []
    for c in args.commands:
        name, sep, cmd = c.partition('=')
        if not sep or not cmd:
            ap.error(f"'{c}': expected NAME=COMMAND")
        cmds.append((name, shlex.split(cmd)))
    runs = {name: [] for name, _ in cmds}
    keys = []
    for r in range(args.rounds):
        for name, cmd in cmds:
            print(f'round {r + 1}/{args.rounds}: {name}', file=sys.stderr)
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
            if p.returncode != 0:
                print(p.stdout, file=sys.stderr)
                sys.exit(f'{name}: exit status {p.returncode}')
            figs = parse(p.stdout)
            runs[name].append(figs)
            keys += [k for k in figs if k not in keys]
    head = f"{'figure':<78}" + ''.join(f'{n + " min/med/max":>28}' for n, _ in cmds)
    print(head)
    section = None
    for k in keys:
        sec, label = k.split(' | ', 1)
        if sec != section:
            print(f'## {sec}')
            section = sec
        row = f'{label:<78}'
        for name, _ in cmds:
            vals = [f[k] for f in runs[name] if k in f]
            if vals:
                row += f'{min(vals):>9.1f}/{statistics.median(vals):.1f}/{max(vals):.1f}'.rjust(28)
            else:
                row += '-'.rjust(28)
        print(row)


if __name__ == '__main__':
    main()
