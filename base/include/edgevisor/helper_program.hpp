// Where edgevisor's helper programs (edgevisor-init, edgevisor-fdholder, edgectl-dbus,
// edgectl-fleet) are: installed in <prefix>/libexec/edgevisor beside <prefix>/bin/edgectl and
// <prefix>/sbin/edgevisord, and laid out the same way in a build tree
// (<build>/libexec/edgevisor, <build>/supervisor/edgevisord).
#pragma once

#include <string>

namespace edgevisor {

// The first of <dir of this program>/<name> and <dir of this program>/../libexec/edgevisor/
// <name> that is executable; when neither is, the second, so that an error about the missing
// program names the place it belongs.
std::string helper_program(const std::string& name);

}  // namespace edgevisor
