// plan(desired, actual) -> actions, keyed by workload name and hashes. Pure: no kernel, no
// clock, unit-tested on its own. The executor carries the actions out.
//   create   a name that is desired and not there
//   update   same launch hash, other canonical hash: only limits (or labels, log quota)
//            changed; applied in place, nothing restarts
//   replace  another launch hash: stop the old process, start the new spec
//   remove   there and no longer desired: stop it and remove its cgroup
// Names whose hashes are equal get no action: a no-op reconcile is an empty plan.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace edgevisor::supervisor {

struct PlanKey {
    std::string hash;         // manifests::canonical_hash
    std::string launch_hash;  // manifests::launch_hash
};

enum class PlanAction { create, update, replace, remove };

struct PlannedStep {
    PlanAction action;
    std::string name;
    friend bool operator==(const PlannedStep&, const PlannedStep&) = default;
};

// Removals first (they free names and resources), then the rest in name order.
std::vector<PlannedStep> plan(const std::map<std::string, PlanKey>& desired,
                              const std::map<std::string, PlanKey>& actual);

const char* plan_action_name(PlanAction action);

}  // namespace edgevisor::supervisor
