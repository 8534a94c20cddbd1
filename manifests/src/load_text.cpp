#include "load_text.hpp"

#include <algorithm>
#include <cstdio>
#include <tuple>

#include "hostile_input.hpp"

namespace edgevisor::manifests::detail {

std::optional<yaml::Documents> load_bounded(std::string_view text, const std::string& file,
                                            const ParseLimits& limits,
                                            std::vector<Diagnostic>& out) {
    if (text.size() > limits.max_document_bytes) {
        out.push_back(Diagnostic{SourceMark{file, 1, 1}, "file-too-large",
                                 "the file has " + std::to_string(text.size()) +
                                     " bytes; the limit is " +
                                     std::to_string(limits.max_document_bytes)});
        return std::nullopt;
    }
    unsigned char bad = 0;
    if (auto where = find_invalid_utf8(text, bad)) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", bad);
        out.push_back(Diagnostic{SourceMark{file, where->line, where->column}, "yaml-syntax",
                                 std::string("YAML syntax error: invalid UTF-8 (byte ") + hex +
                                     "); manifests are UTF-8 text"});
        return std::nullopt;
    }
    if (auto deep = find_excess_depth(text, limits.max_depth)) {
        out.push_back(
            Diagnostic{SourceMark{file, deep->line, deep->column}, "nesting-depth",
                       "nesting deeper than " + std::to_string(limits.max_depth) + " levels"});
        return std::nullopt;
    }
    auto parsed = yaml::load_all(text);
    if (!parsed) {
        const auto& error = parsed.error();
        SourceMark mark{file, 1, 1};
        if (!error.mark.is_null())
            mark = SourceMark{file, error.mark.line + 1, error.mark.column + 1};
        const bool depth = error.kind == yaml::ParseError::Kind::depth;
        out.push_back(Diagnostic{mark, depth ? "nesting-depth" : "yaml-syntax",
                                 depth ? error.message : "YAML syntax error: " + error.message});
        return std::nullopt;
    }
    return std::move(*parsed);
}

namespace {

// The rule and message for a walk that stopped.
std::pair<std::string, std::string> walk_message(WalkLimit hit, const ParseLimits& limits) {
    switch (hit) {
        case WalkLimit::nodes:
            return {"alias-expansion", "the document expands to more than " +
                                           std::to_string(limits.max_nodes) +
                                           " nodes (each use of an alias counts)"};
        case WalkLimit::depth:
            return {"nesting-depth", "nesting (through aliases) deeper than " +
                                         std::to_string(limits.max_depth) + " levels"};
        case WalkLimit::cycle:
            return {"yaml-syntax",
                    "YAML syntax error: an alias inside the node its anchor names (a cycle)"};
        case WalkLimit::open_quote:
        case WalkLimit::none:
            break;
    }
    return {"yaml-syntax",
            "YAML syntax error: a quoted value has no closing quote (it runs to the end of the "
            "file)"};
}

}  // namespace

bool walk_within_limits(Context& ctx, const yaml::Node& document, const ParseLimits& limits) {
    auto walk = walk_bounded(document, limits.max_nodes, limits.max_depth);
    if (walk.hit == WalkLimit::none) return true;
    auto [rule, message] = walk_message(walk.hit, limits);
    ctx.error(ctx.mark(walk.mark.is_null() ? document.Mark() : walk.mark), rule, message);
    return false;
}

void check_header(Context& ctx, const MapReader& top, std::string_view kind) {
    std::string api_version;
    if (top.text("apiVersion", api_version) && api_version != "edgevisor/v1")
        ctx.error(*top.find("apiVersion"), "api-version",
                  "apiVersion: '" + api_version + "' is not supported (expected edgevisor/v1)");
    std::string found;
    if (top.text("kind", found) && found != kind)
        ctx.error(*top.find("kind"), "kind",
                  "kind: '" + found + "' is not supported (expected " + std::string(kind) + ")");
}

void sort_by_position(std::vector<Diagnostic>::iterator begin,
                      std::vector<Diagnostic>::iterator end) {
    std::stable_sort(begin, end, [](const Diagnostic& a, const Diagnostic& b) {
        return std::tie(a.mark.line, a.mark.column) < std::tie(b.mark.line, b.mark.column);
    });
}

}  // namespace edgevisor::manifests::detail
