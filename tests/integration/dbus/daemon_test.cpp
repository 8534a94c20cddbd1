// End to end: the real edgevisord serving org.edgevisor.Supervisor1 on a private bus (its node
// config's dbus.bus), driven by edgectl and by busctl, a client we did not write.
#include <catch2/catch.hpp>
#include <thread>

#include "node_support.hpp"
#include "skip.hpp"

using namespace edgevisor::testing;

TEST_CASE("e2e: edgectl status, list and show of the real daemon's workloads", "[dbus]") {
    require_root();
    Node node;
    auto status = node.edgectl({"status"});
    CHECK(status.out.rfind("node test-node, edgevisor ", 0) == 0);
    CHECK(has(status.out, "NAME           STATE    HEALTH  RESTARTS  CPU"));
    CHECK(has(status.out, "\nsensor-reader  running  -       0  "));
    auto show = node.edgectl({"show", "sensor-reader", "-o", "json"});
    REQUIRE(show.code == 0);
    auto w = nlohmann::json::parse(show.out);
    CHECK(w["layer"] == "files");
    CHECK(w["pid"].get<std::int64_t>() > 0);
    CHECK(w["path"] == "/org/edgevisor/Supervisor1/workload/sensor_2dreader");
    CHECK(node.until({"logs", "sensor-reader"},
                     [](const std::string& out) { return has(out, "hello from sensor-reader"); }));
    auto events = node.edgectl({"events", "-o", "json"});
    REQUIRE(events.code == 0);
    CHECK_FALSE(nlohmann::json::parse(events.out).empty());
    CHECK(node.daemon.stop() == 0);
}

TEST_CASE("e2e: apply over D-Bus, dry runs and broken documents, delete", "[dbus]") {
    require_root();
    Node node;
    const auto good = node.file("web.yaml", sleeper("web-dashboard"));
    auto dry = node.edgectl({"apply", "--dry-run", good.string()});
    INFO(dry.err);
    REQUIRE(dry.code == 0);
    CHECK(dry.out == "+ web-dashboard: created\ndry run: nothing was changed\n");
    CHECK_FALSE(has(node.edgectl({"list"}).out, "web-dashboard"));

    auto applied = node.edgectl({"apply", "--wait", good.string()});
    INFO(applied.err << node.daemon.daemon_output());
    REQUIRE(applied.code == 0);
    CHECK(has(applied.out, "+ web-dashboard: created\n"));
    CHECK(has(applied.out, "ready: 1 workload running and healthy\n"));
    auto pid_before =
        nlohmann::json::parse(node.edgectl({"show", "sensor-reader", "-o", "json"}).out)["pid"];

    const auto bad = node.file("bad.yaml",
                               "apiVersion: edgevisor/v1\nkind: Workload\n"
                               "metadata: {name: Bad}\nspec: {command: [/bin/true]}\n");
    auto rejected = node.edgectl({"apply", bad.string()});
    INFO(rejected.err);
    CHECK(rejected.code == 1);
    CHECK(has(rejected.err, bad.string() + ":3:18: metadata.name: 'Bad' is not a valid name"));
    CHECK(has(rejected.err, "rejected: nothing was applied"));
    auto after = node.edgectl({"list"}).out;
    CHECK(has(after, "web-dashboard  running"));
    CHECK(nlohmann::json::parse(node.edgectl({"show", "sensor-reader", "-o", "json"}).out)["pid"] ==
          pid_before);

    REQUIRE(node.edgectl({"delete", "web-dashboard"}).code == 0);
    CHECK(node.until({"list"}, [](const std::string& out) { return !has(out, "web-dashboard"); }));
    CHECK(node.daemon.stop() == 0);
}

TEST_CASE("e2e: busctl monitor sees PropertiesChanged when edgectl restarts a workload", "[dbus]") {
    require_root();
    Node node;
    Background monitor(
        {"busctl", "--address=" + node.bus.address(), "monitor", "org.edgevisor.Supervisor1"});
    node.wait_until_seen(monitor);
    const auto before =
        nlohmann::json::parse(node.edgectl({"show", "sensor-reader", "-o", "json"}).out)["pid"];
    auto restart = node.edgectl({"restart", "sensor-reader"});
    INFO(restart.err);
    REQUIRE(restart.code == 0);
    // A restart gives the workload a new process: its Pid changes, and says so.
    const std::string seen = monitor.read_until("\"Pid\"");
    INFO(seen);
    const auto changed = seen.find("Member=PropertiesChanged");
    REQUIRE(changed != std::string::npos);
    CHECK(has(seen.substr(changed), "Path=/org/edgevisor/Supervisor1/workload/sensor_2dreader"));
    CHECK(has(seen.substr(changed), "STRING \"Pid\";"));
    CHECK(node.until({"show", "sensor-reader", "-o", "json"}, [&](const std::string& out) {
        if (out.empty()) return false;
        auto w = nlohmann::json::parse(out);
        return w["state"] == "running" && w["pid"] != before && w["pid"] != 0;
    }));
    CHECK(node.daemon.stop() == 0);
}

TEST_CASE("e2e: another user reads the real daemon's status and is refused apply and stop",
          "[dbus]") {
    require_root();
    Node node("");  // root only
    auto read = node.edgectl({"status"}, true);
    INFO(read.err);
    CHECK(read.code == 0);
    CHECK(has(read.out, "sensor-reader  running"));
    auto stop = node.edgectl({"stop", "sensor-reader"}, true);
    CHECK(stop.code == 4);
    CHECK(stop.err == "edgectl: Stop needs root\n");
    auto apply = node.edgectl({"apply", node.file("x.yaml", sleeper("x")).string()}, true);
    CHECK(apply.code == 4);
    CHECK(apply.err == "edgectl: Apply needs root\n");
    CHECK(has(node.edgectl({"list"}).out, "sensor-reader  running"));
    // busctl introspects the real service and reads a property, as any user.
    auto introspect = busctl(node.bus,
                             {"introspect", "org.edgevisor.Supervisor1",
                              "/org/edgevisor/Supervisor1", "org.edgevisor.Supervisor1"},
                             true);
    CHECK(has(introspect.out, ".Apply"));
    auto count = busctl(node.bus,
                        {"get-property", "org.edgevisor.Supervisor1", "/org/edgevisor/Supervisor1",
                         "org.edgevisor.Supervisor1", "WorkloadCount"},
                        true);
    CHECK(count.out == "u 1\n");
    CHECK(node.daemon.stop() == 0);
}

TEST_CASE("e2e: edgectl start and stop on the real daemon, and its exit seen by events -f",
          "[dbus]") {
    require_root();
    Node node;
    REQUIRE(node.edgectl({"stop", "sensor-reader"}).code == 0);
    CHECK(node.until({"list"}, [](const std::string& out) {
        return has(out, "sensor-reader  exited") || has(out, "sensor-reader  stopped");
    }));
    REQUIRE(node.edgectl({"start", "sensor-reader"}).code == 0);
    CHECK(node.until({"list"},
                     [](const std::string& out) { return has(out, "sensor-reader  running"); }));
    Background follow({EDGEVISOR_EDGECTL, "--bus", node.bus.address(), "events", "-f"});
    follow.read_until("sensor-reader", std::chrono::seconds(5));
    CHECK(node.daemon.stop() == 0);
    CHECK(follow.stop() == 3);  // "edgevisord stopped": exit 3 before SIGTERM could matter
}

TEST_CASE("e2e: a restarted daemon reports the persisted api revision (DesiredRevision)",
          "[dbus]") {
    require_root();
    Node node;
    REQUIRE(
        node.edgectl({"apply", node.file("web.yaml", sleeper("web-dashboard")).string()}).code ==
        0);
    CHECK(has(node.edgectl({"status"}).out, ", revision 1: "));
    REQUIRE(node.daemon.stop() == 0);
    // The bus name is taken before the layers are loaded: the daemon's ready event re-reads
    // them, so the revision is right once the workloads run.
    node.daemon.start();
    REQUIRE(node.daemon.wait_state("web-dashboard", "running"));
    auto status = node.edgectl({"status"});
    INFO(status.out << status.err << node.daemon.daemon_output());
    CHECK(has(status.out, ", revision 1: "));
    CHECK(node.daemon.stop() == 0);
}

TEST_CASE("e2e: edgectl status shows the node's figures and layer conflicts, as text and JSON",
          "[dbus]") {
    require_root();
    Node node("nogroup", "supervisor: {sampleInterval: 100ms}\n");
    // Figures once the daemon sampled: "load L1 L5 L15, memory A available of T, edgevisord C
    // cores R RSS" on the line after the node's.
    REQUIRE(node.until({"status"}, [](const std::string& out) { return has(out, "\nload "); }));
    auto status = node.edgectl({"status"});
    INFO(status.out);
    const auto second = status.out.substr(status.out.find('\n') + 1);
    CHECK(second.rfind("load ", 0) == 0);
    CHECK(has(second.substr(0, second.find('\n')), " available of "));
    CHECK(has(second.substr(0, second.find('\n')), " RSS"));
    auto doc = nlohmann::json::parse(node.edgectl({"status", "-o", "json"}).out);
    const auto& resources = doc["node"]["resources"];
    CHECK(resources["load"].size() == 3);
    CHECK(resources["memoryTotalBytes"].get<std::uint64_t>() > 0);
    CHECK(resources["memoryAvailableBytes"].get<std::uint64_t>() <=
          resources["memoryTotalBytes"].get<std::uint64_t>());
    CHECK(resources["supervisorRssBytes"].get<std::uint64_t>() > 0);
    CHECK(doc["node"]["conflicts"] == nlohmann::json::array());
    CHECK_FALSE(has(status.out, "conflict"));

    // web in the api layer, then in a manifest file too (the daemon sees the file by inotify,
    // outside any D-Bus call): api wins over files, and edgectl says so.
    const auto api_file = node.file("web.yaml", sleeper("web"));
    REQUIRE(node.edgectl({"apply", api_file.string()}).code == 0);
    Background monitor(
        {"busctl", "--address=" + node.bus.address(), "monitor", "org.edgevisor.Supervisor1"});
    node.wait_until_seen(monitor);
    const std::size_t mark = monitor.read_until("", std::chrono::seconds(0)).size();
    node.daemon.write_manifest("web.yaml", sleeper("web"));
    // Announced as it happens: a PropertiesChanged of the manager object (not of a workload)
    // that names Conflicts, among the messages busctl printed after the file was written.
    auto announced = [&](const std::string& text) {
        const std::string start = "\u2023 Type=";
        for (auto at = text.find(start, mark); at != std::string::npos;) {
            const auto next = text.find(start, at + start.size());
            const std::string message = text.substr(at, next - at);
            if (has(message, "Member=PropertiesChanged") &&
                has(message, "Path=/org/edgevisor/Supervisor1 ") &&
                has(message, "STRING \"Conflicts\";"))
                return true;
            at = next;
        }
        return false;
    };
    std::string seen;
    for (int i = 0; i < 20 && !announced(seen); ++i)
        seen = monitor.read_until("(never printed)", std::chrono::seconds(1));
    INFO(seen.substr(mark));
    CHECK(announced(seen));
    const std::string line = "conflict: web: api (" + api_file.string() +
                             ":1:1) wins over files (" + node.daemon.manifest_path("web.yaml") +
                             ":1:1)\n";
    CHECK(node.until({"status"}, [&](const std::string& out) { return has(out, line); }));
    doc = nlohmann::json::parse(node.edgectl({"status", "-o", "json"}).out);
    INFO(doc.dump(2));
    REQUIRE(doc["node"]["conflicts"].size() == 1);
    const auto& conflict = doc["node"]["conflicts"][0];
    CHECK(conflict["workload"] == "web");
    CHECK(conflict["layer"] == "api");
    CHECK(conflict["source"] == api_file.string() + ":1:1");
    REQUIRE(conflict["shadowed"].size() == 1);
    CHECK(conflict["shadowed"][0]["layer"] == "files");
    CHECK(conflict["shadowed"][0]["source"] == node.daemon.manifest_path("web.yaml") + ":1:1");
    // busctl, a client we did not write, reads the same from the Conflicts property.
    auto property =
        busctl(node.bus, {"get-property", "org.edgevisor.Supervisor1", "/org/edgevisor/Supervisor1",
                          "org.edgevisor.Supervisor1", "Conflicts"});
    CHECK(property.out == "a(sssa(ss)) 1 \"web\" \"api\" \"" + api_file.string() +
                              ":1:1\" 1 \"files\" \"" + node.daemon.manifest_path("web.yaml") +
                              ":1:1\"\n");

    // Out of the api layer: the file's definition alone, no conflict left.
    REQUIRE(node.edgectl({"delete", "web"}).code == 0);
    CHECK(node.until({"status"}, [](const std::string& out) { return !has(out, "conflict"); }));
    doc = nlohmann::json::parse(node.edgectl({"status", "-o", "json"}).out);
    CHECK(doc["node"]["conflicts"] == nlohmann::json::array());
    CHECK(node.daemon.stop() == 0);
}
