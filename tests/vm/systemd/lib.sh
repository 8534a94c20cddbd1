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
