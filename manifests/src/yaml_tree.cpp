#include "yaml_tree.hpp"

#include <yaml-cpp/depthguard.h>

#include <algorithm>

namespace edgevisor::manifests::detail::yaml {
namespace {

Mark mark_of(const YAML::Mark& mark) {
    return Mark{mark.line, mark.column, mark.pos};
}

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

// One line of the text, without its comment and trailing blanks. A '#' starts a comment at the
// line's start or after a blank (a quoted '#' may be cut too: then the caller finds no
// indicator at the end and keeps yaml-cpp's mark).
std::string_view without_comment(std::string_view line) {
    for (std::size_t i = 0; i < line.size(); ++i)
        if (line[i] == '#' && (i == 0 || is_blank(line[i - 1]))) {
            line = line.substr(0, i);
            break;
        }
    while (!line.empty() && is_blank(line.back())) line.remove_suffix(1);
    return line;
}

// yaml-cpp marks an empty value where the next token starts, often on a later line; a person
// looks for it right after the ':', '-', '?', ',', '[', '{' or node property (&anchor, !tag)
// that precedes it. Walks back over blanks and comments to that; else keeps `at`.
Mark empty_value_mark(std::string_view text, Mark at) {
    std::size_t end = std::min(static_cast<std::size_t>(std::max(at.pos, 0)), text.size());
    int line = at.line;
    for (;;) {
        std::size_t start = end == 0 ? 0 : text.rfind('\n', end - 1);
        start = start == std::string_view::npos || end == 0 ? 0 : start + 1;
        if (start > end) start = end;
        std::string_view content = without_comment(text.substr(start, end - start));
        if (!content.empty()) {
            std::size_t word = content.find_last_of(" \t");
            word = word == std::string_view::npos ? 0 : word + 1;
            const char last = content.back();
            const bool indicator = std::string_view(":-?,[{").find(last) != std::string_view::npos;
            const bool property = content[word] == '&' || content[word] == '!';
            if (!indicator && !property) return at;
            // In flow style ("{a: }") the value's end is on the same line: keep yaml-cpp's mark.
            const bool flow_end =
                line == at.line && static_cast<std::size_t>(at.pos) < text.size() &&
                std::string_view("}],").find(text[at.pos]) != std::string_view::npos;
            if (flow_end) return at;
            const auto column = static_cast<int>(content.size());
            return Mark{line, column, static_cast<int>(start) + column};
        }
        if (start == 0) return at;
        end = start - 1;  // the '\n' before this line
        --line;
    }
}

// The alias name at `pos` ("*name"), or "".
std::string alias_at(std::string_view text, int pos) {
    if (pos < 0 || static_cast<std::size_t>(pos) >= text.size() || text[pos] != '*') return {};
    std::size_t end = text.find_first_of(" \t\r\n,[]{}", static_cast<std::size_t>(pos));
    if (end == std::string_view::npos) end = text.size();
    return std::string(text.substr(static_cast<std::size_t>(pos) + 1, end - pos - 1));
}

// True when the line of `mark` is indented with a tab (yaml-cpp's message for it varies).
bool tab_in_indentation(std::string_view text, const YAML::Mark& mark) {
    if (mark.pos < 0 || static_cast<std::size_t>(mark.pos) > text.size()) return false;
    std::size_t start = text.rfind('\n', mark.pos == 0 ? 0 : mark.pos - 1);
    start = start == std::string_view::npos || mark.pos == 0 ? 0 : start + 1;
    for (std::size_t i = start; i < text.size() && is_blank(text[i]); ++i)
        if (text[i] == '\t') return true;
    return false;
}

ParseError syntax_error(std::string_view text, const YAML::Exception& e) {
    std::string message = e.msg;
    if (e.msg == YAML::ErrorMsg::UNKNOWN_ANCHOR) {
        if (std::string name = alias_at(text, e.mark.pos); !name.empty())
            message = "unknown anchor '" + name + "' (anchors belong to their own document)";
    } else if (message.find("tab") == std::string::npos && tab_in_indentation(text, e.mark)) {
        message += " (the line is indented with a tab; YAML indents with spaces)";
    }
    return ParseError{ParseError::Kind::syntax, mark_of(e.mark), std::move(message)};
}

}  // namespace

NodeType Node::Type() const {
    if (!exists_()) return NodeType::Undefined;
    switch (node_.Type()) {
        case YAML::NodeType::Null:
            return NodeType::Null;
        case YAML::NodeType::Scalar:
            return NodeType::Scalar;
        case YAML::NodeType::Sequence:
            return NodeType::Sequence;
        case YAML::NodeType::Map:
            return NodeType::Map;
        case YAML::NodeType::Undefined:
            break;
    }
    return NodeType::Undefined;
}

bool Node::IsQuoted() const {
    // yaml-cpp tags a quoted (or block) scalar "!", a plain one "?"; the text says which.
    if (!IsScalar() || node_.Tag() != "!") return false;
    const int pos = node_.Mark().pos;
    if (pos < 0 || static_cast<std::size_t>(pos) >= text_.size()) return false;
    return text_[pos] == '"' || text_[pos] == '\'';
}

bool Node::IsUnterminated() const {
    if (!IsQuoted()) return false;
    const auto start = static_cast<std::size_t>(node_.Mark().pos);
    const char quote = text_[start];
    for (std::size_t i = start + 1; i < text_.size(); ++i) {
        if (quote == '"' && text_[i] == '\\') {
            ++i;
        } else if (text_[i] == quote) {
            if (quote == '"' || i + 1 == text_.size() || text_[i + 1] != '\'') return false;
            ++i;  // '' is a quote inside a single-quoted scalar
        }
    }
    return true;
}

const std::string& Node::Scalar() const {
    static const std::string empty;
    return IsScalar() ? node_.Scalar() : empty;
}

Mark Node::Mark() const {
    if (!exists_()) return yaml::Mark{};
    yaml::Mark mark = mark_of(node_.Mark());
    if (!IsNull() || mark.is_null()) return mark;
    // A written null (~, null) starts where yaml-cpp says; an empty value does not exist there.
    const auto pos = static_cast<std::size_t>(std::max(mark.pos, 0));
    if (pos < text_.size() && (text_[pos] == '~' || text_[pos] == 'n' || text_[pos] == 'N'))
        return mark;
    return empty_value_mark(text_, mark);
}

std::size_t Node::size() const {
    return IsSequence() || IsMap() ? node_.size() : 0;
}

Node Node::operator[](std::size_t i) const {
    if (!IsSequence() || i >= node_.size()) return Node();
    const YAML::Node& node = node_;  // const access: never inserts, never throws
    return Node(node[i], text_);
}

Node Node::operator[](std::string_view key) const {
    if (!IsMap()) return Node();
    for (auto it = node_.begin(); it != node_.end(); ++it)
        if (it->first.IsScalar() && it->first.Scalar() == key) return Node(it->second, text_);
    return Node();
}

bool Node::is(const Node& other) const {
    return exists_() && other.exists_() && node_.is(other.node_);
}

NodeIterator Node::begin() const {
    const YAML::Node& node = node_;
    return NodeIterator(IsSequence() || IsMap() ? node.begin() : YAML::const_iterator(), IsMap(),
                        text_);
}

NodeIterator Node::end() const {
    const YAML::Node& node = node_;
    return NodeIterator(IsSequence() || IsMap() ? node.end() : YAML::const_iterator(), IsMap(),
                        text_);
}

const MapItem& NodeIterator::operator*() const {
    if (loaded_) return current_;
    const auto& value = *it_;
    if (map_) {
        current_.first = Node(value.first, text_);
        current_.second = Node(value.second, text_);
    } else {
        static_cast<Node&>(current_) = Node(value, text_);
    }
    loaded_ = true;
    return current_;
}

std::expected<Documents, ParseError> load_all(std::string_view text) {
    Documents docs;
    // yaml-cpp reports every problem by exception; they stop here.
    try {
        for (YAML::Node& root : YAML::LoadAll(std::string(text)))
            docs.roots.emplace_back(std::move(root), text.data() ? text : std::string_view(""));
    } catch (const YAML::DeepRecursion& e) {
        return std::unexpected(ParseError{
            ParseError::Kind::depth, mark_of(e.mark),
            "nesting deeper than " + std::to_string(e.depth()) + " levels (yaml-cpp's limit)"});
    } catch (const YAML::Exception& e) {
        return std::unexpected(syntax_error(text, e));
    }
    return docs;
}

}  // namespace edgevisor::manifests::detail::yaml
