// Everything the child needs between clone and execve, built by Launcher::launch in the parent.
// The child only reads it (its copy-on-write image of the parent's memory).
#pragma once

#include <sched.h>

#include <memory>
#include <optional>

#include "capabilities.hpp"
#include "child_init.hpp"
#include "fds.hpp"
#include "identity.hpp"
#include "mounts.hpp"
#include "namespaces.hpp"
#include "seccomp.hpp"

namespace edgevisor::isolation {

struct ChildPlan {
    NamespacePlan ns;
    RootfsPlan rootfs;
    IdentityPlan identity;
    CapabilityPlan caps;
    std::shared_ptr<const SeccompProgram> seccomp;
    FdPlan fds;
    int report_fd = -1;              // write end of the O_CLOEXEC report pipe
    int cgroup_procs_fd = -1;        // >= 0: join the cgroup by writing "0" (no CLONE_INTO_CGROUP)
    bool unshare_cgroup_ns = false;  // create the cgroup namespace after joining (same fallback)
    // Born with CLONE_INTO_CGROUP: the cgroup's cpus, which older kernels do not give the child
    // (cpu_affinity.hpp).
    std::optional<cpu_set_t> cgroup_cpus;
    bool kill_with_parent = false;  // PR_SET_PDEATHSIG(SIGKILL) after the uid change
    // With kill_with_parent: a pidfd of the caller, taken before clone. The death signal only
    // covers a parent that dies after it is set; this tells the child whether it died before.
    int caller_pidfd = -1;
    InitPlan init;  // isolation.init: execveat of edgevisor-init instead of execve (child_init.hpp)
};

struct LaunchRequest;
struct LauncherOptions;

// Everything the launcher checks and opens in the parent, before any process exists: each
// step's prepare_*. Its refusals that a manifest alone decides are validation rules too
// (tests/unit/isolation/validation_lockstep_test.cpp holds the two in step).
Result<ChildPlan> prepare_launch(const LaunchRequest& request, const LauncherOptions& options);

// Exit status of a child that failed before execve (after writing its report).
inline constexpr int kStartFailedExit = 125;

// The ordered checklist. Never returns: execve or _exit.
[[noreturn]] void run_child_checklist(const ChildPlan& plan) noexcept;

}  // namespace edgevisor::isolation
