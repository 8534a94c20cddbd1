// stop(): signal, grace, then cgroup.kill; nothing survives, daemonised grandchildren included,
// with cgroup.kill and with the pre-5.14 fallback (freeze, kill every pid, thaw).
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>

#include "cgroup_support.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;
using namespace std::chrono_literals;

namespace {

// The main process daemonises a grandchild (fork, setsid, fork) that reports its pid through
// the pipe and ignores SIGTERM and SIGHUP; the main process then exits, like a classic daemon.
struct Daemonised {
    isolation::Process main;
    pid_t grandchild = -1;
    UniqueFd grandchild_pidfd;
};

Daemonised start_daemon(const isolation::Cgroup& cgroup) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    Daemonised d;
    d.main = spawn_into(cgroup.dir_fd(), [&] {
        if (::fork() != 0) ::_exit(0);  // the first child; the main process exits at once
        ::setsid();
        if (::fork() != 0) ::_exit(0);
        ::signal(SIGTERM, SIG_IGN);
        ::signal(SIGHUP, SIG_IGN);
        pid_t self = ::getpid();
        (void)!::write(write_end.get(), &self, sizeof self);
        for (;;) ::pause();
    });
    write_end.reset();
    REQUIRE(::read(read_end.get(), &d.grandchild, sizeof d.grandchild) == sizeof d.grandchild);
    d.grandchild_pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, d.grandchild, 0)));
    REQUIRE(d.grandchild_pidfd.valid());
    return d;
}

void check_nothing_survives(isolation::CgroupOptions options) {
    // As a subreaper the test adopts the orphaned grandchild and can reap it afterwards.
    REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
    auto tree = open_test_tree(options);
    auto cgroup = tree.create_workload("daemons");
    REQUIRE(cgroup.has_value());
    const std::string path = cgroup->path();
    auto d = start_daemon(*cgroup);
    REQUIRE_FALSE(wait_readable(d.grandchild_pidfd.get(), 0ms));  // alive, outside our reach

    auto outcome = isolation::stop(*cgroup, &d.main, {.signal = SIGTERM, .grace = 2s});
    if (!outcome) FAIL("stop: " << outcome.error().describe());
    CHECK(outcome->exited_in_grace);  // the main process had exited already
    CHECK(outcome->killed);           // but its daemon had to be killed
    // The kernel leaves the cgroup (populated 0) just before it turns the task into a zombie
    // (pidfd readable): allow that instant, not a real delay.
    CHECK(wait_readable(d.grandchild_pidfd.get(), 2s));
    siginfo_t info{};
    REQUIRE(::waitid(P_PIDFD, static_cast<id_t>(d.grandchild_pidfd.get()), &info, WEXITED) == 0);
    CHECK(info.si_code == CLD_KILLED);
    CHECK(info.si_status == SIGKILL);
    CHECK_FALSE(dir_exists(path));
    REQUIRE(isolation::wait_exit(d.main).has_value());
}

}  // namespace

TEST_CASE("stop with cgroup.kill leaves no daemonised grandchild and removes the directory") {
    check_nothing_survives(test_tree_options());
}

TEST_CASE("stop without cgroup.kill (freeze + kill each pid) leaves nothing either") {
    auto options = test_tree_options();
    options.allow_cgroup_kill = false;
    check_nothing_survives(options);
}

TEST_CASE("a main process that exits on SIGTERM is not killed") {
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("polite");
    REQUIRE(cgroup.has_value());
    auto child = spawn_into(cgroup->dir_fd(), [] { ::pause(); });
    auto outcome = isolation::stop(*cgroup, &child, {.signal = SIGTERM, .grace = 5s});
    REQUIRE(outcome.has_value());
    CHECK(outcome->exited_in_grace);
    CHECK_FALSE(outcome->killed);
    auto status = isolation::wait_exit(child);
    REQUIRE(status.has_value());
    CHECK(WTERMSIG(*status) == SIGTERM);
}

TEST_CASE("a main process that ignores SIGTERM is killed when the grace period ends") {
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("stubborn");
    REQUIRE(cgroup.has_value());
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    UniqueFd ready_read(fds[0]), ready_write(fds[1]);
    auto child = spawn_into(cgroup->dir_fd(), [&] {
        ::signal(SIGTERM, SIG_IGN);
        ready_write.reset();  // EOF for the parent: SIGTERM is ignored from here on
        for (;;) ::pause();
    });
    ready_write.reset();
    char byte;
    REQUIRE(::read(ready_read.get(), &byte, 1) == 0);
    const auto start = std::chrono::steady_clock::now();
    auto outcome = isolation::stop(*cgroup, &child, {.signal = SIGTERM, .grace = 400ms});
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE(outcome.has_value());
    CHECK_FALSE(outcome->exited_in_grace);
    CHECK(outcome->killed);
    CHECK(took >= 400ms);
    CHECK(took < 5s);
    auto status = isolation::wait_exit(child);
    REQUIRE(status.has_value());
    CHECK(WTERMSIG(*status) == SIGKILL);
}

TEST_CASE("kill() reaches processes in nested child cgroups, and remove() takes them too") {
    auto tree = open_test_tree();
    auto cgroup = tree.create_workload("nested");
    REQUIRE(cgroup.has_value());
    const std::string inner = cgroup->path() + "/inner";
    REQUIRE(::mkdir(inner.c_str(), 0755) == 0);
    auto inner_cgroup = isolation::Cgroup::open(inner, false);
    REQUIRE(inner_cgroup.has_value());
    auto child = spawn_into(inner_cgroup->dir_fd(), [] { ::pause(); });
    CHECK(cgroup->state()->populated);
    REQUIRE(cgroup->kill().has_value());
    REQUIRE(cgroup->wait_empty(5s).has_value());
    REQUIRE(cgroup->remove().has_value());
    CHECK_FALSE(dir_exists(inner));
    CHECK_FALSE(dir_exists(cgroup->path()));
    REQUIRE(isolation::wait_exit(child).has_value());
}
