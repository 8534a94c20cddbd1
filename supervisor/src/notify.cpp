#include "notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "edgevisor/log.hpp"

namespace edgevisor::supervisor {
namespace {

// A non-blocking datagram socket connected to `address` ("/path" or "@abstract").
Result<UniqueFd> connect_notify_socket(const std::string& address) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (address.empty() || (address[0] != '/' && address[0] != '@'))
        return fail("notify", "NOTIFY_SOCKET '" + address + "' is neither a path nor @abstract");
    if (address.size() >= sizeof addr.sun_path)
        return fail("notify", "NOTIFY_SOCKET '" + address + "' is too long");
    std::memcpy(addr.sun_path, address.data(), address.size());
    if (address[0] == '@') addr.sun_path[0] = '\0';
    auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
    UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) return fail_errno("notify", "socket");
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), length) != 0)
        return fail_errno("notify", "connect to " + address);
    return fd;
}

std::string compose(bool ready, bool stopping, bool watchdog,
                    const std::optional<std::string>& status) {
    std::string text;
    if (ready) text += "READY=1\n";
    if (stopping) text += "STOPPING=1\n";
    if (status) text += "STATUS=" + *status + "\n";
    if (watchdog) text += "WATCHDOG=1\n";
    return text;
}

}  // namespace

SystemdNotifier::SystemdNotifier(EventLoop& loop) : loop_(loop) {
    const char* address = std::getenv("NOTIFY_SOCKET");
    if (address == nullptr) return;
    auto fd = connect_notify_socket(address);
    if (!fd) {
        log::warn("edgevisord: {}; running without systemd notifications", fd.error().describe());
        return;
    }
    socket_ = std::move(*fd);
}

void SystemdNotifier::ready(const std::string& status) {
    last_status_ = status;
    pending_.ready = true;
    pending_.status = status;
    flush();
}

void SystemdNotifier::status(const std::string& status) {
    if (status == last_status_) return;
    last_status_ = status;
    pending_.status = status;
    flush();
}

void SystemdNotifier::stopping() {
    pending_.stopping = true;
    pending_.status = "stopping workloads";
    last_status_ = *pending_.status;
    flush();
}

void SystemdNotifier::flush() {
    if (!socket_ || pending_.empty() || writable_) return;  // writable_ flushes when there is room
    std::string text =
        compose(pending_.ready, pending_.stopping, pending_.watchdog, pending_.status);
    if (::send(socket_.get(), text.data(), text.size(), MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
        pending_ = {};
        return;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        log::debug("edgevisord: the notify socket is full; waiting for room");
        writable_ = loop_.add_io(socket_.get(), EPOLLOUT, [this](std::uint32_t) {
            writable_.reset();
            flush();
            return Status{};
        });
        return;
    }
    // The manager is gone (ECONNREFUSED) or the socket broke: nobody will read them again.
    log::warn("edgevisord: systemd notification failed ({}); not sending more",
              std::strerror(errno));
    pending_ = {};
    socket_.reset();
}

void SystemdNotifier::start_watchdog(std::chrono::milliseconds every) {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && every.count() == 0)
        every = std::chrono::milliseconds(usec / 2000);
    if (every.count() <= 0) return;
    interval_ = every;
    log::debug("edgevisord: watchdog ping every {} ms", interval_.count());
    arm_watchdog();
}

void SystemdNotifier::arm_watchdog() {
    timer_ = loop_.add_timer(EventLoop::now() + interval_, [this] {
        pending_.watchdog = true;
        flush();
        arm_watchdog();
        return Status{};
    });
}

}  // namespace edgevisor::supervisor
