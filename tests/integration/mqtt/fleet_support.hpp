// End-to-end fleet tests: the real edgevisord (tests/integration/daemon's Daemon) joined to a
// real mosquitto (tests/support/mosquitto.hpp) through its node config's mqtt section, driven
// with mosquitto_pub and watched with mosquitto_sub, clients we did not write.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "../daemon/daemon_support.hpp"
#include "mosquitto.hpp"

namespace edgevisor::testing {

// A DesiredState document of sleepers (one line per workload name; `command` overrides
// the sleeper's command).
inline std::string desired(std::uint64_t revision, const std::vector<std::string>& names,
                           const std::string& command = "[/bin/sleep, \"1000\"]") {
    std::string text =
        "apiVersion: edgevisor/v1\nkind: DesiredState\nrevision: " + std::to_string(revision) +
        "\nworkloads:\n";
    for (const auto& name : names)
        text += "  - apiVersion: edgevisor/v1\n    kind: Workload\n    metadata: {name: " + name +
                "}\n    spec:\n      command: " + command +
                "\n      stopTimeout: 5s\n      isolation: {init: true}\n";
    if (names.empty()) text += "  []\n";
    return text;
}

// One edgevisord of the fleet: node id, groups, and the broker in its mqtt section (with
// `mqtt_keys`, e.g. "caFile: /x, certFile: /y", added to it).
struct FleetNode {
    std::string id;
    Daemon daemon;
    FleetNode(const Broker& broker, std::string node_id,
              const std::vector<std::string>& groups = {"line-3"}, const std::string& extra = "",
              const std::string& mqtt_keys = "")
        : id(std::move(node_id)),
          daemon("mqtt: {url: \"" + broker.url() +
                     "\", reconnect: {initial: 200ms, max: 1s}, metricsInterval: 0s" +
                     (mqtt_keys.empty() ? "" : ", " + mqtt_keys) + "}\n" + extra,
                 "{id: " + id + ", groups: [" + join(groups) + "]}") {}

    [[nodiscard]] std::string topic(const std::string& leaf) const {
        return "edgevisor/v1/nodes/" + id + "/" + leaf;
    }
    [[nodiscard]] std::string state(const std::string& workload) const {
        auto w = daemon.workload(workload);
        return w ? w->value("state", "") : "";
    }

    static std::string join(const std::vector<std::string>& items) {
        std::string out;
        for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
        return out;
    }
};

inline std::string group_topic(const std::string& group) {
    return "edgevisor/v1/groups/" + group + "/desired";
}

inline std::vector<nlohmann::json> json_lines(const Subscriber& sub, const std::string& suffix) {
    std::vector<nlohmann::json> out;
    for (const auto& p : sub.payloads(suffix)) {
        auto parsed = nlohmann::json::parse(p, nullptr, false);
        if (!parsed.is_discarded()) out.push_back(parsed);
    }
    return out;
}

// The ack of `node` with this status (and revision, when given); null when none yet.
inline nlohmann::json find_ack(const Subscriber& sub, const std::string& node,
                               const std::string& status, std::optional<std::uint64_t> revision,
                               const std::string& layer = "") {
    for (const auto& a : json_lines(sub, "/" + node + "/ack"))
        if (a["status"] == status && (!revision || a["revision"] == *revision) &&
            (layer.empty() || a["layer"] == layer))
            return a;
    return nullptr;
}

// Polls `done` until it holds or the (generous) deadline passes.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
    auto end = std::chrono::steady_clock::now() + deadline;
    while (!done()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

// The last retained status of a node (its `state`), "" when none seen yet.
inline std::string last_status(const Subscriber& sub, const std::string& node) {
    auto lines = json_lines(sub, "/" + node + "/status");
    return lines.empty() ? "" : lines.back().value("state", "");
}

}  // namespace edgevisor::testing
