// Stops that must end: a workload killed at its stop timeout counts as stopped once its cgroup
// is empty, even when the kernel never reports its main process ended.
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

#include "daemon_support.hpp"
#include "skip.hpp"

using namespace edgevisor::testing;

namespace {

// A process that entered the pid namespace of `init` from outside (setns, then fork: as
// nsenter, or a probe that joins a workload, does) with a child there that has exited and that
// it does not reap until this object goes. A killed init leaves its cgroup at once, but the
// kernel reports it ended (its pidfd) only once every process of its namespace is reaped: this
// zombie holds that back.
class ZombieInNamespace {
  public:
    explicit ZombieInNamespace(pid_t init) {
        int ready[2], release[2];
        if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(release, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe2 failed");
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::close(ready[0]);
            ::close(release[1]);
            std::string ns = "/proc/" + std::to_string(init) + "/ns/pid";
            int fd = ::open(ns.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0 || ::setns(fd, CLONE_NEWPID) != 0) ::_exit(1);
            pid_t child = ::fork();
            if (child == 0) ::_exit(0);
            if (child < 0) ::_exit(1);
            // Still a zombie: siginfo is not consumed (WNOWAIT).
            siginfo_t info{};
            ::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT);
            char byte = 1;
            if (::write(ready[1], &byte, 1) != 1) ::_exit(1);
            (void)::read(release[0], &byte, 1);  // until the test lets go (or ends)
            ::waitpid(child, nullptr, 0);
            ::_exit(0);
        }
        ::close(ready[1]);
        ::close(release[0]);
        release_ = release[1];
        char byte = 0;
        ok_ = ::read(ready[0], &byte, 1) == 1;
        ::close(ready[0]);
    }
    ~ZombieInNamespace() {
        ::close(release_);
        ::waitpid(pid_, nullptr, 0);
    }
    ZombieInNamespace(const ZombieInNamespace&) = delete;
    ZombieInNamespace& operator=(const ZombieInNamespace&) = delete;
    [[nodiscard]] bool ok() const { return ok_; }

  private:
    pid_t pid_ = -1;
    int release_ = -1;
    bool ok_ = false;
};

}  // namespace

TEST_CASE(
    "a killed workload whose cgroup is empty is stopped though its init is not reported ended") {
    require_root();
    Daemon d;
    // pid 1 of its namespace ignores SIGTERM: the stop ends with cgroup.kill.
    d.write_manifest("a.yaml", workload_yaml("held",
                                             "  command: [/bin/sleep, \"1000\"]\n"
                                             "  stopTimeout: 200ms\n"));
    d.start();
    REQUIRE(d.wait_state("held", "running"));
    const pid_t init = d.workload("held")->value("pid", 0);
    REQUIRE(init > 0);
    ZombieInNamespace zombie(init);
    REQUIRE(zombie.ok());
    d.remove_manifest("a.yaml");
    // Without the cgroup check the daemon waited for the init's exit for ever.
    bool removed = d.wait_for([&](const Json&) { return !d.workload("held"); }, 30s);
    INFO(d.daemon_output());
    REQUIRE(removed);
    CHECK(d.daemon_output().find("held: did not stop within 200 ms") != std::string::npos);
    CHECK(d.daemon_output().find("held: its cgroup is empty") != std::string::npos);
    CHECK(d.cgroup_pids("held").empty());
    CHECK(d.stop() == 0);
}

TEST_CASE("a workload in backoff whose stop waits for its dependent is not started again") {
    require_root();
    Daemon d;
    d.write_manifest("base.yaml",
                     workload_yaml("base",
                                   "  command: [/bin/sh, -c, \"sleep 0.3; exit 1\"]\n"
                                   "  restart: {policy: always, backoff: {initial: 1500ms, "
                                   "max: 1500ms}}\n"));
    // Ignores SIGTERM: its stop takes the whole grace period, and base's waits for it.
    d.write_manifest("top.yaml",
                     workload_yaml("top",
                                   "  command: [/bin/sh, -c, \"trap '' TERM; while :; do sleep "
                                   "0.1; done\"]\n"
                                   "  dependsOn: [{name: base, condition: started}]\n"
                                   "  stopTimeout: 4s\n"));
    d.start();
    REQUIRE(d.wait_state("top", "running"));
    REQUIRE(d.wait_state("base", "backoff"));
    auto starts = [&] {
        std::string out = d.daemon_output();
        std::size_t n = 0;
        for (auto at = out.find("base: started, pid"); at != std::string::npos;
             at = out.find("base: started, pid", at + 1))
            ++n;
        return n;
    };
    std::size_t before = starts();
    ::kill(d.pid(), SIGTERM);
    CHECK(d.stop() == 0);
    // base's backoff timer (1.5 s) ended during top's 4 s stop: base stayed down.
    CHECK(starts() == before);
}
