#!/usr/bin/env bash
# D-Bus apply to exec of the workload: a private dbus-daemon and a real edgevisord (temp dirs),
# then N rounds of `edgectl apply` of a new workload whose command is `date +%s%N` (default
# isolation: every namespace, host root read-only, seccomp default). The figure is the
# workload's own clock reading minus the time taken just before edgectl was spawned: edgectl
# and edgectl-dbus starting, Apply over the bus, validation, the layer persisted (fsync),
# the plan, clone3 into the cgroup, the isolation steps, execve and date's start.
#
#   bench/dbus_apply_exec.sh <build-dir> [rounds]      (root; prints median, p10, p90 in ms)
set -euo pipefail
build=$(cd "${1:?usage: dbus_apply_exec.sh <build-dir> [rounds]}" && pwd)
rounds=${2:-30}
source_dir=$(cd "$(dirname "$0")/.." && pwd)
edgectl=$build/supervisor/edgectl
edgevisord=$build/supervisor/edgevisord
dir=$(mktemp -d /tmp/edgevisor-apply-bench.XXXXXX)
chmod 755 "$dir"
cleanup() {
    [ -n "${daemon_pid:-}" ] && kill -TERM "$daemon_pid" 2>/dev/null && wait "$daemon_pid" || true
    [ -n "${bus_pid:-}" ] && kill "$bus_pid" 2>/dev/null && wait "$bus_pid" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT

sed -e "s|@SOCKET@|$dir/bus_socket|" \
    -e "s|@POLICY@|$source_dir/systemd/org.edgevisor.Supervisor1.conf|" \
    "$source_dir/systemd/private-system-bus.conf.in" >"$dir/bus.conf"
dbus-daemon --config-file="$dir/bus.conf" --nofork --print-address=3 3>"$dir/address" 2>/dev/null &
bus_pid=$!
for _ in $(seq 100); do [ -s "$dir/address" ] && break; sleep 0.05; done
bus=unix:path=$dir/bus_socket
mkdir -p "$dir/manifests"
printf '%s\n' "apiVersion: edgevisor/v1" "kind: NodeConfig" "node: {id: bench}" \
    "paths: {manifests: $dir/manifests, state: $dir/state, runtime: $dir/run, logs: $dir/logs}" \
    "cgroup: {allowMissingControllers: true}" "dbus: {bus: \"$bus\", adminGroup: \"\"}" \
    >"$dir/node.yaml"
"$edgevisord" --config "$dir/node.yaml" 2>"$dir/daemon.log" &
daemon_pid=$!
for _ in $(seq 100); do "$edgectl" --bus "$bus" status >/dev/null 2>&1 && break; sleep 0.1; done

results=()
for i in $(seq "$rounds"); do
    name=bench-$i
    printf '%s\n' "apiVersion: edgevisor/v1" "kind: Workload" "metadata: {name: $name}" "spec:" \
        "  command: [/bin/date, +%s%N]" "  restart: {policy: never}" >"$dir/$name.yaml"
    start=$(date +%s%N)
    "$edgectl" --bus "$bus" apply "$dir/$name.yaml" >/dev/null
    for _ in $(seq 200); do
        line=$("$edgectl" --bus "$bus" logs "$name" 2>/dev/null | grep ' out ' | tail -n 1 || true)
        [ -n "$line" ] && break
        sleep 0.02
    done
    ran=${line##* }
    results+=("$(((ran - start) / 1000))")
    "$edgectl" --bus "$bus" delete "$name"
done
printf '%s\n' "${results[@]}" | sort -n | awk '{ v[NR] = $1 } END {
    printf "apply to exec, %d rounds: median %.2f ms [p10 %.2f, p90 %.2f]\n", NR,
        v[int((NR + 1) / 2)] / 1000, v[int(NR * 0.1) + 1] / 1000, v[int(NR * 0.9)] / 1000 }'
