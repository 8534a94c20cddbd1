// OCI bundles for the crun and runc rows: the same isolation as the edgectl manifest, written
// as a runtime-spec config.json, and Docker's seccomp profile translated for them.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "edgevisor/error.hpp"

namespace edgevisor::bench {

// This machine's architecture as Docker's profiles name it (includes/excludes "arches") and
// as libseccomp does (archMap, OCI "architectures").
#if defined(__x86_64__)
inline constexpr const char* kDockerArch = "amd64";
inline constexpr const char* kSeccompArch = "SCMP_ARCH_X86_64";
#elif defined(__aarch64__)
inline constexpr const char* kDockerArch = "arm64";
inline constexpr const char* kSeccompArch = "SCMP_ARCH_AARCH64";
#elif defined(__arm__)
inline constexpr const char* kDockerArch = "arm";
inline constexpr const char* kSeccompArch = "SCMP_ARCH_ARM";
#else
#error "add this architecture's Docker and libseccomp names"
#endif

// Writes <bundle_dir>/config.json: /bin/true in new pid, mount, ipc, uts and net namespaces,
// root `rootfs` (a bind of the host's / that the caller provides) read-only, fresh /proc,
// minimal /dev, tmpfs /tmp, every capability dropped, no_new_privs; linux.seccomp when given.
Status write_oci_bundle(const std::string& bundle_dir, const std::string& rootfs,
                        const std::optional<nlohmann::json>& seccomp);

// Docker's profile format (archMap, includes/excludes by arch and capability) turned into an
// OCI linux.seccomp object for this machine's architecture and a workload without
// capabilities: what Docker itself hands to runc for `docker run` with all caps dropped.
Result<nlohmann::json> docker_profile_to_oci(const std::string& path);

}  // namespace edgevisor::bench
