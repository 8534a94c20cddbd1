// What edgevisord asks systemd about the unit it runs as (edgevisord.service on a board).
//
// Two things a daemon under systemd 252 cannot do without asking:
//   - tell a restart from a stop: both arrive as SIGTERM. The unit's pending job says which
//     (`systemctl restart`, and so a package upgrade's `deb-systemd-invoke restart`, run a job
//     of type "restart"; `systemctl stop` and poweroff one of type "stop").
//   - keep its workloads through its own restart: systemd starts a new main process in the
//     unit's cgroup, and the kernel refuses a process in a cgroup whose cgroup.subtree_control
//     is set (no internal processes; the start fails with 219/CGROUP). So the workloads live in
//     a delegated scope beside the unit (<unit>-workloads.scope, the "i-like-continents" way of
//     systemd's CGROUP_DELEGATION.md), whose first process is edgevisor-fdholder, and the
//     unit's own cgroup only ever holds the daemon. (systemd 254's DelegateSubgroup= would
//     allow the workloads under the unit itself.)
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace edgevisor::supervisor {

// "restart", "stop", ... : the type of the job systemd runs on our unit now; "" when there is
// none, we are not a systemd unit, or systemd cannot be asked (then a SIGTERM is a stop).
std::string systemd_job_type();

struct WorkloadScope {
    std::string unit;    // edgevisord.service
    std::string name;    // edgevisord-workloads.scope
    std::string slice;   // system.slice
    std::string cgroup;  // relative to the cgroup2 mount: /system.slice/edgevisord-workloads.scope
    // Runs a command as the scope's first process: systemd-run --scope ... -- (then the
    // command), which registers the scope and then execs the command in it.
    [[nodiscard]] std::vector<std::string> launcher() const;
};

// The scope for our workloads when we are a systemd service (INVOCATION_ID set, our unit and
// slice known from our cgroup); nullopt otherwise. own_cgroup: our cgroup, relative to the
// mount (CgroupMount::own_cgroup).
std::optional<WorkloadScope> workload_scope(const std::string& own_cgroup);

}  // namespace edgevisor::supervisor
