// Knowing when a caller leaves the bus: the bus daemon tells everyone when a connection goes
// (NameOwnerChanged of its unique name, new owner ""); a match with arg0 narrows that to one.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <functional>
#include <string>

namespace edgevisor::telemetry::dbus {

struct CallerWatch {
    sdbus::Slot slot;      // the match; freeing it ends the watch (not from inside `gone`)
    bool present = false;  // false: the caller had gone before the match was in place
};

// Throws sdbus::Error when the bus refuses the match or the check.
CallerWatch watch_caller(sdbus::IConnection& connection, sdbus::IProxy& bus_daemon,
                         const std::string& sender, std::function<void()> gone);

}  // namespace edgevisor::telemetry::dbus
