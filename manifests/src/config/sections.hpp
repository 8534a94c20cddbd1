// One parser and one printer per node config section (each in its own file here); config.cpp
// holds the table of sections. A channel's issue adds its section as a file and a table row.
#pragma once

#include <string>

#include "../yaml_reader.hpp"
#include "edgevisor/manifests/node_config.hpp"

namespace edgevisor::manifests::detail {

struct ConfigSection {
    std::string_view key;
    void (*parse)(Context& ctx, const yaml::Node& node, NodeConfig& out);
    std::string (*render)(const NodeConfig& config);  // "key:\n  a: 1\n"
};

void parse_node_section(Context& ctx, const yaml::Node& node, NodeConfig& out);
std::string render_node_section(const NodeConfig& config);
void parse_paths_section(Context& ctx, const yaml::Node& node, NodeConfig& out);
std::string render_paths_section(const NodeConfig& config);
void parse_cgroup_section(Context& ctx, const yaml::Node& node, NodeConfig& out);
std::string render_cgroup_section(const NodeConfig& config);
void parse_log_section(Context& ctx, const yaml::Node& node, NodeConfig& out);
std::string render_log_section(const NodeConfig& config);
void parse_supervisor_section(Context& ctx, const yaml::Node& node, NodeConfig& out);
std::string render_supervisor_section(const NodeConfig& config);
void parse_id_pool_section(Context& ctx, const yaml::Node& node, NodeConfig& out);
std::string render_id_pool_section(const NodeConfig& config);
void parse_dbus_section(Context& ctx, const yaml::Node& node, NodeConfig& out);
std::string render_dbus_section(const NodeConfig& config);
void parse_node_mqtt_section(Context& ctx, const yaml::Node& node, NodeConfig& out);
std::string render_mqtt_section(const NodeConfig& config);

// Printing helpers: a double-quoted YAML scalar, a flow list of them, a duration ("250ms").
std::string yaml_quoted(std::string_view text);
std::string yaml_quoted_list(const std::vector<std::string>& items);
std::string duration_text(Duration d);
// A map of strings (labels) read into `out`; keys and values are plain text.
void read_string_map(Context& ctx, const yaml::Node& node, const std::string& where,
                     std::map<std::string, std::string>& out);

}  // namespace edgevisor::manifests::detail
