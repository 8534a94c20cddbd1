// TLS to a real mosquitto with certificates the test makes with the openssl CLI: the server
// certificate must chain to the configured CA and name the host of the url (hostname
// verification is on unless the config turns it off), and a refusal says why.
#include <catch2/catch.hpp>

#include "channel_support.hpp"
#include "pki.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;

namespace {

struct TlsNode {
    std::filesystem::path state = make_temp_dir("mqtt-state");
    PaperControl control;
    std::unique_ptr<telemetry::mqtt::Channel> channel;

    TlsNode(const Broker& broker, const std::filesystem::path& ca, bool verify_hostname = true) {
        manifests::MqttConfig config;
        manifests::BrokerUrl url;
        REQUIRE(manifests::parse_broker_url(broker.url(), url).empty());
        config.urls.push_back(url);
        config.ca_file = ca.string();
        config.verify_hostname = verify_hostname;
        config.reconnect_initial = std::chrono::milliseconds(200);
        auto made = telemetry::mqtt::Channel::create(config, {"n1", {}, state, "t"}, control);
        REQUIRE(made);
        channel = std::move(*made);
    }
    ~TlsNode() {
        channel.reset();
        std::error_code ec;
        std::filesystem::remove_all(state, ec);
    }
    bool until(const std::function<bool()>& done) {
        return drive_until(*channel, control, done, std::chrono::seconds(30));
    }
};

}  // namespace

TEST_CASE("TLS with the right CA and a certificate for the host connects") {
    Pki pki("IP:127.0.0.1,DNS:localhost");
    Broker broker(BrokerTls{pki.ca, pki.cert, pki.key});
    TlsNode node(broker, pki.ca);
    REQUIRE(node.until([&] { return node.channel->counters().connected; }));
}

TEST_CASE("TLS with the wrong CA is refused and says the certificate did not verify") {
    Pki pki("IP:127.0.0.1,DNS:localhost");
    Broker broker(BrokerTls{pki.ca, pki.cert, pki.key});
    TlsNode node(broker, pki.other_ca);
    REQUIRE(node.until([&] { return node.channel->counters().connect_failures >= 1; }));
    auto counters = node.channel->counters();
    CHECK_FALSE(counters.connected);
    INFO(counters.last_error);
    CHECK(counters.last_error.find("certificate verify failed") != std::string::npos);
}

TEST_CASE("TLS with a server certificate for another host is refused and says so") {
    Pki pki("DNS:broker.other.example");
    Broker broker(BrokerTls{pki.ca, pki.cert, pki.key});
    TlsNode node(broker, pki.ca);
    REQUIRE(node.until([&] { return node.channel->counters().connect_failures >= 1; }));
    auto counters = node.channel->counters();
    CHECK_FALSE(counters.connected);
    INFO(counters.last_error);
    CHECK(counters.last_error.find("does not name 127.0.0.1") != std::string::npos);

    // verifyHostname: false accepts it (the chain still has to verify).
    TlsNode lax(broker, pki.ca, false);
    REQUIRE(lax.until([&] { return lax.channel->counters().connected; }));
}
