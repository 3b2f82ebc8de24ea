#!/bin/busybox sh
# SPDX-License-Identifier: BSD-3-Clause
# /init of the Keel test guest (PID 1, busybox sh). Built into the initramfs
# by mkinitramfs.py; started by run-vm.py.
#
# Invariant: the guest always powers off at the end (QEMU runs with
# -no-reboot and the kernel with panic=-1, so a crash also ends QEMU), and
# it prints exactly one "KEEL-VM-STATUS: N" line on the console once the
# command has run, N being the command's exit status. Any setup failure
# prints "KEEL-VM-ERROR: what" and status 125 instead.
# Single-threaded script: nothing to lock.
#
# Sequence: mount proc/sys/dev; insmod the modules listed in /modules.load
# (dependencies first, resolved on the host from modules.dep), each with
# the MODULE.PARAM=VALUE settings of the kernel command line (what modprobe
# would pass; busybox insmod does not look); mount the
# host's root read-only (9p tag "host") at /host and the run directory
# read-write (9p tag "results") over its own path inside /host; bind the
# PCI devices whose vendor:device is in keel.bind to vfio-pci
# (driver_override + drivers_probe); reserve hugepages; chroot into /host
# and run $results/cmd.sh from the build directory (or a shell).
#
# Kernel command line parameters (set by run-vm.py):
#   keel.bind=VVVV:DDDD[,VVVV:DDDD...]  devices to give to vfio-pci
#   keel.hugepages=N                    2 MiB hugepages to reserve
#   keel.results=/abs/path              host path of the run directory
#   keel.build=/abs/path                host path of the build directory
#   keel.mode=run|shell
#   keel.dma_entry_limit=N              vfio_iommu_type1's mapping limit
#   keel.viommu=intel|virtio            the IOMMU QEMU emulates (for the log)
#   MODULE.PARAM=VALUE                  insmod MODULE with PARAM=VALUE

export PATH=/bin:/sbin:/usr/bin:/usr/sbin

/bin/busybox mkdir -p /proc /sys /dev /host /tmp /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1

bind_ids="" hugepages=0 results="" build="" mode=run dma_limit="" viommu=intel
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	keel.viommu=*) viommu=${arg#keel.viommu=} ;;
	keel.bind=*) bind_ids=$(echo "${arg#keel.bind=}" | tr ',' ' ') ;;
	keel.hugepages=*) hugepages=${arg#keel.hugepages=} ;;
	keel.results=*) results=${arg#keel.results=} ;;
	keel.build=*) build=${arg#keel.build=} ;;
	keel.mode=*) mode=${arg#keel.mode=} ;;
	keel.dma_entry_limit=*) dma_limit=${arg#keel.dma_entry_limit=} ;;
	esac
done

stop() {
	sync
	[ -n "$results" ] && umount "/host$results" 2>/dev/null
	poweroff -f
	reboot -f
}

fail() {
	echo "KEEL-VM-ERROR: $*"
	echo "KEEL-VM-STATUS: 125"
	stop
}

echo "KEEL-VM: init started, kernel $(uname -r), $(nproc) cpus"

# PARAM=VALUE words of the kernel command line that are MODULE.PARAM=VALUE
# ('-' and '_' are the same in module names)
modparams() {
	m=$(echo "$1" | tr - _)
	for a in $(cat /proc/cmdline); do
		case "$(echo "${a%%=*}" | tr - _)" in
		"$m".*) echo "${a#*.}" ;;
		esac
	done
}

# modules, in load order (deps first)
while read -r mod; do
	[ -n "$mod" ] || continue
	params=$(modparams "$mod")
	[ -n "$params" ] && echo "KEEL-VM: insmod $mod $params"
	# shellcheck disable=SC2086 # one word per parameter
	insmod "/lib/modules/$mod.ko" $params || fail "insmod $mod $params"
done </modules.load

if [ -n "$dma_limit" ]; then
	echo "$dma_limit" >/sys/module/vfio_iommu_type1/parameters/dma_entry_limit ||
		fail "dma_entry_limit=$dma_limit"
fi

# shares: host root read-only, run directory read-write. Behind a
# virtio-iommu the 9p devices probe only once the IOMMU driver is up (a
# deferred probe, after insmod returned): until then mount says "no
# channels available". Retry for up to 10 s.
tries=0
until mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro host /host 2>/tmp/mnt.err; do
	tries=$((tries + 1))
	[ "$tries" -lt 100 ] || fail "mount 9p host root: $(cat /tmp/mnt.err)"
	sleep 0.1
done
[ "$tries" -gt 0 ] && echo "KEEL-VM: 9p host share mounted after $tries retries"
[ -n "$results" ] || fail "no keel.results= on the kernel command line"
mount -t proc proc /host/proc || fail "mount /host/proc"
mount -t sysfs sysfs /host/sys || fail "mount /host/sys"
mount -o bind /dev /host/dev || fail "bind /dev"
# a writable /tmp, unless that would hide the build tree: then TMPDIR
# (and HOME) point at /run, a tmpfs too, for what tests create
tmpdir=/tmp
case "$build/" in
/tmp/*) echo "KEEL-VM: build tree under /tmp: /tmp stays read-only; TMPDIR=/run"
	tmpdir=/run ;;
*) mount -t tmpfs tmpfs /host/tmp || fail "tmpfs /host/tmp" ;;
esac
mount -t tmpfs tmpfs /host/run || fail "tmpfs /host/run"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results "/host$results" ||
	fail "mount 9p results share on $results"
mkdir -p /dev/shm /dev/hugepages /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t devpts devpts /dev/pts
mount -t hugetlbfs nodev /dev/hugepages || fail "mount hugetlbfs"
[ -d /host/var/tmp ] && mount -t tmpfs tmpfs /host/var/tmp

# hugepages
echo "$hugepages" >/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
got=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)
[ "$got" -ge "$hugepages" ] || fail "reserved $got of $hugepages hugepages"

# devices to vfio-pci: driver_override, unbind, drivers_probe
nbound=0
for dev in /sys/bus/pci/devices/*; do
	bdf=${dev##*/}
	id="$(cut -c3- "$dev/vendor"):$(cut -c3- "$dev/device")"
	for want in $bind_ids; do
		[ "$id" = "$want" ] || continue
		echo vfio-pci >"$dev/driver_override" || fail "driver_override $bdf"
		[ -e "$dev/driver" ] && echo "$bdf" >"$dev/driver/unbind"
		echo "$bdf" >/sys/bus/pci/drivers_probe
		drv=$(basename "$(readlink "$dev/driver")")
		[ "$drv" = vfio-pci ] || fail "$bdf ($id) bound to '$drv', not vfio-pci"
		grp=$(basename "$(readlink "$dev/iommu_group")")
		[ -c "/dev/vfio/$grp" ] || fail "$bdf: no /dev/vfio/$grp"
		echo "KEEL-VM: $bdf ($id) -> vfio-pci, iommu group $grp, /dev/vfio/$grp"
		nbound=$((nbound + 1))
	done
done
[ -c /dev/vfio/vfio ] || fail "no /dev/vfio/vfio"
case "$viommu" in
intel) iommu_info=$(dmesg | grep -m1 'Host address width' | sed 's/.*DMAR: //') ;;
*) iommu_info="$viommu:"
	for i in /sys/class/iommu/*; do
		[ -e "$i" ] && iommu_info="$iommu_info ${i##*/}"
	done ;;
esac
echo "KEEL-VM: $nbound device(s) bound to vfio-pci; hugepages $got; $iommu_info"

# run the command (or a shell) in the host's root, from the build dir
cd /
if [ "$mode" = shell ]; then
	echo "KEEL-VM: shell in the host root (read-only; /tmp is writable);" \
		"exit it to power off"
	setsid cttyhack chroot /host /bin/sh -c \
		"cd '$build' && export PATH='$build/app/autotest':\$PATH HOME=/tmp && exec /bin/bash -i"
	echo "KEEL-VM-STATUS: 0"
	stop
fi

echo "KEEL-VM: running $(grep -v "^#" "/host$results/cmd.sh")"
echo "KEEL-VM-BEGIN"
{
	chroot /host /bin/sh -c "cd '$build' && export PATH='$build/app/autotest':\$PATH HOME=$tmpdir TMPDIR=$tmpdir KEEL_VM=1 && . '$results/cmd.sh'"
	echo $? >"/host$results/status"
} 2>&1 | tee "/host$results/output.log"
echo "KEEL-VM-END"
dmesg >"/host$results/dmesg.log"
status=$(cat "/host$results/status" 2>/dev/null)
echo "KEEL-VM-STATUS: ${status:-125}"
stop
