// Bounds on hostile YAML, applied before and while it is parsed. The typed parse and the walk
// below recurse once per nesting level (100k '[' would overflow the stack), and an alias is its
// anchor's node, shared (yaml_tree.hpp), so a "billion laughs" document loads small but
// explodes when walked. So: a conservative nesting pre-scan of the raw text before parsing,
// and a bounded walk (aliases counted each time they are reached) before anything else reads
// the nodes.
#pragma once

#include "yaml_tree.hpp"

#include <cstddef>
#include <optional>
#include <string_view>

namespace edgevisor::manifests::detail {

struct TextPosition {
    int line = 0;    // 1-based
    int column = 0;  // 1-based
};

// Where the nesting of block collections plus flow brackets first exceeds max_depth, or
// nullopt. It over-counts rather than under-counts (the text is not parsed yet).
std::optional<TextPosition> find_excess_depth(std::string_view text, std::size_t max_depth);

enum class WalkLimit { none, nodes, depth };

struct WalkResult {
    WalkLimit hit = WalkLimit::none;
    yaml::Mark mark;  // where the walk stopped
};

// Visits every node as the parser will (an alias is walked again each time it appears), and
// stops at max_nodes visits or max_depth levels. (Cycles, "&a [*a]", are refused by the parser.)
WalkResult walk_bounded(const yaml::Node& root, std::size_t max_nodes, std::size_t max_depth);

}  // namespace edgevisor::manifests::detail
