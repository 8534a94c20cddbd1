# shellcheck shell=bash disable=SC2034 # the cases use what this defines
# Helpers for the cases of the systemd guest (sourced before each case by the runner).
# A case is a bash script that exits 0 when what it checks holds; it prints what it saw.
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C
readonly test_dir=/var/lib/edgevisor-test
readonly deb=$test_dir/edgevisor.deb

fail() {
    echo "FAIL: $*"
    exit 1
}

# Runs a command, showing it and its output (the case's log reads like a terminal session).
show() {
    echo "\$ $*"
    "$@"
}

# Waits until a command succeeds; a generous deadline, never a timed assertion.
wait_for() { # seconds command...
    local deadline=$(($(date +%s) + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        (($(date +%s) < deadline)) || fail "still not true after the deadline: $*"
        sleep 0.2
    done
}

# A line on the serial console: the host keeps it as the case's output if the case cuts the
# power (its output file on the guest's disk may then be lost).
console() {
    echo "$*"
    echo "edgevisor-systemd-vm: | $*" >/dev/ttyS0
}

# Cuts the power now: the host kills QEMU (SIGKILL) on this exact line, so nothing the guest
# has not flushed reaches the disk. Deliberately no sync first. The next boot checks.
power_cut() {
    echo "edgevisor-systemd-vm: cut now (case $CASE_NUMBER, $(($(date +%s%3N) - CASE_STARTED_MS)) ms)" >/dev/ttyS0
    sleep infinity
}

# The daemon's status snapshot (README, "Status snapshot") and the unit's properties.
readonly status_file=/run/edgevisor/status.json
unit_prop() { # property -> value (edgevisord.service)
    systemctl show -p "$1" --value edgevisord.service
}
workload() { # name field -> value from status.json
    jq -r --arg n "$1" --arg f "$2" '.workloads[] | select(.name == $n) | .[$f]' "$status_file"
}
workload_is() { # name state
    [[ $(workload "$1" state 2>/dev/null) == "$2" ]]
}
# The daemon's log lines of this boot, as the journal has them (spdlog through stderr).
daemon_journal() {
    journalctl -b --no-pager -o cat _SYSTEMD_UNIT=edgevisord.service
}
service_cgroup() {
    echo "/sys/fs/cgroup$(unit_prop ControlGroup)"
}
# The workloads live in a delegated scope beside the service, which systemd can restart
# while they run (supervisor/src/systemd_unit.hpp, README "Boot service").
readonly scope=edgevisord-workloads.scope
scope_cgroup() {
    echo "/sys/fs/cgroup$(systemctl show -p ControlGroup --value "$scope")"
}
# The lasting processes of a workload, from its cgroup: the same set before and after a
# daemon restart means nothing was restarted and nothing duplicated. ticker's shell forks a
# `sleep 0.5` twice a second: only what is in two listings 2 s apart counts.
workload_procs() { # name
    local file first
    file="$(scope_cgroup)/workloads/$1/cgroup.procs"
    first=$(sort "$file")
    sleep 2
    comm -12 <(echo "$first") <(sort "$file") | sort -n | tr '\n' ' '
}
main_pid_is_not() { # pid
    [[ $(unit_prop MainPID) != "$1" && $(unit_prop MainPID) != 0 ]]
}
# Waits for a line the workload's log did not have yet: its output still arrives.
log_moves_on() { # name
    local file=/var/log/edgevisor/$1.log
    wait_for 30 last_line_is_not "$file" "$(tail -n 1 "$file")"
    tail -n 2 "$file"
}
last_line_is_not() { # file line
    [[ $(tail -n 1 "$1") != "$2" ]]
}

# The cases about the boot service need the daemon in the package: without it they fail.
needs_daemon() {
    if [[ ! -x /usr/sbin/edgevisord ]] && ! dpkg-deb -c "$deb" | grep ' ./usr/sbin/edgevisord$' >/dev/null; then
        echo "FAILED: this tree's package has no /usr/sbin/edgevisord"
        exit 1
    fi
}

# The power-cut cases (9x-power-cut-*): the workload they apply and what they check after.
powercut_doc() { # mark
    printf 'apiVersion: edgevisor/v1\nkind: Workload\nmetadata: {name: powercut}\n'
    printf 'spec:\n  command: ["/bin/sh", "-c", "echo mark $MARK; exec sleep infinity"]\n'
    printf '  env: {MARK: "%s"}\n  stopTimeout: 1s\n' "$1"
}
apply_mark() { # mark -> the Apply reply as JSON (busctl, as any bus client)
    busctl --json=short call org.edgevisor.Supervisor1 /org/edgevisor/Supervisor1 \
        org.edgevisor.Supervisor1 Apply ssb "$(powercut_doc "$1")" powercut.yaml false
}
desired_revision() {
    busctl get-property org.edgevisor.Supervisor1 /org/edgevisor/Supervisor1 \
        org.edgevisor.Supervisor1 DesiredRevision | cut -d' ' -f2
}
# The daemon runs the given revision, the workload of that revision runs (its MARK), and
# every state file is whole JSON.
check_state() { # revision mark
    wait_for 120 systemctl is-active --quiet edgevisord.service
    [[ $(desired_revision) == "$1" ]] || fail "the daemon's revision is $(desired_revision), not $1"
    wait_for 120 workload_is powercut running
    local pid
    pid=$(workload powercut pid)
    echo "powercut runs as pid $pid with $(tr '\0' '\n' <"/proc/$pid/environ" | grep '^MARK=')"
    grep -qx "MARK=$2" <(tr '\0' '\n' <"/proc/$pid/environ") || fail "powercut does not run mark $2"
    show ls -l /var/lib/edgevisor /var/lib/edgevisor/layers
    local file
    for file in /var/lib/edgevisor/*.json /var/lib/edgevisor/layers/*.json; do
        [[ -f $file ]] || continue
        jq -e . "$file" >/dev/null || fail "$file is not whole JSON"
    done
    show jq -c '{layer, revision}' /var/lib/edgevisor/layers/api.json
    grep -q "mark $2" /var/log/edgevisor/powercut.log || fail "powercut's log does not say mark $2"
}
