// Outgoing messages that must survive a broker outage: acks, events, metrics. Owned by us, not
// by Paho, so that its bound and what it drops first are ours: when full, metrics go first,
// then events, acks last; oldest first within a kind. Status and reported are not queued:
// they are state, re-published whole on every connect.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

namespace edgevisor::telemetry::mqtt::detail {

enum class Priority { metrics = 0, event = 1, ack = 2 };

struct Outgoing {
    std::uint64_t id = 0;
    Priority priority = Priority::ack;
    std::string topic;
    std::string payload;
    int qos = 1;
    bool in_flight = false;  // handed to Paho, not yet confirmed
};

class Outbox {
  public:
    explicit Outbox(std::size_t limit) : limit_(limit) {}

    // Adds a message; when full, drops the lowest-priority, oldest message not in flight (which
    // may be this one).
    void push(Priority priority, std::string topic, std::string payload, int qos);
    // The oldest message not in flight, or nullptr.
    Outgoing* next_unsent();
    void delivered(std::uint64_t id);    // confirmed: removed
    void undelivered(std::uint64_t id);  // failed: sent again later
    void connection_lost();              // everything in flight is unsent again

    [[nodiscard]] std::size_t size() const { return items_.size(); }
    [[nodiscard]] std::size_t in_flight() const { return in_flight_; }
    [[nodiscard]] std::uint64_t dropped() const { return dropped_; }

  private:
    std::deque<Outgoing> items_;
    std::size_t limit_;
    std::size_t in_flight_ = 0;
    std::uint64_t next_id_ = 1;
    std::uint64_t dropped_ = 0;
};

}  // namespace edgevisor::telemetry::mqtt::detail
