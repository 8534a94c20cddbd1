// The suites boot two kernels (6.1 and Debian 11's 5.10) so that each fallback happens because
// the kernel lacks the feature, not because a test forced it. This case holds the premise: each
// feature the launcher and the cgroup code fall back from is there exactly from the version
// that brought it, on the kernel the guest really runs.
#include <linux/landlock.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <utility>

#include "vm_support.hpp"

namespace edgevisor::vmtest {
namespace {

bool has_syscall(long rc) {
    return rc >= 0 || errno != ENOSYS;
}

TEST_CASE(
    "kernel: mount_setattr, Landlock, cgroup.kill and memory.peak exactly from 5.12, 5.13, "
    "5.14 and 5.19") {
    require_vm();
    utsname u{};
    REQUIRE(::uname(&u) == 0);
    int major = 0, minor = 0;
    REQUIRE(std::sscanf(u.release, "%d.%d", &major, &minor) == 2);
    INFO("Linux " << u.release);
    auto since = [&](int ma, int mi) { return std::pair{major, minor} >= std::pair{ma, mi}; };

    // Bad arguments: EBADF/EINVAL where the call exists, ENOSYS where it does not.
    CHECK(has_syscall(::syscall(SYS_mount_setattr, -1, "", 0, nullptr, 0)) == since(5, 12));
    // Where Landlock is built but not enabled the call says EOPNOTSUPP, not ENOSYS.
    CHECK(has_syscall(::syscall(SYS_landlock_create_ruleset, nullptr, 0,
                                LANDLOCK_CREATE_RULESET_VERSION)) == since(5, 13));
    auto tree = open_tree();
    auto cgroup = must(tree.create_workload("floor"), "create workloads/floor");
    CHECK(kernel_has_file(cgroup, "cgroup.kill") == since(5, 14));
    CHECK(kernel_has_file(cgroup, "memory.peak") == since(5, 19));
}

}  // namespace
}  // namespace edgevisor::vmtest
