// Health as the local bus and the fleet see it: the real edgevisord on a private dbus-daemon
// and a real mosquitto at once. `busctl monitor --json=short` (a client we did not write)
// follows the bus, mosquitto_sub the broker: a workload becoming ready, its liveness probe
// failing, the restart that follows, and the node's own figures (load, memory, edgevisord's
// CPU and RSS) on D-Bus (NodeResources) and MQTT (metrics, reported).
#include <catch2/catch.hpp>
#include <fstream>

#include "../dbus/bus_support.hpp"
#include "../mqtt/fleet_support.hpp"
#include "skip.hpp"

using namespace edgevisor::testing;
using nlohmann::json;

namespace {

// busctl monitor's messages (one JSON object a line), read as they come.
class BusMonitor {
  public:
    explicit BusMonitor(const PrivateBus& bus)
        : process_({"busctl", "--address=" + bus.address(), "--json=short", "monitor",
                    "org.edgevisor.Supervisor1"}) {}
    // Waits (generously) until a message satisfies `match`.
    bool saw(const std::function<bool(const json&)>& match,
             std::chrono::seconds deadline = std::chrono::seconds(60)) {
        const auto until = std::chrono::steady_clock::now() + deadline;
        do {
            std::istringstream lines(process_.read_until("\x01", std::chrono::seconds(1)));
            for (std::string line; std::getline(lines, line);) {
                auto message = json::parse(line, nullptr, false);
                if (message.is_object() && match(message)) return true;
            }
        } while (std::chrono::steady_clock::now() < until);
        return false;
    }

  private:
    Background process_;
};

// An Event signal of `workload` with this kind (and text in its message).
std::function<bool(const json&)> event_signal(const std::string& workload, const std::string& kind,
                                              const std::string& text = "") {
    return [=](const json& m) {
        if (m.value("member", "") != "Event") return false;
        const auto& data = m["payload"]["data"];
        return data.size() == 5 && data[2] == workload && data[3] == kind &&
               data[4].get<std::string>().find(text) != std::string::npos;
    };
}

// A PropertiesChanged signal of the object at `path` that carries `property` = `value` (busctl
// prints the a{sv} of changed properties as an object of {"type", "data"}).
std::function<bool(const json&)> property_changed(const std::string& path,
                                                  const std::string& property, const json& value) {
    return [=](const json& m) {
        if (m.value("member", "") != "PropertiesChanged" || m.value("path", "") != path)
            return false;
        const auto& data = m["payload"]["data"];
        return data.size() >= 2 && data[1].is_object() && data[1].contains(property) &&
               data[1][property]["data"] == value;
    };
}

bool mqtt_event(const Subscriber& sub, const std::string& workload, const std::string& kind,
                const std::string& text = "") {
    for (const auto& e : json_lines(sub, "/edge-h/events"))
        if (e["workload"] == workload && e["kind"] == kind &&
            e["message"].get<std::string>().find(text) != std::string::npos)
            return true;
    return false;
}

json reported_workload(const Subscriber& sub, const std::string& name) {
    auto reported = json_lines(sub, "/edge-h/reported");
    if (reported.empty()) return nullptr;
    for (const auto& w : reported.back()["workloads"])
        if (w["name"] == name) return w;
    return nullptr;
}

std::uint64_t meminfo_total_bytes() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    std::uint64_t kib = 0;
    while (in >> key >> kib)
        if (key == "MemTotal:") return kib * 1024;
    return 0;
}

}  // namespace

TEST_CASE(
    "health on the bus and the fleet: ready, a failing liveness probe and its restart are "
    "signals, properties and MQTT events, and the node's figures are on both",
    "[health][dbus][mqtt]") {
    require_root();
    PrivateBus bus;
    Broker broker;
    Daemon d("dbus: {bus: \"" + bus.address() + "\", adminGroup: nogroup}\nmqtt: {url: \"" +
                 broker.url() +
                 "\", reconnect: {initial: 200ms, max: 1s}, metricsInterval: 1s}\n"
                 "supervisor: {sampleInterval: 200ms}\n",
             "{id: edge-h}");
    Subscriber sub(broker,
                   {"edgevisor/v1/nodes/edge-h/events", "edgevisor/v1/nodes/edge-h/reported",
                    "edgevisor/v1/nodes/edge-h/metrics"});
    d.start();
    REQUIRE(d.wait_for([](const Json& s) { return s.value("ready", false); }, 60s));
    BusMonitor monitor(bus);
    // The monitor is in place once it sees a call of ours (it may miss the first ones).
    bool monitoring = false;
    for (int i = 0; i < 60 && !monitoring; ++i) {
        busctl(bus, {"get-property", "org.edgevisor.Supervisor1", "/org/edgevisor/Supervisor1",
                     "org.edgevisor.Supervisor1", "NodeId"});
        monitoring = monitor.saw([](const json& m) { return m.value("member", "") == "Get"; },
                                 std::chrono::seconds(1));
    }
    REQUIRE(monitoring);

    const std::string ready = d.dir() + "/ready", fail = d.dir() + "/fail";
    d.write_manifest(
        "svc.yaml",
        workload_yaml("svc",
                      "  command: [/bin/sleep, \"1000\"]\n"
                      "  stopTimeout: 5s\n"
                      "  restart: {policy: always, backoff: {initial: 100ms, max: 1s}}\n"
                      "  health:\n"
                      "    readiness: {exec: [/bin/sh, -c, \"test -e " +
                          ready +
                          "\"], interval: 200ms}\n"
                          "    liveness:\n"
                          "      exec: [/bin/sh, -c, \"if [ -e " +
                          fail +
                          " ]; then echo disk full; exit 1; fi\"]\n"
                          "      interval: 200ms\n      failureThreshold: 2\n"
                          "  isolation: {init: true, mounts: [{type: bind, source: " +
                          d.dir() + ", target: " + d.dir() + ", readOnly: false}]}\n"));
    REQUIRE(d.wait_state("svc", "running", 60s));
    const std::string path = "/org/edgevisor/Supervisor1/workload/svc";
    auto health = [&] {
        return busctl(bus, {"get-property", "org.edgevisor.Supervisor1", path,
                            "org.edgevisor.Supervisor1.Workload", "Health"})
            .out;
    };
    CHECK(health() == "s \"starting\"\n");

    std::ofstream(ready) << "1\n";
    // D-Bus: WorkloadChanged with the new health, PropertiesChanged of Health, the ready event.
    CHECK(monitor.saw([&](const json& m) {
        return m.value("member", "") == "WorkloadChanged" &&
               m["payload"]["data"] == json::array({"svc", path, "running", "healthy"});
    }));
    CHECK(monitor.saw(property_changed(path, "Health", "healthy")));
    CHECK(monitor.saw(event_signal("svc", "ready", "readiness probe passed")));
    CHECK(health() == "s \"healthy\"\n");
    // MQTT: the event, and the reported state's health.
    CHECK(
        eventually([&] { return mqtt_event(sub, "svc", "ready", "readiness probe passed"); }, 60s));
    CHECK(eventually(
        [&] {
            auto w = reported_workload(sub, "svc");
            return !w.is_null() && w["health"] == "healthy";
        },
        60s));

    // The liveness probe fails: probe-failed, then unhealthy and a restart by the probe.
    std::ofstream(fail) << "1\n";
    CHECK(monitor.saw(event_signal("svc", "probe-failed", "liveness: exit 1: disk full")));
    CHECK(monitor.saw(event_signal("svc", "unhealthy", "liveness failed: exit 1: disk full")));
    std::filesystem::remove(fail);
    CHECK(monitor.saw(property_changed(path, "Restarts", 1)));
    CHECK(eventually(
        [&] { return mqtt_event(sub, "svc", "probe-failed", "liveness: exit 1: disk full"); },
        60s));
    CHECK(eventually(
        [&] { return mqtt_event(sub, "svc", "unhealthy", "liveness failed: exit 1: disk full"); },
        60s));
    CHECK(eventually(
        [&] {
            auto w = reported_workload(sub, "svc");
            return !w.is_null() && w["restarts"].get<int>() >= 1 &&
                   w["lastExit"].get<std::string>().starts_with(
                       "liveness failed: exit 1: disk full") &&
                   w["state"] == "running" && w["health"] == "healthy";
        },
        60s));
    auto last_exit = busctl(bus, {"get-property", "org.edgevisor.Supervisor1", path,
                                  "org.edgevisor.Supervisor1.Workload", "LastExit"});
    CHECK(last_exit.out.rfind("s \"liveness failed: exit 1: disk full", 0) == 0);

    // The node's figures: on D-Bus when asked, in every metrics message and in reported.
    const std::uint64_t total = meminfo_total_bytes();
    REQUIRE(total > 0);
    auto resources =
        busctl(bus, {"--json=short", "get-property", "org.edgevisor.Supervisor1",
                     "/org/edgevisor/Supervisor1", "org.edgevisor.Supervisor1", "NodeResources"});
    INFO(resources.out << resources.err);
    REQUIRE(resources.code == 0);
    auto figures = json::parse(resources.out, nullptr, false);
    REQUIRE(figures.is_object());
    CHECK(figures["type"] == "(dddtttdt)");
    const auto& r = figures["data"];
    REQUIRE(r.size() == 8);
    CHECK(r[3].get<std::uint64_t>() == total);
    CHECK(r[4].get<std::uint64_t>() > 0);
    CHECK(r[4].get<std::uint64_t>() <= total);
    CHECK(r[5].get<std::uint64_t>() > 0);        // edgevisord has used some CPU
    CHECK(r[7].get<std::uint64_t>() > 1000000);  // and holds more than a MB
    CHECK(r[7].get<std::uint64_t>() < total);
    REQUIRE(eventually(
        [&] {
            auto metrics = json_lines(sub, "/edge-h/metrics");
            return !metrics.empty() && metrics.back().contains("resources");
        },
        60s));
    auto m = json_lines(sub, "/edge-h/metrics").back()["resources"];
    CHECK(m["memoryTotalBytes"].get<std::uint64_t>() == total);
    CHECK(m["load"].size() == 3);
    CHECK(m["supervisorRssBytes"].get<std::uint64_t>() > 1000000);
    CHECK(json_lines(sub, "/edge-h/reported").back()["resources"]["memoryTotalBytes"] == total);
    CHECK(d.stop() == 0);
}
