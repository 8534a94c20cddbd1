// Restart policies: a crashing workload backs off with growing delays and reaches crash-loop
// while the others run on; on-failure leaves a clean exit alone.
#include <catch2/catch.hpp>

#include <fstream>

#include "daemon_support.hpp"
#include "skip.hpp"

using namespace edgevisor::testing;

namespace {

// The start times the crashing workload wrote (ms since the epoch), one per run.
std::vector<long long> start_times(const std::string& file) {
    std::ifstream in(file);
    std::vector<long long> out;
    long long ns;
    while (in >> ns) out.push_back(ns / 1000000);
    return out;
}

}  // namespace

TEST_CASE("a crashing workload backs off with growing delays into crash-loop, others run on") {
    require_root();
    Daemon d("supervisor: {crashLoopAfter: 4}\n");
    std::string stamps = d.dir() + "/starts";
    d.write_manifest(
        "a.yaml",
        workload_yaml("steady",
                      "  command: [/bin/sleep, \"1000\"]\n"
                      "  stopTimeout: 1s\n  isolation: {init: true}\n") +
            "---\n" +
            workload_yaml("crasher", "  command: [/bin/sh, -c, \"date +%s%N >> " + stamps +
                                         "; echo crashing >&2; exit 3\"]\n"
                                         "  restart: {policy: always, backoff: {initial: 100ms, "
                                         "max: 10s}}\n"
                                         "  isolation: {mounts: [{type: bind, source: " +
                                         d.dir() + ", target: " + d.dir() +
                                         ", readOnly: false}]}\n"));
    d.start();
    REQUIRE(d.wait_state("steady", "running"));
    auto steady_pid = d.workload("steady")->value("pid", 0);
    REQUIRE(d.wait_state("crasher", "crash-loop"));
    auto crasher = *d.workload("crasher");
    CHECK(crasher.value("lastExit", "") == "exited 3");
    CHECK_THAT(crasher.value("message", ""), Catch::Contains("crash loop: restarting in"));
    CHECK(crasher.value("restarts", 0) >= 3);
    auto times = start_times(stamps);
    REQUIRE(times.size() >= 4);
    // Delays double from 100 ms (jitter takes at most a quarter off): each gap is longer.
    for (std::size_t i = 2; i < times.size(); ++i)
        CHECK(times[i] - times[i - 1] > times[i - 1] - times[i - 2]);
    CHECK(d.workload("steady")->value("pid", 0) == steady_pid);
    CHECK(d.workload("steady")->value("state", "") == "running");
    CHECK_THAT(d.log_text("crasher"), Catch::Contains(" err crashing"));
    CHECK(d.stop() == 0);
}

TEST_CASE("on-failure does not restart a clean exit, and restarts a failed one") {
    require_root();
    Daemon d;
    d.write_manifest("a.yaml", workload_yaml("clean",
                                             "  command: [/bin/true]\n"
                                             "  restart: {policy: on-failure, backoff: {initial: "
                                             "50ms}}\n") +
                                   "---\n" +
                                   workload_yaml("dirty",
                                                 "  command: [/bin/false]\n"
                                                 "  restart: {policy: on-failure, backoff: "
                                                 "{initial: 50ms, max: 100ms}}\n"));
    d.start();
    REQUIRE(d.wait_state("clean", "exited"));
    REQUIRE(d.wait_for([&](const Json&) {
        auto w = d.workload("dirty");
        return w && w->value("restarts", 0) >= 3;
    }));
    auto clean = *d.workload("clean");
    CHECK(clean.value("state", "") == "exited");
    CHECK(clean.value("restarts", -1) == 0);
    CHECK(clean.value("lastExit", "") == "exited 0");
    CHECK(d.workload("dirty")->value("lastExit", "") == "exited 1");
    CHECK(d.stop() == 0);
}

TEST_CASE("a workload that leaves a process behind is restarted into a cgroup that takes it") {
    require_root();
    Daemon d;
    std::string stamps = d.dir() + "/starts";
    // No pid namespace: the daemonised sleep outlives the main process, so the end of each run
    // kills the cgroup (cgroup.kill); every next run must still start and get to its work.
    d.write_manifest(
        "a.yaml",
        workload_yaml("leaver", "  command: [/bin/sh, -c, \"date +%s%N >> " + stamps +
                                    "; setsid sleep 1000 & sleep 0.2; exit 3\"]\n"
                                    "  restart: {policy: always, backoff: {initial: 50ms, "
                                    "max: 100ms}}\n"
                                    "  isolation: {namespaces: [mount], network: host, mounts: "
                                    "[{type: bind, source: " +
                                    d.dir() + ", target: " + d.dir() + ", readOnly: false}]}\n"));
    d.start();
    REQUIRE(d.wait_for(
        [&](const Json&) {
            auto w = d.workload("leaver");
            return w && w->value("restarts", 0) >= 4;
        },
        60s));
    auto w = *d.workload("leaver");
    INFO(w.dump() << "\n" << d.daemon_output());
    CHECK(w.value("lastExit", "") == "exited 3");
    CHECK(start_times(stamps).size() >= 4);
    CHECK(d.stop() == 0);
    CHECK(!path_exists(d.cgroup_dir("leaver")));
}

TEST_CASE("a workload killed at its stop timeout is replaced by a run that keeps running") {
    require_root();
    Daemon d;
    auto spec = [&](const std::string& version) {
        // pid 1 of its namespace ignores SIGTERM: the stop ends with cgroup.kill.
        return workload_yaml("stubborn",
                             "  command: [/bin/sleep, \"1000\"]\n"
                             "  env: {VERSION: \"" +
                                 version + "\"}\n  stopTimeout: 200ms\n");
    };
    d.write_manifest("a.yaml", spec("1"));
    d.start();
    REQUIRE(d.wait_state("stubborn", "running"));
    const int first = d.workload("stubborn")->value("pid", 0);
    d.write_manifest("a.yaml", spec("2"));
    REQUIRE(d.wait_for([&](const Json&) {
        auto w = d.workload("stubborn");
        return w && w->value("pid", 0) != first && w->value("state", "") == "running";
    }));
    INFO(d.daemon_output());
    CHECK(d.daemon_output().find("stubborn: did not stop within 200 ms") != std::string::npos);
    // Still running a moment later: the new process was not killed at birth.
    const int second = d.workload("stubborn")->value("pid", 0);
    REQUIRE(d.wait_for([&](const Json&) { return d.cgroup_pids("stubborn").size() == 1; }));
    CHECK(process_alive(second));
    CHECK(d.workload("stubborn")->value("state", "") == "running");
    CHECK(d.workload("stubborn")->value("restarts", -1) == 0);
}
