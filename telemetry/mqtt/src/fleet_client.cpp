// FleetClient over Paho's async client used synchronously (waiting on tokens is fine here: this
// is a command-line program's own thread, never a Paho callback).
#include "edgevisor/telemetry/fleet_client.hpp"

#include "connect_options.hpp"
#include "nodelay.hpp"
#include "paho_bridge.hpp"
#include "tls_files.hpp"
#include "tls_trace.hpp"

namespace edgevisor::telemetry::mqtt {
namespace {

class PahoFleetClient final : public FleetClient {
  public:
    PahoFleetClient() : bridge_(inbox_) {}

    Status open(const manifests::MqttConfig& config, std::chrono::milliseconds timeout) {
        if (auto opened = inbox_.open(); !opened) return opened;
        try {
            client_ = detail::make_client(config, {});
            client_->start_consuming();
            // No will: an operator's command is not a node.
            if (std::string why = detail::check_tls_files(config); !why.empty())
                return fail("mqtt.connect",
                            "cannot connect to " + detail::urls_text(config) + ": " + why);
            auto options = detail::make_connect_options(config, "", "");
            options.set_connect_timeout(static_cast<int>(std::max<std::int64_t>(
                1, std::chrono::duration_cast<std::chrono::seconds>(timeout).count())));
            if (detail::uses_tls(config)) bridge_.watch_tls_trace();
            client_->connect(options)->wait();
            bridge_.unwatch_tls_trace();
            std::vector<int> ports;
            for (const auto& url : config.urls) ports.push_back(url.port);
            detail::set_nodelay_to_ports(ports);  // nodelay.hpp says why
            return {};
        } catch (const ::mqtt::exception& e) {
            bridge_.unwatch_tls_trace();
            std::string tls;
            bool handshake_done = false;
            for (const auto& in : inbox_.take()) {
                if (in.kind == detail::Inbound::Kind::tls_error && tls.find(in.text) == tls.npos)
                    tls += (tls.empty() ? "" : "; ") + in.text;
                handshake_done |= in.kind == detail::Inbound::Kind::tls_handshake_done;
            }
            std::string why = detail::connect_failure(
                tls, handshake_done, !config.cert_file.empty(), e.get_return_code());
            return fail("mqtt.connect",
                        "cannot connect to " + detail::urls_text(config) + ": " + why);
        } catch (const std::exception& e) {
            return fail("mqtt.connect", e.what());
        }
    }
    ~PahoFleetClient() override {
        try {
            if (client_ && client_->is_connected()) client_->disconnect(2000)->wait_for(2000);
        } catch (const ::mqtt::exception&) {
            // Going away anyway: the broker drops the session when the socket closes.
        }
    }

    Status subscribe(const std::vector<std::string>& filters) override {
        try {
            auto topics = ::mqtt::string_collection::create(filters);
            client_->subscribe(topics, ::mqtt::iasync_client::qos_collection(filters.size(), 1))
                ->wait_for(std::chrono::seconds(10));
        } catch (const ::mqtt::exception& e) {
            return fail("mqtt.subscribe", std::string("cannot subscribe: ") + e.what());
        }
        return {};
    }

    std::optional<FleetMessage> next(std::chrono::milliseconds timeout) override {
        auto message = client_->try_consume_message_for(timeout);
        if (!message) return std::nullopt;
        return FleetMessage{message->get_topic(), message->get_payload_str(),
                            message->is_retained()};
    }

    Status publish(const std::string& topic, const std::string& payload, bool retained) override {
        try {
            auto token = client_->publish(::mqtt::make_message(topic, payload, 1, retained));
            if (!token->wait_for(std::chrono::seconds(10)))
                return fail("mqtt.publish", "the broker did not confirm the publication");
        } catch (const ::mqtt::exception& e) {
            return fail("mqtt.publish", std::string("cannot publish: ") + e.what());
        }
        return {};
    }

  private:
    detail::Inbox inbox_;
    detail::PahoBridge bridge_;
    std::unique_ptr<::mqtt::async_client> client_;  // last: destroyed first
};

}  // namespace

Result<std::unique_ptr<FleetClient>> FleetClient::connect(const manifests::MqttConfig& config,
                                                          const std::string& client_id,
                                                          std::chrono::milliseconds timeout) {
    if (config.urls.empty()) return fail("mqtt.config", "no broker url");
    manifests::MqttConfig named = config;
    named.client_id = client_id;
    auto client = std::make_unique<PahoFleetClient>();
    if (auto opened = client->open(named, timeout); !opened) return std::unexpected(opened.error());
    return client;
}

}  // namespace edgevisor::telemetry::mqtt
