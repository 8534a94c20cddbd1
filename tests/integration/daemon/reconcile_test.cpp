// The daemon reconciles its manifest directory: start, edit, resource-only edit, delete, a
// broken file. Real edgevisord, real processes, real cgroups.
#include <signal.h>
#include <catch2/catch.hpp>

#include "daemon_support.hpp"
#include "skip.hpp"

using namespace edgevisor::testing;

namespace {

std::string sleeper(const std::string& name, const std::string& extra = "") {
    return workload_yaml(name,
                         "  command: [/bin/sleep, \"1000\"]\n  stopTimeout: 5s\n"
                         "  isolation: {init: true}\n" +
                             extra);
}

std::int64_t pid_of(const Daemon& d, const std::string& name) {
    auto w = d.workload(name);
    return w ? w->value("pid", std::int64_t{0}) : 0;
}

}  // namespace

TEST_CASE("workloads of the manifest directory start, each in its cgroup") {
    require_root();
    Daemon d;
    d.write_manifest("a.yaml", sleeper("alpha") + "---\n" + sleeper("beta"));
    d.start();
    REQUIRE(d.wait_state("alpha", "running"));
    REQUIRE(d.wait_state("beta", "running"));
    CHECK(d.status()["ready"] == true);
    auto pid = pid_of(d, "alpha");
    CHECK(pid > 0);
    auto pids = d.cgroup_pids("alpha");
    CHECK(std::find(pids.begin(), pids.end(), pid) != pids.end());
    CHECK(d.stop() == 0);
}

TEST_CASE("editing one manifest restarts only its workload, a resource-only edit restarts none") {
    require_root();
    Daemon d;
    d.write_manifest("a.yaml", sleeper("alpha"));
    d.write_manifest("b.yaml", sleeper("beta"));
    d.start();
    REQUIRE(d.wait_state("alpha", "running"));
    REQUIRE(d.wait_state("beta", "running"));
    auto alpha = pid_of(d, "alpha");
    auto beta = pid_of(d, "beta");

    SECTION("a command change replaces that workload only") {
        d.write_manifest("a.yaml", workload_yaml("alpha",
                                                 "  command: [/bin/sleep, \"2000\"]\n"
                                                 "  isolation: {init: true}\n"));
        // The new pid shows while the child still sets up (state starting): wait for both.
        REQUIRE(d.wait_for([&](const Json&) {
            auto w = d.workload("alpha");
            return pid_of(d, "alpha") != alpha && pid_of(d, "alpha") > 0 &&
                   w->value("state", "") == "running";
        }));
        CHECK(pid_of(d, "beta") == beta);
        CHECK(d.cgroup_pids("beta").size() == 2);  // init and sleep, no duplicate
    }
    SECTION("a resource-only edit updates in place") {
        auto hash = d.workload("alpha")->value("specHash", "");
        d.write_manifest("a.yaml", sleeper("alpha", "  resources: {pids: {max: 64}}\n"));
        REQUIRE(d.wait_for([&](const Json&) {
            auto w = d.workload("alpha");
            return w && w->value("specHash", "") != hash;
        }));
        CHECK(pid_of(d, "alpha") == alpha);
        CHECK(pid_of(d, "beta") == beta);
        CHECK(d.workload("alpha")->value("restarts", 1) == 0);
    }
    CHECK(d.stop() == 0);
}

TEST_CASE("deleting a manifest file stops its workloads and removes their cgroups") {
    require_root();
    Daemon d;
    d.write_manifest("a.yaml", sleeper("alpha"));
    d.write_manifest("b.yaml", sleeper("beta"));
    d.start();
    REQUIRE(d.wait_state("alpha", "running"));
    REQUIRE(d.wait_state("beta", "running"));
    auto alpha = pid_of(d, "alpha");
    REQUIRE(path_exists(d.cgroup_dir("alpha")));
    d.remove_manifest("a.yaml");
    REQUIRE(d.wait_for([&](const Json&) { return !d.workload("alpha"); }));
    CHECK(!path_exists(d.cgroup_dir("alpha")));
    CHECK_FALSE(process_alive(static_cast<pid_t>(alpha)));
    CHECK(d.workload("beta")->value("state", "") == "running");
    CHECK(d.stop() == 0);
}

TEST_CASE("a broken manifest keeps the previous revision running and reports file:line:col") {
    require_root();
    Daemon d;
    d.write_manifest("a.yaml", sleeper("alpha"));
    d.start();
    REQUIRE(d.wait_state("alpha", "running"));
    auto alpha = pid_of(d, "alpha");
    d.write_manifest("a.yaml", workload_yaml("alpha",
                                             "  command: [/bin/sleep, \"5\"]\n"
                                             "  restartt: {policy: never}\n"));
    std::string error;
    REQUIRE(d.wait_for([&](const Json& s) {
        for (const auto& layer : s.value("layers", Json::array()))
            if (layer.value("name", "") == "files" && !layer["errors"].empty())
                error = layer["errors"][0].get<std::string>();
        return !error.empty();
    }));
    CHECK(error == d.manifest_path("a.yaml") +
                       ":6:3: unknown key 'restartt' in spec (expected: command, env, workingDir, "
                       "user, restart, dependsOn, health, resources, isolation, logs, stopSignal, "
                       "stopTimeout); did you mean 'restart'? [unknown-key]");
    CHECK(pid_of(d, "alpha") == alpha);
    CHECK(d.workload("alpha")->value("state", "") == "running");
    CHECK(d.stop() == 0);
}

TEST_CASE("SIGTERM stops every workload and the daemon exits 0 leaving no process") {
    require_root();
    Daemon d;
    // sleep as pid 1 without init ignores SIGTERM: the grace period ends in cgroup.kill.
    d.write_manifest("a.yaml", sleeper("alpha") + "---\n" +
                                   workload_yaml("stubborn",
                                                 "  command: [/bin/sleep, \"1000\"]\n"
                                                 "  stopTimeout: 500ms\n"));
    d.start();
    REQUIRE(d.wait_state("alpha", "running"));
    REQUIRE(d.wait_state("stubborn", "running"));
    auto pids = d.cgroup_pids("alpha");
    auto stubborn = d.cgroup_pids("stubborn");
    pids.insert(pids.end(), stubborn.begin(), stubborn.end());
    REQUIRE(pids.size() == 3);
    int status = d.stop(SIGTERM);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    for (pid_t pid : pids) CHECK_FALSE(process_alive(pid));
    CHECK(!path_exists(d.cgroup_dir("alpha")));
    CHECK(!path_exists(d.cgroup_dir("stubborn")));
    CHECK(d.status()["stopping"] == true);
}
