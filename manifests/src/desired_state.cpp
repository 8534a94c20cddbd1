// parse_desired: what a channel (MQTT, D-Bus) hands the supervisor's apply. Either Workload
// documents, or one DesiredState document (parse_desired_state); both read by the same
// Workload parser, so errors point at line:col inside the payload.
#include <algorithm>

#include "edgevisor/manifests/desired_state.hpp"
#include "edgevisor/manifests/manifests.hpp"
#include "load_text.hpp"

namespace edgevisor::manifests {
namespace {

// Whether any document of the text says kind: DesiredState (errors are left to the real parse).
bool names_desired_state(std::string_view text, const std::string& source,
                         const ParseLimits& limits) {
    std::vector<Diagnostic> ignored;
    auto parsed = detail::load_bounded(text, source, limits, ignored);
    if (!parsed) return false;
    return std::any_of(parsed->roots.begin(), parsed->roots.end(), [](const auto& node) {
        if (!node.IsMap()) return false;
        auto kind = node["kind"];
        return kind.IsScalar() && kind.Scalar() == "DesiredState";
    });
}

}  // namespace

DesiredDocument parse_desired(std::string_view text, const std::string& source,
                              const ParseLimits& limits) {
    DesiredDocument out;
    if (names_desired_state(text, source, limits)) {
        auto state = parse_desired_state(text, source, limits);
        out.result.files = 1;
        out.result.diagnostics = std::move(state.diagnostics);
        if (out.result.ok()) {
            out.revision = state.state.revision;
            out.result.workloads = std::move(state.state.workloads);
        }
        return out;
    }
    // dependsOn may name a workload of another layer: the supervisor resolves it on the merge.
    out.result = parse_text(text, source, limits, Dependencies::ignore);
    // All or nothing: one invalid workload rejects the whole document.
    if (!out.result.ok()) out.result.workloads.clear();
    return out;
}

}  // namespace edgevisor::manifests
