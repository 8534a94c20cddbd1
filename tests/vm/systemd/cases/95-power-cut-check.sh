# case: after the power cut the acknowledged revision runs and the state files are intact
# needs: /usr/libexec/edgevisor/edgectl-dbus
# boot: 4
needs_daemon
console=$test_dir/console-3.log
[[ -f $console ]] || fail "the host did not copy boot 3's console"
acked=$(sed -n 's/^edgevisor-systemd-vm: | acknowledged revision \([0-9]*\) mark 2$/\1/p' "$console" | tail -n1)
[[ -n $acked ]] || fail "boot 3 did not acknowledge an Apply before the cut"
echo "boot 3 acknowledged revision $acked (mark 2), then lost its power"
check_state "$acked" 2
