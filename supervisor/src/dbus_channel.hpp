// org.edgevisor.Supervisor1 inside edgevisord: the D-Bus adapter (telemetry/dbus) served by the
// daemon's own loop, with no thread of its own.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "edgevisor/error.hpp"
#include "edgevisor/event_loop.hpp"
#include "edgevisor/supervisor/supervisor.hpp"
#include "edgevisor/telemetry/dbus.hpp"

namespace edgevisor::supervisor {

class DbusChannel {
  public:
    // Connects, publishes the objects and the name, registers with the loop and as the
    // supervisor's observer. When the connection is lost later (dbus-daemon restarted), it
    // connects again on a timer (0.1 s, doubling up to 5 s) until the bus is back.
    static Result<std::unique_ptr<DbusChannel>> start(EventLoop& loop, Supervisor& supervisor,
                                                      const telemetry::dbus::BusConfig& config);
    ~DbusChannel();
    DbusChannel(const DbusChannel&) = delete;
    DbusChannel& operator=(const DbusChannel&) = delete;

  private:
    DbusChannel(EventLoop& loop, Supervisor& supervisor, telemetry::dbus::BusConfig config);
    Status serve_bus();
    void arm_retry();
    // Before every wait: sd-bus's fd events and deadline as they are now (sdbus-c++ 1.2 changes
    // them as messages come and go; a loop that kept the first ones would never send a reply
    // the bus could not take at once).
    Status prepare();
    Status serve();
    void stop_serving(const Error& error);

    EventLoop& loop_;
    Supervisor& supervisor_;
    telemetry::dbus::BusConfig config_;
    std::unique_ptr<telemetry::dbus::Service> service_;
    Source io_, timer_, prepare_, retry_;
    std::chrono::milliseconds retry_delay_{0};
    std::uint32_t events_ = 0;
    std::optional<std::chrono::steady_clock::time_point> deadline_;
};

}  // namespace edgevisor::supervisor
