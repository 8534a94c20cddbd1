# case: Delegate=yes puts the workloads under the service's cgroup with every controller and limits hold
# needs: /usr/sbin/edgevisord
# boot: 2
needs_daemon
[[ $(unit_prop Delegate) == yes ]] || fail "Delegate is not yes"
cg=$(service_cgroup)
show cat "$cg/cgroup.subtree_control"
show cat "$cg/supervisor/cgroup.procs"
grep -qx "$(unit_prop MainPID)" "$cg/supervisor/cgroup.procs" || fail "the daemon is not in supervisor/"
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
