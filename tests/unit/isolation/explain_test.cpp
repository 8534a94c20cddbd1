// edgectl validate --explain: the secure defaults and every opt-out said in plain words, from
// the parser's output for a manifest.
#include <catch2/catch.hpp>

#include "edgevisor/isolation/explain.hpp"
#include "edgevisor/manifests/manifests.hpp"

using namespace edgevisor;

namespace {

std::vector<std::string> explain(const std::string& spec_lines) {
    auto result = manifests::parse_text(
        "apiVersion: edgevisor/v1\nkind: Workload\n"
        "metadata: {name: w}\nspec:\n  command: [/bin/true]\n" +
            spec_lines,
        "test.yaml");
    for (const auto& d : result.diagnostics) INFO(d.format());
    REQUIRE(result.ok());
    return isolation::explain_isolation(result.workloads.at(0));
}

// The line that starts with `topic: `, or "" when there is none.
std::string line(const std::vector<std::string>& lines, const std::string& topic) {
    for (const auto& l : lines)
        if (l.starts_with(topic + ": ")) return l;
    return "";
}

bool has_text(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE(
    "explain: a default workload is not host root, sees the host privately, has no calls beyond "
    "the allow list") {
    auto lines = explain("");
    CHECK(has_text(line(lines, "ids"), "root inside is an unprivileged host id"));
    CHECK(line(lines, "namespaces") == "namespaces: its own user pid mount net ipc uts cgroup");
    CHECK(has_text(line(lines, "network"), "loopback only"));
    CHECK(has_text(line(lines, "root"), "read-only"));
    CHECK(has_text(line(lines, "root"), "fresh tmpfs /tmp /var/tmp /run"));
    CHECK(has_text(line(lines, "capabilities"), "capabilities: none; noNewPrivileges"));
    CHECK(has_text(line(lines, "seccomp"), "allow list"));
    CHECK(has_text(line(lines, "limits"), "pids.max 4096 (the default)"));
    CHECK(line(lines, "warning").empty());
}

TEST_CASE("explain: each opt-out is said plainly, with its warning") {
    SECTION("no user namespace") {
        auto lines = explain("  isolation: {namespaces: [pid, mount, ipc, uts, net, cgroup]}\n");
        CHECK(has_text(line(lines, "ids"), "uid 0 inside IS the host's root"));
        CHECK(has_text(line(lines, "namespaces"), "the host's user"));
        CHECK(has_text(line(lines, "warning"), "without 'user'"));
    }
    SECTION("inside 0 mapped to host 0") {
        auto lines = explain(
            "  isolation: {uidMap: [{inside: 0, outside: 0, count: 65536}], "
            "gidMap: [{inside: 0, outside: 0, count: 65536}]}\n");
        CHECK(has_text(line(lines, "ids"), "IS the host's root for files"));
        CHECK(has_text(line(lines, "warning"), "uidMap"));
    }
    SECTION("no pid namespace, host network, unconfined, a writable bind, capabilities") {
        auto lines = explain(
            "  isolation:\n"
            "    namespaces: [user, mount, ipc, uts, cgroup]\n"
            "    network: host\n"
            "    seccomp: {profile: unconfined}\n"
            "    capabilities: {add: [NET_ADMIN]}\n"
            "    mounts: [{source: /srv/data, target: /data, readOnly: false}]\n"
            "  resources: {pids: {max: 64}}\n");
        CHECK(has_text(line(lines, "pid 1"), "no pid namespace"));
        CHECK(has_text(line(lines, "network"), "the host's interfaces"));
        CHECK(has_text(line(lines, "seccomp"), "NONE (unconfined)"));
        CHECK(has_text(line(lines, "capabilities"), "CAP_NET_ADMIN"));
        CHECK(line(lines, "mount") ==
              "mount: bind /srv/data -> /data (writable, idmapped where the kernel allows)");
        CHECK(has_text(line(lines, "limits"), "pids.max 64"));
        CHECK(has_text(line(lines, "warning"), "without 'pid'"));
    }
}
