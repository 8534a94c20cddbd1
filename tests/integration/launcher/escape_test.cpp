// Escape attempts from inside a workload with the default isolation: each must fail, and fail
// for the reason the isolation gives (the errno is checked, not just "it failed").
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "launcher_support.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;

namespace {

manifests::Capability cap(int number, const char* name) {
    return {number, name};
}

// Root with the capabilities an escape would need, so that the namespace and mount isolation
// is what stops it, not merely the dropped capabilities or seccomp.
manifests::Workload strong_root() {
    auto w = checker_workload({});
    w.spec.isolation.capabilities.add = {cap(0, "CAP_CHOWN"),      cap(1, "CAP_DAC_OVERRIDE"),
                                         cap(5, "CAP_KILL"),       cap(19, "CAP_SYS_PTRACE"),
                                         cap(21, "CAP_SYS_ADMIN"), cap(27, "CAP_MKNOD")};
    w.spec.isolation.seccomp.profile = manifests::SeccompProfile::unconfined;
    return w;
}

}  // namespace

TEST_CASE("escape: writing to the read-only root") {
    CHECK(attempt(checker_workload({}), "write_file", "/etc/edgevisor-escape") == EROFS);
    CHECK(attempt(strong_root(), "write_file", "/etc/edgevisor-escape") == EROFS);
    // The host's file refuses root inside before the read-only mount does; without the user
    // namespace (root is the host's) the mount does.
    CHECK(attempt(strong_root(), "open_write", "/etc/hostname") ==
          host_file_write_errno("/etc/hostname"));
    CHECK(attempt(without_user(strong_root()), "open_write", "/etc/hostname") == EROFS);
    CHECK_FALSE(std::filesystem::exists("/etc/edgevisor-escape"));
}

TEST_CASE("escape: mounting") {
    CHECK(attempt(checker_workload({}), "mount_tmpfs", "/mnt") == EPERM);
}

TEST_CASE("escape: seeing or signalling a host pid, reading a host process's environment") {
    HostSleeper sleeper;
    auto pid = std::to_string(sleeper.pid());
    CHECK(attempt(checker_workload({}), "signal0", pid) == ESRCH);
    CHECK(attempt(strong_root(), "kill", pid) == ESRCH);
    CHECK(attempt(strong_root(), "read_environ", pid) == ENOENT);
    CHECK(::kill(sleeper.pid(), 0) == 0);  // still alive
}

TEST_CASE("escape: a leaked fd, or a host directory through /proc/self/fd or cwd") {
    UniqueFd leaked{::open("/root", O_RDONLY | O_DIRECTORY)};  // no O_CLOEXEC on purpose
    REQUIRE(leaked);
    auto fd = std::to_string(leaked.get());
    CHECK(attempt(strong_root(), "fchdir", fd) == EBADF);
    CHECK(attempt(strong_root(), "chdir", "/proc/self/fd/" + fd) == ENOENT);
    // The workload's cwd is inside its root, and ".." at its root stays there.
    TinyRootfs rootfs;
    auto w = strong_root();
    w.spec.isolation.rootfs.path = rootfs.path().string();
    w.spec.command = {"/checker", "attempt", "open_read", "../../../../etc/hostname"};
    CHECK(run_json(w)["errno"] == ENOENT);
    w.spec.command = {"/checker", "attempt", "chdir", "/proc/1/root/../../../usr"};
    CHECK(run_json(w)["errno"] == ENOENT);
}

TEST_CASE("escape: writing /proc/sys or /sys") {
    std::vector<std::string> files{"/proc/sys/kernel/hostname", "/proc/sys/vm/drop_caches",
                                   "/sys/kernel/mm/transparent_hugepage/enabled"};
    for (const char* optional : {"/proc/sysrq-trigger", "/sys/power/state"})
        if (std::filesystem::exists(optional)) files.emplace_back(optional);
    for (const auto& file : files) {
        INFO(file);
        // Root inside is not the host's root, whom these files belong to; without the user
        // namespace it is, and the read-only mounts stop it.
        CHECK(attempt(strong_root(), "open_write", file) == EACCES);
        CHECK(attempt(without_user(strong_root()), "open_write", file) == EROFS);
    }
}

TEST_CASE("escape: creating a device node and opening it") {
    CHECK(attempt(checker_workload({}), "mknod_open", "/tmp/mem") == EPERM);
    // CAP_MKNOD inside a user namespace does not let mknod make a device at all; without the
    // user namespace it does, and /dev and every tmpfs are nodev.
    CHECK(attempt(strong_root(), "mknod_open", "/tmp/mem") == EPERM);
    CHECK(attempt(without_user(strong_root()), "mknod_open", "/tmp/mem") == EACCES);
    CHECK(attempt(without_user(strong_root()), "mknod_open", "/dev/mem") == EACCES);
}

TEST_CASE("escape: sethostname changes only the workload's uts namespace") {
    char before[256] = {};
    ::gethostname(before, sizeof before);
    CHECK(attempt(checker_workload({}), "sethostname", "pwned") == EPERM);
    CHECK(attempt(strong_root(), "sethostname", "pwned") == 0);
    char after[256] = {};
    ::gethostname(after, sizeof after);
    CHECK(std::string(after) == before);
}

TEST_CASE("escape: opening a disk device") {
    CHECK(attempt(strong_root(), "open_read", "/dev/vda") == ENOENT);
    CHECK(attempt(strong_root(), "open_read", "/dev/mem") == ENOENT);
    CHECK(attempt(strong_root(), "open_read", "/proc/timer_list") == 0);  // reads /dev/null: masked
    if (std::filesystem::exists("/proc/kcore"))
        CHECK(attempt(strong_root(), "open_read", "/proc/kcore") == 0);
}
