# case: after a power cut during applies the daemon starts from the last persisted revision, never a half-written one
# needs: /usr/libexec/edgevisor/edgectl-dbus
# boot: 5
needs_daemon
console=$test_dir/console-4.log
[[ -f $console ]] || fail "the host did not copy boot 4's console"
base=$(sed -n 's/^edgevisor-systemd-vm: | base revision \([0-9]*\)$/\1/p' "$console" | tail -n1)
last=$(sed -n 's/^edgevisor-systemd-vm: | acknowledged revision \([0-9]*\) mark [0-9]*$/\1/p' "$console" | tail -n1)
[[ -n $base && -n $last ]] || fail "boot 4's console has no base or acknowledged revision"
echo "boot 4: base revision $base, last acknowledged $last, then the cut"
wait_for 120 systemctl is-active --quiet edgevisord.service
now=$(desired_revision)
echo "revision after the reboot: $now"
# The one in flight at the cut may have been persisted without its reply arriving.
((now == last || now == last + 1)) || fail "revision $now is neither the acknowledged $last nor the next"
# Mark m was applied as revision base + m - 9 (marks from 10, one revision each).
check_state "$now" $((now - base + 9))
