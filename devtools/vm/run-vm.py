#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Run a command (default: the vfio suite of keel-autotest) in a QEMU guest
with an emulated IOMMU (Intel VT-d or virtio-iommu), edu DMA device(s)
bound to vfio-pci.

  run-vm.py [options] [-- COMMAND...]

The guest (TCG, q35, intel-iommu or virtio-iommu-pci) boots the newest
installed Debian kernel that has the IOMMU's driver (or --kernel-release)
with the initramfs built by mkinitramfs.py (cached in BUILD/vm/). It sees
the host's root read-only over 9p at the same paths, so the binaries just
built in BUILD run as they are (their shared libraries and rpaths resolve
as on the host), and a per-run directory read-write for the results.
COMMAND runs through /bin/sh in BUILD, with BUILD/app/autotest on PATH.

Invariant: the exit status is COMMAND's exit status in the guest (77 means
skipped, for meson); 77 too, with the reason on stdout, when QEMU or a
kernel with the chosen IOMMU's driver is missing; 1 when the guest hangs past --timeout (then it is
killed), crashes or never reports; its console log is kept in the run
directory BUILD/vm/runs/<time>-<pid>/ (also copied to
BUILD/vm/last-console.log). The run directory is deleted after a
successful (or skipped) run unless --keep. Single-threaded apart from one
reader thread that owns the console log file.
"""

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import mkinitramfs  # noqa: E402

SKIP = 77
DEFAULT_CMD = 'keel-autotest --no-huge -m 64 -- --suite vfio'
EDU_ID = '1234:11e8'
E1000_ID = '8086:100e'
PASS_ENV = ('KEEL_', 'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS')

# The emulated IOMMUs: the QEMU device, the kernel options a guest kernel
# needs for it (y or m), its module, the extra kernel command line, and the
# Debian package that has such a kernel.
VIOMMUS = {
    'intel': {
        'name': 'Intel VT-d IOMMU',
        'device': 'intel-iommu,intremap=on,caching-mode=on,aw-bits=%(aw)d',
        'machine': 'q35,accel=tcg,kernel-irqchip=split',
        'config': ('CONFIG_INTEL_IOMMU',),
        'module': None,
        'append': [],
        'package': 'linux-image-amd64',
    },
    # x86 virtio-iommu finds its endpoints in the ACPI VIOT table (QEMU
    # builds it). It has no interrupt remapping, so vfio_iommu_type1 refuses
    # VFIO_SET_IOMMU (EPERM) unless allow_unsafe_interrupts=1: safe in a
    # throwaway test guest (see doc/guides/testing.md).
    'virtio': {
        'name': 'virtio-iommu',
        'device': 'virtio-iommu-pci',
        'machine': 'q35,accel=tcg',
        'config': ('CONFIG_VIRTIO_IOMMU', 'CONFIG_ACPI_VIOT'),
        'module': 'virtio_iommu',
        'append': ['vfio_iommu_type1.allow_unsafe_interrupts=1'],
        'package': 'a 6.12 kernel, linux-image-6.12.100+deb12-amd64',
    },
}


def skip(why):
    print('vm: SKIPPED: ' + why)
    sys.exit(SKIP)


def parse_args():
    ap = argparse.ArgumentParser(
        usage='%(prog)s [options] [-- COMMAND...]',
        description=__doc__.split('\n\n')[0])
    ap.add_argument('--build', default=None,
                    help='build directory (default: build/ at the top of '
                    'the source tree)')
    ap.add_argument('--test', action='append', default=[], metavar='NAME',
                    help='run keel-autotest test NAME (repeatable) instead '
                    'of the vfio suite')
    ap.add_argument('--shell', action='store_true',
                    help='interactive shell in the guest (no timeout)')
    ap.add_argument('--check', action='store_true',
                    help='only check QEMU, kernel, busybox and cpio are '
                    'there: exit 0, or 77 with the reason')
    ap.add_argument('--edu', type=int, default=1, metavar='N',
                    help='number of edu devices (default 1)')
    ap.add_argument('--edu-dma-mask', default=None, metavar='MASK',
                    help='edu dma_mask (default: QEMU\'s, 0xfffffff)')
    ap.add_argument('--e1000', type=int, default=0, metavar='N',
                    help='number of e1000 NICs, on one hub (default 0)')
    ap.add_argument('--viommu', choices=sorted(VIOMMUS), default='intel',
                    help='the guest\'s IOMMU: intel (VT-d, intel-iommu) or '
                    'virtio (virtio-iommu-pci) (default intel)')
    ap.add_argument('--viommu-opt', action='append', default=[],
                    metavar='OPT', help='extra option of the IOMMU device '
                    '(repeatable; e.g. device-iotlb=on for a vhost-user '
                    'device with ats=on)')
    ap.add_argument('--aw-bits', type=int, choices=(39, 48), default=None,
                    help='intel-iommu address width (default 39; QEMU 7.2\'s '
                    'virtio-iommu has no such setting)')
    ap.add_argument('--mem', default='2G', help='guest RAM (default 2G)')
    ap.add_argument('--smp', type=int, default=2, help='guest cpus (2)')
    ap.add_argument('--hugepages', type=int, default=64, metavar='N',
                    help='2 MiB hugepages to reserve in the guest (64)')
    ap.add_argument('--dma-entry-limit', type=int, default=None,
                    metavar='N', help='vfio_iommu_type1 dma_entry_limit '
                    'in the guest (kernel default 65535)')
    ap.add_argument('--timeout', type=float, default=600,
                    help='seconds before the guest is killed (600)')
    ap.add_argument('--kernel-release', default=None, metavar='R',
                    help='guest kernel: a release in /boot (vmlinuz-R), '
                    '"distro" for the one Debian\'s linux-image-amd64 '
                    'installs, or "newest" (default: the newest that has '
                    'the chosen IOMMU\'s driver)')
    ap.add_argument('--module', action='append', default=[],
                    help='extra kernel module for the initramfs')
    ap.add_argument('--qemu-arg', action='append', default=[],
                    metavar='ARG', help='extra QEMU argument (repeatable)')
    ap.add_argument('--keep', action='store_true',
                    help='keep the run directory after a successful run')
    ap.add_argument('--quiet', action='store_true',
                    help='do not echo the guest console')
    ap.add_argument('command', nargs=argparse.REMAINDER,
                    help='command to run in the guest')
    a = ap.parse_args()
    if a.command and a.command[0] == '--':
        a.command = a.command[1:]
    if a.edu < 0 or a.e1000 < 0:
        ap.error('--edu and --e1000 need N >= 0')
    if a.aw_bits is not None and a.viommu != 'intel':
        ap.error('--aw-bits is an intel-iommu setting; not with --viommu %s'
                 % a.viommu)
    if a.aw_bits is None:
        a.aw_bits = 39
    if a.edu_dma_mask is not None:
        try:
            int(a.edu_dma_mask, 0)
        except ValueError:
            ap.error('--edu-dma-mask %r is not a number' % a.edu_dma_mask)
    return a


def find_build(a):
    if a.build:
        return os.path.abspath(a.build)
    top = os.path.dirname(os.path.dirname(HERE))
    build = os.path.join(top, 'build')
    if not os.path.exists(os.path.join(build, 'build.ninja')):
        sys.exit('vm: %s is not a build directory; give --build DIR' % build)
    return build


def kernel_config(release):
    """{CONFIG_X: 'y'|'m'|...} from /boot/config-R, or None without it."""
    conf = {}
    try:
        with open('/boot/config-' + release) as f:
            for line in f:
                if line.startswith('CONFIG_') and '=' in line:
                    k, v = line.strip().split('=', 1)
                    conf[k] = v
    except OSError:
        return None
    return conf


def lacks_iommu(release, viommu):
    """Why kernel RELEASE cannot drive VIOMMU, or None when it can."""
    v = VIOMMUS[viommu]
    conf = kernel_config(release)
    if conf is None:
        # no config file: the module (or built-in) list still tells
        if v['module'] is None or mkinitramfs.has_module(release,
                                                         v['module']):
            return None
        return ('has no %s module and no /boot/config-%s to say otherwise'
                % (v['module'], release))
    for sym in v['config']:
        if conf.get(sym) not in ('y', 'm'):
            return '%s is not set in /boot/config-%s' % (sym, release)
    return None


def distro_release():
    """The kernel release Debian's linux-image-amd64 depends on, or None."""
    try:
        dep = subprocess.run(['dpkg-query', '-W', '-f=${Depends}',
                              'linux-image-amd64'], capture_output=True,
                             text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    for d in dep.split(','):
        name = d.strip().split(' ')[0]
        if name.startswith('linux-image-'):
            return name[len('linux-image-'):]
    return None


def pick_release(a):
    """The guest kernel for --kernel-release and --viommu, or skip."""
    v = VIOMMUS[a.viommu]
    installed = mkinitramfs.installed_releases()
    if not installed:
        skip('no guest kernel: /boot/vmlinuz-R with /lib/modules/R '
             '(run devtools/vm/install-deps.sh: linux-image-amd64)')
    if a.kernel_release in (None, 'newest'):
        fit = [r for r in installed if lacks_iommu(r, a.viommu) is None]
        if not fit:
            skip('no installed kernel has the %s driver (%s): %s; run '
                 'devtools/vm/install-deps.sh (it installs %s)' % (
                     v['name'], ', '.join(v['config']), '; '.join(
                         '%s: %s' % (r, lacks_iommu(r, a.viommu))
                         for r in installed), v['package']))
        return fit[-1]
    release = a.kernel_release
    if release == 'distro':
        release = distro_release()
        if release is None:
            skip('--kernel-release distro: linux-image-amd64 is not '
                 'installed (run devtools/vm/install-deps.sh)')
    if release not in installed:
        skip('kernel %s is not installed (/boot/vmlinuz-%s with '
             '/lib/modules/%s); installed: %s' % (
                 release, release, release, ', '.join(installed)))
    why = lacks_iommu(release, a.viommu)
    if why is not None:
        fit = [r for r in installed if lacks_iommu(r, a.viommu) is None]
        skip('kernel %s cannot drive the %s: %s (kernels that can: %s)' % (
            release, v['name'], why, ', '.join(fit) or
            'none; run devtools/vm/install-deps.sh'))
    return release


def check_host(a):
    """Return (qemu, release) or skip with the reason."""
    qemu = shutil.which('qemu-system-x86_64')
    if qemu is None:
        skip('qemu-system-x86_64 not installed '
             '(run devtools/vm/install-deps.sh)')
    release = pick_release(a)
    if not os.access('/boot/vmlinuz-' + release, os.R_OK):
        skip('/boot/vmlinuz-%s is not readable' % release)
    if not os.path.exists(mkinitramfs.BUSYBOX):
        skip('%s missing (busybox-static)' % mkinitramfs.BUSYBOX)
    if shutil.which('cpio') is None:
        skip('cpio not installed')
    return qemu, release


def qemu_cmdline(a, qemu, release, initrd, build, rundir):
    bind = []
    v = VIOMMUS[a.viommu]
    cmd = [qemu, '-machine', v['machine'],
           '-cpu', 'max', '-smp', str(a.smp), '-m', a.mem,
           '-device', ','.join([v['device'] % {'aw': a.aw_bits}] +
                               a.viommu_opt),
           '-kernel', '/boot/vmlinuz-' + release, '-initrd', initrd,
           '-virtfs', 'local,path=/,mount_tag=host,security_model=none,'
           'readonly=on,multidevs=remap',
           '-virtfs', 'local,path=%s,mount_tag=results,security_model=none,'
           'multidevs=remap' % rundir,
           '-nographic', '-no-reboot', '-nodefaults', '-serial', 'stdio'
           if not a.shell else 'mon:stdio', '-display', 'none']
    # -nodefaults drops the default NIC and VGA: the guest's PCI devices
    # are only the ones below (and q35's own)
    for i in range(a.edu):
        dev = 'edu,id=edu%d' % i
        if a.edu_dma_mask is not None:
            dev += ',dma_mask=%d' % int(a.edu_dma_mask, 0)
        cmd += ['-device', dev]
    if a.edu:
        bind.append(EDU_ID)
    for i in range(a.e1000):
        cmd += ['-netdev', 'hubport,id=hp%d,hubid=0' % i,
                '-device', 'e1000,netdev=hp%d,mac=52:54:00:12:34:%02x'
                % (i, 0x56 + i)]
    if a.e1000:
        bind.append(E1000_ID)
    # no_timer_check: the kernel's boot check that the IO-APIC timer ticks
    # (about 10 ticks within a TSC-timed delay) fails when a loaded host
    # starves TCG, and behind VT-d interrupt remapping that failure is a
    # panic ("timer doesn't work through Interrupt-remapped IO-APIC");
    # QEMU's timer is fine, the check only measures the host's load
    append = ['console=ttyS0', 'panic=-1', 'loglevel=4', 'no_timer_check',
              'keel.results=' + rundir, 'keel.build=' + build,
              'keel.hugepages=%d' % a.hugepages,
              'keel.viommu=' + a.viommu,
              'keel.mode=' + ('shell' if a.shell else 'run')] + v['append']
    if bind:
        append.append('keel.bind=' + ','.join(bind))
    if a.dma_entry_limit is not None:
        append.append('keel.dma_entry_limit=%d' % a.dma_entry_limit)
    cmd += ['-append', ' '.join(append)] + a.qemu_arg
    return cmd


def guest_command(a):
    if a.command:
        return shlex.join(a.command) if len(a.command) > 1 else a.command[0]
    if a.test:
        return 'keel-autotest --no-huge -m 64 -- ' + shlex.join(a.test)
    return DEFAULT_CMD


def run_guest(a, cmd, rundir):
    """Run QEMU, echo and log its console; return (rc, timed_out, times)."""
    log_path = os.path.join(rundir, 'console.log')
    marks = {}
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def reader():
        with open(log_path, 'wb') as log:
            for line in proc.stdout:
                log.write(line)
                log.flush()
                text = line.decode(errors='replace')
                for m in ('KEEL-VM: init started', 'KEEL-VM-BEGIN',
                          'KEEL-VM-END'):
                    if m in text and m not in marks:
                        marks[m] = time.monotonic() - t0
                if 'KEEL-VM-STATUS:' in text:
                    marks['status'] = text.split('KEEL-VM-STATUS:',
                                                 1)[1].strip()
                if not a.quiet:
                    sys.stdout.write(text)
                    sys.stdout.flush()

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    timed_out = False
    try:
        proc.wait(timeout=a.timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.kill()
        proc.wait()
    th.join(5)
    marks['total'] = time.monotonic() - t0
    return proc.returncode, timed_out, marks


def tail_console(path, quiet):
    """After a failure: the guest's error lines, and the console's tail
    when it was not echoed."""
    try:
        with open(path, errors='replace') as f:
            lines = f.read().splitlines()
    except OSError:
        return
    if quiet:
        print('vm: last console lines:')
        for line in lines[-25:]:
            print('  | ' + line)
    for line in lines:
        if 'KEEL-VM-ERROR' in line:
            print('vm: ' + line[line.index('KEEL-VM-ERROR'):])


def prune_runs(runs, keep=10):
    """Keep the newest KEEP run directories (failed runs are kept)."""
    try:
        old = sorted(os.listdir(runs))[:-keep]
    except OSError:
        return
    for d in old:
        shutil.rmtree(os.path.join(runs, d), ignore_errors=True)


def main():
    a = parse_args()
    qemu, release = check_host(a)
    if a.check:
        print('vm: ready: %s, kernel %s, %s' % (qemu, release,
                                                VIOMMUS[a.viommu]['name']))
        return 0
    build = find_build(a)
    if any(c.isspace() for c in build):
        sys.exit('vm: the build directory path %r has blanks: the guest '
                 'gets it on the kernel command line' % build)
    vmdir = os.path.join(build, 'vm')
    modules = list(a.module)
    if VIOMMUS[a.viommu]['module']:
        modules.insert(0, VIOMMUS[a.viommu]['module'])
    # one image per kernel and IOMMU, so guests that alternate do not
    # rebuild each other's
    initrd = os.path.join(vmdir, 'initramfs-%s-%s.cpio.gz' % (release,
                                                              a.viommu))
    t0 = time.monotonic()
    release, rebuilt = mkinitramfs.build(initrd, release, modules)
    t_initrd = time.monotonic() - t0
    prune_runs(os.path.join(vmdir, 'runs'))
    rundir = os.path.join(vmdir, 'runs', '%s-%d' % (
        time.strftime('%Y%m%d-%H%M%S'), os.getpid()))
    os.makedirs(rundir)
    command = guest_command(a)
    # the host's KEEL_* and sanitizer settings reach the command
    env = ''.join('export %s=%s\n' % (k, shlex.quote(v))
                  for k, v in sorted(os.environ.items())
                  if k.startswith(PASS_ENV))
    with open(os.path.join(rundir, 'cmd.sh'), 'w') as f:
        f.write('# run by devtools/vm/init.sh in %s\n%s%s\n' % (
            build, env, command))
    cmd = qemu_cmdline(a, qemu, release, initrd, build, rundir)
    print('vm: kernel %s, %s, initramfs %s (%s, %.1f s)' % (
        release, VIOMMUS[a.viommu]['name'], initrd,
        'rebuilt' if rebuilt else 'cached', t_initrd))
    print('vm: ' + shlex.join(cmd))
    if a.shell:
        return subprocess.call(cmd)
    print('vm: running in the guest: %s (timeout %d s)' % (command,
                                                           a.timeout))
    sys.stdout.flush()

    rc, timed_out, marks = run_guest(a, cmd, rundir)
    console = os.path.join(rundir, 'console.log')
    shutil.copyfile(console, os.path.join(vmdir, 'last-console.log'))
    status = None
    try:
        with open(os.path.join(rundir, 'status')) as f:
            status = int(f.read().strip())
    except (OSError, ValueError):
        if marks.get('status', '').isdigit():
            status = int(marks['status'])
    summary = ''
    try:
        with open(os.path.join(rundir, 'output.log'),
                  errors='replace') as f:
            for line in f:
                if ' passed, ' in line and ' failed' in line:
                    summary = line.strip()
    except OSError:
        pass

    boot = marks.get('KEEL-VM-BEGIN')
    run = (marks['KEEL-VM-END'] - boot
           if boot is not None and 'KEEL-VM-END' in marks else None)
    init = marks.get('KEEL-VM: init started')
    print('vm: times: kernel boot %s, setup %s, command %s, total %.1f s' % (
        '%.1f s' % init if init is not None else '?',
        '%.1f s' % (boot - init) if None not in (boot, init) else '?',
        '%.1f s' % run if run is not None else '?', marks['total']))
    if status not in (0, SKIP):
        tail_console(console, a.quiet)
    if timed_out:
        print('vm: FAILED: guest killed after the %d s timeout; console log: '
              '%s' % (a.timeout, console))
        return 1
    if status is None:
        print('vm: FAILED: the guest reported no status (QEMU exit %d); '
              'console log: %s' % (rc, console))
        return 1
    if status == 125:
        print('vm: FAILED: guest setup failed (see KEEL-VM-ERROR above); '
              'console log: %s' % console)
        return 1
    if summary:
        print('vm: guest: ' + summary)
    ok = status in (0, SKIP)
    print('vm: guest command exit status %d%s' % (
        status,
        '' if ok and not a.keep else '; run directory kept: ' + rundir))
    if ok and not a.keep:
        shutil.rmtree(rundir, ignore_errors=True)
    return status


if __name__ == '__main__':
    sys.exit(main())
