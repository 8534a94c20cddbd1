// Following without polling, and surviving the bus: edgectl logs -f gets new lines through
// LogLines signals; edgevisord connects again when dbus-daemon restarts.
#include <catch2/catch.hpp>
#include <regex>
#include <thread>

#include "node_support.hpp"
#include "skip.hpp"

using namespace edgevisor::testing;

namespace {

bool eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 300 && !done(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return done();
}

}  // namespace

TEST_CASE("e2e: edgectl logs -f prints every new line once, in order", "[dbus]") {
    require_root();
    Node node;
    node.daemon.write_manifest(
        "ticker.yaml",
        workload_yaml("ticker",
                      "  command: [/bin/sh, -c, \"i=0; while true; do i=$((i+1)); "
                      "echo tick $i; sleep 0.05; done\"]\n  isolation: {init: true}\n"));
    REQUIRE(node.daemon.wait_state("ticker", "running"));
    REQUIRE(
        node.until({"logs", "ticker"}, [](const std::string& out) { return has(out, "tick 3"); }));
    Background follow(
        {EDGEVISOR_EDGECTL, "--bus", node.bus.address(), "logs", "-f", "-n", "2", "ticker"});
    std::string out;
    REQUIRE(eventually([&] {
        out = follow.read_until("tick 60\n", std::chrono::seconds(1));
        return has(out, "tick 60\n");
    }));
    // The two tail lines, then each later line exactly once: consecutive numbers.
    std::regex tick(" out tick ([0-9]+)\n");
    std::vector<int> seen;
    for (auto it = std::sregex_iterator(out.begin(), out.end(), tick); it != std::sregex_iterator();
         ++it)
        seen.push_back(std::stoi((*it)[1]));
    REQUIRE(seen.size() >= 10);
    for (std::size_t i = 1; i < seen.size(); ++i) {
        INFO(out);
        REQUIRE(seen[i] == seen[i - 1] + 1);
    }
    follow.stop();
    CHECK(node.daemon.stop() == 0);
}

TEST_CASE("e2e: edgevisord serves again after dbus-daemon restarts on the same socket", "[dbus]") {
    require_root();
    Node node;
    const std::int64_t pid =
        nlohmann::json::parse(node.edgectl({"show", "sensor-reader", "-o", "json"}).out)["pid"]
            .get<std::int64_t>();
    node.bus.restart();
    REQUIRE(eventually([&] { return node.edgectl({"status"}).code == 0; }));
    INFO(node.daemon.daemon_output());
    CHECK(has(node.daemon.daemon_output(), "no longer serving org.edgevisor.Supervisor1"));
    CHECK(has(node.daemon.daemon_output(), "serving org.edgevisor.Supervisor1 again"));
    // The same daemon and workload (not restarted), every object back on the new bus.
    auto show = node.edgectl({"show", "sensor-reader", "-o", "json"});
    REQUIRE(show.code == 0);
    CHECK(nlohmann::json::parse(show.out)["pid"].get<std::int64_t>() == pid);
    CHECK(node.edgectl({"restart", "sensor-reader"}).code == 0);
    CHECK(node.daemon.stop() == 0);
}
