// Idmapped bind mounts (mount_setattr(MOUNT_ATTR_IDMAP), Linux 5.12+, where the filesystem
// supports it): a bind of a host path seen through the workload's own id maps, so that inside
// id N reads and writes as on-disk id N there, as it would without a user namespace. Made in
// the parent as detached trees (open_tree); the child attaches each with move_mount.
//
// Fallback, where the kernel or the filesystem refuses (logged once per bind at each start):
// a plain bind, through which the workload's ids are its host range (root inside writes as
// the range's first id, and host files of ids it does not map show as 65534 "nobody").
#pragma once

#include <string>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/unique_fd.hpp"
#include "mounts.hpp"

namespace edgevisor::isolation {

// For each bind in plan (and a writable rootfs directory): a detached idmapped tree, its fd
// stored in the MountOp (tree_fd) or the plan (root_tree_fd); the returned fds own them and
// must outlive the clone. Binds that cannot be idmapped keep tree_fd -1 (the plain bind).
std::vector<UniqueFd> prepare_idmapped_binds(RootfsPlan& plan, int userns_fd,
                                             const std::string& workload);

}  // namespace edgevisor::isolation
