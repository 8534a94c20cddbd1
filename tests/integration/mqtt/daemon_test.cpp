// The fleet channel end to end: the real edgevisord serves its mqtt section's broker, a real
// mosquitto started here. Documents are pushed with mosquitto_pub, what the node says is read
// with mosquitto_sub, and what runs is read from the daemon's own status snapshot.
#include "fleet_support.hpp"
#include "skip.hpp"

using namespace edgevisor::testing;
using nlohmann::json;

namespace {

// A broker, node edge-1 started on it, and a subscriber to its acks and status (as root).
struct OneNode {
    Broker broker;
    FleetNode node{broker, "edge-1"};
    Subscriber sub{broker, {node.topic("ack"), node.topic("status")}};
    OneNode() {
        require_root();
        node.daemon.start();
    }
};

}  // namespace

TEST_CASE("e2e: node and group pushes run their workloads, with acks, reported and status",
          "[mqtt]") {
    require_root();
    Broker broker;
    FleetNode node(broker, "edge-1");
    Subscriber sub(broker, {node.topic("ack"), node.topic("status"), node.topic("reported"),
                            node.topic("events")});
    node.daemon.start();
    REQUIRE(eventually([&] { return last_status(sub, "edge-1") == "online"; }));

    REQUIRE(broker.pub({"-t", node.topic("desired"), "-r", "-m", desired(1, {"web"})}) == 0);
    REQUIRE(node.daemon.wait_state("web", "running"));
    REQUIRE(eventually([&] { return !find_ack(sub, "edge-1", "APPLIED", 1).is_null(); }));
    auto received = find_ack(sub, "edge-1", "RECEIVED", 1);
    REQUIRE_FALSE(received.is_null());
    CHECK(received["layer"] == "node");
    CHECK(received["plan"][0]["workload"] == "web");
    CHECK(received["plan"][0]["action"] == "create");
    CHECK(node.daemon.workload("web")->value("layer", "") == "node");

    REQUIRE(broker.pub({"-t", group_topic("line-3"), "-r", "-m", desired(7, {"agent"})}) == 0);
    REQUIRE(node.daemon.wait_state("agent", "running"));
    REQUIRE(eventually(
        [&] { return !find_ack(sub, "edge-1", "APPLIED", 7, "group:line-3").is_null(); }));
    // Reported (retained) lists both, with the revision of each layer.
    REQUIRE(eventually([&] {
        auto reported = json_lines(sub, "/edge-1/reported");
        if (reported.empty()) return false;
        int running = 0;
        for (const auto& w : reported.back()["workloads"]) running += w["state"] == "running";
        return running == 2;
    }));
    auto reported = json_lines(sub, "/edge-1/reported").back();
    std::map<std::string, std::uint64_t> revisions;
    for (const auto& layer : reported["layers"]) revisions[layer["name"]] = layer["revision"];
    CHECK(revisions["node"] == 1);
    CHECK(revisions["group:line-3"] == 7);
    CHECK(reported["groups"] == json::array({"line-3"}));
    // Events of the applies went out too, numbered.
    REQUIRE(eventually([&] { return json_lines(sub, "/edge-1/events").size() >= 2; }));
    CHECK(json_lines(sub, "/edge-1/events").front()["seq"].get<std::uint64_t>() > 0);

    // A clean stop says offline (and the broker sends no will).
    CHECK(node.daemon.stop() == 0);
    REQUIRE(eventually([&] { return last_status(sub, "edge-1") == "offline"; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK(last_status(sub, "edge-1") == "offline");
}

TEST_CASE_METHOD(
    OneNode, "e2e: a bad document is REJECTED with line:col and hostile payloads change nothing",
    "[mqtt]") {
    REQUIRE(broker.pub({"-t", node.topic("desired"), "-r", "-m", desired(3, {"web"})}) == 0);
    REQUIRE(node.daemon.wait_state("web", "running"));
    REQUIRE(eventually([&] { return !find_ack(sub, "edge-1", "APPLIED", 3).is_null(); }));
    const auto pid = node.daemon.workload("web")->value("pid", std::int64_t{0});
    auto acks = [&] { return json_lines(sub, "/edge-1/ack").size(); };
    auto next_ack = [&](std::size_t before) {
        REQUIRE(eventually([&] { return acks() > before; }));
        return json_lines(sub, "/edge-1/ack").back();
    };

    // An unknown key in the workload's spec (line 10, after the command's line): REJECTED with
    // the position in the payload, retained so that it is re-delivered on every reconnect.
    std::string bad = desired(4, {"web"});
    bad.replace(bad.find("      stopTimeout"), 0, "      colour: blue\n");
    auto before = acks();
    REQUIRE(broker.pub({"-t", node.topic("desired"), "-r", "-m", bad}) == 0);
    auto rejected = next_ack(before);
    CHECK(rejected["status"] == "REJECTED");
    REQUIRE(rejected["errors"].size() >= 1);
    CHECK(rejected["errors"][0]["rule"] == "unknown-key");
    CHECK(rejected["errors"][0]["line"] == 10);
    CHECK(rejected["errors"][0]["column"] == 7);
    CHECK(rejected["errors"][0]["text"].get<std::string>().rfind(node.topic("desired") + ":10:7:",
                                                                 0) == 0);

    // Garbage, binary, oversize, nested too deep, an alias bomb, the wrong kind: each one
    // REJECTED, none reaching further than the checks.
    std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    for (char level = 'b'; level <= 'h'; ++level)
        bomb += std::string(1, level) + ": &" + std::string(1, level) + " [*" +
                std::string(1, level - 1) + ", *" + std::string(1, level - 1) + ", *" +
                std::string(1, level - 1) + ", *" + std::string(1, level - 1) + ", *" +
                std::string(1, level - 1) + ", *" + std::string(1, level - 1) + "]\n";
    const std::vector<std::pair<std::string, std::string>> hostile{
        {"garbage", "}}}{{{ :: - [ not yaml"},
        {"binary", std::string("\x00\x01\xff\xfe\x80 binary", 12)},
        {"oversize", desired(5, {"web"}) + "# " + std::string(300 * 1024, 'x') + "\n"},
        {"deep", std::string(5000, '[') + std::string(5000, ']')},
        {"bomb", bomb},
        {"wrong kind", "apiVersion: edgevisor/v1\nkind: Workload\nmetadata: {name: x}\n"},
        {"json",
         "{\"apiVersion\": \"edgevisor/v1\", \"kind\": \"DesiredState\", \"revision\": "
         "\"many\", \"workloads\": []}"},
    };
    for (const auto& [what, payload] : hostile) {
        INFO(what);
        before = acks();
        REQUIRE(broker.pub_bytes(node.topic("desired"), payload, false) == 0);
        auto ack = next_ack(before);
        CHECK(ack["status"] == "REJECTED");
        CHECK_FALSE(ack["errors"].empty());
        REQUIRE(process_alive(node.daemon.pid()));
    }
    // Commands: retained (a live subscriber gets it without the retained flag, so this one
    // resyncs; it would be dropped on the next subscribe), unknown, binary: the daemon alive.
    REQUIRE(broker.pub({"-t", node.topic("cmd"), "-r", "-m", "resync"}) == 0);
    REQUIRE(broker.pub({"-t", node.topic("cmd"), "-r", "-n"}) == 0);
    REQUIRE(broker.pub_bytes(node.topic("cmd"), std::string(100000, '\xff'), false) == 0);
    REQUIRE(broker.pub({"-t", node.topic("cmd"), "-m", "reboot --now"}) == 0);
    // A stale revision: SUPERSEDED. (Found by status: the live resync above re-sends the last
    // ack, which may come in between.)
    REQUIRE(broker.pub({"-t", node.topic("desired"), "-m", desired(2, {"other"})}) == 0);
    CHECK(eventually([&] { return !find_ack(sub, "edge-1", "SUPERSEDED", 2).is_null(); }));

    // The last good revision still runs, the same process.
    REQUIRE(process_alive(node.daemon.pid()));
    CHECK(node.state("web") == "running");
    CHECK(node.daemon.workload("web")->value("pid", std::int64_t{0}) == pid);
    CHECK_FALSE(node.daemon.workload("other"));
    // And the channel still takes a good document.
    REQUIRE(broker.pub({"-t", node.topic("desired"), "-r", "-m", desired(5, {"web", "db"})}) == 0);
    REQUIRE(node.daemon.wait_state("db", "running"));
    CHECK(node.daemon.workload("web")->value("pid", std::int64_t{0}) == pid);
    CHECK(last_status(sub, "edge-1") == "online");
    CHECK(node.daemon.stop() == 0);
}

TEST_CASE("e2e: three daemons of one group apply one group push and a node document overrides",
          "[mqtt]") {
    require_root();
    Broker broker;
    std::vector<std::unique_ptr<FleetNode>> nodes;
    for (const char* id : {"edge-a", "edge-b", "edge-c"})
        nodes.push_back(
            std::make_unique<FleetNode>(broker, id, std::vector<std::string>{"line-3"}));
    Subscriber sub(broker, {"edgevisor/v1/nodes/edge-a/ack", "edgevisor/v1/nodes/edge-b/ack",
                            "edgevisor/v1/nodes/edge-c/ack"});
    for (auto& n : nodes) n->daemon.start();
    REQUIRE(broker.pub({"-t", group_topic("line-3"), "-r", "-m", desired(3, {"agent", "web"})}) ==
            0);
    for (auto& n : nodes) {
        INFO(n->id);
        REQUIRE(n->daemon.wait_state("agent", "running"));
        REQUIRE(n->daemon.wait_state("web", "running"));
        REQUIRE(eventually(
            [&] { return !find_ack(sub, n->id, "APPLIED", 3, "group:line-3").is_null(); }));
    }
    // The node document of edge-b gives web another command: only edge-b's web is replaced.
    std::vector<std::int64_t> pids;
    for (auto& n : nodes) pids.push_back(n->daemon.workload("web")->value("pid", std::int64_t{0}));
    REQUIRE(broker.pub({"-t", nodes[1]->topic("desired"), "-r", "-m",
                        desired(1, {"web"}, "[/bin/sleep, \"2000\"]")}) == 0);
    REQUIRE(eventually([&] { return !find_ack(sub, "edge-b", "APPLIED", 1, "node").is_null(); }));
    REQUIRE(nodes[1]->daemon.wait_for([&](const Json&) {
        auto w = nodes[1]->daemon.workload("web");
        return w && w->value("layer", "") == "node" && w->value("state", "") == "running";
    }));
    CHECK(nodes[1]->daemon.workload("web")->value("pid", std::int64_t{0}) != pids[1]);
    CHECK(nodes[0]->daemon.workload("web")->value("pid", std::int64_t{0}) == pids[0]);
    CHECK(nodes[2]->daemon.workload("web")->value("pid", std::int64_t{0}) == pids[2]);
    CHECK(nodes[0]->daemon.workload("web")->value("layer", "") == "group:line-3");
    for (auto& n : nodes) CHECK(n->daemon.stop() == 0);
}

TEST_CASE_METHOD(
    OneNode,
    "e2e: SIGKILL right after the ack, and the restarted daemon runs the acknowledged layer",
    "[mqtt]") {
    REQUIRE(eventually([&] { return last_status(sub, "edge-1") == "online"; }));
    // Not retained: after the restart only the daemon's own state can bring it back.
    REQUIRE(broker.pub({"-t", node.topic("desired"), "-m", desired(5, {"web"})}) == 0);
    REQUIRE(eventually([&] { return !find_ack(sub, "edge-1", "RECEIVED", 5).is_null(); }));
    node.daemon.kill9();
    // The broker saw the connection drop without a DISCONNECT: the will says lost.
    REQUIRE(eventually([&] { return last_status(sub, "edge-1") == "lost"; }));
    node.daemon.start();
    REQUIRE(node.daemon.wait_state("web", "running"));
    CHECK(node.daemon.workload("web")->value("layer", "") == "node");
    REQUIRE(eventually([&] { return last_status(sub, "edge-1") == "online"; }));
    auto statuses = json_lines(sub, "/edge-1/status");
    CHECK(statuses.back()["session"].get<std::uint64_t>() >
          statuses.front()["session"].get<std::uint64_t>());
    // The same revision again is a no-op; the next one applies.
    REQUIRE(broker.pub({"-t", node.topic("desired"), "-m", desired(6, {"web", "db"})}) == 0);
    REQUIRE(node.daemon.wait_state("db", "running"));
    CHECK(node.daemon.stop() == 0);
}

TEST_CASE("e2e: the broker restarts, workloads keep running, the node reconnects and applies",
          "[mqtt]") {
    require_root();
    Broker broker;
    FleetNode node(broker, "edge-1");
    node.daemon.start();
    {
        Subscriber sub(broker, {node.topic("ack")});
        REQUIRE(broker.pub({"-t", node.topic("desired"), "-r", "-m", desired(1, {"web"})}) == 0);
        REQUIRE(node.daemon.wait_state("web", "running"));
        REQUIRE(eventually([&] { return !find_ack(sub, "edge-1", "APPLIED", 1).is_null(); }));
    }
    const auto pid = node.daemon.workload("web")->value("pid", std::int64_t{0});
    broker.kill();
    std::this_thread::sleep_for(std::chrono::seconds(2));  // the node notices and retries
    CHECK(process_alive(node.daemon.pid()));
    CHECK(node.state("web") == "running");
    broker.start();
    // Pushed while the node is away or reconnecting: retained, so it arrives either way.
    REQUIRE(broker.pub({"-t", node.topic("desired"), "-r", "-m", desired(2, {"web", "db"})}) == 0);
    Subscriber sub(broker, {node.topic("status"), node.topic("reported")});
    REQUIRE(node.daemon.wait_state("db", "running"));
    REQUIRE(eventually([&] {
        auto s = json_lines(sub, "/edge-1/status");
        return !s.empty() && s.back()["state"] == "online" && s.back()["session"] >= 2;
    }));
    REQUIRE(eventually([&] { return !json_lines(sub, "/edge-1/reported").empty(); }));
    CHECK(node.daemon.workload("web")->value("pid", std::int64_t{0}) == pid);
    CHECK(node.daemon.stop() == 0);
}

TEST_CASE_METHOD(OneNode,
                 "e2e: the same workloads under a new revision are APPLIED in place, and a "
                 "restarted daemon acknowledges its retained revision again",
                 "[mqtt]") {
    REQUIRE(broker.pub({"-t", node.topic("desired"), "-r", "-m", desired(1, {"web"})}) == 0);
    REQUIRE(eventually([&] { return !find_ack(sub, "edge-1", "APPLIED", 1).is_null(); }));
    const auto pid = node.daemon.workload("web")->value("pid", std::int64_t{0});
    // edgectl push of unchanged files takes the next revision: it must be acknowledged.
    REQUIRE(broker.pub({"-t", node.topic("desired"), "-r", "-m", desired(2, {"web"})}) == 0);
    REQUIRE(eventually([&] { return !find_ack(sub, "edge-1", "APPLIED", 2).is_null(); }));
    CHECK(find_ack(sub, "edge-1", "RECEIVED", 2)["plan"].is_null());  // nothing to do
    CHECK(node.daemon.workload("web")->value("pid", std::int64_t{0}) == pid);

    auto received = [&] {
        std::size_t n = 0;
        for (const auto& a : json_lines(sub, "/edge-1/ack"))
            n += a["status"] == "RECEIVED" && a["revision"] == 2;
        return n;
    };
    REQUIRE(received() == 1);
    CHECK(node.daemon.stop() == 0);
    node.daemon.start();
    // The retained revision 2 is delivered again on subscribe: acknowledged once more.
    REQUIRE(eventually([&] { return received() == 2; }));
    REQUIRE(node.daemon.wait_state("web", "running"));
    CHECK(process_alive(node.daemon.pid()));
}
