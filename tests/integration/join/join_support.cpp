#include "join_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "id_range.hpp"
#include "skip.hpp"

namespace edgevisor::testing {
namespace {

constexpr auto kDeadline = std::chrono::seconds(30);

bool read_some(int fd, std::string& into) {
    char buf[65536];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) into.append(buf, static_cast<std::size_t>(n));
    return n != 0 && !(n < 0 && errno != EAGAIN && errno != EINTR);
}

}  // namespace

RunningWorkload::RunningWorkload(manifests::Workload workload, int cgroup_fd)
    : workload_(std::move(workload)) {
    require_root();
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    stdout_.reset(fds[0]);
    UniqueFd write_end{fds[1]};
    isolation::LaunchRequest request;
    request.workload = &workload_;
    request.stdout_fd = write_end.get();
    request.cgroup_fd = cgroup_fd;
    request.kill_when_caller_exits = true;
    request.id_range = test_id_range(workload_);
    auto process = isolation::Launcher().launch(request);
    if (!process) FAIL("launch failed: " << process.error().describe());
    process_ = std::move(*process);
}

RunningWorkload::~RunningWorkload() {
    if (!process_.pidfd) return;
    ::syscall(SYS_pidfd_send_signal, process_.pidfd.get(), SIGKILL, nullptr, 0);
    (void)isolation::wait_exit(process_);
}

void RunningWorkload::wait_for_line(const std::string& line) {
    auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (seen_.find(line + "\n") == std::string::npos) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        pollfd p{stdout_.get(), POLLIN, 0};
        ::poll(&p, 1, 1000);
        if (p.revents != 0) REQUIRE(read_some(stdout_.get(), seen_));
    }
}

JoinedOutput collect(isolation::JoinedProcess& joined, const std::string& workload_name) {
    JoinedOutput result;
    auto deadline = std::chrono::steady_clock::now() + kDeadline;
    bool out_open = joined.stdout_pipe.valid(), err_open = joined.stderr_pipe.valid();
    while (out_open || err_open) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        pollfd p[2] = {{out_open ? joined.stdout_pipe.get() : -1, POLLIN, 0},
                       {err_open ? joined.stderr_pipe.get() : -1, POLLIN, 0}};
        ::poll(p, 2, 1000);
        if (p[0].revents != 0) out_open = read_some(joined.stdout_pipe.get(), result.out);
        if (p[1].revents != 0) err_open = read_some(joined.stderr_pipe.get(), result.err);
    }
    auto status = isolation::wait_exit(joined.process);
    REQUIRE(status.has_value());
    result.status = *status;
    auto failure = isolation::join_failure(joined, workload_name);
    REQUIRE(failure.has_value());
    result.failure = *failure;
    return result;
}

JoinedOutput join_and_collect(const RunningWorkload& running, std::vector<std::string> argv,
                              isolation::JoinOptions options, int cgroup_fd) {
    auto joiner = isolation::Joiner::prepare(running.workload(), options);
    if (!joiner) FAIL("prepare: " << joiner.error().describe());
    isolation::JoinCommand command;
    command.argv = std::move(argv);
    auto joined = joiner->spawn({running.process().pidfd.get(), cgroup_fd}, command);
    if (!joined) FAIL("spawn: " << joined.error().describe());
    return collect(*joined, running.workload().metadata.name);
}

std::string namespace_of(pid_t pid, const std::string& ns) {
    char buf[256];
    std::string path = "/proc/" + std::to_string(pid) + "/ns/" + ns;
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    return n < 0 ? "" : std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace edgevisor::testing
