// The privilege tests' attempts: calls that the default seccomp profile or a missing capability
// must refuse, each made with harmless arguments so that, when the policy lets it through, the
// kernel answers with something other than EPERM (or succeeds without changing the machine).
#pragma once

#include <string>

namespace edgevisor::checker {

// 0 if the call succeeded, else its errno. Unknown names end the checker with exit status 2.
int privilege_call(const std::string& name);

}  // namespace edgevisor::checker
