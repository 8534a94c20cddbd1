#include "apply_tracker.hpp"

namespace edgevisor::telemetry::mqtt::detail {
namespace {

bool is_up(const std::string& state) {
    return state == "running" || state == "exited";
}

bool is_down(const std::string& state) {
    return state == "failed" || state == "crash-loop" || state == "backoff";
}

std::string why_down(const WorkloadStatus& status) {
    std::string why = !status.last_exit.empty() ? status.last_exit : status.message;
    return status.name + ": " + status.state + (why.empty() ? "" : " (" + why + ")");
}

}  // namespace

std::vector<Settled> ApplyTracker::start(const std::string& layer, const std::string& topic,
                                         std::uint64_t revision, const std::vector<PlanEntry>& plan,
                                         const std::map<std::string, std::string>& hashes) {
    std::vector<Settled> out;
    if (auto it = open_.find(layer); it != open_.end()) {
        it->second.result.status = "SUPERSEDED";
        out.push_back(std::move(it->second.result));
        open_.erase(it);
    }
    Open open;
    open.result = Settled{layer, topic, revision, "", plan, {}};
    for (const PlanEntry& entry : plan) {
        if (entry.action == "delete") {
            open.gone.insert(entry.workload);
        } else if (entry.action == "create" || entry.action == "replace") {
            auto hash = hashes.find(entry.workload);
            open.running[entry.workload] = hash == hashes.end() ? "" : hash->second;
        }
    }
    open_[layer] = std::move(open);
    return out;
}

void ApplyTracker::feed(const WorkloadStatus& status) {
    for (auto& [layer, open] : open_) {
        auto it = open.running.find(status.name);
        if (it == open.running.end()) continue;
        if (!it->second.empty() && it->second != status.spec_hash) continue;
        if (is_up(status.state)) {
            open.running.erase(it);
        } else if (is_down(status.state)) {
            open.result.failed.push_back(why_down(status));
            open.running.erase(it);
        }
    }
}

std::vector<Settled> ApplyTracker::changed(const WorkloadStatus& status) {
    feed(status);
    return finish_done();
}

std::vector<Settled> ApplyTracker::removed(const std::string& name) {
    for (auto& [layer, open] : open_) open.gone.erase(name);
    return finish_done();
}

std::vector<Settled> ApplyTracker::check(const NodeStatus& status) {
    std::set<std::string> present;
    for (const WorkloadStatus& workload : status.workloads) {
        present.insert(workload.name);
        feed(workload);
    }
    for (auto& [layer, open] : open_)
        std::erase_if(open.gone, [&](const std::string& name) { return !present.contains(name); });
    return finish_done();
}

std::vector<Settled> ApplyTracker::finish_done() {
    std::vector<Settled> out;
    for (auto it = open_.begin(); it != open_.end();) {
        if (!it->second.running.empty() || !it->second.gone.empty()) {
            ++it;
            continue;
        }
        it->second.result.status = it->second.result.failed.empty() ? "APPLIED" : "PARTIAL";
        out.push_back(std::move(it->second.result));
        it = open_.erase(it);
    }
    return out;
}

}  // namespace edgevisor::telemetry::mqtt::detail
