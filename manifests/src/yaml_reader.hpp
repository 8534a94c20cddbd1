// Typed, checked access to YAML nodes (yaml_tree.hpp). Every problem becomes a Diagnostic with
// the node's mark, a stable rule id and the dotted path of the field
// ("spec.isolation.rootfs.readOnly"), and reading goes on so that all errors of a document are
// reported.
#pragma once

#include "yaml_tree.hpp"

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edgevisor/manifests/manifests.hpp"

namespace edgevisor::manifests::detail {

// Where diagnostics go, and the file they name.
class Context {
  public:
    Context(std::string file, std::vector<Diagnostic>& out) : file_(std::move(file)), out_(out) {}

    [[nodiscard]] SourceMark mark(const yaml::Mark& mark) const;
    [[nodiscard]] SourceMark mark(const yaml::Node& node) const { return mark(node.Mark()); }
    void error(const SourceMark& where, std::string rule, std::string message);
    void error(const yaml::Node& node, std::string rule, std::string message) {
        error(mark(node), std::move(rule), std::move(message));
    }
    [[nodiscard]] std::size_t error_count() const { return out_.size(); }
    [[nodiscard]] const std::string& file() const { return file_; }

    // Mark used for nodes without one (a Node that is not there).
    void set_fallback(const SourceMark& mark) { fallback_ = mark; }

  private:
    std::string file_;
    std::vector<Diagnostic>& out_;
    SourceMark fallback_;
};

template <typename E>
struct Choice {
    std::string_view name;
    E value;
};

// "a map", "a list", "a scalar", "an empty value": for wrong-type messages.
std::string describe_type(const yaml::Node& node);

// The closest of `candidates` to `word` when it is a plausible typo, else empty.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

// Checks for one node; `where` is the field's dotted path. nullopt means "reported".
std::optional<std::string> read_text(Context& ctx, const yaml::Node& node,
                                     const std::string& where);
std::optional<bool> read_flag(Context& ctx, const yaml::Node& node, const std::string& where);
std::optional<std::uint64_t> read_uint(Context& ctx, const yaml::Node& node,
                                       const std::string& where, std::uint64_t min,
                                       std::uint64_t max);
std::optional<Bytes> read_bytes(Context& ctx, const yaml::Node& node, const std::string& where,
                                Bytes min);
std::optional<Duration> read_duration(Context& ctx, const yaml::Node& node,
                                      const std::string& where, Duration min);
// An absolute path without ".." components (rule "path-format").
std::optional<std::string> read_path(Context& ctx, const yaml::Node& node,
                                     const std::string& where);
// A list of strings; an empty list is allowed here (callers decide).
std::optional<std::vector<std::string>> read_text_list(Context& ctx, const yaml::Node& node,
                                                       const std::string& where);
// True when node is a sequence; reports "wrong-type" otherwise.
bool expect_list(Context& ctx, const yaml::Node& node, const std::string& where);

template <typename E>
std::optional<E> read_choice(Context& ctx, const yaml::Node& node, const std::string& where,
                             std::span<const Choice<E>> choices) {
    auto text = read_text(ctx, node, where);
    if (!text) return std::nullopt;
    std::string names;
    std::vector<std::string_view> candidates;
    for (const auto& choice : choices) {
        if (choice.name == *text) return choice.value;
        names += (names.empty() ? "" : ", ") + std::string(choice.name);
        candidates.push_back(choice.name);
    }
    std::string hint = did_you_mean(*text, candidates);
    ctx.error(node, "invalid-value",
              where + ": '" + *text + "' is not one of " + names +
                  (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    return std::nullopt;
}

// Keys met so far in one map and where each was first written: yaml-cpp keeps a duplicate key
// and reports nothing, so the reader does, naming both positions.
class SeenKeys {
  public:
    // False, with a duplicate-key error at `key` naming the first, when the key was seen.
    bool add(Context& ctx, const yaml::Node& key, const std::string& in);

  private:
    std::map<std::string, SourceMark, std::less<>> first_;
};

// " (first at line L, column C)": the tail of a duplicate-key message.
std::string first_at(const SourceMark& mark);

// One YAML map and the keys it may have. Construction reports a non-map (wrong-type), unknown
// keys (with the expected ones and a did-you-mean) and duplicate keys.
class MapReader {
  public:
    MapReader(Context& ctx, const yaml::Node& node, std::string path,
              std::initializer_list<std::string_view> keys);

    explicit operator bool() const { return is_map_; }
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] std::string at(std::string_view key) const;
    [[nodiscard]] const yaml::Node* find(std::string_view key) const;
    [[nodiscard]] bool has(std::string_view key) const { return find(key) != nullptr; }
    // The mark of the map itself: where "missing key" errors point.
    [[nodiscard]] SourceMark mark() const { return ctx_.mark(node_); }
    [[nodiscard]] SourceMark key_mark(std::string_view key) const;
    [[nodiscard]] Context& context() const { return ctx_; }

    // Reports "missing-key" unless present.
    bool require(std::string_view key) const;

    // Each reads the key when present; the target is changed only for a valid value.
    bool text(std::string_view key, std::string& target) const;
    bool text(std::string_view key, std::optional<std::string>& target) const;
    bool flag(std::string_view key, bool& target) const;
    bool path(std::string_view key, std::string& target) const;
    bool bytes(std::string_view key, Bytes& target, Bytes min) const;
    bool bytes(std::string_view key, std::optional<Bytes>& target, Bytes min) const;
    bool duration(std::string_view key, Duration& target, Duration min) const;

    template <typename T>
    bool number(std::string_view key, T& target, std::uint64_t min, std::uint64_t max) const {
        const yaml::Node* node = find(key);
        if (node == nullptr) return false;
        auto value = read_uint(ctx_, *node, at(key), min, max);
        if (value) target = static_cast<T>(*value);
        return value.has_value();
    }
    template <typename T>
    bool number(std::string_view key, std::optional<T>& target, std::uint64_t min,
                std::uint64_t max) const {
        T value{};
        if (!number(key, value, min, max)) return false;
        target = value;
        return true;
    }
    template <typename E>
    bool choice(std::string_view key, E& target, std::span<const Choice<E>> choices) const {
        const yaml::Node* node = find(key);
        if (node == nullptr) return false;
        auto value = read_choice(ctx_, *node, at(key), choices);
        if (value) target = *value;
        return value.has_value();
    }

  private:
    Context& ctx_;
    yaml::Node node_;
    std::string path_;
    bool is_map_ = false;
    std::vector<std::pair<std::string, std::pair<yaml::Node, yaml::Node>>> entries_;
};

}  // namespace edgevisor::manifests::detail
