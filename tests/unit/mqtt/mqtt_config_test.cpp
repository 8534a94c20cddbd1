// The node config's mqtt: section: defaults, every key, and errors at their line:col.
#include <catch2/catch.hpp>

#include "diagnostic_marks.hpp"
#include "edgevisor/manifests/mqtt_config.hpp"

using namespace edgevisor::manifests;

namespace {

std::vector<std::string> where_rules(const MqttConfigResult& result) {
    return edgevisor::testing::marks_and_rules(result.diagnostics);
}

}  // namespace

TEST_CASE("an mqtt section with only a url takes the documented defaults") {
    auto result = parse_mqtt_config("mqtt: {url: \"mqtt://broker.local\"}\n", "c.yaml");
    REQUIRE(result.ok());
    const auto& c = result.config;
    REQUIRE(c.urls.size() == 1);
    CHECK(c.urls[0].host == "broker.local");
    CHECK(c.urls[0].port == 1883);
    CHECK_FALSE(c.urls[0].tls);
    CHECK(c.urls[0].paho_uri() == "tcp://broker.local:1883");
    CHECK(c.verify_hostname);
    CHECK(c.protocol == MqttProtocol::v5);
    CHECK(c.topic_prefix == "edgevisor/v1");
    CHECK(c.max_payload == 256 * 1024);
    CHECK(c.keep_alive == std::chrono::seconds(30));
}

TEST_CASE("every key of the mqtt section is read") {
    auto result = parse_mqtt_config(R"(mqtt:
  url: ["mqtts://a.example", "mqtts://[::1]:9883"]
  clientId: node-7
  caFile: /etc/edgevisor/ca.pem
  certFile: /etc/edgevisor/node.pem
  keyFile: /etc/edgevisor/node.key
  verifyHostname: false
  username: node-7
  passwordFile: /etc/edgevisor/mqtt.pass
  keepAlive: 1m
  protocol: mqtt3.1.1
  topicPrefix: plant/edgevisor
  maxPayload: 64Ki
  queueLimit: 50
  reconnect: {initial: 500ms, max: 2m}
  metricsInterval: 0s
)",
                                    "c.yaml");
    INFO((result.ok() ? "" : result.diagnostics.front().format()));
    REQUIRE(result.ok());
    const auto& c = result.config;
    REQUIRE(c.urls.size() == 2);
    CHECK(c.urls[0].port == 8883);
    CHECK(c.urls[1].host == "::1");
    CHECK(c.urls[1].paho_uri() == "ssl://[::1]:9883");
    CHECK(c.client_id == "node-7");
    CHECK_FALSE(c.verify_hostname);
    CHECK(c.password_file == "/etc/edgevisor/mqtt.pass");
    CHECK(c.keep_alive == std::chrono::seconds(60));
    CHECK(c.protocol == MqttProtocol::v311);
    CHECK(c.topic_prefix == "plant/edgevisor");
    CHECK(c.max_payload == 64 * 1024);
    CHECK(c.queue_limit == 50);
    CHECK(c.reconnect_initial == std::chrono::milliseconds(500));
    CHECK(c.reconnect_max == std::chrono::minutes(2));
    CHECK(c.metrics_interval.count() == 0);
}

TEST_CASE("mqtt section errors point at the key or value") {
    CHECK(where_rules(parse_mqtt_config("mqtt:\n  url: http://x\n", "c")) ==
          std::vector<std::string>{"2:8 url-format"});
    CHECK(where_rules(parse_mqtt_config("mqtt:\n  url: mqtt://x:70000\n", "c")) ==
          std::vector<std::string>{"2:8 url-format"});
    CHECK(where_rules(parse_mqtt_config("mqtt:\n  url: mqtt://x\n  topicPrefix: a/+/b\n", "c")) ==
          std::vector<std::string>{"3:16 topic-level"});
    CHECK(where_rules(parse_mqtt_config("mqtt:\n  url: mqtt://x\n  topicPrefix: a//b\n", "c")) ==
          std::vector<std::string>{"3:16 topic-level"});
    CHECK(where_rules(parse_mqtt_config("mqtt:\n  urls: mqtt://x\n", "c")) ==
          std::vector<std::string>{"2:3 unknown-key", "2:3 missing-key"});
    CHECK(where_rules(parse_mqtt_config("mqtt:\n  url: mqtt://x\n  protocol: mqtt4\n", "c")) ==
          std::vector<std::string>{"3:13 invalid-value"});
    CHECK(where_rules(parse_mqtt_config("mqtt:\n  url: mqtt://x\n  certFile: /a\n", "c")) ==
          std::vector<std::string>{"2:3 missing-key"});
    // Past 64Mi (it would not even fit a size_t on armhf when it is 8Gi).
    CHECK(where_rules(parse_mqtt_config("mqtt:\n  url: mqtt://x\n  maxPayload: 8Gi\n", "c")) ==
          std::vector<std::string>{"3:15 out-of-range"});
}

TEST_CASE("topic levels built from names are checked") {
    CHECK(check_topic_level("edge-0042").empty());
    CHECK_FALSE(check_topic_level("").empty());
    CHECK_FALSE(check_topic_level("a/b").empty());
    CHECK_FALSE(check_topic_level("a+").empty());
    CHECK_FALSE(check_topic_level("#").empty());
    CHECK_FALSE(check_topic_level(std::string("a\0b", 3)).empty());
    CHECK(check_topic_prefix("edgevisor/v1").empty());
    CHECK_FALSE(check_topic_prefix("/edgevisor").empty());
    CHECK_FALSE(check_topic_prefix("edgevisor/").empty());
}
