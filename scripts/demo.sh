#!/usr/bin/env bash
# The main job: install what is needed, build, and run edgevisor on examples/.
#
#   ./scripts/demo.sh                 (as root; re-runs itself through sudo otherwise)
#
# It grows with the project: each stage below is one function, run in order. Today it
# validates the example manifests and runs two of them with `edgectl run`; next, the daemon.
# Environment: EDGEVISOR_BUILD_DIR (default build), EDGEVISOR_JOBS (default 2).
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
cd "$source_dir"
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then
        exec sudo --preserve-env=EDGEVISOR_BUILD_DIR,EDGEVISOR_JOBS "$0" "$@"
    fi
    echo "demo: run as root (workloads are isolated with namespaces and cgroups)" >&2
    exit 1
fi

build=${EDGEVISOR_BUILD_DIR:-build}
jobs=${EDGEVISOR_JOBS:-2}
examples=$source_dir/examples

say() { printf '\n=== %s\n' "$*"; }

stage_setup() {
    say "installing dependencies (Debian packages)"
    ./scripts/setup-deps.sh
}

stage_build() {
    say "building edgevisor in $build"
    if [ ! -f "$build/CMakeCache.txt" ]; then
        cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
            -DCMAKE_C_COMPILER_LAUNCHER=ccache
    fi
    # Only the programs the demo runs; ./scripts/test.sh builds everything.
    cmake --build "$build" -j "$jobs" --target edgectl
    edgectl=$build/supervisor/edgectl
}

stage_validate() {
    say "edgectl validate $examples"
    "$edgectl" validate "$examples"
}

# One-off workloads in the foreground with their full isolation. Where the host lacks a cgroup
# controller that an example's limits need (this is so on hybrid cgroup hosts), the limit is
# skipped with a warning rather than refusing to start: --allow-missing-controllers.
stage_run() {
    say "edgectl run: disk-report (one-shot) from $examples/maintenance.yaml"
    "$edgectl" run --allow-missing-controllers --name disk-report "$examples/maintenance.yaml"

    say "edgectl run: sensor-reader for 12 s, then SIGINT (as Ctrl-C would) forwarded to it"
    # The example sets isolation.init, so its shell is not pid 1 and SIGINT ends it as it
    # would anywhere (exit 130 = 128 + SIGINT). A workload that is itself pid 1 ignores
    # signals it has no handler for; edgectl then kills it after --stop-timeout (exit 137).
    local rc=0
    timeout --preserve-status -s INT 12 "$edgectl" run --allow-missing-controllers \
        --stop-timeout 2s "$examples/sensor-reader.yaml" || rc=$?
    echo "sensor-reader stopped, exit status $rc"
}

# Next stage, as it lands: stage_daemon (edgevisord on examples/ with its embedded
# defaults, a local broker and bus, then edgectl status).
stages=(stage_setup stage_build stage_validate stage_run)

for stage in "${stages[@]}"; do
    "$stage"
done
say "demo finished"
