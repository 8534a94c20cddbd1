// parse_desired (what Control::apply reads: Workload documents or one DesiredState), and the
// spec fields the supervisor added: stopSignal, stopTimeout, the launch hash.
#include <catch2/catch.hpp>

#include "edgevisor/manifests/manifests.hpp"

using namespace edgevisor::manifests;

TEST_CASE("parse_desired: a DesiredState document gives its revision and workloads") {
    auto d = parse_desired(R"(apiVersion: edgevisor/v1
kind: DesiredState
revision: 42
workloads:
  - apiVersion: edgevisor/v1
    kind: Workload
    metadata: {name: a}
    spec: {command: [/bin/true]}
  - apiVersion: edgevisor/v1
    kind: Workload
    metadata: {name: b}
    spec: {command: [/bin/true], dependsOn: [{name: elsewhere}]}
)",
                           "edgevisor/v1/nodes/n1/desired");
    INFO((d.result.ok() ? "" : d.result.diagnostics[0].format()));
    REQUIRE(d.result.ok());
    REQUIRE(d.revision);
    CHECK(*d.revision == 42);
    REQUIRE(d.result.workloads.size() == 2);
    CHECK(d.result.workloads[1].metadata.name == "b");
}

TEST_CASE("parse_desired: Workload documents have no revision, one bad document rejects all") {
    auto plain = parse_desired(
        "apiVersion: edgevisor/v1\nkind: Workload\nmetadata: {name: a}\n"
        "spec: {command: [/bin/true]}\n",
        "t");
    REQUIRE(plain.result.ok());
    CHECK_FALSE(plain.revision);
    CHECK(plain.result.workloads.size() == 1);
    auto bad = parse_desired(
        "apiVersion: edgevisor/v1\nkind: Workload\nmetadata: {name: a}\n"
        "spec: {command: [/bin/true]}\n---\napiVersion: edgevisor/v1\n"
        "kind: Workload\nmetadata: {name: b}\nspec: {command: [true]}\n",
        "dbus:Apply");
    REQUIRE(bad.result.diagnostics.size() == 1);
    CHECK(bad.result.diagnostics[0].format() ==
          "dbus:Apply:9:18: spec.command[0]: 'true' is not an absolute path (no PATH search is "
          "done) [command]");
    CHECK(bad.result.workloads.empty());
}

TEST_CASE("stopSignal and stopTimeout are read and validated") {
    auto ok = parse_text(
        "apiVersion: edgevisor/v1\nkind: Workload\nmetadata: {name: a}\n"
        "spec: {command: [/bin/true], stopSignal: SIGINT, stopTimeout: 3s}\n",
        "f");
    REQUIRE(ok.ok());
    CHECK(ok.workloads[0].spec.stop_signal == 2);
    CHECK(ok.workloads[0].spec.stop_timeout == Duration{3000});
    auto bad = parse_text(
        "apiVersion: edgevisor/v1\nkind: Workload\nmetadata: {name: a}\n"
        "spec: {command: [/bin/true], stopSignal: TERMINATE}\n",
        "f");
    REQUIRE(bad.diagnostics.size() == 1);
    CHECK(bad.diagnostics[0].format() ==
          "f:4:42: spec.stopSignal: 'TERMINATE' is not a signal name (e.g. TERM, INT, QUIT, HUP) "
          "[signal-name]");
}

TEST_CASE("the launch hash ignores resources, logs and labels, and nothing else") {
    auto hashes = [](const std::string& extra) {
        auto r = parse_text("apiVersion: edgevisor/v1\nkind: Workload\nmetadata: {name: a" +
                                std::string(extra.starts_with("labels") ? ", " + extra : "") +
                                "}\nspec:\n  command: [/bin/true]\n" +
                                (extra.starts_with("labels") ? "" : "  " + extra + "\n"),
                            "f");
        REQUIRE(r.ok());
        return std::pair{canonical_hash(r.workloads[0]), launch_hash(r.workloads[0])};
    };
    auto base = hashes("env: {}");
    for (const char* limits_only :
         {"resources: {pids: {max: 5}}", "logs: {maxSize: 8Ki}", "labels: {a: b}"}) {
        auto h = hashes(limits_only);
        CHECK(h.first != base.first);
        CHECK(h.second == base.second);
    }
    CHECK(hashes("env: {A: b}").second != base.second);
    CHECK(hashes("stopTimeout: 1s").second != base.second);
}
