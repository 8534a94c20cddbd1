// paths: where manifests are read and state, runtime files and logs are written.
#include "sections.hpp"

namespace edgevisor::manifests::detail {

void parse_paths_section(Context& ctx, const yaml::Node& node, NodeConfig& out) {
    MapReader map(ctx, node, "paths", {"manifests", "state", "runtime", "logs"});
    if (!map) return;
    map.path("manifests", out.paths.manifests);
    map.path("state", out.paths.state);
    map.path("runtime", out.paths.runtime);
    map.path("logs", out.paths.logs);
}

std::string render_paths_section(const NodeConfig& config) {
    const NodePaths& p = config.paths;
    return "paths:\n  manifests: " + yaml_quoted(p.manifests) +
           "\n  state: " + yaml_quoted(p.state) + "\n  runtime: " + yaml_quoted(p.runtime) +
           "\n  logs: " + yaml_quoted(p.logs) + "\n";
}

}  // namespace edgevisor::manifests::detail
