#include "desired.hpp"

namespace edgevisor::supervisor {

DesiredWorkload make_desired(manifests::Workload workload, std::string layer) {
    DesiredWorkload d;
    d.hash = manifests::canonical_hash(workload);
    d.launch_hash = manifests::launch_hash(workload);
    d.workload = std::move(workload);
    d.layer = std::move(layer);
    return d;
}

std::vector<std::string> layer_order(const std::vector<std::string>& groups) {
    std::vector<std::string> order{"api", "node"};
    for (const auto& g : groups) order.push_back("group:" + g);
    order.push_back("files");
    return order;
}

namespace {

telemetry::Definition definition(const DesiredWorkload& w) {
    const auto& at = w.workload.source;
    std::string source = at.file.empty() ? "" : at.file;
    if (!source.empty() && at.line > 0)
        source += ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
    return {w.layer, source};
}

}  // namespace

MergedDesired merge_layers(const std::map<std::string, std::vector<const DesiredWorkload*>>& layers,
                           const std::vector<std::string>& order) {
    MergedDesired out;
    std::map<std::string, telemetry::LayerConflict> conflicts;
    for (const auto& layer : order) {
        auto it = layers.find(layer);
        if (it == layers.end()) continue;
        for (const DesiredWorkload* w : it->second) {
            const std::string& name = w->workload.metadata.name;
            auto [at, fresh] = out.workloads.emplace(name, w);
            if (fresh) continue;
            auto& conflict = conflicts[name];
            if (conflict.workload.empty()) conflict = {name, definition(*at->second), {}};
            conflict.shadowed.push_back(definition(*w));
        }
    }
    for (auto& [name, conflict] : conflicts) out.conflicts.push_back(std::move(conflict));
    return out;
}

}  // namespace edgevisor::supervisor
