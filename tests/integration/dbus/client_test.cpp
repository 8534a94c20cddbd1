// telemetry/dbus's Client (what edgectl uses) against the service on a private bus.
#include <catch2/catch.hpp>

#include "bus_support.hpp"
#include "edgevisor/telemetry/dbus_client.hpp"
#include "service_thread.hpp"

using namespace edgevisor::testing;
using edgevisor::telemetry::ApplyOutcome;
using edgevisor::telemetry::dbus::Client;
using edgevisor::telemetry::dbus::Notification;
namespace client_error = edgevisor::telemetry::dbus::client_error;

namespace {

const char* kTwo = R"(apiVersion: edgevisor/v1
kind: Workload
metadata:
  name: sensor-reader
spec:
  command: ["/bin/sleep", "1000"]
---
apiVersion: edgevisor/v1
kind: Workload
metadata:
  name: web-dashboard
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

std::unique_ptr<Client> connect(const PrivateBus& bus) {
    auto client = Client::connect(bus.address());
    REQUIRE(client);
    return std::move(*client);
}

}  // namespace

TEST_CASE("client: apply, status, get, stop and remove round-trip", "[dbus]") {
    PrivateBus bus;
    ServiceThread service(bus.address());
    auto client = connect(bus);

    auto applied = client->apply(kTwo, "two.yaml", false);
    REQUIRE(applied);
    CHECK(applied->outcome == ApplyOutcome::applied);
    CHECK(applied->revision == 1);
    REQUIRE(applied->plan.size() == 2);
    CHECK(applied->plan[0].workload == "sensor-reader");
    CHECK(applied->plan[0].action == "create");

    auto node = client->status();
    REQUIRE(node);
    CHECK(node->node_id == "test-node");
    CHECK(node->version == "0.1.0-test");
    CHECK(node->groups == std::vector<std::string>{"line-3"});
    REQUIRE(node->layers.size() == 1);
    CHECK(node->layers[0].revision == 1);
    REQUIRE(node->workloads.size() == 2);
    CHECK(node->workloads[1].name == "web-dashboard");
    CHECK(node->workloads[1].state == "running");
    CHECK(node->workloads[1].pid == 4242);

    REQUIRE(client->stop("web-dashboard"));
    auto stopped = client->workload("web-dashboard");
    REQUIRE(stopped);
    CHECK(stopped->state == "exited");

    REQUIRE(client->remove("web-dashboard"));
    auto gone = client->workload("web-dashboard");
    REQUIRE_FALSE(gone);
    CHECK(gone.error().step == client_error::kNoSuchWorkload);
    auto unknown = client->restart("no-such");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().step == client_error::kNoSuchWorkload);
    CHECK(unknown.error().message == "no workload 'no-such'");
}

TEST_CASE("client: a broken document changes nothing and comes back with file:line:col", "[dbus]") {
    PrivateBus bus;
    ServiceThread service(bus.address());
    auto client = connect(bus);
    REQUIRE(client->apply(kTwo, "two.yaml", false));

    auto rejected = client->apply(kBroken, "bad.yaml", false);
    REQUIRE(rejected);
    CHECK(rejected->outcome == ApplyOutcome::rejected);
    REQUIRE(rejected->diagnostics.size() == 1);
    CHECK(rejected->diagnostics[0].format().rfind("bad.yaml:4:9: metadata.name: 'Bad'", 0) == 0);
    CHECK(rejected->diagnostics[0].rule == "name-format");
    auto node = client->status();
    REQUIRE(node);
    CHECK(node->workloads.size() == 2);
    CHECK(node->layers[0].revision == 1);
}

TEST_CASE("client: a dry run returns the plan and changes nothing", "[dbus]") {
    PrivateBus bus;
    ServiceThread service(bus.address());
    auto client = connect(bus);
    auto plan = client->apply(kTwo, "two.yaml", true);
    REQUIRE(plan);
    CHECK(plan->outcome == ApplyOutcome::applied);
    CHECK(plan->plan.size() == 2);
    auto node = client->status();
    REQUIRE(node);
    CHECK(node->workloads.empty());
    CHECK(node->layers[0].revision == 0);
}

TEST_CASE("client: events and logs, with their bounds", "[dbus]") {
    PrivateBus bus;
    ServiceThread service(bus.address());
    auto client = connect(bus);
    REQUIRE(client->apply(kTwo, "two.yaml", false));
    service.post([&] {
        for (std::uint64_t seq = 1; seq <= 5; ++seq)
            service.control.event_log.push_back({seq, 1000 + static_cast<std::int64_t>(seq),
                                                 "sensor-reader", "state",
                                                 "event " + std::to_string(seq)});
        service.control.log_lines["sensor-reader"] = {"one", "two", "three"};
    });
    auto events = client->events(2, 2);
    REQUIRE(events);
    REQUIRE(events->size() == 2);
    CHECK((*events)[0].seq == 3);
    CHECK((*events)[1].message == "event 4");
    auto too_many = client->events(0, 10001);
    REQUIRE_FALSE(too_many);
    CHECK(too_many.error().step == client_error::kInvalidArgs);

    auto logs = client->logs("sensor-reader", 2);
    REQUIRE(logs);
    CHECK(*logs == std::vector<std::string>{"two", "three"});
    auto none = client->logs("nope", 2);
    REQUIRE_FALSE(none);
    CHECK(none.error().step == client_error::kNoSuchWorkload);
}

TEST_CASE("client: signals arrive for changes, events and the daemon's exit", "[dbus]") {
    PrivateBus bus;
    auto service = std::make_unique<ServiceThread>(bus.address());
    auto client = connect(bus);
    REQUIRE(client->subscribe());
    REQUIRE(client->apply(kTwo, "two.yaml", false));
    std::vector<Notification> seen;
    for (int i = 0; i < 50 && seen.size() < 2; ++i) {
        auto got = client->wait(std::chrono::milliseconds(200));
        REQUIRE(got);
        seen.insert(seen.end(), got->begin(), got->end());
    }
    REQUIRE(seen.size() >= 2);
    CHECK(seen[0].kind == Notification::Kind::workload_changed);
    CHECK(seen[0].workload == "sensor-reader");

    service->post([&] {
        edgevisor::telemetry::Event e{7, 1234, "web-dashboard", "probe-failed", "tcp 8080"};
        service->control.observer->event(e);
    });
    auto event = client->wait(std::chrono::seconds(10));
    REQUIRE(event);
    REQUIRE(event->size() == 1);
    CHECK((*event)[0].kind == Notification::Kind::event);
    CHECK((*event)[0].event.seq == 7);
    CHECK((*event)[0].event.message == "tcp 8080");

    service.reset();
    auto gone = client->wait(std::chrono::seconds(10));
    REQUIRE(gone);
    REQUIRE(gone->size() >= 1);
    CHECK(gone->back().kind == Notification::Kind::daemon_gone);
    auto after = client->status();
    REQUIRE_FALSE(after);
    CHECK(after.error().step == client_error::kNotRunning);
}

TEST_CASE("client: no service on the bus, and no bus at all, are 'not running'", "[dbus]") {
    PrivateBus bus;
    auto client = connect(bus);
    auto status = client->status();
    REQUIRE_FALSE(status);
    CHECK(status.error().step == client_error::kNotRunning);

    auto nobus = Client::connect("unix:path=" + (bus.dir() / "no-such-socket").string());
    REQUIRE_FALSE(nobus);
    CHECK(nobus.error().step == client_error::kNotRunning);
}
