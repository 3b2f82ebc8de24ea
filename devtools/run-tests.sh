#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Build Keel and run its test suite as CI does (devtools/run-tests.sh --help).
# Invariant: the last line is "tests: N passed, N failed, N skipped" and the
# exit status is 0 exactly when nothing failed; build/ is where it was when
# the script ends, even when interrupted (the out-of-tree step moves it away
# for a while).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

usage() {
	cat <<'EOF'
usage: devtools/run-tests.sh [--help]

Build Keel and run its tests, as CI does. One line per step as it starts
and as it ends (with its time); the last line is the summary
"tests: N passed, N failed, N skipped", and the exit status is 0 when
nothing failed. Every meson test counts as one test, every other step as
one. Logs stay in build/ and build-*/ (named in the step lines).

Steps:
  deps        install what is missing (devtools/install-deps.sh,
              devtools/vm/install-deps.sh; needs root and apt)
  build       meson setup + ninja in build/
  fast        the fast suite (meson test --suite fast)
  seeds       the randomized fast tests (TEST_RANDOM) again, once per seed:
              1, 42, 1000003, 4294967311 and one random seed, printed
              ("seed N: ..."; KEEL_TEST_SEED=N reproduces a failure)
  main        the README's main job (devtools/run-main.sh --seconds 1):
              keel-testpmd replays traffic through dmafwd, checked byte
              for byte
  vm          the vfio suite in QEMU guests with an emulated VT-d or
              virtio-iommu
              (meson test --suite vm; skipped, saying why, without QEMU)
  doc         the API reference with doxygen (ninja -C build doc), which
              must have no warning (build/doc/api/doxygen.log)
  out-of-tree install into build-oot/, move build/ away, link the
              examples with the README's commands, shared and static,
              and run them; then run them in the QEMU guest, where they
              must find the edu device through the installed drivers
  asan        ASan/UBSan build in build-asan/ and its fast suite
  fuzz        the libFuzzer targets (clang) built in build-fuzz/, each run
              for a while from its seeds (a crash fails the step)

Environment:
  KEEL_SKIP_DEPS=1   skip the deps step
  KEEL_NO_ASAN=1     skip the asan step
  KEEL_NO_VM=1       skip the vm suite and the guest run of out-of-tree
  KEEL_NO_FUZZ=1     skip the fuzz step
  KEEL_FUZZ_SECONDS  seconds per fuzz target (default 20)
  KEEL_SEEDS="1 42"  the fixed seeds of the seeds step (a random one is
                     always added)
EOF
}

case "${1:-}" in
-h | --help) usage; exit 0 ;;
"") ;;
*) echo "run-tests.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
esac

passed=0 failed=0 skipped=0
t_all=$SECONDS

# progress: "[mm:ss] step: what" on stdout as each step starts and ends
say() { printf '[%02d:%02d] %s\n' $(((SECONDS - t_all) / 60)) $(((SECONDS - t_all) % 60)) "$*"; }

# count results of one meson test run from its testlog.json
count_meson() { # builddir name
	local log=$1/meson-logs/testlog.json p f s
	[ -f "$log" ] || { failed=$((failed + 1)); say "$2: FAILED (no test log)"; return; }
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
	say "$2: $p passed, $f failed, $s skipped"
}

step() { # name command...: a step counted as one test
	local name=$1 t0=$SECONDS; shift
	say "$name: start"
	if "$@"; then
		passed=$((passed + 1))
		say "$name: ok ($((SECONDS - t0)) s)"
	else
		failed=$((failed + 1))
		say "$name: FAILED ($((SECONDS - t0)) s)"
	fi
}

suite() { # name builddir meson-test-args...: one meson test run
	local name=$1 dir=$2 t0=$SECONDS; shift 2
	say "$name: start (log: $dir/$name.log)"
	meson test -C "$dir" --num-processes 2 --print-errorlogs "$@" \
		>"$dir/$name.log" 2>&1
	grep -aE '^ *[0-9]+/[0-9]+ .*(FAIL|TIMEOUT)' "$dir/$name.log" | head -20
	count_meson "$dir" "$name"
	say "$name: done ($((SECONDS - t0)) s)"
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

# doxygen fails on any warning (WARN_AS_ERROR); its log names them
doc() {
	ninja -C build doc >build/doc.log 2>&1 && return 0
	tail -5 build/doc.log
	head -20 build/doc/api/doxygen.log 2>/dev/null
	return 1
}

# one run of the TEST_RANDOM fast tests with one seed (~10 s)
seeded() { # seed
	local log=build/seed-$1.log rc
	build/app/autotest/keel-autotest --no-huge -m 64 -- --suite fast \
		--random --seed "$1" >"$log" 2>&1
	rc=$?
	grep -a -E '^FAIL' "$log"
	say "seed $1: $(tail -1 "$log") (log: $log)"
	return $rc
}

vm_usable() {
	[ "${KEEL_NO_VM:-0}" != 1 ] && python3 devtools/vm/run-vm.py --check >/dev/null
}

# ---- out of tree: an installed Keel, used the way the README says
oot=$top/build-oot
moved=""
restore_build() {
	if [ -n "$moved" ] && [ -d "$moved" ] && [ ! -e "$top/build" ]; then
		mv "$moved" "$top/build"
	fi
	moved=""
}
trap 'restore_build' EXIT
trap 'restore_build; exit 130' INT TERM

out_of_tree() {
	local stage=$oot/stage pc libdir prefix mode ex
	rm -rf "$oot" && mkdir -p "$oot" || return 1
	meson install -C build --destdir "$stage" --no-rebuild >"$oot/install.log" 2>&1 ||
		{ tail -20 "$oot/install.log"; return 1; }
	pc=$(find "$stage" -name keel.pc -printf '%h\n' | head -1)
	[ -n "$pc" ] || { echo "keel.pc not installed"; return 1; }
	# nothing installed (pc files, headers, scripts) names the build tree
	if grep -rIl -e "$top/build" "$stage"; then
		echo "the files above name the build tree $top/build"
		return 1
	fi
	libdir=$(dirname "$pc")
	prefix=$(sed -n 's/^prefix=//p' "$pc/keel.pc")
	# the staged tree stands for the prefix
	sed -i "s|^prefix=.*|prefix=$stage$prefix|" "$pc/keel.pc" "$pc/keel-libs.pc"
	[ -d "$libdir/keel/drivers-0" ] || { echo "no driver directory in $libdir"; return 1; }

	# the build tree is gone while applications are built and run
	moved=$top/build.moved-$$
	mv "$top/build" "$moved" || { moved=""; return 1; }
	export PKG_CONFIG_PATH=$pc
	for ex in helloworld dma-copy skeleton; do
		# the README's commands, exactly
		(cd "examples/$ex" && cc main.c $(pkg-config --cflags --libs keel) \
			-o "$oot/$ex-shared") || { restore_build; return 1; }
		(cd "examples/$ex" && cc main.c $(pkg-config --static --cflags --libs keel) \
			-o "$oot/$ex-static") || { restore_build; return 1; }
	done
	unset PKG_CONFIG_PATH
	if readelf -d "$oot/dma-copy-static" | grep -q 'NEEDED.*libkeel'; then
		echo "the static link still needs a Keel shared library:"
		readelf -d "$oot/dma-copy-static" | grep NEEDED
		restore_build
		return 1
	fi
	# helloworld calls no driver: --vdev works only through the driver
	# directory (shared) or the whole-archive link (static)
	for mode in shared static; do
		LD_LIBRARY_PATH=$libdir "$oot/helloworld-$mode" --no-huge -m 16 \
			--vdev dma_soft0 >"$oot/helloworld-$mode.log" 2>&1 &&
		LD_LIBRARY_PATH=$libdir "$oot/dma-copy-$mode" --no-huge -m 64 -- \
			--size 4m >"$oot/dma-copy-$mode.log" 2>&1 &&
		LD_LIBRARY_PATH=$libdir "$oot/skeleton-$mode" --no-huge -m 64 \
			--vdev net_null0 --vdev net_null1 -- --packets 100000 \
			>"$oot/skeleton-$mode.log" 2>&1 &&
		grep -q '^forwarded' "$oot/skeleton-$mode.log" ||
			{ tail -20 "$oot"/*-$mode.log; restore_build; return 1; }
	done
	restore_build

	# in the guest (edu bound to vfio-pci), both must find the edu device
	vm_usable || { echo "out-of-tree: guest run skipped (no QEMU, or KEEL_NO_VM=1)"; return 0; }
	# the guest sees the host's files read-only (its /tmp too when the
	# tree is under /tmp): the output is kept in a variable, not a file
	cat >"$oot/guest.sh" <<EOF
for mode in shared static; do
	out=\$(LD_LIBRARY_PATH=$libdir $oot/dma-copy-\$mode --no-huge -m 16 -- \\
		--size 8k --chunk 4095 --rounds 1 2>&1) ||
		{ echo "\$out"; exit 1; }
	case "\$out" in
	*"driver dma_edu"*) ;;
	*) echo "\$mode: no edu device"; echo "\$out"; exit 1 ;;
	esac
	echo "oot-\$mode: \$(echo "\$out" | grep device:)"
done
EOF
	python3 devtools/vm/run-vm.py --build build -- sh "$oot/guest.sh" \
		>"$oot/guest.log" 2>&1 || { tail -30 "$oot/guest.log"; return 1; }
	grep -a -E '^oot-(shared|static):|^vm: times' "$oot/guest.log"
}

main_job() { # the README's main job, on the build just made
	KEEL_SKIP_DEPS=1 devtools/run-main.sh --seconds 1 >build/main.log 2>&1 ||
		{ tail -30 build/main.log; return 1; }
	tail -1 build/main.log
}

[ "${KEEL_SKIP_DEPS:-0}" = 1 ] ||
	step deps sh -c 'devtools/install-deps.sh && devtools/vm/install-deps.sh' ||
	true
if step build build build; then
	suite fast build --suite fast
	random_seed=$(od -An -N6 -tu8 /dev/urandom | tr -d ' ')
	say "seeds: the random seed of this run is $random_seed"
	for s in ${KEEL_SEEDS:-1 42 1000003 4294967311} "$random_seed"; do
		step "seed $s" seeded "$s"
	done
	step main main_job
	if vm_usable; then
		# the vm suite boots QEMU guests with an emulated VT-d or
		# virtio-iommu and runs the vfio suite in each (devtools/vm)
		suite vm build --suite vm
		grep -a -E '^vm: (SKIPPED|FAILED|guest|times)' \
			build/meson-logs/testlog.txt
	else
		say "vm: skipped (no QEMU, or KEEL_NO_VM=1)"
	fi
	step doc doc
	step out-of-tree out_of_tree
fi

if [ "${KEEL_NO_ASAN:-0}" != 1 ]; then
	if step asan-build build build-asan -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debug; then
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			suite asan build-asan --suite fast
	fi
fi

# ---- libFuzzer targets (clang only), built apart from the other builds
fuzz_build() {
	local t
	if [ ! -f build-fuzz/build.ninja ]; then
		CC=clang meson setup build-fuzz -Dexamples=false \
			>"$top/build-fuzz.setup.log" 2>&1 ||
			{ cat "$top/build-fuzz.setup.log"; return 1; }
	fi
	t=$(ninja -C build-fuzz -t targets all | grep -o '^app/[^:]*/fuzz-[a-z-]*' | sort -u)
	[ -n "$t" ] || { echo "no fuzz targets (clang without libFuzzer?)"; return 1; }
	# shellcheck disable=SC2086
	ninja -C build-fuzz $t >"$top/build-fuzz.ninja.log" 2>&1 ||
		{ tail -50 "$top/build-fuzz.ninja.log"; return 1; }
}
fuzz_run() { # target
	local corpus rc log=$1.log
	corpus=$(mktemp -d)
	"$1" -max_total_time="${KEEL_FUZZ_SECONDS:-20}" -max_len=9000 "$corpus" \
		>"$log" 2>&1
	rc=$?
	rm -rf "$corpus"
	grep -a -E '^Done' "$log"
	[ "$rc" -eq 0 ] || tail -40 "$log"
	return "$rc"
}
if [ "${KEEL_NO_FUZZ:-0}" != 1 ] && command -v clang >/dev/null 2>&1; then
	if step fuzz-build fuzz_build; then
		for f in $(find build-fuzz/app -type f -name 'fuzz-*' -perm -u+x | sort); do
			step "fuzz $(basename "$f")" fuzz_run "$f"
		done
	fi
else
	say "fuzz: skipped (no clang, or KEEL_NO_FUZZ=1)"
fi

echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
