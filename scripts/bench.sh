#!/usr/bin/env bash
# The launch benchmark (README "Performance"): builds edgectl and edgevisor-launch-bench (the
# project's default RelWithDebInfo: -O2 -g, so perf can name functions) and times
# `edgectl run` of /bin/true with full isolation side by side with bubblewrap, crun and runc
# (rows interleaved in one run). Not a test: nothing asserts a time.
#
#   ./scripts/bench.sh [benchmark options]      (as root; e.g. -n 500, --json out.json)
#
# Needs the Debian packages bubblewrap and crun (runc optional; rows whose tool is missing
# are printed as skipped with the reason). Docker's seccomp profile is read from
# ../shared/data/seccomp/docker-default.json when it exists. Run it on a quiet machine: the
# table shows the load average before and after.
# Environment: EDGEVISOR_BENCH_BUILD_DIR (default build-bench), EDGEVISOR_JOBS (default 2).
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
cd "$source_dir"
if [ "$(id -u)" -ne 0 ]; then
    echo "bench: run as root (namespaces, mounts, crun and runc need it)" >&2
    exit 1
fi

build=${EDGEVISOR_BENCH_BUILD_DIR:-build-bench}
jobs=${EDGEVISOR_JOBS:-2}
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S . -B "$build" -G Ninja -DEDGEVISOR_BUILD_TESTS=OFF \
        -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache
fi
cmake --build "$build" -j "$jobs" --target edgectl edgevisor-launch-bench
exec "$build/bench/edgevisor-launch-bench" --edgectl "$build/supervisor/edgectl" "$@"
