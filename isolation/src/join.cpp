// Joiner: a new process inside a running workload, and sockets in its network namespace.
//
// Why the pid namespace is entered by a short-lived thread: setns(CLONE_NEWPID) changes only
// the namespace of the caller's future children, and the other namespaces (mount and user)
// cannot be entered by a process with several threads at all. So a thread of ours enters the
// pid namespace and clones (the child is born in it, and in the workload's cgroup); the child,
// single-threaded, enters the rest itself. The thread ends at once, so no later fork of the
// supervisor lands in the workload's pid namespace by accident.
//
// Why the user namespace comes last: a workload's mount namespace may be owned by the host's
// user namespace (mounts locked against the workload), which only the host's root may enter;
// the host's root may enter every namespace below it, so everything else is entered first.
#include "edgevisor/isolation/join.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <system_error>
#include <thread>

#include "capabilities.hpp"
#include "child_plan.hpp"
#include "child_report.hpp"
#include "clone.hpp"
#include "cpu_affinity.hpp"
#include "fds.hpp"
#include "identity.hpp"
#include "namespaces.hpp"
#include "seccomp.hpp"

namespace edgevisor::isolation {

// The order in which the /proc fallback enters namespaces (user last, see above).
namespace {
struct NsKind {
    std::uint64_t flag;
    const char* proc_name;
    const char* name;
};
constexpr std::array<NsKind, 6> kEnterOrder{{{CLONE_NEWIPC, "ipc", "ipc"},
                                             {CLONE_NEWUTS, "uts", "uts"},
                                             {CLONE_NEWNET, "net", "net"},
                                             {CLONE_NEWCGROUP, "cgroup", "cgroup"},
                                             {CLONE_NEWNS, "mnt", "mount"},
                                             {CLONE_NEWUSER, "user", "user"}}};
constexpr std::uint64_t kUserAndPid = CLONE_NEWUSER | CLONE_NEWPID;
}  // namespace

struct Joiner::Plan {
    std::string name;
    std::uint64_t namespaces = 0;  // CLONE_NEW* of the workload
    std::string namespace_names;   // "pid,mount,net" for messages
    IdentityPlan identity;         // argv unused: every spawn brings its own
    CapabilityPlan caps;
    std::shared_ptr<const SeccompProgram> seccomp;
    JoinOptions options;
};

namespace {

// Per spawn, on the spawning thread's stack; the child reads its copy.
struct JoinChild {
    const Joiner::Plan* plan = nullptr;
    int pidfd = -1;
    std::array<int, kEnterOrder.size()> ns_fds{};  // /proc fallback, in kEnterOrder; -1 = skip
    FdPlan fds;
    char* const* argv = nullptr;
    char* const* envp = nullptr;
    int report_fd = -1;
    bool controlling_tty = false;
    std::optional<cpu_set_t> cgroup_cpus;  // born into the workload's cgroup (cpu_affinity.hpp)
};

[[noreturn]] void fail_step(int report_fd, const StepResult& r) noexcept {
    child_report(report_fd, r.step, r.code, r.detail);
    ::_exit(kStartFailedExit);
}

StepResult child_enter_namespaces(const JoinChild& c) noexcept {
    const Joiner::Plan& plan = *c.plan;
    if (plan.options.allow_pidfd_setns) {
        // One call enters them all at once; then the user namespace on its own (see above).
        std::uint64_t rest = plan.namespaces & ~kUserAndPid;
        if (rest != 0 && ::setns(c.pidfd, static_cast<int>(rest)) != 0)
            return {Step::setns, errno, plan.namespace_names.c_str()};
        if ((plan.namespaces & CLONE_NEWUSER) != 0 && ::setns(c.pidfd, CLONE_NEWUSER) != 0)
            return {Step::setns, errno, "user"};
        return step_ok;
    }
    for (std::size_t i = 0; i < kEnterOrder.size(); ++i) {
        if (c.ns_fds[i] >= 0 && ::setns(c.ns_fds[i], 0) != 0)
            return {Step::setns, errno, kEnterOrder[i].name};
    }
    return step_ok;
}

// The launcher's checklist from the identity on, after entering instead of creating: the
// filesystem, hostname and loopback are the workload's already.
[[noreturn]] void run_join_checklist(const JoinChild& c) noexcept {
    int report = c.report_fd;
    auto check = [&](const StepResult& r) {
        if (!r.ok()) fail_step(report, r);
    };
    auto check_errno = [&](Step step, int code) { check({step, code, nullptr}); };
    const Joiner::Plan& plan = *c.plan;
    check(child_park_fd(report, c.fds, "report pipe"));
    detail::child_reset_signals();
    check(child_enter_namespaces(c));
    if (c.cgroup_cpus) check(child_fix_affinity(*c.cgroup_cpus));
    check(child_set_rlimits(plan.identity, fd_room(c.fds)));
    check(child_new_session());
    check_errno(Step::drop_bounding, child_drop_bounding(plan.caps));
    check_errno(Step::securebits, child_lock_securebits(plan.caps));
    check(child_set_ids(plan.identity));
    check_errno(Step::capabilities, child_apply_sets(plan.caps));
    check(child_chdir(plan.identity));
    check_errno(Step::no_new_privs, child_set_no_new_privs(plan.caps));
    check(child_setup_fds(c.fds, report));
    check(child_final_nofile(plan.identity));
    // After setsid (a session leader without a terminal may take one) and before seccomp.
    if (c.controlling_tty && ::ioctl(STDIN_FILENO, TIOCSCTTY, 0) != 0)
        fail_step(report, {Step::setsid, errno, "controlling terminal"});
    if (plan.seccomp) check_errno(Step::seccomp, child_load_seccomp(*plan.seccomp));
    ::execve(c.argv[0], c.argv, c.envp);
    fail_step(report, {Step::execve, errno, c.argv[0]});
}

std::string names_of(std::uint64_t flags) {
    static constexpr std::pair<std::uint64_t, const char*> names[] = {{CLONE_NEWNS, "mount"},
                                                                      {CLONE_NEWIPC, "ipc"},
                                                                      {CLONE_NEWUTS, "uts"},
                                                                      {CLONE_NEWNET, "net"},
                                                                      {CLONE_NEWCGROUP, "cgroup"}};
    std::string out;
    for (auto [flag, name] : names)
        if ((flags & flag) != 0) out += (out.empty() ? "" : ",") + std::string(name);
    return out;
}

// The pid behind a pidfd, from /proc/self/fdinfo (the /proc fallback needs it).
Result<pid_t> pid_of(int pidfd) {
    std::string path = "/proc/self/fdinfo/" + std::to_string(pidfd);
    UniqueFd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    char buf[1024];
    ssize_t n = fd ? ::read(fd.get(), buf, sizeof buf - 1) : -1;
    if (n <= 0) return fail_errno("setns", "read " + path);
    std::string_view text(buf, static_cast<std::size_t>(n));
    auto at = text.find("\nPid:");
    if (at == std::string_view::npos) return fail("setns", path + ": not a pidfd", EBADF);
    long pid = std::strtol(buf + at + 5, nullptr, 10);
    if (pid <= 0) return fail("setns", "the workload's process has exited", ESRCH);
    return static_cast<pid_t>(pid);
}

Result<UniqueFd> open_namespace(pid_t pid, const char* proc_name) {
    std::string path = "/proc/" + std::to_string(pid) + "/ns/" + proc_name;
    UniqueFd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (!fd) return fail_errno("setns", "open " + path);
    return fd;
}

// Namespace files opened through /proc, checked against the pidfd afterwards: a process that
// is still alive (signal 0 through the pidfd) is the one whose /proc entry we opened.
struct ProcNamespaces {
    std::array<UniqueFd, kEnterOrder.size()> fds;
    UniqueFd pid;
};

Result<ProcNamespaces> open_proc_namespaces(int pidfd, std::uint64_t namespaces) {
    auto pid = pid_of(pidfd);
    if (!pid) return std::unexpected(pid.error());
    ProcNamespaces out;
    for (std::size_t i = 0; i < kEnterOrder.size(); ++i) {
        if ((namespaces & kEnterOrder[i].flag) == 0) continue;
        auto fd = open_namespace(*pid, kEnterOrder[i].proc_name);
        if (!fd) return std::unexpected(fd.error());
        out.fds[i] = std::move(*fd);
    }
    if ((namespaces & CLONE_NEWPID) != 0) {
        auto fd = open_namespace(*pid, "pid");
        if (!fd) return std::unexpected(fd.error());
        out.pid = std::move(*fd);
    }
    if (::syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) != 0)
        return fail_errno("setns", "the workload's process has exited");
    return out;
}

// Runs fn on a new thread that first entered the namespace `flag` of the target (ns_fd when
// >= 0, else the pidfd). Returns fn's result; the thread is gone when this returns.
template <typename Fn>
auto on_thread_in(int pidfd, int ns_fd, int flag, const char* what, Fn fn) -> decltype(fn()) {
    const std::string step = std::string("setns(") + what + ")";
    decltype(fn()) result = fail("setns", step, EINVAL);
    try {
        std::thread thread([&] {
            if (::setns(ns_fd >= 0 ? ns_fd : pidfd, flag) != 0) {
                result = fail_errno("setns", step);
                return;
            }
            result = fn();
        });
        thread.join();
    } catch (const std::system_error& e) {
        return fail("setns", step + ": thread: " + e.what(), e.code().value());
    }
    return result;
}

struct Pipe {
    UniqueFd read, write;
};

Result<Pipe> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return fail_errno("join", "pipe");
    Pipe pipe{UniqueFd{fds[0]}, UniqueFd{fds[1]}};
    ::fcntl(pipe.read.get(), F_SETFL, O_NONBLOCK);
    return pipe;
}

Error join_failed(const std::string& name, Error error) {
    error.message = name + ": join failed at " + error.message;
    return error;
}

// argv/envp storage for one spawn.
struct Strings {
    std::vector<std::string> storage;
    std::vector<char*> pointers;
    void build() {
        pointers.clear();
        for (auto& s : storage) pointers.push_back(s.data());
        pointers.push_back(nullptr);
    }
};

Strings merged_env(const IdentityPlan& identity, const std::vector<std::string>& extra) {
    std::map<std::string, std::string> env;
    auto put = [&](const std::string& entry) {
        auto eq = entry.find('=');
        env[entry.substr(0, eq)] = entry;
    };
    for (const auto& entry : identity.env_storage) put(entry);
    for (const auto& entry : extra) put(entry);
    Strings out;
    for (auto& [key, entry] : env) out.storage.push_back(std::move(entry));
    out.build();
    return out;
}

}  // namespace

Result<Joiner> Joiner::prepare(const manifests::Workload& workload, JoinOptions options) {
    const auto& iso = workload.spec.isolation;
    auto plan = std::make_shared<Plan>();
    plan->name = workload.metadata.name;
    plan->options = options;
    auto fail_with = [&](const Error& e) { return std::unexpected(join_failed(plan->name, e)); };
    plan->namespaces = workload_namespace_flags(workload);
    plan->namespace_names = names_of(plan->namespaces);
    auto identity = prepare_identity(workload, {});
    if (!identity) return fail_with(identity.error());
    plan->identity = std::move(*identity);
    auto caps = prepare_capabilities(iso, plan->identity.uid);
    if (!caps) return fail_with(caps.error());
    plan->caps = *caps;
    auto seccomp = prepare_seccomp(iso.seccomp, iso.capabilities);
    if (!seccomp) return fail_with(seccomp.error());
    plan->seccomp = std::move(*seccomp);
    return Joiner(std::move(plan));
}

const std::string& Joiner::workload_name() const {
    return plan_->name;
}

Result<JoinedProcess> Joiner::spawn(const JoinTarget& target, const JoinCommand& command) const {
    const Plan& plan = *plan_;
    auto failed = [&](const Error& e) { return std::unexpected(join_failed(plan.name, e)); };
    if (command.argv.empty() || !command.argv[0].starts_with('/'))
        return failed(Error{"execve", EINVAL, "execve: argv[0] must be an absolute path"});

    ProcNamespaces proc;
    if (!plan.options.allow_pidfd_setns) {
        auto opened = open_proc_namespaces(target.pidfd, plan.namespaces);
        if (!opened) return failed(opened.error());
        proc = std::move(*opened);
    }
    JoinedProcess joined;
    auto report = make_pipe();
    if (!report) return failed(report.error());
    joined.report = std::move(report->read);
    Pipe out, err;
    for (auto [given, pipe, read_end] :
         {std::tuple{command.stdout_fd, &out, &joined.stdout_pipe},
          std::tuple{command.stderr_fd, &err, &joined.stderr_pipe}}) {
        if (given >= 0) continue;
        auto made = make_pipe();
        if (!made) return failed(made.error());
        *pipe = std::move(*made);
        *read_end = std::move(pipe->read);
    }
    LaunchRequest fds_request;
    fds_request.stdin_fd = command.stdin_fd;
    fds_request.stdout_fd = command.stdout_fd >= 0 ? command.stdout_fd : out.write.get();
    fds_request.stderr_fd = command.stderr_fd >= 0 ? command.stderr_fd : err.write.get();
    auto fds = prepare_fds(fds_request);
    if (!fds) return failed(fds.error());

    Strings argv{command.argv, {}};
    argv.build();
    Strings env = merged_env(plan.identity, command.env);
    JoinChild child;
    child.plan = &plan;
    child.pidfd = target.pidfd;
    for (std::size_t i = 0; i < kEnterOrder.size(); ++i) child.ns_fds[i] = proc.fds[i].get();
    child.fds = std::move(*fds);
    child.argv = argv.pointers.data();
    child.envp = env.pointers.data();
    child.report_fd = report->write.get();
    child.controlling_tty = command.controlling_tty;
    if (target.cgroup_fd >= 0) child.cgroup_cpus = read_effective_cpus(target.cgroup_fd);

    auto clone_child = [&]() -> Result<Process> {
        int pidfd = -1;
        long rc;
        {
            detail::SignalsBlocked blocked;
            rc = detail::clone3_spawn(0, target.cgroup_fd, &pidfd);
            if (rc == 0) run_join_checklist(child);
        }
        if (rc < 0) {
            errno = static_cast<int>(-rc);
            if (errno == ENOMEM && (plan.namespaces & CLONE_NEWPID) != 0)
                return fail("clone",
                            "clone (the workload's pid namespace has no init: it is "
                            "stopping)",
                            ESRCH);
            return fail_errno("clone", "clone");
        }
        return Process{UniqueFd{pidfd}, static_cast<pid_t>(rc)};
    };
    Result<Process> process =
        (plan.namespaces & CLONE_NEWPID) != 0
            ? on_thread_in(target.pidfd, proc.pid.get(), CLONE_NEWPID, "pid", clone_child)
            : clone_child();
    if (!process) return failed(process.error());
    joined.process = std::move(*process);
    return joined;
}

Result<UniqueFd> Joiner::socket(int pidfd, int domain, int type) const {
    auto make = [&]() -> Result<UniqueFd> {
        UniqueFd fd{::socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
        if (!fd) return fail_errno("socket", "socket");
        return fd;
    };
    if ((plan_->namespaces & CLONE_NEWNET) == 0) return make();
    UniqueFd net;
    if (!plan_->options.allow_pidfd_setns) {
        auto pid = pid_of(pidfd);
        if (!pid) return std::unexpected(join_failed(plan_->name, pid.error()));
        auto opened = open_namespace(*pid, "net");
        if (!opened) return std::unexpected(join_failed(plan_->name, opened.error()));
        if (::syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) != 0)
            return std::unexpected(join_failed(
                plan_->name,
                Error{"setns", errno, "setns(net): the workload's process has exited"}));
        net = std::move(*opened);
    }
    auto fd = on_thread_in(pidfd, net.get(), CLONE_NEWNET, "net", make);
    if (!fd) return std::unexpected(join_failed(plan_->name, fd.error()));
    return fd;
}

Result<std::string> find_command(pid_t pid, const std::string& name, const std::string& path_env) {
    if (name.empty()) return fail("execve", "an empty command name", EINVAL);
    if (name.find('/') != std::string::npos) return name;
    const std::string root_path = "/proc/" + std::to_string(pid) + "/root";
    UniqueFd root{::open(root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)};
    if (!root) return fail_errno("execve", "open " + root_path);
    const std::string path = path_env.empty()
                                 ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
                                 : path_env;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        std::string dir = path.substr(start, end - start);
        start = end + 1;
        if (!dir.starts_with('/')) continue;  // relative entries mean nothing to a daemon
        std::string candidate = dir + (dir.ends_with('/') ? "" : "/") + name;
        // RESOLVE_IN_ROOT: absolute symlinks inside resolve in the workload's root, not ours.
        open_how how{};
        how.flags = O_PATH | O_CLOEXEC;
        how.resolve = RESOLVE_IN_ROOT;
        UniqueFd file{static_cast<int>(
            ::syscall(SYS_openat2, root.get(), candidate.c_str(), &how, sizeof how))};
        struct stat st {};
        if (file && ::fstat(file.get(), &st) == 0 && S_ISREG(st.st_mode) &&
            (st.st_mode & 0111) != 0)
            return candidate;
    }
    return fail("execve", name + ": not found in the workload's PATH (" + path + ")", ENOENT);
}

Result<std::optional<Error>> join_failure(const JoinedProcess& joined,
                                          const std::string& workload_name) {
    auto report = read_child_report(joined.report.get());
    if (!report) return std::unexpected(report.error());
    if (!*report) return std::optional<Error>{};
    return std::optional<Error>{join_failed(workload_name, **report)};
}

}  // namespace edgevisor::isolation
