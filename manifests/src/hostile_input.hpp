// Bounds on hostile YAML, applied before and while it is parsed. yaml-cpp's parser, the typed
// parse and the walk below recurse once per nesting level (100k '[' would overflow the stack),
// and an alias is its anchor's node, shared (yaml_tree.hpp), so a "billion laughs" document
// loads small but explodes when walked, and "&a [*a]" is a cycle. So: a UTF-8 check and a
// conservative nesting pre-scan of the raw text before parsing, and a bounded walk (aliases
// counted each time they are reached, cycles refused) before anything else reads the nodes.
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

// Where the text first breaks UTF-8 (yaml-cpp would read such bytes as U+FFFD), or nullopt;
// `byte` is set to the offending byte.
std::optional<TextPosition> find_invalid_utf8(std::string_view text, unsigned char& byte);

// What stopped the walk: too many node visits, too deep, an alias inside the node its anchor
// names, or a quoted scalar without its closing quote.
enum class WalkLimit { none, nodes, depth, cycle, open_quote };

struct WalkResult {
    WalkLimit hit = WalkLimit::none;
    yaml::Mark mark;  // where the walk stopped
};

// Visits every node as the typed parse will (an alias is walked again each time it appears),
// and stops at max_nodes visits, max_depth levels or a cycle; then checks the document's last
// quoted scalar for its closing quote.
WalkResult walk_bounded(const yaml::Node& root, std::size_t max_nodes, std::size_t max_depth);

}  // namespace edgevisor::manifests::detail
