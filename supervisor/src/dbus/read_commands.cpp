// edgectl status, list, show, logs, events: reading commands, open to every local user.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <thread>

#include "common.hpp"

namespace edgevisor::edgectl::bus {
namespace {

using telemetry::WorkloadStatus;
using telemetry::dbus::Notification;

std::string cpu_text(const WorkloadStatus& s) {
    if (s.cpu_usec == 0 && s.cpu_cores == 0) return "-";
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", s.cpu_cores);
    return text;
}

// "load 0.12 0.10 0.05, memory 1.2Gi available of 3.8Gi, edgevisord 0.01 cores 5.1Mi RSS"
std::string resources_text(const telemetry::NodeResources& r) {
    char text[160];
    std::snprintf(text, sizeof text,
                  "load %.2f %.2f %.2f, memory %s available of %s, edgevisord %.2f cores %s RSS",
                  r.load1, r.load5, r.load15, format_bytes(r.memory_available).c_str(),
                  format_bytes(r.memory_total).c_str(), r.supervisor_cpu_cores,
                  format_bytes(r.supervisor_rss).c_str());
    return text;
}

int status(const Options& options) {
    int code = kExitOk;
    auto client = connect(options, code);
    if (!client) return code;
    auto node = client->status();
    if (!node) return report(node.error(), options);
    std::size_t running = 0, failed = 0;
    for (const auto& w : node->workloads) {
        running += w.state == "running";
        failed += w.state == "failed" || w.state == "crash-loop";
    }
    std::uint64_t revision = 0;
    for (const auto& layer : node->layers)
        if (layer.name == "api") revision = layer.revision;
    if (json(options)) {
        nlohmann::json layers = nlohmann::json::array();
        for (const auto& layer : node->layers) {
            nlohmann::json errors = nlohmann::json::array();
            for (const auto& e : layer.errors) errors.push_back(e.message);
            layers.push_back({{"name", layer.name},
                              {"revision", layer.revision},
                              {"workloads", layer.workloads},
                              {"errors", errors}});
        }
        nlohmann::json workloads = nlohmann::json::array();
        for (const auto& w : node->workloads) workloads.push_back(to_json(w));
        print_json({{"node",
                     {{"id", node->node_id},
                      {"version", node->version},
                      {"groups", node->groups},
                      {"desiredRevision", revision},
                      {"layers", layers},
                      {"workloads", node->workloads.size()},
                      {"running", running},
                      {"failed", failed},
                      // null before the daemon's first sample
                      {"resources",
                       node->resources ? telemetry::resources_json<nlohmann::json>(*node->resources)
                                       : nlohmann::json()},
                      {"conflicts", telemetry::conflicts_json<nlohmann::json>(node->conflicts)}}},
                    {"workloads", workloads}});
        return kExitOk;
    }
    std::printf("node %s, edgevisor %s, revision %llu: %zu workloads, %zu running, %zu failed\n",
                node->node_id.c_str(), node->version.c_str(),
                static_cast<unsigned long long>(revision), node->workloads.size(), running, failed);
    if (node->resources) std::printf("%s\n", resources_text(*node->resources).c_str());
    for (const auto& layer : node->layers)
        for (const auto& e : layer.errors)
            std::printf("layer %s: last document rejected: %s\n", layer.name.c_str(),
                        e.message.c_str());
    for (const auto& c : node->conflicts)
        std::printf("conflict: %s\n", telemetry::describe(c).c_str());
    if (node->workloads.empty()) return kExitOk;
    const bool colour = colour_on_stdout();
    std::vector<std::vector<std::string>> rows = {
        {"NAME", "STATE", "HEALTH", "RESTARTS", "CPU", "MEM", "UPTIME"}};
    std::vector<std::vector<std::string>> coloured = {{}};
    for (const auto& w : node->workloads) {
        rows.push_back({w.name, w.state, w.health.empty() ? "-" : w.health,
                        std::to_string(w.restarts), cpu_text(w), format_bytes(w.memory_bytes),
                        uptime(w)});
        coloured.push_back(
            {"", coloured_state(w.state, colour), coloured_health(w.health, colour)});
    }
    print_table(rows, coloured);
    return kExitOk;
}

int list(const Options& options) {
    int code = kExitOk;
    auto client = connect(options, code);
    if (!client) return code;
    auto node = client->status();
    if (!node) return report(node.error(), options);
    if (json(options)) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& w : node->workloads) out.push_back(to_json(w));
        print_json(out);
        return kExitOk;
    }
    std::vector<std::vector<std::string>> rows = {{"NAME", "STATE", "HEALTH", "LAYER", "PID"}};
    for (const auto& w : node->workloads)
        rows.push_back({w.name, w.state, w.health.empty() ? "-" : w.health, w.layer,
                        w.pid ? std::to_string(w.pid) : "-"});
    print_table(rows);
    return kExitOk;
}

int show(const Options& options, const std::string& name) {
    int code = kExitOk;
    auto client = connect(options, code);
    if (!client) return code;
    auto w = client->workload(name);
    if (!w) return report(w.error(), options);
    if (json(options)) {
        print_json(to_json(*w));
        return kExitOk;
    }
    auto dash = [](const std::string& text) { return text.empty() ? std::string("-") : text; };
    const std::string since =
        w->since_unix_ms ? format_time_ms(w->since_unix_ms) + " (" +
                               format_duration_ms(now_unix_ms() - w->since_unix_ms) + " ago)"
                         : "-";
    std::vector<std::vector<std::string>> rows = {
        {"name:", w->name},
        {"state:", w->state},
        {"since:", since},
        {"health:", dash(w->health)},
        {"layer:", w->layer},
        {"pid:", w->pid ? std::to_string(w->pid) : "-"},
        {"restarts:", std::to_string(w->restarts)},
        {"last exit:", dash(w->last_exit)},
        {"message:", dash(w->message)},
        {"cpu:", cpu_text(*w) + " cores, " + std::to_string(w->cpu_usec / 1000) + " ms in all"},
        {"memory:", format_bytes(w->memory_bytes)},
        {"pids:", std::to_string(w->pids)},
        {"spec hash:", dash(w->spec_hash)},
        {"object:", to_json(*w)["path"].get<std::string>()},
    };
    print_table(rows);
    return kExitOk;
}

int logs(const Options& options, const std::string& name, std::uint32_t lines, bool follow) {
    int code = kExitOk;
    auto client = connect(options, code);
    if (!client) return code;
    if (!follow) {
        auto text = client->logs(name, lines);
        if (!text) return report(text.error(), options);
        for (const auto& line : *text) std::printf("%s\n", line.c_str());
        return kExitOk;
    }
    // Subscribed first; FollowLogs then returns the tail, and LogLines signals (sent to us
    // alone) carry exactly the lines written after it.
    if (auto subscribed = client->subscribe(); !subscribed)
        return report(subscribed.error(), options);
    auto text = client->follow_logs(name, lines);
    if (!text) return report(text.error(), options);
    for (const auto& line : *text) std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    for (;;) {
        auto seen = client->wait(std::chrono::seconds(60));
        if (!seen) return report(seen.error(), options);
        for (const auto& n : *seen) {
            if (n.kind == Notification::Kind::daemon_gone) {
                std::fprintf(stderr, "edgectl: edgevisord stopped\n");
                return kExitNotRunning;
            }
            if (n.kind == Notification::Kind::workload_removed && n.workload == name) {
                std::fprintf(stderr, "edgectl: %s was removed\n", name.c_str());
                return kExitOk;
            }
            if (n.kind != Notification::Kind::log_lines || n.workload != name) continue;
            for (const auto& line : n.lines) std::printf("%s\n", line.c_str());
        }
        std::fflush(stdout);
    }
}

void print_event(const telemetry::Event& e, const Options& options) {
    if (json(options)) {
        std::printf("%s\n", to_json(e).dump().c_str());
    } else {
        std::printf("%s  %-6llu %-20s %-14s %s\n", format_time_ms(e.unix_ms).c_str(),
                    static_cast<unsigned long long>(e.seq),
                    e.workload.empty() ? "(node)" : e.workload.c_str(), e.kind.c_str(),
                    e.message.c_str());
    }
    std::fflush(stdout);
}

int events(const Options& options, std::uint32_t count, bool follow) {
    int code = kExitOk;
    auto client = connect(options, code);
    if (!client) return code;
    // Subscribed before reading, so that nothing falls between the two.
    if (follow)
        if (auto subscribed = client->subscribe(); !subscribed)
            return report(subscribed.error(), options);
    auto all = client->events(0, 10000);
    if (!all) return report(all.error(), options);
    const std::size_t from = all->size() > count ? all->size() - count : 0;
    std::uint64_t last = 0;
    if (json(options) && !follow) {
        nlohmann::json out = nlohmann::json::array();
        for (std::size_t i = from; i < all->size(); ++i) out.push_back(to_json((*all)[i]));
        print_json(out);
        return kExitOk;
    }
    for (std::size_t i = from; i < all->size(); ++i) print_event((*all)[i], options);
    if (!all->empty()) last = all->back().seq;
    while (follow) {
        auto seen = client->wait(std::chrono::seconds(60));
        if (!seen) return report(seen.error(), options);
        for (const auto& n : *seen) {
            if (n.kind == Notification::Kind::daemon_gone) {
                std::fprintf(stderr, "edgectl: edgevisord stopped\n");
                return kExitNotRunning;
            }
            if (n.kind == Notification::Kind::event && n.event.seq > last) {
                print_event(n.event, options);
                last = n.event.seq;
            }
        }
    }
    return kExitOk;
}

}  // namespace

void add_read_commands(CLI::App& app, Options& options, int& exit_code) {
    auto* cmd = app.add_subcommand("status", "Show the node and every workload");
    add_output_option(*cmd, options);
    cmd->callback([&] { exit_code = status(options); });

    cmd = app.add_subcommand("list", "List the workloads");
    add_output_option(*cmd, options);
    cmd->callback([&] { exit_code = list(options); });

    auto name = std::make_shared<std::string>();
    cmd = app.add_subcommand("show", "Show everything about one workload");
    cmd->add_option("name", *name, "workload name")->required();
    add_output_option(*cmd, options);
    cmd->callback([&, name] { exit_code = show(options, *name); });

    struct Follow {
        std::string name;
        std::uint32_t lines = 100;
        bool follow = false;
    };
    auto logs_options = std::make_shared<Follow>();
    cmd = app.add_subcommand("logs", "Print a workload's recent log lines");
    cmd->add_option("name", logs_options->name, "workload name")->required();
    cmd->add_option("-n,--lines", logs_options->lines, "how many of the last lines")
        ->check(CLI::Range(1u, 100000u))
        ->capture_default_str();
    cmd->add_flag("-f,--follow", logs_options->follow, "keep printing new lines");
    cmd->callback([&, logs_options] {
        exit_code = logs(options, logs_options->name, logs_options->lines, logs_options->follow);
    });

    auto events_options = std::make_shared<Follow>();
    events_options->lines = 20;
    cmd = app.add_subcommand("events", "Print the node's recent events");
    cmd->add_option("-n,--count", events_options->lines, "how many of the last events")
        ->check(CLI::Range(1u, 10000u))
        ->capture_default_str();
    cmd->add_flag("-f,--follow", events_options->follow,
                  "keep printing events as they happen (-o json: one object a line)");
    add_output_option(*cmd, options);
    cmd->callback([&, events_options] {
        exit_code = events(options, events_options->lines, events_options->follow);
    });
}

}  // namespace edgevisor::edgectl::bus
