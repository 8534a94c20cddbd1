#include "paho_bridge.hpp"

#include <MQTTAsync.h>

#include <cstdint>
#include <cstring>
#include <mutex>

namespace edgevisor::telemetry::mqtt::detail {

// Every body below catches what copying can throw (std::bad_alloc), so that nothing unwinds
// into Paho's C threads; what was lost is counted in the inbox.

void PahoBridge::message_arrived(::mqtt::const_message_ptr message) {
    try {
        Inbound in;
        in.kind = Inbound::Kind::message;
        in.topic = message->get_topic();
        in.payload = message->get_payload_str();
        in.retained = message->is_retained();
        inbox_.post(std::move(in));
    } catch (const std::exception&) {
        inbox_.count_lost();
    }
}

void PahoBridge::post_text(Inbound::Kind kind, const std::string& text) noexcept {
    try {
        Inbound in;
        in.kind = kind;
        in.text = text;
        inbox_.post(std::move(in));
    } catch (const std::exception&) {
        inbox_.count_lost();
    }
}

void PahoBridge::connection_lost(const std::string& cause) {
    post_text(Inbound::Kind::lost, cause);
}

void PahoBridge::tls_error(const std::string& text) noexcept {
    post_text(Inbound::Kind::tls_error, text);
}

namespace {

std::mutex trace_mutex;
PahoBridge* trace_target = nullptr;

extern "C" void on_paho_trace(enum MQTTASYNC_TRACE_LEVELS, char* message) {
    constexpr const char* kPrefix = "X509_check_host for hostname ";
    const char* found = message ? std::strstr(message, kPrefix) : nullptr;
    if (found == nullptr || std::strstr(found, " failed") == nullptr) return;
    try {
        std::string host(found + std::strlen(kPrefix));
        host = host.substr(0, host.find(" failed"));
        std::lock_guard lock(trace_mutex);
        if (trace_target != nullptr)
            trace_target->tls_error("the server certificate does not name " + host +
                                    " (hostname verification; verifyHostname: false turns it off)");
    } catch (const std::exception&) {
        // Out of memory on Paho's thread: the connect failure is still reported, without why.
    }
}

}  // namespace

void PahoBridge::watch_tls_trace() {
    std::lock_guard lock(trace_mutex);
    trace_target = this;
    MQTTAsync_setTraceCallback(on_paho_trace);
    MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_PROTOCOL);
}

void PahoBridge::unwatch_tls_trace() {
    std::lock_guard lock(trace_mutex);
    if (trace_target != this) return;
    trace_target = nullptr;
    MQTTAsync_setTraceCallback(nullptr);
    MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_FATAL);
}

void PahoBridge::Listener::post(const ::mqtt::token& token, Inbound::Kind kind) noexcept {
    try {
        Inbound in;
        in.kind = kind;
        in.code = token.get_return_code();
        if (in.code == 0 && token.get_reason_code() >= 0x80)
            in.code = static_cast<int>(token.get_reason_code());
        in.id = reinterpret_cast<std::uintptr_t>(token.get_user_context());
        inbox_.post(std::move(in));
    } catch (const std::exception&) {
        inbox_.count_lost();
    }
}

}  // namespace edgevisor::telemetry::mqtt::detail
