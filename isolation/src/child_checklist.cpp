// The child's whole life between clone and execve, as one ordered checklist.
//
// Rules here: no allocation, no logging, no locks (the supervisor has other threads, whose
// locks may have been held at the moment of clone and are never released in this copy).
// Every step returns a StepResult; the first failure is written to the report pipe and the
// child exits. The order follows DESIGN.md and the mature runtimes (runc, crun, nsjail).
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "child_init.hpp"
#include "child_plan.hpp"
#include "child_report.hpp"
#include "clone.hpp"
#include "cpu_affinity.hpp"

namespace edgevisor::isolation {
namespace {

[[noreturn]] void fail_step(int report_fd, const StepResult& r) noexcept {
    child_report(report_fd, r.step, r.code, r.detail);
    ::_exit(kStartFailedExit);
}

StepResult errno_step(Step step, int code, const char* detail = nullptr) noexcept {
    return {step, code, detail};
}

StepResult join_cgroup_late(const ChildPlan& plan) noexcept {
    if (plan.cgroup_procs_fd >= 0 && ::write(plan.cgroup_procs_fd, "0", 1) != 1)
        return {Step::cgroup, errno, "cgroup.procs"};
    if (plan.unshare_cgroup_ns && ::unshare(CLONE_NEWCGROUP) != 0)
        return {Step::cgroup_namespace, errno, nullptr};
    return step_ok;
}

// The caller may have died between clone and this point, when no death signal was set yet:
// its pidfd, readable once it has exited, closes that window.
StepResult child_die_with_caller(int caller_pidfd) noexcept {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return {Step::pdeathsig, errno, nullptr};
    pollfd caller{caller_pidfd, POLLIN, 0};
    int ready = ::poll(&caller, 1, 0);
    if (ready < 0) return {Step::pdeathsig, errno, "poll(caller pidfd)"};
    if (ready > 0) ::_exit(kStartFailedExit);  // nobody is left to read a report
    return step_ok;
}

}  // namespace

[[noreturn]] void run_child_checklist(const ChildPlan& plan) noexcept {
    int report = plan.report_fd;
    int init_program = plan.init.program.get();
    auto check = [&](const StepResult& r) {
        if (!r.ok()) fail_step(report, r);
    };
    check(child_park_fd(report, plan.fds, "report pipe"));
    if (init_program >= 0) check(child_park_fd(init_program, plan.fds, "init program"));
    detail::child_reset_signals();
    // Into the cgroup before anything else (only without CLONE_INTO_CGROUP), so that all we
    // allocate is charged to the workload and the cgroup namespace is rooted there.
    check(join_cgroup_late(plan));
    if (plan.cgroup_cpus) check(child_fix_affinity(*plan.cgroup_cpus));
    // The user namespace's network, uts and ipc namespaces, before the mounts: a fresh /sys
    // shows the network namespace of the process that mounts it.
    check(child_join_owned_namespaces(plan.ns));

    // Filesystem first, as the host's root in a mount namespace that the host's user namespace
    // owns: nothing the workload will hold inside can undo a mount made here (namespaces.hpp).
    check(child_setup_rootfs(plan.rootfs));
    check(child_apply_namespaces(plan.ns));  // hostname, loopback
    // Raising a hard limit needs the host's root.
    check(child_set_rlimits(plan.identity, fd_room(plan.fds)));
    check(child_new_session());
    // Only now into the workload's user namespace, as its root.
    check(child_enter_user_namespace(plan.ns));

    // Privileges. The bounding set must be dropped while we still hold CAP_SETPCAP; the
    // securebits keep setresuid from wiping (or re-granting) the sets we then apply.
    check(errno_step(Step::drop_bounding, child_drop_bounding(plan.caps)));
    check(errno_step(Step::securebits, child_lock_securebits(plan.caps)));
    check(child_set_ids(plan.identity));
    // After the uid change, which clears the parent-death signal.
    if (plan.kill_with_parent) check(child_die_with_caller(plan.caller_pidfd));
    check(errno_step(Step::capabilities, child_apply_sets(plan.caps)));
    check(child_chdir(plan.identity));  // as the workload's user, inside the new root

    // no_new_privs before seccomp: the kernel lets an unprivileged process (we may just have
    // dropped CAP_SYS_ADMIN) install a filter only with no_new_privs set, and it keeps execve
    // of a setuid binary from regaining what we dropped.
    check(errno_step(Step::no_new_privs, child_set_no_new_privs(plan.caps)));
    check(child_setup_fds(plan.fds, report, init_program));
    if (init_program >= 0) check(child_prepare_init_fds(plan.init, init_program, report));
    check(child_final_nofile(plan.identity));

    // Seccomp last, so its policy need not allow any of the setup calls above (mount,
    // pivot_root, setresuid, capset...); only write (the report) and execve follow.
    if (plan.seccomp) check(errno_step(Step::seccomp, child_load_seccomp(*plan.seccomp)));
    // A capability retained for loading the filter (noNewPrivileges: false) goes at execve (or
    // the init's execveat): it is in neither the bounding, inheritable nor ambient set.
    if (init_program >= 0)
        fail_step(report, child_exec_init(plan.init, init_program, plan.identity));
    ::execve(plan.identity.argv[0], plan.identity.argv.data(), plan.identity.envp.data());
    fail_step(report, {Step::execve, errno, plan.identity.argv[0]});
}

}  // namespace edgevisor::isolation
