#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Install what the VM harness (devtools/vm/run-vm.sh) needs, from Debian
# packages: QEMU, a Debian kernel with its modules (vfio, 9p, virtio),
# a static busybox and cpio for the initramfs.
# Idempotent: does nothing when everything is there. Needs root (apt-get).
set -e
pkgs="qemu-system-x86 linux-image-amd64 busybox-static cpio kmod python3"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "vm/install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
# --no-install-recommends: no firmware, no GUI bits; initramfs-tools is
# still pulled by linux-image-amd64 (harmless: the harness builds its own).
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >/dev/null
