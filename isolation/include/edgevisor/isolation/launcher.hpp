// The Launcher turns a validated workload spec into an isolated running process.
// Everything that can fail is prepared in the parent; the child between clone and exec only
// runs a fixed checklist of system calls and reports the first failure as {step, errno, detail}
// over a close-on-exec pipe (EOF means execve succeeded).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/isolation/id_pool.hpp"
#include "edgevisor/manifests/spec.hpp"
#include "edgevisor/unique_fd.hpp"

namespace edgevisor::isolation {

// Kernel features the launcher may use; detected at run time, each can be forced off so the
// fallback paths (our floor is Linux 5.10) are testable.
struct LauncherOptions {
    bool allow_clone3 = true;             // false: clone() + pidfd_open()
    bool allow_clone_into_cgroup = true;  // false: write our pid to cgroup.procs in the child
    bool allow_mount_setattr = true;  // false: read-only root by remounting each submount (< 5.12)
    // false: binds are never idmapped (as where the kernel or filesystem cannot, < 5.12)
    bool allow_idmapped_mounts = true;
    // The supervisor's runtime directory: the root is staged in <runtime_dir>/rootfs-stage, which
    // must be root's own and writable by nobody else (no fallback to /tmp).
    std::string runtime_dir = "/run/edgevisor";
    // The supervisor's own config, state and runtime directories: a workload on the host's root
    // sees each (where it exists) as an empty read-only tmpfs.
    std::vector<std::string> supervisor_paths{"/etc/edgevisor", "/var/lib/edgevisor",
                                              "/run/edgevisor"};
    // RLIMIT_NOFILE for a workload whose manifest sets none. The daemon raises its own soft
    // limit (1000 workloads hold several thousand fds) and gives workloads the one it was
    // started with, as systemd does for its services (select() breaks above 1024).
    std::optional<rlimit> default_nofile = std::nullopt;
    // edgevisor-init, pid 1 of a workload with isolation.init (the daemon and edgectl pass the
    // one installed beside them: helper_program("edgevisor-init")). Missing, such a start fails
    // at step "init" naming this path; there is no fallback.
    std::string init_path = "/usr/libexec/edgevisor/edgevisor-init";
};

struct LaunchRequest {
    const manifests::Workload* workload = nullptr;  // validated; must outlive launch()
    std::vector<std::string> extra_args;  // appended to spec.command (edgectl run -- ARGS)
    int cgroup_fd = -1;         // directory fd of the workload's cgroup; -1 = stay in the caller's
    int stdin_fd = -1;          // -1: /dev/null
    int stdout_fd = -1;         // -1: inherit the caller's
    int stderr_fd = -1;         // -1: inherit the caller's
    std::vector<int> pass_fds;  // declared fds, become 3, 4, ... in the workload
    // SIGKILL the workload when the calling thread exits (edgectl run in the foreground); the
    // daemon leaves it off so that workloads survive its upgrade.
    bool kill_when_caller_exits = false;
    // The workload's host id range (IdRangePool::acquire), required when needs_id_range():
    // root inside is range.first outside, and the ids the manifest names map through 1:1.
    std::optional<IdRange> id_range;
};

struct Process {
    UniqueFd pidfd;
    pid_t pid = -1;  // in the caller's pid namespace; for display and cgroup.procs only
};

// A child cloned and still setting itself up.
struct StartedChild {
    Process process;
    UniqueFd report;  // EOF at its execve; a report of the failed step before EOF otherwise
    std::string name;
};

class Launcher {
  public:
    explicit Launcher(LauncherOptions options = {});
    // Starts the workload. On failure the Error names the step ("pivot_root"), its argument
    // and errno, and no process of the workload is left running. Error::describe() reads
    // "<name>: start failed at <step>(<argument>): <strerror>"; the step names are listed in
    // the README. Thread-safe: each call prepares its own plan.
    Result<Process> launch(const LaunchRequest& request);
    // launch() in two halves, for a caller with an event loop: start() returns once the child
    // is cloned, and finish() reads how its setup ended when `report` is readable (it blocks
    // until then). A child that failed is killed and reaped by finish().
    Result<StartedChild> start(const LaunchRequest& request);
    static Result<Process> finish(StartedChild child);

  private:
    LauncherOptions options_;
};

// Waits for the process behind a pidfd and returns its wait status (as from waitpid).
Result<int> wait_exit(const Process& process);

}  // namespace edgevisor::isolation
