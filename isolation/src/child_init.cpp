#include "child_init.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "child_step.hpp"

namespace edgevisor::isolation {

Result<InitPlan> prepare_init(const std::string& path) {
    InitPlan init;
    init.path = path;
    // O_PATH: execveat checks the execute permission itself, and the descriptor stays valid
    // after pivot_root has detached the host's filesystem from the child's view.
    init.program.reset(::open(path.c_str(), O_PATH | O_CLOEXEC));
    if (!init.program) return fail_at(Step::init, path, errno);
    return init;
}

void set_init_command(InitPlan& init, const IdentityPlan& identity, int report_fd) {
    init.report_fd = report_fd;
    init.report_fd_text = std::to_string(report_fd);
    init.argv.clear();
    init.argv.push_back(const_cast<char*>("edgevisor-init"));
    init.argv.push_back(init.report_fd_text.data());
    // identity.argv ends with its NULL.
    init.argv.insert(init.argv.end(), identity.argv.begin(), identity.argv.end());
}

StepResult child_prepare_init_fds(const InitPlan& init, int& program_fd, int& report_fd) noexcept {
    if (program_fd == init.report_fd) {
        program_fd = ::fcntl(program_fd, F_DUPFD_CLOEXEC, init.report_fd + 1);
        if (program_fd < 0) return {Step::init, errno, "dup"};
    }
    if (report_fd == init.report_fd) {
        if (::fcntl(report_fd, F_SETFD, 0) != 0) return {Step::init, errno, "report pipe"};
        return step_ok;
    }
    // dup2 leaves close-on-exec off; the old descriptor keeps it and goes at execveat.
    if (::dup2(report_fd, init.report_fd) < 0) return {Step::init, errno, "report pipe"};
    report_fd = init.report_fd;
    return step_ok;
}

StepResult child_exec_init(const InitPlan& init, int program_fd,
                           const IdentityPlan& identity) noexcept {
    sigset_t all;
    ::sigfillset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    ::syscall(SYS_execveat, program_fd, "", init.argv.data(), identity.envp.data(), AT_EMPTY_PATH);
    int error = errno;
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    return {Step::init, error, init.path.c_str()};
}

}  // namespace edgevisor::isolation
