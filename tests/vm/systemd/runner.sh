#!/bin/bash
# The guest side of edgevisor-systemd-vm (installed as /usr/local/sbin/edgevisor-test-runner,
# started by edgevisor-test.service): runs the cases of this boot in their order, each in its
# own bash with lib.sh, and writes N.out, N.rc and N.ms to the results directory (synced
# after each case, so a power cut keeps what finished). Progress goes to the serial console
# as lines the host matches exactly.
set -u
dir=/var/lib/edgevisor-test
results=$dir/results
exec 3>/dev/ttyS0
say() { echo "edgevisor-systemd-vm: $*" >&3; }

boot=$(($(cat "$dir/boots" 2>/dev/null || echo 0) + 1))
echo "$boot" >"$dir/boots"
sync
systemctl is-system-running --wait >/dev/null 2>&1 || true
systemd-analyze >"$results/boot-$boot.analyze" 2>&1 || true

timeout=$(cat "$dir/cases/timeout")
mapfile -t numbers < <(for f in "$dir"/cases/*.boot; do
    [[ $(cat "$f") == "$boot" ]] && basename "$f" .boot
done | sort -n)
total=${#numbers[@]}
i=0
for n in "${numbers[@]}"; do
    i=$((i + 1))
    name=$(cat "$dir/cases/$n.name")
    say "[$i/$total] $name"
    started=$(date +%s%3N)
    export CASE_NUMBER=$n CASE_STARTED_MS=$started
    # A case runs as a root login shell would: its own session, lib.sh's helpers, no stdin.
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout -k 10 "$timeout" setsid bash -c 'source "$1"; source "$2"' case \
        "$dir/lib.sh" "$dir/cases/$n.sh" </dev/null >"$results/$n.out" 2>&1
    rc=$?
    ((rc != 124)) || echo "edgevisor-systemd-vm: timed out after $timeout s" >>"$results/$n.out"
    echo $(($(date +%s%3N) - started)) >"$results/$n.ms"
    echo "$rc" >"$results/$n.rc"
    sync
done
say "boot $boot done"
