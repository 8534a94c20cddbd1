#include "edgevisor/health/dependencies.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace edgevisor::health {
namespace {

bool meets(const DependencyState& state, manifests::DependencyCondition condition) {
    switch (condition) {
        case manifests::DependencyCondition::started:
            return state.started;
        case manifests::DependencyCondition::healthy:
            return state.ready;
        case manifests::DependencyCondition::completed:
            return state.completed;
    }
    return false;
}

}  // namespace

const char* condition_name(manifests::DependencyCondition condition) {
    switch (condition) {
        case manifests::DependencyCondition::started:
            return "started";
        case manifests::DependencyCondition::healthy:
            return "healthy";
        case manifests::DependencyCondition::completed:
            return "completed";
    }
    return "?";
}

Gate gate(const std::vector<manifests::Dependency>& dependencies, const DependencyLookup& lookup) {
    Gate out;
    for (const auto& dep : dependencies) {
        DependencyState state = lookup(dep.name);
        if (state.known && meets(state, dep.condition)) continue;
        out.open = false;
        out.waiting_for += (out.waiting_for.empty() ? "waiting for " : ", ") + dep.name + " (" +
                           (state.known ? condition_name(dep.condition) : "not defined") + ")";
    }
    return out;
}

std::string dependency_warning(const std::vector<manifests::Dependency>& dependencies,
                               const DependencyLookup& lookup) {
    std::string names;
    for (const auto& dep : dependencies) {
        // A completed dependency has done its job; it is not expected to run.
        if (dep.condition == manifests::DependencyCondition::completed) continue;
        DependencyState state = lookup(dep.name);
        if (state.known && meets(state, dep.condition)) continue;
        names += (names.empty() ? "" : ", ") + dep.name;
    }
    return names.empty() ? "" : "dependency unhealthy: " + names;
}

std::vector<std::string> start_order(const std::vector<manifests::Workload>& workloads) {
    std::map<std::string, std::set<std::string>> waits_on;  // name -> unstarted deps in the set
    for (const auto& w : workloads) waits_on[w.metadata.name];
    for (const auto& w : workloads)
        for (const auto& dep : w.spec.depends_on)
            if (waits_on.contains(dep.name)) waits_on[w.metadata.name].insert(dep.name);
    std::vector<std::string> order;
    // Kahn's algorithm, smallest ready name first (std::map iterates in name order).
    while (!waits_on.empty()) {
        auto next = std::find_if(waits_on.begin(), waits_on.end(),
                                 [](const auto& entry) { return entry.second.empty(); });
        if (next == waits_on.end()) break;  // a cycle
        std::string name = next->first;
        waits_on.erase(next);
        order.push_back(name);
        for (auto& [other, deps] : waits_on) deps.erase(name);
    }
    for (const auto& [name, deps] : waits_on) order.push_back(name);
    return order;
}

std::vector<std::string> stop_order(const std::vector<manifests::Workload>& workloads) {
    auto order = start_order(workloads);
    std::reverse(order.begin(), order.end());
    return order;
}

}  // namespace edgevisor::health
