// The default seccomp profile (an allow list) on the real kernel: a default workload makes each
// newer or dangerous call by raw number, through the native ABI and the compat ones (i386 by
// int 0x80; x32 by the x32 bit, which the filter sees even on kernels built without x32), and
// gets the documented errno; the same call unconfined gets another answer, so the filter (not
// the kernel or a missing capability) decided. Common programs (sh, coreutils, busybox) still
// work under it.
#include <sys/syscall.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <string>

#include "launcher_support.hpp"
#include "skip.hpp"

using namespace edgevisor;
using namespace edgevisor::testing;

namespace {

struct RawCase {
    const char* what;
    std::string spec;  // NR[,ARG...] for the checker's raw_syscall attempts
    int expected;      // errno under the default profile
    bool unconfined_differs = true;
};

manifests::Workload workload(manifests::SeccompProfile profile) {
    auto w = checker_workload({});
    w.spec.user.uid = {0, ""};
    w.spec.isolation.seccomp.profile = profile;
    return w;
}

std::string nr(long number, const std::string& args = "") {
    return std::to_string(number) + (args.empty() ? "" : "," + args);
}

constexpr long kX32 = 0x40000000;

// Numbers the Debian 12 headers (Linux 6.1) do not name yet; the same on every ABI.
constexpr long kStatmount = 457, kListmount = 458, kLsmGetSelfAttr = 459, kLsmSetSelfAttr = 460,
               kLsmListModules = 461, kOpenTreeAttr = 467, kFileGetattr = 468, kFileSetattr = 469;

void check_cases(const char* attempt_kind, const std::vector<RawCase>& cases) {
    const auto confined = workload(manifests::SeccompProfile::default_profile);
    const auto open = workload(manifests::SeccompProfile::unconfined);
    for (const auto& c : cases) {
        INFO(attempt_kind << " " << c.what << " (" << c.spec << ")");
        const int denied = attempt(confined, attempt_kind, c.spec);
        CHECK(denied == c.expected);
        if (!c.unconfined_differs) continue;
        const int unconfined = attempt(open, attempt_kind, c.spec);
        // A kernel older than the call (Linux 5.10 in the test guest) answers ENOSYS itself:
        // then the filter's ENOSYS cannot be told from the kernel's, and nothing else is to see.
        if (c.expected == ENOSYS && unconfined == ENOSYS) continue;
        CHECK(unconfined != c.expected);
    }
}

}  // namespace

TEST_CASE("default profile: newer and dangerous calls by raw number, native ABI") {
    require_root();
    require_native("seccomp");
    check_cases(
        "raw_syscall",
        {
            // The mount family and the calls newer than libseccomp 2.5.4 that it belongs to.
            {"open_tree_attr", nr(kOpenTreeAttr, "-1,0,0,0,0"), EPERM},
            {"mount", nr(SYS_mount), EPERM, false},  // root without CAP_SYS_ADMIN: EPERM too
            {"fsopen", nr(SYS_fsopen), EPERM, false},
            {"lsm_get_self_attr", nr(kLsmGetSelfAttr), EPERM},
            {"lsm_set_self_attr", nr(kLsmSetSelfAttr), EPERM},
            {"lsm_list_modules", nr(kLsmListModules), EPERM},
            // Other processes' memory and files.
            {"pidfd_getfd", nr(SYS_pidfd_getfd, "-1,0,0"), EPERM},
            {"process_madvise", nr(SYS_process_madvise, "-1,0,0,0,0"), EPERM},
            {"process_vm_readv", nr(SYS_process_vm_readv, "0,0,0,0,0,0"), EPERM},
            {"process_vm_writev", nr(SYS_process_vm_writev, "0,0,0,0,0,0"), EPERM},
            {"fanotify_init", nr(SYS_fanotify_init), EPERM,
             false},  // CAP_SYS_ADMIN in the kernel
                      // Socket families: AF_VSOCK (40) reaches a VM's host, AF_ALG (38).
            {"socket(AF_VSOCK)", nr(SYS_socket, "40,1,0"), EPERM},
            {"socket(AF_ALG)", nr(SYS_socket, "38,5,0"), EPERM},
            {"personality(ADDR_NO_RANDOMIZE)", nr(SYS_personality, "0x40000"), EPERM},
            // Newer or unknown: ENOSYS, as on an older kernel.
            {"statmount", nr(kStatmount), ENOSYS},
            {"listmount", nr(kListmount), ENOSYS},
            {"file_getattr", nr(kFileGetattr, "-1,0,0,0,0"), ENOSYS},
            {"file_setattr", nr(kFileSetattr, "-1,0,0,0,0"), ENOSYS},
            {"clone3 (glibc falls back to clone)", nr(SYS_clone3), ENOSYS},
            {"a number no kernel has", nr(1000), ENOSYS, false},
        });
    // What stays allowed, made the same way.
    const auto confined = workload(manifests::SeccompProfile::default_profile);
    CHECK(attempt(confined, "raw_syscall", nr(SYS_socket, "1,1,0")) == 0);            // AF_UNIX
    CHECK(attempt(confined, "raw_syscall", nr(SYS_personality, "0xffffffff")) == 0);  // query
    CHECK(attempt(confined, "raw_syscall", nr(SYS_getppid)) == 0);
}

#if defined(__x86_64__)
TEST_CASE("default profile: the same refusals through the i386 and x32 ABIs") {
    require_root();
    require_native("seccomp");
    const auto open = workload(manifests::SeccompProfile::unconfined);
    if (attempt(open, "raw_syscall_i386", "20") != 0) {  // getpid
        skip("this kernel runs no i386 binaries (CONFIG_IA32_EMULATION)");
    }
    check_cases("raw_syscall_i386",
                {
                    {"open_tree_attr", nr(kOpenTreeAttr, "-1,0,0,0,0"), EPERM},
                    {"mount", "21", EPERM, false},
                    {"pidfd_getfd", nr(438, "-1,0,0"), EPERM},
                    {"process_vm_readv", nr(347, "0,0,0,0,0,0"), EPERM},
                    {"socket(AF_VSOCK)", nr(359, "40,1,0"), EPERM},
                    // socketcall(SYS_SOCKET, args): the family is in memory, so refused whole.
                    {"socketcall(SYS_SOCKET)", nr(102, "1,0"), EPERM},
                    {"personality(ADDR_NO_RANDOMIZE)", nr(136, "0x40000"), EPERM},
                    {"statmount", nr(kStatmount), ENOSYS},
                    {"clone3", nr(435), ENOSYS},
                });
    const auto confined = workload(manifests::SeccompProfile::default_profile);
    CHECK(attempt(confined, "raw_syscall_i386", "359,2,2,0") == 0);     // socket(AF_INET, DGRAM)
    CHECK(attempt(confined, "raw_syscall_i386", "102,3,0") == EFAULT);  // socketcall(CONNECT)

    // x32: this kernel may be built without it (then ENOSYS unconfined), but the filter sees the
    // call first, with the x32 bit in the number.
    check_cases("raw_syscall", {
                                   {"x32 open_tree_attr", nr(kX32 | kOpenTreeAttr), EPERM},
                                   {"x32 mount", nr(kX32 | 165), EPERM},
                                   {"x32 pidfd_getfd", nr(kX32 | 438), EPERM},
                               });
}
#endif

namespace {

RunOutput run_shell(std::vector<std::string> shell, const std::string& script) {
    auto w = workload(manifests::SeccompProfile::default_profile);
    shell.insert(shell.end(), {"-c", script});
    w.spec.command = std::move(shell);
    return run(w);
}

}  // namespace

TEST_CASE("default profile: sh and coreutils work, threads included") {
    require_root();
    require_native("seccomp");
    // Pipes, subshells, fork/exec, files in the private /tmp, and sort's threads (glibc's
    // pthread_create tries clone3, gets ENOSYS and falls back to clone).
    const auto out = run_shell({"/bin/sh"}, R"SH(set -e
cd /tmp
echo hello > a
cat a | tr a-z A-Z > b
cp a c; mv c d; rm d; mkdir -p x/y; ln -s a l; readlink l
ls -l /tmp > /dev/null; find x > /dev/null; stat a > /dev/null; du -s . > /dev/null
test "$(wc -c < a)" -eq 6
date +%s > /dev/null; id -u; uname -s; sleep 0.1; env > /dev/null
echo "$(echo substituted)"; (echo subshell)
seq 200000 | sort -rn --parallel=2 -S 1M | head -1
tar cf t.tar a b && tar tf t.tar | wc -l
gzip -c a | gunzip
cat b; echo done)SH");
    INFO(out.out);
    REQUIRE(WIFEXITED(out.status));
    CHECK(WEXITSTATUS(out.status) == 0);
    CHECK(out.out == "a\n0\nLinux\nsubstituted\nsubshell\n200000\n2\nhello\nHELLO\ndone\n");
}

TEST_CASE("default profile: busybox applets work") {
    require_root();
    require_native("seccomp");
    const std::string busybox = "/bin/busybox";
    if (!std::filesystem::exists(busybox)) skip("busybox not installed (busybox-static)");
    const auto out = run_shell({busybox, "sh"}, R"SH(set -e
cd /tmp
busybox echo one two | busybox wc -w
busybox seq 5 | busybox sort -r | busybox head -n 1
busybox mkdir d && busybox touch d/f && busybox ls d
busybox ps > /dev/null; busybox df / > /dev/null; busybox uptime > /dev/null
busybox sh -c 'exit 3' || echo "status $?"
busybox nc -h 2>/dev/null || true
busybox echo done)SH");
    INFO(out.out);
    REQUIRE(WIFEXITED(out.status));
    CHECK(WEXITSTATUS(out.status) == 0);
    CHECK(out.out == "2\n5\nf\nstatus 3\ndone\n");
}
