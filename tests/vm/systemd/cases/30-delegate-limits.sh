# case: the workloads run in a delegated scope beside the service with every controller and limits hold
# needs: /usr/sbin/edgevisord
# boot: 2
# Delegate=yes on edgevisord-workloads.scope (the daemon registers it with systemd-run,
# edgevisor-fdholder its first process): the service's own cgroup holds only the daemon, so
# systemd can start a new one there while the workloads run.
needs_daemon
show systemctl show -p Delegate -p ActiveState -p Slice "$scope"
[[ $(systemctl show -p Delegate --value "$scope") == yes ]] || fail "$scope is not delegated"
cg=$(scope_cgroup)
show cat "$(service_cgroup)/cgroup.procs"
[[ $(cat "$(service_cgroup)/cgroup.procs") == "$(unit_prop MainPID)" ]] ||
    fail "the service's cgroup holds more than the daemon"
show cat "$cg/cgroup.subtree_control" "$cg/holder/cgroup.procs"
grep -qx "$(pgrep -xf /usr/libexec/edgevisor/edgevisor-fdholder)" "$cg/holder/cgroup.procs" || fail "edgevisor-fdholder is not in holder/"
show cat "$cg/workloads/ticker/cgroup.controllers"
for c in cpuset cpu io memory pids; do
    grep -qw "$c" "$cg/workloads/ticker/cgroup.controllers" || fail "workloads/ticker lacks $c"
done
# The hog was OOM-killed (and, policy never, stays down); the bomb is held at pids.max.
wait_for 120 workload_is memory-hog failed
show jq -c '.workloads[] | select(.name == "memory-hog")' "$status_file"
[[ $(workload memory-hog lastExit) == oom-killed* ]] || fail "memory-hog did not end by the OOM killer"
daemon_journal | grep 'memory-hog' || true
wait_for 60 grep -q '^max [1-9]' "$cg/workloads/fork-bomb/pids.events"
show cat "$cg/workloads/fork-bomb/pids.current" "$cg/workloads/fork-bomb/pids.events"
(($(cat "$cg/workloads/fork-bomb/pids.current") <= 16)) || fail "fork-bomb exceeds pids.max"
workload_is ticker running || fail "ticker did not survive the hog and the bomb"
