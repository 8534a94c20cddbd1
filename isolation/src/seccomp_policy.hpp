// Seccomp policy as data, before compilation: every profile (default, custom, an imported
// OCI/Docker JSON file) becomes one SeccompPolicy, which compile_policy() turns into BPF with
// libseccomp. Everything here runs in the parent and is unit-tested without loading a filter.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/manifests/spec.hpp"
#include "seccomp.hpp"

namespace edgevisor::isolation::seccomp_detail {

// A rule by raw system call number, for calls that libseccomp (2.5.4 on Debian 12 and its
// cross sysroots) does not know by name. libseccomp cannot add those for any ABI but the one it
// was built for, so compile_policy() puts them in a small BPF prefix of its own that runs
// before libseccomp's program. One number for every ABI of the filter: since Linux 5.1 new
// calls get the same number everywhere (x32 adds its 0x40000000 bit).
struct RawRule {
    std::string name;  // for messages and the PFC text
    std::uint32_t number = 0;
    manifests::SeccompAction action;
    std::uint32_t only_arch = 0;           // SCMP_ARCH_* value; 0: every ABI of the filter
    std::optional<std::uint32_t> arg0_is;  // also require the low 32 bits of argument 0
};

struct SeccompPolicy {
    manifests::SeccompAction default_action;
    std::vector<manifests::SeccompRule> rules;  // each rule: its conditions are ANDed
    std::vector<RawRule> raw_rules;             // evaluated first, in order
    // Custom policies are the operator's own words: an unknown syscall name is an error.
    // Default and imported profiles list calls that older kernels/libseccomp lack: warning.
    bool unknown_names_fatal = true;
    std::vector<std::string> warnings;  // collected while building the policy
    std::string origin;                 // for messages: "default profile", a file's path
};

// What an imported profile's includes/excludes are evaluated against, as Docker does.
struct ImportContext {
    std::vector<std::string> capabilities;  // granted, "CAP_SYS_ADMIN" form
    std::string go_arch;                    // Docker's arch names: "amd64", "arm64", "arm", "386"
    int kernel_major = 0;
    int kernel_minor = 0;
};

// Our `default` profile: an allow list modelled on Docker's default profile. Calls it does not
// name fail with ENOSYS (as on an older kernel: libc falls back), the known-dangerous ones with
// EPERM; the capabilities that Docker ties to calls (`granted`, e.g. CAP_SYS_ADMIN) open the
// same calls. The tables are in seccomp_default.cpp.
SeccompPolicy default_policy(const manifests::Capabilities& granted = {});

// The manifest's `custom` profile (its rules and default action), checked for sanity.
Result<SeccompPolicy> custom_policy(const manifests::Seccomp& seccomp);

// Parses an OCI/Docker seccomp profile. `origin` names the file in messages.
Result<SeccompPolicy> parse_oci_profile(std::string_view json, const ImportContext& context,
                                        const std::string& origin);

// A profile file's bytes (the seccomp cache keys on them before anything is parsed).
Result<std::string> read_profile_file(const std::string& path);

// Reads and parses a profile file, with the running process's context.
Result<SeccompPolicy> import_profile_file(const std::string& path,
                                          const manifests::Capabilities& granted);

// The context of this process: native arch, running kernel version.
ImportContext current_import_context(const manifests::Capabilities& granted);

// Architectures a filter covers: the native one plus the compat ABIs a 32-bit (or x32)
// binary could use on it (SCMP_ARCH_* values).
std::vector<std::uint32_t> filter_architectures(std::uint32_t native_arch);

// libseccomp's SCMP_FLTATR_CTL_OPTIMIZE: 2 orders the syscall checks as a binary tree (what
// we use), 1 checks them one after another by priority (kept for the benchmark).
inline constexpr int kBinaryTree = 2;

// Compiles to BPF for `native_arch` (0: this machine's). Warnings of the policy plus any found
// while compiling (unknown names in non-fatal policies) end up in the program.
Result<SeccompProgram> compile_policy(const SeccompPolicy& policy, std::uint32_t native_arch = 0,
                                      int optimize = kBinaryTree);

// libseccomp's human-readable pseudo filter code for the same policy (tests, debugging), after
// a comment block that lists the raw-number prefix.
Result<std::string> export_pfc(const SeccompPolicy& policy, std::uint32_t native_arch = 0);

// The BPF prefix for the raw rules of `policy` on the given ABIs (SCMP_ARCH_* values); empty
// when there are none. Its last instruction falls through to whatever follows it.
Result<std::vector<sock_filter>> raw_rule_prefix(const std::vector<RawRule>& rules,
                                                 const std::vector<std::uint32_t>& arches);

}  // namespace edgevisor::isolation::seccomp_detail
