#include "notify.hpp"

#include <systemd/sd-daemon.h>

#include "edgevisor/log.hpp"

namespace edgevisor::supervisor {

void SystemdNotifier::ready(const std::string& status) {
    last_status_ = status;
    sd_notify(0, ("READY=1\nSTATUS=" + status).c_str());
}

void SystemdNotifier::status(const std::string& status) {
    if (status == last_status_) return;
    last_status_ = status;
    sd_notify(0, ("STATUS=" + status).c_str());
}

void SystemdNotifier::stopping() {
    sd_notify(0, "STOPPING=1\nSTATUS=stopping workloads");
}

void SystemdNotifier::start_watchdog(EventLoop& loop, std::chrono::milliseconds every) {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && every.count() == 0)
        every = std::chrono::milliseconds(usec / 2000);
    if (every.count() <= 0) return;
    interval_ = every;
    log::debug("edgevisord: watchdog ping every {} ms", interval_.count());
    arm(loop);
}

void SystemdNotifier::arm(EventLoop& loop) {
    timer_ = loop.add_timer(EventLoop::now() + interval_, [this, &loop] {
        sd_notify(0, "WATCHDOG=1");
        arm(loop);
        return Status{};
    });
}

}  // namespace edgevisor::supervisor
