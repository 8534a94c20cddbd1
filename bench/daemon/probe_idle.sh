#!/usr/bin/env bash
# The daemon's idle CPU with N workloads, each with a liveness probe every second (issue: under
# 1% of one core, the probes' own processes excluded). Starts the real edgevisord with temp dirs
# and its own cgroup subtree, waits until all run, then reads the daemon's own utime+stime
# (/proc/PID/stat: its threads, not its reaped children) over a window.
#   exec: each workload sleeps and is probed with /bin/true joined into it;
#   tcp:  each workload is edgevisor-checker listening on 127.0.0.1:8080 of its own network
#         namespace, probed with a connect there.
#
#   bench/daemon/probe_idle.sh <build-dir> [workloads=50] [seconds=30] [exec|tcp]     (root)
set -euo pipefail
build=$(cd "${1:?usage: probe_idle.sh <build-dir> [workloads] [seconds]}" && pwd)
n=${2:-50}
window=${3:-30}
kind=${4:-exec}
dir=$(mktemp -d /tmp/edgevisor-probe-idle.XXXXXX)
subtree=edgevisor-probe-idle-$$
cleanup() {
    [ -n "${pid:-}" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
mkdir -p "$dir/m"
case $kind in
exec) command='[/bin/sleep, "100000"]' probe='exec: [/bin/true]' ;;
tcp)
    checker=$build/tests/support/checker/edgevisor-checker
    [ -x "$checker" ] || { echo "probe_idle: no $checker (build the tests)" >&2; exit 1; }
    command="[\"$checker\", listen, \"8080\"]" probe='tcp: {host: 127.0.0.1, port: 8080}'
    ;;
*) echo "probe_idle: the probe kind is exec or tcp, not $kind" >&2; exit 2 ;;
esac
for i in $(seq "$n"); do
    printf -- '---\napiVersion: edgevisor/v1\nkind: Workload\nmetadata: {name: p%s}\nspec:\n  command: %s\n  stopTimeout: 0\n  health:\n    liveness: {%s, interval: 1s}\n' "$i" "$command" "$probe"
done >"$dir/m/w.yaml"
cat >"$dir/c.yaml" <<CONF
apiVersion: edgevisor/v1
kind: NodeConfig
node: {id: probe-idle}
paths: {manifests: $dir/m, state: $dir/s, runtime: $dir/r, logs: $dir/l}
cgroup: {allowMissingControllers: true, layout: standalone, subtree: $subtree}
CONF
"$build/supervisor/edgevisord" --config "$dir/c.yaml" >"$dir/daemon.log" 2>&1 &
pid=$!
running() { grep -o '"state": *"running"' "$dir/r/status.json" 2>/dev/null | wc -l; }
for _ in $(seq 600); do [ "$(running)" -ge "$n" ] && break; sleep 0.1; done
[ "$(running)" -ge "$n" ] || { echo "probe_idle: only $(running) of $n running" >&2; exit 1; }
sleep 5 # past the first probes
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
before=$(ticks)
sleep "$window"
after=$(ticks)
hz=$(getconf CLK_TCK)
awk -v d=$((after - before)) -v hz="$hz" -v w="$window" -v n="$n" -v k="$kind" \
    -v failed="$(grep -c 'liveness' "$dir/daemon.log" || true)" \
    'BEGIN { printf "edgevisord idle, %d workloads with a 1 s %s probe: %.2f%% of one core (%d ticks in %d s)\n", n, k, 100 * d / hz / w, d, w
        printf "daemon log lines about liveness (failures, restarts): %d\n", failed }'
