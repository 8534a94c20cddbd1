// Every start-failure step, forced, with the exact message a user sees.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "launcher_support.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;

TEST_CASE("start failure: missing rootfs") {
    auto w = checker_workload({});
    w.spec.isolation.rootfs.path = "/srv/edgevisor-no-such-rootfs";
    CHECK(start_error(w) ==
          "checker: start failed at pivot_root(/srv/edgevisor-no-such-rootfs): No such file or "
          "directory");
}

TEST_CASE("start failure: a rootfs whose /proc is a symlink out of it") {
    TinyRootfs rootfs;
    std::filesystem::remove(rootfs.path() / "proc");
    std::filesystem::create_directory_symlink("/proc", rootfs.path() / "proc");
    auto w = checker_workload({});
    w.spec.command[0] = "/checker";
    w.spec.isolation.rootfs.path = rootfs.path().string();
    CHECK(start_error(w) ==
          "checker: start failed at mount_target(/proc): Too many levels of symbolic links");
}

TEST_CASE("start failure: a rootfs whose /dev is a relative symlink climbing out") {
    TinyRootfs rootfs;
    std::filesystem::remove(rootfs.path() / "dev");
    std::filesystem::create_directory_symlink("../../../dev", rootfs.path() / "dev");
    auto w = checker_workload({});
    w.spec.command[0] = "/checker";
    w.spec.isolation.rootfs.path = rootfs.path().string();
    CHECK(start_error(w) ==
          "checker: start failed at mount_target(/dev): Too many levels of symbolic links");
}

TEST_CASE("start failure: bind source missing") {
    auto w = checker_workload({});
    manifests::Mount m;
    m.source = "/srv/edgevisor-no-such-source";
    m.target = "/mnt";
    w.spec.isolation.mounts.push_back(m);
    CHECK(start_error(w) ==
          "checker: start failed at bind_source(/srv/edgevisor-no-such-source): No such file or "
          "directory");
}

TEST_CASE("start failure: bind target that is a symlink out of the root, directly or on the way") {
    TinyRootfs rootfs;
    std::filesystem::create_directory_symlink("/etc", rootfs.path() / "escape");
    auto w = checker_workload({});
    w.spec.command[0] = "/checker";
    w.spec.isolation.rootfs.path = rootfs.path().string();
    manifests::Mount m;
    m.source = "/usr";
    m.target = "/escape";
    w.spec.isolation.mounts.push_back(m);
    CHECK(start_error(w) ==
          "checker: start failed at mount_target(/escape): Too many levels of symbolic links");
    w.spec.isolation.mounts.back().target = "/escape/sub";
    CHECK(start_error(w) ==
          "checker: start failed at mount_target(/escape/sub): Too many levels of symbolic links");
}

TEST_CASE("start failure: mount target missing in a read-only root") {
    auto w = checker_workload({});
    w.spec.isolation.mounts.back().target = "/edgevisor-no-such-dir";
    CHECK(start_error(w) ==
          "checker: start failed at mount_target(/edgevisor-no-such-dir): Read-only file system");
}

TEST_CASE("start failure: unknown user or group name") {
    auto w = checker_workload({});
    w.spec.user.uid = {std::nullopt, "edgevisor-no-such-user"};
    CHECK(start_error(w) ==
          "checker: start failed at user(edgevisor-no-such-user): no such user in the host's "
          "/etc/passwd");
    auto g = checker_workload({});
    g.spec.user.groups = {{std::nullopt, "edgevisor-no-such-group"}};
    CHECK(start_error(g) ==
          "checker: start failed at group(edgevisor-no-such-group): no such group in the host's "
          "/etc/group");
}

TEST_CASE("start failure: uid not mapped in the user namespace") {
    auto w = checker_workload({});
    w.spec.isolation.namespaces.push_back(manifests::Namespace::user);
    w.spec.isolation.uid_map = {{0, 100000, 10}};
    w.spec.isolation.gid_map = {{0, 100000, 10}};
    w.spec.user.uid = {5000, ""};
    CHECK(start_error(w) == "checker: start failed at setuid(5000): Invalid argument");
}

TEST_CASE("start failure: working directory missing") {
    auto w = checker_workload({});
    w.spec.working_dir = "/edgevisor-no-such-dir";
    CHECK(start_error(w) ==
          "checker: start failed at chdir(/edgevisor-no-such-dir): No such file or directory");
}

TEST_CASE("start failure: command missing or not executable") {
    auto w = checker_workload({});
    w.spec.command = {"/usr/bin/edgevisor-no-such-command"};
    CHECK(start_error(w) ==
          "checker: start failed at execve(/usr/bin/edgevisor-no-such-command): No such file or "
          "directory");
    // Beside the checker: a place the workload's tmpfs /tmp does not hide.
    std::string plain =
        (std::filesystem::path(kChecker).parent_path() / "edgevisor-not-executable").string();
    { std::ofstream(plain) << "data"; }
    std::filesystem::permissions(plain, std::filesystem::perms(0644));
    w.spec.command = {plain};
    CHECK(start_error(w) == "checker: start failed at execve(" + plain + "): Permission denied");
    std::filesystem::remove(plain);
}

TEST_CASE("start failure: unknown rlimit, impossible rlimit") {
    auto w = checker_workload({});
    w.spec.isolation.rlimits = {{"bogus", 1, 1}};
    CHECK(start_error(w) == "checker: start failed at rlimit(bogus): unknown limit");
    w.spec.isolation.rlimits = {{"nofile", 10, 5}};  // soft above hard
    CHECK(start_error(w) == "checker: start failed at rlimit(nofile): Invalid argument");
}

TEST_CASE("start failure: a declared fd that is not open") {
    auto w = checker_workload({});
    isolation::Launcher launcher;
    isolation::LaunchRequest request;
    request.workload = &w;
    request.id_range = test_id_range(w);
    request.pass_fds = {987};
    auto p = launcher.launch(request);
    REQUIRE_FALSE(p.has_value());
    CHECK(p.error().describe() == "checker: start failed at fds(pass_fd 987): Bad file descriptor");
    CHECK(p.error().step == "fds");
    CHECK(p.error().code == EBADF);
}
