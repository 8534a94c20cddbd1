# case: power cut while Apply calls are in flight (part 1: applies, then cut)
# needs: /usr/libexec/edgevisor/edgectl-dbus
# boot: 4
# Applies one after another in the background, each acknowledged revision on the console;
# the power goes at a moment unrelated to them: inside an apply (persisting, replying, the
# replaced workload stopping) or between two. 97-power-cut-in-flight-check reads the console.
needs_daemon
wait_for 60 workload_is powercut running
base=$(busctl get-property org.edgevisor.Supervisor1 /org/edgevisor/Supervisor1 \
    org.edgevisor.Supervisor1 DesiredRevision | cut -d' ' -f2)
console "base revision $base"
(
    for mark in $(seq 10 60); do
        reply=$(apply_mark "$mark") || continue
        console "acknowledged revision $(jq -r '.data[1]' <<<"$reply") mark $mark"
    done
) &
sleep 3
power_cut
