# case: systemctl stop edgevisord stops the workloads dependents first within their grace periods
# needs: /usr/sbin/edgevisord
# boot: 3
needs_daemon
wait_for 60 workload_is ticker-client running
since=$(date '+%F %T')
show systemctl stop edgevisord.service
journalctl --since "$since" --no-pager -o cat -u edgevisord.service >/tmp/stop.log
show grep -E 'stopping|did not stop|every workload|SIGKILL|Killing' /tmp/stop.log
client=$(grep -n 'ticker-client: stopping' /tmp/stop.log | head -1 | cut -d: -f1)
ticker=$(grep -n '] ticker: stopping' /tmp/stop.log | head -1 | cut -d: -f1)
[[ -n $client && -n $ticker ]] || fail "no stop lines for ticker and ticker-client"
((client < ticker)) || fail "ticker was stopped before its dependent ticker-client"
! grep -qE '] (ticker|ticker-client): did not stop' /tmp/stop.log || fail "a grace period ran out"
! grep -q 'Killing process' /tmp/stop.log || fail "systemd had to kill a process"
grep -q 'every workload is stopped' /tmp/stop.log || fail "the daemon did not finish its stop"
cg=/sys/fs/cgroup/system.slice/edgevisord.service
[[ ! -d $cg ]] || [[ -z $(cat "$cg"/cgroup.procs "$cg"/*/cgroup.procs "$cg"/*/*/cgroup.procs 2>/dev/null) ]] ||
    fail "processes left in the service's cgroup"
# The holder leaves once the daemon is gone and it holds no pipe: the scope ends empty.
scope_gone() { ! systemctl is-active --quiet "$scope"; }
wait_for 30 scope_gone
show systemctl show -p ActiveState "$scope"
show systemctl start edgevisord.service
wait_for 120 workload_is ticker-client running
