// edgectl's D-Bus commands as a user runs them: a real edgectl process against the service
// on a private bus (the in-test Control behind it).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "bus_support.hpp"
#include "service_thread.hpp"

using namespace edgevisor::testing;

namespace {

const char* kSensor = R"(apiVersion: edgevisor/v1
kind: Workload
metadata:
  name: sensor-reader
spec:
  command: ["/bin/sleep", "1000"]
)";

const char* kBroken = R"(apiVersion: edgevisor/v1
kind: Workload
metadata:
  name: Bad
spec:
  command: ["/bin/sleep", "1000"]
)";

struct Setup {
    PrivateBus bus;
    ServiceThread service{bus.address()};
    std::filesystem::path file(const std::string& name, const std::string& text) const {
        auto path = bus.dir() / name;
        write_text(path, text);
        return path;
    }
    Outcome edgectl(std::vector<std::string> args, bool as_nobody = false) const {
        args.insert(args.begin(), {EDGEVISOR_EDGECTL, "--bus", bus.address()});
        if (as_nobody)
            args.insert(args.begin(),
                        {"setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"});
        return run(args);
    }
    void apply_sensor() const {
        auto out = edgectl({"apply", file("sensor.yaml", kSensor).string()});
        INFO(out.err);
        REQUIRE(out.code == 0);
    }
};

}  // namespace

TEST_CASE("edgectl status: the node, then NAME STATE HEALTH RESTARTS CPU MEM UPTIME", "[dbus]") {
    Setup s;
    s.apply_sensor();
    auto out = s.edgectl({"status"});
    INFO(out.err);
    REQUIRE(out.code == 0);
    CHECK(out.out.rfind("node test-node, edgevisor 0.1.0-test, revision 1: 1 workloads, 1 running, "
                        "0 failed\nNAME           STATE    HEALTH  RESTARTS  CPU  MEM  UPTIME\n"
                        "sensor-reader  running  -       0         -    -    ",
                        0) == 0);
    CHECK(out.out.find('\033') == std::string::npos);  // no colour into a pipe

    auto json = s.edgectl({"status", "-o", "json"});
    REQUIRE(json.code == 0);
    auto doc = nlohmann::json::parse(json.out);
    CHECK(doc["node"]["id"] == "test-node");
    CHECK(doc["node"]["running"] == 1);
    CHECK(doc["workloads"][0]["name"] == "sensor-reader");
    CHECK(doc["workloads"][0]["pid"] == 4242);
    CHECK(doc["workloads"][0]["path"] == "/org/edgevisor/Supervisor1/workload/sensor_2dreader");
}

TEST_CASE("edgectl status colours states on a terminal only", "[dbus]") {
    Setup s;
    s.apply_sensor();
    // script(1) gives edgectl a pseudo-terminal as stdout.
    auto out = run({"script", "-qec",
                    std::string(EDGEVISOR_EDGECTL) + " --bus " + s.bus.address() + " status",
                    "/dev/null"});
    INFO(out.out << out.err);
    REQUIRE(out.code == 0);
    CHECK(out.out.find("\033[32mrunning\033[0m") != std::string::npos);
}

TEST_CASE("edgectl list and show, as text and JSON", "[dbus]") {
    Setup s;
    s.apply_sensor();
    auto list = s.edgectl({"list"});
    REQUIRE(list.code == 0);
    CHECK(list.out ==
          "NAME           STATE    HEALTH  LAYER  PID\n"
          "sensor-reader  running  -       api    4242\n");
    auto show = s.edgectl({"show", "sensor-reader"});
    REQUIRE(show.code == 0);
    CHECK(show.out.find("name:       sensor-reader\nstate:      running\n") != std::string::npos);
    CHECK(show.out.find("object:     /org/edgevisor/Supervisor1/workload/sensor_2dreader") !=
          std::string::npos);
    auto json = s.edgectl({"show", "sensor-reader", "-o", "json"});
    REQUIRE(json.code == 0);
    CHECK(nlohmann::json::parse(json.out)["layer"] == "api");
    auto missing = s.edgectl({"show", "nope"});
    CHECK(missing.code == 5);
    CHECK(missing.err == "edgectl: no workload 'nope'\n");
}

TEST_CASE("edgectl apply: the plan, dry runs, broken files change nothing", "[dbus]") {
    Setup s;
    const auto good = s.file("sensor.yaml", kSensor);
    const auto bad = s.file("bad.yaml", kBroken);

    auto dry = s.edgectl({"apply", "--dry-run", good.string()});
    INFO(dry.err);
    REQUIRE(dry.code == 0);
    CHECK(dry.out == "+ sensor-reader: created\ndry run: nothing was changed\n");
    CHECK(s.edgectl({"list"}).out == "NAME  STATE  HEALTH  LAYER  PID\n");

    auto both = s.edgectl({"apply", good.string(), bad.string()});
    CHECK(both.code == 1);
    CHECK(both.err.rfind(bad.string() + ":4:9: metadata.name: 'Bad' is not a valid name", 0) == 0);
    CHECK(both.err.find("[name-format]\nrejected: nothing was applied\n") != std::string::npos);
    CHECK(s.edgectl({"list"}).out == "NAME  STATE  HEALTH  LAYER  PID\n");

    auto applied = s.edgectl({"apply", good.string()});
    REQUIRE(applied.code == 0);
    CHECK(applied.out == "+ sensor-reader: created\n" + good.string() + ": applied, revision 1\n");
    auto again = s.edgectl({"apply", good.string()});
    REQUIRE(again.code == 0);
    CHECK(again.out == good.string() + ": unchanged\n");

    auto unreadable = s.edgectl({"apply", (s.bus.dir() / "missing.yaml").string()});
    CHECK(unreadable.code == 2);
}

TEST_CASE("edgectl apply --wait: ready, or which workload did not get there", "[dbus]") {
    Setup s;
    auto ready = s.edgectl({"apply", "--wait", s.file("sensor.yaml", kSensor).string()});
    INFO(ready.err);
    REQUIRE(ready.code == 0);
    CHECK(ready.out.find("sensor-reader: running\nready: 1 workload running and healthy\n") !=
          std::string::npos);

    s.service.post([&] {
        s.service.control.applied_state = "crash-loop";
        s.service.control.applied_last_exit = "exited 1";
    });
    std::string other = kSensor;
    other.replace(other.find("sensor-reader"), 13, "other-one");
    auto failed = s.edgectl({"apply", "--wait", s.file("other.yaml", other).string()});
    CHECK(failed.code == 1);
    CHECK(failed.err == "edgectl: other-one did not start: other-one: crash-loop (exited 1)\n");
}

TEST_CASE("edgectl start, stop, restart, delete, and exit 4 for others", "[dbus]") {
    Setup s;
    s.apply_sensor();
    auto refused = s.edgectl({"stop", "sensor-reader"}, true);
    CHECK(refused.code == 4);
    CHECK(refused.err == "edgectl: Stop needs root\n");
    auto read = s.edgectl({"status"}, true);
    CHECK(read.code == 0);

    REQUIRE(s.edgectl({"stop", "sensor-reader"}).code == 0);
    CHECK(s.edgectl({"list"}).out.find("sensor-reader  exited") != std::string::npos);
    REQUIRE(s.edgectl({"start", "sensor-reader"}).code == 0);
    REQUIRE(s.edgectl({"restart", "sensor-reader"}).code == 0);
    CHECK(nlohmann::json::parse(
              s.edgectl({"show", "sensor-reader", "-o", "json"}).out)["restarts"] == 1);
    REQUIRE(s.edgectl({"delete", "sensor-reader"}).code == 0);
    auto gone = s.edgectl({"delete", "sensor-reader"});
    CHECK(gone.code == 5);
    CHECK(gone.err == "edgectl: no workload 'sensor-reader'\n");
}

TEST_CASE("edgectl logs and events, and following events", "[dbus]") {
    Setup s;
    s.apply_sensor();
    s.service.post([&] {
        s.service.control.log_lines["sensor-reader"] = {"one", "two", "three"};
        s.service.control.event_log.push_back(
            {1, 1700000000000, "sensor-reader", "state", "running"});
        s.service.control.event_log.push_back({2, 1700000001000, "", "apply", "revision 1"});
    });
    auto logs = s.edgectl({"logs", "sensor-reader", "-n", "2"});
    REQUIRE(logs.code == 0);
    CHECK(logs.out == "two\nthree\n");
    auto events = s.edgectl({"events"});
    REQUIRE(events.code == 0);
    CHECK(events.out ==
          "2023-11-14T22:13:20.000Z  1      sensor-reader        state          running\n"
          "2023-11-14T22:13:21.000Z  2      (node)               apply          revision 1\n");
    auto json = s.edgectl({"events", "-n", "1", "-o", "json"});
    REQUIRE(json.code == 0);
    CHECK(nlohmann::json::parse(json.out)[0]["seq"] == 2);

    Background follow({EDGEVISOR_EDGECTL, "--bus", s.bus.address(), "events", "-f", "-o", "json"});
    REQUIRE(follow.read_until("\"seq\":2").find("\"seq\":2") != std::string::npos);
    s.service.post([&] {
        s.service.control.observer->event(
            {3, 1700000002000, "sensor-reader", "probe-failed", "tcp"});
    });
    CHECK(follow.read_until("\"seq\":3").find("\"kind\":\"probe-failed\"") != std::string::npos);
}

TEST_CASE("edgectl says in one line that edgevisord is not running", "[dbus]") {
    PrivateBus bus;  // a bus, but no service on it
    auto out = run({EDGEVISOR_EDGECTL, "--bus", bus.address(), "status"});
    CHECK(out.code == 3);
    CHECK(out.err == "edgectl: edgevisord is not running on the bus at " + bus.address() + "\n");
    auto nobus = run({EDGEVISOR_EDGECTL, "list"},
                     {"DBUS_SYSTEM_BUS_ADDRESS=unix:path=" + (bus.dir() / "none").string()});
    CHECK(nobus.code == 3);
    CHECK(nobus.err == "edgectl: edgevisord is not running on the system bus\n");
}

TEST_CASE("edgectl --help lists the D-Bus commands, each has its own --help", "[dbus]") {
    auto help = run({EDGEVISOR_EDGECTL, "--help"});
    CHECK(help.code == 0);
    for (const char* command : {"status", "list", "show", "logs", "events", "apply", "delete",
                                "start", "stop", "restart", "run", "validate"})
        CHECK(help.out.find(std::string("  ") + command + " ") != std::string::npos);
    auto apply_help = run({EDGEVISOR_EDGECTL, "apply", "--help"});
    CHECK(apply_help.code == 0);
    CHECK(apply_help.out.find("--dry-run") != std::string::npos);
    auto bad = run({EDGEVISOR_EDGECTL, "status", "--no-such-option"});
    CHECK(bad.code == 2);
}
