// The YAML documents of a manifest file as a tree of nodes with their positions, built from
// libyaml's event parser. libyaml is a small C library and several times faster than yaml-cpp
// on manifests (whose first parse in a process also built dozens of regular expressions):
// `edgectl run` parses a manifest on every launch, the supervisor thousands on a fleet push.
//
// Node is a cheap handle into the Documents that made it, which must outlive it. An alias is
// the node of its anchor (shared, not copied): walk_bounded (hostile_input.hpp) counts each
// use. The names follow yaml-cpp's (Type, Scalar, Mark, IsMap...), which this replaced.
#pragma once

#include <cstddef>
#include <deque>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace edgevisor::manifests::detail::yaml {

// Where a node starts: 0-based line and column (callers show them 1-based).
struct Mark {
    int line = -1;
    int column = -1;
    [[nodiscard]] bool is_null() const { return line < 0; }
};

// Null: an empty value, or a plain ~, null, Null, NULL (YAML's null); a quoted "null" is a
// Scalar. Undefined: a default-constructed Node (no node at all).
enum class NodeType { Undefined, Null, Scalar, Sequence, Map };

struct NodeData {
    NodeType type = NodeType::Null;
    yaml::Mark mark;
    std::string scalar;
    // Sequence: the items. Map: key, value, key, value... in document order (duplicate keys
    // kept: the reader reports them).
    std::vector<const NodeData*> children;
};

class NodeIterator;

class Node {
  public:
    Node() = default;
    explicit Node(const NodeData* data) : data_(data) {}

    // True for any node that exists (a Null one too); false for "no such node".
    explicit operator bool() const { return data_ != nullptr; }
    [[nodiscard]] NodeType Type() const { return data_ ? data_->type : NodeType::Undefined; }
    [[nodiscard]] bool IsNull() const { return Type() == NodeType::Null; }
    [[nodiscard]] bool IsScalar() const { return Type() == NodeType::Scalar; }
    [[nodiscard]] bool IsSequence() const { return Type() == NodeType::Sequence; }
    [[nodiscard]] bool IsMap() const { return Type() == NodeType::Map; }
    // The text of a scalar; empty for any other node.
    [[nodiscard]] const std::string& Scalar() const;
    [[nodiscard]] yaml::Mark Mark() const { return data_ ? data_->mark : yaml::Mark{}; }
    // Items of a sequence, entries of a map, 0 otherwise.
    [[nodiscard]] std::size_t size() const;
    // Item i of a sequence (i < size()).
    [[nodiscard]] Node operator[](std::size_t i) const { return Node(data_->children[i]); }
    // The value of a map's first entry with this (scalar) key; an Undefined node if none.
    [[nodiscard]] Node operator[](std::string_view key) const;

    // Iterates a sequence's items (*it is the item) or a map's entries (it->first, it->second).
    [[nodiscard]] NodeIterator begin() const;
    [[nodiscard]] NodeIterator end() const;

  private:
    const NodeData* data_ = nullptr;
};

// What a Node iterator yields: the item itself for a sequence; key (first) and value (second)
// for a map.
struct MapItem : Node {
    Node first;
    Node second;
};

class NodeIterator {
  public:
    NodeIterator(const NodeData* parent, std::size_t index);
    const MapItem& operator*() const { return current_; }
    const MapItem* operator->() const { return &current_; }
    NodeIterator& operator++();
    bool operator==(const NodeIterator& other) const { return index_ == other.index_; }

  private:
    void load();

    const NodeData* parent_;
    std::size_t index_;
    MapItem current_;
};

// The documents of one text. Movable; the nodes point into `storage`, whose elements never move.
struct Documents {
    std::deque<NodeData> storage;
    std::vector<Node> roots;  // one per document, in order
};

struct ParseError {
    yaml::Mark mark;
    std::string message;  // libyaml's problem, with its context ("while parsing a flow mapping")
};

// Parses every document of the text. Refused: invalid YAML, an alias to an unknown anchor, and
// an alias inside the very node it names ("&a [*a]": a cycle).
std::expected<Documents, ParseError> load_all(std::string_view text);

}  // namespace edgevisor::manifests::detail::yaml
