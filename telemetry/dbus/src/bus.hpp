// Opening a connection to the bus named in the node config: system, session or an address.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <memory>
#include <string>

namespace edgevisor::telemetry::dbus {

// Throws sdbus::Error when the bus cannot be reached.
std::unique_ptr<sdbus::IConnection> open_bus(const std::string& bus);

}  // namespace edgevisor::telemetry::dbus
