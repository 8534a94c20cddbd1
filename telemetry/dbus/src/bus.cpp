#include "bus.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "edgevisor/unique_fd.hpp"

namespace edgevisor::telemetry::dbus {
namespace {

// sdbus-c++ 1.2 leaks its sd_bus when a connection to an address fails to start (its
// sd_bus_open_user_with_address returns without sd_bus_unref). A socket that is missing or
// refuses is the common case ("edgevisord is not running"), so it is tried here first, and
// the library only sees an address that accepted a connection a moment ago.
void check_unix_path(const std::string& address) {
    constexpr std::string_view prefix = "unix:path=";
    if (address.rfind(prefix, 0) != 0) return;
    std::string path = address.substr(prefix.size());
    if (const auto comma = path.find(','); comma != std::string::npos) path.resize(comma);
    sockaddr_un where{};
    if (path.empty() || path.size() >= sizeof(where.sun_path))
        throw sdbus::createError(ENAMETOOLONG, "socket path '" + path + "'");
    where.sun_family = AF_UNIX;
    std::memcpy(where.sun_path, path.data(), path.size());
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!probe) throw sdbus::createError(errno, "socket");
    if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&where), sizeof(where)) != 0)
        throw sdbus::createError(errno, "connect to " + path);
}

}  // namespace

std::unique_ptr<sdbus::IConnection> open_bus(const std::string& bus) {
    if (bus == "system") return sdbus::createSystemBusConnection();
    if (bus == "session") return sdbus::createSessionBusConnection();
    check_unix_path(bus);
    return sdbus::createSessionBusConnectionWithAddress(bus);
}

}  // namespace edgevisor::telemetry::dbus
