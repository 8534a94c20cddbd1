// Compiling a SeccompPolicy to BPF with libseccomp, in the parent. The child never calls
// libseccomp: seccomp_load() would generate the program (allocating) between clone and exec.
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "edgevisor/unique_fd.hpp"
#include "seccomp_policy.hpp"

namespace edgevisor::isolation::seccomp_detail {

namespace {

struct ContextDeleter {
    void operator()(void* ctx) const noexcept { seccomp_release(ctx); }
};
using FilterContext = std::unique_ptr<void, ContextDeleter>;

std::uint32_t to_libseccomp(const manifests::SeccompAction& action) {
    using manifests::SeccompActionKind;
    switch (action.kind) {
        case SeccompActionKind::allow:
            return SCMP_ACT_ALLOW;
        case SeccompActionKind::errno_code:
            return SCMP_ACT_ERRNO(static_cast<std::uint32_t>(action.errno_value));
        case SeccompActionKind::kill_process:
            return SCMP_ACT_KILL_PROCESS;
        case SeccompActionKind::kill_thread:
            return SCMP_ACT_KILL_THREAD;
        case SeccompActionKind::trap:
            return SCMP_ACT_TRAP;
        case SeccompActionKind::log:
            return SCMP_ACT_LOG;
    }
    return SCMP_ACT_KILL_PROCESS;
}

scmp_compare to_libseccomp(manifests::SeccompOp op) {
    using manifests::SeccompOp;
    switch (op) {
        case SeccompOp::ne:
            return SCMP_CMP_NE;
        case SeccompOp::lt:
            return SCMP_CMP_LT;
        case SeccompOp::le:
            return SCMP_CMP_LE;
        case SeccompOp::eq:
            return SCMP_CMP_EQ;
        case SeccompOp::ge:
            return SCMP_CMP_GE;
        case SeccompOp::gt:
            return SCMP_CMP_GT;
        case SeccompOp::masked_eq:
            return SCMP_CMP_MASKED_EQ;
    }
    return SCMP_CMP_EQ;
}

std::string arch_name(std::uint32_t arch) {
    switch (arch) {
        case SCMP_ARCH_X86_64:
            return "x86_64";
        case SCMP_ARCH_X86:
            return "x86";
        case SCMP_ARCH_X32:
            return "x32";
        case SCMP_ARCH_AARCH64:
            return "aarch64";
        case SCMP_ARCH_ARM:
            return "arm";
        default:
            return "arch " + std::to_string(arch);
    }
}

struct Compiler {
    const SeccompPolicy& policy;
    std::vector<std::uint32_t> arches;
    std::vector<std::string> warnings;

    // A problem that is an error for a custom policy and a warning for the others.
    Status problem(std::string message) {
        if (!policy.origin.empty()) message = policy.origin + ": " + message;
        if (policy.unknown_names_fatal) return fail("seccomp", std::move(message), EINVAL);
        warnings.push_back(std::move(message));
        return {};
    }

    bool on_some_arch(const std::string& name) const {
        for (auto arch : arches) {
            if (seccomp_syscall_resolve_name_arch(arch, name.c_str()) >= 0) return true;
        }
        return false;
    }

    Status add_rule(scmp_filter_ctx ctx, std::size_t index, const manifests::SeccompRule& rule) {
        // A rule that repeats the default action changes nothing (libseccomp refuses it).
        // Compared as libseccomp values: errno_value means nothing for the other kinds.
        if (to_libseccomp(rule.action) == to_libseccomp(policy.default_action)) return {};
        std::vector<scmp_arg_cmp> conditions;
        for (const auto& arg : rule.args) {
            conditions.push_back({arg.index, to_libseccomp(arg.op), arg.value,
                                  arg.op == manifests::SeccompOp::masked_eq ? arg.value_two : 0});
        }
        for (const auto& name : rule.names) {
            const int nr = seccomp_syscall_resolve_name(name.c_str());
            if (nr == __NR_SCMP_ERROR) {
                if (auto s = problem("unknown syscall name '" + name + "' (rule " +
                                     std::to_string(index + 1) + ")");
                    !s) {
                    return s;
                }
                continue;
            }
            // Known to libseccomp, but none of our architectures has it (e.g. "stime" on
            // aarch64): nothing to filter, never an error.
            if (!on_some_arch(name)) continue;
            const int rc =
                seccomp_rule_add_array(ctx, to_libseccomp(rule.action), nr,
                                       static_cast<unsigned>(conditions.size()), conditions.data());
            if (rc != 0) {
                if (auto s = problem("rule " + std::to_string(index + 1) + " for '" + name +
                                     "' rejected by libseccomp: " + std::strerror(-rc));
                    !s) {
                    return s;
                }
            }
        }
        return {};
    }
};

Result<FilterContext> build(const SeccompPolicy& policy, std::uint32_t native, int optimize,
                            std::vector<std::string>& warnings) {
    if (native == 0) native = seccomp_arch_native();
    FilterContext ctx{seccomp_init(to_libseccomp(policy.default_action))};
    if (!ctx) return fail("seccomp", "seccomp_init failed", ENOMEM);
    // A syscall made through an ABI the filter does not know ends the process.
    if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        rc != 0) {
        return fail("seccomp", "cannot set the bad-architecture action", -rc);
    }
    // A binary search tree over syscall numbers: long allow lists (Docker's ~400 calls) stay
    // cheap per system call instead of a linear scan (bench/ measures both).
    if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE,
                                  static_cast<std::uint32_t>(optimize));
        rc != 0) {
        return fail("seccomp", "cannot set the filter optimisation level", -rc);
    }
    Compiler compiler{policy, filter_architectures(native), {}};
    if (native != seccomp_arch_native()) {
        if (int rc = seccomp_arch_remove(ctx.get(), SCMP_ARCH_NATIVE); rc != 0) {
            return fail("seccomp", "cannot remove the build architecture", -rc);
        }
    }
    for (auto arch : compiler.arches) {
        int rc = seccomp_arch_add(ctx.get(), arch);
        if (rc != 0 && rc != -EEXIST) {
            return fail("seccomp", "cannot add architecture " + arch_name(arch), -rc);
        }
    }
    for (std::size_t i = 0; i < policy.rules.size(); ++i) {
        if (auto s = compiler.add_rule(ctx.get(), i, policy.rules[i]); !s) {
            return std::unexpected(s.error());
        }
    }
    warnings = std::move(compiler.warnings);
    return ctx;
}

// libseccomp 2.5 exports only to an fd; a memfd keeps it off the filesystem.
Result<std::string> export_to_memory(scmp_filter_ctx ctx, bool pfc) {
    UniqueFd fd{::memfd_create("edgevisor-seccomp", MFD_CLOEXEC)};
    if (!fd) return fail_errno("seccomp", "memfd_create for the filter export");
    const int rc = pfc ? seccomp_export_pfc(ctx, fd.get()) : seccomp_export_bpf(ctx, fd.get());
    if (rc != 0) return fail("seccomp", "exporting the compiled filter", -rc);
    std::string out;
    char buffer[8192];
    for (off_t offset = 0;;) {
        const ssize_t n = ::pread(fd.get(), buffer, sizeof buffer, offset);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail_errno("seccomp", "reading the exported filter");
        if (n == 0) break;
        out.append(buffer, static_cast<std::size_t>(n));
        offset += n;
    }
    return out;
}

}  // namespace

std::vector<std::uint32_t> filter_architectures(std::uint32_t native_arch) {
    switch (native_arch) {
        case SCMP_ARCH_X86_64:
            return {SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32};
        case SCMP_ARCH_AARCH64:
            return {SCMP_ARCH_AARCH64, SCMP_ARCH_ARM};
        default:
            return {native_arch};
    }
}

Result<SeccompProgram> compile_policy(const SeccompPolicy& policy, std::uint32_t native_arch,
                                      int optimize) {
    if (native_arch == 0) native_arch = seccomp_arch_native();
    SeccompProgram program;
    program.warnings = policy.warnings;
    std::vector<std::string> warnings;
    auto ctx = build(policy, native_arch, optimize, warnings);
    if (!ctx) return std::unexpected(ctx.error());
    program.warnings.insert(program.warnings.end(), warnings.begin(), warnings.end());
    auto bpf = export_to_memory(ctx->get(), false);
    if (!bpf) return std::unexpected(bpf.error());
    if (bpf->empty() || bpf->size() % sizeof(sock_filter) != 0) {
        return fail("seccomp", "libseccomp exported a malformed BPF program (" +
                                   std::to_string(bpf->size()) + " bytes)");
    }
    auto prefix = raw_rule_prefix(policy.raw_rules, filter_architectures(native_arch));
    if (!prefix) return std::unexpected(prefix.error());
    program.instructions = std::move(*prefix);
    const std::size_t prefix_size = program.instructions.size();
    program.instructions.resize(prefix_size + bpf->size() / sizeof(sock_filter));
    std::memcpy(program.instructions.data() + prefix_size, bpf->data(), bpf->size());
    // The kernel refuses longer programs (BPF_MAXINSNS) at load time, in the child; say it here.
    if (program.instructions.size() > BPF_MAXINSNS) {
        return fail("seccomp",
                    (policy.origin.empty() ? std::string("policy") : policy.origin) +
                        " compiles to " + std::to_string(program.instructions.size()) +
                        " BPF instructions, more than the kernel's limit of " +
                        std::to_string(BPF_MAXINSNS),
                    E2BIG);
    }
    return program;
}

Result<std::string> export_pfc(const SeccompPolicy& policy, std::uint32_t native_arch) {
    if (native_arch == 0) native_arch = seccomp_arch_native();
    std::vector<std::string> warnings;
    auto ctx = build(policy, native_arch, kBinaryTree, warnings);
    if (!ctx) return std::unexpected(ctx.error());
    auto pfc = export_to_memory(ctx->get(), true);
    if (!pfc) return pfc;
    std::string head;
    for (const auto& rule : policy.raw_rules) {
        head += "# raw rule (before libseccomp's filter): " + rule.name + " = " +
                std::to_string(rule.number) +
                (rule.only_arch != 0 ? " on " + arch_name(rule.only_arch) : std::string{}) +
                (rule.arg0_is ? " if $a0 == " + std::to_string(*rule.arg0_is) : std::string{}) +
                " action " + std::to_string(to_libseccomp(rule.action)) + "\n";
    }
    return head + *pfc;
}

}  // namespace edgevisor::isolation::seccomp_detail
