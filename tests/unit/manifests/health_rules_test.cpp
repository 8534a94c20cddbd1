// spec.health (startup, notify, http statuses, warnings) and dependsOn condition completed.
#include <catch2/catch.hpp>

#include "manifest_test_support.hpp"

using namespace edgevisor::manifests;
using namespace edgevisor::testing;
using Rules = std::vector<std::string>;

namespace {

const WorkloadSpec& only_spec(const LoadResult& result) {
    INFO(messages(result));
    REQUIRE(result.diagnostics.empty());
    REQUIRE(result.workloads.size() == 1);
    return result.workloads.front().spec;
}

}  // namespace

TEST_CASE("startup, liveness and readiness probes of every kind") {
    const auto result = parse(kHead +
                              "  health:\n"
                              "    startup: {notify: {}, interval: 1s, failureThreshold: 30}\n"
                              "    liveness: {notify: {watchdog: 5s}}\n"
                              "    readiness: {http: {port: 80, statuses: [200, 204]}}\n");
    const auto& s = only_spec(result);
    REQUIRE(s.health.startup);
    CHECK(s.health.startup->kind == ProbeKind::notify);
    CHECK_FALSE(s.health.startup->watchdog);
    CHECK(s.health.startup->failure_threshold == 30);
    REQUIRE(s.health.liveness);
    CHECK(s.health.liveness->kind == ProbeKind::notify);
    CHECK(s.health.liveness->watchdog == Duration{5000});
    CHECK(s.health.liveness->interval == Duration{5000});  // the watchdog period by default
    REQUIRE(s.health.readiness);
    CHECK(s.health.readiness->statuses == std::vector<std::uint16_t>{200, 204});
    CHECK(s.health.readiness->interval == Duration{10000});
}

TEST_CASE("a notify probe's watchdog belongs to liveness, which needs one") {
    CHECK(where_rules(kHead + "  health: {liveness: {notify: {}}}\n") ==
          Rules{"7:31 notify-watchdog"});
    CHECK(where_rules(kHead + "  health: {readiness: {notify: {watchdog: 1s}}}\n") ==
          Rules{"7:33 notify-watchdog"});
    auto result = parse(kHead + "  health: {liveness: {notify: {}}}\n");
    CHECK(messages(result).find("a liveness notify probe needs watchdog") != std::string::npos);
}

TEST_CASE("http statuses are codes 100..599 and not empty, tcp has none") {
    CHECK(where_rules(kHead + "  health: {readiness: {http: {port: 80, statuses: [600]}}}\n") ==
          Rules{"7:52 out-of-range"});
    CHECK(where_rules(kHead + "  health: {readiness: {http: {port: 80, statuses: []}}}\n") ==
          Rules{"7:51 invalid-value"});
    CHECK(where_rules(kHead + "  health: {readiness: {tcp: {port: 80, statuses: [200]}}}\n") ==
          Rules{"7:40 unknown-key"});
}

TEST_CASE("two probe kinds in one probe are refused, notify counted") {
    auto result = parse(kHead + "  health: {startup: {notify: {}, exec: [/bin/true]}}\n");
    CHECK(where_rules(result) == Rules{"7:21 probe-kind"});
    CHECK(messages(result).find("needs exactly one of exec, tcp, http or notify (found 2)") !=
          std::string::npos);
}

TEST_CASE("resource warnings: metric, percent above, held for a duration") {
    const auto result = parse(kHead +
                              "  health:\n"
                              "    warnings:\n"
                              "      - {metric: memory, above: 90, for: 60s}\n"
                              "      - {metric: cpuPressure, above: 50}\n");
    const auto& s = only_spec(result);
    REQUIRE(s.health.warnings.size() == 2);
    CHECK(s.health.warnings[0].metric == WarningMetric::memory);
    CHECK(s.health.warnings[0].above_percent == 90);
    CHECK(s.health.warnings[0].for_duration == Duration{60000});
    CHECK(s.health.warnings[1].metric == WarningMetric::cpu_pressure);
    CHECK(s.health.warnings[1].for_duration == Duration{60000});
    CHECK(where_rules(kHead + "  health: {warnings: [{metric: disk, above: 90}]}\n") ==
          Rules{"7:32 invalid-value"});
    CHECK(where_rules(kHead + "  health: {warnings: [{metric: cpu, above: 101}]}\n") ==
          Rules{"7:44 out-of-range"});
    CHECK(where_rules(kHead + "  health: {warnings: [{metric: cpu}]}\n") ==
          Rules{"7:23 missing-key"});
}

TEST_CASE("dependsOn condition completed, and a cycle through it is still a cycle") {
    auto result = parse(workload("init-db") + "---\n" + workload("app") +
                        "  dependsOn: [{name: init-db, condition: completed}]\n");
    INFO(messages(result));
    REQUIRE(result.workloads.size() == 2);
    CHECK(result.workloads[1].spec.depends_on.at(0).condition == DependencyCondition::completed);
    auto cycle = parse(workload("a") + "  dependsOn: [{name: b, condition: completed}]\n---\n" +
                       workload("b") + "  dependsOn: [{name: a}]\n");
    CHECK(messages(cycle).find("dependency cycle: a -> b -> a") != std::string::npos);
    CHECK(where_rules(kHead + "  dependsOn: [{name: db, condition: done}]\n")
              .front()
              .ends_with("invalid-value"));
}
