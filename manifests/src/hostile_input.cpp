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
    std::vector<yaml::Node> open;  // the collections being walked, outermost first
    yaml::Node last_quoted;        // the quoted scalar that starts last in the text

    bool walk(const yaml::Node& node, std::size_t depth) {
        if (++visited > max_nodes) return stop(WalkLimit::nodes, node);
        if (depth > max_depth) return stop(WalkLimit::depth, node);
        if (node.IsQuoted() && (!last_quoted || node.Mark().pos > last_quoted.Mark().pos))
            last_quoted = node;
        if (!node.IsSequence() && !node.IsMap()) return true;
        for (const yaml::Node& outer : open)
            if (outer.is(node)) return stop(WalkLimit::cycle, node);
        open.push_back(node);
        for (auto it = node.begin(); it != node.end(); ++it) {
            if (node.IsMap()) {
                if (!walk(it->first, depth + 1) || !walk(it->second, depth + 1)) return false;
            } else if (!walk(*it, depth + 1)) {
                return false;
            }
        }
        open.pop_back();
        return true;
    }

    bool stop(WalkLimit limit, const yaml::Node& node) {
        result = WalkResult{limit, node.Mark()};
        return false;
    }
};

// The length of a valid UTF-8 sequence starting at text[i], or 0.
std::size_t utf8_length(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80) return 1;
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;   // overlong
        if (lead == 0xED) high = 0x9F;  // UTF-16 surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;   // overlong
        if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
        return 0;
    }
    if (i + length > text.size() || byte(i + 1) < low || byte(i + 1) > high) return 0;
    for (std::size_t k = i + 2; k < i + length; ++k)
        if (byte(k) < 0x80 || byte(k) > 0xBF) return 0;
    return length;
}

}  // namespace

std::optional<TextPosition> find_excess_depth(std::string_view text, std::size_t max_depth) {
    return DepthScanner(max_depth).scan(text);
}

std::optional<TextPosition> find_invalid_utf8(std::string_view text, unsigned char& byte) {
    int line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8_length(text, i);
        if (length == 0) {
            byte = static_cast<unsigned char>(text[i]);
            return TextPosition{line, static_cast<int>(i - line_start) + 1};
        }
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
        i += length;
    }
    return std::nullopt;
}

WalkResult walk_bounded(const yaml::Node& root, std::size_t max_nodes, std::size_t max_depth) {
    Walker walker{max_nodes, max_depth, 0, {}, {}, {}};
    if (walker.walk(root, 1) && walker.last_quoted.IsUnterminated())
        walker.stop(WalkLimit::open_quote, walker.last_quoted);
    return walker.result;
}

}  // namespace edgevisor::manifests::detail
