// Dependency gating and start/stop order. Pure.
//
// A workload starts only when every dependsOn entry meets its condition:
//   started    the dependency's process runs (and its startup probe, if any, has passed)
//   healthy    it is ready: its readiness probe passes (started, when it has none)
//   completed  its last run exited with status 0 and it is not running again
// Once a dependent runs, a dependency that stops or becomes unhealthy does not stop or
// restart it: it keeps running and reports "dependency unhealthy: <name>" (a restarting
// dependency must never cause a restart storm of everything above it). A dependent that is
// not running (never started, or in backoff) waits at the gate again.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "edgevisor/manifests/spec.hpp"

namespace edgevisor::health {

struct DependencyState {
    bool known = false;      // the workload exists in the desired set
    bool started = false;    // running, past startup
    bool ready = false;      // running and ready
    bool completed = false;  // exited 0 last time, not running
};

using DependencyLookup = std::function<DependencyState(std::string_view name)>;

struct Gate {
    bool open = true;
    std::string waiting_for;  // "waiting for db (healthy), init (completed)"; "" when open
};

Gate gate(const std::vector<manifests::Dependency>& dependencies, const DependencyLookup& lookup);

// For a running dependent: the dependencies that do not meet their condition now, as
// "dependency unhealthy: db" (or "" when all do).
std::string dependency_warning(const std::vector<manifests::Dependency>& dependencies,
                               const DependencyLookup& lookup);

[[nodiscard]] const char* condition_name(manifests::DependencyCondition condition);

// Names in an order where every workload comes after its dependencies (ties: by name).
// Dependencies outside the set are ignored; a cycle (which validation refuses) leaves its
// members at the end in name order rather than looping.
std::vector<std::string> start_order(const std::vector<manifests::Workload>& workloads);
// The reverse: dependents stop before what they depend on.
std::vector<std::string> stop_order(const std::vector<manifests::Workload>& workloads);

}  // namespace edgevisor::health
