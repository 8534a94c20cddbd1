// System calls by raw number, for the seccomp tests: "NR[,ARG...]" (decimal or 0x hex, up to six
// arguments, missing ones 0) made through the native ABI or, on x86_64, the i386 one (int 0x80).
// Returns 0 or the errno; ENOEXEC when the ABI is not there (i386 on a non-x86 build).
#pragma once

#include <string>

namespace edgevisor::checker {

int raw_syscall(const std::string& spec);
int raw_syscall_i386(const std::string& spec);

}  // namespace edgevisor::checker
