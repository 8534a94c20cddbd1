// cgroup: where workload cgroups live and what happens when a controller is missing.
#include <array>

#include "sections.hpp"

namespace edgevisor::manifests::detail {

namespace {
constexpr std::array<Choice<CgroupLayoutChoice>, 3> kLayouts{
    {{"auto", CgroupLayoutChoice::automatic},
     {"standalone", CgroupLayoutChoice::standalone},
     {"delegated", CgroupLayoutChoice::delegated}}};
}

void parse_cgroup_section(Context& ctx, const yaml::Node& node, NodeConfig& out) {
    MapReader map(ctx, node, "cgroup", {"allowMissingControllers", "layout", "subtree"});
    if (!map) return;
    map.flag("allowMissingControllers", out.cgroup.allow_missing_controllers);
    map.choice("layout", out.cgroup.layout, std::span<const Choice<CgroupLayoutChoice>>(kLayouts));
    if (map.text("subtree", out.cgroup.subtree)) {
        const std::string& s = out.cgroup.subtree;
        if (s.empty() || s.front() == '/' || s.find("..") != std::string::npos)
            ctx.error(*map.find("subtree"), "path-format",
                      "cgroup.subtree: '" + s +
                          "' must be a relative path below the cgroup2 mount, without '..'");
    }
}

std::string render_cgroup_section(const NodeConfig& config) {
    std::string layout;
    for (const auto& choice : kLayouts)
        if (choice.value == config.cgroup.layout) layout = choice.name;
    return "cgroup:\n  allowMissingControllers: " +
           std::string(config.cgroup.allow_missing_controllers ? "true" : "false") +
           "\n  layout: " + layout + "\n  subtree: " + yaml_quoted(config.cgroup.subtree) + "\n";
}

}  // namespace edgevisor::manifests::detail
