// kind: DesiredState, as a node receives it over MQTT: the envelope's rules, each workload read
// by the Workload parser, and every error at its line:col inside the payload.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "diagnostic_marks.hpp"
#include "edgevisor/manifests/desired_state.hpp"

using namespace edgevisor::manifests;

namespace {

std::vector<std::string> where_rules(const DesiredStateResult& result) {
    return edgevisor::testing::marks_and_rules(result.diagnostics);
}

DesiredStateResult parse(const std::string& text) {
    return parse_desired_state(text, "edgevisor/v1/nodes/n1/desired");
}

const std::string kTwo = R"(apiVersion: edgevisor/v1
kind: DesiredState
revision: 7
workloads:
  - apiVersion: edgevisor/v1
    kind: Workload
    metadata: {name: web}
    spec: {command: [/usr/bin/sleep, "60"]}
  - apiVersion: edgevisor/v1
    kind: Workload
    metadata: {name: db}
    spec: {command: [/usr/bin/sleep, "60"], dependsOn: [{name: web}]}
)";

}  // namespace

TEST_CASE("a DesiredState document yields its revision and workloads in order") {
    auto result = parse(kTwo);
    REQUIRE(result.ok());
    CHECK(result.state.revision == 7);
    REQUIRE(result.state.workloads.size() == 2);
    CHECK(result.state.workloads[0].metadata.name == "web");
    CHECK(result.state.workloads[1].metadata.name == "db");
    CHECK(result.state.workloads[1].source.line == 9);
}

TEST_CASE("a JSON DesiredState document is read the same") {
    auto result = parse(R"({"apiVersion": "edgevisor/v1", "kind": "DesiredState", "revision": 3,
 "workloads": [{"apiVersion": "edgevisor/v1", "kind": "Workload",
   "metadata": {"name": "web"}, "spec": {"command": ["/usr/bin/sleep", "60"]}}]})");
    REQUIRE(result.ok());
    CHECK(result.state.revision == 3);
    REQUIRE(result.state.workloads.size() == 1);
    CHECK(result.state.workloads[0].metadata.name == "web");
}

TEST_CASE("an empty workload list is a valid desired state") {
    auto result =
        parse("apiVersion: edgevisor/v1\nkind: DesiredState\nrevision: 1\nworkloads: []\n");
    REQUIRE(result.ok());
    CHECK(result.state.workloads.empty());
}

TEST_CASE("the envelope's errors point into the payload") {
    CHECK(where_rules(parse("apiVersion: edgevisor/v2\nkind: Workload\nrevision: 0\n"
                            "workloads: {}\nextra: 1\n")) ==
          std::vector<std::string>{"1:13 api-version", "2:7 kind", "3:11 out-of-range",
                                   "4:12 wrong-type", "5:1 unknown-key"});
    CHECK(where_rules(parse("apiVersion: edgevisor/v1\nkind: DesiredState\nrevision: x\n"
                            "workloads: []\n")) == std::vector<std::string>{"3:11 invalid-value"});
    CHECK(where_rules(parse("- a\n- b\n")) == std::vector<std::string>{"1:1 wrong-type"});
    CHECK(where_rules(parse("")) == std::vector<std::string>{"1:1 one-document"});
}

TEST_CASE("a revision above 2^53-1 is refused") {
    auto result = parse(
        "apiVersion: edgevisor/v1\nkind: DesiredState\n"
        "revision: 9007199254740992\nworkloads: []\n");
    CHECK(where_rules(result) == std::vector<std::string>{"3:11 out-of-range"});
}

TEST_CASE("errors inside a workload carry their line and column in the payload") {
    std::string text = kTwo;
    text.replace(text.find("{name: db}"), 10, "{name: DB}");
    text.replace(text.find("\"60\"]}"), 6, "\"60\"], x: 1}");
    auto result = parse(text);
    CHECK(where_rules(result) == std::vector<std::string>{"8:45 unknown-key", "11:22 name-format"});
    CHECK(result.state.workloads.empty());
    CHECK(result.state.revision == 0);
    REQUIRE(result.diagnostics.size() == 2);
    CHECK(result.diagnostics[1].format().rfind("edgevisor/v1/nodes/n1/desired:11:22: ", 0) == 0);
}

TEST_CASE("duplicate names and dependency cycles across the list are errors") {
    std::string text = kTwo;
    text.replace(text.find("{name: db}"), 10, "{name: web}");
    text.replace(text.find("dependsOn: [{name: web}]"), 24, "dependsOn: []");
    CHECK(where_rules(parse(text)) == std::vector<std::string>{"11:22 duplicate-name"});
    std::string cycle = kTwo;
    cycle.replace(cycle.find("\"60\"]}"), 6, "\"60\"], dependsOn: [{name: db}]}");
    auto result = parse(cycle);
    REQUIRE_FALSE(result.ok());
    CHECK(result.diagnostics.front().rule == "dependency-cycle");
}

TEST_CASE("dependsOn may name a workload of another layer, unless asked to resolve") {
    std::string text = kTwo;
    text.replace(text.find("dependsOn: [{name: web}]"), 24, "dependsOn: [{name: broker}]");
    CHECK(parse(text).ok());
    auto resolved = parse_desired_state(text, "t", ParseLimits{}, Dependencies::resolve);
    CHECK_FALSE(resolved.ok());
}

TEST_CASE("two documents in one payload are refused at the second") {
    auto result = parse(kTwo + "---\napiVersion: edgevisor/v1\n");
    CHECK(where_rules(result) == std::vector<std::string>{"14:1 one-document"});
}

TEST_CASE("the size cap and YAML syntax errors are reported before anything is read") {
    ParseLimits small;
    small.max_document_bytes = 10;
    auto big = parse_desired_state(kTwo, "t", small);
    CHECK(where_rules(big) == std::vector<std::string>{"1:1 file-too-large"});
    CHECK(where_rules(parse("apiVersion: [\n")).front().find("yaml-syntax") != std::string::npos);
}
