// Sockets made in a workload's network namespace: a port that exists only on the workload's
// loopback (network: none) is reachable through them, and not from the host's namespace.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "join_support.hpp"
#include "launcher_support.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;

namespace {

// A port that nothing on the host listens on right now (bound, then released).
int free_host_port() {
    UniqueFd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    return ntohs(addr.sin_port);
}

// Nonblocking connect to 127.0.0.1:port; returns 0 or the connect error (SO_ERROR).
int connect_error(const UniqueFd& fd, int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return 0;
    if (errno != EINPROGRESS) return errno;
    pollfd p{fd.get(), POLLOUT, 0};
    REQUIRE(::poll(&p, 1, 30000) == 1);
    int error = 0;
    socklen_t len = sizeof error;
    REQUIRE(::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &len) == 0);
    return error;
}

}  // namespace

TEST_CASE("a socket made in a network: none workload reaches the port it listens on") {
    const bool pidfd_setns = GENERATE(true, false);
    INFO((pidfd_setns ? "setns through the pidfd" : "setns through /proc/<pid>/ns"));
    const int port = free_host_port();
    RunningWorkload running(checker_workload({"listen", std::to_string(port)}));
    running.wait_for_line("listening");
    auto joiner = isolation::Joiner::prepare(running.workload(), {pidfd_setns});
    REQUIRE(joiner.has_value());

    auto inside = joiner->socket(running.process().pidfd.get(), AF_INET, SOCK_STREAM);
    if (!inside) FAIL(inside.error().describe());
    CHECK(connect_error(*inside, port) == 0);

    UniqueFd host{::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
    CHECK(connect_error(host, port) == ECONNREFUSED);  // the port is not on the host's loopback
}

TEST_CASE("a workload on the host network gets a socket in the host's namespace") {
    auto w = checker_workload({"sleep"});
    w.spec.isolation.network = manifests::NetworkMode::host;
    w.spec.isolation.namespaces = {manifests::Namespace::pid, manifests::Namespace::mount};
    RunningWorkload running(w);
    auto joiner = isolation::Joiner::prepare(running.workload());
    REQUIRE(joiner.has_value());
    auto fd = joiner->socket(running.process().pidfd.get(), AF_INET, SOCK_STREAM);
    REQUIRE(fd.has_value());
    char link[64] = {};
    std::string path = "/proc/self/fd/" + std::to_string(fd->get());
    REQUIRE(::readlink(path.c_str(), link, sizeof link - 1) > 0);
    CHECK(std::string(link).starts_with("socket:"));
    // Its namespace is ours: SIOCGSKNS would say so; connecting to a host port proves it.
    const int port = free_host_port();
    UniqueFd listener{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listener.get(), 4) == 0);
    CHECK(connect_error(*fd, port) == 0);
}
