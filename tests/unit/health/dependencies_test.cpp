#include <catch2/catch.hpp>
#include <map>

#include "edgevisor/health/dependencies.hpp"

using namespace edgevisor;
using namespace edgevisor::health;
using manifests::DependencyCondition;

namespace {

manifests::Workload named(const std::string& name, std::vector<manifests::Dependency> deps = {}) {
    manifests::Workload w;
    w.metadata.name = name;
    w.spec.depends_on = std::move(deps);
    return w;
}

}  // namespace

TEST_CASE("a gate opens when every dependency meets its condition") {
    std::map<std::string, DependencyState, std::less<>> states;
    auto lookup = [&](std::string_view name) {
        auto it = states.find(name);
        return it == states.end() ? DependencyState{} : it->second;
    };
    std::vector<manifests::Dependency> deps{{"broker", DependencyCondition::healthy},
                                            {"migrate", DependencyCondition::completed},
                                            {"log", DependencyCondition::started}};
    states["broker"] = {true, true, false, false};
    states["migrate"] = {true, false, false, false};
    states["log"] = {true, true, true, false};
    auto g = gate(deps, lookup);
    CHECK_FALSE(g.open);
    CHECK(g.waiting_for == "waiting for broker (healthy), migrate (completed)");
    states["broker"].ready = true;
    states["migrate"].completed = true;
    CHECK(gate(deps, lookup).open);
    CHECK(gate(deps, lookup).waiting_for.empty());
    CHECK(dependency_warning(deps, lookup).empty());
    // Once running, a dependent is told, not stopped; a completed job is not expected to run.
    states["broker"].ready = false;
    states["migrate"] = {true, false, false, false};
    CHECK(dependency_warning(deps, lookup) == "dependency unhealthy: broker");
    CHECK(gate({{"ghost", DependencyCondition::started}}, lookup).waiting_for ==
          "waiting for ghost (not defined)");
}

TEST_CASE("start order puts dependencies first, stop order is its reverse") {
    std::vector<manifests::Workload> set{
        named("app",
              {{"db", DependencyCondition::healthy}, {"cache", DependencyCondition::started}}),
        named("cache"),
        named("db", {{"migrate", DependencyCondition::completed}}),
        named("migrate"),
        named("web", {{"app", DependencyCondition::healthy}}),
        named("outside", {{"not-in-set", DependencyCondition::started}})};
    CHECK(start_order(set) ==
          std::vector<std::string>{"cache", "migrate", "db", "app", "outside", "web"});
    CHECK(stop_order(set) ==
          std::vector<std::string>{"web", "outside", "app", "db", "migrate", "cache"});
}

TEST_CASE("a cycle does not loop the order: its members come last") {
    std::vector<manifests::Workload> set{named("a", {{"b", DependencyCondition::started}}),
                                         named("b", {{"a", DependencyCondition::started}}),
                                         named("c")};
    CHECK(start_order(set) == std::vector<std::string>{"c", "a", "b"});
}
