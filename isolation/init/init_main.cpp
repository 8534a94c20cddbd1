// edgevisor-init: pid 1 of a workload with isolation.init (child_init.hpp says why one). The
// launcher's child runs its whole checklist (seccomp included) and then execveat()s this
// program from a descriptor opened before pivot_root, so pid 1 is this small static image and
// not a copy of the supervisor's: nothing of the daemon's memory, environment or binary is
// left for the workload to look at.
//
//   edgevisor-init <report-fd> <command> [args...]
//
// <report-fd> is the launcher's report pipe (child_report.hpp): if the command's execve fails
// the failure is written there, as the checklist itself would. Static, plain C++ without
// exceptions or the C++ runtime: it must run inside any root filesystem and cost little.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "child_report.hpp"

namespace {

using edgevisor::isolation::ChildReport;
using edgevisor::isolation::Step;

constexpr int kStartFailedExit = 125;  // child_plan.hpp's, for a failure before the command runs

void report(int fd, Step step, int code, const char* detail) {
    ChildReport r{};
    r.step = static_cast<std::uint32_t>(step);
    r.code = code;
    ::strncpy(r.detail, detail, sizeof r.detail - 1);
    while (::write(fd, &r, sizeof r) < 0 && errno == EINTR) {
    }
}

int parse_fd(const char* text) {
    char* end = nullptr;
    errno = 0;
    long value = ::strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < 0 || value > 1 << 20) return -1;
    return static_cast<int>(value);
}

[[noreturn]] void exit_as(int status) {
    if (WIFSIGNALED(status)) ::_exit(128 + WTERMSIG(status));
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : kStartFailedExit);
}

// Reaps every child that has ended; exits when the command is among them.
void reap(pid_t command) {
    for (;;) {
        int status = 0;
        pid_t ended = ::waitpid(-1, &status, WNOHANG);
        if (ended <= 0) return;
        if (ended == command) exit_as(status);
    }
}

}  // namespace

int main(int argc, char** argv) {
    // First, before the command (the first process of the workload) exists: not dumpable, so
    // /proc/1/mem, /proc/1/environ and /proc/1/exe (a host file) need CAP_SYS_PTRACE over us.
    // The exec made us dumpable again (same uid, readable binary); nothing could race this.
    if (::prctl(PR_SET_DUMPABLE, 0) != 0) return kStartFailedExit;
    // Executed from a descriptor, our name would be that descriptor's number ("/dev/fd/N").
    ::prctl(PR_SET_NAME, "edgevisor-init");
    if (argc < 3) {
        static const char usage[] =
            "usage: edgevisor-init <report-fd> <command> [args...] (run by the launcher)\n";
        (void)!::write(2, usage, sizeof usage - 1);
        return 2;
    }
    const int report_fd = parse_fd(argv[1]);
    if (report_fd < 0) return kStartFailedExit;
    // Every signal waits in the queue for sigwaitinfo below (the launcher execs us with all of
    // them blocked already, so none is lost in between); the command unblocks them first.
    sigset_t all, none;
    ::sigfillset(&all);
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    ::signal(SIGCHLD, SIG_DFL);  // SIG_IGN would make the kernel reap the command for us
    // Only the command's execve is to close it; we close ours once it is forked.
    ::fcntl(report_fd, F_SETFD, FD_CLOEXEC);
    const pid_t command = ::fork();
    if (command < 0) {
        report(report_fd, Step::init, errno, "fork");
        return kStartFailedExit;
    }
    if (command == 0) {
        // A process group of its own, which the init signals as a whole: a shell and the
        // program it waits for both get Ctrl-C's SIGINT, as from a terminal.
        ::setpgid(0, 0);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::execve(argv[2], argv + 2, environ);
        report(report_fd, Step::execve, errno, argv[2]);
        ::_exit(kStartFailedExit);
    }
    // Only the command's copy of the report pipe is left: EOF once its execve succeeded.
    ::close(report_fd);
    for (;;) {
        siginfo_t info{};
        int sig = ::sigwaitinfo(&all, &info);
        if (sig < 0) continue;
        if (sig == SIGCHLD)
            reap(command);
        else if (::kill(-command, sig) != 0)
            ::kill(command, sig);  // it left its group (setsid, setpgid)
    }
}
