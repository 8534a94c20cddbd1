# case: on the system bus a user outside dbus.adminGroup reads edgectl status and is refused edgectl stop
# needs: /usr/libexec/edgevisor/edgectl-dbus
# boot: 2
# The installed bus policy (/usr/share/dbus-1/system.d/) lets every local user call the
# interface; edgevisord refuses the changes by the caller's uid (root and dbus.adminGroup
# only), so a configured adminGroup needs no policy edit. Proven here on the real system bus:
# edgeuser reads, is refused (exit 4), the workload runs on; a member of the group may.
needs_daemon
wait_for 60 workload_is ticker running
show edgectl status
edgectl status | grep -qE '^ticker +running' || fail "root's edgectl status does not show ticker running"
show runuser -u edgeuser -- edgectl status
runuser -u edgeuser -- edgectl status | grep -qE '^ticker +running' ||
    fail "edgeuser's edgectl status does not show ticker running"
rc=0
out=$(runuser -u edgeuser -- edgectl stop ticker 2>&1) || rc=$?
echo "\$ runuser -u edgeuser -- edgectl stop ticker   (exit $rc)"
echo "$out"
((rc == 4)) || fail "edgectl stop as edgeuser: exit $rc, not 4 (access denied)"
grep -q "needs root or membership of group 'edgevisor'" <<<"$out" || fail "no access-denied message"
# The same call without edgectl, as any bus client would make it.
rc=0
out=$(runuser -u edgeuser -- busctl call org.edgevisor.Supervisor1 /org/edgevisor/Supervisor1 \
    org.edgevisor.Supervisor1 Stop s ticker 2>&1) || rc=$?
echo "\$ runuser -u edgeuser -- busctl call ... Stop s ticker   (exit $rc)"
echo "$out"
((rc != 0)) || fail "busctl Stop as edgeuser succeeded"
workload_is ticker running || fail "ticker is not running after the refused stops"
# A member of the admin group (postinst made it) may change the node.
id edgeadmin >/dev/null 2>&1 || useradd --groups edgevisor edgeadmin
show id edgeadmin
show runuser -u edgeadmin -- edgectl restart ticker-client
wait_for 60 workload_is ticker-client running
