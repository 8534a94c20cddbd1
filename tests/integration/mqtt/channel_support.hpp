// What the channel tests share: a small Control that keeps layers as the daemon's contract says
// (revisions per layer, all-or-nothing documents) and runs "workloads" only on paper, and a
// loop that drives the channel as edgevisord's loop does (poll its fd, drain).
#pragma once

#include <poll.h>

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "edgevisor/manifests/desired_state.hpp"
#include "edgevisor/telemetry/mqtt.hpp"
#include "mosquitto.hpp"

namespace edgevisor::testing {

class PaperControl : public telemetry::Control {
  public:
    struct Layer {
        std::uint64_t revision = 0;
        std::vector<manifests::Workload> workloads;
    };
    std::map<std::string, Layer> layers;
    std::map<std::string, telemetry::WorkloadStatus> workloads;
    std::vector<telemetry::ApplyRequest> requests;
    telemetry::Observer* observer = nullptr;
    std::set<std::string> failing;  // names that go to crash-loop instead of running

    telemetry::ApplyResult apply(const telemetry::ApplyRequest& request) override {
        requests.push_back(request);
        telemetry::ApplyResult result;
        Layer next;
        if (!request.text.empty()) {
            auto parsed = manifests::parse_desired_state(request.text, request.source);
            if (!parsed.ok()) {
                result.diagnostics = parsed.diagnostics;
                return result;
            }
            next = Layer{parsed.state.revision, parsed.state.workloads};
        }
        result.revision = next.revision;
        Layer& layer = layers[request.layer];
        if (!request.text.empty() && next.revision < layer.revision) {
            result.outcome = telemetry::ApplyOutcome::superseded;
            return result;
        }
        if (!request.text.empty() && next.revision == layer.revision) {
            result.outcome = telemetry::ApplyOutcome::unchanged;
            return result;
        }
        std::set<std::string> kept;
        for (const auto& w : next.workloads) {
            std::string hash = manifests::canonical_hash(w);
            auto it = workloads.find(w.metadata.name);
            kept.insert(w.metadata.name);
            if (it != workloads.end() && it->second.spec_hash == hash) continue;
            result.plan.push_back({w.metadata.name, it == workloads.end() ? "create" : "replace"});
            auto& status = workloads[w.metadata.name];
            status.name = w.metadata.name;
            status.layer = request.layer;
            status.spec_hash = hash;
            status.state = "starting";
        }
        for (const auto& old : layer.workloads)
            if (!kept.contains(old.metadata.name)) {
                result.plan.push_back({old.metadata.name, "delete"});
                workloads[old.metadata.name].state = "stopping";
            }
        layer = next;
        result.outcome = telemetry::ApplyOutcome::applied;
        return result;
    }

    // What the daemon's reconcile would report a moment later.
    void settle() {
        for (auto it = workloads.begin(); it != workloads.end();) {
            auto& status = it->second;
            if (status.state == "stopping") {
                std::string name = it->first;
                it = workloads.erase(it);
                if (observer) observer->workload_removed(name);
                continue;
            }
            if (status.state == "starting") {
                status.state = failing.contains(status.name) ? "crash-loop" : "running";
                if (status.state == "crash-loop") status.last_exit = "exited 1";
                status.pid = 4242;
                if (observer) observer->workload_changed(status);
            }
            ++it;
        }
    }

    [[nodiscard]] telemetry::NodeStatus status() const override {
        telemetry::NodeStatus out;
        out.node_id = "n1";
        out.version = "test";
        for (const auto& [name, layer] : layers)
            out.layers.push_back({name, layer.revision, layer.workloads.size(), {}});
        for (const auto& [name, w] : workloads) out.workloads.push_back(w);
        return out;
    }
    Status remove(std::string_view) override { return {}; }
    Status start(std::string_view) override { return {}; }
    Status stop(std::string_view) override { return {}; }
    Status restart(std::string_view) override { return {}; }
    [[nodiscard]] std::vector<telemetry::Event> events(std::uint64_t, std::size_t) const override {
        return {};
    }
    [[nodiscard]] Result<std::vector<std::string>> logs(std::string_view,
                                                        std::size_t) const override {
        return std::vector<std::string>{};
    }
};

// Drives the channel as a loop would until `done` or the (generous) deadline; false on timeout.
inline bool drive_until(telemetry::mqtt::Channel& channel, PaperControl& control,
                        const std::function<bool()>& done,
                        std::chrono::seconds deadline = std::chrono::seconds(30)) {
    auto end = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < end) {
        if (done()) return true;
        pollfd pfd{channel.fd(), POLLIN, 0};
        ::poll(&pfd, 1, 20);
        channel.drain();
        control.settle();
    }
    return done();
}

// Waits until the subscriber has seen `n` messages on topics ending with `suffix`.
inline bool wait_lines(const Subscriber& sub, const std::string& suffix, std::size_t n,
                       std::chrono::seconds deadline = std::chrono::seconds(30)) {
    auto end = std::chrono::steady_clock::now() + deadline;
    while (sub.payloads(suffix).size() < n) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

// One node: a channel with a PaperControl, its own state dir, driven by until().
struct Node {
    Broker& broker;
    std::filesystem::path state = make_temp_dir("mqtt-state");
    PaperControl control;
    std::unique_ptr<telemetry::mqtt::Channel> channel;

    explicit Node(Broker& b, std::vector<std::string> groups = {"line-3"},
                  std::function<void(manifests::MqttConfig&)> tune = {}, std::string id = "n1")
        : broker(b) {
        manifests::MqttConfig config;
        manifests::BrokerUrl url;
        REQUIRE(manifests::parse_broker_url(broker.url(), url).empty());
        config.urls.push_back(url);
        config.reconnect_initial = std::chrono::milliseconds(200);
        config.reconnect_max = std::chrono::milliseconds(1000);
        if (tune) tune(config);
        auto made = telemetry::mqtt::Channel::create(
            config, {std::move(id), std::move(groups), state, "test"}, control);
        REQUIRE(made);
        channel = std::move(*made);
        control.observer = channel.get();
    }
    ~Node() {
        channel.reset();
        std::error_code ec;
        std::filesystem::remove_all(state, ec);
    }
    bool until(const std::function<bool()>& done,
               std::chrono::seconds deadline = std::chrono::seconds(30)) {
        return drive_until(*channel, control, done, deadline);
    }
    // One turn of the loop, without waiting.
    void pump() {
        channel->drain();
        control.settle();
    }
    bool connected() {
        return until([&] { return channel->counters().connected; });
    }
};

inline bool contains(const std::vector<std::string>& lines, const std::string& part) {
    for (const auto& line : lines)
        if (line.find(part) != std::string::npos) return true;
    return false;
}

inline std::string doc(std::uint64_t revision, const std::vector<std::string>& names,
                       const std::string& command = "[/usr/bin/sleep, \"60\"]") {
    std::string text =
        "apiVersion: edgevisor/v1\nkind: DesiredState\nrevision: " + std::to_string(revision) +
        "\nworkloads:\n";
    for (const auto& name : names)
        text += "  - apiVersion: edgevisor/v1\n    kind: Workload\n    metadata: {name: " + name +
                "}\n    spec: {command: " + command + "}\n";
    if (names.empty()) text += "  []\n";
    return text;
}

}  // namespace edgevisor::testing
