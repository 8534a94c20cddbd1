// Helpers for the cgroup integration tests: a private cgroup subtree per test process, and a
// clone3(CLONE_INTO_CGROUP | CLONE_PIDFD) of our own for children with precise behaviour.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>

#include "edgevisor/isolation/cgroup.hpp"
#include "edgevisor/isolation/launcher.hpp"

namespace edgevisor::testing {

// Options for a standalone tree at <mount>/edgevisor-test-<pid>, removed when it closes.
isolation::CgroupOptions test_tree_options();

// CgroupTree::open(test_tree_options()), REQUIREd to succeed (after require_root()).
isolation::CgroupTree open_test_tree(isolation::CgroupOptions options = test_tree_options());

// Forks a child born in the cgroup (clone3 CLONE_INTO_CGROUP) that runs body and _exits 0.
// body runs in a copy of this process: no Catch2 macros in it.
isolation::Process spawn_into(int cgroup_fd, const std::function<void()>& body);

// A child that burns cpu until killed.
[[noreturn]] void spin_forever();

// Waits until fd is readable (POLLIN); false on timeout.
bool wait_readable(int fd, std::chrono::milliseconds timeout);

// True when the directory exists.
bool dir_exists(const std::string& path);

// Runs `fn` in a forked child and returns its exit code (the child's stdout/stderr show).
int in_child(const std::function<int()>& fn);

}  // namespace edgevisor::testing
