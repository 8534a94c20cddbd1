// What Paho C says about a TLS connect only in its trace: a broker certificate that does not
// name the host (its own check after the handshake), the alerts either side sent, and whether
// the handshake completed. Read line by line while a connect is under way (paho_bridge.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace edgevisor::telemetry::mqtt::detail {

class TlsTrace {
  public:
    // One trace line; a reason for a person when the line settles one.
    std::optional<std::string> line(std::string_view text);
    // The node's side of the handshake completed (the broker may still refuse it after).
    [[nodiscard]] bool handshake_done() const { return handshake_done_; }
    void reset() { *this = TlsTrace{}; }

  private:
    std::string unmatched_host_;  // X509_check_host failed; the IP check comes next
    bool handshake_done_ = false;
};

// Why a connect failed, for the log and the channel's last error: the TLS reasons of the
// attempt (from TlsTrace), else a hint when the link broke (a negative Paho code, no MQTT
// reason) after a completed handshake: what a broker that refuses the client certificate under
// TLS 1.3 looks like when its alert is not read first. Else Paho's code as describe_code says.
std::string connect_failure(const std::string& tls_reasons, bool handshake_done, bool client_cert,
                            int code);

}  // namespace edgevisor::telemetry::mqtt::detail
