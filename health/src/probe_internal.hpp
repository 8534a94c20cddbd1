// Shared between the probe runners.
#pragma once

#include "edgevisor/health/probe_run.hpp"

namespace edgevisor::health::detail {

std::unique_ptr<ProbeRun> start_exec(EventLoop& loop, Reaper& reaper, const manifests::Probe& probe,
                                     const ProbeTarget& target, ProbeDone done);
std::unique_ptr<ProbeRun> start_network(EventLoop& loop, const manifests::Probe& probe,
                                        const ProbeTarget& target, ProbeDone done);
// SIGKILL to everything in a cgroup (cgroup.kill); no-op for -1.
void kill_cgroup(int cgroup_fd);

}  // namespace edgevisor::health::detail
