#include "connect_options.hpp"

#include <cctype>
#include <fstream>
#include <sstream>
#include <vector>

namespace edgevisor::telemetry::mqtt::detail {

std::unique_ptr<::mqtt::async_client> make_client(const manifests::MqttConfig& config,
                                                  const NodeIdentity& identity) {
    std::string client_id =
        config.client_id.empty() ? "edgevisor-" + identity.node_id : config.client_id;
    int version =
        config.protocol == manifests::MqttProtocol::v5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
    // No Paho persistence and no Paho offline buffer: the outbox is ours (outbox.hpp).
    return std::make_unique<::mqtt::async_client>(config.urls.front().paho_uri(), client_id,
                                                  ::mqtt::create_options(version), nullptr);
}

namespace {

std::string read_password(const std::string& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error("mqtt.passwordFile: cannot read " + file);
    std::string password;
    std::getline(in, password);
    return password;
}

::mqtt::ssl_options tls_options(const manifests::MqttConfig& config) {
    ::mqtt::ssl_options ssl;
    if (!config.ca_file.empty()) ssl.set_trust_store(config.ca_file);
    if (!config.cert_file.empty()) {
        ssl.set_key_store(config.cert_file);
        ssl.set_private_key(config.key_file);
    }
    ssl.set_enable_server_cert_auth(true);
    ssl.set_verify(config.verify_hostname);
    return ssl;
}

}  // namespace

::mqtt::connect_options make_connect_options(const manifests::MqttConfig& config,
                                             const std::string& status_topic,
                                             const std::string& will_payload) {
    ::mqtt::connect_options options;
    bool v5 = config.protocol == manifests::MqttProtocol::v5;
    options.set_mqtt_version(v5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1);
    // Desired topics are retained: a fresh session receives the latest documents on every
    // subscribe, so no broker-side session state is needed (or kept for a node that is gone).
    if (v5)
        options.set_clean_start(true);
    else
        options.set_clean_session(true);
    options.set_keep_alive_interval(static_cast<int>(config.keep_alive.count()));
    options.set_connect_timeout(10);
    options.set_automatic_reconnect(false);
    auto servers = std::make_shared<::mqtt::string_collection>();
    for (const auto& url : config.urls) servers->push_back(url.paho_uri());
    options.set_servers(servers);
    if (!status_topic.empty())
        options.set_will(::mqtt::will_options(status_topic, will_payload, 1, true));
    if (uses_tls(config)) options.set_ssl(tls_options(config));
    if (!config.username.empty()) options.set_user_name(config.username);
    if (!config.password.empty()) options.set_password(config.password);
    if (!config.password_file.empty()) options.set_password(read_password(config.password_file));
    return options;
}

bool uses_tls(const manifests::MqttConfig& config) {
    for (const auto& url : config.urls)
        if (url.tls) return true;
    return false;
}

std::string urls_text(const manifests::MqttConfig& config) {
    std::string out;
    for (const auto& url : config.urls) out += (out.empty() ? "" : ", ") + url.text();
    return out;
}

std::string describe_code(int code) {
    switch (code) {
        case 0:
            return "no reason given";
        case 1:
        case 0x84:
            return "the broker refused the protocol version";
        case 2:
        case 0x85:
            return "the broker refused the client id";
        case 3:
        case 0x88:
            return "the broker is unavailable";
        case 4:
        case 0x86:
            return "bad user name or password";
        case 5:
        case 0x87:
            return "not authorized";
        default:
            break;
    }
    std::string text = ::mqtt::exception::error_str(code);
    return text.empty() || text == "Unknown error" ? "error " + std::to_string(code) : text;
}

}  // namespace edgevisor::telemetry::mqtt::detail
