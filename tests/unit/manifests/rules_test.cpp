// Each rule of the document, metadata and process parts of spec, with the exact line:col it
// must point at (1-based line and column) and its rule id.
#include <catch2/catch.hpp>

#include "manifest_test_support.hpp"

using edgevisor::testing::kHead;
using edgevisor::testing::messages;
using edgevisor::testing::parse;
using edgevisor::testing::where_rules;
using Rules = std::vector<std::string>;

namespace {

// Head without the command line, for command tests: spec's content starts on line 6.
const std::string kNoCommand =
    "apiVersion: edgevisor/v1\nkind: Workload\nmetadata:\n  name: app\nspec:\n";

}  // namespace

TEST_CASE("a typo in a key is an error with the expected keys and a suggestion") {
    auto result = parse(kHead +
                        "  isolation:\n"
                        "    rootfs: {path: /, readOnlyRot: false}\n");
    CHECK(where_rules(result) == Rules{"8:23 unknown-key"});
    CHECK(result.diagnostics.at(0).format() ==
          "t.yaml:8:23: unknown key 'readOnlyRot' in spec.isolation.rootfs (expected: path, "
          "readOnly); did you mean 'readOnly'? [unknown-key]");
    CHECK(result.workloads.empty());
}

TEST_CASE("unknown keys at every level, and duplicate keys") {
    CHECK(where_rules("apiVersion: edgevisor/v1\nkind: Workload\nmetdata: {name: a}\n"
                      "spec: {command: [/bin/true]}\n") ==
          Rules{"1:1 missing-key", "3:1 unknown-key"});
    CHECK(where_rules(kHead + "  comand: [/bin/true]\n") == Rules{"7:3 unknown-key"});
    CHECK(where_rules(kHead + "  workingDir: /a\n  workingDir: /b\n") ==
          Rules{"8:3 duplicate-key"});
    auto result = parse(kHead + "  restart: {polcy: never}\n");
    CHECK(where_rules(result) == Rules{"7:13 unknown-key"});
    CHECK_THAT(messages(result), Catch::Contains("did you mean 'policy'?"));
}

TEST_CASE("apiVersion, kind and the document's shape") {
    CHECK(where_rules("apiVersion: edgevisor/v2\nkind: Workload\nmetadata: {name: a}\n"
                      "spec: {command: [/bin/true]}\n") == Rules{"1:13 api-version"});
    CHECK(where_rules("apiVersion: edgevisor/v1\nkind: Deployment\nmetadata: {name: a}\n"
                      "spec: {command: [/bin/true]}\n") == Rules{"2:7 kind"});
    CHECK(where_rules("- just\n- a list\n") == Rules{"1:1 wrong-type"});
    CHECK(where_rules("apiVersion: edgevisor/v1\nkind: Workload\nmetadata: {name: a}\n") ==
          Rules{"1:1 missing-key"});
}

TEST_CASE("YAML syntax errors are reported with their position") {
    auto result = parse(kHead + "  env: {A: b\n");
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].rule == "yaml-syntax");
    CHECK(result.diagnostics[0].mark.line >= 7);
}

TEST_CASE("workload names are 1-63 of a-z, 0-9 and '-', alphanumeric at both ends") {
    auto named = [](const std::string& name) {
        return "apiVersion: edgevisor/v1\nkind: Workload\nmetadata:\n  name: " + name +
               "\nspec: {command: [/bin/true]}\n";
    };
    CHECK(where_rules(named("sensor-reader-2")).empty());
    CHECK(where_rules(named(std::string(63, 'a'))).empty());
    CHECK(where_rules(named(std::string(64, 'a'))) == Rules{"4:9 name-format"});
    CHECK(where_rules(named("Sensor")) == Rules{"4:9 name-format"});
    CHECK(where_rules(named("a_b")) == Rules{"4:9 name-format"});
    CHECK(where_rules(named("-a")) == Rules{"4:9 name-format"});
    CHECK(where_rules(named("a-")) == Rules{"4:9 name-format"});
    CHECK(where_rules(named("../x")) == Rules{"4:9 name-format"});
    CHECK(where_rules(named("\"\"")) == Rules{"4:9 name-format"});
    CHECK(where_rules(named("[a]")) == Rules{"4:9 wrong-type"});
}

TEST_CASE("labels have valid keys and short values") {
    CHECK(where_rules(kHead + "  env: {}\n").empty());
    auto bad =
        "apiVersion: edgevisor/v1\nkind: Workload\nmetadata:\n  name: a\n"
        "  labels: {\"-x\": y, ok: [1]}\n"
        "spec: {command: [/bin/true]}\n";
    CHECK(where_rules(bad) == Rules{"5:12 label-format", "5:25 wrong-type"});
}

TEST_CASE("command is required, non-empty and absolute") {
    CHECK(where_rules(kNoCommand + "  workingDir: /\n") == Rules{"6:3 command"});
    CHECK(where_rules(kNoCommand + "  command: []\n") == Rules{"6:12 command"});
    CHECK(where_rules(kNoCommand + "  command: [sleep, \"60\"]\n") == Rules{"6:13 command"});
    CHECK(where_rules(kNoCommand + "  command: /usr/bin/sleep 60\n") == Rules{"6:12 wrong-type"});
    CHECK(where_rules(kNoCommand + "  command: [/bin/sh, {a: b}]\n") == Rules{"6:22 wrong-type"});
}

TEST_CASE("env names and values") {
    CHECK(where_rules(kHead + "  env: {A_1: x, _B: \"2\", C: 3}\n").empty());
    CHECK(where_rules(kHead + "  env: {1A: x}\n") == Rules{"7:9 env-name"});
    CHECK(where_rules(kHead + "  env: {A: [x]}\n") == Rules{"7:12 wrong-type"});
    CHECK(where_rules(kHead + "  env: {A: }\n") == Rules{"7:12 wrong-type"});
    CHECK(where_rules(kHead + "  env: [A]\n") == Rules{"7:8 wrong-type"});
}

TEST_CASE("workingDir must be absolute without '..'") {
    CHECK(where_rules(kHead + "  workingDir: tmp\n") == Rules{"7:15 path-format"});
    CHECK(where_rules(kHead + "  workingDir: /a/../b\n") == Rules{"7:15 path-format"});
    CHECK(where_rules(kHead + "  workingDir: /a/..\n") == Rules{"7:15 path-format"});
    CHECK(where_rules(kHead + "  workingDir: /a/..b/c..\n").empty());
}

TEST_CASE("user ids are numbers or names, never -1 or 2^32") {
    CHECK(where_rules(kHead + "  user: {uid: nobody, gid: 65534, groups: [audio, 0]}\n").empty());
    CHECK(where_rules(kHead + "  user: {uid: -1}\n") == Rules{"7:15 invalid-value"});
    CHECK(where_rules(kHead + "  user: {uid: 4294967295}\n") == Rules{"7:15 out-of-range"});
    CHECK(where_rules(kHead + "  user: {uid: 99999999999999999999}\n") ==
          Rules{"7:15 invalid-value"});
    CHECK(where_rules(kHead + "  user: {gid: \"Bad Name\"}\n") == Rules{"7:15 user-name"});
    CHECK(where_rules(kHead + "  user: {groups: audio}\n") == Rules{"7:18 wrong-type"});
}

TEST_CASE("restart policy and backoff") {
    CHECK(where_rules(kHead + "  restart: {policy: sometimes}\n") == Rules{"7:21 invalid-value"});
    CHECK(where_rules(kHead + "  restart: {backoff: {initial: 0s}}\n") ==
          Rules{"7:32 out-of-range"});
    CHECK(where_rules(kHead + "  restart: {backoff: {initial: 2m, max: 1m}}\n") ==
          Rules{"7:36 backoff-order"});
    CHECK(where_rules(kHead + "  restart: {backoff: {initial: 10}}\n") ==
          Rules{"7:32 invalid-duration"});
    auto result = parse(kHead + "  restart: {policy: on-failur}\n");
    CHECK_THAT(messages(result), Catch::Contains("did you mean 'on-failure'?"));
}

TEST_CASE("dependsOn entries: names, conditions, self and repeats") {
    auto deps = [](const std::string& items) { return kHead + "  dependsOn:\n" + items; };
    CHECK(where_rules(deps("    - {name: app}\n")) == Rules{"8:14 self-dependency"});
    CHECK(where_rules(deps("    - {name: Other}\n")) == Rules{"8:14 name-format"});
    CHECK(where_rules(deps("    - {name: x, condition: ready}\n")) ==
          Rules{"8:28 invalid-value", "8:14 unknown-dependency"});
    CHECK(where_rules(deps("    - {condition: healthy}\n")) == Rules{"8:7 missing-key"});
    CHECK(where_rules(deps("    - {name: x}\n    - {name: x}\n")) ==
          Rules{"9:14 duplicate-dependency", "8:14 unknown-dependency"});
}

TEST_CASE("health probes: one kind, valid ports, paths and thresholds") {
    auto health = [](const std::string& probe) {
        return kHead + "  health:\n    liveness: " + probe + "\n";
    };
    CHECK(where_rules(health("{exec: [/bin/true], interval: 1s}")).empty());
    CHECK(where_rules(health("{interval: 1s}")) == Rules{"8:15 probe-kind"});
    CHECK(where_rules(health("{exec: [/bin/true], tcp: {port: 80}}")) == Rules{"8:15 probe-kind"});
    CHECK(where_rules(health("{tcp: {port: 0}}")) == Rules{"8:28 out-of-range"});
    CHECK(where_rules(health("{tcp: {port: 65536}}")) == Rules{"8:28 out-of-range"});
    CHECK(where_rules(health("{tcp: {host: localhost}}")) == Rules{"8:21 missing-key"});
    CHECK(where_rules(health("{http: {port: 80, path: health}}")) == Rules{"8:39 invalid-value"});
    CHECK(where_rules(health("{exec: [check]}")) == Rules{"8:23 command"});
    CHECK(where_rules(health("{exec: [/bin/true], failureThreshold: 0}")) ==
          Rules{"8:53 out-of-range"});
    CHECK(where_rules(health("{exec: [/bin/true], timeout: 0s}")) == Rules{"8:44 out-of-range"});
}

TEST_CASE("resource limits: positive, in range, never 2^64 or 1e30") {
    auto res = [](const std::string& body) { return kHead + "  resources: " + body + "\n"; };
    // "  resources: {memory: {max: " is 28 characters: values start at column 29.
    CHECK(where_rules(res("{memory: {max: 0}}")) == Rules{"7:29 out-of-range"});
    CHECK(where_rules(res("{memory: {max: -1}}")) == Rules{"7:29 invalid-size"});
    CHECK(where_rules(res("{memory: {max: 18446744073709551616}}")) == Rules{"7:29 invalid-size"});
    CHECK(where_rules(res("{memory: {max: 1e30}}")) == Rules{"7:29 invalid-size"});
    CHECK(where_rules(res("{memory: {max: 16Ei}}")) == Rules{"7:29 invalid-size"});
    CHECK(where_rules(res("{memory: {swapMax: 0}}")).empty());
    CHECK(where_rules(res("{memory: {max: 32Mi, high: 64Mi}}")) == Rules{"7:35 memory-order"});
    CHECK(where_rules(res("{cpu: {weight: 0}}")) == Rules{"7:29 out-of-range"});
    CHECK(where_rules(res("{cpu: {weight: 10001}}")) == Rules{"7:29 out-of-range"});
    CHECK(where_rules(res("{cpu: {weight: 10000}}")).empty());
    CHECK(where_rules(res("{cpu: {max: 0}}")) == Rules{"7:26 invalid-cpu"});
    CHECK(where_rules(res("{cpu: {max: \"-0.5\"}}")) == Rules{"7:26 invalid-cpu"});
    CHECK(where_rules(res("{cpu: {period: 2s}}")) == Rules{"7:29 out-of-range"});
    CHECK(where_rules(res("{pids: {max: 0}}")) == Rules{"7:27 out-of-range"});
    CHECK(where_rules(res("{pids: {max: -5}}")) == Rules{"7:27 invalid-value"});
    CHECK(where_rules(res("{io: {weight: 0}}")) == Rules{"7:28 out-of-range"});
    CHECK(where_rules(res("{io: {max: [{device: vda, rbps: 1Mi}]}}")) == Rules{"7:35 path-format"});
    CHECK(where_rules(res("{io: {max: [{device: /etc/passwd, rbps: 1Mi}]}}")) ==
          Rules{"7:35 path-format"});
    CHECK(where_rules(res("{io: {max: [{device: /dev/vda}]}}")) == Rules{"7:26 io-limit"});
    CHECK(where_rules(res("{io: {max: [{device: /dev/vda, rbps: 0}]}}")) ==
          Rules{"7:51 out-of-range"});
    CHECK(where_rules(res("{cpuset: \"0-\"}")) == Rules{"7:23 cpuset-format"});
    CHECK(where_rules(res("{cpuset: \"3-1\"}")) == Rules{"7:23 cpuset-format"});
    CHECK(where_rules(res("{cpuset: {mems: x}}")) == Rules{"7:30 cpuset-format"});
}

TEST_CASE("logs: size and file count") {
    CHECK(where_rules(kHead + "  logs: {maxFiles: 0}\n") == Rules{"7:20 out-of-range"});
    CHECK(where_rules(kHead + "  logs: {maxSize: 0}\n") == Rules{"7:19 out-of-range"});
}

TEST_CASE("booleans are true or false, not yes") {
    CHECK(where_rules(kHead + "  isolation: {noNewPrivileges: yes}\n") == Rules{"7:32 wrong-type"});
}

TEST_CASE("every error of a document is reported, in position order") {
    auto result = parse(kHead +
                        "  workingDir: tmp\n"
                        "  restart: {policy: sometimes}\n"
                        "  resources: {memory: {max: 0}}\n"
                        "  isolation:\n"
                        "    mounts: [{type: bind, source: dev, target: /dev/x}]\n"
                        "    capabilities: {add: [NET_BIND_SERVIC]}\n"
                        "  logs: {maxFile: 2}\n");
    CHECK(where_rules(result) == Rules{"7:15 path-format", "8:21 invalid-value",
                                       "9:29 out-of-range", "11:35 path-format",
                                       "12:26 capability-name", "13:10 unknown-key"});
    CHECK(result.workloads.empty());
}
