// systemd's notification protocol (sd_notify): READY=1, STATUS=, WATCHDOG=1, STOPPING=1.
// Without NOTIFY_SOCKET (not started by systemd) every call is a no-op, so the daemon runs
// the same anywhere.
#pragma once

#include <chrono>
#include <string>

#include "edgevisor/event_loop.hpp"

namespace edgevisor::supervisor {

class SystemdNotifier {
  public:
    void ready(const std::string& status);
    void status(const std::string& status);  // sent only when it changed
    void stopping();
    // WATCHDOG=1 from the loop at half of WATCHDOG_USEC (or `every` when set), so a stuck loop
    // is noticed by systemd.
    void start_watchdog(EventLoop& loop, std::chrono::milliseconds every);

  private:
    void arm(EventLoop& loop);
    std::string last_status_;
    std::chrono::milliseconds interval_{0};
    Source timer_;
};

}  // namespace edgevisor::supervisor
