#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Build the Keel test guest's initramfs: a static busybox, the kernel
modules the guest needs (with their dependencies, resolved from the
kernel's modules.dep) and init.sh as /init.

Invariant: OUT is rebuilt only when an input changed; its inputs are
summarised in OUT.stamp (init.sh and this script's contents, the kernel
release, busybox's and every module's path, size and mtime). OUT is
replaced atomically (written to a temporary file, then renamed), so a
concurrent reader sees the old or the new image, never half of one.

Usage: mkinitramfs.py [--kernel-release R] [--module M]... OUT
"""

import argparse
import gzip
import hashlib
import lzma
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
INIT = os.path.join(HERE, 'init.sh')
BUSYBOX = '/bin/busybox'

# What the guest loads; dependencies are added from modules.dep.
# 9p over virtio-pci for the shares; vfio type1 + vfio-pci for the tests.
BASE_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'vfio_iommu_type1',
                'vfio-pci']


def norm(name):
    """Module names: '-' and '_' are the same to the kernel."""
    return name.replace('-', '_')


def modname(path):
    base = os.path.basename(path)
    for ext in ('.ko.xz', '.ko.gz', '.ko.zst', '.ko'):
        if base.endswith(ext):
            return base[:-len(ext)]
    raise ValueError('not a kernel module: %s' % path)


def read_modules_dep(moddir):
    """{normalised name: (relative path, [dependency paths])}"""
    deps = {}
    with open(os.path.join(moddir, 'modules.dep')) as f:
        for line in f:
            if ':' not in line:
                continue
            path, rest = line.split(':', 1)
            deps[norm(modname(path))] = (path, rest.split())
    return deps


def resolve(moddir, wanted):
    """Module paths in load order: every module after its dependencies."""
    deps = read_modules_dep(moddir)
    path_of = {p: n for n, (p, _) in deps.items()}
    order, seen = [], set()

    def visit(name, chain):
        if name in seen:
            return
        if name not in deps:
            builtin = os.path.join(moddir, 'modules.builtin')
            if os.path.exists(builtin):
                with open(builtin) as f:
                    if any(norm(modname(l.strip())) == name for l in f):
                        seen.add(name)   # built in: nothing to load
                        return
            sys.exit('mkinitramfs: module %s not found in %s/modules.dep%s'
                     % (name, moddir, ' (needed by %s)' % chain[-1]
                        if chain else ''))
        seen.add(name)
        path, dlist = deps[name]
        # modules.dep lists dependencies nearest first: load them reversed
        for d in reversed(dlist):
            visit(path_of[d], chain + [name])
        order.append(path)

    for w in wanted:
        visit(norm(w), [])
    return order


def installed_releases():
    """Kernels that have both /boot/vmlinuz-R and /lib/modules/R, oldest
    first (by version: 6.1.0-57 < 6.12.100+deb12)."""
    rels = []
    if os.path.isdir('/lib/modules'):
        for r in os.listdir('/lib/modules'):
            if (os.path.exists('/boot/vmlinuz-' + r) and
                    os.path.exists('/lib/modules/%s/modules.dep' % r)):
                rels.append(r)

    def key(r):
        # numbers compare as numbers, other parts as text, never mixed
        return [(0, int(x), '') if x.isdigit() else (1, 0, x)
                for x in r.replace('-', '.').replace('+', '.').split('.')]
    return sorted(rels, key=key)


def default_release():
    """Newest kernel that has both /boot/vmlinuz-R and /lib/modules/R."""
    rels = installed_releases()
    return rels[-1] if rels else None


def has_module(release, name):
    """True when kernel RELEASE has module NAME, loadable or built in."""
    moddir = '/lib/modules/' + release
    want = norm(name)
    for lst in ('modules.dep', 'modules.builtin'):
        try:
            with open(os.path.join(moddir, lst)) as f:
                for line in f:
                    path = line.split(':', 1)[0].strip()
                    if path and norm(modname(path)) == want:
                        return True
        except (OSError, ValueError):
            continue
    return False


def write_module(src, dst):
    """Copy a module, decompressing it (busybox insmod wants plain ELF)."""
    if src.endswith('.xz'):
        with lzma.open(src) as i, open(dst, 'wb') as o:
            shutil.copyfileobj(i, o)
    elif src.endswith('.gz'):
        with gzip.open(src) as i, open(dst, 'wb') as o:
            shutil.copyfileobj(i, o)
    elif src.endswith('.zst'):
        with open(dst, 'wb') as o:
            subprocess.run(['zstd', '-dc', src], stdout=o, check=True)
    else:
        shutil.copyfile(src, dst)


def stamp_of(release, paths):
    h = hashlib.sha256()
    for p in (INIT, os.path.abspath(__file__)):
        with open(p, 'rb') as f:
            h.update(f.read())
    h.update(release.encode())
    for p in [BUSYBOX] + paths:
        st = os.stat(p)
        h.update(('%s %d %d\n' % (p, st.st_size, st.st_mtime_ns)).encode())
    return h.hexdigest()


def build(out, release=None, extra_modules=()):
    """Make sure OUT is up to date; return (release, rebuilt)."""
    release = release or default_release()
    if release is None:
        sys.exit('mkinitramfs: no kernel with /boot/vmlinuz-R and '
                 '/lib/modules/R (install linux-image-amd64)')
    moddir = '/lib/modules/' + release
    order = resolve(moddir, BASE_MODULES + list(extra_modules))
    srcs = [os.path.join(moddir, p) for p in order]
    stamp = stamp_of(release, srcs)
    try:
        with open(out + '.stamp') as f:
            if f.read().strip() == stamp and os.path.exists(out):
                return release, False
    except OSError:
        pass

    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with tempfile.TemporaryDirectory(prefix='keel-initramfs-') as root:
        for d in ('bin', 'lib/modules', 'dev', 'proc', 'sys', 'host', 'tmp'):
            os.makedirs(os.path.join(root, d))
        shutil.copy2(BUSYBOX, os.path.join(root, 'bin/busybox'))
        os.symlink('busybox', os.path.join(root, 'bin/sh'))
        shutil.copy2(INIT, os.path.join(root, 'init'))
        os.chmod(os.path.join(root, 'init'), 0o755)
        names = []
        for src in srcs:
            name = modname(src)
            write_module(src, os.path.join(root, 'lib/modules', name + '.ko'))
            names.append(name)
        with open(os.path.join(root, 'modules.load'), 'w') as f:
            f.write('\n'.join(names) + '\n')
        files = subprocess.run(['find', '.', '-print0'], cwd=root, check=True,
                               capture_output=True).stdout
        tmp = out + '.tmp.%d' % os.getpid()
        cpio = subprocess.run(['cpio', '--quiet', '-o', '-0', '-H', 'newc',
                               '-R', '0:0'], cwd=root, input=files,
                              check=True, capture_output=True).stdout
        with gzip.open(tmp, 'wb', compresslevel=1) as f:
            f.write(cpio)
        os.replace(tmp, out)
    with open(out + '.stamp', 'w') as f:
        f.write(stamp + '\n')
    return release, True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--kernel-release', help='default: newest installed')
    ap.add_argument('--module', action='append', default=[],
                    help='extra module to include (with its dependencies)')
    ap.add_argument('out', help='initramfs image to write (.cpio.gz)')
    a = ap.parse_args()
    release, rebuilt = build(a.out, a.kernel_release, a.module)
    print('%s: %s (kernel %s)' % (a.out, 'built' if rebuilt else 'up to date',
                                  release))


if __name__ == '__main__':
    main()
