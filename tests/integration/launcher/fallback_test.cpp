// The fallback paths for older kernels (our floor is Linux 5.10), forced through
// LauncherOptions, and the cgroup placement both ways.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "launcher_support.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;

namespace {

// A cgroup v2 directory of our own under the host's cgroup2 mount; removed at scope end.
class TestCgroup {
  public:
    TestCgroup() {
        for (const char* mount : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
            if (std::filesystem::exists(std::string(mount) + "/cgroup.procs")) {
                path_ =
                    std::string(mount) + "/edgevisor-launcher-test-" + std::to_string(::getpid());
                break;
            }
        }
        REQUIRE_FALSE(path_.empty());
        ::mkdir(path_.c_str(), 0755);
        fd_.reset(::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        REQUIRE(fd_);
    }
    ~TestCgroup() { ::rmdir(path_.c_str()); }
    TestCgroup(const TestCgroup&) = delete;
    TestCgroup& operator=(const TestCgroup&) = delete;
    [[nodiscard]] int fd() const { return fd_.get(); }
    [[nodiscard]] std::string name() const { return std::filesystem::path(path_).filename(); }

  private:
    std::string path_;
    UniqueFd fd_;
};

// clone3 + CLONE_INTO_CGROUP, clone3 + cgroup.procs, clone + cgroup.procs.
const isolation::LauncherOptions kSpawnPaths[] = {
    {}, {.allow_clone_into_cgroup = false}, {.allow_clone3 = false}};

std::string unified_cgroup(const nlohmann::json& report) {
    for (const auto& line : report["cgroup"]) {
        std::string l = line;
        if (l.starts_with("0::")) return l.substr(3);
    }
    return "?";
}

}  // namespace

TEST_CASE("fallback: clone() + pidfd_open when clone3 is not allowed") {
    auto w = checker_workload({"report", "/"});
    auto r = run_json(w, {.allow_clone3 = false});
    CHECK(r["pid"] == 1);
    CHECK(r["namespaces"]["mnt"] != host_namespace("mnt"));
    CHECK(r["paths"]["/"]["errno"] == EROFS);
}

TEST_CASE("cgroup: born in the given cgroup with CLONE_INTO_CGROUP, or joined via cgroup.procs") {
    TestCgroup cgroup;
    auto w = checker_workload({"report"});
    w.spec.isolation.namespaces = {manifests::Namespace::pid, manifests::Namespace::mount};
    isolation::LaunchRequest request;
    request.cgroup_fd = cgroup.fd();
    for (const auto& options : kSpawnPaths) {
        INFO("clone3 " << options.allow_clone3 << " into_cgroup "
                       << options.allow_clone_into_cgroup);
        auto r = run_json(w, options, request);
        CHECK(unified_cgroup(r) == "/" + cgroup.name());
    }
}

TEST_CASE("cgroup namespace is rooted at the workload's cgroup, on every path") {
    TestCgroup cgroup;
    auto w = checker_workload({"report"});
    isolation::LaunchRequest request;
    request.cgroup_fd = cgroup.fd();
    for (const auto& options : kSpawnPaths) {
        INFO("clone3 " << options.allow_clone3 << " into_cgroup "
                       << options.allow_clone_into_cgroup);
        auto r = run_json(w, options, request);
        CHECK(unified_cgroup(r) == "/");
        CHECK(r["namespaces"]["cgroup"] != host_namespace("cgroup"));
    }
}

TEST_CASE("fallback: read-only root without mount_setattr (remount of each submount)") {
    // Without the user namespace: root inside is the host's, only EROFS stops it.
    auto w = without_user(checker_workload({"report", "/", "/tmp", "/proc/sys/kernel/hostname"}));
    auto r = run_json(w, {.allow_mount_setattr = false});
    CHECK(r["paths"]["/"]["errno"] == EROFS);
    CHECK(r["paths"]["/tmp"]["writable"] == true);
    CHECK(r["paths"]["/proc/sys/kernel/hostname"]["errno"] == EROFS);
    CHECK(mount_options(r, "/").starts_with("ro"));
}
