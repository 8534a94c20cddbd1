// The workload's filesystem view: prepared in the parent (paths checked and split, bind sources
// and host device nodes opened O_PATH, strings built), applied in the child inside its new
// mount namespace.
//
// Safety rule: the child never mounts onto a path string inside the root. Each target is opened
// with openat2(root, target, O_PATH, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) and the mount goes
// through /proc/self/fd/<n>, so a symlinked /proc, /dev or bind target in a rootfs (or one
// swapped in later) cannot put a mount outside the root: it is refused (ELOOP / EXDEV).
#pragma once

#include <sys/types.h>

#include <array>
#include <string>
#include <vector>

#include "child_step.hpp"
#include "edgevisor/error.hpp"
#include "edgevisor/manifests/spec.hpp"
#include "edgevisor/unique_fd.hpp"

namespace edgevisor::isolation {

// The host ids of root inside the workload's user namespace (0, 0 without one).
struct RootIds {
    uid_t uid = 0;
    gid_t gid = 0;
};

enum class MountKind { proc, dev, sys, bind, tmpfs };

struct MountOp {
    MountKind kind = MountKind::bind;
    std::string target;      // absolute inside the root, for messages: "/proc"
    std::string target_rel;  // "proc"; relative to the root, no symlinks allowed on the way
    std::string parent_rel;  // "" for top-level; to create a missing target
    std::string name;        // last component
    bool create_dir = true;  // a missing target is created as a directory (else a file)
    // bind: the host path, checked by the parent and opened by the child (an fd opened before
    // clone belongs to the parent's mount namespace: the kernel refuses to bind from it).
    std::string source;
    bool read_only = false;
    int tree_fd = -1;  // bind: an idmapped detached tree to attach instead (idmapped.hpp)
    std::string data;  // tmpfs options "size=...,mode=..."
    // A host path hidden by an empty tmpfs: writable while the manifest's mounts are put in
    // place (their targets may lie below it), made read-only once they are.
    bool seal_read_only = false;
    // A read-only bind: every mount below it too (a source with submounts), in one
    // mount_setattr call (Linux 5.12+), else by remounting each of ro_submounts.
    bool use_mount_setattr = true;
    std::vector<std::string> ro_submounts;  // as the child sees them before pivot_root
};

// Host device nodes bind-mounted into the minimal /dev: {name in /dev, host path}.
struct DevNode {
    const char* name;
    const char* host;
};
inline constexpr std::array<DevNode, 6> kDevNodes{{{"null", "/dev/null"},
                                                   {"zero", "/dev/zero"},
                                                   {"full", "/dev/full"},
                                                   {"random", "/dev/random"},
                                                   {"urandom", "/dev/urandom"},
                                                   {"tty", "/dev/tty"}}};

struct RootfsPlan {
    bool enabled = false;   // a mount namespace was asked for
    std::string source;     // host path of the new root: "/" or rootfs.path
    std::string stage;      // host directory the root is bound onto before pivot_root
    int root_tree_fd = -1;  // an idmapped detached tree of source to attach instead
    RootIds root_ids;       // who creates mount targets inside idmapped trees
    bool read_only = true;
    bool use_mount_setattr = true;          // recursive read-only in one call (Linux 5.12)
    std::vector<std::string> ro_submounts;  // each submount under stage, without mount_setattr
    std::vector<MountOp> mounts;            // proc, dev, sys, then the manifest's, in order
};

struct MountPrepareOptions {
    bool allow_mount_setattr = true;
    std::string runtime_dir = "/run/edgevisor";  // holds the staging directory
    std::vector<std::string> supervisor_paths;   // hidden from a workload on the host's root
    uid_t root_uid = 0;  // host ids of root inside: the owner of a fresh /run
    gid_t root_gid = 0;
};

Result<RootfsPlan> prepare_rootfs(const manifests::Isolation& isolation, bool mount_namespace,
                                  const MountPrepareOptions& options);

// Child: propagation, bind the root, mounts, /proc masks, pivot_root and detach the old root.
StepResult child_setup_rootfs(const RootfsPlan& plan) noexcept;

// Child helpers shared by rootfs.cpp and mounts.cpp.
StepResult child_mount_one(int root, const MountOp& op, const RootIds& ids) noexcept;
StepResult child_mask_proc(int root) noexcept;
int open_beneath(int root, const char* rel, bool directory) noexcept;
int remount_read_only(int fd) noexcept;
// The mount at fd and every mount below it read-only: mount_setattr(AT_RECURSIVE), or (before
// Linux 5.12) a remount of fd and then of each path in submounts. Returns 0 or an errno.
int make_tree_read_only(int fd, bool use_mount_setattr,
                        const std::vector<std::string>& submounts) noexcept;

}  // namespace edgevisor::isolation
