// A desired-state document, as the fleet channel receives it on a node's or a group's
// `desired` topic (README "Fleet channel"): one YAML (or JSON, which is YAML) document
//
//   apiVersion: edgevisor/v1
//   kind: DesiredState
//   revision: 7              # 1..2^53-1, increasing per topic
//   workloads: [ ...Workload manifests... ]
//
// read by the manifest reader, so every error carries line:col inside the payload.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "edgevisor/manifests/manifests.hpp"

namespace edgevisor::manifests {

// The largest revision: exact in every JSON reader (a double's 53-bit mantissa).
inline constexpr std::uint64_t kMaxRevision = (std::uint64_t{1} << 53) - 1;

struct DesiredState {
    std::uint64_t revision = 0;
    std::vector<Workload> workloads;  // in document order, names unique
};

struct DesiredStateResult {
    DesiredState state;
    std::vector<Diagnostic> diagnostics;
    [[nodiscard]] bool ok() const { return diagnostics.empty(); }
};

// Parses and validates the whole document: when any error is found, `state` is empty. dependsOn
// may name workloads of other layers (a node's document over its groups'), so unknown names
// are not errors here by default; the merged set is checked where the layers meet.
DesiredStateResult parse_desired_state(std::string_view text, const std::string& source,
                                       const ParseLimits& limits = {},
                                       Dependencies dependencies = Dependencies::ignore);

}  // namespace edgevisor::manifests
