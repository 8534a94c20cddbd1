// edgectl fleet status: every node that reports, from the retained status and reported topics.
#include <unistd.h>

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "edgevisor/telemetry/fleet_client.hpp"
#include "fleet.hpp"

namespace edgevisor::fleet {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

struct StatusArgs {
    BrokerOptions broker;
    std::string output = "table";
};

struct NodeView {
    json status = json::object();
    json reported = json::object();
};

// "node" of prefix/nodes/<node>/<leaf>, or "".
std::string node_of(const std::string& topic, const std::string& prefix, const std::string& leaf) {
    std::string head = prefix + "/nodes/", tail = "/" + leaf;
    if (!topic.starts_with(head) || !topic.ends_with(tail)) return "";
    return topic.substr(head.size(), topic.size() - head.size() - tail.size());
}

json summary(const std::string& node, const NodeView& view) {
    json out{{"node", node},
             {"state", view.status.value("state", "unknown")},
             {"session", view.status.value("session", 0)},
             {"version", view.status.value("version", "")},
             {"groups", view.reported.value("groups", json::array())}};
    json layers = json::object();
    for (const auto& layer : view.reported.value("layers", json::array()))
        layers[layer.value("name", "?")] = layer.value("revision", 0);
    out["revisions"] = layers;
    std::size_t running = 0, failing = 0, total = 0;
    json workloads = json::array();
    for (const auto& w : view.reported.value("workloads", json::array())) {
        ++total;
        std::string state = w.value("state", "");
        if (state == "running") ++running;
        if (state == "failed" || state == "crash-loop" || state == "backoff") ++failing;
        workloads.push_back({{"name", w.value("name", "")}, {"state", state}});
    }
    out["workloads"] = {{"total", total}, {"running", running}, {"failing", failing}};
    out["workloadStates"] = workloads;
    out["conflicts"] = view.reported.value("conflicts", json::array());
    return out;
}

std::string join(const json& list) {
    std::string out;
    for (const auto& item : list) out += (out.empty() ? "" : ",") + item.get<std::string>();
    return out.empty() ? "-" : out;
}

std::string revisions_text(const json& revisions) {
    std::string out;
    for (const auto& [layer, revision] : revisions.items())
        out +=
            (out.empty() ? "" : " ") + layer + "=" + std::to_string(revision.get<std::uint64_t>());
    return out.empty() ? "-" : out;
}

int status(const StatusArgs& args) {
    auto config = args.broker.config();
    if (!config) {
        std::fprintf(stderr, "edgectl fleet status: %s\n", config.error().describe().c_str());
        return 2;
    }
    auto client = telemetry::mqtt::FleetClient::connect(
        *config, "edgectl-" + std::to_string(::getpid()), milliseconds(10000));
    if (!client) {
        std::fprintf(stderr, "edgectl fleet status: %s\n", client.error().describe().c_str());
        return 2;
    }
    const std::string& prefix = args.broker.prefix;
    if (auto s = (*client)->subscribe({prefix + "/nodes/+/status", prefix + "/nodes/+/reported"});
        !s) {
        std::fprintf(stderr, "edgectl fleet status: %s\n", s.error().describe().c_str());
        return 2;
    }
    std::map<std::string, NodeView> nodes;
    while (auto message = (*client)->next(milliseconds(500))) {
        json payload = json::parse(message->payload, nullptr, false);
        if (!payload.is_object()) continue;
        if (auto node = node_of(message->topic, prefix, "status"); !node.empty())
            nodes[node].status = payload;
        else if (auto n = node_of(message->topic, prefix, "reported"); !n.empty())
            nodes[n].reported = payload;
    }
    json all = json::array();
    for (const auto& [node, view] : nodes) all.push_back(summary(node, view));
    if (args.output == "json") {
        std::printf("%s\n", all.dump(2).c_str());
        return 0;
    }
    std::printf("%-20s %-8s %-7s %-16s %-24s %s\n", "NODE", "STATE", "SESSION", "GROUPS",
                "REVISIONS", "WORKLOADS");
    for (const auto& n : all) {
        const auto& w = n["workloads"];
        std::string counts = std::to_string(w["running"].get<std::size_t>()) + "/" +
                             std::to_string(w["total"].get<std::size_t>()) + " running, " +
                             std::to_string(w["failing"].get<std::size_t>()) + " failing";
        std::printf("%-20s %-8s %-7llu %-16s %-24s %s\n", n["node"].get<std::string>().c_str(),
                    n["state"].get<std::string>().c_str(),
                    static_cast<unsigned long long>(n["session"].get<std::uint64_t>()),
                    join(n["groups"]).c_str(), revisions_text(n["revisions"]).c_str(),
                    counts.c_str());
        for (const auto& c : n["conflicts"]) {
            std::string shadowed;
            for (const auto& d : c.value("shadowed", json::array()))
                shadowed += (shadowed.empty() ? "" : ", ") + d.value("layer", "?");
            std::printf("  conflict: %s from %s, shadowing %s\n", c.value("workload", "?").c_str(),
                        c.value("layer", "?").c_str(), shadowed.c_str());
        }
    }
    if (all.empty()) std::printf("(no node reports under %s)\n", prefix.c_str());
    return 0;
}

}  // namespace

void add_fleet_command(CLI::App& app, int& exit_code) {
    auto args = std::make_shared<StatusArgs>();
    CLI::App* fleet = app.add_subcommand("fleet", "Look at the fleet through the MQTT broker");
    fleet->require_subcommand(1);
    CLI::App* cmd = fleet->add_subcommand(
        "status", "Every node that reports: online/lost/offline, revisions, workloads");
    args->broker.add_to(*cmd);
    cmd->add_option("-o,--output", args->output, "table (default) or json")
        ->check(CLI::IsMember({"table", "json"}));
    cmd->callback([args, &exit_code] { exit_code = status(*args); });
}

}  // namespace edgevisor::fleet
