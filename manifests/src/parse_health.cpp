// spec.health: startup, liveness and readiness probes, each exactly one of exec, tcp, http or
// notify; and the resource warnings.
#include <array>

#include "parse_sections.hpp"

namespace edgevisor::manifests::detail {
namespace {

enum class Role { startup, liveness, readiness };

void parse_endpoint(Context& ctx, const yaml::Node& node, const std::string& where, bool http,
                    Probe& probe) {
    MapReader map = http ? MapReader(ctx, node, where, {"host", "port", "path", "statuses"})
                         : MapReader(ctx, node, where, {"host", "port"});
    if (!map) return;
    map.require("port");
    if (map.text("host", probe.host) && probe.host.empty())
        ctx.error(*map.find("host"), "invalid-value", map.at("host") + ": must not be empty");
    map.number("port", probe.port, 1, 65535);
    if (http && map.text("path", probe.path) && !probe.path.starts_with('/'))
        ctx.error(*map.find("path"), "invalid-value",
                  map.at("path") + ": '" + probe.path + "' must start with '/'");
    const yaml::Node* statuses = http ? map.find("statuses") : nullptr;
    if (statuses == nullptr || !expect_list(ctx, *statuses, map.at("statuses"))) return;
    if (statuses->size() == 0)
        ctx.error(*statuses, "invalid-value", map.at("statuses") + ": must not be empty");
    for (std::size_t i = 0; i < statuses->size(); ++i) {
        auto code = read_uint(ctx, (*statuses)[i],
                              map.at("statuses") + "[" + std::to_string(i) + "]", 100, 599);
        if (code) probe.statuses.push_back(static_cast<std::uint16_t>(*code));
    }
}

void parse_notify(Context& ctx, const yaml::Node& node, const std::string& where, Role role,
                  Probe& probe) {
    MapReader map(ctx, node, where, {"watchdog"});
    if (!map) return;
    Duration watchdog{0};
    if (map.duration("watchdog", watchdog, Duration{1})) {
        if (role != Role::liveness)
            ctx.error(map.key_mark("watchdog"), "notify-watchdog",
                      map.at("watchdog") + ": only a liveness probe checks the watchdog");
        else
            probe.watchdog = watchdog;
    } else if (role == Role::liveness && !map.has("watchdog")) {
        ctx.error(map.mark(), "notify-watchdog",
                  where +
                      ": a liveness notify probe needs watchdog (how often WATCHDOG=1 "
                      "must arrive)");
    }
}

void parse_exec(Context& ctx, const yaml::Node& node, const std::string& where, Probe& probe) {
    auto command = read_text_list(ctx, node, where);
    if (!command) return;
    if (command->empty())
        ctx.error(node, "command", where + ": must not be empty");
    else if (!command->front().starts_with('/'))
        ctx.error(node[0], "command",
                  where + "[0]: '" + command->front() + "' is not an absolute path");
    else
        probe.exec = std::move(*command);
}

std::optional<Probe> parse_probe(Context& ctx, const yaml::Node& node, const std::string& where,
                                 Role role) {
    MapReader map(ctx, node, where,
                  {"exec", "tcp", "http", "notify", "initialDelay", "interval", "timeout",
                   "failureThreshold", "successThreshold"});
    if (!map) return std::nullopt;
    std::size_t errors_before = ctx.error_count();
    Probe probe;
    int kinds =
        int{map.has("exec")} + int{map.has("tcp")} + int{map.has("http")} + int{map.has("notify")};
    if (kinds != 1) {
        ctx.error(map.mark(), "probe-kind",
                  where + ": needs exactly one of exec, tcp, http or notify (found " +
                      std::to_string(kinds) + ")");
    } else if (const yaml::Node* exec = map.find("exec")) {
        probe.kind = ProbeKind::exec;
        parse_exec(ctx, *exec, map.at("exec"), probe);
    } else if (const yaml::Node* tcp = map.find("tcp")) {
        probe.kind = ProbeKind::tcp;
        parse_endpoint(ctx, *tcp, map.at("tcp"), false, probe);
    } else if (const yaml::Node* http = map.find("http")) {
        probe.kind = ProbeKind::http;
        parse_endpoint(ctx, *http, map.at("http"), true, probe);
    } else if (const yaml::Node* notify = map.find("notify")) {
        probe.kind = ProbeKind::notify;
        parse_notify(ctx, *notify, map.at("notify"), role, probe);
    }
    map.duration("initialDelay", probe.initial_delay, Duration{0});
    // A watchdog is checked once per period unless told otherwise.
    if (probe.watchdog && !map.has("interval")) probe.interval = *probe.watchdog;
    map.duration("interval", probe.interval, Duration{1});
    map.duration("timeout", probe.timeout, Duration{1});
    map.number("failureThreshold", probe.failure_threshold, 1, 1000);
    map.number("successThreshold", probe.success_threshold, 1, 1000);
    if (ctx.error_count() != errors_before) return std::nullopt;
    return probe;
}

void parse_warnings(Context& ctx, const yaml::Node& node, const std::string& where,
                    std::vector<ResourceWarning>& out) {
    static constexpr std::array<Choice<WarningMetric>, 6> metrics{
        {{"memory", WarningMetric::memory},
         {"cpu", WarningMetric::cpu},
         {"pids", WarningMetric::pids},
         {"cpuPressure", WarningMetric::cpu_pressure},
         {"memoryPressure", WarningMetric::memory_pressure},
         {"ioPressure", WarningMetric::io_pressure}}};
    if (!expect_list(ctx, node, where)) return;
    for (std::size_t i = 0; i < node.size(); ++i) {
        std::string at = where + "[" + std::to_string(i) + "]";
        MapReader map(ctx, node[i], at, {"metric", "above", "for"});
        if (!map || !map.require("metric") || !map.require("above")) continue;
        ResourceWarning warning;
        bool ok =
            map.choice("metric", warning.metric, std::span<const Choice<WarningMetric>>(metrics));
        ok &= map.number("above", warning.above_percent, 1, 100);
        if (map.has("for")) ok &= map.duration("for", warning.for_duration, Duration{0});
        if (ok) out.push_back(warning);
    }
}

}  // namespace

void parse_health(Context& ctx, const yaml::Node& node, const std::string& where, Health& out) {
    MapReader map(ctx, node, where, {"startup", "liveness", "readiness", "warnings"});
    if (!map) return;
    if (const yaml::Node* startup = map.find("startup"))
        out.startup = parse_probe(ctx, *startup, map.at("startup"), Role::startup);
    if (const yaml::Node* liveness = map.find("liveness"))
        out.liveness = parse_probe(ctx, *liveness, map.at("liveness"), Role::liveness);
    if (const yaml::Node* readiness = map.find("readiness"))
        out.readiness = parse_probe(ctx, *readiness, map.at("readiness"), Role::readiness);
    if (const yaml::Node* warnings = map.find("warnings"))
        parse_warnings(ctx, *warnings, map.at("warnings"), out.warnings);
}

}  // namespace edgevisor::manifests::detail
