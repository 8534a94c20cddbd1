#include "fds.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace edgevisor::isolation {

Result<FdPlan> prepare_fds(const LaunchRequest& request) {
    FdPlan plan;
    auto null_fd = [&]() -> int {
        if (!plan.dev_null) plan.dev_null.reset(::open("/dev/null", O_RDWR | O_CLOEXEC));
        return plan.dev_null.get();
    };
    // An inherited stdout/stderr that is closed (a daemon without a terminal) becomes /dev/null
    // rather than a start failure.
    auto inherit = [&](int requested, int own) {
        if (requested >= 0) return requested;
        return ::fcntl(own, F_GETFD) >= 0 ? own : null_fd();
    };
    plan.sources = {request.stdin_fd >= 0 ? request.stdin_fd : null_fd(),
                    inherit(request.stdout_fd, 1), inherit(request.stderr_fd, 2)};
    for (int fd : request.pass_fds) {
        if (::fcntl(fd, F_GETFD) < 0)
            return fail_at(Step::fds, "pass_fd " + std::to_string(fd), errno);
        plan.sources.push_back(fd);
    }
    for (int fd : plan.sources)
        if (fd < 0) return fail_at(Step::fds, "/dev/null", errno);
    plan.scratch.resize(plan.sources.size());
    plan.high = std::max(static_cast<int>(plan.sources.size()),
                         *std::ranges::max_element(plan.sources) + 1);
    rlimit own{};
    if (::getrlimit(RLIMIT_NOFILE, &own) == 0) plan.caller_soft = own.rlim_cur;
    return plan;
}

StepResult child_park_fd(int& fd, const FdPlan& plan, const char* what) noexcept {
    int parked = ::fcntl(fd, F_DUPFD_CLOEXEC, plan.high);
    if (parked < 0) return {Step::fds, errno, what};
    ::close(fd);
    fd = parked;
    return step_ok;
}

namespace {

// close_range over [first, last], an empty range being no call.
bool close_between(unsigned first, unsigned last) noexcept {
    return first > last || ::syscall(SYS_close_range, first, last, 0) == 0;
}

}  // namespace

StepResult child_setup_fds(const FdPlan& plan, int report_fd, int keep_fd) noexcept {
    // Two passes: park every source above all targets first, so that moving one into place
    // cannot overwrite another that is still to be moved (pass_fds {4, 3} for instance).
    for (std::size_t i = 0; i < plan.sources.size(); ++i) {
        plan.scratch[i] = ::fcntl(plan.sources[i], F_DUPFD_CLOEXEC, plan.high);
        if (plan.scratch[i] < 0) return {Step::fds, errno, "dup"};
    }
    for (std::size_t i = 0; i < plan.sources.size(); ++i) {
        // dup2 clears close-on-exec on the new descriptor.
        if (::dup2(plan.scratch[i], static_cast<int>(i)) < 0) return {Step::fds, errno, "dup2"};
    }
    // Close everything above the targets except the report pipe (and keep_fd, the init's
    // program), which close-on-exec closes at execve (and which must stay open to report a
    // failure of the steps still to come).
    const unsigned first = static_cast<unsigned>(plan.sources.size());
    unsigned low = static_cast<unsigned>(report_fd);
    unsigned high = keep_fd < 0 ? low : static_cast<unsigned>(keep_fd);
    if (high < low) std::swap(low, high);
    if (!close_between(first, low - 1) || !close_between(low + 1, high - 1) ||
        !close_between(high + 1, UINT_MAX))
        return {Step::fds, errno, "close_range"};
    return step_ok;
}

}  // namespace edgevisor::isolation
