// Shared between the probe runners.
#pragma once

#include "edgevisor/health/probe_run.hpp"

namespace edgevisor::health::detail {

std::unique_ptr<ProbeRun> start_exec(EventLoop& loop, Reaper& reaper, const manifests::Probe& probe,
                                     const ProbeTarget& target, ProbeDone done);
std::unique_ptr<ProbeRun> start_network(EventLoop& loop, const manifests::Probe& probe,
                                        const ProbeTarget& target, ProbeDone done);
// SIGKILL to everything in a cgroup (cgroup.kill) when it is populated; false when nothing
// was to kill (or cgroup_fd is -1).
bool kill_cgroup(int cgroup_fd);

}  // namespace edgevisor::health::detail
