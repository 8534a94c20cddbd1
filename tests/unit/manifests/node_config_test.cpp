// The node config: defaults, every section, errors with positions, the printed effective config.
#include <catch2/catch.hpp>

#include "edgevisor/manifests/node_config.hpp"

using namespace edgevisor::manifests;

TEST_CASE("an empty node config is the embedded defaults") {
    auto r = parse_node_config("", "edgevisor.yaml");
    REQUIRE(r.ok());
    CHECK(r.config.paths.manifests == "/etc/edgevisor/manifests.d");
    CHECK(r.config.paths.state == "/var/lib/edgevisor");
    CHECK(r.config.paths.runtime == "/run/edgevisor");
    CHECK(r.config.paths.logs == "/var/log/edgevisor");
    CHECK_FALSE(r.config.cgroup.allow_missing_controllers);
    CHECK(r.config.log.level == "info");
    CHECK(r.config.node.id.empty());
}

TEST_CASE("every node config section is read") {
    auto r = parse_node_config(R"(apiVersion: edgevisor/v1
kind: NodeConfig
node: {id: edge-0042, groups: [line-3, eu-west], labels: {site: plant-7}}
paths: {manifests: /m, state: /s, runtime: /r, logs: /l}
cgroup: {allowMissingControllers: true, layout: delegated, subtree: a/b}
log: {level: debug}
supervisor: {debounce: 1s, stableRun: 30s, crashLoopAfter: 3, watchdog: 5s}
idPool: {first: 100000, size: 1000, count: 10}
dbus: {bus: "unix:path=/run/x", adminGroup: wheel}
)",
                               "n.yaml");
    INFO((r.diagnostics.empty() ? "" : r.diagnostics[0].format()));
    REQUIRE(r.ok());
    const auto& c = r.config;
    CHECK(c.node.id == "edge-0042");
    CHECK(c.node.groups == std::vector<std::string>{"line-3", "eu-west"});
    CHECK(c.node.labels.at("site") == "plant-7");
    CHECK(c.paths.logs == "/l");
    CHECK(c.cgroup.layout == CgroupLayoutChoice::delegated);
    CHECK(c.cgroup.subtree == "a/b");
    CHECK(c.log.level == "debug");
    CHECK(c.supervisor.debounce == Duration{1000});
    CHECK(c.supervisor.crash_loop_after == 3);
    CHECK(c.id_pool.count == 10);
    CHECK(c.dbus.bus == "unix:path=/run/x");
    CHECK(c.dbus.admin_group == "wheel");
    // The printed effective config reads back as the same config.
    auto again = parse_node_config(render_node_config(c), "printed");
    REQUIRE(again.ok());
    CHECK(render_node_config(again.config) == render_node_config(c));
}

TEST_CASE("node config errors name file, line and column") {
    auto r = parse_node_config(
        "apiVersion: edgevisor/v1\nkind: NodeConfig\npaths:\n  manifest: /x\n"
        "log: {level: loud}\nmqqt: {}\n",
        "/etc/edgevisor/edgevisor.yaml");
    REQUIRE(r.diagnostics.size() == 3);
    CHECK(r.diagnostics[0].format() ==
          "/etc/edgevisor/edgevisor.yaml:6:1: unknown key 'mqqt' in NodeConfig (expected: "
          "apiVersion, kind, node, paths, cgroup, log, supervisor, idPool, dbus) [unknown-key]");
    CHECK(r.diagnostics[1].format() ==
          "/etc/edgevisor/edgevisor.yaml:4:3: unknown key 'manifest' in paths (expected: "
          "manifests, state, runtime, logs); did you mean 'manifests'? [unknown-key]");
    CHECK(r.diagnostics[2].format() ==
          "/etc/edgevisor/edgevisor.yaml:5:14: log.level: 'loud' is not one of debug, info, warn, "
          "error [invalid-value]");
}

TEST_CASE("a node config with a wrong kind or a relative path is refused") {
    auto r =
        parse_node_config("apiVersion: edgevisor/v1\nkind: Workload\npaths: {state: var}\n", "n");
    REQUIRE(r.diagnostics.size() == 2);
    CHECK(r.diagnostics[0].rule == "kind");
    CHECK(r.diagnostics[1].rule == "path-format");
}

TEST_CASE("the dbus section: defaults, and a bus or group that cannot be right") {
    auto defaults = parse_node_config("", "n");
    REQUIRE(defaults.ok());
    CHECK(defaults.config.dbus.bus == "system");
    CHECK(defaults.config.dbus.admin_group == "edgevisor");
    auto root_only = parse_node_config(
        "apiVersion: edgevisor/v1\nkind: NodeConfig\ndbus: {bus: session, adminGroup: \"\"}\n",
        "n");
    REQUIRE(root_only.ok());
    CHECK(root_only.config.dbus.admin_group.empty());
    auto r = parse_node_config(
        "apiVersion: edgevisor/v1\nkind: NodeConfig\ndbus: {bus: systm, adminGroup: Admins}\n",
        "n.yaml");
    REQUIRE(r.diagnostics.size() == 2);
    CHECK(r.diagnostics[0].format() ==
          "n.yaml:3:13: dbus.bus: 'systm' is not system, session or a D-Bus address (e.g. "
          "unix:path=/run/bus) [invalid-value]");
    CHECK(r.diagnostics[1].format() ==
          "n.yaml:3:32: dbus.adminGroup: 'Admins' is not a group name ([a-z_][a-z0-9_-]*; \"\" "
          "for root only) [invalid-value]");
}
