// The JSON of every payload the node publishes (README "Fleet channel" has each schema and an
// example; tests/integration/mqtt checks them through mosquitto_sub).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "edgevisor/telemetry/control.hpp"

namespace edgevisor::telemetry::mqtt::detail {

struct AckInfo {
    std::string layer;                      // node, group:<name>
    std::string topic;                      // the desired topic it answers
    std::optional<std::uint64_t> revision;  // none when the payload could not be read
    std::string status;                     // RECEIVED, APPLIED, PARTIAL, REJECTED, SUPERSEDED
    std::string reason;                     // one line for a person ("" when none)
    std::vector<manifests::Diagnostic> errors;
    std::vector<PlanEntry> plan;
    std::vector<std::string> failed;  // PARTIAL: workloads that did not come up, "name: why"
};

struct Envelope {
    std::string node;
    std::uint64_t session = 0;
    std::int64_t unix_ms = 0;
};

std::string ack_json(const Envelope& env, const AckInfo& ack);
// state: online, lost, offline.
std::string status_json(const Envelope& env, const std::string& state, const std::string& version);
std::string reported_json(const Envelope& env, const NodeStatus& status);
std::string event_json(const Envelope& env, const Event& event);
std::string metrics_json(const Envelope& env, const NodeStatus& status);

}  // namespace edgevisor::telemetry::mqtt::detail
