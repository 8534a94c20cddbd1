#!/usr/bin/env bash
# The main job: install what is needed, build, and run edgevisor on examples/.
#
#   ./scripts/demo.sh                 (as root; re-runs itself through sudo otherwise)
#
# It grows with the project: each stage below is one function, run in order. It validates the
# example manifests, runs two of them with `edgectl run`, then starts the daemon edgevisord on
# examples/ (on the system bus, or a private one) and shows `edgectl status`.
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
    cmake --build "$build" -j "$jobs" --target edgectl edgevisord
    edgectl=$build/supervisor/edgectl
    edgevisord=$build/supervisor/edgevisord
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

# The bus edgectl and edgevisord meet on: the system bus when one runs and edgevisor's bus
# policy is installed there (the package installs it), else a private dbus-daemon with the
# system bus's policy and ours, socket in a temp dir. DBUS_SYSTEM_BUS_ADDRESS points both
# programs at it, so they use their defaults (dbus.bus: system).
stage_bus() {
    if busctl --system status >/dev/null 2>&1 &&
        [ -f /usr/share/dbus-1/system.d/org.edgevisor.Supervisor1.conf ]; then
        say "D-Bus: the system bus"
        return
    fi
    bus_dir=$(mktemp -d /tmp/edgevisor-demo-bus.XXXXXX)
    chmod 755 "$bus_dir"
    sed -e "s|@SOCKET@|$bus_dir/system_bus_socket|" \
        -e "s|@POLICY@|$source_dir/systemd/org.edgevisor.Supervisor1.conf|" \
        systemd/private-system-bus.conf.in >"$bus_dir/bus.conf"
    dbus-daemon --config-file="$bus_dir/bus.conf" --nofork --print-address=3 \
        3>"$bus_dir/address" 2>/dev/null &
    bus_pid=$!
    for _ in $(seq 100); do
        [ -s "$bus_dir/address" ] && break
        sleep 0.05
    done
    export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$bus_dir/system_bus_socket
    say "D-Bus: no system bus with edgevisor's policy here; a private one at $DBUS_SYSTEM_BUS_ADDRESS"
}

stop_bus() {
    if [ -n "${bus_pid:-}" ]; then
        kill "$bus_pid" 2>/dev/null || true
        wait "$bus_pid" 2>/dev/null || true
        rm -rf "$bus_dir"
    fi
}
trap stop_bus EXIT

# edgevisord on examples/: its embedded defaults (state in /var/lib/edgevisor, status and logs
# in /run/edgevisor and /var/log/edgevisor) but for the manifest directory, and, as for
# `edgectl run` above, limits whose controller this host lacks skipped with a warning.
stage_daemon() {
    say "edgevisord on $examples"
    local config status=/run/edgevisor/status.json
    config=$(mktemp /tmp/edgevisor-demo.XXXXXX.yaml)
    printf '%s\n' "apiVersion: edgevisor/v1" "kind: NodeConfig" "paths: {manifests: $examples}" \
        "cgroup: {allowMissingControllers: true}" >"$config"
    "$edgevisord" --config "$config" --check-config | sed -n '1,12p'
    rm -f "$status"
    "$edgevisord" --config "$config" 2>/tmp/edgevisord-demo.log &
    local pid=$!
    for _ in $(seq 100); do
        grep -q '"ready": true' "$status" 2>/dev/null && break
        sleep 0.1
    done
    say "edgectl status (over D-Bus)"
    "$edgectl" status
    sleep 6
    say "6 s later (logs in /var/log/edgevisor, the daemon's own in /tmp/edgevisord-demo.log)"
    "$edgectl" status
    say "edgectl events -n 5"
    "$edgectl" events -n 5
    for log in /var/log/edgevisor/*.log; do
        printf '%s: ' "$(basename "$log")"
        tail -n 1 "$log"
    done
    say "SIGTERM: edgevisord stops every workload (dependents first) and exits"
    kill -TERM "$pid"
    local rc=0
    wait "$pid" || rc=$?
    echo "edgevisord exited with status $rc"
    rm -f "$config"
}

stages=(stage_setup stage_build stage_validate stage_run stage_bus stage_daemon)

for stage in "${stages[@]}"; do
    "$stage"
done
say "demo finished"
