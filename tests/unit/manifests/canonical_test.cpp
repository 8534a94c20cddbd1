// The canonical form and hash: the same for the same meaning, different for a real change.
#include <catch2/catch.hpp>

#include "manifest_test_support.hpp"

using namespace edgevisor::manifests;
using edgevisor::testing::messages;
using edgevisor::testing::parse;

namespace {

std::string hash_of(const std::string& text) {
    auto result = parse(text);
    INFO(messages(result));
    REQUIRE(result.ok());
    REQUIRE(result.workloads.size() == 1);
    return canonical_hash(result.workloads[0]);
}

const std::string kBlock = R"(apiVersion: edgevisor/v1
kind: Workload
metadata:
  name: web
  labels:
    app: web
    tier: edge
spec:
  command: ["/usr/bin/python3", "-m", "http.server"]
  env:
    B: "2"
    A: "1"
  resources:
    memory:
      max: 64Mi
    cpu:
      max: "0.5"
  isolation:
    capabilities:
      add: [NET_BIND_SERVICE, CHOWN]
    namespaces: [net, pid, mount, uts, ipc, cgroup]
    mounts:
      - type: tmpfs
        target: /tmp
        size: 16Mi
)";

// The same meaning: flow style, other key order, other units, and defaults written out.
const std::string kReordered = R"(# the same, written differently
spec:
  isolation: {mounts: [{target: /tmp, size: 16384Ki, type: tmpfs, readOnly: false}],
              namespaces: [pid, mount, ipc, uts, net, cgroup], network: none, hostname: web,
              capabilities: {add: [CAP_CHOWN, CAP_NET_BIND_SERVICE, CHOWN]},
              rootfs: {path: /, readOnly: true}, seccomp: {profile: default},
              noNewPrivileges: true}
  resources: {cpu: {max: 500m, period: 100ms}, memory: {max: 67108864}}
  env: {A: "1", B: "2"}
  command: [/usr/bin/python3, -m, http.server]
  workingDir: /
  user: {uid: 0}
  restart: {policy: always, backoff: {initial: 1s, max: 1m}}
  logs: {maxSize: 1Mi, maxFiles: 3}
kind: Workload
metadata: {labels: {tier: edge, app: web}, name: web}
apiVersion: edgevisor/v1
)";

}  // namespace

TEST_CASE("the hash ignores key order, formatting, units and spelled-out defaults") {
    std::string a = hash_of(kBlock);
    CHECK(a.size() == 64);
    CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(hash_of(kReordered) == a);
}

TEST_CASE("the canonical form is the same text for the same meaning") {
    auto a = parse(kBlock);
    auto b = parse(kReordered);
    REQUIRE((a.ok() && b.ok()));
    CHECK(canonical_form(a.workloads[0]) == canonical_form(b.workloads[0]));
    CHECK_THAT(canonical_form(a.workloads[0]), Catch::Contains("\"hostname\":\"web\""));
}

TEST_CASE("any real change changes the hash") {
    std::string base = hash_of(kBlock);
    auto changed = [&](const std::string& from, const std::string& to) {
        std::string text = kBlock;
        auto at = text.find(from);
        REQUIRE(at != std::string::npos);
        text.replace(at, from.size(), to);
        return hash_of(text);
    };
    CHECK(changed("max: 64Mi", "max: 65Mi") != base);
    CHECK(changed("max: \"0.5\"", "max: \"0.6\"") != base);
    CHECK(changed("B: \"2\"", "B: \"3\"") != base);
    CHECK(changed("\"http.server\"]", "\"http.server\", \"8000\"]") != base);
    CHECK(changed("[NET_BIND_SERVICE, CHOWN]", "[NET_BIND_SERVICE]") != base);
    CHECK(changed("tier: edge", "tier: core") != base);
    CHECK(changed("size: 16Mi", "size: 32Mi") != base);
    CHECK(changed("  resources:", "  workingDir: /srv\n  resources:") != base);
}

TEST_CASE("argument order in the command is significant, env order is not") {
    auto with = [](const std::string& command) {
        return "apiVersion: edgevisor/v1\nkind: Workload\nmetadata: {name: a}\nspec: {command: " +
               command + "}\n";
    };
    CHECK(hash_of(with("[/bin/echo, a, b]")) != hash_of(with("[/bin/echo, b, a]")));
}

TEST_CASE("the default host name follows the workload's name only with a uts namespace") {
    auto text = [](const std::string& isolation) {
        return "apiVersion: edgevisor/v1\nkind: Workload\nmetadata: {name: a}\n"
               "spec: {command: [/bin/true], isolation: " +
               isolation + "}\n";
    };
    CHECK(hash_of(text("{hostname: a}")) == hash_of(text("{}")));
    CHECK(hash_of(text("{hostname: b}")) != hash_of(text("{}")));
}
