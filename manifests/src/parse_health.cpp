// spec.health: liveness and readiness probes, each exactly one of exec, tcp or http.
#include <array>

#include "parse_sections.hpp"

namespace edgevisor::manifests::detail {
namespace {

void parse_endpoint(Context& ctx, const yaml::Node& node, const std::string& where, bool http,
                    Probe& probe) {
    MapReader map = http ? MapReader(ctx, node, where, {"host", "port", "path"})
                         : MapReader(ctx, node, where, {"host", "port"});
    if (!map) return;
    map.require("port");
    if (map.text("host", probe.host) && probe.host.empty())
        ctx.error(*map.find("host"), "invalid-value", map.at("host") + ": must not be empty");
    map.number("port", probe.port, 1, 65535);
    if (http && map.text("path", probe.path) && !probe.path.starts_with('/'))
        ctx.error(*map.find("path"), "invalid-value",
                  map.at("path") + ": '" + probe.path + "' must start with '/'");
}

std::optional<Probe> parse_probe(Context& ctx, const yaml::Node& node, const std::string& where) {
    MapReader map(ctx, node, where,
                  {"exec", "tcp", "http", "initialDelay", "interval", "timeout", "failureThreshold",
                   "successThreshold"});
    if (!map) return std::nullopt;
    std::size_t errors_before = ctx.error_count();
    Probe probe;
    int kinds = int{map.has("exec")} + int{map.has("tcp")} + int{map.has("http")};
    if (kinds != 1) {
        ctx.error(map.mark(), "probe-kind",
                  where + ": needs exactly one of exec, tcp or http (found " +
                      std::to_string(kinds) + ")");
    } else if (const yaml::Node* exec = map.find("exec")) {
        probe.kind = ProbeKind::exec;
        if (auto command = read_text_list(ctx, *exec, map.at("exec"))) {
            if (command->empty())
                ctx.error(*exec, "command", map.at("exec") + ": must not be empty");
            else if (!command->front().starts_with('/'))
                ctx.error(
                    (*exec)[0], "command",
                    map.at("exec") + "[0]: '" + command->front() + "' is not an absolute path");
            else
                probe.exec = std::move(*command);
        }
    } else if (const yaml::Node* tcp = map.find("tcp")) {
        probe.kind = ProbeKind::tcp;
        parse_endpoint(ctx, *tcp, map.at("tcp"), false, probe);
    } else if (const yaml::Node* http = map.find("http")) {
        probe.kind = ProbeKind::http;
        parse_endpoint(ctx, *http, map.at("http"), true, probe);
    }
    map.duration("initialDelay", probe.initial_delay, Duration{0});
    map.duration("interval", probe.interval, Duration{1});
    map.duration("timeout", probe.timeout, Duration{1});
    map.number("failureThreshold", probe.failure_threshold, 1, 1000);
    map.number("successThreshold", probe.success_threshold, 1, 1000);
    if (ctx.error_count() != errors_before) return std::nullopt;
    return probe;
}

}  // namespace

void parse_health(Context& ctx, const yaml::Node& node, const std::string& where, Health& out) {
    MapReader map(ctx, node, where, {"liveness", "readiness"});
    if (!map) return;
    if (const yaml::Node* liveness = map.find("liveness"))
        out.liveness = parse_probe(ctx, *liveness, map.at("liveness"));
    if (const yaml::Node* readiness = map.find("readiness"))
        out.readiness = parse_probe(ctx, *readiness, map.at("readiness"));
}

}  // namespace edgevisor::manifests::detail
