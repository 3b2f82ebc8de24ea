#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Install what Keel needs to build and test, from Debian packages.
# Idempotent: does nothing when everything is there. Needs root (apt-get).
set -e
pkgs="meson ninja-build gcc pkg-config python3 python3-pyelftools libnuma-dev libpcap-dev linux-libc-dev clang libclang-rt-dev doxygen tcpdump iproute2 iputils-ping libedit-dev python3-pexpect"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
