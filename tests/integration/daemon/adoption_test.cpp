// A daemon killed with SIGKILL loses no workload: after a restart every workload still runs
// with one process each (adopted, not restarted), and its output still reaches its log,
// including what it wrote while no daemon ran. A changed spec is stopped before its
// replacement starts.
#include <signal.h>
#include <catch2/catch.hpp>

#include <regex>
#include <thread>

#include "daemon_support.hpp"
#include "skip.hpp"

using namespace edgevisor::testing;

namespace {

std::string counter(const std::string& name) {
    return workload_yaml(name, "  command: [/bin/sh, -c, \"i=0; while true; do i=$((i+1)); echo " +
                                   name +
                                   " line $i; sleep 0.05; done\"]\n"
                                   "  stopTimeout: 2s\n  isolation: {init: true}\n");
}

// The highest "line N" of the log.
int last_line(const std::string& log) {
    static const std::regex line(R"(out \S+ line (\d+))");
    int last = 0;
    for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator();
         ++it)
        last = std::max(last, std::stoi((*it)[1]));
    return last;
}

std::int64_t pid_of(const Daemon& d, const std::string& name) {
    auto w = d.workload(name);
    return w ? w->value("pid", std::int64_t{0}) : 0;
}

}  // namespace

TEST_CASE("kill -9 of the daemon, then a restart: workloads run on, adopted, output still logged") {
    require_root();
    Daemon d;
    d.write_manifest("a.yaml", counter("alpha") + "---\n" + counter("beta"));
    d.start();
    REQUIRE(d.wait_state("alpha", "running"));
    REQUIRE(d.wait_state("beta", "running"));
    REQUIRE(d.wait_for([&](const Json&) { return last_line(d.log_text("alpha")) >= 3; }));
    auto alpha = pid_of(d, "alpha");
    auto beta = pid_of(d, "beta");

    d.kill9();
    int before = last_line(d.log_text("alpha"));
    // The workloads write on while no daemon reads (into the pipe the holder keeps open).
    std::this_thread::sleep_for(500ms);
    CHECK(process_alive(static_cast<pid_t>(alpha)));
    CHECK(process_alive(static_cast<pid_t>(beta)));

    d.start();
    REQUIRE(d.wait_for([&](const Json& s) { return s.value("ready", false); }));
    CHECK(pid_of(d, "alpha") == alpha);
    CHECK(pid_of(d, "beta") == beta);
    CHECK(d.workload("alpha")->value("state", "") == "running");
    CHECK(d.workload("alpha")->value("restarts", -1) == 0);
    // The same init, one shell (its sleep comes and goes): no second copy.
    auto procs = d.cgroup_pids("alpha");
    CHECK(std::find(procs.begin(), procs.end(), alpha) != procs.end());
    auto shells = std::count_if(procs.begin(), procs.end(), [](pid_t p) {
        return read_text_file("/proc/" + std::to_string(p) + "/comm") == "sh\n";
    });
    CHECK(shells == 1);
    // Output goes on reaching the log, with no gap for the time the daemon was gone.
    REQUIRE(d.wait_for([&](const Json&) { return last_line(d.log_text("alpha")) >= before + 15; }));
    std::string log = d.log_text("alpha");
    for (int i = before; i <= before + 12; ++i)
        CHECK_THAT(log, Catch::Contains("alpha line " + std::to_string(i) + "\n"));
    CHECK(d.stop() == 0);
    CHECK(!path_exists(d.cgroup_dir("alpha")));
}

TEST_CASE("after kill -9, a spec changed meanwhile is stopped before its replacement starts") {
    require_root();
    Daemon d;
    d.write_manifest("a.yaml", counter("alpha") + "---\n" + counter("beta"));
    d.start();
    REQUIRE(d.wait_state("alpha", "running"));
    REQUIRE(d.wait_state("beta", "running"));
    auto alpha = pid_of(d, "alpha");
    auto beta = pid_of(d, "beta");
    d.kill9();
    // alpha changes, beta is gone while no daemon runs.
    d.write_manifest("a.yaml", workload_yaml("alpha",
                                             "  command: [/bin/sleep, \"1000\"]\n"
                                             "  stopTimeout: 2s\n  isolation: {init: true}\n"));
    d.start();
    REQUIRE(d.wait_for([&](const Json&) {
        auto pid = pid_of(d, "alpha");
        return pid != 0 && pid != alpha && d.workload("alpha")->value("state", "") == "running";
    }));
    REQUIRE(d.wait_for([&](const Json&) { return !d.workload("beta"); }));
    CHECK_FALSE(process_alive(static_cast<pid_t>(alpha)));
    CHECK_FALSE(process_alive(static_cast<pid_t>(beta)));
    CHECK(!path_exists(d.cgroup_dir("beta")));
    CHECK(d.cgroup_pids("alpha").size() == 2);  // the new init and sleep only
    CHECK(d.stop() == 0);
}

TEST_CASE(
    "an adopted workload's probe still running at shutdown is cancelled and the daemon exits 0") {
    require_root();
    Daemon d;
    // initialDelay 0 and a 5 s probe: a restarted daemon starts one at adoption, and SIGTERM
    // two seconds later cancels it mid-run (which crashed the daemon when the probes of adopted
    // workloads were started before its reaper existed).
    d.write_manifest("a.yaml", workload_yaml("alpha",
                                             "  command: [/bin/sleep, \"1000\"]\n"
                                             "  isolation: {init: true}\n"
                                             "  health:\n"
                                             "    liveness: {exec: [/bin/sleep, \"5\"], "
                                             "interval: 1s, timeout: 10s}\n"));
    d.start();
    REQUIRE(d.wait_state("alpha", "running"));
    auto alpha = pid_of(d, "alpha");
    d.kill9();
    d.start();
    REQUIRE(d.wait_for([&](const Json&) {
        return d.daemon_output().find("recover: alpha: adopted") != std::string::npos;
    }));
    std::this_thread::sleep_for(2s);
    CHECK(pid_of(d, "alpha") == alpha);
    CHECK(d.stop() == 0);
    CHECK_FALSE(process_alive(static_cast<pid_t>(alpha)));
}
