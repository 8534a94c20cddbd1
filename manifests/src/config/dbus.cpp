// dbus: {bus, adminGroup}: where org.edgevisor.Supervisor1 is served and who may change the
// node through it (README "Local control: D-Bus").
#include "sections.hpp"

namespace edgevisor::manifests::detail {
namespace {

// A D-Bus address is "transport:key=value,...", e.g. unix:path=/run/x or tcp:host=...,port=...
bool valid_bus(const std::string& bus) {
    if (bus == "system" || bus == "session") return true;
    const auto colon = bus.find(':');
    return colon != std::string::npos && colon > 0 && bus.find('=') > colon;
}

// A group name as shadow's useradd accepts one: [a-z_][a-z0-9_-]*[$]?, at most 32 bytes.
bool valid_group(const std::string& group) {
    if (group.empty() || group.size() > 32) return false;
    for (std::size_t i = 0; i < group.size(); ++i) {
        const char c = group[i];
        const bool ok =
            (c >= 'a' && c <= 'z') || c == '_' ||
            (i > 0 && ((c >= '0' && c <= '9') || c == '-' || (c == '$' && i + 1 == group.size())));
        if (!ok) return false;
    }
    return true;
}

}  // namespace

void parse_dbus_section(Context& ctx, const yaml::Node& node, NodeConfig& out) {
    MapReader map(ctx, node, "dbus", {"bus", "adminGroup"});
    if (!map) return;
    if (map.text("bus", out.dbus.bus) && !valid_bus(out.dbus.bus))
        ctx.error(*map.find("bus"), "invalid-value",
                  "dbus.bus: '" + out.dbus.bus +
                      "' is not system, session or a D-Bus address (e.g. unix:path=/run/bus)");
    if (map.text("adminGroup", out.dbus.admin_group) && !out.dbus.admin_group.empty() &&
        !valid_group(out.dbus.admin_group))
        ctx.error(*map.find("adminGroup"), "invalid-value",
                  "dbus.adminGroup: '" + out.dbus.admin_group +
                      "' is not a group name ([a-z_][a-z0-9_-]*; \"\" for root only)");
}

std::string render_dbus_section(const NodeConfig& config) {
    return "dbus:\n  bus: " + yaml_quoted(config.dbus.bus) +
           "\n  adminGroup: " + yaml_quoted(config.dbus.admin_group) + "\n";
}

}  // namespace edgevisor::manifests::detail
