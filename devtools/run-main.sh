#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Keel's main job: build Keel (installing its dependencies if needed) and run
# keel-testpmd on the default machine (no hugepages, devices or network).
#
#   1. replay: real-looking traffic (build/app/testpmd/traffic.pcap, made at
#      build time) is read by net_pcap, each packet copied into a fresh mbuf
#      by the software DMA engine behind the emulated IOMMU (dmafwd), looped
#      through a net_ring port, copied again, and written to an output pcap,
#      which must hold the same packets byte for byte;
#   2. rate: the same traffic replayed at full speed through dmafwd for a
#      few seconds, with per-port statistics every second.
# Exits 0 when both runs succeed, every packet came back intact and no DMA
# copy failed.
#
#   devtools/run-main.sh [--seconds N] [--keep DIR]
set -e
cd "$(dirname "$0")/.."
seconds=3
keep=""
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) seconds="$2"; shift 2 ;;
	--keep) keep="$2"; shift 2 ;;
	-h|--help)
		sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//'
		exit 0 ;;
	*) echo "run-main: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done
[ "${KEEL_SKIP_DEPS:-0}" = 1 ] || devtools/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
tp=build/app/testpmd/keel-testpmd
traffic=build/app/testpmd/traffic.pcap
dir=${keep:-$(mktemp -d /tmp/keel-main.XXXXXX)}
mkdir -p "$dir"
[ -n "$keep" ] || trap 'rm -rf "$dir"' EXIT
eal="--no-huge -m 256 -l 0-1 --vdev dma_soft0,mode=inline"

echo "== 1/2 replay: $traffic -> DMA copy -> net_ring0 -> DMA copy -> $dir/out.pcap"
$tp $eal --vdev "net_pcap0,rx_pcap=$traffic,tx_pcap=$dir/out.pcap" \
	--vdev net_ring0 -- --forward-mode=dmafwd --run-time=1 | tee "$dir/replay.log"
grep -q "DMA-failed: 0 " "$dir/replay.log" || { echo "run-main: DMA copies failed"; exit 1; }
printf "== out.pcap: "
python3 app/testpmd/pcap-compare.py "$traffic" "$dir/out.pcap"

echo
echo "== 2/2 rate: $traffic replayed for ${seconds} s -> DMA copy -> net_null0"
$tp $eal --vdev "net_pcap0,rx_pcap=$traffic,infinite_rx=1" \
	--vdev net_null0,no-rx=1 -- --forward-mode=dmafwd --run-time="$seconds" \
	--stats-period=1 | tee "$dir/rate.log"
grep -q "DMA-failed: 0 " "$dir/rate.log" || { echo "run-main: DMA copies failed"; exit 1; }
echo "run-main: OK (interactive: $tp --no-huge -m 256 -l 0-1 --vdev net_null0 --vdev net_null1 -- -i)"
