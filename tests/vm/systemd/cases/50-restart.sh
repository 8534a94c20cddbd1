# case: systemctl restart edgevisord restarts no workload and their output still reaches the log
# needs: /usr/sbin/edgevisord
# boot: 2
needs_daemon
wait_for 60 workload_is ticker running
before=$(workload ticker pid)
procs=$(workload_procs ticker)
echo "ticker: pid $before, processes $procs"
daemon=$(unit_prop MainPID)
show systemctl restart edgevisord.service
[[ $(unit_prop MainPID) != "$daemon" ]] || fail "the daemon was not restarted"
wait_for 60 workload_is ticker running
after=$(workload ticker pid)
echo "ticker pid before $before, after $after"
[[ $before == "$after" ]] || fail "ticker was restarted (pid $before -> $after)"
[[ $(workload_procs ticker) == "$procs" ]] || fail "ticker's processes changed: $(workload_procs ticker)"
daemon_journal | grep -E 'keep running for the next|ticker: adopted' || fail "no detach or adoption in the journal"
log_moves_on ticker
