# case: at boot edgevisord is active only after READY=1 and its logs are in the journal
# needs: /usr/sbin/edgevisord
# boot: 2
# Type=notify: systemd counts the unit active when the daemon sends READY=1, after its first
# reconcile launched the workloads; with Type=simple it would be active at the fork. So the
# first workload's process started between the daemon's start and the unit's activation
# (journal lines cannot show this: the daemon's stderr and its notify socket are two
# channels that journald and systemd read independently). STATUS= shows in systemctl too.
needs_daemon
show systemctl show -p Type -p ActiveState -p SubState -p NotifyAccess -p StatusText \
    -p ExecMainStartTimestampMonotonic -p ActiveEnterTimestampMonotonic edgevisord.service
[[ $(unit_prop Type) == notify ]] || fail "Type is not notify"
[[ $(unit_prop SubState) == running ]] || fail "not running"
[[ -n $(unit_prop StatusText) ]] || fail "no STATUS= text from the daemon"
wait_for 60 workload_is ticker running
[[ $(workload ticker restarts) == 0 ]] || fail "ticker restarted: its start is not the first reconcile's"
# starttime (field 22 of /proc/PID/stat) is in clock ticks since boot, as the monotonic clock.
ticks=$(getconf CLK_TCK)
started_us=$(($(awk '{ print $22 }' "/proc/$(workload ticker pid)/stat") * 1000000 / ticks))
exec_us=$(unit_prop ExecMainStartTimestampMonotonic)
active_us=$(unit_prop ActiveEnterTimestampMonotonic)
echo "daemon started at ${exec_us} us, ticker at ${started_us} us, unit active at ${active_us} us"
# The tick count truncates: allow one tick below the daemon's start.
((started_us + 1000000 / ticks >= exec_us)) || fail "ticker started before the daemon"
((started_us <= active_us)) || fail "systemd counted the unit active before the first reconcile (READY=1)"
show jq -c '.workloads[] | {name, state, lastExit}' "$status_file"
for name in ticker ticker-client heartbeat web-dashboard broker-bridge; do
    workload_is "$name" running || fail "$name is not running"
done
show tail -n 3 /var/log/edgevisor/ticker.log
daemon_journal | grep -E 'ready:|ticker: started' || fail "the daemon's log lines are not in the journal"
