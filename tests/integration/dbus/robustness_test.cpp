// What a peer can send must not hurt the service: huge and malformed messages, calls whose
// caller is gone before the reply, garbage on the bus socket.
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>

#include <catch2/catch.hpp>

#include "bus_support.hpp"
#include "edgevisor/telemetry/dbus_client.hpp"
#include "service_thread.hpp"

using namespace edgevisor::testing;
using edgevisor::telemetry::dbus::Client;

namespace {

// The service answers and has not counted a process() error.
void still_serving(const PrivateBus& bus, ServiceThread& service) {
    auto client = Client::connect(bus.address());
    REQUIRE(client);
    auto node = (*client)->status();
    INFO((node ? "" : node.error().describe()));
    REQUIRE(node);
    CHECK(node->node_id == "test-node");
    int errors = -1;
    service.post([&] { errors = service.process_errors; });
    CHECK(errors == 0);
}

sd_bus* open_raw(const PrivateBus& bus) {
    sd_bus* raw = nullptr;
    REQUIRE(sd_bus_new(&raw) >= 0);
    REQUIRE(sd_bus_set_address(raw, bus.address().c_str()) >= 0);
    REQUIRE(sd_bus_set_bus_client(raw, 1) >= 0);
    REQUIRE(sd_bus_start(raw) >= 0);
    return raw;
}

}  // namespace

TEST_CASE("a huge Apply is answered with an error and the service keeps serving", "[dbus]") {
    PrivateBus bus;
    ServiceThread service(bus.address());
    auto client = Client::connect(bus.address());
    REQUIRE(client);
    // 16 MiB: within the bus's message limit, far beyond the manifest reader's 1 MiB.
    std::string huge(16u << 20, '#');
    auto result = (*client)->apply(huge, "huge.yaml", false);
    REQUIRE(result);
    REQUIRE(result->diagnostics.size() == 1);
    CHECK(result->diagnostics[0].rule == "file-too-large");
    still_serving(bus, service);
}

TEST_CASE("calls with wrong arguments, members or objects get errors, not a dead service",
          "[dbus]") {
    PrivateBus bus;
    ServiceThread service(bus.address());
    const std::vector<std::vector<std::string>> bad = {
        {"/org/edgevisor/Supervisor1", "org.edgevisor.Supervisor1", "Apply", "i", "7"},
        {"/org/edgevisor/Supervisor1", "org.edgevisor.Supervisor1", "Stop", "u", "1"},
        {"/org/edgevisor/Supervisor1", "org.edgevisor.Supervisor1", "GetLogs", "su", "x", "0"},
        {"/org/edgevisor/Supervisor1", "org.edgevisor.Supervisor1", "GetEvents", "tu", "0", "0"},
        {"/org/edgevisor/Supervisor1", "org.edgevisor.Supervisor1", "NoSuchMethod"},
        {"/org/edgevisor/Supervisor1/workload/nope", "org.edgevisor.Supervisor1.Workload", "X"},
        {"/org/edgevisor/Supervisor1", "org.edgevisor.Supervisor1", "GetWorkload", "s", ""},
    };
    for (const auto& call : bad) {
        std::vector<std::string> args = {"call", "org.edgevisor.Supervisor1"};
        args.insert(args.end(), call.begin(), call.end());
        auto out = busctl(bus, args);
        INFO(call[2] << ": " << out.err);
        CHECK(out.code != 0);
        CHECK_FALSE(out.err.empty());
    }
    still_serving(bus, service);
}

TEST_CASE("callers that disconnect before the reply do not hurt the service", "[dbus]") {
    PrivateBus bus;
    ServiceThread service(bus.address());
    for (int i = 0; i < 20; ++i) {
        sd_bus* raw = open_raw(bus);
        sd_bus_message* call = nullptr;
        REQUIRE(sd_bus_message_new_method_call(raw, &call, "org.edgevisor.Supervisor1",
                                               "/org/edgevisor/Supervisor1",
                                               "org.edgevisor.Supervisor1", "ListWorkloads") >= 0);
        REQUIRE(sd_bus_send(raw, call, nullptr) >= 0);
        sd_bus_message_unref(call);
        sd_bus_flush(raw);
        sd_bus_close_unref(raw);
    }
    still_serving(bus, service);
}

TEST_CASE("garbage on the bus socket does not reach or hurt the service", "[dbus]") {
    PrivateBus bus;
    ServiceThread service(bus.address());
    const std::string path = (bus.dir() / "system_bus_socket").string();
    for (int i = 0; i < 5; ++i) {
        edgevisor::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
        REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        const char garbage[] = "\0AUTH EXTERNAL 30\r\nBEGIN\r\nl\1\0\1\xff\xff\xff\x7f garbage";
        (void)!::write(fd.get(), garbage, sizeof garbage);
    }
    still_serving(bus, service);
}

TEST_CASE("a reply far larger than the socket buffer arrives whole", "[dbus]") {
    PrivateBus bus;
    ServiceThread service(bus.address());
    auto client = Client::connect(bus.address());
    REQUIRE(client);
    REQUIRE((*client)->apply(R"(apiVersion: edgevisor/v1
kind: Workload
metadata: {name: chatty}
spec: {command: ["/bin/true"]}
)",
                             "chatty.yaml", false));
    service.post([&] {
        auto& lines = service.control.log_lines["chatty"];
        for (int i = 0; i < 50000; ++i) lines.push_back(std::to_string(i) + std::string(100, '.'));
    });
    auto logs = (*client)->logs("chatty", 100000);
    REQUIRE(logs);
    REQUIRE(logs->size() == 50000);
    CHECK(logs->back() == "49999" + std::string(100, '.'));
    still_serving(bus, service);
}

TEST_CASE("a signal the bus could not take at once goes out when the bus reads again", "[dbus]") {
    // sd-bus writes what the socket takes and queues the rest, which goes out only if the
    // loop then waits for POLLOUT: the poll data must be re-read before every wait. The bus
    // daemon is stopped while the service emits, so the write cannot complete at once (24 MiB:
    // sd-bus raises its socket buffer to 8 MiB).
    PrivateBus bus;
    ServiceThread service(bus.address());
    auto client = Client::connect(bus.address());
    REQUIRE(client);
    REQUIRE((*client)->subscribe());
    REQUIRE(::kill(bus.daemon_pid(), SIGSTOP) == 0);
    const std::string big(24u << 20, 'x');
    service.post([&] { service.control.observer->event({1, 2, "", "big", big}); });
    REQUIRE(::kill(bus.daemon_pid(), SIGCONT) == 0);
    std::vector<edgevisor::telemetry::dbus::Notification> seen;
    for (int i = 0; i < 50 && seen.empty(); ++i) {
        auto got = (*client)->wait(std::chrono::milliseconds(200));
        REQUIRE(got);
        seen = *got;
    }
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].event.message.size() == big.size());
    still_serving(bus, service);
}
