#include "planner.hpp"

namespace edgevisor::supervisor {

std::vector<PlannedStep> plan(const std::map<std::string, PlanKey>& desired,
                              const std::map<std::string, PlanKey>& actual) {
    std::vector<PlannedStep> steps;
    for (const auto& [name, key] : actual)
        if (!desired.contains(name)) steps.push_back({PlanAction::remove, name});
    for (const auto& [name, want] : desired) {
        auto have = actual.find(name);
        if (have == actual.end())
            steps.push_back({PlanAction::create, name});
        else if (have->second.launch_hash != want.launch_hash)
            steps.push_back({PlanAction::replace, name});
        else if (have->second.hash != want.hash)
            steps.push_back({PlanAction::update, name});
    }
    return steps;
}

const char* plan_action_name(PlanAction action) {
    switch (action) {
        case PlanAction::create:
            return "create";
        case PlanAction::update:
            return "update";
        case PlanAction::replace:
            return "replace";
        case PlanAction::remove:
            return "delete";
    }
    return "?";
}

}  // namespace edgevisor::supervisor
