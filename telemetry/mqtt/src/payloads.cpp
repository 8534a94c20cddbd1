#include "payloads.hpp"

#include <nlohmann/json.hpp>

namespace edgevisor::telemetry::mqtt::detail {
namespace {

using nlohmann::json;

json envelope(const Envelope& env) {
    return json{{"node", env.node}, {"session", env.session}, {"time", env.unix_ms}};
}

json diagnostics_json(const std::vector<manifests::Diagnostic>& errors) {
    json out = json::array();
    for (const auto& d : errors)
        out.push_back({{"line", d.mark.line},
                       {"column", d.mark.column},
                       {"rule", d.rule},
                       {"message", d.message},
                       {"text", d.format()}});
    return out;
}

// Every string we publish must be valid UTF-8 (JSON), whatever a workload or a peer wrote.
std::string dump(const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::string ack_json(const Envelope& env, const AckInfo& ack) {
    json out = envelope(env);
    out["layer"] = ack.layer;
    out["topic"] = ack.topic;
    out["revision"] = ack.revision ? json(*ack.revision) : json(nullptr);
    out["status"] = ack.status;
    if (!ack.reason.empty()) out["reason"] = ack.reason;
    if (!ack.errors.empty()) out["errors"] = diagnostics_json(ack.errors);
    if (!ack.plan.empty()) {
        json plan = json::array();
        for (const auto& entry : ack.plan)
            plan.push_back({{"workload", entry.workload}, {"action", entry.action}});
        out["plan"] = plan;
    }
    if (!ack.failed.empty()) out["failed"] = ack.failed;
    return dump(out);
}

std::string status_json(const Envelope& env, const std::string& state, const std::string& version) {
    json out = envelope(env);
    out["state"] = state;
    out["version"] = version;
    return dump(out);
}

namespace {

// The node's own figures (as status.json's resources); absent before the first sample.
void add_resources(json& out, const NodeStatus& status) {
    if (status.resources) out["resources"] = resources_json<json>(*status.resources);
}

}  // namespace

std::string reported_json(const Envelope& env, const NodeStatus& status) {
    json out = envelope(env);
    out["version"] = status.version;
    out["groups"] = status.groups;
    json layers = json::array();
    for (const auto& layer : status.layers)
        layers.push_back({{"name", layer.name},
                          {"revision", layer.revision},
                          {"workloads", layer.workloads},
                          {"errors", diagnostics_json(layer.errors)}});
    out["layers"] = layers;
    json workloads = json::array();
    for (const auto& w : status.workloads)
        workloads.push_back({{"name", w.name},
                             {"state", w.state},
                             {"health", w.health},
                             {"layer", w.layer},
                             {"specHash", w.spec_hash},
                             {"pid", w.pid},
                             {"restarts", w.restarts},
                             {"lastExit", w.last_exit},
                             {"message", w.message},
                             {"since", w.since_unix_ms}});
    out["workloads"] = workloads;
    out["conflicts"] = conflicts_json<json>(status.conflicts);
    add_resources(out, status);
    return dump(out);
}

std::string event_json(const Envelope& env, const Event& event) {
    json out = envelope(env);
    out["seq"] = event.seq;
    out["eventTime"] = event.unix_ms;
    out["workload"] = event.workload;
    out["kind"] = event.kind;
    out["message"] = event.message;
    return dump(out);
}

std::string metrics_json(const Envelope& env, const NodeStatus& status) {
    json out = envelope(env);
    json samples = json::array();
    for (const auto& w : status.workloads)
        samples.push_back({{"workload", w.name},
                           {"cpuUsec", w.cpu_usec},
                           {"cpuCores", w.cpu_cores},
                           {"memoryBytes", w.memory_bytes},
                           {"pids", w.pids}});
    out["samples"] = samples;
    add_resources(out, status);
    return dump(out);
}

}  // namespace edgevisor::telemetry::mqtt::detail
