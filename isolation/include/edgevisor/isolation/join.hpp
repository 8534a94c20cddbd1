// Entering a running workload: a new process inside it (the exec probe, `edgectl exec`) and
// sockets in its network namespace (the tcp and http probes).
//
// A joined process gets what the workload's own process got: its namespaces (entered through
// the pidfd of its main process with setns; /proc/<pid>/ns/* on kernels before 5.8), its cgroup
// (born there with CLONE_INTO_CGROUP, so it counts against the workload's limits), its user,
// groups, rlimits and working directory (ids are the workload's, i.e. mapped through its user
// namespace when it has one), its capabilities, no_new_privs and seccomp policy.
//
// Nothing here waits for the joined process: spawn() returns right after clone with a pidfd,
// the read ends of its stdout/stderr pipes and of a setup report pipe. Once the pidfd is
// readable (the process exited), join_failure() says whether it failed before execve and at
// which step; then the exit status is the command's (wait_exit).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/isolation/launcher.hpp"
#include "edgevisor/manifests/spec.hpp"
#include "edgevisor/unique_fd.hpp"

namespace edgevisor::isolation {

struct JoinOptions {
    bool allow_pidfd_setns = true;  // false: setns through /proc/<pid>/ns/* (Linux < 5.8)
};

// The running workload.
struct JoinTarget {
    int pidfd = -1;  // its main process (Process::pidfd); must be alive
    // Where the new process is born: the workload's cgroup (Cgroup::dir_fd()) or one below it
    // (the probes use a cgroup per run, so a timeout can kill all the run started).
    // -1: the caller's cgroup.
    int cgroup_fd = -1;
};

struct JoinCommand {
    std::vector<std::string> argv;  // argv[0] absolute, resolved inside the workload's root
    std::vector<std::string> env;   // "NAME=value", added to (or replacing) the workload's env
    int stdin_fd = -1;              // -1: /dev/null
    int stdout_fd = -1;             // -1: a pipe, read end in JoinedProcess::stdout_pipe
    int stderr_fd = -1;             // -1: a pipe, read end in JoinedProcess::stderr_pipe
    // stdin_fd is a terminal (`edgectl exec -t`): it becomes the new session's controlling
    // terminal (TIOCSCTTY), so job control and ^C work as in a login shell.
    bool controlling_tty = false;
};

struct JoinedProcess {
    Process process;
    UniqueFd stdout_pipe, stderr_pipe;  // O_NONBLOCK | O_CLOEXEC; invalid when fds were given
    UniqueFd report;                    // O_NONBLOCK | O_CLOEXEC; see join_failure()
};

// Everything needed to enter one workload, prepared once (users resolved, the seccomp policy
// compiled, capabilities checked) and then used for many spawns. Copies share the plan;
// spawn() is const and may be called from several threads.
class Joiner {
  public:
    static Result<Joiner> prepare(const manifests::Workload& workload, JoinOptions options = {});

    // Clones the new process; it joins the workload and execs argv. Errors here are the
    // caller's side (argv empty or relative, pipes, clone: ENOMEM when the workload's pid
    // namespace has no init any more). Setup failures inside come through join_failure().
    [[nodiscard]] Result<JoinedProcess> spawn(const JoinTarget& target,
                                              const JoinCommand& command) const;

    // A socket (SOCK_NONBLOCK | SOCK_CLOEXEC added to type) in the workload's network
    // namespace: a short-lived thread enters the namespace and creates it; a socket stays in
    // the namespace it was created in, so connect() from anywhere reaches the workload's
    // loopback. A workload on the host network gets a plain socket.
    [[nodiscard]] Result<UniqueFd> socket(int pidfd, int domain, int type) const;

    [[nodiscard]] const std::string& workload_name() const;

    struct Plan;

  private:
    explicit Joiner(std::shared_ptr<const Plan> plan) : plan_(std::move(plan)) {}
    std::shared_ptr<const Plan> plan_;
};

// A command name without a slash looked up as execvp would, but in the workload's root (through
// /proc/<pid>/root, the view of the workload's mount namespace): the first of the `path_env`
// directories (":"-separated; "" means /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:
// /sbin:/bin) holding an executable regular file of that name. A name with a slash is returned
// as it is. ENOENT when none holds it.
Result<std::string> find_command(pid_t pid, const std::string& name, const std::string& path_env);

// After the joined process exited (its pidfd is readable): nullopt when it reached execve
// (its exit status is the command's), else why not, e.g. "sensor: join failed at
// setns(mount,net): Operation not permitted". Reads the report pipe; never blocks.
Result<std::optional<Error>> join_failure(const JoinedProcess& joined,
                                          const std::string& workload_name);

}  // namespace edgevisor::isolation
