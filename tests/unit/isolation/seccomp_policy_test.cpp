// Seccomp policies compiled without a kernel: the filter's content is checked through
// libseccomp's PFC text and the exported BPF. Nothing here loads a filter.
#include <seccomp.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "seccomp.hpp"
#include "seccomp_policy.hpp"
#include "shared_data.hpp"
#include "skip.hpp"

using namespace edgevisor;
using namespace edgevisor::isolation;
using namespace edgevisor::isolation::seccomp_detail;
using manifests::SeccompActionKind;

namespace {

const std::string kSmallProfile = std::string(EDGEVISOR_TEST_DATA) + "/small-profile.json";

// The PFC block of one syscall on one architecture: from its "filter for syscall" line to the
// next one, so a test can tell which rules belong to which call.
std::string syscall_block(const std::string& pfc, const std::string& arch,
                          const std::string& name) {
    const auto arch_at = pfc.find("# filter for arch " + arch + " (");
    REQUIRE(arch_at != std::string::npos);
    const auto arch_end = pfc.find("# filter for arch ", arch_at + 1);
    const auto start = pfc.find("filter for syscall \"" + name + "\"", arch_at);
    if (start == std::string::npos || start > arch_end) return {};
    auto end = pfc.find("# filter for syscall", start + 1);
    end = std::min({end, arch_end, pfc.find("# default action", start)});
    return pfc.substr(start, end - start);
}

std::string pfc_of(const SeccompPolicy& policy, std::uint32_t arch = SCMP_ARCH_X86_64) {
    auto pfc = export_pfc(policy, arch);
    REQUIRE(pfc.has_value());
    return *pfc;
}

ImportContext amd64_context(std::vector<std::string> caps = {}) {
    return ImportContext{std::move(caps), "amd64", 6, 1};
}

Result<SeccompPolicy> import_text_file(const std::string& path, const ImportContext& context) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return parse_oci_profile(text.str(), context, path);
}

}  // namespace

TEST_CASE("filter architectures: native plus compat ABIs") {
    CHECK(filter_architectures(SCMP_ARCH_X86_64) ==
          std::vector<std::uint32_t>{SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32});
    CHECK(filter_architectures(SCMP_ARCH_AARCH64) ==
          std::vector<std::uint32_t>{SCMP_ARCH_AARCH64, SCMP_ARCH_ARM});
    CHECK(filter_architectures(SCMP_ARCH_ARM) == std::vector<std::uint32_t>{SCMP_ARCH_ARM});

    const std::string pfc = pfc_of(default_policy(), SCMP_ARCH_AARCH64);
    CHECK(pfc.find("# filter for arch aarch64") != std::string::npos);
    CHECK(pfc.find("# filter for arch arm ") != std::string::npos);
    CHECK(pfc.find("# filter for arch x86_64") == std::string::npos);
    CHECK(syscall_block(pfc, "arm", "mount").find("ERRNO(1)") != std::string::npos);
    // The raw-number rules are listed ahead of libseccomp's text.
    CHECK(pfc.find("# raw rule (before libseccomp's filter): open_tree_attr = 467") !=
          std::string::npos);
}

namespace {

// The ABIs this machine's filter must cover, written per compiler target so that the
// expectation does not come from filter_architectures() itself.
std::vector<std::string> expected_native_arches() {
#if defined(__x86_64__) && !defined(__ILP32__)
    return {"x86_64", "x86", "x32"};
#elif defined(__aarch64__)
    return {"aarch64", "arm"};
#elif defined(__arm__)
    return {"arm"};
#else
    testing::skip("no expected filter architectures written for this target");
#endif
}

std::vector<std::string> pfc_arches(const std::string& pfc) {
    std::vector<std::string> arches;
    const std::string marker = "# filter for arch ";
    for (auto at = pfc.find(marker); at != std::string::npos; at = pfc.find(marker, at + 1)) {
        const auto start = at + marker.size();
        arches.push_back(pfc.substr(start, pfc.find(" (", start) - start));
    }
    std::sort(arches.begin(), arches.end());
    return arches;
}

}  // namespace

TEST_CASE("default profile for this machine: native and compat ABIs refuse the documented calls") {
    auto pfc = export_pfc(default_policy());  // 0: this machine's architecture
    REQUIRE(pfc.has_value());
    auto expected = expected_native_arches();
    std::sort(expected.begin(), expected.end());
    CHECK(pfc_arches(*pfc) == expected);
    for (const auto& arch : expected) {
        // Present under these names on every ABI we build for (no open, umount or stime here:
        // arm64 and arm EABI lack them).
        for (const char* name : {"mount", "umount2", "pivot_root", "kexec_load", "init_module",
                                 "reboot", "keyctl", "bpf", "setns", "settimeofday",
                                 "clock_settime", "open_by_handle_at", "ptrace", "swapon"}) {
            INFO(arch << " " << name);
            CHECK(syscall_block(*pfc, arch, name).find("action ERRNO(1);") != std::string::npos);
        }
        // clone3 gets the default ENOSYS: no rule of its own.
        CHECK(syscall_block(*pfc, arch, "clone3").empty());
        CHECK(syscall_block(*pfc, arch, "read").find("action ALLOW;") != std::string::npos);
    }
    // 32-bit ABIs set the clock through the time64 calls too (glibc uses them first).
    if (std::find(expected.begin(), expected.end(), "arm") != expected.end()) {
        CHECK(syscall_block(*pfc, "arm", "clock_settime64").find("ERRNO(1)") != std::string::npos);
    }
    // Everything not listed: ENOSYS.
    CHECK(pfc->find("# default action\n  action ERRNO(38);") != std::string::npos);
    // libseccomp knows every name of the tables, also those this machine's ABIs lack
    // (skipped silently): no "unknown syscall name" warning.
    auto program = compile_policy(default_policy());
    REQUIRE(program.has_value());
    CHECK(program->warnings.empty());
}

TEST_CASE("compiled BPF starts by checking the architecture") {
    auto program = compile_policy(default_policy());
    REQUIRE(program.has_value());
    REQUIRE(program->instructions.size() > 20);
    const sock_filter first = program->instructions.front();
    CHECK(first.code == (BPF_LD | BPF_W | BPF_ABS));
    CHECK(first.k == 4);  // offsetof(struct seccomp_data, arch)
    CHECK(program->fprog().len == program->instructions.size());
    CHECK(program->warnings.empty());
}

TEST_CASE("custom policy: rules, actions and argument conditions are in the filter") {
    manifests::Seccomp spec;
    spec.profile = manifests::SeccompProfile::custom;
    spec.default_action = {SeccompActionKind::allow, 0};
    spec.rules = {
        {{"uname"}, {SeccompActionKind::kill_process, 0}, {}},
        {{"getpid"}, {SeccompActionKind::trap, 0}, {}},
        {{"getppid"}, {SeccompActionKind::log, 0}, {}},
        {{"gettid"}, {SeccompActionKind::kill_thread, 0}, {}},
        {{"socket"},
         {SeccompActionKind::errno_code, EACCES},
         {{0, manifests::SeccompOp::eq, 17, 0}, {1, manifests::SeccompOp::masked_eq, 0xf, 3}}},
        {{"sync"}, {SeccompActionKind::allow, 0}, {}},  // same as default: no-op, not an error
    };
    auto policy = custom_policy(spec);
    REQUIRE(policy.has_value());
    const std::string pfc = pfc_of(*policy);
    CHECK(syscall_block(pfc, "x86_64", "uname").find("KILL_PROCESS") != std::string::npos);
    CHECK(syscall_block(pfc, "x86_64", "getpid").find("TRAP") != std::string::npos);
    CHECK(syscall_block(pfc, "x86_64", "getppid").find("LOG") != std::string::npos);
    CHECK(syscall_block(pfc, "x86_64", "gettid").find("action KILL;") != std::string::npos);
    const std::string socket = syscall_block(pfc, "x86_64", "socket");
    CHECK(socket.find("$a0.lo32 == 17") != std::string::npos);
    CHECK(socket.find("$a1.lo32 & 0x0000000f == 3") != std::string::npos);
    CHECK(socket.find("ERRNO(13)") != std::string::npos);
    CHECK(syscall_block(pfc, "x86_64", "sync").empty());
}

TEST_CASE("custom policy: an unknown syscall name is an error naming it") {
    manifests::Seccomp spec;
    spec.profile = manifests::SeccompProfile::custom;
    spec.rules = {{{"read"}, {SeccompActionKind::allow, 0}, {}},
                  {{"write", "not_a_syscall"}, {SeccompActionKind::allow, 0}, {}}};
    auto policy = custom_policy(spec);
    REQUIRE(policy.has_value());
    auto program = compile_policy(*policy);
    REQUIRE_FALSE(program.has_value());
    CHECK(program.error().message.find("'not_a_syscall'") != std::string::npos);
    CHECK(program.error().message.find("rule 2") != std::string::npos);
    auto prepared = prepare_seccomp(spec);
    REQUIRE_FALSE(prepared.has_value());
    CHECK(prepared.error().step == "seccomp");
}

TEST_CASE("custom policy: malformed rules are refused before compiling") {
    manifests::Seccomp spec;
    spec.profile = manifests::SeccompProfile::custom;
    SECTION("one argument compared twice") {
        spec.rules = {{{"personality"},
                       {SeccompActionKind::errno_code, 1},
                       {{0, manifests::SeccompOp::eq, 1, 0}, {0, manifests::SeccompOp::eq, 2, 0}}}};
        auto policy = custom_policy(spec);
        REQUIRE_FALSE(policy.has_value());
        CHECK(policy.error().message.find("argument 0 compared twice") != std::string::npos);
    }
    SECTION("errno out of range") {
        spec.rules = {{{"read"}, {SeccompActionKind::errno_code, 5000}, {}}};
        CHECK_FALSE(custom_policy(spec).has_value());
    }
    SECTION("no names") {
        spec.rules = {{{}, {SeccompActionKind::errno_code, 1}, {}}};
        CHECK_FALSE(custom_policy(spec).has_value());
    }
}

TEST_CASE("import: our small profile, with warnings, splits and includes/excludes") {
    auto policy = import_text_file(kSmallProfile, amd64_context());
    REQUIRE(policy.has_value());
    auto program = compile_policy(*policy, SCMP_ARCH_X86_64);
    REQUIRE(program.has_value());
    // An unknown name in an imported profile is a warning, and the rest of its entry applies.
    REQUIRE(program->warnings.size() == 1);
    CHECK(program->warnings[0].find("'no_such_syscall_for_tests'") != std::string::npos);

    const std::string pfc = pfc_of(*policy);
    CHECK(syscall_block(pfc, "x86_64", "unshare").find("ERRNO(13)") != std::string::npos);
    CHECK(syscall_block(pfc, "x86_64", "setns").find("ERRNO(13)") != std::string::npos);
    CHECK(syscall_block(pfc, "x86_64", "uname").find("KILL_PROCESS") != std::string::npos);
    CHECK(syscall_block(pfc, "x86_64", "getpriority").find("ERRNO(1)") != std::string::npos);
    // Two comparisons of argument 0 become two ORed rules.
    const std::string personality = syscall_block(pfc, "x86_64", "personality");
    CHECK(personality.find("== 4194304") != std::string::npos);
    CHECK(personality.find("== 262144") != std::string::npos);
    // excludes.caps: without CAP_SYS_ADMIN the entry applies.
    CHECK_FALSE(syscall_block(pfc, "x86_64", "sethostname").empty());
    // includes.minKernel 99.0 and includes.arches [s390x] do not apply here.
    CHECK(syscall_block(pfc, "x86_64", "setdomainname").empty());
    CHECK(syscall_block(pfc, "x86_64", "acct").empty());

    auto admin = import_text_file(kSmallProfile, amd64_context({"CAP_SYS_ADMIN"}));
    REQUIRE(admin.has_value());
    CHECK(syscall_block(pfc_of(*admin), "x86_64", "sethostname").empty());
}

TEST_CASE("import: malformed or unsupported profiles are errors naming the file") {
    const auto context = amd64_context();
    auto bad_json = parse_oci_profile("{ not json", context, "bad.json");
    REQUIRE_FALSE(bad_json.has_value());
    CHECK(bad_json.error().message.find("bad.json") != std::string::npos);
    auto notify = parse_oci_profile(R"({"defaultAction": "SCMP_ACT_NOTIFY"})", context, "n.json");
    REQUIRE_FALSE(notify.has_value());
    CHECK(notify.error().describe().find("SCMP_ACT_NOTIFY") != std::string::npos);
    auto bad_op = parse_oci_profile(
        R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
            "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_XX"}]}]})",
        context, "op.json");
    REQUIRE_FALSE(bad_op.has_value());
    CHECK(bad_op.error().describe().find("syscalls[0]") != std::string::npos);
    auto missing = import_profile_file("/nonexistent/profile.json", {});
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().code == ENOENT);
}

TEST_CASE("import: Docker's default profile, capabilities decide conditional entries") {
    const std::string path = testing::docker_profile_path();
    auto plain = import_text_file(path, amd64_context());
    REQUIRE(plain.has_value());
    CHECK(plain->default_action == manifests::SeccompAction{SeccompActionKind::errno_code, 1});
    auto program = compile_policy(*plain, SCMP_ARCH_X86_64);
    REQUIRE(program.has_value());
    for (const auto& warning : program->warnings) {
        CHECK(warning.find("unknown syscall name") != std::string::npos);
    }
    const std::string pfc = pfc_of(*plain);
    CHECK(pfc.find("# default action\n  action ERRNO(1);") != std::string::npos);
    CHECK(syscall_block(pfc, "x86_64", "read").find("ALLOW") != std::string::npos);
    // Not in the allow list without CAP_SYS_ADMIN: falls to the default EPERM.
    CHECK(syscall_block(pfc, "x86_64", "unshare").empty());
    CHECK(syscall_block(pfc, "x86_64", "mount").empty());
    CHECK(syscall_block(pfc, "x86_64", "clone3").find("ERRNO(38)") != std::string::npos);

    auto admin = import_text_file(path, amd64_context({"CAP_SYS_ADMIN"}));
    REQUIRE(admin.has_value());
    const std::string admin_pfc = pfc_of(*admin);
    CHECK(syscall_block(admin_pfc, "x86_64", "unshare").find("ALLOW") != std::string::npos);
    CHECK(syscall_block(admin_pfc, "x86_64", "mount").find("ALLOW") != std::string::npos);
}

TEST_CASE("prepare_seccomp caches by policy: same policy, same program") {
    manifests::Seccomp default_spec;
    auto first = prepare_seccomp(default_spec);
    auto second = prepare_seccomp(default_spec);
    REQUIRE(first.has_value());
    REQUIRE(second.has_value());
    CHECK(first->get() == second->get());
    CHECK((*first)->policy_hash.size() == 64);

    manifests::Seccomp unconfined;
    unconfined.profile = manifests::SeccompProfile::unconfined;
    auto open = prepare_seccomp(unconfined);
    REQUIRE(open.has_value());
    CHECK((*open)->instructions.empty());
    CHECK((*open)->policy_hash != (*first)->policy_hash);

    manifests::Seccomp file;
    file.profile = manifests::SeccompProfile::file;
    file.path = kSmallProfile;
    auto plain = prepare_seccomp(file);
    auto again = prepare_seccomp(file);
    manifests::Capabilities admin{{{21, "CAP_SYS_ADMIN"}}};
    auto with_admin = prepare_seccomp(file, admin);
    REQUIRE(plain.has_value());
    REQUIRE(again.has_value());
    REQUIRE(with_admin.has_value());
    CHECK(plain->get() == again->get());
    // includes/excludes.caps make the granted capabilities part of the key.
    CHECK(plain->get() != with_admin->get());
    CHECK((*plain)->instructions.size() != (*with_admin)->instructions.size());
    CHECK((*plain)->warnings.size() == 1);

    manifests::Seccomp missing = file;
    missing.path = "/nonexistent/profile.json";
    auto error = prepare_seccomp(missing);
    REQUIRE_FALSE(error.has_value());
    CHECK(error.error().describe().find("/nonexistent/profile.json") != std::string::npos);
}

TEST_CASE("prepare_seccomp is safe from many threads: one program per policy") {
    manifests::Seccomp spec;
    spec.profile = manifests::SeccompProfile::custom;
    spec.default_action = {SeccompActionKind::allow, 0};
    spec.rules = {{{"acct"}, {SeccompActionKind::errno_code, 77}, {}}};  // new to this process
    std::vector<const SeccompProgram*> seen(8, nullptr);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < seen.size(); ++i) {
        threads.emplace_back([&spec, &seen, i] {
            auto program = prepare_seccomp(spec);
            if (program) seen[i] = program->get();
        });
    }
    for (auto& thread : threads) thread.join();
    REQUIRE(seen[0] != nullptr);
    for (const auto* program : seen) CHECK(program == seen[0]);
    auto later = prepare_seccomp(spec);
    REQUIRE(later.has_value());
    CHECK(later->get() == seen[0]);
}

TEST_CASE("a policy too long for the kernel is refused at prepare") {
    manifests::Seccomp spec;
    spec.profile = manifests::SeccompProfile::custom;
    spec.default_action = {SeccompActionKind::allow, 0};
    // Distinct argument values cannot be merged: about one instruction per rule.
    for (std::uint64_t i = 0; i < 4200; ++i) {
        spec.rules.push_back({{"ioctl"},
                              {SeccompActionKind::errno_code, 1},
                              {{1, manifests::SeccompOp::eq, 0x1000 + i, 0}}});
    }
    auto program = prepare_seccomp(spec);
    REQUIRE_FALSE(program.has_value());
    CHECK(program.error().code == E2BIG);
    CHECK(program.error().message.find("BPF instructions") != std::string::npos);
}
