# case: dpkg -i of a newer build restarts the daemon, no workload
# needs: /usr/sbin/edgevisord
# boot: 2
needs_daemon
wait_for 60 workload_is ticker running
before=$(workload ticker pid)
procs=$(workload_procs ticker)
echo "ticker: pid $before, processes $procs"
daemon=$(unit_prop MainPID)
# The same build as a newer version, as an upgrade brings it.
rm -rf /tmp/newer && dpkg-deb -R "$deb" /tmp/newer
sed -i -E 's/^Version: (.*)$/Version: \1+upgrade1/' /tmp/newer/DEBIAN/control
dpkg-deb --root-owner-group -b /tmp/newer /tmp/newer.deb >/dev/null
show dpkg -i /tmp/newer.deb
show dpkg-query -W edgevisor
wait_for 60 systemctl is-active --quiet edgevisord.service
[[ $(unit_prop MainPID) != "$daemon" ]] || fail "the upgrade did not restart the daemon"
wait_for 60 workload_is ticker running
[[ $(workload ticker pid) == "$before" ]] || fail "ticker was restarted by the upgrade"
[[ $(workload_procs ticker) == "$procs" ]] || fail "ticker's processes changed: $(workload_procs ticker)"
log_moves_on ticker
