// The mqtt: config section turned into Paho's client and connect options: servers tried in
// turn, MQTT 5 or 3.1.1, a clean session, the will, TLS with server-certificate and hostname
// verification on (Paho leaves hostname verification off unless asked), credentials.
#pragma once

#include <memory>
#include <string>

#include <mqtt/async_client.h>

#include "edgevisor/manifests/mqtt_config.hpp"
#include "edgevisor/telemetry/mqtt.hpp"

namespace edgevisor::telemetry::mqtt::detail {

// Throws ::mqtt::exception (callers catch it at this boundary).
std::unique_ptr<::mqtt::async_client> make_client(const manifests::MqttConfig& config,
                                                  const NodeIdentity& identity);

// Throws ::mqtt::exception or std::exception for an unreadable password file.
::mqtt::connect_options make_connect_options(const manifests::MqttConfig& config,
                                             const std::string& status_topic,
                                             const std::string& will_payload);

bool uses_tls(const manifests::MqttConfig& config);

// "mqtt://a:1883, mqtts://b:8883"
std::string urls_text(const manifests::MqttConfig& config);

// A Paho return code or MQTT reason code for a person.
std::string describe_code(int code);

}  // namespace edgevisor::telemetry::mqtt::detail
