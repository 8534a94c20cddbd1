// The TLS files of the mqtt: section, checked with OpenSSL on the loop thread before every
// connect attempt. Paho C reads them on its own thread and, when one is missing or not PEM,
// says nothing useful (and Paho C++ 1.2's error callback crashed there: its context is a
// connect_options copy that is gone by then). Checking first names the file and the reason, and
// a file provisioned later is picked up by the next attempt.
#pragma once

#include <string>

#include "edgevisor/manifests/mqtt_config.hpp"

namespace edgevisor::telemetry::mqtt::detail {

// "" when caFile, certFile, keyFile (and passwordFile) can be used; else what is wrong, e.g.
// "mqtt.keyFile /etc/x.key: does not belong to the certificate in mqtt.certFile /etc/x.pem".
std::string check_tls_files(const manifests::MqttConfig& config);

}  // namespace edgevisor::telemetry::mqtt::detail
