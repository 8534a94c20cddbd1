// systemd's notification protocol (sd_notify): READY=1, STATUS=, WATCHDOG=1, STOPPING=1.
// Without NOTIFY_SOCKET (not started by systemd) every call is a no-op, so the daemon runs
// the same anywhere.
//
// Never blocks the loop: libsystemd's sd_notify() sends on a blocking socket, and a notify
// socket whose queue is full (a reader that does not keep up, or none) stalled the whole
// daemon. Here the socket is non-blocking and connected, so the kernel reports when the
// reader's queue has room (EPOLLOUT); until then what is not sent waits, coalesced into one
// datagram: READY=1 and STOPPING=1 are kept, only the newest STATUS= and one WATCHDOG=1.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "edgevisor/event_loop.hpp"
#include "edgevisor/unique_fd.hpp"

namespace edgevisor::supervisor {

class SystemdNotifier {
  public:
    // Connects to $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace). A socket
    // that cannot be reached is logged once, and the daemon runs without notifications.
    explicit SystemdNotifier(EventLoop& loop);

    void ready(const std::string& status);
    void status(const std::string& status);  // sent only when it changed
    void stopping();
    // WATCHDOG=1 from the loop at half of WATCHDOG_USEC (or `every` when set), so a stuck loop
    // is noticed by systemd.
    void start_watchdog(std::chrono::milliseconds every);

    // Datagrams not sent yet because the reader's queue is full (0 or 1: they are merged).
    [[nodiscard]] bool backlogged() const { return writable_.active(); }

  private:
    struct Pending {
        bool ready = false;
        bool stopping = false;
        bool watchdog = false;
        std::optional<std::string> status;
        [[nodiscard]] bool empty() const { return !ready && !stopping && !watchdog && !status; }
    };
    void flush();
    void arm_watchdog();

    EventLoop& loop_;
    UniqueFd socket_;
    Pending pending_;
    Source writable_;  // set while pending_ waits for room in the reader's queue
    std::string last_status_;
    std::chrono::milliseconds interval_{0};
    Source timer_;
};

}  // namespace edgevisor::supervisor
