// Launcher::launch: prepare every step in the parent, clone into the namespaces (and the
// cgroup), let the child run its checklist, and turn its report into an Error.
#include "edgevisor/isolation/launcher.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

#include "child_plan.hpp"
#include "child_report.hpp"
#include "clone.hpp"
#include "cpu_affinity.hpp"
#include "edgevisor/isolation/warnings.hpp"
#include "edgevisor/log.hpp"
#include "idmapped.hpp"

namespace edgevisor::isolation {
namespace {

using detail::clone3_spawn;
using detail::clone_spawn;
using detail::SignalsBlocked;

// Kernel support learnt at run time, shared by all launchers of the process.
std::atomic<bool> g_no_clone3{false};
std::atomic<bool> g_no_into_cgroup{false};

// Every start failure reads "<name>: start failed at <step>(<object>): <reason>": the step
// part comes from step_text (child_step.hpp), the reason from Error::describe().
Error start_failed(const std::string& name, Error error) {
    error.message = name + ": start failed at " + error.message;
    return error;
}

Error start_failed(const manifests::Workload& workload, Error error) {
    return start_failed(workload.metadata.name, std::move(error));
}

struct Spawned {
    pid_t pid = -1;
    UniqueFd pidfd;
};

class Spawner {
  public:
    Spawner(const LauncherOptions& options, ChildPlan& plan, int cgroup_fd)
        : options_(options), plan_(plan), cgroup_fd_(cgroup_fd) {}

    Result<Spawned> spawn() {
        bool use_clone3 = options_.allow_clone3 && !g_no_clone3.load();
        bool into = cgroup_fd_ >= 0 && options_.allow_clone_into_cgroup && !g_no_into_cgroup.load();
        for (;;) {
            if (!use_clone3) into = false;
            if (auto st = configure(into); !st) return std::unexpected(st.error());
            long rc;
            int pidfd = -1;
            {
                SignalsBlocked blocked;
                rc = use_clone3 ? clone3_spawn(flags(into), into ? cgroup_fd_ : -1, &pidfd)
                                : clone_spawn(flags(into));
                if (rc == 0) run_child_checklist(plan_);
            }
            if (rc > 0) return finish(static_cast<pid_t>(rc), pidfd, use_clone3);
            int err = static_cast<int>(-rc);
            if (use_clone3 && err == ENOSYS) {
                g_no_clone3 = true;
                log::info(
                    "launcher: clone3 not available (ENOSYS, Linux < 5.3): using clone + "
                    "pidfd_open");
                use_clone3 = false;
            } else if (into && err == E2BIG) {
                g_no_into_cgroup = true;
                log::info(
                    "launcher: CLONE_INTO_CGROUP not available (E2BIG, Linux < 5.7): joining via "
                    "cgroup.procs");
                into = false;
            } else if (into && err == EINVAL) {
                log::info(
                    "launcher: clone3 refused CLONE_INTO_CGROUP (EINVAL): joining via "
                    "cgroup.procs");
                into = false;
            } else {
                errno = err;
                return fail_at(Step::clone, "namespaces " + flag_names(), errno);
            }
        }
    }

  private:
    std::uint64_t flags(bool into) const {
        std::uint64_t f = plan_.ns.clone_flags;
        // Without CLONE_INTO_CGROUP the child joins its cgroup itself, and only then may it
        // create the cgroup namespace (which is rooted at the cgroup it is in).
        if (cgroup_fd_ >= 0 && !into) f &= ~static_cast<std::uint64_t>(CLONE_NEWCGROUP);
        return f;
    }

    Status configure(bool into) {
        plan_.cgroup_procs_fd = -1;
        plan_.unshare_cgroup_ns = false;
        plan_.cgroup_cpus.reset();
        if (cgroup_fd_ >= 0 && into) plan_.cgroup_cpus = read_effective_cpus(cgroup_fd_);
        if (cgroup_fd_ < 0 || into) return {};
        if (!procs_) {
            procs_.reset(::openat(cgroup_fd_, "cgroup.procs", O_WRONLY | O_CLOEXEC));
            if (!procs_) return fail_at(Step::cgroup, "cgroup.procs", errno);
        }
        plan_.cgroup_procs_fd = procs_.get();
        plan_.unshare_cgroup_ns = plan_.ns.cgroup;
        return {};
    }

    Result<Spawned> finish(pid_t pid, int pidfd, bool used_clone3) {
        Spawned s;
        s.pid = pid;
        if (used_clone3) {
            s.pidfd.reset(pidfd);
        } else {
            s.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
            if (!s.pidfd) {
                auto err = fail_at(Step::clone, "pidfd_open " + std::to_string(pid), errno);
                ::kill(pid, SIGKILL);
                return err;
            }
        }
        return s;
    }

    std::string flag_names() const {
        static constexpr std::pair<std::uint64_t, const char*> names[] = {
            {CLONE_NEWPID, "pid"},  {CLONE_NEWNS, "mount"}, {CLONE_NEWIPC, "ipc"},
            {CLONE_NEWUTS, "uts"},  {CLONE_NEWNET, "net"},  {CLONE_NEWCGROUP, "cgroup"},
            {CLONE_NEWUSER, "user"}};
        std::string out;
        for (auto [flag, name] : names)
            if (plan_.ns.clone_flags & flag) out += (out.empty() ? "" : ",") + std::string(name);
        return out.empty() ? "none" : out;
    }

    const LauncherOptions& options_;
    ChildPlan& plan_;
    int cgroup_fd_;
    UniqueFd procs_;
};

// Kills and reaps a child that will not become the workload.
void discard(const Spawned& child) {
    ::syscall(SYS_pidfd_send_signal, child.pidfd.get(), SIGKILL, nullptr, 0);
    Process p{UniqueFd{::dup(child.pidfd.get())}, child.pid};
    (void)wait_exit(p);
}

}  // namespace

Result<ChildPlan> prepare_launch(const LaunchRequest& request, const LauncherOptions& options) {
    const auto& workload = *request.workload;
    const auto& iso = workload.spec.isolation;
    ChildPlan plan;
    // The identity first: a default user namespace maps the ids it names through.
    auto identity = prepare_identity(workload, request.extra_args);
    if (!identity) return std::unexpected(identity.error());
    plan.identity = std::move(*identity);
    if (options.default_nofile &&
        std::none_of(plan.identity.rlimits.begin(), plan.identity.rlimits.end(),
                     [](const RlimitSetting& r) { return r.resource == RLIMIT_NOFILE; }))
        plan.identity.rlimits.push_back({RLIMIT_NOFILE, *options.default_nofile, "nofile"});
    NamedIds named{{plan.identity.uid}, {plan.identity.gid}};
    named.gids.insert(named.gids.end(), plan.identity.groups.begin(), plan.identity.groups.end());
    auto ns = prepare_namespaces(workload, request.id_range, named);
    if (!ns) return std::unexpected(ns.error());
    plan.ns = std::move(*ns);
    auto rootfs = prepare_rootfs(
        iso, plan.ns.mount,
        MountPrepareOptions{options.allow_mount_setattr, options.runtime_dir,
                            options.supervisor_paths, plan.ns.root_uid, plan.ns.root_gid});
    if (!rootfs) return std::unexpected(rootfs.error());
    plan.rootfs = std::move(*rootfs);
    auto caps = prepare_capabilities(iso, plan.identity.uid);
    if (!caps) return std::unexpected(caps.error());
    plan.caps = *caps;
    // The granted capabilities decide an imported profile's includes/excludes.caps entries.
    auto seccomp = prepare_seccomp(iso.seccomp, iso.capabilities);
    // Its errors are sentences ("custom policy: unknown syscall 'x'"), with the errno last.
    if (!seccomp)
        return fail_at(Step::seccomp, "", seccomp.error().code, seccomp.error().describe());
    plan.seccomp = std::move(*seccomp);
    for (const auto& warning : plan.seccomp->warnings)
        log::warn("{}: seccomp: {}", workload.metadata.name, warning);
    auto fds = prepare_fds(request);
    if (!fds) return std::unexpected(fds.error());
    plan.fds = std::move(*fds);
    // Opened here, in the host's filesystem: the child pivots into the workload's root before
    // it execs the init.
    if (iso.init) {
        auto init = prepare_init(options.init_path);
        if (!init) return std::unexpected(init.error());
        plan.init = std::move(*init);
    }
    return plan;
}

Launcher::Launcher(LauncherOptions options) : options_(options) {}

Result<Process> Launcher::launch(const LaunchRequest& request) {
    auto started = start(request);
    if (!started) return std::unexpected(started.error());
    return finish(std::move(*started));
}

Result<StartedChild> Launcher::start(const LaunchRequest& request) {
    if (request.workload == nullptr) return fail_at(Step::launch, "", EINVAL, "no workload given");
    const auto& workload = *request.workload;
    auto plan = prepare_launch(request, options_);
    if (!plan) return std::unexpected(start_failed(workload, plan.error()));
    for (const auto& warning : isolation_warnings(workload))
        log::warn("{}: {}", workload.metadata.name, warning);

    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0)
        return std::unexpected(
            start_failed(workload, fail_at(Step::launch, "pipe", errno).error()));
    UniqueFd report_read{report[0]};
    UniqueFd report_write{report[1]};
    // The workload's user namespace (and the namespaces it owns) exist before its clone: the
    // child builds its mounts as the host's root and enters them only then (namespaces.hpp).
    UserNamespaces userns;
    if (plan->ns.user) {
        auto opened = open_user_namespace(plan->ns);
        if (!opened) return std::unexpected(start_failed(workload, opened.error()));
        userns = std::move(*opened);
        plan->ns.user_fd = userns.user.get();
        plan->ns.net_fd = userns.net.get();
        plan->ns.uts_fd = userns.uts.get();
        plan->ns.ipc_fd = userns.ipc.get();
    }
    std::vector<UniqueFd> idmapped;
    if (plan->ns.user && options_.allow_idmapped_mounts)
        idmapped = prepare_idmapped_binds(plan->rootfs, userns.user.get(), workload.metadata.name);
    plan->report_fd = report_write.get();
    plan->kill_with_parent = request.kill_when_caller_exits;
    // The report pipe reaches the init as the first descriptor above the workload's own.
    if (plan->init.program)
        set_init_command(plan->init, plan->identity, static_cast<int>(plan->fds.sources.size()));
    UniqueFd caller;
    if (plan->kill_with_parent) {
        caller.reset(static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0)));
        if (!caller)
            return std::unexpected(
                start_failed(workload, fail_at(Step::pdeathsig, "pidfd_open", errno).error()));
        plan->caller_pidfd = caller.get();
    }

    Spawner spawner(options_, *plan, request.cgroup_fd);
    auto child = spawner.spawn();
    if (!child) return std::unexpected(start_failed(workload, child.error()));
    report_write.reset();
    // What the parent opened for the child (namespaces, idmapped trees, cgroup.procs) the child
    // holds copies of now: only the report pipe is needed until it execs.
    return StartedChild{Process{std::move(child->pidfd), child->pid}, std::move(report_read),
                        workload.metadata.name};
}

Result<Process> Launcher::finish(StartedChild child) {
    auto report_result = read_child_report(child.report.get());
    if (!report_result || *report_result) {
        Error error = report_result ? **report_result : report_result.error();
        discard(Spawned{child.process.pid, std::move(child.process.pidfd)});
        return std::unexpected(start_failed(child.name, std::move(error)));
    }
    log::debug("{}: started pid {}", child.name, child.process.pid);
    return std::move(child.process);
}

}  // namespace edgevisor::isolation
