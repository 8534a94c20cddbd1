// Printing and small reading helpers shared by the section files.
#include <cstdio>

#include "sections.hpp"

namespace edgevisor::manifests::detail {

std::string yaml_quoted(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", static_cast<unsigned char>(c));
            out += escaped;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string yaml_quoted_list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + yaml_quoted(items[i]);
    return out + "]";
}

std::string duration_text(Duration d) {
    return std::to_string(d.count()) + "ms";
}

void read_string_map(Context& ctx, const yaml::Node& node, const std::string& where,
                     std::map<std::string, std::string>& out) {
    if (!node.IsMap()) {
        ctx.error(node, "wrong-type", where + ": expected a map, got " + describe_type(node));
        return;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
        auto key = read_text(ctx, it->first, where);
        if (!key) continue;
        if (out.contains(*key)) {
            ctx.error(it->first, "duplicate-key", "duplicate key '" + *key + "' in " + where);
            continue;
        }
        if (auto value = read_text(ctx, it->second, where + "." + *key)) out[*key] = *value;
    }
}

}  // namespace edgevisor::manifests::detail
