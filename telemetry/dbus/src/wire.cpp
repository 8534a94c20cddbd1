#include "wire.hpp"

#include <systemd/sd-bus.h>

#include <cstdlib>
#include <utility>

#include "edgevisor/telemetry/dbus.hpp"

namespace edgevisor::telemetry::dbus {

std::string workload_path(std::string_view name) {
    char* path = nullptr;
    // sd_bus_path_encode fails only for an invalid prefix or out of memory; a name of the
    // manifest's [a-z0-9-] (or anything else: every other byte is escaped) always encodes.
    if (sd_bus_path_encode(kWorkloadPathPrefix, std::string(name).c_str(), &path) < 0)
        throw std::bad_alloc();
    std::string result(path);
    std::free(path);
    return result;
}

std::string describe_bus(std::string_view bus) {
    if (bus == "system" || bus == "session") return "the " + std::string(bus) + " bus";
    return "the bus at " + std::string(bus);
}

}  // namespace edgevisor::telemetry::dbus

namespace edgevisor::telemetry::dbus::wire {

Workload to_wire(const WorkloadStatus& s) {
    return Workload(s.name, s.state, s.health, s.layer, s.spec_hash, s.pid, s.restarts, s.last_exit,
                    s.message, s.since_unix_ms, s.cpu_usec, s.cpu_cores, s.memory_bytes, s.pids,
                    sdbus::ObjectPath(workload_path(s.name)));
}

WorkloadStatus from_wire(const Workload& w) {
    WorkloadStatus s;
    std::tie(s.name, s.state, s.health, s.layer, s.spec_hash, s.pid, s.restarts, s.last_exit,
             s.message, s.since_unix_ms, s.cpu_usec, s.cpu_cores, s.memory_bytes, s.pids,
             std::ignore) = w;
    return s;
}

Event to_wire(const telemetry::Event& e) {
    return Event(e.seq, e.unix_ms, e.workload, e.kind, e.message);
}

telemetry::Event from_wire(const Event& w) {
    telemetry::Event e;
    std::tie(e.seq, e.unix_ms, e.workload, e.kind, e.message) = w;
    return e;
}

Diagnostic to_wire(const manifests::Diagnostic& d) {
    return Diagnostic(d.mark.file, d.mark.line, d.mark.column, d.rule, d.message);
}

manifests::Diagnostic from_wire(const Diagnostic& w) {
    manifests::Diagnostic d;
    std::tie(d.mark.file, d.mark.line, d.mark.column, d.rule, d.message) = w;
    return d;
}

NodeResources to_wire(const std::optional<telemetry::NodeResources>& resources) {
    const telemetry::NodeResources r = resources.value_or(telemetry::NodeResources{});
    return NodeResources(r.load1, r.load5, r.load15, r.memory_total, r.memory_available,
                         r.supervisor_cpu_usec, r.supervisor_cpu_cores, r.supervisor_rss);
}

std::optional<telemetry::NodeResources> from_wire(const NodeResources& w) {
    telemetry::NodeResources r;
    std::tie(r.load1, r.load5, r.load15, r.memory_total, r.memory_available, r.supervisor_cpu_usec,
             r.supervisor_cpu_cores, r.supervisor_rss) = w;
    // A sample always has the node's total memory; zeros are what to_wire sends before one.
    if (r.memory_total == 0) return std::nullopt;
    return r;
}

Conflict to_wire(const LayerConflict& c) {
    std::vector<LayerSource> shadowed;
    shadowed.reserve(c.shadowed.size());
    for (const auto& d : c.shadowed) shadowed.emplace_back(d.layer, d.source);
    return Conflict(c.workload, c.used.layer, c.used.source, std::move(shadowed));
}

LayerConflict from_wire(const Conflict& w) {
    LayerConflict c;
    std::vector<LayerSource> shadowed;
    std::tie(c.workload, c.used.layer, c.used.source, shadowed) = w;
    for (const auto& d : shadowed) c.shadowed.push_back({std::get<0>(d), std::get<1>(d)});
    return c;
}

Layer to_wire(const LayerStatus& layer) {
    std::vector<std::string> errors;
    errors.reserve(layer.errors.size());
    for (const auto& error : layer.errors) errors.push_back(error.format());
    return Layer(layer.name, layer.revision, static_cast<std::uint32_t>(layer.workloads),
                 std::move(errors));
}

LayerStatus from_wire(const Layer& w) {
    LayerStatus layer;
    std::vector<std::string> errors;
    std::uint32_t workloads = 0;
    std::tie(layer.name, layer.revision, workloads, errors) = w;
    layer.workloads = workloads;
    // Clients get the formatted lines; the message keeps each line whole.
    for (auto& error : errors) layer.errors.push_back({{}, "", std::move(error)});
    return layer;
}

const char* outcome_name(ApplyOutcome outcome) {
    switch (outcome) {
        case ApplyOutcome::applied:
            return "applied";
        case ApplyOutcome::unchanged:
            return "unchanged";
        case ApplyOutcome::superseded:
            return "superseded";
        case ApplyOutcome::rejected:
            return "rejected";
    }
    return "rejected";
}

ApplyOutcome outcome_from_name(const std::string& name) {
    if (name == "applied") return ApplyOutcome::applied;
    if (name == "unchanged") return ApplyOutcome::unchanged;
    if (name == "superseded") return ApplyOutcome::superseded;
    return ApplyOutcome::rejected;
}

}  // namespace edgevisor::telemetry::dbus::wire
