// The fleet channel against a real mosquitto: what a fleet operator sees through mosquitto_sub
// (a client we did not write) when documents, bad payloads and commands arrive, and when the
// broker goes away. The Control here keeps layers on paper; tests/integration/mqtt's daemon
// tests run the same paths through edgevisord.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "channel_support.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;
using nlohmann::json;

namespace {

const std::string kNode = "edgevisor/v1/nodes/n1/";

std::vector<json> acks(const Subscriber& sub) {
    std::vector<json> out;
    for (const auto& p : sub.payloads("/n1/ack")) out.push_back(json::parse(p));
    return out;
}

bool has_ack(const Subscriber& sub, const std::string& status, std::uint64_t revision) {
    for (const auto& a : acks(sub))
        if (a["status"] == status && a["revision"] == revision) return true;
    return false;
}

}  // namespace

TEST_CASE("a document on the node's topic is applied, acknowledged and reported") {
    Broker broker;
    Subscriber sub(broker, {kNode + "ack", kNode + "status", kNode + "reported"});
    Node node(broker);
    REQUIRE(node.connected());
    REQUIRE(broker.pub({"-t", kNode + "desired", "-r", "-m", doc(1, {"web", "db"})}) == 0);
    REQUIRE(node.until([&] { return has_ack(sub, "APPLIED", 1); }));
    CHECK(has_ack(sub, "RECEIVED", 1));
    REQUIRE(node.control.requests.size() == 1);
    CHECK(node.control.requests[0].layer == "node");
    CHECK(node.control.requests[0].source == kNode + "desired");
    auto applied = acks(sub).back();
    CHECK(applied["node"] == "n1");
    CHECK(applied["layer"] == "node");
    CHECK(applied["plan"].size() == 2);
    CHECK(applied["session"] == 1);
    // Status is retained and says online with the session; reported lists both workloads.
    auto status = json::parse(sub.payloads("/n1/status").front());
    CHECK(status["state"] == "online");
    CHECK(status["session"] == 1);
    REQUIRE(node.until([&] {
        auto reported = sub.payloads("/n1/reported");
        return !reported.empty() && json::parse(reported.back())["workloads"].size() == 2;
    }));
    auto reported = json::parse(sub.payloads("/n1/reported").back());
    CHECK(reported["workloads"][0]["state"] == "running");
    CHECK(reported["layers"][0]["name"] == "node");
    CHECK(reported["layers"][0]["revision"] == 1);
}

TEST_CASE("a group document feeds the group's layer and a failing workload makes it PARTIAL") {
    Broker broker;
    Subscriber sub(broker, {kNode + "ack"});
    Node node(broker, {"line-3", "eu-west"});
    node.control.failing = {"bad"};
    REQUIRE(node.connected());
    REQUIRE(broker.pub({"-t", "edgevisor/v1/groups/eu-west/desired", "-r", "-m",
                        doc(5, {"good", "bad"})}) == 0);
    REQUIRE(node.until([&] { return has_ack(sub, "PARTIAL", 5); }));
    CHECK(node.control.requests.back().layer == "group:eu-west");
    auto partial = acks(sub).back();
    CHECK(partial["layer"] == "group:eu-west");
    REQUIRE(partial["failed"].size() == 1);
    CHECK(partial["failed"][0] == "bad: crash-loop (exited 1)");
}

TEST_CASE("bad payloads are REJECTED with positions, stale ones SUPERSEDED, nothing changes") {
    Broker broker;
    Subscriber sub(broker, {kNode + "ack"});
    Node node(broker, {"line-3"}, [](manifests::MqttConfig& c) { c.max_payload = 4096; });
    REQUIRE(node.connected());
    REQUIRE(broker.pub({"-t", kNode + "desired", "-m", doc(3, {"web"})}) == 0);
    REQUIRE(node.until([&] { return has_ack(sub, "APPLIED", 3); }));
    std::size_t applies = node.control.requests.size();

    // Malformed: an unknown key inside the first workload's spec, line 7 column 45.
    std::string malformed = doc(4, {"web"});
    malformed.replace(malformed.find("\"60\"]}"), 6, "\"60\"], x: 1}");
    REQUIRE(broker.pub({"-t", kNode + "desired", "-m", malformed}) == 0);
    REQUIRE(node.until([&] { return acks(sub).size() >= 3; }));
    auto rejected = acks(sub).back();
    CHECK(rejected["status"] == "REJECTED");
    CHECK(rejected["revision"].is_null());
    REQUIRE(rejected["errors"].size() == 1);
    CHECK(rejected["errors"][0]["rule"] == "unknown-key");
    CHECK(rejected["errors"][0]["line"] == 8);
    CHECK(rejected["errors"][0]["text"].get<std::string>().rfind(kNode + "desired:8:", 0) == 0);

    // Oversize: refused before parsing (the control never sees it).
    REQUIRE(broker.pub({"-t", kNode + "desired", "-m", doc(5, {"web"}) + std::string(5000, '#')}) ==
            0);
    REQUIRE(node.until([&] { return acks(sub).size() >= 4; }));
    CHECK(acks(sub).back()["errors"][0]["rule"] == "payload-too-large");

    // Invalid UTF-8 on line 2: refused before parsing too.
    REQUIRE(broker.pub_bytes(kNode + "desired", "apiVersion: edgevisor/v1\nkind: \xC3\x28\n",
                             false) == 0);
    REQUIRE(node.until([&] { return acks(sub).size() >= 5; }));
    auto utf8 = acks(sub).back()["errors"][0];
    CHECK(utf8["rule"] == "invalid-utf8");
    CHECK(utf8["line"] == 2);
    CHECK(utf8["column"] == 7);
    CHECK(node.control.requests.size() == applies + 1);  // only the malformed one reached it

    // Stale: an older revision than the applied 3.
    REQUIRE(broker.pub({"-t", kNode + "desired", "-m", doc(2, {"other"})}) == 0);
    REQUIRE(node.until([&] { return has_ack(sub, "SUPERSEDED", 2); }));
    CHECK(node.control.layers["node"].revision == 3);
    CHECK(node.control.workloads.count("other") == 0);
    CHECK(node.channel->counters().connected);
}

TEST_CASE("a retained command is dropped and resync re-publishes status, reported and acks") {
    Broker broker;
    // Retained before the node subscribes: it arrives flagged retained and must be dropped.
    REQUIRE(broker.pub({"-t", kNode + "cmd", "-r", "-m", "resync"}) == 0);
    Node node(broker);
    REQUIRE(node.connected());
    REQUIRE(broker.pub({"-t", kNode + "desired", "-m", doc(1, {"web"})}) == 0);
    Subscriber sub(broker, {kNode + "ack", kNode + "status"});
    REQUIRE(node.until([&] { return has_ack(sub, "APPLIED", 1); }));
    auto statuses = sub.payloads("/n1/status").size();
    REQUIRE(statuses == 1);  // the retained one at subscribe
    // The retained command did nothing (no second status); a live one re-publishes.
    REQUIRE(broker.pub({"-t", kNode + "cmd", "-r", "-n"}) == 0);
    REQUIRE(broker.pub({"-t", kNode + "cmd", "-m", "resync"}) == 0);
    REQUIRE(node.until([&] { return sub.payloads("/n1/status").size() == 2; }));
    REQUIRE(node.until([&] { return acks(sub).size() >= 3; }));
    CHECK(acks(sub).back()["status"] == "APPLIED");
}

TEST_CASE("the broker killed and restarted: the node reconnects with a new session") {
    Broker broker;
    Node node(broker);
    REQUIRE(node.connected());
    CHECK(node.channel->counters().session == 1);
    broker.kill();
    REQUIRE(node.until([&] { return !node.channel->counters().connected; }));
    // An event while the broker is away waits in the outbox.
    node.channel->event({7, 0, "web", "state", "web: running"});
    CHECK(node.channel->counters().queued == 1);
    broker.start();
    // A document pushed (retained) while the node was still away.
    REQUIRE(broker.pub({"-t", kNode + "desired", "-r", "-m", doc(9, {"web"})}) == 0);
    Subscriber sub(broker, {kNode + "ack", kNode + "status", kNode + "events"});
    REQUIRE(node.until([&] { return has_ack(sub, "APPLIED", 9); }));
    auto counters = node.channel->counters();
    CHECK(counters.session == 2);
    CHECK(counters.connects == 2);
    REQUIRE(node.until([&] { return !sub.payloads("/n1/events").empty(); }));
    auto ev = json::parse(sub.payloads("/n1/events").front());
    CHECK(ev["seq"] == 7);
    CHECK(ev["session"] == 1);  // the session in which it happened
    auto status = json::parse(sub.payloads("/n1/status").back());
    CHECK(status["state"] == "online");
    CHECK(status["session"] == 2);
}

TEST_CASE("a node that vanishes is reported lost by its will, and a clean stop says offline") {
    Broker broker;
    Subscriber sub(broker, {kNode + "status"});
    // First, before this process starts any Paho thread (a fork copies only the caller's): a
    // node process killed without a DISCONNECT, whose will the broker publishes.
    pid_t child = ::fork();
    if (child == 0) {
        Node node(broker);
        node.until([] { return false; }, std::chrono::seconds(60));
        std::_Exit(0);
    }
    REQUIRE(wait_lines(sub, "/n1/status", 1));
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    REQUIRE(wait_lines(sub, "/n1/status", 2));
    auto online = json::parse(sub.payloads("/n1/status")[0]);
    auto lost = json::parse(sub.payloads("/n1/status")[1]);
    CHECK(online["state"] == "online");
    CHECK(lost["state"] == "lost");
    CHECK(lost["session"] == online["session"]);

    {
        Node node(broker);
        REQUIRE(node.connected());
        node.channel->stop(std::chrono::seconds(5));
    }
    REQUIRE(wait_lines(sub, "/n1/status", 4));
    CHECK(json::parse(sub.payloads("/n1/status")[2])["state"] == "online");
    auto offline = json::parse(sub.payloads("/n1/status")[3]);
    CHECK(offline["state"] == "offline");
    CHECK(offline["session"] == 1);
}

TEST_CASE("a node id or group that cannot be a topic level is refused") {
    PaperControl control;
    manifests::MqttConfig config;
    config.urls.push_back({"127.0.0.1", 1883, false});
    for (std::string bad : {"a/b", "a+", "#", ""}) {
        auto made = telemetry::mqtt::Channel::create(config, {bad, {}, "/tmp", "t"}, control);
        REQUIRE_FALSE(made);
        CHECK(made.error().message.find("node id") != std::string::npos);
    }
    auto made =
        telemetry::mqtt::Channel::create(config, {"n1", {"ok", "x/y"}, "/tmp", "t"}, control);
    REQUIRE_FALSE(made);
    CHECK(made.error().message == "group: 'x/y' cannot be an MQTT topic level (no '+', '#', '/')");
}
