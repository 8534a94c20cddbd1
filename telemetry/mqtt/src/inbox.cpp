#include "inbox.hpp"

#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <chrono>

namespace edgevisor::telemetry::mqtt::detail {

Status Inbox::open() {
    event_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!event_fd_) return fail_errno("eventfd", "cannot create the MQTT wake-up eventfd");
    return {};
}

void Inbox::post(Inbound&& item) noexcept {
    try {
        std::lock_guard lock(mutex_);
        items_.push_back(std::move(item));
    } catch (const std::exception&) {
        // Out of memory on a Paho thread: nothing can be done there but count it.
        ++lost_;
        return;
    }
    std::uint64_t one = 1;
    // EAGAIN (counter at its maximum) still leaves the fd readable: the loop wakes anyway.
    [[maybe_unused]] ssize_t n = ::write(event_fd_.get(), &one, sizeof one);
}

std::vector<Inbound> Inbox::take() {
    std::uint64_t count = 0;
    [[maybe_unused]] ssize_t n = ::read(event_fd_.get(), &count, sizeof count);
    std::vector<Inbound> out;
    std::lock_guard lock(mutex_);
    out.swap(items_);
    return out;
}

Status Timer::open() {
    fd_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    if (!fd_) return fail_errno("timerfd_create", "cannot create an MQTT timer");
    return {};
}

void Timer::arm(std::chrono::milliseconds delay, bool periodic) {
    auto ms = std::max<std::int64_t>(delay.count(), 1);
    itimerspec spec{};
    // time_t and long are 32 bits on armhf.
    spec.it_value.tv_sec = static_cast<time_t>(ms / 1000);
    spec.it_value.tv_nsec = static_cast<long>((ms % 1000) * 1000000);
    if (periodic) spec.it_interval = spec.it_value;
    ::timerfd_settime(fd_.get(), 0, &spec, nullptr);
    armed_ = true;
    periodic_ = periodic;
}

void Timer::disarm() {
    itimerspec spec{};
    ::timerfd_settime(fd_.get(), 0, &spec, nullptr);
    armed_ = false;
}

bool Timer::expired() {
    std::uint64_t count = 0;
    if (::read(fd_.get(), &count, sizeof count) != sizeof count) return false;
    if (!periodic_) armed_ = false;
    return count > 0;
}

}  // namespace edgevisor::telemetry::mqtt::detail
