#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Build Keel (installing its dependencies if needed) and run its main job on
# the default machine: no hugepages or devices needed.
set -e
cd "$(dirname "$0")/.."
[ "${KEEL_SKIP_DEPS:-0}" = 1 ] || devtools/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
exec build/examples/dma-copy/keel-dma-copy --no-huge -m 64 "$@"
