// Desired state: every layer's workloads merged into one set, by precedence. A name defined in
// several layers is taken from the highest; the others are shadowed (a conflict, reported in
// status, in the fleet's reported state, as a warning and as a layer-conflict event):
//   api  >  node  >  group:<g> (in node.groups order)  >  files
// Reasoning: the local API is an operator at the device, overriding for now; the fleet's
// node-specific state is more specific than its group state; the manifest directory is the
// baseline shipped with the image.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "edgevisor/manifests/manifests.hpp"
#include "edgevisor/telemetry/control.hpp"

namespace edgevisor::supervisor {

struct DesiredWorkload {
    manifests::Workload workload;
    std::string hash;         // manifests::canonical_hash
    std::string launch_hash;  // manifests::launch_hash
    std::string layer;        // files, api, node, group:<name>
};

DesiredWorkload make_desired(manifests::Workload workload, std::string layer);

// Layer names from highest to lowest precedence for a node in these groups.
std::vector<std::string> layer_order(const std::vector<std::string>& groups);

struct MergedDesired {
    std::map<std::string, const DesiredWorkload*> workloads;
    std::vector<telemetry::LayerConflict> conflicts;  // by workload name
};

// layers: name -> its workloads. Layers not in `order` are ignored (a group the node left).
MergedDesired merge_layers(const std::map<std::string, std::vector<const DesiredWorkload*>>& layers,
                           const std::vector<std::string>& order);

}  // namespace edgevisor::supervisor
