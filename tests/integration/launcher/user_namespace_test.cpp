// uid 0 inside is not uid 0 outside (issue 15): the default user namespace with the workload's
// range from the pool, mounts locked against any capability inside, named ids mapped through,
// writable binds idmapped. Each tried from inside, as an attacker would.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "launcher_support.hpp"
#include "skip.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;
namespace fs = std::filesystem;

namespace {

manifests::Capability cap(int number, const char* name) {
    return {number, name};
}

// Root inside with SYS_ADMIN and no seccomp filter: only the kernel's mount locking is left.
manifests::Workload sys_admin_root() {
    auto w = checker_workload({});
    w.spec.isolation.capabilities.add = {cap(21, "CAP_SYS_ADMIN")};
    w.spec.isolation.seccomp.profile = manifests::SeccompProfile::unconfined;
    return w;
}

uid_t owner_of(const fs::path& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_uid;
}

manifests::Mount writable_bind(const fs::path& source, const std::string& target) {
    manifests::Mount m;
    m.source = source.string();
    m.target = target;
    m.read_only = false;
    return m;
}

}  // namespace

TEST_CASE(
    "userns: a root-only file and a root-only socket of the host are out of a root "
    "workload's reach") {
    require_root();
    HostDir host;
    const auto secret = host.path() / "secret";
    std::ofstream(secret) << "host root only\n";
    fs::permissions(secret, fs::perms(0600));
    const auto socket_path = host.path() / "root-only.sock";
    auto listener = listen_unix(socket_path);

    auto w = checker_workload({});
    CHECK(attempt(w, "open_read", secret.string()) == EACCES);
    CHECK(attempt(w, "connect_unix", socket_path.string()) == EACCES);
    // The opt-out, for contrast: root inside is the host's root, and a read-only mount stops
    // neither a read nor a connect.
    CHECK(attempt(without_user(w), "open_read", secret.string()) == 0);
    CHECK(attempt(without_user(w), "connect_unix", socket_path.string()) == 0);
}

TEST_CASE("userns: with SYS_ADMIN inside, the read-only root and the /proc masks stay") {
    require_root();
    auto check_locked = [](const manifests::Workload& w) {
        // The mount namespace belongs to the host's user namespace: no mount call at all.
        CHECK(attempt(w, "syscall", "remount_root_rw") == EPERM);
        CHECK(attempt(w, "syscall", "umount_proc_sys") == EPERM);
        // A mount namespace of its own copies the mounts locked.
        CHECK(attempt(w, "syscall", "ns_remount_root_rw") == EPERM);
        CHECK(attempt(w, "syscall", "ns_umount_proc_sys") == EINVAL);
    };
    SECTION("the default user namespace") {
        check_locked(sys_admin_root());
    }
    SECTION("without the user namespace, for contrast: SYS_ADMIN undoes the read-only root") {
        CHECK(attempt(without_user(sys_admin_root()), "syscall", "remount_root_rw") == 0);
    }
    SECTION("an explicit map of inside 0 onto host 0, the opt-in") {
        auto w = sys_admin_root();
        w.spec.isolation.uid_map = {{0, 0, 65536}};
        w.spec.isolation.gid_map = {{0, 0, 65536}};
        check_locked(w);
    }
}

TEST_CASE("userns: named ids map through 1:1, the rest of the range is the workload's own") {
    auto w = checker_workload({"report"});
    w.spec.user.uid = {1000, ""};
    w.spec.user.gid = manifests::IdRef{1000, ""};
    w.spec.user.groups = {{std::nullopt, "dialout"}};
    auto range = test_id_range(w);
    REQUIRE(range.has_value());
    auto r = run_json(w);
    CHECK(r["ids"]["uid"] == nlohmann::json({1000, 1000, 1000}));
    CHECK(r["ids"]["groups"] == nlohmann::json({20}));
    const auto f = std::to_string(range->first);
    auto line = [](std::uint64_t inside, std::uint64_t outside, std::uint64_t count) {
        char buf[96];
        std::snprintf(
            buf, sizeof buf, "%10llu %10llu %10llu", static_cast<unsigned long long>(inside),
            static_cast<unsigned long long>(outside), static_cast<unsigned long long>(count));
        return std::string(buf);
    };
    CHECK(r["uid_map"] == nlohmann::json({line(0, range->first, 1000), line(1000, 1000, 1),
                                          line(1001, range->first + 1001, 65536 - 1001)}));
    CHECK(r["gid_map"] ==
          nlohmann::json({line(0, range->first, 20), line(20, 20, 1),
                          line(21, range->first + 21, 1000 - 21), line(1000, 1000, 1),
                          line(1001, range->first + 1001, 65536 - 1001)}));
}

TEST_CASE("userns: a serial-port-like device of a host group is usable when that group is named") {
    require_root();
    HostDir host;
    const auto tty = host.path() / "ttyFAKE";
    REQUIRE(::mknod(tty.c_str(), S_IFCHR | 0660, makedev(1, 3)) == 0);  // /dev/null's numbers
    REQUIRE(::chown(tty.c_str(), 0, 20) == 0);                          // root:dialout
    REQUIRE(::chmod(tty.c_str(), 0660) == 0);
    auto w = checker_workload({});
    manifests::Mount bind;
    bind.source = tty.string();
    bind.target = "/dev/ttyFAKE";
    w.spec.isolation.mounts.push_back(bind);
    w.spec.user.uid = {1000, ""};
    w.spec.user.gid = manifests::IdRef{1000, ""};
    CHECK(attempt(w, "open_rdwr", "/dev/ttyFAKE") == EACCES);
    w.spec.user.groups = {{std::nullopt, "dialout"}};
    CHECK(attempt(w, "open_rdwr", "/dev/ttyFAKE") == 0);
}

TEST_CASE(
    "userns: what the workload writes in a writable bind is owned as it would be on the "
    "host") {
    require_root();
    HostDir host;
    const auto data = host.path() / "data";
    fs::create_directory(data);
    fs::permissions(data, fs::perms(0777));
    auto w = checker_workload({});
    w.spec.isolation.mounts.push_back(writable_bind(data, "/tmp/data"));

    SECTION("the manifest's user 1000") {
        w.spec.user.uid = {1000, ""};
        w.spec.user.gid = manifests::IdRef{1000, ""};
        REQUIRE(attempt(w, "write_file", "/tmp/data/by-1000") == 0);
        CHECK(owner_of(data / "by-1000") == 1000);
    }
    SECTION("uid 1000 that root inside changes to, not named in the manifest") {
        w.spec.isolation.capabilities.add = {cap(6, "CAP_SETGID"), cap(7, "CAP_SETUID")};
        REQUIRE(attempt(w, "write_as_1000", "/tmp/data/as-1000") == 0);
        CHECK(attempt(w, "write_file", "/tmp/data/by-root") == 0);
        if (idmapped_mounts_work(data)) {
            CHECK(owner_of(data / "as-1000") == 1000);
            CHECK(owner_of(data / "by-root") == 0);
        } else {
            // Where the kernel (< 5.12) or the filesystem has no idmapped mounts: the documented
            // fallback, a plain bind where the workload's ids are its host range.
            auto range = test_id_range(w);
            REQUIRE(range.has_value());
            CHECK(owner_of(data / "as-1000") == range->first + 1000);
            CHECK(owner_of(data / "by-root") == range->first);
        }
    }
    SECTION("without idmapped mounts (the fallback): the workload's host range") {
        auto range = test_id_range(w);
        REQUIRE(range.has_value());
        w.spec.command = {kChecker, "attempt", "write_file", "/tmp/data/by-root"};
        auto out = run_json(w, {.allow_idmapped_mounts = false});
        REQUIRE(out["errno"] == 0);
        CHECK(owner_of(data / "by-root") == range->first);
    }
}

TEST_CASE(
    "userns: a launcher whose fd table is crowded past the workload's open-files limit still "
    "starts it") {
    // A daemon with a thousand workloads holds thousands of fds, and opens the namespace and
    // id-map files after the workload's own fds: the child must park its fds above all of them
    // before the workload's limit of 1024 applies.
    require_root();
    rlimit saved{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
    REQUIRE(saved.rlim_max >= 4096);
    struct Restore {
        rlimit limit;
        ~Restore() { ::setrlimit(RLIMIT_NOFILE, &limit); }
    } restore{saved};
    rlimit raised{4096, saved.rlim_max};
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &raised) == 0);
    std::vector<UniqueFd> crowd;
    for (int i = 0; i < 1500; ++i) crowd.emplace_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    REQUIRE(crowd.back().get() > 1024);

    auto w = checker_workload({"report"});
    w.spec.isolation.rlimits = {{"nofile", 1024, 4096}};
    CHECK(run_json(w)["rlimits"]["nofile"] == nlohmann::json::array({1024, 4096}));
    // A hard limit below the room the fd steps need applies once they are done.
    w.spec.isolation.rlimits = {{"nofile", 8, 16}};
    CHECK(run_json(w)["rlimits"]["nofile"] == nlohmann::json::array({8, 16}));
}
