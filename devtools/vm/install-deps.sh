#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Install what the VM harness (devtools/vm/run-vm.py) needs, from Debian
# packages: QEMU, Debian's default kernel with its modules (vfio, 9p,
# virtio; VT-d), a kernel with the virtio-iommu driver beside it (Debian
# 12's default 6.1 has none: CONFIG_VIRTIO_IOMMU is unset), a static
# busybox and cpio for the initramfs, and Debian's DPDK 22.11: dpdk-testpmd
# (the vhost-user peer of the vm suite's vhost-peers-dpdk-* tests) and
# dpdk-test are in the dpdk-dev package, not in dpdk.
# Idempotent: does nothing when everything is there. Needs root (apt-get).
set -e
pkgs="qemu-system-x86 linux-image-amd64 busybox-static cpio kmod python3 dpdk-dev"
# The 6.12 kernel the virtio-iommu guest was measured with; if the archive
# no longer has that exact build, the 6.12 meta-package's current one.
viommu_kernel=linux-image-6.12.100+deb12-amd64
viommu_kernel_meta=linux-image-6.12-amd64

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
# any installed kernel with virtio-iommu (y or m) will do
need_viommu=1
grep -qs '^CONFIG_VIRTIO_IOMMU=[ym]' /boot/config-* && need_viommu=0
[ -z "$missing" ] && [ "$need_viommu" = 0 ] && exit 0

export DEBIAN_FRONTEND=noninteractive
apt_get() {
	apt-get -o DPkg::Lock::Timeout=600 "$@"
}
apt_get update -qq
# --no-install-recommends: no firmware, no GUI bits; initramfs-tools is
# still pulled by the kernels (harmless: the harness builds its own).
if [ -n "$missing" ]; then
	echo "vm/install-deps: installing$missing"
	# shellcheck disable=SC2086
	apt_get install -y -qq --no-install-recommends $missing >/dev/null
fi
if [ "$need_viommu" = 1 ]; then
	if apt-cache show "$viommu_kernel" >/dev/null 2>&1; then
		k=$viommu_kernel
	else
		k=$viommu_kernel_meta
	fi
	echo "vm/install-deps: installing $k (virtio-iommu guest kernel)"
	apt_get install -y -qq --no-install-recommends "$k" >/dev/null
fi
