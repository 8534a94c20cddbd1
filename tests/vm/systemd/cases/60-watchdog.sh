# case: a stuck daemon (SIGSTOP) is killed and restarted by the watchdog and adopts its workloads
# needs: /usr/sbin/edgevisord
# boot: 2
needs_daemon
wait_for 60 workload_is ticker running
before=$(workload ticker pid)
procs=$(workload_procs ticker)
echo "ticker: pid $before, processes $procs"
daemon=$(unit_prop MainPID)
show systemctl show -p WatchdogUSec edgevisord.service
show kill -STOP "$daemon"
wait_for 120 main_pid_is_not "$daemon"
wait_for 60 systemctl is-active --quiet edgevisord.service
journalctl -b --no-pager -u edgevisord.service | grep -i watchdog || fail "no watchdog line in the journal"
wait_for 60 workload_is ticker running
[[ $(workload ticker pid) == "$before" ]] || fail "ticker was restarted"
[[ $(workload_procs ticker) == "$procs" ]] || fail "ticker's processes changed: $(workload_procs ticker)"
daemon_journal | grep 'ticker: adopted' | tail -n 1
log_moves_on ticker
