// Paho's callbacks and action listeners. They run on Paho's threads: each copies what it got
// into an Inbound and posts it; none waits on a token, touches the client or lets an
// exception reach Paho's C code.
#pragma once

#include <mqtt/async_client.h>

#include "inbox.hpp"

namespace edgevisor::telemetry::mqtt::detail {

class PahoBridge : public ::mqtt::callback {
  public:
    explicit PahoBridge(Inbox& inbox)
        : connect_(inbox, Inbound::Kind::connected, Inbound::Kind::connect_failed),
          publish_(inbox, Inbound::Kind::delivered, Inbound::Kind::undelivered),
          subscribe_(inbox, Inbound::Kind::subscribed, Inbound::Kind::subscribe_failed),
          inbox_(inbox) {}

    void message_arrived(::mqtt::const_message_ptr message) override;
    void connection_lost(const std::string& cause) override;

    // A reason for a TLS refusal (tls_trace.hpp), and the end of the node's handshake.
    void tls_error(const std::string& text) noexcept;
    void tls_handshake_done() noexcept;

    // While a TLS connect is under way: Paho C tells why a handshake failed, and whether a
    // server certificate names the host, only in its trace, so its trace is read then, and only
    // then (it formats every packet while on). Paho C++ 1.2's ssl error handler is not used:
    // its context is a connect_options copy that is gone when Paho's thread calls it.
    // Process-wide: the last channel to start watching gets the messages.
    void watch_tls_trace();
    void unwatch_tls_trace();

    ::mqtt::iaction_listener& connect_listener() { return connect_; }
    ::mqtt::iaction_listener& publish_listener() { return publish_; }
    ::mqtt::iaction_listener& subscribe_listener() { return subscribe_; }

  private:
    void post_text(Inbound::Kind kind, const std::string& text) noexcept;

    // Posts `success` or `failure` with the token's return code and the user context as id.
    class Listener : public ::mqtt::iaction_listener {
      public:
        Listener(Inbox& inbox, Inbound::Kind success, Inbound::Kind failure)
            : inbox_(inbox), success_(success), failure_(failure) {}
        void on_success(const ::mqtt::token& token) override { post(token, success_); }
        void on_failure(const ::mqtt::token& token) override { post(token, failure_); }

      private:
        void post(const ::mqtt::token& token, Inbound::Kind kind) noexcept;
        Inbox& inbox_;
        Inbound::Kind success_, failure_;
    };

    Listener connect_, publish_, subscribe_;
    Inbox& inbox_;
};

}  // namespace edgevisor::telemetry::mqtt::detail
