#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""vhost-user forwarding rate: Keel on both sides against DPDK on both sides.

  perf.py --build DIR [--rounds N] [--seconds S] [--sizes 64,1518]
          [--rings split,packed] [--only keel|dpdk] [--pairs LIST]

Two processes on the machine's two cores, as in DPDK's vhost/virtio_user
loopback: testpmd with a vhost-user port (net_vhost0, the back-end) and
testpmd with a virtio_user port on the same socket (net_virtio_user0, the
front-end, its own memory playing the guest's), both io forwarding. The
front-end starts the flow from its prompt four seconds after it started,
time to connect and negotiate ("start tx_first": one burst of 32 packets
of the size asked), and the packets circulate. The rate is the front-end port's Rx-pps from "show port stats"
once a second: the median of SECONDS samples after two seconds of
warm-up. keel-testpmd plays both sides for Keel, dpdk-testpmd (Debian's
DPDK 22.11) for DPDK; rounds alternate Keel, DPDK, Keel, ... for each ring
layout and size, and each figure is min / median / max Mpps over the
rounds. --pairs also mixes them, to tell which side limits the rate:
BACKEND/FRONTEND, e.g. keel/dpdk is keel-testpmd's net_vhost against
dpdk-testpmd's net_virtio_user ("keel" alone is keel/keel).

Exit 0 when every round gave a rate, 77 when dpdk-testpmd is missing
(with --only dpdk, or unless --only keel), 1 otherwise.
Invariant: every process started is stopped and every socket removed
before the next round starts.
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

SKIP = 77


def testpmd(a, pair, role, sock, ring, size, prefix):
    """The command of one side: role 'vhost' (back-end) or 'vu'."""
    impl = pair[0] if role == 'vhost' else pair[1]
    if role == 'vhost':
        vdev = 'net_vhost0,iface=%s' % sock
        cores, main = '0,1', '0'
    else:
        # mergeable Rx buffers on, as DPDK's default and QEMU guests
        vdev = 'net_virtio_user0,path=%s,mrg_rxbuf=1%s' % (
            sock, ',packed_vq=1' if ring == 'packed' else '')
        cores, main = '1,0', '1'
    if impl == 'keel':
        exe = [os.path.join(a.build, 'app', 'testpmd', 'keel-testpmd')]
    else:
        exe = ['dpdk-testpmd']
    eal = ['--no-huge', '-m', '1024', '-l', cores, '--main-lcore', main,
           '--file-prefix', prefix]
    if impl == 'dpdk':
        # virtio_user shares memory by fd: one file per list in DPDK
        eal += ['--no-pci'] + (['--single-file-segments']
                               if role == 'vu' else [])
    args = ['--forward-mode=io', '--nb-cores', '1',
            '--total-num-mbufs', '16384', '--txpkts', str(size)]
    if impl == 'dpdk':
        # testpmd's mlockall would populate every region the peer shares
        args.append('--no-mlockall')
    # the back-end forwards from the start; the front-end is driven from
    # its prompt: "start tx_first" once its link is up (keel-testpmd
    # does not wait for the link before the first burst; DPDK's does)
    if role == 'vu':
        args.append('-i')
    elif impl == 'dpdk':
        args.append('--auto-start')
    return exe + eal + ['--vdev', vdev, '--'] + args


def start(cmd, log):
    # testpmd without -i quits at end-of-file on stdin: keep it open
    return subprocess.Popen(cmd, stdout=open(log, 'w'),
                            stderr=subprocess.STDOUT, stdin=subprocess.PIPE)


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def one_round(a, pair, ring, size, tmp, n):
    name = '-'.join(pair)
    sock = os.path.join(tmp, 'perf-%s-%d.sock' % (name, n))
    if os.path.exists(sock):
        os.unlink(sock)
    logs = [os.path.join(tmp, 'perf-%s-%s.log' % (name, r))
            for r in ('vhost', 'vu')]
    pid = os.getpid()
    backend = start(testpmd(a, pair, 'vhost', sock, ring, size,
                            'pA%d' % pid), logs[0])
    procs = [backend]
    try:
        end = time.monotonic() + 30
        while not os.path.exists(sock) and backend.poll() is None and \
                time.monotonic() < end:
            time.sleep(0.05)
        if not os.path.exists(sock):
            return None, 'the back-end did not listen (%s)' % logs[0]
        fe = start(testpmd(a, pair, 'vu', sock, ring, size, 'pB%d' % pid),
                   logs[1])
        procs.append(fe)

        def cmd(line, wait):
            fe.stdin.write((line + '\n').encode())
            fe.stdin.flush()
            time.sleep(wait)

        time.sleep(4)                   # start-up and negotiation
        cmd('start tx_first', 2)        # and two seconds of warm-up
        cmd('show port stats 0', 1)     # the baseline of the first sample
        for _ in range(a.seconds):
            cmd('show port stats 0', 1)
        cmd('stop', 0.5)
        cmd('quit', 1)
    finally:
        for p in reversed(procs):
            stop(p)
        if os.path.exists(sock):
            os.unlink(sock)
    text = open(logs[1]).read()
    pps = [int(x) for x in re.findall(r'Rx-pps:\s+(\d+)', text)]
    pps = pps[1:a.seconds + 1]      # after the baseline
    if len(pps) < 2 or max(pps) == 0:
        return None, 'no rate in %s' % logs[1]
    return statistics.median(pps) / 1e6, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--build', required=True, help='build directory')
    ap.add_argument('--rounds', type=int, default=3,
                    help='rounds of each side per figure (3)')
    ap.add_argument('--seconds', type=int, default=6,
                    help='seconds measured per round (6)')
    ap.add_argument('--sizes', default='64,1518',
                    help='packet sizes (64,1518)')
    ap.add_argument('--rings', default='split,packed',
                    help='ring layouts (split,packed)')
    ap.add_argument('--only', choices=('keel', 'dpdk'), default=None,
                    help='measure one side only')
    ap.add_argument('--pairs', default=None,
                    help='BACKEND/FRONTEND pairs measured, comma-separated '
                    '(keel,dpdk; e.g. keel/dpdk,dpdk/keel)')
    a = ap.parse_args()
    a.build = os.path.abspath(a.build)
    try:
        sizes = [int(s) for s in a.sizes.split(',')]
    except ValueError:
        ap.error('--sizes %r: expected sizes like 64,1518' % a.sizes)
    if any(s < 60 or s > 2048 for s in sizes):
        ap.error('--sizes %r: each from 60 to 2048' % a.sizes)
    rings = a.rings.split(',')
    if any(r not in ('split', 'packed') for r in rings):
        ap.error('--rings %r: split and/or packed' % a.rings)
    if a.rounds < 1 or a.seconds < 3:
        ap.error('--rounds 1 or more, --seconds 3 or more')
    if a.pairs is not None and a.only is not None:
        ap.error('--pairs and --only: give one of them')
    impls = [a.only] if a.only else (a.pairs or 'keel,dpdk').split(',')
    pairs = {}
    for i in impls:
        p = tuple(i.split('/')) if '/' in i else (i, i)
        if len(p) != 2 or any(x not in ('keel', 'dpdk') for x in p):
            ap.error('--pairs %r: expected keel, dpdk or BACKEND/FRONTEND '
                     'of those, e.g. keel/dpdk' % i)
        pairs[i] = p
    if any('dpdk' in p for p in pairs.values()) and \
            shutil.which('dpdk-testpmd') is None:
        print('perf: SKIPPED: dpdk-testpmd not installed (apt-get install '
              'dpdk-dev)')
        return SKIP
    tmp = os.path.join(a.build, 'vhost-perf')
    os.makedirs(tmp, exist_ok=True)
    ok = True
    print('perf: io forwarding, vhost-user loopback in two processes, '
          '%d rounds of %d s, Mpps min / median / max' % (a.rounds,
                                                          a.seconds))
    for ring in rings:
        for size in sizes:
            got = {i: [] for i in impls}
            for n in range(a.rounds):
                for impl in impls:
                    r, why = one_round(a, pairs[impl], ring, size, tmp, n)
                    if r is None:
                        print('perf: %s %s %d B round %d: %s' % (
                            impl, ring, size, n + 1, why))
                        ok = False
                    else:
                        got[impl].append(r)
            line = '%-6s %4d B' % (ring, size)
            for impl in impls:
                v = got[impl]
                line += '   %s %s' % (impl, '%.3f / %.3f / %.3f' % (
                    min(v), statistics.median(v), max(v)) if v else
                    'no figure')
            print(line)
            sys.stdout.flush()
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
