#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A Linux guest (QEMU, TCG) pings through a Keel vhost-user port.

  qemu_ping.py --build DIR [--viommu] [--count N] [--timeout S]

"keel-vhost-fwd --fwd icmpecho" listens on a vhost-user socket
(net_vhost0) and answers ARP and ICMP echo for 192.0.2.2. A guest of
devtools/vm/run-vm.py gets a virtio-net-pci device on that socket (guest
RAM shared by memfd; vectors=0, which QEMU 7.2 needs under TCG) and:
  1. brings its virtio-net interface up as 192.0.2.1/24 and pings
     192.0.2.2 COUNT times: every ping must be answered;
  2. unbinds and binds virtio_net again (a driver reset: the device is
     reset, the back-end stops the device and negotiates anew), pings again.
Then QEMU exits and a second guest connects to the same socket and pings
again: the back-end survives a driver reset and a front-end that goes.

With --viommu the guest has an intel-iommu with device-iotlb=on and the
device iommu_platform=on (the port iommu-support=1): ring and buffer
addresses are IOVAs that the back-end translates through IOTLB messages,
asking on the back-end channel when a translation is missing.

Exit 0 when every ping was answered in both guests, 77 (with run-vm.py's
reason) when QEMU or a guest kernel is missing, 1 otherwise.
Invariant: the responder is stopped and the socket removed before exit.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))

# run in the guest (chroot into the host's root, /bin/sh): find the
# virtio-net interface, ping, reset the driver, ping again
GUEST = r'''
nic() {
	for d in /sys/class/net/*; do
		drv=$(readlink "$d/device/driver" 2>/dev/null) || continue
		[ "${drv##*/}" = virtio_net ] && { echo "${d##*/}"; return; }
	done
}
up() {
	n=$(nic)
	[ -n "$n" ] || { echo "qemu_ping: no virtio_net interface"; exit 1; }
	ip addr add 192.0.2.1/24 dev "$n" && ip link set "$n" up || exit 1
	echo "qemu_ping: $n up ($(cat /sys/class/net/$n/address))"
}
pings() {
	out=$(ping -c %(count)d -i 0.5 -W 5 192.0.2.2 2>&1)
	echo "$out" | tail -2
	echo "$out" | grep -q "^%(count)d packets transmitted, %(count)d received" &&
		echo "qemu_ping: $1: every ping answered" ||
		{ echo "qemu_ping: $1: pings lost"; exit 1; }
}
up
pings "%(guest)s"
%(reset)s
'''

# unbind and bind the virtio device of the interface: the driver resets it
RESET = r'''
dev=$(readlink /sys/class/net/$(nic)/device); dev=${dev##*/}
echo "qemu_ping: driver reset of $dev"
echo "$dev" >/sys/bus/virtio/drivers/virtio_net/unbind || exit 1
sleep 1
echo "$dev" >/sys/bus/virtio/drivers/virtio_net/bind || exit 1
up
pings "%(guest)s after a driver reset"
'''


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--build', required=True, help='build directory')
    ap.add_argument('--viommu', action='store_true',
                    help='intel-iommu with device-iotlb, iommu_platform=on')
    ap.add_argument('--count', type=int, default=5,
                    help='pings per round (5)')
    ap.add_argument('--no-reset', action='store_true',
                    help='skip the driver reset in the first guest')
    ap.add_argument('--debug', action='store_true',
                    help='the responder logs lib/vhost at debug level')
    ap.add_argument('--timeout', type=int, default=600,
                    help='seconds per guest (600)')
    a = ap.parse_args()
    if a.count < 1:
        ap.error('--count %d: expected 1 or more' % a.count)
    a.build = os.path.abspath(a.build)
    return a


def run_guest(a, sock, name, reset):
    """Boot one guest on sock; return run-vm.py's exit status."""
    dev = ('virtio-net-pci,netdev=vhn0,romfile=,vectors=0,'
           'mac=52:54:00:12:34:99')
    extra = []
    if a.viommu:
        dev += ',disable-legacy=on,iommu_platform=on,ats=on'
        extra = ['--viommu-opt', 'device-iotlb=on']
    script = GUEST % {'count': a.count, 'guest': name,
                      'reset': RESET % {'count': a.count, 'guest': name}
                      if reset else ''}
    cmd = [sys.executable, os.path.join(TOP, 'devtools', 'vm', 'run-vm.py'),
           '--build', a.build, '--edu', '0', '--mem', '1G', '--smp', '1',
           '--hugepages', '0', '--module', 'virtio_net', '--quiet',
           '--timeout', str(a.timeout)] + extra + [
           '--qemu-arg=-object',
           '--qemu-arg=memory-backend-memfd,id=mem,size=1G,share=on',
           '--qemu-arg=-machine', '--qemu-arg=memory-backend=mem',
           '--qemu-arg=-chardev', '--qemu-arg=socket,id=vhc0,path=' + sock,
           '--qemu-arg=-netdev', '--qemu-arg=vhost-user,id=vhn0,chardev=vhc0',
           '--qemu-arg=-device', '--qemu-arg=' + dev, '--', script]
    print('qemu_ping: %s: booting (%s)' % (
        name, 'vIOMMU' if a.viommu else 'no vIOMMU'))
    sys.stdout.flush()
    return subprocess.call(cmd)


def main():
    a = parse_args()
    check = subprocess.run([sys.executable, os.path.join(
        TOP, 'devtools', 'vm', 'run-vm.py'), '--check'],
        capture_output=True, text=True)
    if check.returncode == SKIP:
        print(check.stdout.strip())
        return SKIP
    tmp = os.path.join(a.build, 'vhost-qemu')
    os.makedirs(tmp, exist_ok=True)
    sock = os.path.join(tmp, 'vh-%d.sock' % os.getpid())
    log = os.path.join(tmp, 'responder-%d.log' % os.getpid())
    vdev = 'net_vhost0,iface=%s%s' % (sock, ',iommu-support=1'
                                      if a.viommu else '')
    fwd = subprocess.Popen(
        [os.path.join(a.build, 'app', 'vhost-fwd', 'keel-vhost-fwd'),
         '--no-huge', '-m', '256', '-l', '0', '--file-prefix',
         'vq%d' % os.getpid(), '--vdev', vdev] +
        (['--log-level', 'vhost:debug'] if a.debug else []) +
        ['--', '--fwd', 'icmpecho',
         '--wait-link', '3600'], stdout=open(log, 'w'),
        stderr=subprocess.STDOUT)
    rcs = []
    alive = False
    try:
        end = time.monotonic() + 30
        while not os.path.exists(sock) and fwd.poll() is None and \
                time.monotonic() < end:
            time.sleep(0.05)
        if not os.path.exists(sock):
            print('qemu_ping: FAILED: the responder did not listen on %s'
                  % sock)
            return 1
        rcs.append(run_guest(a, sock, 'guest 1', not a.no_reset))
        if rcs[-1] == 0:
            rcs.append(run_guest(a, sock, 'guest 2', False))
        alive = fwd.poll() is None
    finally:
        if fwd.poll() is None:
            fwd.send_signal(signal.SIGINT)
            try:
                fwd.wait(15)
            except subprocess.TimeoutExpired:
                fwd.kill()
                fwd.wait()
        if os.path.exists(sock):
            os.unlink(sock)
    out = open(log).read()
    summary = [ln for ln in out.splitlines() if ln.startswith('icmpecho:')]
    print('qemu_ping: responder: %s (exit %d)' % (
        summary[-1] if summary else 'no summary', fwd.returncode))
    if rcs and rcs[0] == SKIP:
        return SKIP
    ok = rcs == [0, 0] and alive and fwd.returncode == 0
    echo = re.search(r'echo (\d+)', summary[-1]) if summary else None
    # a round of pings per guest and one after the reset, each answered
    # COUNT times
    rounds = 2 if a.no_reset else 3
    if ok and (echo is None or int(echo.group(1)) < rounds * a.count):
        print('qemu_ping: the responder answered fewer than %d echoes'
              % (rounds * a.count))
        ok = False
    if not ok:
        print('qemu_ping: FAILED (guests %s, responder %s); its log: %s' % (
            rcs, 'alive' if alive else 'gone', log))
        print(''.join(out.splitlines(True)[-30:]))
        return 1
    print('qemu_ping: PASS%s: every ping answered, through %sa new QEMU'
          % (' (vIOMMU)' if a.viommu else '',
             '' if a.no_reset else 'a driver reset and '))
    os.unlink(log)
    return 0


if __name__ == '__main__':
    sys.exit(main())
