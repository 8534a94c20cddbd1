// isolation.init: a minimal init as pid 1 of the workload's pid namespace, like tini or
// `docker run --init`. The command runs as its child. A program that does not expect to be
// pid 1 then gets the usual signal semantics (the kernel drops a signal to pid 1 that pid 1
// has no handler for; a child gets it) and its orphans are reaped.
//
// pid 1 is edgevisor-init (isolation/init/init_main.cpp), a small static program that the
// child execveat()s where it would execve the command, with every step of the checklist
// (seccomp included) already applied. Not a forked copy of the launcher that never execs: that
// copy held the supervisor's memory, and /proc/1/exe led the workload to the supervisor's
// binary. The launcher opens the program before the child pivots into the workload's root;
// when it is missing the start fails at step "init" naming its path (no fallback).
#pragma once

#include <string>
#include <vector>

#include "child_step.hpp"
#include "edgevisor/error.hpp"
#include "edgevisor/unique_fd.hpp"
#include "identity.hpp"

namespace edgevisor::isolation {

struct InitPlan {
    UniqueFd program;            // O_PATH of edgevisor-init; -1: no init
    std::string path;            // for the error when execveat fails
    int report_fd = -1;          // where the init finds the report pipe (its argv[1])
    std::string report_fd_text;  // argv[1]
    std::vector<char*> argv;     // edgevisor-init <report-fd> <command...>, NULL-terminated
};

// Parent: opens `path` (errors name it, step "init").
Result<InitPlan> prepare_init(const std::string& path);
// Parent, once the identity is in its final place: the init's argv points into it. The report
// pipe reaches the init as descriptor `report_fd`, the first one above the workload's own.
void set_init_command(InitPlan& init, const IdentityPlan& identity, int report_fd);

// Child, after child_setup_fds: moves the report pipe to init.report_fd (without
// close-on-exec: the init reports a failed execve of the command on it). Keeps the program's
// descriptor out of the way.
StepResult child_prepare_init_fds(const InitPlan& init, int& program_fd, int& report_fd) noexcept;
// Child, last: blocks every signal (the init waits for them with sigwaitinfo; none arriving
// in between is lost) and execs edgevisor-init. Returns only on failure.
StepResult child_exec_init(const InitPlan& init, int program_fd,
                           const IdentityPlan& identity) noexcept;

}  // namespace edgevisor::isolation
