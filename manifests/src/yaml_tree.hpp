// The documents of a manifest file, parsed by yaml-cpp, seen through a small view: the one
// place that touches the YAML library. The view adds what the reader needs and yaml-cpp does not
// give: no exception from any access (a missing node is an Undefined Node, not an invalid
// YAML::Node that throws), an empty value marked right after its ':' or '-' (yaml-cpp marks it
// where the next token starts, often the next line), and a quoted scalar told from a plain one.
//
// yaml-cpp shares an alias's node with its anchor (not a copy), so a "billion laughs" document
// loads small: walk_bounded (hostile_input.hpp) counts each use. A Node refers to the text it
// was parsed from, which must outlive it.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace edgevisor::manifests::detail::yaml {

// Where a node starts: 0-based line, column and byte offset (callers show them 1-based).
struct Mark {
    int line = -1;
    int column = -1;
    int pos = -1;
    [[nodiscard]] bool is_null() const { return line < 0; }
};

// Null: an empty value, or a plain ~, null, Null, NULL (YAML's null); a quoted "null" is a
// Scalar. Undefined: a default-constructed Node (no node at all).
enum class NodeType { Undefined, Null, Scalar, Sequence, Map };

class NodeIterator;

class Node {
  public:
    Node() = default;
    Node(YAML::Node node, std::string_view text) : node_(std::move(node)), text_(text) {}
    Node(const Node&) = default;
    // Rebinds the handle. YAML::Node's own assignment writes into the node it refers to (it
    // would overwrite the document), so it is never used here.
    Node& operator=(const Node& other) {
        node_.reset(other.node_);
        text_ = other.text_;
        return *this;
    }
    ~Node() = default;

    // True for any node that exists (a Null one too); false for "no such node".
    explicit operator bool() const { return exists_(); }
    [[nodiscard]] NodeType Type() const;
    [[nodiscard]] bool IsNull() const { return Type() == NodeType::Null; }
    [[nodiscard]] bool IsScalar() const { return Type() == NodeType::Scalar; }
    [[nodiscard]] bool IsSequence() const { return Type() == NodeType::Sequence; }
    [[nodiscard]] bool IsMap() const { return Type() == NodeType::Map; }
    // A scalar written in quotes ('...' or "...").
    [[nodiscard]] bool IsQuoted() const;
    // A quoted scalar without its closing quote: yaml-cpp 0.7 reads it to the end of the text
    // instead of refusing it. Costs a scan of the scalar.
    [[nodiscard]] bool IsUnterminated() const;
    // The text of a scalar; empty for any other node.
    [[nodiscard]] const std::string& Scalar() const;
    [[nodiscard]] yaml::Mark Mark() const;
    // Items of a sequence, entries of a map, 0 otherwise.
    [[nodiscard]] std::size_t size() const;
    // Item i of a sequence (i < size()).
    [[nodiscard]] Node operator[](std::size_t i) const;
    // The value of a map's first entry with this (scalar) key; an Undefined node if none.
    [[nodiscard]] Node operator[](std::string_view key) const;
    // The same node (an alias and its anchor are).
    [[nodiscard]] bool is(const Node& other) const;

    // Iterates a sequence's items (*it is the item) or a map's entries (it->first, it->second),
    // duplicate keys included (yaml-cpp keeps them; the reader reports them).
    [[nodiscard]] NodeIterator begin() const;
    [[nodiscard]] NodeIterator end() const;

  private:
    [[nodiscard]] bool exists_() const { return text_.data() != nullptr; }

    YAML::Node node_;
    std::string_view text_;  // data() == nullptr: no node
};

// What a Node iterator yields: the item itself for a sequence; key (first) and value (second)
// for a map.
struct MapItem : Node {
    Node first;
    Node second;
};

class NodeIterator {
  public:
    NodeIterator(YAML::const_iterator it, bool map, std::string_view text)
        : it_(std::move(it)), map_(map), text_(text) {}
    // The item at this position, built once (yaml-cpp builds a node and a pair on each
    // dereference: the reader reads it->first and it->second).
    const MapItem& operator*() const;
    const MapItem* operator->() const { return &**this; }
    NodeIterator& operator++() {
        ++it_;
        loaded_ = false;
        return *this;
    }
    bool operator==(const NodeIterator& other) const { return it_ == other.it_; }

  private:
    YAML::const_iterator it_;
    bool map_;
    std::string_view text_;
    mutable bool loaded_ = false;
    mutable MapItem current_;
};

// The documents of one text; their nodes refer to `text`, which the caller keeps.
struct Documents {
    std::vector<Node> roots;  // one per document, in order
};

struct ParseError {
    enum class Kind { syntax, depth };
    Kind kind = Kind::syntax;
    yaml::Mark mark;
    std::string message;  // yaml-cpp's problem, made specific where we can ("unknown anchor 'x'")
};

// Parses every document of the text (yaml-cpp's LoadAll, anchors per document). Refused:
// invalid YAML, an alias to an unknown anchor, nesting beyond yaml-cpp's own recursion limit,
// No exception escapes.
std::expected<Documents, ParseError> load_all(std::string_view text);

}  // namespace edgevisor::manifests::detail::yaml
