// What Paho's threads hand to the loop: a mutex-guarded queue and an eventfd that wakes it.
// post() is the only thing a Paho callback does; it never throws and never blocks beyond the
// queue's mutex.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/unique_fd.hpp"

namespace edgevisor::telemetry::mqtt::detail {

struct Inbound {
    enum class Kind {
        message,             // topic, payload, retained
        connected,           // the connect we started succeeded
        connect_failed,      // code: Paho's return code; text: its reason
        lost,                // an established connection went down; text: cause
        delivered,           // id: outbox message confirmed
        undelivered,         // id: outbox message failed
        subscribed,          // the subscriptions were granted
        subscribe_failed,    // code
        tls_error,           // text: why TLS refused (comes before connect_failed)
        tls_handshake_done,  // the node's side of the TLS handshake completed
    };
    Kind kind = Kind::message;
    std::string topic;
    std::string payload;
    bool retained = false;
    int code = 0;
    std::string text;
    std::uint64_t id = 0;
};

class Inbox {
  public:
    Status open();
    [[nodiscard]] int fd() const { return event_fd_.get(); }
    // Any thread. A message that cannot be queued (out of memory) is counted, not thrown.
    void post(Inbound&& item) noexcept;
    // The loop thread: everything queued so far, oldest first; clears the wake-up.
    std::vector<Inbound> take();
    [[nodiscard]] std::uint64_t lost() const { return lost_.load(); }
    void count_lost() noexcept { ++lost_; }

  private:
    std::mutex mutex_;
    std::vector<Inbound> items_;
    UniqueFd event_fd_;
    std::atomic<std::uint64_t> lost_{0};
};

// A CLOCK_MONOTONIC timerfd: armed once (or periodically), read without blocking.
class Timer {
  public:
    Status open();
    [[nodiscard]] int fd() const { return fd_.get(); }
    void arm(std::chrono::milliseconds delay, bool periodic = false);
    void disarm();
    [[nodiscard]] bool armed() const { return armed_; }
    // True once per expiry (consumes it).
    bool expired();

  private:
    UniqueFd fd_;
    bool armed_ = false;
    bool periodic_ = false;
};

}  // namespace edgevisor::telemetry::mqtt::detail
