// Payload checks, topics and apply tracking of the fleet channel, without a broker.
#include <catch2/catch.hpp>

#include "apply_tracker.hpp"
#include "payload_checks.hpp"
#include "tls_trace.hpp"
#include "topics.hpp"

using namespace edgevisor::telemetry;
using namespace edgevisor::telemetry::mqtt::detail;

namespace {

std::string at(const std::string& text) {
    auto bad = find_invalid_utf8(text);
    return bad ? std::to_string(bad->line) + ":" + std::to_string(bad->column) : "valid";
}

WorkloadStatus workload(std::string name, std::string state, std::string hash) {
    WorkloadStatus s;
    s.name = std::move(name);
    s.state = std::move(state);
    s.spec_hash = std::move(hash);
    return s;
}

}  // namespace

TEST_CASE("invalid UTF-8 is found at its line and column") {
    CHECK(at("plain ascii\n") == "valid");
    CHECK(at("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") == "valid");
    CHECK(at("ab\n\xC3\x28") == "2:1");       // bad continuation
    CHECK(at("a\xC0\xAF") == "1:2");          // overlong '/'
    CHECK(at("\xED\xA0\x80") == "1:1");       // UTF-16 surrogate
    CHECK(at("x\xF4\x90\x80\x80") == "1:2");  // above U+10FFFF
    CHECK(at("\xE2\x82") == "1:1");           // truncated
    CHECK(at("\xC3\xA9\xFF") == "1:3");       // columns count bytes
}

TEST_CASE("topics of a node and the layer each desired topic feeds") {
    auto topics = Topics::make("edgevisor/v1", "n1", {"line-3", "eu"});
    REQUIRE(topics);
    CHECK(topics->node_desired == "edgevisor/v1/nodes/n1/desired");
    CHECK(topics->status == "edgevisor/v1/nodes/n1/status");
    CHECK(topics->layer_of("edgevisor/v1/nodes/n1/desired") == "node");
    CHECK(topics->layer_of("edgevisor/v1/groups/eu/desired") == "group:eu");
    CHECK(topics->layer_of("edgevisor/v1/groups/other/desired").empty());
    CHECK(topics->subscriptions().size() == 4);
    CHECK_FALSE(Topics::make("edgevisor/v1", "n/1", {}));
    CHECK_FALSE(Topics::make("edgevisor/#", "n1", {}));
}

TEST_CASE(
    "a revision is APPLIED once its workloads run with the new spec and deleted ones are gone") {
    ApplyTracker tracker;
    auto none =
        tracker.start("node", "t", 4,
                      {{"web", "create"}, {"db", "replace"}, {"old", "delete"}, {"cfg", "update"}},
                      {{"web", "h-web"}, {"db", "h-db2"}});
    CHECK(none.empty());
    CHECK(tracker.changed(workload("web", "running", "h-web")).empty());
    CHECK(tracker.changed(workload("db", "running", "h-db1")).empty());  // still the old spec
    CHECK(tracker.changed(workload("db", "running", "h-db2")).empty());
    auto done = tracker.removed("old");
    REQUIRE(done.size() == 1);
    CHECK(done[0].status == "APPLIED");
    CHECK(done[0].revision == 4);
}

TEST_CASE("a workload that fails makes its revision PARTIAL, and a newer one SUPERSEDES it") {
    ApplyTracker tracker;
    tracker.start("group:g", "t", 1, {{"a", "create"}, {"b", "create"}}, {});
    WorkloadStatus failing = workload("b", "crash-loop", "x");
    failing.last_exit = "exited 3";
    CHECK(tracker.changed(failing).empty());
    auto done = tracker.changed(workload("a", "running", "y"));
    REQUIRE(done.size() == 1);
    CHECK(done[0].status == "PARTIAL");
    CHECK(done[0].failed == std::vector<std::string>{"b: crash-loop (exited 3)"});

    tracker.start("node", "t", 2, {{"a", "replace"}}, {{"a", "new"}});
    auto superseded = tracker.start("node", "t", 3, {{"a", "replace"}}, {{"a", "newer"}});
    REQUIRE(superseded.size() == 1);
    CHECK(superseded[0].status == "SUPERSEDED");
    CHECK(superseded[0].revision == 2);
    NodeStatus now;
    now.workloads.push_back(workload("a", "running", "newer"));
    auto checked = tracker.check(now);
    REQUIRE(checked.size() == 1);
    CHECK(checked[0].revision == 3);
}

TEST_CASE("Paho's TLS trace lines become the reasons a person reads") {
    TlsTrace trace;
    // A host-name miss that the certificate's IP address then matches is no refusal.
    CHECK_FALSE(trace.line("X509_check_host for hostname 127.0.0.1 failed, rc 0"));
    CHECK_FALSE(trace.line("rc from X509_check_ip_asc is 1"));
    CHECK_FALSE(trace.line("X509_check_host for hostname 127.0.0.1 failed, rc 0"));
    CHECK(trace.line("rc from X509_check_ip_asc is 0").value_or("") ==
          "the server certificate does not name 127.0.0.1 (hostname verification; "
          "verifyHostname: false turns it off)");
    CHECK(trace.line("SSL alert write:fatal:unknown CA")
              .value_or("")
              .rfind("certificate verify failed (unknown CA)", 0) == 0);
    CHECK(trace.line("SSL alert read:fatal:unknown")
              .value_or("")
              .find("client certificate (TLS alert 'certificate required'") != std::string::npos);
    CHECK_FALSE(trace.handshake_done());
    CHECK_FALSE(trace.line("SSL connect:SSL negotiation finished successfully"));
    CHECK(trace.handshake_done());
    // A link broken after the handshake hints at the client certificate; an MQTT refusal not.
    CHECK(connect_failure("", true, false, -1).find("may require a client certificate") !=
          std::string::npos);
    CHECK(connect_failure("", true, true, 5) == "not authorized");
    CHECK(connect_failure("x", true, true, -1) == "TLS refused: x");
}
