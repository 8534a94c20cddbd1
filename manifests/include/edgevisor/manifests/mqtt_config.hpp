// The node config's `mqtt:` section (README "Fleet channel"): how a node reaches its broker.
// Without the section a node runs no MQTT at all. Read by the manifest reader, so errors carry
// file:line:col; the node config's parser calls parse_mqtt_section for its `mqtt` key.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "edgevisor/manifests/manifests.hpp"

namespace edgevisor::manifests {

struct BrokerUrl {
    std::string host;
    int port = 1883;
    bool tls = false;  // mqtts://
    // Paho's spelling: tcp://host:port or ssl://host:port.
    [[nodiscard]] std::string paho_uri() const;
    [[nodiscard]] std::string text() const;  // mqtt[s]://host:port
};

// Parses mqtt://host[:port] or mqtts://host[:port] (IPv6 literals in brackets); "" when valid,
// else what is wrong with it.
std::string parse_broker_url(std::string_view text, BrokerUrl& out);

enum class MqttProtocol { v5, v311 };

struct MqttConfig {
    std::vector<BrokerUrl> urls;  // tried in turn
    std::string client_id;        // "": edgevisor-<node id>
    std::string ca_file;          // "": the system's trust store
    std::string cert_file;        // client certificate (and key) for mutual TLS
    std::string key_file;
    bool verify_hostname = true;  // the server certificate must name the url's host
    std::string username;
    std::string password;  // or read from passwordFile when the config is loaded
    std::string password_file;
    std::chrono::seconds keep_alive{30};
    MqttProtocol protocol = MqttProtocol::v5;
    std::string topic_prefix = "edgevisor/v1";
    std::size_t max_payload = 256 * 1024;  // larger desired documents are refused unread
    std::size_t queue_limit = 1000;        // outgoing messages kept while the broker is away
    std::chrono::milliseconds reconnect_initial{1000};
    std::chrono::milliseconds reconnect_max{60000};
    std::chrono::milliseconds metrics_interval{60000};  // 0: no metrics
};

// Checks for a topic level built from a name (node id, group): not empty, no '+', '#', '/'
// or NUL. "" when valid, else why not.
std::string check_topic_level(std::string_view level);
// A prefix is one or more levels joined by '/', each checked as above.
std::string check_topic_prefix(std::string_view prefix);

// Parses a whole text holding only an `mqtt:` map at its top (tests, edgectl's --config);
// the node config's reader uses detail::parse_mqtt_section.
struct MqttConfigResult {
    MqttConfig config;
    std::vector<Diagnostic> diagnostics;
    [[nodiscard]] bool ok() const { return diagnostics.empty(); }
};
MqttConfigResult parse_mqtt_config(std::string_view text, const std::string& file);

}  // namespace edgevisor::manifests
