// A workload that several layers define (a manifest file, the group's document, the node's
// document): the highest layer's definition runs, and the operator is told which layers and
// documents conflict and which wins: a warning in the daemon's log, a layer-conflict event, the
// `conflicts` of the retained reported state and of status.json, and `edgectl fleet status`.
#include <cstdio>

#include "fleet_support.hpp"
#include "skip.hpp"

using namespace edgevisor::testing;
using nlohmann::json;

namespace {

std::string run(const std::string& cmd) {
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
        char buf[4096];
        while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
        ::pclose(p);
    }
    return out;
}

// The conflict of `workload` in the last reported state, null when none.
json reported_conflict(const Subscriber& sub, const std::string& workload) {
    auto reported = json_lines(sub, "/edge-1/reported");
    if (reported.empty()) return nullptr;
    for (const auto& c : reported.back().value("conflicts", json::array()))
        if (c["workload"] == workload) return c;
    return nullptr;
}

}  // namespace

TEST_CASE(
    "e2e: a workload defined by a file, the group and the node: the node's runs, and the "
    "conflict is a warning, an event, and in reported, status.json and fleet status",
    "[mqtt]") {
    require_root();
    Broker broker;
    FleetNode node(broker, "edge-1");
    Subscriber sub(broker, {node.topic("reported"), node.topic("events"), node.topic("ack")});
    node.daemon.write_manifest(
        "web.yaml", workload_yaml("web",
                                  "  command: [/bin/sleep, \"1001\"]\n  stopTimeout: 5s\n"
                                  "  isolation: {init: true}\n"));
    node.daemon.start();
    REQUIRE(node.daemon.wait_state("web", "running", 60s));

    REQUIRE(broker.pub({"-t", group_topic("line-3"), "-r", "-m",
                        desired(4, {"web"}, "[/bin/sleep, \"1002\"]")}) == 0);
    REQUIRE(broker.pub({"-t", node.topic("desired"), "-r", "-m",
                        desired(2, {"web"}, "[/bin/sleep, \"1003\"]")}) == 0);
    REQUIRE(eventually(
        [&] {
            auto c = reported_conflict(sub, "web");
            return !c.is_null() && c["shadowed"].size() == 2;
        },
        60s));
    REQUIRE(node.daemon.wait_for(
        [&](const Json&) {
            auto w = node.daemon.workload("web");
            return w && w->value("layer", "") == "node" && w->value("state", "") == "running";
        },
        60s));
    // The node's document wins; the group's and the file's are shadowed, each with its document.
    auto c = reported_conflict(sub, "web");
    CHECK(c["layer"] == "node");
    CHECK(c["source"].get<std::string>().rfind(node.topic("desired") + ":", 0) == 0);
    REQUIRE(c["shadowed"].size() == 2);
    CHECK(c["shadowed"][0]["layer"] == "group:line-3");
    CHECK(c["shadowed"][0]["source"].get<std::string>().rfind(group_topic("line-3") + ":", 0) == 0);
    CHECK(c["shadowed"][1]["layer"] == "files");
    CHECK(c["shadowed"][1]["source"].get<std::string>().rfind(node.daemon.manifest_path("web.yaml"),
                                                              0) == 0);
    // What runs is the node's spec (its sleep, under the workload's init).
    CHECK(eventually(
        [&] {
            for (pid_t p : node.daemon.cgroup_pids("web"))
                if (read_text_file("/proc/" + std::to_string(p) + "/cmdline").find("1003") !=
                    std::string::npos)
                    return true;
            return false;
        },
        60s));

    // A warning in the log, naming the layers and the winner.
    CHECK(eventually(
        [&] {
            auto log = node.daemon.daemon_output();
            return log.find("[warning] web: node (" + node.topic("desired")) != std::string::npos &&
                   log.find("wins over group:line-3 (") != std::string::npos &&
                   log.find("(layer conflict)") != std::string::npos;
        },
        60s));
    // An event on the events topic.
    CHECK(eventually(
        [&] {
            for (const auto& e : json_lines(sub, "/edge-1/events"))
                if (e["kind"] == "layer-conflict" && e["workload"] == "web" &&
                    e["message"].get<std::string>().find("web: node (") == 0)
                    return true;
            return false;
        },
        60s));
    // status.json has it too.
    auto status = node.daemon.status();
    REQUIRE(status.contains("conflicts"));
    REQUIRE(status["conflicts"].size() == 1);
    CHECK(status["conflicts"][0]["workload"] == "web");
    CHECK(status["conflicts"][0]["layer"] == "node");
    // And the fleet side sees it, from the retained reported state.
    std::string fleet =
        run(std::string(EDGEVISOR_EDGECTL) + " fleet status --broker " + broker.url() + " 2>&1");
    INFO(fleet);
    CHECK(fleet.find("conflict: web from node, shadowing group:line-3, files") !=
          std::string::npos);
    auto fleet_json = json::parse(
        run(std::string(EDGEVISOR_EDGECTL) + " fleet status -o json --broker " + broker.url()),
        nullptr, false);
    REQUIRE(fleet_json.is_array());
    REQUIRE(fleet_json.size() == 1);
    CHECK(fleet_json[0]["conflicts"][0]["workload"] == "web");

    // The node's document drops web: the group's runs; the conflict is then group over files.
    REQUIRE(broker.pub({"-t", node.topic("desired"), "-r", "-m", desired(3, {})}) == 0);
    REQUIRE(eventually(
        [&] {
            auto now = reported_conflict(sub, "web");
            return !now.is_null() && now["layer"] == "group:line-3" && now["shadowed"].size() == 1;
        },
        60s));
    REQUIRE(node.daemon.wait_for(
        [&](const Json&) {
            auto w = node.daemon.workload("web");
            return w && w->value("layer", "") == "group:line-3" &&
                   w->value("state", "") == "running";
        },
        60s));
    // The group's document drops it too: one definition left, the conflict is gone.
    REQUIRE(broker.pub({"-t", group_topic("line-3"), "-r", "-m", desired(5, {})}) == 0);
    REQUIRE(eventually(
        [&] {
            auto reported = json_lines(sub, "/edge-1/reported");
            return !reported.empty() && reported.back()["conflicts"].empty() &&
                   node.daemon.workload("web") &&
                   node.daemon.workload("web")->value("layer", "") == "files";
        },
        60s));
    CHECK(eventually(
        [&] {
            for (const auto& e : json_lines(sub, "/edge-1/events"))
                if (e["kind"] == "layer-conflict-resolved" && e["workload"] == "web") return true;
            return false;
        },
        60s));
    CHECK(node.daemon.stop() == 0);
}
