// isolation.init: a minimal init as pid 1 of the workload's pid namespace, like tini or
// `docker run --init`. The command runs as its child. A program that does not expect to be
// pid 1 then gets the usual signal semantics (the kernel drops a signal to pid 1 that pid 1
// has no handler for; a child gets it) and its orphans are reaped. Runs where the checklist
// would execve, with every step of the checklist (seccomp included) already applied to it.
#pragma once

#include "identity.hpp"

namespace edgevisor::isolation {

// Forks the command (which then execs, or reports "execve" on report_fd like the checklist)
// and stays as pid 1: forwards every signal it receives to the command's process group (the
// command leads one), reaps every child,
// and exits when the command does, with its exit status (128+N when signal N killed it).
// The kernel then ends whatever is left in the namespace. Allocates nothing.
[[noreturn]] void child_run_init(const IdentityPlan& identity, int report_fd) noexcept;

}  // namespace edgevisor::isolation
