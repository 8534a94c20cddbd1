// The fleet benchmark (README "Performance"): real edgevisord daemons joined to a real mosquitto
// on a free loopback port, each with its own temp dirs, node id and cgroup subtree (the tests'
// Daemon and Broker helpers), and a fleet client in this process (telemetry/mqtt's FleetClient,
// which edgectl push uses).
//   push:    one node; each round publishes the next revision of its node document with a new
//            workload (the previous one deleted) and times publish -> RECEIVED (persisted) and
//            publish -> APPLIED (the new workload's exec succeeded and the old one is gone).
//            Run twice: over plain TCP, then over mutual TLS (a second broker whose only
//            listener is TLS with client certificates required; certificates made at run time
//            with the openssl CLI by the tests' Pki).
//   memory:  after each link's rounds, and for the daemon without an mqtt section, its idle
//            PSS, RSS and private memory with 10 workloads and where the PSS goes
//            (/proc/PID/smaps by mapping), side by side.
//   fan-out: N daemons in one group (plain TCP), started together with progress on stderr;
//            one group push, time until the first and until every node sent APPLIED.
// Not a test: nothing asserts a time.
//
//   edgevisor-fleet-bench [-n ROUNDS] [--idle-rounds R] [--nodes N] [--fan-rounds R] (as root)
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../../tests/integration/daemon/daemon_support.hpp"
#include "edgevisor/telemetry/fleet_client.hpp"
#include "mosquitto.hpp"
#include "pki.hpp"
#include "smaps.hpp"
#include "stats.hpp"

namespace {

using namespace edgevisor;
using namespace edgevisor::testing;
using Clock = std::chrono::steady_clock;

// The shipped default: what a node in the field writes for every push.
constexpr const char* kLogLevel = "info";
// The daemon gives back its start-up pages 5 s after a change (release_clean_pages); idle
// memory is read after two rounds of resource sampling (every 10 s) have run since.
constexpr auto kReleased = std::chrono::seconds(8);
constexpr auto kIdle = std::chrono::seconds(30);

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

// A field of /proc/PID/smaps_rollup in KiB ("Pss", "Rss", "Private_Dirty"), 0 when unreadable.
long rollup_kib(const std::string& rollup, const std::string& field) {
    auto at = rollup.find("\n" + field + ":");
    return at == std::string::npos
               ? 0
               : std::strtol(rollup.c_str() + at + field.size() + 2, nullptr, 10);
}

long threads_of(pid_t pid) {
    std::string text = read_text_file("/proc/" + std::to_string(pid) + "/status");
    auto at = text.find("\nThreads:");
    return at == std::string::npos ? 0 : std::strtol(text.c_str() + at + 9, nullptr, 10);
}

// A broker, and what a client of it (the daemons, the bench's fleet client) needs: for TLS, the
// CA, and the client certificate and key that the broker requires.
struct Link {
    const char* name;  // "plain TCP", "TLS"
    std::unique_ptr<Pki> pki;
    std::unique_ptr<Broker> broker;
    std::filesystem::path node_ca = {};  // the daemons' caFile when not the Pki's CA

    [[nodiscard]] std::string node_keys() const {
        if (!pki) return "";
        return ", caFile: " + (node_ca.empty() ? pki->ca : node_ca).string() +
               ", certFile: " + pki->client_cert.string() +
               ", keyFile: " + pki->client_key.string();
    }
    [[nodiscard]] std::string node_config() const {
        return "mqtt: {url: \"" + broker->url() +
               "\", reconnect: {initial: 200ms, max: 1s}, metricsInterval: 0s" + node_keys() +
               "}\n";
    }
    [[nodiscard]] manifests::MqttConfig client_config() const {
        manifests::MqttConfig config;
        manifests::BrokerUrl url;
        manifests::parse_broker_url(broker->url(), url);
        config.urls.push_back(url);
        if (pki) {
            config.ca_file = pki->ca.string();
            config.cert_file = pki->client_cert.string();
            config.key_file = pki->client_key.string();
        }
        return config;
    }
};

Link plain_link() {
    return {"plain TCP", nullptr, std::make_unique<Broker>()};
}

// A broker whose only listener is TLS with client certificates required, as a fleet is run.
Link tls_link() {
    if (!program_exists("openssl")) {
        std::fprintf(stderr, "fleet-bench: the TLS rows need the openssl CLI\n");
        std::exit(1);
    }
    Link link{"TLS", std::make_unique<Pki>("IP:127.0.0.1,DNS:localhost"), nullptr};
    const Pki& pki = *link.pki;
    link.broker =
        std::make_unique<Broker>(BrokerTls{pki.ca, pki.cert, pki.key, true, pki.client_args()});
    return link;
}

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Reads acks until `done` says so (given each ack as JSON); false once `stall` passed without
// a message that `done` counted as progress (it returns true or grows what it counts).
template <class Done>
bool follow_acks(telemetry::mqtt::FleetClient& client, Done done,
                 std::chrono::seconds stall = std::chrono::seconds(60)) {
    auto end = Clock::now() + stall;
    while (Clock::now() < end) {
        auto message = client.next(std::chrono::milliseconds(100));
        if (!message) continue;
        auto ack = nlohmann::json::parse(message->payload, nullptr, false);
        if (ack.is_discarded()) continue;
        if (done(ack)) return true;
        end = Clock::now() + stall;
    }
    return false;
}

void print(const std::string& row, const bench::Spread& s) {
    std::printf("%-40s %5zu  %8.2f  %8.2f  %8.2f  %8.2f\n", row.c_str(), s.count, s.min, s.median,
                s.p90, s.max);
}

std::unique_ptr<telemetry::mqtt::FleetClient> connect(const Link& link) {
    auto client = telemetry::mqtt::FleetClient::connect(link.client_config(), "fleet-bench",
                                                        std::chrono::milliseconds(10000));
    if (!client) {
        std::fprintf(stderr, "fleet-bench: %s\n", client.error().describe().c_str());
        std::exit(1);
    }
    return std::move(*client);
}

// What the idle daemon holds: its PSS, RSS and private memory (smaps_rollup), its PSS by
// mapping (smaps), its threads. A library's pages shared with other processes count in PSS by
// their share, so PSS depends on what else runs; private memory does not.
struct Idle {
    long pss_kib = 0, rss_kib = 0, private_kib = 0, dirty_kib = 0;
    bench::PssBreakdown breakdown;
    long threads = 0;
};

Idle idle_of(pid_t pid) {
    const std::string proc = "/proc/" + std::to_string(pid);
    const std::string rollup = read_text_file(proc + "/smaps_rollup");
    return {rollup_kib(rollup, "Pss"),
            rollup_kib(rollup, "Rss"),
            rollup_kib(rollup, "Private_Clean") + rollup_kib(rollup, "Private_Dirty"),
            rollup_kib(rollup, "Private_Dirty"),
            bench::pss_breakdown(read_text_file(proc + "/smaps")),
            threads_of(pid)};
}

// The push rounds over one link, then `idle_rounds` more each after the daemon was idle long
// enough to give back its start-up pages (5 s after a change), then the daemon idle with 10
// workloads; nullopt on failure.
std::optional<Idle> push_rounds(const Link& link, int rounds, int idle_rounds) {
    Daemon daemon(link.node_config(), "{id: bench-0, groups: [bench]}", kLogLevel);
    daemon.start();
    auto client = connect(link);
    const std::string node = "edgevisor/v1/nodes/bench-0/";
    if (!client->subscribe({node + "ack"})) return std::nullopt;
    std::vector<double> received, applied, received_idle, applied_idle;
    auto push = [&](int round, std::vector<double>& into_received,
                    std::vector<double>& into_applied) {
        auto start = Clock::now();
        double got = 0;
        if (!client->publish(node + "desired", document(round, "w" + std::to_string(round)), true))
            return false;
        bool ok = follow_acks(*client, [&](const nlohmann::json& ack) {
            if (ack["revision"] != round) return false;
            if (ack["status"] == "RECEIVED") got = ms_since(start);
            if (ack["status"] != "APPLIED") return false;
            into_applied.push_back(ms_since(start));
            into_received.push_back(got);
            return true;
        });
        if (!ok)
            std::fprintf(stderr, "fleet-bench: %s: revision %d was not applied:\n%s\n", link.name,
                         round, daemon.daemon_output().c_str());
        return ok;
    };
    for (int round = 1; round <= rounds; ++round)
        if (!push(round, received, applied)) return std::nullopt;
    for (int round = rounds + 1; round <= rounds + idle_rounds; ++round) {
        std::this_thread::sleep_for(kReleased);
        if (!push(round, received_idle, applied_idle)) return std::nullopt;
    }
    if (rounds > 0) {
        print(std::string("push -> RECEIVED (persisted), ") + link.name,
              bench::summarize(received));
        print(std::string("push -> APPLIED (running), ") + link.name, bench::summarize(applied));
    }
    if (idle_rounds > 0)
        print(std::string("... after 8 s idle, pages released, ") + link.name,
              bench::summarize(applied_idle));
    // Idle memory: connected, ten workloads, nothing happening.
    const std::uint64_t ten = rounds + idle_rounds + 1;
    if (!client->publish(node + "desired", document(ten, "idle", 10), true)) return std::nullopt;
    if (!follow_acks(*client, [&](const nlohmann::json& ack) {
            return ack["revision"] == ten && ack["status"] == "APPLIED";
        }))
        return std::nullopt;
    std::this_thread::sleep_for(kIdle);
    Idle idle = idle_of(daemon.pid());
    daemon.stop();
    return idle;
}

// The same daemon without an mqtt section, its 10 workloads from a manifest file: what the
// fleet channel adds.
std::optional<Idle> idle_without_mqtt() {
    Daemon daemon("", "{id: bench-local}", kLogLevel);
    std::string many;
    for (int i = 0; i < 10; ++i)
        many += (i ? "---\n" : "") +
                workload_yaml("idle-" + std::to_string(i),
                              "  command: [/bin/sleep, \"1000\"]\n  stopTimeout: 5s\n"
                              "  isolation: {init: true}\n");
    daemon.write_manifest("idle.yaml", many);
    daemon.start();
    if (!daemon.wait_for([](const Json& s) { return s.value("summary", "") == "10 running"; },
                         60s)) {
        std::fprintf(stderr, "fleet-bench: 10 local workloads did not run:\n%s\n",
                     daemon.daemon_output().c_str());
        return std::nullopt;
    }
    std::this_thread::sleep_for(kIdle);
    Idle idle = idle_of(daemon.pid());
    daemon.stop();
    return idle;
}

// The TLS link again with the node's caFile holding the fleet's CA and then the system's bundle,
// as a node whose caFile names a bundle (Paho loads the same bundle when caFile is not set:
// SSL_CTX_set_default_verify_paths): what the CA store costs. nullopt when there is no bundle.
std::optional<Idle> idle_with_bundle(Link& tls) {
    const std::filesystem::path system = "/etc/ssl/certs/ca-certificates.crt";
    if (!path_exists(system)) {
        std::fprintf(stderr, "fleet-bench: no %s: no CA bundle column\n", system.c_str());
        return std::nullopt;
    }
    tls.node_ca = tls.pki->dir / "bundle.pem";
    write_file(tls.node_ca, read_file(tls.pki->ca) + read_file(system));
    auto idle = push_rounds(tls, 0, 0);
    tls.node_ca.clear();
    return idle;
}

// PSS side by side, by kind of mapping, largest (in the last column) first, with a file's
// code, read-only and data parts under it when it is large; kinds under 32 KiB everywhere are
// summed in one row.
void print_memory(const std::vector<std::pair<std::string, Idle>>& columns) {
    std::printf("\nedgevisord idle, 10 workloads, 30 s after the last change    (KiB)\n%-40s", "");
    for (const auto& [label, idle] : columns) std::printf(" %10s", label.c_str());
    auto row = [&](const std::string& name, auto value) {
        std::printf("\n%-40s", name.c_str());
        for (const auto& column : columns) std::printf(" %10ld", value(column.second));
    };
    row("PSS (smaps_rollup)", [](const Idle& i) { return i.pss_kib; });
    row("RSS", [](const Idle& i) { return i.rss_kib; });
    row("private (Private_Clean + Private_Dirty)", [](const Idle& i) { return i.private_kib; });
    // Clean pages (code, read-only data) can be dropped and read again under memory pressure;
    // dirty ones (heap, stacks, relocated tables) cannot without swap.
    row("  of which dirty", [](const Idle& i) { return i.dirty_kib; });
    row("threads", [](const Idle& i) { return i.threads; });
    std::set<std::string> kinds;
    for (const auto& column : columns)
        for (const auto& entry : column.second.breakdown.kib) kinds.insert(entry.first);
    auto of = [](const Idle& idle, const std::string& kind) {
        auto it = idle.breakdown.kib.find(kind);
        return it == idle.breakdown.kib.end() ? 0L : it->second;
    };
    const Idle& last = columns.back().second;
    std::vector<std::string> order(kinds.begin(), kinds.end());
    std::stable_sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
        return of(last, a) > of(last, b);
    });
    std::vector<long> rest(columns.size(), 0);
    int small = 0;
    for (const auto& kind : order) {
        bool large = false;
        for (const auto& column : columns) large = large || of(column.second, kind) >= 32;
        if (!large) {
            for (std::size_t c = 0; c < columns.size(); ++c) rest[c] += of(columns[c].second, kind);
            ++small;
            continue;
        }
        row("  " + kind, [&](const Idle& i) { return of(i, kind); });
        auto parts = last.breakdown.parts.find(kind);
        if (of(last, kind) < 256 || parts == last.breakdown.parts.end()) continue;
        for (const auto& [perms, kib] : parts->second)
            row("    " + perms, [&, perms = perms](const Idle& i) {
                auto p = i.breakdown.parts.find(kind);
                if (p == i.breakdown.parts.end()) return 0L;
                auto v = p->second.find(perms);
                return v == p->second.end() ? 0L : v->second;
            });
    }
    std::printf("\n%-40s", ("  the other " + std::to_string(small) + " kinds").c_str());
    for (long r : rest) std::printf(" %10ld", r);
    std::printf("\n");
}

// Progress for a person waiting: rewritten in place on a terminal, a line every 5 s otherwise.
class Progress {
  public:
    explicit Progress(std::string what) : what_(std::move(what)), tty_(::isatty(2) != 0) {}
    void show(std::size_t done, std::size_t of, bool force = false) {
        const auto now = Clock::now();
        if (!force && !tty_ && now - last_ < std::chrono::seconds(5)) return;
        if (!force && tty_ && done == shown_) return;
        last_ = now;
        shown_ = done;
        std::fflush(stdout);
        std::fprintf(stderr, "%s%s: %zu/%zu (%.1f s)%s", tty_ ? "\r" : "", what_.c_str(), done, of,
                     ms_since(start_) / 1000, tty_ && !force ? "" : "\n");
    }
    [[nodiscard]] double seconds() const { return ms_since(start_) / 1000; }

  private:
    std::string what_;
    bool tty_;
    Clock::time_point start_ = Clock::now(), last_{};
    std::size_t shown_ = static_cast<std::size_t>(-1);
};

int fan_out(const Link& link, int nodes, int rounds) {
    auto client = connect(link);
    if (!client->subscribe({"edgevisor/v1/nodes/+/ack", "edgevisor/v1/nodes/+/status"})) return 1;
    Progress progress("fan-out: daemons online");
    std::vector<std::unique_ptr<Daemon>> daemons;
    for (int i = 0; i < nodes; ++i) {
        daemons.push_back(std::make_unique<Daemon>(
            link.node_config(), "{id: fan-" + std::to_string(i) + ", groups: [fan]}", kLogLevel));
        daemons.back()->start();
    }
    // Every node online first, so that what is timed is the push, not the daemons' start. The
    // wait ends when no node came online for 60 s (a fixed total would be wrong for some N).
    std::set<std::string> online;
    auto stalled = Clock::now() + std::chrono::seconds(60);
    while (online.size() < static_cast<std::size_t>(nodes) && Clock::now() < stalled) {
        progress.show(online.size(), nodes);
        if (auto m = client->next(std::chrono::milliseconds(100))) {
            auto status = nlohmann::json::parse(m->payload, nullptr, false);
            if (!status.is_discarded() && status.value("state", "") == "online" &&
                online.insert(status.value("node", "")).second)
                stalled = Clock::now() + std::chrono::seconds(60);
        }
    }
    progress.show(online.size(), nodes, true);
    if (online.size() < static_cast<std::size_t>(nodes)) {
        std::fprintf(stderr, "fleet-bench: only %zu of %d nodes came online\n", online.size(),
                     nodes);
        for (int i = 0; i < nodes; ++i)
            if (!online.contains("fan-" + std::to_string(i)))
                std::fprintf(stderr, "fan-%d (pid %d):\n%s\n", i, daemons[i]->pid(),
                             daemons[i]->daemon_output().c_str());
        return 1;
    }
    std::printf("%d daemons started and online (MQTT status) in %.1f s\n", nodes,
                progress.seconds());
    std::vector<double> all, first;
    for (int round = 1; round <= rounds; ++round) {
        std::set<std::string> done;
        auto start = Clock::now();
        if (!client->publish("edgevisor/v1/groups/fan/desired",
                             document(round, "w" + std::to_string(round)), true))
            return 1;
        bool ok = follow_acks(*client, [&](const nlohmann::json& ack) {
            if (ack["revision"] == round && ack["status"] == "APPLIED" &&
                done.insert(ack.value("node", "")).second && done.size() == 1)
                first.push_back(ms_since(start));
            return done.size() == static_cast<std::size_t>(nodes);
        });
        if (!ok) {
            std::fprintf(stderr, "fleet-bench: round %d: %zu of %d nodes applied\n", round,
                         done.size(), nodes);
            return 1;
        }
        all.push_back(ms_since(start));
    }
    print("group push -> first node APPLIED", bench::summarize(first));
    print("group push -> all " + std::to_string(nodes) + " nodes APPLIED", bench::summarize(all));
    // Stopped together: one after another, each waiting for its workload, takes N times as long.
    for (auto& d : daemons) ::kill(d->pid(), SIGTERM);
    for (auto& d : daemons) d->stop();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"edgevisor-fleet-bench: push latency, group fan-out and idle memory over MQTT"};
    int rounds = 30, idle_rounds = 5, nodes = 10, fan_rounds = 5;
    app.add_option("-n", rounds, "push rounds (over plain TCP, then over TLS)");
    app.add_option("--idle-rounds", idle_rounds,
                   "push rounds more, each after 8 s idle (start-up pages released)");
    app.add_option("--nodes", nodes, "daemons in the fan-out group")->check(CLI::Range(1, 500));
    app.add_option("--fan-rounds", fan_rounds, "group pushes");
    CLI11_PARSE(app, argc, argv);
    require_root();
    std::printf("load average before: %s", read_text_file("/proc/loadavg").c_str());
    std::printf("%-40s %5s  %8s  %8s  %8s  %8s   (ms)\n", "", "n", "min", "median", "p90", "max");
    Link plain = plain_link();
    Link tls = tls_link();
    auto local_idle = idle_without_mqtt();
    if (!local_idle) return 1;
    auto plain_idle = push_rounds(plain, rounds, idle_rounds);
    if (!plain_idle) return 1;
    auto tls_idle = push_rounds(tls, rounds, idle_rounds);
    if (!tls_idle) return 1;
    auto bundle_idle = idle_with_bundle(tls);
    tls.broker.reset();
    if (int rc = fan_out(plain, nodes, fan_rounds); rc != 0) return rc;
    std::vector<std::pair<std::string, Idle>> columns{
        {"no MQTT", *local_idle}, {"plain TCP", *plain_idle}, {"TLS", *tls_idle}};
    if (bundle_idle) columns.emplace_back("TLS+bundle", *bundle_idle);
    print_memory(columns);
    std::printf("load average after: %s", read_text_file("/proc/loadavg").c_str());
    return 0;
}
