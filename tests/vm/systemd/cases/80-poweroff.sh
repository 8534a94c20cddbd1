# case: poweroff stops the workloads in order and the final SIGKILL sweep finds none of them
# needs: /usr/sbin/edgevisord
# boot: 3
# The previous boot ended with the runner's poweroff while the workloads ran. Its journal
# says how edgevisord stopped them; its console (copied here by the host) says what
# systemd-shutdown still had to kill. Boot 2's whole journal (the daemon and systemd at debug
# level from its last case on) and the daemon's own lines are kept in the results' artifacts/.
needs_daemon
artifacts=$test_dir/results/artifacts
mkdir -p "$artifacts"
journalctl -b -1 --no-pager -o short-monotonic >"$artifacts/boot-2-journal.log"
journalctl -b -1 --no-pager -o short-monotonic _SYSTEMD_UNIT=edgevisord.service \
    >"$artifacts/boot-2-edgevisord.log"
sync
echo "kept: artifacts/boot-2-journal.log ($(wc -l <"$artifacts/boot-2-journal.log") lines), artifacts/boot-2-edgevisord.log"
# systemd's lines about the two units at the shutdown: which stopped when.
grep -E 'systemd\[1\]: .*(edgevisord|edgevisor (node|workloads))' "$artifacts/boot-2-journal.log" |
    grep -E 'Stopp|timed out|Kill|Deactivated|Failed|held back|job' | tail -n 40 || true
journalctl -b -1 --no-pager -o cat -u edgevisord.service >/tmp/stop.log
show grep -E 'stopping|did not stop|every workload' /tmp/stop.log | tail -n 20
grep -q 'every workload is stopped' /tmp/stop.log || fail "the daemon did not finish its stop at poweroff"
# The scope's stop (systemd's SIGTERM to what is left in it) began only after the daemon's unit
# had stopped: Before=edgevisord.service held.
# (systemd 252 on Debian names a unit "NAME - DESCRIPTION" in these lines.)
daemon_stopped=$(grep -nE 'Stopped (edgevisord\.service - )?edgevisor node supervisor' \
    "$artifacts/boot-2-journal.log" | tail -n 1 | cut -d: -f1 || true)
scope_stopping=$(grep -nE 'Stopping (edgevisord-workloads\.scope - )?edgevisor workloads of' \
    "$artifacts/boot-2-journal.log" | tail -n 1 | cut -d: -f1 || true)
[[ -n $daemon_stopped ]] || fail "boot 2's journal has no 'Stopped edgevisord.service' line"
[[ -z $scope_stopping ]] || ((scope_stopping > daemon_stopped)) ||
    fail "systemd began stopping the workloads' scope (line $scope_stopping) before the daemon had stopped (line $daemon_stopped)"
! grep -qE '] (ticker|ticker-client): did not stop' /tmp/stop.log || fail "a grace period ran out"
console=$test_dir/console-2.log
[[ -f $console ]] || fail "the host did not copy boot 2's console"
show grep -E 'Sending SIG|Killing' "$console" || true
! grep -qE 'Sending SIGKILL to PID [0-9]+ \((sh|sleep|bash|tail|edgevisor)' "$console" ||
    fail "systemd-shutdown had to SIGKILL a workload"
