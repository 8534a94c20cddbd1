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

MergedDesired merge_layers(const std::map<std::string, std::vector<const DesiredWorkload*>>& layers,
                           const std::vector<std::string>& order) {
    MergedDesired out;
    for (const auto& layer : order) {
        auto it = layers.find(layer);
        if (it == layers.end()) continue;
        for (const DesiredWorkload* w : it->second) {
            auto [at, fresh] = out.workloads.emplace(w->workload.metadata.name, w);
            if (!fresh)
                out.shadowed.push_back(w->workload.metadata.name + ": " + layer + " shadowed by " +
                                       at->second->layer);
        }
    }
    return out;
}

}  // namespace edgevisor::supervisor
