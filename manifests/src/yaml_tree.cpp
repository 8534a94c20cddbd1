#include "yaml_tree.hpp"

#include <yaml.h>

#include <memory>
#include <unordered_map>

namespace edgevisor::manifests::detail::yaml {

const std::string& Node::Scalar() const {
    static const std::string empty;
    return IsScalar() ? data_->scalar : empty;
}

std::size_t Node::size() const {
    if (IsSequence()) return data_->children.size();
    if (IsMap()) return data_->children.size() / 2;
    return 0;
}

Node Node::operator[](std::string_view key) const {
    if (!IsMap()) return Node();
    for (std::size_t i = 0; i + 1 < data_->children.size(); i += 2) {
        const NodeData* k = data_->children[i];
        if (k->type == NodeType::Scalar && k->scalar == key) return Node(data_->children[i + 1]);
    }
    return Node();
}

NodeIterator Node::begin() const {
    return NodeIterator(data_, 0);
}

NodeIterator Node::end() const {
    const bool container = IsSequence() || IsMap();
    return NodeIterator(data_, container ? data_->children.size() : 0);
}

NodeIterator::NodeIterator(const NodeData* parent, std::size_t index)
    : parent_(parent), index_(index) {
    load();
}

NodeIterator& NodeIterator::operator++() {
    index_ += parent_->type == NodeType::Map ? 2 : 1;
    load();
    return *this;
}

void NodeIterator::load() {
    current_ = MapItem{};
    if (parent_ == nullptr || index_ >= parent_->children.size()) return;
    if (parent_->type == NodeType::Map) {
        current_.first = Node(parent_->children[index_]);
        current_.second = Node(parent_->children[index_ + 1]);
    } else {
        static_cast<Node&>(current_) = Node(parent_->children[index_]);
    }
}

namespace {

Mark mark_of(const yaml_mark_t& mark) {
    return Mark{static_cast<int>(mark.line), static_cast<int>(mark.column)};
}

bool is_null_scalar(const yaml_event_t& event) {
    const auto& scalar = event.data.scalar;
    if (scalar.style != YAML_PLAIN_SCALAR_STYLE || scalar.tag != nullptr) return false;
    const std::string_view text(reinterpret_cast<const char*>(scalar.value), scalar.length);
    return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

struct ParserDeleter {
    void operator()(yaml_parser_t* parser) const {
        yaml_parser_delete(parser);
        delete parser;
    }
};

struct EventGuard {
    yaml_event_t event{};
    EventGuard() = default;
    EventGuard(const EventGuard&) = delete;
    EventGuard& operator=(const EventGuard&) = delete;
    ~EventGuard() { yaml_event_delete(&event); }
};

// Turns libyaml's events into the tree: a stack of open collections, one anchor table per
// document. No recursion, so nesting depth costs heap, not stack.
class TreeBuilder {
  public:
    std::expected<Documents, ParseError> run(yaml_parser_t& parser) {
        for (;;) {
            EventGuard guard;
            if (!yaml_parser_parse(&parser, &guard.event)) return parser_error(parser);
            const yaml_event_t& event = guard.event;
            switch (event.type) {
                case YAML_STREAM_END_EVENT:
                    return std::move(docs_);
                case YAML_DOCUMENT_START_EVENT:
                    anchors_.clear();
                    root_ = nullptr;
                    break;
                case YAML_DOCUMENT_END_EVENT:
                    docs_.roots.emplace_back(root_ ? root_ : &add(NodeType::Null, event));
                    break;
                case YAML_SCALAR_EVENT:
                    scalar(event);
                    break;
                case YAML_SEQUENCE_START_EVENT:
                case YAML_MAPPING_START_EVENT:
                    open(event);
                    break;
                case YAML_SEQUENCE_END_EVENT:
                case YAML_MAPPING_END_EVENT:
                    open_.pop_back();
                    break;
                case YAML_ALIAS_EVENT:
                    if (auto ok = alias(event); !ok) return std::unexpected(ok.error());
                    break;
                default:  // stream start, no event
                    break;
            }
        }
    }

  private:
    using Step = std::expected<void, ParseError>;

    static std::unexpected<ParseError> parser_error(const yaml_parser_t& parser) {
        std::string message = parser.problem ? parser.problem : "unreadable YAML";
        if (parser.context) message = std::string(parser.context) + ": " + message;
        return std::unexpected(ParseError{mark_of(parser.problem_mark), std::move(message)});
    }

    NodeData& add(NodeType type, const yaml_event_t& event) {
        NodeData& node = docs_.storage.emplace_back();
        node.type = type;
        node.mark = mark_of(event.start_mark);
        return node;
    }

    void attach(const NodeData& node) {
        if (open_.empty())
            root_ = &node;
        else
            open_.back()->children.push_back(&node);
    }

    void name(const yaml_char_t* anchor, const NodeData& node) {
        if (anchor != nullptr) anchors_[reinterpret_cast<const char*>(anchor)] = &node;
    }

    void scalar(const yaml_event_t& event) {
        NodeData& node = add(is_null_scalar(event) ? NodeType::Null : NodeType::Scalar, event);
        const auto& data = event.data.scalar;
        if (node.type == NodeType::Scalar)
            node.scalar.assign(reinterpret_cast<const char*>(data.value), data.length);
        name(data.anchor, node);
        attach(node);
    }

    void open(const yaml_event_t& event) {
        const bool map = event.type == YAML_MAPPING_START_EVENT;
        NodeData& node = add(map ? NodeType::Map : NodeType::Sequence, event);
        name(map ? event.data.mapping_start.anchor : event.data.sequence_start.anchor, node);
        attach(node);
        open_.push_back(&node);
    }

    Step alias(const yaml_event_t& event) {
        const std::string anchor = reinterpret_cast<const char*>(event.data.alias.anchor);
        auto found = anchors_.find(anchor);
        if (found == anchors_.end())
            return std::unexpected(
                ParseError{mark_of(event.start_mark), "unknown anchor '" + anchor + "'"});
        for (const NodeData* open : open_)
            if (open == found->second)
                return std::unexpected(
                    ParseError{mark_of(event.start_mark),
                               "alias '*" + anchor + "' inside the node it names (a cycle)"});
        attach(*found->second);
        return {};
    }

    Documents docs_;
    std::vector<NodeData*> open_;
    std::unordered_map<std::string, const NodeData*> anchors_;
    const NodeData* root_ = nullptr;
};

}  // namespace

std::expected<Documents, ParseError> load_all(std::string_view text) {
    std::unique_ptr<yaml_parser_t, ParserDeleter> parser(new yaml_parser_t{});
    if (!yaml_parser_initialize(parser.get()))
        return std::unexpected(ParseError{Mark{}, "cannot initialise the YAML parser"});
    yaml_parser_set_input_string(parser.get(), reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
    return TreeBuilder().run(*parser);
}

}  // namespace edgevisor::manifests::detail::yaml
