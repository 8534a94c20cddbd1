// The status model every channel reports, the events ring, and the status snapshot file
// (<paths.runtime>/status.json, README "Status snapshot"), written atomically once per loop
// iteration in which something changed.
#include <nlohmann/json.hpp>

#include "core.hpp"
#include "edgevisor/atomic_file.hpp"
#include "edgevisor/log.hpp"

namespace edgevisor::supervisor {
namespace {

using Json = nlohmann::json;

std::int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

constexpr std::size_t kEventRing = 1000;

Json to_json(const telemetry::WorkloadStatus& w) {
    return {{"name", w.name},
            {"state", w.state},
            {"health", w.health},
            {"layer", w.layer},
            {"specHash", w.spec_hash},
            {"pid", w.pid},
            {"restarts", w.restarts},
            {"lastExit", w.last_exit},
            {"message", w.message},
            {"sinceUnixMs", w.since_unix_ms},
            {"cpuUsec", w.cpu_usec},
            {"cpuCores", w.cpu_cores},
            {"memoryBytes", w.memory_bytes},
            {"pids", w.pids}};
}

}  // namespace

telemetry::WorkloadStatus Core::unit_status(const Unit& unit) const {
    telemetry::WorkloadStatus s;
    s.name = unit.name();
    s.state = std::string(visible_state(unit.state));
    s.layer = unit.desired.layer;
    s.spec_hash = unit.desired.hash;
    s.pid = unit.process.pidfd ? unit.process.pid : 0;
    s.restarts = unit.restarts;
    s.last_exit = unit.last_exit;
    s.message = unit.message;
    s.since_unix_ms = unit.since_unix_ms;
    s.health = health_text(unit);
    if (unit.sample) {
        s.cpu_usec = unit.sample->cpu_usec;
        s.cpu_cores = unit.sample->cpu_cores;
        s.memory_bytes = unit.sample->memory_current.value_or(0);
        s.pids = unit.sample->pids.value_or(0);
    }
    return s;
}

void Core::changed(Unit& unit) {
    snapshot_dirty_ = true;
    if (observers_.empty()) return;
    auto status = unit_status(unit);
    for (auto* o : observers_) o->workload_changed(status);
}

// A workload defined in several layers is not an error (precedence decides, README), but the
// operator should know: a warning and an event when a conflict appears or changes, and one
// event when it is gone; status and the fleet's reported state list the current ones.
void Core::report_conflicts(std::vector<telemetry::LayerConflict> conflicts) {
    std::map<std::string, std::string> before, now;
    for (const auto& c : conflicts_) before[c.workload] = describe(c);
    for (const auto& c : conflicts) now[c.workload] = describe(c);
    if (before == now) return;
    for (const auto& [name, text] : now) {
        if (auto it = before.find(name); it != before.end() && it->second == text) continue;
        log::warn("{} (layer conflict)", text);
        emit_event(name, "layer-conflict", text);
    }
    for (const auto& [name, text] : before)
        if (!now.contains(name)) {
            log::info("{}: no longer defined in several layers", name);
            emit_event(name, "layer-conflict-resolved", "defined in one layer again");
        }
    conflicts_ = std::move(conflicts);
    snapshot_dirty_ = true;
}

void Core::emit_event(const std::string& workload, const std::string& kind,
                      const std::string& message) {
    telemetry::Event event{next_seq_++, unix_ms(), workload, kind, message};
    for (auto* o : observers_) o->event(event);
    events_.push_back(std::move(event));
    if (events_.size() > kEventRing) events_.pop_front();
}

telemetry::NodeStatus Core::status() const {
    telemetry::NodeStatus node;
    node.node_id = node_id_;
    node.version = options_.version;
    node.groups = config_.node.groups;
    telemetry::LayerStatus files{"files", files_.revision(), files_.workloads().size(),
                                 files_.errors()};
    node.layers.push_back(std::move(files));
    for (const auto& [name, layer] : layers_.layers())
        node.layers.push_back({name, layer.revision, layer.workloads.size(), layer.errors});
    for (const auto& [name, unit] : units_) node.workloads.push_back(unit_status(*unit));
    node.conflicts = conflicts_;
    if (node_sample_) {
        const auto& n = *node_sample_;
        node.resources = telemetry::NodeResources{n.load1,
                                                  n.load5,
                                                  n.load15,
                                                  n.memory_total,
                                                  n.memory_available,
                                                  n.supervisor_cpu_usec,
                                                  n.supervisor_cpu_cores,
                                                  n.supervisor_rss};
    }
    return node;
}

std::string Core::summary() const {
    std::map<std::string, int> counts;
    for (const auto& [name, unit] : units_) ++counts[std::string(visible_state(unit->state))];
    std::string out = std::to_string(counts["running"]) + " running";
    for (const auto& [state, n] : counts)
        if (state != "running") out += ", " + std::to_string(n) + " " + state;
    return out;
}

void Core::write_snapshot() {
    snapshot_dirty_ = false;
    telemetry::NodeStatus node = status();
    Json workloads = Json::array();
    for (const auto& w : node.workloads) workloads.push_back(to_json(w));
    Json layers = Json::array();
    for (const auto& l : node.layers) {
        Json errors = Json::array();
        for (const auto& d : l.errors) errors.push_back(d.format());
        layers.push_back({{"name", l.name},
                          {"revision", l.revision},
                          {"workloads", l.workloads},
                          {"errors", errors}});
    }
    Json doc{{"node", node.node_id},
             {"version", node.version},
             {"ready", ready_},
             {"stopping", shutting_down_},
             {"updatedUnixMs", unix_ms()},
             {"summary", summary()},
             {"layers", layers},
             {"workloads", workloads},
             {"conflicts", telemetry::conflicts_json<Json>(node.conflicts)}};
    if (node.resources) doc["resources"] = telemetry::resources_json<Json>(*node.resources);
    auto path = std::filesystem::path(config_.paths.runtime) / "status.json";
    // The snapshot is rebuilt from memory at any time: no need for fsync's cost on every change.
    if (auto st = write_file_atomic(path, doc.dump(2) + "\n", Durability::process_crash); !st)
        log::warn("status: {}", st.error().describe());
}

std::vector<telemetry::Event> Core::events(std::uint64_t after_seq, std::size_t max) const {
    std::vector<telemetry::Event> out;
    for (const auto& e : events_)
        if (e.seq > after_seq && out.size() < max) out.push_back(e);
    return out;
}

Result<std::vector<std::string>> Core::logs(std::string_view name, std::size_t lines) const {
    const Unit* unit = find(name);
    if (unit == nullptr)
        return fail("logs", "no workload named '" + std::string(name) + "'", ENOENT);
    return unit->log_file.tail(lines);
}

void Core::publish_logs(Unit& unit) {
    unit.log_file.on_line([this, name = unit.name()](std::string_view line) {
        for (auto* o : observers_) o->log_line(name, line);
    });
}

void Core::add_observer(telemetry::Observer* observer) {
    observers_.push_back(observer);
}

void Core::remove_observer(telemetry::Observer* observer) {
    std::erase(observers_, observer);
}

}  // namespace edgevisor::supervisor
