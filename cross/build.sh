#!/usr/bin/env bash
# One cross build, end to end: sysroot, configure, build, unit tests under qemu-user, .deb.
#
#   cross/build.sh <arm64|armhf> <build-dir> [-DOPTION=VALUE ...]
#
# Only the `unit` tier is built and run: under qemu-user, loading a seccomp filter, user
# namespaces and clone() with namespace flags fail, and those are integration tests. The
# emulator (set in the toolchain file) exports EDGEVISOR_EMULATED=1, which
# tests/support/skip.hpp's under_emulation() reads.
# Environment: EDGEVISOR_JOBS (build jobs, default 2), EDGEVISOR_TEST_TIMEOUT (seconds per
# test, default 300: emulation is 5-20x slower than native).
set -euo pipefail

arch=${1:?usage: build.sh <arm64|armhf> <build-dir> [cmake options]}
build=${2:?usage: build.sh <arm64|armhf> <build-dir> [cmake options]}
shift 2
source_dir=$(cd "$(dirname "$0")/.." && pwd)

case $arch in
    arm64) toolchain=$source_dir/cross/aarch64-linux-gnu.cmake ;;
    armhf) toolchain=$source_dir/cross/arm-linux-gnueabihf.cmake ;;
    *) echo "cross/build.sh: unsupported architecture '$arch' (arm64 or armhf)" >&2; exit 2 ;;
esac

step() { echo "=== cross[$arch]: $* ($(date -u +%T))"; }

step "sysroot"
sysroot=$("$source_dir/cross/make-sysroot.sh" "$arch" | tail -n 1)

launcher=()
if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

# -O2 as in the native tree (RelWithDebInfo), without -g (the package is stripped anyway):
# GCC 12's -O3 reports false -Wrestrict errors inside libstdc++'s std::string.
step "configure $build"
cmake -S "$source_dir" -B "$build" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DEDGEVISOR_SYSROOT="$sysroot" \
    -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
    "-DCMAKE_C_FLAGS_RELEASE=-O2 -DNDEBUG" "${launcher[@]}" \
    -DEDGEVISOR_BUILD_TESTS=ON -DEDGEVISOR_TEST_LABELS=unit \
    -DEDGEVISOR_BUILD_BENCH=OFF -DEDGEVISOR_CROSS_TESTS=OFF -DEDGEVISOR_VM_TESTS=OFF \
    "$@"

step "build"
cmake --build "$build" -j "${EDGEVISOR_JOBS:-2}"

step "unit tests under qemu-user"
# --no-tests=error: a cross run that found no unit test must not pass.
tests_rc=0
(cd "$build" && ctest -L unit --no-tests=error --timeout "${EDGEVISOR_TEST_TIMEOUT:-300}" \
    --output-on-failure) || tests_rc=$?

# Packaged even when a test failed, so that the package check and sizes are still reported.
step "package"
"$source_dir/cross/package.sh" "$build" "$arch" "$sysroot"
if [ $tests_rc -ne 0 ]; then
    step "FAILED: unit tests under qemu-user (ctest exit $tests_rc)"
    exit $tests_rc
fi
step "done"
