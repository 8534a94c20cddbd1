#include "hostile_input.hpp"

#include <vector>

namespace edgevisor::manifests::detail {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

// A line-oriented approximation of YAML's structure: block levels are indentation columns
// (plus one per "- ", "? " or ": " indicator at the start of a line, for "- - - x"), flow
// levels are brackets outside quoted scalars and comments. Block scalar bodies are skipped.
class DepthScanner {
  public:
    explicit DepthScanner(std::size_t max_depth) : max_depth_(max_depth) {}

    std::optional<TextPosition> scan(std::string_view text) {
        int line_no = 0;
        std::size_t start = 0;
        while (start <= text.size() && !excess_) {
            std::size_t end = text.find('\n', start);
            if (end == std::string_view::npos) end = text.size();
            ++line_no;
            scan_line(text.substr(start, end - start), line_no);
            start = end + 1;
        }
        return excess_;
    }

  private:
    std::size_t max_depth_;
    std::vector<std::size_t> indents_;
    std::size_t flow_ = 0;
    char quote_ = 0;
    long block_scalar_parent_ = -1;  // skipping lines indented deeper than this
    std::optional<TextPosition> excess_;
    int line_no_ = 0;

    void check(std::size_t column) {
        if (!excess_ && indents_.size() + flow_ > max_depth_)
            excess_ = TextPosition{line_no_, static_cast<int>(column) + 1};
    }

    void scan_line(std::string_view line, int line_no) {
        line_no_ = line_no;
        if (quote_ != 0 || flow_ > 0) {  // continuing a quoted scalar or a flow collection
            scan_from(line, 0, false, 0);
            return;
        }
        std::size_t indent = 0;
        while (indent < line.size() && line[indent] == ' ') ++indent;
        bool blank = indent == line.size() || line[indent] == '#' || is_space(line[indent]);
        if (block_scalar_parent_ >= 0) {
            if (blank || static_cast<long>(indent) > block_scalar_parent_) return;
            block_scalar_parent_ = -1;
        }
        if (blank || line[indent] == '%') return;
        if (indent == 0 && (line.starts_with("---") || line.starts_with("...")) &&
            (line.size() == 3 || is_space(line[3]))) {
            indents_.clear();
            flow_ = 0;
            scan_from(line, 3, true, 0);
            return;
        }
        while (!indents_.empty() && indents_.back() >= indent) indents_.pop_back();
        indents_.push_back(indent);
        check(indent);
        std::size_t pos = indent;
        // Compact nested collections on one line: "- - - x", "? key", "- key: value".
        while (pos < line.size() && (line[pos] == '-' || line[pos] == '?' || line[pos] == ':') &&
               (pos + 1 == line.size() || is_space(line[pos + 1]))) {
            pos += 1;
            while (pos < line.size() && is_space(line[pos])) ++pos;
            indents_.push_back(pos);
            check(pos);
        }
        scan_from(line, pos, true, indent);
    }

    // at_node_start: the next token begins a node (after indentation, "- " or ": ").
    void scan_from(std::string_view line, std::size_t pos, bool at_node_start, std::size_t indent) {
        while (pos < line.size() && !excess_) {
            char c = line[pos];
            if (quote_ != 0) {
                pos = skip_quoted(line, pos);
                continue;
            }
            if (flow_ > 0) {
                if (!scan_flow_char(line, pos)) return;
                ++pos;
                continue;
            }
            if (at_node_start) {
                while (pos < line.size() && is_space(line[pos])) ++pos;
                // Node properties: &anchor and !tag come before the content.
                while (pos < line.size() && (line[pos] == '&' || line[pos] == '!')) {
                    while (pos < line.size() && !is_space(line[pos])) ++pos;
                    while (pos < line.size() && is_space(line[pos])) ++pos;
                }
                if (pos >= line.size()) return;
                at_node_start = false;
                c = line[pos];
                if (c == '[' || c == '{') {
                    ++flow_;
                    check(pos);
                } else if (c == '|' || c == '>') {
                    block_scalar_parent_ = static_cast<long>(indent);
                    return;
                } else if (c == '"' || c == '\'') {
                    quote_ = c;
                }
                ++pos;
                continue;
            }
            if (c == '#' && pos > 0 && is_space(line[pos - 1])) return;
            if (c == ':' && (pos + 1 == line.size() || is_space(line[pos + 1])))
                at_node_start = true;
            ++pos;
        }
    }

    // False at a comment, which runs to the end of the line.
    bool scan_flow_char(std::string_view line, std::size_t pos) {
        char c = line[pos];
        char before = pos == 0 ? ' ' : line[pos - 1];
        bool token_start =
            is_space(before) || before == '[' || before == '{' || before == ',' || before == ':';
        if ((c == '"' || c == '\'') && token_start) {
            quote_ = c;
        } else if (c == '[' || c == '{') {
            ++flow_;
            check(pos);
        } else if (c == ']' || c == '}') {
            --flow_;
        } else if (c == '#' && is_space(before)) {
            return false;
        }
        return true;
    }

    // Returns the position after the closing quote, or the end of the line.
    std::size_t skip_quoted(std::string_view line, std::size_t pos) {
        for (; pos < line.size(); ++pos) {
            char c = line[pos];
            if (quote_ == '"' && c == '\\') {
                ++pos;
            } else if (c == quote_) {
                if (quote_ == '\'' && pos + 1 < line.size() && line[pos + 1] == '\'') {
                    ++pos;  // '' is an escaped quote
                } else {
                    quote_ = 0;
                    return pos + 1;
                }
            }
        }
        return pos;
    }
};

struct Walker {
    std::size_t max_nodes;
    std::size_t max_depth;
    std::size_t visited = 0;
    WalkResult result;

    bool walk(const yaml::Node& node, std::size_t depth) {
        if (++visited > max_nodes) return stop(WalkLimit::nodes, node);
        if (depth > max_depth) return stop(WalkLimit::depth, node);
        if (node.IsSequence() || node.IsMap()) {
            for (auto it = node.begin(); it != node.end(); ++it) {
                if (node.IsMap()) {
                    if (!walk(it->first, depth + 1) || !walk(it->second, depth + 1)) return false;
                } else if (!walk(*it, depth + 1)) {
                    return false;
                }
            }
        }
        return true;
    }

    bool stop(WalkLimit limit, const yaml::Node& node) {
        result = WalkResult{limit, node.Mark()};
        return false;
    }
};

}  // namespace

std::optional<TextPosition> find_excess_depth(std::string_view text, std::size_t max_depth) {
    return DepthScanner(max_depth).scan(text);
}

WalkResult walk_bounded(const yaml::Node& root, std::size_t max_nodes, std::size_t max_depth) {
    Walker walker{max_nodes, max_depth, 0, {}};
    walker.walk(root, 1);
    return walker.result;
}

}  // namespace edgevisor::manifests::detail
