// The fleet side's MQTT client (edgectl push, edgectl fleet status): a short-lived, blocking
// client on the operator's machine, with the node's TLS and credential options. Paho stays
// behind this header.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/manifests/mqtt_config.hpp"

namespace edgevisor::telemetry::mqtt {

struct FleetMessage {
    std::string topic;
    std::string payload;
    bool retained = false;
};

class FleetClient {
  public:
    // Connects to the first url that answers (config.urls in turn), as `client_id`.
    static Result<std::unique_ptr<FleetClient>> connect(const manifests::MqttConfig& config,
                                                        const std::string& client_id,
                                                        std::chrono::milliseconds timeout);
    virtual ~FleetClient() = default;
    // Subscribes (QoS 1; wildcards allowed here) and waits for the broker's answer.
    virtual Status subscribe(const std::vector<std::string>& filters) = 0;
    // The next message, or nullopt when none came within `timeout`.
    virtual std::optional<FleetMessage> next(std::chrono::milliseconds timeout) = 0;
    // QoS 1; waits until the broker has it.
    virtual Status publish(const std::string& topic, const std::string& payload, bool retained) = 0;
};

}  // namespace edgevisor::telemetry::mqtt
