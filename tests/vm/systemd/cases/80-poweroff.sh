# case: poweroff stops the workloads in order and the final SIGKILL sweep finds none of them
# needs: /usr/sbin/edgevisord
# boot: 3
# The previous boot ended with the runner's poweroff while the workloads ran. Its journal
# says how edgevisord stopped them; its console (copied here by the host) says what
# systemd-shutdown still had to kill.
needs_daemon
journalctl -b -1 --no-pager -o cat -u edgevisord.service >/tmp/stop.log
show grep -E 'stopping|did not stop|every workload' /tmp/stop.log | tail -n 20
grep -q 'every workload is stopped' /tmp/stop.log || fail "the daemon did not finish its stop at poweroff"
! grep -qE '] (ticker|ticker-client): did not stop' /tmp/stop.log || fail "a grace period ran out"
console=$test_dir/console-2.log
[[ -f $console ]] || fail "the host did not copy boot 2's console"
show grep -E 'Sending SIG|Killing' "$console" || true
! grep -qE 'Sending SIGKILL to PID [0-9]+ \((sh|sleep|bash|tail|edgevisor)' "$console" ||
    fail "systemd-shutdown had to SIGKILL a workload"
