// The cgroup of a workload run by `edgectl run`: created in the standalone subtree
// (<cgroup2 mount>/edgevisor/workloads/<name>), limits applied before the launch, and on exit
// everything left in it (daemonised children included) killed and the directory removed.
#pragma once

#include "edgevisor/error.hpp"
#include "edgevisor/isolation/cgroup.hpp"
#include "edgevisor/manifests/spec.hpp"

namespace edgevisor::edgectl {

struct RunCgroup {
    isolation::CgroupTree tree;
    isolation::Cgroup cgroup;  // owned: removed (after cgroup.kill) when destroyed
};

// Creates workloads/<name> and applies the manifest's resources. A limit whose controller is
// missing is an error unless allow_missing_controllers (then a warning, the limit is skipped).
Result<RunCgroup> prepare_run_cgroup(const manifests::Workload& workload,
                                     bool allow_missing_controllers);

// After the main process has exited: kills whatever it left in the cgroup and removes it.
// Returns false (after printing why) when that failed.
bool finish_run_cgroup(RunCgroup& run);

}  // namespace edgevisor::edgectl
