// Many workloads at once: 1000 sleeping workloads converge (no cgroup controllers needed), with
// the daemon started under systemd's default soft limit of 1024 open files; and the hand-over
// of log pipes to edgevisor-fdholder never blocks the loop, even with the holder stopped.
#include <signal.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <thread>

#include "daemon_support.hpp"
#include "skip.hpp"

using namespace edgevisor::testing;

namespace {

std::string sleepers(int count, const std::string& prefix) {
    std::string text;
    for (int i = 0; i < count; ++i)
        text += "---\n" + workload_yaml(prefix + std::to_string(i),
                                        "  command: [/bin/sleep, \"100000\"]\n  stopTimeout: 0s\n");
    return text;
}

std::size_t count_running(const Json& status) {
    std::size_t n = 0;
    if (status.contains("workloads"))
        for (const auto& w : status["workloads"])
            if (w.value("state", "") == "running") ++n;
    return n;
}

std::int64_t pid_of(const Daemon& d, const std::string& name) {
    auto w = d.workload(name);
    return w ? w->value("pid", std::int64_t{0}) : 0;
}

std::string soft_open_files(std::int64_t pid) {
    std::ifstream limits("/proc/" + std::to_string(pid) + "/limits");
    for (std::string line; std::getline(limits, line);)
        if (line.starts_with("Max open files")) {
            std::istringstream fields(line.substr(14));
            std::string soft;
            fields >> soft;
            return soft;
        }
    return "";
}

}  // namespace

TEST_CASE("1000 sleeping workloads converge, and the daemon stops them all and exits 0") {
    require_root();
    Daemon d("", "{id: test-node}", "info");
    d.set_open_files_soft(1024);
    d.write_manifest("many.yaml", sleepers(1000, "w"));
    d.start();
    INFO(d.daemon_output().substr(0, 4000));
    // Generous: 1000 clones on a loaded 2-core machine. Convergence is what is checked, not time.
    REQUIRE(d.wait_for([](const Json& s) { return count_running(s) == 1000; }, 600s));
    CHECK(d.status()["summary"] == "1000 running");
    // The daemon raised its own limit; a workload gets the one the daemon was started with.
    CHECK(soft_open_files(pid_of(d, "w0")) == "1024");
    CHECK(soft_open_files(pid_of(d, "w999")) == "1024");
    // Every pipe reached the holder (two per workload, and its listening socket).
    pid_t holder = d.fd_holder_pid();
    REQUIRE(holder > 0);
    CHECK(d.wait_for([&](const Json&) { return open_fd_count(holder) >= 2000; }, 120s));
    CHECK(d.stop(SIGTERM, 600s) == 0);
    CHECK(d.cgroup_pids("w0").empty());
    CHECK(d.cgroup_pids("w999").empty());
}

TEST_CASE("a stopped fd holder does not stall the daemon, and gets every pipe once it runs again") {
    require_root();
    Daemon d("", "{id: test-node}", "info");
    d.start();
    REQUIRE(d.wait_for([](const Json& s) { return s.value("ready", false); }));
    pid_t holder = d.fd_holder_pid();
    REQUIRE(holder > 0);
    REQUIRE(::kill(holder, SIGSTOP) == 0);
    struct Resume {
        pid_t pid;
        ~Resume() { ::kill(pid, SIGCONT); }
    } resume{holder};
    // 300 workloads: 600 hand-overs, twice what the socket buffers while nobody reads; the
    // talker comes last (the daemon starts them in name order), behind the queue.
    d.write_manifest("many.yaml",
                     sleepers(300, "s") + "---\n" +
                         workload_yaml("talker",
                                       "  command: [/bin/sh, -c, \"i=0; while true; do "
                                       "i=$((i+1)); echo talk $i; sleep 0.1; done\"]\n"
                                       "  stopTimeout: 0s\n  isolation: {init: true}\n"));
    REQUIRE(d.wait_for([](const Json& s) { return count_running(s) == 301; }, 300s));
    // The loop still answers: a new file is applied while the holder is still stopped.
    d.write_manifest("late.yaml", sleepers(1, "late"));
    REQUIRE(d.wait_state("late0", "running", 120s));
    REQUIRE(::kill(holder, SIGCONT) == 0);
    // The queue drains: the holder ends up with both pipes of every workload.
    REQUIRE(d.wait_for([&](const Json&) { return open_fd_count(holder) >= 604; }, 120s));

    // The talker's pipe survives the daemon: same process after a restart, output still logged.
    auto talker = pid_of(d, "talker");
    REQUIRE(talker > 0);
    d.kill9();
    d.start();
    REQUIRE(d.wait_for([](const Json& s) { return count_running(s) == 302; }, 300s));
    CHECK(pid_of(d, "talker") == talker);
    auto before = d.log_text("talker").size();
    CHECK(d.wait_for([&](const Json&) { return d.log_text("talker").size() > before + 40; }, 60s));
    CHECK(d.stop(SIGTERM, 300s) == 0);
}
