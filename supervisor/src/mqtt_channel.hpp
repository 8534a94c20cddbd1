// The fleet channel inside edgevisord: the MQTT adapter (telemetry/mqtt) served by the daemon's
// own loop. Paho's threads never touch the supervisor: their callbacks copy what arrived onto
// the adapter's queue and write its eventfd (the adapter's fd() is an epoll over that eventfd
// and its timers); the loop sees fd() readable and drain() runs here, on the loop thread, where
// it calls Control (the Supervisor) and publishes. One owner of state, as with D-Bus.
#pragma once

#include <memory>

#include "edgevisor/error.hpp"
#include "edgevisor/event_loop.hpp"
#include "edgevisor/manifests/node_config.hpp"
#include "edgevisor/supervisor/supervisor.hpp"
#include "edgevisor/telemetry/mqtt.hpp"

namespace edgevisor::supervisor {

class MqttChannel {
  public:
    // Creates the client (the first connect runs in the background: a broker that is away
    // does not delay the boot), registers with the loop and as the supervisor's observer.
    // Fails only on what the config and identity make impossible (a node id that cannot be a
    // topic level, unreadable TLS files are reported at connect).
    static Result<std::unique_ptr<MqttChannel>> start(EventLoop& loop, Supervisor& supervisor,
                                                      const manifests::NodeConfig& config);
    // Publishes `offline` and disconnects cleanly (waits a moment for the broker).
    ~MqttChannel();
    MqttChannel(const MqttChannel&) = delete;
    MqttChannel& operator=(const MqttChannel&) = delete;

  private:
    MqttChannel(Supervisor& supervisor, std::unique_ptr<telemetry::mqtt::Channel> channel)
        : supervisor_(supervisor), channel_(std::move(channel)) {}

    Supervisor& supervisor_;
    std::unique_ptr<telemetry::mqtt::Channel> channel_;
    Source io_;
};

}  // namespace edgevisor::supervisor
