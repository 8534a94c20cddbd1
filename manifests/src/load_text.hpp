// The steps every document kind (Workload files, DesiredState payloads, the node config) takes
// before its typed parse: the size cap, the UTF-8 check, the nesting pre-scan, yaml-cpp, and the
// bounded walk of each document, each refusal reported where it was found.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgevisor/manifests/manifests.hpp"
#include "yaml_reader.hpp"
#include "yaml_tree.hpp"

namespace edgevisor::manifests::detail {

// The documents of `text`, or nullopt when it is too large, not UTF-8, too deep or not YAML
// (reported
// into `out` with `file`'s name).
std::optional<yaml::Documents> load_bounded(std::string_view text, const std::string& file,
                                            const ParseLimits& limits,
                                            std::vector<Diagnostic>& out);

// False (and reported) when walking the document hits max_nodes or max_depth, a cycle, or an
// unterminated quote.
bool walk_within_limits(Context& ctx, const yaml::Node& document, const ParseLimits& limits);

// apiVersion must be edgevisor/v1 and kind `kind` (rules api-version, kind).
void check_header(Context& ctx, const MapReader& top, std::string_view kind);

// Stable sort by line and column: one text's diagnostics in reading order.
void sort_by_position(std::vector<Diagnostic>::iterator begin,
                      std::vector<Diagnostic>::iterator end);

}  // namespace edgevisor::manifests::detail
