#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Keel's vhost-user ports against real peers, in separate processes.

  peers.py --build DIR keel       Keel net_vhost <-> Keel net_virtio_user
  peers.py --build DIR dpdk-vu    DPDK 22.11 net_virtio_user (dpdk-testpmd)
                                  <-> Keel net_vhost
  peers.py --build DIR dpdk-vhost DPDK 22.11 net_vhost (dpdk-testpmd)
                                  <-> Keel net_virtio_user

Each runs the variants split/packed x mergeable on/off (and, for keel,
the listening side swapped): one side reflects what it receives (io
forwarding), the Keel side sends packets of several sizes with a
sequence number and a pattern and checks every one comes back whole and
in order ("keel-vhost-fwd --fwd verify"). One line per variant; exit 0
when every variant passed, 1 otherwise, 77 (skipped, with the reason) when
dpdk-testpmd is not installed (apt-get install dpdk-dev).

Invariant: every process started is stopped (SIGINT, then SIGKILL) and
every socket file removed before a variant's verdict is printed.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time

SKIP = 77
COUNT = 3000


def wait_socket(path, proc, secs=60):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if os.path.exists(path):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.stdout.read().decode(errors='replace') if proc.stdout else ''


def start(cmd, log):
    # a stdin that stays open and silent: testpmd without -i quits at
    # the first end-of-file on it ("Press enter to exit")
    return subprocess.Popen(cmd, stdout=open(log, 'w'),
                            stderr=subprocess.STDOUT,
                            stdin=subprocess.PIPE)


def keel_cmd(build, prefix, cpu, vdev, fwd_args):
    return [os.path.join(build, 'app', 'vhost-fwd', 'keel-vhost-fwd'),
            '--no-huge', '-m', '512', '-l', str(cpu), '--file-prefix', prefix,
            '--vdev', vdev, '--'] + fwd_args


def dpdk_cmd(prefix, cpu, vdev, mrg, extra_eal=()):
    main = 1 - cpu
    # jumbo frames (mergeable variants); virtio_user needs scattered Rx
    # for them, net_vhost chains mbufs by itself (and refuses the flag)
    jumbo = ['--max-pkt-len', '9600'] if mrg else []
    if mrg and vdev.startswith('net_virtio_user'):
        jumbo.append('--enable-scatter')
    return ['dpdk-testpmd', '--no-huge', '-m', '1024', '--no-pci',
            '-l', '%d,%d' % (main, cpu), '--main-lcore', str(main),
            '--file-prefix', prefix] + list(extra_eal) + \
           ['--vdev', vdev, '--', '--forward-mode=io', '--auto-start',
            # testpmd locks all its memory by default: as a vhost-user
            # back-end that populates every region the front-end shares
            # (Keel shares its EAL memory's whole VA window, 8 GiB with
            # --no-huge): 26 s and 8 GiB of RAM for nothing
            '--no-mlockall',
            '--nb-cores', '1', '--total-num-mbufs', '16384'] + jumbo


def verify_args(mrg, seconds=60):
    return ['--fwd', 'verify', '--count', str(COUNT), '--max-len',
            '9000' if mrg else '1514', '--duration', str(seconds)]


def run_variant(a, case, packed, mrg, swap, tmp):
    sock = os.path.join(tmp, 'vh-%s-%d%d%d.sock' % (case, packed, mrg, swap))
    if os.path.exists(sock):
        os.unlink(sock)
    vu = 'path=%s,packed_vq=%d,mrg_rxbuf=%d' % (sock, packed, mrg)
    vh = 'iface=%s' % sock
    if swap:
        vu += ',server=1'
        vh += ',client=1'
    pid = os.getpid()
    if case == 'keel':
        server_cmd = keel_cmd(a.build, 'kA%d' % pid, 0,
                              'net_vhost0,' + vh, ['--fwd', 'io'])
        client_cmd = keel_cmd(a.build, 'kB%d' % pid, 1,
                              'net_virtio_user0,' + vu, verify_args(mrg))
        if swap:
            server_cmd, client_cmd = (
                keel_cmd(a.build, 'kB%d' % pid, 1, 'net_virtio_user0,' + vu,
                         verify_args(mrg)),
                keel_cmd(a.build, 'kA%d' % pid, 0, 'net_vhost0,' + vh,
                         ['--fwd', 'io']))
    elif case == 'dpdk-vu':
        # Keel's vhost listens and checks; DPDK's virtio_user reflects
        server_cmd = keel_cmd(a.build, 'kA%d' % pid, 0, 'net_vhost0,' + vh,
                              verify_args(mrg))
        client_cmd = dpdk_cmd('dB%d' % pid, 1, 'net_virtio_user0,' + vu,
                              mrg, ['--single-file-segments'])
    else:
        # DPDK's vhost listens and reflects; Keel's virtio_user checks
        server_cmd = dpdk_cmd('dA%d' % pid, 0, 'net_vhost0,' + vh, mrg)
        client_cmd = keel_cmd(a.build, 'kB%d' % pid, 1,
                              'net_virtio_user0,' + vu, verify_args(mrg))
    logs = [os.path.join(tmp, '%s-%d%d%d-%s.log' % (case, packed, mrg, swap,
                                                     w))
            for w in ('server', 'client')]
    server = start(server_cmd, logs[0])
    procs = [server]
    verdict = 'FAILED'
    try:
        # with server=1 on the Keel virtio_user side the socket is its
        if not wait_socket(sock, server):
            raise RuntimeError('the server side never created %s' % sock)
        client = start(client_cmd, logs[1])
        procs.append(client)
        checker = server if case == 'dpdk-vu' or (case == 'keel' and swap) \
            else client
        try:
            checker.wait(a.timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError('no verdict within %d s' % a.timeout)
        for p in procs:
            if p is not checker:
                stop(p)
        out = open(logs[0 if checker is server else 1]).read()
        line = [ln for ln in out.splitlines() if ln.startswith('verify:')]
        verdict = line[-1] if line else 'no verify line'
        ok = checker.returncode == 0 and line and \
            ('received %d damaged 0' % COUNT) in line[-1]
    except RuntimeError as e:
        ok = False
        verdict = str(e)
    finally:
        for p in procs:
            stop(p)
        if os.path.exists(sock):
            os.unlink(sock)
    name = '%s %s %s%s' % (case, 'packed' if packed else 'split',
                           'mrg' if mrg else 'no-mrg',
                           ' (server/client swapped)' if swap else '')
    print('%s: %s: %s' % ('PASS' if ok else 'FAIL', name, verdict))
    if not ok:
        for log in logs:
            if os.path.exists(log):
                print('--- %s (last lines)' % log)
                print(''.join(open(log).readlines()[-25:]))
    sys.stdout.flush()
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--build', required=True, help='build directory')
    ap.add_argument('--timeout', type=int, default=120,
                    help='seconds per variant (120)')
    ap.add_argument('case', choices=('keel', 'dpdk-vu', 'dpdk-vhost'))
    a = ap.parse_args()
    a.build = os.path.abspath(a.build)
    if a.case != 'keel' and shutil.which('dpdk-testpmd') is None:
        print('peers: SKIPPED: dpdk-testpmd not installed (apt-get install '
              'dpdk-dev)')
        return SKIP
    tmp = os.path.join(a.build, 'vhost-peers')
    os.makedirs(tmp, exist_ok=True)
    variants = [(p, m, 0) for p in (0, 1) for m in (0, 1)]
    if a.case == 'keel':
        variants.append((1, 1, 1))
    results = [run_variant(a, a.case, p, m, s, tmp) for p, m, s in variants]
    print('peers %s: %d of %d variants passed' % (a.case, sum(results),
                                                  len(results)))
    return 0 if all(results) else 1


if __name__ == '__main__':
    sys.exit(main())
