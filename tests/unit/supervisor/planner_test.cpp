// The planner: create, update in place, replace, delete; nothing for equal hashes.
#include <catch2/catch.hpp>

#include "desired.hpp"
#include "planner.hpp"
#include "restart_policy.hpp"

using namespace edgevisor::supervisor;
using edgevisor::manifests::Backoff;
using edgevisor::manifests::Restart;
using edgevisor::manifests::RestartPolicy;

TEST_CASE("plan: one action per changed name, removals first, none for a no-op") {
    std::map<std::string, PlanKey> actual{{"keep", {"h1", "l1"}},
                                          {"limits", {"h2", "l2"}},
                                          {"command", {"h3", "l3"}},
                                          {"gone", {"h4", "l4"}}};
    std::map<std::string, PlanKey> desired{{"keep", {"h1", "l1"}},
                                           {"limits", {"h2b", "l2"}},
                                           {"command", {"h3b", "l3b"}},
                                           {"new", {"h5", "l5"}}};
    auto steps = plan(desired, actual);
    std::vector<PlannedStep> expected{{PlanAction::remove, "gone"},
                                      {PlanAction::replace, "command"},
                                      {PlanAction::update, "limits"},
                                      {PlanAction::create, "new"}};
    CHECK(steps == expected);
    CHECK(plan(actual, actual).empty());
}

TEST_CASE("restart policy: what an end becomes") {
    Restart always{RestartPolicy::always, {}};
    Restart on_failure{RestartPolicy::on_failure, {}};
    Restart never{RestartPolicy::never, {}};
    CHECK(classify_end(always, {true, false, 1}, 5) == Event::ended_restart);
    CHECK(classify_end(always, {false, false, 5}, 5) == Event::ended_crash_loop);
    CHECK(classify_end(on_failure, {true, false, 0}, 5) == Event::ended_done);
    CHECK(classify_end(on_failure, {false, false, 1}, 5) == Event::ended_restart);
    CHECK(classify_end(on_failure, {false, false, 6}, 5) == Event::ended_crash_loop);
    CHECK(classify_end(never, {false, false, 9}, 5) == Event::ended_failed);
    CHECK(classify_end(never, {true, false, 9}, 5) == Event::ended_done);
}

TEST_CASE("backoff: doubles from initial up to max, jitter takes at most a quarter") {
    Backoff b{std::chrono::milliseconds(100), std::chrono::milliseconds(1000)};
    using std::chrono::milliseconds;
    CHECK(backoff_delay(b, 1, 0.0) == milliseconds(100));
    CHECK(backoff_delay(b, 1, 0.99) == milliseconds(100));  // never below initial
    CHECK(backoff_delay(b, 2, 0.0) == milliseconds(200));
    CHECK(backoff_delay(b, 3, 0.0) == milliseconds(400));
    CHECK(backoff_delay(b, 5, 0.0) == milliseconds(1000));
    CHECK(backoff_delay(b, 50, 0.0) == milliseconds(1000));
    CHECK(backoff_delay(b, 3, 0.999) >= milliseconds(300));
    // Growing even with the most jitter on the later one and none on the earlier one.
    for (std::uint32_t n = 1; n < 4; ++n)
        CHECK(backoff_delay(b, n + 1, 0.999) > backoff_delay(b, n, 0.0));
}

TEST_CASE("merge: the highest layer's definition wins and every conflict names its documents") {
    auto at = [](std::string name, std::string layer, std::string file) {
        edgevisor::manifests::Workload w;
        w.metadata.name = std::move(name);
        w.spec.command = {"/bin/true"};
        w.source = {std::move(file), 5, 3};
        return edgevisor::supervisor::make_desired(std::move(w), std::move(layer));
    };
    auto files = at("web", "files", "/etc/m/web.yaml");
    auto group = at("web", "group:g", "edgevisor/v1/groups/g/desired");
    auto node = at("web", "node", "edgevisor/v1/nodes/n/desired");
    auto alone = at("db", "files", "/etc/m/db.yaml");
    auto merged = edgevisor::supervisor::merge_layers(
        {{"files", {&files, &alone}}, {"group:g", {&group}}, {"node", {&node}}},
        edgevisor::supervisor::layer_order({"g"}));
    REQUIRE(merged.workloads.at("web") == &node);
    REQUIRE(merged.conflicts.size() == 1);
    CHECK(describe(merged.conflicts[0]) ==
          "web: node (edgevisor/v1/nodes/n/desired:5:3) wins over group:g "
          "(edgevisor/v1/groups/g/desired:5:3), files (/etc/m/web.yaml:5:3)");
}
