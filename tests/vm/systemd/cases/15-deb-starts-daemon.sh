# case: the installed package has enabled and started edgevisord
# needs: /usr/sbin/edgevisord
# postinst enabled the unit and started it (deb-systemd-invoke, systemd is running). Then the
# example manifests and the guest's own go into the manifest directory for the next boots.
needs_daemon
show systemctl is-enabled edgevisord.service
[[ $(systemctl is-enabled edgevisord.service) == enabled ]] || fail "the unit is not enabled"
wait_for 60 systemctl is-active --quiet edgevisord.service
show systemctl status --no-pager edgevisord.service || true
show getent group edgevisor || fail "no edgevisor group (postinst, sysusers.d)"
show edgevisord --check-config --config /etc/edgevisor/edgevisor.yaml
cp /usr/share/doc/edgevisor/examples/*.yaml "$test_dir"/manifests/*.yaml /etc/edgevisor/manifests.d/
show ls /etc/edgevisor/manifests.d
wait_for 120 workload_is ticker running
show jq -c '.workloads[] | {name, state, lastExit}' "$status_file"
