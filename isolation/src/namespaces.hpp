// Namespaces: which ones the clone creates, the user namespace maps (written by the parent
// while the child waits on a sync pipe), and the in-child steps hostname and loopback.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "child_step.hpp"
#include "edgevisor/error.hpp"
#include "edgevisor/manifests/spec.hpp"

namespace edgevisor::isolation {

struct NamespacePlan {
    std::uint64_t clone_flags = 0;  // CLONE_NEW* for clone3/clone
    bool mount = false;
    bool user = false;
    bool cgroup = false;  // CLONE_NEWCGROUP wanted (in clone_flags unless joined late)
    std::string uid_map;  // "inside outside count\n"..., user namespace only
    std::string gid_map;
    std::string hostname;      // set when uts is unshared
    bool loopback_up = false;  // own network namespace: bring lo up
};

// Default user namespace map when the manifest gives none: identity over 0..65535 (see README).
Result<NamespacePlan> prepare_namespaces(const manifests::Workload& workload);

// Parent: writes /proc/<pid>/{uid_map,gid_map} for a child created with CLONE_NEWUSER.
Status write_id_maps(pid_t pid, const NamespacePlan& plan);

// Child: hostname then loopback.
StepResult child_apply_namespaces(const NamespacePlan& plan) noexcept;

}  // namespace edgevisor::isolation
