// File descriptors the workload gets: 0, 1, 2 where the caller says (stdin defaults to
// /dev/null, stdout/stderr to the caller's), then the declared pass_fds as 3, 4, ...
// Everything else is closed before execve (runc CVE-2024-21626 leaked a directory fd).
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <vector>

#include "child_step.hpp"
#include "edgevisor/error.hpp"
#include "edgevisor/isolation/launcher.hpp"
#include "edgevisor/unique_fd.hpp"

namespace edgevisor::isolation {

struct FdPlan {
    std::vector<int> sources;          // sources[i] becomes fd i in the workload
    mutable std::vector<int> scratch;  // sized by the parent; the child must not allocate
    int high = 3;                      // above every target and source: safe place to park fds
    rlim_t caller_soft = 0;            // the launching process's open-files soft limit
    UniqueFd dev_null;
};

Result<FdPlan> prepare_fds(const LaunchRequest& request);

// The open-files soft limit the fd steps need (child_set_rlimits keeps at least this until
// child_final_nofile): the report pipe and each source parked above plan.high, and never less
// than the caller's own limit, since fds the launcher opens after prepare_fds (namespace and
// id-map files, the report pipe) sit above plan.high in a crowded table.
inline rlim_t fd_room(const FdPlan& plan) {
    return std::max(static_cast<rlim_t>(plan.high) + plan.sources.size() + 3, plan.caller_soft);
}

// Child, first thing: moves a descriptor it keeps (the report pipe, the init's program) to
// >= plan.high so no dup2 target can hit it; `what` names it in the error.
StepResult child_park_fd(int& fd, const FdPlan& plan, const char* what) noexcept;
// Child, last before seccomp: dup2 the sources to 0..n-1, close everything else but the report
// pipe and keep_fd (-1: none).
StepResult child_setup_fds(const FdPlan& plan, int report_fd, int keep_fd = -1) noexcept;

}  // namespace edgevisor::isolation
