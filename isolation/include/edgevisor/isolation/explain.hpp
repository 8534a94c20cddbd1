// What a workload gets, in plain words, from its manifest and the secure defaults: who root
// inside is on the host, what it sees of the host's files, which calls and capabilities it has.
// Printed by `edgectl validate --explain`; the warnings (warnings.hpp) come last.
#pragma once

#include <string>
#include <vector>

#include "edgevisor/manifests/spec.hpp"

namespace edgevisor::isolation {

// One "topic: explanation" line each, in a fixed order.
std::vector<std::string> explain_isolation(const manifests::Workload& workload);

}  // namespace edgevisor::isolation
