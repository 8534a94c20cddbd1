// edgectl push and edgectl fleet status (the program edgectl-fleet that edgectl execs) against
// nodes on a real mosquitto: what an operator types and reads, with the exit codes.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "channel_support.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;

namespace {

const std::string kManifest = R"(apiVersion: edgevisor/v1
kind: Workload
metadata: {name: web}
spec:
  command: [/usr/bin/sleep, "60"]
---
# a second document in the same file
apiVersion: edgevisor/v1
kind: Workload
metadata: {name: db}
spec: {command: [/usr/bin/sleep, "60"]}
)";

struct Run {
    int status = -1;
    std::string out, err;
};

// Runs edgectl with `args` while the nodes' loops run, until it exits.
Run edgectl(const std::vector<std::string>& args, std::vector<Node*> nodes) {
    auto dir = make_temp_dir("edgectl");
    std::vector<std::string> argv{EDGEVISOR_EDGECTL};
    argv.insert(argv.end(), args.begin(), args.end());
    Child child(argv, dir / "out", dir / "err");
    Run run;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto status = child.poll()) {
            run.status = WIFEXITED(*status) ? WEXITSTATUS(*status) : 128;
            break;
        }
        for (Node* node : nodes) node->pump();
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    run.out = read_file(dir / "out");
    run.err = read_file(dir / "err");
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return run;
}

}  // namespace

TEST_CASE("edgectl push --wait to a node shows its acks and exits 0 once applied") {
    Broker broker;
    Node node(broker);
    REQUIRE(node.connected());
    auto dir = make_temp_dir("push");
    write_file(dir / "app.yaml", kManifest);
    auto run = edgectl({"push", "--broker", broker.url(), "--node", "n1",
                        (dir / "app.yaml").string(), "--wait", "--timeout", "30s"},
                       {&node});
    INFO(run.out << run.err);
    CHECK(run.status == 0);
    CHECK(run.out.find("pushed revision 1 (2 workload(s)) to edgevisor/v1/nodes/n1/desired") !=
          std::string::npos);
    CHECK(run.out.find("n1: RECEIVED") != std::string::npos);
    CHECK(run.out.find("n1: APPLIED") != std::string::npos);
    CHECK(node.control.layers["node"].workloads.size() == 2);

    // The next push takes the next revision.
    auto again = edgectl(
        {"push", "--broker", broker.url(), "--node", "n1", (dir / "app.yaml").string()}, {&node});
    CHECK(again.status == 0);
    CHECK(again.out.find("pushed revision 2") != std::string::npos);

    // fleet status reads the retained status and reported.
    node.until([&] { return node.control.layers["node"].revision == 2; });
    auto status = edgectl({"fleet", "status", "--broker", broker.url(), "-o", "json"}, {&node});
    INFO(status.out << status.err);
    REQUIRE(status.status == 0);
    auto fleet = nlohmann::json::parse(status.out);
    REQUIRE(fleet.size() == 1);
    CHECK(fleet[0]["node"] == "n1");
    CHECK(fleet[0]["state"] == "online");
    CHECK(fleet[0]["revisions"]["node"] == 2);
    CHECK(fleet[0]["workloads"]["running"] == 2);
    auto table = edgectl({"fleet", "status", "--broker", broker.url()}, {&node});
    CHECK(table.out.find("n1") != std::string::npos);
    CHECK(table.out.find("2/2 running, 0 failing") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE(
    "edgectl push refuses an invalid manifest locally, with its position, and sends nothing") {
    Broker broker;
    Node node(broker);
    REQUIRE(node.connected());
    auto dir = make_temp_dir("push");
    write_file(dir / "bad.yaml",
               "apiVersion: edgevisor/v1\nkind: Workload\nmetadata: {name: Web}\n"
               "spec: {command: [/bin/true]}\n");
    auto run = edgectl(
        {"push", "--broker", broker.url(), "--node", "n1", (dir / "bad.yaml").string()}, {&node});
    CHECK(run.status == 1);
    CHECK(run.err.find("bad.yaml:3:18:") != std::string::npos);
    CHECK(node.control.requests.empty());
    auto no_broker = edgectl(
        {"push", "--broker", "mqtt://127.0.0.1:1", "--node", "n1", (dir / "bad.yaml").string()},
        {});
    CHECK(no_broker.status == 1);  // refused locally before any connect
    std::filesystem::remove_all(dir);
}

TEST_CASE("edgectl push --wait to a group follows every member and reports a PARTIAL one") {
    Broker broker;
    Node a(broker, {"line-3"}, {}, "a1");
    Node b(broker, {"line-3"}, {}, "b2");
    b.control.failing = {"db"};
    REQUIRE(a.connected());
    REQUIRE(b.connected());
    auto dir = make_temp_dir("push");
    write_file(dir / "app.yaml", kManifest);
    auto run = edgectl({"push", "--broker", broker.url(), "--group", "line-3",
                        (dir / "app.yaml").string(), "--wait", "--timeout", "30s"},
                       {&a, &b});
    INFO(run.out << run.err);
    CHECK(run.status == 1);
    CHECK(run.err.find("2/2 applied") == std::string::npos);
    CHECK(run.err.find("1/2 applied, 1 failed") != std::string::npos);
    CHECK(run.out.find("b2: PARTIAL") != std::string::npos);
    CHECK(a.control.layers["group:line-3"].revision == 1);
    std::filesystem::remove_all(dir);
}
