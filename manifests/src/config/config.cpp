// The NodeConfig document: top-level keys, the section table, reading the file, printing it.
#include <fcntl.h>
#include <sys/stat.h>

#include <array>
#include <cstdio>

#include "../load_text.hpp"
#include "../parse_sections.hpp"
#include "edgevisor/error.hpp"
#include "edgevisor/unique_fd.hpp"
#include "sections.hpp"

namespace edgevisor::manifests {
namespace detail {
namespace {

constexpr std::array<ConfigSection, 8> kSections{{
    {"node", parse_node_section, render_node_section},
    {"paths", parse_paths_section, render_paths_section},
    {"cgroup", parse_cgroup_section, render_cgroup_section},
    {"log", parse_log_section, render_log_section},
    {"supervisor", parse_supervisor_section, render_supervisor_section},
    {"idPool", parse_id_pool_section, render_id_pool_section},
    {"dbus", parse_dbus_section, render_dbus_section},
    {"mqtt", parse_node_mqtt_section, render_mqtt_section},
}};

void parse_top(Context& ctx, const yaml::Node& node, NodeConfig& out) {
    ctx.set_fallback(ctx.mark(node));
    // MapReader takes the allowed keys as an initializer_list; check the sections by hand.
    if (!node.IsMap()) {
        ctx.error(node, "wrong-type", "expected a NodeConfig map, got " + describe_type(node));
        return;
    }
    std::vector<std::string_view> keys{"apiVersion", "kind"};
    for (const auto& section : kSections) keys.push_back(section.key);
    SeenKeys seen;  // a second `log:` was silently ignored
    for (auto it = node.begin(); it != node.end(); ++it) {
        auto key = read_text(ctx, it->first, "NodeConfig");
        if (!key || !seen.add(ctx, it->first, "NodeConfig")) continue;
        if (std::find(keys.begin(), keys.end(), *key) != keys.end()) continue;
        std::string expected;
        for (auto k : keys) expected += (expected.empty() ? "" : ", ") + std::string(k);
        std::string hint = did_you_mean(*key, keys);
        ctx.error(it->first, "unknown-key",
                  "unknown key '" + *key + "' in NodeConfig (expected: " + expected + ")" +
                      (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    }
    auto api = node["apiVersion"];
    auto kind = node["kind"];
    if (!api) ctx.error(node, "missing-key", "missing key 'apiVersion'");
    if (!kind) ctx.error(node, "missing-key", "missing key 'kind'");
    if (api && (!api.IsScalar() || api.Scalar() != "edgevisor/v1"))
        ctx.error(
            api, "api-version",
            "apiVersion: " + describe_type(api) + " is not supported (expected edgevisor/v1)");
    if (kind && (!kind.IsScalar() || kind.Scalar() != "NodeConfig"))
        ctx.error(kind, "kind", "kind: " + describe_type(kind) + " is not NodeConfig");
    for (const auto& section : kSections)
        if (auto value = node[section.key]; value && !value.IsNull())
            section.parse(ctx, value, out);
}

}  // namespace
}  // namespace detail

NodeConfigResult parse_node_config(std::string_view text, const std::string& file) {
    NodeConfigResult result;
    result.config.file = file;
    auto parsed = detail::load_bounded(text, file, ParseLimits{}, result.diagnostics);
    if (!parsed) return result;
    detail::Context ctx(file, result.diagnostics);
    std::vector<detail::yaml::Node> roots;
    for (const auto& node : parsed->roots)
        if (!node.IsNull() && detail::walk_within_limits(ctx, node, ParseLimits{}))
            roots.push_back(node);
    if (roots.size() > 1) ctx.error(roots[1], "one-document", "the node config is one document");
    if (!roots.empty()) detail::parse_top(ctx, roots[0], result.config);
    return result;
}

NodeConfigResult load_node_config(const std::filesystem::path& path) {
    auto unreadable = [&](const edgevisor::Error& error) {
        NodeConfigResult result;
        result.diagnostics.push_back(
            Diagnostic{SourceMark{path.string(), 0, 0}, "file-unreadable", error.describe()});
        return result;
    };
    // O_NONBLOCK: a FIFO named by mistake must not block the open.
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) return unreadable(edgevisor::fail_errno("open", "cannot open").error());
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
        return unreadable(edgevisor::fail("open", "not a regular file").error());
    if (st.st_size > 1024 * 1024)
        return unreadable(edgevisor::fail("read", "larger than 1 MiB").error());
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    ssize_t n = ::read(fd.get(), text.data(), text.size());
    if (n < 0) return unreadable(edgevisor::fail_errno("read", "cannot read").error());
    text.resize(static_cast<std::size_t>(n));
    return parse_node_config(text, path.string());
}

std::string render_node_config(const NodeConfig& config) {
    std::string out = "apiVersion: edgevisor/v1\nkind: NodeConfig\n";
    for (const auto& section : detail::kSections) out += section.render(config);
    return out;
}

}  // namespace edgevisor::manifests
