// The service as other D-Bus clients see it: busctl introspects, reads and calls; busctl
// monitor follows PropertiesChanged; a caller of another uid reads and is refused changes.
#include <catch2/catch.hpp>
#include <regex>
#include <set>

#include "bus_support.hpp"
#include "edgevisor/telemetry/dbus.hpp"
#include "service_thread.hpp"

using namespace edgevisor::testing;
using edgevisor::telemetry::WorkloadStatus;

namespace {

const char* kSensor = R"(apiVersion: edgevisor/v1
kind: Workload
metadata:
  name: sensor-reader
spec:
  command: ["/bin/sleep", "1000"]
)";

// Puts one workload in place through the service's own Apply (as root).
void apply_sensor(const PrivateBus& bus) {
    auto out = busctl(bus, {"call", "org.edgevisor.Supervisor1", "/org/edgevisor/Supervisor1",
                            "org.edgevisor.Supervisor1", "Apply", "ssb", kSensor, "test", "false"});
    INFO(out.err);
    REQUIRE(out.code == 0);
    REQUIRE(out.out.find("\"applied\"") != std::string::npos);
}

// "name type signature" of each member of one interface in the XML, in busctl's terms:
// methods "method <in> <out>", properties "property <type>", signals "signal <args>".
std::set<std::string> xml_members(const std::string& interface) {
    const std::string xml =
        read_text(EDGEVISOR_SOURCE_DIR "/telemetry/dbus/org.edgevisor.Supervisor1.xml");
    const auto begin = xml.find("<interface name=\"" + interface + "\">");
    REQUIRE(begin != std::string::npos);
    const std::string body = xml.substr(begin, xml.find("</interface>", begin) - begin);
    std::set<std::string> members;
    std::regex member(R"rx(<(method|signal|property) name="(\w+)"( type="([^"]+)")?[^>]*?(/?)>)rx");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), member);
         it != std::sregex_iterator(); ++it) {
        const std::string kind = (*it)[1], name = (*it)[2];
        if (kind == "property") {
            members.insert("." + name + " property " + (*it)[4].str());
            continue;
        }
        std::string in, out;
        const auto start = static_cast<std::size_t>(it->position() + it->length());
        const auto end = body.find("</" + kind + ">", start);
        const std::string args = (*it)[5] == "/" ? "" : body.substr(start, end - start);
        std::regex arg(R"rx(<arg (?:name="\w+" )?type="([^"]+)"(?: direction="(in|out)")?)rx");
        for (auto a = std::sregex_iterator(args.begin(), args.end(), arg);
             a != std::sregex_iterator(); ++a)
            ((*a)[2] == "out" ? out : in) += (*a)[1].str();
        members.insert("." + name + " " + kind + " " + (in.empty() ? "-" : in) +
                       (kind == "method" ? " " + (out.empty() ? "-" : out) : ""));
    }
    return members;
}

// The same from `busctl introspect` of the running service.
std::set<std::string> busctl_members(const PrivateBus& bus, const std::string& path,
                                     const std::string& interface) {
    auto out = busctl(bus, {"introspect", "--no-pager", "--no-legend", "org.edgevisor.Supervisor1",
                            path, interface});
    INFO(out.err);
    REQUIRE(out.code == 0);
    std::set<std::string> members;
    std::istringstream lines(out.out);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string name, kind, signature, result;
        words >> name >> kind >> signature >> result;
        if (kind == "interface" || name.empty()) continue;
        members.insert(name + " " + kind + " " + signature +
                       (kind == "method" ? " " + result : ""));
    }
    return members;
}

}  // namespace

TEST_CASE("busctl introspects exactly the interfaces of the XML contract", "[dbus]") {
    PrivateBus bus;
    ServiceThread service(bus.address());
    apply_sensor(bus);
    CHECK(busctl_members(bus, "/org/edgevisor/Supervisor1", "org.edgevisor.Supervisor1") ==
          xml_members("org.edgevisor.Supervisor1"));
    CHECK(busctl_members(bus, "/org/edgevisor/Supervisor1/workload/sensor_2dreader",
                         "org.edgevisor.Supervisor1.Workload") ==
          xml_members("org.edgevisor.Supervisor1.Workload"));
}

TEST_CASE("busctl reads the node's properties and lists workloads", "[dbus]") {
    PrivateBus bus;
    ServiceThread service(bus.address());
    apply_sensor(bus);

    auto node = busctl(bus, {"get-property", "org.edgevisor.Supervisor1",
                             "/org/edgevisor/Supervisor1", "org.edgevisor.Supervisor1", "NodeId",
                             "WorkloadCount", "RunningCount", "DesiredRevision"});
    INFO(node.err);
    REQUIRE(node.code == 0);
    CHECK(node.out == "s \"test-node\"\nu 1\nu 1\nt 1\n");

    auto list = busctl(bus, {"call", "org.edgevisor.Supervisor1", "/org/edgevisor/Supervisor1",
                             "org.edgevisor.Supervisor1", "ListWorkloads"});
    REQUIRE(list.code == 0);
    CHECK(list.out.find("\"sensor-reader\" \"running\"") != std::string::npos);
    CHECK(list.out.find("/org/edgevisor/Supervisor1/workload/sensor_2dreader") !=
          std::string::npos);
}

TEST_CASE("a workload name with dashes has the object path systemd's escaping gives", "[dbus]") {
    CHECK(edgevisor::telemetry::dbus::workload_path("sensor-reader") ==
          "/org/edgevisor/Supervisor1/workload/sensor_2dreader");
    CHECK(edgevisor::telemetry::dbus::workload_path("a1") ==
          "/org/edgevisor/Supervisor1/workload/a1");

    PrivateBus bus;
    ServiceThread service(bus.address());
    apply_sensor(bus);
    auto tree = busctl(bus, {"tree", "--list", "org.edgevisor.Supervisor1"});
    REQUIRE(tree.code == 0);
    CHECK(tree.out.find("/org/edgevisor/Supervisor1/workload/sensor_2dreader\n") !=
          std::string::npos);
    auto name = busctl(bus, {"get-property", "org.edgevisor.Supervisor1",
                             "/org/edgevisor/Supervisor1/workload/sensor_2dreader",
                             "org.edgevisor.Supervisor1.Workload", "Name", "State", "Pid"});
    REQUIRE(name.code == 0);
    CHECK(name.out == "s \"sensor-reader\"\ns \"running\"\nx 4242\n");
}

TEST_CASE("GetManagedObjects returns every workload with its properties in one call", "[dbus]") {
    PrivateBus bus;
    ServiceThread service(bus.address());
    apply_sensor(bus);
    auto all = busctl(
        bus, {"call", "--json=short", "org.edgevisor.Supervisor1", "/org/edgevisor/Supervisor1",
              "org.freedesktop.DBus.ObjectManager", "GetManagedObjects"});
    INFO(all.err);
    REQUIRE(all.code == 0);
    CHECK(all.out.find("\"/org/edgevisor/Supervisor1/workload/sensor_2dreader\"") !=
          std::string::npos);
    CHECK(all.out.find("\"State\":{\"type\":\"s\",\"data\":\"running\"}") != std::string::npos);
}

TEST_CASE("busctl monitor sees PropertiesChanged when a workload restarts", "[dbus]") {
    PrivateBus bus;
    ServiceThread service(bus.address());
    apply_sensor(bus);
    Background monitor(
        {"busctl", "--address=" + bus.address(), "monitor", "org.edgevisor.Supervisor1"});
    // busctl prints the bus's NameAcquired-like greeting only when it monitors; wait for
    // the monitor to be in place by calling until it reports our call.
    for (int i = 0; i < 100; ++i) {
        busctl(bus, {"call", "org.edgevisor.Supervisor1", "/org/edgevisor/Supervisor1",
                     "org.edgevisor.Supervisor1", "ListWorkloads"});
        if (monitor.read_until("Member=ListWorkloads", std::chrono::seconds(1))
                .find("Member=ListWorkloads") != std::string::npos)
            break;
    }
    auto restart = busctl(bus, {"call", "org.edgevisor.Supervisor1", "/org/edgevisor/Supervisor1",
                                "org.edgevisor.Supervisor1", "Restart", "s", "sensor-reader"});
    INFO(restart.err);
    REQUIRE(restart.code == 0);
    const std::string seen = monitor.read_until("Restarts");
    const auto changed = seen.find("Member=PropertiesChanged");
    INFO(seen);
    REQUIRE(changed != std::string::npos);
    CHECK(seen.find("Path=/org/edgevisor/Supervisor1/workload/sensor_2dreader", 0) !=
          std::string::npos);
    CHECK(seen.find("STRING \"Restarts\";", changed) != std::string::npos);
    CHECK(seen.find("UINT32 1;", changed) != std::string::npos);
}

TEST_CASE("a caller who is not root reads everything and is refused every change", "[dbus]") {
    PrivateBus bus;
    ServiceThread service(bus.address());
    apply_sensor(bus);

    auto read = busctl(bus,
                       {"get-property", "org.edgevisor.Supervisor1", "/org/edgevisor/Supervisor1",
                        "org.edgevisor.Supervisor1", "NodeId"},
                       true);
    INFO(read.err);
    REQUIRE(read.code == 0);
    CHECK(read.out == "s \"test-node\"\n");
    auto list = busctl(bus,
                       {"call", "org.edgevisor.Supervisor1", "/org/edgevisor/Supervisor1",
                        "org.edgevisor.Supervisor1", "ListWorkloads"},
                       true);
    CHECK(list.code == 0);

    const std::vector<std::vector<std::string>> changes = {
        {"Stop", "s", "sensor-reader"},         {"Start", "s", "sensor-reader"},
        {"Restart", "s", "sensor-reader"},      {"Remove", "s", "sensor-reader"},
        {"Apply", "ssb", kSensor, "x", "true"},
    };
    for (const auto& change : changes) {
        std::vector<std::string> args = {"call", "org.edgevisor.Supervisor1",
                                         "/org/edgevisor/Supervisor1", "org.edgevisor.Supervisor1"};
        args.insert(args.end(), change.begin(), change.end());
        auto refused = busctl(bus, args, true);
        INFO(change[0] << ": " << refused.err);
        CHECK(refused.code != 0);
        // busctl shows a well-known error name as its errno text.
        CHECK(refused.err.find("Access denied") != std::string::npos);
    }
    // dbus-send shows the error's name and message as sent.
    auto named = run({"setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                      "dbus-send", "--bus=" + bus.address(), "--print-reply",
                      "--dest=org.edgevisor.Supervisor1", "/org/edgevisor/Supervisor1",
                      "org.edgevisor.Supervisor1.Stop", "string:sensor-reader"});
    CHECK(named.code != 0);
    CHECK(named.err.find("Error org.freedesktop.DBus.Error.AccessDenied: Stop needs root") !=
          std::string::npos);
    std::size_t applies = 0;
    std::string state;
    std::uint32_t restarts = 99;
    service.post([&] {
        applies = service.control.applies;
        state = service.control.workloads.at("sensor-reader").state;
        restarts = service.control.workloads.at("sensor-reader").restarts;
    });
    CHECK(applies == 1);  // apply_sensor's, as root
    CHECK(state == "running");
    CHECK(restarts == 0);
}

TEST_CASE("members of dbus.adminGroup may change the node", "[dbus]") {
    // nobody's primary group is nogroup (65534) on Debian: no user or group is created.
    PrivateBus bus;
    ServiceThread service(bus.address(), "nogroup");
    apply_sensor(bus);
    auto stop = busctl(bus,
                       {"call", "org.edgevisor.Supervisor1", "/org/edgevisor/Supervisor1",
                        "org.edgevisor.Supervisor1", "Stop", "s", "sensor-reader"},
                       true);
    INFO(stop.err);
    CHECK(stop.code == 0);
    std::string state;
    service.post([&] { state = service.control.workloads.at("sensor-reader").state; });
    CHECK(state == "exited");
}
