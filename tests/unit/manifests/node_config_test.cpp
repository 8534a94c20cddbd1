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
    CHECK(r.config.supervisor.release_memory_after == Duration{5000});
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
supervisor: {debounce: 1s, stableRun: 30s, crashLoopAfter: 3, watchdog: 5s,
             releaseMemoryAfter: 0}
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
    CHECK(c.supervisor.release_memory_after == Duration{0});
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
          "apiVersion, kind, node, paths, cgroup, log, supervisor, idPool, dbus, mqtt); did you "
          "mean 'mqtt'? [unknown-key]");
    CHECK(r.diagnostics[1].format() ==
          "/etc/edgevisor/edgevisor.yaml:4:3: unknown key 'manifest' in paths (expected: "
          "manifests, state, runtime, logs); did you mean 'manifests'? [unknown-key]");
    CHECK(r.diagnostics[2].format() ==
          "/etc/edgevisor/edgevisor.yaml:5:14: log.level: 'loud' is not one of debug, info, warn, "
          "error [invalid-value]");
}

TEST_CASE("a section given twice is an error naming both, not the first one silently") {
    auto r = parse_node_config(
        "apiVersion: edgevisor/v1\nkind: NodeConfig\nlog: {level: debug}\nlog: {level: info}\n",
        "/etc/edgevisor/edgevisor.yaml");
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].format() ==
          "/etc/edgevisor/edgevisor.yaml:4:1: duplicate key 'log' in NodeConfig (first at line 3, "
          "column 1) [duplicate-key]");
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

TEST_CASE("the mqtt section: none means no MQTT, and its keys, errors and printed form") {
    CHECK_FALSE(parse_node_config("", "n.yaml").config.mqtt);
    CHECK_FALSE(
        parse_node_config("apiVersion: edgevisor/v1\nkind: NodeConfig\nmqtt: null\n", "n.yaml")
            .config.mqtt);
    auto r = parse_node_config(R"(apiVersion: edgevisor/v1
kind: NodeConfig
node: {id: edge-1}
mqtt:
  url: [mqtts://a.example, "mqtt://[::1]:1884"]
  clientId: edge-1-client
  caFile: /etc/edgevisor/ca.pem
  certFile: /etc/edgevisor/node.pem
  keyFile: /etc/edgevisor/node.key
  verifyHostname: false
  username: node
  passwordFile: /etc/edgevisor/mqtt.pass
  keepAlive: 1m
  protocol: mqtt3.1.1
  topicPrefix: acme/fleet
  maxPayload: 64Ki
  queueLimit: 50
  reconnect: {initial: 500ms, max: 10s}
  metricsInterval: 0s
)",
                               "n.yaml");
    REQUIRE(r.ok());
    REQUIRE(r.config.mqtt);
    const MqttConfig& m = *r.config.mqtt;
    REQUIRE(m.urls.size() == 2);
    CHECK(m.urls[0].text() == "mqtts://a.example:8883");
    CHECK(m.urls[1].paho_uri() == "tcp://[::1]:1884");
    CHECK(m.client_id == "edge-1-client");
    CHECK_FALSE(m.verify_hostname);
    CHECK(m.keep_alive == std::chrono::seconds(60));
    CHECK(m.protocol == MqttProtocol::v311);
    CHECK(m.topic_prefix == "acme/fleet");
    CHECK(m.max_payload == 64 * 1024);
    CHECK(m.queue_limit == 50);
    CHECK(m.reconnect_initial == std::chrono::milliseconds(500));
    CHECK(m.metrics_interval.count() == 0);

    // The printed effective config reads back as the same section.
    auto again = parse_node_config(render_node_config(r.config), "printed.yaml");
    REQUIRE(again.ok());
    REQUIRE(again.config.mqtt);
    CHECK(render_node_config(again.config) == render_node_config(r.config));
    CHECK(again.config.mqtt->password_file == "/etc/edgevisor/mqtt.pass");
    CHECK(again.config.mqtt->urls[1].text() == "mqtt://[::1]:1884");

    auto bad = parse_node_config(
        "apiVersion: edgevisor/v1\nkind: NodeConfig\nmqtt:\n  url: tcp://x\n  keepalive: 5s\n",
        "n.yaml");
    REQUIRE(bad.diagnostics.size() == 2);
    CHECK(bad.diagnostics[0].format().rfind("n.yaml:5:3: unknown key 'keepalive' in mqtt", 0) == 0);
    CHECK(bad.diagnostics[0].format().find("did you mean 'keepAlive'?") != std::string::npos);
    CHECK(bad.diagnostics[1].format() ==
          "n.yaml:4:8: mqtt.url: 'tcp://x': expected mqtt://host[:port] or mqtts://host[:port] "
          "[url-format]");
    auto no_url = parse_node_config("apiVersion: edgevisor/v1\nkind: NodeConfig\nmqtt: {}\n", "n");
    REQUIRE(no_url.diagnostics.size() == 1);
    CHECK(no_url.diagnostics[0].rule == "missing-key");
}
