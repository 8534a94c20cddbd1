#include "paho_bridge.hpp"

#include <MQTTAsync.h>

#include <cstdint>
#include <cstring>
#include <mutex>

#include "tls_trace.hpp"

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
TlsTrace trace_state;  // of the connect under way; guarded by trace_mutex

extern "C" void on_paho_trace(enum MQTTASYNC_TRACE_LEVELS, char* message) {
    if (message == nullptr) return;
    try {
        std::lock_guard lock(trace_mutex);
        if (trace_target == nullptr) return;
        bool was_done = trace_state.handshake_done();
        if (auto reason = trace_state.line(message)) trace_target->tls_error(*reason);
        if (!was_done && trace_state.handshake_done()) trace_target->tls_handshake_done();
    } catch (const std::exception&) {
        // Out of memory on Paho's thread: the connect failure is still reported, without why.
    }
}

}  // namespace

void PahoBridge::tls_handshake_done() noexcept {
    post_text(Inbound::Kind::tls_handshake_done, "");
}

void PahoBridge::watch_tls_trace() {
    std::lock_guard lock(trace_mutex);
    trace_target = this;
    trace_state.reset();
    MQTTAsync_setTraceCallback(on_paho_trace);
    // The minimum level: Paho's IP-address check of the certificate is traced there.
    MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_MINIMUM);
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
