// log: the daemon's own log level.
#include <array>

#include "sections.hpp"

namespace edgevisor::manifests::detail {

void parse_log_section(Context& ctx, const yaml::Node& node, NodeConfig& out) {
    static constexpr std::array<Choice<std::string_view>, 4> kLevels{
        {{"debug", "debug"}, {"info", "info"}, {"warn", "warn"}, {"error", "error"}}};
    MapReader map(ctx, node, "log", {"level"});
    if (!map) return;
    std::string_view level;
    if (map.choice("level", level, std::span<const Choice<std::string_view>>(kLevels)))
        out.log.level = std::string(level);
}

std::string render_log_section(const NodeConfig& config) {
    return "log:\n  level: " + config.log.level + "\n";
}

}  // namespace edgevisor::manifests::detail
