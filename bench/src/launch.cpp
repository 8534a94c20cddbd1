#include "launch.hpp"

#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include <cstring>

extern char** environ;

namespace edgevisor::bench {
namespace {

double to_ms(const timespec& t) {
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

double to_ms(const timeval& t) {
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3;
}

// posix_spawn file actions owned for the duration of one launch.
class FileActions {
  public:
    FileActions() { posix_spawn_file_actions_init(&actions_); }
    FileActions(const FileActions&) = delete;
    FileActions& operator=(const FileActions&) = delete;
    ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
    posix_spawn_file_actions_t* get() { return &actions_; }

  private:
    posix_spawn_file_actions_t actions_{};
};

Status enter_mount_namespace(int fd, const char* which) {
    if (fd >= 0 && ::setns(fd, CLONE_NEWNS) != 0) {
        return fail_errno("setns", std::string("enter the ") + which + " mount namespace");
    }
    return {};
}

// Waits for every process left behind by the launch: orphans are re-parented to us (we are a
// child subreaper), so their CPU time joins RUSAGE_CHILDREN too. A launcher that exits before
// its helpers (bubblewrap reports pid 2's status and leaves pid 1 to tear the namespaces down)
// would otherwise have that work counted nowhere.
Status reap_leftovers() {
    for (;;) {
        const pid_t pid = ::waitpid(-1, nullptr, 0);
        if (pid > 0) continue;
        if (errno == EINTR) continue;
        if (errno == ECHILD) return {};
        return fail_errno("waitpid", "reap the launcher's leftover processes");
    }
}

double children_cpu_ms() {
    rusage usage{};
    ::getrusage(RUSAGE_CHILDREN, &usage);
    return to_ms(usage.ru_utime) + to_ms(usage.ru_stime);
}

}  // namespace

Status become_subreaper() {
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
        return fail_errno("prctl", "become a child subreaper (PR_SET_CHILD_SUBREAPER)");
    }
    return {};
}

Command::Command(std::vector<std::string> args) : args_(std::move(args)) {
    pointers_.reserve(args_.size() + 1);
    for (auto& arg : args_) pointers_.push_back(arg.data());
    pointers_.push_back(nullptr);
}

std::string Command::text() const {
    std::string out;
    for (const auto& arg : args_) {
        if (!out.empty()) out += ' ';
        const bool quote = arg.find_first_of(" '\"$;&|") != std::string::npos;
        out += quote ? "'" + arg + "'" : arg;
    }
    return out;
}

bool Sample::succeeded() const {
    return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
}

std::string Sample::describe_status() const {
    if (WIFEXITED(wait_status)) return "exit status " + std::to_string(WEXITSTATUS(wait_status));
    if (WIFSIGNALED(wait_status)) {
        return std::string("killed by signal ") + ::strsignal(WTERMSIG(wait_status));
    }
    return "wait status " + std::to_string(wait_status);
}

Result<Sample> time_launch(const Command& command, const LaunchOptions& options) {
    FileActions actions;
    posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0);
    if (options.output_fd >= 0) {
        posix_spawn_file_actions_adddup2(actions.get(), options.output_fd, 1);
        posix_spawn_file_actions_adddup2(actions.get(), options.output_fd, 2);
    }

    // Entering the namespace is set-up, not launch cost: it stays outside the timed span.
    if (auto entered = enter_mount_namespace(options.mount_ns_fd, "launcher's"); !entered) {
        return std::unexpected(entered.error());
    }
    const double cpu_before = children_cpu_ms();
    timespec start{};
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = -1;
    const int spawn_error =
        ::posix_spawn(&pid, command.argv()[0], actions.get(), nullptr, command.argv(), environ);
    int wait_status = 0;
    pid_t waited = -1;
    if (spawn_error == 0) {
        do {
            waited = ::waitpid(pid, &wait_status, 0);
        } while (waited < 0 && errno == EINTR);
    }
    timespec end{};
    ::clock_gettime(CLOCK_MONOTONIC, &end);
    const int wait_errno = errno;
    if (auto reaped = reap_leftovers(); !reaped) return std::unexpected(reaped.error());
    const double cpu_after = children_cpu_ms();

    if (options.mount_ns_fd >= 0) {
        if (auto back = enter_mount_namespace(options.home_mount_ns_fd, "benchmark's"); !back) {
            return std::unexpected(back.error());
        }
    }
    if (spawn_error != 0) {
        return fail("posix_spawn", "spawn " + command.args().front(), spawn_error);
    }
    if (waited < 0) return fail("wait4", "wait for " + command.args().front(), wait_errno);

    Sample sample;
    sample.wall_ms = to_ms(end) - to_ms(start);
    sample.cpu_ms = cpu_after - cpu_before;
    sample.wait_status = wait_status;
    return sample;
}

}  // namespace edgevisor::bench
