#include "edgevisor/health/notify.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

namespace edgevisor::health {
namespace {

template <typename Fn>
void for_each_line(std::string_view text, Fn fn) {
    while (!text.empty()) {
        auto end = text.find('\n');
        fn(text.substr(0, end));
        if (end == std::string_view::npos) break;
        text.remove_prefix(end + 1);
    }
}

std::string clean_status(std::string_view value) {
    std::string out(value.substr(0, kNotifyStatusMax));
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return out;
}

}  // namespace

Result<NotifyMessage> parse_notify(std::string_view datagram) {
    if (datagram.empty()) return fail("notify", "empty notification");
    if (datagram.size() > kNotifyDatagramMax)
        return fail("notify",
                    "notification larger than " + std::to_string(kNotifyDatagramMax) + " bytes");
    if (datagram.find('\0') != std::string_view::npos)
        return fail("notify", "notification contains a NUL byte");
    NotifyMessage out;
    std::string error;
    for_each_line(datagram, [&](std::string_view line) {
        auto eq = line.find('=');
        if (eq == std::string_view::npos || !error.empty()) return;
        auto key = line.substr(0, eq);
        auto value = line.substr(eq + 1);
        if (key == "READY") {
            if (value == "1")
                out.ready = true;
            else
                error = "READY=" + std::string(value) + ": only READY=1 is defined";
        } else if (key == "STOPPING") {
            if (value == "1")
                out.stopping = true;
            else
                error = "STOPPING=" + std::string(value) + ": only STOPPING=1 is defined";
        } else if (key == "WATCHDOG") {
            if (value == "1")
                out.watchdog_ping = true;
            else if (value == "trigger")
                out.watchdog_trigger = true;
            else
                error = "WATCHDOG=" + std::string(value) + ": expected 1 or trigger";
        } else if (key == "WATCHDOG_USEC") {
            std::uint64_t usec = 0;
            auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), usec);
            if (ec != std::errc() || ptr != value.data() + value.size() || usec == 0)
                error = "WATCHDOG_USEC=" + std::string(value) + ": expected microseconds > 0";
            else
                out.watchdog_usec = usec;
        } else if (key == "STATUS") {
            out.status = clean_status(value);
        }
    });
    if (!error.empty()) return fail("notify", error);
    return out;
}

bool cgroup_contains(std::string_view proc_pid_cgroup, std::string_view cgroup) {
    while (cgroup.size() > 1 && cgroup.back() == '/') cgroup.remove_suffix(1);
    bool found = false;
    for_each_line(proc_pid_cgroup, [&](std::string_view line) {
        if (!line.starts_with("0::")) return;
        auto path = line.substr(3);
        if (!path.starts_with(cgroup)) return;
        auto rest = path.substr(cgroup.size());
        found = rest.empty() || rest.front() == '/' || cgroup == "/";
    });
    return found;
}

Result<UniqueFd> open_notify_socket(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        return fail("notify", "socket path too long: " + path, ENAMETOOLONG);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    UniqueFd fd{::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
    if (!fd) return fail_errno("notify", "socket(AF_UNIX)");
    int one = 1;
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0)
        return fail_errno("notify", "SO_PASSCRED");
    ::unlink(path.c_str());
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return fail_errno("notify", "bind " + path);
    if (::chmod(path.c_str(), 0666) != 0) return fail_errno("notify", "chmod " + path);
    return fd;
}

Result<std::optional<NotifyDatagram>> receive_notify(int fd) {
    char buf[kNotifyDatagramMax + 1];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(int) * 16)];
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return std::optional<NotifyDatagram>{};
        return fail_errno("notify", "recvmsg");
    }
    NotifyDatagram out;
    out.text.assign(buf, std::min(static_cast<std::size_t>(n), sizeof buf));
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            ucred cred{};
            std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
            out.sender = cred.pid;
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (std::size_t i = 0; i < count; ++i) {
                int passed = -1;
                std::memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof passed);
                out.fds.emplace_back(passed);
            }
        }
    }
    return std::optional<NotifyDatagram>{std::move(out)};
}

bool sender_in_cgroup(pid_t sender, std::string_view cgroup) {
    if (sender <= 0) return false;
    std::string path = "/proc/" + std::to_string(sender) + "/cgroup";
    UniqueFd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (!fd) return false;
    char buf[4096];
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n <= 0) return false;
    return cgroup_contains(std::string_view(buf, static_cast<std::size_t>(n)), cgroup);
}

}  // namespace edgevisor::health
