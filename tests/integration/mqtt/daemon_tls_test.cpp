// The fleet channel over TLS end to end: the real edgevisord against a real mosquitto whose only
// listener is TLS with client certificates required, certificates made by the test with the
// openssl CLI. The test's own clients (mosquitto_pub, mosquitto_sub) reach it over TLS with a
// certificate of the same CA; a node with the wrong CA, a certificate of another CA or broken
// key files is refused, says why in its log, keeps its workloads and stops cleanly.
#include "fleet_support.hpp"
#include "pki.hpp"
#include "skip.hpp"

using namespace edgevisor::testing;
using nlohmann::json;

namespace {

std::string tls_keys(const std::filesystem::path& ca, const std::filesystem::path& cert,
                     const std::filesystem::path& key) {
    return "caFile: " + ca.string() + ", certFile: " + cert.string() + ", keyFile: " + key.string();
}

// A TLS-only broker that requires client certificates, and the test's PKI.
struct TlsFleet {
    Pki pki{"IP:127.0.0.1,DNS:localhost"};
    Broker broker{BrokerTls{pki.ca, pki.cert, pki.key, true, pki.client_args()}};
    TlsFleet() { require_root(); }

    // mosquitto_pub's exit status with these connection options instead of the good ones.
    [[nodiscard]] int pub_with(const std::string& options) const {
        std::string cmd = "mosquitto_pub -h 127.0.0.1 -p " + std::to_string(broker.port()) +
                          " -q 1 -t edgevisor-test/x -m x " + options + " >/dev/null 2>&1";
        return std::system(cmd.c_str());
    }
};

const std::string kLocalWorkload = workload_yaml(
    "local", "  command: [/bin/sleep, \"1000\"]\n  stopTimeout: 5s\n  isolation: {init: true}\n");

std::size_t count(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
    return n;
}

}  // namespace

TEST_CASE_METHOD(TlsFleet,
                 "e2e TLS: a push over mutual TLS runs on the node, and acks, status and reported "
                 "come back over TLS",
                 "[mqtt][tls]") {
    // The listener is TLS only and wants a client certificate: a plain client and a client
    // without a certificate are refused, the test's own client gets in.
    CHECK(pub_with("") != 0);
    CHECK(pub_with("--cafile " + pki.ca.string()) != 0);
    REQUIRE(broker.pub({"-t", "edgevisor-test/x", "-m", "x"}) == 0);

    FleetNode node(broker, "edge-1", {"line-3"}, "",
                   tls_keys(pki.ca, pki.client_cert, pki.client_key));
    Subscriber sub(broker, {node.topic("ack"), node.topic("status"), node.topic("reported")});
    node.daemon.start();
    REQUIRE(eventually([&] { return last_status(sub, "edge-1") == "online"; }, 60s));
    CHECK(node.daemon.daemon_output().find("mqtt: connected to ssl://127.0.0.1:") !=
          std::string::npos);

    REQUIRE(broker.pub({"-t", node.topic("desired"), "-r", "-m", desired(1, {"web"})}) == 0);
    REQUIRE(node.daemon.wait_state("web", "running", 60s));
    REQUIRE(eventually([&] { return !find_ack(sub, "edge-1", "APPLIED", 1).is_null(); }, 60s));
    auto received = find_ack(sub, "edge-1", "RECEIVED", 1);
    REQUIRE_FALSE(received.is_null());
    CHECK(received["plan"][0]["workload"] == "web");
    // The state reported back: web running in the node layer, with its pid.
    const auto pid = node.daemon.workload("web")->value("pid", std::int64_t{0});
    REQUIRE(eventually(
        [&] {
            for (const auto& r : json_lines(sub, "/edge-1/reported"))
                for (const auto& w : r["workloads"])
                    if (w["name"] == "web" && w["state"] == "running" && w["pid"] == pid &&
                        w["layer"] == "node")
                        return true;
            return false;
        },
        60s));
    CHECK(node.daemon.stop() == 0);
    REQUIRE(eventually([&] { return last_status(sub, "edge-1") == "offline"; }, 60s));
}

TEST_CASE_METHOD(TlsFleet,
                 "e2e TLS: a wrong CA, a certificate of another CA, a missing or mismatched key: "
                 "refused, the reason in the daemon's log, workloads kept, a clean stop",
                 "[mqtt][tls]") {
    const auto missing_key = pki.dir / "provisioned-later.key";
    struct Case {
        std::string id, keys, says;
    };
    const std::vector<Case> cases{
        {"wrong-ca", tls_keys(pki.other_ca, pki.client_cert, pki.client_key),
         "TLS refused: certificate verify failed"},
        // The broker's refusal shows as its TLS alert or, when the link broke before the alert
        // was read, as the hint; both name the client certificate.
        {"rogue-cert", tls_keys(pki.ca, pki.rogue_cert, pki.rogue_key), "client certificate"},
        {"missing-key", tls_keys(pki.ca, pki.client_cert, missing_key),
         "mqtt.keyFile " + missing_key.string() + ": No such file or directory"},
        {"wrong-key", tls_keys(pki.ca, pki.client_cert, pki.rogue_key),
         "mqtt.keyFile " + pki.rogue_key.string() +
             ": does not belong to the certificate in "
             "mqtt.certFile " +
             pki.client_cert.string()},
    };
    Subscriber sub(broker, {"edgevisor/v1/nodes/+/status"});
    std::vector<std::unique_ptr<FleetNode>> nodes;
    for (const auto& c : cases) {
        nodes.push_back(
            std::make_unique<FleetNode>(broker, c.id, std::vector<std::string>{"g"}, "", c.keys));
        nodes.back()->daemon.write_manifest("local.yaml", kLocalWorkload);
        nodes.back()->daemon.start();
    }
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO(cases[i].id);
        auto& daemon = nodes[i]->daemon;
        // Refused at least twice (it keeps trying), with the reason each time.
        REQUIRE(eventually(
            [&] {
                return count(daemon.daemon_output(), "mqtt: cannot connect to " + broker.url()) >=
                       2;
            },
            60s));
        auto log = daemon.daemon_output();
        INFO(log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
        CHECK(log.find(cases[i].says) != std::string::npos);
        CHECK(log.find("mqtt: connected") == std::string::npos);
        CHECK(process_alive(daemon.pid()));
        CHECK(daemon.wait_state("local", "running", 60s));
        CHECK(last_status(sub, cases[i].id).empty());
    }
    // The key provisioned later: the next attempt reads it and the node comes online.
    std::filesystem::copy_file(pki.client_key, missing_key);
    REQUIRE(eventually([&] { return last_status(sub, "missing-key") == "online"; }, 60s));
    // Every daemon stops cleanly, also while a connect attempt is under way.
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO(cases[i].id);
        CHECK(nodes[i]->daemon.stop() == 0);
        CHECK(nodes[i]->daemon.daemon_output().find("terminate called") == std::string::npos);
    }
}
