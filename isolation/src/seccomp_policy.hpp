// Seccomp policy as data, before compilation: every profile (default, custom, an imported
// OCI/Docker JSON file) becomes one SeccompPolicy, which compile_policy() turns into BPF with
// libseccomp. Everything here runs in the parent and is unit-tested without loading a filter.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "edgevisor/error.hpp"
#include "edgevisor/manifests/spec.hpp"
#include "seccomp.hpp"

namespace edgevisor::isolation::seccomp_detail {

struct SeccompPolicy {
    manifests::SeccompAction default_action;
    std::vector<manifests::SeccompRule> rules;  // each rule: its conditions are ANDed
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

// Our `default` profile: allow everything except the documented deny table (EPERM; clone3
// ENOSYS so that libc falls back to the clone() that can be argument-filtered).
SeccompPolicy default_policy();

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

// Compiles to BPF for `native_arch` (0: this machine's). Warnings of the policy plus any found
// while compiling (unknown names in non-fatal policies) end up in the program.
Result<SeccompProgram> compile_policy(const SeccompPolicy& policy, std::uint32_t native_arch = 0);

// libseccomp's human-readable pseudo filter code for the same policy (tests, debugging).
Result<std::string> export_pfc(const SeccompPolicy& policy, std::uint32_t native_arch = 0);

}  // namespace edgevisor::isolation::seccomp_detail
