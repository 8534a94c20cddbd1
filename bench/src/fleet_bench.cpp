// The fleet benchmark (README "Performance"): real edgevisord daemons joined to a real mosquitto
// on a free loopback port, each with its own temp dirs, node id and cgroup subtree (the tests'
// Daemon and Broker helpers), and a fleet client in this process (telemetry/mqtt's FleetClient,
// which edgectl push uses).
//   push:    one node; each round publishes the next revision of its node document with a new
//            workload (the previous one deleted) and times publish -> RECEIVED (persisted) and
//            publish -> APPLIED (the new workload's exec succeeded and the old one is gone).
//   fan-out: N daemons in one group; one group push, time until every node sent APPLIED.
// Not a test: nothing asserts a time.
//
//   edgevisor-fleet-bench [-n ROUNDS] [--nodes N] (as root)
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../../tests/integration/daemon/daemon_support.hpp"
#include "edgevisor/telemetry/fleet_client.hpp"
#include "mosquitto.hpp"
#include "stats.hpp"

namespace {

using namespace edgevisor;
using namespace edgevisor::testing;
using Clock = std::chrono::steady_clock;

// A node document of sleepers named `name`, `name`-1, ... (count of them).
std::string document(std::uint64_t revision, const std::string& name, int count = 1) {
    std::string text =
        "apiVersion: edgevisor/v1\nkind: DesiredState\nrevision: " + std::to_string(revision) +
        "\nworkloads:\n";
    for (int i = 0; i < count; ++i)
        text += "  - apiVersion: edgevisor/v1\n    kind: Workload\n    metadata: {name: " + name +
                (i ? "-" + std::to_string(i) : "") +
                "}\n    spec: {command: [/bin/sleep, \"1000\"], stopTimeout: 5s, isolation: "
                "{init: true}}\n";
    return text;
}

// Proportional set size of a process in KiB (/proc/PID/smaps_rollup), 0 when unreadable.
long pss_kib(pid_t pid) {
    std::string text = read_text_file("/proc/" + std::to_string(pid) + "/smaps_rollup");
    auto at = text.find("\nPss:");
    return at == std::string::npos ? 0 : std::strtol(text.c_str() + at + 5, nullptr, 10);
}

std::string node_config(const Broker& broker) {
    return "log: {level: warn}\nmqtt: {url: \"" + broker.url() +
           "\", reconnect: {initial: 200ms, max: 1s}, metricsInterval: 0s}\n";
}

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Reads acks until `done` says so (given each ack as JSON) or 60 s pass; false on timeout.
template <class Done>
bool follow_acks(telemetry::mqtt::FleetClient& client, Done done) {
    auto end = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < end) {
        auto message = client.next(std::chrono::milliseconds(100));
        if (!message) continue;
        auto ack = nlohmann::json::parse(message->payload, nullptr, false);
        if (!ack.is_discarded() && done(ack)) return true;
    }
    return false;
}

void print(const char* row, const bench::Spread& s) {
    std::printf("%-34s %5zu  %8.2f  %8.2f  %8.2f  %8.2f\n", row, s.count, s.min, s.median, s.p90,
                s.max);
}

std::unique_ptr<telemetry::mqtt::FleetClient> connect(const Broker& broker) {
    manifests::MqttConfig config;
    manifests::BrokerUrl url;
    manifests::parse_broker_url(broker.url(), url);
    config.urls.push_back(url);
    auto client = telemetry::mqtt::FleetClient::connect(config, "fleet-bench",
                                                        std::chrono::milliseconds(10000));
    if (!client) {
        std::fprintf(stderr, "fleet-bench: %s\n", client.error().describe().c_str());
        std::exit(1);
    }
    return std::move(*client);
}

int push_rounds(const Broker& broker, int rounds) {
    Daemon daemon(node_config(broker), "{id: bench-0, groups: [bench]}");
    daemon.start();
    auto client = connect(broker);
    const std::string node = "edgevisor/v1/nodes/bench-0/";
    if (!client->subscribe({node + "ack"})) return 1;
    std::vector<double> received, applied;
    for (int round = 1; round <= rounds; ++round) {
        auto start = Clock::now();
        double got = 0;
        if (!client->publish(node + "desired", document(round, "w" + std::to_string(round)), true))
            return 1;
        bool ok = follow_acks(*client, [&](const nlohmann::json& ack) {
            if (ack["revision"] != round) return false;
            if (ack["status"] == "RECEIVED") got = ms_since(start);
            if (ack["status"] != "APPLIED") return false;
            applied.push_back(ms_since(start));
            received.push_back(got);
            return true;
        });
        if (!ok) {
            std::fprintf(stderr, "fleet-bench: revision %d was not applied:\n%s\n", round,
                         daemon.daemon_output().c_str());
            return 1;
        }
    }
    print("push -> RECEIVED (persisted)", bench::summarize(received));
    print("push -> APPLIED (new one running)", bench::summarize(applied));
    // Idle memory: connected, ten workloads, nothing happening for a second.
    const std::uint64_t ten = rounds + 1;
    if (!client->publish(node + "desired", document(ten, "idle", 10), true)) return 1;
    if (!follow_acks(*client, [&](const nlohmann::json& ack) {
            return ack["revision"] == ten && ack["status"] == "APPLIED";
        }))
        return 1;
    std::this_thread::sleep_for(std::chrono::seconds(1));
    std::printf("edgevisord PSS, MQTT connected (no TLS), 10 workloads: %ld KiB\n",
                pss_kib(daemon.pid()));
    daemon.stop();
    return 0;
}

int fan_out(const Broker& broker, int nodes, int rounds) {
    std::vector<std::unique_ptr<Daemon>> daemons;
    for (int i = 0; i < nodes; ++i) {
        daemons.push_back(std::make_unique<Daemon>(
            node_config(broker), "{id: fan-" + std::to_string(i) + ", groups: [fan]}"));
        daemons.back()->start();
    }
    auto client = connect(broker);
    if (!client->subscribe({"edgevisor/v1/nodes/+/ack", "edgevisor/v1/nodes/+/status"})) return 1;
    // Every node online first, so that what is timed is the push, not the daemons' start.
    std::set<std::string> online;
    auto end = Clock::now() + std::chrono::seconds(120);
    while (online.size() < static_cast<std::size_t>(nodes) && Clock::now() < end)
        if (auto m = client->next(std::chrono::milliseconds(100))) {
            auto status = nlohmann::json::parse(m->payload, nullptr, false);
            if (!status.is_discarded() && status.value("state", "") == "online")
                online.insert(status.value("node", ""));
        }
    if (online.size() < static_cast<std::size_t>(nodes)) {
        std::fprintf(stderr, "fleet-bench: only %zu of %d nodes came online\n", online.size(),
                     nodes);
        return 1;
    }
    std::vector<double> all;
    for (int round = 1; round <= rounds; ++round) {
        std::set<std::string> done;
        auto start = Clock::now();
        if (!client->publish("edgevisor/v1/groups/fan/desired",
                             document(round, "w" + std::to_string(round)), true))
            return 1;
        bool ok = follow_acks(*client, [&](const nlohmann::json& ack) {
            if (ack["revision"] == round && ack["status"] == "APPLIED")
                done.insert(ack.value("node", ""));
            return done.size() == static_cast<std::size_t>(nodes);
        });
        if (!ok) {
            std::fprintf(stderr, "fleet-bench: round %d: %zu of %d nodes applied\n", round,
                         done.size(), nodes);
            return 1;
        }
        all.push_back(ms_since(start));
    }
    char row[64];
    std::snprintf(row, sizeof row, "group push -> %d nodes APPLIED", nodes);
    print(row, bench::summarize(all));
    for (auto& d : daemons) d->stop();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"edgevisor-fleet-bench: push latency and group fan-out over MQTT"};
    int rounds = 30, nodes = 10, fan_rounds = 5;
    app.add_option("-n", rounds, "push rounds");
    app.add_option("--nodes", nodes, "daemons in the fan-out group");
    app.add_option("--fan-rounds", fan_rounds, "group pushes");
    CLI11_PARSE(app, argc, argv);
    require_root();
    std::printf("load average before: %s", read_text_file("/proc/loadavg").c_str());
    std::printf("%-34s %5s  %8s  %8s  %8s  %8s   (ms)\n", "", "n", "min", "median", "p90", "max");
    Broker broker;
    if (int rc = push_rounds(broker, rounds); rc != 0) return rc;
    if (int rc = fan_out(broker, nodes, fan_rounds); rc != 0) return rc;
    std::printf("load average after: %s", read_text_file("/proc/loadavg").c_str());
    return 0;
}
