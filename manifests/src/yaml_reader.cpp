#include "yaml_reader.hpp"

#include <algorithm>
#include <cctype>

#include "edgevisor/manifests/units.hpp"
#include "numbers.hpp"

namespace edgevisor::manifests::detail {

SourceMark Context::mark(const yaml::Mark& mark) const {
    if (mark.is_null() || mark.line < 0) return fallback_;
    return SourceMark{file_, mark.line + 1, mark.column + 1};
}

void Context::error(const SourceMark& where, std::string rule, std::string message) {
    SourceMark at = where;
    if (at.file.empty()) at.file = file_;
    out_.push_back(Diagnostic{std::move(at), std::move(rule), std::move(message)});
}

std::string describe_type(const yaml::Node& node) {
    switch (node.Type()) {
        case yaml::NodeType::Map:
            return "a map";
        case yaml::NodeType::Sequence:
            return "a list";
        case yaml::NodeType::Scalar:
            return "'" + node.Scalar() + "'";
        case yaml::NodeType::Null:
            return "an empty value";
        case yaml::NodeType::Undefined:
            break;
    }
    return "nothing";
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

bool wrong_type(Context& ctx, const yaml::Node& node, const std::string& where,
                std::string_view expected) {
    ctx.error(node, "wrong-type",
              where + ": expected " + std::string(expected) + ", got " + describe_type(node));
    return false;
}

bool is_scalar(Context& ctx, const yaml::Node& node, const std::string& where,
               std::string_view expected) {
    return node.IsScalar() || wrong_type(ctx, node, where, expected);
}

}  // namespace

std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates) {
    std::string best;
    std::size_t best_distance = SIZE_MAX;
    for (std::string_view candidate : candidates) {
        std::size_t distance = edit_distance(word, candidate);
        // Allow about a third of the longer word to differ ("readOnlyRot" -> "readOnly").
        std::size_t allowed = std::max<std::size_t>(2, std::max(word.size(), candidate.size()) / 3);
        bool prefix = candidate.size() >= 4 && word.size() >= 4 &&
                      (word.starts_with(candidate) || candidate.starts_with(word));
        if ((distance <= allowed || prefix) && distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    }
    return best;
}

std::optional<std::string> read_text(Context& ctx, const yaml::Node& node,
                                     const std::string& where) {
    if (!is_scalar(ctx, node, where, "a string")) return std::nullopt;
    return node.Scalar();
}

std::optional<bool> read_flag(Context& ctx, const yaml::Node& node, const std::string& where) {
    if (!is_scalar(ctx, node, where, "true or false")) return std::nullopt;
    const std::string& text = node.Scalar();
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
    // YAML 1.1's yes/no/on/off are deliberately not booleans here: say so.
    wrong_type(ctx, node, where, "true or false");
    return std::nullopt;
}

std::optional<std::uint64_t> read_uint(Context& ctx, const yaml::Node& node,
                                       const std::string& where, std::uint64_t min,
                                       std::uint64_t max) {
    if (!is_scalar(ctx, node, where, "a number")) return std::nullopt;
    auto value = parse_unsigned(node.Scalar(), "a whole number");
    if (!value) {
        ctx.error(node, "invalid-value", where + ": " + value.error().message);
        return std::nullopt;
    }
    if (*value < min || *value > max) {
        ctx.error(node, "out-of-range",
                  where + ": " + std::to_string(*value) + " is out of range (" +
                      std::to_string(min) + ".." + std::to_string(max) + ")");
        return std::nullopt;
    }
    return *value;
}

std::optional<Bytes> read_bytes(Context& ctx, const yaml::Node& node, const std::string& where,
                                Bytes min) {
    if (!is_scalar(ctx, node, where, "a size (e.g. 64Mi)")) return std::nullopt;
    auto value = parse_bytes(node.Scalar());
    if (!value) {
        ctx.error(node, "invalid-size", where + ": " + value.error().message);
        return std::nullopt;
    }
    if (*value < min) {
        ctx.error(node, "out-of-range",
                  where + ": " + node.Scalar() + " is too small (at least " + std::to_string(min) +
                      " bytes)");
        return std::nullopt;
    }
    return *value;
}

std::optional<Duration> read_duration(Context& ctx, const yaml::Node& node,
                                      const std::string& where, Duration min) {
    if (!is_scalar(ctx, node, where, "a duration (e.g. 10s)")) return std::nullopt;
    auto value = parse_duration(node.Scalar());
    if (!value) {
        ctx.error(node, "invalid-duration", where + ": " + value.error().message);
        return std::nullopt;
    }
    if (*value < min) {
        ctx.error(node, "out-of-range",
                  where + ": " + node.Scalar() + " is too short (at least " +
                      std::to_string(min.count()) + "ms)");
        return std::nullopt;
    }
    return *value;
}

std::optional<std::string> read_path(Context& ctx, const yaml::Node& node,
                                     const std::string& where) {
    auto text = read_text(ctx, node, where);
    if (!text) return std::nullopt;
    std::string_view path = *text;
    if (!path.starts_with('/')) {
        ctx.error(node, "path-format", where + ": '" + *text + "' is not an absolute path");
        return std::nullopt;
    }
    if (path.find('\0') != std::string_view::npos) {
        ctx.error(node, "path-format", where + ": path contains a NUL byte");
        return std::nullopt;
    }
    // ".." as a component can escape a root or a bind source; "a..b" is a plain name.
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        if (path.substr(start, end - start) == "..") {
            ctx.error(node, "path-format", where + ": '" + *text + "' contains '..'");
            return std::nullopt;
        }
        start = end + 1;
    }
    return text;
}

bool expect_list(Context& ctx, const yaml::Node& node, const std::string& where) {
    return node.IsSequence() || wrong_type(ctx, node, where, "a list");
}

std::optional<std::vector<std::string>> read_text_list(Context& ctx, const yaml::Node& node,
                                                       const std::string& where) {
    if (!node.IsSequence()) {
        wrong_type(ctx, node, where, "a list of strings");
        return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (std::size_t i = 0; i < node.size(); ++i) {
        auto item = read_text(ctx, node[i], where + "[" + std::to_string(i) + "]");
        if (item) out.push_back(std::move(*item));
        ok = ok && item.has_value();
    }
    if (!ok) return std::nullopt;
    return out;
}

std::string first_at(const SourceMark& mark) {
    return " (first at line " + std::to_string(mark.line) + ", column " +
           std::to_string(mark.column) + ")";
}

bool SeenKeys::add(Context& ctx, const yaml::Node& key, const std::string& in) {
    const std::string& name = key.Scalar();
    auto [it, added] = first_.try_emplace(name, ctx.mark(key));
    if (!added)
        ctx.error(key, "duplicate-key",
                  "duplicate key '" + name + "' in " + in + first_at(it->second));
    return added;
}

MapReader::MapReader(Context& ctx, const yaml::Node& node, std::string path,
                     std::initializer_list<std::string_view> keys)
    : ctx_(ctx), node_(node), path_(std::move(path)) {
    if (!node.IsMap()) {
        wrong_type(ctx, node, path_.empty() ? "document" : path_, "a map");
        return;
    }
    is_map_ = true;
    std::vector<std::string_view> expected(keys);
    std::string expected_text;
    for (std::string_view key : expected)
        expected_text += (expected_text.empty() ? "" : ", ") + std::string(key);
    std::string in = path_.empty() ? "the document" : path_;
    for (auto it = node.begin(); it != node.end(); ++it) {
        const yaml::Node key = it->first;
        const yaml::Node value = it->second;
        if (!key.IsScalar()) {
            ctx.error(key, "wrong-type",
                      in + ": a key must be a string, got " + describe_type(key));
            continue;
        }
        const std::string& name = key.Scalar();
        if (std::find(expected.begin(), expected.end(), name) == expected.end()) {
            std::string hint = did_you_mean(name, expected);
            ctx.error(key, "unknown-key",
                      "unknown key '" + name + "' in " + in + " (expected: " + expected_text + ")" +
                          (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
            continue;
        }
        if (find(name) != nullptr) {
            ctx.error(key, "duplicate-key",
                      "duplicate key '" + name + "' in " + in + first_at(key_mark(name)));
            continue;
        }
        entries_.emplace_back(name, std::make_pair(key, value));
    }
}

std::string MapReader::at(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

const yaml::Node* MapReader::find(std::string_view key) const {
    for (const auto& entry : entries_)
        if (entry.first == key) return &entry.second.second;
    return nullptr;
}

SourceMark MapReader::key_mark(std::string_view key) const {
    for (const auto& entry : entries_)
        if (entry.first == key) return ctx_.mark(entry.second.first);
    return mark();
}

bool MapReader::require(std::string_view key) const {
    if (!is_map_ || has(key)) return true;
    ctx_.error(
        mark(), "missing-key",
        "missing key '" + std::string(key) + "' in " + (path_.empty() ? "the document" : path_));
    return false;
}

bool MapReader::text(std::string_view key, std::string& target) const {
    const yaml::Node* node = find(key);
    if (node == nullptr) return false;
    auto value = read_text(ctx_, *node, at(key));
    if (value) target = std::move(*value);
    return value.has_value();
}

bool MapReader::text(std::string_view key, std::optional<std::string>& target) const {
    std::string value;
    if (!text(key, value)) return false;
    target = std::move(value);
    return true;
}

bool MapReader::flag(std::string_view key, bool& target) const {
    const yaml::Node* node = find(key);
    if (node == nullptr) return false;
    auto value = read_flag(ctx_, *node, at(key));
    if (value) target = *value;
    return value.has_value();
}

bool MapReader::path(std::string_view key, std::string& target) const {
    const yaml::Node* node = find(key);
    if (node == nullptr) return false;
    auto value = read_path(ctx_, *node, at(key));
    if (value) target = std::move(*value);
    return value.has_value();
}

bool MapReader::bytes(std::string_view key, Bytes& target, Bytes min) const {
    const yaml::Node* node = find(key);
    if (node == nullptr) return false;
    auto value = read_bytes(ctx_, *node, at(key), min);
    if (value) target = *value;
    return value.has_value();
}

bool MapReader::bytes(std::string_view key, std::optional<Bytes>& target, Bytes min) const {
    Bytes value = 0;
    if (!bytes(key, value, min)) return false;
    target = value;
    return true;
}

bool MapReader::duration(std::string_view key, Duration& target, Duration min) const {
    const yaml::Node* node = find(key);
    if (node == nullptr) return false;
    auto value = read_duration(ctx_, *node, at(key), min);
    if (value) target = *value;
    return value.has_value();
}

}  // namespace edgevisor::manifests::detail
