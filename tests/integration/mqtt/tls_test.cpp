// TLS to a real mosquitto with certificates the test makes with the openssl CLI: the server
// certificate must chain to the configured CA and name the host of the url (hostname
// verification is on unless the config turns it off), and a refusal says why.
#include <catch2/catch.hpp>

#include "channel_support.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;

namespace {

void openssl(const std::string& args) {
    std::string cmd = "openssl " + args + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
}

// A CA, and a server certificate for `san` signed by it, in dir.
struct Pki {
    std::filesystem::path dir = make_temp_dir("pki");
    std::filesystem::path ca, other_ca, cert, key;

    explicit Pki(const std::string& san) {
        if (!program_exists("openssl")) skip("the openssl CLI is not installed");
        auto p = [&](const char* name) { return (dir / name).string(); };
        ca = p("ca.pem");
        other_ca = p("other-ca.pem");
        cert = p("server.pem");
        key = p("server.key");
        openssl("req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout " +
                p("ca.key") + " -out " + ca.string());
        openssl("req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca -keyout " +
                p("other-ca.key") + " -out " + other_ca.string());
        openssl("req -newkey rsa:2048 -nodes -subj /CN=broker -keyout " + key.string() + " -out " +
                p("server.csr"));
        write_file(dir / "ext.cnf", "subjectAltName=" + san + "\n");
        openssl("x509 -req -days 2 -in " + p("server.csr") + " -CA " + ca.string() + " -CAkey " +
                p("ca.key") + " -CAcreateserial -extfile " + p("ext.cnf") + " -out " +
                cert.string());
    }
    ~Pki() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

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
