#include "cgroup_support.hpp"

#include <linux/sched.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>

#include "skip.hpp"

namespace edgevisor::testing {

isolation::CgroupOptions test_tree_options() {
    isolation::CgroupOptions options;
    options.subtree = "edgevisor-test-" + std::to_string(::getpid());
    options.remove_on_close = true;
    return options;
}

isolation::CgroupTree open_test_tree(isolation::CgroupOptions options) {
    require_root();
    auto tree = isolation::CgroupTree::open(options);
    if (!tree) FAIL("CgroupTree::open: " << tree.error().describe());
    return std::move(*tree);
}

isolation::Process spawn_into(int cgroup_fd, const std::function<void()>& body) {
    // Catch2's fatal-signal handlers would report the child's expected SIGTERM as a failure of
    // the test: the child resets them, with the signals blocked until it has.
    static constexpr int kCaught[] = {SIGINT, SIGILL, SIGFPE, SIGSEGV, SIGTERM, SIGABRT};
    sigset_t block, saved;
    ::sigemptyset(&block);
    for (int sig : kCaught) ::sigaddset(&block, sig);
    ::sigprocmask(SIG_BLOCK, &block, &saved);
    int pidfd = -1;
    clone_args args{};
    args.flags = CLONE_PIDFD | CLONE_INTO_CGROUP;
    args.pidfd = reinterpret_cast<std::uint64_t>(&pidfd);
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<std::uint64_t>(cgroup_fd);
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) {
        for (int sig : kCaught) ::signal(sig, SIG_DFL);
        ::sigprocmask(SIG_SETMASK, &saved, nullptr);
        body();
        ::_exit(0);
    }
    ::sigprocmask(SIG_SETMASK, &saved, nullptr);
    REQUIRE(pid > 0);
    return isolation::Process{UniqueFd(pidfd), static_cast<pid_t>(pid)};
}

void spin_forever() {
    volatile unsigned long counter = 0;
    for (;;) counter = counter + 1;
}

bool wait_readable(int fd, std::chrono::milliseconds timeout) {
    pollfd p{fd, POLLIN, 0};
    int n;
    do {
        n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (n < 0 && errno == EINTR);
    return n > 0 && (p.revents & POLLIN);
}

bool dir_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

int in_child(const std::function<int()>& fn) {
    std::fflush(nullptr);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int code = fn();
        std::fflush(nullptr);
        ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
}

}  // namespace edgevisor::testing
