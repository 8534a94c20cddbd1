# case: after the restart, the upgrade's daemon-reload and the watchdog the workloads' scope is still ordered before edgevisord.service
# needs: /usr/sbin/edgevisord
# boot: 2
# The last case of boot 2. At poweroff systemd must stop the scope only after the daemon (which
# stops the workloads in their order): the scope is registered Before=edgevisord.service
# (systemd_unit.cpp), and that must outlive the daemon restarts and the upgrade's daemon-reload
# of this boot. Then the evidence for the poweroff case (boot 3) is turned on: the daemon logs
# at debug level (its state transitions) and systemd at debug level (which job waits for
# which) for the shutdown that follows.
needs_daemon
show systemctl show -p Transient,Delegate,Before,After,FragmentPath "$scope"
show systemctl show -p After edgevisord.service
show cat "/run/systemd/transient/$scope" || true
[[ " $(systemctl show -p Before --value "$scope") " == *" edgevisord.service "* ]] ||
    fail "$scope is no longer ordered Before=edgevisord.service"
[[ " $(systemctl show -p After --value edgevisord.service) " == *" $scope "* ]] ||
    fail "edgevisord.service is no longer ordered After=$scope"
# The holder (the scope's first process) still runs: the scope was not made again.
show systemctl show -p ActiveEnterTimestampMonotonic "$scope"
grep -q '^log:' /etc/edgevisor/edgevisor.yaml || printf 'log:\n  level: debug\n' >>/etc/edgevisor/edgevisor.yaml
since=$(date '+%F %T')
show systemctl reload edgevisord.service
debug_on() { journalctl --since "$since" --no-pager -o cat -u edgevisord.service | grep -q 'log level debug'; }
wait_for 30 debug_on
show systemd-analyze log-level debug
