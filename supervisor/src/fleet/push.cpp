// edgectl push: validate locally, publish the next revision (retained) to a node's or a group's
// desired topic, and with --wait follow the acks until every targeted node applied it.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "edgevisor/manifests/desired_state.hpp"
#include "edgevisor/telemetry/fleet_client.hpp"
#include "fleet.hpp"

namespace edgevisor::fleet {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Exit codes: 0 applied everywhere (or published, without --wait), 1 refused locally or by a
// node (REJECTED, PARTIAL), 2 usage or broker trouble, 3 the timeout passed first.
enum Exit { kApplied = 0, kRefused = 1, kTrouble = 2, kTimeout = 3 };

struct PushArgs {
    BrokerOptions broker;
    std::string node, group;
    std::vector<std::string> files;
    bool wait = false;
    std::string timeout_text = "60s";
};

json parse_or_null(const std::string& text) {
    return json::parse(text, nullptr, false);
}

// Retained messages arrive right after the subscription; a short quiet period ends them.
std::vector<telemetry::mqtt::FleetMessage> retained(telemetry::mqtt::FleetClient& client,
                                                    const std::vector<std::string>& filters) {
    std::vector<telemetry::mqtt::FleetMessage> out;
    if (!client.subscribe(filters)) return out;
    while (auto message = client.next(milliseconds(300)))
        if (message->retained) out.push_back(std::move(*message));
    return out;
}

struct Target {
    std::string prefix;
    std::string desired;          // topic
    std::string layer;            // node | group:<g>
    std::set<std::string> nodes;  // who must apply it
    std::uint64_t revision = 1;   // the next one
};

// The next revision: above the retained document's and above every revision a targeted node
// reports for the layer (a node may hold a revision whose retained copy was cleared).
Target find_target(telemetry::mqtt::FleetClient& client, const PushArgs& args) {
    Target t;
    t.prefix = args.broker.prefix;
    if (!args.node.empty()) {
        t.desired = t.prefix + "/nodes/" + args.node + "/desired";
        t.layer = "node";
        t.nodes.insert(args.node);
    } else {
        t.desired = t.prefix + "/groups/" + args.group + "/desired";
        t.layer = "group:" + args.group;
    }
    for (const auto& m : retained(client, {t.desired, t.prefix + "/nodes/+/reported"})) {
        if (m.topic == t.desired) {
            auto doc = manifests::parse_desired_state(m.payload, m.topic);
            if (doc.ok()) t.revision = std::max(t.revision, doc.state.revision + 1);
            continue;
        }
        json reported = parse_or_null(m.payload);
        if (!reported.is_object()) continue;
        std::string node = reported.value("node", "");
        bool member = node == args.node;
        if (!args.group.empty())
            for (const auto& g : reported.value("groups", json::array()))
                member = member || g == args.group;
        if (!member) continue;
        if (!args.group.empty()) t.nodes.insert(node);
        for (const auto& layer : reported.value("layers", json::array()))
            if (layer.value("name", "") == t.layer)
                t.revision = std::max<std::uint64_t>(t.revision, layer.value("revision", 0) + 1);
    }
    return t;
}

void show_group_progress(std::size_t applied, std::size_t failed, std::size_t total) {
    constexpr std::size_t width = 30;
    std::size_t filled = total == 0 ? width : width * (applied + failed) / total;
    std::string bar(filled, '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r[%s] %zu/%zu applied, %zu failed", bar.c_str(), applied, total, failed);
    if (::isatty(2) == 0) std::fputc('\n', stderr);
    std::fflush(stderr);
}

int wait_for_acks(telemetry::mqtt::FleetClient& client, const Target& t, milliseconds timeout,
                  bool group) {
    std::map<std::string, std::string> final_status;  // node -> APPLIED/PARTIAL/REJECTED/...
    auto deadline = Clock::now() + timeout;
    std::size_t applied = 0, failed = 0;
    while (final_status.size() < t.nodes.size() || t.nodes.empty()) {
        auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) break;
        auto message = client.next(std::min(left, milliseconds(500)));
        if (!message || message->retained) continue;
        json ack = parse_or_null(message->payload);
        if (!ack.is_object() || ack.value("layer", "") != t.layer) continue;
        if (!ack["revision"].is_number() || ack["revision"].get<std::uint64_t>() != t.revision)
            continue;
        std::string node = ack.value("node", ""), status = ack.value("status", "");
        if (group && !t.nodes.contains(node)) continue;
        if (final_status.contains(node)) continue;
        if (!group) {
            std::string reason = ack.value("reason", "");
            std::printf("%s: %s%s\n", node.c_str(), status.c_str(),
                        reason.empty() ? "" : (": " + reason).c_str());
            for (const auto& e : ack.value("errors", json::array()))
                std::printf("  %s\n", e.value("text", "").c_str());
            for (const auto& f : ack.value("failed", json::array()))
                std::printf("  %s\n", f.get<std::string>().c_str());
            std::fflush(stdout);
        }
        if (status == "RECEIVED") continue;
        final_status[node] = status;
        (status == "APPLIED" ? applied : failed) += 1;
        if (group) show_group_progress(applied, failed, t.nodes.size());
    }
    if (group) std::fputc('\n', stderr);
    std::vector<std::string> missing;
    for (const auto& node : t.nodes)
        if (!final_status.contains(node)) missing.push_back(node);
    for (const auto& [node, status] : final_status)
        if (status != "APPLIED") std::printf("%s: %s\n", node.c_str(), status.c_str());
    if (!missing.empty() || t.nodes.empty()) {
        std::string list;
        for (const auto& n : missing) list += (list.empty() ? "" : ", ") + n;
        std::printf("timed out: %s\n", t.nodes.empty() ? "no node reports this group"
                                                       : ("not applied by " + list).c_str());
        return kTimeout;
    }
    std::printf("revision %llu applied by %zu of %zu node(s)\n",
                static_cast<unsigned long long>(t.revision), applied, t.nodes.size());
    return failed == 0 ? kApplied : kRefused;
}

int push(const PushArgs& args) {
    if (args.node.empty() == args.group.empty()) {
        std::fprintf(stderr, "edgectl push: give --node N or --group G\n");
        return kTrouble;
    }
    std::string level = args.node.empty() ? args.group : args.node;
    if (std::string why = manifests::check_topic_level(level); !why.empty()) {
        std::fprintf(stderr, "edgectl push: %s\n", why.c_str());
        return kTrouble;
    }
    for (const auto& file : args.files)
        if (std::filesystem::is_directory(file)) {
            std::fprintf(stderr, "edgectl push: %s is a directory; name the files\n", file.c_str());
            return kTrouble;
        }
    auto timeout = parse_timeout(args.timeout_text);
    auto config = args.broker.config();
    if (!timeout || !config) {
        std::fprintf(stderr, "edgectl push: %s\n",
                     (!timeout ? timeout.error() : config.error()).describe().c_str());
        return kTrouble;
    }
    auto checked = compose_desired(args.files, 1);
    for (const auto& e : checked.errors) std::fprintf(stderr, "%s\n", e.c_str());
    if (!checked.errors.empty()) return kRefused;

    auto client = telemetry::mqtt::FleetClient::connect(
        *config, "edgectl-" + std::to_string(::getpid()), milliseconds(10000));
    if (!client) {
        std::fprintf(stderr, "edgectl push: %s\n", client.error().describe().c_str());
        return kTrouble;
    }
    Target target = find_target(**client, args);
    if (args.wait && !(*client)->subscribe({target.prefix + "/nodes/+/ack"})) return kTrouble;
    auto composed = compose_desired(args.files, target.revision);
    if (auto sent = (*client)->publish(target.desired, composed.text, true); !sent) {
        std::fprintf(stderr, "edgectl push: %s\n", sent.error().describe().c_str());
        return kTrouble;
    }
    std::printf("pushed revision %llu (%zu workload(s)) to %s\n",
                static_cast<unsigned long long>(target.revision), composed.names.size(),
                target.desired.c_str());
    std::fflush(stdout);
    if (!args.wait) return kApplied;
    return wait_for_acks(**client, target, *timeout, !args.group.empty());
}

}  // namespace

void add_push_command(CLI::App& app, int& exit_code) {
    auto args = std::make_shared<PushArgs>();
    CLI::App* cmd = app.add_subcommand(
        "push", "Publish manifests as the next desired revision of a node or a group (MQTT)");
    args->broker.add_to(*cmd);
    cmd->add_option("--node", args->node, "the node's id");
    cmd->add_option("--group", args->group, "the group's name");
    cmd->add_option("files", args->files, "manifest files")->required();
    cmd->add_flag("--wait", args->wait, "follow the acks until every targeted node applied it");
    cmd->add_option("--timeout", args->timeout_text, "how long --wait waits (default 60s)");
    cmd->callback([args, &exit_code] { exit_code = push(*args); });
}

}  // namespace edgevisor::fleet
