#include "child_init.hpp"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "child_plan.hpp"
#include "child_report.hpp"

namespace edgevisor::isolation {
namespace {

[[noreturn]] void exit_as(int status) noexcept {
    if (WIFSIGNALED(status)) ::_exit(128 + WTERMSIG(status));
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : kStartFailedExit);
}

// Reaps every child that has ended; exits when the command is among them.
void reap(pid_t command) noexcept {
    for (;;) {
        int status = 0;
        pid_t ended = ::waitpid(-1, &status, WNOHANG);
        if (ended <= 0) return;
        if (ended == command) exit_as(status);
    }
}

}  // namespace

void child_run_init(const IdentityPlan& identity, int report_fd) noexcept {
    // Every signal waits in the queue for sigwaitinfo below; the command unblocks them first.
    sigset_t all, none;
    ::sigfillset(&all);
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    // Raw clone, not fork(): glibc's fork takes locks (malloc's) that a thread of the process
    // we were cloned from may have held at that moment.
    long command = ::syscall(SYS_clone, static_cast<unsigned long>(SIGCHLD), nullptr, nullptr,
                             nullptr, nullptr);
    if (command < 0) {
        child_report(report_fd, Step::init, errno, "fork");
        ::_exit(kStartFailedExit);
    }
    if (command == 0) {
        // A process group of its own, which the init signals as a whole: a shell and the
        // program it waits for both get Ctrl-C's SIGINT, as from a terminal.
        ::setpgid(0, 0);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::execve(identity.argv[0], identity.argv.data(), identity.envp.data());
        child_report(report_fd, Step::execve, errno, identity.argv[0]);
        ::_exit(kStartFailedExit);
    }
    // Only the command's copy of the report pipe is left: EOF once its execve succeeded.
    ::close(report_fd);
    for (;;) {
        siginfo_t info{};
        int sig = ::sigwaitinfo(&all, &info);
        if (sig < 0) continue;
        if (sig == SIGCHLD)
            reap(static_cast<pid_t>(command));
        else if (::kill(-static_cast<pid_t>(command), sig) != 0)
            ::kill(static_cast<pid_t>(command), sig);  // it left its group (setsid, setpgid)
    }
}

}  // namespace edgevisor::isolation
