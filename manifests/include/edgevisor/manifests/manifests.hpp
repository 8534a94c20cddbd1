// Parsing and validation of v1 manifests. Everything is validated before anything acts:
// a document with any error yields no workload, and every error of a file is reported.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgevisor/manifests/spec.hpp"

namespace edgevisor::manifests {

// One validation error: where, which rule, and what a user should know.
struct Diagnostic {
    SourceMark mark;
    std::string rule;  // stable rule id, e.g. "unknown-key", "name-format", "dependency-cycle"
    // e.g. "unknown key 'readOnlyRot' in spec.isolation.rootfs (expected: path, readOnly)"
    std::string message;

    // "file:line:col: message [rule]"
    [[nodiscard]] std::string format() const;
};

// Bounds applied to hostile input before and while yaml-cpp sees it.
struct ParseLimits {
    std::size_t max_document_bytes = 1024 * 1024;  // per file
    std::size_t max_depth = 64;                    // nesting of [ and { and block collections
    std::size_t max_nodes = 100000;                // after alias expansion ("billion laughs")
};

struct LoadResult {
    std::vector<Workload> workloads;
    std::vector<Diagnostic> diagnostics;
    std::size_t files = 0;
    [[nodiscard]] bool ok() const { return diagnostics.empty(); }
};

// Whether spec.dependsOn must name workloads of the loaded set. A node's whole desired state
// resolves them; running one workload on its own (edgectl run FILE) loads only that file, so
// it uses `ignore`: unknown names are then not errors (cycles among loaded ones still are).
enum class Dependencies { resolve, ignore };

// Parse and validate the documents of one YAML text; `file` names it in diagnostics.
LoadResult parse_text(std::string_view text, const std::string& file,
                      const ParseLimits& limits = {},
                      Dependencies dependencies = Dependencies::resolve);

// Files and directories (*.yaml, *.yml in name order, not recursive). Adds the checks that span
// files: duplicate names, unknown dependencies, dependency cycles.
LoadResult load_paths(const std::vector<std::filesystem::path>& paths,
                      const ParseLimits& limits = {},
                      Dependencies dependencies = Dependencies::resolve);

// A canonical text of a workload (sorted keys, defaults spelled out, fixed number formats) and
// its SHA-256 in hex: equal for specs that differ only in key order, formatting or defaults.
std::string canonical_form(const Workload& workload);
std::string canonical_hash(const Workload& workload);
// The hash of what the running process depends on: the canonical form without
// spec.resources, spec.logs and metadata.labels. Two specs with the same launch hash differ
// only in what the supervisor changes in place (cgroup limits, log quota) without a restart.
std::string launch_hash(const Workload& workload);

// A set of desired workloads as a channel sends it: either Workload documents (any number,
// `---`-separated), or one document
//   {apiVersion: edgevisor/v1, kind: DesiredState, revision: N, workloads: [<Workload>...]}
// Diagnostics name `source` and the line:col inside the text.
struct DesiredDocument {
    std::optional<std::uint64_t> revision;  // set for a DesiredState document
    LoadResult result;
};
DesiredDocument parse_desired(std::string_view text, const std::string& source,
                              const ParseLimits& limits = {});

}  // namespace edgevisor::manifests
