// From RECEIVED to APPLIED: which workloads of an accepted revision still have to come up (or
// go away), per layer. A revision is APPLIED when every created or replaced workload runs (or
// ran to its end) with the new spec and every deleted one is gone; PARTIAL when some failed
// instead; SUPERSEDED when a newer revision of the layer arrived first.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "edgevisor/telemetry/control.hpp"

namespace edgevisor::telemetry::mqtt::detail {

struct Settled {
    std::string layer;
    std::string topic;
    std::uint64_t revision = 0;
    std::string status;  // APPLIED, PARTIAL, SUPERSEDED
    std::vector<PlanEntry> plan;
    std::vector<std::string> failed;
};

class ApplyTracker {
  public:
    // A newly accepted revision. `hashes`: the canonical hash of each workload of the document.
    // Returns the SUPERSEDED entry of the layer's previous revision when it was still open.
    std::vector<Settled> start(const std::string& layer, const std::string& topic,
                               std::uint64_t revision, const std::vector<PlanEntry>& plan,
                               const std::map<std::string, std::string>& hashes);
    // Feeds what is known now; returns the revisions that this completes.
    std::vector<Settled> changed(const WorkloadStatus& status);
    std::vector<Settled> removed(const std::string& name);
    // After start(): the workloads as they are already (a plan may complete inside apply()).
    std::vector<Settled> check(const NodeStatus& status);

  private:
    struct Open {
        Settled result;
        std::map<std::string, std::string> running;  // name -> wanted hash ("" any)
        std::set<std::string> gone;
    };
    void feed(const WorkloadStatus& status);
    std::vector<Settled> finish_done();
    std::map<std::string, Open> open_;  // by layer
};

}  // namespace edgevisor::telemetry::mqtt::detail
