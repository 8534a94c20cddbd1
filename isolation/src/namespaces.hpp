// Namespaces: which ones the clone creates, the user namespace and the namespaces it owns
// (made before the clone by a short-lived holder process, its maps written by the parent), and
// the in-child steps that join them, hostname and loopback.
//
// Why this order (DESIGN.md "Kernel interfaces"): the mount namespace is created by the clone,
// owned by the host's user namespace, and the child builds the workload's mounts in it as the
// host's root; only then does it enter the workload's user namespace. Nothing inside owns that
// mount namespace, so no capability inside can unmount a mask or remount a read-only bind;
// a mount namespace the workload makes of its own (unshare) copies them locked. The network,
// uts and ipc namespaces are the user namespace's own, so capabilities granted to the workload
// (NET_BIND_SERVICE, NET_ADMIN, SYS_ADMIN for sethostname) act on them as before.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "child_step.hpp"
#include "edgevisor/error.hpp"
#include "edgevisor/isolation/id_pool.hpp"
#include "edgevisor/manifests/spec.hpp"
#include "edgevisor/unique_fd.hpp"

namespace edgevisor::isolation {

struct NamespacePlan {
    std::uint64_t clone_flags = 0;  // CLONE_NEW* for clone3/clone (owned by the host's user ns)
    bool mount = false;
    bool user = false;
    bool cgroup = false;  // CLONE_NEWCGROUP wanted (in clone_flags unless joined late)
    // With `user`: CLONE_NEWNET/NEWUTS/NEWIPC, created together with the user namespace.
    std::uint64_t user_owned_flags = 0;
    std::string uid_map;  // "inside outside count\n"..., user namespace only
    std::string gid_map;
    uid_t root_uid = 0;  // the host ids of root inside (0 without a user namespace)
    gid_t root_gid = 0;
    std::string hostname;      // set when uts is unshared
    bool loopback_up = false;  // own network namespace: bring lo up
    // The namespaces the child joins (setns), from open_user_namespace; -1 = none.
    int user_fd = -1, net_fd = -1, uts_fd = -1, ipc_fd = -1;
};

// The identity's host ids that a default user namespace maps through 1:1.
struct NamedIds {
    std::vector<std::uint32_t> uids;
    std::vector<std::uint32_t> gids;
};

// Maps from the manifest (uidMap/gidMap, exactly as given), else from `range` with the named
// ids mapped through; a user namespace without either is an error.
Result<NamespacePlan> prepare_namespaces(const manifests::Workload& workload,
                                         const std::optional<IdRange>& range,
                                         const NamedIds& named);

// Every CLONE_NEW* flag of the namespaces the workload lives in (for joining it).
std::uint64_t workload_namespace_flags(const manifests::Workload& workload);

// The workload's user namespace and the namespaces it owns, held by fds: the parent creates
// them with a holder process (cloned into them, it waits until its maps are written and its
// namespaces opened, then exits), before the workload's own clone.
struct UserNamespaces {
    UniqueFd user, net, uts, ipc;
};
Result<UserNamespaces> open_user_namespace(const NamespacePlan& plan);

// Child, first (as the host's root): join the network, uts and ipc namespaces of the user
// namespace, so that /sys and the hostname are the workload's.
StepResult child_join_owned_namespaces(const NamespacePlan& plan) noexcept;
// Child: hostname then loopback.
StepResult child_apply_namespaces(const NamespacePlan& plan) noexcept;
// Child, once every mount is in place: enter the user namespace and become root there.
StepResult child_enter_user_namespace(const NamespacePlan& plan) noexcept;

}  // namespace edgevisor::isolation
