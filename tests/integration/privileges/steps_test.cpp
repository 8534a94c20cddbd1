// The privilege steps applied for real in a forked child, in the launcher's order, without the
// launcher: what /proc/self/status of the exec'd program shows, the securebits, and the
// seccomp filter's effect on raw calls (native and i386 compat ABI).
#include <fcntl.h>
#include <grp.h>
#include <linux/securebits.h>
#include <pthread.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <string>

#include "capabilities.hpp"
#include "refusals.hpp"
#include "seccomp.hpp"
#include "skip.hpp"

using namespace edgevisor;
using namespace edgevisor::isolation;

namespace {

constexpr uid_t kNobody = 65534;

struct Child {
    std::string out;
    int status = -1;
};

// Forks; the child applies the steps (as Launcher's checklist does), then runs `after` and
// _exits with its value. Output the child writes to fd 1 is collected.
Child run_steps(const CapabilityPlan& plan, const SeccompProgram* program, uid_t uid,
                const std::function<int()>& after) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(fds[1], 1);
        auto step = [](int rc, int code) {
            if (rc != 0) ::_exit(code);
        };
        step(child_drop_bounding(plan), 101);
        step(child_lock_securebits(plan), 102);
        if (uid != 0) {
            const gid_t gid = uid;
            step(::setgroups(0, nullptr) == 0 ? 0 : errno, 103);
            step(::setresgid(gid, gid, gid) == 0 ? 0 : errno, 104);
            step(::setresuid(uid, uid, uid) == 0 ? 0 : errno, 105);
        }
        step(child_apply_sets(plan), 106);
        step(child_set_no_new_privs(plan), 107);
        if (program != nullptr) step(child_load_seccomp(*program), 108);
        ::_exit(after());
    }
    ::close(fds[1]);
    Child child;
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) {
        child.out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    REQUIRE(::waitpid(pid, &child.status, 0) == pid);
    return child;
}

// Runs `path /proc/self/status` after the steps and returns its fields.
std::map<std::string, std::string> status_after_exec(const CapabilityPlan& plan,
                                                     const SeccompProgram* program, uid_t uid,
                                                     const char* path = "/bin/cat") {
    auto child = run_steps(plan, program, uid, [path] {
        ::execl(path, path, "/proc/self/status", static_cast<char*>(nullptr));
        return 127;
    });
    INFO("output: " << child.out);
    REQUIRE(WIFEXITED(child.status));
    REQUIRE(WEXITSTATUS(child.status) == 0);
    std::map<std::string, std::string> fields;
    std::istringstream in(child.out);
    for (std::string line; std::getline(in, line);) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        const auto value = line.find_first_not_of(" \t", colon + 1);
        fields[line.substr(0, colon)] = value == std::string::npos ? "" : line.substr(value);
    }
    return fields;
}

CapabilityPlan plan_for(
    std::vector<manifests::Capability> add, uid_t uid,
    manifests::SeccompProfile profile = manifests::SeccompProfile::default_profile,
    bool no_new_privileges = true) {
    manifests::Isolation isolation;
    isolation.capabilities.add = std::move(add);
    isolation.seccomp.profile = profile;
    isolation.no_new_privileges = no_new_privileges;
    auto plan = prepare_capabilities(isolation, uid);
    REQUIRE(plan.has_value());
    return *plan;
}

std::shared_ptr<const SeccompProgram> default_program() {
    auto program = prepare_seccomp(manifests::Seccomp{});
    REQUIRE(program.has_value());
    return *program;
}

const std::vector<manifests::Capability> kNet = {{CAP_NET_BIND_SERVICE, "CAP_NET_BIND_SERVICE"},
                                                 {CAP_NET_RAW, "CAP_NET_RAW"}};
const std::string kNetMask = "0000000000002400";
const std::string kNone = "0000000000000000";

void require_kernel_tests() {
    testing::require_root();
    testing::require_native("loading seccomp filters");
}

// Returns -errno or the result of an i386 system call made with int $0x80.
long i386_syscall(long nr, long a = 0, long b = 0) {
#if defined(__x86_64__)
    long ret = 0;
    asm volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b) : "memory");
    return ret;
#else
    (void)nr, (void)a, (void)b;
    return -ENOSYS;
#endif
}

}  // namespace

TEST_CASE("root workload without add: every set empty, no_new_privs, filter on") {
    require_kernel_tests();
    auto program = default_program();
    auto status = status_after_exec(plan_for({}, 0), program.get(), 0);
    for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
        INFO(set);
        CHECK(status[set] == kNone);
    }
    CHECK(status["NoNewPrivs"] == "1");
    CHECK(status["Seccomp"] == "2");
}

TEST_CASE("root workload with add: exactly those in bounding, permitted, effective") {
    require_kernel_tests();
    auto program = default_program();
    auto status = status_after_exec(plan_for(kNet, 0), program.get(), 0);
    CHECK(status["CapBnd"] == kNetMask);
    CHECK(status["CapPrm"] == kNetMask);
    CHECK(status["CapEff"] == kNetMask);
    CHECK(status["CapInh"] == kNone);
    CHECK(status["CapAmb"] == kNone);
}

TEST_CASE("non-root workload with add: the capabilities survive exec through ambient") {
    require_kernel_tests();
    auto program = default_program();
    auto status = status_after_exec(plan_for(kNet, kNobody), program.get(), kNobody);
    CHECK(status["Uid"].starts_with("65534\t65534\t65534"));
    for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
        INFO(set);
        CHECK(status[set] == kNetMask);
    }
    CHECK(status["NoNewPrivs"] == "1");
}

TEST_CASE("non-root workload without add: nothing at all") {
    require_kernel_tests();
    auto program = default_program();
    auto status = status_after_exec(plan_for({}, kNobody), program.get(), kNobody);
    for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
        INFO(set);
        CHECK(status[set] == kNone);
    }
}

TEST_CASE("unconfined with noNewPrivileges off: no filter, no no_new_privs") {
    require_kernel_tests();
    manifests::Seccomp unconfined;
    unconfined.profile = manifests::SeccompProfile::unconfined;
    auto program = prepare_seccomp(unconfined);
    REQUIRE(program.has_value());
    auto plan = plan_for({}, 0, manifests::SeccompProfile::unconfined, false);
    auto status = status_after_exec(plan, program->get(), 0);
    CHECK(status["NoNewPrivs"] == "0");
    CHECK(status["Seccomp"] == "0");
}

TEST_CASE("securebits are set and locked as planned") {
    require_kernel_tests();
    for (uid_t uid : {uid_t{0}, kNobody}) {
        auto plan = plan_for({}, uid);
        auto child = run_steps(plan, nullptr, uid, [] {
            const int bits = ::prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
            // Locked: even clearing them is refused.
            const bool locked = ::prctl(PR_SET_SECUREBITS, 0, 0, 0, 0) != 0;
            return bits >= 0 && locked ? bits & 0x7f : 1;
        });
        INFO("uid " << uid);
        REQUIRE(WIFEXITED(child.status));
        CHECK(static_cast<unsigned>(WEXITSTATUS(child.status)) == (plan.securebits & 0x7f));
    }
}

TEST_CASE("a setuid-root program gives a non-root workload no capabilities (SECBIT_NOROOT)") {
    require_kernel_tests();
    // A setuid-root copy of cat, on a filesystem without nosuid.
    char tmpl[] = "/tmp/edgevisor-suid-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    const std::filesystem::path dir = tmpl;
    std::filesystem::permissions(dir, std::filesystem::perms(0755));
    const auto cat = dir / "cat";
    std::filesystem::copy_file("/bin/cat", cat);
    REQUIRE(::chown(cat.c_str(), 0, 0) == 0);
    REQUIRE(::chmod(cat.c_str(), 04755) == 0);

    // NET_RAW stays in the bounding set: without NOROOT, euid 0 at exec would grant it.
    auto plan = plan_for({{CAP_NET_RAW, "CAP_NET_RAW"}}, kNobody,
                         manifests::SeccompProfile::unconfined, false);
    auto status = status_after_exec(plan, nullptr, kNobody, cat.c_str());
    std::filesystem::remove_all(dir);
    CHECK(status["Uid"].starts_with("65534\t0\t0"));  // the setuid bit did apply
    CHECK(status["CapBnd"] == "0000000000002000");
    CHECK(status["CapPrm"] == kNone);
    CHECK(status["CapEff"] == kNone);
    CHECK(status["CapAmb"] == kNone);  // cleared by the kernel on a setuid exec
}

TEST_CASE("default filter: namespaces refused, clone3 ENOSYS, fork and threads still work") {
    require_kernel_tests();
    auto program = default_program();
    auto child = run_steps(plan_for({}, 0), program.get(), 0, [] {
        if (::unshare(CLONE_NEWUSER) == 0 || errno != EPERM) return 10;
        if (::unshare(CLONE_NEWNET) == 0 || errno != EPERM) return 11;
        if (::syscall(SYS_clone3, nullptr, 0) == 0 || errno != ENOSYS) return 12;
        if (::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0) >= 0 || errno != EPERM) {
            return 13;
        }
        // unshare is CAP_SYS_ADMIN's as in Docker's profile, namespaces or not.
        if (::unshare(CLONE_FILES) == 0 || errno != EPERM) return 14;
        const pid_t pid = ::fork();
        if (pid == 0) ::_exit(7);
        int status = 0;
        if (pid < 0 || ::waitpid(pid, &status, 0) != pid || WEXITSTATUS(status) != 7) return 15;
        if (::personality(0xffffffff) < 0) return 16;  // the query: allowed
        if (::personality(0x0040000 /* ADDR_NO_RANDOMIZE */) != -1 || errno != EPERM) return 20;
        if (::personality(0x0008 /* PER_LINUX32 */) < 0) return 17;
        // glibc creates threads with clone3 first: ENOSYS must send it to clone().
        pthread_t thread{};
        auto body = [](void*) -> void* { return nullptr; };
        if (::pthread_create(&thread, nullptr, body, nullptr) != 0) return 18;
        if (::pthread_join(thread, nullptr) != 0) return 19;
        return 0;
    });
    CHECK(WIFEXITED(child.status));
    CHECK(WEXITSTATUS(child.status) == 0);
}

TEST_CASE("default filter covers the i386 ABI: int 0x80 cannot slip past") {
    require_kernel_tests();
#if !defined(__x86_64__)
    testing::skip("the i386 compat ABI exists only on x86_64");
#else
    constexpr long kI386Getpid = 20, kI386Unshare = 310;
    if (i386_syscall(kI386Getpid) != ::getpid()) {
        FAIL("this kernel has no i386 emulation (int 0x80 getpid failed): cannot test compat");
    }
    auto program = default_program();
    auto child = run_steps(plan_for({}, 0), program.get(), 0, [] {
        if (i386_syscall(kI386Getpid) != ::getpid()) return 20;  // compat arch is in the filter
        if (i386_syscall(kI386Unshare, CLONE_NEWUSER) != -EPERM) return 21;
        return 0;
    });
    INFO("exit " << (WIFEXITED(child.status) ? WEXITSTATUS(child.status) : -1) << " signal "
                 << (WIFSIGNALED(child.status) ? WTERMSIG(child.status) : 0));
    CHECK(WIFEXITED(child.status));
    CHECK(WEXITSTATUS(child.status) == 0);
#endif
}

namespace {

// errno reported by `edgevisor-checker attempt privileged CALL` run after the steps.
int checker_attempt(const std::vector<manifests::Capability>& caps, const SeccompProgram* program,
                    manifests::SeccompProfile profile, const char* call) {
    auto plan = plan_for(caps, 0, profile);
    auto child = run_steps(plan, program, 0, [call] {
        ::execl(EDGEVISOR_CHECKER, EDGEVISOR_CHECKER, "attempt", "privileged", call,
                static_cast<char*>(nullptr));
        return 127;
    });
    INFO(call << ": " << child.out);
    REQUIRE(WIFEXITED(child.status));
    REQUIRE(WEXITSTATUS(child.status) == 0);
    const auto at = child.out.find("\"errno\":");
    REQUIRE(at != std::string::npos);
    return std::stoi(child.out.substr(at + 8));
}

}  // namespace

TEST_CASE("default filter refuses each documented call with EPERM, unconfined does not") {
    require_kernel_tests();
    auto program = default_program();
    for (const auto& r : testing::default_profile_refusals()) {
        INFO(r.call);
        CHECK(checker_attempt(r.caps, program.get(), manifests::SeccompProfile::default_profile,
                              r.call) == EPERM);
        CHECK(checker_attempt(r.caps, nullptr, manifests::SeccompProfile::unconfined, r.call) !=
              EPERM);
    }
}
