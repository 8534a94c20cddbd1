// The fleet channel: a node's link to an MQTT broker (README "Fleet channel"). It receives
// desired-state documents for the node and its groups and commands, and publishes acks,
// status, reported state, events and metrics.
//
// Loop-agnostic: Paho runs its own threads, whose callbacks only copy what they got onto a
// mutex-guarded queue and wake fd(). The owner's loop watches fd() for EPOLLIN and calls
// drain() on its own thread; only drain() (and the Observer calls) touch state or call
// Control. Reconnects, the reported-state debounce and metrics run on timers inside fd().
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/manifests/mqtt_config.hpp"
#include "edgevisor/telemetry/control.hpp"

namespace edgevisor::telemetry::mqtt {

struct NodeIdentity {
    std::string node_id;
    std::vector<std::string> groups;
    std::filesystem::path state_dir;  // holds the session counter (mqtt-session)
    std::string version;              // reported in status
};

// What the channel did, for status and tests.
struct ChannelCounters {
    std::uint64_t connects = 0;
    std::uint64_t connect_failures = 0;
    std::uint64_t received = 0;
    std::uint64_t rejected = 0;
    std::uint64_t dropped = 0;  // outgoing messages dropped because the queue was full
    std::size_t queued = 0;     // outgoing messages not yet delivered
    bool connected = false;
    std::uint64_t session = 0;
    std::string last_error;  // why the last connect failed or the link was lost
};

class Channel : public Observer {
  public:
    // Checks the identity's topic levels and the options, creates the client and starts the
    // first connect (no waiting). `control` must outlive the channel.
    static Result<std::unique_ptr<Channel>> create(const manifests::MqttConfig& config,
                                                   const NodeIdentity& identity, Control& control);
    ~Channel() override;

    // Readable when drain() has work.
    [[nodiscard]] virtual int fd() const = 0;
    // Handles everything that arrived and every timer that expired; never blocks.
    virtual void drain() = 0;
    // Publishes `offline` and disconnects cleanly (a clean DISCONNECT suppresses the will);
    // waits at most `timeout` for the broker. Idempotent; the destructor calls it.
    virtual void stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) = 0;
    [[nodiscard]] virtual ChannelCounters counters() const = 0;

  protected:
    Channel() = default;
};

}  // namespace edgevisor::telemetry::mqtt
