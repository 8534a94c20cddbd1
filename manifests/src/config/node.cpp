// node: {id, groups, labels}: who this node is to the fleet.
#include "../parse_sections.hpp"
#include "sections.hpp"

namespace edgevisor::manifests::detail {

void parse_node_section(Context& ctx, const yaml::Node& node, NodeConfig& out) {
    MapReader map(ctx, node, "node", {"id", "groups", "labels"});
    if (!map) return;
    if (map.text("id", out.node.id) && !valid_workload_name(out.node.id))
        ctx.error(*map.find("id"), "name-format",
                  "node.id: '" + out.node.id +
                      "' is not a valid id (1-63 of a-z, 0-9 and '-'; it is part of MQTT topics)");
    if (const yaml::Node* groups = map.find("groups")) {
        if (auto list = read_text_list(ctx, *groups, "node.groups")) {
            for (std::size_t i = 0; i < list->size(); ++i)
                if (!valid_workload_name((*list)[i]))
                    ctx.error((*groups)[i], "name-format",
                              "node.groups[" + std::to_string(i) + "]: '" + (*list)[i] +
                                  "' is not a valid group name (1-63 of a-z, 0-9 and '-')");
            out.node.groups = *list;
        }
    }
    if (const yaml::Node* labels = map.find("labels"))
        read_string_map(ctx, *labels, "node.labels", out.node.labels);
}

std::string render_node_section(const NodeConfig& config) {
    std::string labels = "{";
    for (const auto& [key, value] : config.node.labels)
        labels += (labels.size() > 1 ? ", " : "") + yaml_quoted(key) + ": " + yaml_quoted(value);
    return "node:\n  id: " + yaml_quoted(config.node.id) +
           "\n  groups: " + yaml_quoted_list(config.node.groups) + "\n  labels: " + labels + "}\n";
}

}  // namespace edgevisor::manifests::detail
