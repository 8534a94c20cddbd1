// mqtt: the fleet channel (README "Fleet channel (MQTT)"). The keys are parsed by
// parse_mqtt_config.cpp (shared with edgectl's broker options); this file makes the section
// optional in the node config (absent: no MQTT) and prints it back.
#include "../parse_sections.hpp"
#include "sections.hpp"

namespace edgevisor::manifests::detail {

void parse_node_mqtt_section(Context& ctx, const yaml::Node& node, NodeConfig& out) {
    MqttConfig config;
    parse_mqtt_section(ctx, node, config);
    out.mqtt = std::move(config);
}

std::string render_mqtt_section(const NodeConfig& config) {
    if (!config.mqtt) return "";
    const MqttConfig& m = *config.mqtt;
    std::vector<std::string> urls;
    for (const auto& url : m.urls) urls.push_back(url.text());
    std::string out = "mqtt:\n  url: " + yaml_quoted_list(urls);
    auto line = [&out](std::string_view key, const std::string& value) {
        out += "\n  " + std::string(key) + ": " + value;
    };
    if (!m.client_id.empty()) line("clientId", yaml_quoted(m.client_id));
    if (!m.ca_file.empty()) line("caFile", yaml_quoted(m.ca_file));
    if (!m.cert_file.empty()) line("certFile", yaml_quoted(m.cert_file));
    if (!m.key_file.empty()) line("keyFile", yaml_quoted(m.key_file));
    line("verifyHostname", m.verify_hostname ? "true" : "false");
    if (!m.username.empty()) line("username", yaml_quoted(m.username));
    // A password given inline is not printed: --check-config output ends up in logs and
    // support tickets. Put it in passwordFile to keep the printed config complete.
    if (!m.password_file.empty()) line("passwordFile", yaml_quoted(m.password_file));
    line("keepAlive", std::to_string(m.keep_alive.count()) + "s");
    line("protocol", m.protocol == MqttProtocol::v5 ? "mqtt5" : "mqtt3.1.1");
    line("topicPrefix", yaml_quoted(m.topic_prefix));
    line("maxPayload", std::to_string(m.max_payload));
    line("queueLimit", std::to_string(m.queue_limit));
    out += "\n  reconnect: {initial: " + duration_text(m.reconnect_initial) +
           ", max: " + duration_text(m.reconnect_max) + "}";
    line("metricsInterval", duration_text(m.metrics_interval));
    return out + "\n";
}

}  // namespace edgevisor::manifests::detail
