#include "clone.hpp"

#include <linux/sched.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace edgevisor::isolation::detail {

SignalsBlocked::SignalsBlocked() {
    sigset_t all;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &saved_);
}

SignalsBlocked::~SignalsBlocked() {
    ::pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
}

void child_reset_signals() noexcept {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);  // EINVAL for KILL/STOP
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

long clone3_spawn(std::uint64_t flags, int cgroup_fd, int* pidfd) {
    clone_args args{};
    args.flags = flags | CLONE_PIDFD | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
    args.pidfd = reinterpret_cast<std::uint64_t>(pidfd);
    args.exit_signal = SIGCHLD;
    if (cgroup_fd >= 0) args.cgroup = static_cast<std::uint64_t>(cgroup_fd);
    // Fork-like: no new stack, the child continues here on a copy of ours.
    long rc = ::syscall(SYS_clone3, &args, cgroup_fd >= 0 ? sizeof args : CLONE_ARGS_SIZE_VER0);
    return rc < 0 ? -errno : rc;
}

long clone_spawn(std::uint64_t flags) {
    // The 3rd argument is the parent tid pointer on every architecture's clone() ordering;
    // we pass none and open the pidfd afterwards (safe: the child cannot be reaped yet).
    long rc = ::syscall(SYS_clone, static_cast<unsigned long>(flags) | SIGCHLD, nullptr, nullptr,
                        nullptr, nullptr);
    return rc < 0 ? -errno : rc;
}

}  // namespace edgevisor::isolation::detail
