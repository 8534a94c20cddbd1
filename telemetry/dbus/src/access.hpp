// Who may change the node over D-Bus: root and the members of the admin group.
#pragma once

#include <sys/types.h>

#include <string>

namespace edgevisor::telemetry::dbus {

// True for uid 0, and for a user whose primary or supplementary groups (from the user
// database: the bus vouches for the uid only) include `admin_group`. An empty or unknown
// group admits root only.
bool is_admin(uid_t euid, const std::string& admin_group);

}  // namespace edgevisor::telemetry::dbus
