// The tcp and http probes: a non-blocking socket made in the workload's network namespace,
// connect, (http: one GET, the status line of the answer), all from loop callbacks.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "edgevisor/unique_fd.hpp"
#include "probe_internal.hpp"

namespace edgevisor::health {
namespace {

class NetworkRun final : public ProbeRun {
  public:
    NetworkRun(EventLoop& loop, const manifests::Probe& probe, const ProbeTarget& target,
               ProbeDone done)
        : loop_(loop), probe_(probe), done_(std::move(done)) {
        where_ = probe.host + ":" + std::to_string(probe.port);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(probe.port);
        if (::inet_pton(AF_INET, probe.host.c_str(), &addr.sin_addr) != 1) {
            finish_soon({false, "connect " + where_ + ": not an IPv4 address"});
            return;
        }
        auto fd = target.joiner->socket(target.pidfd, AF_INET, SOCK_STREAM);
        if (!fd) {
            finish_soon({false, fd.error().describe()});
            return;
        }
        fd_ = std::move(*fd);
        if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 &&
            errno != EINPROGRESS) {
            finish_soon({false, "connect " + where_ + ": " + std::strerror(errno)});
            return;
        }
        io_ = loop_.add_io(fd_.get(), EPOLLOUT,
                           [this](std::uint32_t events) { return ready(events); });
        timer_ = loop_.add_timer(EventLoop::now() + probe.timeout, [this] {
            finish({false, std::string(connected_ ? "no answer from " : "connect ") + where_ +
                               ": timed out after " + duration_text(probe_.timeout)});
            return Status{};
        });
    }

  private:
    Status ready(std::uint32_t events) {
        if (!connected_) return connected(events);
        if ((events & EPOLLOUT) != 0 && sent_ < request_.size()) return send_more();
        return receive();
    }

    Status connected(std::uint32_t) {
        int error = 0;
        socklen_t len = sizeof error;
        ::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &len);
        if (error != 0) {
            finish({false, "connect " + where_ + ": " + std::strerror(error)});
            return {};
        }
        connected_ = true;
        if (probe_.kind == manifests::ProbeKind::tcp) {
            finish({true, "connected to " + where_});
            return {};
        }
        request_ = http_request(probe_);
        return send_more();
    }

    Status send_more() {
        ssize_t n = ::send(fd_.get(), request_.data() + sent_, request_.size() - sent_,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno != EAGAIN) {
            finish({false, "send to " + where_ + ": " + std::strerror(errno)});
            return {};
        }
        if (n > 0) sent_ += static_cast<std::size_t>(n);
        return io_.modify(sent_ < request_.size() ? EPOLLOUT : EPOLLIN);
    }

    Status receive() {
        char buf[1024];
        ssize_t n = ::recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && errno == EAGAIN) return {};
        if (n > 0 && response_.size() < 4096) response_.append(buf, static_cast<std::size_t>(n));
        int status = http_status(response_);
        if (status != 0) {
            finish({http_status_ok(probe_, status), "http " + std::to_string(status)});
        } else if (n <= 0 || response_.size() >= 4096) {
            finish({false, "http " + where_ + ": " +
                               (n < 0 ? std::strerror(errno) : "no HTTP status line")});
        }
        return {};
    }

    void finish(ProbeResult result) {
        io_.reset();
        timer_.reset();
        fd_.reset();
        auto done = std::move(done_);  // the owner may destroy this run in it
        done(std::move(result));
    }

    void finish_soon(ProbeResult result) {
        timer_ = loop_.add_timer(EventLoop::now(), [this, result] {
            auto done = std::move(done_);
            done(result);
            return Status{};
        });
    }

    EventLoop& loop_;
    manifests::Probe probe_;
    ProbeDone done_;
    std::string where_, request_, response_;
    std::size_t sent_ = 0;
    bool connected_ = false;
    UniqueFd fd_;
    Source io_, timer_;
};

}  // namespace

std::string http_request(const manifests::Probe& probe) {
    return "GET " + probe.path + " HTTP/1.0\r\nHost: " + probe.host + ":" +
           std::to_string(probe.port) +
           "\r\nUser-Agent: edgevisor-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n";
}

int http_status(std::string_view response) {
    auto end = response.find("\r\n");
    if (end == std::string_view::npos) end = response.find('\n');
    if (end == std::string_view::npos) return 0;
    auto line = response.substr(0, end);
    if (!line.starts_with("HTTP/1.") || line.size() < 12 || line[8] != ' ') return 0;
    int code = 0;
    for (int i = 9; i < 12; ++i) {
        if (line[i] < '0' || line[i] > '9') return 0;
        code = code * 10 + (line[i] - '0');
    }
    if (line.size() > 12 && line[12] != ' ') return 0;
    return code >= 100 && code <= 599 ? code : 0;
}

bool http_status_ok(const manifests::Probe& probe, int status) {
    if (probe.statuses.empty()) return status >= 200 && status < 400;
    for (auto code : probe.statuses)
        if (code == status) return true;
    return false;
}

std::string duration_text(std::chrono::milliseconds d) {
    auto ms = d.count();
    if (ms == 0) return "0s";
    if (ms % 1000 != 0) return std::to_string(ms) + "ms";
    auto s = ms / 1000;
    std::string out;
    if (s >= 3600) out += std::to_string(s / 3600) + "h", s %= 3600;
    if (s >= 60) out += std::to_string(s / 60) + "m", s %= 60;
    if (s > 0) out += std::to_string(s) + "s";
    return out;
}

namespace detail {

std::unique_ptr<ProbeRun> start_network(EventLoop& loop, const manifests::Probe& probe,
                                        const ProbeTarget& target, ProbeDone done) {
    return std::make_unique<NetworkRun>(loop, probe, target, std::move(done));
}

bool kill_cgroup(int cgroup_fd) {
    if (cgroup_fd < 0) return false;
    // Only when something is left: on Linux 6.18 a process later cloned into a cgroup once
    // killed (CLONE_INTO_CGROUP) is killed at birth (cgroup kill_seq compared against the
    // parent's cgroup), so a cgroup that was killed is not used again (the prober rotates).
    char buf[256];
    UniqueFd events{::openat(cgroup_fd, "cgroup.events", O_RDONLY | O_CLOEXEC)};
    ssize_t n = events ? ::pread(events.get(), buf, sizeof buf - 1, 0) : -1;
    if (n > 0 && std::string_view(buf, static_cast<std::size_t>(n)).find("populated 0") !=
                     std::string_view::npos)
        return false;
    UniqueFd kill{::openat(cgroup_fd, "cgroup.kill", O_WRONLY | O_CLOEXEC)};
    if (kill) (void)!::write(kill.get(), "1", 1);
    return true;
}

}  // namespace detail

std::unique_ptr<ProbeRun> start_probe(EventLoop& loop, Reaper& reaper,
                                      const manifests::Probe& probe, const ProbeTarget& target,
                                      ProbeDone done) {
    switch (probe.kind) {
        case manifests::ProbeKind::exec:
            return detail::start_exec(loop, reaper, probe, target, std::move(done));
        case manifests::ProbeKind::tcp:
        case manifests::ProbeKind::http:
            return detail::start_network(loop, probe, target, std::move(done));
        case manifests::ProbeKind::notify:
            break;
    }
    return nullptr;
}

}  // namespace edgevisor::health
