// Privileges end to end: the real Launcher starts edgevisor-checker as the workload, which
// reports its capability sets, no_new_privs and seccomp mode, or attempts a call and reports
// the errno. Each refused call is also made unconfined with the same capabilities, so the
// test shows that the filter (not a missing capability) refused it.
#include <linux/capability.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <string>

#include "launcher_support.hpp"
#include "refusals.hpp"
#include "shared_data.hpp"
#include "skip.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;
using nlohmann::json;

namespace {

manifests::Capability cap(int number, const char* name) {
    return {number, name};
}

manifests::Workload with_profile(manifests::SeccompProfile profile,
                                 std::vector<manifests::Capability> add = {}) {
    auto w = checker_workload({"report"});
    w.spec.user.uid = {0, ""};
    w.spec.isolation.seccomp.profile = profile;
    w.spec.isolation.capabilities.add = std::move(add);
    return w;
}

json status_of(manifests::Workload w) {
    require_native("seccomp and capability changes");
    w.spec.command = {kChecker, "report"};
    return run_json(w).at("status");
}

const std::string kNone = "0000000000000000";
const std::string kNet = "0000000000002400";  // NET_BIND_SERVICE (10) + NET_RAW (13)

std::vector<manifests::Capability> net_caps() {
    return {cap(CAP_NET_BIND_SERVICE, "CAP_NET_BIND_SERVICE"), cap(CAP_NET_RAW, "CAP_NET_RAW")};
}

void as_nobody(manifests::Workload& w) {
    w.spec.user.uid = {65534, ""};
    w.spec.user.gid = manifests::IdRef{65534, ""};
}

}  // namespace

TEST_CASE("checker sees the five sets, no_new_privs and the filter: root and non-root") {
    require_root();
    SECTION("root, nothing added") {
        auto s = status_of(with_profile(manifests::SeccompProfile::default_profile));
        for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
            CHECK(s[set] == kNone);
        }
        CHECK(s["NoNewPrivs"] == "1");
        CHECK(s["Seccomp"] == "2");
    }
    SECTION("root, NET_BIND_SERVICE and NET_RAW added") {
        auto s = status_of(with_profile(manifests::SeccompProfile::default_profile, net_caps()));
        CHECK(s["CapBnd"] == kNet);
        CHECK(s["CapPrm"] == kNet);
        CHECK(s["CapEff"] == kNet);
        CHECK(s["CapInh"] == kNone);
        CHECK(s["CapAmb"] == kNone);
    }
    SECTION("nobody, nothing added") {
        auto w = with_profile(manifests::SeccompProfile::default_profile);
        as_nobody(w);
        auto s = status_of(w);
        for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
            CHECK(s[set] == kNone);
        }
        CHECK(s["NoNewPrivs"] == "1");
    }
    SECTION("nobody, NET_BIND_SERVICE and NET_RAW added: ambient carries them over exec") {
        auto w = with_profile(manifests::SeccompProfile::default_profile, net_caps());
        as_nobody(w);
        auto s = status_of(w);
        for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
            INFO(set);
            CHECK(s[set] == kNet);
        }
    }
    // The kernel loads a filter without no_new_privs only for a CAP_SYS_ADMIN holder: the
    // launcher holds it for that and drops it; the workload never has it in any set.
    SECTION("a filter with noNewPrivileges off: CAP_SYS_ADMIN is gone by exec, root and not") {
        for (bool root : {true, false}) {
            INFO((root ? "root" : "nobody"));
            auto w = with_profile(manifests::SeccompProfile::default_profile, net_caps());
            w.spec.isolation.no_new_privileges = false;
            if (!root) as_nobody(w);
            auto s = status_of(w);
            CHECK(s["Seccomp"] == "2");
            CHECK(s["NoNewPrivs"] == "0");
            CHECK(s["CapBnd"] == kNet);
            CHECK(s["CapPrm"] == kNet);
            CHECK(s["CapEff"] == kNet);
            CHECK(s["CapAmb"] == (root ? kNone : kNet));
        }
    }
    SECTION("the same with init: edgevisor-init, pid 1, loses it at its execveat too") {
        require_native("seccomp");
        auto w = with_profile(manifests::SeccompProfile::default_profile);
        w.spec.isolation.no_new_privileges = false;
        w.spec.isolation.init = true;
        w.spec.command = {"/bin/busybox", "sh", "-c",
                          "grep -E '^(Cap(Prm|Eff|Bnd)|Seccomp):' /proc/1/status"};
        auto out = run(w);
        CHECK(out.out == "CapPrm:\t" + kNone + "\nCapEff:\t" + kNone + "\nCapBnd:\t" + kNone +
                             "\nSeccomp:\t2\n");
    }
    SECTION("unconfined, noNewPrivileges off") {
        auto w = with_profile(manifests::SeccompProfile::unconfined);
        w.spec.isolation.no_new_privileges = false;
        auto s = status_of(w);
        CHECK(s["Seccomp"] == "0");
        CHECK(s["NoNewPrivs"] == "0");
    }
}

namespace {

// Without the user namespace: there the kernel itself refuses most of these calls (reboot,
// settimeofday, mount in a mount namespace the host owns) whatever capability is granted
// inside; what these tests compare is the filter's answer against no filter.
int attempt_with(manifests::SeccompProfile profile, std::vector<manifests::Capability> caps,
                 const std::string& kind, const std::string& arg) {
    return attempt(without_user(with_profile(profile, std::move(caps))), kind, arg);
}

}  // namespace

TEST_CASE("default profile refuses each documented call with EPERM, unconfined does not") {
    require_root();
    require_native("seccomp");
    for (const auto& r : default_profile_refusals()) {
        INFO(r.call);
        const int denied =
            attempt_with(manifests::SeccompProfile::default_profile, r.caps, "privileged", r.call);
        const int open =
            attempt_with(manifests::SeccompProfile::unconfined, r.caps, "privileged", r.call);
        CHECK(denied == EPERM);
        CHECK(open != EPERM);
    }
}

TEST_CASE("a capability opens the calls Docker's profile ties to it, and only with it") {
    require_root();
    require_native("seccomp");
    for (const auto& r : capability_openings()) {
        INFO(r.call);
        const int opened =
            attempt_with(manifests::SeccompProfile::default_profile, r.caps, "privileged", r.call);
        CHECK(opened != EPERM);
        CHECK(opened ==
              attempt_with(manifests::SeccompProfile::unconfined, r.caps, "privileged", r.call));
        CHECK(attempt_with(manifests::SeccompProfile::default_profile, {}, "privileged", r.call) ==
              EPERM);
    }
    // CAP_SYS_ADMIN opens the mount family and the namespace calls.
    const std::vector<manifests::Capability> admin{cap(CAP_SYS_ADMIN, "CAP_SYS_ADMIN")};
    CHECK(attempt_with(manifests::SeccompProfile::default_profile, admin, "mount_tmpfs", "/tmp") ==
          0);
    CHECK(attempt_with(manifests::SeccompProfile::default_profile, admin, "syscall",
                       "unshare_user") == 0);
    CHECK(attempt_with(manifests::SeccompProfile::default_profile, {}, "syscall", "unshare_user") ==
          EPERM);
}

TEST_CASE("a raw socket needs CAP_NET_RAW, the default profile filters only socket families") {
    require_root();
    require_native("seccomp");
    const std::vector<manifests::Capability> raw{cap(CAP_NET_RAW, "CAP_NET_RAW")};
    CHECK(attempt_with(manifests::SeccompProfile::default_profile, {}, "privileged",
                       "raw_socket") == EPERM);
    CHECK(attempt_with(manifests::SeccompProfile::default_profile, raw, "privileged",
                       "raw_socket") == 0);
}

TEST_CASE("Docker's default profile imported and enforced") {
    require_root();
    require_native("seccomp");
    const std::string path = docker_profile_path();
    auto w = with_profile(manifests::SeccompProfile::file);
    w.spec.isolation.seccomp.path = path;
    auto report = run_json(w);  // an ordinary program runs under it
    CHECK(report["status"]["Seccomp"] == "2");
    CHECK(attempt(w, "syscall", "unshare_user") == EPERM);
    CHECK(attempt(w, "privileged", "keyctl") == EPERM);
    CHECK(attempt(w, "privileged", "uname") == EFAULT);  // allowed by Docker's list

    // includes.caps: with SYS_ADMIN granted, Docker's profile allows mount and unshare. The
    // mount is tried without the user namespace: inside it the kernel refuses it whatever the
    // filter says (the mount namespace belongs to the host's user namespace).
    w.spec.isolation.capabilities.add = {cap(CAP_SYS_ADMIN, "CAP_SYS_ADMIN")};
    CHECK(attempt(without_user(w), "mount_tmpfs", "/tmp") == 0);
    CHECK(attempt(w, "mount_tmpfs", "/tmp") == EPERM);
    CHECK(attempt(w, "syscall", "unshare_user") == 0);
}

TEST_CASE("a kill-process rule ends the workload with SIGSYS") {
    require_root();
    require_native("seccomp");
    auto w = with_profile(manifests::SeccompProfile::custom);
    w.spec.isolation.seccomp.default_action = {manifests::SeccompActionKind::allow, 0};
    w.spec.isolation.seccomp.rules = {
        {{"uname"}, {manifests::SeccompActionKind::kill_process, 0}, {}}};
    w.spec.command = {kChecker, "attempt", "privileged", "uname"};
    auto out = run(w);
    INFO("output: " << out.out);
    REQUIRE(WIFSIGNALED(out.status));
    CHECK(WTERMSIG(out.status) == SIGSYS);
}

TEST_CASE("policy mistakes stop the start with the name at fault") {
    require_root();
    auto custom = with_profile(manifests::SeccompProfile::custom);
    custom.spec.isolation.seccomp.rules = {
        {{"getpid", "no_such_call"}, {manifests::SeccompActionKind::allow, 0}, {}}};
    CHECK_THAT(start_error(custom), Catch::Contains("no_such_call"));

    auto future =
        with_profile(manifests::SeccompProfile::default_profile, {cap(63, "CAP_FROM_THE_FUTURE")});
    CHECK_THAT(start_error(future), Catch::Contains("CAP_FROM_THE_FUTURE"));
}
