# case: power cut right after an acknowledged Apply (part 1: apply, then cut)
# needs: /usr/libexec/edgevisor/edgectl-dbus
# boot: 3
# Two Apply calls over the system bus (busctl, as any client): the second replaces the first
# (another MARK); the moment its reply is here the power goes (QEMU killed, no sync). The
# next boot checks that the acknowledged revision is what runs (96-power-cut-check).
needs_daemon
wait_for 60 systemctl is-active --quiet edgevisord.service
show apply_mark 1
wait_for 60 workload_is powercut running
reply=$(apply_mark 2)
console "reply $reply"
[[ $(jq -r '.data[0]' <<<"$reply") == applied ]] || fail "the second Apply was not applied"
console "acknowledged revision $(jq -r '.data[1]' <<<"$reply") mark 2"
power_cut
