// Diagnostics reduced to "line:col rule", so that a test states exactly where each error points.
#pragma once

#include <string>
#include <vector>

#include "edgevisor/manifests/manifests.hpp"

namespace edgevisor::testing {

inline std::vector<std::string> marks_and_rules(const std::vector<manifests::Diagnostic>& list) {
    std::vector<std::string> out;
    for (const auto& d : list)
        out.push_back(std::to_string(d.mark.line) + ":" + std::to_string(d.mark.column) + " " +
                      d.rule);
    return out;
}

}  // namespace edgevisor::testing
