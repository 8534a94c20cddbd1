#include "tls_trace.hpp"

#include <utility>

#include "connect_options.hpp"

namespace edgevisor::telemetry::mqtt::detail {
namespace {

std::string_view after(std::string_view text, std::string_view prefix) {
    auto at = text.find(prefix);
    return at == std::string_view::npos ? std::string_view{} : text.substr(at + prefix.size());
}

std::string trimmed(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r'))
        text.remove_suffix(1);
    return std::string(text);
}

// OpenSSL 3.0 names TLS 1.3's certificate_required alert (116) "unknown".
bool about_certificates(std::string_view alert) {
    return alert.find("certificate") != std::string_view::npos ||
           alert.find("CA") != std::string_view::npos || alert == "unknown";
}

}  // namespace

std::optional<std::string> TlsTrace::line(std::string_view text) {
    if (auto rest = after(text, "X509_check_host for hostname "); !rest.empty()) {
        if (auto end = rest.find(" failed"); end != std::string_view::npos)
            unmatched_host_ = std::string(rest.substr(0, end));
        return std::nullopt;
    }
    // Paho falls back to the certificate's IP addresses when the host names did not match.
    if (auto rest = after(text, "rc from X509_check_ip_asc is "); !rest.empty()) {
        std::string host = std::exchange(unmatched_host_, {});
        if (host.empty() || trimmed(rest) == "1") return std::nullopt;
        return "the server certificate does not name " + host +
               " (hostname verification; verifyHostname: false turns it off)";
    }
    if (auto alert = trimmed(after(text, "SSL alert write:fatal:")); !alert.empty()) {
        if (about_certificates(alert))
            return "certificate verify failed (" + alert +
                   "): the broker's certificate does not chain to a CA in caFile (or the "
                   "system's trust store)";
        return "the node ended the TLS handshake (" + alert + ")";
    }
    if (auto alert = trimmed(after(text, "SSL alert read:fatal:")); !alert.empty()) {
        std::string shown = alert == "unknown" ? "certificate required" : alert;
        if (about_certificates(alert))
            return "the broker refused the node's client certificate (TLS alert '" + shown +
                   "'; mqtt.certFile and keyFile, signed by a CA the broker trusts)";
        return "the broker ended the TLS handshake (TLS alert '" + shown + "')";
    }
    if (text.find("SSL connect:SSL negotiation finished successfully") != std::string_view::npos)
        handshake_done_ = true;
    return std::nullopt;
}

std::string connect_failure(const std::string& tls_reasons, bool handshake_done, bool client_cert,
                            int code) {
    if (!tls_reasons.empty()) return "TLS refused: " + tls_reasons;
    if (handshake_done && code < 0)
        return std::string("the broker closed the connection after the TLS handshake: ") +
               (client_cert ? "it may not accept the client certificate in mqtt.certFile"
                            : "it may require a client certificate (mqtt.certFile, keyFile)");
    return describe_code(code);
}

}  // namespace edgevisor::telemetry::mqtt::detail
