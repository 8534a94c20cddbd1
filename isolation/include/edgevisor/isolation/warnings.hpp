// What a valid manifest leaves open that the secure defaults would close, in one sentence each:
// printed by `edgectl validate` and logged at every launch. Not errors: an operator may mean it.
#pragma once

#include <string>
#include <vector>

#include "edgevisor/manifests/spec.hpp"

namespace edgevisor::isolation {

std::vector<std::string> isolation_warnings(const manifests::Workload& workload);

}  // namespace edgevisor::isolation
