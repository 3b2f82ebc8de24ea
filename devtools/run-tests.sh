#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Build Keel and run its test suite; the last line is the summary
# "tests: N passed, N failed, N skipped". Exit status 0 when nothing failed.
#
#   devtools/run-tests.sh            fast suite + out-of-tree example +
#                                    ASan/UBSan build's fast suite
#   KEEL_NO_ASAN=1 ...               skip the sanitizer build
#   KEEL_SKIP_DEPS=1 ...             do not apt-get anything
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

[ "${KEEL_SKIP_DEPS:-0}" = 1 ] ||
	{ devtools/install-deps.sh && devtools/vm/install-deps.sh; } || exit 1

passed=0 failed=0 skipped=0

# count results of one meson test run from its testlog.json
count_meson() {
	local log=$1/meson-logs/testlog.json
	[ -f "$log" ] || { failed=$((failed + 1)); return; }
	read -r p f s < <(python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    r = json.loads(line).get('result', '')
    if r in ('OK', 'EXPECTEDFAIL'):
        p += 1
    elif r == 'SKIP':
        s += 1
    else:
        f += 1
print(p, f, s)
PY
)
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	echo "== $1: $p passed, $f failed, $s skipped"
}

step() { # name command...: a build step counted as one test
	local name=$1; shift
	if "$@"; then
		passed=$((passed + 1))
	else
		echo "== FAILED: $name"
		failed=$((failed + 1))
	fi
}

build() { # dir [meson options...]
	local dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$top/$dir.setup.log" 2>&1 ||
			{ cat "$top/$dir.setup.log"; return 1; }
	fi
	ninja -C "$dir" >"$top/$dir.ninja.log" 2>&1 ||
		{ tail -50 "$top/$dir.ninja.log"; return 1; }
}

out_of_tree() {
	local dest
	dest=$(mktemp -d)
	meson install -C build --destdir "$dest" >/dev/null || return 1
	local pc
	pc=$(dirname "$(find "$dest" -name keel.pc | head -1)")
	[ -n "$pc" ] || { echo "keel.pc not installed"; return 1; }
	# pkg-config paths inside the destdir: rewrite the prefix
	sed -i "s|^prefix=|prefix=$dest|" "$pc/keel.pc"
	PKG_CONFIG_PATH=$pc cc -Wall -Wextra -Werror \
		examples/helloworld/main.c -o "$dest/helloworld" \
		$(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs keel) || return 1
	LD_LIBRARY_PATH=$(dirname "$(find "$dest" -name 'libkeel_eal.so' | head -1)") \
		"$dest/helloworld" --no-huge -m 16 || return 1
	rm -rf "$dest"
}

if step "build" build build; then
	# the vm suite boots a QEMU guest with an emulated VT-d and runs the
	# vfio suite in it (devtools/vm); it skips, saying why, without QEMU
	meson test -C build --suite fast --suite vm --num-processes 2 \
		--print-errorlogs >build/fast.log 2>&1
	tail -5 build/fast.log
	grep -a -E '^vm: (SKIPPED|FAILED|guest|times)' \
		build/meson-logs/testlog.txt
	count_meson build
	step "out-of-tree example (pkg-config)" out_of_tree
fi

if [ "${KEEL_NO_ASAN:-0}" != 1 ]; then
	if step "asan build" build build-asan -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debug; then
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C build-asan --suite fast --num-processes 2 \
			--print-errorlogs >build-asan/fast.log 2>&1
		tail -5 build-asan/fast.log
		count_meson build-asan
	fi
fi

echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
